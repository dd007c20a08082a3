"""Log in and log out, First Time Login, Forgot password and the one-time password links
(guide section 1)."""

import math
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    abort,
    redirect,
    request,
    session,
    url_for,
)
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, StringField
from wtforms.validators import DataRequired, Length

from certportal import notifications
from certportal.domain import accounts, mapping
from certportal.models import utcnow
from certportal.web.htmx import render_page
from certportal.web.login import begin_second_factor, login_policy, sign_in, sign_out
from certportal.web.security import configured_limit, limiter, submitted_address

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
    return url_for("staff.home") if account.is_staff else url_for("main.home")


LOGGED_OUT = "You have logged out."
LOGIN_FAILED = "The login ID, email address or password is not correct."


def _throttled_message(retry_at) -> str:
    return (
        "Too many failed log-ins for this login ID or email address from your network. "
        f"Try again after {retry_at:%H:%M} UTC, or reset your password with Forgot password."
    )


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(configured_limit("LOGIN_RATE_LIMIT"), methods=["POST"])
def login():
    """Log in with a login ID or email address and a password."""
    if current_user.is_authenticated:
        return redirect(_home_for(current_user.account))
    form = LoginForm()
    next_url = safe_next(request.values.get("next"))
    status = 200
    headers = {}
    if request.method == "POST":
        status = 422
        if form.validate():
            outcome = accounts.authenticate(
                form.identifier.data, form.password.data, login_policy(),
                request.remote_addr or "",
            )
            if outcome.succeeded and outcome.account.is_staff:
                # Staff are not signed in until their second factor is checked.
                return redirect(begin_second_factor(outcome.account, next_url), 303)
            if outcome.succeeded:
                sign_in(outcome.account)
                return redirect(next_url or _home_for(outcome.account), 303)
            if outcome.retry_at:
                status = 429
                wait = outcome.retry_at - utcnow()
                headers["Retry-After"] = str(max(1, math.ceil(wait.total_seconds())))
                form.form_errors.append(_throttled_message(outcome.retry_at))
            else:
                form.form_errors.append(LOGIN_FAILED)
    logged_out = request.method == "GET" and request.args.get("logged_out") == "1"
    response = render_page("auth/login.html", "content", status=status, form=form,
                           next=next_url, logged_out=logged_out and LOGGED_OUT)
    response.headers.update(headers)
    return response


@bp.post("/logout")
def logout():
    """End the session on the server, clear what the browser kept, then show the login page."""
    sign_out()
    # The message rides in the URL: the session cookie that could carry it is being cleared.
    response = redirect(url_for("auth.login", logged_out=1), 303)
    response.headers["Clear-Site-Data"] = '"cache", "cookies", "storage"'
    return response


# --- First Time Login (by email address, by score report), Forgot password ----------------

EMAIL_SENT_DETAILS = (
    "which contains information that will allow you to complete the login process. If the "
    "email does not arrive within 2 hours, please confirm that your email account is currently "
    "working and that it has not erroneously flagged the email as spam before attempting to "
    "contact Customer Support."
)
EMAIL_SENT_TEXT = (
    f"An email has been sent to the email address we have on file {EMAIL_SENT_DETAILS}"
)
SCORE_REPORT_SENT_TEXT = (
    "Your score report matched a candidate record. An email has been sent to the new email "
    f"address you entered, {EMAIL_SENT_DETAILS}"
)


class ByEmailForm(FlaskForm):
    email = EmailField("Email address")


class ByScoreReportForm(FlaskForm):
    last_name = StringField(
        "Last name", validators=[DataRequired("Enter your last name as on your score report."),
                                 Length(max=100)]
    )
    registration_number = StringField(
        "Registration number",
        validators=[DataRequired("Enter the registration number from your score report."),
                    Length(max=64)],
    )
    new_email = EmailField("New email address", validators=[DataRequired(mapping.EMAIL_MESSAGE)])


class SetPasswordForm(FlaskForm):
    password = PasswordField("New password")
    confirm = PasswordField("Confirm new password")


# Shared scopes: by email, by score report, forgot password and set password draw on one
# allowance per IP and one per address, so switching forms does not multiply attempts.
mapping_ip_limit = limiter.shared_limit(
    configured_limit("MAPPING_RATE_LIMIT"), scope="account-mapping-ip", methods=["POST"]
)
mapping_address_limit = limiter.shared_limit(
    configured_limit("MAPPING_ADDRESS_RATE_LIMIT"), scope="account-mapping-address",
    key_func=submitted_address, methods=["POST"],
)


def _render_first_time_login(email_form=None, score_form=None, status=200, sent=None):
    return render_page(
        "auth/first_time_login.html",
        "content",
        status=status,
        email_form=email_form or ByEmailForm(),
        score_form=score_form or ByScoreReportForm(),
        sent=sent,
        email_sent_text=EMAIL_SENT_TEXT,
        score_report_sent_text=SCORE_REPORT_SENT_TEXT,
    )


