"""The staff console: roles and a second factor for staff, a searchable name on candidates,
merges, case threads and assignment, import history, the outcome of each catalog load, and an
append-only audit log.

Staff users that exist already become admins: before roles there was one kind of staff
account, and it could do everything the console offered. The audit log's content can no
longer be changed or deleted (triggers on both engines); only the foreign keys may still be
set to NULL, which the database does itself when a candidate or staff record is deleted.
"""

import peewee as pw
from peewee_migrate import Migrator

CHUNK = 500
NAME_KEY_LENGTH = 255

# The audit log's columns that nothing may change once a row is written.
AUDIT_CONTENT = (
    "id", "occurred_at", "action", "old_value", "new_value", "ip_address", "subject", "reason",
)


def _text(max_length: int | None = None):
    """NOT NULL with the default in the column itself: rows already there get it, and neither
    engine rebuilds the table (SQLite would, to add NOT NULL afterwards, and dropping the old
    table would cascade to every row that references it)."""
    default = [pw.SQL("DEFAULT ''")]
    if max_length is None:
        return pw.TextField(default="", constraints=default)
    return pw.CharField(max_length=max_length, default="", constraints=default)


def _count():
    return pw.IntegerField(default=0, constraints=[pw.SQL("DEFAULT 0")])


def fill_name_keys(database: pw.Database) -> None:
    """Every candidate's name_key from their names, folded as the domain folds them."""
    from certportal.domain.mapping import name_key

    param = database.param
    last_id = 0
    while True:
        rows = database.execute_sql(
            f"SELECT id, first_name, last_name FROM candidate WHERE id > {param} "
            f"ORDER BY id LIMIT {CHUNK}",
            (last_id,),
        ).fetchall()
        if not rows:
            return
        for candidate_id, first_name, last_name in rows:
            database.execute_sql(
                f"UPDATE candidate SET name_key = {param} WHERE id = {param}",
                (name_key(first_name, last_name), candidate_id),
            )
        last_id = rows[-1][0]


def _engine(database) -> pw.Database:
    return getattr(database, "obj", None) or database


def name_key_by_code_point(database: pw.Database) -> None:
    """On PostgreSQL the column compares by code point ("C"), as SQLite's BINARY does, so a
    prefix is one index range whatever the database's locale."""
    if isinstance(_engine(database), pw.PostgresqlDatabase):
        database.execute_sql(
            'ALTER TABLE candidate ALTER COLUMN name_key TYPE VARCHAR(255) COLLATE "C"'
        )


def make_audit_append_only(database: pw.Database) -> None:
    if isinstance(_engine(database), pw.PostgresqlDatabase):
        changed = " OR ".join(f"NEW.{name} IS DISTINCT FROM OLD.{name}" for name in AUDIT_CONTENT)
        database.execute_sql(
            "CREATE FUNCTION audit_event_append_only() RETURNS trigger AS $$ BEGIN "
            "IF TG_OP = 'DELETE' OR " + changed + " THEN "
            "RAISE EXCEPTION 'audit_event is append-only'; END IF; RETURN NEW; END $$ "
            "LANGUAGE plpgsql"
        )
        database.execute_sql(
            "CREATE TRIGGER audit_event_append_only BEFORE UPDATE OR DELETE ON audit_event "
            "FOR EACH ROW EXECUTE FUNCTION audit_event_append_only()"
        )
        return
    columns = ", ".join(AUDIT_CONTENT)
    database.execute_sql(
        f"CREATE TRIGGER audit_event_no_update BEFORE UPDATE OF {columns} ON audit_event "
        "BEGIN SELECT RAISE(ABORT, 'audit_event is append-only'); END"
    )
    database.execute_sql(
        "CREATE TRIGGER audit_event_no_delete BEFORE DELETE ON audit_event "
        "BEGIN SELECT RAISE(ABORT, 'audit_event is append-only'); END"
    )


def drop_audit_triggers(database: pw.Database) -> None:
    if isinstance(_engine(database), pw.PostgresqlDatabase):
        database.execute_sql("DROP TRIGGER audit_event_append_only ON audit_event")
        database.execute_sql("DROP FUNCTION audit_event_append_only()")
        return
    database.execute_sql("DROP TRIGGER audit_event_no_update")
    database.execute_sql("DROP TRIGGER audit_event_no_delete")


