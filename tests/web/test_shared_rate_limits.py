"""Several gunicorn processes on one Redis: a rate limit is one budget for all of them."""

import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from certportal import create_app
from tests.conftest import CSRF_INPUT, csrf_token_from, project_root, unused_port

LOGIN_LIMIT = 5
ATTEMPTS = 16
WORKERS = 4


@pytest.fixture
def gunicorn_on_redis(database_url, redis_server, tmp_path):
    """The portal served by gunicorn with 4 sync workers, rate limits in Redis, on the
    project's own gunicorn.conf.py (the master loads the app and its templates before it
    forks)."""
    port = unused_port()
    access_log = tmp_path / "access.log"
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "SECRET_KEY": "shared-limits-test-key",
        "CERTPORTAL_ENV": "production",
        "BASE_URL": f"http://127.0.0.1:{port}",
        "RATELIMIT_STORAGE_URI": redis_server.url,
        "LOGIN_RATE_LIMIT": f"{LOGIN_LIMIT} per minute",
        "MAIL_URL": "",
    }
    gunicorn = Path(sys.executable).with_name("gunicorn")
    process = subprocess.Popen(
        [str(gunicorn), "--config", str(project_root() / "gunicorn.conf.py"),
         "--workers", str(WORKERS), "--bind", f"127.0.0.1:{port}", "--chdir", str(project_root()),
         "--access-logfile", str(access_log), "--access-logformat", "%(p)s %(m)s %(U)s %(s)s",
         "--log-level", "warning", "app:app"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                assert process.poll() is None, process.stderr.read().decode()
                assert time.monotonic() < deadline, "gunicorn did not start"
                time.sleep(0.1)
        yield f"http://127.0.0.1:{port}", access_log
    finally:
        process.terminate()
        process.wait(timeout=30)


def test_login_limit_holds_across_four_processes(gunicorn_on_redis):
    base, access_log = gunicorn_on_redis
    with urllib.request.urlopen(f"{base}/login") as page:  # noqa: S310 (loopback)
        cookie = page.headers["Set-Cookie"].split(";", 1)[0]
        token = CSRF_INPUT.search(page.read().decode()).group(1)

    def attempt(number: int) -> tuple[int, str]:
        # A new identifier each time: the per-identifier log-in throttle never applies,
        # only the per-client limit under test.
        form = urllib.parse.urlencode({"identifier": f"NOBODY{number:04d}",
                                       "password": "not-the-password", "csrf_token": token})
        request = urllib.request.Request(f"{base}/login", data=form.encode(),  # noqa: S310
                                         headers={"Cookie": cookie})
        try:
            with urllib.request.urlopen(request, timeout=30) as answer:  # noqa: S310
                return answer.status, answer.read().decode()
        except urllib.error.HTTPError as answer:
            return answer.code, answer.read().decode()

    with ThreadPoolExecutor(max_workers=8) as pool:
        answers = list(pool.map(attempt, range(ATTEMPTS)))

    refused = [text for status, text in answers if status == 429]
    assert [status for status, _ in answers].count(422) == LOGIN_LIMIT
    assert len(refused) == ATTEMPTS - LOGIN_LIMIT
    assert all("tried this too often" in text for text in refused)
    # Several processes answered: the limit was shared, not one worker's own count. A
    # worker writes its access-log line just after answering: give the last one a moment.
    deadline = time.monotonic() + 10
    while True:
        log_text = access_log.read_text()
        posts = re.findall(r"^<(\d+)> POST /login ", log_text, re.M)
        if len(posts) == ATTEMPTS or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    assert len(posts) == ATTEMPTS, log_text
    assert len(set(posts)) > 1


def test_unreachable_redis_keeps_limits_in_each_process_and_fails_no_request(app_config):
    app_config.update(RATELIMIT_ENABLED=True, LOGIN_RATE_LIMIT="2 per minute",
                      RATELIMIT_STORAGE_URI=f"redis://127.0.0.1:{unused_port()}/0")
    app = create_app(app_config)
    client = app.test_client()
    token = csrf_token_from(client.get("/login").text)
    statuses = [
        client.post("/login", data={"identifier": f"NOBODY{n}", "password": "wrong-password",
                                    "csrf_token": token}).status_code
        for n in range(3)
    ]
    assert statuses == [422, 422, 429]
