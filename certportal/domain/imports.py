"""Exam results and CE credits from CSV files, all or nothing, with every error listed.

Each file is read and every row checked in memory: every value against the column it is
stored in (the length comes from the model's own field, so SQLite, which would store a value
of any length, and PostgreSQL, which would abort the whole file, answer alike), dates, numbers
and emails by their strict rules, then against lookups loaded once (exam codes, candidates by
login ID, registration numbers / external ids already stored). Only then are the good rows
inserted in chunks and each affected candidate recomputed once, all in one transaction.
A bad row is a line error, never a database error. Formats: docs/certifications.md.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from peewee import IntegrityError

from certportal.db import database
from certportal.domain.accounts import is_login_id, login_id_key
from certportal.domain.bulk import column_in, insert_rows
from certportal.domain.certifications import accept_by_taking_exams, recompute_many
from certportal.domain.lifecycle import add_months
from certportal.domain.mapping import email_key, fold_name, is_email_address, name_key
from certportal.models import Candidate, CeCredit, Exam, ExamResult, ImportBatch, utcnow

CHUNK = 1000
GRADES = ("Pass", "Fail")

EXAM_COLUMNS = ("login_id", "email", "exam_code", "registration_number", "grade", "taken_on")
EXAM_OPTIONAL = ("first_name", "last_name")
CE_COLUMNS = ("login_id", "external_id", "name", "points", "active_on")
CE_OPTIONAL = ("inactive_on", "provider_name", "source")
DEFAULT_CE_SOURCE = "Import"
CE_VALIDITY_MONTHS = 36  # when a CE row gives no inactive date
MAX_CE_VALIDITY_MONTHS = 120  # a later inactive date is a typo, and would overflow the year
# Older than any certification the program ever awarded: an earlier date is a typo.
EARLIEST_DATE = date(1990, 1, 1)
# The largest requirement in the catalog is 120 credits; one activity worth more is a typo.
# Far below PostgreSQL's INTEGER limit (2**31 - 1), which the column has on both engines.
MAX_CE_POINTS = 1000

_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_DIGITS = re.compile(r"[0-9]+")
# C0 and C1 control characters (NUL, tab, line breaks, escape …), DEL, and the Unicode line
# and paragraph separators: none belongs in a one-line value, PostgreSQL refuses NUL outright,
# and an escape sequence echoed in an error message would drive the staff member's terminal.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_SHOWN_LENGTH = 60
MAX_LISTED_COLUMNS = 10  # unknown header names listed in a message


@dataclass
class ImportReport:
    kind: str
    filename: str
    rows: int = 0
    imported: int = 0
    unchanged: int = 0  # already stored (same registration number / external id)
    created_candidates: int = 0
    # (line, message); line 0 is the file as a whole.
    errors: list[tuple[int, str]] = field(default_factory=list)

    def error_lines(self) -> list[str]:
        return [f"line {line}: {message}" if line else message for line, message in self.errors]

    def __str__(self) -> str:
        text = (
            f"{self.filename}: {self.rows} row(s): {self.imported} imported, "
            f"{self.unchanged} already imported"
        )
        if self.created_candidates:
            text += f", {self.created_candidates} new candidate record(s)"
        if self.errors:
            text += f", {len(self.errors)} skipped as invalid"
        return text


class ImportRefused(Exception):
    """The file was refused whole; `report.errors` lists every problem with its line."""

    def __init__(self, report: ImportReport):
        super().__init__(f"{report.filename}: {len(report.errors)} error(s); nothing imported")
        self.report = report


def shown(value: str) -> str:
    """A value quoted as an error message shows it: control characters escaped, long ones cut."""
    cut = value if len(value) <= _SHOWN_LENGTH else value[:_SHOWN_LENGTH] + "…"
    return '"' + _CONTROL.sub(_escaped, cut) + '"'


def _escaped(match: re.Match) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def max_length(*fields) -> int:
    """The longest value every one of these columns holds."""
    return min(model_field.max_length for model_field in fields)


# Each text column of a file and the longest value it may hold: that of every database column
# the value is stored in (a new candidate's login ID is its program ID too).
TEXT_LIMITS = {
    "login_id": max_length(Candidate.login_id, Candidate.program_id),
    "email": max_length(Candidate.email),
    "first_name": max_length(Candidate.first_name),
    "last_name": max_length(Candidate.last_name),
    "registration_number": max_length(ExamResult.registration_number),
    "external_id": max_length(CeCredit.external_id),
    "name": max_length(CeCredit.name),
    "provider_name": max_length(CeCredit.provider_name),
    "source": max_length(CeCredit.source),
}
EMAIL_KEY_LIMIT = max_length(Candidate.email_key)
LAST_NAME_KEY_LIMIT = max_length(Candidate.last_name_key)


class Row:
    """One data row being checked: its values (surrounding spaces removed) and its problems.

    A value with a control character is reported once and then treated as absent, so the
    later checks neither repeat it nor send it to the database.
    """

    __slots__ = ("line", "values", "problems")

    def __init__(self, line: int, values: dict[str, str]):
        self.line = line
        self.problems: list[str] = []
        if _CONTROL.search("".join(values.values())):
            for name, value in values.items():
                found = _CONTROL.search(value)
                if found:
                    self.problems.append(
                        f"{name}: contains a control character ({_escaped(found)})"
                    )
                    values[name] = None
        self.values = {
            name: value.strip() if value is not None else None for name, value in values.items()
        }

    def text(self, name: str, required: bool = True) -> str | None:
        """The value if it is given (or optional) and fits the columns it is stored in."""
        value = self.values.get(name, "")
        if value is None:
            return None
        if not value:
            if required:
                self.problems.append(f"{name}: required")
                return None
            return value
        limit = TEXT_LIMITS.get(name)
        if limit is not None and len(value) > limit:
            self.problems.append(f"{name}: at most {limit} characters, got {len(value)}")
            return None
        return value

    def login_id(self) -> str | None:
        """The login ID's stored (upper-case) form, if it is one."""
        value = self.text("login_id")
        if value is None:
            return None
        if not is_login_id(value):
            self.problems.append(
                f"login_id: only letters, digits, '.', '_' and '-', got {shown(value)}"
            )
            return None
        return login_id_key(value)

    def email(self) -> str | None:
        value = self.text("email")
        if value is None:
            return None
        # Lower-casing lengthens only some non-ASCII letters (İ), so only those are measured.
        if not is_email_address(value) or (
            not value.isascii() and len(email_key(value)) > EMAIL_KEY_LIMIT
        ):
            self.problems.append(f"email: {shown(value)} is not an email address")
            return None
        return value

    def day(self, name: str, latest: date | None, required: bool = True) -> date | None:
        """A YYYY-MM-DD date from EARLIEST_DATE to `latest`; nothing else reads as one."""
        value = self.text(name, required=required)
        if not value:
            return None
        try:
            if not _DATE.fullmatch(value):
                raise ValueError
            day = date.fromisoformat(value)
        except ValueError:
            self.problems.append(f"{name}: {shown(value)} is not a date (YYYY-MM-DD)")
            return None
        if day < EARLIEST_DATE:
            self.problems.append(f"{name}: {day.isoformat()} is before {EARLIEST_DATE.isoformat()}")
            return None
        if latest is not None and day > latest:
            self.problems.append(f"{name}: {day.isoformat()} is in the future")
            return None
        return day

    def points(self) -> int | None:
        """A whole number of CE points, 1 to MAX_CE_POINTS, in plain ASCII digits."""
        value = self.text("points")
        if value is None:
            return None
        # Leading zeros aside, the length first: int() of thousands of digits is refused.
        significant = value.lstrip("0")
        if (
            _DIGITS.fullmatch(value)
            and len(significant) <= len(str(MAX_CE_POINTS))
            and 1 <= int(significant or "0") <= MAX_CE_POINTS
        ):
            return int(significant)
        self.problems.append(
            f"points: must be a whole number from 1 to {MAX_CE_POINTS}, got {shown(value)}"
        )
        return None


