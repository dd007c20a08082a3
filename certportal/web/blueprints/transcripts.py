"""Transcripts (guide section 8): create and edit in place, share, and the public page."""

import json
import re
from datetime import date, timedelta

from flask import Blueprint, abort, current_app, make_response, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    RadioField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Optional

from certportal import notifications
from certportal.domain import badges
from certportal.domain import transcripts as rules
from certportal.domain.certifications import by_group
from certportal.domain.mapping import is_email_address
from certportal.web import navigation, public_answers
from certportal.web.errors import render_error
from certportal.web.htmx import redirect_after_post, render_page
from certportal.web.login import candidate_required, current_candidate
from certportal.web.navigation import public_transcript_url
from certportal.web.security import configured_limit, limiter

bp = Blueprint("transcripts", __name__)

TRANSCRIPT_CREATED = "Transcript created"
TRANSCRIPT_SAVED = "Transcript saved"
EXPIRY_CHOICES = [
    SelectChoice(str(days), f"{days} days") for days in rules.EXPIRY_PERIODS_DAYS
] + [SelectChoice("date", "On this date:")]
SELECTION_CHOICES = [
    SelectChoice("active", rules.SELECTION_LABELS["active"]),
    SelectChoice("all_new", rules.SELECTION_LABELS["all_new"]),
    # Beside the list of certifications it refers to, the form words this one its own way.
    SelectChoice("chosen", "Only the certifications selected below"),
]


class TranscriptForm(FlaskForm):
    # No transcript id among the fields: the server alone chooses it, when it saves.
    # The forms of the name on record (choices set per candidate); no free-text name.
    name_form = RadioField("Display name", choices=[])
    show_dates = BooleanField("Show certification dates")
    show_address = BooleanField("Show address")
    only_active = BooleanField("Show only active certifications")
    expires_after = RadioField("Expires after", choices=EXPIRY_CHOICES)
    expires_on = DateField("Expiry date", validators=[Optional()])
    description = StringField("Description")
    remarks = TextAreaField("Remarks")
    selection = RadioField("Certifications to include", choices=SELECTION_CHOICES)
    certifications = SelectMultipleField("Certification to display in transcript", coerce=int)


class EmailForm(FlaskForm):
    to = StringField("To:")


def _today() -> date:
    return date.today()


def share_links(link: str, name: str) -> list[tuple[str, str]]:
    """Post links for a transcript (navigation.share_links with its own words)."""
    return navigation.share_links(link, f"Transcript of {name}'s certifications")


def _own_transcript_or_404(public_id: str):
    transcript = rules.transcript_of(current_candidate(), public_id)
    if transcript is None:
        abort(404)
    return transcript


# --- The list ----------------------------------------------------------------------------


def _render_index(saved=None, status=200):
    candidate = current_candidate()
    today = _today()
    rows = [
        (
            transcript,
            public_transcript_url(transcript),
            rules.owner_status(transcript, candidate.verification_consent, today),
            rules.shown_name(candidate, transcript.name_form),
        )
        for transcript in rules.transcripts_of(candidate)
    ]
    return render_page(
        "transcripts/index.html",
        "transcripts_panel",
        status=status,
        section="transcripts",
        rows=rows,
        saved=saved,
        today=today,
        share_links=share_links,
    )


@bp.get("/transcripts")
@candidate_required
def index():
    """Transcripts: the candidate's transcripts, their views and ways to share them."""
    return _render_index()


# --- Create and edit ---------------------------------------------------------------------


def _form_for(transcript=None) -> TranscriptForm:
    candidate = current_candidate()
    if transcript is None:
        data = {
            "name_form": rules.DEFAULT_NAME_FORM,
            "show_dates": True,
            "only_active": True,
            "expires_after": str(rules.DEFAULT_EXPIRY_DAYS),
            "selection": "active",
            "certifications": [],
        }
    else:
        data = {
            "name_form": rules.effective_name_form(candidate, transcript.name_form),
            "show_dates": transcript.show_dates,
            "show_address": transcript.show_address,
            "only_active": transcript.only_active,
            "expires_after": "date",
            "expires_on": transcript.expires_on,
            "description": transcript.description,
            "remarks": transcript.remarks,
            "selection": transcript.selection,
            "certifications": rules.chosen_certification_ids(transcript)
            if transcript.selection == "chosen"
            else [],
        }
    form = TranscriptForm(data=data)
    return _with_choices(form)


