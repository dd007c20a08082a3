"""Public pages answered in front of Flask when nothing about them changed.

A public transcript or badge page is the same for every third party until one of the facts
it shows changes, and each page already has a content tag (its ETag) that changes with them.
A third party's request (a GET without the session cookie and without a query string) for
such a page is answered here, before Flask dispatches, when this process already holds
Flask's own answer for the page's current tag:

- the tag is computed by the same function the page's view uses, from the database, on every
  request, so a disabled transcript, withdrawn consent or a revocation shows at once;
- the page's rate limit is counted in the same bucket Flask-Limiter uses for the view;
- what the view does for every view (counting a transcript's viewers) is done the same way;
- the answer is Flask's own earlier one for that tag, headers included: a 304 when the
  client's If-None-Match holds the tag, else the stored page.

Everything else goes to Flask: a first request for a tag, a page not available, a client
over its limit (Flask answers the 429), the owner (who carries the session cookie), HEAD and
any error (Flask turns database trouble into its 503 page). The view offers its answer for
keeping by calling `offer(tag)`.
"""

import re
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from threading import Lock

from flask import Flask, request
from limits import parse_many
from werkzeug.http import parse_etags, remove_entity_headers

from certportal.db import database

ENVIRON_KEY = "certportal.public_answer"


@dataclass(frozen=True)
class Seen:
    """A page's current tag, and what answering it must still do (e.g. count the view)."""

    tag: str
    on_answer: Callable[[dict], None] | None = None


@dataclass(frozen=True)
class PublicPage:
    """A public page this layer may answer: its path, its view's rate limit, and its tag.

    `current(key)` is the view's own rule: the page's Seen for the key in the path, or None
    when the page is not shown now (Flask then answers with its "not available").
    """

    path: re.Pattern
    limit_setting: str
    limit_scope: str
    current: Callable[[str], Seen | None]


@dataclass
class _Kept:
    """Flask's answer for a tag: a page (body) or, from a 304, only the headers."""

    tag: str
    headers: list[tuple[str, str]]
    body: bytes | None
    # The request headers the answer varies on (its Vary header), as the request had them.
    varies_on: tuple[tuple[str, str], ...]

    @property
    def has_etag(self) -> bool:
        return any(name.lower() == "etag" for name, _ in self.headers)

    @cached_property
    def not_modified_headers(self) -> list[tuple[str, str]]:
        """The headers of a 304 for this answer: werkzeug drops the entity headers."""
        headers = list(self.headers)
        remove_entity_headers(headers)
        return headers


PAGES: list[PublicPage] = []


def register(page: PublicPage) -> None:
    PAGES.append(page)


def offer(tag: str) -> None:
    """Called by a public page's view: this response is the page for `tag`, for anyone."""
    request.environ[ENVIRON_KEY] = tag


def _without(headers, names: set[str]) -> list[tuple[str, str]]:
    return [(name, value) for name, value in headers if name.lower() not in names]


def _varies_on(headers, environ) -> tuple[tuple[str, str], ...]:
    """The request's values of the headers the response varies on. The session cookie is
    left out: only requests without it are kept and answered."""
    names = [
        name.strip()
        for header, value in headers
        if header.lower() == "vary"
        for name in value.split(",")
    ]
    keys = ["HTTP_" + name.upper().replace("-", "_") for name in names
            if name and name.lower() != "cookie"]
    return tuple((key, environ.get(key, "")) for key in keys)


