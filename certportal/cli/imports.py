"""flask --app app import exams|ce FILE: exam results and CE credits from CSV files."""

from datetime import date
from pathlib import Path

import click
from flask.cli import AppGroup

from certportal.db import database

group = AppGroup("import", help="Import exam results or CE credits from CSV files.")

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


@group.command("exams")
@click.argument("file", type=FILE)
@SKIP_INVALID
def import_exams(file: Path, skip_invalid: bool):
    """Import exam results (CSV); a file with any bad row changes nothing."""
    from certportal.domain.imports import import_exams as importer

    _run_import(importer, file, skip_invalid)


@group.command("ce")
@click.argument("file", type=FILE)
@SKIP_INVALID
def import_ce(file: Path, skip_invalid: bool):
    """Import CE credits (CSV); a file with any bad row changes nothing."""
    from certportal.domain.imports import import_ce as importer

    _run_import(importer, file, skip_invalid)
