"""Compiled queries give back the same model instances peewee itself would, faster."""

from datetime import date, datetime

import pytest
from peewee import JOIN

from certportal.models import Candidate, CandidateCertification, Certification, compiled
from certportal.models.compiled import INT, CompiledQuery


def _held_with_catalog(candidate_id):
    return (
        CandidateCertification.select(
            CandidateCertification.id,
            CandidateCertification.status,
            CandidateCertification.active_on,
            CandidateCertification.expires_on,
            CandidateCertification.revoked_at,
            CandidateCertification.updated_at,
            Certification.id,
            Certification.code,
        )
        .join(Certification)
        .where(CandidateCertification.candidate == candidate_id)
        .order_by(CandidateCertification.id)
    )


def _candidates_with_any_certification(first_id):
    # An outer join: a candidate without certifications still comes back, with no row joined.
    # In the program's order, so a candidate holding none is among the first rows.
    return (
        Candidate.select(Candidate.id, Candidate.first_name, CandidateCertification.id,
                         CandidateCertification.status)
        .join(CandidateCertification, on=(CandidateCertification.candidate == Candidate.id),
              join_type=JOIN.LEFT_OUTER)
        .where(Candidate.id >= first_id)
        .order_by(CandidateCertification.id.is_null(False), Candidate.id,
                  CandidateCertification.id)
        .limit(40)
    )


def described(row) -> dict:
    """What a page can read of a row: every field of the row and of what is joined to it."""
    if not hasattr(row, "__data__"):
        return row
    seen = {"type": type(row).__name__, "data": dict(row.__data__), "dirty": set(row._dirty)}
    for name, joined in row.__rel__.items():
        seen[name] = described(joined)
    for name, value in vars(row).items():
        if name not in ("__data__", "_dirty", "__rel__"):
            seen["attribute " + name] = described(value)
    return seen


@pytest.fixture
def john_id(db):
    return Candidate.get(Candidate.login_id == "CSCO10000000").id


def test_rows_equal_peewees_own_after_the_first_check(john_id):
    query = CompiledQuery(_held_with_catalog, INT)
    expected = [described(row) for row in _held_with_catalog(john_id)]
    assert len(expected) >= 3, "the sample candidate holds several certifications"
    first = [described(row) for row in query(john_id)]
    again = [described(row) for row in query(john_id)]
    assert first == expected and again == expected
    builder = next(iter(query._builders.values()))
    assert builder is not None and builder.verified
    # What pages read: joined attributes, dates as dates, NULLs as None.
    rows = query(john_id)
    assert all(isinstance(row.certification.code, str) for row in rows)
    assert all(isinstance(row.updated_at, datetime) for row in rows)
    assert any(row.revoked_at is None for row in rows)
    assert all(row.active_on is None or type(row.active_on) is date for row in rows)


def test_outer_joined_rows_that_are_missing_come_back_as_peewee_gives_them(db):
    first_id = Candidate.select(Candidate.id).order_by(Candidate.id).first().id
    Candidate.create(login_id="CSCO19999999", program_id="CSCO19999999",
                     email="nothing-held@x.example", email_key="nothing-held@x.example",
                     first_name="Nadia", last_name="None", last_name_key="none")
    query = CompiledQuery(_candidates_with_any_certification, INT)
    expected = [described(row) for row in _candidates_with_any_certification(first_id)]
    joined = [row["attribute candidatecertification"] for row in expected]
    assert None in joined and any(row is not None for row in joined), "both kinds of row"
    query(first_id)  # checked against peewee's rows
    assert [described(row) for row in query(first_id)] == expected


def test_a_changed_row_saves_only_what_changed(john_id):
    query = CompiledQuery(_held_with_catalog, INT)
    query(john_id)
    row = query(john_id)[0]
    assert row._dirty == set()
    row.status = "expired"
    assert row._dirty == {"status"}


def test_rows_that_differ_from_peewees_make_it_use_peewees_rows(john_id, monkeypatch):
    query = CompiledQuery(_held_with_catalog, INT)
    monkeypatch.setattr(compiled, "_same", lambda mine, theirs: False)
    rows = [described(row) for row in query(john_id)]
    assert rows == [described(row) for row in _held_with_catalog(john_id)]
    assert list(query._builders.values()) == [None]
    assert [described(row) for row in query(john_id)] == rows


def test_parsed_dates_are_kept_within_a_bound(john_id, monkeypatch):
    monkeypatch.setattr(compiled, "PARSED_KEPT_PER_COLUMN", 2)
    query = CompiledQuery(_held_with_catalog, INT)
    query(john_id)
    rows = query(john_id)
    expected = list(_held_with_catalog(john_id))
    assert [row.updated_at for row in rows] == [row.updated_at for row in expected]
    assert [row.active_on for row in rows] == [row.active_on for row in expected]
