"""PDF certificates (F13) and the Downloads column's links, for the signed-in candidate."""

from datetime import date

from flask import Blueprint, Response, abort, current_app, g, url_for

from certportal import pdf
from certportal.auth import candidate_required, current_candidate
from certportal.domain import certificates, logos

bp = Blueprint("certificates", __name__, url_prefix="/certifications")


def verification_url(code: str) -> str:
    """The public page a certificate's QR code opens, at the portal's canonical address."""
    return current_app.config["BASE_URL"] + url_for("verification.by_code", code=code)


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


@bp.app_template_global()
def pdf_certificate_available(held) -> bool:
    """For templates: may this certification's PDF be downloaded today?"""
    return certificates.pdf_certificate_available(held, date.today())


@bp.app_template_global()
def logo_url_for(held) -> str | None:
    """For templates: the PNG of a current certification's own logo, or None.

    The catalog's logo codes are looked up once per request, not once a row.
    """
    if not certificates.is_current(held, date.today()):
        return None
    if "own_logo_codes" not in g:
        g.own_logo_codes = logos.own_logo_codes()
    logo_code = g.own_logo_codes.get(held.certification_id)
    if logo_code is None:
        return None
    return url_for("logos.download", code=logo_code, fmt="png")
