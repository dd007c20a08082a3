"""The staff console in Chromium, with JavaScript on and off: sign in with a code, search →
record → grant, import dry run → apply, merge from a case; axe on every console page."""

from datetime import date

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import assert_no_axe_violations, open_section, sign_in_staff

TODAY = date.today()
PDF = b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\n"


@pytest.fixture
def app_config(app_config, tmp_path):
    app_config["UPLOAD_DIR"] = str(tmp_path / "uploads")
    return app_config


@pytest.fixture(params=["javascript", "no-javascript"])
def any_page(request, page, browser):
    """The same flow with JavaScript on (boosted, swapped) and off (plain forms)."""
    if request.param == "javascript":
        yield page
        return
    context = browser.new_context(java_script_enabled=False)
    yield context.new_page()
    context.close()



def test_search_record_grant(any_page, live_server):
    page = any_page
    sign_in_staff(page, live_server)
    open_section(page, "Candidates", "Staff console")
    expect(page.get_by_role("heading", level=1, name="Candidates")).to_be_visible()
    page.get_by_label("Login ID, email, name, registration number or verification code").fill(
        "núñez")
    page.get_by_role("button", name="Search").click()
    page.get_by_role("link", name="CSCO10000002").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Ana Núñez")
    page.get_by_role("link", name="Grant a certification").click()
    page.get_by_role("combobox", name="Certification").select_option("CCNP-ENT")
    page.get_by_role("button", name="Grant").click()
    expect(page.get_by_text("Give the reason (it is kept in the audit log).")).to_be_visible()
    page.get_by_role("textbox", name="Reason").fill("Partner program equivalence")
    page.get_by_role("button", name="Grant").click()
    expect(page.get_by_text("CCNP-ENT was granted to CSCO10000002.")).to_be_visible()
    expect(page.get_by_role("cell", name="Active", exact=True).first).to_be_visible()


def test_import_dry_run_then_apply(any_page, live_server, tmp_path):
    page = any_page
    csv_file = tmp_path / "vue-results.csv"
    csv_file.write_text(
        "login_id,email,first_name,last_name,exam_code,registration_number,grade,taken_on\n"
        f"CSCO40000001,new.person@example.org,New,Person,200-301,BROWSER-1,Pass,{TODAY}\n"
    )
    sign_in_staff(page, live_server)
    open_section(page, "Imports", "Staff console")
    expect(page.get_by_role("heading", level=1, name="Imports")).to_be_visible()
    page.get_by_label("Exam results").check()
    page.get_by_label("CSV file").set_input_files(str(csv_file))
    page.get_by_role("button", name="Check the file (dry run)").click()
    expect(page.get_by_role("heading", name="Dry run of vue-results.csv")).to_be_visible()
    expect(page.get_by_text("1 imported, 0 already imported, 1 new candidate record(s)")
           ).to_be_visible()
    page.get_by_role("button", name="Apply vue-results.csv").click()
    expect(page.get_by_text("Imported: vue-results.csv")).to_be_visible()
    expect(page.get_by_role("cell", name="vue-results.csv")).to_be_visible()


def test_merge_from_the_case(any_page, live_server):
    page = any_page
    sign_in_staff(page, live_server)
    open_section(page, "Support cases", "Staff console")
    expect(page.get_by_role("heading", level=1, name="Support cases")).to_be_visible()
    page.get_by_role("link", name="SC-").first.click()
    expect(page.get_by_role("heading", level=1, name="Case SC-")).to_be_visible()
    page.get_by_role("link", name="Merge these records").click()
    expect(page.get_by_role("heading", name="What moves from CSCO10000004 to CSCO10000003")
           ).to_be_visible()
    page.get_by_role("textbox", name="Reason").fill("Same person, two login IDs")
    page.get_by_role("button", name="Merge CSCO10000004 into CSCO10000003").click()
    expect(page.get_by_text("CSCO10000004 was merged into CSCO10000003.")).to_be_visible()


