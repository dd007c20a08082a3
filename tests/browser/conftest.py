"""Playwright on Debian's Chromium against the portal served by a live thread."""

import shutil
import threading

import pytest
from playwright.sync_api import expect
from werkzeug.serving import make_server

HTTP_STATUS_NOTICE = "Failed to load resource: the server responded with a status of 4"

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/browser/" in str(item.fspath):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    executable = shutil.which("chromium") or shutil.which("chromium-browser")
    if executable is None:
        pytest.fail("Chromium is not installed: apt-get install -y chromium")
    return {**browser_type_launch_args, "executable_path": executable, "args": CHROMIUM_ARGS}


def _closed_once_sent(app):
    """The app, its response closed as soon as its last piece is written. Werkzeug's server
    closes a response only after draining the socket, and skips the close when the browser
    has already reset the connection (after a 303, say): what the portal runs once a response
    is sent (mail delivery) would then never run. Gunicorn closes every response."""

    def closing(environ, start_response):
        answer = app(environ, start_response)
        try:
            yield from answer
        finally:
            if hasattr(answer, "close"):
                answer.close()

    return closing


@pytest.fixture
def live_server(app):
    """The app on a free loopback port for the length of one test."""
    server = make_server("127.0.0.1", 0, _closed_once_sent(app), threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=5)


@pytest.fixture
def console_errors(page):
    """Every console error (CSP violations, script errors) the page raises.

    Chromium also logs each 4xx answer as an error; a 422 for a form with mistakes is the
    designed answer, not a fault, so those lines are left out.
    """
    errors = []

    def keep_errors(message):
        if message.type == "error" and not message.text.startswith(HTTP_STATUS_NOTICE):
            errors.append(message.text)

    page.on("console", keep_errors)
    page.on("pageerror", lambda error: errors.append(str(error)))
    return errors


@pytest.fixture(params=[True, False], ids=["js", "no-js"])
def any_page(request, browser):
    """The same test with JavaScript on and off; `page.javascript` says which."""
    context = browser.new_context(java_script_enabled=request.param)
    page = context.new_page()
    page.javascript = request.param
    yield page
    context.close()


@pytest.fixture
def no_js_page(browser):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    yield page
    context.close()


def open_section(page, label: str, navigation: str = "Main"):
    """Follow the main navigation to a section, as a user does: a behaviour checked on a page
    reached this way is one boosted navigation keeps (a `goto` would load the page whole).
    On a narrow screen the menu is opened first. Staff: navigation="Staff console"."""
    nav = page.get_by_role("navigation", name=navigation)
    menu = nav.locator("summary")
    # Before the stylesheet applies, the closed <details> shows its summary at any width.
    page.wait_for_load_state("load")
    if menu.is_visible():
        menu.click()
    nav.get_by_role("link", name=label, exact=True).click()


def open_tab(page, nav_label: str, label: str):
    """Follow a link of a section's own navigation (Settings | Attributes | …)."""
    page.get_by_role("navigation", name=nav_label).get_by_role(
        "link", name=label, exact=True).click()


def log_in_through_the_form(page, base_url, identifier="CSCO10000000", password="certportal-demo"):
    """Log in as a user would; returns once the signed-in page is shown (or the error)."""
    page.goto(f"{base_url}/login")
    page.get_by_label("Login ID or email address").fill(identifier)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    # With JavaScript the boosted form swaps the page without a navigation to wait for.
    expect(page.get_by_role("button", name="Logout").or_(page.get_by_role("alert"))).to_be_visible()


def sign_in_staff(page, base_url, username="support"):
    """Sign a demo staff member in as they would: password, then the authenticator's code;
    returns on the console's front page."""
    import pyotp

    from certportal.domain.demo import STAFF_PASSWORD, demo_totp_secret

    page.goto(f"{base_url}/login")
    page.get_by_label("Login ID or email address").fill(username)
    page.get_by_label("Password").fill(STAFF_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Your second factor")).to_be_visible()
    page.get_by_label("Code").fill(pyotp.TOTP(demo_totp_secret(username)).now())
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", level=1, name="Staff console")).to_be_visible()


# Widths every page is checked at: a desktop, a phone, and the narrowest phone WCAG's
# Reflow criterion asks for (320 CSS px, the same as 1280 px zoomed to 400 %).
DESKTOP_WIDTH = 1280
PHONE_WIDTH = 375
REFLOW_WIDTH = 320

# The widest elements sticking out of the viewport, to say what pushes a page sideways.
OVERFLOWING_ELEMENTS = """(width) => {
  const out = [];
  for (const element of document.body.querySelectorAll("*")) {
    const box = element.getBoundingClientRect();
    // Its box, or text it lets spill out of its box.
    const spill = getComputedStyle(element).overflowX === "visible"
      ? element.scrollWidth - element.clientWidth : 0;
    const right = box.right + Math.max(spill, 0);
    if (box.width > 0 && right > width + 1) {
      const name = element.tagName.toLowerCase() + (element.id ? "#" + element.id : "")
        + (element.classList.length ? "." + [...element.classList].join(".") : "");
      out.push([Math.round(right), name]);
    }
  }
  return out.sort((a, b) => b[0] - a[0]).slice(0, 5);
}"""


def at_width(page, width: int):
    """Resize the page's viewport to `width` CSS px (same height); returns the old size."""
    size = page.viewport_size
    page.set_viewport_size({"width": width, "height": size["height"]})
    return size


def horizontal_overflow(page, width: int) -> list:
    """[] when the page fits `width` px without scrolling sideways; else what sticks out."""
    fits = page.evaluate("(w) => document.documentElement.scrollWidth <= w", width)
    return [] if fits else page.evaluate(OVERFLOWING_ELEMENTS, width) or ["(nothing found)"]


# axe's rules, plus one it ships switched off: an accessible name must contain the visible
# label (WCAG 2.5.3 Label in Name), so voice-control users can say what they see.
AXE_OPTIONS = {
    "resultTypes": ["violations"],
    "rules": {"label-content-name-mismatch": {"enabled": True}},
}


def assert_no_axe_violations(page):
    """axe-core at the current width only; most tests want assert_accessible."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page, options=AXE_OPTIONS)
    assert results.violations_count == 0, results.generate_report()


def assert_accessible(page):
    """The page as it stands passes axe-core at 1280 and 375 px and reflows into 320 px.

    Call it on every page and after every interaction that changes one (expand, sort, search,
    an inline form, an error): the viewport is put back as it was afterwards.
    """
    size = page.viewport_size
    try:
        for width in (DESKTOP_WIDTH, PHONE_WIDTH):
            at_width(page, width)
            try:
                assert_no_axe_violations(page)
            except AssertionError as failure:
                raise AssertionError(f"at {width} px: {failure}") from None
        at_width(page, REFLOW_WIDTH)
        overflow = horizontal_overflow(page, REFLOW_WIDTH)
        assert overflow == [], (
            f"{page.url} scrolls sideways at {REFLOW_WIDTH} px; widest elements (right edge, "
            f"element): {overflow}"
        )
    finally:
        page.set_viewport_size(size)
