"""Candidates as staff find and look after them: search, the record, account actions.

Search reads only indexes: a login ID, an email, a registration number or a verification code
is one equality lookup each; a name is a prefix range over `name_key` (last name then first
name, folded like fold_name), both orders of a two-word query tried. Every answer is a page.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass
from datetime import datetime

from peewee import fn

from certportal.db import database
from certportal.domain import audit
from certportal.domain.accounts import clear_throttles, is_login_id, login_id_key
from certportal.domain.mapping import (
    MappingNotice,
    email_key,
    fold_name,
    is_email_address,
    notice_for,
    registration_key,
)
from certportal.models import (
    Candidate,
    CandidateCertification,
    EmailToken,
    ExamResult,
    LoginSession,
    OutgoingEmail,
    SupportCase,
    utcnow,
)

PAGE_SIZE = 25
MAX_QUERY_LENGTH = 254
# The largest character a folded name holds sorts below this: the end of a prefix range.
_PREFIX_END = "\U0010ffff"


@dataclass(frozen=True)
class SearchPage:
    query: str
    candidates: list[Candidate]
    page: int
    has_next: bool
    # How each exact hit was found ("login ID", "email"…), by candidate id.
    matched_by: dict[int, str]


def name_prefix_range(prefix: str):
    """`name_key` from the prefix up to the last key starting with it: an index range scan.
    The column compares by code point on both engines (SQLite's BINARY, PostgreSQL's "C"
    collation, set by migration 040), so the range holds exactly the keys with the prefix."""
    return (Candidate.name_key >= prefix) & (Candidate.name_key < prefix + _PREFIX_END)


def _exact_hits(query: str) -> list[tuple[int, str]]:
    """(candidate id, how) for each identifier the query is, one indexed lookup each."""
    hits: list[tuple[int, str]] = []
    if "@" in query:
        if is_email_address(query):
            hits += [
                (cid, "email")
                for (cid,) in Candidate.select(Candidate.id)
                .where(Candidate.email_key == email_key(query))
                .order_by(Candidate.id)
                .limit(PAGE_SIZE)
                .tuples()
            ]
        return hits
    if is_login_id(query):
        found = (
            Candidate.select(Candidate.id)
            .where(Candidate.login_id == login_id_key(query))
            .tuples()
            .first()
        )
        if found:
            hits.append((found[0], "login ID"))
        found = (
            CandidateCertification.select(CandidateCertification.candidate)
            .where(CandidateCertification.verification_code == query.upper())
            .tuples()
            .first()
        )
        if found:
            hits.append((found[0], "verification code"))
    # Registration numbers match without regard to case (indexed on lower()).
    hits += [
        (cid, "registration number")
        for (cid,) in ExamResult.select(ExamResult.candidate)
        .where(fn.LOWER(ExamResult.registration_number) == registration_key(query))
        .limit(5)
        .tuples()
    ]
    return hits


def _name_ranges(query: str) -> list:
    """One prefix range per word order the query's name may be in."""
    words = fold_name(query).split(" ")
    if not words or not words[0]:
        return []
    ranges = [name_prefix_range(" ".join(words))]
    if len(words) == 2 and words[0] != words[1]:  # "José Núñez" as well as "Núñez José"
        ranges.append(name_prefix_range(f"{words[1]} {words[0]}"))
    return ranges


def name_search_queries(query: str, page: int = 1, per_page: int = PAGE_SIZE) -> list:
    """The name part of a search: one index range scan in name order per word order, each
    reading no more rows than the page needs. Two orders are two queries merged by the
    caller, never one OR: a planner may answer an OR of two ranges, ordered and limited, by
    walking the whole index (SQLite does at 1M candidates)."""
    ranges = _name_ranges(query)
    ordered = [
        Candidate.select().where(condition).order_by(Candidate.name_key, Candidate.id)
        for condition in ranges
    ]
    if len(ordered) == 1:
        return [ordered[0].limit(per_page + 1).offset((page - 1) * per_page)]
    return [rows.limit(page * per_page + 1) for rows in ordered]


def _named_page(query: str, page: int, per_page: int) -> list[Candidate]:
    """Up to per_page + 1 candidates by name, from the page's first one."""
    queries = name_search_queries(query, page, per_page)
    if len(queries) == 1:
        return list(queries[0])
    merged = heapq.merge(*(list(rows) for rows in queries),
                         key=lambda candidate: (candidate.name_key, candidate.id))
    return list(merged)[(page - 1) * per_page : page * per_page + 1]


def search_candidates(query: str, page: int = 1, per_page: int = PAGE_SIZE) -> SearchPage:
    """Candidates the query names: exact identifiers first (page 1), then names by prefix."""
    query = " ".join((query or "").split())[:MAX_QUERY_LENGTH]
    page = max(page, 1)
    if not query:
        return SearchPage(query, [], page, False, {})
    matched_by: dict[int, str] = {}
    for candidate_id, how in _exact_hits(query):
        matched_by.setdefault(candidate_id, how)
    exact = []
    if matched_by and page == 1:
        by_id = {c.id: c for c in Candidate.select().where(Candidate.id.in_(list(matched_by)))}
        exact = [by_id[cid] for cid in matched_by if cid in by_id]
    named: list[Candidate] = []
    has_next = False
    if "@" not in query:
        rows = _named_page(query, page, per_page)
        has_next = len(rows) > per_page
        named = [c for c in rows[:per_page] if c.id not in matched_by]
    return SearchPage(query, exact + named, page, has_next, matched_by)


