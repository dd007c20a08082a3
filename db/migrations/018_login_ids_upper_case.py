"""Stored login IDs in their upper-case form, as login and imports look them up.

Imports used to store a login ID as the file spelled it: "csco1" could not log in (login
looks up "CSCO1"), and a later row spelling it "CSCO1" created a second record. Each such
login ID is upper-cased unless another record already has the upper-case form (or it would
not fit the column); those pairs are the same person twice, left for staff to merge.
"""

import logging

import peewee as pw
from peewee_migrate import Migrator

CHUNK = 500
LOGIN_ID_LENGTH = 32


def upper_case_login_ids(database: pw.Database) -> list[str]:
    """Upper-case every login ID that can be; returns the ones left as they are."""
    param = database.param
    lower = database.execute_sql(
        "SELECT id, login_id FROM candidate WHERE login_id <> UPPER(login_id) ORDER BY id"
    ).fetchall()
    targets = sorted({login_id.upper() for _, login_id in lower})
    taken = set()
    for start in range(0, len(targets), CHUNK):
        part = targets[start : start + CHUNK]
        marks = ", ".join([param] * len(part))
        taken.update(
            login_id
            for (login_id,) in database.execute_sql(
                f"SELECT login_id FROM candidate WHERE login_id IN ({marks})",  # noqa: S608
                part,
            ).fetchall()
        )
    left = []
    for candidate_id, login_id in lower:
        target = login_id.upper()
        if target in taken or len(target) > LOGIN_ID_LENGTH:
            left.append(login_id)
            continue
        database.execute_sql(
            f"UPDATE candidate SET login_id = {param} WHERE id = {param}", (target, candidate_id)
        )
        taken.add(target)
    if left:
        logging.getLogger("peewee_migrate").warning(
            "login IDs left as they are (another record has the upper-case form; merge them): %s",
            ", ".join(left),
        )
    return left


def migrate(migrator: Migrator, database: pw.Database, *, fake=False):
    migrator.run(upper_case_login_ids, database)


def rollback(migrator: Migrator, database: pw.Database, *, fake=False):
    """Nothing to undo: the lower-case spellings were never usable to log in."""
