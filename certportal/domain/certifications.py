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
from dataclasses import dataclass
from datetime import date
from itertools import groupby

from certportal.db import database
from certportal.domain import audit, reactions
from certportal.domain.accounts import login_id_key
from certportal.domain.bulk import as_date, column_in, insert_rows, raw_tuples, readable_codes
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
        for credit_id, candidate_id, points, active_on, inactive_on in (
            CeCredit.select(
                CeCredit.id,
                CeCredit.candidate,
                CeCredit.points,
                CeCredit.active_on,
                CeCredit.inactive_on,
            )
            .where(
                column_in(CeCredit.candidate, chunk)
                & CeCredit.review.in_(COUNTING_REVIEWS)
                & CeCredit.status.in_(COUNTING_STATUSES)
            )
            .tuples()
        ):
            credits[candidate_id].append(Credit(credit_id, points, active_on, inactive_on))
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


def _recompute_chunk(ids, rules, certification_ids, today) -> None:
    facts_by_candidate = load_facts(ids)
    state_columns = [getattr(CandidateCertification, name) for name in STATE_FIELDS]
    held_rows: dict[tuple[int, int], tuple] = {}
    for row in (
        CandidateCertification.select(
            CandidateCertification.id,
            CandidateCertification.candidate,
            CandidateCertification.certification,
            *state_columns,
        )
        .where(column_in(CandidateCertification.candidate, ids))
        .tuples()
    ):
        held_rows[(row[1], row[2])] = (row[0], row[3:])
    stored_events = defaultdict(list)
    if held_rows:
        for row_id, occurred_on, kind, description in (
            CertificationEvent.select(
                CertificationEvent.candidate_certification,
                CertificationEvent.occurred_on,
                CertificationEvent.kind,
                CertificationEvent.description,
            )
            .join(CandidateCertification)
            .where(column_in(CandidateCertification.candidate, ids))
            .order_by(CertificationEvent.id)
            .tuples()
        ):
            stored_events[row_id].append((occurred_on, kind, description))
    stored_usage = {
        credit_id: used_for
        for credit_id, used_for in CeCredit.select(CeCredit.id, CeCredit.used_for)
        .where(column_in(CeCredit.candidate, ids) & CeCredit.status.in_(COUNTING_STATUSES))
        .tuples()
    }

    new_rows, new_events_for = [], []
    changed_events: dict[int, list] = {}
    desired_usage: dict[int, tuple[int, str]] = {}  # credit id -> (candidate id, cert code)
    now = utcnow()
    kept: set[tuple[int, int]] = set()
    for candidate_id in ids:
        facts = facts_by_candidate[candidate_id]
        replay = Replay(rules, facts)
        outcome = replay.run(today)
        for credit_id, code in outcome.credit_used_by.items():
            desired_usage[credit_id] = (candidate_id, code)
        for code in replay.relevant():
            state = outcome.states[code]
            values = (
                state.status,
                state.first_earned_on,
                state.active_on,
                state.expires_on,
                state.cycle_started_on,
                None,
            )
            if state.status == "none":
                started, earliest = replay.earn_progress(code, today)
                if not started:
                    continue
                values = ("in_progress", *values[1:5], earliest)
            events = [(e.occurred_on, e.kind, e.description) for e in state.events]
            key = (candidate_id, certification_ids[code])
            kept.add(key)
            stored = held_rows.get(key)
            if stored is None:
                new_rows.append(
                    (candidate_id, certification_ids[code], *values, "", now, now)
                )
                new_events_for.append((key, events))
                continue
            row_id, stored_values = stored
            if stored_values[0] == "revoked":
                continue  # staff revoked it: the facts do not bring it back
            if tuple(stored_values) != values:
                CandidateCertification.update(
                    {
                        **dict(zip(state_columns, values, strict=True)),
                        CandidateCertification.updated_at: now,
                    }
                ).where(CandidateCertification.id == row_id).execute()
            if stored_events.get(row_id, []) != events:
                changed_events[row_id] = events
    # A certification shown "in progress" whose facts lapsed no longer is: it never had a
    # history (that starts when it is earned), so its row can go.
    lapsed = [
        row_id
        for key, (row_id, stored_values) in held_rows.items()
        if stored_values[0] == "in_progress" and key not in kept
    ]
    if lapsed:
        CandidateCertification.delete().where(CandidateCertification.id.in_(lapsed)).execute()
    # Every row these candidates hold after this pass, for the credits' used_for links.
    lapsed_ids = set(lapsed)
    held_ids = {
        key: row_id for key, (row_id, _) in held_rows.items() if row_id not in lapsed_ids
    }
    if new_rows:
        verification_codes = readable_codes(len(new_rows), 16)
        badge_ids = readable_codes(len(new_rows), 20)
        new_rows = [(*row, verification_codes[n], badge_ids[n]) for n, row in enumerate(new_rows)]
        insert_rows(
            CandidateCertification,
            [
                CandidateCertification.candidate,
                CandidateCertification.certification,
                *state_columns,
                CandidateCertification.revocation_reason,
                CandidateCertification.created_at,
                CandidateCertification.updated_at,
                CandidateCertification.verification_code,
                CandidateCertification.badge_id,
            ],
            new_rows,
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
        held_ids = inserted
        for key, events in new_events_for:
            if events:
                changed_events[inserted[key]] = events
    if changed_events:
        stale = [row_id for row_id in changed_events if row_id in stored_events]
        if stale:
            CertificationEvent.delete().where(
                CertificationEvent.candidate_certification.in_(stale)
            ).execute()
        insert_rows(
            CertificationEvent,
            [
                CertificationEvent.candidate_certification,
                CertificationEvent.occurred_on,
                CertificationEvent.kind,
                CertificationEvent.description,
                CertificationEvent.created_at,
            ],
            [
                (row_id, occurred_on, kind, description, now)
                for row_id, events in changed_events.items()
                for occurred_on, kind, description in events
            ],
        )
    _store_credit_usage(stored_usage, desired_usage, certification_ids, held_ids)
    _react_to_new_events(stored_events, changed_events)


def _react_to_new_events(stored_events, changed_events) -> None:
    """Tell the features (domain/reactions.py) about the history events this pass added,
    once per candidate. A changed history is rewritten whole, so the added events are the
    new history less the stored one."""
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
    for candidate in sorted(candidates, key=lambda candidate: candidate.id):
        reactions.after_certification_events(candidate, by_candidate[candidate.id])


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
        CertificationEvent.create(
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
        if notify is not None:
            notify(Candidate.get_by_id(held.candidate_id), held)


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


def current_agreement() -> Agreement | None:
    return Agreement.get_or_none((Agreement.kind == "certification") & Agreement.is_current)


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
