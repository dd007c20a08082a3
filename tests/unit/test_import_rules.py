"""The in-memory checks of one CSV import row: every value against its column and its rule."""

from datetime import date

import pytest

from certportal.domain.imports import (
    EARLIEST_DATE,
    EXAM_COLUMNS,
    EXAM_OPTIONAL,
    MAX_CE_POINTS,
    ImportRefused,
    ImportReport,
    Row,
    _check_header,
    check_ce_row,
    check_exam_row,
    shown,
)
from certportal.domain.lifecycle import add_months
from certportal.models import Candidate, CeCredit, ExamResult

TODAY = date(2026, 11, 2)
EXAMS = {"200-301": (1, 36), "100-490": (2, None)}
EXAM = {
    "login_id": "CSCO20000001",
    "email": "ana.silva@example.com",
    "first_name": "Ana",
    "last_name": "Silva",
    "exam_code": "200-301",
    "registration_number": "VUE-1",
    "grade": "Pass",
    "taken_on": "2026-10-01",
}
CE = {
    "login_id": "CSCO10000000",
    "external_id": "1462600",
    "name": "Cisco CE Credits",
    "points": "5",
    "active_on": "2026-02-01",
    "inactive_on": "2027-02-01",
    "provider_name": "CDL 01 July CCNP",
    "source": "CertMetrics",
}


def exam(**changes):
    row = Row(4, {**EXAM, **changes})
    return check_exam_row(row, EXAMS, TODAY), row.problems


def ce(**changes):
    row = Row(4, {**CE, **changes})
    return check_ce_row(row, TODAY), row.problems


def test_a_good_exam_row_has_no_problem_and_its_values_parsed():
    result, problems = exam(login_id=" csco20000001 ", email=" Ana.Silva@Example.com ")
    assert problems == []
    assert result.login_id == "CSCO20000001"
    assert result.email == "Ana.Silva@Example.com"
    assert (result.exam, result.grade, result.taken_on) == ((1, 36), "Pass", date(2026, 10, 1))
    assert (result.first_name, result.last_name) == ("Ana", "Silva")


def test_a_good_ce_row_has_no_problem_and_its_values_parsed():
    result, problems = ce(login_id="csco10000000")
    assert problems == []
    assert (result.login_id, result.points, result.source) == ("CSCO10000000", 5, "CertMetrics")
    assert (result.active_on, result.inactive_on) == (date(2026, 2, 1), date(2027, 2, 1))


@pytest.mark.parametrize(
    ("name", "column"),
    [
        ("login_id", Candidate.login_id),
        ("first_name", Candidate.first_name),
        ("last_name", Candidate.last_name),
        ("registration_number", ExamResult.registration_number),
    ],
)
def test_exam_values_fit_their_column_exactly(name, column):
    limit = column.max_length
    fits = "A" * limit
    assert exam(**{name: fits})[1] == []
    assert exam(**{name: fits + "A"})[1] == [f"{name}: at most {limit} characters, got {limit + 1}"]


def test_an_email_as_long_as_its_column_allows():
    local = "a" * 64
    domain = ("d" * 60 + ".") * 3 + "x" * (254 - 64 - 1 - 183)
    longest = f"{local}@{domain}"
    assert len(longest) == Candidate.email.max_length
    assert exam(email=longest)[1] == []
    assert exam(email=longest + "x")[1] == [f"email: at most {len(longest)} characters, got 255"]


@pytest.mark.parametrize(
    ("name", "column"),
    [
        ("external_id", CeCredit.external_id),
        ("name", CeCredit.name),
        ("provider_name", CeCredit.provider_name),
        ("source", CeCredit.source),
    ],
)
def test_ce_values_fit_their_column_exactly(name, column):
    limit = column.max_length
    assert ce(**{name: "x" * limit})[1] == []
    assert ce(**{name: "x" * (limit + 1)})[1] == [
        f"{name}: at most {limit} characters, got {limit + 1}"
    ]


def test_a_last_name_that_grows_past_its_key_column_when_folded_is_refused():
    # NFKD turns each ligature into three letters; the folded key would not fit.
    name = "\ufb03" * 40
    assert len(name) <= Candidate.last_name.max_length
    assert exam(last_name=name)[1] == [f"last_name: {shown(name)} is too long once folded"]


@pytest.mark.parametrize(
    "value",
    ["@", "a@b", "@example.com", "ana@", "ana silva@example.com", "a@@b.c", "ana.example.com"],
)
def test_email_must_be_an_address(value):
    assert exam(email=value)[1] == [f'email: "{value}" is not an email address']


