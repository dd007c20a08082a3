"""Keeping certifications in Chromium, with JavaScript on and off: the plan and the what-if on
a certification, Home's expiring list, and submitting a CE activity; axe on each new page."""

import re
from datetime import date, timedelta

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import assert_accessible, log_in_through_the_form

PDF = b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\n"


@pytest.fixture
def app_config(app_config, tmp_path):
    app_config["UPLOAD_DIR"] = str(tmp_path / "uploads")
    return app_config


def check_axe(page):
    """axe runs in the page, so only where scripts run; the same markup is served to both."""
    if page.javascript:
        assert_accessible(page)


def open_ccna(page, base):
    log_in_through_the_form(page, base)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Certifications").click()
    expect(page.get_by_role("heading", name="Active certifications")).to_be_visible()
    page.get_by_role("link", name="CCNA (CCNA)", exact=True).click()
    return page.locator("#what-if-CCNA")


def test_plan_and_what_if(any_page, live_server):
    page = any_page
    what_if = open_ccna(page, live_server)
    expect(page.get_by_role("heading", name="Keeping this certification")).to_be_visible()
    expect(page.get_by_text("Earn 30 CE credits; you have 10; 20 more.")).to_be_visible()
    if page.javascript:
        page.evaluate("window.__stillTheSameDocument = true")
    page.get_by_label("What if I passed this exam today?").select_option("350-401")
    page.get_by_role("button", name="Show what would change").click()
    outcome = re.compile(
        r"CCNA \(CCNA\) would be recertified: it would expire on \d{4}-\w{3}-\d{2} instead of"
    )
    expect(what_if.get_by_text(outcome)).to_be_visible()
    expect(what_if.get_by_text("Nothing was recorded")).to_be_visible()
    expect(page).to_have_url(re.compile(r"/certifications/CCNA\?exam=350-401$"))
    if page.javascript:
        # Only the what-if section was swapped: same document, the plan still above it.
        assert page.evaluate("window.__stillTheSameDocument") is True
    check_axe(page)
    # The URL stands on its own: reloading shows the same outcome as a whole page.
    page.reload()
    expect(page.locator("#what-if-CCNA").get_by_text("would be recertified").first).to_be_visible()
    # Nothing was written: the certification still expires when it did.
    page.goto(f"{live_server}/certifications/CCNA")
    expect(page.locator("#what-if-CCNA").get_by_text("would be recertified")).to_have_count(0)


def test_home_lists_what_expires_soon_with_its_plan(any_page, live_server, db):
    from certportal.models import CandidateCertification, Certification

    soon = date.today() + timedelta(days=40)
    CandidateCertification.update(expires_on=soon).where(
        CandidateCertification.certification
        == Certification.get(Certification.code == "CCNA").id
    ).execute()
    page = any_page
    log_in_through_the_form(page, live_server)
    attention = page.locator(".attention")
    line = re.compile(
        r"CCNA \(CCNA\) expires on .* \(40 days left\)\. To keep it: Pass one of these exams"
    )
    expect(attention.get_by_text(line)).to_be_visible()
    link = attention.get_by_role("link", name=re.compile("^Add to calendar"))
    expect(link).to_have_attribute("href", "/certifications/CCNA/expiry.ics")
    with page.expect_download() as download:
        link.click()
    assert download.value.suggested_filename == "ccna-expiry.ics"
    check_axe(page)


def test_submit_a_ce_activity(any_page, live_server, tmp_path):
    page = any_page
    log_in_through_the_form(page, live_server)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Testing History").click()
    page.get_by_role("link", name="CE Activities").click()
    page.get_by_role("link", name="Submit a CE activity").click()
    expect(page.get_by_role("heading", name="Submit a CE activity", level=1)).to_be_visible()
    check_axe(page)

    page.get_by_label("Activity name").fill("Cisco Live session BRKENS-2000")
    page.get_by_label("Provider").fill("Cisco Live")
    page.get_by_label("Date of the activity").fill((date.today() - timedelta(days=2)).isoformat())
    page.get_by_label("Points claimed").fill("0")
    page.get_by_label("Evidence").set_input_files(
        files=[{"name": "attendance.pdf", "mimeType": "application/pdf", "buffer": PDF}]
    )
    page.get_by_role("button", name="Submit for review").click()
    expect(page.locator("#points-error")).to_have_text("Claim at least 1 point.")
    expect(page.get_by_label("Provider")).to_have_value("Cisco Live")
    check_axe(page)

    page.get_by_label("Points claimed").fill("6")
    page.get_by_label("Evidence").set_input_files(
        files=[{"name": "attendance.pdf", "mimeType": "application/pdf", "buffer": PDF}]
    )
    page.get_by_role("button", name="Submit for review").click()
    expect(page.get_by_text("Your CE activity was submitted.")).to_be_visible()
    row = page.locator("tbody.ce-activity", has_text="Cisco Live session BRKENS-2000")
    expect(row.get_by_text("Pending review")).to_be_visible()
    row.get_by_text("Cisco Live session BRKENS-2000").click()  # the <details> summary
    expect(row.get_by_role("link", name="attendance.pdf")).to_be_visible()
    check_axe(page)
