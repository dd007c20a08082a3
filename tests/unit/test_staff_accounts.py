"""Staff accounts: roles, the bootstrap CLI, TOTP enrolment and recovery codes."""

from datetime import timedelta

import pyotp
import pytest

from certportal.domain import staff
from certportal.domain.demo import demo_totp_secret
from certportal.models import AuditEvent, LoginSession, StaffRecoveryCode, StaffUser, utcnow

PASSWORD = "a long staff password"  # noqa: S105


def cli(app, *args):
    return app.test_cli_runner().invoke(args=list(args))


def test_cli_creates_the_first_admin_and_refuses_bad_input(app, db):
    result = cli(app, "staff", "create", "Boot", "--email", "boot@example.org",
                 "--roles", "admin", "--password", PASSWORD)
    assert result.exit_code == 0, result.output
    boot = StaffUser.get(StaffUser.username == "boot")
    assert boot.role_names == ("admin",)
    assert boot.password_hash != PASSWORD and boot.totp_enrolled_at is None
    again = cli(app, "staff", "create", "boot", "--email", "b@example.org", "--roles", "admin",
                "--password", PASSWORD)
    assert again.exit_code != 0 and 'username: The username "boot" is taken.' in again.output
    bad_role = cli(app, "staff", "create", "other", "--email", "o@example.org",
                   "--roles", "admin,janitor", "--password", PASSWORD)
    assert bad_role.exit_code != 0 and "Unknown role(s): janitor" in bad_role.output
    assert not StaffUser.select().where(StaffUser.username == "other").exists()


def test_cli_sets_roles_and_disables(app, db):
    assert cli(app, "staff", "set-roles", "support", "support,auditor").exit_code == 0
    assert StaffUser.get(StaffUser.username == "support").role_names == ("auditor", "support")
    support = StaffUser.get(StaffUser.username == "support")
    LoginSession.create(token_hash="x" * 64, staff_user=support)
    result = cli(app, "staff", "disable", "support")
    assert result.exit_code == 0, result.output
    support = StaffUser.get_by_id(support.id)
    assert not support.is_active
    assert LoginSession.get(LoginSession.staff_user == support).revoked_at is not None
    assert cli(app, "staff", "disable", "nobody").exit_code != 0
    actions = [e.action for e in AuditEvent.select().order_by(AuditEvent.id)]
    assert actions[-2:] == ["staff_roles_set", "staff_disabled"]


def test_admin_holds_every_role_and_others_only_theirs(db):
    admin = StaffUser.get(StaffUser.username == "admin")
    auditor = StaffUser.get(StaffUser.username == "auditor")
    assert staff.has_role(admin, "fulfillment")
    assert staff.has_role(auditor, "auditor", "support")
    assert not staff.has_role(auditor, "support")


def test_enrolment_accepts_the_authenticator_code_once_and_gives_ten_codes(db):
    user = staff.create_staff("newbie", "n@example.org", PASSWORD, "support")
    secret = staff.start_enrolment(user)
    assert staff.needs_enrolment(user)
    assert "otpauth://totp/" in staff.provisioning_uri(user)
    assert staff.enrolment_qr_svg(user).startswith("<svg")
    now = utcnow()
    right = pyotp.TOTP(secret).at(now)
    wrong = f"{(int(right) + 500000) % 1000000:06d}"
    assert staff.confirm_enrolment(user, wrong, now) is None
    assert staff.needs_enrolment(user)
    codes = staff.confirm_enrolment(user, pyotp.TOTP(secret).at(now), now)
    assert codes is not None and len(codes) == 10 and len(set(codes)) == 10
    assert not staff.needs_enrolment(user)
    stored = [row.code_hash for row in StaffRecoveryCode.select()]
    assert len(stored) == 10 and not any(code.replace("-", "") in stored for code in codes)
    # The same code (same time step) never opens a second session.
    assert not staff.check_second_factor(user, pyotp.TOTP(secret).at(now), now)
    later = now + timedelta(seconds=30)
    assert staff.check_second_factor(user, pyotp.TOTP(secret).at(later), later)


def test_recovery_codes_work_once_each(db):
    user = StaffUser.get(StaffUser.username == "support")
    codes = staff.new_recovery_codes(user)
    now = utcnow()
    assert staff.check_second_factor(user, codes[0].lower(), now)
    assert not staff.check_second_factor(user, codes[0], now)
    assert staff.recovery_codes_left(user) == 9
    assert not staff.check_second_factor(user, "ABCD-EFGH-JKMN", now)


def test_a_code_from_a_distant_step_is_refused(db):
    user = StaffUser.get(StaffUser.username == "support")
    now = utcnow()
    old = pyotp.TOTP(user.totp_secret).at(now - timedelta(minutes=5))
    if old != pyotp.TOTP(user.totp_secret).at(now):
        assert not staff.check_second_factor(user, old, now)


def test_demo_code_only_for_published_secrets(app, db):
    result = cli(app, "staff", "demo-code", "auditor")
    assert result.exit_code == 0
    code = result.output.strip()
    assert pyotp.TOTP(demo_totp_secret("auditor")).verify(code, valid_window=1)
    StaffUser.update(totp_secret=pyotp.random_base32()).where(
        StaffUser.username == "auditor").execute()
    assert cli(app, "staff", "demo-code", "auditor").exit_code != 0


@pytest.mark.parametrize("username", ["", "Has Space", "x" * 65])
def test_bad_usernames_are_refused(db, username):
    with pytest.raises(staff.StaffError) as refused:
        staff.create_staff(username, "a@example.org", PASSWORD, "support")
    assert refused.value.field == "username"
