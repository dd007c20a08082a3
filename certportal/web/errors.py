"""Error pages for full and fragment requests; a traceback never reaches a user."""

import logging
import math
import time

from flask import current_app, g, jsonify, make_response, request
from flask_limiter import RateLimitExceeded
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError

from certportal import db
from certportal.web.htmx import render_page
from certportal.web.security import InputRefused, limiter

log = logging.getLogger(__name__)

MESSAGES = {
    400: ("Bad request", "The request could not be understood. Go back and try again."),
    403: ("Not allowed", "You do not have access to this page."),
    404: ("Page not found", "There is nothing at this address. Check the link, or go Home."),
    405: ("Not allowed", "This page cannot be used that way."),
    413: (
        "Too large",
        "What you sent is larger than this page accepts. Nothing was changed; shorten it and "
        "try again.",
    ),
    429: (
        "Too many attempts",
        "You have tried this too often in a short time. Please wait a few minutes and try again.",
    ),
    503: (
        "Try again in a moment",
        "The portal is busy or its database cannot be reached right now. Nothing was changed; "
        "please try again in a moment.",
    ),
    500: (
        "Something went wrong",
        "The portal could not complete your request. Nothing was changed; please try again. "
        "If it keeps happening, contact Support.",
    ),
}


def render_error(status: int, title: str | None = None, message: str | None = None, **context):
    default_title, default_message = MESSAGES.get(status, MESSAGES[500])
    try:
        return render_page(
            "error.html",
            "content",
            status=status,
            error_status=status,
            error_title=title or default_title,
            error_message=message or default_message,
            **context,
        )
    except Exception:  # the error page itself failed (e.g. database down): plain text
        log.exception("error page failed to render")
        return f"{default_title}\n\n{default_message}\n", status, {"Content-Type": "text/plain"}


def _wants_json() -> bool:
    return request.path.startswith("/api/")


def _json_error(status: int):
    title, message = MESSAGES.get(status, MESSAGES[500])
    slug = title.lower().replace(" ", "_")
    return jsonify(error=slug, message=message), status


def _http_error(error: HTTPException):
    status = error.code or 500
    if _wants_json():
        return _json_error(status)
    if isinstance(error, InputRefused):
        return render_error(status, error.title, error.description)
    return render_error(status)


def _too_many_requests(error: RateLimitExceeded):
    """429 with Retry-After, as JSON for the API and as the error page for people."""
    response = make_response(_json_error(429) if _wants_json() else render_error(429))
    limit = limiter.current_limit
    if limit is not None:
        response.headers["Retry-After"] = str(max(1, math.ceil(limit.reset_at - time.time())))
    return response


def _csrf_error(error: CSRFError):
    return render_error(
        400,
        "Form expired",
        "This form was open too long or came from another site. Reload the page and try again.",
    )


def _database_unavailable(error: Exception):
    """503 "try again in a moment": the database is down, restarting or every pooled
    connection is busy. The page is drawn without asking the database anything."""
    log.warning("database unavailable on %s %s: %s", request.method, request.path, error)
    # The layout asks who is signed in, which is a database read: show it as to a visitor.
    g._login_user = current_app.login_manager.anonymous_user()
    if _wants_json():
        response = make_response(_json_error(503))
    else:
        response = make_response(render_error(503, public_page=True))
    response.headers["Retry-After"] = "5"
    return response


def _unexpected_error(error: Exception):
    if db.unavailable(error):
        return _database_unavailable(error)
    log.exception("unhandled error on %s %s", request.method, request.path)
    if _wants_json():
        return _json_error(500)
    return render_error(500)


def init_app(app):
    app.register_error_handler(CSRFError, _csrf_error)
    app.register_error_handler(RateLimitExceeded, _too_many_requests)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(InternalServerError, _unexpected_error)
    app.register_error_handler(Exception, _unexpected_error)
