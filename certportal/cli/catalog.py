"""flask --app app catalog load [DIR]: the program's catalog."""

from pathlib import Path

import click
from flask.cli import AppGroup

from certportal.db import database

CATALOG_DIR = Path(__file__).resolve().parent.parent.parent / "db" / "catalog"

group = AppGroup("catalog", help="The program's catalog.")


@group.command("load")
@click.argument("directory", required=False, type=click.Path(exists=True, file_okay=False))
def catalog_load(directory: str | None):
    """Load the catalog (default db/catalog/); an invalid catalog changes nothing."""
    from certportal.domain.catalog import CatalogError, load_catalog

    try:
        with database.connection_context():
            summary = load_catalog(Path(directory) if directory else CATALOG_DIR)
    except CatalogError as error:
        for message in error.errors:
            click.echo(f"error: {message}", err=True)
        raise click.ClickException(
            f"The catalog has {len(error.errors)} error(s); nothing was loaded."
        ) from None
    click.echo(str(summary))
