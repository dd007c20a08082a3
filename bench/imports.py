#!/usr/bin/env python3
"""Exam CSV import throughput against a raw executemany of the same rows.

    .venv/bin/python bench/imports.py [--rows 100000] [--candidates 10000]

Builds a fresh database (catalog loaded, CANDIDATES candidate records), writes an exam CSV of
ROWS results for them (about 70% passes, dates over the last three years), then measures in
the same run:

- baseline: one `executemany` of the same rows, already resolved to ids, into exam_result;
- import:   `import_exams(FILE)`: read and check every row, insert, recompute every
            affected candidate's certifications — the whole job, in one transaction.

and prints the import's throughput as a ratio to the baseline's (target >= 0.30). The
baseline is measured before and after the import and the faster run is used. It runs on
SQLite, then on a throwaway PostgreSQL cluster (scripts/with_postgres.py) when PostgreSQL is
installed. Not part of `make test`.
"""

from __future__ import annotations

import argparse
import csv
import os
import random
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

TARGET = 0.30
RAW_INSERT = (
    "INSERT INTO exam_result (candidate_id, exam_id, registration_number, grade, taken_on, "
    "expires_on, import_batch_id, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
)


def build_database(url: str, candidates: int):
    from certportal.cli import CATALOG_DIR
    from certportal.db import bind, database, upgrade_schema
    from certportal.domain.catalog import load_catalog
    from certportal.models import Candidate, utcnow

    bind(url)
    database.connect(reuse_if_open=True)
    upgrade_schema()
    load_catalog(CATALOG_DIR)
    now = utcnow()
    rows = [
        {
            "login_id": f"BENCH{n:08d}",
            "program_id": f"BENCH{n:08d}",
            "email": f"bench{n}@example.com",
            "email_key": f"bench{n}@example.com",
            "last_name": "Bench",
            "last_name_key": "bench",
            "created_at": now,
        }
        for n in range(candidates)
    ]
    with database.atomic():
        for start in range(0, len(rows), 1000):
            Candidate.insert_many(rows[start : start + 1000]).execute()
    return database


def write_csv(path: Path, rows: int, candidates: int, today: date, seed: int = 6):
    from certportal.models import Exam

    rng = random.Random(seed)
    codes = [code for (code,) in Exam.select(Exam.code).where(~Exam.retired).tuples()]
    records = []
    with path.open("w", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(
            [
                "login_id",
                "email",
                "first_name",
                "last_name",
                "exam_code",
                "registration_number",
                "grade",
                "taken_on",
            ]
        )
        for n in range(rows):
            who = rng.randrange(candidates)
            record = (
                f"BENCH{who:08d}",
                f"bench{who}@example.com",
                "Bench",
                "Candidate",
                rng.choice(codes),
                f"BENCH-REG-{n:09d}",
                "Pass" if rng.random() < 0.7 else "Fail",
                (today - timedelta(days=rng.randrange(1, 3 * 365))).isoformat(),
            )
            writer.writerow(record)
            records.append(record)
    return records


def baseline(database, records) -> float:
    """Seconds for one executemany of the rows, ids resolved beforehand, plus commit."""
    from certportal.domain.lifecycle import add_months
    from certportal.models import Candidate, Exam, ExamResult, utcnow

    candidates = dict(Candidate.select(Candidate.login_id, Candidate.id).tuples())
    exams = dict(Exam.select(Exam.code, Exam.id).tuples())
    now = utcnow()
    values = [
        (
            candidates[login],
            exams[code],
            number,
            grade,
            date.fromisoformat(day),
            add_months(date.fromisoformat(day), 36) if grade == "Pass" else None,
            None,
            now,
        )
        for login, _, _, _, code, number, grade, day in records
    ]
    sql = RAW_INSERT if database.param == "?" else RAW_INSERT.replace("?", "%s")
    started = time.perf_counter()
    with database.atomic():
        database.cursor().executemany(sql, values)
    elapsed = time.perf_counter() - started
    ExamResult.delete().execute()
    return elapsed


def run(url: str, label: str, rows: int, candidates: int) -> float:
    """Import against baseline on the database at `url`; prints and returns the ratio."""
    from certportal.domain.imports import import_exams
    from certportal.models import CandidateCertification, CertificationEvent, ExamResult

    today = date.today()
    database = build_database(url, candidates)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "bench-exams.csv"
        records = write_csv(path, rows, candidates, today)
        first = baseline(database, records)
        started = time.perf_counter()
        report = import_exams(path, today)
        imported = time.perf_counter() - started
        assert report.imported == rows and not report.errors, report
        held = CandidateCertification.select().count()
        events = CertificationEvent.select().count()
        # Clean the import away, then the baseline again: the faster baseline is used.
        CertificationEvent.delete().execute()
        CandidateCertification.delete().execute()
        ExamResult.delete().execute()
        second = baseline(database, records)
    base = min(first, second)
    ratio = base / imported
    print(f"[{label}] {rows:,} exam rows for {candidates:,} candidates")
    print(
        f"  baseline executemany : {base:7.2f} s  ({rows / base:10,.0f} rows/s)"
        f"  [runs: {first:.2f} s, {second:.2f} s]"
    )
    print(
        f"  import_exams         : {imported:7.2f} s  ({rows / imported:10,.0f} rows/s)"
        f"  -> {held:,} certifications, {events:,} history events"
    )
    print(
        f"  ratio                : {ratio:.2f}x  (target >= {TARGET:.2f}x: "
        f"{'met' if ratio >= TARGET else 'NOT met'})"
    )
    database.close()
    return ratio


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--candidates", type=int, default=10_000)
    parser.add_argument("--only", choices=["sqlite", "postgresql"])
    args = parser.parse_args()
    if args.only != "postgresql":
        with tempfile.TemporaryDirectory() as folder:
            run(f"sqlite:///{folder}/bench.sqlite3", "SQLite", args.rows, args.candidates)
    if args.only == "postgresql":
        url = os.environ["CERTPORTAL_TEST_DATABASE_URL"]
        run(url, "PostgreSQL", args.rows, args.candidates)
    elif args.only is None:
        check = subprocess.run(
            [sys.executable, str(ROOT / "scripts/with_postgres.py"), "--check"], capture_output=True
        )
        if check.returncode != 0:
            print("[PostgreSQL] not installed: skipped")
            return 0
        return subprocess.call(
            [
                sys.executable,
                str(ROOT / "scripts/with_postgres.py"),
                "--",
                sys.executable,
                __file__,
                "--rows",
                str(args.rows),
                "--candidates",
                str(args.candidates),
                "--only",
                "postgresql",
            ]
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
