"""Candidates' certifications derived from their facts, stored, and shown.

`recompute(candidate, today)` replays a candidate's exam passes, CE credits and grants through
the catalog's rules (domain/lifecycle.py) and writes the outcome: CandidateCertification
rows, their History (CertificationEvent rows) and which CE credits were used. It writes only
what differs, so running it again changes nothing. Callers run it inside the transaction
that added the new facts.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from itertools import groupby

from certportal.db import database
from certportal.domain import audit, reactions
from certportal.domain.accounts import login_id_key
from certportal.domain.bulk import (
    as_date,
    column_in,
    insert_rows,
    raw_tuples,
    readable_codes,
)
from certportal.domain.lifecycle import Facts, Grant, Replay, Rule
from certportal.domain.requirements import Credit, ExamPass, NodeResult
from certportal.models import (
    Agreement,
    AgreementAcceptance,
    Candidate,
    CandidateCertification,
    CeCredit,
    Certification,
    CertificationEvent,
    CertificationGrant,
    Exam,
    ExamResult,
    certifications_of,
    utcnow,
)

# Credits that count: imported ones and self-submitted ones staff approved.
COUNTING_REVIEWS = ("n/a", "approved")
COUNTING_STATUSES = ("Active", "Used")
CHUNK = 500


class GrantError(Exception):
    """A manual grant was refused; the message says why."""


class RevocationError(Exception):
    """A revocation was refused; the message says why."""


def load_rules() -> list[Rule]:
    """The catalog's certifications in the program's order."""
    query = Certification.select().order_by(
        Certification.group_order, Certification.sort_order, Certification.code
    )
    return [
        Rule(
            code=c.code,
            name=c.display_name,
            validity_months=c.validity_months,
            earn=c.earn_tree,
            recertify=c.recertify_tree,
            recertify_from=c.recertify_from,
            renews=tuple(c.renews or ()),
        )
        for c in query
    ]


def _chunks(ids: list[int]) -> Iterable[list[int]]:
    for start in range(0, len(ids), CHUNK):
        yield ids[start : start + CHUNK]


def load_facts(candidate_ids: list[int]) -> dict[int, Facts]:
    """Every candidate's facts, read in a few queries whatever the number of candidates."""
    exam_codes = dict(Exam.select(Exam.id, Exam.code).tuples())
    exams, credits, grants = defaultdict(list), defaultdict(list), defaultdict(list)
    certification_codes = dict(Certification.select(Certification.id, Certification.code).tuples())
    for chunk in _chunks(candidate_ids):
        for result_id, candidate_id, exam_id, taken_on, expires_on in raw_tuples(
            ExamResult.select(
                ExamResult.id,
                ExamResult.candidate,
                ExamResult.exam,
                ExamResult.taken_on,
                ExamResult.expires_on,
            ).where(column_in(ExamResult.candidate, chunk) & (ExamResult.grade == "Pass"))
        ):
            exams[candidate_id].append(
                ExamPass(result_id, exam_codes[exam_id], as_date(taken_on), as_date(expires_on))
            )
        # Which credits count is decided here, not in the WHERE clause: given `review IN …`
        # SQLite reads the staff queue's (review, created_at) index, which holds every credit,
        # instead of the candidates' own rows (minutes per chunk on a million candidates).
        for credit_id, candidate_id, points, active_on, inactive_on, review, status in raw_tuples(
            CeCredit.select(
                CeCredit.id,
                CeCredit.candidate,
                CeCredit.points,
                CeCredit.active_on,
                CeCredit.inactive_on,
                CeCredit.review,
                CeCredit.status,
            ).where(column_in(CeCredit.candidate, chunk))
        ):
            if review in COUNTING_REVIEWS and status in COUNTING_STATUSES:
                credits[candidate_id].append(
                    Credit(credit_id, points, as_date(active_on), as_date(inactive_on))
                )
        for candidate_id, certification_id, granted_on in (
            CertificationGrant.select(
                CertificationGrant.candidate,
                CertificationGrant.certification,
                CertificationGrant.granted_on,
            )
            .where(column_in(CertificationGrant.candidate, chunk))
            .tuples()
        ):
            grants[candidate_id].append(Grant(certification_codes[certification_id], granted_on))
    return {
        cid: Facts(tuple(exams[cid]), tuple(credits[cid]), tuple(grants[cid]))
        for cid in candidate_ids
    }


