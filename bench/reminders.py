"""Expiry reminders at scale: one `reminders send` run against a plain SELECT of the same rows.

    .venv/bin/python bench/reminders.py --candidates 1000
    .venv/bin/python bench/reminders.py --candidates 1000000     # the 1M dataset (see README)

Uses bench/dataset.py's SQLite database (generated if missing) and gives every bench candidate
one CCNA earned by a 200-301 pass, its expiry spread evenly over the next three years, so
about a sixth of them expire within the 180-day window (the rows are added once and kept).
Then, in the same process:

- baseline: a plain SELECT of the active certifications expiring within 180 days with their
  candidates (the rows the run reads), fetched whole;
- the catch-up run: `send_due_reminders` as the CLI runs it on a first day (every certification
  in the window gets its most recent reminder: plan, email queued, reminder recorded);
- the daily run: the next day (only the certifications that entered a window that day).

It prints seconds, rows and the ratio of each run to the baseline, appends them to
bench/results/history.csv, and deletes the reminders and emails it wrote.
"""

import argparse
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import dataset  # noqa: E402
import harness  # noqa: E402

from certportal.db import bind, database, release_connections, upgrade_schema  # noqa: E402
from certportal.domain.lifecycle import add_months  # noqa: E402
from certportal.models import (  # noqa: E402
    CandidateCertification,
    Certification,
    Exam,
    ExpiryReminder,
    OutgoingEmail,
)

CHUNK = 20_000
SPREAD_DAYS = 3 * 365


def _bench_ids() -> tuple[int, int]:
    first = database.execute_sql(
        "SELECT MIN(id), MAX(id) FROM candidate WHERE login_id LIKE 'BNCH%'"
    ).fetchone()
    return first[0] or 0, first[1] or -1


def prepare(today: date) -> int:
    """Give each bench candidate an active CCNA (once); returns how many were added."""
    ccna = Certification.get(Certification.code == "CCNA")
    exam = Exam.get(Exam.code == "200-301")
    low, high = _bench_ids()
    if CandidateCertification.select().where(CandidateCertification.candidate == low).exists():
        return 0
    added = 0
    now = datetime.now().isoformat(sep=" ")
    for start in range(low, high + 1, CHUNK):
        ids = range(start, min(start + CHUNK, high + 1))
        exams, held = [], []
        for candidate_id in ids:
            expires = today + timedelta(days=candidate_id % SPREAD_DAYS)
            earned = add_months(expires, -36)
            exams.append((now, candidate_id, exam.id, f"REM{candidate_id:09d}", "Pass",
                          earned.isoformat(), expires.isoformat()))
            held.append((now, candidate_id, ccna.id, "active", earned.isoformat(),
                         earned.isoformat(), expires.isoformat(), earned.isoformat(),
                         f"BR{candidate_id:014d}", f"BRB{candidate_id:017d}", "", 0, now))
        with database.atomic():
            connection = database.connection()
            connection.executemany(
                "INSERT INTO exam_result (created_at, candidate_id, exam_id, registration_number,"
                " grade, taken_on, expires_on) VALUES (?, ?, ?, ?, ?, ?, ?)", exams)
            connection.executemany(
                "INSERT INTO candidate_certification (created_at, candidate_id, certification_id,"
                " status, first_earned_on, active_on, expires_on, cycle_started_on,"
                " verification_code, badge_id, revocation_reason, initial_kit_claimed,"
                " updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", held)
        added += len(held)
        print(f"  prepared {added:>9,} certifications", file=sys.stderr, flush=True)
    return added


def plain_select(today: date) -> tuple[float, int]:
    """The baseline: the same rows the run reads, in one query, fetched whole."""
    started = time.perf_counter()
    rows = database.execute_sql(
        "SELECT cc.id, cc.candidate_id, cc.expires_on, c.code, c.name, c.abbreviation,"
        " p.email, p.first_name, p.last_name, p.expiry_reminders"
        " FROM candidate_certification cc"
        " JOIN certification c ON c.id = cc.certification_id"
        " JOIN candidate p ON p.id = cc.candidate_id"
        " WHERE cc.status = 'active' AND cc.expires_on >= ? AND cc.expires_on <= ?"
        " ORDER BY cc.expires_on, cc.id",
        (today.isoformat(), (today + timedelta(days=180)).isoformat()),
    ).fetchall()
    return time.perf_counter() - started, len(rows)


def reminder_run(app, today: date):
    """One run as the CLI does it (links are built like a request's)."""
    from certportal import notifications
    from certportal.domain.reminders import send_due_reminders

    started = time.perf_counter()
    with app.test_request_context("/", base_url=app.config["BASE_URL"]):
        run = send_due_reminders(today, notifications.expiry_reminder)
    return time.perf_counter() - started, run


def clean_up() -> None:
    with database.atomic():
        ExpiryReminder.delete().execute()
        OutgoingEmail.delete().where(OutgoingEmail.kind == "expiry_reminder").execute()


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--candidates", type=int, default=1000)
    parser.add_argument("--database", type=Path, default=None)
    args = parser.parse_args(argv)
    path = args.database or dataset.ensure(args.candidates)
    today = date.today()

    from certportal import create_app

    app = create_app({"TESTING": True, "SECRET_KEY": "bench", "RATELIMIT_ENABLED": False,
                      "DATABASE_URL": f"sqlite:///{path}", "BASE_URL": "http://localhost"})
    bind(f"sqlite:///{path}", app.config)
    with app.app_context():
        # Request teardowns close the connection; each query below reopens it.
        database.connect(reuse_if_open=True)
        upgrade_schema()
        added = prepare(today)
        if added:
            print(f"added {added:,} CCNA certifications to {path.name}", file=sys.stderr)
        clean_up()
        plain_select(today)  # warm the page cache for both
        baseline, rows = plain_select(today)
        catch_up, first = reminder_run(app, today)
        daily_base, daily_rows = plain_select(today + timedelta(days=1))
        daily, second = reminder_run(app, today + timedelta(days=1))
        clean_up()
    release_connections()

    print(f"reminders, {args.candidates:,} candidates ({path.name}), SQLite")
    print(f"  plain SELECT of the window's rows  {rows:>9,} rows  {baseline:8.2f} s")
    print(f"  catch-up run (first day)           {first.sent:>9,} sent  {catch_up:8.2f} s"
          f"  {catch_up / baseline:8.1f}x the SELECT")
    print(f"  daily run (next day)               {second.sent:>9,} sent  {daily:8.2f} s"
          f"  {daily / daily_base:8.1f}x the SELECT of the same rows ({daily_base:.2f} s)")
    print(f"  per reminder sent: {1000 * catch_up / max(first.sent, 1):.2f} ms")
    commit = harness.git_commit()
    stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    harness.append_csv(ROOT / "bench" / "results" / "history.csv", [
        {"timestamp": stamp, "commit": commit, "benchmark": "reminders",
         "target": target, "candidates": args.candidates, "seconds": f"{seconds:.2f}",
         "ratio_to_ceiling": f"{seconds / base:.1f}", "database": "sqlite",
         "budget": "run time / SELECT time (minutes, not hours, at 1M)",
         "requests_per_second": f"{sent / seconds:.0f}" if seconds else ""}
        for target, seconds, base, sent in (
            ("catch-up run vs plain SELECT", catch_up, baseline, first.sent),
            ("daily run vs plain SELECT", daily, daily_base, second.sent),
        )
    ])


if __name__ == "__main__":
    main()
