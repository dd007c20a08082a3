"""Staff accounts: roles, the second factor (TOTP and one-time recovery codes), bootstrap.

Roles: admin (everything, manages staff), support (candidates, cases, merges, grants and
revocations), fulfillment (orders), auditor (reads everything, the audit log). A staff user
signs in with a password and then a TOTP code; the first sign-in enrols the authenticator
(a QR code) and hands out ten recovery codes, stored hashed, each usable once.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime

import pyotp
import segno

from certportal.db import database
from certportal.domain import audit, passwords
from certportal.models import LoginSession, StaffRecoveryCode, StaffUser, random_code, utcnow

ROLES = {
    "admin": "Everything, and manages staff accounts",
    "support": "Candidates, support cases, merges, grants and revocations",
    "fulfillment": "The fulfillment queue",
    "auditor": "Reads everything, and the audit log",
}
USERNAME_PATTERN = re.compile(r"[a-z0-9][a-z0-9_.-]{0,63}")
RECOVERY_CODE_COUNT = 10
RECOVERY_CODE_LENGTH = 12  # Crockford base32: 60 bits each
TOTP_ISSUER = "CertPortal staff"
# A code from the step before or after is accepted too (clocks drift, people type slowly).
TOTP_VALID_WINDOW = 1


class StaffError(ValueError):
    """A staff account change was refused; `field` names the input to blame."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field


def parse_roles(text: str | list[str]) -> tuple[str, ...]:
    """'support, auditor' -> ('auditor', 'support'); unknown names raise StaffError."""
    names = text if isinstance(text, list | tuple) else re.split(r"[\s,]+", text)
    roles = sorted({name.strip().lower() for name in names if name.strip()})
    unknown = [name for name in roles if name not in ROLES]
    if unknown:
        raise StaffError(
            "roles", f"Unknown role(s): {', '.join(unknown)}. Roles: {', '.join(ROLES)}."
        )
    return tuple(roles)


def has_role(staff_user: StaffUser, *allowed: str) -> bool:
    """Admins may do everything; others only what their roles name."""
    held = set(staff_user.role_names)
    return "admin" in held or bool(held & set(allowed))


def find_staff(username: str) -> StaffUser | None:
    return StaffUser.get_or_none(StaffUser.username == username.strip().lower())


def create_staff(username: str, email: str, password: str, roles, display_name: str = "",
                 actor: StaffUser | None = None) -> StaffUser:
    """A new staff account; it enrols its authenticator at its first sign-in."""
    from certportal.domain.mapping import is_email_address

    username = username.strip().lower()
    if not USERNAME_PATTERN.fullmatch(username):
        raise StaffError(
            "username", "A username is 1 to 64 lower-case letters, digits, '.', '_' or '-'."
        )
    if find_staff(username) is not None:
        raise StaffError("username", f'The username "{username}" is taken.')
    if not is_email_address(email.strip()):
        raise StaffError("email", "Enter an email address.")
    problem = passwords.password_problem(password)
    if problem:
        raise StaffError("password", problem)
    role_names = parse_roles(roles)
    if not role_names:
        raise StaffError("roles", f"Give at least one role: {', '.join(ROLES)}.")
    with database.atomic():
        staff_user = StaffUser.create(
            username=username,
            email=email.strip(),
            display_name=display_name.strip()[:100],
            password_hash=passwords.hash_password(password),
            roles=",".join(role_names),
        )
        audit.record("staff_created", staff_user=actor, subject=f"staff {username}",
                     new_value=staff_user.roles)
    return staff_user


def set_roles(staff_user: StaffUser, roles, actor: StaffUser | None = None) -> None:
    role_names = parse_roles(roles)
    if not role_names:
        raise StaffError("roles", f"Give at least one role: {', '.join(ROLES)}.")
    before = staff_user.roles
    with database.atomic():
        staff_user.roles = ",".join(role_names)
        staff_user.save()
        audit.record("staff_roles_set", staff_user=actor, subject=f"staff {staff_user.username}",
                     old_value=before, new_value=staff_user.roles)


def disable_staff(staff_user: StaffUser, actor: StaffUser | None = None) -> None:
    """No more sign-ins, and every session of the account ends now."""
    with database.atomic():
        staff_user.is_active = False
        staff_user.save()
        LoginSession.update(revoked_at=utcnow()).where(
            (LoginSession.staff_user == staff_user) & LoginSession.revoked_at.is_null()
        ).execute()
        audit.record("staff_disabled", staff_user=actor, subject=f"staff {staff_user.username}")


def reset_second_factor(staff_user: StaffUser, actor: StaffUser | None = None) -> None:
    """A lost phone: the account enrols a new authenticator at its next sign-in; its
    recovery codes and sessions end."""
    with database.atomic():
        staff_user.totp_secret = ""
        staff_user.totp_enrolled_at = None
        staff_user.totp_last_step = None
        staff_user.save()
        StaffRecoveryCode.delete().where(StaffRecoveryCode.staff_user == staff_user).execute()
        LoginSession.update(revoked_at=utcnow()).where(
            (LoginSession.staff_user == staff_user) & LoginSession.revoked_at.is_null()
        ).execute()
        audit.record("staff_second_factor_reset", staff_user=actor,
                     subject=f"staff {staff_user.username}")


def staff_accounts() -> list[StaffUser]:
    return list(StaffUser.select().order_by(StaffUser.is_active.desc(), StaffUser.username))


