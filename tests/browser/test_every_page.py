"""Every page of the portal, reached as a user reaches it, on a desktop and on phones.

Each page passes axe-core at 1280 and 375 px, fits 320 CSS px without scrolling sideways
(WCAG 1.4.10 Reflow), keeps working with its text at 200 % (1.4.4), and gives every link and
button a target of at least 24 × 24 px or the spacing that stands for it (2.5.8).

With CERTPORTAL_SCREENSHOTS=<folder> (what `make screenshots` sets) the tour also saves a
full-page screenshot of each page at 375 and 1280 px there.
"""

import os
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import (
    DESKTOP_WIDTH,
    PHONE_WIDTH,
    assert_accessible,
    at_width,
    horizontal_overflow,
    log_in_through_the_form,
    open_section,
    open_tab,
    sign_in_staff,
)

SCREENSHOTS = os.environ.get("CERTPORTAL_SCREENSHOTS", "")
# The console's sections as an admin's navigation lists them; each page's heading is its name.
STAFF_SECTIONS = ("Candidates", "Support cases", "CE review", "Imports", "Fulfillment",
                  "Catalog", "Audit log", "Staff accounts")
MINIMUM_TARGET = 24

# Links and buttons smaller than 24 × 24 px whose 24 px circle (centred on the target)
# touches another target's: WCAG 2.5.8 allows a small target only when that circle is free.
CROWDED_TARGETS = """(minimum) => {
  const targets = [...document.querySelectorAll(
    "a[href], button, input:not([type=hidden]), select, textarea, summary")]
    .filter((element) => element.checkVisibility() && !element.closest(".skip-link"))
    .map((element) => [element, element.getBoundingClientRect()]);
  const inlineInText = (element) => {
    // A link inside a sentence is exempt (its size is set by the line of text).
    const parent = element.parentElement;
    return element.tagName === "A" && getComputedStyle(element).display === "inline"
      && [...parent.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim());
  };
  const problems = [];
  for (const [element, box] of targets) {
    if (box.width >= minimum && box.height >= minimum) continue;
    if (inlineInText(element)) continue;
    const cx = box.left + box.width / 2, cy = box.top + box.height / 2;
    const radius = minimum / 2;
    for (const [other, otherBox] of targets) {
      if (other === element || other.contains(element) || element.contains(other)) continue;
      // Distance from the circle's centre to the other target's box.
      const dx = Math.max(otherBox.left - cx, 0, cx - otherBox.right);
      const dy = Math.max(otherBox.top - cy, 0, cy - otherBox.bottom);
      if (Math.hypot(dx, dy) < radius) {
        problems.push(`${element.outerHTML.slice(0, 80)} is ${Math.round(box.width)}x`
          + `${Math.round(box.height)} px and close to ${other.outerHTML.slice(0, 60)}`);
        break;
      }
    }
  }
  return problems;
}"""


# The desktop layout's own rules, each a defect seen once: a date never breaks across lines;
# the cells of a table row share their top and bottom edges (so its borders line up); every
# data table sits in a card like the others; a heading after a table keeps its distance.
DESKTOP_LAYOUT_PROBLEMS = """() => {
  const problems = [];
  const name = (element) => element.tagName.toLowerCase()
    + (element.id ? "#" + element.id : "") + (element.className ? "." + element.className : "");
  for (const cell of document.querySelectorAll(".data-table td, .data-table th")) {
    for (const node of cell.childNodes) {
      const text = node.textContent.trim();
      if (node.nodeType === 3 && /^\\d{4}-[A-Z][a-z]{2}-\\d{2}$/.test(text)) {
        const range = document.createRange();
        range.selectNodeContents(node);
        const lines = new Set([...range.getClientRects()].map((r) => Math.round(r.top)));
        if (lines.size > 1) problems.push(`the date ${text} breaks across lines`);
      }
    }
  }
  for (const row of document.querySelectorAll(".data-table tr")) {
    const cells = [...row.children].filter((cell) => cell.checkVisibility());
    const edges = new Set(cells.map((cell) => {
      const box = cell.getBoundingClientRect();
      return `${Math.round(box.top)}/${Math.round(box.bottom)}`;
    }));
    if (edges.size > 1) problems.push(`misaligned cells: ${row.innerText.slice(0, 60)}`);
  }
  for (const table of document.querySelectorAll("table.data-table")) {
    if (!table.closest(".panel")) problems.push(`${name(table)} is not in a card (.panel)`);
  }
  for (const heading of document.querySelectorAll("h2, h3, h4")) {
    const before = heading.previousElementSibling;
    if (before && before.matches("table, .table-scroll") && before.checkVisibility()) {
      const gap = heading.getBoundingClientRect().top - before.getBoundingClientRect().bottom;
      if (gap < 12) problems.push(`"${heading.innerText}" is ${Math.round(gap)} px below a table`);
    }
  }
  return problems;
}"""


