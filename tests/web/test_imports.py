"""CSV imports of exam results and CE credits through the CLI, and manual grants."""

import csv
from datetime import date, timedelta

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from certportal.domain.imports import CHUNK, ImportRefused, import_ce, import_exams
from certportal.domain.lifecycle import add_months
from certportal.models import (
    AgreementAcceptance,
    Candidate,
    CandidateCertification,
    CeCredit,
    CertificationEvent,
    ExamResult,
    ImportBatch,
)
from tests.factories import held

EXAM_HEADER = "login_id,email,first_name,last_name,exam_code,registration_number,grade,taken_on\n"
CE_HEADER = "login_id,external_id,name,points,active_on,inactive_on,provider_name,source\n"
TODAY = date.today()


def run(app, *args):
    return app.test_cli_runner().invoke(args=[str(a) for a in args])


def write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text)
    return path


def test_exam_import_creates_unknown_candidates_and_earns_their_certification(app, db, tmp_path):
    day = TODAY - timedelta(days=10)
    path = write(
        tmp_path,
        "vue-results.csv",
        EXAM_HEADER
        + f"CSCO20000001,ana.silva@example.com,Ana,Silva,200-301,VUE-1,Pass,{day}\n"
        + f"CSCO20000002,li.wei@example.com,Wei,Li,200-301,VUE-2,Fail,{day}\n",
    )
    result = run(app, "import", "exams", path)
    assert result.exit_code == 0, result.output
    assert (
        "vue-results.csv: 2 row(s): 2 imported, 0 already imported, 2 new candidate record(s)"
        in result.output
    )
    ana = Candidate.get(Candidate.login_id == "CSCO20000001")
    assert (ana.email, ana.last_name, ana.password_hash) == ("ana.silva@example.com", "Silva", None)
    assert (ana.email_key, ana.last_name_key) == ("ana.silva@example.com", "silva")
    ccna = held("CCNA", "CSCO20000001")
    assert (ccna.status, ccna.active_on, ccna.expires_on) == ("active", day, add_months(day, 36))
    assert [e.description for e in ccna.events] == ["Earned by exam 200-301"]
    readable = set("0123456789ABCDEFGHJKMNPQRSTVWXYZ")
    assert len(ccna.verification_code) == 16 and set(ccna.verification_code) <= readable
    assert len(ccna.badge_id) == 20 and set(ccna.badge_id) <= readable
    codes = [held.verification_code for held in CandidateCertification.select()]
    assert len(codes) == len(set(codes))
    # A failed exam earns nothing.
    li = Candidate.get(Candidate.login_id == "CSCO20000002")
    assert (
        not CandidateCertification.select().where(CandidateCertification.candidate == li).exists()
    )
    result_row = ExamResult.get(ExamResult.registration_number == "VUE-1")
    assert result_row.expires_on == add_months(day, 36)
    assert result_row.import_batch.filename == "vue-results.csv"


def accepted_agreements(login_id):
    return [(row.agreement.code, row.accepted_on) for row in AgreementAcceptance.select()
            .join(Candidate).where(Candidate.login_id == login_id).order_by(AgreementAcceptance.id)]


def test_taking_an_exam_is_accepting_the_certification_agreement(app, db, tmp_path):
    first, later = TODAY - timedelta(days=40), TODAY - timedelta(days=10)
    path = write(
        tmp_path, "vue-results.csv",
        EXAM_HEADER
        + f"CSCO20000001,ana.silva@example.com,Ana,Silva,200-301,VUE-1,Pass,{later}\n"
        + f"CSCO20000001,ana.silva@example.com,Ana,Silva,350-401,VUE-2,Fail,{first}\n"
        + f"CSCO10000000,csco10000000@certportal.example,John,Doe,350-401,VUE-3,Pass,{later}\n",
    )
    assert run(app, "import", "exams", path).exit_code == 0

    # Accepted before the first exam, the failed one too; the sample candidate's own
    # acceptance, from the guide, stays as it is.
    assert accepted_agreements("CSCO20000001") == [("CCA-V9", first)]
    assert accepted_agreements("CSCO10000000") == [("CCA-V9", date(2006, 6, 20))]


def test_an_import_issues_the_earned_certifications_badge_once(app, db, tmp_path):
    day = TODAY - timedelta(days=10)
    path = write(
        tmp_path,
        "vue-results.csv",
        EXAM_HEADER + f"CSCO20000001,ana.silva@example.com,Ana,Silva,200-301,VUE-1,Pass,{day}\n",
    )

    run(app, "import", "exams", path)
    run(app, "import", "exams", path)

    (issued,) = held("CCNA", "CSCO20000001").credentials
    assert (issued.valid_from, issued.valid_until) == (day, add_months(day, 36))
    assert f'"validFrom":"{day}T00:00:00Z"' in issued.document