def find_by_login_id(login_id: str) -> Candidate | None:
    if not is_login_id((login_id or "").strip()):
        return None
    return Candidate.get_or_none(Candidate.login_id == login_id_key(login_id))


# --- The record ----------------------------------------------------------------------------


def record_ids(candidate: Candidate) -> list[int]:
    """The candidate and every record merged into it (their history is theirs too)."""
    ids = [candidate.id]
    frontier = [candidate.id]
    while frontier:
        frontier = [
            cid for (cid,) in Candidate.select(Candidate.id)
            .where(Candidate.merged_into.in_(frontier)).tuples()
            if cid not in ids
        ]
        ids += frontier
    return ids


def emails_sent(candidate: Candidate, limit: int = 100) -> list[OutgoingEmail]:
    return list(
        OutgoingEmail.select()
        .where(OutgoingEmail.candidate.in_(record_ids(candidate)))
        .order_by(OutgoingEmail.created_at.desc(), OutgoingEmail.id.desc())
        .limit(limit)
    )


def support_cases(candidate: Candidate) -> list[SupportCase]:
    """Cases opened by the candidate or naming one of their login IDs or their email."""
    login_ids = [
        login_id for (login_id,) in Candidate.select(Candidate.login_id)
        .where(Candidate.id.in_(record_ids(candidate))).tuples()
    ]
    condition = SupportCase.candidate.in_(record_ids(candidate)) | (
        fn.LOWER(SupportCase.contact_email) == candidate.email_key
    )
    for login_id in login_ids:
        condition |= SupportCase.login_ids.contains(login_id)
    return list(SupportCase.select().where(condition).order_by(SupportCase.created_at.desc()))


def live_session_count(candidate: Candidate) -> int:
    return (
        LoginSession.select()
        .where((LoginSession.candidate == candidate) & LoginSession.revoked_at.is_null())
        .count()
    )


# --- What staff do to an account -----------------------------------------------------------


class CandidateActionRefused(ValueError):
    """The action did not happen; `field` names the input to blame."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field


def _required_reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise CandidateActionRefused("reason", "Give the reason (it is kept in the audit log).")
    return reason


def resend_mapping_email(candidate: Candidate, staff_user, ip_address: str = "",
                         notify=None) -> MappingNotice:
    """A new one-time link to the email on file (set or reset the password); `notify`
    sends it in the same transaction."""
    with database.atomic():
        notice = notice_for(candidate, candidate.email)
        audit.record("mapping_email_resent", candidate=candidate, staff_user=staff_user,
                     new_value=candidate.email, ip_address=ip_address)
        if notify is not None:
            notify(notice)
    return notice


def correct_email(candidate: Candidate, new_email: str, reason: str, staff_user,
                  ip_address: str = "", notify=None) -> str:
    """Put a new address on file; returns the old one. Emailed links to the old address
    stop working; `notify(candidate, old_email)` tells the old address, in the same
    transaction (an account never moves silently)."""
    reason = _required_reason(reason)
    new_email = (new_email or "").strip()
    if not is_email_address(new_email):
        raise CandidateActionRefused("email", "Enter an email address, like name@example.com.")
    if email_key(new_email) == candidate.email_key:
        raise CandidateActionRefused("email", "This is the address on file already.")
    taken = (
        Candidate.select()
        .where(
            (Candidate.email_key == email_key(new_email))
            & (Candidate.id != candidate.id)
            & Candidate.merged_into.is_null()
        )
        .exists()
    )
    if taken:
        raise CandidateActionRefused(
            "email", "Another candidate record has this address: merge the records instead."
        )
    old_email = candidate.email
    now = utcnow()
    with database.atomic():
        candidate.email = new_email
        candidate.email_key = email_key(new_email)
        candidate.save()
        EmailToken.update(used_at=now).where(
            (EmailToken.candidate == candidate) & EmailToken.used_at.is_null()
        ).execute()
        audit.record("email_corrected", candidate=candidate, staff_user=staff_user,
                     old_value=old_email, new_value=new_email, reason=reason, ip_address=ip_address)
        if notify is not None:
            notify(candidate, old_email)
    return old_email


def unlock(candidate: Candidate, staff_user, ip_address: str = "") -> None:
    """Forget the failed log-ins counted against the account from every address."""
    with database.atomic():
        clear_throttles(candidate)
        audit.record("login_throttles_cleared", candidate=candidate, staff_user=staff_user,
                     ip_address=ip_address)


def log_out_everywhere(candidate: Candidate, staff_user, ip_address: str = "",
                       now: datetime | None = None) -> int:
    """End every session of the candidate; returns how many were live."""
    with database.atomic():
        ended = (
            LoginSession.update(revoked_at=now or utcnow())
            .where((LoginSession.candidate == candidate) & LoginSession.revoked_at.is_null())
            .execute()
        )
        audit.record("sessions_ended_by_staff", candidate=candidate, staff_user=staff_user,
                     new_value=str(ended), ip_address=ip_address)
    return ended


def record_viewed(candidate: Candidate, staff_user, ip_address: str = "") -> None:
    """Reading a record reveals candidate data: that is logged too."""
    audit.record("candidate_viewed", candidate=candidate, staff_user=staff_user,
                 ip_address=ip_address)

