"""Where a request's time goes: cProfile over Flask's test client, per target, per database.

    .venv/bin/python bench/profiles.py                       # SQLite (bench/data/bench-1000)
    .venv/bin/python bench/profiles.py --postgresql          # and a throwaway PostgreSQL
    .venv/bin/python bench/profiles.py --tree exams          # pyinstrument's call tree too
    .venv/bin/python bench/profiles.py --served              # under gunicorn + wrk instead

For each of make bench's targets (and the uncached PDF route) it runs N requests in process,
then prints the CPU time per request and the cumulative CPU time of the per-request pieces a
page pays for: Flask-Limiter's check, loading the session and the signed-in account, CSRF,
the Flask session cookie, template rendering, database queries (the pool checkout apart),
the view itself, and the functions with the most time of their own. Pieces overlap (a query
run from a template counts in both). The figures are CPU time in one process, without HTTP
parsing or the server: they say where to cut, not what `make bench` will measure. With
--served the same pieces are measured inside gunicorn's sync workers under wrk's load, as
`make bench` serves them (bench/gunicorn_profile.py), HTTP handling included.
"""

import argparse
import cProfile
import io
import pstats
import shutil
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import dataset  # noqa: E402
import harness  # noqa: E402
from run import LOGIN, TARGETS, UNREFUSED_RATE_LIMIT, public_objects  # noqa: E402

# (label, file path fragment, function name): cumulative time of these, per request.
PIECES = [
    ("rate limiter check", "flask_limiter/_extension.py", "_check_request_limit"),
    ("session + account load", "flask_login/login_manager.py", "_load_user"),
    ("CSRF protect", "flask_wtf/csrf.py", "protect"),
    ("CSRF token for the page", "flask_wtf/csrf.py", "generate_csrf"),
    ("Flask session open", "flask/sessions.py", "open_session"),
    ("Flask session save", "flask/sessions.py", "save_session"),
    ("request input checks", "certportal/web/security.py", "_check_request_input"),
    ("security headers", "certportal/web/security.py", "_set_security_headers"),
    ("template rendering", "jinja2/environment.py", "render"),
    ("block rendering (fragment)", "jinja2_fragments/__init__.py", "render_block"),
    ("pool checkout (connect)", "peewee.py", "connect"),
    ("database queries", "peewee.py", "execute_sql"),
    ("compiled queries", "certportal/models/compiled.py", "run"),
    ("mail delivery after response", "certportal/mail.py", "deliver"),
    ("PDF rendering", "xhtml2pdf/document.py", "pisaDocument"),
]


def cumulative(stats: pstats.Stats, fragment: str, name: str) -> float:
    total = 0.0
    for (filename, _line, function), (_cc, _nc, _tt, ct, callers) in stats.stats.items():
        # Only outermost calls: recursion into itself is already in the caller's time.
        if (function == name and fragment in filename.replace("\\", "/")
                and not any(caller[2] == name and fragment in caller[0] for caller in callers)):
            total += ct
    return total


def print_pieces(stats: pstats.Stats, count: int, per_request_ms: float) -> None:
    for piece, fragment, function in PIECES:
        spent = cumulative(stats, fragment, function) / count * 1000
        if spent >= 0.005:
            print(f"  {piece:<32} {spent:7.3f} ms  {spent / per_request_ms:5.1%}")
    stream = io.StringIO()
    stats.stream = stream
    stats.sort_stats("tottime").print_stats(8)
    own = [line for line in stream.getvalue().splitlines()
           if line.strip()[:1].isdigit() and "function calls" not in line][:8]
    print("  most time of their own (calls, own seconds in all, function):")
    for line in own:
        print("    " + " ".join(line.split()[:1] + line.split()[1:2] + line.split()[5:]))


def profile_served(label: str, database, seconds: int) -> None:
    """The pieces inside gunicorn's sync workers under wrk, one server per target."""
    import tempfile

    from run import portal_app_spec

    url = harness.database_url(database)
    objects = public_objects(url)
    print(f"\n===== {label}: served (gunicorn {harness.WORKERS} sync workers, "
          f"{harness.CONNECTIONS} connections, {seconds} s a target) =====")
    for target in TARGETS:
        folder = Path(tempfile.mkdtemp(prefix="certportal-profile-"))
        env = harness.portal_env(database, BASE_URL="http://127.0.0.1",
                                 PROFILE_DIR=str(folder))
        with harness.gunicorn(portal_app_spec(), env=env,
                              config=harness.BENCH_DIR / "gunicorn_profile.py",
                              stop_timeout=120) as base:
            path = target.path.format(**objects)
            headers = {}
            if target.logged_in:
                headers["Cookie"] = harness.login_cookie(base, *LOGIN)
            if target.partial:
                headers.update(harness.PARTIAL_HEADERS)
            if target.revalidate:
                headers["If-None-Match"] = harness.fetch_headers(base + path).get("ETag")
            # Each worker renders the page once first (templates compile on first use): on a
            # busy machine that alone can outlast wrk's 2 s timeout.
            for _ in range(2 * harness.WORKERS):
                harness.fetch(base + path, headers)
            result = harness.run_load(base + path, headers, seconds=seconds, warmup=0)
        profiles = sorted(folder.glob("*.prof"))
        count = sum(int(path.read_text()) for path in folder.glob("*.count"))
        if not profiles or not count:
            print(f"\n{target.name}: no profile written ({result})")
            shutil.rmtree(folder, ignore_errors=True)
            continue
        stats = pstats.Stats(*(str(path) for path in profiles), stream=io.StringIO())
        shutil.rmtree(folder, ignore_errors=True)
        in_workers = stats.total_tt / count * 1000
        print(f"\n{target.name}: {result.requests_per_second:.0f} req/s, p50 "
              f"{result.p50_ms:.2f} ms; {in_workers:.2f} ms a request inside the workers "
              "(profiler overhead included)")
        print_pieces(stats, count, in_workers)


