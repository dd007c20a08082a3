"""flask --app app reminders send [--today YYYY-MM-DD]: the daily expiry reminders job."""

from datetime import date

import click
from flask import current_app
from flask.cli import AppGroup

from certportal.db import database

group = AppGroup("reminders", help="Expiry reminder emails.")


@group.command("send")
@click.option(
    "--today",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    help="Run as of this day, YYYY-MM-DD (default: today).",
)
def reminders_send(today):
    """Send the expiry reminders due today (180, 90, 30, 7 days before and on the day).

    Safe to run any number of times, also at once: each reminder is sent once. After missed
    days only the most recent due reminder of each certification is sent. Run it daily.
    """
    from certportal import notifications
    from certportal.domain.reminders import send_due_reminders
    from certportal.mail import deliver

    day = today.date() if today else date.today()
    base_url = current_app.config["BASE_URL"]
    # Links in the emails are built like a request's, on BASE_URL.
    with current_app.test_request_context("/", base_url=base_url), database.connection_context():
        run = send_due_reminders(day, notifications.expiry_reminders)
        sent, failed = deliver(run.email_ids) if current_app.config["MAIL_URL"] else (0, 0)
    click.echo(str(run))
    if current_app.config["MAIL_URL"]:
        click.echo(f"Delivered {sent}; {failed} stay pending for `mail send-pending`.")
