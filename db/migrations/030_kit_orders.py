"""Kit orders for real: earnings and their initial kits, orders with a public reference and
a payment attempt, lines with their own verification code and status, provider events.

- certification_earning / kit_entitlement: each earning of a certification and its right to
  each kit at the initial price, claimed by one order line. They replace the single
  `initial_kit_claimed` flag, which could not tell one earning from the next: every active
  certification gets an earning dated from its active date, claimed when the flag was set.
- fulfillment_order: a random public `reference` (URLs, emails, the provider's metadata), the
  Confirm form's `submission_key`, the items' sum, the payment attempt and its intent, and
  when it was submitted, paid or cancelled. Old statuses become "submitted".
- order_line: its kind and tracking number; every line gets a verification code; lines of an
  order awaiting payment are not queued yet (queued_on may be empty); statuses lower case.
- processed_webhook_event: provider events already acted on.
- fulfillment_item.free_on_recertification (catalog).
"""

import peewee as pw
from peewee_migrate import Migrator

CHUNK = 500


def _not_null(field_class, default_sql: str, **options):
    """NOT NULL with the default in the column itself: rows already there get it, and
    SQLite need not rebuild the table."""
    return field_class(constraints=[pw.SQL(f"DEFAULT {default_sql}")], **options)


def _random_code(length: int) -> str:
    from certportal.models.base import random_code

    return random_code(length)


def _fill_orders(database: pw.Database) -> None:
    param = database.param
    rows = database.execute_sql("SELECT id, total_cents, shipping_cents, created_at, status"
                                " FROM fulfillment_order ORDER BY id").fetchall()
    for order_id, total, shipping, created_at, status in rows:
        database.execute_sql(
            f"UPDATE fulfillment_order SET reference = {param}, submission_key = {param},"  # noqa: S608
            f" items_cents = {param}, updated_at = {param}, status = {param},"
            f" submitted_at = {param} WHERE id = {param}",
            (_random_code(16), f"migrated-{order_id:010d}", (total or 0) - (shipping or 0),
             created_at, "submitted" if status != "cancelled" else status, created_at,
             order_id),
        )


LINE_STATUSES = {"queued": "queued", "n/a": "queued", "sent": "sent", "complete": "complete",
                 "cancelled": "cancelled"}


def _fill_lines(database: pw.Database) -> None:
    param = database.param
    rows = database.execute_sql(
        "SELECT l.id, l.verification_code, l.status, l.sent_on, l.completed_on, i.kind"
        " FROM order_line l JOIN fulfillment_item i ON i.id = l.item_id ORDER BY l.id"
    ).fetchall()
    for line_id, code, status, sent_on, completed_on, kind in rows:
        new_status = LINE_STATUSES.get((status or "").lower(), "queued")
        if completed_on:
            new_status = "complete"
        elif sent_on and new_status == "queued":
            new_status = "sent"
        database.execute_sql(
            f"UPDATE order_line SET verification_code = {param}, status = {param},"
            f" kind = {param} WHERE id = {param}",
            (code or _random_code(16), new_status, kind, line_id),
        )


def _earnings_from_claimed_flags(migrator: Migrator, database: pw.Database) -> None:
    """One earning per active certification, its kits claimed if the flag said so."""
    from certportal.models.base import utcnow

    earnings, entitlements = migrator.orm["certification_earning"], migrator.orm["kit_entitlement"]
    now = utcnow()
    held_rows = database.execute_sql(
        "SELECT id, candidate_id, certification_id, active_on, initial_kit_claimed"
        " FROM candidate_certification WHERE status = 'active' AND active_on IS NOT NULL"
        " ORDER BY id"
    ).fetchall()
    kits: dict[int, list[int]] = {}
    for item_id, certification_id in database.execute_sql(
        "SELECT id, certification_id FROM fulfillment_item ORDER BY id"
    ).fetchall():
        kits.setdefault(certification_id, []).append(item_id)
    claimed_lines = {
        (candidate_id, item_id): line_id
        for line_id, candidate_id, item_id in database.execute_sql(
            "SELECT id, candidate_id, item_id FROM order_line WHERE is_initial_claim"
            " ORDER BY id"
        ).fetchall()
    }
    for held_id, candidate_id, certification_id, active_on, claimed in held_rows:
        # Earned before this version: congratulated then, or never to be now.
        earning_id = earnings.insert(
            created_at=now, held=held_id, candidate=candidate_id, earned_on=active_on,
            kind="earned", congratulated_at=now,
        ).execute()
        for item_id in kits.get(certification_id, ()):
            line_id = claimed_lines.pop((candidate_id, item_id), None) if claimed else None
            entitlements.insert(
                created_at=now, earning=earning_id, candidate=candidate_id, item=item_id,
                claimed_at=now if claimed else None, order_line=line_id,
            ).execute()


