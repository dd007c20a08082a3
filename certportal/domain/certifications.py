"""Candidates' certifications derived from their facts, stored, and shown.

`recompute(candidate, today)` replays a candidate's exam passes, CE credits and grants through
the catalog's rules (domain/lifecycle.py) and writes the outcome: CandidateCertification
rows, their History (CertificationEvent rows) and which CE credits were used. It writes only
what differs, so running it again changes nothing. Callers run it inside the transaction
that added the new facts.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from certportal.db import database
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
    random_code,
)

# Credits that count: imported ones and self-submitted ones staff approved.
COUNTING_REVIEWS = ("n/a", "approved")
COUNTING_STATUSES = ("Active", "Used")
CHUNK = 500


class GrantError(Exception):
    """A manual grant was refused; the message says why."""


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
        for result_id, candidate_id, exam_id, taken_on, expires_on in (
            ExamResult.select(
                ExamResult.id,
                ExamResult.candidate,
                ExamResult.exam,
                ExamResult.taken_on,
                ExamResult.expires_on,
            )
            .where(ExamResult.candidate.in_(chunk) & (ExamResult.grade == "Pass"))
            .tuples()
        ):
            exams[candidate_id].append(
                ExamPass(result_id, exam_codes[exam_id], taken_on, expires_on)
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
                CeCredit.candidate.in_(chunk)
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
            .where(CertificationGrant.candidate.in_(chunk))
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


def _started_on(result: NodeResult, facts: Facts) -> date | None:
    """When work toward an unmet tree began: the earliest fact counting toward it."""
    exam_days = {p.id: p.taken_on for p in facts.exams}
    credit_days = {c.id: c.active_on for c in facts.credits}
    days = [exam_days[i] for _, node in result.walk() for i in node.exam_ids if i in exam_days] + [
        credit_days[i] for _, node in result.walk() for i in node.credit_ids if i in credit_days
    ]
    return min(days, default=None)


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


def _recompute_chunk(ids, rules, certification_ids, today) -> None:
    facts_by_candidate = load_facts(ids)
    held_rows = defaultdict(dict)
    for row in CandidateCertification.select().where(CandidateCertification.candidate.in_(ids)):
        held_rows[row.candidate_id][row.certification_id] = row
    stored_events = defaultdict(list)
    for event in (
        CertificationEvent.select()
        .join(CandidateCertification)
        .where(CandidateCertification.candidate.in_(ids))
        .order_by(CertificationEvent.id)
    ):
        stored_events[event.candidate_certification_id].append(
            (event.occurred_on, event.kind, event.description)
        )
    stored_usage = {
        credit_id: used_for
        for credit_id, used_for in CeCredit.select(CeCredit.id, CeCredit.used_for)
        .where(CeCredit.candidate.in_(ids) & CeCredit.status.in_(COUNTING_STATUSES))
        .tuples()
    }

    new_rows, new_events_for = [], []
    changed_events: dict[int, list] = {}
    desired_usage: dict[int, tuple[int, str]] = {}  # credit id -> (candidate id, cert code)
    for candidate_id in ids:
        facts = facts_by_candidate[candidate_id]
        replay = Replay(rules, facts)
        outcome = replay.run(today)
        for credit_id, code in outcome.credit_used_by.items():
            desired_usage[credit_id] = (candidate_id, code)
        if not facts.exams and not facts.credits and not facts.grants:
            relevant = []
        else:
            relevant = [rule.code for rule in rules]
        for code in relevant:
            state = outcome.states[code]
            values = {
                "status": state.status,
                "first_earned_on": state.first_earned_on,
                "active_on": state.active_on,
                "expires_on": state.expires_on,
                "cycle_started_on": state.cycle_started_on,
                "started_on": None,
            }
            if state.status == "none":
                _, progress = replay.progress(code, today)
                if progress is None or progress.state == "not_started":
                    continue
                values["status"] = "in_progress"
                values["started_on"] = _started_on(progress, facts)
            events = [(e.occurred_on, e.kind, e.description) for e in state.events]
            row = held_rows[candidate_id].get(certification_ids[code])
            if row is None:
                new_rows.append(
                    {
                        "candidate": candidate_id,
                        "certification": certification_ids[code],
                        "verification_code": random_code(16),
                        "badge_id": random_code(20),
                        **values,
                    }
                )
                new_events_for.append(events)
                continue
            if row.status == "revoked":
                continue  # staff revoked it: the facts do not bring it back
            differing = {k: v for k, v in values.items() if getattr(row, k) != v}
            if differing:
                CandidateCertification.update(**differing).where(
                    CandidateCertification.id == row.id
                ).execute()
            if stored_events.get(row.id, []) != events:
                changed_events[row.id] = events
    if new_rows:
        inserted = _insert_returning_ids(new_rows)
        for row_id, events in zip(inserted, new_events_for, strict=True):
            if events:
                changed_events[row_id] = events
    if changed_events:
        CertificationEvent.delete().where(
            CertificationEvent.candidate_certification.in_(list(changed_events))
        ).execute()
        CertificationEvent.insert_many(
            [
                {
                    "candidate_certification": row_id,
                    "occurred_on": occurred_on,
                    "kind": kind,
                    "description": description,
                }
                for row_id, events in changed_events.items()
                for occurred_on, kind, description in events
            ]
        ).execute()
    _store_credit_usage(ids, stored_usage, desired_usage, certification_ids)


def _insert_returning_ids(rows: list[dict]) -> list[int]:
    """Insert rows and return their ids in order (both SQLite and PostgreSQL)."""
    ids = []
    for start in range(0, len(rows), CHUNK):
        part = rows[start : start + CHUNK]
        cursor = (
            CandidateCertification.insert_many(part)
            .returning(CandidateCertification.id)
            .namedtuples()
            .execute()
        )
        ids += [row.id for row in cursor]
    return ids


def _store_credit_usage(ids, stored_usage, desired_usage, certification_ids) -> None:
    if not stored_usage:
        return
    held = {}
    wanted_codes = {code for _, code in desired_usage.values()}
    if wanted_codes:
        for row_id, candidate_id, certification_id in (
            CandidateCertification.select(
                CandidateCertification.id,
                CandidateCertification.candidate,
                CandidateCertification.certification,
            )
            .where(CandidateCertification.candidate.in_(ids))
            .tuples()
        ):
            held[(candidate_id, certification_id)] = row_id
    for credit_id, used_for in stored_usage.items():
        wanted = desired_usage.get(credit_id)
        target = held.get((wanted[0], certification_ids[wanted[1]])) if wanted is not None else None
        if target != used_for:
            CeCredit.update(used_for=target, status="Used" if target else "Active").where(
                CeCredit.id == credit_id
            ).execute()


def recompute_everyone(today: date) -> int:
    """Recompute every candidate (expirations happen as days pass); returns how many."""
    ids = [cid for (cid,) in Candidate.select(Candidate.id).tuples()]
    recompute_many(ids, today)
    return len(ids)


def grant(login_id: str, code: str, on: date, today: date, reason: str = "") -> None:
    """Grant a certification by hand (a fact like an exam result) and recompute."""
    candidate = Candidate.get_or_none(Candidate.login_id == login_id)
    if candidate is None:
        raise GrantError(f'No candidate has the login ID "{login_id}".')
    certification = Certification.get_or_none(Certification.code == code)
    if certification is None:
        raise GrantError(f'No certification has the code "{code}".')
    if on > today:
        raise GrantError(f"The grant date {on:%Y-%m-%d} is in the future.")
    with database.atomic():
        CertificationGrant.create(
            candidate=candidate, certification=certification, granted_on=on, reason=reason
        )
        recompute(candidate, today)


# -- what the pages show -------------------------------------------------------------------


@dataclass
class Detail:
    held: CandidateCertification
    tree_kind: str  # earn | recertify
    progress: NodeResult | None
    credits: list[CeCredit]
    credit_points: int
    events: list[CertificationEvent]


def detail(candidate: Candidate, held: CandidateCertification, today: date) -> Detail:
    """Current progress, the CE credits counting toward it, and the history."""
    replay = replay_candidate(candidate.id, today)
    code = held.certification.code
    tree_kind, progress = replay.progress(code, today)
    state = replay.states[code]
    window = replay.window(state, today, recertifying=tree_kind == "recertify")
    counting_ids = [c.id for c in window.credits if c.valid_on(today)]
    credits = (
        list(
            CeCredit.select()
            .where(CeCredit.id.in_(counting_ids))
            .order_by(CeCredit.active_on, CeCredit.id)
        )
        if counting_ids
        else []
    )
    events = list(
        CertificationEvent.select()
        .where(CertificationEvent.candidate_certification == held)
        .order_by(CertificationEvent.occurred_on.desc(), CertificationEvent.id.desc())
    )
    return Detail(held, tree_kind, progress, credits, sum(c.points for c in credits), events)


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