def replay_candidate(candidate_id: int, today: date, rules: list[Rule] | None = None) -> Replay:
    replay = Replay(rules or load_rules(), load_facts([candidate_id])[candidate_id])
    replay.run(today)
    return replay


def recompute(candidate: Candidate | int, today: date) -> None:
    """Derive one candidate's certifications from their facts and store what changed."""
    recompute_many([candidate if isinstance(candidate, int) else candidate.id], today)


def recompute_many(candidate_ids: Iterable[int], today: date) -> None:
    """Recompute several candidates with a few queries per 500 candidates."""
    ids = sorted(set(candidate_ids))
    if not ids:
        return
    rules = load_rules()
    certification_ids = dict(Certification.select(Certification.code, Certification.id).tuples())
    with database.atomic():
        for chunk in _chunks(ids):
            _recompute_chunk(chunk, rules, certification_ids, today)


STATE_FIELDS = (
    "status",
    "first_earned_on",
    "active_on",
    "expires_on",
    "cycle_started_on",
    "started_on",
)


STATE_COLUMNS = tuple(getattr(CandidateCertification, name) for name in STATE_FIELDS)
# What one row and one history line hold, as the replay produces them and the database
# returns them: compared as tuples, so only what differs is written.
EVENT_FIELDS = ("occurred_on", "kind", "description")


@dataclass
class _Stored:
    """What the database holds for a chunk of candidates before the recompute."""

    # (candidate id, certification id) -> (row id, the STATE_FIELDS values)
    rows: dict[tuple[int, int], tuple[int, tuple]]
    # row id -> its history, oldest first, as (occurred_on, kind, description)
    events: dict[int, list[tuple]]
    # id of a counting credit -> the row it is used for, or None
    usage: dict[int, int | None]


@dataclass
class _Changes:
    """What the replay says must change for a chunk of candidates."""

    # (candidate id, certification id, *STATE_FIELDS values) of rows to create, and their
    # history, in the same order.
    new_rows: list[tuple] = field(default_factory=list)
    new_histories: list[tuple[tuple[int, int], list[tuple]]] = field(default_factory=list)
    # row id -> the STATE_FIELDS values it must now hold
    updates: dict[int, tuple] = field(default_factory=dict)
    # row id -> its whole new history
    histories: dict[int, list[tuple]] = field(default_factory=dict)
    # credit id -> (candidate id, code of the certification that used it)
    usage: dict[int, tuple[int, str]] = field(default_factory=dict)
    # the (candidate id, certification id) rows the replay still shows
    kept: set[tuple[int, int]] = field(default_factory=set)


def _recompute_chunk(ids, rules, certification_ids, today) -> None:
    """Replay up to CHUNK candidates and write only what differs from the stored rows."""
    stored = _read_stored(ids)
    changes = _replay_chunk(ids, rules, certification_ids, today, stored)
    now = utcnow()
    for row_id, values in changes.updates.items():
        CandidateCertification.update(
            {**dict(zip(STATE_COLUMNS, values, strict=True)),
             CandidateCertification.updated_at: now}
        ).where(CandidateCertification.id == row_id).execute()
    held_ids = _delete_lapsed(stored, changes.kept)
    if changes.new_rows:
        held_ids = _insert_rows(ids, changes, now)
    _replace_histories(changes.histories, stored.events, now)
    _store_credit_usage(stored.usage, changes.usage, certification_ids, held_ids)
    _react_to_new_events(stored.events, changes.histories)