class Tour:
    """Checks and (optionally) photographs each page it is shown."""

    def __init__(self, page, name: str):
        self.page = page
        self.name = name
        self.count = 0
        self.folder = Path(SCREENSHOTS) if SCREENSHOTS else None
        if self.folder:
            self.folder.mkdir(parents=True, exist_ok=True)

    def check(self, title: str):
        page = self.page
        page.wait_for_load_state("networkidle")
        assert_accessible(page)
        self._check_desktop_layout()
        self._check_text_zoom()
        self._check_target_sizes()
        if self.folder:
            self.count += 1
            slug = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")
            for width in (PHONE_WIDTH, DESKTOP_WIDTH):
                size = at_width(page, width)
                page.screenshot(
                    path=self.folder / f"{self.name}-{self.count:02d}-{slug}-{width}.png",
                    full_page=True,
                    caret="initial",  # hiding it would add a style the CSP refuses
                )
                page.set_viewport_size(size)

    def _check_desktop_layout(self):
        page = self.page
        size = at_width(page, DESKTOP_WIDTH)
        try:
            problems = page.evaluate(DESKTOP_LAYOUT_PROBLEMS)
        finally:
            page.set_viewport_size(size)
        assert problems == [], f"{page.url} at {DESKTOP_WIDTH} px: {problems}"

    def _check_text_zoom(self):
        """Text at 200 % still fits a 1280 px window.

        The browser's own text size setting is doubled (as a reader who needs larger text
        sets it), so layouts written in em and rem, media queries included, follow it.
        """
        page = self.page
        size = at_width(page, DESKTOP_WIDTH)
        browser = page.context.new_cdp_session(page)
        browser.send("Page.setFontSizes", {"fontSizes": {"standard": 32, "fixed": 26}})
        try:
            overflow = horizontal_overflow(page, DESKTOP_WIDTH)
            assert overflow == [], f"{page.url} with text at 200 %: {overflow}"
        finally:
            browser.send("Page.setFontSizes", {"fontSizes": {"standard": 16, "fixed": 13}})
            browser.detach()
            page.set_viewport_size(size)

    def _check_target_sizes(self):
        page = self.page
        for width in (PHONE_WIDTH, DESKTOP_WIDTH):
            size = at_width(page, width)
            try:
                crowded = page.evaluate(CROWDED_TARGETS, MINIMUM_TARGET)
            finally:
                page.set_viewport_size(size)
            assert crowded == [], f"{page.url} at {width} px: small targets: {crowded}"


def main_nav(page):
    return page.get_by_role("navigation", name="Main")


def heading(page, name, level=1):
    expect(page.get_by_role("heading", name=name, level=level)).to_be_visible()


