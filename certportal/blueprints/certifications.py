"""Certifications (guide sections 3 and 4): the list, each one's detail, the agreement."""

from datetime import date

from flask import Blueprint, abort, request, url_for
from flask_wtf import FlaskForm
from wtforms import BooleanField

from certportal.auth import candidate_required, current_candidate
from certportal.domain import certifications as engine
from certportal.htmx import is_partial_request, redirect_after_post, render_page

bp = Blueprint("certifications", __name__, url_prefix="/certifications")

ACCEPT_REQUIRED = "Tick the box to accept the agreement."
ACCEPTED = "Thank you: you accepted the Certification Agreement."


class AgreementForm(FlaskForm):
    accept = BooleanField("I have read and accept this agreement")


@bp.get("/")
@candidate_required
def index():
    """Certifications: active ones by group, then those in progress and expired."""
    page = engine.overview(current_candidate())
    return render_page(
        "certifications/index.html",
        "content",
        section="certifications",
        tab="overview",
        active_groups=page.active_groups,
        in_progress=page.in_progress,
        expired=page.expired,
    )


@bp.get("/<code>")
@candidate_required
def detail(code: str):
    """One certification's progress, CE credits and history (expanded in place by htmx)."""
    candidate = current_candidate()
    held = engine.held_by_code(candidate, code)
    if held is None:
        abort(404)
    partial = is_partial_request()
    return render_page(
        "certifications/detail.html",
        "detail",
        section="certifications",
        tab="overview",
        info=engine.detail(candidate, held, date.today()),
        # Inside the list the detail sits under an h2; on its own page it is the h1.
        level=3 if partial else 1,
    )


def _render_agreement(form, status=200, saved=None):
    candidate = current_candidate()
    agreement = engine.current_agreement()
    if agreement is None:
        abort(404)
    return render_page(
        "certifications/agreement.html",
        "agreement",
        status=status,
        section="certifications",
        tab="agreement",
        form=form,
        saved=saved,
        agreement=agreement,
        acceptance=engine.acceptance_of(candidate, agreement),
    )


@bp.route("/agreement", methods=["GET", "POST"])
@candidate_required
def agreement():
    """The Certification Agreement: its text, version, when it was accepted; accept it."""
    if request.method == "GET":
        return _render_agreement(AgreementForm())
    form = AgreementForm()
    if not form.validate() or not form.accept.data:
        if not form.accept.data:
            form.accept.errors = [ACCEPT_REQUIRED]
        return _render_agreement(form, status=422)
    current = engine.current_agreement()
    if current is None:
        abort(404)
    engine.accept_agreement(current_candidate(), current, date.today(), request.remote_addr or "")
    return redirect_after_post(
        url_for("certifications.agreement"),
        lambda: _render_agreement(AgreementForm(), saved=ACCEPTED),
        message=ACCEPTED,
    )
