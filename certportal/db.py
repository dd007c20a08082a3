"""The one database handle, connected (and pooled) from DATABASE_URL."""

import logging
import select
import sqlite3
from pathlib import Path

import psycopg
from peewee import (
    DatabaseError,
    DatabaseProxy,
    InterfaceError,
    PostgresqlDatabase,
    SqliteDatabase,
)
from playhouse.pool import (
    MaxConnectionsExceeded,
    _PooledPostgresqlDatabase,
    _PooledSqliteDatabase,
)

from certportal.config import database_settings

database = DatabaseProxy()

SQLITE_PRAGMAS = {
    "journal_mode": "wal",
    "foreign_keys": 1,
    "synchronous": "normal",
    "busy_timeout": 5000,
    "cache_size": -16000,
}


class _CountsOpenedConnections:
    """Sits between the pool and the driver: counts the connections really opened, so the
    pool's reuse can be seen (pool_status)."""

    connections_opened = 0

    def _connect(self):
        connection = super()._connect()
        self.connections_opened += 1
        return connection


class PooledPostgres(_PooledPostgresqlDatabase, _CountsOpenedConnections, PostgresqlDatabase):
    """A pool of psycopg 3 connections. Each is checked at checkout, so connections a server
    restart broke are dropped and replaced, never handed to a request; one that breaks while
    in use is closed when it comes back.

    The check costs a round trip (`SELECT 1`) only when the connection has something to
    say: an idle connection the server has not written to since it was last used is as it
    was. A server that restarts, or ends the session, writes to it (a FATAL message, then
    end of file), which makes the socket readable at once; peewee's own check then finds it
    dead. Saves a round trip on nearly every request.
    """

    def _is_closed(self, conn):
        if conn.closed:
            return True
        if (conn.info.transaction_status == psycopg.pq.TransactionStatus.IDLE
                and not _has_input(conn)):
            return False
        return super()._is_closed(conn)


def _has_input(conn) -> bool:
    """Has the server sent anything on this idle connection (or closed it)?"""
    try:
        readable, _, _ = select.select([conn.fileno()], [], [], 0)
    except (OSError, ValueError, psycopg.Error):
        return True
    return bool(readable)


class PooledSqlite(_PooledSqliteDatabase, _CountsOpenedConnections, SqliteDatabase):
    pass


def open_database(url: str, settings: dict | None = None):
    """Build a pooled database object for the URL, with the engine settings this project
    needs; `settings` are config.database_settings() (pool size and timeouts)."""
    settings = settings or database_settings()
    pool = {
        "max_connections": settings["DATABASE_POOL_SIZE"],
        "stale_timeout": settings["DATABASE_STALE_TIMEOUT"] or None,
        # peewee reads 0 as "wait for ever"; None is "do not wait".
        "timeout": settings["DATABASE_POOL_TIMEOUT"] or None,
    }
    if url.startswith("sqlite:///"):
        # A pooled connection spares a request opening the file and running the pragmas
        # (about 0.8 ms). A connection serves one thread at a time; it may be a different
        # thread next time (threaded dev server). Writers take the lock at BEGIN so two
        # writers never deadlock on lock upgrade.
        return PooledSqlite(
            url.removeprefix("sqlite:///") or ":memory:",
            pragmas=SQLITE_PRAGMAS,
            lock_type="IMMEDIATE",
            check_same_thread=False,
            **pool,
        )
    if url.startswith(("postgres://", "postgresql://")):
        # The whole URL goes to libpq as it is (percent-escapes, ?sslmode=… and the like).
        return PooledPostgres(
            url.replace("postgres://", "postgresql://", 1),
            connect_timeout=settings["DATABASE_CONNECT_TIMEOUT"],
            application_name="certportal",
            **pool,
        )
    raise ValueError(f"Unsupported DATABASE_URL scheme: {url.split(':', 1)[0]}")


def bind(url: str, settings: dict | None = None):
    """Point the shared proxy at the database named by the URL (closing the connections
    of the one it pointed at before)."""
    if database.obj is not None:
        release_connections()
    db = open_database(url, settings)
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


def pool_status() -> dict:
    """This process's pool: connections opened so far, idle now, in use now."""
    pool = database.obj
    return {
        "opened": pool.connections_opened,
        "idle": len(pool._connections),
        "in_use": len(pool._in_use),
    }


def unavailable(error: BaseException) -> bool:
    """Whether `error` means the database cannot serve right now (down, restarting,
    unreachable, every pooled connection busy, SQLite locked too long), so the same request
    may well succeed in a moment: callers answer 503 rather than report a fault."""
    if isinstance(error, MaxConnectionsExceeded):
        return True
    # peewee wraps the driver's exception and keeps it as `orig`.
    if isinstance(error, DatabaseError):
        error = getattr(error, "orig", None) or error
    if isinstance(error, psycopg.OperationalError | psycopg.InterfaceError):
        return True  # refused, lost, shut down by an administrator, closed
    if isinstance(error, sqlite3.OperationalError):
        return "locked" in str(error) or "busy" in str(error)
    return isinstance(error, InterfaceError) and "closed" in str(error)


def is_sqlite() -> bool:
    return isinstance(database.obj, SqliteDatabase)


def is_postgres() -> bool:
    return isinstance(database.obj, PostgresqlDatabase)


def init_app(app):
    """Connect per request (static files excepted) and close on teardown (back to the pool)."""
    bind(app.config["DATABASE_URL"], app.config)

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