def test_every_candidate_page(page, live_server, console_errors):
    tour = Tour(page, "candidate")
    page.goto(f"{live_server}/")
    heading(page, "Candidate Login")
    tour.check("log in")
    log_in_through_the_form(page, live_server, password="not the password")
    tour.check("log in error")
    log_in_through_the_form(page, live_server)
    heading(page, "Welcome, John Doe")
    tour.check("home")

    open_section(page, "Personal Info")
    heading(page, "Settings")
    tour.check("settings")
    open_tab(page, "Personal Info", "Attributes")
    heading(page, "Candidate Attributes")
    tour.check("attributes")
    open_tab(page, "Personal Info", "Identification")
    heading(page, "Cisco Identifiers")
    tour.check("identification")
    open_tab(page, "Personal Info", "Password & Sessions")
    heading(page, "Change your password")
    tour.check("password and sessions")

    open_section(page, "Testing History")
    heading(page, "Exams")
    tour.check("exams")
    page.get_by_role("link", name=re.compile(r"^Date")).click()
    expect(page.locator("th[aria-sort=ascending]")).to_contain_text("Date")
    tour.check("exams sorted by date")
    page.get_by_role("link", name="Exam agreements").click()
    heading(page, "Certification agreements")
    tour.check("exam agreements")
    open_tab(page, "Testing History", "CE Activities")
    heading(page, "Continuing education activities")
    tour.check("ce activities")
    page.locator("#ce-results summary").first.click()
    tour.check("ce activity expanded")
    page.get_by_label("Search CE activities").fill("1462601")
    page.get_by_role("button", name="Search").click()
    expect(page.locator("tbody.ce-activity")).to_have_count(1)
    tour.check("ce activities searched")
    page.get_by_label("Search CE activities").fill("no such activity")
    page.get_by_role("button", name="Search").click()
    expect(page.get_by_text("No CE activity matches")).to_be_visible()
    tour.check("ce activities no match")
    open_tab(page, "Testing History", "E-commerce Transactions")
    heading(page, "E-commerce Transactions")
    tour.check("e-commerce transactions")

    open_section(page, "Certifications")
    heading(page, "Certifications")
    tour.check("certifications")
    page.get_by_role("link", name="CCNA (CCNA)").click()
    expect(page.locator("#detail-CCNA").get_by_text("1.2 – (10 / 30)")).to_be_visible()
    tour.check("certification expanded")
    page.goto(f"{live_server}/certifications/CCNA")
    heading(page, "CCNA (CCNA)")
    tour.check("certification detail")
    open_tab(page, "Certifications", "Certification Agreement")
    expect(page.get_by_text("Version", exact=True)).to_be_visible()
    tour.check("certification agreement")
    open_tab(page, "Certifications", "Download Logos")
    heading(page, "Download Logos")
    tour.check("download logos")

    open_section(page, "Certificates & Plaques")
    heading(page, "Certification Fulfillment Kit History & Status")
    tour.check("kit history")
    open_tab(page, "Certificates & Plaques", "Claim & Purchase Fulfillment")
    heading(page, "Claim & Purchase Fulfillment")
    tour.check("claim and purchase")
    page.get_by_role("button", name="Purchase").click()
    expect(page.locator("#kits-error")).to_be_visible()
    tour.check("claim and purchase error")
    page.get_by_label("CCIE Enterprise Infrastructure Plaque").check()
    page.get_by_label(re.compile(r"^Tracking: ")).check()
    page.get_by_role("button", name="Purchase").click()
    heading(page, "Demographics - English (Roman) alphabet only", level=2)
    tour.check("shipping")
    page.locator("#first_name").fill("王美")
    page.locator("#postal_code").fill("nope")
    page.get_by_role("button", name="Confirm").click()
    expect(page.locator("#first_name-error")).to_be_visible()
    tour.check("shipping errors")
    page.locator("#first_name").fill("John")
    page.locator("#postal_code").fill("27601")
    page.get_by_role("button", name="Confirm").click()
    heading(page, "Confirm your order")
    tour.check("confirm your order")
    open_tab(page, "Certificates & Plaques", "Claim & Purchase Fulfillment")
    page.get_by_label("Specialist - Enterprise Core Certificate").check()
    page.get_by_role("button", name="Purchase").click()
    page.get_by_role("button", name="Confirm").click()
    expect(page.get_by_text("The following fulfillment have been successfully purchased")) \
        .to_be_visible()
    tour.check("kit claim confirmation")
    open_tab(page, "Certificates & Plaques", "Fulfillment History & Status")
    expect(page.get_by_role("row", name=re.compile(r"^Specialist - Enterprise Core"))) \
        .to_contain_text("Queued")
    tour.check("kit history after a claim")

    open_section(page, "Transcripts")
    heading(page, "Transcripts")
    tour.check("transcripts none")
    page.get_by_role("link", name="Create new transcript").click()
    expect(page.get_by_role("group", name="Display name")).to_be_visible()
    tour.check("transcript form")
    page.get_by_label("On this date:").check()
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("alert")).to_contain_text("Nothing was saved")
    tour.check("transcript form errors")
    page.get_by_label("30 days").check()
    page.get_by_label("Description").fill("For Acme Networks")
    page.get_by_label("Remarks").fill("Open to contract work.")
    page.get_by_label("Show address").check()
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Transcript created")).to_be_visible()
    tour.check("transcripts")
    page.get_by_role("link", name=re.compile(r"^Email \/ Link")).click()
    heading(page, "Email this Transcript")
    tour.check("email a transcript")
    page.get_by_label("To:").fill("not an address")
    page.get_by_role("button", name="Send").click()
    expect(page.locator(".field-error")).to_be_visible()
    tour.check("email a transcript error")
    page.get_by_label("To:").fill("hr@acme.example")
    page.get_by_role("button", name="Preview Email").click()
    expect(page.locator(".email-subject")).to_be_visible()
    tour.check("email preview")
    public_url = page.get_by_label("Transcript link").input_value().replace(
        "http://localhost", live_server)
    page.get_by_role("link", name="Back to Transcripts").click()
    page.get_by_role("link", name=re.compile(r"views of transcript")).click()
    heading(page, re.compile("^Views of transcript"))
    tour.check("transcript views")

    open_section(page, "Digital Badges")
    heading(page, "Digital Badges")
    tour.check("digital badges")

    page.get_by_role("link", name="Support/FAQs").click()
    heading(page, "Support/FAQs")
    tour.check("support faqs")
    page.get_by_role("link", name="Open a support case").first.click()
    heading(page, re.compile("support case", re.IGNORECASE))
    tour.check("support case")
    page.get_by_role("link", name="User Guide").click()
    heading(page, re.compile("User Guide"))
    tour.check("user guide")
    page.goto(f"{live_server}/certifications/NOPE")
    tour.check("not found")

    # The public transcript, as the third party sees it.
    page.goto(public_url)
    heading(page, "John Doe")
    tour.check("public transcript")
    assert console_errors == []