def test_reimporting_the_same_file_changes_nothing(app, db, tmp_path):
    path = write(
        tmp_path,
        "again.csv",
        EXAM_HEADER
        + f"CSCO10000001,wang.mei@certportal.example,Mei,Wang,350-401,VUE-9,Pass,{TODAY}\n",
    )
    assert run(app, "import", "exams", path).exit_code == 0
    counts = (
        ExamResult.select().count(),
        ImportBatch.select().count(),
        CertificationEvent.select().count(),
    )
    second = run(app, "import", "exams", path)
    assert second.exit_code == 0
    assert "0 imported, 1 already imported" in second.output
    assert counts == (
        ExamResult.select().count(),
        ImportBatch.select().count(),
        CertificationEvent.select().count(),
    )


def test_every_kind_of_error_is_reported_by_line_and_nothing_is_imported(app, db, tmp_path):
    path = write(
        tmp_path,
        "bad.csv",
        EXAM_HEADER
        + f"CSCO10000001,wang.mei@certportal.example,Mei,Wang,200-301,OK-1,Pass,{TODAY}\n"
        + f"CSCO10000001,wang.mei@certportal.example,Mei,Wang,999-999,BAD-2,Pass,{TODAY}\n"
        + "CSCO10000001,wang.mei@certportal.example,Mei,Wang,200-301,BAD-3,Pass,2024-13-01\n"
        + f"CSCO10000001,wang.mei@certportal.example,Mei,Wang,200-301,BAD-4,Passed,{TODAY}\n"
        + f"CSCO10000001,,Mei,Wang,200-301,,Pass,{TODAY}\n"
        + f"CSCO10000001,wang.mei@certportal.example,Mei,Wang,200-301,OK-1,Pass,{TODAY}\n",
    )
    before = ExamResult.select().count()
    result = run(app, "import", "exams", path)
    assert result.exit_code != 0
    assert 'line 3: exam_code: unknown exam code "999-999"' in result.output
    assert 'line 4: taken_on: "2024-13-01" is not a date (YYYY-MM-DD)' in result.output
    assert 'line 5: grade: must be Pass or Fail, got "Passed"' in result.output
    assert "line 6: email: required; registration_number: required" in result.output
    assert 'line 7: registration_number: "OK-1" is also on line 2' in result.output
    assert "5 error(s); nothing was imported" in result.output
    assert ExamResult.select().count() == before
    assert not ExamResult.select().where(ExamResult.registration_number == "OK-1").exists()


def test_skip_invalid_imports_the_good_rows_and_reports_the_rest(app, db, tmp_path):
    path = write(
        tmp_path,
        "mixed.csv",
        EXAM_HEADER
        + f"CSCO10000001,wang.mei@certportal.example,Mei,Wang,350-401,OK-7,Pass,{TODAY}\n"
        + f"CSCO10000001,wang.mei@certportal.example,Mei,Wang,NOPE,BAD-8,Pass,{TODAY}\n",
    )
    result = run(app, "import", "exams", path, "--skip-invalid")
    assert result.exit_code == 0, result.output
    assert 'skipped: line 3: exam_code: unknown exam code "NOPE"' in result.output
    assert "1 imported" in result.output
    assert ExamResult.select().where(ExamResult.registration_number == "OK-7").exists()
    assert not ExamResult.select().where(ExamResult.registration_number == "BAD-8").exists()
    # The import recomputed Mei: 350-401 earns the Enterprise Core specialist.
    assert held("SPEC-ENCOR", "CSCO10000001").status == "active"


def test_a_file_with_missing_columns_is_refused(app, db, tmp_path):
    path = write(tmp_path, "cols.csv", "login_id,exam_code\nCSCO10000001,200-301\n")
    result = run(app, "import", "exams", path, "--skip-invalid")
    assert result.exit_code != 0
    assert "line 1: missing column(s): email, registration_number, grade, taken_on" in result.output


def test_ce_import_keeps_the_file_name_and_recertifies_when_credits_suffice(app, db, tmp_path):
    ccna = held("CCNA", "CSCO10000000")
    old_expiry = ccna.expires_on
    day = TODAY - timedelta(days=5)
    path = write(
        tmp_path,
        "creq-20261101-101500.csv",
        CE_HEADER
        + f"CSCO10000000,9900001,Cisco CE Credits,10,{day},{add_months(day, 36)},Live,CertMetrics\n"
        + f"CSCO10000000,9900002,Cisco CE Credits,10,{day},,Live,CertMetrics\n",
    )
    result = run(app, "import", "ce", path)
    assert result.exit_code == 0, result.output
    assert "creq-20261101-101500.csv: 2 row(s): 2 imported, 0 already imported" in result.output
    credit = CeCredit.get(CeCredit.external_id == "9900002")
    assert credit.import_source == "creq-20261101-101500.csv"
    assert credit.inactive_on == add_months(day, 36)
    ccna = held("CCNA", "CSCO10000000")
    assert ccna.expires_on == add_months(old_expiry, 36)
    assert ccna.cycle_started_on == day
    assert "Recertified with 30 CE credits" in [e.description for e in ccna.events]
    used = CeCredit.get(CeCredit.external_id == "9900001")
    assert (used.status, used.used_for_id) == ("Used", ccna.id)
    assert run(app, "import", "ce", path).output.count("0 imported, 2 already imported") == 1