def _read(path: Path, report: ImportReport, required, optional):
    """(raw bytes, [Row]) of every data row, or raise ImportRefused for a bad file."""
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        report.errors.append((1, f"the file is not UTF-8 text ({error.reason})"))
        raise ImportRefused(report) from None
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader, None)
    except csv.Error as error:
        report.errors.append((1, f"the header line is not valid CSV ({error})"))
        raise ImportRefused(report) from None
    if header is None:
        report.errors.append((1, "the file is empty; expected a header line"))
        raise ImportRefused(report)
    header = [name.strip().lower() for name in header]
    _check_header(header, report, required, optional)
    rows = []
    last_line = reader.line_num
    while True:
        try:
            values = next(reader)
        except StopIteration:
            break
        except csv.Error as error:
            # The reader goes on with the next line: a broken record is one bad row.
            report.errors.append((last_line + 1, f"not valid CSV ({error})"))
            rows.append(None)
            last_line = reader.line_num
            continue
        line, last_line = last_line + 1, reader.line_num
        if not any(value.strip(" ") for value in values):
            continue  # a blank line (or only commas); other white space is a value to check
        if len(values) != len(header):
            report.errors.append((line, f"expected {len(header)} fields, found {len(values)}"))
            rows.append(None)
            continue
        rows.append(Row(line, dict(zip(header, values, strict=True))))
    return raw, rows


