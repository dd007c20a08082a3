"""Dates and money as the guide prints them, with no Flask: pages, emails, PDFs and the
domain's messages share them."""

from datetime import date, datetime

# English, whatever the process locale; and faster than strftime on pages of dates.
MONTH_ABBREVIATIONS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov",
                       "Dec")
MONTH_NAMES = ("January", "February", "March", "April", "May", "June", "July", "August",
               "September", "October", "November", "December")
WEEKDAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def guide_date(value: date | datetime | None, empty: str = "n/a") -> str:
    """A date the way the guide prints it: 2020-Feb-01."""
    if value is None:
        return empty
    return f"{value.year:04d}-{MONTH_ABBREVIATIONS[value.month - 1]}-{value.day:02d}"


def guide_month(value: date | datetime | None, empty: str = "n/a") -> str:
    """A month the way the guide's kit history prints it: December 2019."""
    if value is None:
        return empty
    return f"{MONTH_NAMES[value.month - 1]} {value.year}"


def long_date(value: date | datetime | None) -> str:
    """Tuesday, December 10, 2019 (the guide's transcript email)."""
    if value is None:
        return ""
    weekday = WEEKDAY_NAMES[value.weekday()]
    return f"{weekday}, {MONTH_NAMES[value.month - 1]} {value.day}, {value.year}"


CURRENCY_SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£"}


def money(cents: int, currency: str = "USD") -> str:
    """Integer cents as the guide prints a price: $15.00 (or 15.00 CHF without a symbol)."""
    symbol = CURRENCY_SYMBOLS.get(currency)
    amount = f"{abs(cents) // 100:,}.{abs(cents) % 100:02d}"
    sign = "-" if cents < 0 else ""
    return f"{sign}{symbol}{amount}" if symbol else f"{sign}{amount} {currency}"