def _with_choices(form: TranscriptForm) -> TranscriptForm:
    candidate = current_candidate()
    form.name_form.choices = [
        SelectChoice(name_form, f"{name} ({rules.NAME_FORMS[name_form]})")
        for name_form, name in rules.name_forms(candidate).items()
    ]
    held = list(rules.showable_certifications(candidate))
    form.certifications.choices = [
        SelectChoice(row.certification_id, row.certification.name) for row in held
    ]
    form.held_certifications = held
    return form


def _input_from(form: TranscriptForm) -> tuple[rules.TranscriptInput, dict[str, str]]:
    """The form's values as the rules take them, and the fields that could not be read."""
    errors = {}
    today = _today()
    if form.expires_after.data == "date":
        if form.expires_on.data is None:
            errors["expires_on"] = "Enter the expiry date as YYYY-MM-DD."
        expires_on = form.expires_on.data or today
    elif form.expires_after.data in {str(days) for days in rules.EXPIRY_PERIODS_DAYS}:
        expires_on = today + timedelta(days=int(form.expires_after.data))
    else:
        errors["expires_on"] = "Choose when the transcript expires."
        expires_on = today
    data = rules.TranscriptInput(
        expires_on=expires_on,
        name_form=form.name_form.data or "",
        description=form.description.data or "",
        remarks=form.remarks.data or "",
        show_dates=bool(form.show_dates.data),
        show_address=bool(form.show_address.data),
        only_active=bool(form.only_active.data),
        selection=form.selection.data or "",
        certification_ids=[value for value in (form.certifications.data or []) if value],
    )
    return data, errors


def _mark_errors(form: TranscriptForm, errors: dict[str, str]) -> None:
    for name, message in errors.items():
        form[name].errors = [message]


def _render_form(form, transcript=None, status=200):
    return render_page(
        "transcripts/form.html",
        "transcript_form",
        status=status,
        section="transcripts",
        form=form,
        transcript=transcript,
        today=_today(),
    )


def _save(form: TranscriptForm, transcript=None):
    """Validate and save; returns the saved transcript, or None with errors on the form."""
    # Only the CSRF check is WTForms' job here; every field rule is the domain's.
    form.validate()
    if form.csrf_token.errors:
        abort(400)
    data, errors = _input_from(form)
    candidate = current_candidate()
    try:
        if not errors:
            if transcript is None:
                return rules.create_transcript(candidate, data, _today())
            return rules.update_transcript(transcript, data, _today())
        rules.check_input(candidate, data, _today())
    except rules.TranscriptError as error:
        errors = {**error.errors, **errors}
    for field in form:
        field.errors = []
    _mark_errors(form, errors)
    return None


@bp.route("/transcripts/new", methods=["GET", "POST"])
@candidate_required
def create():
    """Create new transcript: in place on the Transcripts page, or as its own page."""
    if request.method == "GET":
        return _render_form(_form_for())
    form = _with_choices(TranscriptForm())
    if _save(form) is None:
        return _render_form(form, status=422)
    return redirect_after_post(
        url_for("transcripts.index"),
        lambda: _render_index(saved=TRANSCRIPT_CREATED),
        message=TRANSCRIPT_CREATED,
    )


@bp.route("/transcripts/<public_id>/edit", methods=["GET", "POST"])
@candidate_required
def edit(public_id: str):
    """Edit a transcript: its options, expiry and certifications."""
    transcript = _own_transcript_or_404(public_id)
    if request.method == "GET":
        return _render_form(_form_for(transcript), transcript)
    form = _with_choices(TranscriptForm())
    if _save(form, transcript) is None:
        return _render_form(form, transcript, status=422)
    return redirect_after_post(
        url_for("transcripts.index"),
        lambda: _render_index(saved=TRANSCRIPT_SAVED),
        message=TRANSCRIPT_SAVED,
    )


