"""Transcripts in Chromium: create in place, email, open as a third party, see the view."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import assert_accessible, log_in_through_the_form, open_section


@pytest.fixture
def app_config(app_config, smtp_server):
    app_config["MAIL_URL"] = smtp_server.url
    return app_config


def create_transcript(page, base, javascript):
    open_section(page, "Transcripts")
    if javascript:
        page.evaluate("window.__stillTheSameDocument = true")
    page.get_by_role("link", name="Create new transcript").click()
    form = page.locator("#transcript-form")
    names = form.get_by_role("group", name="Display name")
    expect(names.get_by_label("John Doe (full name)")).to_be_checked()
    if javascript:
        # The form opened in place, on the Transcripts page.
        expect(page).to_have_url(f"{base}/transcripts")
        expect(page.get_by_role("heading", name="Transcripts", level=1)).to_be_visible()
    else:
        expect(page).to_have_url(f"{base}/transcripts/new")

    # A mistake first: "chosen" with nothing chosen is refused beside the list.
    form.get_by_label("Only the certifications selected below").check()
    form.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Select at least one certification to display.")).to_be_visible()

    form = page.locator("#transcript-form")
    form.get_by_label("CCNA", exact=True).check()
    form.get_by_label("Description").fill("For Acme Networks")
    form.get_by_label("Remarks").fill("References on request.")
    form.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Transcript created")).to_be_visible()
    expect(page.locator("#transcript-form")).to_have_count(0)
    row = page.get_by_role("row").filter(has_text="For Acme Networks")
    expect(row).to_be_visible()
    if javascript:
        assert page.evaluate("window.__stillTheSameDocument") is True
    return row


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_create_email_and_third_party_view(browser, live_server, smtp_server, javascript):
    context = browser.new_context(java_script_enabled=javascript)
    page = context.new_page()
    log_in_through_the_form(page, live_server)
    row = create_transcript(page, live_server, javascript)
    expect(row.get_by_role("link", name=re.compile("^0 views"))).to_be_visible()

    row.get_by_role("link", name=re.compile(r"^Email \/ Link")).click()
    expect(page.get_by_role("heading", name="Email this Transcript")).to_be_visible()
    link = page.get_by_label("Transcript link").input_value()
    assert re.fullmatch(r"http://localhost/t/[0-9A-Z]{16}", link)
    copy_button = page.get_by_role("button", name="Copy link")
    expect(copy_button).to_be_visible() if javascript else expect(copy_button).to_be_hidden()

    page.get_by_label("To:").fill("hr@acme.example")
    page.get_by_role("button", name="Preview Email").click()
    expect(page.locator(".email-subject")).to_have_text("Cisco - Transcript for John Doe")
    previewed = page.locator(".email-text").inner_text()
    page.get_by_role("button", name="Send").click()
    expect(page.get_by_text("Transcript sent to hr@acme.example.")).to_be_visible()
    [message] = smtp_server.delivered(1)
    body = message.get_body(("plain",)).get_content().replace("\r\n", "\n")
    assert body.strip() == previewed.strip()

    # The third party: a fresh browser context, no login, the link from the email.
    path = re.search(r"http://localhost(/t/[0-9A-Z]{16})", body).group(1)
    third_party = browser.new_context(java_script_enabled=javascript)
    viewer = third_party.new_page()
    response = viewer.goto(f"{live_server}{path}")
    assert response.status == 200
    expect(viewer.get_by_text("View Transcript")).to_be_visible()
    expect(viewer.get_by_role("heading", name="John Doe", level=1)).to_be_visible()
    expect(viewer.get_by_role("cell", name="CCNA (CCNA)")).to_be_visible()
    expect(viewer.get_by_role("cell", name=re.compile("CCIE"))).to_have_count(0)
    expect(viewer.get_by_role("heading", name="Verified by Cisco", exact=True)).to_be_visible()
    own_words = viewer.get_by_role("region", name="Remarks from John Doe (not verified by Cisco)")
    expect(own_words.get_by_text("References on request.")).to_be_visible()
    third_party.close()

    open_section(page, "Transcripts")
    row = page.get_by_role("row").filter(has_text="For Acme Networks")
    expect(row.get_by_role("link", name=re.compile("^1 views"))).to_be_visible()
    context.close()


def test_edit_and_disable_in_place_then_the_link_is_not_available(
    page, live_server, console_errors
):
    log_in_through_the_form(page, live_server)
    row = create_transcript(page, live_server, javascript=True)
    public_id = re.search(r"ID ([0-9A-Z]{16})", row.inner_text()).group(1)
    row.get_by_role("link", name=re.compile("^Edit transcript")).click()
    form = page.locator("#transcript-form")
    expect(form.get_by_label("Description")).to_have_value("For Acme Networks")
    expect(page).to_have_url(f"{live_server}/transcripts")
    form.get_by_label("Description").fill("For Acme Networks, 2nd round")
    form.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Transcript saved")).to_be_visible()
    row = page.get_by_role("row").filter(has_text="For Acme Networks, 2nd round")
    row.get_by_role("button", name=re.compile("^Disable")).click()
    expect(page.get_by_text("Transcript disabled")).to_be_visible()
    response = page.request.get(f"{live_server}/t/{public_id}")
    assert response.status == 404
    page.get_by_role("row").filter(has_text="For Acme Networks").get_by_role(
        "button", name=re.compile("^Enable")).click()
    expect(page.get_by_text("Transcript enabled")).to_be_visible()
    assert page.request.get(f"{live_server}/t/{public_id}").status == 200
    assert console_errors == []


def test_transcripts_page_form_email_and_public_page_pass_axe(page, live_server, console_errors):
    log_in_through_the_form(page, live_server)
    open_section(page, "Transcripts")
    assert_accessible(page)
    page.get_by_role("link", name="Create new transcript").click()
    expect(page.get_by_role("group", name="Display name")).to_be_visible()
    assert_accessible(page)
    page.get_by_label("On this date:").check()
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("alert")).to_contain_text("Nothing was saved")
    assert_accessible(page)
    page.get_by_label("J. Doe (initials of given names)").check()
    page.get_by_label("30 days").check()
    page.get_by_label("Remarks").fill("Open to contract work.")
    page.get_by_label("Show address").check()
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Transcript created")).to_be_visible()
    assert_accessible(page)

    page.get_by_role("link", name=re.compile(r"^Email \/ Link")).click()
    page.get_by_label("To:").fill("hr@acme.example")
    page.get_by_role("button", name="Preview Email").click()
    expect(page.locator(".email-subject")).to_be_visible()
    assert_accessible(page)
    public_url = page.get_by_label("Transcript link").input_value().replace(
        "http://localhost", live_server)
    page.get_by_role("button", name="Copy link").click()
    expect(page.locator(".copy-status")).not_to_be_empty()

    page.goto(public_url)
    expect(page.get_by_role("heading", name="J. Doe", level=1)).to_be_visible()
    expect(page.get_by_text("Open to contract work.")).to_be_visible()
    assert_accessible(page)
    page.goto(f"{live_server}/t/0000000000000000")
    expect(page.get_by_role("heading", name="This transcript is not available")).to_be_visible()
    assert_accessible(page)
    assert console_errors == []
