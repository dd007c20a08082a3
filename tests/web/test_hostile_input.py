"""Input no page should have to handle: NUL bytes, files sent to text forms, url_for's own
arguments in a query string, oversized bodies, forged proxy headers. None may cause a 500.

The forms and links are found by crawling the pages a visitor and a candidate can reach, so
a page added later is covered without being listed here.
"""

import io
import re
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

import pytest

from certportal import create_app
from tests.conftest import log_in

NUL = "\x00"
NUL_MESSAGE = "contains a NUL character"
FILE_MESSAGE = "This form takes text only, not files."
SKIP_PREFIXES = ("/static/", "/logout", "/dev/")
URL_FOR_ARGUMENTS = {
    "endpoint": "main.home",
    "_method": "POST",
    "_external": "1",
    "_anchor": "x",
    "_scheme": "https",
}


class PageParts(HTMLParser):
    """The links and forms (action, method, field names) of one page."""

    def __init__(self):
        super().__init__()
        self.links: list[str] = []
        self.forms: list[dict] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "a" and attrs.get("href"):
            self.links.append(attrs["href"])
        elif tag == "form":
            self.forms.append({"action": attrs.get("action", ""),
                               "method": (attrs.get("method") or "get").lower(),
                               "fields": {}})
        elif (tag in ("input", "textarea", "select") and self.forms and attrs.get("name")
              and attrs.get("type") not in ("submit", "button", "file")):
            self.forms[-1]["fields"].setdefault(attrs["name"], attrs.get("value") or "x")


def crawl(client, start: list[str], limit: int = 60) -> tuple[list[str], list[dict]]:
    """Every local page reachable from `start` (GET, 200), and every form on them."""
    seen, queue, pages, forms = set(), list(start), [], []
    while queue and len(pages) < limit:
        path = queue.pop(0)
        if path in seen or path.startswith(SKIP_PREFIXES):
            continue
        seen.add(path)
        response = client.get(path)
        if response.status_code != 200 or "text/html" not in response.content_type:
            continue
        pages.append(path)
        parts = PageParts()
        parts.feed(response.text)
        for form in parts.forms:
            form["page"] = path
            form["action"] = urlsplit(urljoin(path, form["action"] or path)).path
            forms.append(form)
        for href in parts.links:
            target = urlsplit(urljoin("http://localhost" + path, href))
            if target.netloc == "localhost" and target.path not in seen:
                queue.append(target.path + (f"?{target.query}" if target.query else ""))
    return pages, forms


def _unique(forms):
    found = {}
    for form in forms:
        if form["action"].startswith(SKIP_PREFIXES):
            continue
        found.setdefault((form["method"], form["action"]), form)
    return list(found.values())


def _submit(client, form, fields, **kwargs):
    if form["method"] == "post":
        return client.post(form["action"], data=fields, **kwargs)
    return client.get(form["action"], query_string=fields, **kwargs)


@pytest.fixture
def visitor(client):
    return client


@pytest.fixture(params=["visitor", "candidate"])
def browsing(request, client):
    if request.param == "candidate":
        assert log_in(client).status_code == 303
        return client, ["/", "/help", "/support"]
    return client, ["/login", "/first-time-login", "/forgot-password", "/support/cases/new",
                    "/verify"]


def test_a_nul_byte_in_any_field_is_refused_clearly(browsing):
    client, start = browsing
    pages, forms = crawl(client, start)
    forms = _unique(forms)
    assert len(forms) >= 4, forms
    for form in forms:
        fields = {name: (value if name == "csrf_token" else f"a{NUL}b")
                  for name, value in form["fields"].items()}
        if not any(NUL in value for value in fields.values()):
            fields["q"] = NUL
        response = _submit(client, form, fields)
        assert response.status_code == 400, (form, response.status_code)
        assert NUL_MESSAGE in response.text


def test_a_nul_byte_in_any_query_or_path_is_refused_clearly(browsing):
    client, start = browsing
    pages, _ = crawl(client, start)
    assert len(pages) >= 4
    for path in pages:
        response = client.get(path.partition("?")[0],
                              query_string={"page": f"2{NUL}", "q": NUL, "sort": NUL})
        assert response.status_code == 400, path
        assert NUL_MESSAGE in response.text
    for path in ("/t/AB%00CD", "/verify/AB%00CD", "/api/v1/verifications/AB%00CD"):
        assert client.get(path).status_code == 400


def test_a_file_where_text_is_expected_is_refused_clearly(browsing):
    client, start = browsing
    _, forms = crawl(client, start)
    posts = [form for form in _unique(forms) if form["method"] == "post"]
    assert len(posts) >= 3
    for form in posts:
        text_fields = [name for name in form["fields"] if name != "csrf_token"]
        for name in text_fields or ["anything"]:
            data = dict(form["fields"])
            data[name] = (io.BytesIO(b"not text"), "evil.txt")
            response = client.post(form["action"], data=data,
                                   content_type="multipart/form-data")
            assert response.status_code == 400, (form["action"], name, response.status_code)
            assert FILE_MESSAGE in response.text


def test_url_for_arguments_in_a_query_string_change_nothing(candidate_client):
    for path in ("/testing-history/", "/testing-history/ce-activities",
                 "/testing-history/transactions", "/transcripts", "/certifications/"):
        response = candidate_client.get(path, query_string={**URL_FOR_ARGUMENTS, "page": "1"})
        assert response.status_code == 200, path


