"""Testing History: exams sorting and paging, agreements, CE search, transactions."""

import re
from datetime import date, timedelta

import pytest

from certportal.domain.demo import GUIDE_EXAM_ROWS
from certportal.models import CeCredit, EcommerceTransaction, Exam, ExamResult
from tests.conftest import BOOSTED, HISTORY_RESTORE, PARTIAL, log_in
from tests.factories import john

# A table cell (its data-label names the column on a phone).
TD = r"<td[^>]*>"
ROW = re.compile(r"<tr>\s*" + r"\s*".join([TD + r"([^<]*)</td>"] * 6))


def exam_rows(html):
    return ROW.findall(html)


def registration_numbers(html):
    return [row[2] for row in exam_rows(html)]


def test_exams_show_the_guides_rows_newest_first(candidate_client):
    page = candidate_client.get("/testing-history/")
    assert page.status_code == 200
    rows = exam_rows(page.text)
    # John also passed two recent exams; the guide's ten follow them, in the guide's order.
    assert [row[2] for row in rows[2:]] == [number for _, number, *_ in GUIDE_EXAM_ROWS]
    assert rows[2] == ("350-001", "CCIE Routing and Switching", "219142598", "Pass",
                       "2007-Feb-21", "2010-Feb-21")
    assert ("350-001", "CCIE Routing and Switching", "n7dnt508", "Fail", "2006-Jun-20",
            "Never") in rows
    assert 'aria-sort="descending"' in page.text
    assert re.search(r'<th scope="col" aria-sort="descending">\s*<a[^>]*id="sort-date"',
                     page.text)
    assert "Exam agreements" in page.text



def expected_order(key, direction):
    """The exam order a user expects, computed independently of the SQL."""
    results = list(ExamResult.select(ExamResult, Exam).join(Exam)
                   .where(ExamResult.candidate == john()))
    values = {
        "code": lambda r: r.exam.code,
        "exam": lambda r: r.exam.name.lower(),
        "registration": lambda r: r.registration_number.lower(),
        "grade": lambda r: r.grade,
        "date": lambda r: r.taken_on,
        # "Never" is later than every date.
        "expires": lambda r: r.expires_on or date.max,
    }[key]
    ordered = sorted(results, key=lambda r: (values(r), r.id), reverse=direction == "desc")
    return [r.registration_number for r in ordered]


@pytest.mark.parametrize("direction", ["asc", "desc"])
@pytest.mark.parametrize("key", ["code", "exam", "registration", "grade", "date", "expires"])
def test_every_column_sorts_both_ways(candidate_client, db, key, direction):
    page = candidate_client.get(f"/testing-history/?sort={key}&dir={direction}").text
    assert registration_numbers(page) == expected_order(key, direction)
    aria = "ascending" if direction == "asc" else "descending"
    assert re.search(rf'<th scope="col" aria-sort="{aria}">\s*<a[^>]*id="sort-{key}"', page)
    assert page.count("aria-sort=") == 1
    # The sorted header's link reverses the order; the others start ascending.
    reverse = "desc" if direction == "asc" else "asc"
    assert f'href="/testing-history/?sort={key}&amp;dir={reverse}"' in page


def test_equal_values_keep_one_order(candidate_client, db):
    first = registration_numbers(candidate_client.get("/testing-history/?sort=grade&dir=asc").text)
    again = registration_numbers(candidate_client.get("/testing-history/?sort=grade&dir=asc").text)
    assert first == again
    # Within the many "Pass" rows, the earlier import comes first ascending.
    assert first == expected_order("grade", "asc")


@pytest.mark.parametrize(
    "query",
    ["?sort=evil&dir=asc", "?sort=taken_on%20--", "?sort=&dir=", "?dir=up", "?page=abc",
     "?page=-3", "?page=99999999999999999999"],
)
def test_bad_parameters_fall_back_to_the_default(candidate_client, db, query):
    response = candidate_client.get(f"/testing-history/{query}")
    assert response.status_code == 200
    assert registration_numbers(response.text) == expected_order("date", "desc")


def test_an_unknown_direction_sorts_ascending(candidate_client, db):
    page = candidate_client.get("/testing-history/?sort=code&dir=sideways").text
    assert registration_numbers(page) == expected_order("code", "asc")


def add_exam_results(candidate, count):
    exam = Exam.get(Exam.code == "350-001")
    ExamResult.insert_many([
        {"candidate": candidate.id, "exam": exam.id, "registration_number": f"BULK-{i:04d}",
         "grade": "Pass", "taken_on": date(1990, 1, 1) + timedelta(days=i),
         "expires_on": None}
        for i in range(count)
    ]).execute()


