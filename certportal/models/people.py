"""Candidates, staff, their login sessions and one-time email tokens."""

from peewee import (
    BooleanField,
    CharField,
    DateTimeField,
    ForeignKeyField,
    IntegerField,
    TextField,
)

from certportal.models.base import BaseModel, TimestampedModel, utcnow

SETTINGS_QUESTIONS = (
    "is_employee",
    "is_partner",
    "email_notifications",
    "is_netacad_student",
    "verification_consent",
)


class Candidate(TimestampedModel):
    login_id = CharField(max_length=32, unique=True)
    program_id = CharField(max_length=32, unique=True)
    email = CharField(max_length=254)
    # Lower-cased copy: mapping by email and login by email match without regard to case.
    email_key = CharField(max_length=254, index=True)
    password_hash = CharField(max_length=255, null=True)
    mapped_at = DateTimeField(null=True)

    first_name = CharField(max_length=100, default="")
    last_name = CharField(max_length=100, default="")
    # Case- and accent-folded last name for mapping by score report.
    last_name_key = CharField(max_length=100, default="", index=True)
    # "last first", folded the same way: staff find a candidate by a prefix of it.
    name_key = CharField(max_length=255, default="")
    phone = CharField(max_length=40, default="")
    address_line1 = CharField(max_length=200, default="")
    address_line2 = CharField(max_length=200, default="")
    city = CharField(max_length=100, default="")
    state = CharField(max_length=100, default="")
    postal_code = CharField(max_length=20, default="")
    country = CharField(max_length=100, default="")

    localized_first_name = CharField(max_length=100, default="")
    localized_last_name = CharField(max_length=100, default="")
    localized_address_line1 = CharField(max_length=200, default="")
    localized_address_line2 = CharField(max_length=200, default="")
    localized_city = CharField(max_length=100, default="")
    localized_state = CharField(max_length=100, default="")
    localized_postal_code = CharField(max_length=20, default="")

    job_title = CharField(max_length=100, default="")
    ccie_number = CharField(max_length=20, default="")
    ccde_number = CharField(max_length=20, default="")
    netacad_id = CharField(max_length=40, default="")
    badging_email = CharField(max_length=254, default="")
    testing_vendor_id = CharField(max_length=40, default="")

    # The five Settings answers (None = never answered) and when they were last confirmed.
    is_employee = BooleanField(null=True)
    is_partner = BooleanField(null=True)
    email_notifications = BooleanField(null=True)
    is_netacad_student = BooleanField(null=True)
    verification_consent = BooleanField(null=True)
    settings_confirmed_at = DateTimeField(null=True)
    # Whether search engines may list the candidate's public badge pages (Digital Badges).
    badges_searchable = BooleanField(default=False)
    # A sixth Settings answer, not one of the guide's required five: expiry reminder emails.
    expiry_reminders = BooleanField(default=True)

    # Set when staff merged this record into another: its login ID then logs in there.
    merged_into = ForeignKeyField("self", null=True, on_delete="SET NULL", backref="aliases")

    class Meta:
        indexes = ((("name_key", "id"), False),)

    @property
    def full_name(self) -> str:
        return " ".join(part for part in (self.first_name, self.last_name) if part)

    @property
    def localized_full_name(self) -> str:
        # East Asian names are written family name first, without a space.
        return f"{self.localized_last_name}{self.localized_first_name}"

    @property
    def is_staff(self) -> bool:
        return False


# What the public pages (verification, transcripts) read of a candidate: the names they may
# show and the consent that decides whether they show anything. Never the whole row.
PUBLIC_HOLDER_COLUMNS = (
    Candidate.id,
    Candidate.first_name,
    Candidate.last_name,
    Candidate.localized_first_name,
    Candidate.localized_last_name,
    Candidate.verification_consent,
)


class StaffUser(TimestampedModel):
    username = CharField(max_length=64, unique=True)
    email = CharField(max_length=254)
    display_name = CharField(max_length=100, default="")
    password_hash = CharField(max_length=255)
    is_active = BooleanField(default=True)
    # Comma-separated role names (domain/staff.py ROLES).
    roles = CharField(max_length=64, default="")
    # The second factor: a base32 TOTP secret, usable once enrolment is confirmed with a code.
    totp_secret = CharField(max_length=64, default="")
    totp_enrolled_at = DateTimeField(null=True)
    # The last time step a code was accepted for: a code is never accepted twice.
    totp_last_step = IntegerField(null=True)
    last_login_at = DateTimeField(null=True)

    @property
    def role_names(self) -> tuple[str, ...]:
        return tuple(name for name in self.roles.split(",") if name)

    @property
    def login_id(self) -> str:
        return self.username

    @property
    def is_staff(self) -> bool:
        return True


