"""The Nu Html Checker over every page and htmx fragment the test session rendered.

Every `text/html` answer of the app — through Flask's test client or the live server the
browser tests drive — is recorded as it leaves the app. When the session ends, each
distinct document is checked once by vnu.jar (`--errors-only`): a full page as it is, a
fragment (what htmx swaps in) inside a minimal document. Any error fails the run, naming
the URL that answered it and the checker's message.

Needs Java and the locked `vnu-jar` from tests/standards (installed by `npm ci` on first
use). Without them the check is skipped with a warning, except under CI=true, where that
is a failure. `--no-html-check` turns it off for a quick local run.
"""

import hashlib
import json
import re
import shutil
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from flask import request, request_finished

from tests.node_packages import ToolMissing, install_locked, running_in_ci

STANDARDS_DIR = Path(__file__).resolve().parent
VNU_JAR = Path("vnu-jar/build/dist/vnu.jar")
FRAGMENT_PAGE = (
    '<!doctype html><html lang="en"><head><meta charset="utf-8">'
    "<title>htmx fragment</title></head><body>\n{}\n</body></html>\n"
)
# What differs between two renderings of the same document: the per-session CSRF token.
VOLATILE = re.compile(r"(csrf_token\" (?:type=\"hidden\" )?value=\"|X-CSRFToken\": \")[^\"]+")
DOCTYPE = re.compile(r"\s*<!doctype html", re.IGNORECASE)
SHOWN_URLS = 3


@dataclass
class Rendered:
    url: str
    status: int
    fragment: bool
    html: str
    times: int = 1


@dataclass
class Collector:
    documents: dict[str, Rendered] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, sender, response, **_extra):
        if response.mimetype != "text/html" or response.is_streamed:
            return
        html = response.get_data(as_text=True)
        if not html.strip():
            return  # a redirect, or an htmx answer that only sets headers
        key = hashlib.sha256(VOLATILE.sub(r"\1", html).encode()).hexdigest()
        url = request.full_path.rstrip("?")
        fragment = not DOCTYPE.match(html)
        with self.lock:
            if key in self.documents:
                self.documents[key].times += 1
            else:
                self.documents[key] = Rendered(f"{request.method} {url}", response.status_code,
                                               fragment, html)


def pytest_addoption(parser):
    parser.addoption("--no-html-check", action="store_true",
                     help="do not run the Nu Html Checker over the rendered pages")


def pytest_configure(config):
    if config.getoption("--no-html-check") or hasattr(config, "workerinput"):
        return
    collector = Collector()
    request_finished.connect(collector.record, weak=False)
    config._html_collector = collector


def _vnu_command(folder: Path) -> list[str]:
    java = shutil.which("java")
    if not java:
        raise ToolMissing("java is not on PATH (Java 17 runs the Nu Html Checker)")
    jar = install_locked(STANDARDS_DIR) / VNU_JAR
    return [java, "-Xss4m", "-jar", str(jar), "--errors-only", "--format", "json",
            "--exit-zero-always", str(folder)]


def check_documents(documents: list[Rendered]) -> list[str]:
    """One line per distinct error the checker finds, naming the URLs; raises ToolMissing."""
    with tempfile.TemporaryDirectory(prefix="vnu-") as folder:
        names = {}
        for number, document in enumerate(documents):
            path = Path(folder) / f"{number:05d}.html"
            html = FRAGMENT_PAGE.format(document.html) if document.fragment else document.html
            path.write_text(html, encoding="utf-8")
            names[path.name] = document
        result = subprocess.run(_vnu_command(Path(folder)), capture_output=True, text=True,
                                timeout=600)
    if result.returncode != 0 or not result.stderr.strip().startswith("{"):
        raise RuntimeError(f"the Nu Html Checker did not run: {result.stderr[-2000:]}")
    # One line per distinct message, with the documents that show it.
    found: dict[tuple[str, str], list[str]] = {}
    for message in json.loads(result.stderr)["messages"]:
        if message.get("type") != "error":
            continue
        document = names.get(message.get("url", "").rsplit("/", 1)[-1])
        line = message.get("lastLine")
        if document and document.fragment and line:
            line -= 1  # the wrapper's first line
        where = (f"{document.url} ({'fragment' if document.fragment else 'page'} "
                 f"{document.status}, line {line})" if document else message.get("url", "?"))
        extract = " ".join(message.get("extract", "").split())
        found.setdefault((message["message"], extract), []).append(where)
    problems = []
    for (text, extract), places in found.items():
        more = f" and {len(places) - SHOWN_URLS} more" if len(places) > SHOWN_URLS else ""
        problems.append(f"{text} [{extract}] in {', '.join(places[:SHOWN_URLS])}{more}")
    return problems


def pytest_sessionfinish(session):
    collector = getattr(session.config, "_html_collector", None)
    if collector is None:
        return
    request_finished.disconnect(collector.record)
    documents = list(collector.documents.values())
    if not documents:
        return
    report = session.config._html_check_report = []
    fragments = sum(document.fragment for document in documents)
    started = time.monotonic()
    try:
        problems = check_documents(documents)
    except ToolMissing as missing:
        report.append(f"Nu Html Checker not run: {missing}")
        if running_in_ci():
            report.append("CI must run the Nu Html Checker")
            session.exitstatus = pytest.ExitCode.TESTS_FAILED
        return
    report.append(
        f"Nu Html Checker: {len(documents) - fragments} pages and {fragments} fragments "
        f"(distinct, of {sum(d.times for d in documents)} rendered): "
        f"{len(problems)} distinct errors, {time.monotonic() - started:.1f} s"
    )
    report.extend(problems)
    if problems:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(terminalreporter, config):
    report = getattr(config, "_html_check_report", None)
    if not report:
        return
    failed = len(report) > 1
    terminalreporter.section("Nu Html Checker", red=failed, green=not failed)
    for line in report:
        terminalreporter.line(line)
