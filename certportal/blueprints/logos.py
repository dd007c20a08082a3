"""Download Logos (F12): the logo agreement and the files a candidate may use."""

from datetime import date

from flask import Blueprint, Response, abort, current_app, request

from certportal import artwork
from certportal.auth import candidate_required, current_candidate
from certportal.domain import logos
from certportal.htmx import render_page

bp = Blueprint("logos", __name__, url_prefix="/certifications/logos")


@bp.get("")
@candidate_required
def index():
    """Certification Logos: the agreement, its guidelines and the available files."""
    candidate = current_candidate()
    agreement = logos.logo_agreement()
    return render_page(
        "logos/index.html",
        "content",
        section="certifications",
        tab="logos",
        available=logos.available_logos(candidate, date.today()),
        agreement=agreement,
        accepted_on=logos.logo_agreement_accepted_on(candidate, agreement),
    )


@bp.get("/<code>.<any(svg, png):fmt>")
@candidate_required
def download(code: str, fmt: str):
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