def test_ce_errors_name_each_problem(app, db, tmp_path):
    path = write(
        tmp_path,
        "ce-bad.csv",
        CE_HEADER
        + f"NOBODY,1,Cisco CE Credits,5,{TODAY},,P,CertMetrics\n"
        + f"CSCO10000000,2,Cisco CE Credits,0,{TODAY},,P,CertMetrics\n"
        + f"CSCO10000000,3,Cisco CE Credits,five,{TODAY},,P,CertMetrics\n"
        + f"CSCO10000000,4,Cisco CE Credits,5,{TODAY},{TODAY},P,CertMetrics\n"
        + "CSCO10000000,5,Cisco CE Credits,5,,,P,CertMetrics\n",
    )
    before = CeCredit.select().count()
    result = run(app, "import", "ce", path)
    assert result.exit_code != 0
    assert 'line 2: login_id: no candidate has the login ID "NOBODY"' in result.output
    assert 'line 3: points: must be a whole number from 1 to 1000, got "0"' in result.output
    assert 'line 4: points: must be a whole number from 1 to 1000, got "five"' in result.output
    assert "line 5: inactive_on: must be after active_on" in result.output
    assert "line 6: active_on: required" in result.output
    assert CeCredit.select().count() == before


def test_certs_grant_and_refresh(app, db):
    result = run(app, "certs", "grant", "CSCO10000001", "CCNP-ENT", "--date", "2026-01-05")
    assert result.exit_code == 0, result.output
    granted = held("CCNP-ENT", "CSCO10000001")
    assert (granted.status, str(granted.active_on)) == ("active", "2026-01-05")
    assert [e.description for e in granted.events] == ["Manually granted certification"]
    events = CertificationEvent.select().count()
    for _ in range(2):
        refreshed = run(app, "certs", "refresh")
        assert refreshed.exit_code == 0 and "Recomputed" in refreshed.output
    assert CertificationEvent.select().count() == events
    refused = run(app, "certs", "grant", "CSCO10000001", "NOPE")
    assert refused.exit_code != 0 and 'No certification has the code "NOPE"' in refused.output


def test_an_imported_candidate_can_map_themselves_by_email_or_score_report(app, db, tmp_path):
    from certportal.domain.mapping import ONE_UNMAPPED, map_by_score_report, request_by_email

    day = TODAY - timedelta(days=3)
    path = write(
        tmp_path,
        "vue-accents.csv",
        EXAM_HEADER + f"CSCO20000003, Luz.Nunez@Example.com ,Luz,Núñez,200-301,VUE-3,Pass,{day}\n",
    )
    assert run(app, "import", "exams", path).exit_code == 0
    assert request_by_email("luz.nunez@example.com").kind == ONE_UNMAPPED
    outcome = map_by_score_report("NUNEZ", "VUE-3", "luz@example.org")
    notice = outcome.notices[0]
    assert outcome.matched
    assert (notice.kind, notice.candidate.login_id) == (ONE_UNMAPPED, "CSCO20000003")


# -- hostile and malformed files: every bad row is a line error, on SQLite and PostgreSQL ---

EXAM_FIELDS = EXAM_HEADER.strip().split(",")
CE_FIELDS = CE_HEADER.strip().split(",")
DAY = TODAY - timedelta(days=2)


def csv_file(tmp_path, name, header, rows):
    """A CSV file written as a spreadsheet would: quoted where needed, any text at all."""
    path = tmp_path / name
    with path.open("w", newline="", encoding="utf-8") as file:
        writer = csv.writer(file)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def exam_row(number, **changes):
    values = {
        "login_id": "CSCO10000001",
        "email": "wang.mei@certportal.example",
        "first_name": "Mei",
        "last_name": "Wang",
        "exam_code": "200-301",
        "registration_number": number,
        "grade": "Pass",
        "taken_on": f"{DAY}",
        **changes,
    }
    return [values[name] for name in EXAM_FIELDS]


def ce_row(external_id, **changes):
    values = {
        "login_id": "CSCO10000000",
        "external_id": external_id,
        "name": "Cisco CE Credits",
        "points": "5",
        "active_on": f"{DAY}",
        "inactive_on": "",
        "provider_name": "Live",
        "source": "CertMetrics",
        **changes,
    }
    return [values[name] for name in CE_FIELDS]


def assert_no_traceback(result):
    """The command ended by its own choice (exit code and message), never by an exception."""
    assert result.exception is None or isinstance(result.exception, SystemExit), (
        result.exc_info
    )
    assert "Traceback" not in result.output


def stored_numbers():
    return {number for (number,) in ExamResult.select(ExamResult.registration_number).tuples()}


