"""Keeping certifications: expiry reminders, their Settings answer, and self-submitted CE.

- expiry_reminder: one row per certification cycle (named by its expiration date) and
  window; the unique key is what keeps a reminder from being sent twice by overlapping runs.
- candidate.expiry_reminders: the sixth Settings answer, on unless the candidate turns it off.
  Added with its default in one statement, so a large table is not rewritten row by row.
- ce_credit.points_claimed and ce_evidence: a candidate's own CE activity and its files,
  waiting for staff review (review = "pending").
- Indexes for the reminders' daily range scan over active certifications by expiration,
  and for staff's queue of pending CE reviews.
"""

import peewee as pw
from peewee_migrate import Migrator


def migrate(migrator: Migrator, database: pw.Database, *, fake=False):
    @migrator.create_model
    class ExpiryReminder(pw.Model):
        id = pw.AutoField()
        created_at = pw.DateTimeField()
        candidate_certification = pw.ForeignKeyField(
            column_name="candidate_certification_id", field="id",
            model=migrator.orm["candidate_certification"], on_delete="CASCADE",
        )
        expires_on = pw.DateField()
        days_before = pw.IntegerField()
        sent_on = pw.DateField()
        run_token = pw.CharField(max_length=32)
        outgoing_email = pw.ForeignKeyField(
            column_name="outgoing_email_id", field="id", model=migrator.orm["outgoing_email"],
            null=True, on_delete="SET NULL",
        )

        class Meta:
            table_name = "expiry_reminder"
            indexes = (
                (("candidate_certification", "expires_on", "days_before"), True),
                (("run_token",), False),
            )

    @migrator.create_model
    class CeEvidence(pw.Model):
        id = pw.AutoField()
        created_at = pw.DateTimeField()
        credit = pw.ForeignKeyField(
            column_name="credit_id", field="id", model=migrator.orm["ce_credit"],
            on_delete="CASCADE",
        )
        stored_name = pw.CharField(max_length=64, unique=True)
        original_name = pw.CharField(max_length=255)
        content_type = pw.CharField(max_length=32)
        size_bytes = pw.IntegerField()
        sha256 = pw.CharField(max_length=64)

        class Meta:
            table_name = "ce_evidence"

    # SQLite and PostgreSQL both add a NOT NULL column with a constant default in place.
    migrator.sql(
        "ALTER TABLE candidate ADD COLUMN expiry_reminders BOOLEAN NOT NULL DEFAULT TRUE"
    )
    migrator.add_fields("ce_credit", points_claimed=pw.IntegerField(null=True))
    migrator.add_index("ce_credit", "review", "created_at")
    migrator.add_index("candidate_certification", "status", "expires_on")


def rollback(migrator: Migrator, database: pw.Database, *, fake=False):
    migrator.drop_index("candidate_certification", "status", "expires_on")
    migrator.drop_index("ce_credit", "review", "created_at")
    migrator.remove_fields("ce_credit", "points_claimed")
    migrator.sql("ALTER TABLE candidate DROP COLUMN expiry_reminders")
    migrator.remove_model("ce_evidence")
    migrator.remove_model("expiry_reminder")
