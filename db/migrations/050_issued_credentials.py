"""Digital badges: the signed credentials issued per certification, the keys that signed them,
the status list position counter, and the candidate's choice to let search engines list
their public badge pages.

The existing `candidate_certification.badge_id` (20 random characters, 100 bits) names each
certification's public badge page; nothing here changes it.
"""

import peewee as pw
from peewee_migrate import Migrator


def migrate(migrator: Migrator, database: pw.Database, *, fake=False):
    @migrator.create_model
    class IssuedCredential(pw.Model):
        id = pw.AutoField()
        created_at = pw.DateTimeField()
        candidate_certification = pw.ForeignKeyField(
            column_name="candidate_certification_id", field="id",
            model=migrator.orm["candidate_certification"], on_delete="CASCADE",
        )
        credential_id = pw.CharField(max_length=64, unique=True)
        status_index = pw.BigIntegerField(unique=True)
        valid_from = pw.DateField()
        valid_until = pw.DateField(null=True)
        issued_at = pw.DateTimeField()
        signing_key = pw.CharField(max_length=64)
        document = pw.TextField()
        superseded_by = pw.ForeignKeyField(
            column_name="superseded_by_id", field="id", model="self", null=True,
            on_delete="SET NULL",
        )

        class Meta:
            table_name = "issued_credential"
            indexes = [(("candidate_certification", "issued_at"), False)]

    @migrator.create_model
    class BadgeSigningKey(pw.Model):
        id = pw.AutoField()
        created_at = pw.DateTimeField()
        public_key = pw.CharField(max_length=64, unique=True)

        class Meta:
            table_name = "badge_signing_key"

    @migrator.create_model
    class StatusListAllocation(pw.Model):
        purpose = pw.CharField(max_length=32, primary_key=True)
        next_index = pw.BigIntegerField(default=0)

        class Meta:
            table_name = "status_list_allocation"

    # NOT NULL with the default in the column itself: existing rows get it, and SQLite does
    # not rebuild the candidate table (which would cascade-delete every row that refers to it).
    migrator.add_fields(
        "candidate",
        allow_not_null=True,
        badges_searchable=pw.BooleanField(default=False, constraints=[pw.SQL("DEFAULT FALSE")]),
    )


def rollback(migrator: Migrator, database: pw.Database, *, fake=False):
    migrator.remove_fields("candidate", "badges_searchable")
    migrator.remove_model("status_list_allocation")
    migrator.remove_model("badge_signing_key")
    migrator.remove_model("issued_credential")