@pytest.mark.parametrize(
    "value", ["CSCO 1", "CSCO@1", "-CSCO1", "ÇSCO1", "ＣＳＣＯ１", "CSCO1;DROP", "'CSCO1'"]
)
def test_login_ids_are_ascii_letters_digits_and_dot_dash_underscore(value):
    assert exam(login_id=value)[1] == [
        f"login_id: only letters, digits, '.', '_' and '-', got \"{value}\""
    ]
    assert ce(login_id=value)[1] == [
        f"login_id: only letters, digits, '.', '_' and '-', got \"{value}\""
    ]


@pytest.mark.parametrize("value", ["csco1", "Csco1", "CSCO1", "csco.1_a-b"])
def test_login_ids_are_stored_upper_case(value):
    assert exam(login_id=value)[0].login_id == value.upper()


@pytest.mark.parametrize(
    "value",
    [
        "2026-W01-1",  # ISO week date
        "2026-001",  # ordinal date
        "20260101",  # basic format
        "2026-1-1",
        "2026-01-01T00:00",
        "٢٠٢٦-٠١-٠١",  # Arabic-Indic digits
        "2026-13-01",
        "2026-02-30",
        "01/02/2026",
        "+2026-01-01",
        "2026-01-01 12",
    ],
)
def test_dates_are_strictly_year_month_day(value):
    assert exam(taken_on=value)[1] == [f'taken_on: "{value}" is not a date (YYYY-MM-DD)']
    assert ce(active_on=value, inactive_on="")[1] == [
        f'active_on: "{value}" is not a date (YYYY-MM-DD)'
    ]
    assert ce(inactive_on=value)[1] == [f'inactive_on: "{value}" is not a date (YYYY-MM-DD)']


def test_exam_date_from_the_earliest_date_to_today():
    assert exam(taken_on=f"{TODAY}")[1] == []
    assert exam(taken_on=f"{EARLIEST_DATE}")[1] == []
    assert exam(taken_on="2026-11-03")[1] == ["taken_on: 2026-11-03 is in the future"]
    assert exam(taken_on="9999-12-31")[1] == ["taken_on: 9999-12-31 is in the future"]
    assert exam(taken_on="1989-12-31")[1] == ["taken_on: 1989-12-31 is before 1990-01-01"]
    assert exam(taken_on="0001-01-01")[1] == ["taken_on: 0001-01-01 is before 1990-01-01"]


def test_ce_active_date_from_the_earliest_date_to_today():
    assert ce(active_on=f"{TODAY}", inactive_on="")[1] == []
    assert ce(active_on=f"{EARLIEST_DATE}", inactive_on="")[1] == []
    assert ce(active_on="2026-11-03", inactive_on="")[1] == [
        "active_on: 2026-11-03 is in the future"
    ]
    assert ce(active_on="9999-12-31", inactive_on="")[1] == [
        "active_on: 9999-12-31 is in the future"
    ]
    assert ce(active_on="1989-12-31", inactive_on="")[1] == [
        "active_on: 1989-12-31 is before 1990-01-01"
    ]


def test_ce_inactive_date_after_active_and_at_most_ten_years_later():
    result, problems = ce(active_on="2026-02-01", inactive_on="")
    assert (problems, result.inactive_on) == ([], add_months(date(2026, 2, 1), 36))
    assert ce(active_on="2026-02-01", inactive_on="2026-02-02")[1] == []
    assert ce(active_on="2026-02-01", inactive_on="2026-02-01")[1] == [
        "inactive_on: must be after active_on"
    ]
    assert ce(active_on="2026-02-01", inactive_on="2026-01-31")[1] == [
        "inactive_on: must be after active_on"
    ]
    assert ce(active_on="2026-02-01", inactive_on="2036-02-01")[1] == []
    assert ce(active_on="2026-02-01", inactive_on="2036-02-02")[1] == [
        "inactive_on: at most 10 years after active_on"
    ]
    assert ce(active_on="2026-02-01", inactive_on="9999-12-31")[1] == [
        "inactive_on: at most 10 years after active_on"
    ]


@pytest.mark.parametrize(
    "value",
    [
        "0",
        "-5",
        "+5",
        "1_000",
        "1 000",
        "5.0",
        "5e2",
        "١٢",  # Arabic-Indic digits, which int() would accept
        "５",  # fullwidth
        "five",
        str(MAX_CE_POINTS + 1),
        "2147483648",
        "9" * 5000,  # int() of this many digits raises
    ],
)
def test_points_are_plain_ascii_digits_from_one_to_the_maximum(value):
    assert ce(points=value)[1] == [
        f"points: must be a whole number from 1 to {MAX_CE_POINTS}, got {shown(value)}"
    ]


