#!/usr/bin/env python3
"""Digital badges: issuing one credential, and the public badge page under load.

    .venv/bin/python bench/badges.py [--candidates 1000] [--seconds 10] [--rounds 200]

On a copy of the benchmark database (bench/dataset.py, 1,000 candidates by default) whose
active certifications get their badges first:

- in process: issuing one badge as the engine does it (`badges.issue_current`: read the
  certification, allocate a status position, build and sign the credential, store it), the
  median over ROUNDS, as a multiple of a bare Flask "hello" request through the test client;
- served (gunicorn, 2 sync workers, wrk with 8 connections, as `make bench`): the public
  badge page `/badges/<id>`, its 304 revalidation and status list 1, each as a ratio to the
  bare Flask ceiling measured in the same run (before and after, averaged). The badge page's
  budget is the public pages' 0.60×, with the p99 budget of 20 ms.

Rows are printed with MET/MISSED and appended to bench/results/history.csv.
"""

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import dataset  # noqa: E402
import harness  # noqa: E402

BENCHMARK = "badges"
PAGE_BUDGET = 0.60
REVALIDATE_BUDGET = 0.90
P99_BUDGET_MS = 20.0
UNREFUSED_RATE_LIMIT = "100000000 per minute"
BENCH_SIGNING_KEY = harness.BENCH_SIGNING_KEY
BASE_URL = "http://127.0.0.1"


def settings():
    from certportal.domain.badges import BadgeSettings

    return BadgeSettings.from_config({"BASE_URL": BASE_URL, "PROGRAM_NAME": "Cisco",
                                      "BADGE_SIGNING_KEY": BENCH_SIGNING_KEY})


def prepare(path: Path) -> str:
    """Issue every missing badge; returns the badge id of John's CCNA."""
    from certportal.db import bind, database, release_connections
    from certportal.domain import badges
    from certportal.models import Candidate, CandidateCertification, Certification

    bind(f"sqlite:///{path}")
    badges.configure(settings())
    with database.connection_context():
        started = time.perf_counter()
        issued = badges.issue_missing()
        print(f"issued {issued:,} missing badges in {time.perf_counter() - started:.1f} s",
              file=sys.stderr)
        badge_id = (CandidateCertification.select(CandidateCertification.badge_id)
                    .join(Certification).switch(CandidateCertification).join(Candidate)
                    .where((Candidate.login_id == "CSCO10000000") & (Certification.code == "CCNA"))
                    .scalar())
    release_connections()
    return badge_id


def hello_in_process_ms(rounds: int) -> float:
    sys.path.insert(0, str(harness.BENCH_DIR))
    from hello import app

    client = app.test_client()
    timings = []
    for _ in range(rounds):
        started = time.perf_counter()
        client.get("/")
        timings.append(time.perf_counter() - started)
    return statistics.median(timings) * 1000


def issuing_ms(path: Path, rounds: int) -> list[float]:
    """Milliseconds to issue one badge, as the engine's reaction does."""
    from certportal.db import bind, database, release_connections
    from certportal.domain import badges
    from certportal.models import CandidateCertification, IssuedCredential

    bind(f"sqlite:///{path}")
    badges.configure(settings())
    timings = []
    with database.connection_context():
        held_id = (CandidateCertification.select(CandidateCertification.id)
                   .where(CandidateCertification.status == "active").scalar())
        for _ in range(rounds):
            # Forget the current badge, so the next call issues one again.
            IssuedCredential.delete().where(
                IssuedCredential.candidate_certification == held_id).execute()
            started = time.perf_counter()
            assert badges.issue_current([held_id]) == 1
            timings.append((time.perf_counter() - started) * 1000)
    release_connections()
    return timings


def served(path: Path, badge_id: str, seconds: int) -> tuple:
    env = harness.portal_env(path, BASE_URL=BASE_URL, BADGE_SIGNING_KEY=BENCH_SIGNING_KEY)
    spec = f"certportal:create_app({{'BADGE_RATE_LIMIT': {UNREFUSED_RATE_LIMIT!r}}})"
    targets = {}
    with harness.gunicorn("hello:app", pythonpath=harness.BENCH_DIR) as hello:
        before = harness.run_load(hello + "/", seconds=seconds)
    with harness.gunicorn(spec, env=env) as base:
        page = f"{base}/badges/{badge_id}"
        status, body = harness.fetch(page)
        if status != 200 or "Held by" not in body:
            raise SystemExit(f"{page} answered {status}")
        etag = harness.fetch_headers(page)["ETag"]
        targets["public badge page"] = (
            harness.run_load(page, seconds=seconds), PAGE_BUDGET, P99_BUDGET_MS)
        targets["badge page 304"] = (
            harness.run_load(page, {"If-None-Match": etag}, seconds=seconds),
            REVALIDATE_BUDGET, None)
        targets["status list 1"] = (
            harness.run_load(f"{base}/badges/status/1", seconds=seconds), None, None)
    with harness.gunicorn("hello:app", pythonpath=harness.BENCH_DIR) as hello:
        after = harness.run_load(hello + "/", seconds=seconds)
    ceiling = harness.average(before, after)
    return ceiling, targets


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--candidates", type=int, default=1000)
    parser.add_argument("--seconds", type=int, default=harness.SECONDS)
    parser.add_argument("--rounds", type=int, default=200)
    args = parser.parse_args(argv)
    source = dataset.ensure(args.candidates)
    ok = True
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "badges.sqlite3"
        shutil.copyfile(source, path)
        badge_id = prepare(path)
        hello_ms = hello_in_process_ms(args.rounds)
        timings = sorted(issuing_ms(path, args.rounds))
        median = statistics.median(timings)
        p90 = timings[int(0.9 * len(timings))]
        print(f"issue one badge (in process) : median {median:.2f} ms, p90 {p90:.2f} ms "
              f"= {median / hello_ms:,.0f}× a bare Flask request ({hello_ms * 1000:.0f} µs)")
        ceiling, targets = served(path, badge_id, args.seconds)
    print(f"ceiling (bare Flask, averaged)  {ceiling.requests_per_second:.0f} req/s")
    print(harness.format_header())
    rows = []
    for name, (result, budget, p99) in targets.items():
        print(harness.format_row(name, result, ceiling, budget, p99))
        met = harness.met(result, ceiling, budget, p99)
        if budget is not None or p99 is not None:
            ok = ok and met
        rows.append(harness.csv_row(
            BENCHMARK, name, result, ceiling, candidates=args.candidates, seconds=args.seconds,
            budget=harness.budget_text(budget, p99),
            verdict=harness.verdict(met) if budget is not None or p99 is not None else ""))
    harness.append_csv(harness.RESULTS_CSV, rows)
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