def test_a_paged_list_keeps_only_its_own_arguments(candidate_client, db):
    from datetime import date

    from certportal.models import Candidate, CeCredit

    john = Candidate.get(Candidate.login_id == "CSCO10000000")
    CeCredit.insert_many([
        {"candidate": john, "name": f"Extra CE {n}", "points": 1, "active_on": date(2026, 1, 1),
         "inactive_on": date(2029, 1, 1), "external_id": f"X{n}", "source": "Test",
         "updated_on": date(2026, 1, 2)}
        for n in range(60)
    ]).execute()
    page = candidate_client.get(
        "/testing-history/ce-activities",
        query_string={"q": "Extra", **URL_FOR_ARGUMENTS},
    )
    assert page.status_code == 200
    next_links = re.findall(r'href="([^"]*page=2[^"]*)"', page.text)
    assert next_links, "no Next page link"
    for link in next_links:
        # Relative, on this site: never built for another host or scheme.
        assert link.startswith("/testing-history/ce-activities?")
        assert "q=Extra" in link
        for name in URL_FOR_ARGUMENTS:
            assert f"{name}=" not in link


class NeverRead(io.RawIOBase):
    """A request body that fails the test if the portal reads any of it."""

    def __init__(self):
        self.bytes_read = 0

    def readable(self):
        return True

    def readinto(self, buffer):
        self.bytes_read += len(buffer)
        raise AssertionError("the portal read a body it should have refused")


def test_an_oversized_anonymous_post_is_refused_before_it_is_read(app):
    from werkzeug.test import EnvironBuilder, run_wsgi_app

    environ = EnvironBuilder(
        path="/support/cases/new", method="POST",
        content_type="application/x-www-form-urlencoded",
    ).get_environ()
    body = NeverRead()
    environ.update({"CONTENT_LENGTH": str(50 * 1024 * 1024), "wsgi.input": body})
    app_iter, status, _ = run_wsgi_app(app, environ, buffered=True)
    assert status.startswith("413")
    assert "larger than this page accepts" in b"".join(app_iter).decode()
    assert body.bytes_read == 0


def test_a_form_body_over_the_form_limit_is_refused(visitor):
    response = visitor.post("/login", data={"identifier": "x" * (70 * 1024), "password": "y"})
    assert response.status_code == 413


def test_too_many_form_parts_are_refused(visitor):
    fields = {f"f{n}": "x" for n in range(400)}
    response = visitor.post("/login", data=fields, content_type="multipart/form-data")
    assert response.status_code == 413


# --- Behind a reverse proxy ------------------------------------------------------------------


def _limited_app(app_config, proxies: int):
    app_config.update(RATELIMIT_ENABLED=True, LOGIN_RATE_LIMIT="2 per minute",
                      TRUSTED_PROXIES=proxies)
    return create_app(app_config)


def _login_statuses(client, forwarded_for: str, times: int) -> list[int]:
    return [
        log_in(client, "CSCO10000000", "wrong-password-1",
               environ_base={"REMOTE_ADDR": "10.0.0.1"},
               headers={"X-Forwarded-For": forwarded_for}).status_code
        for _ in range(times)
    ]


def test_behind_a_trusted_proxy_each_client_has_its_own_allowance(app_config):
    client = _limited_app(app_config, proxies=1).test_client()
    assert _login_statuses(client, "198.51.100.1", 3) == [422, 422, 429]
    assert _login_statuses(client, "198.51.100.2", 2) == [422, 422]


def test_without_trusted_proxies_a_forged_forwarded_for_changes_nothing(app_config):
    client = _limited_app(app_config, proxies=0).test_client()
    assert _login_statuses(client, "198.51.100.1", 2) == [422, 422]
    assert _login_statuses(client, "198.51.100.2", 1) == [429]


def test_behind_a_trusted_proxy_the_real_client_address_is_stored(app_config, db):
    from certportal.models import LoginSession

    app_config["TRUSTED_PROXIES"] = 1
    client = create_app(app_config).test_client()
    response = log_in(client, environ_base={"REMOTE_ADDR": "10.0.0.1"},
                      headers={"X-Forwarded-For": "203.0.113.50"})
    assert response.status_code == 303
    assert LoginSession.get().ip_address == "203.0.113.50"


def test_trusted_proxies_must_be_a_count(monkeypatch, tmp_path):
    from certportal import config

    monkeypatch.setenv("TRUSTED_PROXIES", "yes")
    with pytest.raises(config.ConfigError, match="TRUSTED_PROXIES must be a whole number"):
        config.load(str(tmp_path), {"SECRET_KEY": "x"})


# --- Rate-limited API ------------------------------------------------------------------------


def test_the_api_answers_429_in_json_with_retry_after(app_config):
    app_config.update(RATELIMIT_ENABLED=True, VERIFICATION_RATE_LIMIT="2 per minute")
    client = create_app(app_config).test_client()
    for _ in range(2):
        client.get("/api/v1/verifications/ABCD2345")
    limited = client.get("/api/v1/verifications/ABCD2345")
    assert limited.status_code == 429
    assert limited.is_json and limited.json["error"] == "too_many_attempts"
    assert 1 <= int(limited.headers["Retry-After"]) <= 61
    page = client.get("/verify?code=ABCD2345")
    assert page.status_code == 429 and "Too many attempts" in page.text
    assert int(page.headers["Retry-After"]) >= 1
