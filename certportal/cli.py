"""Command-line tasks: flask --app app db|catalog|demo …"""

from pathlib import Path

import click
from flask.cli import AppGroup

from certportal import certifications_cli
from certportal.db import MIGRATIONS_DIR, database, upgrade_schema

CATALOG_DIR = Path(__file__).resolve().parent.parent / "db" / "catalog"

db_cli = AppGroup("db", help="Database schema.")
catalog_cli = AppGroup("catalog", help="The program's catalog.")
demo_cli = AppGroup("demo", help="Demonstration data.")
mail_cli = AppGroup("mail", help="Outgoing email.")


@db_cli.command("upgrade")
def db_upgrade():
    """Apply every migration not yet applied."""
    with database.connection_context():
        applied = upgrade_schema()
    click.echo(f"Applied {len(applied)} migration(s): {', '.join(applied) or 'none needed'}")


@db_cli.command("new-migration")
@click.argument("name")
def db_new_migration(name: str):
    """Write a migration for the difference between the models and the migrations."""
    from peewee_migrate import Router

    from certportal.models import ALL_MODELS

    with database.connection_context():
        created = Router(database, migrate_dir=MIGRATIONS_DIR).create(name, auto=ALL_MODELS)
    click.echo(f"Created {created}" if created else "No changes: no migration written.")


@catalog_cli.command("load")
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


@demo_cli.command("load")
def demo_load():
    """Load the guide's demo candidates into an empty database."""
    from certportal.domain.demo import load_demo_data

    with database.connection_context():
        loaded = load_demo_data()
    if loaded:
        click.echo("Demo data loaded. Log in as CSCO10000000 / certportal-demo.")
    else:
        click.echo("The database already has candidates: demo data not loaded.")


@mail_cli.command("send-pending")
def mail_send_pending():
    """Deliver every message still pending (retries failed attempts)."""
    from flask import current_app

    from certportal.mail import deliver_pending

    if not current_app.config["MAIL_URL"]:
        raise click.ClickException("MAIL_URL is not set: messages stay in the database.")
    with database.connection_context():
        sent, failed = deliver_pending()
    click.echo(f"Sent {sent} message(s); {failed} could not be delivered and stay pending.")
    if failed:
        raise SystemExit(1)


def init_app(app):
    app.cli.add_command(db_cli)
    app.cli.add_command(catalog_cli)
    app.cli.add_command(demo_cli)
    app.cli.add_command(mail_cli)
    certifications_cli.init_app(app)  # import exams|ce, certs refresh|grant
