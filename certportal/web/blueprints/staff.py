"""The staff console (/staff): the program's side of the portal.

Every route names the roles it allows (`staff_only`); anyone else gets 404. Views parse the
form, call the same domain functions as the CLI, write what they did to the audit log (the
domain does) and queue the email the change calls for (certportal.notifications).
"""

from __future__ import annotations

import json
import secrets
from datetime import date
from pathlib import Path

from flask import Blueprint, abort, current_app, flash, redirect, request, session, url_for
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    DateField,
    EmailField,
    HiddenField,
    PasswordField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional

from certportal import notifications
from certportal.db import database
from certportal.domain import (
    audit,
    candidates,
    ce_submissions,
    certifications,
    merges,
    staff,
    support,
)
from certportal.domain import kits as kits_rules
from certportal.domain.imports import ImportRefused
from certportal.domain.mapping import is_email_address
from certportal.domain.staff_imports import (
    KIND_NAMES,
    MAX_UPLOAD_BYTES,
    UploadRefused,
    import_history,
    run_import,
    safe_file_name,
)
from certportal.models import (
    Candidate,
    CandidateMerge,
    CeCredit,
    Certification,
    Exam,
    ExamResult,
    FulfillmentItem,
    StaffUser,
    SupportCase,
    certifications_of,
)
from certportal.web.blueprints.history import send_evidence
from certportal.web.htmx import redirect_after_post, render_page
from certportal.web.login import (
    count_code_failure,
    current_staff,
    pending_next,
    pending_staff,
    sign_in,
    staff_only,
)
from certportal.web.security import configured_limit, limiter

bp = Blueprint("staff", __name__, url_prefix="/staff")

EVERY_ROLE = ("support", "fulfillment", "auditor")  # and admin, who holds every role
READERS = ("support", "auditor")
SUPPORT = ("support",)
ADMIN = ()  # admins only


def _ip() -> str:
    return request.remote_addr or ""


def _reason_field(label="Reason"):
    return TextAreaField(
        label,
        validators=[DataRequired("Give the reason (it is kept in the audit log)."),
                    Length(max=2000, message="Use at most 2000 characters.")],
    )


# --- Signing in: the second factor ---------------------------------------------------------


class CodeForm(FlaskForm):
    code = StringField(
        "Code",
        validators=[DataRequired("Enter the 6-digit code from your authenticator app, or a "
                                 "recovery code."), Length(max=20, message="Too long.")],
    )


def _finish_sign_in(staff_user):
    next_url = pending_next()
    sign_in(staff_user)
    with database.atomic():
        staff_user.last_login_at = audit.record(
            "staff_logged_in", staff_user=staff_user, ip_address=_ip()
        ).occurred_at
        staff_user.save()
    return next_url if next_url.startswith("/staff") else url_for("staff.home")


# Wrong codes allowed after one password: then the password must be given again (and the
# log-in throttle counts those), so codes cannot be guessed at leisure.
MAX_CODE_FAILURES = 5


@bp.route("/sign-in", methods=["GET", "POST"])
@limiter.limit(configured_limit("LOGIN_RATE_LIMIT"), methods=["POST"])
def second_factor():
    """After the password: the TOTP code (or a recovery code). First time: enrol."""
    staff_user = pending_staff()
    if staff_user is None:
        return redirect(url_for("auth.login"))
    if staff.needs_enrolment(staff_user):
        return redirect(url_for("staff.enrol"))
    form = CodeForm()
    status = 200
    if request.method == "POST":
        status = 422
        if form.validate():
            if staff.check_second_factor(staff_user, form.code.data, ip_address=_ip()):
                return redirect(_finish_sign_in(staff_user), 303)
            if count_code_failure() >= MAX_CODE_FAILURES:
                session.pop("staff_pending", None)
                flash("Too many wrong codes: log in again.", "error")
                return redirect(url_for("auth.login"), 303)
            form.code.errors = ["This code is not right, or was used already. Wait for the "
                                "next code, or use a recovery code."]
    return render_page("staff/second_factor.html", "content", status=status, form=form,
                       staff_user=staff_user)


@bp.route("/enrol", methods=["GET", "POST"])
@limiter.limit(configured_limit("LOGIN_RATE_LIMIT"), methods=["POST"])
def enrol():
    """First sign-in: scan the QR code, confirm one code, keep the ten recovery codes."""
    staff_user = pending_staff()
    if staff_user is None:
        return redirect(url_for("auth.login"))
    if not staff.needs_enrolment(staff_user):
        return redirect(url_for("staff.second_factor"))
    staff.start_enrolment(staff_user)
    form = CodeForm()
    status = 200
    if request.method == "POST":
        status = 422
        if form.validate():
            codes = staff.confirm_enrolment(staff_user, form.code.data)
            if codes is not None:
                target = _finish_sign_in(staff_user)
                return render_page("staff/recovery_codes.html", "content", codes=codes,
                                   target=target, section="console")
            form.code.errors = ["This code is not right. Check the clock of your phone and "
                                "enter the code shown now."]
    return render_page("staff/enrol.html", "content", status=status, form=form,
                       qr_svg=staff.enrolment_qr_svg(staff_user),
                       secret=staff_user.totp_secret)


# --- The console's front page ----------------------------------------------------------------


