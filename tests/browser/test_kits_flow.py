"""Certificates & Plaques in Chromium: claim the free kit, buy a kit with tracking and pay
through localstripe's card element, a declined and an abandoned payment, a Roman-only
violation, the confirmation email over SMTP; JavaScript on and off where the flow allows."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import (
    DESKTOP_WIDTH,
    PHONE_WIDTH,
    REFLOW_WIDTH,
    assert_accessible,
    at_width,
    horizontal_overflow,
    log_in_through_the_form,
    open_section,
    open_tab,
)

SPECIALIST = "Specialist - Enterprise Core Certificate"
PLAQUE = "CCIE Enterprise Infrastructure Plaque"
SUBMITTED = "The following fulfillment have been successfully purchased and submitted"


@pytest.fixture
def paying(app_config, stripe_settings, localstripe):
    """The portal under test pays through localstripe, whose events reach its webhook."""
    app_config.update(stripe_settings)
    return localstripe


@pytest.fixture
def mailing(app_config, smtp_server):
    app_config["MAIL_URL"] = smtp_server.url
    return smtp_server


def axe(page):
    """axe-core at 1280 and 375 px and reflow into 320 px: axe runs in the page, so only
    where JavaScript runs (the JS variant of each test covers the same pages)."""
    if getattr(page, "javascript", True):
        assert_accessible(page)


def open_claim_page(page, live_server):
    log_in_through_the_form(page, live_server)
    open_section(page, "Certificates & Plaques")
    expect(page.get_by_role("heading", name="Certification Fulfillment Kit History & Status")) \
        .to_be_visible()
    open_tab(page, "Certificates & Plaques", "Claim & Purchase Fulfillment")
    expect(page.get_by_role("heading", name="Claim & Purchase Fulfillment")).to_be_visible()


def choose(page, *kits, tracking=False):
    for kit in kits:
        page.get_by_label(kit).check()
    if tracking:
        page.get_by_label(re.compile(r"^Tracking: ")).check()
    page.get_by_role("button", name="Purchase").click()
    expect(page.get_by_role("heading", name="Demographics - English (Roman) alphabet only")) \
        .to_be_visible()


def test_claim_the_free_kit_from_home_to_the_confirmation(any_page, live_server,
                                                        console_errors):
    page = any_page
    log_in_through_the_form(page, live_server)
    page.get_by_role("link", name="Claim it in Certificates & Plaques").click()
    expect(page.get_by_role("heading", name="Claim & Purchase Fulfillment")).to_be_visible()
    expect(page.get_by_role("row", name=re.compile(SPECIALIST))).to_contain_text("$0.00")
    axe(page)

    choose(page, SPECIALIST)
    expect(page.locator("#city")).to_have_value("Raleigh")
    expect(page.locator("#country")).to_have_value("US")
    axe(page)
    page.get_by_role("button", name="Confirm").click()

    expect(page.get_by_text(SUBMITTED)).to_be_visible()
    expect(page.get_by_role("row", name=re.compile(SPECIALIST))).to_contain_text("$0.00")
    expect(page.get_by_text("Please allow 6-8 weeks for processing and shipping")).to_be_visible()
    axe(page)

    page.get_by_role("link", name="Follow your kits in Fulfillment History & Status").click()
    row = page.get_by_role("row", name=re.compile(r"Specialist - Enterprise Core \(Certificate\)"))
    expect(row).to_contain_text("Queued")
    axe(page)
    open_section(page, "Home")
    expect(page.get_by_role("heading", name="Needs your attention")).to_be_visible()
    expect(page.get_by_text("Your free initial kit for")).to_have_count(0)
    assert console_errors == []


def test_a_name_in_another_script_is_refused_beside_the_field(any_page, live_server):
    page = any_page
    open_claim_page(page, live_server)
    choose(page, SPECIALIST)
    page.locator("#first_name").fill("王美")
    page.locator("#localized_first_name").fill("美")
    page.get_by_role("button", name="Confirm").click()
    error = page.locator("#first_name-error")
    expect(error).to_contain_text("Use the English (Roman) alphabet here.")
    expect(page.locator("#first_name")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#localized_first_name")).to_have_value("美")
    axe(page)
    page.locator("#first_name").fill("Mei")
    page.get_by_role("button", name="Confirm").click()
    expect(page.get_by_text(SUBMITTED)).to_be_visible()


def test_an_empty_selection_is_refused(any_page, live_server):
    page = any_page
    open_claim_page(page, live_server)
    page.get_by_role("button", name="Purchase").click()
    expect(page.locator("#kits-error")).to_have_text(
        "Select at least one kit to claim or purchase.")
    axe(page)


def fill_card(page, number):
    """localstripe's stand-in for the provider's card element: plain inputs in #card-element."""
    element = page.locator("#card-element")
    element.get_by_placeholder("number").fill(number)
    element.get_by_placeholder("exp_month").fill("12")
    element.get_by_placeholder("exp_year").fill("34")
    element.get_by_placeholder("cvc").fill("123")
    element.get_by_placeholder("postal_code").fill("27601")


