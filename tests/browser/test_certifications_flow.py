"""Certifications in Chromium: expand and collapse a detail with JavaScript on and off; axe."""

from playwright.sync_api import expect

from tests.browser.conftest import (
    assert_accessible,
    log_in_through_the_form,
    open_section,
    open_tab,
)
from tests.factories import publish_certification_agreement


def open_certifications(page, base):
    log_in_through_the_form(page, base)
    open_section(page, "Certifications")
    expect(page.get_by_role("heading", name="Active certifications")).to_be_visible()


def test_expand_and_collapse_in_place_with_javascript(page, live_server, console_errors):
    open_certifications(page, live_server)
    page.evaluate("window.__stillTheSameDocument = true")
    name = page.get_by_role("link", name="CCNA (CCNA)")
    expect(name).to_have_attribute("aria-expanded", "false")
    name.click()
    detail = page.locator("#detail-CCNA")
    expect(detail.get_by_text("1.2 – (10 / 30)")).to_be_visible()
    expect(detail.get_by_role("heading", name="+10 Cisco CE Credits")).to_be_visible()
    expect(name).to_have_attribute("aria-expanded", "true")
    expect(page).to_have_url(f"{live_server}/certifications/")
    assert page.evaluate("window.__stillTheSameDocument") is True
    assert_accessible(page)

    name.click()
    expect(detail.get_by_text("1.2 – (10 / 30)")).to_have_count(0)
    expect(name).to_have_attribute("aria-expanded", "false")
    name.click()
    expect(detail.get_by_text("1.1 – (0 / 1)")).to_be_visible()
    assert console_errors == []


def test_detail_has_its_own_page_without_javascript(no_js_page, live_server):
    open_certifications(no_js_page, live_server)
    no_js_page.get_by_role("link", name="CCNA (CCNA)").click()
    expect(no_js_page).to_have_url(f"{live_server}/certifications/CCNA")
    expect(no_js_page.get_by_role("heading", level=1, name="CCNA (CCNA)")).to_be_visible()
    expect(no_js_page.get_by_text("1 – (0 / 1)", exact=True)).to_be_visible()
    expect(no_js_page.get_by_text("Recertified by exam 350-401")).to_be_visible()
    # Collapsing without JavaScript is going back to the list.
    no_js_page.get_by_role("link", name="Back to Certifications").click()
    expect(no_js_page).to_have_url(f"{live_server}/certifications/")
    expect(no_js_page.get_by_text("1 – (0 / 1)", exact=True)).to_have_count(0)


def test_certification_pages_pass_axe(page, live_server, console_errors):
    open_certifications(page, live_server)
    assert_accessible(page)
    page.goto(f"{live_server}/certifications/CCNA")
    expect(page.get_by_role("heading", name="History")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("link", name="Certification Agreement").click()
    expect(page.get_by_text("Version", exact=True)).to_be_visible()
    assert_accessible(page)
    assert console_errors == []


def test_accept_the_agreement_without_javascript(no_js_page, live_server):
    publish_certification_agreement()  # Mei accepted V9 at her exam; V10 is new to her
    log_in_through_the_form(no_js_page, live_server, "CSCO10000001", "second-demo-password")
    open_section(no_js_page, "Certifications")
    open_tab(no_js_page, "Certifications", "Certification Agreement")
    no_js_page.get_by_role("button", name="Accept").click()
    expect(no_js_page.get_by_text("Tick the box to accept the agreement.")).to_be_visible()
    no_js_page.get_by_label("I have read and accept this agreement").check()
    no_js_page.get_by_role("button", name="Accept").click()
    expect(no_js_page.get_by_text("you accepted the Certification Agreement")).to_be_visible()
