"""Benchmark: the public transcript page against a bare-Flask ceiling measured in the same run.

    .venv/bin/python bench/transcripts.py [--seconds 5] [--connections 8] [--in-process]

Budgets (DESIGN.md): the public page, its view count and rate limit included, >= 0.60x of the
ceiling; a 304 revalidation (which also records the view: the viewer's first of the day is
counted, later ones add nothing) >= 0.9x. The rate limit is raised so that it is evaluated
on every request but never refuses one. Served by gunicorn with 2 sync
workers and loaded by wrk when both are installed; otherwise timed in-process through the
Flask test client (same ratios, much less meaningful). Prints figures; asserts nothing.
"""

import argparse
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

BUDGET_PAGE = 0.60
BUDGET_REVALIDATION = 0.90
# Checked on every request like the real one, but high enough never to refuse the load.
UNREFUSED_RATE_LIMIT = "100000000 per minute"

BARE_APP = '''
from flask import Flask

app = Flask(__name__)


@app.get("/")
def hello():
    return "Hello, World!"
'''


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def prepare_database(workdir: Path) -> tuple[str, str]:
    """A migrated SQLite database with the catalog, the demo data and one transcript."""
    from certportal import create_app
    from certportal.cli import CATALOG_DIR
    from certportal.db import database, upgrade_schema
    from certportal.domain import transcripts
    from certportal.domain.catalog import load_catalog
    from certportal.domain.demo import load_demo_data
    from certportal.models import Candidate

    url = f"sqlite:///{workdir / 'bench.sqlite3'}"
    app = create_app({"SECRET_KEY": "bench", "DATABASE_URL": url, "TESTING": True})
    with app.app_context(), database.connection_context():
        upgrade_schema()
        load_catalog(CATALOG_DIR)
        load_demo_data(date.today())
        john = Candidate.get(Candidate.login_id == "CSCO10000000")
        transcript = transcripts.create_transcript(
            john,
            transcripts.TranscriptInput(
                expires_on=date.today() + timedelta(days=30),
                show_address=True,
                only_active=False,
                selection="all_new",
            ),
            date.today(),
        )
    return url, transcript.public_id


def wait_until_up(url: str, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(url, timeout=1).read()  # noqa: S310 (loopback)
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"server at {url} did not start")


