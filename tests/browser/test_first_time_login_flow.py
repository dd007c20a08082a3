"""First Time Login in Chromium: both mapping flows with JavaScript on and off, axe on each page.

Mail is not sent here (no MAIL_URL): the development outbox shows the message, and the test
follows its link as a user of `make run` would.
"""

import pytest
from playwright.sync_api import expect

from certportal.domain.demo import UNMAPPED_EMAIL, UNMAPPED_REGISTRATION_NUMBER
from tests.browser.conftest import assert_accessible, log_in_through_the_form

NEW_PASSWORD = "violet kettle harbour 42"
SET_PASSWORD_SUBJECT = "Cisco Certification Tracking System: set your password"


@pytest.fixture
def app_config(app_config):
    app_config["DEVELOPMENT"] = True
    return app_config


@pytest.fixture
def live_server(live_server, app):
    """The live server, with emailed links pointing at it."""
    app.config["BASE_URL"] = live_server
    return live_server


def open_newest_email_link(page, base, subject):
    page.goto(f"{base}/dev/outbox/")
    page.get_by_role("link", name=subject).first.click()
    expect(page.get_by_role("heading", name=subject)).to_be_visible()
    page.locator("pre a[href*='/set-password/']").click()


def set_password_and_log_in(page, base, identifier, axe=False):
    expect(page.get_by_role("heading", name="Set your password")).to_be_visible()
    expect(page.get_by_text("Your login ID is CSCO10000002.")).to_be_visible()
    if axe:
        assert_accessible(page)
    page.get_by_label("New password", exact=True).fill("too short")
    page.get_by_label("Confirm new password").fill("too short")
    page.get_by_role("button", name="Set password").click()
    expect(page.get_by_text("Use at least 12 characters.")).to_be_visible()
    if axe:
        assert_accessible(page)
    page.get_by_label("New password", exact=True).fill(NEW_PASSWORD)
    page.get_by_label("Confirm new password").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Set password").click()
    expect(page.get_by_text("Your account mapping is complete.")).to_be_visible()
    if axe:
        assert_accessible(page)
    page.get_by_role("link", name="Log in to the Certification Tracking System").click()
    log_in_through_the_form(page, base, identifier, NEW_PASSWORD)
    expect(page.get_by_role("heading", name="Welcome, Ana Núñez")).to_be_visible()


def test_map_by_email_address(any_page, live_server):
    page = any_page
    page.goto(f"{live_server}/login")
    page.get_by_role("link", name="Map your account (First Time Login)").click()
    panel = page.get_by_role("region", name="By email address")
    panel.get_by_label("Email address").fill(UNMAPPED_EMAIL)
    panel.get_by_role("button", name="Submit").click()
    expect(page.get_by_role("status")).to_contain_text(
        "An email has been sent to the email address we have on file"
    )
    open_newest_email_link(page, live_server, SET_PASSWORD_SUBJECT)
    set_password_and_log_in(page, live_server, "CSCO10000002")


def test_map_by_score_report_with_a_new_email(any_page, live_server):
    page = any_page
    page.goto(f"{live_server}/first-time-login")
    panel = page.get_by_role("region", name="By score report")
    panel.get_by_label("Last name").fill("Nunez")
    panel.get_by_label("Registration number").fill("VUE-00000000")
    panel.get_by_label("New email address").fill("ana@new-employer.example")
    panel.get_by_role("button", name="Submit").click()
    expect(page.get_by_role("alert")).to_contain_text("No score report matches")
    panel = page.get_by_role("region", name="By score report")
    panel.get_by_label("Registration number").fill(UNMAPPED_REGISTRATION_NUMBER)
    panel.get_by_role("button", name="Submit").click()
    expect(page.get_by_role("status")).to_contain_text("sent to the new email address")
    open_newest_email_link(page, live_server, SET_PASSWORD_SUBJECT)
    set_password_and_log_in(page, live_server, "ana@new-employer.example")


def test_a_mapped_account_cannot_be_taken_over_by_score_report(any_page, live_server, browser):
    owner = browser.new_context().new_page()
    log_in_through_the_form(owner, live_server)
    page = any_page
    page.goto(f"{live_server}/login")
    page.get_by_role("link", name="Map your account (First Time Login)").click()
    panel = page.get_by_role("region", name="By score report")
    panel.get_by_label("Last name").fill("Doe")
    panel.get_by_label("Registration number").fill("219142598")
    panel.get_by_label("New email address").fill("attacker@evil.example")
    panel.get_by_role("button", name="Submit").click()
    expect(page.get_by_role("alert")).to_contain_text("No score report matches")
    # The owner's address on file hears of it; nothing went to the attacker's address.
    page.goto(f"{live_server}/dev/outbox/")
    attempt = page.get_by_role("row").filter(has_text="someone tried to map your account")
    expect(attempt).to_contain_text("csco10000000@certportal.example")
    expect(page.get_by_text("attacker@evil.example")).to_have_count(0)
    # The owner is still logged in and keeps their password.
    owner.reload()
    expect(owner.get_by_role("button", name="Logout")).to_be_visible()
    owner.context.close()


def test_mapping_pages_pass_axe(page, live_server, console_errors):
    page.goto(f"{live_server}/first-time-login")
    assert_accessible(page)
    panel = page.get_by_role("region", name="By score report")
    panel.get_by_label("Last name").fill("Núñez")
    panel.get_by_label("Registration number").fill(UNMAPPED_REGISTRATION_NUMBER)
    panel.get_by_label("New email address").fill("not-an-address")
    panel.get_by_role("button", name="Submit").click()
    expect(page.get_by_text("Enter an email address, for example")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("region", name="By email address").get_by_label("Email address").fill(
        UNMAPPED_EMAIL
    )
    page.get_by_role("region", name="By email address").get_by_role("button", name="Submit").click()
    expect(page.get_by_role("status")).to_be_visible()
    assert_accessible(page)
    open_newest_email_link(page, live_server, SET_PASSWORD_SUBJECT)
    set_password_and_log_in(page, live_server, "CSCO10000002", axe=True)
    assert console_errors == []


def test_forgot_password_support_case_and_outbox_pass_axe(page, live_server, console_errors):
    page.goto(f"{live_server}/login")
    page.get_by_role("link", name="Forgot password?").click()
    assert_accessible(page)
    page.get_by_label("Email address").fill("wang.mei@certportal.example")
    page.get_by_role("button", name="Submit").click()
    expect(page.get_by_role("status")).to_contain_text("An email has been sent")
    assert_accessible(page)

    page.goto(f"{live_server}/support/cases/new")
    assert_accessible(page)
    page.get_by_role("button", name="Open support case").click()
    expect(page.get_by_text("Describe what you need")).to_be_visible()
    assert_accessible(page)
    page.get_by_label("Contact email address").fill("mei@example.org")
    page.get_by_label("Description").fill("Please merge CSCO10000001 with my older record.")
    page.get_by_role("button", name="Open support case").click()
    expect(page.get_by_text("Your support case SC-")).to_be_visible()

    page.goto(f"{live_server}/dev/outbox/")
    expect(page.get_by_role("link", name="Support case SC-")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("link", name="Support case SC-").click()
    expect(page.get_by_text("We have received support case SC-")).to_be_visible()
    assert_accessible(page)
    assert console_errors == []
