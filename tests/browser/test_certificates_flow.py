"""Logos, PDF certificate and verification in Chromium: download, scan, verify; axe."""

import re

import pytest
from playwright.sync_api import expect

from certportal.models import Candidate
from tests.browser.conftest import (
    assert_accessible,
    log_in_through_the_form,
    open_section,
    open_tab,
)
from tests.web.test_certificates import qr_codes_in

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def test_download_a_logo_from_the_logos_page(page, live_server, console_errors):
    log_in_through_the_form(page, live_server)
    open_section(page, "Certifications")
    open_tab(page, "Certifications", "Download Logos")
    expect(page.get_by_role("heading", name="Certification Logos")).to_be_visible()
    assert_accessible(page)
    with page.expect_download() as download_info:
        page.get_by_role(
            "link", name="CCIE Certification - 10-year Achievement", exact=True
        ).click()
    download = download_info.value
    assert download.suggested_filename == "ccie-ei-10y.png"
    with open(download.path(), "rb") as file:
        assert file.read(8) == PNG_SIGNATURE
    page.reload()
    expect(page.get_by_text("You accepted the logo agreement on")).to_be_visible()
    assert console_errors == []


def test_the_certifications_tables_logo_link_downloads_the_right_file(page, live_server):
    log_in_through_the_form(page, live_server)
    open_section(page, "Certifications")
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Logo: CCIE Enterprise Infrastructure").click()
    assert download_info.value.suggested_filename == "ccie-ei-logo.png"
    assert_accessible(page)


def test_scan_the_pdf_certificate_then_consent_is_withdrawn(page, browser, live_server, db):
    log_in_through_the_form(page, live_server)
    open_section(page, "Certifications")
    with page.expect_download() as download_info:
        page.get_by_role("link", name="PDF Certificate: CCNA", exact=True).click()
    download = download_info.value
    assert download.suggested_filename == "CCNA-certificate-John-Doe.pdf"
    with open(download.path(), "rb") as file:
        (scanned,) = qr_codes_in(file.read())
    # The QR code names the canonical BASE_URL; the employer's phone opens that path here.
    path = scanned.removeprefix("http://localhost")
    assert re.fullmatch(r"/verify/[0-9A-Z]{16}", path)
    employer = browser.new_context().new_page()
    employer.goto(f"{live_server}{path}")
    expect(employer.get_by_role("heading", name="Certification active")).to_be_visible()
    expect(employer.get_by_text("John Doe")).to_be_visible()
    assert_accessible(employer)
    Candidate.update(verification_consent=False).where(
        Candidate.login_id == "CSCO10000000"
    ).execute()
    employer.reload()
    expect(employer.get_by_role("heading", name="Cannot be verified")).to_be_visible()
    expect(employer.get_by_text("John Doe")).to_have_count(0)
    employer.context.close()


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_verify_a_code_typed_into_the_form(browser, live_server, db, javascript):
    from tests.web.test_verification import held

    code = held("CCNA").verification_code
    context = browser.new_context(java_script_enabled=javascript)
    page = context.new_page()
    page.goto(f"{live_server}/verify")
    if javascript:
        page.evaluate("window.__stillTheSameDocument = true")
    page.get_by_label("Verification code").fill("not a code")
    page.get_by_role("button", name="Verify").click()
    expect(page.get_by_text("A verification code has 16 letters and digits")).to_be_visible()
    if javascript:  # axe runs as a script: only where scripts run (the HTML is the same)
        assert_accessible(page)
    page.get_by_label("Verification code").fill(code.lower())
    page.get_by_role("button", name="Verify").click()
    expect(page.get_by_role("heading", name="Certification active")).to_be_visible()
    expect(page).to_have_url(re.compile(rf"/verify\?code={code.lower()}$"))
    if javascript:
        assert page.evaluate("window.__stillTheSameDocument") is True
        assert_accessible(page)
    context.close()
