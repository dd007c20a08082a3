"""Testing History queries read the candidate's rows through an index, without a sort step."""

import pytest

from certportal.db import database, is_sqlite
from certportal.domain import history


def query_plan(query) -> str:
    sql, params = query.sql()
    rows = database.execute_sql(f"EXPLAIN QUERY PLAN {sql}", params).fetchall()
    return "\n".join(str(row[-1]) for row in rows)


@pytest.fixture
def sqlite_db(db):
    if not is_sqlite():
        pytest.skip("EXPLAIN QUERY PLAN output checked here is SQLite's")
    return db


@pytest.mark.parametrize("direction", ["desc", "asc"])
def test_exams_by_date_are_an_index_range_scan_without_a_sort(sqlite_db, direction):
    plan = query_plan(history.exams_query(1, history.ExamOrder("date", direction)))
    # t1 is exam_result (peewee's alias); t2, the exam, is looked up by primary key.
    assert "SEARCH t1 USING INDEX examresult_candidate_id_taken_on (candidate_id=?)" in plan
    assert "SEARCH t2 USING INTEGER PRIMARY KEY" in plan
    assert "TEMP B-TREE" not in plan
    assert "SCAN" not in plan


def test_other_exam_orders_sort_only_the_candidates_rows(sqlite_db):
    plan = query_plan(history.exams_query(1, history.ExamOrder("exam", "asc")))
    assert "SEARCH t1 USING INDEX examresult_candidate_id_taken_on (candidate_id=?)" in plan
    assert "USE TEMP B-TREE FOR ORDER BY" in plan
    assert "SCAN" not in plan


@pytest.mark.parametrize("search", ["", "cisco"])
def test_ce_activities_are_read_through_the_candidate_index(sqlite_db, search):
    plan = query_plan(history.ce_activities_query(1, search))
    assert "USING INDEX cecredit_candidate_id_active_on (candidate_id=?)" in plan
    assert "TEMP B-TREE" not in plan


def test_unknown_orders_fall_back_to_newest_first():
    assert history.ExamOrder.parse("drop table", "asc").is_default
    assert history.ExamOrder.parse(None, None).is_default
    assert history.ExamOrder.parse("grade", "up") == history.ExamOrder("grade", "asc")
    assert history.parse_page_number("0") == 1 and history.parse_page_number("7") == 7
