"""Staff find candidates by any identifier or by name, a page at a time, through indexes."""

import re

import pytest

from certportal.db import database, is_postgres, is_sqlite
from certportal.domain.candidates import name_search_queries, search_candidates
from certportal.domain.demo import DUPLICATE_LOGIN_IDS
from certportal.domain.mapping import email_key, name_key
from certportal.models import Candidate, CandidateCertification, utcnow

RANGE_SCAN = re.compile(
    r"USING (?:COVERING )?INDEX candidate_name_key_id \(name_key>\? AND name_key<\?\)"
)


def login_ids(page):
    return [candidate.login_id for candidate in page.candidates]


def test_by_login_id_in_any_case(db):
    page = search_candidates(" csco10000001 ")
    assert login_ids(page)[0] == "CSCO10000001"
    assert page.matched_by[page.candidates[0].id] == "login ID"


def test_by_email_finds_every_record_with_it(db):
    page = search_candidates("RAVI.KUMAR@certportal.example")
    assert sorted(login_ids(page)) == list(DUPLICATE_LOGIN_IDS)


def test_by_name_without_accents_or_case_in_either_order(db):
    assert login_ids(search_candidates("nunez")) == ["CSCO10000002"]
    assert login_ids(search_candidates("NÚÑEZ ana")) == ["CSCO10000002"]
    assert login_ids(search_candidates("Ana Núñez")) == ["CSCO10000002"]
    assert login_ids(search_candidates("nu")) == ["CSCO10000002"]
    assert login_ids(search_candidates("Ana Nunes")) == []


def test_by_registration_number_and_verification_code(db):
    by_registration = search_candidates("vue-92000002")
    assert login_ids(by_registration) == ["CSCO10000002"]
    assert by_registration.matched_by[by_registration.candidates[0].id] == "registration number"
    held = CandidateCertification.select().join(Candidate).where(
        Candidate.login_id == "CSCO10000001").get()
    page = search_candidates(held.verification_code.lower())
    assert login_ids(page) == ["CSCO10000001"]
    assert page.matched_by[page.candidates[0].id] == "verification code"


def test_results_are_paged(db):
    now = utcnow()
    Candidate.insert_many([
        {"login_id": f"PAGE{n:03d}", "program_id": f"PAGE{n:03d}",
         "email": f"p{n}@example.org", "email_key": email_key(f"p{n}@example.org"),
         "first_name": f"Zed{n:03d}", "last_name": "Páge", "last_name_key": "page",
         "name_key": name_key(f"Zed{n:03d}", "Páge"), "created_at": now}
        for n in range(30)
    ]).execute()
    first = search_candidates("page", page=1, per_page=25)
    second = search_candidates("page", page=2, per_page=25)
    assert len(first.candidates) == 25 and first.has_next
    assert len(second.candidates) == 5 and not second.has_next
    assert login_ids(first)[:2] == ["PAGE000", "PAGE001"]
    assert not set(login_ids(first)) & set(login_ids(second))


def test_nothing_typed_finds_nothing(db):
    assert search_candidates("   ").candidates == []


def _plan(query) -> str:
    sql, params = query.sql()
    if is_sqlite():
        rows = database.execute_sql("EXPLAIN QUERY PLAN " + sql, params).fetchall()
        return "\n".join(str(row[-1]) for row in rows)
    rows = database.execute_sql("EXPLAIN " + sql, params).fetchall()
    return "\n".join(row[0] for row in rows)


@pytest.fixture
def many_candidates(db):
    """Enough rows that PostgreSQL's planner prefers an index, as it does at 1M (SQLite's
    planner chooses by the schema alone)."""
    now = utcnow()
    fields = [Candidate.login_id, Candidate.program_id, Candidate.email, Candidate.email_key,
              Candidate.name_key, Candidate.created_at]
    rows = [
        (f"BULK{n:06d}", f"BULK{n:06d}", f"b{n}@example.org", f"b{n}@example.org",
         f"name{n:06d} first", now)
        for n in range(20000 if is_postgres() else 300)
    ]
    with database.atomic():
        for start in range(0, len(rows), 1000):
            Candidate.insert_many(rows[start : start + 1000], fields=fields).execute()
    database.execute_sql("ANALYZE")
    return db