def assert_accessible_around_the_card_element(page):
    """axe at 1280 and 375 px on the page less the provider's own element (localstripe's
    stand-in draws placeholder-only inputs; Stripe's real element is its own labelled frame),
    and reflow into 320 px."""
    from axe_playwright_python.sync_playwright import Axe

    from tests.browser.conftest import AXE_OPTIONS

    size = page.viewport_size
    try:
        for width in (DESKTOP_WIDTH, PHONE_WIDTH):
            at_width(page, width)
            results = Axe().run(page, context={"exclude": [["#card-element"]]},
                                options=AXE_OPTIONS)
            assert results.violations_count == 0, f"at {width} px: {results.generate_report()}"
        at_width(page, REFLOW_WIDTH)
        assert horizontal_overflow(page, REFLOW_WIDTH) == []
    finally:
        page.set_viewport_size(size)


def buy_the_plaque_with_tracking(page, live_server):
    open_claim_page(page, live_server)
    choose(page, PLAQUE, tracking=True)
    page.get_by_role("button", name="Confirm").click()
    expect(page.get_by_role("heading", name="Confirm your order")).to_be_visible()
    expect(page.locator(".order-table tfoot")).to_contain_text("$85.00")
    axe(page)
    page.get_by_role("button", name="Continue to payment").click()
    expect(page.get_by_role("heading", name="Payment", exact=True)).to_be_visible()


def test_buy_a_kit_with_tracking_and_pay_with_a_test_card(paying, browser, live_server,
                                                         console_errors, page):
    buy_the_plaque_with_tracking(page, live_server)
    expect(page.locator("#card-element input")).to_have_count(5)
    assert_accessible_around_the_card_element(page)
    fill_card(page, "4242424242424242")
    page.get_by_role("button", name="Pay $85.00").click()
    expect(page.get_by_text(SUBMITTED)).to_be_visible()
    expect(page.get_by_role("row", name=re.compile(PLAQUE))).to_contain_text("$75.00")
    expect(page.get_by_role("row", name="Tracking")).to_contain_text("$10.00")
    assert console_errors == []

    open_section(page, "Testing History")
    open_tab(page, "Testing History", "E-commerce Transactions")
    first_row = page.locator("tbody tr").first
    expect(first_row).to_contain_text("Kit purchase with trackable shipping")
    expect(first_row).to_contain_text("$85.00")
    expect(first_row).to_contain_text("Completed")


def test_a_declined_card_then_an_abandoned_payment_then_paying_later(paying, live_server, page):
    buy_the_plaque_with_tracking(page, live_server)
    fill_card(page, "4000000000000341")
    page.get_by_role("button", name="Pay $85.00").click()
    expect(page.get_by_role("alert").filter(has_text="Your card was declined")).to_be_visible()
    assert_accessible_around_the_card_element(page)

    # The candidate leaves; the order waits, unpaid, under Certificates & Plaques.
    open_section(page, "Certificates & Plaques")
    expect(page.get_by_role("heading", name="Orders awaiting payment")).to_be_visible()
    axe(page)
    page.get_by_role("link", name=re.compile(r"^Pay for order ")).click()
    fill_card(page, "4242424242424242")
    page.get_by_role("button", name="Pay $85.00").click()
    expect(page.get_by_text(SUBMITTED)).to_be_visible()


def test_a_card_asking_for_3d_secure_is_confirmed_in_the_browser(paying, live_server, page):
    buy_the_plaque_with_tracking(page, live_server)
    fill_card(page, "4000002500003155")
    page.get_by_role("button", name="Pay $85.00").click()
    # localstripe's stand-in plays the bank's check in a small dialog of its own.
    page.get_by_role("button", name="Complete authentication").click()
    expect(page.get_by_text(SUBMITTED)).to_be_visible()


def test_without_javascript_the_payment_page_says_why_and_the_order_can_be_cancelled(
        paying, live_server, no_js_page):
    page = no_js_page
    page.javascript = False
    buy_the_plaque_with_tracking(page, live_server)
    expect(page.get_by_text("Paying by card needs JavaScript")).to_be_visible()
    expect(page.get_by_role("button", name="Pay $85.00")).to_be_hidden()
    page.get_by_role("button", name="Cancel order").click()
    expect(page.get_by_text("Your order was cancelled; nothing was charged.")).to_be_visible()


def test_the_confirmation_email_arrives_over_smtp(mailing, live_server, page):
    open_claim_page(page, live_server)
    choose(page, SPECIALIST)
    page.get_by_role("button", name="Confirm").click()
    expect(page.get_by_text(SUBMITTED)).to_be_visible()
    [message] = mailing.delivered(1, timeout=30)
    assert message["To"] == "csco10000000@certportal.example"
    assert re.fullmatch(r"Cisco order [0-9A-Z]{16}: claim submitted", message["Subject"])
    text = message.get_body(("plain",)).get_content()
    assert SUBMITTED in text and f"{SPECIALIST}: $0.00" in text
    assert "Please allow 6-8 weeks for processing and shipping." in text