def test_long_histories_page_by_fifty_keeping_the_sort(candidate_client, db):
    add_exam_results(john(), 60)
    expected = expected_order("registration", "desc")
    first = candidate_client.get("/testing-history/?sort=registration&dir=desc").text
    assert registration_numbers(first) == expected[:50]
    assert "Previous page" not in first
    next_link = re.search(r'href="([^"]*page=2[^"]*)"[^>]*rel="next"', first).group(1)
    assert "sort=registration" in next_link and "dir=desc" in next_link
    second = candidate_client.get(next_link.replace("&amp;", "&")).text
    assert registration_numbers(second) == expected[50:]
    assert "Next page" not in second and "Previous page" in second
    beyond = candidate_client.get("/testing-history/?page=9")
    assert beyond.status_code == 200 and "no exams on this page" in beyond.text


def count_queries(monkeypatch):
    from certportal.db import database

    executed = []
    original = database.obj.execute_sql

    def counting(sql, params=None, *args, **kwargs):
        executed.append(sql)
        return original(sql, params, *args, **kwargs)

    monkeypatch.setattr(database.obj, "execute_sql", counting)
    return executed


@pytest.mark.parametrize(
    "url", ["/testing-history/", "/testing-history/?sort=exam&dir=asc",
            "/testing-history/ce-activities", "/testing-history/ce-activities?q=Cisco",
            "/testing-history/transactions", "/testing-history/agreements"],
)
def test_no_query_per_row(candidate_client, db, monkeypatch, url):
    executed = count_queries(monkeypatch)
    candidate_client.get(url, headers=PARTIAL)
    few_rows = len(executed)
    add_exam_results(john(), 40)
    CeCredit.insert_many([
        {"candidate": john().id, "name": f"Cisco CE Credits {i}", "points": 1,
         "active_on": date(2021, 1, 1), "inactive_on": date(2030, 1, 1),
         "updated_on": date(2021, 1, 2), "source": "Bulk", "external_id": f"B{i}"}
        for i in range(40)
    ]).execute()
    executed.clear()
    response = candidate_client.get(url, headers=PARTIAL)
    assert response.status_code == 200
    assert len(executed) == few_rows, executed
    # Session + candidate, then the list (and CE's points total): a fixed handful.
    assert len(executed) <= 4, executed


@pytest.mark.parametrize(
    ("url", "block_id"),
    [("/testing-history/?sort=code&dir=asc", 'id="exam-table"'),
     ("/testing-history/ce-activities?q=CDL", 'id="ce-results"')],
)
def test_partial_requests_get_only_the_table(candidate_client, url, block_id):
    fragment = candidate_client.get(url, headers=PARTIAL)
    assert fragment.status_code == 200
    assert fragment.text.lstrip().startswith(f"<div {block_id}")
    assert "<html" not in fragment.text and "Testing History" not in fragment.text
    assert "HX-Request-Type" in fragment.headers["Vary"]
    for headers in ({}, BOOSTED, HISTORY_RESTORE):
        page = candidate_client.get(url, headers=headers).text
        assert "<html" in page and block_id in page
        assert 'aria-label="Testing History"' in page


@pytest.mark.parametrize(
    "url", ["/testing-history/agreements", "/testing-history/transactions"]
)
def test_other_views_are_whole_pages_for_boosted_and_history_requests(candidate_client, url):
    for headers in ({}, BOOSTED, HISTORY_RESTORE):
        assert "<html" in candidate_client.get(url, headers=headers).text
    assert "<html" not in candidate_client.get(url, headers=PARTIAL).text


@pytest.mark.parametrize(
    "url", ["/testing-history/", "/testing-history/agreements",
            "/testing-history/ce-activities", "/testing-history/transactions"],
)
def test_history_needs_a_signed_in_candidate(client, url):
    response = client.get(url)
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    htmx = client.get(url, headers=PARTIAL)
    assert "/login" in htmx.headers["HX-Redirect"]


def test_agreements_list_the_certification_agreement(candidate_client):
    page = candidate_client.get("/testing-history/agreements").text
    assert re.search(TD + r"Cisco Certification and Confidentiality Agreement \(V9\)</td>\s*"
                     + TD + r"2006-Jun-20</td>\s*" + TD + "Never</td>", page)
    for column in ("Name", "Active date", "Expires"):
        assert f'<th scope="col">{column}</th>' in page


def ce_rows(html):
    return re.findall(r'<tbody class="ce-activity">', html)


def test_ce_activities_show_the_guides_columns_and_details(candidate_client):
    page = candidate_client.get("/testing-history/ce-activities").text
    for column in ("Name", "Active date", "Expires", "Review", "Points", "Updated",
                   "Provider Name", "Source"):
        assert f'<th scope="col">{column}</th>' in page
    assert len(ce_rows(page)) == 4
    assert re.search(r"<summary>Cisco CE Credits</summary>.*?<dt>Import Source</dt>"
                     r"<dd>creq-20200214-200500.csv</dd>.*?<dt>External Id</dt><dd>146260[01]</dd>"
                     r".*?" + r"\s*".join(TD + cell + "</td>" for cell in (
                         "2020-Feb-01", "2023-Feb-01", "n/a", "5", "2020-Feb-24",
                         "CDL 01 July CCNP", "CertMetrics")),
                     page, re.S)
    # The two recent credits count; the guide's 2020 ones expired in 2023.
    assert "Active points: <strong>10</strong>" in page


