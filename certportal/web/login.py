"""Who is signed in: flask-login over server-side sessions, and the guards views use."""

from functools import wraps

from flask import abort, current_app, redirect, request, session, url_for
from flask_login import LoginManager, UserMixin, current_user, login_user, logout_user

from certportal.domain import accounts
from certportal.models import Candidate
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
    )


def sign_in(account) -> None:
    # A fresh cookie session on login: nothing chosen before login carries over.
    session.clear()
    token = accounts.open_session(
        account, request.remote_addr or "", request.headers.get("User-Agent", "")
    )
    login_user(SignedIn(account, token))


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


def staff_required(view):
    """Only a signed-in staff user."""

    @wraps(view)
    def guarded(*args, **kwargs):
        if not current_user.is_authenticated:
            return login_manager.unauthorized()
        if current_user.is_candidate:
            abort(404)
        return view(*args, **kwargs)

    return guarded


def current_candidate() -> Candidate:
    return current_user.account


def init_app(app):
    login_manager.init_app(app)
    login_manager.session_protection = "basic"