def test_points_at_the_bounds():
    assert ce(points="1")[0].points == 1
    assert ce(points=" 0007 ")[0].points == 7
    assert ce(points=str(MAX_CE_POINTS))[0].points == MAX_CE_POINTS


@pytest.mark.parametrize("grade", ["Passed", "pass", "PASS", "Fail ed", "P"])
def test_grade_is_exactly_pass_or_fail(grade):
    assert exam(grade=grade)[1] == [f'grade: must be Pass or Fail, got "{grade}"']


@pytest.mark.parametrize("grade", ["Pass", "Fail", " Fail "])
def test_pass_and_fail_are_grades(grade):
    assert exam(grade=grade)[0].grade == grade.strip()


def test_unknown_exam_code():
    assert exam(exam_code="999-999")[1] == ['exam_code: unknown exam code "999-999"']
    assert exam(exam_code="100-490")[0].exam == (2, None)


def test_each_required_value_missing_is_named_in_column_order():
    assert exam(**{name: "" for name in EXAM})[1] == [
        "login_id: required",
        "email: required",
        "exam_code: required",
        "registration_number: required",
        "grade: required",
        "taken_on: required",
    ]
    assert ce(**{name: " " for name in CE})[1] == [
        "login_id: required",
        "external_id: required",
        "name: required",
        "points: required",
        "active_on: required",
    ]


def test_optional_values_may_be_empty_and_a_missing_source_is_import():
    result, problems = ce(provider_name="", source="", inactive_on="")
    assert problems == []
    assert (result.provider_name, result.source) == ("", "Import")
    result, problems = exam(first_name="", last_name="")
    assert problems == [] and (result.first_name, result.last_name) == ("", "")


@pytest.mark.parametrize("character", ["\x00", "\t", "\n", "\r", "\x1b", "\x7f", "\x85", "\u2028"])
def test_a_control_character_anywhere_is_reported_once_for_its_column(character):
    escaped = shown(character)[1:-1]
    assert escaped.startswith("\\")
    result, problems = exam(last_name=f"Sil{character}va")
    assert problems == [f"last_name: contains a control character ({escaped})"]
    result, problems = exam(registration_number=f"{character}VUE-1")
    assert problems == [f"registration_number: contains a control character ({escaped})"]
    assert result.registration_number is None
    result, problems = ce(points=f"5{character}", login_id=f"CSCO1{character}")
    assert problems == [
        f"login_id: contains a control character ({escaped})",
        f"points: contains a control character ({escaped})",
    ]
    assert (result.login_id, result.points) == (None, None)


def test_unicode_letters_spaces_and_joiners_stay_in_names():
    result, problems = exam(first_name="Mei-Lin", last_name="Núñez O'Brien\u200c王")
    assert problems == []
    assert result.last_name == "Núñez O'Brien\u200c王"


def test_shown_values_are_quoted_escaped_and_cut():
    assert shown("Passed") == '"Passed"'
    assert shown("\x1b[31mred") == '"\\x1b[31mred"'
    assert shown("a\u2028b") == '"a\\u2028b"'
    assert shown("x" * 60) == '"' + "x" * 60 + '"'
    assert shown("x" * 61) == '"' + "x" * 60 + '…"'


def test_leading_zeros_do_not_change_points():
    assert ce(points="0" * 5000 + "12")[0].points == 12
    assert ce(points="0" * 5000)[1] == [
        f"points: must be a whole number from 1 to {MAX_CE_POINTS}, got {shown('0' * 5000)}"
    ]


def test_a_non_ascii_email_must_fit_its_lower_case_key_column_too():
    domain = "@" + "d" * 60 + "." + "e" * 60 + "." + "f" * 60 + ".org"
    fits = "É" + "a" * (254 - len(domain) - 1) + domain
    assert len(fits) == 254 and len(fits.lower()) == 254
    assert exam(email=fits)[1] == []
    grows = "İ" + fits[1:]  # lower-cased, İ is two characters: the key would be 255
    assert len(grows) == 254 and len(grows.lower()) == 255
    assert exam(email=grows)[1] == [f"email: {shown(grows)} is not an email address"]


@pytest.mark.parametrize(("extra", "listed"), [(10, ""), (11, " and 1 more")])
def test_up_to_ten_unknown_columns_are_listed(extra, listed):
    report = ImportReport("exams", "wide.csv")
    with pytest.raises(ImportRefused):
        _check_header(
            [*EXAM_COLUMNS, *EXAM_OPTIONAL, *(f"x{n}" for n in range(extra))],
            report,
            EXAM_COLUMNS,
            EXAM_OPTIONAL,
        )
    names = ", ".join(f'"x{n}"' for n in range(10))
    assert report.error_lines() == [f"line 1: unknown column(s): {names}{listed}"]
