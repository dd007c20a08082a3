"""Transcripts saved before the upgrade (free-text display name, views logged without a
viewer) keep working after it."""

import uuid
from datetime import date, datetime, timedelta

import pytest

from certportal import create_app
from certportal.db import MIGRATIONS_DIR, bind, database, release_connections, upgrade_schema
from certportal.models import Transcript, TranscriptView
from tests.conftest import POSTGRES_URL, _postgres_admin, _postgres_url_for

NAME_FORMS_MIGRATION = "010_transcript_name_forms"


@pytest.fixture
def empty_database_url(tmp_path):
    if POSTGRES_URL:
        name = f"migrate_{uuid.uuid4().hex[:12]}"
        _postgres_admin(f'CREATE DATABASE "{name}"')
        yield _postgres_url_for(name)
        release_connections()
        _postgres_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    else:
        yield f"sqlite:///{tmp_path / 'before.sqlite3'}"
        release_connections()


def _migrate_to_just_before_name_forms():
    from peewee_migrate import Router

    router = Router(database, migrate_dir=MIGRATIONS_DIR, ignore=["basemodel"])
    previous = router.todo[router.todo.index(NAME_FORMS_MIGRATION) - 1]
    router.run(previous)
    return router.migrator.orm


def test_free_text_display_names_become_the_closest_form_of_the_name_on_record(
    empty_database_url,
):
    bind(empty_database_url)
    now, today = datetime(2026, 1, 5, 12), date.today()
    with database.connection_context():
        orm = _migrate_to_just_before_name_forms()
        candidate = orm["candidate"].create(
            created_at=now, login_id="CSCO10000000", program_id="CSCO10000000",
            email="john@example.org", email_key="john@example.org", first_name="John",
            last_name="Doe", localized_first_name="约翰", localized_last_name="多伊",
            verification_consent=True)
        old_names = {"AAAAAAAAAAAAAAA1": "John Doe", "AAAAAAAAAAAAAAA2": "j doe",
                     "AAAAAAAAAAAAAAA3": "多伊约翰", "AAAAAAAAAAAAAAA4": "Somebody Else"}
        for public_id, display_name in old_names.items():
            transcript = orm["transcript"].create(
                created_at=now, updated_at=now, public_id=public_id, candidate=candidate,
                display_name=display_name, expires_on=today + timedelta(days=30))
        # Two views logged the same second, before viewers were told apart.
        for _ in range(2):
            orm["transcript_view"].create(transcript=transcript, viewed_at=now)
        upgrade_schema()
        forms = {t.public_id: t.name_form for t in Transcript.select()}
        logged_views = TranscriptView.select().count()
    release_connections()
    assert logged_views == 2
    assert forms == {"AAAAAAAAAAAAAAA1": "full", "AAAAAAAAAAAAAAA2": "initials",
                     "AAAAAAAAAAAAAAA3": "localized", "AAAAAAAAAAAAAAA4": "full"}

    client = create_app({"TESTING": True, "SECRET_KEY": "test", "BASE_URL": "http://localhost",
                         "DATABASE_URL": empty_database_url}).test_client()
    page = client.get("/t/AAAAAAAAAAAAAAA4")
    assert page.status_code == 200
    assert '<h1 id="transcript-heading">John Doe</h1>' in page.text
    assert "Somebody Else" not in page.text
    assert '<h1 id="transcript-heading">J. Doe</h1>' in client.get("/t/AAAAAAAAAAAAAAA2").text
