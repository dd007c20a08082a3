"""Reusable parts of the benchmarks: serve an app with gunicorn, log in, load it, record.

A feature's bench script (bench/<feature>.py) typically does:

    with harness.gunicorn("hello:app", pythonpath=harness.BENCH_DIR) as hello_url:
        ceiling = harness.run_load(hello_url + "/")
    with harness.gunicorn("app:app", env=harness.portal_env(db_path)) as url:
        cookie = harness.login_cookie(url, "CSCO10000000", "certportal-demo")
        result = harness.run_load(url + "/page", {"Cookie": cookie})
    print(harness.format_row("page", result, ceiling))
    harness.append_csv(harness.RESULTS_CSV, [harness.csv_row("page", result, ceiling)])

Figures are only compared with a ceiling measured in the same run on the same machine: the
ratio, not the absolute req/s, is what budgets are written in. Besides req/s, every load run
against a server started by `gunicorn()` records the server's CPU time per request (its
workers' user + system time from /proc, read before and after the timed run, divided by the
requests wrk completed). On a shared machine, wall-clock throughput depends on how much of
the cores other work leaves; CPU time per request is what the request itself costs, so the
budgets are judged on `cpu_ratio` (ceiling CPU per request / target CPU per request) when both
figures have it.
"""

import contextlib
import csv
import dataclasses
import http.client
import http.cookiejar
import os
import re
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH_DIR = ROOT / "bench"
RESULTS_CSV = BENCH_DIR / "results" / "history.csv"
VENV_BIN = Path(sys.executable).parent

CONNECTIONS = 8
SECONDS = 10
WARMUP_SECONDS = 2
WORKERS = 2

PARTIAL_HEADERS = {"HX-Request": "true", "HX-Request-Type": "partial"}
CSRF_INPUT = re.compile(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"')


def load_script(name: str):
    """scripts/<name>.py as a module: the throwaway PostgreSQL and Redis launchers."""
    import importlib.util

    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, ROOT / "scripts" / f"{name}.py")
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


@dataclass(frozen=True)
class LoadResult:
    requests_per_second: float
    p50_ms: float
    p99_ms: float
    requests: int
    errors: int  # non-2xx answers and socket errors
    tool: str
    # Server CPU (user + system, all workers) per completed request; None when unknown.
    cpu_ms_per_request: float | None = None


