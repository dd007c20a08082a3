"""The main flows with the keyboard alone: Tab, Shift+Tab, Enter and Space, no mouse.

At every step the focused element is on screen with a visible focus ring, and after htmx
swaps part of a page focus is never dropped to the document: it stays on the control the
user chose, or lands on the updated region or its heading.
"""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import assert_accessible

MOST_TABS = 80

FOCUS_STATE = """() => {
  const element = document.activeElement;
  if (!element || element === document.body || !element.isConnected) return null;
  const style = getComputedStyle(element);
  const box = element.getBoundingClientRect();
  const ring = (style.outlineStyle !== "none" && parseFloat(style.outlineWidth) >= 2)
    || style.boxShadow !== "none";
  const label = (element.innerText || element.value || element.getAttribute("aria-label")
    || element.id || "").trim().slice(0, 60);
  return {
    name: `${element.tagName.toLowerCase()} "${label}"`,
    style: `outline ${style.outlineStyle} ${style.outlineWidth}, box-shadow ${style.boxShadow}`,
    shown: element.checkVisibility() && box.width > 0 && box.height > 0,
    ring,
  };
}"""


@pytest.fixture(autouse=True)
def app_config(app_config, smtp_server):
    app_config["MAIL_URL"] = smtp_server.url
    return app_config


def focused(page) -> dict:
    """What has keyboard focus; fails if focus was lost or cannot be seen."""
    state = page.evaluate(FOCUS_STATE)
    assert state is not None, f"keyboard focus was lost (on the document) at {page.url}"
    assert state["shown"], f"{state['name']} has focus but is not shown"
    assert state["ring"], f"{state['name']} has focus but no visible indicator: {state['style']}"
    return state


def tab_to(page, target, backwards=False):
    """Press Tab (or Shift+Tab) until `target` has focus, checking focus at every stop.

    Past the last element focus leaves the page (to the browser's own controls) and the next
    press comes back at the other end, as in any browser: that one stop is not a loss.
    """
    key = "Shift+Tab" if backwards else "Tab"
    outside = False
    for _ in range(MOST_TABS):
        page.keyboard.press(key)
        if page.evaluate(FOCUS_STATE) is None and not outside:
            outside = True
            continue
        outside = False
        focused(page)
        if target.evaluate("element => element === document.activeElement"):
            return
    raise AssertionError(f"{MOST_TABS} presses of {key} never reached {target}")


def enter_on(page, target):
    tab_to(page, target)
    page.keyboard.press("Enter")


def log_in_with_the_keyboard(page, base):
    page.goto(f"{base}/login")
    # The identifier field has focus on arrival (autofocus).
    expect(page.get_by_label("Login ID or email address")).to_be_focused()
    page.keyboard.type("CSCO10000000")
    tab_to(page, page.get_by_label("Password"))
    page.keyboard.type("certportal-demo")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Welcome, John Doe")).to_be_visible()


def go_to_section(page, label):
    """Follow a main navigation link; the new page's heading then has focus."""
    enter_on(page, page.get_by_role("navigation", name="Main").get_by_role(
        "link", name=label, exact=True))
    expect(page.locator("main h1")).to_be_focused()
    focused(page)


def test_log_in_with_the_keyboard(page, live_server, console_errors):
    page.goto(f"{live_server}/login")
    page.keyboard.type("CSCO10000000")
    tab_to(page, page.get_by_label("Password"))
    page.keyboard.type("a wrong password")
    page.keyboard.press("Enter")
    expect(page.get_by_role("alert")).to_be_visible()
    # The page came back with the error: focus is on the first field again.
    expect(page.get_by_label("Login ID or email address")).to_be_focused()
    focused(page)
    assert_accessible(page)
    tab_to(page, page.get_by_label("Login ID or email address"))
    page.keyboard.press("Control+A")
    page.keyboard.type("CSCO10000000")
    tab_to(page, page.get_by_label("Password"))
    page.keyboard.type("certportal-demo")
    tab_to(page, page.get_by_role("button", name="Log in"))
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Welcome, John Doe")).to_be_visible()
    assert console_errors == []