@bp.get("")
@staff_only(*EVERY_ROLE)
def home():
    """What waits: open cases, cases assigned to me, CE activities to review, the latest
    imports."""
    me = current_staff()
    open_cases = SupportCase.select().where(SupportCase.status != "resolved").count()
    mine = SupportCase.select().where(
        (SupportCase.assigned_to == me) & (SupportCase.status != "resolved")).count()
    history, _ = import_history(per_page=5)
    return render_page("staff/home.html", "content", section="console", open_cases=open_cases,
                       mine=mine, history=history,
                       pending_ce=ce_submissions.pending_submissions().count(),
                       can=lambda *roles: staff.has_role(me, *roles))


# --- Candidates ------------------------------------------------------------------------------


def _candidate_or_404(login_id: str) -> Candidate:
    candidate = candidates.find_by_login_id(login_id)
    if candidate is None:
        abort(404)
    return candidate


@bp.get("/candidates")
@staff_only(*READERS)
def candidates_search():
    query = request.args.get("q", "")
    try:
        page_number = max(1, int(request.args.get("page", "1")))
    except ValueError:
        page_number = 1
    page = candidates.search_candidates(query, page_number)
    if page.query:
        # Results show names and addresses: a search reveals candidate data too.
        audit.record("candidates_searched", staff_user=current_staff(),
                     subject=f"search {page.query}", new_value=str(len(page.candidates)),
                     ip_address=_ip())
    return render_page("staff/candidates.html", "results", section="candidates", page=page)


class EmailForm(FlaskForm):
    email = EmailField(
        "New email address",
        validators=[DataRequired("Enter the new email address."),
                    Length(max=254, message="Use at most 254 characters.")],
    )
    reason = _reason_field()


class GrantForm(FlaskForm):
    certification = SelectField("Certification", validators=[
        DataRequired("Choose the certification to grant.")])
    granted_on = DateField("Grant date", validators=[DataRequired(
        "Enter the grant date as YYYY-MM-DD.")])
    reason = _reason_field()


class RevokeForm(FlaskForm):
    reason = _reason_field("Reason for the revocation")


class PlainForm(FlaskForm):
    """A button that changes something: the CSRF token only."""


def _record_context(candidate: Candidate, **forms):
    me = current_staff()
    return {
        "section": "candidates",
        "candidate": candidate,
        "survivor": Candidate.get_by_id(candidate.merged_into_id)
        if candidate.merged_into_id else None,
        "held": list(certifications_of(candidate)),
        "progress": certifications.progress_by_code(candidate, date.today()),
        "exams": list(
            ExamResult.select(ExamResult, Exam).join(Exam)
            .where(ExamResult.candidate == candidate)
            .order_by(ExamResult.taken_on.desc(), ExamResult.id.desc()).limit(200)
        ),
        "credits": list(
            CeCredit.select().where(CeCredit.candidate == candidate)
            .order_by(CeCredit.active_on.desc(), CeCredit.id.desc()).limit(200)
        ),
        "orders": kits_rules.orders_with_lines(candidate),
        "order_status_labels": kits_rules.ORDER_STATUS_LABELS,
        "kit_status_labels": kits_rules.STATUS_LABELS,
        "history_name": kits_rules.history_name,
        "transcripts": list(candidate.transcripts),
        "emails": candidates.emails_sent(candidate),
        "cases": candidates.support_cases(candidate),
        "trail": audit.candidate_trail(candidates.record_ids(candidate)),
        "sessions": candidates.live_session_count(candidate),
        "email_form": forms.get("email_form") or EmailForm(formdata=None),
        "plain_form": PlainForm(formdata=None),
        "can_act": staff.has_role(me, *SUPPORT),
    }


@bp.get("/candidates/<login_id>")
@staff_only(*READERS)
def candidate_record(login_id: str):
    """What the candidate sees, and what they do not: emails sent, cases, the audit trail."""
    candidate = _candidate_or_404(login_id)
    candidates.record_viewed(candidate, current_staff(), _ip())
    return render_page("staff/candidate.html", "content", **_record_context(candidate))


def _back_to_record(candidate, message):
    return redirect_after_post(url_for("staff.candidate_record", login_id=candidate.login_id),
                               message=message)


@bp.post("/candidates/<login_id>/mapping-email")
@staff_only(*SUPPORT)
def resend_mapping_email(login_id: str):
    candidate = _candidate_or_404(login_id)
    if not PlainForm().validate():
        abort(400)
    candidates.resend_mapping_email(candidate, current_staff(), _ip(),
                                    notify=notifications.mapping_notice)
    return _back_to_record(candidate, f"A new password link was sent to {candidate.email}.")


@bp.post("/candidates/<login_id>/email")
@staff_only(*SUPPORT)
def correct_email(login_id: str):
    candidate = _candidate_or_404(login_id)
    form = EmailForm()
    valid = form.validate()
    if not form.email.errors and not is_email_address((form.email.data or "").strip()):
        form.email.errors = ["Enter an email address, like name@example.com."]
        valid = False
    if valid:
        try:
            old = candidates.correct_email(candidate, form.email.data, form.reason.data,
                                           current_staff(), _ip(),
                                           notify=notifications.email_corrected)
        except candidates.CandidateActionRefused as refused:
            getattr(form, refused.field).errors = [str(refused)]
        else:
            return _back_to_record(
                candidate, f"The email on file is now {candidate.email}; {old} was told.")
    return render_page("staff/candidate.html", "content", status=422,
                       **_record_context(candidate, email_form=form))


