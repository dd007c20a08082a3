"""CSRF protection, rate limits, what requests may carry, and the headers every page sends."""

import time

from flask import current_app, request
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_wtf.csrf import CSRFProtect
from limits.storage import MemoryStorage
from werkzeug.exceptions import BadRequest
from werkzeug.middleware.proxy_fix import ProxyFix

from certportal.domain.mapping import email_key


class SweptMemoryStorage(MemoryStorage):
    """`memory://` rate-limit counts, with expired entries swept at most once a second.

    limits' MemoryStorage starts a new threading.Timer thread (0.01 s) on nearly every hit to
    drop expired entries; under load that is a thread started per request, the largest cost
    of a public page's limit check. Counts never depended on the sweep (every read compares
    expiry times itself): it only frees memory, so once a second, in the caller's thread,
    is enough. Defining this class registers it as the `memory` scheme.
    """

    STORAGE_SCHEME = ["memory"]
    SWEEP_INTERVAL = 1.0

    def __init__(self, *args, **kwargs):
        self._next_sweep = 0.0
        super().__init__(*args, **kwargs)

    def _MemoryStorage__schedule_expiry(self) -> None:  # replaces the per-hit timer
        now = time.monotonic()
        if now >= self._next_sweep:
            self._next_sweep = now + self.SWEEP_INTERVAL
            self._MemoryStorage__expire_events()


csrf = CSRFProtect()
limiter = Limiter(key_func=get_remote_address, default_limits=[])


def configured_limit(setting: str):
    """A rate limit named by a setting (config.py), read when a request is checked, so tests
    and deployments can change it after the views are defined."""

    def limit() -> str:
        return current_app.config[setting]

    limit.__name__ = f"limit_{setting.lower()}"
    return limit


def submitted_address() -> str:
    """The rate-limit key for one email address, whichever form field carries it."""
    address = request.form.get("new_email") or request.form.get("email") or ""
    return f"address:{email_key(address)[:254]}"

CSP_DIRECTIVES = (
    ("default-src", ("'self'",)),
    ("script-src", ("'self'",)),
    ("style-src", ("'self'",)),
    ("img-src", ("'self'", "data:")),
    ("object-src", ("'none'",)),
    ("base-uri", ("'none'",)),
    ("frame-ancestors", ("'none'",)),
    ("form-action", ("'self'",)),
)


def content_security_policy(extra=None) -> str:
    """The portal's policy; `extra` ({directive: origins}) widens it for one page (the
    payment page lets the provider's script load, call home and frame its card field)."""
    extra = {name: tuple(origins) for name, origins in (extra or {}).items() if origins}
    directives = [(name, sources + extra.pop(name, ())) for name, sources in CSP_DIRECTIVES]
    # A directive of its own no longer falls back to default-src: keep 'self' in it.
    directives += [(name, ("'self'", *origins)) for name, origins in extra.items()]
    return "; ".join(f"{name} {' '.join(sources)}" for name, sources in directives)


CONTENT_SECURITY_POLICY = content_security_policy()


# Built once: every response carries them unless its view chose its own value.
CONSTANT_HEADERS = (
    ("Content-Security-Policy", CONTENT_SECURITY_POLICY),
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "same-origin"),
    ("X-Frame-Options", "DENY"),
    ("Cross-Origin-Opener-Policy", "same-origin"),
    ("Permissions-Policy", "camera=(), microphone=(), geolocation=()"),
)
HSTS = "max-age=31536000; includeSubDomains"


class InputRefused(BadRequest):
    """A request the portal will not read, with a message a person can act on."""

    def __init__(self, title: str, message: str):
        super().__init__(message)
        self.title = title


NUL_REFUSED = InputRefused(
    "Character not allowed",
    "What you sent contains a NUL character, which no field accepts. Remove it and try again.",
)
FILE_REFUSED = InputRefused(
    "Files not accepted here",
    "This form takes text only, not files. Go back, fill in the fields and try again.",
)


def accepts_uploads(max_bytes: int):
    """Mark a view that takes files, and how large its whole request may be."""

    def mark(view):
        view.upload_max_bytes = max_bytes
        return view

    return mark


def _has_nul(pairs) -> bool:
    return any("\x00" in key or "\x00" in value for key, value in pairs)


def _check_request_input():
    """Refuse, with a clear 400 or 413, what no view should have to handle.

    Form bodies are capped small unless the view accepts uploads; NUL characters (which
    PostgreSQL cannot store) and file parts sent to text forms never reach a view.
    """
    view = current_app.view_functions.get(request.endpoint)
    upload_max = getattr(view, "upload_max_bytes", None)
    request.max_content_length = upload_max or current_app.config["FORM_MAX_BYTES"]
    if "\x00" in request.path or _has_nul(request.args.items(multi=True)):
        raise NUL_REFUSED
    if request.method in ("POST", "PUT", "PATCH", "DELETE"):
        if _has_nul(request.form.items(multi=True)):
            raise NUL_REFUSED
        if request.files and upload_max is None:
            raise FILE_REFUSED


def _set_security_headers(response):
    headers = response.headers
    # One pass over the headers a view set, instead of one scan per default.
    present = {name.lower() for name, _ in headers.items()}
    for name, value in CONSTANT_HEADERS:
        if name.lower() not in present:
            headers.add(name, value)
    if request.is_secure and "strict-transport-security" not in present:
        headers.add("Strict-Transport-Security", HSTS)
    if request.endpoint != "static" and "cache-control" not in present:
        # Pages show personal data: no cache, shared or private, may keep them. Public pages
        # that can be cached say so themselves.
        headers["Cache-Control"] = "no-store"
    return response


def init_app(app):
    hops = app.config["TRUSTED_PROXIES"]
    if hops:
        # Believe exactly that many proxies: request.remote_addr (rate limits, audit, sessions)
        # becomes the real client, and is_secure follows X-Forwarded-Proto.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)
    # Before CSRF protection, which reads the form: the size cap must be set first.
    app.before_request(_check_request_input)
    csrf.init_app(app)
    limiter.init_app(app)
    # The portal sets no limit for the whole application: every limit belongs to a view and
    # is checked by that view's decorator (fallback to memory and recovery included). The
    # extension's own before-request pass would look up, on every request, limits that
    # cannot exist.
    hooks = app.before_request_funcs.get(None, [])
    if limiter._check_request_limit in hooks:
        hooks.remove(limiter._check_request_limit)
    app.after_request(_set_security_headers)