def make_client(url: str):
    from certportal import create_app

    app = create_app({"SECRET_KEY": "bench", "DATABASE_URL": url, "BASE_URL": "http://localhost",
                      "TRANSCRIPT_RATE_LIMIT": UNREFUSED_RATE_LIMIT,
                      "VERIFICATION_RATE_LIMIT": UNREFUSED_RATE_LIMIT,
                      "LOGIN_RATE_LIMIT": UNREFUSED_RATE_LIMIT})
    client = app.test_client()
    token = harness.CSRF_INPUT.search(client.get("/login").text).group(1)
    answer = client.post("/login", data={"identifier": LOGIN[0], "password": LOGIN[1],
                                         "csrf_token": token})
    assert answer.status_code == 303, "log-in failed"
    return client


def requests_for(client, objects: dict):
    """(name, callable doing one request) for every target, as make bench sends them."""
    from certportal.documents import pdf

    for target in TARGETS:
        path = target.path.format(**objects)
        headers = dict(harness.PARTIAL_HEADERS) if target.partial else {}
        if target.revalidate:
            headers["If-None-Match"] = client.get(path).headers["ETag"]
        if target.logged_in:
            yield target.name, (lambda path=path, headers=headers: client.get(path,
                                                                             headers=headers))
        else:
            # Third parties carry no cookie: a client of their own.
            anonymous = client.application.test_client()
            yield target.name, (lambda path=path, headers=headers, c=anonymous:
                                c.get(path, headers=headers))

    def uncached_pdf():
        pdf.clear_cache()
        return client.get("/certifications/CCNA/certificate.pdf")

    yield "uncached PDF (route)", uncached_pdf


def profile(label: str, url: str, requests: int, tree: set[str]) -> None:
    objects = public_objects(url)
    client = make_client(url)
    print(f"\n===== {label}: {requests} requests per target, in process =====")
    for name, request in requests_for(client, objects):
        count = max(10, requests // 10) if name.startswith("uncached PDF") else requests
        for _ in range(5):
            request()
        # CPU time, not the wall clock: on a shared machine the wall clock mostly measures
        # the wait for a core. Unprofiled runs first for the figure, then the profiled ones.
        timings = []
        for _ in range(count):
            started = time.process_time()
            request()
            timings.append(time.process_time() - started)
        profiler = cProfile.Profile(time.process_time)
        profiled_started = time.process_time()
        for _ in range(count):
            profiler.enable()
            request()
            profiler.disable()
        profiled = (time.process_time() - profiled_started) / count * 1000
        per_request = statistics.median(timings) * 1000
        print(f"\n{name}: median {per_request:.3f} ms CPU a request "
              f"(profiled {profiled:.2f} ms, profiler overhead included)")
        print_pieces(pstats.Stats(profiler, stream=io.StringIO()), count, profiled)
        if name in tree or "all" in tree:
            from pyinstrument import Profiler

            with Profiler(interval=0.0001) as instrument:
                for _ in range(count):
                    request()
            print(instrument.output_text(unicode=True, color=False, show_all=False))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--candidates", type=int, default=1000)
    parser.add_argument("--postgresql", action="store_true",
                        help="also on a throwaway PostgreSQL filled with COPY")
    parser.add_argument("--served", action="store_true",
                        help="profile inside gunicorn's workers under wrk instead")
    parser.add_argument("--seconds", type=int, default=5, help="load per target (--served)")
    parser.add_argument("--tree", nargs="*", default=[],
                        help="targets (or 'all') to print pyinstrument's call tree for")
    args = parser.parse_args(argv)
    tree = set(args.tree)
    def measure(label, url):
        if args.served:
            profile_served(label, url, args.seconds)
        else:
            profile(label, url, args.requests, tree)

    measure(f"SQLite, {args.candidates:,} candidates",
            harness.database_url(dataset.ensure(args.candidates)))
    if args.postgresql:
        import psycopg

        with_postgres = harness.load_script("with_postgres")
        cluster = with_postgres.Cluster(with_postgres.find_bindir())
        try:
            cluster.up()
            url = cluster.url.rsplit("/", 1)[0] + "/bench_profile"
            with psycopg.connect(cluster.url, autocommit=True) as connection:
                connection.execute('CREATE DATABASE "bench_profile"')
            dataset.generate_postgres(url, args.candidates)
            measure(f"PostgreSQL, {args.candidates:,} candidates", url)
        finally:
            from certportal.db import release_connections

            release_connections()
            cluster.down()
    return 0


if __name__ == "__main__":
    sys.exit(main())
