"""flask --app app certs refresh|grant|revoke: candidates' certifications."""

from datetime import date

import click
from flask.cli import AppGroup

from certportal import notifications
from certportal.db import database

group = AppGroup("certs", help="Candidates' certifications.")


@group.command("refresh")
def certs_refresh():
    """Recompute every candidate's certifications for today (expirations); safe to repeat."""
    from certportal.domain.certifications import recompute_everyone

    with database.connection_context():
        count = recompute_everyone(date.today())
    click.echo(f"Recomputed the certifications of {count} candidate(s).")


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
@click.option("--reason", required=True, help="Why it is revoked (kept with the revocation).")
def certs_revoke(login_id: str, code: str, reason: str):
    """Revoke certification CODE of candidate LOGIN_ID: it ends everywhere at once."""
    from certportal.domain.candidates import find_by_login_id
    from certportal.domain.certifications import (
        RevocationError,
        held_by_code,
        revoke_certification,
    )

    with email_links(), database.connection_context():
        candidate = find_by_login_id(login_id)
        if candidate is None:
            raise click.ClickException(f'No candidate has the login ID "{login_id}".')
        held = held_by_code(candidate, code)
        if held is None:
            raise click.ClickException(f"{candidate.login_id} does not hold {code}.")
        if held.status == "revoked":
            click.echo(f"{code} of {candidate.login_id} was revoked already.")
            return
        try:
            revoke_certification(held, reason=reason,
                                 notify=notifications.certification_revoked)
        except RevocationError as error:
            raise click.ClickException(str(error)) from None
    click.echo(f"Revoked {code} of {candidate.login_id}; {candidate.email} was told.")


def email_links():
    """Emails carry links on BASE_URL: outside a request, url_for needs a request context.
    Open it before the database connection: its teardown closes the connection."""
    from flask import current_app

    return current_app.test_request_context("/", base_url=current_app.config["BASE_URL"])
