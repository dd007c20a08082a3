"""Outgoing email: every message is written to the database first, then delivered over SMTP.

A message is queued inside the transaction of the change it reports, so it exists exactly
when that change does (what each message says: `certportal.notifications`). Delivery happens
once the response has been sent, never while the request waits for the mail server (or from
`flask --app app mail send-pending`); an SMTP failure leaves the message pending with its
error for the next attempt, so nothing is lost while the mail server is down. Without
MAIL_URL (development) messages stay in the table, where the development outbox shows them.
"""

import logging
import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formataddr, make_msgid
from functools import partial
from urllib.parse import parse_qs, unquote, urlsplit

from flask import current_app, g, has_request_context

from certportal.db import database
from certportal.models import OutgoingEmail
from certportal.models.base import utcnow

log = logging.getLogger(__name__)

# After this many failed attempts a message is marked failed and no longer retried.
MAX_ATTEMPTS = 10
SMTP_TIMEOUT_SECONDS = 10


class MailConfigError(ValueError):
    """MAIL_URL cannot be understood."""


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int
    username: str = ""
    password: str = ""
    starttls: bool = False
    implicit_tls: bool = False


def parse_mail_url(url: str) -> SmtpSettings | None:
    """smtp://user:pass@host:port[?starttls=true] or smtps://…; empty means no delivery."""
    if not url:
        return None
    parts = urlsplit(url)
    if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
        raise MailConfigError(
            "MAIL_URL must look like smtp://user:pass@host:port or smtps://user:pass@host:port"
        )
    query = {key: values[-1].lower() for key, values in parse_qs(parts.query).items()}
    implicit_tls = parts.scheme == "smtps"
    return SmtpSettings(
        host=parts.hostname,
        port=parts.port or (465 if implicit_tls else 25),
        username=unquote(parts.username or ""),
        password=unquote(parts.password or ""),
        starttls=query.get("starttls", "false") in ("1", "true", "yes"),
        implicit_tls=implicit_tls,
    )


def queue_email(*, kind: str, to: str, subject: str, text: str, html: str = "",
                candidate=None) -> OutgoingEmail:
    """Store a message for delivery; in a request it is sent once the response is ready."""
    message = OutgoingEmail.create(
        kind=kind,
        to_address=to,
        subject=subject,
        body_text=text,
        body_html=html,
        candidate=candidate,
    )
    if has_request_context():
        g.setdefault("queued_email_ids", []).append(message.id)
    return message


def queue_emails(messages) -> list[int]:
    """Store many messages for delivery at once (one INSERT per thousand); returns their ids
    in the order given. Each message is a dict of queue_email's keyword arguments
    (`candidate` an id or None). For jobs that queue thousands (expiry reminders)."""
    from certportal.domain.bulk import insert_rows_returning_ids

    outbox = OutgoingEmail
    fields = (outbox.kind, outbox.to_address, outbox.subject, outbox.body_text,
              outbox.body_html, outbox.candidate, outbox.status, outbox.attempts,
              outbox.last_error, outbox.created_at)
    # The columns queue_email leaves to the model's defaults, with the same values.
    defaults = (outbox.status.default, outbox.attempts.default, outbox.last_error.default,
                utcnow())
    ids = insert_rows_returning_ids(outbox, fields, [
        (message["kind"], message["to"], message["subject"], message["text"],
         message.get("html", ""), message.get("candidate"), *defaults)
        for message in messages
    ])
    if has_request_context():
        g.setdefault("queued_email_ids", []).extend(ids)
    return ids


def build_message(message: OutgoingEmail) -> EmailMessage:
    """The MIME message for a stored email: plain text, and HTML when there is one."""
    config = current_app.config
    email = EmailMessage()
    email["From"] = formataddr((f"{config['PROGRAM_NAME']} Certifications", config["MAIL_FROM"]))
    email["To"] = message.to_address
    email["Subject"] = message.subject
    email["Message-ID"] = make_msgid(idstring=f"certportal.{message.id}")
    email["Auto-Submitted"] = "auto-generated"
    email.set_content(message.body_text, charset="utf-8")
    if message.body_html:
        email.add_alternative(message.body_html, subtype="html", charset="utf-8")
    return email


