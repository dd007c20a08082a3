"""`make bench`: Testing History under load, as ratios to a bare Flask ceiling (same run).

    .venv/bin/python bench/run.py                                 # 1,000 candidates
    .venv/bin/python bench/run.py --candidates 1000 1000000       # and the 1M-candidate figure
    make bench BENCH_ARGS="--seconds 20"

Serves the portal and a bare Flask "hello" app with gunicorn (2 sync workers, 127.0.0.1),
logs in as the guide's John Doe, and loads with wrk (8 connections; a Python load generator
when wrk is missing): (a) the ceiling, (b) the exams full page, (c) the sorted-table fragment,
(d) the CE search fragment. Prints req/s, p50, p99 and each figure's ratio to the ceiling,
and appends a line per figure to bench/results/history.csv. The ceiling is measured before
and after the portal and averaged, because other work on a shared machine moves it.
"""

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import dataset  # noqa: E402
import harness  # noqa: E402

BENCHMARK = "testing-history"
LOGIN = ("CSCO10000000", "certportal-demo")

# name, path, htmx partial?, text the answer must hold, budget (ratio to ceiling)
TARGETS = [
    ("exams page", "/testing-history/", False, 'id="exam-table"', 0.40),
    ("sorted table fragment", "/testing-history/?sort=date&dir=asc", True,
     '<div id="exam-table"', 0.50),
    ("CE search fragment", "/testing-history/ce-activities?q=cisco", True,
     '<div id="ce-results"', 0.50),
]
P99_BUDGET_MS = 20.0
SCALE_BUDGET = 1.2  # 1M-candidate figures within this factor of the 1,000-candidate ones


def measure_ceiling(args) -> harness.LoadResult:
    with harness.gunicorn("hello:app", pythonpath=harness.BENCH_DIR) as url:
        return harness.run_load(url + "/", seconds=args.seconds, connections=args.connections)


def average(first: harness.LoadResult, second: harness.LoadResult) -> harness.LoadResult:
    return harness.LoadResult(
        (first.requests_per_second + second.requests_per_second) / 2,
        (first.p50_ms + second.p50_ms) / 2, (first.p99_ms + second.p99_ms) / 2,
        first.requests + second.requests, first.errors + second.errors, first.tool)


def measure_portal(candidates: int, args, tree: Path = harness.ROOT):
    database_path = dataset.ensure(candidates)
    results = {}
    with harness.gunicorn("app:app", env=harness.portal_env(database_path), chdir=tree) as url:
        cookie = harness.login_cookie(url, *LOGIN)
        for name, path, partial, expected, _ in TARGETS:
            headers = {"Cookie": cookie, **(harness.PARTIAL_HEADERS if partial else {})}
            status, body = harness.fetch(url + path, headers)
            if status != 200 or expected not in body or ("<html" in body) == partial:
                raise SystemExit(f"{name}: {url + path} answered {status} without {expected!r}")
            results[name] = harness.run_load(url + path, headers, seconds=args.seconds,
                                             connections=args.connections)
    return results


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--candidates", type=int, nargs="+", default=[1000])
    parser.add_argument("--seconds", type=int, default=harness.SECONDS)
    parser.add_argument("--connections", type=int, default=harness.CONNECTIONS)
    parser.add_argument("--csv", type=Path, default=harness.RESULTS_CSV)
    parser.add_argument("--baseline-tree", type=Path, default=None,
                        help="another checkout (e.g. `git archive COMMIT | tar -x -C DIR`) "
                        "measured in the same run on the smallest dataset, for before/after")
    args = parser.parse_args(argv)

    tool = harness.load_tool()
    print(f"load: {tool}, {args.connections} connections, {args.seconds} s a figure, "
          f"gunicorn {harness.WORKERS} sync workers on 127.0.0.1")
    before = measure_ceiling(args)
    by_size = {candidates: measure_portal(candidates, args) for candidates in args.candidates}
    baseline = None
    if args.baseline_tree:
        baseline = measure_portal(min(args.candidates), args, args.baseline_tree.resolve())
    after = measure_ceiling(args)
    ceiling = average(before, after)

    print(f"\nceiling (bare Flask hello): {ceiling.requests_per_second:.0f} req/s "
          f"(before {before.requests_per_second:.0f}, after {after.requests_per_second:.0f}), "
          f"p50 {ceiling.p50_ms:.2f} ms, p99 {ceiling.p99_ms:.2f} ms")
    rows = [harness.csv_row(BENCHMARK, "ceiling", ceiling, ceiling, "", args.seconds,
                            args.connections)]
    all_met = True
    for candidates, results in by_size.items():
        print(f"\n{candidates:,} candidates")
        print(harness.format_header())
        for name, _, _, _, budget in TARGETS:
            result = results[name]
            print(harness.format_row(name, result, ceiling, budget, P99_BUDGET_MS))
            all_met &= (harness.ratio(result, ceiling) >= budget
                        and result.p99_ms <= P99_BUDGET_MS and result.errors == 0)
            rows.append(harness.csv_row(BENCHMARK, name, result, ceiling, candidates,
                                        args.seconds, args.connections))
    if baseline:
        smallest = min(by_size)
        print(f"\nbaseline tree {args.baseline_tree} ({smallest:,} candidates)")
        print(harness.format_header())
        for name, _, _, _, budget in TARGETS:
            print(harness.format_row(name, baseline[name], ceiling, budget, P99_BUDGET_MS))
            rows.append(harness.csv_row(BENCHMARK, f"baseline {name}", baseline[name], ceiling,
                                        smallest, args.seconds, args.connections))
        for name, *_ in TARGETS:
            gain = (by_size[smallest][name].requests_per_second
                    / baseline[name].requests_per_second)
            print(f"{name:<28} this tree {gain:.2f}× the baseline's throughput")
    sizes = sorted(by_size)
    if len(sizes) > 1:
        small, large = sizes[0], sizes[-1]
        print(f"\n{large:,} vs {small:,} candidates (budget: within {SCALE_BUDGET}×)")
        for name, *_ in TARGETS:
            slower = (by_size[small][name].requests_per_second
                      / by_size[large][name].requests_per_second)
            p99 = by_size[large][name].p99_ms / by_size[small][name].p99_ms
            met = slower <= SCALE_BUDGET
            all_met &= met
            print(f"{name:<28} throughput {slower:.2f}× slower, p99 {p99:.2f}×  "
                  f"{'ok' if met else 'MISSED'}")
    harness.append_csv(args.csv, rows)
    print(f"\nappended {len(rows)} rows to {args.csv}")
    return 0 if all_met else 1


if __name__ == "__main__":
    sys.exit(main())
