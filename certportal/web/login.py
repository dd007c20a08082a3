"""Who is signed in: flask-login over server-side sessions, and the guards views use."""

from functools import wraps

from flask import abort, current_app, redirect, request, session, url_for
from flask_login import LoginManager, UserMixin, current_user, login_user, logout_user

from certportal.domain import accounts
from certportal.models import Candidate, utcnow
from certportal.web.htmx import client_redirect

login_manager = LoginManager()


class SignedIn(UserMixin):
    """The signed-in account and its session; the cookie holds only the session token."""

    def __init__(self, account, token: str):
        self.account = account
        self.token = token

    def get_id(self) -> str:
        return self.token

    @property
    def is_candidate(self) -> bool:
        return isinstance(self.account, Candidate)


def login_policy() -> accounts.LoginPolicy:
    config = current_app.config
    return accounts.LoginPolicy(
        free_failures=config["LOGIN_FREE_FAILURES"],
        first_delay=config["LOGIN_FIRST_DELAY"],
        max_delay=config["LOGIN_MAX_DELAY"],
        idle_timeout=config["SESSION_IDLE_TIMEOUT"],
        absolute_timeout=config["SESSION_ABSOLUTE_TIMEOUT"],
        staff_idle_timeout=config["STAFF_SESSION_IDLE_TIMEOUT"],
    )


def sign_in(account) -> None:
    # A fresh cookie session on login: nothing chosen before login carries over.
    session.clear()
    token = accounts.open_session(
        account, request.remote_addr or "", request.headers.get("User-Agent", "")
    )
    login_user(SignedIn(account, token))


def begin_second_factor(staff_user, next_url: str | None) -> str:
    """After a staff member's password: remember who (for a few minutes, in the signed
    cookie) and return where they give their TOTP code, or enrol an authenticator first."""
    session.clear()
    session["staff_pending"] = {
        "id": staff_user.id,
        "at": utcnow().isoformat(),
        "next": next_url or "",
    }
    return url_for("staff.second_factor")


def pending_staff():
    """The staff member who gave their password and now owes a code, or None."""
    from datetime import datetime

    from certportal.models import StaffUser

    pending = session.get("staff_pending")
    if not isinstance(pending, dict):
        return None
    try:
        started = datetime.fromisoformat(pending["at"])
    except (KeyError, TypeError, ValueError):
        return None
    if utcnow() - started > current_app.config["STAFF_SECOND_FACTOR_WINDOW"]:
        return None
    staff_user = StaffUser.get_or_none(
        (StaffUser.id == pending.get("id")) & (StaffUser.is_active == True)  # noqa: E712
    )
    return staff_user


def count_code_failure() -> int:
    """One more wrong code since the password; how many so far."""
    pending = session.get("staff_pending")
    if not isinstance(pending, dict):
        return 0
    pending["failures"] = int(pending.get("failures", 0)) + 1
    session["staff_pending"] = pending
    return pending["failures"]


def pending_next() -> str:
    pending = session.get("staff_pending")
    return pending.get("next", "") if isinstance(pending, dict) else ""


def sign_out() -> None:
    if current_user.is_authenticated:
        accounts.revoke_session(current_user.token)
    logout_user()
    session.clear()


@login_manager.user_loader
def _load_user(token: str):
    login_session = accounts.resume_session(token, login_policy())
    if login_session is None:
        return None
    account = login_session.candidate if login_session.candidate_id else login_session.staff_user
    if not login_session.candidate_id and not account.is_active:
        return None
    return SignedIn(account, token)


@login_manager.unauthorized_handler
def _unauthorized():
    target = url_for("auth.login", next=request.full_path.rstrip("?"))
    if request.headers.get("HX-Request") == "true":
        # Never swap a login page into a fragment: send the browser there whole.
        return client_redirect(target)
    return redirect(target)


def candidate_required(view):
    """Only a signed-in candidate; staff have no candidate pages (404, not a hint)."""

    @wraps(view)
    def guarded(*args, **kwargs):
        if not current_user.is_authenticated:
            return login_manager.unauthorized()
        if not current_user.is_candidate:
            abort(404)
        return view(*args, **kwargs)

    return guarded


def staff_only(*roles: str):
    """Only a signed-in staff user holding one of `roles` (admins hold every role); anyone
    else signed in gets 404, as for a page that does not exist."""
    from certportal.domain.staff import has_role

    def decorate(view):
        @wraps(view)
        def guarded(*args, **kwargs):
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            if current_user.is_candidate or not has_role(current_user.account, *roles):
                abort(404)
            return view(*args, **kwargs)

        guarded.staff_roles = roles
        return guarded

    return decorate


def current_staff():
    return current_user.account


def home_url() -> str:
    """Where Home is for whoever is looking: the console for staff, the login page for
    visitors."""
    if not current_user.is_authenticated:
        return url_for("auth.login")
    return url_for("main.home") if current_user.is_candidate else url_for("staff.home")


def current_candidate() -> Candidate:
    return current_user.account


def init_app(app):
    login_manager.init_app(app)
    login_manager.session_protection = "basic"