BAD_EXAM_ROWS = {
    # registration number: (changes, the message for its line)
    "FUTURE": ({"taken_on": "9999-12-31"}, "taken_on: 9999-12-31 is in the future"),
    "ANCIENT": ({"taken_on": "0001-01-01"}, "taken_on: 0001-01-01 is before 1990-01-01"),
    "WEEK": ({"taken_on": "2026-W01-1"}, 'taken_on: "2026-W01-1" is not a date (YYYY-MM-DD)'),
    "ORDINAL": ({"taken_on": "2026-001"}, 'taken_on: "2026-001" is not a date (YYYY-MM-DD)'),
    "COMPACT": ({"taken_on": "20260101"}, 'taken_on: "20260101" is not a date (YYYY-MM-DD)'),
    "NUL": ({"last_name": "Wa\x00ng"}, "last_name: contains a control character (\\x00)"),
    "ESC": ({"grade": "\x1b[2J"}, "grade: contains a control character (\\x1b)"),
    "AT": ({"email": "@"}, 'email: "@" is not an email address'),
    "LONG-NAME": ({"first_name": "M" * 101}, "first_name: at most 100 characters, got 101"),
    "LONG-ID": ({"login_id": "C" * 33}, "login_id: at most 32 characters, got 33"),
    "SPACE-ID": ({"login_id": "CSCO 1"}, "login_id: only letters, digits, '.', '_' and '-'"),
    "LONG-EMAIL": (
        {"email": "m" * 64 + "@" + "e" * 186 + ".com"},
        "email: at most 254 characters, got 255",
    ),
}


def test_hostile_exam_rows_are_line_errors_and_nothing_is_imported(app, db, tmp_path):
    rows = [exam_row("GOOD-1")] + [
        exam_row(number, **changes) for number, (changes, _) in BAD_EXAM_ROWS.items()
    ]
    rows.append(exam_row("R" * 65))
    path = csv_file(tmp_path, "hostile.csv", EXAM_FIELDS, rows)
    before = stored_numbers()
    result = run(app, "import", "exams", path)
    assert_no_traceback(result)
    assert result.exit_code == 1
    for line, (_, message) in enumerate(BAD_EXAM_ROWS.values(), start=3):
        assert f"error: line {line}: {message}" in result.output
    assert f"line {len(rows) + 1}: registration_number: at most 64 characters, got 65" in (
        result.output
    )
    assert "\x1b" not in result.output and "\x00" not in result.output
    assert f"{len(BAD_EXAM_ROWS) + 1} error(s); nothing was imported" in result.output
    assert stored_numbers() == before


def test_skip_invalid_imports_the_good_exam_rows_among_hostile_ones(app, db, tmp_path):
    rows = [exam_row(number, **changes) for number, (changes, _) in BAD_EXAM_ROWS.items()]
    rows.insert(3, exam_row("GOOD-1"))
    rows.append(exam_row("GOOD-2", login_id="csco30000001", email="new@example.com"))
    path = csv_file(tmp_path, "hostile.csv", EXAM_FIELDS, rows)
    before = stored_numbers()
    result = run(app, "import", "exams", path, "--skip-invalid")
    assert_no_traceback(result)
    assert result.exit_code == 0, result.output
    assert result.output.count("skipped: line ") == len(BAD_EXAM_ROWS)
    assert "skipped: line 5: " not in result.output  # GOOD-1's line
    assert "2 imported" in result.output and "1 new candidate record(s)" in result.output
    assert stored_numbers() == before | {"GOOD-1", "GOOD-2"}
    assert Candidate.get(Candidate.login_id == "CSCO30000001").program_id == "CSCO30000001"


def test_values_as_long_as_their_columns_are_stored_whole(app, db, tmp_path):
    email = "m" * 64 + "@" + "e" * 185 + ".com"
    row = exam_row(
        "N" * 64, login_id="L" * 32, email=email, first_name="F" * 100, last_name="Ł" * 100
    )
    path = csv_file(tmp_path, "longest.csv", EXAM_FIELDS, [row])
    result = run(app, "import", "exams", path)
    assert result.exit_code == 0, result.output
    created = Candidate.get(Candidate.login_id == "L" * 32)
    assert (created.email, created.first_name, created.last_name) == (email, "F" * 100, "Ł" * 100)
    assert ExamResult.get(ExamResult.registration_number == "N" * 64).candidate_id == created.id
    row = ce_row(
        "X" * 64, name="N" * 200, provider_name="P" * 200, source="S" * 64, login_id="L" * 32
    )
    path = csv_file(tmp_path, "longest-ce.csv", CE_FIELDS, [row])
    result = run(app, "import", "ce", path)
    assert result.exit_code == 0, result.output
    credit = CeCredit.get(CeCredit.external_id == "X" * 64)
    assert (credit.name, credit.provider_name, credit.source) == ("N" * 200, "P" * 200, "S" * 64)


BAD_CE_ROWS = {
    "FUTURE": ({"active_on": "9999-01-01"}, "active_on: 9999-01-01 is in the future"),
    "FAR": ({"inactive_on": "9999-12-31"}, "inactive_on: at most 10 years after active_on"),
    "WEEK": ({"active_on": "2026-W01-1"}, 'active_on: "2026-W01-1" is not a date (YYYY-MM-DD)'),
    "INT": ({"points": "2147483648"}, 'points: must be a whole number from 1 to 1000, got "2'),
    "BIG": ({"points": "9" * 5000}, 'points: must be a whole number from 1 to 1000, got "99'),
    "UNDERSCORE": ({"points": "1_000"}, 'points: must be a whole number from 1 to 1000, got "1_'),
    "PLUS": ({"points": "+5"}, 'points: must be a whole number from 1 to 1000, got "+5"'),
    "ARABIC": ({"points": "١٢"}, 'points: must be a whole number from 1 to 1000, got "١٢"'),
    "NUL": ({"name": "Cisco\x00CE"}, "name: contains a control character (\\x00)"),
    "LONG-NAME": ({"name": "N" * 201}, "name: at most 200 characters, got 201"),
    "LONG-SOURCE": ({"source": "S" * 65}, "source: at most 64 characters, got 65"),
    "LONG-PROVIDER": ({"provider_name": "P" * 201}, "provider_name: at most 200 characters"),
}


