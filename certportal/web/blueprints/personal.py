"""Personal Info: Settings, Attributes and Identification (guide section 2)."""

import re

from flask import Blueprint, abort, current_app, redirect, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import PasswordField, RadioField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length

from certportal import notifications
from certportal.domain import accounts, passwords, profile
from certportal.models import SETTINGS_QUESTIONS
from certportal.web.htmx import redirect_after_post, render_page
from certportal.web.login import candidate_required, current_candidate, login_policy, sign_out

bp = Blueprint("personal", __name__, url_prefix="/personal-info")

YES_NO = [SelectChoice("yes", "Yes"), SelectChoice("no", "No")]
REQUIRED_MESSAGE = "Required * — choose Yes or No."
CHOICE_MESSAGE = "Choose Yes or No."
SETTINGS_SAVED = "Your settings have been confirmed."
JOB_TITLE_SAVED = "Your job title has been updated."


class SettingsForm(FlaskForm):
    is_employee = RadioField(choices=YES_NO)
    is_partner = RadioField(choices=YES_NO)
    email_notifications = RadioField(choices=YES_NO)
    is_netacad_student = RadioField(choices=YES_NO)
    verification_consent = RadioField(choices=YES_NO)
    # Not one of the guide's required five: left out, the stored answer stays.
    expiry_reminders = RadioField(choices=YES_NO, validate_choice=False)

    def answers(self) -> dict[str, bool | None]:
        answers = {
            question: {"yes": True, "no": False}.get(getattr(self, question).data)
            for question in SETTINGS_QUESTIONS
        }
        answers["expiry_reminders"] = {"yes": True, "no": False}.get(self.expiry_reminders.data)
        return answers

    def validate_answers(self) -> bool:
        """Every question answered Yes or No; one plain message beside each that is not."""
        self.validate()
        complete = True
        answers = self.answers()
        for question in SETTINGS_QUESTIONS:
            field = getattr(self, question)
            field.errors = [REQUIRED_MESSAGE] if answers[question] is None else []
            complete = complete and answers[question] is not None
        reminders = self.expiry_reminders
        reminders.errors = (
            [CHOICE_MESSAGE] if reminders.data not in (None, "", "yes", "no") else []
        )
        return complete and not reminders.errors and not self.csrf_token.errors


class AttributesForm(FlaskForm):
    job_title = StringField("Job Title")


def settings_questions(program: str) -> list[tuple[str, str, str]]:
    """(field, heading, question) in the guide's order, worded for this program."""
    return [
        ("is_employee", f"{program} Employee", f"Are you a {program} employee?"),
        (
            "is_partner",
            f"{program} Partner or Reseller",
            f"Do you work for a {program} Partner or Reseller?",
        ),
        (
            "email_notifications",
            "Email Notifications",
            f"Would you like to receive emails about {program} training, certifications, "
            "services, special offerings, and events?",
        ),
        ("is_netacad_student", "Net Academy Student", "Are you a Net Academy student?"),
        (
            "verification_consent",
            "Verification of Certification",
            f"Please refer to the Certification and Confidentiality Agreement with respect to "
            f"{program}'s permitted disclosures of Certification information. In that "
            f"Agreement, you agreed that {program} (including third parties who process data "
            f"on behalf of {program}) may provide information verifying your Certification "
            f'status to others (see, Section 7 "Verification of Certification"). In your '
            f"agreement, {program} is not liable for the information provided. Such requests "
            f'may come directly from a third party or from you. By clicking "Yes" you are '
            f'confirming your consent to allow such disclosures. Clicking "No" indicates you '
            f"do not wish {program} to make these disclosures in the future. Nothing limits "
            f"{program}'s ability to make disclosures as otherwise permitted in the "
            f"Certification and Confidentiality Agreement.",
        ),
    ]


def _settings_form_for(candidate) -> SettingsForm:
    stored = {
        question: {True: "yes", False: "no"}.get(getattr(candidate, question))
        for question in (*SETTINGS_QUESTIONS, "expiry_reminders")
    }
    return SettingsForm(data=stored)


def _render_settings(form, status=200, saved=None):
    return render_page(
        "personal/settings.html",
        "settings_form",
        status=status,
        section="personal-info",
        tab="settings",
        form=form,
        saved=saved,
        questions=settings_questions(current_app.config["PROGRAM_NAME"]),
        confirmed_at=current_candidate().settings_confirmed_at,
    )


@bp.get("/")
@candidate_required
def index():
    """Personal Info opens on Settings."""
    return settings()


@bp.route("/settings", methods=["GET", "POST"])
@candidate_required
def settings():
    """Settings: five required yes/no answers, confirmed together, and the optional sixth
    (expiry reminders, on unless turned off)."""
    candidate = current_candidate()
    if request.method == "GET":
        return _render_settings(_settings_form_for(candidate))
    form = SettingsForm()
    if not form.validate_answers():
        return _render_settings(form, status=422)
    profile.confirm_settings(candidate, form.answers(), request.remote_addr or "")
    return redirect_after_post(
        url_for("personal.settings"),
        lambda: _render_settings(form, saved=SETTINGS_SAVED),
        message=SETTINGS_SAVED,
    )


def _render_attributes(form, status=200, saved=None):
    return render_page(
        "personal/attributes.html",
        "attributes_form",
        status=status,
        saved=saved,
        section="personal-info",
        tab="attributes",
        form=form,
        candidate=current_candidate(),
    )