def _read_stored(ids) -> _Stored:
    rows = {
        (candidate_id, certification_id): (row_id, tuple(values))
        for row_id, candidate_id, certification_id, *values in CandidateCertification.select(
            CandidateCertification.id,
            CandidateCertification.candidate,
            CandidateCertification.certification,
            *STATE_COLUMNS,
        )
        .where(column_in(CandidateCertification.candidate, ids))
        .tuples()
    }
    events = defaultdict(list)
    if rows:
        for row_id, *event in (
            CertificationEvent.select(
                CertificationEvent.candidate_certification,
                *(getattr(CertificationEvent, name) for name in EVENT_FIELDS),
            )
            .join(CandidateCertification)
            .where(column_in(CandidateCertification.candidate, ids))
            .order_by(CertificationEvent.id)
            .tuples()
        ):
            events[row_id].append(tuple(event))
    usage = dict(
        CeCredit.select(CeCredit.id, CeCredit.used_for)
        .where(column_in(CeCredit.candidate, ids) & CeCredit.status.in_(COUNTING_STATUSES))
        .tuples()
    )
    return _Stored(rows, events, usage)


def _replayed_values(replay: Replay, state, code: str, today: date) -> tuple | None:
    """The STATE_FIELDS a certification's row must hold, or None when it needs no row (no
    state and no progress)."""
    values = (state.status, state.first_earned_on, state.active_on, state.expires_on,
              state.cycle_started_on, None)
    if state.status != "none":
        return values
    started, earliest = replay.earn_progress(code, today)
    if not started:
        return None
    return ("in_progress", *values[1:5], earliest)


def _replay_chunk(ids, rules, certification_ids, today, stored: _Stored) -> _Changes:
    facts_by_candidate = load_facts(ids)
    changes = _Changes()
    for candidate_id in ids:
        replay = Replay(rules, facts_by_candidate[candidate_id])
        outcome = replay.run(today)
        for credit_id, code in outcome.credit_used_by.items():
            changes.usage[credit_id] = (candidate_id, code)
        for code in replay.relevant():
            state = outcome.states[code]
            values = _replayed_values(replay, state, code, today)
            if values is None:
                continue
            events = [(e.occurred_on, e.kind, e.description) for e in state.events]
            key = (candidate_id, certification_ids[code])
            changes.kept.add(key)
            if key not in stored.rows:
                changes.new_rows.append(key + values)
                changes.new_histories.append((key, events))
                continue
            row_id, stored_values = stored.rows[key]
            if stored_values[0] == "revoked":
                continue  # staff revoked it: the facts do not bring it back
            if tuple(stored_values) != values:
                changes.updates[row_id] = values
            if stored.events.get(row_id, []) != events:
                changes.histories[row_id] = events
    return changes


def _delete_lapsed(stored: _Stored, kept) -> dict[tuple[int, int], int]:
    """Delete the rows shown "in progress" whose facts lapsed (they never had a history:
    that starts when a certification is earned); the ids of every row left."""
    lapsed = [
        row_id
        for key, (row_id, values) in stored.rows.items()
        if values[0] == "in_progress" and key not in kept
    ]
    if lapsed:
        CandidateCertification.delete().where(CandidateCertification.id.in_(lapsed)).execute()
    lapsed_ids = set(lapsed)
    return {key: row_id for key, (row_id, _) in stored.rows.items() if row_id not in lapsed_ids}


def _insert_rows(ids, changes: _Changes, now) -> dict[tuple[int, int], int]:
    """Create the new rows, each with fresh public codes, and queue their histories; the ids
    of every row these candidates now hold."""
    count = len(changes.new_rows)
    verification_codes = readable_codes(count, 16)
    badge_ids = readable_codes(count, 20)
    insert_rows(
        CandidateCertification,
        [
            CandidateCertification.candidate,
            CandidateCertification.certification,
            *STATE_COLUMNS,
            CandidateCertification.revocation_reason,
            CandidateCertification.created_at,
            CandidateCertification.updated_at,
            CandidateCertification.verification_code,
            CandidateCertification.badge_id,
        ],
        [
            (*row, "", now, now, verification_codes[n], badge_ids[n])
            for n, row in enumerate(changes.new_rows)
        ],
    )
    inserted = {
        (candidate_id, certification_id): row_id
        for row_id, candidate_id, certification_id in CandidateCertification.select(
            CandidateCertification.id,
            CandidateCertification.candidate,
            CandidateCertification.certification,
        )
        .where(column_in(CandidateCertification.candidate, ids))
        .tuples()
    }
    for key, events in changes.new_histories:
        if events:
            changes.histories[inserted[key]] = events
    return inserted


