"""Fast bulk writes for imports and recompute: one prepared statement, many rows.

Peewee's insert_many renders every value into SQL text, which costs more than the database's
own work for large imports; a cursor's executemany binds the rows to one statement instead,
and on PostgreSQL COPY streams them (one statement for all the rows, not one per row).
Table and column names come from the models, never from input.
"""

import base64
import secrets
from collections.abc import Sequence
from datetime import date

import peewee
from peewee import SQL

from certportal.db import database, is_postgres

# Crockford's base32 (models.base.READABLE_ALPHABET) from RFC 4648's, character by character.
_TO_READABLE = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", "0123456789ABCDEFGHJKMNPQRSTVWXYZ")
CHUNK = 1000


def _columns(fields: Sequence) -> str:
    return ", ".join(f'"{field.column_name}"' for field in fields)


def _insert_sql(model, fields: Sequence, values: str) -> str:
    return f'INSERT INTO "{model._meta.table_name}" ({_columns(fields)}) VALUES {values}'  # noqa: S608


def insert_rows(
    model, fields: Sequence, rows: Sequence[tuple], *, skip_duplicates: bool = False
) -> None:
    """INSERT rows (tuples in `fields` order) into `model`'s table.

    Values go to the driver as they are: ids, text, numbers, dates, datetimes, None. With
    `skip_duplicates`, a row that would break a unique key is left out (ON CONFLICT DO
    NOTHING, on both engines); on PostgreSQL it first waits for another transaction that
    inserted the same key, so exactly one of two concurrent writers gets each row.
    """
    if not rows:
        return
    cursor = database.cursor()
    # Peewee's wrapper, as its own queries get: a driver's error (sqlite3's or psycopg's
    # IntegrityError, DataError …) reaches callers as peewee's class of the same name.
    with peewee.__exception_wrapper__:
        if is_postgres() and not skip_duplicates:
            # psycopg's executemany still runs the statement once per row on the server;
            # COPY is one statement, several times faster for thousands of rows.
            table = model._meta.table_name
            with cursor.copy(f'COPY "{table}" ({_columns(fields)}) FROM STDIN') as copy:
                for row in rows:
                    copy.write_row(row)
            return
        placeholders = ", ".join([database.param] * len(fields))
        sql = _insert_sql(model, fields, f"({placeholders})")
        if skip_duplicates:
            sql += " ON CONFLICT DO NOTHING"
        for start in range(0, len(rows), CHUNK):
            cursor.executemany(sql, rows[start : start + CHUNK])


def insert_rows_returning_ids(model, fields: Sequence, rows: Sequence[tuple]) -> list[int]:
    """insert_rows that returns the new rows' ids, in the rows' order: one multi-row
    INSERT … RETURNING per chunk (both engines; a driver's executemany returns no rows)."""
    ids: list[int] = []
    # Bound values per statement stay far below SQLite's limit of 32,766.
    per_statement = max(1, min(CHUNK, 30_000 // max(len(fields), 1)))
    row_marks = "(" + ", ".join([database.param] * len(fields)) + ")"
    for start in range(0, len(rows), per_statement):
        chunk = rows[start : start + per_statement]
        sql = _insert_sql(model, fields, ", ".join([row_marks] * len(chunk)))
        sql += f' RETURNING "{model._meta.primary_key.column_name}"'
        params = [value for row in chunk for value in row]
        # Both engines number one INSERT's rows in the order of its VALUES (SQLite's next
        # rowid, PostgreSQL's sequence), though RETURNING promises no order: sorted, the
        # ids follow the rows.
        ids.extend(sorted(row[0] for row in database.execute_sql(sql, params).fetchall()))
    return ids


def insert_new_rows(model, fields: Sequence, rows: Sequence[tuple],
                    returning: Sequence) -> list[tuple]:
    """insert_rows with `skip_duplicates` that returns the `returning` columns of the rows
    this statement inserted: a row another transaction wrote meanwhile is not among them."""
    if not rows:
        return []
    row_marks = "(" + ", ".join([database.param] * len(fields)) + ")"
    # Small chunks: psycopg rescans a long statement's text for each placeholder.
    per_statement = max(1, min(CHUNK, 4000 // len(fields)))
    found = []
    cursor = database.cursor()
    with peewee.__exception_wrapper__:
        for start in range(0, len(rows), per_statement):
            part = rows[start : start + per_statement]
            sql = _insert_sql(model, fields, ", ".join([row_marks] * len(part)))
            sql += f" ON CONFLICT DO NOTHING RETURNING {_columns(returning)}"
            cursor.execute(sql, [value for row in part for value in row])
            found += cursor.fetchall()
    return found


def update_rows(field, values_by_id: Sequence[tuple]) -> None:
    """Set `field` row by row, from (value, row id) pairs: one prepared UPDATE for all."""
    if not values_by_id:
        return
    model, marker = field.model, database.param
    sql = (
        f'UPDATE "{model._meta.table_name}" SET "{field.column_name}" = {marker}'  # noqa: S608
        f' WHERE "{model._meta.primary_key.column_name}" = {marker}'
    )
    with peewee.__exception_wrapper__:
        database.cursor().executemany(sql, values_by_id)


def column_in(field, values: Sequence) -> SQL:
    """`column IN (values)` bound as parameters: peewee's in_() renders each value as a node,
    which dominates when a recompute reads thousands of candidates. On PostgreSQL the values
    go as one array (`= ANY(%s)`): psycopg rereads a statement's text for every placeholder
    of a statement too long to cache, which cost more than the query. The column name is
    left unqualified, so it must be unambiguous in the query."""
    if is_postgres():
        return SQL(f'"{field.column_name}" = ANY({database.param})', [list(values)])
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