# --- The second factor ----------------------------------------------------------------------


def needs_enrolment(staff_user: StaffUser) -> bool:
    return staff_user.totp_enrolled_at is None


def start_enrolment(staff_user: StaffUser) -> str:
    """The secret the authenticator is to learn (a new one unless one awaits confirmation)."""
    if not staff_user.totp_secret or not needs_enrolment(staff_user):
        staff_user.totp_secret = pyotp.random_base32()
        staff_user.totp_enrolled_at = None
        staff_user.totp_last_step = None
        staff_user.save()
    return staff_user.totp_secret


def provisioning_uri(staff_user: StaffUser) -> str:
    return pyotp.TOTP(staff_user.totp_secret).provisioning_uri(
        name=staff_user.username, issuer_name=TOTP_ISSUER
    )


def enrolment_qr_svg(staff_user: StaffUser) -> str:
    """The otpauth:// URI as an inline SVG QR code an authenticator app scans."""
    return segno.make(provisioning_uri(staff_user), error="m").svg_inline(
        scale=4, dark="#000", light="#fff", title="QR code for your authenticator app"
    )


def _accepted_step(secret: str, code: str, now: datetime) -> int | None:
    """The time step a 6-digit code belongs to, within the window; None if it matches none."""
    code = re.sub(r"\s", "", code or "")
    if not re.fullmatch(r"[0-9]{6}", code) or not secret:
        return None
    totp = pyotp.TOTP(secret)
    # Stored times are naive UTC; pyotp reads a naive datetime as local time.
    step = totp.timecode(now.replace(tzinfo=UTC))
    for offset in range(-TOTP_VALID_WINDOW, TOTP_VALID_WINDOW + 1):
        if secrets.compare_digest(totp.generate_otp(step + offset), code):
            return step + offset
    return None


def _use_step(staff_user: StaffUser, step: int) -> bool:
    """Spend a time step: in one statement, so one code opens at most one session."""
    last = StaffUser.totp_last_step
    spent = (
        StaffUser.update(totp_last_step=step)
        .where((StaffUser.id == staff_user.id) & (last.is_null() | (last < step)))
        .execute()
    )
    if spent:
        staff_user.totp_last_step = step
    return spent == 1


def confirm_enrolment(staff_user: StaffUser, code: str, now: datetime | None = None
                      ) -> list[str] | None:
    """Check the first code from the authenticator; on success, the ten recovery codes to
    show once (None when the code is wrong)."""
    now = now or utcnow()
    step = _accepted_step(staff_user.totp_secret, code, now)
    if step is None:
        return None
    with database.atomic():
        if not _use_step(staff_user, step):
            return None
        staff_user.totp_enrolled_at = now
        staff_user.save()
        codes = new_recovery_codes(staff_user)
        audit.record("staff_totp_enrolled", staff_user=staff_user)
    return codes


def check_second_factor(staff_user: StaffUser, code: str, now: datetime | None = None,
                        ip_address: str = "") -> bool:
    """A TOTP code (each accepted once) or an unused recovery code (then spent)."""
    now = now or utcnow()
    step = _accepted_step(staff_user.totp_secret, code, now)
    if step is not None and _use_step(staff_user, step):
        return True
    if step is None and use_recovery_code(staff_user, code, now):
        audit.record("staff_recovery_code_used", staff_user=staff_user, ip_address=ip_address)
        return True
    audit.record("staff_second_factor_failed", staff_user=staff_user, ip_address=ip_address)
    return False


def _recovery_hash(code: str) -> str:
    return hashlib.sha256(re.sub(r"[\s-]", "", code).upper().encode()).hexdigest()


def new_recovery_codes(staff_user: StaffUser) -> list[str]:
    """Replace the account's recovery codes with ten new ones; returned for showing once."""
    codes = [random_code(RECOVERY_CODE_LENGTH) for _ in range(RECOVERY_CODE_COUNT)]
    now = utcnow()
    rows = [
        {"staff_user": staff_user.id, "code_hash": _recovery_hash(code), "created_at": now}
        for code in codes
    ]
    with database.atomic():
        StaffRecoveryCode.delete().where(StaffRecoveryCode.staff_user == staff_user).execute()
        StaffRecoveryCode.insert_many(rows).execute()
    return [f"{code[:4]}-{code[4:8]}-{code[8:]}" for code in codes]


def use_recovery_code(staff_user: StaffUser, code: str, now: datetime) -> bool:
    cleaned = re.sub(r"[\s-]", "", code or "")
    if len(cleaned) != RECOVERY_CODE_LENGTH:
        return False
    spent = (
        StaffRecoveryCode.update(used_at=now)
        .where(
            (StaffRecoveryCode.staff_user == staff_user)
            & (StaffRecoveryCode.code_hash == _recovery_hash(cleaned))
            & StaffRecoveryCode.used_at.is_null()
        )
        .execute()
    )
    return spent == 1


def recovery_codes_left(staff_user: StaffUser) -> int:
    return (
        StaffRecoveryCode.select()
        .where((StaffRecoveryCode.staff_user == staff_user) & StaffRecoveryCode.used_at.is_null())
        .count()
    )


@dataclass(frozen=True)
class StaffSessionPolicy:
    """Staff sessions idle out sooner than candidates' (they reach every candidate's data)."""

    idle_minutes: int = 15