def start_gunicorn(module: str, chdir: Path, env: dict) -> tuple[subprocess.Popen, str]:
    port = free_port()
    gunicorn = Path(sys.executable).with_name("gunicorn")
    process = subprocess.Popen(
        [str(gunicorn), "--workers", "2", "--worker-class", "sync", "--bind",
         f"127.0.0.1:{port}", "--chdir", str(chdir), "--log-level", "warning", module],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    return process, f"http://127.0.0.1:{port}"


def run_wrk(url: str, seconds: int, connections: int, headers=()) -> tuple[float, float]:
    """(requests per second, p99 latency in ms) of one wrk run."""
    command = ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency"]
    for header in headers:
        command += ["-H", header]
    output = subprocess.run(command + [url], capture_output=True, text=True, check=True).stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    p99 = re.search(r"99%\s+([\d.]+)(us|ms|s)", output)
    scale = {"us": 0.001, "ms": 1.0, "s": 1000.0}[p99.group(2)]
    non_2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    if non_2xx:
        print(f"  warning: {non_2xx.group(1)} error responses from {url}")
    return rate, float(p99.group(1)) * scale


def bench_with_wrk(args, workdir: Path, database_url: str, public_id: str) -> dict:
    (workdir / "bare_app.py").write_text(BARE_APP)
    env = {**os.environ, "SECRET_KEY": "bench", "DATABASE_URL": database_url,
           "BASE_URL": "http://127.0.0.1", "TRANSCRIPT_RATE_LIMIT": UNREFUSED_RATE_LIMIT}
    env.pop("CERTPORTAL_ENV", None)
    servers = []
    try:
        bare, bare_url = start_gunicorn("bare_app:app", workdir, env)
        servers.append(bare)
        portal, portal_url = start_gunicorn("app:app", ROOT, env)
        servers.append(portal)
        wait_until_up(f"{bare_url}/")
        page_url = f"{portal_url}/t/{public_id}"
        wait_until_up(page_url)
        etag = urllib.request.urlopen(page_url).headers["ETag"]  # noqa: S310 (loopback)
        # Warm both up, then measure each in turn.
        run_wrk(f"{bare_url}/", 1, args.connections)
        run_wrk(page_url, 1, args.connections)
        return {
            "bare Flask hello": run_wrk(f"{bare_url}/", args.seconds, args.connections),
            "public transcript page": run_wrk(page_url, args.seconds, args.connections),
            "304 revalidation": run_wrk(page_url, args.seconds, args.connections,
                                        headers=[f"If-None-Match: {etag}"]),
        }
    finally:
        for server in servers:
            server.send_signal(signal.SIGTERM)
        for server in servers:
            server.wait(timeout=10)


def bench_in_process(args, database_url: str, public_id: str) -> dict:
    from flask import Flask

    from certportal import create_app

    bare = Flask("bare")
    bare.add_url_rule("/", "hello", lambda: "Hello, World!")
    portal = create_app({"SECRET_KEY": "bench", "DATABASE_URL": database_url,
                         "TRANSCRIPT_RATE_LIMIT": UNREFUSED_RATE_LIMIT})
    page = f"/t/{public_id}"
    etag = portal.test_client().get(page).headers["ETag"]

    def rate(client, path, headers=None) -> tuple[float, float]:
        timings = []
        deadline = time.perf_counter() + args.seconds
        while time.perf_counter() < deadline:
            started = time.perf_counter()
            response = client.get(path, headers=headers or {})
            timings.append(time.perf_counter() - started)
            assert response.status_code in (200, 304)
        timings.sort()
        return len(timings) / sum(timings), timings[int(len(timings) * 0.99)] * 1000

    return {
        "bare Flask hello": rate(bare.test_client(), "/"),
        "public transcript page": rate(portal.test_client(), page),
        "304 revalidation": rate(portal.test_client(), page, {"If-None-Match": etag}),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--in-process", action="store_true",
                        help="time through the Flask test client even if wrk is installed")
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="bench-transcripts-"))
    try:
        database_url, public_id = prepare_database(workdir)
        gunicorn = Path(sys.executable).with_name("gunicorn")
        use_wrk = shutil.which("wrk") and gunicorn.exists() and not args.in_process
        if use_wrk:
            how = f"gunicorn 2 sync workers, wrk {args.connections} connections, {args.seconds}s"
            figures = bench_with_wrk(args, workdir, database_url, public_id)
        else:
            how = f"in-process Flask test client, {args.seconds}s each (wrk/gunicorn not used)"
            figures = bench_in_process(args, database_url, public_id)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)

    ceiling = figures["bare Flask hello"][0]
    print(f"Transcripts benchmark ({how}), SQLite")
    print(f"{'':26} {'req/s':>9} {'p99 ms':>8} {'ratio':>7} {'budget':>7}")
    budgets = {"public transcript page": BUDGET_PAGE, "304 revalidation": BUDGET_REVALIDATION}
    for name, (rate, p99) in figures.items():
        budget = budgets.get(name)
        ratio = rate / ceiling
        verdict = "" if budget is None else ("ok" if ratio >= budget else "MISSED")
        budget_text = f">={budget:.2f}" if budget else ""
        print(f"{name:26} {rate:9.0f} {p99:8.2f} {ratio:6.2f}x {budget_text:>7} {verdict}")
    page_rate = figures["public transcript page"][0]
    print(f"304 revalidation vs full page: {figures['304 revalidation'][0] / page_rate:.2f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
