"""Log in and log out (guide section 1)."""

from urllib.parse import urlsplit

from flask import Blueprint, current_app, flash, redirect, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, Length

from certportal.auth import login_policy, sign_in, sign_out
from certportal.domain import accounts
from certportal.htmx import render_page
from certportal.security import limiter

bp = Blueprint("auth", __name__)


class LoginForm(FlaskForm):
    identifier = StringField(
        "Login ID or email address",
        validators=[DataRequired("Enter your login ID or email address."), Length(max=254)],
    )
    password = PasswordField(
        "Password", validators=[DataRequired("Enter your password."), Length(max=128)]
    )


def safe_next(target: str | None) -> str | None:
    """Only a path on this site: never an open redirect to another host."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    if "\\" in target:
        return None
    return target


def _home_for(account) -> str:
    return url_for("main.staff_home") if account.is_staff else url_for("main.home")


def _login_rate_limit() -> str:
    return current_app.config.get("LOGIN_RATE_LIMIT", "20 per minute;200 per hour")


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_login_rate_limit, methods=["POST"])
def login():
    """Log in with a login ID or email address and a password."""
    if current_user.is_authenticated:
        return redirect(_home_for(current_user.account))
    form = LoginForm()
    next_url = safe_next(request.values.get("next"))
    status = 200
    if request.method == "POST":
        status = 422
        if form.validate():
            outcome = accounts.authenticate(
                form.identifier.data, form.password.data, login_policy()
            )
            if outcome.succeeded:
                sign_in(outcome.account)
                return redirect(next_url or _home_for(outcome.account), 303)
            if outcome.locked_until:
                form.form_errors.append(
                    "This account is locked for 15 minutes after too many failed log-ins. "
                    f"Try again after {outcome.locked_until:%H:%M} UTC, or reset your password."
                )
            else:
                form.form_errors.append(
                    "The login ID, email address or password is not correct."
                )
    return render_page("auth/login.html", "content", status=status, form=form, next=next_url)


@bp.post("/logout")
def logout():
    """End the session on the server, then show the login page."""
    sign_out()
    flash("You have logged out.", "success")
    return redirect(url_for("auth.login"), 303)


@bp.get("/first-time-login")
def first_time_login():
    """First Time Login: how to map an account to a candidate record."""
    return render_page("auth/first_time_login.html", "content")