def test_mark_a_kit_sent(any_page, live_server):
    page = any_page
    sign_in_staff(page, live_server, "fulfillment")
    open_section(page, "Fulfillment", "Staff console")
    expect(page.get_by_role("heading", level=1, name="Fulfillment")).to_be_visible()
    first = page.locator(".kit-queue > li").first
    code = first.locator("h2 code").inner_text()
    first.get_by_label("Carrier tracking number").fill("1Z 999 AA1 0123")
    first.get_by_role("button", name="Mark sent").click()
    expect(page.get_by_text(f"Kit {code} marked sent; the candidate was emailed.")
           ).to_be_visible()
    page.get_by_role("link", name="Sent", exact=True).click()
    expect(page.get_by_text("tracking 1Z 999 AA1 0123")).to_be_visible()


def test_review_a_ce_submission(any_page, live_server, app, db):
    from certportal.domain import ce_submissions
    from certportal.models import Candidate

    john = Candidate.get(Candidate.login_id == "CSCO10000000")
    checked = ce_submissions.check_submission(
        john.id, name="Cisco Live session BRKENS-2000", provider="Cisco Live",
        activity_on=TODAY.isoformat(), points="12",
        uploads=[ce_submissions.Upload("attendance.pdf", PDF)], today=TODAY, max_points=40)
    ce_submissions.submit(john.id, checked, upload_dir=app.config["UPLOAD_DIR"], today=TODAY)
    db.close()  # the live server's threads use their own connections
    page = any_page
    sign_in_staff(page, live_server)
    open_section(page, "CE review", "Staff console")
    expect(page.get_by_role("heading", name="Waiting for review (1)")).to_be_visible()
    page.get_by_role("link", name="Cisco Live session BRKENS-2000").click()
    expect(page.get_by_role("heading", level=1, name="CE activity")).to_be_visible()
    expect(page.get_by_role("link", name="attendance.pdf")).to_be_visible()
    page.get_by_label("Points awarded").fill("13")
    page.get_by_role("button", name="Approve").click()
    expect(page.get_by_text("Award at most 12 points (what was claimed).")).to_be_visible()
    page.get_by_label("Points awarded").fill("10")
    page.get_by_role("button", name="Approve").click()
    expect(page.get_by_text("Approved 10 points for CSCO10000000")).to_be_visible()
    expect(page.get_by_text("No CE activity is waiting for review.")).to_be_visible()


def test_every_console_page_passes_axe(page, live_server, console_errors):
    sign_in_staff(page, live_server, "admin")
    assert_no_axe_violations(page)
    for name in ("Candidates", "Support cases", "CE review", "Imports", "Fulfillment",
                 "Catalog", "Audit log", "Staff accounts"):
        open_section(page, name, "Staff console")
        expect(page.get_by_role("heading", level=1, name=name, exact=False)).to_be_visible()
        assert_no_axe_violations(page)
    open_section(page, "Candidates", "Staff console")
    expect(page.get_by_role("heading", level=1, name="Candidates")).to_be_visible()
    page.get_by_label("Login ID, email, name, registration number or verification code").fill(
        "CSCO10000000")
    page.get_by_role("button", name="Search").click()
    page.get_by_role("link", name="CSCO10000000").click()
    expect(page.get_by_role("heading", name="Audit trail")).to_be_visible()
    assert_no_axe_violations(page)
    page.get_by_role("link", name="Grant a certification").click()
    expect(page.get_by_role("heading", level=1, name="Grant a certification")).to_be_visible()
    assert_no_axe_violations(page)
    page.get_by_role("link", name="CSCO10000000").click()
    page.get_by_role("link", name="Revoke CCNA", exact=True).click()
    expect(page.get_by_role("heading", level=1, name="Revoke")).to_be_visible()
    assert_no_axe_violations(page)
    open_section(page, "Support cases", "Staff console")
    expect(page.get_by_role("heading", level=1, name="Support cases")).to_be_visible()
    page.get_by_role("link", name="SC-").first.click()
    expect(page.get_by_role("heading", level=1, name="Case SC-")).to_be_visible()
    assert_no_axe_violations(page)
    page.get_by_role("link", name="Merge these records").click()
    expect(page.get_by_role("heading", name="What moves from")).to_be_visible()
    assert_no_axe_violations(page)
    assert console_errors == []


def test_sign_in_pages_pass_axe(page, live_server):
    page.goto(f"{live_server}/login")
    page.get_by_label("Login ID or email address").fill("auditor")
    page.get_by_label("Password").fill("certportal-staff")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Your second factor")).to_be_visible()
    assert_no_axe_violations(page)
