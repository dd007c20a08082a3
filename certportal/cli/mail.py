"""flask --app app mail send-pending: deliver what the outbox still holds (run from cron), and
the congratulations owed for earnings recorded where no message could be written."""

from datetime import date

import click
from flask import current_app
from flask.cli import AppGroup

from certportal.db import database

group = AppGroup("mail", help="Outgoing email.")


@group.command("send-pending")
def mail_send_pending():
    """Deliver every message still pending (retries failed attempts)."""
    from certportal import notifications
    from certportal.domain import kits
    from certportal.mail import deliver_pending

    if not current_app.config["MAIL_URL"]:
        raise click.ClickException("MAIL_URL is not set: messages stay in the database.")
    with database.connection_context():
        owed = kits.congratulate_pending(notifications.congratulations, today=date.today())
        if owed:
            click.echo(f"Queued {owed} congratulations message(s) for earlier earnings.")
        sent, failed = deliver_pending()
    click.echo(f"Sent {sent} message(s); {failed} could not be delivered and stay pending.")
    if failed:
        raise SystemExit(1)
