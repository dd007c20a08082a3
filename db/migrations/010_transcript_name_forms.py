"""Transcripts show a form of the name on record instead of a free-text display name.

Each existing transcript gets the form its old display name reads like (full name, initials
of the given names, localized name), and the full name when it reads like none of them: a
name the record does not hold is not shown again. The free-text column is then dropped.
"""

import peewee as pw
from peewee_migrate import Migrator


def _choose_closest_forms(migrator: Migrator, database: pw.Database) -> None:
    from certportal.domain.transcripts import DEFAULT_NAME_FORM, closest_name_form
    from certportal.models import Candidate

    transcript = migrator.orm["transcript"]
    rows = database.execute_sql(
        "SELECT t.id, t.display_name, c.first_name, c.last_name, c.localized_first_name,"
        " c.localized_last_name FROM transcript t JOIN candidate c ON c.id = t.candidate_id"
    ).fetchall()
    for transcript_id, display_name, first, last, localized_first, localized_last in rows:
        person = Candidate(first_name=first or "", last_name=last or "",
                           localized_first_name=localized_first or "",
                           localized_last_name=localized_last or "")
        name_form = closest_name_form(person, display_name or "")
        if name_form != DEFAULT_NAME_FORM:
            transcript.update(name_form=name_form).where(transcript.id == transcript_id).execute()


def _text_column(max_length: int, default: str) -> pw.CharField:
    """NOT NULL with the default in the column itself: rows already there get it, and neither
    engine has to rebuild the table (SQLite would, to add NOT NULL afterwards)."""
    return pw.CharField(max_length=max_length, default=default,
                        constraints=[pw.SQL(f"DEFAULT '{default}'")])


def migrate(migrator: Migrator, database: pw.Database, *, fake=False):
    migrator.add_fields("transcript", allow_not_null=True, name_form=_text_column(16, "full"))
    migrator.run(_choose_closest_forms, migrator, database)
    migrator.remove_fields("transcript", "display_name")


def rollback(migrator: Migrator, database: pw.Database, *, fake=False):
    migrator.add_fields("transcript", allow_not_null=True, display_name=_text_column(200, ""))
    migrator.sql(
        "UPDATE transcript SET display_name = (SELECT TRIM(c.first_name || ' ' || c.last_name)"
        " FROM candidate c WHERE c.id = transcript.candidate_id)"
    )
    migrator.remove_fields("transcript", "name_form")
