"""Does the time of a 'By email address' answer tell whether the address is on file?

Self-contained: a throwaway SQLite database with the catalog and demo data, the app in
process (Flask test client, no network), no MAIL_URL. Requests for the four kinds of address
are interleaved; each median is printed as a ratio to the median for an address not on file,
measured in the same run. A ratio near 1.00 means the timing gives nothing away.

    .venv/bin/python bench/first_time_login.py [--rounds 300]
"""

import argparse
import re
import statistics
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from certportal import create_app  # noqa: E402
from certportal.db import bind, database, upgrade_schema  # noqa: E402

CSRF_INPUT = re.compile(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"')


def seeded_database(folder: str) -> str:
    from certportal.cli import CATALOG_DIR
    from certportal.domain.catalog import load_catalog
    from certportal.domain.demo import load_demo_data
    from certportal.models import Candidate

    url = f"sqlite:///{folder}/bench.sqlite3"
    bind(url)
    with database.connection_context():
        upgrade_schema()
        load_catalog(CATALOG_DIR)
        load_demo_data(date.today())
        # Two records on one address: the "must be merged" answer.
        for login_id in ("CSCO19999998", "CSCO19999999"):
            Candidate.create(login_id=login_id, program_id=login_id, email="shared@example.org",
                             email_key="shared@example.org", last_name="Doe",
                             last_name_key="doe")
    return url


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=300)
    rounds = parser.parse_args().rounds
    with tempfile.TemporaryDirectory() as folder:
        app = create_app({
            "SECRET_KEY": "bench", "DATABASE_URL": seeded_database(folder),
            "RATELIMIT_ENABLED": False, "MAIL_URL": "",
        })
        client = app.test_client()
        token = CSRF_INPUT.search(client.get("/first-time-login").text).group(1)
        addresses = {
            "not on file (baseline)": "nobody@example.org",
            "one unmapped record": "ana.nunez@certportal.example",
            "one mapped record": "wang.mei@certportal.example",
            "several records": "shared@example.org",
        }
        timings = {kind: [] for kind in addresses}
        for _ in range(rounds):
            for kind, address in addresses.items():
                started = time.perf_counter()
                response = client.post("/first-time-login/by-email",
                                       data={"email": address, "csrf_token": token})
                timings[kind].append(time.perf_counter() - started)
                assert response.status_code == 303, response.status_code
    baseline = statistics.median(timings["not on file (baseline)"])
    print(f"'By email address' answer, median of {rounds} requests each (in process, SQLite)")
    for kind, samples in timings.items():
        median = statistics.median(samples)
        print(f"  {kind:<24} {median * 1000:7.2f} ms   {median / baseline:5.2f}x baseline")


if __name__ == "__main__":
    main()
