"""Logging in: finding the account, checking the password, lockout, server-side sessions."""

import hashlib
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from peewee import JOIN, Case

from certportal.db import database
from certportal.domain import audit, passwords
from certportal.models import (
    Candidate,
    EmailToken,
    LoginSession,
    LoginThrottle,
    StaffUser,
    utcnow,
)
from certportal.models.compiled import TEXT, CompiledQuery

# Writing last_seen_at on every request would make every page a write; once a minute is
# precise enough for a 30-minute idle timeout.
LAST_SEEN_RESOLUTION = timedelta(minutes=1)

# What a login ID may be made of (ASCII only, so its upper-case form is the same length and
# never an email address); stored upper-case, so "csco1" and "CSCO1" are one account.
LOGIN_ID_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")


@dataclass(frozen=True)
class LoginPolicy:
    # Failed log-ins from one address for one identifier: the first few are free, then each
    # one makes the next attempt wait twice as long, up to max_delay. Never a hard lock.
    free_failures: int = 5
    first_delay: timedelta = timedelta(seconds=30)
    max_delay: timedelta = timedelta(minutes=15)
    forget_failures_after: timedelta = timedelta(hours=24)
    idle_timeout: timedelta = timedelta(minutes=30)
    absolute_timeout: timedelta = timedelta(hours=12)
    # Staff reach every candidate's data: their sessions idle out sooner.
    staff_idle_timeout: timedelta = timedelta(minutes=15)


@dataclass
class LoginOutcome:
    account: Candidate | StaffUser | None = None
    # Set when this client must wait before trying this identifier again.
    retry_at: datetime | None = None

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
                & Candidate.merged_into.is_null()
            )
            .limit(2)
        )
        return matches[0] if len(matches) == 1 else None
    candidate = Candidate.get_or_none(Candidate.login_id == login_id_key(identifier))
    if candidate is not None:
        return surviving_record(candidate)
    return StaffUser.get_or_none(
        (StaffUser.username == identifier.lower()) & (StaffUser.is_active == True)  # noqa: E712
    )


def surviving_record(candidate: Candidate) -> Candidate:
    """The record a candidate's login ID now opens: itself, or the one staff merged it into
    (its login ID is kept as an alias)."""
    seen = {candidate.id}
    while candidate.merged_into_id is not None:
        candidate = Candidate.get_by_id(candidate.merged_into_id)
        if candidate.id in seen:  # never written, but a loop must not hang a log-in
            break
        seen.add(candidate.id)
    return candidate


def throttle_delay(failures: int, policy: LoginPolicy) -> timedelta:
    """How long a client waits after its `failures`-th failure in a row."""
    if failures < policy.free_failures:
        return timedelta(0)
    doublings = min(failures - policy.free_failures, 30)
    return min(policy.first_delay * 2**doublings, policy.max_delay)


def throttle_key(ip_address: str, identifier: str) -> str:
    """The pair a throttle counts: one client address, one identifier however it is typed."""
    return hash_token(f"{ip_address}\n{identifier.strip().casefold()}")


def _throttled_until(key: str, now: datetime, policy: LoginPolicy) -> datetime | None:
    row = LoginThrottle.get_or_none(LoginThrottle.key_hash == key)
    if row is None or now - row.last_failure_at >= policy.forget_failures_after:
        return None
    until = row.last_failure_at + throttle_delay(row.failures, policy)
    return until if until > now else None


def _count_failure(key: str, account, now: datetime, policy: LoginPolicy) -> None:
    """One more failure for the pair, in one statement so parallel attempts all count."""
    forgotten = LoginThrottle.last_failure_at < now - policy.forget_failures_after
    LoginThrottle.insert(
        key_hash=key,
        candidate=account if isinstance(account, Candidate) else None,
        staff_user=account if isinstance(account, StaffUser) else None,
        failures=1,
        last_failure_at=now,
    ).on_conflict(
        conflict_target=[LoginThrottle.key_hash],
        update={
            LoginThrottle.failures: Case(None, [(forgotten, 1)], LoginThrottle.failures + 1),
            LoginThrottle.last_failure_at: now,
        },
    ).execute()
    # Old pairs are of no use: drop them as new ones come (indexed, usually nothing to do).
    LoginThrottle.delete().where(forgotten).execute()