def _replace_histories(histories: dict[int, list[tuple]], stored_events, now) -> None:
    """Write each changed history whole: the old lines go, the replayed ones come."""
    if not histories:
        return
    stale = [row_id for row_id in histories if row_id in stored_events]
    if stale:
        CertificationEvent.delete().where(
            CertificationEvent.candidate_certification.in_(stale)
        ).execute()
    insert_rows(
        CertificationEvent,
        [
            CertificationEvent.candidate_certification,
            *(getattr(CertificationEvent, name) for name in EVENT_FIELDS),
            CertificationEvent.created_at,
        ],
        [
            (row_id, *event, now)
            for row_id, events in histories.items()
            for event in events
        ],
    )


def _react_to_new_events(stored_events, changed_events) -> None:
    """Tell the features (domain/reactions.py) about the history events this pass added,
    every candidate of the chunk at once. A changed history is rewritten whole, so the added
    events are the new history less the stored one."""
    added: dict[int, Counter] = {}
    for row_id, events in changed_events.items():
        new = Counter(events) - Counter(stored_events.get(row_id, []))
        if new:
            added[row_id] = new
    if not added:
        return
    by_candidate = defaultdict(list)
    for event in (
        CertificationEvent.select(CertificationEvent, CandidateCertification)
        .join(CandidateCertification)
        .where(column_in(CertificationEvent.candidate_certification, list(added)))
        .order_by(CertificationEvent.id)
    ):
        wanted = added[event.candidate_certification_id]
        key = (event.occurred_on, event.kind, event.description)
        if wanted[key] > 0:
            wanted[key] -= 1
            by_candidate[event.candidate_certification.candidate_id].append(event)
    candidates = Candidate.select().where(column_in(Candidate.id, list(by_candidate)))
    reactions.after_certification_events_of_many(
        [(candidate, by_candidate[candidate.id])
         for candidate in sorted(candidates, key=lambda candidate: candidate.id)]
    )


def _store_credit_usage(stored_usage, desired_usage, certification_ids, held_ids) -> None:
    if not stored_usage:
        return
    for credit_id, used_for in stored_usage.items():
        wanted = desired_usage.get(credit_id)
        target = None
        if wanted is not None:
            target = held_ids.get((wanted[0], certification_ids[wanted[1]]))
        if target != used_for:
            CeCredit.update(used_for=target, status="Used" if target else "Active").where(
                CeCredit.id == credit_id
            ).execute()


def recompute_everyone(today: date) -> int:
    """Recompute every candidate (expirations happen as days pass); returns how many."""
    ids = [cid for (cid,) in Candidate.select(Candidate.id).tuples()]
    recompute_many(ids, today)
    return len(ids)


def grant(login_id: str, code: str, on: date, today: date, reason: str = "",
          staff_user=None, notify=None) -> CertificationGrant:
    """Grant a certification by hand (a fact like an exam result) and recompute.
    `notify(candidate, held)` congratulates the candidate, in the same transaction, when the
    grant leaves the certification earned."""
    candidate = Candidate.get_or_none(Candidate.login_id == login_id_key(login_id))
    if candidate is None:
        raise GrantError(f'No candidate has the login ID "{login_id}".')
    certification = Certification.get_or_none(Certification.code == code)
    if certification is None:
        raise GrantError(f'No certification has the code "{code}".')
    if on > today:
        raise GrantError(f"The grant date {on:%Y-%m-%d} is in the future.")
    with database.atomic():
        held = held_by_code(candidate, code)
        before = held.status if held else ""
        granted = CertificationGrant.create(
            candidate=candidate, certification=certification, granted_on=on, reason=reason,
            staff_user=staff_user,
        )
        recompute(candidate, today)
        held = held_by_code(candidate, code)
        audit.record(
            "certification_granted", candidate=candidate, staff_user=staff_user,
            subject=f"certification {code}", old_value=before,
            new_value=f"{held.status if held else ''} (granted on {on:%Y-%m-%d})", reason=reason,
        )
        if notify is not None and held is not None and held.status in ("active", "expired"):
            notify(candidate, held)
    return granted


