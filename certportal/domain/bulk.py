"""Fast bulk writes for imports and recompute: one prepared statement, many rows.

Peewee's insert_many renders every value into SQL text, which costs more than the database's
own work for large imports; a cursor's executemany binds the rows to one statement instead.
Table and column names come from the models, never from input.
"""

import base64
import secrets
from collections.abc import Sequence
from datetime import date

import peewee
from peewee import SQL

from certportal.db import database

# Crockford's base32 (models.base.READABLE_ALPHABET) from RFC 4648's, character by character.
_TO_READABLE = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", "0123456789ABCDEFGHJKMNPQRSTVWXYZ")
CHUNK = 1000


def insert_rows(model, fields: Sequence, rows: Sequence[tuple]) -> None:
    """INSERT rows (tuples in `fields` order) into `model`'s table, CHUNK rows a call.

    Values go to the driver as they are: ids, text, numbers, dates, datetimes, None.
    """
    if not rows:
        return
    marker = database.param
    columns = ", ".join(f'"{field.column_name}"' for field in fields)
    placeholders = ", ".join([marker] * len(fields))
    table = model._meta.table_name
    sql = f'INSERT INTO "{table}" ({columns}) VALUES ({placeholders})'  # noqa: S608 (model names)
    cursor = database.cursor()
    # Peewee's wrapper, as its own queries get: a driver's error (sqlite3's or psycopg's
    # IntegrityError, DataError …) reaches callers as peewee's class of the same name.
    with peewee.__exception_wrapper__:
        for start in range(0, len(rows), CHUNK):
            cursor.executemany(sql, rows[start : start + CHUNK])


def column_in(field, values: Sequence) -> SQL:
    """`column IN (values)` bound as parameters: peewee's in_() renders each value as a node,
    which dominates when a recompute reads thousands of candidates. The column name is left
    unqualified, so it must be unambiguous in the query."""
    marks = ", ".join([database.param] * len(values))
    return SQL(f'"{field.column_name}" IN ({marks})', list(values))


def readable_codes(count: int, length: int) -> list[str]:
    """`count` random codes at once (one base32 encoding for all: recompute creates many)."""
    if count == 0:
        return []
    raw = secrets.token_bytes(count * length * 5 // 8 + 8)
    text = base64.b32encode(raw).decode().translate(_TO_READABLE)
    return [text[n * length : (n + 1) * length] for n in range(count)]


def as_date(value):
    """A date from the driver: SQLite gives ISO text, PostgreSQL a date (or None)."""
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(value[:10])


def raw_tuples(query) -> list[tuple]:
    """A peewee query's rows exactly as the driver returns them (no per-value conversion)."""
    return database.execute(query).fetchall()