def test_hostile_ce_rows_are_line_errors_and_good_ones_import_with_skip_invalid(
    app, db, tmp_path
):
    rows = [ce_row(external_id, **changes) for external_id, (changes, _) in BAD_CE_ROWS.items()]
    rows.append(ce_row("E" * 65))
    rows.append(ce_row("GOOD-CE", login_id="csco10000000"))
    path = csv_file(tmp_path, "ce-hostile.csv", CE_FIELDS, rows)
    before = CeCredit.select().count()
    refused = run(app, "import", "ce", path)
    assert_no_traceback(refused)
    assert refused.exit_code == 1
    for line, (_, message) in enumerate(BAD_CE_ROWS.values(), start=2):
        assert f"error: line {line}: {message}" in refused.output
    assert f"line {len(rows)}: external_id: at most 64 characters, got 65" in refused.output
    assert CeCredit.select().count() == before
    result = run(app, "import", "ce", path, "--skip-invalid")
    assert_no_traceback(result)
    assert result.exit_code == 0, result.output
    assert result.output.count("skipped: line ") == len(BAD_CE_ROWS) + 1
    assert "1 imported" in result.output
    credit = CeCredit.get(CeCredit.external_id == "GOOD-CE")
    assert credit.candidate.login_id == "CSCO10000000"
    assert CeCredit.select().count() == before + 1


def test_a_login_id_in_another_case_is_the_same_candidate(app, db, tmp_path):
    mei = Candidate.get(Candidate.login_id == "CSCO10000001")
    candidates = Candidate.select().count()
    rows = [
        exam_row("CASE-1", login_id="csco10000001", email="other@example.com"),
        exam_row("CASE-2", login_id="Csco10000001"),
        exam_row("CASE-3", login_id="csco30000002", email="first@example.com"),
        exam_row("CASE-4", login_id="CSCO30000002", email="second@example.com"),
    ]
    path = csv_file(tmp_path, "cases.csv", EXAM_FIELDS, rows)
    result = run(app, "import", "exams", path)
    assert result.exit_code == 0, result.output
    assert "4 imported" in result.output and "1 new candidate record(s)" in result.output
    assert Candidate.select().count() == candidates + 1
    for number in ("CASE-1", "CASE-2"):
        assert ExamResult.get(ExamResult.registration_number == number).candidate_id == mei.id
    assert Candidate.get_by_id(mei.id).email == mei.email  # the file does not change it
    created = Candidate.get(Candidate.login_id == "CSCO30000002")
    assert created.email == "first@example.com"
    assert {r.registration_number for r in created.exam_results} == {"CASE-3", "CASE-4"}
    assert not Candidate.select().where(Candidate.login_id == "csco30000002").exists()


def test_a_ce_row_and_a_grant_find_the_candidate_in_any_case(app, db, tmp_path):
    row = ce_row("CASE-CE", login_id="csco10000000")
    path = csv_file(tmp_path, "ce-case.csv", CE_FIELDS, [row])
    assert run(app, "import", "ce", path).exit_code == 0
    assert CeCredit.get(CeCredit.external_id == "CASE-CE").candidate.login_id == "CSCO10000000"
    granted = run(app, "certs", "grant", "csco10000001", "CCNP-ENT", "--date", f"{DAY}")
    assert granted.exit_code == 0, granted.output
    assert held("CCNP-ENT", "CSCO10000001").status == "active"


def test_a_new_login_id_that_is_another_candidates_program_id_is_a_line_error(app, db, tmp_path):
    Candidate.create(
        login_id="LEGACY-1", program_id="CSCO40000001", email="legacy@example.com",
        email_key="legacy@example.com",
    )
    rows = [exam_row("PROG-1", login_id="csco40000001"), exam_row("PROG-2")]
    path = csv_file(tmp_path, "program.csv", EXAM_FIELDS, rows)
    result = run(app, "import", "exams", path, "--skip-invalid")
    assert_no_traceback(result)
    assert result.exit_code == 0, result.output
    assert (
        'skipped: line 2: login_id: "CSCO40000001" is the program ID of another candidate'
        in result.output
    )
    assert "PROG-2" in stored_numbers() and "PROG-1" not in stored_numbers()


def test_duplicate_header_columns_refuse_the_file_naming_them(app, db, tmp_path):
    header = [*EXAM_FIELDS, "Email", "grade "]
    path = csv_file(tmp_path, "dup.csv", header, [[*exam_row("DUP-1"), "x@example.com", "Fail"]])
    result = run(app, "import", "exams", path, "--skip-invalid")
    assert_no_traceback(result)
    assert result.exit_code == 1
    assert "error: line 1: column(s) given more than once: email, grade" in result.output
    assert "DUP-1" not in stored_numbers()