def test_every_public_page(page, live_server, console_errors, db):
    from tests.web.test_verification import held

    tour = Tour(page, "public")
    page.goto(f"{live_server}/login")
    page.get_by_role("link", name="Map your account (First Time Login)").click()
    heading(page, "First Time Login")
    tour.check("first time login")
    panel = page.get_by_role("region", name="By score report")
    panel.get_by_role("button", name="Submit").click()
    expect(panel.locator(".field-error").first).to_be_visible()
    tour.check("first time login errors")
    page.goto(f"{live_server}/login")
    page.get_by_role("link", name="Forgot password?").click()
    tour.check("forgot password")
    page.goto(f"{live_server}/verify")
    heading(page, "Verify a Certification")
    tour.check("verify")
    page.get_by_label("Verification code").fill(held("CCNA").verification_code)
    page.get_by_role("button", name="Verify").click()
    expect(page.get_by_role("heading", name="Certification active")).to_be_visible()
    tour.check("verified")
    page.goto(f"{live_server}/t/0000000000000000")
    heading(page, "This transcript is not available")
    tour.check("transcript not available")
    page.goto(f"{live_server}/support/cases/new")
    tour.check("support case anonymous")
    assert console_errors == []


def test_staff_console(page, live_server, console_errors):
    tour = Tour(page, "staff")
    sign_in_staff(page, live_server, "admin")
    tour.check("staff console")
    for section in STAFF_SECTIONS:
        open_section(page, section, "Staff console")
        heading(page, section)
        tour.check(f"staff {section}")
    open_section(page, "Candidates", "Staff console")
    page.get_by_label("Login ID, email, name, registration number or verification code").fill(
        "kumar")
    page.get_by_role("button", name="Search").click()
    tour.check("staff candidates found")
    page.get_by_role("link", name="CSCO10000003").click()
    expect(page.get_by_role("heading", name="Audit trail")).to_be_visible()
    tour.check("staff candidate record")
    assert console_errors == []


@pytest.mark.parametrize("width", [PHONE_WIDTH, 320])
def test_the_phone_menu_opens_without_javascript_and_names_the_section(
    browser, live_server, width
):
    context = browser.new_context(java_script_enabled=False,
                                  viewport={"width": width, "height": 700})
    page = context.new_page()
    log_in_through_the_form(page, live_server)
    menu = page.locator("details.nav-menu")
    links = main_nav(page).get_by_role("link")
    expect(menu.locator("summary")).to_contain_text("Home")
    expect(links.first).to_be_hidden()
    menu.locator("summary").click()
    expect(links.first).to_be_visible()
    main_nav(page).get_by_role("link", name="Testing History").click()
    heading(page, "Exams")
    expect(page.locator("details.nav-menu summary")).to_contain_text("Testing History")
    expect(main_nav(page).get_by_role("link", name="Home")).to_be_hidden()
    context.close()
