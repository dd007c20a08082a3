"""The guide's log-in flow in Chromium, with JavaScript on and off, and axe scans."""

import re

from playwright.sync_api import expect

from tests.browser.conftest import assert_accessible, log_in_through_the_form


def test_log_in_and_out(page, live_server, console_errors):
    log_in_through_the_form(page, live_server)
    expect(page).to_have_url(f"{live_server}/")
    expect(page.get_by_role("heading", name="Welcome, John Doe")).to_be_visible()
    expect(page.get_by_text("ID: CSCO10000000")).to_be_visible()
    page.get_by_role("button", name="Logout").click()
    expect(page).to_have_url(f"{live_server}/login?logged_out=1")
    expect(page.get_by_text("You have logged out.")).to_be_visible()
    page.goto(f"{live_server}/")
    expect(page).to_have_url(re.compile(r"/login\?next=/$"))
    assert console_errors == []


def test_wrong_password_shows_the_error(page, live_server):
    log_in_through_the_form(page, live_server, password="not-my-password")
    expect(page.get_by_role("alert")).to_contain_text(
        "The login ID, email address or password is not correct."
    )
    expect(page.get_by_label("Login ID or email address")).to_be_visible()


def test_boosted_navigation_does_not_reload_the_page(page, live_server, console_errors):
    log_in_through_the_form(page, live_server)
    expect(page.get_by_role("heading", name="Welcome, John Doe")).to_be_visible()
    page.evaluate("window.__stillTheSameDocument = true")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Personal Info").click()
    expect(page).to_have_url(f"{live_server}/personal-info/settings")
    expect(page.get_by_role("heading", name="Settings", level=1)).to_be_visible()
    assert page.evaluate("window.__stillTheSameDocument") is True
    expect(page).to_have_title(re.compile("^Settings"))
    page.go_back()
    expect(page.get_by_role("heading", name="Welcome, John Doe")).to_be_visible()
    assert console_errors == []


def test_log_in_with_javascript_off(no_js_page, live_server):
    log_in_through_the_form(no_js_page, live_server)
    expect(no_js_page).to_have_url(f"{live_server}/")
    expect(no_js_page.get_by_role("heading", name="Welcome, John Doe")).to_be_visible()
    no_js_page.get_by_role("button", name="Logout").click()
    expect(no_js_page).to_have_url(f"{live_server}/login?logged_out=1")


def test_login_page_passes_axe(page, live_server, console_errors):
    page.goto(f"{live_server}/login")
    assert_accessible(page)
    log_in_through_the_form(page, live_server, password="wrong-password-x")
    expect(page.get_by_role("alert")).to_be_visible()
    assert_accessible(page)
    assert console_errors == []


def test_home_page_passes_axe(page, live_server, console_errors):
    log_in_through_the_form(page, live_server)
    expect(page.get_by_role("heading", name="Welcome, John Doe")).to_be_visible()
    assert_accessible(page)
    assert console_errors == []
