"""Personal Info and Home in Chromium: edit with JavaScript on and off; axe on each tab."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import (
    assert_accessible,
    log_in_through_the_form,
    open_section,
    open_tab,
)


def open_settings(page, base):
    log_in_through_the_form(page, base)
    expect(page.get_by_role("heading", name="Welcome, John Doe")).to_be_visible()
    open_section(page, "Personal Info")


def test_confirm_settings_in_place_with_javascript(page, live_server, console_errors):
    open_settings(page, live_server)
    page.evaluate("window.__stillTheSameDocument = true")
    consent = page.get_by_role("group", name="Verification of Certification")
    consent.get_by_label("No").check()
    page.get_by_role("button", name="Update/Confirm").click()
    expect(page.get_by_role("status")).to_have_text("Your settings have been confirmed.")
    assert page.evaluate("window.__stillTheSameDocument") is True
    page.reload()
    expect(consent.get_by_label("No")).to_be_checked()
    assert console_errors == []


def test_confirm_settings_without_javascript(no_js_page, live_server):
    open_settings(no_js_page, live_server)
    no_js_page.get_by_role("group", name="Cisco Employee").get_by_label("Yes").check()
    no_js_page.get_by_role("button", name="Update/Confirm").click()
    expect(no_js_page).to_have_url(f"{live_server}/personal-info/settings")
    expect(no_js_page.get_by_text("Your settings have been confirmed.")).to_be_visible()
    expect(
        no_js_page.get_by_role("group", name="Cisco Employee").get_by_label("Yes")
    ).to_be_checked()


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_change_job_title(browser, live_server, javascript):
    context = browser.new_context(java_script_enabled=javascript)
    page = context.new_page()
    log_in_through_the_form(page, live_server)
    open_section(page, "Personal Info")
    open_tab(page, "Personal Info", "Attributes")
    page.get_by_label("Job Title").fill("x" * 101)
    page.get_by_role("button", name="Update/Confirm").click()
    expect(page.get_by_text("Use at most 100 characters for your job title.")).to_be_visible()
    # No job title is a valid answer too.
    page.get_by_label("Job Title").fill("")
    page.get_by_role("button", name="Update/Confirm").click()
    expect(page.get_by_text("Your job title has been updated.")).to_be_visible()
    page.reload()
    expect(page.get_by_label("Job Title")).to_have_value("")
    page.get_by_label("Job Title").fill("Court Jester")
    page.get_by_role("button", name="Update/Confirm").click()
    expect(page.get_by_text("Your job title has been updated.")).to_be_visible()
    page.reload()
    expect(page.get_by_label("Job Title")).to_have_value("Court Jester")
    context.close()


def test_personal_info_tabs_and_home_pass_axe(page, live_server, console_errors):
    log_in_through_the_form(page, live_server)
    expect(page.get_by_role("heading", name="Needs your attention")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Personal Info").click()
    for tab, heading in (
        ("Settings", "Settings"),
        ("Attributes", "Candidate Attributes"),
        ("Identification", "Cisco Identifiers"),
    ):
        page.get_by_role("navigation", name="Personal Info").get_by_role("link", name=tab).click()
        expect(page.get_by_role("heading", name=heading, level=1)).to_be_visible()
        assert_accessible(page)
    assert console_errors == []


def test_settings_errors_pass_axe(page, live_server):
    log_in_through_the_form(page, live_server, "CSCO10000001", "second-demo-password")
    open_section(page, "Personal Info")
    page.get_by_role("button", name="Update/Confirm").click()
    expect(page.get_by_role("alert")).to_contain_text("Nothing was saved")
    assert_accessible(page)


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_change_password_and_end_a_session(browser, live_server, javascript):
    other = browser.new_context()
    log_in_through_the_form(other.new_page(), live_server)
    context = browser.new_context(java_script_enabled=javascript)
    page = context.new_page()
    log_in_through_the_form(page, live_server)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Personal Info").click()
    page.get_by_role("link", name="Password & Sessions").click()
    expect(page.get_by_role("heading", name="Where you are logged in")).to_be_visible()
    if javascript:  # axe runs in the page: it needs JavaScript
        assert_accessible(page)
    expect(page.get_by_role("button", name="End session")).to_have_count(1)
    page.get_by_label("Current password").fill("not my password")
    page.get_by_label(re.compile(r"^New password")).fill("a fresh and long passphrase")
    page.get_by_label("Confirm new password").fill("a fresh and long passphrase")
    page.get_by_role("button", name="Change password").click()
    expect(page.get_by_text("This is not your current password.")).to_be_visible()
    if javascript:  # axe runs in the page: it needs JavaScript
        assert_accessible(page)
    page.get_by_label("Current password").fill("certportal-demo")
    page.get_by_label(re.compile(r"^New password")).fill("a fresh and long passphrase")
    page.get_by_label("Confirm new password").fill("a fresh and long passphrase")
    page.get_by_role("button", name="Change password").click()
    expect(page.get_by_text("Your password has been changed.")).to_be_visible()
    # The other browser was logged out by the change.
    expect(page.get_by_role("button", name="End session")).to_have_count(0)
    context.close()
    other.close()
