"""Exam results and CE credits from CSV files (F29), all or nothing, with every error listed.

Each file is read and every row checked in memory against lookups loaded once (exam codes,
candidates by login ID, registration numbers / external ids already stored), then the good
rows are inserted in chunks and each affected candidate is recomputed once, all in one
transaction. Formats: README.md, "CSV imports".
"""

from __future__ import annotations

import csv
import hashlib
import io
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from certportal.db import database
from certportal.domain.bulk import column_in, insert_rows
from certportal.domain.certifications import recompute_many
from certportal.domain.lifecycle import add_months
from certportal.domain.mapping import email_key, fold_name
from certportal.models import Candidate, CeCredit, Exam, ExamResult, ImportBatch, utcnow

CHUNK = 1000
GRADES = ("Pass", "Fail")

EXAM_COLUMNS = ("login_id", "email", "exam_code", "registration_number", "grade", "taken_on")
EXAM_OPTIONAL = ("first_name", "last_name")
CE_COLUMNS = ("login_id", "external_id", "name", "points", "active_on")
CE_OPTIONAL = ("inactive_on", "provider_name", "source")
DEFAULT_CE_SOURCE = "Import"
CE_VALIDITY_MONTHS = 36  # when a CE row gives no inactive date


@dataclass
class ImportReport:
    kind: str
    filename: str
    rows: int = 0
    imported: int = 0
    unchanged: int = 0  # already stored (same registration number / external id)
    created_candidates: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)

    def error_lines(self) -> list[str]:
        return [f"line {line}: {message}" for line, message in self.errors]

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


def _read(path: Path, report: ImportReport, required, optional):
    """(line number, row dict) of every data row, or raise ImportRefused for a bad file."""
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        report.errors.append((1, f"the file is not UTF-8 text ({error.reason})"))
        raise ImportRefused(report) from None
    reader = csv.reader(io.StringIO(text, newline=""))
    header = next(reader, None)
    if header is None:
        report.errors.append((1, "the file is empty; expected a header line"))
        raise ImportRefused(report)
    header = [name.strip().lower() for name in header]
    missing = [name for name in required if name not in header]
    unknown = [name for name in header if name not in required and name not in optional]
    if missing or unknown:
        if missing:
            report.errors.append((1, "missing column(s): " + ", ".join(missing)))
        if unknown:
            report.errors.append((1, "unknown column(s): " + ", ".join(unknown)))
        raise ImportRefused(report)
    rows = []
    for values in reader:
        if not any(value.strip() for value in values):
            continue  # a blank line
        line = reader.line_num
        if len(values) != len(header):
            report.errors.append((line, f"expected {len(header)} fields, found {len(values)}"))
            rows.append((line, None))
            continue
        rows.append((line, {k: v.strip() for k, v in zip(header, values, strict=True)}))
    return raw, rows


def _parse_date(value: str, name: str, problems: list[str]) -> date | None:
    if not value:
        problems.append(f"{name}: required")
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        problems.append(f'{name}: "{value}" is not a date (YYYY-MM-DD)')
        return None


def _lookup(model_field, values: Iterable[str], *selected) -> list[tuple]:
    values = sorted(set(values))
    found = []
    for start in range(0, len(values), CHUNK):
        part = values[start : start + CHUNK]
        found += list(
            model_field.model.select(*selected).where(column_in(model_field, part)).tuples()
        )
    return found


def _finish(report: ImportReport, skip_invalid: bool) -> None:
    if report.errors and not skip_invalid:
        raise ImportRefused(report)


def _batch(kind: str, path: Path, raw: bytes, count: int) -> ImportBatch:
    return ImportBatch.create(
        kind=kind, filename=path.name, sha256=hashlib.sha256(raw).hexdigest(), row_count=count
    )


def import_exams(path: Path, today: date, skip_invalid: bool = False) -> ImportReport:
    """Import exam results; unknown candidates are created with the email on file."""
    path = Path(path)
    report = ImportReport("exams", path.name)
    raw, rows = _read(path, report, EXAM_COLUMNS, EXAM_OPTIONAL)
    report.rows = len(rows)
    exams = {
        code: (exam_id, months)
        for exam_id, code, months in Exam.select(Exam.id, Exam.code, Exam.validity_months).tuples()
    }
    good = [(line, row) for line, row in rows if row is not None]
    candidates = dict(
        _lookup(
            Candidate.login_id,
            (row["login_id"] for _, row in good),
            Candidate.login_id,
            Candidate.id,
        )
    )
    stored = {
        number
        for (number,) in _lookup(
            ExamResult.registration_number,
            (row["registration_number"] for _, row in good),
            ExamResult.registration_number,
        )
    }
    seen: dict[str, int] = {}
    new_candidates: dict[str, dict] = {}
    accepted = []
    for line, row in good:
        problems = []
        for name in EXAM_COLUMNS:
            if name != "taken_on" and not row[name]:
                problems.append(f"{name}: required")
        exam = exams.get(row["exam_code"])
        if row["exam_code"] and exam is None:
            problems.append(f'exam_code: unknown exam code "{row["exam_code"]}"')
        if row["grade"] and row["grade"] not in GRADES:
            problems.append(f'grade: must be Pass or Fail, got "{row["grade"]}"')
        taken_on = _parse_date(row["taken_on"], "taken_on", problems)
        if taken_on and taken_on > today:
            problems.append(f"taken_on: {taken_on:%Y-%m-%d} is in the future")
        if row["email"] and "@" not in row["email"]:
            problems.append(f'email: "{row["email"]}" is not an email address')
        number = row["registration_number"]
        if number in seen:
            problems.append(f'registration_number: "{number}" is also on line {seen[number]}')
        if problems:
            report.errors.append((line, "; ".join(problems)))
            continue
        seen[number] = line
        if number in stored:
            report.unchanged += 1
            continue
        login_id = row["login_id"]
        if login_id not in candidates and login_id not in new_candidates:
            new_candidates[login_id] = row
        accepted.append((row, exam, taken_on))
    report.errors.sort()
    _finish(report, skip_invalid)
    if not accepted:
        return report
    with database.atomic():
        _create_candidates(new_candidates, candidates)
        report.created_candidates = len(new_candidates)
        batch = _batch("exams", path, raw, len(accepted))
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
                candidates[row["login_id"]],
                exam_id,
                row["registration_number"],
                row["grade"],
                taken_on,
                add_months(taken_on, months) if months and row["grade"] == "Pass" else None,
                batch.id,
                now,
            )
            for row, (exam_id, months), taken_on in accepted
        ]
        insert_rows(ExamResult, fields, values)
        report.imported = len(values)
        # Only passes are facts the rules use: a failed exam changes no certification.
        recompute_many(
            {candidates[row["login_id"]] for row, _, _ in accepted if row["grade"] == "Pass"},
            today,
        )
    return report


