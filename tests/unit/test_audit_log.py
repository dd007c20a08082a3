"""The audit log is append-only in the database itself, and the auditor can filter it."""

from datetime import date, timedelta

import pytest
from peewee import DatabaseError

from certportal.db import database
from certportal.domain import audit
from certportal.models import AuditEvent, Candidate, StaffUser


def test_the_database_refuses_to_change_or_delete_an_entry(db):
    entry = audit.record("candidate_viewed", candidate=Candidate.get(), reason="checking")
    with pytest.raises(DatabaseError), database.atomic():
        AuditEvent.update(reason="nothing to see").where(AuditEvent.id == entry.id).execute()
    with pytest.raises(DatabaseError), database.atomic():
        AuditEvent.delete().where(AuditEvent.id == entry.id).execute()
    assert AuditEvent.get_by_id(entry.id).reason == "checking"


def test_deleting_a_staff_account_keeps_its_entries(db):
    # Foreign keys may still become NULL: the database does that itself on deletion.
    leaver = StaffUser.create(username="leaver", email="l@example.org", password_hash="x")
    entry = audit.record("case_assigned", staff_user=leaver, subject="case SC-1")
    leaver.delete_instance()
    kept = AuditEvent.get_by_id(entry.id)
    assert (kept.staff_user_id, kept.subject) == (None, "case SC-1")


def test_filters_narrow_the_log(db):
    john = Candidate.get(Candidate.login_id == "CSCO10000000")
    support = StaffUser.get(StaffUser.username == "support")
    audit.record("email_corrected", candidate=john, staff_user=support, reason="typo")
    audit.record("candidate_viewed", candidate=john, staff_user=support)
    by_action = audit.audit_log(audit.AuditFilter(action="email_corrected"))
    assert [e.reason for e in by_action.events] == ["typo"]
    by_staff = audit.audit_log(audit.AuditFilter(staff_username="SUPPORT"))
    assert {e.action for e in by_staff.events} == {"email_corrected", "candidate_viewed"}
    by_login = audit.audit_log(audit.AuditFilter(login_id="csco10000000"))
    assert all(e.candidate_id == john.id for e in by_login.events) and by_login.events
    tomorrow = date.today() + timedelta(days=1)
    assert not audit.audit_log(audit.AuditFilter(since=tomorrow)).events
    assert "email_corrected" in audit.actions()


def test_the_log_is_paged_newest_first(db):
    for number in range(5):
        audit.record("candidate_viewed", subject=f"n{number}")
    first = audit.audit_log(audit.AuditFilter(action="candidate_viewed"), page=1, per_page=2)
    second = audit.audit_log(audit.AuditFilter(action="candidate_viewed"), page=2, per_page=2)
    assert [e.subject for e in first.events] == ["n4", "n3"] and first.has_next
    assert [e.subject for e in second.events] == ["n2", "n1"]
