"""Every outgoing message, written before delivery so none is lost."""

from peewee import CharField, DateTimeField, ForeignKeyField, IntegerField, TextField

from certportal.models.base import TimestampedModel
from certportal.models.people import Candidate


class OutgoingEmail(TimestampedModel):
    candidate = ForeignKeyField(Candidate, null=True, on_delete="SET NULL", backref="emails")
    kind = CharField(max_length=32)
    to_address = CharField(max_length=254)
    subject = CharField(max_length=255)
    body_text = TextField()
    body_html = TextField(default="")
    # pending (to send or retry) | sent | failed (gave up after mail.MAX_ATTEMPTS)
    status = CharField(max_length=16, default="pending")
    attempts = IntegerField(default=0)
    last_error = TextField(default="")
    sent_at = DateTimeField(null=True)

    class Meta:
        indexes = ((("status", "created_at"), False), (("candidate", "created_at"), False))