@bp.post("/candidates/<login_id>/unlock")
@staff_only(*SUPPORT)
def unlock(login_id: str):
    candidate = _candidate_or_404(login_id)
    if not PlainForm().validate():
        abort(400)
    candidates.unlock(candidate, current_staff(), _ip())
    return _back_to_record(candidate, "Failed log-ins were forgotten: the candidate can log in "
                                      "at once.")


@bp.post("/candidates/<login_id>/log-out")
@staff_only(*SUPPORT)
def log_out_everywhere(login_id: str):
    candidate = _candidate_or_404(login_id)
    if not PlainForm().validate():
        abort(400)
    ended = candidates.log_out_everywhere(candidate, current_staff(), _ip())
    return _back_to_record(candidate, f"{ended} session(s) ended.")


def _grant_choices():
    return [SelectChoice("", "Choose a certification")] + [
        SelectChoice(c.code, f"{c.display_name} ({c.code})")
        for c in Certification.select().order_by(
            Certification.group_order, Certification.sort_order, Certification.code)
    ]


@bp.route("/candidates/<login_id>/grant", methods=["GET", "POST"])
@staff_only(*SUPPORT)
def grant(login_id: str):
    """Grant a certification by hand (reason required); the candidate is emailed."""
    candidate = _candidate_or_404(login_id)
    form = GrantForm(data=None if request.method == "POST" else {"granted_on": date.today()})
    form.certification.choices = _grant_choices()
    status = 200
    if request.method == "POST":
        status = 422
        if form.validate():
            today = date.today()
            try:
                certifications.grant(candidate.login_id, form.certification.data,
                                     form.granted_on.data, today,
                                     reason=form.reason.data.strip(),
                                     staff_user=current_staff(),
                                     notify=notifications.certification_granted)
            except certifications.GrantError as error:
                form.granted_on.errors = [str(error)]
            else:
                return _back_to_record(
                    candidate, f"{form.certification.data} was granted to {candidate.login_id}.")
    return render_page("staff/grant.html", "content", status=status, section="candidates",
                       candidate=candidate, form=form)


@bp.route("/candidates/<login_id>/certifications/<code>/revoke", methods=["GET", "POST"])
@staff_only(*SUPPORT)
def revoke(login_id: str, code: str):
    """Revoke a certification (reason required): it ends at every door at once."""
    candidate = _candidate_or_404(login_id)
    held = certifications.held_by_code(candidate, code)
    if held is None or held.status == "revoked":
        abort(404)
    form = RevokeForm()
    status = 200
    if request.method == "POST":
        status = 422
        if form.validate():
            certifications.revoke_certification(held, reason=form.reason.data,
                                                staff_user=current_staff(),
                                                notify=notifications.certification_revoked)
            return _back_to_record(candidate, f"{code} of {candidate.login_id} was revoked.")
    return render_page("staff/revoke.html", "content", status=status, section="candidates",
                       candidate=candidate, held=held, form=form)


# --- Imports --------------------------------------------------------------------------------


class ImportForm(FlaskForm):
    kind = RadioField("What the file holds",
                      choices=[SelectChoice(key, label) for key, label in KIND_NAMES.items()],
                      validators=[DataRequired("Choose what the file holds.")])
    file = FileField("CSV file")
    skip_invalid = BooleanField("Import the good rows and skip the bad ones")


class ApplyForm(FlaskForm):
    upload = HiddenField(validators=[DataRequired()])


def _upload_dir() -> Path:
    directory = Path(current_app.config["STAFF_UPLOAD_DIR"])
    directory.mkdir(parents=True, exist_ok=True)
    return directory


def _keep_upload(kind: str, name: str, content: bytes, skip_invalid: bool) -> str:
    """Keep a checked file until it is applied: outside static/, under a random name; what
    it is (kind, original name, who) is kept beside it."""
    token = secrets.token_urlsafe(24)
    directory = _upload_dir()
    (directory / f"{token}.csv").write_bytes(content)
    (directory / f"{token}.json").write_text(json.dumps({
        "kind": kind, "name": name, "skip_invalid": skip_invalid,
        "staff_user": current_staff().id,
    }))
    return token


def _kept_upload(token: str):
    if not token or not token.replace("-", "").replace("_", "").isalnum() or len(token) > 64:
        return None
    directory = _upload_dir()
    meta_path, data_path = directory / f"{token}.json", directory / f"{token}.csv"
    if not meta_path.exists() or not data_path.exists():
        return None
    meta = json.loads(meta_path.read_text())
    if meta.get("staff_user") != current_staff().id:
        return None
    return meta, data_path


def _forget_upload(token: str) -> None:
    for suffix in (".csv", ".json"):
        (_upload_dir() / f"{token}{suffix}").unlink(missing_ok=True)


def _imports_page(status=200, **context):
    history, _ = import_history()
    context.setdefault("form", ImportForm(formdata=None, data={"kind": "exams"}))
    return render_page("staff/imports.html", "content", status=status, section="imports",
                       history=history, max_mb=MAX_UPLOAD_BYTES // (1024 * 1024),
                       can_import=staff.has_role(current_staff(), *SUPPORT), **context)


