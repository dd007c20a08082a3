"""Benchmark: PDF certificates and public verification, against a bare Flask ceiling.

Self-contained and in-process: a throwaway SQLite database with the catalog and demo data,
Flask's test client for every request (so the app and the "hello" ceiling are served the
same way, in the same run). Prints medians and ratios; asserts nothing.

    .venv/bin/python bench/certificates.py [--requests N]

Budgets (DESIGN.md): PDF median <= 20 ms uncached; a cached repeat download >= 0.8x the bare
Flask ceiling; the verification page >= 0.60x the ceiling.
"""

import argparse
import contextlib
import http.cookiejar
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from flask import Flask  # noqa: E402

from certportal import create_app  # noqa: E402
from certportal.db import database, upgrade_schema  # noqa: E402
from certportal.documents import pdf  # noqa: E402

CSRF_INPUT = r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"'


def timed(call, repeat: int) -> list[float]:
    """Seconds per call, after a few warm-up calls."""
    for _ in range(min(5, repeat)):
        call()
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        call()
        samples.append(time.perf_counter() - start)
    return samples


def describe(label: str, samples: list[float], ceiling: float | None = None) -> float:
    median = statistics.median(samples)
    p99 = sorted(samples)[max(0, int(len(samples) * 0.99) - 1)]
    line = f"{label:<44} median {median * 1000:7.2f} ms   p99 {p99 * 1000:7.2f} ms"
    if ceiling is not None:
        line += f"   {ceiling / median:5.2f}x of ceiling"
    print(line)
    return median


hello_app = Flask("hello")


@hello_app.get("/")
def hello_index():
    return "hello"


def bare_flask_client():
    return hello_app.test_client()


def portal_client(folder: Path):
    from certportal.cli import CATALOG_DIR
    from certportal.domain.catalog import load_catalog
    from certportal.domain.demo import load_demo_data

    app = create_app(
        {
            "SECRET_KEY": "bench",
            "DATABASE_URL": f"sqlite:///{folder / 'bench.sqlite3'}",
            "RATELIMIT_ENABLED": False,
            "BASE_URL": "http://localhost",
        }
    )
    with database.connection_context():
        upgrade_schema()
        load_catalog(CATALOG_DIR)
        load_demo_data(date.today())
    return app


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextlib.contextmanager
def gunicorn(app_spec: str, chdir: Path):
    """Serve an app with gunicorn, 2 sync workers (the DESIGN's setup), on a free port."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-w", "2", "-k", "sync", "-b", f"127.0.0.1:{port}",
         "--chdir", str(chdir), "--log-level", "warning", app_spec],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(200):
            try:
                probe = base + "/login" if "create_app" in app_spec else base
                urllib.request.urlopen(probe)  # noqa: S310 (a loopback http URL built here)
                break
            except OSError:
                time.sleep(0.05)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=10)


def wrk_rate(url: str, cookie: str = "", seconds: int = 5) -> float:
    """Requests per second from wrk: 2 threads, 8 connections, loopback."""
    command = ["wrk", "-t2", "-c8", f"-d{seconds}s", url]
    if cookie:
        command[1:1] = ["-H", f"Cookie: {cookie}"]
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    if non_2xx:
        raise RuntimeError(f"{url}: {non_2xx[1]} error responses under load")
    return float(re.search(r"Requests/sec:\s+([\d.]+)", output)[1])


def log_in_over_http(base: str) -> str:
    """Log in through the real form; the session cookie, for wrk."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    page = opener.open(base + "/login").read().decode()
    token = re.search(CSRF_INPUT, page)[1]
    form = urllib.parse.urlencode({"identifier": "CSCO10000000", "password": "certportal-demo",
                                   "csrf_token": token}).encode()
    opener.open(base + "/login", data=form)
    return "; ".join(f"{cookie.name}={cookie.value}" for cookie in jar)