def held_for_login(login_id: str, code: str) -> CandidateCertification:
    """A candidate's certification by login ID and catalog code, for staff commands;
    RevocationError naming what was not found."""
    candidate = Candidate.get_or_none(Candidate.login_id == login_id_key(login_id))
    if candidate is None:
        raise RevocationError(f'No candidate has the login ID "{login_id}".')
    held = held_by_code(candidate, code)
    if held is None:
        raise RevocationError(
            f'{candidate.login_id} holds no certification with the code "{code}".'
        )
    return held


REVOCATION_REASON_MAX = 1000


def revoke_certification(held: CandidateCertification, *, reason: str, staff_user=None,
                         now=None, notify=None) -> None:
    """Revoke a certification: it stops being valid everywhere (Certifications page,
    verification, PDF, transcripts, badges' status list), recompute leaves it alone, and
    History and the audit log say why. The candidate is recomputed (other certifications
    may have leaned on this one) and `notify(candidate, held)` tells them, in the same
    transaction.

    Revoking a revoked certification changes nothing. RevocationError for a missing reason.
    """
    reason = " ".join((reason or "").split())
    if not reason:
        raise RevocationError("Give the reason for revoking the certification.")
    if len(reason) > REVOCATION_REASON_MAX:
        raise RevocationError(f"Use at most {REVOCATION_REASON_MAX} characters for the reason.")
    now = now or utcnow()
    with database.atomic():
        previous = (
            CandidateCertification.select(CandidateCertification.status)
            .where(CandidateCertification.id == held.id)
            .scalar()
        )
        # The condition makes two revocations at once record one: the second changes no row.
        changed = (
            CandidateCertification.update(
                status="revoked", revoked_at=now, revocation_reason=reason, updated_at=now
            )
            .where((CandidateCertification.id == held.id)
                   & (CandidateCertification.status != "revoked"))
            .execute()
        )
        if not changed:
            return
        revoked = CertificationEvent.create(
            candidate_certification=held.id,
            occurred_on=now.date(),
            kind="revoked",
            description=f"Revoked: {reason}"[:255],
        )
        code = Certification.get_by_id(held.certification_id).code
        audit.record(
            "certification_revoked",
            candidate=held.candidate_id,
            staff_user=staff_user,
            subject=f"certification {code}",
            old_value=previous or "",
            new_value=f"revoked: {reason}",
            reason=reason,
        )
        held.status, held.revoked_at, held.revocation_reason = "revoked", now, reason
        recompute(held.candidate_id, now.date())
        candidate = Candidate.get_by_id(held.candidate_id)
        # Recompute leaves a revoked certification alone, so its revocation reaches the
        # reactions here (its queued, undelivered reminders are withdrawn).
        revoked.candidate_certification = held
        reactions.after_certification_events(candidate, [revoked])
        if notify is not None:
            notify(candidate, held)


# -- what the pages show -------------------------------------------------------------------


@dataclass
class Detail:
    held: CandidateCertification
    tree_kind: str  # earn | recertify
    progress: NodeResult | None
    credits: list  # planner.CreditShown: those that count, then those another one used
    credit_points: int
    events: list[CertificationEvent]
    plan: object = None  # planner.CertificationPlan, for an active certification


def by_group(held_rows) -> list[tuple[str, list[CandidateCertification]]]:
    """Certifications under their group headers ("General Certifications - Associate"),
    keeping the program's order (rows as certifications_of returns them)."""
    return [
        (group_name, list(rows))
        for group_name, rows in groupby(held_rows, key=lambda held: held.certification.group_name)
    ]


