"""Digital Badges in Chromium: the tab reached from the navigation, its downloads (the baked
PNG and SVG carry the same credential as the JSON), sharing, the public page with JavaScript
on and off, withdrawn consent, and axe on every page."""

import json
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from certportal.documents.badges import unbake_png, unbake_svg
from tests.browser.conftest import assert_accessible, log_in_through_the_form


def open_badges(page, base):
    log_in_through_the_form(page, base)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Digital Badges").click()
    expect(page.get_by_role("heading", name="Digital Badges", level=1)).to_be_visible()


def card(page, name):
    heading = page.get_by_role("heading", name=name, exact=True)
    return page.locator(".badge-card").filter(has=heading)


def check_axe(page, javascript):
    """axe at desktop and phone widths, and reflow into 320 px: they run as scripts in the
    page, so only where the page may run scripts."""
    if javascript:
        assert_accessible(page)


def download(page, link) -> bytes:
    with page.expect_download() as started:
        link.click()
    return Path(started.value.path()).read_bytes()


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_the_tab_its_downloads_and_sharing(browser, live_server, javascript):
    context = browser.new_context(java_script_enabled=javascript, accept_downloads=True)
    page = context.new_page()
    open_badges(page, live_server)
    expect(page.locator(".badge-card h2")).to_have_text(
        ["CCNA", "CCIE Enterprise Infrastructure",
         "Cisco Certified Specialist - Enterprise Core"])
    check_axe(page, javascript)

    ccna = card(page, "CCNA")
    expect(ccna.get_by_text("Active", exact=True)).to_be_visible()
    credential = json.loads(download(page, ccna.get_by_role(
        "link", name="Download the CCNA badge as credential (.json)")))
    png = download(page, ccna.get_by_role(
        "link", name="Download the CCNA badge as baked image (.png)"))
    svg = download(page, ccna.get_by_role(
        "link", name="Download the CCNA badge as baked image (.svg)"))
    assert credential["type"] == ["VerifiableCredential", "OpenBadgeCredential"]
    assert json.loads(unbake_png(png)) == credential
    assert json.loads(unbake_svg(svg.decode())) == credential

    ccna.get_by_text("Share the CCNA badge").click()
    link = ccna.get_by_label("Public badge page link")
    expect(link).to_be_visible()
    assert re.fullmatch(r"http://localhost/badges/[0-9A-Z]{20}", link.input_value())
    copy = ccna.get_by_role("button", name="Copy link")
    expect(copy).to_be_visible() if javascript else expect(copy).to_be_hidden()
    add = ccna.get_by_role("link", name=re.compile("^Add to LinkedIn profile"))
    assert add.get_attribute("href").startswith(
        "https://www.linkedin.com/profile/add?startTask=CERTIFICATION_NAME&name=CCNA")
    check_axe(page, javascript)

    if javascript:
        page.evaluate("window.__stillTheSameDocument = true")
    page.get_by_label("Let search engines list my public badge pages").check()
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Saved: your choice for search engines")).to_be_visible()
    expect(page.get_by_label("Let search engines list my public badge pages")).to_be_checked()
    if javascript:
        assert page.evaluate("window.__stillTheSameDocument") is True
    context.close()


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_a_third_party_opens_the_public_page(browser, live_server, javascript):
    owner = browser.new_context()
    page = owner.new_page()
    open_badges(page, live_server)
    card(page, "CCNA").get_by_text("Share the CCNA badge").click()
    path = card(page, "CCNA").get_by_label("Public badge page link").input_value().removeprefix(
        "http://localhost")
    owner.close()

    third_party = browser.new_context(java_script_enabled=javascript)
    viewer = third_party.new_page()
    response = viewer.goto(f"{live_server}{path}")
    assert response.status == 200
    expect(viewer.get_by_role("heading", name="CCNA", level=1)).to_be_visible()
    expect(viewer.get_by_text("Held by John Doe")).to_be_visible()
    expect(viewer.locator(".badge-status")).to_contain_text("Active")
    expect(viewer.get_by_role("heading", name="Criteria")).to_be_visible()
    expect(viewer.locator(".badge-criteria li")).to_have_text(["Pass exam 200-301"])
    image = viewer.get_by_role("img", name="Cisco CCNA badge")
    assert image.evaluate("element => element.complete && element.naturalWidth") > 0
    assert third_party.cookies() == []
    check_axe(viewer, javascript)
    with viewer.expect_download() as started:
        viewer.get_by_role("link", name="Download the signed credential (JSON)").click()
    assert json.loads(Path(started.value.path()).read_text())["credentialStatus"]
    third_party.close()


def test_withdrawn_consent_hides_the_public_page_but_not_the_downloads(browser, live_server):
    context = browser.new_context(accept_downloads=True)
    page = context.new_page()
    open_badges(page, live_server)
    card(page, "CCNA").get_by_text("Share the CCNA badge").click()
    path = card(page, "CCNA").get_by_label("Public badge page link").input_value().removeprefix(
        "http://localhost")

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Personal Info").click()
    page.get_by_role("group", name="Verification of Certification").get_by_label("No").check()
    page.get_by_role("button", name="Update/Confirm").click()
    expect(page.get_by_text("Your settings have been confirmed.")).to_be_visible()
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Digital Badges").click()
    expect(page.get_by_text('Your public badge pages answer "not available"')).to_be_visible()
    png = download(page, card(page, "CCNA").get_by_role(
        "link", name="Download the CCNA badge as baked image (.png)"))
    assert json.loads(unbake_png(png))["type"][1] == "OpenBadgeCredential"

    viewer = browser.new_context().new_page()
    response = viewer.goto(f"{live_server}{path}")
    assert response.status == 404
    expect(viewer.get_by_role("heading", name="This badge is not available")).to_be_visible()
    expect(viewer.get_by_text("John Doe")).to_have_count(0)
    assert_accessible(viewer)
    context.close()