@bp.get("/imports")
@staff_only(*READERS)
def imports():
    """Upload an exams or CE file, and the history of every file imported."""
    return _imports_page()


@bp.post("/imports")
@staff_only(*SUPPORT)
def check_import():
    """The dry run: every line error, or what applying would do. Nothing is written."""
    form = ImportForm()
    upload = request.files.get("file")
    if form.validate() and (upload is None or not upload.filename):
        form.file.errors = ["Choose a CSV file to upload."]
    if form.errors or form.file.errors:
        return _imports_page(422, form=form)
    content = upload.stream.read(MAX_UPLOAD_BYTES + 1)
    name = safe_file_name(upload.filename)
    try:
        report = run_import(form.kind.data, name, content, date.today(), dry_run=True,
                            skip_invalid=form.skip_invalid.data, staff_user=current_staff())
    except UploadRefused as refused:
        getattr(form, refused.field).errors = [str(refused)]
        return _imports_page(422, form=form)
    except ImportRefused as refused:
        return _imports_page(422, form=form, report=refused.report, refused=True)
    token = _keep_upload(form.kind.data, name, content, form.skip_invalid.data)
    return _imports_page(form=form, report=report, apply_form=ApplyForm(
        formdata=None, data={"upload": token}))


# Requests up to twice the limit reach the view, which answers with the limit beside the
# field (larger ones get the plain 413).
check_import.upload_max_bytes = 2 * MAX_UPLOAD_BYTES


@bp.post("/imports/apply")
@staff_only(*SUPPORT)
def apply_import():
    """Apply a checked file, in one transaction."""
    form = ApplyForm()
    kept = _kept_upload(form.upload.data) if form.validate() else None
    if kept is None:
        return _imports_page(422, expired=True)
    meta, path = kept
    try:
        report = run_import(meta["kind"], meta["name"], path.read_bytes(), date.today(),
                            dry_run=False, skip_invalid=meta["skip_invalid"],
                            staff_user=current_staff(), ip_address=_ip())
    except ImportRefused as refused:
        _forget_upload(form.upload.data)
        return _imports_page(422, report=refused.report, refused=True)
    _forget_upload(form.upload.data)
    return redirect_after_post(url_for("staff.imports"), message=f"Imported: {report}")


# --- Support cases and merges -----------------------------------------------------------------


class AssignForm(FlaskForm):
    assignee = SelectField("Assign to", validators=[Optional()])


class ReplyForm(FlaskForm):
    body = TextAreaField("Reply", validators=[
        DataRequired("Write the reply."),
        Length(max=support.MAX_REPLY, message=f"Use at most {support.MAX_REPLY} characters.")])


class ResolveForm(FlaskForm):
    resolution = TextAreaField("How it was resolved", validators=[
        DataRequired("Say how the case was resolved."), Length(max=support.MAX_DESCRIPTION)])


def _assignees():
    people = [s for s in StaffUser.select().where(StaffUser.is_active == True)  # noqa: E712
              .order_by(StaffUser.username) if staff.has_role(s, *SUPPORT)]
    return [SelectChoice("", "Nobody (open queue)")] + [
        SelectChoice(s.username, s.display_name or s.username) for s in people]


@bp.get("/cases")
@staff_only(*READERS)
def cases():
    queue = request.args.get("queue", "open")
    if queue not in support.QUEUES:
        queue = "open"
    rows, _ = support.case_queue(queue, current_staff())
    return render_page("staff/cases.html", "content", section="cases", queue=queue, rows=rows,
                       queues=support.QUEUES)


def _case_or_404(case_number: str) -> SupportCase:
    case = support.find_case(case_number)
    if case is None:
        abort(404)
    return case


def _case_page(case, status=200, **forms):
    assign_form = forms.get("assign_form") or AssignForm(
        formdata=None, data={"assignee": case.assigned_to.username if case.assigned_to_id
                             else ""})
    assign_form.assignee.choices = _assignees()
    named = support.candidates_named(case)
    return render_page(
        "staff/case.html", "content", status=status, section="cases", case=case,
        thread=support.thread(case), named=named,
        assign_form=assign_form,
        reply_form=forms.get("reply_form") or ReplyForm(formdata=None),
        resolve_form=forms.get("resolve_form") or ResolveForm(formdata=None),
        can_act=staff.has_role(current_staff(), *SUPPORT),
        merges=list(case.merges),
    )


@bp.get("/cases/<case_number>")
@staff_only(*READERS)
def case(case_number: str):
    case = _case_or_404(case_number)
    audit.record("case_viewed", candidate=case.candidate_id, staff_user=current_staff(),
                 subject=f"case {case.case_number}", ip_address=_ip())
    return _case_page(case)


@bp.post("/cases/<case_number>/assign")
@staff_only(*SUPPORT)
def assign_case(case_number: str):
    case = _case_or_404(case_number)
    form = AssignForm()
    form.assignee.choices = _assignees()
    if not form.validate():
        return _case_page(case, 422, assign_form=form)
    assignee = staff.find_staff(form.assignee.data) if form.assignee.data else None
    support.assign_case(case, assignee, current_staff(), _ip())
    who = assignee.username if assignee else "the open queue"
    return redirect_after_post(url_for("staff.case", case_number=case.case_number),
                               message=f"Case assigned to {who}.")