def test_header_problems_are_shown_safely(app, db, tmp_path):
    header = [name for name in EXAM_FIELDS if name != "grade"] + ["gr\x00ade", "\x1b]0;x"]
    path = csv_file(tmp_path, "header.csv", header, [])
    result = run(app, "import", "exams", path)
    assert_no_traceback(result)
    assert "error: line 1: missing column(s): grade" in result.output
    assert 'error: line 1: unknown column(s): "gr\\x00ade", "\\x1b]0;x"' in result.output
    assert "\x00" not in result.output and "\x1b" not in result.output


def test_a_header_of_many_unknown_columns_lists_ten_of_them(app, db, tmp_path):
    header = [*EXAM_FIELDS] + [f"extra{n}" for n in range(5000)]
    path = csv_file(tmp_path, "wide.csv", header, [])
    result = run(app, "import", "exams", path)
    assert_no_traceback(result)
    listed = ", ".join(f'"extra{n}"' for n in range(10))
    assert f"error: line 1: unknown column(s): {listed} and 4990 more\n" in result.output


def test_rows_the_csv_reader_cannot_read_are_line_errors(app, db, tmp_path):
    path = tmp_path / "broken.csv"
    path.write_text(
        EXAM_HEADER
        + ",".join(exam_row("OK-A")) + "\n"
        + '"' + "x" * 200_000 + '",a,b,c,d,e,f,g\n'
        + ",".join(exam_row("OK-B")) + "\n"
        + ",".join(exam_row("SHORT"))[:30] + "\n"
        + ",,,,,,,\n"  # a spreadsheet's empty row: skipped
        + ",,,,,\x1c,,\n"  # white space to str.strip(), a control character all the same
        + "X,X,X,X,X,X,X,X\n",
        encoding="utf-8",
    )
    result = run(app, "import", "exams", path, "--skip-invalid")
    assert_no_traceback(result)
    assert result.exit_code == 0, result.output
    assert "skipped: line 3: not valid CSV (field larger than field limit" in result.output
    assert "skipped: line 5: expected 8 fields, found 2" in result.output
    assert "line 6" not in result.output
    assert (
        "skipped: line 7: registration_number: contains a control character (\\x1c); "
        "login_id: required"
    ) in result.output
    assert 'skipped: line 8: email: "X" is not an email address' in result.output
    assert {"OK-A", "OK-B"} <= stored_numbers()


def test_an_unreadable_file_is_a_message_not_a_traceback(app, db, tmp_path, monkeypatch):
    path = csv_file(tmp_path, "locked.csv", EXAM_FIELDS, [exam_row("LOCKED-1")])

    def refuse(self):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(type(path), "read_bytes", refuse)
    result = run(app, "import", "exams", path)
    assert_no_traceback(result)
    assert result.exit_code == 1
    assert "locked.csv: cannot be read (Permission denied); nothing was imported" in result.output


def test_a_file_that_is_not_utf8_is_refused(app, db, tmp_path):
    path = tmp_path / "latin1.csv"
    path.write_bytes((EXAM_HEADER + ",".join(exam_row("LATIN-1", last_name="Núñez"))).encode(
        "latin-1"
    ))
    result = run(app, "import", "exams", path, "--skip-invalid")
    assert_no_traceback(result)
    assert "error: line 1: the file is not UTF-8 text" in result.output
    assert "LATIN-1" not in stored_numbers()


# A row of arbitrary text, or of nearly-valid values: whatever it holds, importing it ends in
# a report (imported, already there, or a line error), never an exception, on either engine.
junk_text = st.text(st.characters(codec="utf-8"), max_size=80)
printable = st.text(
    st.characters(codec="utf-8", exclude_categories=("Cc", "Cs", "Zl", "Zp")), max_size=70
)
recent = st.dates(date(1990, 1, 1), TODAY).map(date.isoformat)
# Per column: values that pass, and values close to passing that must not.
valid = {
    "login_id": st.sampled_from(["CSCO10000000", "csco10000001", "CSCO5", "c.5-x_y"]),
    "email": st.sampled_from(["x@example.com", "é@exämple.org"]),
    "first_name": st.sampled_from(["", "Ana", "\u202eevil", "F" * 100]),
    "last_name": st.sampled_from(["", "Núñez", "Ł" * 100]),
    "exam_code": st.sampled_from(["200-301", "350-401"]),
    "registration_number": printable.filter(lambda text: 0 < len(text.strip()) <= 64),
    "grade": st.sampled_from(["Pass", "Fail"]),
    "taken_on": recent,
    "external_id": printable.filter(lambda text: 0 < len(text.strip()) <= 64),
    "name": st.sampled_from(["Cisco CE Credits", "N" * 200]),
    "points": st.integers(1, 1000).map(str),
    "active_on": recent,
    "inactive_on": st.just(""),
    "provider_name": st.sampled_from(["", "Live", "P" * 200]),
    "source": st.sampled_from(["", "CertMetrics", "S" * 64]),
}
odd = {
    "login_id": st.sampled_from(["c" * 33, "a@b.c", "CSCO 1", "ＣＳＣＯ１"]),
    "email": st.sampled_from(["@", "a@b", "x" * 300, "a@b.c\n"]),
    "first_name": st.just("N" * 101),
    "last_name": st.sampled_from(["\ufb03" * 40, "L" * 101]),
    "exam_code": st.sampled_from(["999-999", ""]),
    "registration_number": printable,
    "grade": st.sampled_from(["pass", "", "Passed"]),
    "taken_on": st.one_of(st.dates().map(date.isoformat), st.sampled_from(["2026-W01-1"])),
    "external_id": printable,
    "name": st.sampled_from(["N" * 201, ""]),
    "points": st.one_of(
        st.integers(-10, 2**40).map(str), st.sampled_from(["1_000", "+5", "١٢", "1 0"])
    ),
    "active_on": st.dates().map(date.isoformat),
    "inactive_on": st.dates().map(date.isoformat),
    "provider_name": st.just("P" * 201),
    "source": st.just("S" * 65),
}