@pytest.mark.parametrize(
    ("term", "matches"),
    [("cisco ce", 4),                     # name, any case
     ("Learning Network", 2),              # provider
     ("certmetrics", 4),                   # source
     ("creq-20200214", 2),                 # import source
     ("1462601", 1),                       # external id
     ("  CDL   01  ", 2)],                 # spaces trimmed and collapsed
)
def test_search_matches_each_field(candidate_client, term, matches):
    response = candidate_client.get("/testing-history/ce-activities", query_string={"q": term})
    assert len(ce_rows(response.text)) == matches
    assert 'value="' + " ".join(term.split()) + '"' in response.text


def test_search_wildcards_are_literal(candidate_client, db):
    CeCredit.create(candidate=john(), name="100% Networking", points=1,
                    active_on=date(2021, 1, 1), inactive_on=date(2030, 1, 1),
                    updated_on=date(2021, 1, 1), source="Manual", external_id="X1")
    page = candidate_client.get("/testing-history/ce-activities?q=0%25").text
    assert len(ce_rows(page)) == 1 and "100% Networking" in page
    assert ce_rows(candidate_client.get("/testing-history/ce-activities?q=_").text) == []


def test_an_empty_search_result_says_so(candidate_client):
    page = candidate_client.get("/testing-history/ce-activities?q=nothing-like-this").text
    assert ce_rows(page) == []
    assert "No CE activity matches “nothing-like-this”." in page


def test_the_search_outcome_is_announced_from_outside_the_swapped_results(candidate_client):
    # A live region replaced by a swap is a new region, and screen readers miss its text: the
    # page carries the region before any search, and a search's fragment fills it in place.
    page = candidate_client.get("/testing-history/ce-activities").text
    region = page.index('<p id="ce-search-outcome" class="visually-hidden" role="status"></p>')
    assert region < page.index('id="ce-results"')

    fragment = candidate_client.get("/testing-history/ce-activities?q=CDL", headers=PARTIAL).text
    assert fragment.lstrip().startswith('<div id="ce-results"')
    assert ('<p id="ce-search-outcome" data-hx-swap-oob="innerHTML">2 activities match “CDL”.</p>'
            in fragment)
    whole = candidate_client.get("/testing-history/ce-activities?q=CDL").text
    assert 'role="status">2 activities match “CDL”.</p>' in whole
    assert "hx-swap-oob" not in whole


def test_html_in_a_search_term_is_shown_as_text(candidate_client):
    term = '<script>alert("x")</script>'
    page = candidate_client.get("/testing-history/ce-activities", query_string={"q": term}).text
    assert "<script>alert" not in page
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in page


def test_transactions_show_the_free_claim_and_the_paid_kit(candidate_client, db):
    page = candidate_client.get("/testing-history/transactions").text
    for column in ("Date", "Description", "Items", "Amount", "Payment method", "Status"):
        assert f'<th scope="col">{column}</th>' in page
    paid = EcommerceTransaction.get(EcommerceTransaction.amount_cents > 0)
    assert "Kit purchase with trackable shipping" in page
    assert f"${paid.amount_cents // 100:,}.{paid.amount_cents % 100:02d} " in page
    assert '<td data-label="Payment method">Card</td>' in page
    assert "Initial kit claim" in page and "$0.00" in page and "None (free claim)" in page
    # Newest first: the purchase of last month before the claim of a year ago.
    assert page.index("Kit purchase") < page.index("Initial kit claim")


def test_no_transactions_is_a_clear_empty_state(client):
    log_in(client, "CSCO10000001", "second-demo-password")
    page = client.get("/testing-history/transactions").text
    assert "You have no e-commerce transactions yet." in page
    assert "<table" not in page


def test_another_candidates_rows_never_appear(client, db):
    johns_exams = [r.registration_number for r in ExamResult.select().where(
        ExamResult.candidate == john())]
    log_in(client, "CSCO10000001", "second-demo-password")
    exams = client.get("/testing-history/").text
    assert not any(number in exams for number in johns_exams)
    ce = client.get("/testing-history/ce-activities?q=CDL").text
    assert "CDL 01 July CCNP" not in ce and "1462600" not in ce
    agreements = client.get("/testing-history/agreements").text
    assert "2006-Jun-20" not in agreements
    transactions = client.get("/testing-history/transactions").text
    assert "Kit purchase" not in transactions


def test_testing_history_is_in_the_main_navigation(candidate_client):
    page = candidate_client.get("/").text
    assert '<a href="/testing-history/">Testing History</a>' in page
    history = candidate_client.get("/testing-history/").text
    assert '<a href="/testing-history/" aria-current="page">Testing History</a>' in history
    assert '<a href="/testing-history/" aria-current="page">Exams</a>' in history
