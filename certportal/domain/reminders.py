"""Expiry reminders: an email 180, 90, 30 and 7 days before a certification expires, and on
the day it expires, each with the certification's plan.

`send_due_reminders(today, notify)` is the whole job, meant to run daily (cron, systemd
timer) and safe however it is run:
- Idempotent and overlap-safe: a reminder is one ExpiryReminder row per certification cycle
  (named by its expiration date) and window, under a unique key. A run inserts the rows it
  means to send with its own token, ignoring conflicts, and sends only the rows that carry
  its token; a concurrent run's insert of the same key waits for the first and is ignored.
- Catch-up without stale mail: only the most recent window due is sent (85 days before
  expiry after a month of missed runs: the 90-day reminder, not the 180-day one), and never
  one older than a reminder already sent for that cycle.
- Stops by itself: only active certifications are read, by their current expiration, so a
  recertified (or renewed) certification's old cycle is never due again; a revoked or expired
  one is not active.
- Honours the candidate's Settings answer (expiry_reminders).
- Scales: one index range scan over (status, expires_on) in keyset batches; per batch, the
  facts read in a few indexed queries, one replay per candidate for the plans of the
  certifications reminded, and three statements to write: the reminders (the claim), their
  emails, and the links between them.
No Flask: the caller passes `notify`, which queues the email (certportal.notifications).
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta

from peewee import Tuple

from certportal.db import database
from certportal.domain.bulk import column_in, insert_rows, update_rows
from certportal.domain.planner import CertificationPlan, plan_from_facts
from certportal.models import (
    Candidate,
    CandidateCertification,
    Certification,
    ExpiryReminder,
    OutgoingEmail,
    utcnow,
)

# Days before the expiration date; 0 is the day it expires (its last active day).
WINDOWS = (180, 90, 30, 7, 0)
BATCH = 500
REMINDER_EMAIL_KIND = "expiry_reminder"


def due_window(days_left: int) -> int | None:
    """The most recent window a certification expiring in `days_left` days is in, if any."""
    if days_left < 0 or days_left > WINDOWS[0]:
        return None
    return min(window for window in WINDOWS if window >= days_left)


@dataclass(frozen=True)
class DueReminder:
    """One reminder this run recorded and must send."""

    reminder_id: int
    candidate_id: int
    candidate_certification_id: int
    email: str
    first_name: str
    last_name: str
    code: str
    name: str  # the certification's display name, "CCNA (CCNA)"
    expires_on: date
    days_before: int
    today: date
    # None when the engine does not see the certification active (stored state out of date).
    plan: CertificationPlan | None = None

    @property
    def full_name(self) -> str:
        return " ".join(part for part in (self.first_name, self.last_name) if part)


@dataclass
class ReminderRun:
    today: date
    considered: int = 0  # active certifications expiring within the first window
    sent: int = 0
    already_sent: int = 0  # due, but this window (or a later one) was recorded before
    not_due: int = 0  # between windows
    opted_out: int = 0
    email_ids: list[int] = field(default_factory=list)

    def __str__(self) -> str:
        return (
            f"Expiry reminders for {self.today:%Y-%m-%d}: {self.sent} sent, "
            f"{self.already_sent} already sent, {self.opted_out} turned off by the candidate, "
            f"{self.considered} certification(s) expiring within {WINDOWS[0]} days."
        )


def _expiring(today: date):
    """Active certifications whose expiration falls in the first window, in (expires_on, id)
    order: a range scan of the (status, expires_on) index."""
    cc = CandidateCertification
    return (
        cc.select(
            cc.id,
            cc.candidate,
            cc.expires_on,
            Certification.code,
            Certification.name,
            Certification.abbreviation,
            Candidate.email,
            Candidate.first_name,
            Candidate.last_name,
            Candidate.expiry_reminders,
        )
        .join(Certification)
        .switch(cc)
        .join(Candidate)
        .where(
            (cc.status == "active")
            & (cc.expires_on >= today)
            & (cc.expires_on <= today + timedelta(days=WINDOWS[0]))
        )
        .order_by(cc.expires_on, cc.id)
    )


def expiring_batches(today: date, batch: int = BATCH) -> Iterator[list[tuple]]:
    """The rows of _expiring in batches, each batch one indexed query after the last key."""
    last = None
    while True:
        query = _expiring(today)
        if last is not None:
            query = query.where(
                Tuple(CandidateCertification.expires_on, CandidateCertification.id) > Tuple(*last)
            )
        rows = list(query.limit(batch).tuples())
        if not rows:
            return
        yield rows
        last = (rows[-1][2], rows[-1][0])


def _recorded(rows) -> dict[tuple[int, date], int]:
    """The most recent window already recorded for each (certification, expiration)."""
    ids = [row[0] for row in rows]
    recorded: dict[tuple[int, date], int] = {}
    for held_id, expires_on, days_before in (
        ExpiryReminder.select(
            ExpiryReminder.candidate_certification,
            ExpiryReminder.expires_on,
            ExpiryReminder.days_before,
        )
        .where(ExpiryReminder.candidate_certification.in_(ids))
        .tuples()
    ):
        key = (held_id, expires_on)
        recorded[key] = min(days_before, recorded.get(key, days_before))
    return recorded


def _plans(wanted, today: date, rules) -> dict[int, CertificationPlan | None]:
    """Each wanted reminder's plan by certification row id: one read of the batch's facts,
    one replay per candidate, only the plans of the certifications being reminded."""
    from certportal.domain.certifications import load_facts

    codes_of: dict[int, set[str]] = {}
    for row, _ in wanted:
        codes_of.setdefault(row[1], set()).add(row[3])
    facts = load_facts(sorted(codes_of))
    plans = {
        candidate_id: plan_from_facts(rules, facts[candidate_id], today, codes)
        for candidate_id, codes in codes_of.items()
    }
    return {row[0]: plans[row[1]].get(row[3]) for row, _ in wanted}


def send_due_reminders(
    today: date,
    notify: Callable[[list[DueReminder]], list[int]],
    batch: int = BATCH,
) -> ReminderRun:
    """Record and send every reminder due on `today`; see the module's docstring.

    `notify(reminders)` queues their emails and returns the OutgoingEmail ids in the same
    order; it runs inside the batch's transaction, so a reminder is recorded exactly when its
    email is queued.
    """
    from certportal.domain.certifications import load_rules

    run = ReminderRun(today)
    rules = load_rules()
    for rows in expiring_batches(today, batch):
        run.considered += len(rows)
        recorded = _recorded(rows)
        wanted = []
        for row in rows:
            held_id, expires_on = row[0], row[2]
            window = due_window((expires_on - today).days)
            if window is None:
                run.not_due += 1
            elif not row[9]:
                run.opted_out += 1
            elif recorded.get((held_id, expires_on), WINDOWS[0] + 1) <= window:
                run.already_sent += 1
            else:
                wanted.append((row, window))
        if wanted:
            _claim_and_send(wanted, today, notify, rules, run)
    return run


def _claim_and_send(wanted, today, notify, rules, run: ReminderRun) -> None:
    token, now = secrets.token_hex(16), utcnow()
    # Worked out before the transaction, which then holds SQLite's write lock only briefly.
    plans = _plans(wanted, today, rules)
    with database.atomic():
        insert_rows(
            ExpiryReminder,
            (
                ExpiryReminder.candidate_certification,
                ExpiryReminder.expires_on,
                ExpiryReminder.days_before,
                ExpiryReminder.sent_on,
                ExpiryReminder.run_token,
                ExpiryReminder.created_at,
            ),
            [(row[0], row[2], window, today, token, now) for row, window in wanted],
            skip_duplicates=True,
        )
        claimed = dict(
            ExpiryReminder.select(ExpiryReminder.candidate_certification, ExpiryReminder.id)
            .where(ExpiryReminder.run_token == token)
            .tuples()
        )
        run.already_sent += len(wanted) - len(claimed)
        due = [
            DueReminder(
                reminder_id=claimed[row[0]],
                candidate_id=row[1],
                candidate_certification_id=row[0],
                email=row[6],
                first_name=row[7],
                last_name=row[8],
                code=row[3],
                name=f"{row[4]} ({row[5]})",
                expires_on=row[2],
                days_before=window,
                today=today,
                plan=plans[row[0]],
            )
            for row, window in wanted
            if row[0] in claimed
        ]
        if not due:
            return
        email_ids = notify(due)
        update_rows(
            ExpiryReminder.outgoing_email,
            [(email_id, r.reminder_id) for r, email_id in zip(due, email_ids, strict=True)],
        )
        run.email_ids.extend(email_ids)
        run.sent += len(due)


def cancel_stale_reminders(held_ids) -> int:
    """Withdraw reminder emails not yet delivered whose cycle no longer applies (the
    certification was recertified, renewed, revoked or expired): the engine's reaction to
    certification events. Returns how many were withdrawn."""
    held_ids = list(held_ids)
    if not held_ids:
        return 0
    # The pending reminders first: most certifications an import touches have none, and
    # then one query is the whole cost.
    pending = list(
        ExpiryReminder.select(
            ExpiryReminder.candidate_certification,
            ExpiryReminder.expires_on,
            ExpiryReminder.outgoing_email,
        )
        .join(OutgoingEmail)
        .where(
            column_in(ExpiryReminder.candidate_certification, held_ids)
            & (OutgoingEmail.status == "pending")
        )
        .tuples()
    )
    if not pending:
        return 0
    current = dict(
        CandidateCertification.select(CandidateCertification.id, CandidateCertification.expires_on)
        .where(
            CandidateCertification.id.in_(list({held_id for held_id, _, _ in pending}))
            & (CandidateCertification.status == "active")
        )
        .tuples()
    )
    stale_emails = [
        email_id for held_id, expires_on, email_id in pending if current.get(held_id) != expires_on
    ]
    if not stale_emails:
        return 0
    return (
        OutgoingEmail.update(status="withdrawn", last_error="The reminder no longer applies.")
        .where(OutgoingEmail.id.in_(stale_emails) & (OutgoingEmail.status == "pending"))
        .execute()
    )


def after_certification_events(changes) -> None:
    """The engine's reaction (domain/reactions.py), for every (candidate, events) of a
    recompute chunk at once: a certification recertified, renewed, revoked or expired has a
    new cycle or none, so its queued, undelivered reminders of the old one are withdrawn.
    Idempotent: a withdrawn email is no longer pending."""
    cancel_stale_reminders(
        {event.candidate_certification_id for _, events in changes for event in events}
    )