def rows_for(fields):
    plausible = st.tuples(*(valid[name] for name in fields))
    anything = st.tuples(*(st.one_of(valid[name], odd[name], junk_text) for name in fields))
    return st.lists(st.one_of(plausible, anything), max_size=6)


def check_accounting(report):
    event("some rows imported" if report.imported else "nothing imported")
    assert report.imported + report.unchanged + len(report.errors) == report.rows
    assert all(line >= 2 and message for line, message in report.errors)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(rows=rows_for(EXAM_FIELDS))
def test_any_exam_rows_end_in_a_report_never_an_exception(app, db, tmp_path, rows):
    path = csv_file(tmp_path, "junk.csv", EXAM_FIELDS, rows)
    check_accounting(import_exams(path, TODAY, skip_invalid=True))


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(rows=rows_for(CE_FIELDS))
def test_any_ce_rows_end_in_a_report_never_an_exception(app, db, tmp_path, rows):
    path = csv_file(tmp_path, "junk-ce.csv", CE_FIELDS, rows)
    check_accounting(import_ce(path, TODAY, skip_invalid=True))


# -- what mutation testing showed the tests above left unchecked -------------------------


def test_files_without_the_optional_columns_import_with_their_defaults(app, db, tmp_path):
    required = [name for name in EXAM_FIELDS if name not in ("first_name", "last_name")]
    row = exam_row("BARE-1", login_id="CSCO30000009", email="bare@example.com")
    values = dict(zip(EXAM_FIELDS, row, strict=True))
    path = csv_file(tmp_path, "bare.csv", required, [[values[name] for name in required]])
    result = run(app, "import", "exams", path)
    assert result.exit_code == 0, result.output
    created = Candidate.get(Candidate.login_id == "CSCO30000009")
    assert (created.first_name, created.last_name, created.last_name_key) == ("", "", "")
    batch = ExamResult.get(ExamResult.registration_number == "BARE-1").import_batch
    assert (batch.kind, batch.row_count) == ("exams", 1)

    required = ["login_id", "external_id", "name", "points", "active_on"]
    path = csv_file(
        tmp_path, "bare-ce.csv", required, [["CSCO10000000", "BARE-CE", "CE", "3", f"{DAY}"]]
    )
    result = run(app, "import", "ce", path)
    assert result.exit_code == 0, result.output
    credit = CeCredit.get(CeCredit.external_id == "BARE-CE")
    assert (credit.source, credit.provider_name, credit.points) == ("Import", "", 3)
    assert (credit.active_on, credit.inactive_on) == (DAY, add_months(DAY, 36))
    assert (credit.import_batch.kind, credit.import_batch.row_count) == ("ce", 1)


def test_only_a_passed_exam_that_lapses_has_an_expiration(app, db, tmp_path):
    rows = [
        exam_row("LAPSES", grade="Pass"),
        exam_row("FAILED", grade="Fail"),
        exam_row("LAB", exam_code="LAB-CCIE-EI", grade="Pass"),
    ]
    path = csv_file(tmp_path, "expiry.csv", EXAM_FIELDS, rows)
    assert run(app, "import", "exams", path).exit_code == 0
    expires = {
        result.registration_number: result.expires_on
        for result in ExamResult.select().where(
            ExamResult.registration_number.in_(["LAPSES", "FAILED", "LAB"])
        )
    }
    assert expires == {"LAPSES": add_months(DAY, 36), "FAILED": None, "LAB": None}


def test_an_empty_file_or_an_unreadable_header_is_refused(app, db, tmp_path):
    empty = write(tmp_path, "empty.csv", "")
    result = run(app, "import", "exams", empty, "--skip-invalid")
    assert_no_traceback(result)
    assert "error: line 1: the file is empty; expected a header line" in result.output
    huge = write(tmp_path, "huge-header.csv", '"' + "h" * 200_000 + '",login_id\n')
    result = run(app, "import", "ce", huge, "--skip-invalid")
    assert_no_traceback(result)
    assert "error: line 1: the header line is not valid CSV (field larger than" in result.output


