"""Testing History: exams, agreements, CE activities, e-commerce transactions (guide 4, 5)."""

from datetime import date

from flask import Blueprint, abort, current_app, request, send_file, url_for
from flask_wtf import FlaskForm
from werkzeug.exceptions import RequestEntityTooLarge
from wtforms import MultipleFileField, StringField

from certportal.db import database
from certportal.domain import ce_submissions, history
from certportal.web.htmx import redirect_after_post, render_page
from certportal.web.login import candidate_required, current_candidate
from certportal.web.security import FILE_REFUSED, accepts_uploads

bp = Blueprint("history", __name__, url_prefix="/testing-history")


def _candidate_id() -> int:
    return current_candidate().id


@bp.get("/")
@candidate_required
def exams():
    """Exams, sortable by every column, 50 a page."""
    order = history.ExamOrder.parse(request.args.get("sort"), request.args.get("dir"))
    number = history.parse_page_number(request.args.get("page"))
    return render_page(
        "history/exams.html",
        "exam_table",
        section="testing-history",
        tab="exams",
        order=order,
        page=history.exam_page(_candidate_id(), order, number),
    )


@bp.get("/agreements")
@candidate_required
def agreements():
    """Certification agreements the candidate accepted."""
    return render_page(
        "history/agreements.html",
        "content",
        section="testing-history",
        tab="exams",
        agreements=history.agreements_of(_candidate_id()),
    )


@bp.get("/ce-activities")
@candidate_required
def ce_activities():
    """CE activities, searchable; each row expands to its import source and external id."""
    search = history.normalize_search(request.args.get("q"))
    number = history.parse_page_number(request.args.get("page"))
    candidate_id = _candidate_id()
    return render_page(
        "history/ce_activities.html",
        "ce_results",
        section="testing-history",
        tab="ce-activities",
        search=search,
        page=history.ce_activity_page(candidate_id, search, number),
        active_points=history.active_ce_points(candidate_id, date.today()),
        evidence=ce_submissions.evidence_by_credit(candidate_id),
    )


# --- Submit a CE activity ------------------------------------------------------------------

# The whole request: the files at their largest, and room for the fields and multipart parts.
SUBMISSION_MAX_BYTES = ce_submissions.MAX_FILES * ce_submissions.MAX_FILE_BYTES + 64 * 1024
SUBMITTED = "Your CE activity was submitted. It counts once staff have reviewed it."
TOO_LARGE = (
    "The files you chose are too large together: attach at most "
    f"{ce_submissions.MAX_FILES} files of at most "
    f"{ce_submissions.MAX_FILE_BYTES // (1024 * 1024)} MB each. Nothing was saved; "
    "please fill in the form again."
)


class CeSubmissionForm(FlaskForm):
    name = StringField("Activity name")
    provider = StringField("Provider")
    activity_on = StringField("Date of the activity", render_kw={"type": "date"})
    points = StringField("Points claimed", render_kw={"inputmode": "numeric"})
    # A hint for the file chooser only: the content decides (ce_submissions.sniff).
    evidence = MultipleFileField("Evidence", render_kw={"accept": ".pdf,.png,.jpg,.jpeg"})


def _render_submission(form, status=200):
    candidate_id = _candidate_id()
    today = date.today()
    form.activity_on.render_kw = {"type": "date", "max": today.isoformat()}
    return render_page(
        "history/ce_submit.html",
        "content",
        status=status,
        section="testing-history",
        tab="ce-activities",
        form=form,
        today=today,
        max_points=current_app.config["CE_SUBMISSION_MAX_POINTS"],
        date_limit=ce_submissions.date_limit(candidate_id, today),
        max_files=ce_submissions.MAX_FILES,
        max_megabytes=ce_submissions.MAX_FILE_BYTES // (1024 * 1024),
    )


@bp.route("/ce-activities/submit", methods=["GET", "POST"])
@accepts_uploads(SUBMISSION_MAX_BYTES)
@candidate_required
def submit_ce():
    """Submit a CE activity with evidence; it shows as "Pending review" until staff decide."""
    if request.method == "GET":
        return _render_submission(CeSubmissionForm(formdata=None))
    if any(name != "evidence" for name in request.files):
        raise FILE_REFUSED  # a file where the form has a text field
    form = CeSubmissionForm()
    if not form.validate():  # the CSRF token
        return _render_submission(form, status=422)
    uploads = [
        ce_submissions.Upload(upload.filename or "", upload.read())
        for upload in request.files.getlist("evidence")
    ]
    today = date.today()
    candidate_id = _candidate_id()
    try:
        submission = ce_submissions.check_submission(
            candidate_id,
            name=form.name.data,
            provider=form.provider.data,
            activity_on=form.activity_on.data,
            points=form.points.data,
            uploads=uploads,
            today=today,
            max_points=current_app.config["CE_SUBMISSION_MAX_POINTS"],
        )
    except ce_submissions.SubmissionRefused as refused:
        for field, messages in refused.errors.items():
            getattr(form, field).errors = list(messages)
        return _render_submission(form, status=422)
    with database.atomic():
        ce_submissions.submit(
            candidate_id, submission, upload_dir=current_app.config["UPLOAD_DIR"], today=today
        )
    return redirect_after_post(url_for("history.ce_activities"), message=SUBMITTED)


@bp.errorhandler(RequestEntityTooLarge)
def _too_large(error):
    """Files over the form's limit: the form again with the reason beside the files, not an
    error page (the body was not read, so nothing of it can be shown again)."""
    if request.endpoint != "history.submit_ce" or current_candidate() is None:
        from certportal.web.errors import render_error

        return render_error(413)
    form = CeSubmissionForm(formdata=None)
    form.evidence.errors = [TOO_LARGE]
    return _render_submission(form, status=413)


@bp.get("/ce-activities/evidence/<int:evidence_id>")
@candidate_required
def evidence(evidence_id: int):
    """One evidence file of the candidate's own submissions, as an attachment."""
    stored = ce_submissions.evidence_of(evidence_id, _candidate_id())
    if stored is None:
        abort(404)
    return send_evidence(stored)


def send_evidence(stored):
    """An evidence file as a download, never shown in the browser: its type as sniffed on
    upload, nosniff, and no caching."""
    path = ce_submissions.evidence_path(current_app.config["UPLOAD_DIR"], stored)
    if not path.is_file():
        abort(404)
    response = send_file(
        path,
        mimetype=stored.content_type,
        as_attachment=True,
        download_name=stored.original_name,
        conditional=False,
        max_age=0,
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/transactions")
@candidate_required
def transactions():
    """E-commerce transactions: kit claims and purchases."""
    number = history.parse_page_number(request.args.get("page"))
    return render_page(
        "history/transactions.html",
        "content",
        section="testing-history",
        tab="transactions",
        page=history.transactions_page(_candidate_id(), number),
    )