@bp.get("/first-time-login")
def first_time_login():
    """First Time Login: map an account by email address or by score report."""
    if current_user.is_authenticated:
        # The guide: "If you have already mapped this account, you will not see this screen."
        return redirect(_home_for(current_user.account))
    return _render_first_time_login()


@bp.get("/first-time-login/email-sent")
def mapping_email_sent():
    """The guide's confirmation after 'By email address' (the same whoever asked)."""
    return _render_first_time_login(sent="email")


@bp.get("/first-time-login/score-report-sent")
def mapping_score_report_sent():
    """Confirmation after a matched score report: the link went to the new address."""
    return _render_first_time_login(sent="score-report")


@bp.post("/first-time-login/by-email")
@mapping_ip_limit
@mapping_address_limit
def map_by_email():
    """Send the mapping email; the answer never tells whether the address is on file."""
    form = ByEmailForm()
    problem = mapping.email_address_problem(form.email.data)
    if not form.validate() or problem:
        form.email.errors = [problem] if problem else []
        return _render_first_time_login(email_form=form, status=422)
    mapping.request_by_email(form.email.data, notify=notifications.mapping_notice)
    return redirect(url_for("auth.mapping_email_sent"), 303)


@bp.post("/first-time-login/by-score-report")
@mapping_ip_limit
@mapping_address_limit
def map_by_score_report():
    """Match a score report, move the email on file to the new address, send the link."""
    form = ByScoreReportForm()
    valid = form.validate()
    problem = mapping.email_address_problem(form.new_email.data)
    if problem:
        form.new_email.errors = [problem]
    if valid and not problem:
        outcome = mapping.map_by_score_report(
            form.last_name.data,
            form.registration_number.data,
            form.new_email.data,
            request.remote_addr or "",
            notify=notifications.mapping_notice,
        )
        if outcome.matched:
            return redirect(url_for("auth.mapping_score_report_sent"), 303)
        form.form_errors.append(mapping.NO_MATCH)
    return _render_first_time_login(score_form=form, status=422)


@bp.route("/forgot-password", methods=["GET", "POST"])
@mapping_ip_limit
@mapping_address_limit
def forgot_password():
    """Forgot password: the same one-time link, sent to the email address on file."""
    form = ByEmailForm()
    status = 200
    if request.method == "POST":
        problem = mapping.email_address_problem(form.email.data)
        if form.validate() and not problem:
            mapping.request_by_email(form.email.data, notify=notifications.mapping_notice)
            return redirect(url_for("auth.forgot_password", sent=1), 303)
        form.email.errors = [problem] if problem else []
        status = 422
    sent = request.method == "GET" and request.args.get("sent") == "1"
    return render_page("auth/forgot_password.html", "content", status=status, form=form,
                       sent=sent, email_sent_text=EMAIL_SENT_TEXT)


def _render_set_password(token: str, form=None, status=200):
    try:
        stored = mapping.check_token(token)
    except mapping.TokenInvalid:
        return render_page("auth/set_password.html", "content", status=404, invalid=True)
    return render_page(
        "auth/set_password.html",
        "content",
        status=status,
        invalid=False,
        form=form or SetPasswordForm(),
        token=token,
        login_id=stored.candidate.login_id,
        is_reset=stored.purpose == mapping.RESET_PASSWORD,
        min_length=mapping.passwords.MIN_LENGTH,
    )


@bp.get("/set-password/<token>")
def set_password(token: str):
    """Set a password through the emailed one-time link; it shows the login ID."""
    return _render_set_password(token)


@bp.post("/set-password/<token>")
@mapping_ip_limit
def set_password_submit(token: str):
    """Use the link once: the password is set and the account mapping is complete."""
    form = SetPasswordForm()
    password = form.password.data or ""
    if not form.validate():
        return _render_set_password(token, form, status=422)
    if password != (form.confirm.data or ""):
        form.confirm.errors = ["The two passwords are not the same."]
        return _render_set_password(token, form, status=422)
    try:
        used = mapping.set_password_with_token(
            token, password, request.remote_addr or "", notify=notifications.password_changed
        )
    except mapping.TokenInvalid:
        return _render_set_password(token)
    except ValueError as problem:
        form.password.errors = [str(problem)]
        return _render_set_password(token, form, status=422)
    session["mapping_completed"] = {
        "login_id": used.candidate.login_id,
        "reset": used.purpose == mapping.RESET_PASSWORD,
    }
    return redirect(url_for("auth.mapping_complete"), 303)


@bp.get("/first-time-login/complete")
def mapping_complete():
    """After Account Mapping Completion: the login ID and a link to log in."""
    completed = session.get("mapping_completed")
    if not completed:
        abort(404)
    return render_page("auth/mapping_complete.html", "content", completed=completed)