@bp.post("/cases/<case_number>/reply")
@staff_only(*SUPPORT)
def reply_to_case(case_number: str):
    case = _case_or_404(case_number)
    form = ReplyForm()
    if form.validate():
        try:
            support.reply_to_case(case, form.body.data, current_staff(), _ip(),
                                  notify=notifications.case_reply)
        except support.CaseActionRefused as refused:
            form.body.errors = [str(refused)]
        else:
            return redirect_after_post(url_for("staff.case", case_number=case.case_number),
                                       message=f"Reply sent to {case.contact_email}.")
    return _case_page(case, 422, reply_form=form)


@bp.post("/cases/<case_number>/resolve")
@staff_only(*SUPPORT)
def resolve_case(case_number: str):
    case = _case_or_404(case_number)
    form = ResolveForm()
    if form.validate():
        try:
            support.resolve_case(case, form.resolution.data, current_staff(), _ip())
        except support.CaseActionRefused as refused:
            form.resolution.errors = [str(refused)]
        else:
            return redirect_after_post(url_for("staff.cases"),
                                       message=f"Case {case.case_number} resolved.")
    return _case_page(case, 422, resolve_form=form)


class MergeForm(FlaskForm):
    survivor = StringField("Surviving record (login ID)", validators=[
        DataRequired("Enter the login ID of the record to keep."), Length(max=32)])
    retired = StringField("Record to merge into it (login ID)", validators=[
        DataRequired("Enter the login ID of the record to retire."), Length(max=32)])
    case = HiddenField()
    reason = _reason_field()


def _merge_pair(form: MergeForm):
    """The two records the form names, with errors put beside the fields."""
    survivor = candidates.find_by_login_id(form.survivor.data or "")
    retired = candidates.find_by_login_id(form.retired.data or "")
    if form.survivor.data and survivor is None:
        form.survivor.errors = [f'No candidate has the login ID "{form.survivor.data}".']
    if form.retired.data and retired is None:
        form.retired.errors = [f'No candidate has the login ID "{form.retired.data}".']
    return survivor, retired


@bp.route("/merge", methods=["GET", "POST"])
@staff_only(*SUPPORT)
def merge():
    """Choose the surviving record, preview what moves, then merge in one transaction."""
    if request.method == "GET":
        form = MergeForm(formdata=request.args or None)
        preview = None
        if request.args.get("survivor") and request.args.get("retired"):
            survivor, retired = _merge_pair(form)
            if survivor and retired:
                try:
                    preview = merges.preview_merge(survivor, retired)
                except merges.MergeRefused as refused:
                    getattr(form, refused.field).errors = [str(refused)]
        form.reason.errors = []
        return render_page("staff/merge.html", "content", section="cases", form=form,
                           preview=preview)
    form = MergeForm()
    valid = form.validate()
    survivor, retired = _merge_pair(form)
    preview = None
    if survivor and retired:
        try:
            preview = merges.preview_merge(survivor, retired)
        except merges.MergeRefused as refused:
            getattr(form, refused.field).errors = [str(refused)]
            valid = False
    if valid and preview is not None and not form.survivor.errors and not form.retired.errors:
        case = support.find_case(form.case.data) if form.case.data else None
        try:
            merges.merge_candidates(survivor, retired, staff_user=current_staff(),
                                    reason=form.reason.data, today=date.today(),
                                    case=case, ip_address=_ip(),
                                    notify=notifications.records_merged)
        except merges.MergeRefused as refused:
            getattr(form, refused.field).errors = [str(refused)]
        else:
            return redirect_after_post(
                url_for("staff.candidate_record", login_id=survivor.login_id),
                message=f"{retired.login_id} was merged into {survivor.login_id}.")
    return render_page("staff/merge.html", "content", status=422, section="cases", form=form,
                       preview=preview)


class UndoForm(FlaskForm):
    reason = _reason_field("Why the merge is undone")


@bp.route("/merges/<int:merge_id>/undo", methods=["GET", "POST"])
@staff_only(*ADMIN)
def undo_merge(merge_id: int):
    """An admin undoes a merge within 30 days, from its audit log entry."""
    merge_record = CandidateMerge.get_or_none(CandidateMerge.id == merge_id)
    if merge_record is None:
        abort(404)
    form = UndoForm()
    status = 200
    if request.method == "POST":
        status = 422
        if form.validate():
            try:
                merges.undo_merge(merge_record, staff_user=current_staff(),
                                  reason=form.reason.data, today=date.today(),
                                  ip_address=_ip())
            except merges.MergeRefused as refused:
                form.reason.errors = [str(refused)]
            else:
                return redirect_after_post(url_for("staff.audit_log"),
                                           message="The merge was undone.")
    return render_page("staff/undo_merge.html", "content", status=status, section="audit",
                       merge=merge_record, form=form, can_undo=merges.can_undo(merge_record))


# --- CE self-submissions ----------------------------------------------------------------------


class ApproveForm(FlaskForm):
    points_awarded = StringField("Points awarded", render_kw={"inputmode": "numeric"}, validators=[
        DataRequired("Enter the points awarded as a whole number."),
        Length(max=6, message="Enter the points awarded as a whole number.")])
    note = TextAreaField("Note for the candidate (optional)", validators=[
        Optional(), Length(max=ce_submissions.REASON_MAX_LENGTH,
                           message=f"Use at most {ce_submissions.REASON_MAX_LENGTH} characters.")])