class PublicAnswers:
    """The WSGI layer: wraps the Flask application's wsgi_app (inside ProxyFix, so the
    client's address is the real one)."""

    def __init__(self, app: Flask, wsgi_app):
        self.app = app
        self.wsgi_app = wsgi_app
        self.kept: OrderedDict[str, _Kept] = OrderedDict()
        self.lock = Lock()
        self.cookie_marker = app.config["SESSION_COOKIE_NAME"] + "="
        self._limits: dict[str, list] = {}
        self.max_kept = app.config["PUBLIC_PAGES_KEPT"]

    def __call__(self, environ, start_response):
        match = self._public_page(environ)
        if match is None:
            return self.wsgi_app(environ, start_response)
        page, key = match
        path = environ["PATH_INFO"]
        kept = self.kept.get(path)
        if kept is not None:
            try:
                answer = self._answer(page, key, kept, environ)
            except Exception:  # noqa: BLE001 - Flask answers it, errors included
                self.app.logger.debug("public answer fell through to Flask", exc_info=True)
                answer = None
            if answer is not None:
                status, headers, body = answer
                start_response(status, headers)
                return [body]
        return self._through_flask(path, environ, start_response)

    def _public_page(self, environ):
        if (
            not PAGES
            or environ.get("REQUEST_METHOD") != "GET"
            or environ.get("QUERY_STRING")
            or self.cookie_marker in environ.get("HTTP_COOKIE", "")
        ):
            return None
        path = environ.get("PATH_INFO", "")
        for page in PAGES:
            found = page.path.fullmatch(path)
            if found:
                return page, found.group(1)
        return None

    def _limit_items(self, setting: str) -> list:
        text = self.app.config[setting]
        items = self._limits.get(text)
        if items is None:
            items = self._limits[text] = parse_many(text)
        return items

    def _within_limit(self, limiter, page: PublicPage, environ) -> bool:
        """Count the request in Flask-Limiter's own bucket for the view (its key: the client
        address and the view's scope). False sends it to Flask: over the limit (Flask
        answers the page's 429), or the limit storage down (Flask falls back to memory)."""
        if getattr(limiter, "_storage_dead", True):
            return False
        address = environ.get("REMOTE_ADDR") or "127.0.0.1"
        return all(limiter.limiter.hit(item, address, page.limit_scope)
                   for item in sorted(self._limit_items(page.limit_setting)))

    def _answer(self, page: PublicPage, key: str, kept: _Kept, environ):
        from certportal.web.security import limiter

        if any(environ.get(header, "") != value for header, value in kept.varies_on):
            return None
        not_modified = kept.has_etag and parse_etags(
            environ.get("HTTP_IF_NONE_MATCH")).contains(kept.tag)
        if not not_modified and kept.body is None:
            return None
        with self.app.app_context():
            database.connect(reuse_if_open=True)
            try:
                seen = page.current(key)
                if seen is None or seen.tag != kept.tag:
                    return None
                if limiter.enabled and not self._within_limit(limiter, page, environ):
                    return None
                if seen.on_answer is not None:
                    seen.on_answer(environ)
            finally:
                if not database.is_closed():
                    database.close()
        if not_modified:
            return "304 NOT MODIFIED", list(kept.not_modified_headers), b""
        return "200 OK", [*kept.headers, ("Content-Length", str(len(kept.body)))], kept.body

    def _through_flask(self, path: str, environ, start_response):
        answered = {}

        def keep_status(status, headers, exc_info=None):
            answered["status"], answered["headers"] = status, headers
            return start_response(status, headers, exc_info)

        result = self.wsgi_app(environ, keep_status)
        tag = environ.get(ENVIRON_KEY)
        status = answered.get("status", "")[:3]
        headers = answered.get("headers", [])
        # A response that sets a cookie belongs to one visitor: never answered to another.
        if tag is None or status not in ("200", "304") or any(
            name.lower() == "set-cookie" for name, _ in headers
        ):
            return result
        try:
            body = b"".join(result)
        finally:
            if hasattr(result, "close"):
                result.close()
        kept = _Kept(tag, _without(headers, {"content-length", "date"}),
                     body if status == "200" else None, _varies_on(headers, environ))
        with self.lock:
            earlier = self.kept.get(path)
            if kept.body is None and earlier is not None and earlier.tag == tag:
                kept = earlier  # a page already kept for this tag answers 304s as well
            self.kept[path] = kept
            self.kept.move_to_end(path)
            while len(self.kept) > self.max_kept:
                self.kept.popitem(last=False)
        return [body]


def init_app(app: Flask) -> None:
    if app.config["PUBLIC_PAGES_KEPT"] > 0:
        app.wsgi_app = PublicAnswers(app, app.wsgi_app)

