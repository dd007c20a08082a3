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
- Scales: one index range scan over (status, expires_on) in keyset batches, the batch's
  facts read in a few queries, the reminders written with one INSERT per batch.
No Flask: the caller passes `notify`, which queues the email (certportal.notifications).
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta

from peewee import Tuple

from certportal.db import database
from certportal.domain.planner import CertificationPlan, plan_from_facts
from certportal.models import (
    Candidate,
    CandidateCertification,
    Certification,
    ExpiryReminder,
    OutgoingEmail,
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


def _plans(candidate_ids: set[int], today: date, rules) -> dict[int, dict]:
    from certportal.domain.certifications import load_facts

    facts = load_facts(sorted(candidate_ids))
    return {cid: plan_from_facts(rules, facts[cid], today) for cid in candidate_ids}


def send_due_reminders(
    today: date,
    notify: Callable[[DueReminder], int],
    batch: int = BATCH,
) -> ReminderRun:
    """Record and send every reminder due on `today`; see the module's docstring.

    `notify(reminder)` queues the email and returns the OutgoingEmail id; it runs inside the
    batch's transaction, so a reminder is recorded exactly when its email is queued.
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
    token = secrets.token_hex(16)
    # Worked out before the transaction, which then holds SQLite's write lock only briefly.
    plans = _plans({row[1] for row, _ in wanted}, today, rules)
    with database.atomic():
        ExpiryReminder.insert_many(
            [
                {
                    ExpiryReminder.candidate_certification: row[0],
                    ExpiryReminder.expires_on: row[2],
                    ExpiryReminder.days_before: window,
                    ExpiryReminder.sent_on: today,
                    ExpiryReminder.run_token: token,
                }
                for row, window in wanted
            ]
        ).on_conflict_ignore().execute()
        claimed = dict(
            ExpiryReminder.select(ExpiryReminder.candidate_certification, ExpiryReminder.id)
            .where(ExpiryReminder.run_token == token)
            .tuples()
        )
        run.already_sent += len(wanted) - len(claimed)
        mine = [(row, window) for row, window in wanted if row[0] in claimed]
        links = []
        for row, window in mine:
            held_id, candidate_id, expires_on, code, name, abbreviation = row[:6]
            reminder = DueReminder(
                reminder_id=claimed[held_id],
                candidate_id=candidate_id,
                candidate_certification_id=held_id,
                email=row[6],
                first_name=row[7],
                last_name=row[8],
                code=code,
                name=f"{name} ({abbreviation})",
                expires_on=expires_on,
                days_before=window,
                today=today,
                plan=plans[candidate_id].get(code),
            )
            email_id = notify(reminder)
            links.append((reminder.reminder_id, email_id))
            run.email_ids.append(email_id)
        for reminder_id, email_id in links:
            ExpiryReminder.update(outgoing_email=email_id).where(
                ExpiryReminder.id == reminder_id
            ).execute()
        run.sent += len(mine)


def cancel_stale_reminders(held_ids) -> int:
    """Withdraw reminder emails not yet delivered whose cycle no longer applies (the
    certification was recertified, renewed, revoked or expired): the engine's reaction to
    certification events. Returns how many were withdrawn."""
    held_ids = list(held_ids)
    if not held_ids:
        return 0
    current = dict(
        CandidateCertification.select(CandidateCertification.id, CandidateCertification.expires_on)
        .where(
            CandidateCertification.id.in_(held_ids) & (CandidateCertification.status == "active")
        )
        .tuples()
    )
    stale_emails = [
        email_id
        for held_id, expires_on, email_id in ExpiryReminder.select(
            ExpiryReminder.candidate_certification,
            ExpiryReminder.expires_on,
            ExpiryReminder.outgoing_email,
        )
        .join(OutgoingEmail)
        .where(
            ExpiryReminder.candidate_certification.in_(held_ids)
            & (OutgoingEmail.status == "pending")
        )
        .tuples()
        if current.get(held_id) != expires_on
    ]
    if not stale_emails:
        return 0
    return (
        OutgoingEmail.update(status="withdrawn", last_error="The reminder no longer applies.")
        .where(OutgoingEmail.id.in_(stale_emails) & (OutgoingEmail.status == "pending"))
        .execute()
    )


def after_certification_events(candidate, events) -> None:
    """The engine's reaction (domain/reactions.py): a certification recertified, renewed,
    revoked or expired has a new cycle or none, so its queued, undelivered reminders of the old
    one are withdrawn. Idempotent: a withdrawn email is no longer pending."""
    cancel_stale_reminders({event.candidate_certification_id for event in events})
