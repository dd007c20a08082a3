"""Command-line tasks: migrations, catalog and demo loading."""

import pytest

from certportal.db import database, is_sqlite
from certportal.models import Candidate, Exam


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