def _check_header(header: list[str], report: ImportReport, required, optional) -> None:
    missing = [name for name in required if name not in header]
    known = set(required) | set(optional)
    unknown = [shown(name) for name in header if name not in known]
    counts = Counter(header)
    duplicated = sorted(name for name in known if counts[name] > 1)
    if missing:
        report.errors.append((1, "missing column(s): " + ", ".join(missing)))
    if unknown:
        listed = ", ".join(unknown[:MAX_LISTED_COLUMNS])
        if len(unknown) > MAX_LISTED_COLUMNS:
            listed += f" and {len(unknown) - MAX_LISTED_COLUMNS} more"
        report.errors.append((1, "unknown column(s): " + listed))
    if duplicated:
        report.errors.append((1, "column(s) given more than once: " + ", ".join(duplicated)))
    if report.errors:
        raise ImportRefused(report)


def _check_file_name(path: Path, report: ImportReport) -> None:
    """The file name is stored with the batch (and each CE credit): it must fit there too."""
    limit = max_length(ImportBatch.filename, CeCredit.import_source)
    if _CONTROL.search(path.name) or len(path.name) > limit:
        report.errors.append(
            (0, f"file name: at most {limit} characters and no control characters, "
                f"got {shown(path.name)}")
        )
        raise ImportRefused(report)


def _lookup(model_field, values: Iterable[str], *selected) -> list[tuple]:
    values = sorted(set(values))
    found = []
    for start in range(0, len(values), CHUNK):
        part = values[start : start + CHUNK]
        found += list(
            model_field.model.select(*selected).where(column_in(model_field, part)).tuples()
        )
    return found


def _accepted_rows(report: ImportReport, checked: list, column: str, key, stored: set,
                   check) -> list:
    """The checked rows to write, in file order: `check` adds the problems that need the
    lookups; a row whose key (`key(row)`, named by `column`) an earlier line of the file
    already has is a line error; a row whose key is already stored counts as unchanged."""
    first_line: dict = {}
    accepted = []
    for result in checked:
        row = result.row
        check(result)
        value = key(result)
        if value in first_line:
            row.problems.append(
                f"{column}: {shown(getattr(result, column))} is also on line {first_line[value]}"
            )
        if row.problems:
            continue
        first_line[value] = row.line
        if value in stored:
            report.unchanged += 1
            continue
        accepted.append(result)
    return accepted


def _refuse_or_report(report: ImportReport, rows: list[Row | None], skip_invalid: bool) -> None:
    report.errors += [(row.line, "; ".join(row.problems)) for row in rows if row and row.problems]
    report.errors.sort()
    if report.errors and not skip_invalid:
        raise ImportRefused(report)


def _batch(report: ImportReport, path: Path, raw: bytes, count: int,
           staff_user=None) -> ImportBatch:
    """The history entry of a file that stored rows: the file, who, and what it did."""
    return ImportBatch.create(
        kind=report.kind,
        filename=path.name,
        sha256=hashlib.sha256(raw).hexdigest(),
        size_bytes=len(raw),
        row_count=count,
        rows_unchanged=report.unchanged,
        error_count=len(report.errors),
        candidates_created=report.created_candidates,
        staff_user=staff_user,
    )


class _DryRun(Exception):
    """Raised inside the import's transaction to roll every write of a dry run back."""


def _write(report: ImportReport, write, dry_run: bool = False) -> None:
    """Run the writes in one transaction; a row another import stored meanwhile refuses all.

    A dry run runs exactly the same writes and rolls them back, so what it reports is what
    applying the file would do.
    """
    try:
        with database.atomic():
            write()
            if dry_run:
                raise _DryRun
    except _DryRun:
        return
    except IntegrityError:
        report.errors.append(
            (0, "another import stored some of these rows at the same time; nothing was "
                "imported from this file, run it again")
        )
        report.imported = report.created_candidates = 0
        raise ImportRefused(report) from None


@dataclass(slots=True)
class _ExamRow:
    row: Row
    login_id: str | None
    email: str | None
    first_name: str | None
    last_name: str | None
    exam: tuple[int, int | None] | None
    registration_number: str | None
    grade: str | None
    taken_on: date | None


