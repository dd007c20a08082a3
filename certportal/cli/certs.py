"""flask --app app certs refresh|grant|revoke: candidates' certifications."""

from datetime import date

import click
from flask.cli import AppGroup

from certportal import notifications
from certportal.db import database

group = AppGroup("certs", help="Candidates' certifications.")


@group.command("refresh")
def certs_refresh():
    """Recompute every candidate's certifications for today (expirations) and issue any
    badge still missing; safe to repeat."""
    from certportal.domain.badges import issue_missing
    from certportal.domain.certifications import recompute_everyone

    with database.connection_context():
        count = recompute_everyone(date.today())
        issued = issue_missing()
    click.echo(f"Recomputed the certifications of {count} candidate(s).")
    if issued:
        click.echo(f"Issued {issued} missing badge credential(s).")


@group.command("grant")
@click.argument("login_id")
@click.argument("code")
@click.option(
    "--date",
    "granted_on",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    help="The grant date, YYYY-MM-DD (default: today).",
)
@click.option("--reason", default="", help="Why it is granted (kept with the grant).")
def certs_grant(login_id: str, code: str, granted_on, reason: str):
    """Grant certification CODE to candidate LOGIN_ID by hand."""
    from certportal.domain.certifications import GrantError, grant

    today = date.today()
    on = granted_on.date() if granted_on else today
    try:
        with email_links(), database.connection_context():
            grant(login_id, code, on, today, reason=reason,
                  notify=notifications.certification_granted)
    except GrantError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"Granted {code} to {login_id} on {on:%Y-%m-%d}.")


@group.command("revoke")
@click.argument("login_id")
@click.argument("code")
@click.option("--reason", required=True, help="Why it is revoked (shown in its History).")
def certs_revoke(login_id: str, code: str, reason: str):
    """Revoke certification CODE of candidate LOGIN_ID: the Certifications page, verification,
    the PDF, transcripts and the badge's status list say so at once, and the candidate is
    emailed. Revoking again changes nothing."""
    from certportal.domain.certifications import (
        RevocationError,
        held_for_login,
        revoke_certification,
    )

    try:
        with email_links(), database.connection_context():
            held = held_for_login(login_id, code)
            holder = held.candidate.login_id
            if held.status == "revoked":
                click.echo(f"{code} of {holder} was already revoked: nothing changed.")
                return
            revoke_certification(held, reason=reason,
                                 notify=notifications.certification_revoked)
    except RevocationError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"Revoked {code} of {holder}.")


def email_links():
    """Emails carry links on BASE_URL: outside a request, url_for needs a request context.
    Open it before the database connection: its teardown closes the connection."""
    from flask import current_app

    return current_app.test_request_context("/", base_url=current_app.config["BASE_URL"])