class RejectForm(FlaskForm):
    reason = TextAreaField("Reason for the rejection", validators=[
        DataRequired("Give the reason for the rejection; the candidate reads it."),
        Length(max=ce_submissions.REASON_MAX_LENGTH,
               message=f"Use at most {ce_submissions.REASON_MAX_LENGTH} characters.")])


CE_PAGE_SIZE = 50


@bp.get("/ce-submissions")
@staff_only(*READERS)
def ce_submissions_queue():
    """Self-submitted CE activities waiting for a decision, oldest first, a page at a time."""
    try:
        page_number = max(1, int(request.args.get("page", "1")))
    except ValueError:
        page_number = 1
    queue = ce_submissions.pending_submissions()
    rows = list(queue.limit(CE_PAGE_SIZE + 1).offset((page_number - 1) * CE_PAGE_SIZE))
    pending = rows[:CE_PAGE_SIZE]
    return render_page(
        "staff/ce_submissions.html", "content", section="ce", pending=pending,
        waiting=queue.count(), page=page_number, has_next=len(rows) > CE_PAGE_SIZE,
        evidence=ce_submissions.evidence_of_credits(credit.id for credit in pending),
        can_act=staff.has_role(current_staff(), *SUPPORT),
    )


def _submission_or_404(credit_id: int):
    credit = ce_submissions.find_submission(credit_id)
    if credit is None:
        abort(404)
    return credit


def _submission_page(credit, status=200, error="", **forms):
    return render_page(
        "staff/ce_submission.html", "content", status=status, section="ce", credit=credit,
        evidence=ce_submissions.evidence_of_credits([credit.id]).get(credit.id, []),
        approve_form=forms.get("approve_form") or ApproveForm(
            formdata=None, data={"points_awarded": credit.points_claimed}),
        reject_form=forms.get("reject_form") or RejectForm(formdata=None),
        can_act=staff.has_role(current_staff(), *SUPPORT) and credit.review == "pending",
        error=error,
    )


@bp.get("/ce-submissions/<int:credit_id>")
@staff_only(*READERS)
def ce_submission(credit_id: int):
    credit = _submission_or_404(credit_id)
    audit.record("ce_submission_viewed", candidate=credit.candidate_id,
                 staff_user=current_staff(), subject=f"CE submission {credit.id}",
                 ip_address=_ip())
    return _submission_page(credit)


def _review(credit, form, field_for, **decision):
    """Run the review rule; on success back to the queue, else the page with the errors
    beside the fields (`field_for` maps the rule's field names to the form's)."""
    error = ""
    if form.validate():
        try:
            outcome = ce_submissions.review(
                credit.id, staff_user=current_staff(), today=date.today(),
                max_points=current_app.config["CE_SUBMISSION_MAX_POINTS"],
                notify=notifications.ce_submission_reviewed, **decision)
        except ce_submissions.ReviewError as refused:
            for name, messages in refused.errors.items():
                if name in field_for:
                    getattr(form, field_for[name]).errors = list(messages)
                else:
                    error = " ".join(messages)
        else:
            who = credit.candidate.login_id
            if outcome.approved:
                changed = ", ".join(outcome.changed)
                message = (f"Approved {outcome.credit.points} points for {who}"
                           + (f"; recertified or earned: {changed}" if changed else "")
                           + ". The candidate was emailed.")
            else:
                message = f"Rejected the submission of {who}. The candidate was emailed."
            return redirect_after_post(url_for("staff.ce_submissions_queue"), message=message)
    form_name = "approve_form" if isinstance(form, ApproveForm) else "reject_form"
    return _submission_page(_submission_or_404(credit.id), 422, error=error, **{form_name: form})


@bp.post("/ce-submissions/<int:credit_id>/approve")
@staff_only(*SUPPORT)
def approve_ce_submission(credit_id: int):
    credit = _submission_or_404(credit_id)
    form = ApproveForm()
    return _review(credit, form, {"points_awarded": "points_awarded", "reason": "note"},
                   approve=True, points_awarded=form.points_awarded.data,
                   reason=form.note.data or "")


@bp.post("/ce-submissions/<int:credit_id>/reject")
@staff_only(*SUPPORT)
def reject_ce_submission(credit_id: int):
    credit = _submission_or_404(credit_id)
    form = RejectForm()
    return _review(credit, form, {"reason": "reason"}, approve=False,
                   reason=form.reason.data or "")


@bp.get("/ce-submissions/evidence/<int:evidence_id>")
@staff_only(*READERS)
def ce_evidence(evidence_id: int):
    """One evidence file, as a download (never shown in the browser)."""
    stored = ce_submissions.evidence_of(evidence_id, None)
    if stored is None:
        abort(404)
    audit.record("ce_evidence_downloaded", candidate=stored.credit.candidate_id,
                 staff_user=current_staff(),
                 subject=f"CE submission {stored.credit_id}: {stored.original_name}",
                 ip_address=_ip())
    return send_evidence(stored)


# --- Fulfillment ------------------------------------------------------------------------------

FULFILLMENT = ("fulfillment",)


class TrackingForm(FlaskForm):
    tracking_number = StringField("Carrier tracking number", validators=[
        DataRequired("Enter the carrier's tracking number."), Length(max=64)])


