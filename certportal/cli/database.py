"""flask --app app db upgrade|new-migration: the database schema."""

import click
from flask.cli import AppGroup

from certportal.db import MIGRATIONS_DIR, database, upgrade_schema

group = AppGroup("db", help="Database schema.")


@group.command("upgrade")
def db_upgrade():
    """Apply every migration not yet applied."""
    with database.connection_context():
        applied = upgrade_schema()
    click.echo(f"Applied {len(applied)} migration(s): {', '.join(applied) or 'none needed'}")


@group.command("new-migration")
@click.argument("name")
def db_new_migration(name: str):
    """Write a migration for the difference between the models and the migrations."""
    from peewee_migrate import Router

    from certportal.models import ALL_MODELS

    with database.connection_context():
        created = Router(database, migrate_dir=MIGRATIONS_DIR).create(name, auto=ALL_MODELS)
    click.echo(f"Created {created}" if created else "No changes: no migration written.")
