"""What a candidate has done and earned: exam results, agreements, CE credits, certifications."""

from peewee import (
    CharField,
    DateField,
    DateTimeField,
    ForeignKeyField,
    IntegerField,
    TextField,
)

from certportal.models.base import TimestampedModel, utcnow
from certportal.models.catalog import Agreement, Certification, Exam
from certportal.models.people import Candidate, StaffUser


class ImportBatch(TimestampedModel):
    """One imported file: the provenance of every row it brought."""

    kind = CharField(max_length=16)  # exams | ce
    filename = CharField(max_length=255)
    sha256 = CharField(max_length=64)
    row_count = IntegerField(default=0)  # rows created
    staff_user = ForeignKeyField(StaffUser, null=True, on_delete="SET NULL")
    size_bytes = IntegerField(default=0)
    rows_unchanged = IntegerField(default=0)  # already stored (imported before)
    error_count = IntegerField(default=0)  # rows skipped as invalid
    candidates_created = IntegerField(default=0)

    class Meta:
        indexes = ((("created_at",), False),)


class ExamResult(TimestampedModel):
    candidate = ForeignKeyField(Candidate, on_delete="CASCADE", backref="exam_results")
    exam = ForeignKeyField(Exam, on_delete="RESTRICT")
    registration_number = CharField(max_length=64, unique=True)
    grade = CharField(max_length=8)  # Pass | Fail
    taken_on = DateField()
    expires_on = DateField(null=True)
    import_batch = ForeignKeyField(ImportBatch, null=True, on_delete="SET NULL")

    class Meta:
        indexes = ((("candidate", "taken_on"), False),)


class AgreementAcceptance(TimestampedModel):
    candidate = ForeignKeyField(Candidate, on_delete="CASCADE", backref="agreements")
    agreement = ForeignKeyField(Agreement, on_delete="RESTRICT")
    accepted_on = DateField()
    expires_on = DateField(null=True)
    ip_address = CharField(max_length=45, default="")

    class Meta:
        indexes = (
            (("candidate", "accepted_on"), False),
            (("candidate", "agreement"), True),
        )


class CandidateCertification(TimestampedModel):
    """A certification's derived state for one candidate; recomputed from facts."""

    candidate = ForeignKeyField(Candidate, on_delete="CASCADE", backref="certifications")
    certification = ForeignKeyField(Certification, on_delete="RESTRICT")
    status = CharField(max_length=16, default="in_progress")  # in_progress|active|expired|revoked
    started_on = DateField(null=True)
    first_earned_on = DateField(null=True)
    active_on = DateField(null=True)
    expires_on = DateField(null=True)
    cycle_started_on = DateField(null=True)
    verification_code = CharField(max_length=20, unique=True)
    badge_id = CharField(max_length=24, unique=True)
    revoked_at = DateTimeField(null=True)
    revocation_reason = TextField(default="")
    updated_at = DateTimeField(default=utcnow)

    class Meta:
        indexes = (
            (("candidate", "certification"), True),
            (("candidate", "status", "expires_on"), False),
            # The expiry reminders' daily range scan over everyone's active certifications.
            (("status", "expires_on"), False),
        )


class CertificationEvent(TimestampedModel):
    """One line of a certification's History ("Manually granted certification")."""

    candidate_certification = ForeignKeyField(
        CandidateCertification, on_delete="CASCADE", backref="events"
    )
    occurred_on = DateField()
    kind = CharField(max_length=32)  # earned | recertified | renewed | expired | granted | revoked
    description = CharField(max_length=255)

    class Meta:
        indexes = ((("candidate_certification", "occurred_on"), False),)


class CertificationGrant(TimestampedModel):
    """A manual grant by staff: a fact like an exam result."""

    candidate = ForeignKeyField(Candidate, on_delete="CASCADE", backref="grants")
    certification = ForeignKeyField(Certification, on_delete="RESTRICT")
    granted_on = DateField()
    staff_user = ForeignKeyField(StaffUser, null=True, on_delete="SET NULL")
    reason = TextField(default="")

    class Meta:
        indexes = ((("candidate", "granted_on"), False),)


class CeCredit(TimestampedModel):
    candidate = ForeignKeyField(Candidate, on_delete="CASCADE", backref="ce_credits")
    name = CharField(max_length=200)
    points = IntegerField()
    active_on = DateField()
    inactive_on = DateField()
    review = CharField(max_length=32, default="n/a")  # n/a | pending | approved | rejected
    status = CharField(max_length=16, default="Active")  # Active | Pending | Rejected | Used
    provider_name = CharField(max_length=200, default="")
    source = CharField(max_length=64, default="")
    import_source = CharField(max_length=255, default="")
    external_id = CharField(max_length=64, null=True)
    updated_on = DateField()
    import_batch = ForeignKeyField(ImportBatch, null=True, on_delete="SET NULL")
    # Set when a recertification consumed the credit: it no longer counts.
    used_for = ForeignKeyField(CandidateCertification, null=True, on_delete="SET NULL")
    # Self-submitted credits: review is "pending" until staff approve them (with the points
    # awarded, `points` then) or reject them (the reason in review_note). The files are
    # CeEvidence rows; evidence_filename is not used.
    evidence_filename = CharField(max_length=255, default="")
    points_claimed = IntegerField(null=True)
    reviewed_at = DateTimeField(null=True)
    reviewer = ForeignKeyField(StaffUser, null=True, on_delete="SET NULL")
    review_note = TextField(default="")

    class Meta:
        indexes = (
            (("candidate", "active_on"), False),
            (("source", "external_id"), True),
            (("review", "created_at"), False),
        )


def certifications_of(candidate, status: str | None = None):
    """A candidate's certifications with their catalog rows, in the program's order."""
    query = (
        CandidateCertification.select(CandidateCertification, Certification)
        .join(Certification)
        .where(CandidateCertification.candidate == candidate)
        .order_by(Certification.group_order, Certification.sort_order, Certification.code)
    )
    if status is not None:
        query = query.where(CandidateCertification.status == status)
    return query
