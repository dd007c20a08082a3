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

It prints elapsed and CPU seconds, rows and the ratio of each run's CPU time to the baseline's
(on a loaded machine the steadier figure), appends them to bench/results/history.csv, and
deletes the reminders and emails it wrote.
"""

import argparse
import os
import sys
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import partial
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import dataset  # noqa: E402
import harness  # noqa: E402

from certportal.db import (  # noqa: E402
    bind,
    database,
    is_sqlite,
    release_connections,
    upgrade_schema,
)
from certportal.domain.lifecycle import add_months  # noqa: E402
from certportal.models import (  # noqa: E402
    CandidateCertification,
    Certification,
    Exam,
    ExamResult,
    ExpiryReminder,
    OutgoingEmail,
)

CHUNK = 20_000
SPREAD_DAYS = 3 * 365


def _bench_ids() -> tuple[int, int]:
    first = database.execute_sql(
        f"SELECT MIN(id), MAX(id) FROM candidate WHERE login_id LIKE {database.param}",  # noqa: S608
        ("BNCH%",),
    ).fetchone()
    return first[0] or 0, first[1] or -1


def prepare(today: date) -> int:
    """Give each bench candidate an active CCNA (once); returns how many were added."""
    ccna = Certification.get(Certification.code == "CCNA")
    exam = Exam.get(Exam.code == "200-301")
    low, high = _bench_ids()
    if CandidateCertification.select().where(CandidateCertification.candidate == low).exists():
        return 0
    if is_sqlite():
        insert = dataset._insert_rows
    else:
        cursor = database.connection().cursor()
        insert = partial(dataset._copy_rows, cursor)
    added = 0
    now = datetime.now().isoformat(sep=" ")
    for start in range(low, high + 1, CHUNK):
        ids = range(start, min(start + CHUNK, high + 1))
        exams, held = [], []
        for candidate_id in ids:
            expires = (today + timedelta(days=candidate_id % SPREAD_DAYS)).isoformat()
            earned = add_months(today + timedelta(days=candidate_id % SPREAD_DAYS), -36)
            exams.append({"created_at": now, "candidate_id": candidate_id, "exam_id": exam.id,
                          "registration_number": f"REM{candidate_id:09d}", "grade": "Pass",
                          "taken_on": earned.isoformat(), "expires_on": expires})
            held.append({"created_at": now, "candidate_id": candidate_id,
                         "certification_id": ccna.id, "status": "active",
                         "first_earned_on": earned.isoformat(),
                         "active_on": earned.isoformat(), "expires_on": expires,
                         "cycle_started_on": earned.isoformat(),
                         "verification_code": f"BR{candidate_id:014d}",
                         "badge_id": f"BRB{candidate_id:017d}", "revocation_reason": "",
                         "updated_at": now})
        with database.atomic():
            insert(ExamResult, exams)
            insert(CandidateCertification, held)
        added += len(held)
        print(f"  prepared {added:>9,} certifications", file=sys.stderr, flush=True)
    if added and not is_sqlite():
        database.execute_sql("VACUUM (ANALYZE)")
    return added


@dataclass(frozen=True)
class Spent:
    """Elapsed and CPU seconds of this process (SQLite works in it; on a loaded machine the
    CPU time is the steadier figure)."""

    wall: float
    cpu: float


class Stopwatch:
    def __enter__(self):
        self.wall, self.cpu = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *exc_info):
        self.spent = Spent(time.perf_counter() - self.wall, time.process_time() - self.cpu)


def plain_select(today: date) -> tuple[Spent, int]:
    """The baseline: the same rows the run reads, in one query, fetched whole."""
    with Stopwatch() as watch:
        rows = _window_rows(today)
    return watch.spent, len(rows)


def _window_rows(today: date) -> list:
    mark = database.param
    return database.execute_sql(
        "SELECT cc.id, cc.candidate_id, cc.expires_on, c.code, c.name, c.abbreviation,"  # noqa: S608
        " p.email, p.first_name, p.last_name, p.expiry_reminders"
        " FROM candidate_certification cc"
        " JOIN certification c ON c.id = cc.certification_id"
        " JOIN candidate p ON p.id = cc.candidate_id"
        f" WHERE cc.status = 'active' AND cc.expires_on >= {mark} AND cc.expires_on <= {mark}"
        " ORDER BY cc.expires_on, cc.id",
        (today.isoformat(), (today + timedelta(days=180)).isoformat()),
    ).fetchall()


def reminder_run(app, today: date):
    """One run as the CLI does it (links are built like a request's)."""
    from certportal import notifications
    from certportal.domain.reminders import send_due_reminders

    with Stopwatch() as watch, app.test_request_context("/", base_url=app.config["BASE_URL"]):
        run = send_due_reminders(today, notifications.expiry_reminders)
    return watch.spent, run


def clean_up() -> None:
    with database.atomic():
        ExpiryReminder.delete().execute()
        OutgoingEmail.delete().where(OutgoingEmail.kind == "expiry_reminder").execute()


def _ensure_postgres(url: str, candidates: int) -> None:
    """Fill the PostgreSQL database with the bench dataset unless it holds it already."""
    bind(url)
    with database.connection_context():
        filled = "candidate" in database.get_tables() and (
            database.execute_sql("SELECT count(*) FROM candidate").fetchone()[0] >= candidates
        )
    release_connections()
    if not filled:
        print(f"filling {candidates:,} candidates into PostgreSQL …", file=sys.stderr)
        print(f"filled in {dataset.generate_postgres(url, candidates):.0f} s", file=sys.stderr)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--candidates", type=int, default=1000)
    parser.add_argument("--database", type=Path, default=None)
    parser.add_argument("--database-url", default="",
                        help="a PostgreSQL database, filled by dataset.generate_postgres if empty")
    args = parser.parse_args(argv)
    if args.database_url:
        url, name, engine = args.database_url, "PostgreSQL", "postgresql"
        _ensure_postgres(url, args.candidates)
    else:
        path = args.database or dataset.ensure(args.candidates)
        url, name, engine = f"sqlite:///{path}", f"SQLite, {path.name}", "sqlite"
    today = date.today()

    from certportal import create_app

    app = create_app({"TESTING": True, "SECRET_KEY": "bench", "RATELIMIT_ENABLED": False,
                      "DATABASE_URL": url, "BASE_URL": "http://localhost"})
    bind(url, app.config)
    with app.app_context():
        # Request teardowns close the connection; each query below reopens it.
        database.connect(reuse_if_open=True)
        upgrade_schema()
        added = prepare(today)
        if added:
            print(f"added {added:,} CCNA certifications ({name})", file=sys.stderr)
        clean_up()
        plain_select(today)  # warm the page cache for both
        baseline, rows = plain_select(today)
        catch_up, first = reminder_run(app, today)
        daily_base, daily_rows = plain_select(today + timedelta(days=1))
        daily, second = reminder_run(app, today + timedelta(days=1))
        clean_up()
    release_connections()

    load = os.getloadavg()
    print(f"reminders, {args.candidates:,} candidates ({name});"
          f" load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    print(f"  {'':35}{'':>15}  {'elapsed':>9}  {'CPU':>9}  {'ratio elapsed':>13}"
          f"  {'ratio CPU':>9}")
    print(f"  {'plain SELECT of the window':35}{rows:>10,} rows  {baseline.wall:8.2f}s"
          f"  {baseline.cpu:8.2f}s")
    for label, spent, base, sent in (
        ("catch-up run (first day)", catch_up, baseline, first.sent),
        ("plain SELECT of the next day", daily_base, daily_base, daily_rows),
        ("daily run (next day)", daily, daily_base, second.sent),
    ):
        what = "rows" if spent is base else "sent"
        print(f"  {label:35}{sent:>10,} {what}  {spent.wall:8.2f}s  {spent.cpu:8.2f}s"
              f"  {spent.wall / base.wall:12.1f}x  {spent.cpu / base.cpu:8.1f}x")
    if engine != "sqlite":
        print("  (CPU is this process's: PostgreSQL's own work is in its server processes)")
    print(f"  per reminder sent (catch-up): {1000 * catch_up.wall / max(first.sent, 1):.2f} ms"
          f" elapsed, {1000 * catch_up.cpu / max(first.sent, 1):.2f} ms CPU")
    commit = harness.git_commit()
    stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    harness.append_csv(ROOT / "bench" / "results" / "history.csv", [
        {"timestamp": stamp, "commit": commit, "benchmark": "reminders",
         "target": target, "candidates": args.candidates, "seconds": f"{spent.wall:.2f}",
         "ratio_to_ceiling": f"{spent.wall / base.wall:.1f}",
         "cpu_ratio_to_ceiling": f"{spent.cpu / base.cpu:.1f}", "database": engine,
         "budget": "run time / SELECT time (minutes, not hours, at 1M)",
         "requests_per_second": f"{sent / spent.wall:.0f}" if spent.wall else "",
         "load_average": f"{load[0]:.2f}"}
        for target, spent, base, sent in (
            ("catch-up run vs plain SELECT", catch_up, baseline, first.sent),
            ("daily run vs plain SELECT", daily, daily_base, second.sent),
        )
    ])


if __name__ == "__main__":
    main()
