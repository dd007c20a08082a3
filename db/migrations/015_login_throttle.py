"""Log-in throttling per client address and identifier replaces the account lockout.

The account-wide lock let anyone lock anyone out by failing on purpose; its columns go.
Registration numbers are matched without regard to case, through an index on lower().
"""

import peewee as pw
from peewee_migrate import Migrator


def migrate(migrator: Migrator, database: pw.Database, *, fake=False):
    @migrator.create_model
    class LoginThrottle(pw.Model):
        id = pw.AutoField()
        key_hash = pw.CharField(max_length=64, unique=True)
        candidate = pw.ForeignKeyField(
            column_name="candidate_id", field="id", model=migrator.orm["candidate"],
            null=True, on_delete="CASCADE",
        )
        staff_user = pw.ForeignKeyField(
            column_name="staff_user_id", field="id", model=migrator.orm["staff_user"],
            null=True, on_delete="CASCADE",
        )
        failures = pw.IntegerField(default=0)
        last_failure_at = pw.DateTimeField(index=True)

        class Meta:
            table_name = "login_throttle"

    migrator.remove_fields(
        "candidate", "failed_login_count", "first_failed_login_at", "locked_until"
    )
    migrator.remove_fields(
        "staff_user", "failed_login_count", "first_failed_login_at", "locked_until"
    )
    migrator.sql(
        "CREATE INDEX exam_result_registration_key ON exam_result (lower(registration_number))"
    )


def rollback(migrator: Migrator, database: pw.Database, *, fake=False):
    migrator.sql("DROP INDEX exam_result_registration_key")
    migrator.add_fields(
        "staff_user",
        failed_login_count=pw.IntegerField(default=0),
        first_failed_login_at=pw.DateTimeField(null=True),
        locked_until=pw.DateTimeField(null=True),
    )
    migrator.add_fields(
        "candidate",
        failed_login_count=pw.IntegerField(default=0),
        first_failed_login_at=pw.DateTimeField(null=True),
        locked_until=pw.DateTimeField(null=True),
    )
    migrator.remove_model("login_throttle")
