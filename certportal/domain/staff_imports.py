"""Imports from the console: the same importers as the CLI (one rule, two doors).

An uploaded file is kept only for the request, in a temporary directory under its own
(sanitised) name; it is read as CSV text, never run. A dry run does everything an apply
does inside a transaction that is rolled back, so its report is the apply's report.
"""

from __future__ import annotations

import tempfile
from datetime import date
from pathlib import Path

from certportal.domain import audit
from certportal.domain.imports import ImportRefused, ImportReport, import_ce, import_exams
from certportal.models import ImportBatch, StaffUser

IMPORTERS = {"exams": import_exams, "ce": import_ce}
KIND_NAMES = {"exams": "Exam results", "ce": "CE credits"}
MAX_UPLOAD_BYTES = 5 * 1024 * 1024


class UploadRefused(ValueError):
    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field


def safe_file_name(name: str) -> str:
    """The base name of an uploaded file, without directories or characters a path needs."""
    base = (name or "").replace("\\", "/").rsplit("/", 1)[-1].strip()
    return base if base not in ("", ".", "..") else "upload.csv"


def run_import(kind: str, file_name: str, content: bytes, today: date, *, dry_run: bool,
               skip_invalid: bool = False, staff_user: StaffUser | None = None,
               ip_address: str = "") -> ImportReport:
    """Check (dry run) or apply an uploaded file. Raises ImportRefused with the report when
    a bad row refuses the whole file; UploadRefused for a kind or size that cannot be."""
    if kind not in IMPORTERS:
        raise UploadRefused("kind", "Choose exam results or CE credits.")
    if not content:
        raise UploadRefused("file", "Choose a CSV file to upload.")
    if len(content) > MAX_UPLOAD_BYTES:
        raise UploadRefused(
            "file", f"The file is larger than {MAX_UPLOAD_BYTES // (1024 * 1024)} MB."
        )
    with tempfile.TemporaryDirectory(prefix="certportal-import-") as directory:
        path = Path(directory) / safe_file_name(file_name)
        path.write_bytes(content)
        try:
            report = IMPORTERS[kind](
                path, today, skip_invalid=skip_invalid, dry_run=dry_run, staff_user=staff_user
            )
        except ImportRefused as refused:
            if not dry_run:
                audit.record("import_refused", staff_user=staff_user,
                             subject=f"import {kind} {path.name}",
                             new_value=f"{len(refused.report.errors)} error(s)",
                             ip_address=ip_address)
            raise
    if not dry_run:
        audit.record("import_applied", staff_user=staff_user,
                     subject=f"import {kind} {path.name}", new_value=str(report),
                     ip_address=ip_address)
    return report


def import_history(page: int = 1, per_page: int = 50) -> tuple[list[ImportBatch], bool]:
    from peewee import JOIN

    rows = list(
        ImportBatch.select(ImportBatch, StaffUser)
        .join(StaffUser, JOIN.LEFT_OUTER, on=ImportBatch.staff_user == StaffUser.id)
        .order_by(ImportBatch.created_at.desc(), ImportBatch.id.desc())
        .limit(per_page + 1)
        .offset((max(page, 1) - 1) * per_page)
    )
    return rows[:per_page], len(rows) > per_page
