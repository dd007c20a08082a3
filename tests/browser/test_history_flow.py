"""Testing History in Chromium: sort by headers, Back, search, expand a CE row; JS on and off."""

import re

from playwright.sync_api import expect

from tests.browser.conftest import assert_accessible, log_in_through_the_form, open_section


def first_registration_number(page) -> str:
    return page.locator("#exam-table tbody tr").first.locator("td").nth(2).inner_text()


def test_sort_by_clicking_headers_and_go_back(any_page, live_server):
    page = any_page
    log_in_through_the_form(page, live_server)
    open_section(page, "Testing History")
    expect(page.get_by_role("heading", name="Exams", level=1)).to_be_visible()
    if page.javascript:
        page.evaluate("window.__stillTheSameDocument = true")
    newest = first_registration_number(page)

    page.get_by_role("link", name=re.compile(r"^Date")).click()
    expect(page).to_have_url(f"{live_server}/testing-history/?sort=date&dir=asc")
    expect(page.locator("th[aria-sort=ascending]")).to_contain_text("Date")
    expect(page.locator("#exam-table tbody tr").first).to_contain_text("UniqueRegNum_1011693")

    page.get_by_role("link", name=re.compile(r"^Registration number")).click()
    expect(page).to_have_url(f"{live_server}/testing-history/?sort=registration&dir=asc")
    expect(page.locator("#exam-table tbody tr").first).to_contain_text("219142598")
    page.get_by_role("link", name=re.compile(r"^Registration number")).click()
    expect(page).to_have_url(f"{live_server}/testing-history/?sort=registration&dir=desc")
    expect(page.locator("th[aria-sort=descending]")).to_contain_text("Registration number")
    expect(page.locator("#exam-table tbody tr").first).to_contain_text("VUE-79935517")
    expect(page.locator("#exam-table tbody tr").nth(10)).to_contain_text("n7dnt508")
    if page.javascript:
        # Only the table was swapped: the document is the same one, and keyboard focus
        # stays on the header just used.
        assert page.evaluate("window.__stillTheSameDocument") is True
        expect(page.locator("#sort-registration")).to_be_focused()

    page.go_back()
    expect(page).to_have_url(f"{live_server}/testing-history/?sort=registration&dir=asc")
    expect(page.locator("#exam-table tbody tr").first).to_contain_text("219142598")
    page.go_back()
    page.go_back()
    expect(page).to_have_url(f"{live_server}/testing-history/")
    expect(page.locator("#exam-table tbody tr").first).to_contain_text(newest)


def test_search_and_expand_a_ce_activity(any_page, live_server):
    page = any_page
    log_in_through_the_form(page, live_server)
    open_section(page, "Testing History")
    page.get_by_role("navigation", name="Testing History").get_by_role(
        "link", name="CE Activities").click()
    expect(page.get_by_role("heading", name="Continuing education activities")).to_be_visible()
    rows = page.locator("tbody.ce-activity")
    expect(rows).to_have_count(4)

    search = page.get_by_label("Search CE activities")
    if page.javascript:
        page.evaluate("window.liveRegion = document.getElementById('ce-search-outcome')")
    if page.javascript:
        # Live search: typing is enough.
        search.press_sequentially("1462601", delay=20)
    else:
        search.fill("1462601")
        page.get_by_role("button", name="Search").click()
    expect(rows).to_have_count(1)
    expect(page).to_have_url(f"{live_server}/testing-history/ce-activities?q=1462601")
    outcome = page.get_by_role("status").filter(has_text="match")
    expect(outcome).to_have_text("1 activity matches “1462601”.")
    if page.javascript:
        # The region announcing it was on the page before the search: filled, not replaced.
        assert page.evaluate("document.getElementById('ce-search-outcome') === window.liveRegion")

    external_id = page.get_by_text("1462601", exact=True)
    expect(external_id).to_be_hidden()
    page.locator("summary", has_text="Cisco CE Credits").click()
    expect(external_id).to_be_visible()
    expect(page.get_by_text("creq-20200214-200500.csv")).to_be_visible()

    search.fill("no such activity")
    if page.javascript:
        search.press("Enter")
    else:
        page.get_by_role("button", name="Search").click()
    expect(page.get_by_text("No CE activity matches “no such activity”.")).to_be_visible()


def test_testing_history_pages_pass_axe(page, live_server, console_errors):
    log_in_through_the_form(page, live_server)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Testing History").click()
    expect(page.get_by_role("heading", name="Exams", level=1)).to_be_visible()
    assert_accessible(page)
    page.get_by_role("link", name=re.compile(r"^Grade")).click()
    expect(page.locator("th[aria-sort=ascending]")).to_contain_text("Grade")
    assert_accessible(page)
    page.get_by_role("link", name="Exam agreements").click()
    expect(page.get_by_role("heading", name="Certification agreements")).to_be_visible()
    assert_accessible(page)
    nav = page.get_by_role("navigation", name="Testing History")
    nav.get_by_role("link", name="CE Activities").click()
    expect(page.get_by_role("heading", name="Continuing education activities")).to_be_visible()
    page.locator("#ce-results summary").first.click()
    assert_accessible(page)
    nav.get_by_role("link", name="E-commerce Transactions").click()
    expect(page.get_by_role("heading", name="E-commerce Transactions")).to_be_visible()
    assert_accessible(page)
    assert console_errors == []
