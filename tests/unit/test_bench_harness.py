"""The bench harness reads wrk's report and records runs the way the README quotes them."""

import csv
import sys

from tests.conftest import project_root

sys.path.insert(0, str(project_root() / "bench"))

import harness  # noqa: E402

WRK_REPORT = """Running 10s test @ http://127.0.0.1:8000/
  2 threads and 8 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     4.10ms    2.01ms  30.12ms   80.00%
  Latency Distribution
     50%  850.00us
     75%    4.93ms
     90%    6.40ms
     99%   12.50ms
  1234 requests in 10.00s, 1.20MB read
  Socket errors: connect 0, read 2, write 0, timeout 1
  Non-2xx or 3xx responses: 4
Requests/sec:    123.40
Transfer/sec:    122.00KB
"""


def test_wrk_report_is_read_in_milliseconds():
    result = harness.parse_wrk(WRK_REPORT)
    assert result.requests_per_second == 123.4
    assert result.p50_ms == 0.85 and result.p99_ms == 12.5
    assert result.requests == 1234 and result.errors == 7


def test_runs_are_appended_with_their_ratio_to_the_ceiling(tmp_path):
    ceiling = harness.LoadResult(2000.0, 1.0, 3.0, 20000, 0, "wrk")
    page = harness.LoadResult(500.0, 4.0, 9.0, 5000, 0, "wrk")
    path = tmp_path / "results.csv"
    harness.append_csv(path, [harness.csv_row("demo", "page", page, ceiling, 1000)])
    harness.append_csv(path, [harness.csv_row("demo", "page", page, ceiling, 1000)])
    rows = list(csv.DictReader(path.open()))
    assert len(rows) == 2
    assert rows[0]["ratio_to_ceiling"] == "0.250" and rows[0]["candidates"] == "1000"
    assert "0.25×" in harness.format_row("page", page, ceiling, budget=0.40)
    assert harness.format_row("page", page, ceiling, budget=0.40).endswith("MISSED")


def test_budgets_are_judged_on_server_cpu_per_request_when_both_have_it(tmp_path):
    # Wall clock says a quarter of the ceiling; CPU time says half: a busy machine, not the page.
    ceiling = harness.LoadResult(2000.0, 1.0, 3.0, 20000, 0, "wrk", cpu_ms_per_request=0.3)
    page = harness.LoadResult(500.0, 4.0, 9.0, 5000, 0, "wrk", cpu_ms_per_request=0.6)
    assert harness.ratio(page, ceiling) == 0.5
    assert harness.format_row("page", page, ceiling, budget=0.40).endswith("MET")
    without_cpu = harness.LoadResult(500.0, 4.0, 9.0, 5000, 0, "wrk")
    assert harness.format_row("page", without_cpu, ceiling, budget=0.40).endswith("MISSED")
    path = tmp_path / "results.csv"
    harness.append_csv(path, [harness.csv_row("demo", "page", page, ceiling, 1000)])
    row = next(csv.DictReader(path.open()))
    assert row["ratio_to_ceiling"] == "0.250" and row["cpu_ratio_to_ceiling"] == "0.500"
    assert row["cpu_ms_per_request"] == "0.6000" and row["load_average"]


def test_server_cpu_counts_the_workers_of_the_server(monkeypatch):
    import os
    import subprocess
    import time

    # This test process stands in for gunicorn's master; a busy child for a worker.
    monkeypatch.setitem(harness._SERVERS, "http://127.0.0.1:1", os.getpid())
    before = harness.server_cpu_seconds("http://127.0.0.1:1")
    worker = subprocess.Popen([sys.executable, "-c",
                               "import time\nend = time.process_time() + 0.3\n"
                               "while time.process_time() < end: pass\ninput()"],
                              stdin=subprocess.PIPE)
    try:
        for _ in range(1200):  # the child spins 0.3 s of CPU; a busy machine may take long
            after = harness.server_cpu_seconds("http://127.0.0.1:1")
            if after.get(worker.pid, 0) >= 0.3:
                break
            time.sleep(0.05)
        assert harness.cpu_spent(before, after) >= 0.3
        assert harness.server_cpu_seconds("http://127.0.0.1:2") is None
    finally:
        worker.communicate(b"\n", timeout=10)
