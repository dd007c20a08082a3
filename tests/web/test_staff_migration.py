"""Records stored before the staff console's migration keep every row and gain what the
console needs: a searchable folded name, admin staff, an append-only audit log."""

from datetime import date, datetime

import pytest
from peewee import DatabaseError

from certportal.db import MIGRATIONS_DIR, bind, database, release_connections, upgrade_schema
from certportal.models import AuditEvent, Candidate, ExamResult, StaffUser, Transcript
from tests.web.test_transcript_migration import empty_database_url  # noqa: F401 (fixture)

STAFF_MIGRATION = "040_staff_console"


def test_existing_rows_survive_and_gain_the_console_columns(empty_database_url):  # noqa: F811
    from peewee_migrate import Router

    bind(empty_database_url)
    now = datetime(2026, 1, 5, 12)
    with database.connection_context():
        router = Router(database, migrate_dir=MIGRATIONS_DIR, ignore=["basemodel"])
        router.run(router.todo[router.todo.index(STAFF_MIGRATION) - 1])
        orm = router.migrator.orm
        candidate = orm["candidate"].create(
            created_at=now, login_id="CSCO1", program_id="CSCO1", email="j@example.org",
            email_key="j@example.org", first_name="José", last_name="Núñez")
        orm["transcript"].create(created_at=now, updated_at=now, public_id="P" * 16,
                                 candidate=candidate, expires_on=date(2027, 1, 1))
        exam = orm["exam"].create(code="100-001", name="Exam")
        orm["exam_result"].create(created_at=now, candidate=candidate, exam=exam,
                                  registration_number="R1", grade="Pass", taken_on=now.date())
        orm["staff_user"].create(created_at=now, username="old", email="o@example.org",
                                 password_hash="x")
        orm["audit_event"].create(occurred_at=now, action="login_failed", candidate=candidate)
        upgrade_schema()
        stored = Candidate.get(Candidate.login_id == "CSCO1")
        counts = (Transcript.select().count(), ExamResult.select().count())
        roles = StaffUser.get(StaffUser.username == "old").role_names
        entry = AuditEvent.get()
        with pytest.raises(DatabaseError), database.atomic():
            AuditEvent.delete().execute()
    release_connections()
    assert stored.name_key == "nunez jose"
    assert counts == (1, 1)
    assert roles == ("admin",)
    assert (entry.action, entry.reason, entry.subject) == ("login_failed", "", "")
