"""The append-only audit log (AuditEvent): who changed what, when, from what to what, why.

Every feature writes it through record(), so the log keeps one shape; the staff console reads
and filters it. Rows are never changed or deleted (the database refuses it, migration 040): a
correction is a new row. Staff actions name the staff member, the candidate they concern,
what it was about (`subject`), the values before and after, and the reason typed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from peewee import JOIN

from certportal.models import AuditEvent, Candidate, StaffUser

PAGE_SIZE = 50


def record(
    action: str,
    *,
    candidate: Candidate | int | None = None,
    staff_user: StaffUser | int | None = None,
    old_value: str = "",
    new_value: str = "",
    subject: str = "",
    reason: str = "",
    ip_address: str = "",
) -> AuditEvent:
    """Append one entry to the audit log."""
    return AuditEvent.create(
        action=action[:64],
        candidate=candidate,
        staff_user=staff_user,
        subject=subject[:255],
        old_value=old_value,
        new_value=new_value,
        reason=reason,
        ip_address=(ip_address or "")[:45],
    )


@dataclass(frozen=True)
class AuditFilter:
    """What the auditor narrows the log to; every part is optional."""

    action: str = ""
    staff_username: str = ""
    login_id: str = ""
    since: date | None = None
    until: date | None = None  # inclusive


@dataclass(frozen=True)
class AuditPage:
    events: list[AuditEvent]
    page: int
    has_next: bool


def _query():
    return (
        AuditEvent.select(AuditEvent, Candidate, StaffUser)
        .join(Candidate, JOIN.LEFT_OUTER, on=AuditEvent.candidate == Candidate.id)
        .switch(AuditEvent)
        .join(StaffUser, JOIN.LEFT_OUTER, on=AuditEvent.staff_user == StaffUser.id)
    )


def audit_log(filters: AuditFilter, page: int = 1, per_page: int = PAGE_SIZE) -> AuditPage:
    """The log, newest first, narrowed by `filters`; one page of it."""
    from certportal.domain.accounts import login_id_key

    query = _query()
    if filters.action:
        query = query.where(AuditEvent.action == filters.action)
    if filters.staff_username:
        query = query.where(StaffUser.username == filters.staff_username.strip().lower())
    if filters.login_id:
        query = query.where(Candidate.login_id == login_id_key(filters.login_id))
    if filters.since:
        query = query.where(AuditEvent.occurred_at >= datetime.combine(filters.since, time()))
    if filters.until:
        query = query.where(
            AuditEvent.occurred_at < datetime.combine(filters.until + timedelta(days=1), time())
        )
    page = max(page, 1)
    rows = list(
        query.order_by(AuditEvent.occurred_at.desc(), AuditEvent.id.desc())
        .limit(per_page + 1)
        .offset((page - 1) * per_page)
    )
    return AuditPage(rows[:per_page], page, len(rows) > per_page)


def candidate_trail(candidate_ids, limit: int = 200) -> list[AuditEvent]:
    """What happened to these records (a candidate and the records merged into it)."""
    return list(
        _query()
        .where(AuditEvent.candidate.in_(list(candidate_ids)))
        .order_by(AuditEvent.occurred_at.desc(), AuditEvent.id.desc())
        .limit(limit)
    )


def actions() -> list[str]:
    """Every action name the log holds, for the auditor's filter."""
    return [
        name
        for (name,) in AuditEvent.select(AuditEvent.action)
        .distinct()
        .order_by(AuditEvent.action)
        .tuples()
    ]