def served_ratios(database_url: str, pdf_url: str, verify_url: str, seconds: int) -> None:
    """The budgets' own setup: gunicorn + wrk, the portal against a bare Flask app."""
    root = Path(__file__).resolve().parent.parent
    overrides = {"SECRET_KEY": "bench", "DATABASE_URL": database_url,
                 "RATELIMIT_ENABLED": False, "BASE_URL": "http://localhost"}
    with gunicorn("certificates:hello_app", root / "bench") as hello:
        ceiling = wrk_rate(hello + "/", seconds=seconds)
    with gunicorn(f"certportal:create_app({overrides!r})", root) as portal:
        cookie = log_in_over_http(portal)
        for _ in range(4):  # each worker renders its first copy; the rest come from its cache
            request = urllib.request.Request(  # noqa: S310 (loopback http)
                portal + pdf_url, headers={"Cookie": cookie}
            )
            urllib.request.urlopen(request).read()  # noqa: S310 (loopback http)
        cached = wrk_rate(portal + pdf_url, cookie, seconds)
        verify = wrk_rate(portal + verify_url, seconds=seconds)
    print(f"\ngunicorn (2 sync workers) + wrk (2 threads, 8 connections, {seconds} s), req/s:")
    print(f"  bare Flask 'hello' (ceiling)         {ceiling:9.0f}")
    print(f"  PDF certificate, cached repeat       {cached:9.0f}   {cached / ceiling:5.2f}x "
          "(budget >= 0.80x)")
    print(f"  verification page                    {verify:9.0f}   {verify / ceiling:5.2f}x "
          "(budget >= 0.60x)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--seconds", type=int, default=5, help="wrk run length")
    args = parser.parse_args()
    n = args.requests

    with tempfile.TemporaryDirectory() as folder:
        app = portal_client(Path(folder))
        client = app.test_client()
        token = re.search(CSRF_INPUT, client.get("/login").text)[1]
        response = client.post("/login", data={
            "identifier": "CSCO10000000", "password": "certportal-demo", "csrf_token": token})
        assert response.status_code == 303, "bench login failed"

        from certportal.models import CandidateCertification, Certification

        with database.connection_context():
            code = (
                CandidateCertification.select()
                .join(Certification)
                .where(Certification.code == "CCNA")
                .first()
                .verification_code
            )
        pdf_url = "/certifications/CCNA/certificate.pdf"
        verify_url = f"/verify/{code}"
        for url in (pdf_url, verify_url):
            assert client.get(url).status_code == 200, url

        with app.test_request_context(), database.connection_context():
            from certportal.domain import certificates
            from certportal.models import Candidate
            from certportal.web.blueprints.certifications import verification_url

            john = Candidate.get(Candidate.login_id == "CSCO10000000")
            held = certificates.held_for_pdf(john, "CCNA", date.today())
            content = certificates.certificate_content(
                held, john, "Cisco", verification_url(held.verification_code))
        hello = bare_flask_client()
        print(f"certificates benchmark, in-process test client, {n} requests each:\n")
        ceiling = describe("bare Flask 'hello' (ceiling)", timed(lambda: hello.get("/"), n))

        def uncached_download():
            pdf.clear_cache()
            client.get(pdf_url)

        uncached = describe("PDF certificate, uncached (route)", timed(uncached_download, n // 3))
        cached = describe("PDF certificate, cached repeat (route)",
                          timed(lambda: client.get(pdf_url), n), ceiling)
        verify = describe("verification page", timed(lambda: client.get(verify_url), n), ceiling)
        api = describe("verification JSON API",
                       timed(lambda: client.get(f"/api/v1/verifications/{code}"), n), ceiling)

        with app.app_context():
            render = describe("PDF rendering alone (no HTTP, no database)",
                              timed(lambda: pdf.render_certificate(content), n // 3))
        print(f"\nPDF uncached median {uncached * 1000:.1f} ms through the route, "
              f"{render * 1000:.1f} ms rendering alone (budget <= 20 ms)")
        print("In-process ratios put the portal's per-request work (session, database) against "
              "a 'hello' that has none; the budgets' ratios are the served ones below.")
        del cached, verify, api
        if shutil.which("wrk") is None:
            print("\nwrk not installed (apt-get install wrk): served ratios skipped")
            return
        served_ratios(app.config["DATABASE_URL"], pdf_url, verify_url, args.seconds)


if __name__ == "__main__":
    main()
