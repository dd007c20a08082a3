"""Keeping certifications: expiry reminders sent, and the evidence of self-submitted CE credits."""

from peewee import CharField, DateField, ForeignKeyField, IntegerField

from certportal.models.base import TimestampedModel
from certportal.models.mail import OutgoingEmail
from certportal.models.records import CandidateCertification, CeCredit


class ExpiryReminder(TimestampedModel):
    """One expiry reminder recorded for one certification cycle and one window.

    A cycle is named by the expiration date it leads to: recertifying or being renewed moves
    the date, so the reminders of the old cycle no longer apply. The unique key makes a
    reminder exist at most once however many runs of the command overlap; `run_token` says
    which run recorded it, so only that run queues its email.
    """

    candidate_certification = ForeignKeyField(
        CandidateCertification, on_delete="CASCADE", backref="reminders"
    )
    expires_on = DateField()
    days_before = IntegerField()  # 180 | 90 | 30 | 7 | 0 (the day it expires)
    sent_on = DateField()
    run_token = CharField(max_length=32)
    outgoing_email = ForeignKeyField(OutgoingEmail, null=True, on_delete="SET NULL")

    class Meta:
        indexes = (
            (("candidate_certification", "expires_on", "days_before"), True),
            (("run_token",), False),
        )


class CeEvidence(TimestampedModel):
    """A file a candidate sent with a self-submitted CE activity, kept outside static/ under
    a random name; the name the candidate gave it is only shown, never used as a path."""

    credit = ForeignKeyField(CeCredit, on_delete="CASCADE", backref="evidence")
    stored_name = CharField(max_length=64, unique=True)
    original_name = CharField(max_length=255)
    content_type = CharField(max_length=32)
    size_bytes = IntegerField()
    sha256 = CharField(max_length=64)
