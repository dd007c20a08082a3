"""Logging in: finding the account, checking the password, lockout, server-side sessions."""

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from peewee import JOIN

from certportal.db import database
from certportal.domain import passwords
from certportal.models import Candidate, LoginSession, StaffUser, utcnow
from certportal.models.compiled import TEXT, CompiledQuery

# Writing last_seen_at on every request would make every page a write; once a minute is
# precise enough for a 30-minute idle timeout.
LAST_SEEN_RESOLUTION = timedelta(minutes=1)

# What a login ID may be made of (ASCII only, so its upper-case form is the same length and
# never an email address); stored upper-case, so "csco1" and "CSCO1" are one account.
LOGIN_ID_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")


@dataclass(frozen=True)
class LoginPolicy:
    max_failures: int = 10
    failure_window: timedelta = timedelta(minutes=15)
    lockout: timedelta = timedelta(minutes=15)
    idle_timeout: timedelta = timedelta(minutes=30)
    absolute_timeout: timedelta = timedelta(hours=12)


@dataclass
class LoginOutcome:
    account: Candidate | StaffUser | None = None
    locked_until: datetime | None = None

    @property
    def succeeded(self) -> bool:
        return self.account is not None


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def login_id_key(login_id: str) -> str:
    """The stored form of a login ID however it was typed or imported: 'csco1 ' -> 'CSCO1'."""
    return login_id.strip().upper()


def is_login_id(text: str) -> bool:
    return LOGIN_ID_PATTERN.fullmatch(text) is not None


def find_account(identifier: str) -> Candidate | StaffUser | None:
    """The account a login ID, staff username or email names (only mapped candidates)."""
    identifier = identifier.strip()
    if not identifier:
        return None
    if "@" in identifier:
        # An email on several records logs in only where exactly one of them is mapped.
        matches = list(
            Candidate.select()
            .where(
                (Candidate.email_key == identifier.lower())
                & Candidate.password_hash.is_null(False)
            )
            .limit(2)
        )
        return matches[0] if len(matches) == 1 else None
    candidate = Candidate.get_or_none(Candidate.login_id == login_id_key(identifier))
    if candidate is not None:
        return candidate
    return StaffUser.get_or_none(
        (StaffUser.username == identifier.lower()) & (StaffUser.is_active == True)  # noqa: E712
    )


def authenticate(identifier: str, password: str, policy: LoginPolicy) -> LoginOutcome:
    """Check a login; count failures and lock the account after too many."""
    now = utcnow()
    account = find_account(identifier)
    if account is not None and account.locked_until and account.locked_until > now:
        # Still verify, so a locked account answers as slowly as any other.
        passwords.verify_password(None, password)
        return LoginOutcome(locked_until=account.locked_until)
    if not passwords.verify_password(getattr(account, "password_hash", None), password):
        if account is not None:
            return LoginOutcome(locked_until=_record_failure(account, now, policy))
        return LoginOutcome()
    with database.atomic():
        account.failed_login_count = 0
        account.first_failed_login_at = None
        account.locked_until = None
        if passwords.needs_rehash(account.password_hash):
            account.password_hash = passwords.hash_password(password)
        account.save()
    return LoginOutcome(account=account)


def _record_failure(account, now: datetime, policy: LoginPolicy) -> datetime | None:
    window_open = (
        account.first_failed_login_at is not None
        and now - account.first_failed_login_at < policy.failure_window
    )
    if window_open:
        account.failed_login_count += 1
    else:
        account.failed_login_count = 1
        account.first_failed_login_at = now
    locked_until = None
    if account.failed_login_count >= policy.max_failures:
        locked_until = now + policy.lockout
        account.failed_login_count = 0
        account.first_failed_login_at = None
    account.locked_until = locked_until
    account.save()
    return locked_until


def open_session(account, ip_address: str = "", user_agent: str = "") -> str:
    """Start a server-side session and return the token the cookie will carry."""
    token = secrets.token_urlsafe(32)
    LoginSession.create(
        token_hash=hash_token(token),
        candidate=account if isinstance(account, Candidate) else None,
        staff_user=account if isinstance(account, StaffUser) else None,
        ip_address=ip_address[:45],
        user_agent=user_agent[:255],
    )
    return token


# Every signed-in request runs this: one query, candidate included, its SQL built once.
_SESSION_BY_TOKEN_HASH = CompiledQuery(
    lambda token_hash: LoginSession.select(LoginSession, Candidate)
    .join(Candidate, JOIN.LEFT_OUTER)
    .where(LoginSession.token_hash == token_hash)
    .limit(1),
    TEXT,
)


def resume_session(token: str, policy: LoginPolicy) -> LoginSession | None:
    """The live session for a token, or None when unknown, revoked, idle or too old."""
    found = _SESSION_BY_TOKEN_HASH(hash_token(token))
    session = found[0] if found else None
    if session is None or session.revoked_at is not None:
        return None
    now = utcnow()
    if now - session.created_at > policy.absolute_timeout:
        return None
    if now - session.last_seen_at > policy.idle_timeout:
        return None
    if now - session.last_seen_at > LAST_SEEN_RESOLUTION:
        LoginSession.update(last_seen_at=now).where(LoginSession.id == session.id).execute()
    return session


def revoke_session(token: str) -> None:
    LoginSession.update(revoked_at=utcnow()).where(
        (LoginSession.token_hash == hash_token(token)) & LoginSession.revoked_at.is_null()
    ).execute()
