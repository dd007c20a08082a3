"""Kits earned, ordered and claimed, their fulfillment, and the money that paid for them.

An earning of a certification entitles the candidate to its kits at their initial price
(the guide's free initial kit), once. An order is written once, in one transaction, before
any payment: its lines carry the catalog's price at that moment (integer cents and a
currency) and each printed kit's own verification code. A paid order is marked paid only
from the provider's word (a verified webhook or a server-side read of the payment), once.
"""

from peewee import (
    BooleanField,
    CharField,
    DateField,
    DateTimeField,
    ForeignKeyField,
    IntegerField,
)

from certportal.models.base import BaseModel, TimestampedModel, utcnow
from certportal.models.catalog import FulfillmentItem, JSONTextField
from certportal.models.people import Candidate
from certportal.models.records import CandidateCertification

ORDER_AWAITING_PAYMENT = "awaiting_payment"
ORDER_SUBMITTED = "submitted"  # claimed for free or paid: in the fulfillment queue
ORDER_CANCELLED = "cancelled"

LINE_PENDING = "pending"  # its order awaits payment
LINE_QUEUED = "queued"
LINE_SENT = "sent"
LINE_COMPLETE = "complete"
LINE_CANCELLED = "cancelled"
# Kits handed to fulfillment: their verification codes verify, the candidate follows them.
PRINTED_LINE_STATUSES = (LINE_QUEUED, LINE_SENT, LINE_COMPLETE)


class CertificationEarning(TimestampedModel):
    """One earning of a certification: the first, one after it had expired, or a
    recertification whose kits the catalog gives again. The candidate is congratulated once
    for it and may claim its kits at their initial price once."""

    held = ForeignKeyField(CandidateCertification, on_delete="CASCADE", backref="earnings")
    candidate = ForeignKeyField(Candidate, on_delete="CASCADE", backref="earnings")
    earned_on = DateField()
    kind = CharField(max_length=16)  # earned | recertified
    # When the congratulations email was queued; None until then (an import run where no
    # message can be rendered leaves it to `flask --app app mail send-pending`).
    congratulated_at = DateTimeField(null=True)

    class Meta:
        indexes = ((("held", "earned_on"), True), (("congratulated_at", "created_at"), False))


class FulfillmentOrder(TimestampedModel):
    candidate = ForeignKeyField(Candidate, on_delete="CASCADE", backref="orders")
    # The order's public name (URLs, emails, the provider's metadata): random, never the id.
    reference = CharField(max_length=16, unique=True)
    # The Confirm page's one-time key: the same form submitted twice gives the same order.
    submission_key = CharField(max_length=64)
    status = CharField(max_length=16, default=ORDER_AWAITING_PAYMENT)
    tracking = BooleanField(default=False)
    items_cents = IntegerField(default=0)
    shipping_cents = IntegerField(default=0)
    total_cents = IntegerField(default=0)
    currency = CharField(max_length=3, default="USD")
    payment_method = CharField(max_length=16, default="")  # none | card | paypal
    # The current payment attempt: its number (the provider's idempotency key) and intent.
    payment_attempt = IntegerField(default=0)
    payment_intent_id = CharField(max_length=64, default="")
    # The demographics as confirmed at order time (Roman and localized panels).
    ship_to = JSONTextField(default=dict)
    submitted_at = DateTimeField(null=True)
    paid_at = DateTimeField(null=True)
    cancelled_at = DateTimeField(null=True)
    updated_at = DateTimeField(default=utcnow)

    class Meta:
        indexes = (
            (("candidate", "created_at"), False),
            (("candidate", "submission_key"), True),
        )


class OrderLine(TimestampedModel):
    order = ForeignKeyField(FulfillmentOrder, on_delete="CASCADE", backref="lines")
    candidate = ForeignKeyField(Candidate, on_delete="CASCADE", backref="order_lines")
    item = ForeignKeyField(FulfillmentItem, on_delete="RESTRICT")
    # The catalog's name, kind and price when ordered.
    name = CharField(max_length=200)
    kind = CharField(max_length=32)
    price_cents = IntegerField()
    currency = CharField(max_length=3, default="USD")
    is_initial_claim = BooleanField(default=False)
    # Printed on the kit; /verify accepts it like a certificate's.
    verification_code = CharField(max_length=20, unique=True)
    status = CharField(max_length=16, default=LINE_PENDING)
    queued_on = DateField(null=True)
    sent_on = DateField(null=True)
    completed_on = DateField(null=True)
    tracking_number = CharField(max_length=64, default="")

    class Meta:
        indexes = ((("candidate", "queued_on"), False), (("status", "queued_on"), False))


class KitEntitlement(TimestampedModel):
    """An earning's right to one kit at its initial price; claimed by one order line."""

    earning = ForeignKeyField(CertificationEarning, on_delete="CASCADE", backref="kits")
    candidate = ForeignKeyField(Candidate, on_delete="CASCADE", backref="kit_entitlements")
    item = ForeignKeyField(FulfillmentItem, on_delete="RESTRICT")
    claimed_at = DateTimeField(null=True)
    # None while unclaimed, and for claims recorded before orders had lines.
    order_line = ForeignKeyField(OrderLine, null=True, unique=True, on_delete="SET NULL")

    class Meta:
        indexes = ((("earning", "item"), True), (("candidate", "claimed_at"), False))


class EcommerceTransaction(TimestampedModel):
    candidate = ForeignKeyField(Candidate, on_delete="CASCADE", backref="transactions")
    order = ForeignKeyField(FulfillmentOrder, null=True, on_delete="SET NULL")
    occurred_at = DateTimeField()
    description = CharField(max_length=255)
    item_count = IntegerField(default=1)
    amount_cents = IntegerField()
    currency = CharField(max_length=3, default="USD")
    payment_method = CharField(max_length=16)
    status = CharField(max_length=16)  # Completed | Declined
    # The order's reference for a free claim; the provider's payment id for a payment.
    reference = CharField(max_length=64, default="")

    class Meta:
        indexes = ((("candidate", "occurred_at"), False),)


class ProcessedWebhookEvent(BaseModel):
    """A payment provider event already handled: a repeated delivery changes nothing."""

    event_id = CharField(max_length=255, unique=True)
    event_type = CharField(max_length=64)
    received_at = DateTimeField(default=utcnow)
