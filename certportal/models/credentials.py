"""Signed credentials the portal issued (digital badges), and what verifying them needs."""

from peewee import BigIntegerField, CharField, DateField, DateTimeField, ForeignKeyField, TextField

from certportal.models.base import BaseModel, TimestampedModel
from certportal.models.records import CandidateCertification


class IssuedCredential(TimestampedModel):
    """One signed OpenBadgeCredential of a certification, kept exactly as signed.

    A certification's current credential is the one not superseded; a recertification
    issues a new one (new validity) and the old one points to it. Issued credentials are
    never changed: revocation is the status list's bit at `status_index`, derived from the
    certification's stored status.
    """

    candidate_certification = ForeignKeyField(
        CandidateCertification, on_delete="CASCADE", backref="credentials"
    )
    credential_id = CharField(max_length=64, unique=True)  # urn:uuid:…
    # Position in the issuer's status lists: list index // list length, bit index % length.
    # Allocated once (StatusListAllocation), never reused.
    status_index = BigIntegerField(unique=True)
    valid_from = DateField()  # the certification's active date when issued
    valid_until = DateField(null=True)  # its expiry date when issued
    issued_at = DateTimeField()
    signing_key = CharField(max_length=64)  # publicKeyMultibase of the key that signed it
    document = TextField()  # the signed credential's JSON
    superseded_by = ForeignKeyField("self", null=True, on_delete="SET NULL")

    class Meta:
        indexes = ((("candidate_certification", "issued_at"), False),)


class BadgeSigningKey(TimestampedModel):
    """A public key that has signed credentials: the issuer profile publishes every one,
    so credentials signed before a key rotation keep verifying."""

    public_key = CharField(max_length=64, unique=True)  # publicKeyMultibase (z6Mk…)


class StatusListAllocation(BaseModel):
    """The next unused status list position, per status purpose; a counter row so that
    positions are never reused, even after credentials are deleted with their candidate."""

    purpose = CharField(max_length=32, primary_key=True)
    next_index = BigIntegerField(default=0)