class LoginSession(TimestampedModel):
    """A server-side session: the cookie only names it, so logout revokes it for real."""

    token_hash = CharField(max_length=64, unique=True)
    candidate = ForeignKeyField(Candidate, null=True, on_delete="CASCADE", backref="sessions")
    staff_user = ForeignKeyField(StaffUser, null=True, on_delete="CASCADE", backref="sessions")
    last_seen_at = DateTimeField(default=utcnow)
    revoked_at = DateTimeField(null=True)
    ip_address = CharField(max_length=45, default="")
    user_agent = CharField(max_length=255, default="")

    class Meta:
        indexes = ((("candidate", "created_at"), False),)


class LoginThrottle(BaseModel):
    """Failed log-ins from one client address for one typed login ID or email address.

    Throttling keys on the pair, never on the account alone, so nobody can lock an owner out
    by failing on purpose; the row names the account (when there is one) so that a password
    reset or staff can clear it.
    """

    key_hash = CharField(max_length=64, unique=True)
    candidate = ForeignKeyField(Candidate, null=True, on_delete="CASCADE")
    staff_user = ForeignKeyField(StaffUser, null=True, on_delete="CASCADE")
    failures = IntegerField(default=0)
    last_failure_at = DateTimeField(default=utcnow, index=True)


class EmailToken(TimestampedModel):
    """A one-time link sent by email (set password, reset); only its hash is stored."""

    token_hash = CharField(max_length=64, unique=True)
    candidate = ForeignKeyField(Candidate, on_delete="CASCADE", backref="email_tokens")
    purpose = CharField(max_length=32)
    expires_at = DateTimeField()
    used_at = DateTimeField(null=True)

    class Meta:
        indexes = ((("candidate", "created_at"), False),)


class StaffRecoveryCode(TimestampedModel):
    """A one-time code that stands in for a TOTP code (a lost phone); only its hash is kept."""

    staff_user = ForeignKeyField(StaffUser, on_delete="CASCADE", backref="recovery_codes")
    code_hash = CharField(max_length=64, unique=True)
    used_at = DateTimeField(null=True)


class SupportCase(TimestampedModel):
    case_number = CharField(max_length=16, unique=True)
    candidate = ForeignKeyField(Candidate, null=True, on_delete="SET NULL", backref="cases")
    kind = CharField(max_length=32, default="other")
    contact_email = CharField(max_length=254)
    login_ids = CharField(max_length=255, default="")
    description = TextField()
    status = CharField(max_length=16, default="open")
    resolution = TextField(default="")
    resolved_at = DateTimeField(null=True)
    assigned_to = ForeignKeyField(StaffUser, null=True, on_delete="SET NULL", backref="cases")

    class Meta:
        indexes = (
            (("status", "created_at"), False),
            (("assigned_to", "status", "created_at"), False),
        )


class SupportCaseMessage(TimestampedModel):
    """One message of a case's thread: the reply staff emailed, or a note kept in the case."""

    case = ForeignKeyField(SupportCase, on_delete="CASCADE", backref="messages")
    staff_user = ForeignKeyField(StaffUser, null=True, on_delete="SET NULL")
    kind = CharField(max_length=16)  # reply | note | resolution
    to_address = CharField(max_length=254, default="")
    body = TextField()

    class Meta:
        indexes = ((("case", "created_at"), False),)


class AuditEvent(BaseModel):
    """Who changed or saw what and when: append-only (database triggers refuse UPDATE and
    DELETE of its content). Written through domain/audit.py's record()."""

    occurred_at = DateTimeField(default=utcnow)
    candidate = ForeignKeyField(Candidate, null=True, on_delete="SET NULL", backref="audit")
    # The staff member who acted (or, for a staff log-in, whose account it is).
    staff_user = ForeignKeyField(StaffUser, null=True, on_delete="SET NULL")
    action = CharField(max_length=64)
    old_value = TextField(default="")
    new_value = TextField(default="")
    ip_address = CharField(max_length=45, default="")
    # What the action was about beyond the candidate ("certification CCIE-RS", "case SC-…").
    subject = CharField(max_length=255, default="")
    # Why, as the staff member typed it where the console asks for a reason.
    reason = TextField(default="")

    class Meta:
        indexes = (
            (("candidate", "occurred_at"), False),
            (("action", "occurred_at"), False),
            (("staff_user", "occurred_at"), False),
            (("occurred_at",), False),
        )


class CandidateMerge(TimestampedModel):
    """Two records of one person made one: what moved, so that an admin can undo it."""

    survivor = ForeignKeyField(Candidate, on_delete="CASCADE", backref="merges")
    retired = ForeignKeyField(Candidate, on_delete="CASCADE", backref="retirements")
    staff_user = ForeignKeyField(StaffUser, null=True, on_delete="SET NULL")
    case = ForeignKeyField(SupportCase, null=True, on_delete="SET NULL", backref="merges")
    reason = TextField(default="")
    # {"table name": [row ids]} of every row that moved from the retired record.
    moved = TextField(default="{}")
    undone_at = DateTimeField(null=True)
    undone_by = ForeignKeyField(StaffUser, null=True, on_delete="SET NULL")

    class Meta:
        indexes = ((("survivor", "created_at"), False), (("retired", "created_at"), False))
