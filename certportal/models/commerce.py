"""Kits ordered and claimed, their fulfillment, and the money that paid for them."""

from peewee import BooleanField, CharField, DateField, DateTimeField, ForeignKeyField, IntegerField

from certportal.models.base import TimestampedModel
from certportal.models.catalog import FulfillmentItem, JSONTextField
from certportal.models.people import Candidate


class FulfillmentOrder(TimestampedModel):
    candidate = ForeignKeyField(Candidate, on_delete="CASCADE", backref="orders")
    tracking = BooleanField(default=False)
    shipping_cents = IntegerField(default=0)
    total_cents = IntegerField(default=0)
    currency = CharField(max_length=3, default="USD")
    payment_method = CharField(max_length=16, default="")  # paypal | debit | credit | none
    status = CharField(max_length=16, default="submitted")
    # The demographics as confirmed at order time (Roman and localized).
    ship_to = JSONTextField(default=dict)

    class Meta:
        indexes = ((("candidate", "created_at"), False),)


class OrderLine(TimestampedModel):
    order = ForeignKeyField(FulfillmentOrder, on_delete="CASCADE", backref="lines")
    candidate = ForeignKeyField(Candidate, on_delete="CASCADE", backref="order_lines")
    item = ForeignKeyField(FulfillmentItem, on_delete="RESTRICT")
    name = CharField(max_length=200)
    price_cents = IntegerField()
    currency = CharField(max_length=3, default="USD")
    is_initial_claim = BooleanField(default=False)
    verification_code = CharField(max_length=20, null=True, unique=True)
    queued_on = DateField()
    sent_on = DateField(null=True)
    completed_on = DateField(null=True)
    status = CharField(max_length=16, default="n/a")

    class Meta:
        indexes = ((("candidate", "queued_on"), False),)


class EcommerceTransaction(TimestampedModel):
    candidate = ForeignKeyField(Candidate, on_delete="CASCADE", backref="transactions")
    order = ForeignKeyField(FulfillmentOrder, null=True, on_delete="SET NULL")
    occurred_at = DateTimeField()
    description = CharField(max_length=255)
    item_count = IntegerField(default=1)
    amount_cents = IntegerField()
    currency = CharField(max_length=3, default="USD")
    payment_method = CharField(max_length=16)
    status = CharField(max_length=16)
    reference = CharField(max_length=64, default="")

    class Meta:
        indexes = ((("candidate", "occurred_at"), False),)