@dataclass(frozen=True)
class Overview:
    active_groups: list[tuple[str, list[CandidateCertification]]]
    in_progress: list[CandidateCertification]
    expired: list[CandidateCertification]


def overview(candidate: Candidate) -> Overview:
    """The Certifications page: active ones by group, then those in progress, then expired."""
    rows = list(certifications_of(candidate))
    return Overview(
        active_groups=by_group([r for r in rows if r.status == "active"]),
        in_progress=[r for r in rows if r.status == "in_progress"],
        expired=[r for r in rows if r.status == "expired"],
    )


def held_by_code(candidate: Candidate, code: str) -> CandidateCertification | None:
    """One of the candidate's certifications, by catalog code; None if not theirs."""
    return (
        CandidateCertification.select(CandidateCertification, Certification)
        .join(Certification)
        .where((CandidateCertification.candidate == candidate) & (Certification.code == code))
        .first()
    )


def detail(candidate: Candidate, held: CandidateCertification, today: date) -> Detail:
    """Current progress, the plan to keep it (when active), the CE credits it can count (and
    those another certification used), and the history."""
    from certportal.domain.planner import outlook

    code = held.certification.code
    seen = outlook(load_rules(), load_facts([candidate.id])[candidate.id], today, code)
    events = list(
        CertificationEvent.select()
        .where(CertificationEvent.candidate_certification == held)
        .order_by(CertificationEvent.occurred_on.desc(), CertificationEvent.id.desc())
    )
    return Detail(
        held,
        seen.tree_kind,
        seen.progress,
        list(seen.credits),
        sum(credit.points for credit in seen.credits if credit.counts),
        events,
        # A revoked certification is not kept by recertifying: the engine does not know it.
        seen.plan if held.status == "active" else None,
    )


def progress_by_code(
    candidate: Candidate, today: date
) -> dict[str, tuple[str, NodeResult | None]]:
    """Every certification's current progress from one replay of the candidate's facts: the
    tree that matters now ("earn", or "recertify" while active) as evaluated today."""
    replay = replay_candidate(candidate.id, today)
    return {code: replay.progress(code, today) for code in replay.rules}


def current_agreement() -> Agreement | None:
    return Agreement.get_or_none((Agreement.kind == "certification") & Agreement.is_current)


def accept_by_taking_exams(first_exam_on: dict[int, date]) -> None:
    """Record that candidates who took exams accepted the current certification agreement.

    The agreement is accepted before the first exam and again at the next exam after a new
    version: the test center asks, so an exam result is the proof (the guide's own record shows
    V9 accepted on the day of an exam). A certification is awarded only with the agreement
    accepted, and every certification an exam earns therefore has one. `first_exam_on` maps a
    candidate id to the first exam day of the results being recorded; an acceptance already
    on record is kept as it is.
    """
    agreement = current_agreement()
    if agreement is None or not first_exam_on:
        return
    now = utcnow()
    insert_rows(
        AgreementAcceptance,
        (AgreementAcceptance.candidate, AgreementAcceptance.agreement,
         AgreementAcceptance.accepted_on, AgreementAcceptance.ip_address,
         AgreementAcceptance.created_at),
        [(candidate_id, agreement.id, taken_on, "", now)
         for candidate_id, taken_on in first_exam_on.items()],
        skip_duplicates=True,
    )


def acceptance_of(candidate: Candidate, agreement: Agreement) -> AgreementAcceptance | None:
    return AgreementAcceptance.get_or_none(
        (AgreementAcceptance.candidate == candidate) & (AgreementAcceptance.agreement == agreement)
    )


def accept_agreement(candidate: Candidate, agreement: Agreement, today: date, ip: str):
    """Record the candidate's acceptance of an agreement once; accepting again keeps the first."""
    existing = acceptance_of(candidate, agreement)
    if existing is not None:
        return existing
    return AgreementAcceptance.create(
        candidate=candidate, agreement=agreement, accepted_on=today, ip_address=ip[:45]
    )