def test_a_file_name_the_batch_cannot_keep_refuses_the_file(app, db, tmp_path):
    row = exam_row("NAMED-1")
    longest = csv_file(tmp_path, "n" * 251 + ".csv", EXAM_FIELDS, [row])
    assert len(longest.name) == ImportBatch.filename.max_length
    result = run(app, "import", "exams", longest)
    assert result.exit_code == 0, result.output
    assert ImportBatch.get(ImportBatch.filename == longest.name).row_count == 1
    escape = csv_file(tmp_path, "vue\x1b[2J.csv", EXAM_FIELDS, [exam_row("NAMED-2")])
    result = run(app, "import", "exams", escape)
    assert_no_traceback(result)
    assert result.exit_code == 1
    assert (
        'error: file name: at most 255 characters and no control characters, got "vue\\x1b[2J.csv"'
        in result.output
    )
    assert "NAMED-2" not in stored_numbers()
    delete = csv_file(tmp_path, "ce\x7f.csv", CE_FIELDS, [ce_row("NAMED")])
    result = run(app, "import", "ce", delete)
    assert_no_traceback(result)
    assert 'no control characters, got "ce\\x7f.csv"' in result.output
    assert not CeCredit.select().where(CeCredit.external_id == "NAMED").exists()


def test_a_row_another_import_stored_meanwhile_refuses_the_whole_file(
    app, db, tmp_path, monkeypatch
):
    from certportal.domain import imports

    first = csv_file(tmp_path, "first.csv", EXAM_FIELDS, [exam_row("RACE-1")])
    assert run(app, "import", "exams", first).exit_code == 0
    lookup = imports._lookup

    def stale_lookup(model_field, values, *selected):
        # As if the other import committed between this one's lookup and its insert.
        if model_field is ExamResult.registration_number:
            return []
        return lookup(model_field, values, *selected)

    monkeypatch.setattr(imports, "_lookup", stale_lookup)
    rows = [
        exam_row("RACE-2", login_id="CSCO30000010", email="race@example.com"),
        exam_row("RACE-1"),
    ]
    second = csv_file(tmp_path, "second.csv", EXAM_FIELDS, rows)
    candidates, results = Candidate.select().count(), ExamResult.select().count()
    result = run(app, "import", "exams", second)
    assert_no_traceback(result)
    assert result.exit_code == 1
    assert (
        "error: another import stored some of these rows at the same time; nothing was "
        "imported from this file, run it again"
    ) in result.output
    assert "line 0" not in result.output
    assert (Candidate.select().count(), ExamResult.select().count()) == (candidates, results)
    with pytest.raises(ImportRefused) as refused:
        import_exams(second, TODAY)
    assert (refused.value.report.imported, refused.value.report.created_candidates) == (0, 0)


def test_files_longer_than_one_lookup_chunk_find_every_stored_row(app, db, tmp_path):
    count = CHUNK + 100
    logins = [f"CSCO6{n:07d}" for n in range(count)]

    def file(name, prefix):
        rows = [
            exam_row(f"{prefix}-{n}", login_id=login, email=f"c{n}@example.com", grade="Fail")
            for n, login in enumerate(logins)
        ]
        return csv_file(tmp_path, name, EXAM_FIELDS, rows)

    first = run(app, "import", "exams", file("first.csv", "A"))
    assert f"{count} new candidate record(s)" in first.output, first.output
    second = run(app, "import", "exams", file("second.csv", "B"))
    assert second.exit_code == 0, second.output
    assert f"{count} imported" in second.output and "new candidate" not in second.output
    again = run(app, "import", "exams", file("second.csv", "B"))
    assert f"0 imported, {count} already imported" in again.output, again.output


def test_a_ce_key_twice_in_one_file_is_a_line_error(app, db, tmp_path):
    rows = [ce_row("TWICE"), ce_row("TWICE", source="Other"), ce_row("TWICE")]
    path = csv_file(tmp_path, "twice.csv", CE_FIELDS, rows)
    result = run(app, "import", "ce", path, "--skip-invalid")
    assert result.exit_code == 0, result.output
    assert 'skipped: line 4: external_id: "TWICE" is also on line 2' in result.output
    assert "2 imported" in result.output
    sources = {c.source for c in CeCredit.select().where(CeCredit.external_id == "TWICE")}
    assert sources == {"CertMetrics", "Other"}


def test_without_skip_invalid_the_domain_refuses_a_file_with_a_bad_row(db, tmp_path):
    rows = [exam_row("API-1"), exam_row("API-2", grade="x")]
    path = csv_file(tmp_path, "api.csv", EXAM_FIELDS, rows)
    with pytest.raises(ImportRefused) as refused:
        import_exams(path, TODAY)
    assert refused.value.report.error_lines() == ['line 3: grade: must be Pass or Fail, got "x"']
    path = csv_file(tmp_path, "api-ce.csv", CE_FIELDS, [ce_row("API-3", points="0")])
    with pytest.raises(ImportRefused):
        import_ce(path, TODAY)
    assert "API-1" not in stored_numbers()