def _create_candidates(new_candidates: dict[str, dict], candidates: dict[str, int]) -> None:
    """Records for candidates the testing vendor knows and we do not yet (not mapped)."""
    if not new_candidates:
        return
    now = utcnow()
    rows = [
        {
            "login_id": login_id,
            "program_id": login_id,
            "email": row["email"],
            "email_key": email_key(row["email"]),
            "first_name": row.get("first_name", ""),
            "last_name": row.get("last_name", ""),
            "last_name_key": fold_name(row.get("last_name", "")),
            "created_at": now,
        }
        for login_id, row in new_candidates.items()
    ]
    for start in range(0, len(rows), CHUNK):
        Candidate.insert_many(rows[start : start + CHUNK]).execute()
    candidates.update(_lookup(Candidate.login_id, new_candidates, Candidate.login_id, Candidate.id))


def import_ce(path: Path, today: date, skip_invalid: bool = False) -> ImportReport:
    """Import CE credits; the file name is kept as each row's import source."""
    path = Path(path)
    report = ImportReport("ce", path.name)
    raw, rows = _read(path, report, CE_COLUMNS, CE_OPTIONAL)
    report.rows = len(rows)
    good = [(line, row) for line, row in rows if row is not None]
    candidates = dict(
        _lookup(
            Candidate.login_id,
            (row["login_id"] for _, row in good),
            Candidate.login_id,
            Candidate.id,
        )
    )
    stored = set(
        _lookup(
            CeCredit.external_id,
            (row["external_id"] for _, row in good),
            CeCredit.source,
            CeCredit.external_id,
        )
    )
    seen: dict[tuple[str, str], int] = {}
    accepted = []
    for line, row in good:
        problems = []
        for name in CE_COLUMNS:
            if name not in ("points", "active_on") and not row[name]:
                problems.append(f"{name}: required")
        if row["login_id"] and row["login_id"] not in candidates:
            problems.append(f'login_id: no candidate has the login ID "{row["login_id"]}"')
        points = None
        if not row["points"]:
            problems.append("points: required")
        else:
            try:
                points = int(row["points"])
            except ValueError:
                points = None
            if points is None or points <= 0:
                problems.append(f'points: must be a positive whole number, got "{row["points"]}"')
        active_on = _parse_date(row["active_on"], "active_on", problems)
        inactive_on = None
        if row.get("inactive_on"):
            inactive_on = _parse_date(row["inactive_on"], "inactive_on", problems)
            if active_on and inactive_on and inactive_on <= active_on:
                problems.append("inactive_on: must be after active_on")
        elif active_on:
            inactive_on = add_months(active_on, CE_VALIDITY_MONTHS)
        if len(row["name"]) > 200:
            problems.append("name: at most 200 characters")
        source = row.get("source") or DEFAULT_CE_SOURCE
        key = (source, row["external_id"])
        if row["external_id"] and key in seen:
            problems.append(f'external_id: "{row["external_id"]}" is also on line {seen[key]}')
        if problems:
            report.errors.append((line, "; ".join(problems)))
            continue
        seen[key] = line
        if key in stored:
            report.unchanged += 1
            continue
        accepted.append((row, source, points, active_on, inactive_on))
    _finish(report, skip_invalid)
    if not accepted:
        return report
    with database.atomic():
        batch = _batch("ce", path, raw, len(accepted))
        now = utcnow()
        values = [
            {
                "candidate": candidates[row["login_id"]],
                "name": row["name"],
                "points": points,
                "active_on": active_on,
                "inactive_on": inactive_on,
                "provider_name": row.get("provider_name", ""),
                "source": source,
                "import_source": path.name,
                "external_id": row["external_id"],
                "updated_on": today,
                "import_batch": batch.id,
                "created_at": now,
            }
            for row, source, points, active_on, inactive_on in accepted
        ]
        for start in range(0, len(values), CHUNK):
            CeCredit.insert_many(values[start : start + CHUNK]).execute()
        report.imported = len(values)
        recompute_many({candidates[row["login_id"]] for row, *_ in accepted}, today)
    return report