@bp.route("/attributes", methods=["GET", "POST"])
@candidate_required
def attributes():
    """Candidate Attributes: only Job Title can be changed here."""
    candidate = current_candidate()
    if request.method == "GET":
        return _render_attributes(AttributesForm(data={"job_title": candidate.job_title}))
    form = AttributesForm()
    if form.validate():
        try:
            profile.update_job_title(candidate, form.job_title.data)
        except profile.ProfileError as error:
            form.job_title.errors = [str(error)]
        else:
            saved_form = AttributesForm(data={"job_title": candidate.job_title})
            return redirect_after_post(
                url_for("personal.attributes"),
                lambda: _render_attributes(saved_form, saved=JOB_TITLE_SAVED),
                message=JOB_TITLE_SAVED,
            )
    return _render_attributes(form, status=422)


@bp.get("/identification")
@candidate_required
def identification():
    """Identifiers: the IDs linked to this account, read-only."""
    return render_page(
        "personal/identification.html",
        "content",
        section="personal-info",
        tab="identification",
        candidate=current_candidate(),
        organization=current_app.config["PROGRAM_ORGANIZATION"],
    )


# --- Password & Sessions ---------------------------------------------------------------------

PASSWORD_CHANGED = "Your password has been changed. Your other sessions were logged out."  # noqa: S105
SESSION_ENDED = "The session was ended."
OTHER_SESSIONS_ENDED = "Your other sessions were logged out."


class ChangePasswordForm(FlaskForm):
    current_password = PasswordField(
        "Current password",
        validators=[DataRequired("Enter your current password."),
                    Length(max=passwords.MAX_LENGTH)],
    )
    new_password = PasswordField("New password",
                                 validators=[DataRequired("Enter a new password.")])
    confirm = PasswordField("Confirm new password",
                            validators=[DataRequired("Enter the new password again.")])


BROWSERS = (("Edg/", "Edge"), ("OPR/", "Opera"), ("Firefox/", "Firefox"),
            ("Chrome/", "Chrome"), ("Chromium/", "Chromium"), ("Safari/", "Safari"))
SYSTEMS = (("Android", "Android"), ("iPhone", "iOS"), ("iPad", "iPadOS"),
           ("Windows", "Windows"), ("Mac OS X", "macOS"), ("CrOS", "ChromeOS"),
           ("Linux", "Linux"))


def describe_browser(user_agent: str) -> str:
    """'Chrome on Linux' from a User-Agent header; enough to recognise one's own devices."""
    browser = next((name for mark, name in BROWSERS if mark in user_agent), "")
    system = next((name for mark, name in SYSTEMS if mark in user_agent), "")
    version = re.search(rf"{browser}/(\d+)", user_agent) if browser else None
    if browser and version:
        browser = f"{browser} {version.group(1)}"
    if browser and system:
        return f"{browser} on {system}"
    return browser or system or "Unknown browser"


def _render_security(form=None, status=200):
    candidate = current_candidate()
    return render_page(
        "personal/security.html",
        "content",
        status=status,
        section="personal-info",
        tab="security",
        form=form or ChangePasswordForm(),
        sessions=accounts.live_sessions(candidate, login_policy()),
        current_token=current_user.token,
        is_current=accounts.is_session_of,
        describe_browser=describe_browser,
        min_length=passwords.MIN_LENGTH,
    )


@bp.get("/security")
@candidate_required
def security():
    """Password & Sessions: change the password, see and end the sessions of the account."""
    return _render_security()


@bp.post("/security/password")
@candidate_required
def change_password():
    """Change the password; the current one is required, other sessions end."""
    form = ChangePasswordForm()
    if not form.validate():
        return _render_security(form, status=422)
    candidate = current_candidate()
    try:
        # Not inside a transaction of ours: a wrong current password must stay counted.
        accounts.change_password(
            candidate, form.current_password.data, form.new_password.data,
            form.confirm.data or "", login_policy(),
            session_token=current_user.token, ip_address=request.remote_addr or "",
            notify=notifications.password_changed,
        )
    except accounts.PasswordChangeRefused as refused:
        getattr(form, refused.field).errors = [str(refused)]
        return _render_security(form, status=422)
    return redirect_after_post(url_for("personal.security"), message=PASSWORD_CHANGED)


@bp.post("/security/sessions/<int:session_id>/end")
@candidate_required
def end_session(session_id: int):
    """End one session of this account (another device, or this one: then log out)."""
    candidate = current_candidate()
    ending_this_one = any(
        session.id == session_id and accounts.is_session_of(session, current_user.token)
        for session in accounts.live_sessions(candidate, login_policy())
    )
    if not accounts.end_session(candidate, session_id, request.remote_addr or ""):
        abort(404)
    if ending_this_one:
        sign_out()
        return redirect(url_for("auth.login", logged_out=1), 303)
    return redirect_after_post(url_for("personal.security"), message=SESSION_ENDED)


@bp.post("/security/sessions/end-others")
@candidate_required
def end_other_sessions():
    """Log out every other session of this account."""
    accounts.end_other_sessions(current_candidate(), current_user.token,
                                request.remote_addr or "")
    return redirect_after_post(url_for("personal.security"), message=OTHER_SESSIONS_ENDED)
