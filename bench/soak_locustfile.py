"""The simulated candidates of `make soak` (bench/soak.py runs Locust on this file).

Each Locust user is one candidate with a password and their own client address (sent as
X-Forwarded-For; the portal trusts one proxy hop, so rate limits key on it): they log in,
view their pages, sort and search their history, create transcripts and email them, view
public transcripts as third parties, look up verification codes, and log out and in again.

What the check afterwards needs is written to $SOAK_LEDGER when the run stops: every
transcript created (its unique description), every public viewer of each transcript (a
viewer is an address and a User-Agent: the portal counts one a day, so the expected count is
the number of distinct viewers), every email sent, and every failed request with its time.
Standard Locust only: this file never imports the portal.
"""

import json
import os
import random
import re
import time
import uuid
from itertools import count, cycle

from locust import HttpUser, between, events, task
from locust.clients import HttpSession

CONFIG = json.loads(open(os.environ["SOAK_CONFIG"]).read())  # noqa: SIM115, PTH123
CSRF = re.compile(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"')
PUBLIC_LINK = re.compile(r"/transcripts/([A-Za-z0-9]{16})/email")
PARTIAL = {"HX-Request": "true", "HX-Request-Type": "partial"}
PAGES = ["/", "/certifications/", "/testing-history/", "/testing-history/agreements",
         "/testing-history/ce-activities", "/testing-history/transactions", "/transcripts",
         "/personal-info/", "/personal-info/settings"]
SORT_KEYS = ["code", "exam", "registration", "grade", "date", "expires"]
SEARCHES = ["cisco", "live", "partner", "skillsoft", "2021", "zzz"]
# Public badge pages of the simulated candidates (bench/soak.py issues their badges).
BADGE_PATHS: list[str] = CONFIG.get("badge_paths", [])

logins = cycle(CONFIG["logins"])
user_numbers = count(1)
public_ids: list[str] = []
repeat_viewers = [(f"172.16.0.{n}", f"soak-repeat-viewer/{n}") for n in range(1, 21)]
etags: dict[tuple[str, str], str] = {}
LEDGER = {"created": [], "viewers": {}, "viewers_failed": {}, "view_requests": 0, "emails_ok": 0,
          "emails_failed": 0, "failures": [], "slow": []}
# A request slower than the soak's p99 budget is kept with its time, so the report can say
# when the tail was.
SLOW_MS = CONFIG["slow_ms"]


@events.request.add_listener
def _record_failure(request_type, name, response_time, response_length, exception=None,
                    **_kwargs):
    if response_time > SLOW_MS:
        LEDGER["slow"].append({"time": time.time(), "name": f"{request_type} {name}",
                               "ms": round(response_time)})
    if exception is not None:
        LEDGER["failures"].append({"time": time.time(), "name": f"{request_type} {name}",
                                   "error": str(exception)[:300]})


@events.test_stop.add_listener
def _write_ledger(**_kwargs):
    ledger = {**LEDGER,
              "viewers": {k: sorted(v) for k, v in LEDGER["viewers"].items()},
              "viewers_failed": {k: sorted(v) for k, v in LEDGER["viewers_failed"].items()}}
    with open(os.environ["SOAK_LEDGER"], "w") as handle:  # noqa: PTH123
        json.dump(ledger, handle)


class SimulatedCandidate(HttpUser):
    wait_time = between(0.5, 2.5)

    def on_start(self):
        number = next(user_numbers)
        self.login_id = next(logins)
        self.client.headers["X-Forwarded-For"] = f"10.0.{number // 250}.{number % 250 + 1}"
        self.own_transcripts: list[str] = []
        # Third parties' requests (public transcripts and badges) carry no session cookie,
        # as a reader who was sent a link has none.
        self.third_party = HttpSession(base_url=self.host,
                                       request_event=self.environment.events.request, user=self)
        self.log_in()
        self.create_transcript()

    # -- helpers -------------------------------------------------------------------------
    def token_from(self, path: str, name: str) -> str | None:
        with self.client.get(path, name=name, catch_response=True) as answer:
            match = CSRF.search(answer.text or "")
            if answer.status_code != 200 or not match:
                answer.failure(f"{answer.status_code} without a CSRF token")
                return None
            return match.group(1)

    def log_in(self):
        token = self.token_from("/login", "/login")
        if token is None:
            return
        with self.client.post("/login", name="/login [POST]", allow_redirects=False,
                              catch_response=True,
                              data={"identifier": self.login_id,
                                    "password": CONFIG["password"],
                                    "csrf_token": token}) as answer:
            if answer.status_code != 303:
                answer.failure(f"log-in answered {answer.status_code}")

    # -- the mix -------------------------------------------------------------------------
    @task(10)
    def page(self):
        path = random.choice(PAGES)
        self.client.get(path, name=path)

    @task(4)
    def sort_history(self):
        key, direction = random.choice(SORT_KEYS), random.choice(("asc", "desc"))
        self.client.get(f"/testing-history/?sort={key}&dir={direction}", headers=PARTIAL,
                        name="/testing-history/?sort=… (fragment)")

    @task(2)
    def search_ce(self):
        self.client.get(f"/testing-history/ce-activities?q={random.choice(SEARCHES)}",
                        headers=PARTIAL, name="/testing-history/ce-activities?q=… (fragment)")

    @task(1)
    def create_transcript(self):
        token = self.token_from("/transcripts/new", "/transcripts/new")
        if token is None:
            return
        description = f"soak-{uuid.uuid4().hex[:12]}"
        with self.client.post("/transcripts/new", name="/transcripts/new [POST]",
                              allow_redirects=False, catch_response=True,
                              data={"name_form": "full", "expires_after": "90",
                                    "description": description, "selection": "all_new",
                                    "show_dates": "y", "csrf_token": token}) as answer:
            if answer.status_code != 303:
                answer.failure(f"create answered {answer.status_code}")
                return
        LEDGER["created"].append([self.login_id, description])
        listing = self.client.get("/transcripts", name="/transcripts")
        for public_id in PUBLIC_LINK.findall(listing.text or ""):
            if public_id not in self.own_transcripts:
                self.own_transcripts.append(public_id)
            if public_id not in public_ids:
                public_ids.append(public_id)

    @task(1)
    def email_transcript(self):
        if not self.own_transcripts:
            return
        public_id = random.choice(self.own_transcripts)
        token = self.token_from(f"/transcripts/{public_id}/email", "/transcripts/[id]/email")
        if token is None:
            LEDGER["emails_failed"] += 1
            return
        with self.client.post(f"/transcripts/{public_id}/email",
                              name="/transcripts/[id]/email [POST]", allow_redirects=False,
                              catch_response=True,
                              data={"to": f"employer-{uuid.uuid4().hex[:8]}@example.test",
                                    "csrf_token": token}) as answer:
            if answer.status_code == 303:
                LEDGER["emails_ok"] += 1
            else:
                LEDGER["emails_failed"] += 1
                answer.failure(f"email answered {answer.status_code}")

    @task(4)
    def view_public_transcript(self):
        if not public_ids:
            return
        public_id = random.choice(public_ids)
        if random.random() < 0.3:
            # Twenty regular readers of the first few transcripts: they come back the same
            # day (with If-None-Match), which must not count again.
            address, agent = random.choice(repeat_viewers)
            public_id = random.choice(public_ids[:5])
        else:
            address, agent = f"192.168.{random.randrange(256)}.{random.randrange(1, 255)}", \
                f"soak-viewer/{uuid.uuid4().hex[:10]}"
        headers = {"X-Forwarded-For": address, "User-Agent": agent}
        etag = etags.get((public_id, agent))
        if etag:
            headers["If-None-Match"] = etag
        viewer = f"{address} {agent}"
        with self.third_party.get(f"/t/{public_id}", headers=headers, name="/t/[id]",
                                  catch_response=True) as answer:
            if answer.status_code in (200, 304):
                LEDGER["view_requests"] += 1
                LEDGER["viewers"].setdefault(public_id, set()).add(viewer)
                if answer.headers.get("ETag"):
                    etags[(public_id, agent)] = answer.headers["ETag"]
            else:
                LEDGER["viewers_failed"].setdefault(public_id, set()).add(viewer)
                answer.failure(f"public transcript answered {answer.status_code}")

    @task(1)
    def view_badge(self):
        if BADGE_PATHS:
            address = f"192.168.{random.randrange(256)}.{random.randrange(1, 255)}"
            self.third_party.get(random.choice(BADGE_PATHS), name="/badges/[id]",
                                 headers={"X-Forwarded-For": address})

    @task(3)
    def verify(self):
        code = random.choice(CONFIG["codes"])
        if random.random() < 0.5:
            self.client.get(f"/verify/{code}", name="/verify/[code]")
        else:
            self.client.get(f"/api/v1/verifications/{code}",
                            name="/api/v1/verifications/[code]")

    @task(1)
    def log_out_and_in(self):
        token = self.token_from("/testing-history/agreements", "/testing-history/agreements")
        if token is None:
            return
        self.client.post("/logout", data={"csrf_token": token}, name="/logout [POST]",
                         allow_redirects=False)
        self.log_in()