def _toggle(public_id: str, disabled: bool, message: str):
    transcript = _own_transcript_or_404(public_id)
    rules.set_disabled(transcript, disabled)
    return redirect_after_post(
        url_for("transcripts.index"), lambda: _render_index(saved=message), message=message
    )


@bp.post("/transcripts/<public_id>/disable")
@candidate_required
def disable(public_id: str):
    """Disable a transcript: its link answers "not available" at once."""
    return _toggle(public_id, True, "Transcript disabled: its link no longer shows it.")


@bp.post("/transcripts/<public_id>/enable")
@candidate_required
def enable(public_id: str):
    """Enable a disabled transcript again."""
    return _toggle(public_id, False, "Transcript enabled: its link shows it again.")


# --- Views -------------------------------------------------------------------------------


@bp.get("/transcripts/<public_id>/views")
@candidate_required
def views(public_id: str):
    """When each view of a transcript happened."""
    transcript = _own_transcript_or_404(public_id)
    return render_page(
        "transcripts/views.html",
        "content",
        section="transcripts",
        transcript=transcript,
        views=list(rules.views_of(transcript)),
    )


# --- Email and share ---------------------------------------------------------------------


def _render_email(transcript, form, status=200, preview=None, sent_to=None):
    link = public_transcript_url(transcript)
    name = rules.shown_name(transcript.candidate, transcript.name_form)
    return render_page(
        "transcripts/email.html",
        "content",
        status=status,
        section="transcripts",
        transcript=transcript,
        form=form,
        link=link,
        preview=preview,
        sent_to=sent_to,
        name=name,
        share=share_links(link, name),
        today=_today(),
    )


def _checked_address(form: EmailForm) -> str | None:
    address = (form.to.data or "").strip()
    if not address:
        form.to.errors = ["Enter the email address to send the transcript to."]
    elif not is_email_address(address):
        form.to.errors = ["Enter one email address, like name@example.com."]
    else:
        return address
    return None


@bp.get("/transcripts/<public_id>/email")
@candidate_required
def email(public_id: str):
    """Email this Transcript: To, Send and Preview Email; the link to copy and share."""
    transcript = _own_transcript_or_404(public_id)
    return _render_email(transcript, EmailForm(data={"to": request.args.get("to", "")}))


# A POST, like Send: the form's CSRF token must not travel in a URL (logs, history).
@bp.post("/transcripts/<public_id>/email/preview")
@candidate_required
def email_preview(public_id: str):
    """Preview Email: exactly the message Send would deliver."""
    transcript = _own_transcript_or_404(public_id)
    form = EmailForm()
    if _checked_address(form) is None:
        return _render_email(transcript, form, status=422)
    return _render_email(transcript, form, preview=notifications.transcript_preview(transcript))


@bp.post("/transcripts/<public_id>/email")
@candidate_required
def send_email(public_id: str):
    """Send the transcript's link to one address, within the daily limit."""
    transcript = _own_transcript_or_404(public_id)
    candidate = current_candidate()
    form = EmailForm()
    form.validate()
    if form.csrf_token.errors:
        abort(400)
    address = _checked_address(form)
    if address is None:
        return _render_email(transcript, form, status=422)
    daily_limit = current_app.config["TRANSCRIPT_EMAILS_PER_DAY"]
    refusal = rules.email_refusal(candidate, transcript, daily_limit, _today())
    if refusal is not None:
        form.to.errors = [refusal.message]
        return _render_email(transcript, form, status=429 if refusal.over_limit else 422)
    notifications.transcript_shared(candidate, transcript, address)
    return redirect_after_post(
        url_for("transcripts.email", public_id=public_id),
        lambda: _render_email(transcript, EmailForm(formdata=None), sent_to=address),
        message=f"Transcript sent to {address}.",
    )


# --- The public page ---------------------------------------------------------------------