def check_exam_row(row: Row, exams: dict[str, tuple], today: date) -> _ExamRow:
    """Every in-memory check of one exam row; the problems are added to `row.problems`."""
    login_id = row.login_id()
    email = row.email()
    first_name = row.text("first_name", required=False)
    last_name = row.text("last_name", required=False)
    # Folding lengthens only some non-ASCII names (ligatures, ß), so only those are measured.
    if last_name and not last_name.isascii() and len(fold_name(last_name)) > LAST_NAME_KEY_LIMIT:
        row.problems.append(f"last_name: {shown(last_name)} is too long once folded")
        last_name = None
    code = row.text("exam_code")
    exam = exams.get(code) if code else None
    if code and exam is None:
        row.problems.append(f"exam_code: unknown exam code {shown(code)}")
    number = row.text("registration_number")
    grade = row.text("grade")
    if grade and grade not in GRADES:
        row.problems.append(f"grade: must be Pass or Fail, got {shown(grade)}")
        grade = None
    taken_on = row.day("taken_on", latest=today)
    return _ExamRow(row, login_id, email, first_name, last_name, exam, number, grade, taken_on)


def import_exams(path: Path, today: date, skip_invalid: bool = False, *,
                 dry_run: bool = False, staff_user=None) -> ImportReport:
    """Import exam results; unknown candidates are created with the email on file.
    `dry_run`: do everything, report it, keep nothing."""
    path = Path(path)
    report = ImportReport("exams", path.name)
    _check_file_name(path, report)
    raw, rows = _read(path, report, EXAM_COLUMNS, EXAM_OPTIONAL)
    report.rows = len(rows)
    exams = {
        code: (exam_id, months)
        for exam_id, code, months in Exam.select(Exam.id, Exam.code, Exam.validity_months).tuples()
    }
    checked = [check_exam_row(row, exams, today) for row in rows if row is not None]
    # Only well-formed values reach a query.
    login_ids = {result.login_id for result in checked if result.login_id}
    candidates = dict(_lookup(Candidate.login_id, login_ids, Candidate.login_id, Candidate.id))
    # A new candidate's program ID is its login ID: one another candidate has is a conflict.
    program_ids = {
        program_id
        for (program_id,) in _lookup(
            Candidate.program_id, login_ids - candidates.keys(), Candidate.program_id
        )
    }
    stored = {
        number
        for (number,) in _lookup(
            ExamResult.registration_number,
            (result.registration_number for result in checked if result.registration_number),
            ExamResult.registration_number,
        )
    }

    def check_program_id(result: _ExamRow) -> None:
        if result.login_id in program_ids:
            result.row.problems.append(
                f"login_id: {shown(result.login_id)} is the program ID of another candidate"
            )

    accepted = _accepted_rows(
        report, checked, "registration_number", lambda result: result.registration_number,
        stored, check_program_id,
    )
    new_candidates: dict[str, _ExamRow] = {}
    for result in accepted:
        if result.login_id not in candidates:
            new_candidates.setdefault(result.login_id, result)
    _refuse_or_report(report, rows, skip_invalid)
    if not accepted:
        return report

    def write():
        _create_candidates(new_candidates, candidates)
        report.created_candidates = len(new_candidates)
        batch = _batch(report, path, raw, len(accepted), staff_user)
        now = utcnow()
        fields = [
            ExamResult.candidate,
            ExamResult.exam,
            ExamResult.registration_number,
            ExamResult.grade,
            ExamResult.taken_on,
            ExamResult.expires_on,
            ExamResult.import_batch,
            ExamResult.created_at,
        ]
        values = [
            (
                candidates[result.login_id],
                result.exam[0],
                result.registration_number,
                result.grade,
                result.taken_on,
                add_months(result.taken_on, result.exam[1])
                if result.exam[1] and result.grade == "Pass"
                else None,
                batch.id,
                now,
            )
            for result in accepted
        ]
        insert_rows(ExamResult, fields, values)
        report.imported = len(values)
        first_exam_on: dict[int, date] = {}
        for result in accepted:
            candidate_id = candidates[result.login_id]
            first_exam_on[candidate_id] = min(
                result.taken_on, first_exam_on.get(candidate_id, result.taken_on))
        accept_by_taking_exams(first_exam_on)
        # Only passes are facts the rules use: a failed exam changes no certification.
        recompute_many(
            {candidates[result.login_id] for result in accepted if result.grade == "Pass"},
            today,
        )

    _write(report, write, dry_run)
    return report