def migrate(migrator: Migrator, database: pw.Database, *, fake=False):
    candidate_model = migrator.orm["candidate"]
    staff_model = migrator.orm["staff_user"]
    case_model = migrator.orm["support_case"]

    migrator.add_fields(
        "candidate",
        allow_not_null=True,
        name_key=_text(NAME_KEY_LENGTH),
        merged_into=pw.ForeignKeyField(
            column_name="merged_into_id", field="id", model=candidate_model, null=True,
            on_delete="SET NULL",
        ),
    )
    migrator.run(name_key_by_code_point, database)
    migrator.add_index("candidate", "name_key", "id")
    migrator.run(fill_name_keys, database)

    migrator.add_fields(
        "staff_user",
        allow_not_null=True,
        roles=_text(64),
        totp_secret=_text(64),
        totp_enrolled_at=pw.DateTimeField(null=True),
        totp_last_step=pw.IntegerField(null=True),
        last_login_at=pw.DateTimeField(null=True),
    )
    migrator.sql("UPDATE staff_user SET roles = 'admin'")

    @migrator.create_model
    class StaffRecoveryCode(pw.Model):
        id = pw.AutoField()
        created_at = pw.DateTimeField()
        staff_user = pw.ForeignKeyField(
            column_name="staff_user_id", field="id", model=staff_model, on_delete="CASCADE"
        )
        code_hash = pw.CharField(max_length=64, unique=True)
        used_at = pw.DateTimeField(null=True)

        class Meta:
            table_name = "staff_recovery_code"

    migrator.add_fields(
        "support_case",
        assigned_to=pw.ForeignKeyField(
            column_name="assigned_to_id", field="id", model=staff_model, null=True,
            on_delete="SET NULL",
        ),
    )
    migrator.add_index("support_case", "assigned_to", "status", "created_at")

    @migrator.create_model
    class SupportCaseMessage(pw.Model):
        id = pw.AutoField()
        created_at = pw.DateTimeField()
        case = pw.ForeignKeyField(
            column_name="case_id", field="id", model=case_model, on_delete="CASCADE"
        )
        staff_user = pw.ForeignKeyField(
            column_name="staff_user_id", field="id", model=staff_model, null=True,
            on_delete="SET NULL",
        )
        kind = pw.CharField(max_length=16)
        to_address = pw.CharField(max_length=254, default="")
        body = pw.TextField()

        class Meta:
            table_name = "support_case_message"
            indexes = ((("case", "created_at"), False),)

    @migrator.create_model
    class CandidateMerge(pw.Model):
        id = pw.AutoField()
        created_at = pw.DateTimeField()
        survivor = pw.ForeignKeyField(
            column_name="survivor_id", field="id", model=candidate_model, on_delete="CASCADE"
        )
        retired = pw.ForeignKeyField(
            column_name="retired_id", field="id", model=candidate_model, on_delete="CASCADE"
        )
        staff_user = pw.ForeignKeyField(
            column_name="staff_user_id", field="id", model=staff_model, null=True,
            on_delete="SET NULL",
        )
        case = pw.ForeignKeyField(
            column_name="case_id", field="id", model=case_model, null=True,
            on_delete="SET NULL",
        )
        reason = pw.TextField(default="")
        moved = pw.TextField(default="{}")
        undone_at = pw.DateTimeField(null=True)
        undone_by = pw.ForeignKeyField(
            column_name="undone_by_id", field="id", model=staff_model, null=True,
            on_delete="SET NULL",
        )

        class Meta:
            table_name = "candidate_merge"
            indexes = (
                (("survivor", "created_at"), False),
                (("retired", "created_at"), False),
            )

    @migrator.create_model
    class CatalogLoad(pw.Model):
        id = pw.AutoField()
        loaded_at = pw.DateTimeField(index=True)
        directory = pw.CharField(max_length=255, default="")
        succeeded = pw.BooleanField(default=False)
        summary = pw.TextField(default="")
        errors = pw.TextField(default="[]")

        class Meta:
            table_name = "catalog_load"

    migrator.add_fields(
        "import_batch",
        allow_not_null=True,
        size_bytes=_count(),
        rows_unchanged=_count(),
        error_count=_count(),
        candidates_created=_count(),
    )
    migrator.add_index("import_batch", "created_at")

    migrator.add_fields(
        "audit_event",
        allow_not_null=True,
        subject=_text(255),
        reason=_text(),
    )
    migrator.add_index("audit_event", "staff_user", "occurred_at")
    migrator.add_index("audit_event", "occurred_at")
    migrator.run(make_audit_append_only, database)


def rollback(migrator: Migrator, database: pw.Database, *, fake=False):
    migrator.run(drop_audit_triggers, database)
    migrator.drop_index("audit_event", "occurred_at")
    migrator.drop_index("audit_event", "staff_user", "occurred_at")
    migrator.remove_fields("audit_event", "subject", "reason")
    migrator.drop_index("import_batch", "created_at")
    migrator.remove_fields(
        "import_batch", "size_bytes", "rows_unchanged", "error_count", "candidates_created"
    )
    migrator.remove_model("catalog_load")
    migrator.remove_model("candidate_merge")
    migrator.remove_model("support_case_message")
    migrator.drop_index("support_case", "assigned_to", "status", "created_at")
    migrator.remove_fields("support_case", "assigned_to")
    migrator.remove_model("staff_recovery_code")
    migrator.remove_fields(
        "staff_user", "roles", "totp_secret", "totp_enrolled_at", "totp_last_step",
        "last_login_at",
    )
    migrator.drop_index("candidate", "name_key", "id")
    migrator.remove_fields("candidate", "name_key", "merged_into")