class CancelForm(FlaskForm):
    reason = _reason_field("Why the kit is cancelled")


def _line_or_404(code: str):
    try:
        return kits_rules.line_by_code(code)
    except kits_rules.FulfillmentError:
        abort(404)


def _fulfillment_page(status="queued", http_status=200, **forms):
    from certportal.domain import fulfillment_queue

    try:
        page_number = max(1, int(request.args.get("page", "1")))
    except ValueError:
        page_number = 1
    page = fulfillment_queue.queue(status, page_number)
    return render_page(
        "staff/fulfillment.html", "content", status=http_status, section="fulfillment",
        page=page, statuses=fulfillment_queue.STATUSES,
        can_act=staff.has_role(current_staff(), *FULFILLMENT),
        tracking_form=forms.get("tracking_form") or TrackingForm(formdata=None),
        cancel_form=forms.get("cancel_form") or CancelForm(formdata=None),
        failed_code=forms.get("failed_code", ""),
        refund_due=fulfillment_queue.refund_due,
    )


@bp.get("/fulfillment")
@staff_only("fulfillment", "auditor")
def fulfillment():
    """Printed kits by status: queued, sent, complete, cancelled."""
    return _fulfillment_page(request.args.get("status", "queued"))


@bp.post("/fulfillment/<code>/sent")
@staff_only(*FULFILLMENT)
def mark_kit_sent(code: str):
    from certportal.domain import fulfillment_queue, kits

    line = _line_or_404(code)
    form = TrackingForm()
    if form.validate():
        try:
            fulfillment_queue.mark_sent(line, form.tracking_number.data,
                                        staff_user=current_staff(), today=date.today(),
                                        notify=notifications.kit_sent, ip_address=_ip())
        except kits.FulfillmentError as error:
            form.tracking_number.errors = [str(error)]
        else:
            return redirect_after_post(url_for("staff.fulfillment"),
                                       message=f"Kit {line.verification_code} marked sent; "
                                               "the candidate was emailed.")
    return _fulfillment_page("queued", 422, tracking_form=form,
                             failed_code=line.verification_code)


@bp.post("/fulfillment/<code>/complete")
@staff_only(*FULFILLMENT)
def mark_kit_complete(code: str):
    from certportal.domain import fulfillment_queue, kits

    line = _line_or_404(code)
    if not PlainForm().validate():
        abort(400)
    try:
        fulfillment_queue.mark_complete(line, staff_user=current_staff(), today=date.today(),
                                        notify=notifications.kit_complete, ip_address=_ip())
    except kits.FulfillmentError as error:
        flash(str(error), "error")
        return redirect(url_for("staff.fulfillment", status="sent"), 303)
    return redirect_after_post(url_for("staff.fulfillment", status="sent"),
                               message=f"Kit {line.verification_code} marked complete.")


@bp.post("/fulfillment/<code>/cancel")
@staff_only(*FULFILLMENT)
def cancel_kit(code: str):
    """Cancel a queued kit; a paid one is refunded through the payment provider."""
    from certportal.domain import fulfillment_queue, kits
    from certportal.payments import PaymentError, PaymentGateway

    line = _line_or_404(code)
    form = CancelForm()
    if form.validate():
        try:
            refunded = fulfillment_queue.cancel_line(
                line, PaymentGateway.from_settings(current_app.config),
                reason=form.reason.data, staff_user=current_staff(), today=date.today(),
                notify=notifications.kit_cancelled, ip_address=_ip())
        except (kits.FulfillmentError, PaymentError) as error:
            form.reason.errors = [str(error)]
        else:
            money_back = f", {refunded / 100:.2f} {line.currency} refunded" if refunded else ""
            return redirect_after_post(url_for("staff.fulfillment"),
                                       message=f"Kit {line.verification_code} cancelled"
                                               f"{money_back}; the candidate was emailed.")
    return _fulfillment_page("queued", 422, cancel_form=form,
                             failed_code=line.verification_code)


@bp.get("/fulfillment/orders/<reference>/packing-slip.pdf")
@staff_only("fulfillment", "auditor")
def packing_slip(reference: str):
    """The order's packing slip, the shipping address in Roman and localized forms."""
    from flask import make_response

    from certportal.documents.packing_slip import packing_slip_pdf
    from certportal.domain import fulfillment_queue

    found = fulfillment_queue.order_for_slip(reference)
    if found is None:
        abort(404)
    order, lines = found
    audit.record("packing_slip_printed", candidate=order.candidate_id,
                 staff_user=current_staff(), subject=f"order {order.reference}",
                 ip_address=_ip())
    response = make_response(packing_slip_pdf(order, lines))
    response.headers["Content-Type"] = "application/pdf"
    response.headers["Content-Disposition"] = (
        f'attachment; filename="packing-slip-{order.reference}.pdf"')
    return response


# --- Catalog and audit log --------------------------------------------------------------------


@bp.get("/catalog")
@staff_only(*EVERY_ROLE)
def catalog():
    """The catalog as loaded (read-only), with the errors of the last load that failed."""
    from certportal.domain.catalog import last_load_errors

    return render_page(
        "staff/catalog.html", "content", section="catalog",
        certifications=list(Certification.select().order_by(
            Certification.group_order, Certification.sort_order, Certification.code)),
        exams=list(Exam.select().order_by(Exam.code)),
        kits=list(FulfillmentItem.select().order_by(FulfillmentItem.id)),
        load_errors=last_load_errors(),
    )