def _claim(message: OutgoingEmail) -> bool:
    """Count this attempt; False when another process claimed the message first."""
    claimed = (
        OutgoingEmail.update(attempts=OutgoingEmail.attempts + 1)
        .where(
            (OutgoingEmail.id == message.id)
            & (OutgoingEmail.status == "pending")
            & (OutgoingEmail.attempts == message.attempts)
        )
        .execute()
    )
    message.attempts += 1
    return claimed == 1


def _open_smtp(settings: SmtpSettings) -> smtplib.SMTP:
    context = ssl.create_default_context()
    if settings.implicit_tls:
        smtp = smtplib.SMTP_SSL(
            settings.host, settings.port, timeout=SMTP_TIMEOUT_SECONDS, context=context
        )
    else:
        smtp = smtplib.SMTP(settings.host, settings.port, timeout=SMTP_TIMEOUT_SECONDS)
        if settings.starttls:
            smtp.starttls(context=context)
    if settings.username:
        smtp.login(settings.username, settings.password)
    return smtp


def deliver(message_ids) -> tuple[int, int]:
    """Send the given pending messages over one SMTP connection; returns (sent, failed)."""
    settings = parse_mail_url(current_app.config["MAIL_URL"])
    if settings is None:
        return 0, 0
    sent = failed = 0
    smtp = None
    try:
        for message_id in message_ids:
            message = OutgoingEmail.get_or_none(
                (OutgoingEmail.id == message_id) & (OutgoingEmail.status == "pending")
            )
            if message is None or not _claim(message):
                continue
            try:
                if smtp is None:
                    smtp = _open_smtp(settings)
                smtp.send_message(build_message(message))
            except (OSError, smtplib.SMTPException) as error:
                failed += 1
                log.warning("Email %s not delivered (attempt %s): %s",
                            message.id, message.attempts, error)
                OutgoingEmail.update(
                    status="failed" if message.attempts >= MAX_ATTEMPTS else "pending",
                    last_error=f"{type(error).__name__}: {error}"[:2000],
                ).where(OutgoingEmail.id == message.id).execute()
                if smtp is not None:
                    smtp.close()
                    smtp = None
                continue
            sent += 1
            OutgoingEmail.update(status="sent", last_error="", sent_at=utcnow()).where(
                OutgoingEmail.id == message.id
            ).execute()
    finally:
        if smtp is not None:
            try:
                smtp.quit()
            except (OSError, smtplib.SMTPException):
                smtp.close()
    return sent, failed


def deliver_pending(limit: int = 500) -> tuple[int, int]:
    """Retry every message still waiting, oldest first; returns (sent, failed)."""
    ids = [
        row.id
        for row in OutgoingEmail.select(OutgoingEmail.id)
        .where(OutgoingEmail.status == "pending")
        .order_by(OutgoingEmail.created_at, OutgoingEmail.id)
        .limit(limit)
    ]
    return deliver(ids)


def _deliver_after_response(app, message_ids) -> None:
    """Deliver what a request queued, once its response has gone to the client."""
    try:
        with app.app_context(), database.connection_context():
            deliver(message_ids)
    except Exception:  # the messages stay pending for `mail send-pending`
        log.exception("Queued email %s not delivered after the response", message_ids)


def init_app(app):
    """Check MAIL_URL at start; deliver what a request queued when its response is closed
    (the server has sent it), so a slow or unreachable mail server never delays a page."""
    parse_mail_url(app.config["MAIL_URL"])

    @app.after_request
    def _deliver_queued_later(response):
        queued = g.pop("queued_email_ids", None)
        if queued and app.config["MAIL_URL"]:
            response.call_on_close(partial(_deliver_after_response, app, queued))
        return response
