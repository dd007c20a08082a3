"""Generate a benchmark database: N candidates with realistic exam and CE histories.

    .venv/bin/python bench/dataset.py --candidates 1000      # about a second
    .venv/bin/python bench/dataset.py --candidates 1000000   # 10M exam rows; see README

The database is SQLite (the default engine) or, with `generate_postgres(url, n)`, a
PostgreSQL database; either is migrated and seeded with the catalog and the demo candidates
(so the benchmark logs in as the guide's John Doe, whose rows then sit among everyone
else's). Rows go in the fastest way each engine takes bulk rows: executemany in one
transaction per chunk of candidates on SQLite, `COPY … FROM STDIN` on PostgreSQL.
"""

import argparse
import random
import sys
import time
from datetime import date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from certportal.db import bind, database, release_connections, upgrade_schema  # noqa: E402
from certportal.models import Candidate, CeCredit, Exam, ExamResult  # noqa: E402

EXAMS_PER_CANDIDATE = 10
CE_PER_CANDIDATE = 5
CHUNK = 20_000  # candidates per transaction
DATA_DIR = ROOT / "bench" / "data"

CE_NAMES = ("Cisco CE Credits", "Cisco Live Session", "Learning Network Course",
            "Partner Training", "Authored Content")
PROVIDERS = ("CDL 01 July CCNP", "Cisco Learning Network", "Cisco Live", "Global Knowledge",
             "Skillsoft", "Pluralsight")


def default_path(candidates: int) -> Path:
    return DATA_DIR / f"bench-{candidates}.sqlite3"


def _defaults(model) -> dict:
    """Every column with its model default, so raw inserts satisfy NOT NULL columns."""
    row = {}
    for field in model._meta.sorted_fields:
        if field.name == "id":
            continue
        default = field.default() if callable(field.default) else field.default
        row[field.column_name] = field.db_value(default) if default is not None else None
    return row


def _insert_rows(model, rows: list[dict]) -> None:
    columns = list(rows[0])
    # Names come from the models, never from input.
    sql = (f'INSERT INTO "{model._meta.table_name}" ({", ".join(columns)}) '  # noqa: S608
           f'VALUES ({", ".join("?" for _ in columns)})')
    database.connection().executemany(sql, [tuple(row[c] for c in columns) for row in rows])


def _candidate_rows(first_id: int, count: int, base: dict) -> list[dict]:
    rows = []
    for number in range(first_id, first_id + count):
        login = f"BNCH{number:08d}"
        rows.append({**base, "id": number, "login_id": login, "program_id": login,
                     "email": f"{login.lower()}@bench.example",
                     "email_key": f"{login.lower()}@bench.example",
                     "first_name": "Bench", "last_name": f"Candidate{number}",
                     "last_name_key": f"candidate{number}",
                     "name_key": f"candidate{number} bench"})
    return rows


def _history_rows(candidate_ids, exam_ids, exam_base, ce_base, rng):
    exams, credits = [], []
    for candidate_id in candidate_ids:
        day = date(1995, 1, 1) + timedelta(days=rng.randrange(0, 4000))
        for k in range(EXAMS_PER_CANDIDATE):
            day += timedelta(days=rng.randrange(20, 400))
            passed = rng.random() < 0.8
            exams.append({**exam_base, "candidate_id": candidate_id,
                          "exam_id": rng.choice(exam_ids),
                          "registration_number": f"R{candidate_id:09d}{k:02d}",
                          "grade": "Pass" if passed else "Fail", "taken_on": day.isoformat(),
                          "expires_on": (day + timedelta(days=1095)).isoformat()
                          if passed else None})
        day = date(2015, 1, 1) + timedelta(days=rng.randrange(0, 3000))
        for k in range(CE_PER_CANDIDATE):
            day += timedelta(days=rng.randrange(10, 200))
            credits.append({**ce_base, "candidate_id": candidate_id,
                            "name": rng.choice(CE_NAMES), "points": rng.choice((1, 2, 5, 10)),
                            "active_on": day.isoformat(),
                            "inactive_on": (day + timedelta(days=1095)).isoformat(),
                            "updated_on": (day + timedelta(days=3)).isoformat(),
                            "provider_name": rng.choice(PROVIDERS), "source": "CertMetrics",
                            "import_source": f"creq-{day:%Y%m%d}-093000.csv",
                            "external_id": f"B{candidate_id:09d}{k}"})
    return exams, credits


