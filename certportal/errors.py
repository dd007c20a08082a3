"""Error pages for full and fragment requests; a traceback never reaches a user."""

import logging

from flask import request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError

from certportal.htmx import render_page

log = logging.getLogger(__name__)

MESSAGES = {
    400: ("Bad request", "The request could not be understood. Go back and try again."),
    403: ("Not allowed", "You do not have access to this page."),
    404: ("Page not found", "There is nothing at this address. Check the link, or go Home."),
    405: ("Not allowed", "This page cannot be used that way."),
    429: (
        "Too many attempts",
        "You have tried this too often in a short time. Please wait a few minutes and try again.",
    ),
    500: (
        "Something went wrong",
        "The portal could not complete your request. Nothing was changed; please try again. "
        "If it keeps happening, contact Support.",
    ),
}


def render_error(status: int, title: str | None = None, message: str | None = None):
    default_title, default_message = MESSAGES.get(status, MESSAGES[500])
    try:
        return render_page(
            "error.html",
            "content",
            status=status,
            error_status=status,
            error_title=title or default_title,
            error_message=message or default_message,
        )
    except Exception:  # the error page itself failed (e.g. database down): plain text
        log.exception("error page failed to render")
        return f"{default_title}\n\n{default_message}\n", status, {"Content-Type": "text/plain"}


def _http_error(error: HTTPException):
    return render_error(error.code or 500)


def _csrf_error(error: CSRFError):
    return render_error(
        400,
        "Form expired",
        "This form was open too long or came from another site. Reload the page and try again.",
    )


def _unexpected_error(error: Exception):
    log.exception("unhandled error on %s %s", request.method, request.path)
    return render_error(500)


def init_app(app):
    app.register_error_handler(CSRFError, _csrf_error)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(InternalServerError, _unexpected_error)
    app.register_error_handler(Exception, _unexpected_error)
