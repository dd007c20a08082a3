"""On PostgreSQL the public transcript page reads the transcript, its holder and what it
lists in one query (one round trip): it must find exactly what the two separate rules find
(on SQLite the page runs those two, cheaper there)."""

from datetime import date, timedelta

import pytest

from certportal.db import database, is_sqlite
from certportal.domain import transcripts as rules
from certportal.models import Candidate, CandidateCertification, Transcript
from tests.factories import john

TODAY = date.today()


def separately(public_id: str):
    transcript = rules.find_public(public_id)
    return transcript, (rules.listed_certifications(transcript, TODAY) if transcript else [])


def listed_facts(listed) -> list[tuple]:
    return [(held.id, held.status, held.active_on, held.expires_on, held.revoked_at,
             held.updated_at, held.certification.id, held.certification.name,
             held.certification.abbreviation, held.certification.group_name)
            for held in listed]


def new_transcript(candidate, selection: str, only_active: bool, chosen=()) -> Transcript:
    data = rules.TranscriptInput(expires_on=TODAY + timedelta(days=30), selection=selection,
                                 only_active=only_active, certification_ids=list(chosen))
    return rules.create_transcript(candidate, data, TODAY)


@pytest.mark.parametrize("selection", ["active", "all_new", "chosen"])
@pytest.mark.parametrize("only_active", [True, False])
def test_one_query_finds_what_the_two_rules_find(db, selection, only_active):
    candidate = john()
    showable = list(rules.showable_certifications(candidate))
    assert len(showable) >= 2
    # One certification expired: "only active" must leave it out, the others keep it.
    CandidateCertification.update(status="expired", expires_on=TODAY - timedelta(days=1)).where(
        CandidateCertification.id == showable[0].id).execute()
    chosen = [showable[0].certification_id, showable[-1].certification_id]
    transcript = new_transcript(candidate, selection, only_active, chosen)

    expected_transcript, expected_listed = separately(transcript.public_id)
    found, listed = rules.find_public_listed_in_one_query(transcript.public_id, TODAY)

    assert found.__data__ == expected_transcript.__data__
    assert found.candidate.__data__ == expected_transcript.candidate.__data__
    assert listed_facts(listed) == listed_facts(expected_listed)
    assert rules.content_tag(found, listed, TODAY) == rules.content_tag(
        expected_transcript, expected_listed, TODAY)


def test_a_transcript_listing_nothing_is_still_found(db):
    candidate = john()
    transcript = new_transcript(candidate, "all_new", False)
    CandidateCertification.update(status="in_progress").where(
        CandidateCertification.candidate == candidate).execute()
    found, listed = rules.find_public_listed_in_one_query(transcript.public_id, TODAY)
    assert found.id == transcript.id and found.candidate.full_name == candidate.full_name
    assert listed == []


def test_unknown_and_malformed_ids_find_nothing(db):
    assert rules.find_public_listed_in_one_query("ZZZZZZZZZZZZZZZZ", TODAY) == (None, [])
    assert rules.find_public_listed_in_one_query("not an id; drop", TODAY) == (None, [])


def test_the_public_page_and_its_304_read_once_on_postgresql_twice_on_sqlite(client, db):
    candidate = Candidate.select().where(Candidate.id == john().id).get()
    public_id = new_transcript(candidate, "all_new", False).public_id
    queries = []
    original = database.obj.execute_sql

    def counting(sql, params=None, *args, **kwargs):
        queries.append(sql)
        return original(sql, params, *args, **kwargs)

    database.obj.execute_sql = counting
    try:
        first = client.get(f"/t/{public_id}", headers={"User-Agent": "reader"})
        reads_first = [sql for sql in queries if sql.lstrip().upper().startswith("SELECT")]
        queries.clear()
        again = client.get(f"/t/{public_id}", headers={
            "User-Agent": "reader", "If-None-Match": first.headers["ETag"]})
        reads_again = [sql for sql in queries if sql.lstrip().upper().startswith("SELECT")]
    finally:
        del database.obj.execute_sql
    assert first.status_code == 200 and again.status_code == 304
    reads = 2 if is_sqlite() else 1
    assert len(reads_first) == reads and len(reads_again) == reads, (reads_first, reads_again)
    if not is_sqlite():
        # Its rows came out the same as peewee's, so they are built the fast way from now on.
        builders = rules._PUBLIC_WITH_LISTED._builders.values()
        assert builders and all(builder is not None and builder.verified for builder in builders)
