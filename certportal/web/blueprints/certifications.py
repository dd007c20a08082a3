"""Certifications, everything under /certifications/ (guide sections 3, 4, 6 and 7): the list,
each one's detail, the certification agreement, PDF certificates and logo downloads."""

from datetime import date

from flask import Blueprint, Response, abort, current_app, request, url_for
from flask_wtf import FlaskForm
from wtforms import BooleanField

from certportal.documents import artwork, calendar, pdf
from certportal.domain import certificates, logos, planner, whatif
from certportal.domain import certifications as engine
from certportal.web.htmx import is_partial_request, redirect_after_post, render_page
from certportal.web.login import candidate_required, current_candidate
from certportal.web.navigation import absolute_url

bp = Blueprint("certifications", __name__, url_prefix="/certifications")

ACCEPT_REQUIRED = "Tick the box to accept the agreement."
ACCEPTED = "Thank you: you accepted the Certification Agreement."
WHAT_IF_CHOOSE = "Choose one of the exams listed."


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
    """One certification's progress, plan, CE credits and history (expanded in place by htmx).

    `?exam=CODE` adds the what-if: what passing that exam today would change, worked out by
    the real recompute and rolled back. It is a GET form, so it works without JavaScript and
    its URL can be kept; with htmx only the what-if section is swapped.
    """
    candidate = current_candidate()
    held = engine.held_by_code(candidate, code)
    if held is None:
        abort(404)
    today = date.today()
    info = engine.detail(candidate, held, today)
    what_if, what_if_error, chosen = None, None, request.args.get("exam")
    if chosen is not None:
        if info.plan is None:
            abort(404)  # no plan, no what-if: only an active certification has one
        if chosen not in info.plan.exam_codes:
            what_if_error = WHAT_IF_CHOOSE
        else:
            what_if = whatif.what_if_exam(candidate.id, chosen, today)
    partial = is_partial_request()
    return render_page(
        "certifications/detail.html",
        "what_if" if partial and chosen is not None else "detail",
        status=422 if what_if_error else 200,
        section="certifications",
        tab="overview",
        info=info,
        what_if=what_if,
        what_if_error=what_if_error,
        chosen=chosen,
        today=today,
        # Inside the list the detail sits under an h2; on its own page it is the h1.
        level=3 if partial and chosen is None else 1,
    )


@bp.get("/<code>/expiry.ics")
@candidate_required
def expiry_calendar(code: str):
    """"Add to calendar": an iCalendar event on an active certification's expiry date."""
    candidate = current_candidate()
    held = engine.held_by_code(candidate, code)
    today = date.today()
    if held is None or held.status != "active" or held.expires_on is None:
        abort(404)
    plan = planner.plan_for(candidate.id, code, today)
    url = absolute_url("certifications.detail", code=code)
    body = calendar.expiry_event(
        uid=f"{held.badge_id}-{held.expires_on:%Y%m%d}@certportal",
        program=current_app.config["PROGRAM_NAME"],
        name=held.certification.display_name,
        expires_on=held.expires_on,
        plan_summary=plan.summary if plan else "",
        url=url,
    )
    response = Response(body, mimetype="text/calendar")
    response.headers["Content-Disposition"] = (
        f'attachment; filename="{code.lower()}-expiry.ics"'
    )
    return response


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


# --- PDF certificates ------------------------------------------------------------------------


def verification_url(code: str) -> str:
    """The public page a certificate's QR code opens, at the portal's canonical address."""
    return absolute_url("verification.by_code", code=code)


@bp.get("/<code>/certificate.pdf")
@candidate_required
def pdf_certificate(code: str):
    """The PDF certificate of an active, unexpired, qualifying certification; else 404."""
    candidate = current_candidate()
    held = certificates.held_for_pdf(candidate, code, date.today())
    if held is None:
        abort(404)
    content = certificates.certificate_content(
        held, candidate, current_app.config["PROGRAM_NAME"],
        verification_url(held.verification_code),
    )
    response = Response(pdf.certificate_pdf(content), mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'attachment; filename="{content.file_name}"'
    # A certificate is personal: neither the browser nor any proxy keeps a copy.
    response.headers["Cache-Control"] = "no-store"
    return response


# --- Download Logos ----------------------------------------------------------------------------


@bp.get("/logos")
@candidate_required
def logos_page():
    """Certification Logos: the agreement, its guidelines and the available files."""
    candidate = current_candidate()
    agreement = logos.logo_agreement()
    return render_page(
        "certifications/logos.html",
        "content",
        section="certifications",
        tab="logos",
        available=logos.available_logos(candidate, date.today()),
        agreement=agreement,
        accepted_on=logos.logo_agreement_accepted_on(candidate, agreement),
    )


@bp.get("/logos/<code>.<any(svg, png):fmt>")
@candidate_required
def logo_download(code: str, fmt: str):
    """One logo file; the first download records acceptance of the logo agreement."""
    candidate = current_candidate()
    today = date.today()
    available = logos.available_logo(candidate, code, today)
    if available is None:
        abort(404)
    logos.accept_logo_agreement(candidate, today, request.remote_addr or "")
    certification = available.certification
    svg = artwork.logo_svg(
        certification.code, certification.abbreviation, certification.name,
        current_app.config["PROGRAM_NAME"], available.logo.milestone_years,
    )
    body = svg.encode() if fmt == "svg" else artwork.svg_to_png(svg)
    response = Response(body, mimetype=logos.LOGO_FORMATS[fmt])
    response.headers["Content-Disposition"] = f'attachment; filename="{code.lower()}.{fmt}"'
    return response