def clear_throttles(account) -> None:
    """The owner proved who they are (new password) or staff vouched: every pair starts over."""
    owner = (
        LoginThrottle.candidate == account
        if isinstance(account, Candidate)
        else LoginThrottle.staff_user == account
    )
    LoginThrottle.delete().where(owner).execute()


def _audit(action: str, account, ip_address: str, detail: str = "") -> None:
    audit.record(
        action,
        candidate=account if isinstance(account, Candidate) else None,
        staff_user=account if isinstance(account, StaffUser) else None,
        new_value=detail,
        ip_address=ip_address,
    )


def authenticate(identifier: str, password: str, policy: LoginPolicy,
                 ip_address: str = "") -> LoginOutcome:
    """Check a log-in. Known and unknown identifiers take the same path and the same time.

    A client that keeps failing for one identifier waits longer and longer between tries
    (`retry_at`); the account itself is never locked, so its owner can still log in from
    elsewhere or after a reset.
    """
    now = utcnow()
    key = throttle_key(ip_address, identifier)
    account = find_account(identifier)
    retry_at = _throttled_until(key, now, policy)
    if retry_at is not None:
        # Still hash, so a throttled answer takes as long as any other.
        passwords.verify_password(None, password)
        _audit("login_throttled", account, ip_address)
        return LoginOutcome(retry_at=retry_at)
    if not passwords.verify_password(getattr(account, "password_hash", None), password):
        with database.atomic():
            _count_failure(key, account, now, policy)
            # An unknown identifier may be a password typed in the wrong box: never store it.
            _audit("login_failed", account, ip_address,
                   identifier.strip()[:254] if account is not None else "")
        return LoginOutcome()
    with database.atomic():
        LoginThrottle.delete().where(LoginThrottle.key_hash == key).execute()
        if passwords.needs_rehash(account.password_hash):
            account.password_hash = passwords.hash_password(password)
            account.save()
    return LoginOutcome(account=account)


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
    idle_timeout = policy.staff_idle_timeout if session.staff_user_id else policy.idle_timeout
    if now - session.last_seen_at > idle_timeout:
        return None
    if now - session.last_seen_at > LAST_SEEN_RESOLUTION:
        LoginSession.update(last_seen_at=now).where(LoginSession.id == session.id).execute()
    return session


def revoke_session(token: str) -> None:
    LoginSession.update(revoked_at=utcnow()).where(
        (LoginSession.token_hash == hash_token(token)) & LoginSession.revoked_at.is_null()
    ).execute()


# --- Changing the password, and the sessions an owner can see and end ----------------------


# How a password came to change: set through the first emailed link, reset through a later
# one, or changed by its signed-in owner. The audit action and the kind of email alike.
PASSWORD_SET = "password_set"  # noqa: S105 (names of events, not secrets)
PASSWORD_RESET = "password_reset"  # noqa: S105
PASSWORD_CHANGED = "password_changed"  # noqa: S105

# Tells the address on file that the password changed (certportal.notifications
# .password_changed): called with the candidate and how, inside the change's transaction.
PasswordNotify = Callable[[Candidate, str], None]


