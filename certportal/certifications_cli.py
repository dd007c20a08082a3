"""Staff commands for certifications: flask --app app import exams|ce FILE, certs refresh|grant."""

from datetime import date
from pathlib import Path

import click
from flask.cli import AppGroup

from certportal.db import database

import_cli = AppGroup("import", help="Import exam results or CE credits from CSV files.")
certs_cli = AppGroup("certs", help="Candidates' certifications.")

FILE = click.Path(exists=True, dir_okay=False, path_type=Path)
SKIP_INVALID = click.option(
    "--skip-invalid", is_flag=True, help="Import the good rows and report the others."
)


def _run_import(importer, file: Path, skip_invalid: bool) -> None:
    from certportal.domain.imports import ImportRefused

    try:
        with database.connection_context():
            report = importer(file, date.today(), skip_invalid=skip_invalid)
    except ImportRefused as refused:
        for line in refused.report.error_lines():
            click.echo(f"error: {line}", err=True)
        raise click.ClickException(
            f"{file.name}: {len(refused.report.errors)} error(s); nothing was imported. "
            "Fix the file, or use --skip-invalid to import only the good rows."
        ) from None
    except OSError as error:
        raise click.ClickException(
            f"{file.name}: cannot be read ({error.strerror}); nothing was imported."
        ) from None
    for line in report.error_lines():
        click.echo(f"skipped: {line}", err=True)
    click.echo(str(report))


@import_cli.command("exams")
@click.argument("file", type=FILE)
@SKIP_INVALID
def import_exams(file: Path, skip_invalid: bool):
    """Import exam results (CSV); a file with any bad row changes nothing."""
    from certportal.domain.imports import import_exams as importer

    _run_import(importer, file, skip_invalid)


@import_cli.command("ce")
@click.argument("file", type=FILE)
@SKIP_INVALID
def import_ce(file: Path, skip_invalid: bool):
    """Import CE credits (CSV); a file with any bad row changes nothing."""
    from certportal.domain.imports import import_ce as importer

    _run_import(importer, file, skip_invalid)


@certs_cli.command("refresh")
def certs_refresh():
    """Recompute every candidate's certifications for today (expirations); safe to repeat."""
    from certportal.domain.certifications import recompute_everyone

    with database.connection_context():
        count = recompute_everyone(date.today())
    click.echo(f"Recomputed the certifications of {count} candidate(s).")


@certs_cli.command("grant")
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
        with database.connection_context():
            grant(login_id, code, on, today, reason=reason)
    except GrantError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"Granted {code} to {login_id} on {on:%Y-%m-%d}.")


def init_app(app):
    app.cli.add_command(import_cli)
    app.cli.add_command(certs_cli)
