"""A viewer counts once a day: one transcript_view row per transcript, viewer and day.

Views logged before had no viewer (an empty viewer_hash); each gets a code of its own so they
all stay in the log and the new unique index holds.
"""

import peewee as pw
from peewee_migrate import Migrator


def migrate(migrator: Migrator, database: pw.Database, *, fake=False):
    migrator.sql(
        "UPDATE transcript_view SET viewer_hash = 'before-daily-' || CAST(id AS VARCHAR(20))"
        " WHERE viewer_hash = ''"
    )
    migrator.add_index("transcript_view", "transcript", "viewer_hash", unique=True)


def rollback(migrator: Migrator, database: pw.Database, *, fake=False):
    migrator.drop_index("transcript_view", "transcript", "viewer_hash")