def test_sort_exams_with_the_keyboard(page, live_server, console_errors):
    log_in_with_the_keyboard(page, live_server)
    go_to_section(page, "Testing History")
    expect(page.get_by_role("heading", name="Exams", level=1)).to_be_visible()
    enter_on(page, page.get_by_role("link", name=re.compile(r"^Date")))
    expect(page.locator("th[aria-sort=ascending]")).to_contain_text("Date")
    # The table was swapped; focus is still on the header just used.
    assert focused(page)["name"].startswith('a "Date')
    page.keyboard.press("Enter")
    expect(page.locator("th[aria-sort=descending]")).to_contain_text("Date")
    assert focused(page)["name"].startswith('a "Date')
    tab_to(page, page.get_by_role("link", name=re.compile(r"^Grade")), backwards=True)
    page.keyboard.press("Enter")
    expect(page.locator("th[aria-sort=ascending]")).to_contain_text("Grade")
    focused(page)
    assert_accessible(page)
    assert console_errors == []


def test_expand_a_certification_with_the_keyboard(page, live_server, console_errors):
    log_in_with_the_keyboard(page, live_server)
    go_to_section(page, "Certifications")
    expect(page.get_by_role("heading", name="Certifications", level=1)).to_be_visible()
    name = page.get_by_role("link", name="CCNA (CCNA)")
    enter_on(page, name)
    detail = page.locator("#detail-CCNA")
    expect(detail.get_by_text("1.2 – (10 / 30)")).to_be_visible()
    expect(name).to_have_attribute("aria-expanded", "true")
    expect(name).to_be_focused()
    assert_accessible(page)
    page.keyboard.press("Enter")
    expect(detail.get_by_text("1.2 – (10 / 30)")).to_have_count(0)
    expect(name).to_have_attribute("aria-expanded", "false")
    expect(name).to_be_focused()
    assert console_errors == []


def test_create_and_email_a_transcript_with_the_keyboard(
    page, live_server, smtp_server, console_errors
):
    log_in_with_the_keyboard(page, live_server)
    go_to_section(page, "Transcripts")
    expect(page.get_by_role("heading", name="Transcripts", level=1)).to_be_visible()
    enter_on(page, page.get_by_role("link", name="Create new transcript"))
    form = page.locator("#transcript-form")
    expect(form.get_by_role("group", name="Display name")).to_be_visible()
    focused(page)

    # A mistake first: the form comes back with its errors, and focus is not lost.
    # Tab reaches a radio group at its chosen radio; the arrow keys choose another.
    tab_to(page, form.get_by_label("Active certifications", exact=True))
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")
    expect(form.get_by_label("Only the certifications selected below")).to_be_checked()
    enter_on(page, form.get_by_role("button", name="Save"))
    expect(page.get_by_text("Select at least one certification to display.")).to_be_visible()
    focused(page)
    assert_accessible(page)

    form = page.locator("#transcript-form")
    tab_to(page, form.get_by_label("CCNA", exact=True))
    page.keyboard.press("Space")
    tab_to(page, form.get_by_label("Description"), backwards=True)
    page.keyboard.type("For Acme Networks")
    enter_on(page, form.get_by_role("button", name="Save"))
    expect(page.get_by_text("Transcript created")).to_be_visible()
    focused(page)
    assert_accessible(page)

    row = page.get_by_role("row").filter(has_text="For Acme Networks")
    enter_on(page, row.get_by_role("link", name=re.compile("^Email")))
    expect(page.get_by_role("heading", name="Email this Transcript")).to_be_visible()
    tab_to(page, page.get_by_label("To:"))
    page.keyboard.type("hr@acme.example")
    enter_on(page, page.get_by_role("button", name="Preview Email"))
    expect(page.locator(".email-subject")).to_have_text("Cisco - Transcript for John Doe")
    assert_accessible(page)
    enter_on(page, page.get_by_role("button", name="Send"))
    expect(page.get_by_text("Transcript sent to hr@acme.example.")).to_be_visible()
    assert [message["To"] for message in smtp_server.delivered(1)] == ["hr@acme.example"]
    assert console_errors == []
