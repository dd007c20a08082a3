"""CSRF protection, rate limits and the response headers every page carries."""

from flask import request
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_wtf.csrf import CSRFProtect

csrf = CSRFProtect()
limiter = Limiter(key_func=get_remote_address, default_limits=[])

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "object-src 'none'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
        "form-action 'self'",
    ]
)


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
        # Pages show personal data: never keep them in shared caches.
        headers["Cache-Control"] = "private, no-cache"
    return response


def init_app(app):
    csrf.init_app(app)
    limiter.init_app(app)
    app.after_request(_set_security_headers)
