"""Dates and money as the guide prints them."""

from datetime import date

from certportal.domain.demo import add_months
from certportal.web.templating import guide_date, guide_month, long_date, money


def test_guide_date_format():
    assert guide_date(date(2020, 2, 1)) == "2020-Feb-01"
    assert guide_date(None) == "n/a"
    assert guide_date(None, "Never") == "Never"


def test_guide_month_as_the_kit_history_prints_it():
    assert guide_month(date(2019, 12, 8)) == "December 2019"
    assert guide_month(date(2019, 1, 31)) == "January 2019"
    assert guide_month(None) == "n/a"


def test_long_date_matches_the_transcript_email():
    assert long_date(date(2019, 12, 10)) == "Tuesday, December 10, 2019"


def test_money_in_cents():
    assert money(1500) == "$15.00"
    assert money(0) == "$0.00"
    assert money(123456, "EUR") == "€1,234.56"
    assert money(99, "JPY") == "0.99 JPY"


def test_add_months_clamps_to_the_end_of_month():
    assert add_months(date(2024, 1, 31), 1) == date(2024, 2, 29)
    assert add_months(date(2023, 11, 30), 36) == date(2026, 11, 30)