# Base URL -> gunicorn master pid, for the servers `gunicorn()` is running now.
_SERVERS: dict[str, int] = {}
# Other servers whose processes work for every request (the PostgreSQL postmaster), each
# with a test of which of its children to count (a process title matching it): their CPU
# time counts towards each request too.
_SHARED_SERVERS: dict[int, re.Pattern] = {}
_CLOCK_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def _stat_fields(pid: int) -> list[str] | None:
    """/proc/<pid>/stat split after the command name (which may hold spaces)."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return text[text.rindex(")") + 2:].split()


def _worker_pids(master: int) -> list[int]:
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            fields = _stat_fields(int(entry.name))
            if fields is not None and int(fields[1]) == master:
                pids.append(int(entry.name))
    return pids


def server_cpu_seconds(base_url: str) -> dict[int, float] | None:
    """User + system CPU seconds of each worker of the gunicorn serving `base_url`, by pid
    (None when that server was not started by `gunicorn()` or /proc is missing)."""
    master = _SERVERS.get(base_url)
    if master is None or not Path("/proc").is_dir():
        return None
    seconds = {}
    pids = _worker_pids(master)
    for shared, title in _SHARED_SERVERS.items():
        pids += [child for child in _worker_pids(shared) if title.search(_title(child))]
    for pid in pids:
        fields = _stat_fields(pid)
        if fields is not None:
            # utime and stime: fields 14 and 15 of stat(5), here 11 and 12 (after pid, comm).
            seconds[pid] = (int(fields[11]) + int(fields[12])) / _CLOCK_TICKS
    return seconds


def _title(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


# A PostgreSQL backend serving a client over TCP: "postgres: user db 127.0.0.1(50412) idle".
# Not the checkpointer, WAL writer, autovacuum: their work is not one request's.
POSTGRES_CLIENT_BACKEND = re.compile(r"\(\d+\)")


@contextlib.contextmanager
def counting_cpu_of(pid: int, children: re.Pattern = POSTGRES_CLIENT_BACKEND):
    """Within the block, the CPU time of the children of process `pid` whose title matches
    `children` (a database server's backends) counts in every request's CPU time, beside the
    gunicorn workers."""
    _SHARED_SERVERS[pid] = children
    try:
        yield
    finally:
        _SHARED_SERVERS.pop(pid, None)


def cpu_spent(before: dict[int, float], after: dict[int, float]) -> float:
    """CPU seconds the workers spent between two readings; a worker that appeared in
    between (a restart) counts from zero, one that went away loses only its last interval."""
    return sum(after[pid] - before.get(pid, 0.0) for pid in after)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def database_url(database: Path | str) -> str:
    """A SQLite file's URL, or a database URL as it is."""
    return database if isinstance(database, str) else f"sqlite:///{database}"


# The badge signing key of bench and soak servers. A fixed key: the figures do not depend on
# it, and a failed run can be replayed.
BENCH_SIGNING_KEY = "z3u2en7t5LR2WtQH5PfsxwQUFeBTVzt3tkm4tKsQMDGzNjfH"


def portal_env(database: Path | str, **extra) -> dict:
    """Environment for the portal in production mode on a SQLite file or a database URL."""
    return {
        "DATABASE_URL": database_url(database),
        "SECRET_KEY": "bench-secret-key-not-for-production",
        "CERTPORTAL_ENV": "production",
        **extra,
    }


def _wait_until_listening(port: int, process: subprocess.Popen, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited with status {process.returncode}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
            return
        time.sleep(0.1)
    raise RuntimeError(f"gunicorn did not listen on port {port} within {timeout} s")


@contextlib.contextmanager
def gunicorn(app_spec: str, env: dict | None = None, workers: int = WORKERS,
             pythonpath: Path | None = None, chdir: Path = ROOT, config: Path | None = None,
             stop_timeout: float = 10):
    """Serve `app_spec` with gunicorn sync workers on a free loopback port; yields its URL.

    `chdir` serves another checkout of the portal (an A/B comparison of two commits).
    Sync workers, as in production: gthread with keep-alive pins connections to one worker
    and makes figures jump at random.
    """
    port = free_port()
    command = [str(VENV_BIN / "gunicorn"), "--workers", str(workers), "--worker-class", "sync",
               "--bind", f"127.0.0.1:{port}", "--log-level", "warning", "--chdir", str(chdir)]
    if pythonpath:
        command += ["--pythonpath", str(pythonpath)]
    # A tree's own gunicorn.conf.py, as its deployment runs it (an older tree without one:
    # gunicorn's defaults, not the settings of the tree the bench was started from).
    own_config = chdir / "gunicorn.conf.py"
    command += ["--config", str(config or (own_config if own_config.exists() else os.devnull))]
    process = subprocess.Popen([*command, app_spec], env={**os.environ, **(env or {})})
    base_url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_listening(port, process)
        _SERVERS[base_url] = process.pid
        yield base_url
    finally:
        _SERVERS.pop(base_url, None)
        process.terminate()
        try:
            process.wait(timeout=stop_timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def login_cookie(base_url: str, identifier: str, password: str) -> str:
    """Log in through the real form; returns the Cookie header of the signed-in session."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar), _NoRedirect)
    page = opener.open(f"{base_url}/login").read().decode()
    token = CSRF_INPUT.search(page).group(1)
    form = urllib.parse.urlencode(
        {"identifier": identifier, "password": password, "csrf_token": token}).encode()
    try:
        opener.open(f"{base_url}/login", data=form)
        raise RuntimeError("login did not redirect: wrong credentials or form")
    except urllib.error.HTTPError as answer:
        if answer.code != 303:
            raise RuntimeError(f"login answered {answer.code}") from answer
    return "; ".join(f"{cookie.name}={cookie.value}" for cookie in jar)


def fetch_headers(url: str, headers: dict | None = None) -> dict:
    """The response headers of one GET."""
    request = urllib.request.Request(url, headers=headers or {})  # noqa: S310 (our own http URL)
    with urllib.request.build_opener(_NoRedirect).open(request) as answer:
        answer.read()
        return dict(answer.headers)


def fetch(url: str, headers: dict | None = None) -> tuple[int, str]:
    """One GET, for checking a target answers what it should before loading it."""
    request = urllib.request.Request(url, headers=headers or {})  # noqa: S310 (our own http URL)
    opener = urllib.request.build_opener(_NoRedirect)
    try:
        with opener.open(request) as answer:
            return answer.status, answer.read().decode()
    except urllib.error.HTTPError as answer:
        return answer.code, ""


_UNITS_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}


def _wrk_ms(text: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text).groups()
    return float(number) * _UNITS_MS[unit]


def parse_wrk(output: str) -> LoadResult:
    p50 = re.search(r"^\s*50%\s+(\S+)", output, re.M).group(1)
    p99 = re.search(r"^\s*99%\s+(\S+)", output, re.M).group(1)
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    requests = int(re.search(r"(\d+) requests in", output).group(1))
    errors = 0
    if match := re.search(r"Non-2xx or 3xx responses: (\d+)", output):
        errors += int(match.group(1))
    if match := re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)",
                          output):
        errors += sum(int(n) for n in match.groups())
    return LoadResult(rps, _wrk_ms(p50), _wrk_ms(p99), requests, errors, "wrk")


def _run_wrk(url, headers, seconds, connections) -> LoadResult:
    command = ["wrk", "--threads", "2", "--connections", str(connections),
               "--duration", f"{seconds}s", "--latency"]
    for name, value in headers.items():
        command += ["--header", f"{name}: {value}"]
    output = subprocess.run([*command, url], capture_output=True, text=True, check=True).stdout
    return parse_wrk(output)


def _run_python(url, headers, seconds, connections) -> LoadResult:
    """A fallback load generator: one thread per connection, a new connection per request
    (as sync workers close them). Slower than wrk; its ceiling is lower too."""
    parts = urllib.parse.urlsplit(url)
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()
    deadline = time.monotonic() + seconds

    def worker():
        own = []
        while time.monotonic() < deadline:
            started = time.perf_counter()
            try:
                connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
                connection.request("GET", path, headers=headers)
                answer = connection.getresponse()
                answer.read()
                connection.close()
                ok = 200 <= answer.status < 400
            except OSError:
                ok = False
            own.append(time.perf_counter() - started)
            if not ok:
                with lock:
                    errors[0] += 1
        with lock:
            latencies.extend(own)

    threads = [threading.Thread(target=worker) for _ in range(connections)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    latencies.sort()

    def percentile(fraction):
        return latencies[min(len(latencies) - 1, int(fraction * len(latencies)))] * 1000

    return LoadResult(len(latencies) / elapsed, percentile(0.50), percentile(0.99),
                      len(latencies), errors[0], "python")


def load_tool() -> str:
    return "wrk" if shutil.which("wrk") else "python"


def run_load(url: str, headers: dict | None = None, seconds: int = SECONDS,
             connections: int = CONNECTIONS, warmup: int = WARMUP_SECONDS) -> LoadResult:
    """A bounded load run against one URL: warm-up first (not counted), then `seconds`."""
    run = _run_wrk if load_tool() == "wrk" else _run_python
    headers = headers or {}
    if warmup:
        run(url, headers, warmup, connections)
    parts = urllib.parse.urlsplit(url)
    base_url = f"{parts.scheme}://{parts.netloc}"
    before = server_cpu_seconds(base_url)
    result = run(url, headers, seconds, connections)
    after = server_cpu_seconds(base_url)
    if before is None or after is None or not result.requests:
        return result
    cpu_ms = cpu_spent(before, after) * 1000 / result.requests
    return dataclasses.replace(result, cpu_ms_per_request=cpu_ms)


def average(first: LoadResult, second: LoadResult) -> LoadResult:
    """Two runs of the same target (the ceiling before and after the portal) as one."""
    cpu = None
    if first.cpu_ms_per_request is not None and second.cpu_ms_per_request is not None:
        cpu = (first.cpu_ms_per_request + second.cpu_ms_per_request) / 2
    return LoadResult(
        (first.requests_per_second + second.requests_per_second) / 2,
        (first.p50_ms + second.p50_ms) / 2, (first.p99_ms + second.p99_ms) / 2,
        first.requests + second.requests, first.errors + second.errors, first.tool, cpu)


def throughput_ratio(result: LoadResult, ceiling: LoadResult) -> float:
    return result.requests_per_second / ceiling.requests_per_second


def cpu_ratio(result: LoadResult, ceiling: LoadResult) -> float | None:
    """The ceiling's CPU per request over the target's: what share of a bare Flask request's
    throughput the target would reach on the same CPU time. None without both figures."""
    if not result.cpu_ms_per_request or not ceiling.cpu_ms_per_request:
        return None
    return ceiling.cpu_ms_per_request / result.cpu_ms_per_request


def ratio(result: LoadResult, ceiling: LoadResult) -> float:
    """The budget ratio: by CPU time per request when measured, else by req/s."""
    by_cpu = cpu_ratio(result, ceiling)
    return by_cpu if by_cpu is not None else throughput_ratio(result, ceiling)


def format_header() -> str:
    return (f"{'target':<28} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'CPU ms/req':>10} "
            f"{'req/s ×':>8} {'CPU ×':>7} {'budget':>16} {'errors':>7}")


def budget_text(budget: float | None, p99_budget_ms: float | None = None) -> str:
    parts = []
    if budget is not None:
        parts.append(f">={budget:.2f}×")
    if p99_budget_ms is not None:
        parts.append(f"p99<={p99_budget_ms:g}")
    return " ".join(parts)


def met(result: LoadResult, ceiling: LoadResult, budget: float | None = None,
        p99_budget_ms: float | None = None) -> bool:
    return (result.errors == 0
            and (budget is None or ratio(result, ceiling) >= budget)
            and (p99_budget_ms is None or result.p99_ms <= p99_budget_ms))


def verdict(ok: bool) -> str:
    return "MET" if ok else "MISSED"


def format_row(name: str, result: LoadResult, ceiling: LoadResult,
               budget: float | None = None, p99_budget_ms: float | None = None) -> str:
    by_cpu = cpu_ratio(result, ceiling)
    shown = ""
    if budget is not None or p99_budget_ms is not None:
        shown = verdict(met(result, ceiling, budget, p99_budget_ms))
    cpu_ms = "" if result.cpu_ms_per_request is None else f"{result.cpu_ms_per_request:.3f}"
    cpu_share = "" if by_cpu is None else f"{by_cpu:.2f}×"
    return (f"{name:<28} {result.requests_per_second:>9.0f} {result.p50_ms:>8.2f} "
            f"{result.p99_ms:>8.2f} {cpu_ms:>10} {throughput_ratio(result, ceiling):>7.2f}× "
            f"{cpu_share:>7} {budget_text(budget, p99_budget_ms):>16} "
            f"{result.errors:>7}  {shown}")


def git_commit() -> str:
    with contextlib.suppress(OSError, subprocess.SubprocessError):
        return subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT,  # noqa: S607
                              capture_output=True, text=True, check=True).stdout.strip()
    return ""


CSV_FIELDS = ["timestamp", "commit", "benchmark", "target", "candidates", "connections",
              "seconds", "requests_per_second", "p50_ms", "p99_ms", "ratio_to_ceiling",
              "errors", "tool", "database", "budget", "verdict", "cpu_ms_per_request",
              "cpu_ratio_to_ceiling", "load_average"]


def csv_row(benchmark: str, target: str, result: LoadResult, ceiling: LoadResult | None,
            candidates: int | str = "", seconds: int = SECONDS,
            connections: int = CONNECTIONS, database: str = "sqlite",
            budget: str = "", verdict: str = "") -> dict:
    return {
        "timestamp": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "commit": git_commit(),
        "benchmark": benchmark,
        "target": target,
        "candidates": candidates,
        "connections": connections,
        "seconds": seconds,
        "requests_per_second": f"{result.requests_per_second:.1f}",
        "p50_ms": f"{result.p50_ms:.2f}",
        "p99_ms": f"{result.p99_ms:.2f}",
        "ratio_to_ceiling": f"{throughput_ratio(result, ceiling):.3f}" if ceiling else "",
        "errors": result.errors,
        "tool": result.tool,
        "database": database,
        "budget": budget,
        "verdict": verdict,
        "cpu_ms_per_request": ("" if result.cpu_ms_per_request is None
                               else f"{result.cpu_ms_per_request:.4f}"),
        "cpu_ratio_to_ceiling": (f"{cpu_ratio(result, ceiling):.3f}"
                                 if ceiling and cpu_ratio(result, ceiling) is not None else ""),
        "load_average": load_average(),
    }


def load_average() -> str:
    """The 1-minute load average, recorded beside each figure (how shared the machine was)."""
    with contextlib.suppress(OSError, AttributeError):
        return f"{os.getloadavg()[0]:.1f}"
    return ""


def append_csv(path: Path, rows: list[dict]) -> None:
    """Append rows, writing the header when the file is new (or rewriting the file under
    the current header when columns were added since it was started)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.exists() and path.stat().st_size:
        with path.open(newline="") as handle:
            reader = csv.DictReader(handle)
            if reader.fieldnames != CSV_FIELDS:
                old_rows = list(reader)
                with path.open("w", newline="") as rewrite:
                    writer = csv.DictWriter(rewrite, fieldnames=CSV_FIELDS, restval="",
                                            extrasaction="ignore")
                    writer.writeheader()
                    writer.writerows(old_rows)
    is_new = not path.exists() or path.stat().st_size == 0
    with path.open("a", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=CSV_FIELDS, restval="")
        if is_new:
            writer.writeheader()
        writer.writerows(rows)