def _create_candidates(new_candidates: dict[str, _ExamRow], candidates: dict[str, int]) -> None:
    """Records for candidates the testing vendor knows and we do not yet (not mapped)."""
    if not new_candidates:
        return
    now = utcnow()
    rows = [
        {
            "login_id": login_id,
            "program_id": login_id,
            "email": result.email,
            "email_key": email_key(result.email),
            "first_name": result.first_name or "",
            "last_name": result.last_name or "",
            "last_name_key": fold_name(result.last_name or ""),
            "name_key": name_key(result.first_name or "", result.last_name or ""),
            "created_at": now,
        }
        for login_id, result in new_candidates.items()
    ]
    for start in range(0, len(rows), CHUNK):
        Candidate.insert_many(rows[start : start + CHUNK]).execute()
    candidates.update(_lookup(Candidate.login_id, new_candidates, Candidate.login_id, Candidate.id))


@dataclass(slots=True)
class _CeRow:
    row: Row
    login_id: str | None
    external_id: str | None
    name: str | None
    points: int | None
    active_on: date | None
    inactive_on: date | None
    provider_name: str | None
    source: str | None


def check_ce_row(row: Row, today: date) -> _CeRow:
    """Every in-memory check of one CE row; the problems are added to `row.problems`."""
    login_id = row.login_id()
    external_id = row.text("external_id")
    name = row.text("name")
    points = row.points()
    active_on = row.day("active_on", latest=today)
    inactive_on = row.day("inactive_on", latest=None, required=False)
    if active_on and inactive_on:
        if inactive_on <= active_on:
            row.problems.append("inactive_on: must be after active_on")
            inactive_on = None
        elif inactive_on > add_months(active_on, MAX_CE_VALIDITY_MONTHS):
            row.problems.append(
                f"inactive_on: at most {MAX_CE_VALIDITY_MONTHS // 12} years after active_on"
            )
            inactive_on = None
    elif active_on:
        # No inactive date (a bad one is already a problem of the row): the default.
        inactive_on = add_months(active_on, CE_VALIDITY_MONTHS)
    provider_name = row.text("provider_name", required=False)
    source = row.text("source", required=False)
    if source == "":
        source = DEFAULT_CE_SOURCE
    return _CeRow(
        row, login_id, external_id, name, points, active_on, inactive_on, provider_name, source
    )


def import_ce(path: Path, today: date, skip_invalid: bool = False, *,
              dry_run: bool = False, staff_user=None) -> ImportReport:
    """Import CE credits; the file name is kept as each row's import source.
    `dry_run`: do everything, report it, keep nothing."""
    path = Path(path)
    report = ImportReport("ce", path.name)
    _check_file_name(path, report)
    raw, rows = _read(path, report, CE_COLUMNS, CE_OPTIONAL)
    report.rows = len(rows)
    checked = [check_ce_row(row, today) for row in rows if row is not None]
    candidates = dict(
        _lookup(
            Candidate.login_id,
            (result.login_id for result in checked if result.login_id),
            Candidate.login_id,
            Candidate.id,
        )
    )
    stored = set(
        _lookup(
            CeCredit.external_id,
            (result.external_id for result in checked if result.external_id),
            CeCredit.source,
            CeCredit.external_id,
        )
    )

    def check_candidate(result: _CeRow) -> None:
        if result.login_id and result.login_id not in candidates:
            result.row.problems.append(
                f"login_id: no candidate has the login ID {shown(result.login_id)}"
            )

    accepted = _accepted_rows(
        report, checked, "external_id", lambda result: (result.source, result.external_id),
        stored, check_candidate,
    )
    _refuse_or_report(report, rows, skip_invalid)
    if not accepted:
        return report

    def write():
        batch = _batch(report, path, raw, len(accepted), staff_user)
        now = utcnow()
        values = [
            {
                "candidate": candidates[result.login_id],
                "name": result.name,
                "points": result.points,
                "active_on": result.active_on,
                "inactive_on": result.inactive_on,
                "provider_name": result.provider_name or "",
                "source": result.source,
                "import_source": path.name,
                "external_id": result.external_id,
                "updated_on": today,
                "import_batch": batch.id,
                "created_at": now,
            }
            for result in accepted
        ]
        for start in range(0, len(values), CHUNK):
            CeCredit.insert_many(values[start : start + CHUNK]).execute()
        report.imported = len(values)
        recompute_many({candidates[result.login_id] for result in accepted}, today)

    _write(report, write, dry_run)
    return report