def assert_ordered_range_scan(query):
    plan = _plan(query)
    if is_sqlite():
        assert RANGE_SCAN.search(plan), plan
        assert "TEMP B-TREE" not in plan, plan  # ordered by the index, no sort
    else:
        assert is_postgres()
        assert "candidate_name_key_id" in plan and "Seq Scan" not in plan, plan
        bounds = plan.replace("(", "").replace(")", "").replace("::text", "")
        assert "name_key >=" in bounds and "name_key <" in bounds, plan
        assert "Sort" not in plan.replace("Sort Key", ""), plan


def test_a_name_search_is_an_index_range_scan(many_candidates):
    [query] = name_search_queries("Name000123", page=3)
    assert_ordered_range_scan(query)


def test_a_two_word_name_search_is_two_index_ranges(many_candidates):
    queries = name_search_queries("First Name000123")
    assert len(queries) == 2
    for query in queries:
        assert_ordered_range_scan(query)


def test_two_word_orders_are_merged_in_name_order_a_page_at_a_time(db):
    now = utcnow()
    # Ten people named Kim (first names Lee00…) and ten named Lee (first names Kim00…).
    people = [(f"Lee{n:02d}", "Kim") for n in range(10)] + \
             [(f"Kim{n:02d}", "Lee") for n in range(10)]
    Candidate.insert_many([
        {"login_id": f"PAIR{n:03d}", "program_id": f"PAIR{n:03d}",
         "email": f"pair{n}@example.org", "email_key": f"pair{n}@example.org",
         "first_name": first, "last_name": last, "last_name_key": last.lower(),
         "name_key": name_key(first, last), "created_at": now}
        for n, (first, last) in enumerate(people)
    ]).execute()
    pages = [search_candidates("lee kim", page=n, per_page=8) for n in (1, 2, 3)]
    names = [c.name_key for page in pages for c in page.candidates]
    assert names == sorted(name_key(first, last) for first, last in people)
    assert [page.has_next for page in pages] == [True, True, False]
    assert [len(page.candidates) for page in pages] == [8, 8, 4]


def test_identifier_searches_are_index_lookups(many_candidates):
    queries = [
        Candidate.select(Candidate.id).where(Candidate.email_key == "b123@example.org"),
        Candidate.select(Candidate.id).where(Candidate.login_id == "BULK000123"),
    ]
    for query in queries:
        plan = _plan(query)
        assert ("SCAN candidate" not in plan) and ("Seq Scan" not in plan), plan


def test_a_query_of_only_accents_finds_nobody(db):
    assert search_candidates("\u0301\u0308").candidates == []


def test_name_queries_read_no_more_rows_than_the_page_needs(db):
    [one_word] = name_search_queries("Núñez", page=3, per_page=10)
    assert (one_word._limit, one_word._offset) == (11, 20)  # the page and one to see a next
    two_words = name_search_queries("Ana Núñez", page=3, per_page=10)
    # Each word order up to the page's end (and one more); the merge skips the earlier pages.
    assert [(query._limit, query._offset) for query in two_words] == [(31, None), (31, None)]


def test_a_full_last_page_has_no_next_and_the_query_reads_back_tidied(db):
    now = utcnow()
    Candidate.insert_many([
        {"login_id": f"FULL{n:03d}", "program_id": f"FULL{n:03d}",
         "email": f"f{n}@example.org", "email_key": f"f{n}@example.org",
         "first_name": f"Yan{n:03d}", "last_name": "Fullpage", "last_name_key": "fullpage",
         "name_key": name_key(f"Yan{n:03d}", "Fullpage"), "created_at": now}
        for n in range(25)
    ]).execute()
    page = search_candidates("  FULLPAGE   ", per_page=25)
    assert len(page.candidates) == 25 and not page.has_next
    assert page.query == "FULLPAGE" and page.page == 1
