"""Template filters and globals: the guide's date format, money, the navigation."""

from flask import current_app
from flask_wtf.csrf import generate_csrf

from certportal.formatting import guide_date, long_date
from certportal.navigation import CANDIDATE_SECTIONS, section_url

__all__ = ["guide_date", "long_date", "money", "init_app"]


def money(cents: int, currency: str = "USD") -> str:
    symbol = {"USD": "$", "EUR": "€", "GBP": "£"}.get(currency)
    amount = f"{abs(cents) // 100:,}.{abs(cents) % 100:02d}"
    sign = "-" if cents < 0 else ""
    return f"{sign}{symbol}{amount}" if symbol else f"{sign}{amount} {currency}"


def _globals():
    return {
        "program_name": current_app.config["PROGRAM_NAME"],
        "candidate_sections": CANDIDATE_SECTIONS,
        "section_url": section_url,
        "csrf_token": generate_csrf,
        "htmx_script": "vendor/htmx-4.0.1.min.js",
    }


def init_app(app):
    app.add_template_filter(guide_date)
    app.add_template_filter(long_date)
    app.add_template_filter(money)
    app.context_processor(_globals)
