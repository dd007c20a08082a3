"""Lighthouse 12 on the main pages: accessibility 100 and best practices at least 95.

Home, Exams and a certification's detail as John Doe sees them, and a public transcript as
a third party does (no cookie), served by the live test server to Debian's Chromium. The
scores are printed. It takes a while, so it runs with `--lighthouse` only (`make
lighthouse`, which CI runs); Lighthouse comes locked from tests/standards.
"""

import json
import os
import shutil
import subprocess
from datetime import date, timedelta

import pytest

from certportal.domain.transcripts import TranscriptInput, create_transcript
from certportal.models import Candidate
from tests.conftest import log_in
from tests.node_packages import ToolMissing, install_locked, node_binary, running_in_ci
from tests.standards.html_check import STANDARDS_DIR

pytestmark = pytest.mark.lighthouse

ACCESSIBILITY = 100
BEST_PRACTICES = 95


def lighthouse(urls: list[str], cookie: str | None = None) -> list[dict]:
    try:
        install_locked(STANDARDS_DIR)
        node = node_binary()
    except ToolMissing as missing:
        if running_in_ci():
            pytest.fail(f"{missing}; CI must run Lighthouse", pytrace=False)
        pytest.skip(str(missing))
    chromium = os.environ.get("CHROME_PATH") or shutil.which("chromium")
    if not chromium:
        pytest.fail("Chromium is not installed: apt-get install -y chromium")
    command = [node, str(STANDARDS_DIR / "lighthouse.mjs")]
    if cookie:
        command += ["--header", f"Cookie: {cookie}"]
    result = subprocess.run(command + urls, capture_output=True, text=True, timeout=600,
                            env={**os.environ, "CHROME_PATH": chromium})
    assert result.returncode == 0, result.stderr[-3000:]
    return [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]


def test_main_pages_score_full_accessibility(live_server, app, db, capsys):
    john = Candidate.get(Candidate.login_id == "CSCO10000000")
    transcript = create_transcript(
        john, TranscriptInput(expires_on=date.today() + timedelta(days=30),
                              remarks="Open to contract work.", show_address=True),
        date.today(),
    )
    client = app.test_client()
    assert log_in(client).status_code == 303
    name = app.config["SESSION_COOKIE_NAME"]
    cookie = f"{name}={client.get_cookie(name).value}"

    reports = lighthouse([f"{live_server}/", f"{live_server}/testing-history/",
                          f"{live_server}/certifications/CCNA"], cookie)
    reports += lighthouse([f"{live_server}/t/{transcript.public_id}"])

    with capsys.disabled():
        print("\nLighthouse 12.2.3   accessibility   best practices   page")
        for report in reports:
            print(f"{'':20}{report['accessibility']:>13}{report['bestPractices']:>17}   "
                  f"{report['url'].removeprefix(live_server)}")
    assert len(reports) == 4
    for report in reports:
        assert report["runtimeError"] is None, report
        assert report["finalUrl"] == report["url"], f"redirected: {report}"
        assert report["accessibility"] >= ACCESSIBILITY, report
        assert report["bestPractices"] >= BEST_PRACTICES, report
