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
        # A pool of connections, so a request reuses one instead of opening the file and
        # running the pragmas again (about 0.8 ms a request). A connection serves one thread
        # at a time; it may be a different thread next time (threaded dev server).
        # Writers take the lock at BEGIN so two writers never deadlock on lock upgrade.
        return connect(
            url.replace("sqlite://", "sqlite+pool://", 1),
            pragmas=SQLITE_PRAGMAS,
            timeout=5,
            lock_type="IMMEDIATE",
            check_same_thread=False,
            max_connections=32,
            stale_timeout=600,
        )
    if url.startswith(("postgres://", "postgresql://")):
        return connect(url.replace("postgres://", "postgresql://", 1))
    raise ValueError(f"Unsupported DATABASE_URL scheme: {url.split(':', 1)[0]}")


def bind(url: str):
    """Point the shared proxy at the database named by the URL."""
    db = open_database(url)
    database.initialize(db)
    return db


def release_connections() -> None:
    """Really close every pooled connection (a SQLite file is then whole, WAL checkpointed,
    and safe to copy); the next query opens a new one."""
    if not database.is_closed():
        database.close()
    close_all = getattr(database.obj, "close_all", None)
    if close_all is not None:
        close_all()


def is_sqlite() -> bool:
    return isinstance(database.obj, SqliteDatabase)


def is_postgres() -> bool:
    return isinstance(database.obj, PostgresqlDatabase)


def init_app(app):
    """Connect per request (static files excepted) and close on teardown (back to the pool)."""
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
