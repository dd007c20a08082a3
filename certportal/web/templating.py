"""Template filters and globals: the guide's date format, money, the navigation, and what
the Downloads column may offer."""

from datetime import date

from flask import current_app, g, url_for
from flask_wtf.csrf import generate_csrf

from certportal.domain import certificates, logos, requirements, status, transcripts
from certportal.formatting import guide_date, guide_month, long_date, money
from certportal.web.htmx import is_partial_request
from certportal.web.login import home_url
from certportal.web.navigation import CANDIDATE_SECTIONS, section_url, staff_sections

__all__ = ["guide_date", "guide_month", "long_date", "money", "init_app"]


def pdf_certificate_available(held) -> bool:
    """May this certification's PDF be downloaded today?"""
    return certificates.pdf_certificate_available(held, date.today())


def logo_url_for(held) -> str | None:
    """The PNG of a current certification's own logo, or None.

    The catalog's logo codes are looked up once per request, not once a row.
    """
    if not status.is_current(held, date.today()):
        return None
    if "own_logo_codes" not in g:
        g.own_logo_codes = logos.own_logo_codes()
    logo_code = g.own_logo_codes.get(held.certification_id)
    if logo_code is None:
        return None
    return url_for("certifications.logo_download", code=logo_code, fmt="png")


# Every status and choice a page names, by kind: `{{ held.status|label("certification") }}`.
LABELS = {
    "certification": status.STATUS_LABELS,
    "requirement": requirements.STATE_LABELS,
    "requirement_icon": requirements.STATE_ICONS,
    "transcript": transcripts.STATUS_LABELS,
    "transcript_selection": transcripts.SELECTION_LABELS,
}


def label(value: str, kind: str) -> str:
    """What pages call a status or choice (the value itself if it has no label)."""
    return LABELS[kind].get(value, value)


def field_aria(field, *described_by: str | None) -> dict:
    """A form field's ARIA attributes: invalid or not, and described by what is given (a hint,
    a question) and by its error message when it has one (the macros' field_error)."""
    ids = [element_id for element_id in described_by if element_id]
    if field.errors:
        ids.append(f"{field.id}-error")
    attributes = {"aria-invalid": "true" if field.errors else "false"}
    if ids:
        attributes["aria-describedby"] = " ".join(ids)
    return attributes


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
    app.add_template_filter(guide_month)
    app.add_template_filter(long_date)
    app.add_template_filter(money)
    app.add_template_filter(label)
    app.add_template_filter(certificates.group_code, "grouped_code")
    app.add_template_global(pdf_certificate_available)
    app.add_template_global(logo_url_for)
    app.add_template_global(field_aria)
    app.add_template_global(is_partial_request)
    app.context_processor(_globals)


def compile_all_templates(app) -> int:
    """Compile every template into the environment's cache now (a server's master process,
    before it forks its workers); returns how many there are."""
    names = app.jinja_env.list_templates()
    for name in names:
        app.jinja_env.get_template(name)
    return len(names)
