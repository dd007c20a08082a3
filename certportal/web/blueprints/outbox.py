"""Development only: the outgoing-email table as pages, to follow emailed links without SMTP.

Registered only when DEVELOPMENT is true; in production these URLs do not exist (404).
"""

import re

from flask import Blueprint, abort
from markupsafe import Markup, escape

from certportal.models import OutgoingEmail
from certportal.web.htmx import render_page

bp = Blueprint("outbox", __name__, url_prefix="/dev/outbox")

URL_PATTERN = re.compile(r"https?://[^\s<>\"]+")


def linkify(text: str) -> Markup:
    """Plain text with its URLs made clickable, everything else escaped."""
    parts, last = [], 0
    for match in URL_PATTERN.finditer(text):
        parts.append(escape(text[last:match.start()]))
        parts.append(Markup('<a href="{0}">{0}</a>').format(match.group(0)))
        last = match.end()
    parts.append(escape(text[last:]))
    return Markup("").join(parts)


@bp.get("/")
def index():
    """Every outgoing message, newest first."""
    messages = OutgoingEmail.select().order_by(OutgoingEmail.id.desc()).limit(200)
    return render_page("dev/outbox.html", "content", messages=messages)


@bp.get("/<int:message_id>")
def message(message_id: int):
    """One outgoing message as plain text, with its links clickable."""
    stored = OutgoingEmail.get_or_none(OutgoingEmail.id == message_id)
    if stored is None:
        abort(404)
    return render_page("dev/outbox_message.html", "content", message=stored,
                       body=linkify(stored.body_text))
