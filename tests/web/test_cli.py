"""Command-line tasks: migrations, catalog and demo loading."""

import pytest

from certportal.db import database, is_sqlite
from certportal.models import (
    Candidate,
    CandidateCertification,
    CertificationEvent,
    Exam,
    IssuedCredential,
)
from tests.factories import held


def test_db_upgrade_is_idempotent(app):
    result = app.test_cli_runner().invoke(args=["db", "upgrade"])
    assert result.exit_code == 0
    assert "Applied 0 migration(s): none needed" in result.output


def test_catalog_load_twice_changes_nothing(app):
    result = app.test_cli_runner().invoke(args=["catalog", "load"])
    assert result.exit_code == 0, result.output
    assert "0 created, 0 updated" in result.output


def test_invalid_catalog_is_refused_whole_with_each_error(app, tmp_path, db):
    (tmp_path / "exams.toml").write_text(
        '[[exam]]\ncode = "999-001"\nname = "New exam"\n\n[[exam]]\ncode = "999-002"\n'
    )
    result = app.test_cli_runner().invoke(args=["catalog", "load", str(tmp_path)])
    assert result.exit_code != 0
    assert 'exams.toml: exam "999-002": name' in result.output
    assert "nothing was loaded" in result.output
    assert not Exam.select().where(Exam.code == "999-001").exists()


def test_demo_load_skips_a_database_with_candidates(app, db):
    before = Candidate.select().count()
    result = app.test_cli_runner().invoke(args=["demo", "load"])
    assert result.exit_code == 0
    assert "demo data not loaded" in result.output
    assert Candidate.select().count() == before


def test_sqlite_runs_with_wal_and_foreign_keys(db):
    if not is_sqlite():
        pytest.skip("SQLite settings")
    assert database.execute_sql("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert database.execute_sql("PRAGMA foreign_keys").fetchone()[0] == 1
    assert database.execute_sql("PRAGMA synchronous").fetchone()[0] == 1  # NORMAL


def test_certs_revoke_revokes_once_with_the_reason(app, db):

    runner = app.test_cli_runner()
    args = ["certs", "revoke", "csco10000000", "CCNA", "--reason", "Exam misconduct"]

    first = runner.invoke(args=args)
    again = runner.invoke(args=args)

    assert first.exit_code == 0, first.output
    assert first.output == "Revoked CCNA of CSCO10000000.\n"
    assert again.exit_code == 0 and "already revoked: nothing changed" in again.output
    ccna = held("CCNA")
    assert (ccna.status, ccna.revocation_reason) == ("revoked", "Exam misconduct")
    assert CertificationEvent.select().where(
        (CertificationEvent.candidate_certification == ccna)
        & (CertificationEvent.kind == "revoked")
    ).count() == 1


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["NOBODY", "CCNA", "--reason", "x"], 'No candidate has the login ID "NOBODY".'),
        (["CSCO10000000", "CCDE", "--reason", "x"],
         'CSCO10000000 holds no certification with the code "CCDE".'),
        (["CSCO10000000", "CCNA", "--reason", "  "], "Give the reason"),
        (["CSCO10000000", "CCNA"], "Missing option '--reason'"),
    ],
)
def test_certs_revoke_refuses_with_a_message_and_changes_nothing(app, db, args, message):
    result = app.test_cli_runner().invoke(args=["certs", "revoke", *args])

    assert result.exit_code != 0
    assert message in result.output
    assert "Traceback" not in result.output
    assert not CandidateCertification.select().where(
        CandidateCertification.status == "revoked"
    ).exists()


def test_certs_refresh_issues_badges_still_missing(app, db):
    IssuedCredential.delete().execute()
    # One badge per active certification of the demo candidates.
    active = CandidateCertification.select().where(
        CandidateCertification.status == "active").count()

    first = app.test_cli_runner().invoke(args=["certs", "refresh"])
    again = app.test_cli_runner().invoke(args=["certs", "refresh"])

    assert active >= 5
    assert f"Issued {active} missing badge credential(s)." in first.output
    assert "Issued" not in again.output
    assert IssuedCredential.select().count() == active
