"""The one database handle, connected from DATABASE_URL."""

import logging
from pathlib import Path

from peewee import DatabaseProxy, PostgresqlDatabase, SqliteDatabase
from playhouse.db_url import connect

database = DatabaseProxy()

SQLITE_PRAGMAS = {
    "journal_mode": "wal",
    "foreign_keys": 1,
    "synchronous": "normal",
    "busy_timeout": 5000,
    "cache_size": -16000,
}


def open_database(url: str):
    """Build a database object for the URL, with the engine settings this project needs."""
    if url.startswith("sqlite"):
        # Writers take the lock at BEGIN so two writers never deadlock on lock upgrade.
        return connect(url, pragmas=SQLITE_PRAGMAS, timeout=5, lock_type="IMMEDIATE")
    if url.startswith(("postgres://", "postgresql://")):
        return connect(url.replace("postgres://", "postgresql://", 1))
    raise ValueError(f"Unsupported DATABASE_URL scheme: {url.split(':', 1)[0]}")


def bind(url: str):
    """Point the shared proxy at the database named by the URL."""
    db = open_database(url)
    database.initialize(db)
    return db


def is_sqlite() -> bool:
    return isinstance(database.obj, SqliteDatabase)


def is_postgres() -> bool:
    return isinstance(database.obj, PostgresqlDatabase)


def init_app(app):
    """Connect per request (static files excepted) and close on teardown."""
    bind(app.config["DATABASE_URL"])

    @app.before_request
    def _connect():
        from flask import request

        if request.endpoint != "static":
            database.connect(reuse_if_open=True)

    @app.teardown_request
    def _close(exc):
        if not database.is_closed():
            database.close()


MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "db" / "migrations"


def upgrade_schema() -> list[str]:
    """Apply the migrations not yet applied; returns their names."""
    from peewee_migrate import Router

    logging.getLogger("peewee_migrate").setLevel(logging.WARNING)
    router = Router(database, migrate_dir=MIGRATIONS_DIR, ignore=["basemodel"])
    return router.run()