def _audit_filter() -> audit.AuditFilter:
    def day(name):
        try:
            return date.fromisoformat(request.args.get(name, ""))
        except ValueError:
            return None

    return audit.AuditFilter(
        action=request.args.get("action", "")[:64],
        staff_username=request.args.get("staff", "")[:64],
        login_id=request.args.get("login_id", "")[:32],
        since=day("since"),
        until=day("until"),
    )


@bp.get("/audit")
@staff_only("auditor")
def audit_log():
    """The audit log, newest first, filtered by action, staff member, candidate and dates."""
    try:
        page_number = max(1, int(request.args.get("page", "1")))
    except ValueError:
        page_number = 1
    filters = _audit_filter()
    page = audit.audit_log(filters, page_number)
    merge_ids = {
        int(e.subject.split(" ", 1)[1]) for e in page.events
        if e.action == "candidates_merged" and e.subject.startswith("merge ")
    }
    undoable = {
        m.id for m in CandidateMerge.select().where(CandidateMerge.id.in_(list(merge_ids)))
        if merges.can_undo(m)
    } if merge_ids else set()
    return render_page("staff/audit.html", "results", section="audit", page=page,
                       filters=filters, actions=audit.actions(), undoable=undoable,
                       is_admin="admin" in current_staff().role_names)


@bp.app_context_processor
def _session_timeout():
    # Shown in the console footer: staff know when an idle session ends.
    return {"staff_idle_minutes": int(
        current_app.config["STAFF_SESSION_IDLE_TIMEOUT"].total_seconds() // 60)}


# --- Staff accounts (admins) ------------------------------------------------------------------


class NewStaffForm(FlaskForm):
    username = StringField("Username", validators=[
        DataRequired("Enter a username."), Length(max=64, message="Use at most 64 characters.")])
    display_name = StringField("Name shown in the console", validators=[Length(max=100)])
    email = EmailField("Email address", validators=[
        DataRequired("Enter the email address."), Length(max=254)])
    roles = SelectMultipleField("Roles", validators=[DataRequired("Choose at least one role.")])
    password = PasswordField("First password", validators=[
        DataRequired("Enter a first password (at least 12 characters)."), Length(max=128)])


class RolesForm(FlaskForm):
    roles = SelectMultipleField("Roles", validators=[DataRequired("Choose at least one role.")])


def _role_choices():
    return [SelectChoice(name, f"{name}: {what}") for name, what in staff.ROLES.items()]


def _accounts_page(status=200, form=None):
    form = form or NewStaffForm(formdata=None)
    form.roles.choices = _role_choices()
    return render_page("staff/accounts.html", "content", status=status, section="accounts",
                       accounts=staff.staff_accounts(), form=form, roles=staff.ROLES,
                       me=current_staff())


@bp.get("/accounts")
@staff_only(*ADMIN)
def accounts():
    """Staff accounts: create one, change roles, disable, reset a lost second factor."""
    return _accounts_page()


@bp.post("/accounts")
@staff_only(*ADMIN)
def create_account():
    form = NewStaffForm()
    form.roles.choices = _role_choices()
    if form.validate():
        try:
            created = staff.create_staff(form.username.data, form.email.data,
                                         form.password.data, list(form.roles.data),
                                         form.display_name.data or "", actor=current_staff())
        except staff.StaffError as error:
            getattr(form, error.field).errors = [str(error)]
        else:
            return redirect_after_post(
                url_for("staff.accounts"),
                message=f"{created.username} can sign in; they enrol an authenticator first.")
    return _accounts_page(422, form)


def _account_or_404(username: str) -> StaffUser:
    account = staff.find_staff(username)
    if account is None:
        abort(404)
    return account


@bp.post("/accounts/<username>/roles")
@staff_only(*ADMIN)
def set_account_roles(username: str):
    account = _account_or_404(username)
    form = RolesForm()
    form.roles.choices = _role_choices()
    if not form.validate():
        flash("Choose at least one role.", "error")
        return redirect(url_for("staff.accounts"), 303)
    staff.set_roles(account, list(form.roles.data), actor=current_staff())
    return redirect_after_post(url_for("staff.accounts"),
                               message=f"{account.username}: {account.roles}.")


@bp.post("/accounts/<username>/disable")
@staff_only(*ADMIN)
def disable_account(username: str):
    account = _account_or_404(username)
    if not PlainForm().validate():
        abort(400)
    if account.id == current_staff().id:
        flash("You cannot disable your own account.", "error")
        return redirect(url_for("staff.accounts"), 303)
    staff.disable_staff(account, actor=current_staff())
    return redirect_after_post(url_for("staff.accounts"),
                               message=f"{account.username} is disabled; their sessions ended.")


@bp.post("/accounts/<username>/reset-second-factor")
@staff_only(*ADMIN)
def reset_account_second_factor(username: str):
    account = _account_or_404(username)
    if not PlainForm().validate():
        abort(400)
    staff.reset_second_factor(account, actor=current_staff())
    return redirect_after_post(
        url_for("staff.accounts"),
        message=f"{account.username} enrols a new authenticator at the next sign-in.")
