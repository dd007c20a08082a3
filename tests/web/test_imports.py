"""CSV imports of exam results and CE credits (F29) through the CLI, and manual grants."""

from datetime import date, timedelta

from certportal.domain.lifecycle import add_months
from certportal.models import (
    Candidate,
    CandidateCertification,
    CeCredit,
    Certification,
    CertificationEvent,
    ExamResult,
    ImportBatch,
)

EXAM_HEADER = "login_id,email,first_name,last_name,exam_code,registration_number,grade,taken_on\n"
CE_HEADER = "login_id,external_id,name,points,active_on,inactive_on,provider_name,source\n"
TODAY = date.today()


def run(app, *args):
    return app.test_cli_runner().invoke(args=[str(a) for a in args])


def write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text)
    return path


def held(login_id, code):
    return CandidateCertification.get(
        (CandidateCertification.candidate == Candidate.get(Candidate.login_id == login_id).id)
        & (CandidateCertification.certification == Certification.get(Certification.code == code))
    )


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
    assert "2 imported" in result.output and "2 new candidate record(s)" in result.output
    ana = Candidate.get(Candidate.login_id == "CSCO20000001")
    assert (ana.email, ana.last_name, ana.password_hash) == ("ana.silva@example.com", "Silva", None)
    ccna = held("CSCO20000001", "CCNA")
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
    assert held("CSCO10000001", "SPEC-ENCOR").status == "active"


def test_a_file_with_missing_columns_is_refused(app, db, tmp_path):
    path = write(tmp_path, "cols.csv", "login_id,exam_code\nCSCO10000001,200-301\n")
    result = run(app, "import", "exams", path, "--skip-invalid")
    assert result.exit_code != 0
    assert "line 1: missing column(s): email, registration_number, grade, taken_on" in result.output


def test_ce_import_keeps_the_file_name_and_recertifies_when_credits_suffice(app, db, tmp_path):
    ccna = held("CSCO10000000", "CCNA")
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
    credit = CeCredit.get(CeCredit.external_id == "9900002")
    assert credit.import_source == "creq-20261101-101500.csv"
    assert credit.inactive_on == add_months(day, 36)
    ccna = held("CSCO10000000", "CCNA")
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
    assert 'line 3: points: must be a positive whole number, got "0"' in result.output
    assert 'line 4: points: must be a positive whole number, got "five"' in result.output
    assert "line 5: inactive_on: must be after active_on" in result.output
    assert "line 6: active_on: required" in result.output
    assert CeCredit.select().count() == before


def test_certs_grant_and_refresh(app, db):
    result = run(app, "certs", "grant", "CSCO10000001", "CCNP-ENT", "--date", "2026-01-05")
    assert result.exit_code == 0, result.output
    granted = held("CSCO10000001", "CCNP-ENT")
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
    notice = map_by_score_report("NUNEZ", "VUE-3", "luz@example.org")
    assert (notice.kind, notice.candidate.login_id) == (ONE_UNMAPPED, "CSCO20000003")
