"""Transcripts candidates share with third parties, and who looked at them."""

from peewee import (
    BooleanField,
    CharField,
    DateField,
    DateTimeField,
    ForeignKeyField,
    IntegerField,
    TextField,
)

from certportal.models.base import BaseModel, TimestampedModel, utcnow
from certportal.models.catalog import Certification
from certportal.models.people import Candidate


class Transcript(TimestampedModel):
    public_id = CharField(max_length=16, unique=True)
    candidate = ForeignKeyField(Candidate, on_delete="CASCADE", backref="transcripts")
    # How the name on record is shown (full | initials | localized): never free text.
    name_form = CharField(max_length=16, default="full")
    description = CharField(max_length=200, default="")
    remarks = TextField(default="")
    show_dates = BooleanField(default=True)
    show_address = BooleanField(default=False)
    only_active = BooleanField(default=True)
    selection = CharField(max_length=16, default="active")  # active | all_new | chosen
    expires_on = DateField()
    disabled_at = DateTimeField(null=True)
    updated_at = DateTimeField(default=utcnow)
    view_count = IntegerField(default=0)
    last_viewed_at = DateTimeField(null=True)

    class Meta:
        indexes = ((("candidate", "created_at"), False),)


class TranscriptCertification(BaseModel):
    transcript = ForeignKeyField(Transcript, on_delete="CASCADE", backref="chosen")
    certification = ForeignKeyField(Certification, on_delete="CASCADE")

    class Meta:
        indexes = ((("transcript", "certification"), True),)


class TranscriptView(BaseModel):
    transcript = ForeignKeyField(Transcript, on_delete="CASCADE", backref="views")
    viewed_at = DateTimeField(default=utcnow)
    # A keyed hash of address, browser and day, not the address: enough to count a viewer
    # once a day, not to track them. One row per viewer and day.
    viewer_hash = CharField(max_length=64, default="")
    user_agent = CharField(max_length=255, default="")

    class Meta:
        indexes = (
            (("transcript", "viewed_at"), False),
            (("transcript", "viewer_hash"), True),
        )
