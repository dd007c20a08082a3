"""First-time login: mapping a person to their candidate record, and one-time password links.

A candidate record (login ID, name, email on file) comes from exam results before its owner
has a login. The owner proves who they are by the email on file or by their score
report, then sets a password through a one-time link sent by email. The same link
resets a forgotten password once the account is mapped.
"""

import re
import secrets
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from peewee import fn

from certportal.db import database
from certportal.domain import passwords
from certportal.domain.accounts import (
    PASSWORD_RESET,
    PASSWORD_SET,
    PasswordNotify,
    hash_token,
    replace_password,
)
from certportal.models import (
    AuditEvent,
    Candidate,
    EmailToken,
    ExamResult,
    utcnow,
)

TOKEN_LIFETIME = timedelta(hours=24)
SET_PASSWORD = "set_password"  # noqa: S105 (a token purpose, not a secret)
RESET_PASSWORD = "reset_password"  # noqa: S105

# What the email to an address says; the web answer is the same for every one of these.
ONE_UNMAPPED = "set_password"
ONE_MAPPED = "reset_password"
NOT_ON_FILE = "not_on_file"
SEVERAL = "several_records"
# Score report: the new address is already another record's (nothing was changed).
ADDRESS_TAKEN = "address_taken"
# Score report: to the old address on file, after the record moved to a new one.
EMAIL_MOVED = "email_moved"
# Score report: to the owner of an already mapped record someone tried to take over.
MAPPING_REFUSED = "mapping_refused"
NO_MATCH = (
    "No score report matches this last name and registration number. Check both against "
    "your score report and try again."
)

# Deliberately loose: the address only has to look deliverable (the email proves it), and be
# one address: nothing a mail header would read as a second address or a display name
# (commas, semicolons, angle brackets, quotes).
EMAIL_PATTERN = re.compile(r"^[^@\s<>,;\"]+@[^@\s<>,;\"]+\.[^@\s<>,;\"]+$")
EMAIL_MAX_LENGTH = 254
EMAIL_MESSAGE = "Enter an email address, for example name@example.com."


class TokenInvalid(ValueError):
    """The link is unknown, already used or expired."""


@dataclass(frozen=True)
class MappingNotice:
    """Which email to send, to whom, and the one-time link token when there is one."""

    kind: str
    to: str
    candidate: Candidate | None = None
    token: str | None = None
    login_ids: tuple[str, ...] = ()


def fold_name(name: str) -> str:
    """A name without case, accents or repeated spaces: 'NÚÑEZ ' matches 'Nunez'."""
    decomposed = unicodedata.normalize("NFKD", name)
    bare = "".join(char for char in decomposed if not unicodedata.combining(char))
    return " ".join(bare.casefold().split())


NAME_KEY_LENGTH = 255


def name_key(first_name: str, last_name: str) -> str:
    """'Núñez', 'José' -> 'nunez jose': staff find a candidate by a prefix of it."""
    return fold_name(f"{last_name} {first_name}")[:NAME_KEY_LENGTH]


def email_key(address: str) -> str:
    return address.strip().lower()


def is_email_address(address: str) -> bool:
    """The one rule for an email address, wherever one is typed or imported."""
    return len(address) <= EMAIL_MAX_LENGTH and EMAIL_PATTERN.match(address) is not None


def email_address_problem(value: str | None) -> str | None:
    """What an email field says when its value (surrounding spaces aside) is not one address."""
    return None if is_email_address((value or "").strip()) else EMAIL_MESSAGE


def issue_token(candidate: Candidate, now: datetime | None = None) -> str:
    """A new one-time link token (256 random bits); only its SHA-256 is stored."""
    now = now or utcnow()
    token = secrets.token_urlsafe(32)
    EmailToken.create(
        token_hash=hash_token(token),
        candidate=candidate,
        purpose=RESET_PASSWORD if candidate.password_hash else SET_PASSWORD,
        expires_at=now + TOKEN_LIFETIME,
        created_at=now,
    )
    return token


def notice_for(candidate: Candidate, to: str) -> MappingNotice:
    kind = ONE_MAPPED if candidate.password_hash else ONE_UNMAPPED
    return MappingNotice(kind=kind, to=to, candidate=candidate, token=issue_token(candidate),
                         login_ids=(candidate.login_id,))


# Sends the email a notice describes (certportal.notifications.mapping_notice); called inside
# the transaction that issued its link, so a link exists exactly when its email does.
Notify = Callable[[MappingNotice], None]


def _notice_for_address(address: str) -> MappingNotice:
    records = list(
        Candidate.select()
        .where((Candidate.email_key == email_key(address)) & Candidate.merged_into.is_null())
        .order_by(Candidate.login_id)
        .limit(10)
    )
    if not records:
        return MappingNotice(kind=NOT_ON_FILE, to=address)
    if len(records) > 1:
        return MappingNotice(kind=SEVERAL, to=address,
                             login_ids=tuple(record.login_id for record in records))
    return notice_for(records[0], address)


def request_by_email(address: str, notify: Notify | None = None) -> MappingNotice:
    """What to email an address someone typed into 'By email address' or 'Forgot password';
    `notify` sends it."""
    with database.atomic():
        notice = _notice_for_address(address.strip())
        if notify is not None:
            notify(notice)
    return notice


