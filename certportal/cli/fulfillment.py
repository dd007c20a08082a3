"""flask --app app fulfillment list|mark-sent|mark-complete: staff move printed kits along.

LINE is a kit's verification code, as printed on it and on its packing slip (dashes and
case do not matter). Each change emails the candidate.
"""

from datetime import date

import click
from flask.cli import AppGroup

from certportal.db import database

group = AppGroup("fulfillment", help="Printed kits waiting to be sent, and sent.")


@group.command("list")
def fulfillment_list():
    """Kits waiting to be sent, oldest first: verification code, queued, kit, candidate."""
    from certportal.domain import kits

    with database.connection_context():
        lines = kits.queued_lines()
        for line in lines:
            click.echo(f"{line.verification_code}  {line.queued_on:%Y-%m-%d}  "
                       f"{kits.history_name(line)}  {line.candidate.login_id}")
    if not lines:
        click.echo("No kit is waiting to be sent.")


def _change(change, notify, code: str, **options):
    from certportal.domain import kits

    try:
        with database.connection_context():
            line = kits.line_by_code(code)
            return change(line, today=date.today(), notify=notify, **options)
    except kits.FulfillmentError as error:
        raise click.ClickException(str(error)) from None


@group.command("mark-sent")
@click.argument("line")
@click.option("--tracking", "tracking_number", required=True,
              help="The carrier's tracking number, told to the candidate.")
def fulfillment_mark_sent(line: str, tracking_number: str):
    """A queued kit went out: record it and tell the candidate its tracking number."""
    from certportal import notifications
    from certportal.domain import kits

    sent = _change(kits.mark_sent, notifications.kit_sent, line,
                   tracking_number=tracking_number)
    click.echo(f"{kits.history_name(sent)} ({sent.verification_code}) marked sent on "
               f"{sent.sent_on:%Y-%m-%d}, tracking {sent.tracking_number}.")


@group.command("mark-complete")
@click.argument("line")
def fulfillment_mark_complete(line: str):
    """A sent kit arrived: its fulfillment is complete."""
    from certportal import notifications
    from certportal.domain import kits

    done = _change(kits.mark_complete, notifications.kit_complete, line)
    click.echo(f"{kits.history_name(done)} ({done.verification_code}) marked complete on "
               f"{done.completed_on:%Y-%m-%d}.")

