"""Support cases: ask for an account merge or other help, logged in or not."""

from flask import Blueprint, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import EmailField, RadioField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length

from certportal import notifications
from certportal.domain import mapping, support
from certportal.web.htmx import redirect_after_post, render_page
from certportal.web.security import configured_limit, limiter, submitted_address

bp = Blueprint("support", __name__, url_prefix="/support")


class SupportCaseForm(FlaskForm):
    kind = RadioField(
        "What do you need help with?",
        choices=[SelectChoice(value, label) for value, label in support.KINDS.items()],
        default="merge",
        validators=[DataRequired("Choose what you need help with.")],
    )
    email = EmailField(
        "Contact email address",
        validators=[DataRequired("Enter the email address staff should answer."),
                    Length(max=254, message="Use at most 254 characters.")],
    )
    login_ids = StringField(
        "Login IDs involved (if known)", validators=[Length(max=255, message="Too long.")]
    )
    description = TextAreaField(
        "Description",
        validators=[
            DataRequired("Describe what you need, so staff can help."),
            Length(max=support.MAX_DESCRIPTION,
                   message=f"Use at most {support.MAX_DESCRIPTION} characters."),
        ],
    )


def _signed_in_candidate():
    if current_user.is_authenticated and current_user.is_candidate:
        return current_user.account
    return None


def _prefilled_form() -> SupportCaseForm:
    candidate = _signed_in_candidate()
    kind = request.args.get("kind")
    return SupportCaseForm(
        data={
            "kind": kind if kind in support.KINDS else "merge",
            "email": request.args.get("email", candidate.email if candidate else "")[:254],
            "login_ids": request.args.get("login_ids", candidate.login_id if candidate else "")[
                :255
            ],
            "description": "",
        }
    )


@bp.route("/cases/new", methods=["GET", "POST"])
@limiter.limit(configured_limit("MAPPING_RATE_LIMIT"), methods=["POST"])
@limiter.limit(configured_limit("MAPPING_ADDRESS_RATE_LIMIT"), key_func=submitted_address,
               methods=["POST"], scope="support-case-address")
def new_case():
    """Open a support case: an account merge or other help; acknowledged by email."""
    if request.method == "GET":
        return render_page("support/new_case.html", "content", section="support",
                           form=_prefilled_form())
    form = SupportCaseForm()
    valid = form.validate()
    problem = mapping.email_address_problem(form.email.data)
    if problem and not form.email.errors:
        form.email.errors = [problem]
        valid = False
    if not valid:
        return render_page("support/new_case.html", "content", status=422, section="support",
                           form=form)
    case = support.open_case(
        kind=form.kind.data,
        contact_email=form.email.data,
        login_ids=form.login_ids.data or "",
        description=form.description.data,
        candidate=_signed_in_candidate(),
        notify=notifications.support_case_opened,
    )
    return redirect_after_post(
        url_for("main.support"),
        message=f"Your support case {case.case_number} has been opened. We have sent an "
        f"acknowledgement to {case.contact_email}.",
    )