class PasswordChangeRefused(ValueError):
    """The change did not happen; `field` names the input to blame."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field


def replace_password(candidate: Candidate, password_hash: str, now: datetime, *, action: str,
                     ip_address: str = "", keep_session_token: str | None = None,
                     notify: PasswordNotify | None = None) -> None:
    """Store a new password and make it the only way in.

    Every emailed password link is spent, every other session ends (the one the owner is
    using may stay), throttles are cleared (the owner has proved who they are), and
    `notify(candidate, action)` tells the address on file.
    """
    with database.atomic():
        candidate.password_hash = password_hash
        candidate.save()
        EmailToken.update(used_at=now).where(
            (EmailToken.candidate == candidate) & EmailToken.used_at.is_null()
        ).execute()
        others = (LoginSession.candidate == candidate) & LoginSession.revoked_at.is_null()
        if keep_session_token:
            others &= LoginSession.token_hash != hash_token(keep_session_token)
        LoginSession.update(revoked_at=now).where(others).execute()
        clear_throttles(candidate)
        _audit(action, candidate, ip_address)
        if notify is not None:
            notify(candidate, action)


def change_password(candidate: Candidate, current: str, new: str, confirm: str,
                    policy: LoginPolicy, *, session_token: str, ip_address: str = "",
                    notify: PasswordNotify | None = None) -> None:
    """Change the password of a signed-in candidate, who must know the current one.

    Wrong current passwords count like failed log-ins from this address, so a borrowed
    session cannot be used to guess it. Raises PasswordChangeRefused; nothing changes then.
    """
    now = utcnow()
    key = throttle_key(ip_address, candidate.login_id)
    retry_at = _throttled_until(key, now, policy)
    if retry_at is not None:
        raise PasswordChangeRefused(
            "current_password",
            f"Too many wrong passwords. Try again after {retry_at:%H:%M} UTC.",
        )
    if not passwords.verify_password(candidate.password_hash, current):
        with database.atomic():
            _count_failure(key, candidate, now, policy)
            _audit("password_change_failed", candidate, ip_address)
        raise PasswordChangeRefused("current_password", "This is not your current password.")
    problem = passwords.password_problem(new)
    if problem:
        raise PasswordChangeRefused("new_password", problem)
    if new != confirm:
        raise PasswordChangeRefused("confirm", "The two passwords are not the same.")
    if passwords.verify_password(candidate.password_hash, new):
        raise PasswordChangeRefused("new_password", "Choose a password you are not using now.")
    replace_password(candidate, passwords.hash_password(new), now, action=PASSWORD_CHANGED,
                     ip_address=ip_address, keep_session_token=session_token, notify=notify)


def live_sessions(candidate: Candidate, policy: LoginPolicy) -> list[LoginSession]:
    """The sessions of a candidate that could still be used, most recently used first."""
    now = utcnow()
    return list(
        LoginSession.select()
        .where(
            (LoginSession.candidate == candidate)
            & LoginSession.revoked_at.is_null()
            & (LoginSession.created_at > now - policy.absolute_timeout)
            & (LoginSession.last_seen_at > now - policy.idle_timeout)
        )
        .order_by(LoginSession.last_seen_at.desc(), LoginSession.id.desc())
    )


def is_session_of(session: LoginSession, token: str) -> bool:
    return session.token_hash == hash_token(token)


def end_session(candidate: Candidate, session_id: int, ip_address: str = "") -> bool:
    """End one of the candidate's own sessions; False when it is not theirs or not live."""
    ended = LoginSession.update(revoked_at=utcnow()).where(
        (LoginSession.id == session_id)
        & (LoginSession.candidate == candidate)
        & LoginSession.revoked_at.is_null()
    ).execute()
    if ended:
        _audit("session_ended", candidate, ip_address)
    return ended == 1


def end_other_sessions(candidate: Candidate, keep_token: str, ip_address: str = "") -> int:
    ended = LoginSession.update(revoked_at=utcnow()).where(
        (LoginSession.candidate == candidate)
        & LoginSession.revoked_at.is_null()
        & (LoginSession.token_hash != hash_token(keep_token))
    ).execute()
    if ended:
        _audit("other_sessions_ended", candidate, ip_address, str(ended))
    return ended
