"""Imports from the console: the CLI's importers, a dry run that reports exactly what the
apply then does, the size limit, and the history."""

from datetime import date

import pytest

from certportal.domain.imports import ImportRefused
from certportal.domain.staff_imports import (
    MAX_UPLOAD_BYTES,
    UploadRefused,
    import_history,
    run_import,
    safe_file_name,
)
from certportal.models import (
    AuditEvent,
    Candidate,
    CertificationEvent,
    ExamResult,
    ImportBatch,
    StaffUser,
)

TODAY = date.today()
HEADER = "login_id,email,first_name,last_name,exam_code,registration_number,grade,taken_on\n"
GOOD = (
    HEADER
    + f"CSCO20000001,new.one@example.org,Neo,One,200-301,DRY-1,Pass,{TODAY}\n"
    + f"CSCO10000001,wang.mei@certportal.example,Mei,Wang,350-401,DRY-2,Pass,{TODAY}\n"
    + f"CSCO10000002,ana.nunez@certportal.example,Ana,Nunez,200-301,VUE-92000002,Pass,{TODAY}\n"
).encode()


def counts():
    return (Candidate.select().count(), ExamResult.select().count(),
            CertificationEvent.select().count(), ImportBatch.select().count())


def test_the_dry_run_reports_what_the_apply_does_and_writes_nothing(db):
    support = StaffUser.get(StaffUser.username == "support")
    before = counts()
    dry = run_import("exams", "results.csv", GOOD, TODAY, dry_run=True, staff_user=support)
    assert counts() == before
    applied = run_import("exams", "results.csv", GOOD, TODAY, dry_run=False,
                         staff_user=support)
    assert str(dry) == str(applied)
    assert (applied.imported, applied.unchanged, applied.created_candidates) == (2, 1, 1)
    assert counts()[1] == before[1] + 2
    batch = ImportBatch.get(ImportBatch.filename == "results.csv")
    assert (batch.size_bytes, batch.row_count, batch.rows_unchanged, batch.error_count,
            batch.candidates_created, batch.staff_user_id) == (len(GOOD), 2, 1, 0, 1, support.id)
    assert len(batch.sha256) == 64
    assert import_history()[0][0].id == batch.id
    assert ExamResult.get(ExamResult.registration_number == "DRY-1").import_batch_id == batch.id
    # The same file again changes nothing.
    after = counts()
    again = run_import("exams", "results.csv", GOOD, TODAY, dry_run=False, staff_user=support)
    assert (again.imported, again.unchanged) == (0, 3) and counts() == after
    assert AuditEvent.select().where(AuditEvent.action == "import_applied").count() == 2


def test_a_bad_file_lists_every_line_error_in_the_dry_run_as_in_the_apply(db):
    bad = (HEADER + f"CSCO20000001,not-an-email,Neo,One,200-301,DRY-1,Pass,{TODAY}\n"
           + f"CSCO20000002,b@example.org,B,B,999-999,DRY-2,Maybe,{TODAY}\n").encode()
    before = counts()
    with pytest.raises(ImportRefused) as dry:
        run_import("exams", "bad.csv", bad, TODAY, dry_run=True)
    with pytest.raises(ImportRefused) as applied:
        run_import("exams", "bad.csv", bad, TODAY, dry_run=False)
    assert dry.value.report.error_lines() == applied.value.report.error_lines()
    assert [line for line, _ in dry.value.report.errors] == [2, 3]
    assert counts() == before


def test_uploads_are_limited_and_named_safely(db):
    with pytest.raises(UploadRefused) as refused:
        run_import("exams", "big.csv", b"x" * (MAX_UPLOAD_BYTES + 1), TODAY, dry_run=True)
    assert refused.value.field == "file"
    with pytest.raises(UploadRefused):
        run_import("orders", "a.csv", GOOD, TODAY, dry_run=True)
    assert safe_file_name("../../etc/passwd") == "passwd"
    assert safe_file_name("C:\\Users\\x\\ce.csv") == "ce.csv"
    assert safe_file_name("..") == "upload.csv"