def _seed_and_fill(candidates: int, seed: int, insert, started: float) -> None:
    """Migrate and seed (catalog, demo candidates), then add bench candidates with their
    histories until there are `candidates`, one transaction per chunk; `insert(model, rows)`
    is the engine's bulk insert. Runs inside a connection context."""
    from certportal.cli import CATALOG_DIR
    from certportal.domain.catalog import load_catalog
    from certportal.domain.demo import load_demo_data

    rng = random.Random(seed)
    upgrade_schema()
    load_catalog(CATALOG_DIR)
    load_demo_data(date.today())
    exam_ids = [exam.id for exam in Exam.select(Exam.id)]
    now = datetime.now().isoformat(sep=" ")
    candidate_base = {**_defaults(Candidate), "created_at": now}
    exam_base = {**_defaults(ExamResult), "created_at": now}
    ce_base = {**_defaults(CeCredit), "created_at": now}
    first_id = Candidate.select(Candidate.id).order_by(Candidate.id.desc()).scalar() + 1
    remaining = max(candidates - Candidate.select().count(), 0)
    while remaining:
        count = min(CHUNK, remaining)
        with database.atomic():
            insert(Candidate, _candidate_rows(first_id, count, candidate_base))
            exams, credits = _history_rows(range(first_id, first_id + count), exam_ids,
                                           exam_base, ce_base, rng)
            insert(ExamResult, exams)
            insert(CeCredit, credits)
        first_id += count
        remaining -= count
        done = candidates - remaining
        if done % 100_000 < CHUNK or not remaining:
            print(f"  {done:>9,} candidates  {time.perf_counter() - started:7.1f} s",
                  file=sys.stderr, flush=True)


def generate(path: Path, candidates: int, seed: int = 5) -> float:
    """Create the database at `path` (replaced if present); returns the seconds it took."""
    started = time.perf_counter()
    path.parent.mkdir(parents=True, exist_ok=True)
    for stale in path.parent.glob(path.name + "*"):
        stale.unlink()
    bind(f"sqlite:///{path}")
    with database.connection_context():
        # Bulk loading only: a crash leaves a file we delete anyway. No rollback journal
        # while loading (WAL would write every page twice); the portal's WAL mode is set
        # back below and persists in the file.
        database.execute_sql("PRAGMA synchronous=OFF")
        database.execute_sql("PRAGMA cache_size=-1000000")
        database.execute_sql("PRAGMA journal_mode=OFF")
        _seed_and_fill(candidates, seed, _insert_rows, started)
        database.execute_sql("PRAGMA journal_mode=WAL")
    release_connections()
    return time.perf_counter() - started


def _copy_rows(cursor, model, rows: list[dict]) -> None:
    columns = list(rows[0])
    names = ", ".join(f'"{column}"' for column in columns)
    with cursor.copy(f'COPY "{model._meta.table_name}" ({names}) FROM STDIN') as copy:
        for row in rows:
            copy.write_row(tuple(row[c] for c in columns))


def generate_postgres(url: str, candidates: int, seed: int = 5) -> float:
    """Fill the (empty) PostgreSQL database at `url`; returns the seconds it took."""
    started = time.perf_counter()
    bind(url)
    with database.connection_context():
        cursor = database.connection().cursor()
        _seed_and_fill(candidates, seed, lambda model, rows: _copy_rows(cursor, model, rows),
                       started)
        # Ids were given explicitly: move the sequence past them. Then vacuum as well as
        # analyze: otherwise the inserts trigger autovacuum on the big tables, which then
        # runs during the measurements that follow.
        database.execute_sql("SELECT setval(pg_get_serial_sequence('candidate', 'id'), "
                             "(SELECT max(id) FROM candidate))")
        database.execute_sql("VACUUM (ANALYZE)")
    release_connections()
    return time.perf_counter() - started


def ensure(candidates: int, path: Path | None = None) -> Path:
    """The database for `candidates`, generated once and reused by later runs."""
    path = path or default_path(candidates)
    if not path.exists():
        print(f"generating {candidates:,} candidates into {path} …", file=sys.stderr)
        seconds = generate(path, candidates)
        print(f"generated in {seconds:.1f} s", file=sys.stderr)
    return path


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--candidates", type=int, default=1000)
    parser.add_argument("--output", type=Path, default=None)
    args = parser.parse_args(argv)
    path = args.output or default_path(args.candidates)
    seconds = generate(path, args.candidates)
    size = sum(p.stat().st_size for p in path.parent.glob(path.name + "*"))
    print(f"{args.candidates:,} candidates, {args.candidates * EXAMS_PER_CANDIDATE:,} exam rows, "
          f"{args.candidates * CE_PER_CANDIDATE:,} CE rows: {seconds:.1f} s, "
          f"{size / 1e9:.2f} GB at {path}")


if __name__ == "__main__":
    main()