def migrate(migrator: Migrator, database: pw.Database, *, fake=False):
    migrator.add_fields(
        "fulfillment_item", allow_not_null=True,
        free_on_recertification=_not_null(pw.BooleanField, "FALSE", default=False),
    )

    migrator.add_fields(
        "fulfillment_order", allow_not_null=True,
        reference=_not_null(pw.CharField, "''", max_length=16, default=""),
        submission_key=_not_null(pw.CharField, "''", max_length=64, default=""),
        items_cents=_not_null(pw.IntegerField, "0", default=0),
        payment_attempt=_not_null(pw.IntegerField, "0", default=0),
        payment_intent_id=_not_null(pw.CharField, "''", max_length=64, default=""),
        submitted_at=pw.DateTimeField(null=True),
        paid_at=pw.DateTimeField(null=True),
        cancelled_at=pw.DateTimeField(null=True),
        # Filled from created_at below (a column default must be constant on SQLite).
        updated_at=_not_null(pw.DateTimeField, "'2000-01-01 00:00:00'"),
    )
    migrator.run(_fill_orders, database)
    # As SQL: add_index would mark the field unique before the rows above get their values.
    migrator.sql('CREATE UNIQUE INDEX "fulfillmentorder_reference" ON "fulfillment_order"'
                 ' ("reference")')
    migrator.add_index("fulfillment_order", "candidate", "submission_key", unique=True)

    migrator.add_fields(
        "order_line", allow_not_null=True,
        kind=_not_null(pw.CharField, "''", max_length=32, default=""),
        tracking_number=_not_null(pw.CharField, "''", max_length=64, default=""),
    )
    migrator.run(_fill_lines, database)
    migrator.drop_not_null("order_line", "queued_on")
    migrator.add_not_null("order_line", "verification_code")
    migrator.add_index("order_line", "status", "queued_on")

    @migrator.create_model
    class CertificationEarning(pw.Model):
        id = pw.AutoField()
        created_at = pw.DateTimeField()
        held = pw.ForeignKeyField(
            column_name="held_id", field="id", model=migrator.orm["candidate_certification"],
            on_delete="CASCADE",
        )
        candidate = pw.ForeignKeyField(
            column_name="candidate_id", field="id", model=migrator.orm["candidate"],
            on_delete="CASCADE",
        )
        earned_on = pw.DateField()
        kind = pw.CharField(max_length=16)
        congratulated_at = pw.DateTimeField(null=True)

        class Meta:
            table_name = "certification_earning"
            indexes = [(("held", "earned_on"), True), (("congratulated_at", "created_at"), False)]

    @migrator.create_model
    class KitEntitlement(pw.Model):
        id = pw.AutoField()
        created_at = pw.DateTimeField()
        earning = pw.ForeignKeyField(
            column_name="earning_id", field="id", model=migrator.orm["certification_earning"],
            on_delete="CASCADE",
        )
        candidate = pw.ForeignKeyField(
            column_name="candidate_id", field="id", model=migrator.orm["candidate"],
            on_delete="CASCADE",
        )
        item = pw.ForeignKeyField(
            column_name="item_id", field="id", model=migrator.orm["fulfillment_item"],
            on_delete="RESTRICT",
        )
        claimed_at = pw.DateTimeField(null=True)
        order_line = pw.ForeignKeyField(
            column_name="order_line_id", field="id", model=migrator.orm["order_line"],
            null=True, unique=True, on_delete="SET NULL",
        )

        class Meta:
            table_name = "kit_entitlement"
            indexes = [(("earning", "item"), True), (("candidate", "claimed_at"), False)]

    @migrator.create_model
    class ProcessedWebhookEvent(pw.Model):
        id = pw.AutoField()
        event_id = pw.CharField(max_length=255, unique=True)
        event_type = pw.CharField(max_length=64)
        received_at = pw.DateTimeField()

        class Meta:
            table_name = "processed_webhook_event"

    migrator.run(_earnings_from_claimed_flags, migrator, database)
    migrator.remove_fields("candidate_certification", "initial_kit_claimed")


def rollback(migrator: Migrator, database: pw.Database, *, fake=False):
    migrator.add_fields(
        "candidate_certification", allow_not_null=True,
        initial_kit_claimed=_not_null(pw.BooleanField, "FALSE", default=False),
    )
    migrator.sql(
        "UPDATE candidate_certification SET initial_kit_claimed = TRUE WHERE id IN"
        " (SELECT e.held_id FROM certification_earning e JOIN kit_entitlement k"
        " ON k.earning_id = e.id WHERE k.claimed_at IS NOT NULL)"
    )
    migrator.remove_model("processed_webhook_event")
    migrator.remove_model("kit_entitlement")
    migrator.remove_model("certification_earning")
    migrator.drop_index("order_line", "status", "queued_on")
    migrator.remove_fields("order_line", "kind", "tracking_number")
    migrator.drop_index("fulfillment_order", "candidate", "submission_key")
    migrator.sql('DROP INDEX "fulfillmentorder_reference"')
    migrator.remove_fields(
        "fulfillment_order", "reference", "submission_key", "items_cents", "payment_attempt",
        "payment_intent_id", "submitted_at", "paid_at", "cancelled_at", "updated_at",
    )
    migrator.remove_fields("fulfillment_item", "free_on_recertification")