def _public_headers(response):
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["X-Robots-Tag"] = "noindex, nofollow"
    # Revalidate every time: the page must follow the transcript (disabled, expired) at once.
    response.headers["Cache-Control"] = "private, no-cache"
    return response


@bp.errorhandler(429)
def _too_many_requests(error):
    if request.endpoint != "transcripts.public":
        return render_error(429)
    # A third party's page: the public layout, no session cookie, no name.
    body = render_template("transcripts/unavailable.html", too_many=True)
    return _public_headers(make_response(body, 429))


def _is_owner(transcript) -> bool:
    return (current_user.is_authenticated and current_user.is_candidate
            and current_user.account.id == transcript.candidate_id)


def _shown(public_id: str, today: date):
    """(transcript, state, what it lists, its tag): the public page's rule, shared with the
    answers given in front of Flask (public_answers)."""
    transcript, certifications = rules.find_public_listed(public_id, today)
    state = rules.public_state(transcript, today)
    if state != rules.AVAILABLE:
        return transcript, state, [], None
    return transcript, state, certifications, rules.content_tag(transcript, certifications, today)


def _record_view(transcript, address: str, user_agent: str) -> None:
    rules.record_view(transcript, current_app.config["SECRET_KEY"], address, user_agent)


def _current_public_page(public_id: str) -> public_answers.Seen | None:
    transcript, _state, _listed, tag = _shown(public_id, _today())
    if tag is None:
        return None
    return public_answers.Seen(tag, lambda environ: _record_view(
        transcript, environ.get("REMOTE_ADDR") or "", environ.get("HTTP_USER_AGENT", "")))


@bp.get("/t/<public_id>")
@limiter.limit(configured_limit("TRANSCRIPT_RATE_LIMIT"))
def public(public_id: str):
    """A transcript as a third party sees it, without logging in."""
    transcript, state, certifications, etag = _shown(public_id, _today())
    if state != rules.AVAILABLE:
        expired = state == rules.EXPIRED
        body = render_template("transcripts/unavailable.html", expired=expired)
        return _public_headers(make_response(body, 410 if expired else 404))
    # A HEAD (link checkers, previews) reads no transcript: only a GET is a view. The owner
    # looking at their own page (the View link) is not a third party's view either.
    if request.method == "GET" and not _is_owner(transcript):
        _record_view(transcript, request.remote_addr or "", request.user_agent.string)
    if request.if_none_match.contains(etag):
        response = make_response("", 304)
    else:
        body = render_template(
            "transcripts/public.html",
            transcript=transcript,
            candidate=transcript.candidate,
            name=rules.shown_name(transcript.candidate, transcript.name_form),
            groups=by_group(certifications),
            # The CLR holds the badges of certifications that hold today: none, no offer.
            offers_clr=badges.current_settings() is not None
            and any(held.status == "active" for held in certifications),
        )
        response = make_response(body)
    response.set_etag(etag)
    public_answers.offer(etag)
    return _public_headers(response)


public_answers.register(public_answers.PublicPage(
    path=re.compile(r"/t/([^/]+)"),
    limit_setting="TRANSCRIPT_RATE_LIMIT",
    limit_scope="transcripts.public",
    current=_current_public_page,
))


@bp.get("/t/<public_id>/clr.json")
@limiter.limit(configured_limit("TRANSCRIPT_RATE_LIMIT"))
def public_clr(public_id: str):
    """The transcript as a signed CLR 2.0 credential holding the badges of the certifications
    it shows that hold today; the same "not available" as the page otherwise."""
    today = _today()
    transcript = rules.find_public(public_id)
    clr = None
    if rules.public_state(transcript, today) == rules.AVAILABLE:
        clr = badges.transcript_clr(transcript, today)
    if clr is None:
        body = render_template("transcripts/unavailable.html", expired=False)
        return _public_headers(make_response(body, 404))
    response = make_response(json.dumps(clr, indent=2, ensure_ascii=False))
    response.mimetype = "application/json"
    response.headers["Content-Disposition"] = (
        f'attachment; filename="transcript-{public_id}-clr.json"'
    )
    return _public_headers(response)
