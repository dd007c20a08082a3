"""Template filters and globals: the guide's date format, money, the navigation."""

from datetime import date, datetime

from flask import current_app
from flask_wtf.csrf import generate_csrf

from certportal.navigation import CANDIDATE_SECTIONS, section_url

# English, whatever the process locale; and faster than strftime on pages of dates.
MONTH_ABBREVIATIONS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov",
                       "Dec")


def guide_date(value: date | datetime | None, empty: str = "n/a") -> str:
    """A date the way the guide prints it: 2020-Feb-01."""
    if value is None:
        return empty
    return f"{value.year:04d}-{MONTH_ABBREVIATIONS[value.month - 1]}-{value.day:02d}"


def long_date(value: date | datetime | None) -> str:
    """Tuesday, December 10, 2019 (the guide's transcript email)."""
    if value is None:
        return ""
    return f"{value:%A}, {value:%B} {value.day}, {value.year}"


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
