"""Template filters and globals: the guide's date format, money, the navigation, and what
the Downloads column may offer."""

from datetime import date

from flask import current_app, g, url_for
from flask_wtf.csrf import generate_csrf

from certportal.domain import certificates, logos
from certportal.formatting import guide_date, long_date, money
from certportal.web.login import home_url
from certportal.web.navigation import CANDIDATE_SECTIONS, section_url, staff_sections

__all__ = ["guide_date", "long_date", "money", "init_app"]


def pdf_certificate_available(held) -> bool:
    """May this certification's PDF be downloaded today?"""
    return certificates.pdf_certificate_available(held, date.today())


def logo_url_for(held) -> str | None:
    """The PNG of a current certification's own logo, or None.

    The catalog's logo codes are looked up once per request, not once a row.
    """
    if not certificates.is_current(held, date.today()):
        return None
    if "own_logo_codes" not in g:
        g.own_logo_codes = logos.own_logo_codes()
    logo_code = g.own_logo_codes.get(held.certification_id)
    if logo_code is None:
        return None
    return url_for("certifications.logo_download", code=logo_code, fmt="png")


def _globals():
    return {
        "program_name": current_app.config["PROGRAM_NAME"],
        "candidate_sections": CANDIDATE_SECTIONS,
        "section_url": section_url,
        "csrf_token": generate_csrf,
        "htmx_script": "vendor/htmx-4.0.1.min.js",
        "home_url": home_url,
        "staff_sections": staff_sections,
    }


def init_app(app):
    app.add_template_filter(guide_date)
    app.add_template_filter(long_date)
    app.add_template_filter(money)
    app.add_template_global(pdf_certificate_available)
    app.add_template_global(logo_url_for)
    app.context_processor(_globals)