@dataclass
class ScoreReportOutcome:
    """Whether the score report mapped a record, and the emails to send either way."""

    matched: bool
    notices: list[MappingNotice] = field(default_factory=list)


def registration_key(registration_number: str) -> str:
    """Registration numbers match without regard to case or surrounding spaces."""
    return registration_number.strip().lower()


def _score_report_candidate(last_name: str, registration_number: str) -> Candidate | None:
    key = registration_key(registration_number)
    if not key or not fold_name(last_name):
        return None
    # Indexed on lower(registration_number); two numbers differing only in case are
    # told apart by the last name.
    results = (
        ExamResult.select(ExamResult.candidate)
        .where(fn.LOWER(ExamResult.registration_number) == key)
        .limit(5)
    )
    for result in results:
        candidate = result.candidate
        if fold_name(candidate.last_name) == fold_name(last_name):
            return candidate
    return None


def mask_email(address: str) -> str:
    """'new.owner@example.org' → 'n***@e***.org': enough to recognise, not to reuse."""
    local, _, domain = address.strip().rpartition("@")
    host, _, suffix = domain.rpartition(".")
    return f"{local[:1]}***@{host[:1]}***.{suffix}" if host else f"{local[:1]}***@***"


def map_by_score_report(last_name: str, registration_number: str, new_email: str,
                        ip_address: str = "", notify: Notify | None = None) -> ScoreReportOutcome:
    """Match a score report to a record never mapped, and move its email to `new_email`.

    Only an unmapped record (no password yet) can be claimed this way. A mapped one answers
    exactly like a mismatch, changes nothing, and its owner is told someone tried. When the
    new address is already another record's, nothing changes either and the answer is the
    same as a success: the email to that address says what happened. When the email on file
    does move, the old address is told, with the new one masked and a way to report it.
    `notify` sends each email of the outcome, in the transaction of the change.
    """
    with database.atomic():
        outcome = _map_by_score_report(last_name, registration_number, new_email, ip_address)
        if notify is not None:
            for notice in outcome.notices:
                notify(notice)
    return outcome


def _map_by_score_report(last_name: str, registration_number: str, new_email: str,
                         ip_address: str) -> ScoreReportOutcome:
    candidate = _score_report_candidate(last_name, registration_number)
    if candidate is None:
        return ScoreReportOutcome(matched=False)
    if candidate.password_hash:
        return ScoreReportOutcome(
            matched=False,
            notices=[MappingNotice(kind=MAPPING_REFUSED, to=candidate.email,
                                   candidate=candidate, login_ids=(candidate.login_id,))],
        )
    new_email = new_email.strip()
    taken = (
        Candidate.select()
        .where((Candidate.email_key == email_key(new_email)) & (Candidate.id != candidate.id))
        .exists()
    )
    if taken:
        return ScoreReportOutcome(
            matched=True, notices=[MappingNotice(kind=ADDRESS_TAKEN, to=new_email)]
        )
    notices = []
    old_email = candidate.email
    if email_key(old_email) != email_key(new_email):
        candidate.email = new_email
        candidate.email_key = email_key(new_email)
        candidate.save()
        AuditEvent.create(
            candidate=candidate,
            action="email_changed_by_score_report",
            old_value=old_email,
            new_value=new_email,
            ip_address=ip_address[:45],
        )
        if is_email_address(old_email):
            notices.append(MappingNotice(kind=EMAIL_MOVED, to=old_email, candidate=candidate,
                                         login_ids=(candidate.login_id,)))
    notices.insert(0, notice_for(candidate, new_email))
    return ScoreReportOutcome(matched=True, notices=notices)


def _live_token(token: str, now: datetime) -> EmailToken | None:
    if not token or len(token) > 100:
        return None
    stored = EmailToken.get_or_none(EmailToken.token_hash == hash_token(token))
    if stored is None or stored.used_at is not None or stored.expires_at <= now:
        return None
    return stored


def check_token(token: str, now: datetime | None = None) -> EmailToken:
    """The unused, unexpired token a link carries; TokenInvalid otherwise."""
    stored = _live_token(token, now or utcnow())
    if stored is None:
        raise TokenInvalid("This link is not valid")
    return stored


def set_password_with_token(token: str, new_password: str, ip_address: str = "",
                            now: datetime | None = None,
                            notify: PasswordNotify | None = None) -> EmailToken:
    """Use a link once: set the password, complete the mapping, end other sessions;
    `notify(candidate, how)` tells the address on file, in the same transaction.

    Raises TokenInvalid for a bad link and ValueError (the reason) for a refused password;
    either way nothing changes.
    """
    now = now or utcnow()
    stored = check_token(token, now)
    problem = passwords.password_problem(new_password)
    if problem:
        raise ValueError(problem)
    password_hash = passwords.hash_password(new_password)
    with database.atomic():
        # Claim the token in one statement so two tabs cannot both use it.
        claimed = (
            EmailToken.update(used_at=now)
            .where((EmailToken.id == stored.id) & EmailToken.used_at.is_null())
            .execute()
        )
        if claimed != 1:
            raise TokenInvalid("This link is not valid")
        candidate = Candidate.get_by_id(stored.candidate_id)
        candidate.mapped_at = candidate.mapped_at or now
        replace_password(
            candidate, password_hash, now,
            action=PASSWORD_SET if stored.purpose == SET_PASSWORD else PASSWORD_RESET,
            ip_address=ip_address, notify=notify,
        )
    return stored
