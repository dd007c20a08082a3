"""Transcripts: what a transcript shows, to whom, until when, and who looked.

No Flask here: the blueprint validates input into a `TranscriptInput`, these functions apply
the rules and write the rows.
"""

import hashlib
import hmac
import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from peewee import JOIN, fn

from certportal.db import database, is_sqlite
from certportal.domain.status import is_current
from certportal.models import (
    PUBLIC_HOLDER_COLUMNS,
    Candidate,
    CandidateCertification,
    Certification,
    OutgoingEmail,
    Transcript,
    TranscriptCertification,
    TranscriptView,
    certifications_of,
    random_code,
    utcnow,
)
from certportal.models.base import READABLE_ALPHABET
from certportal.models.compiled import DATETIME, INT, TEXT, CompiledQuery

PUBLIC_ID_LENGTH = 16
PUBLIC_ID_PATTERN = re.compile(f"^[{READABLE_ALPHABET}]{{{PUBLIC_ID_LENGTH}}}$")
EXPIRY_PERIODS_DAYS = (30, 90, 365)
DEFAULT_EXPIRY_DAYS = 30
# A transcript always ends: the furthest expiry a candidate may choose.
LONGEST_EXPIRY = timedelta(days=3 * 365)
DESCRIPTION_MAX = 200
REMARKS_MAX = 1000
SELECTIONS = ("active", "all_new", "chosen")
CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f]")
# Certifications a third party may ever see: never one in progress or revoked.
SHOWABLE_STATUSES = ("active", "expired")
EMAIL_KIND = "transcript"
EMAIL_LIMIT_WINDOW = timedelta(days=1)


class TranscriptError(ValueError):
    """Input the rules refuse; `errors` maps each field to the message shown beside it."""

    def __init__(self, errors: dict[str, str]):
        super().__init__("; ".join(errors.values()))
        self.errors = errors


# A transcript shows the name on record, in one of these forms: never words of its own.
NAME_FORMS = {
    "full": "full name",
    "initials": "initials of given names",
    "localized": "localized name",
}
DEFAULT_NAME_FORM = "full"


@dataclass
class TranscriptInput:
    expires_on: date
    name_form: str = DEFAULT_NAME_FORM
    description: str = ""
    remarks: str = ""
    show_dates: bool = True
    show_address: bool = False
    only_active: bool = True
    selection: str = "active"
    certification_ids: list[int] = field(default_factory=list)


def _initials_name(first_name: str, last_name: str) -> str:
    """'Mary Ann' 'Smith' → 'M. A. Smith'; a hyphenated given name keeps its hyphen: 'J.-L.'."""
    initials = " ".join(
        "-".join(f"{part[0]}." for part in word.split("-") if part) for word in first_name.split()
    )
    return " ".join(part for part in (initials, last_name.strip()) if part)


def name_forms(person) -> dict[str, str]:
    """The forms of the name on record a transcript may show, each with the name as shown.

    The full name always; the initials of the given names and the localized name when the
    record has them and they read differently. `person` is a Candidate (saved or not).
    """
    full = person.full_name
    forms = {"full": full}
    if person.first_name.strip() and person.last_name.strip():
        initials = _initials_name(person.first_name, person.last_name)
        if initials != full:
            forms["initials"] = initials
    localized = person.localized_full_name.strip()
    if localized and localized != full:
        forms["localized"] = localized
    return forms


def effective_name_form(person, name_form: str) -> str:
    """The form a transcript shows: its own, or the full name once the record no longer has
    that form (a localized name removed, say)."""
    return name_form if name_form in name_forms(person) else DEFAULT_NAME_FORM


def shown_name(person, name_form: str) -> str:
    """The name a transcript shows: its form of the name on record (as effective_name_form
    chooses it, from one reading of the forms: the public page asks on every view)."""
    forms = name_forms(person)
    return forms[name_form if name_form in forms else DEFAULT_NAME_FORM]


def closest_name_form(person, text: str) -> str:
    """The form a free-text display name reads like (dots, spaces and case aside); the full
    name when it reads like none of them."""

    def folded(name: str) -> str:
        return "".join(name.replace(".", " ").split()).casefold()

    for name_form, name in name_forms(person).items():
        if folded(name) == folded(text):
            return name_form
    return DEFAULT_NAME_FORM


def new_public_id() -> str:
    """16 random characters (80 bits), like 15KDEQ4K1BV1133H; never a database id."""
    while True:
        public_id = random_code(PUBLIC_ID_LENGTH)
        if not Transcript.select().where(Transcript.public_id == public_id).exists():
            return public_id


def showable_certifications(candidate):
    """The candidate's certifications a transcript may list, in the program's order."""
    return certifications_of(candidate).where(
        CandidateCertification.status.in_(SHOWABLE_STATUSES)
    )


def _held_certification_ids(candidate, status: str | None = None) -> set[int]:
    query = showable_certifications(candidate)
    if status:
        query = query.where(CandidateCertification.status == status)
    return {held.certification_id for held in query}


def check_input(candidate, data: TranscriptInput, today: date) -> None:
    """Raise TranscriptError naming every field the rules refuse."""
    errors = {}
    forms = name_forms(candidate)
    if not data.name_form:
        errors["name_form"] = "Choose how the transcript shows your name."
    elif data.name_form not in forms:
        errors["name_form"] = (
            "Choose one of the forms of your name listed: a transcript shows the name on "
            "your record."
        )
    elif not forms[data.name_form].strip():
        errors["name_form"] = (
            "Your record has no name to show yet: open a support case to have it added."
        )
    if len(data.description) > DESCRIPTION_MAX:
        errors["description"] = f"Use at most {DESCRIPTION_MAX} characters."
    elif CONTROL_CHARACTERS.search(data.description):
        errors["description"] = "Write the description on one line."
    if len(data.remarks) > REMARKS_MAX:
        errors["remarks"] = f"Use at most {REMARKS_MAX} characters."
    if data.expires_on < today:
        errors["expires_on"] = "The expiry date is in the past: choose today or a later date."
    elif data.expires_on > today + LONGEST_EXPIRY:
        errors["expires_on"] = (
            f"A transcript can last at most three years: choose a date no later than "
            f"{today + LONGEST_EXPIRY:%Y-%m-%d}."
        )
    if data.selection not in SELECTIONS:
        errors["selection"] = "Choose which certifications the transcript shows."
    elif data.selection == "chosen":
        held = _held_certification_ids(candidate)
        if not data.certification_ids:
            errors["certifications"] = "Select at least one certification to display."
        elif not set(data.certification_ids) <= held:
            errors["certifications"] = "Select only certifications listed below."
    elif data.selection == "active" and not _held_certification_ids(candidate, "active"):
        errors["certifications"] = (
            "You have no active certification: select certifications from the list below."
        )
    if errors:
        raise TranscriptError(errors)


def _store_selection(transcript: Transcript, data: TranscriptInput) -> None:
    """Keep the chosen certifications; "active" keeps those active now, "all_new" none."""
    TranscriptCertification.delete().where(
        TranscriptCertification.transcript == transcript
    ).execute()
    if data.selection == "chosen":
        ids = sorted(set(data.certification_ids))
    elif data.selection == "active":
        ids = sorted(_held_certification_ids(transcript.candidate, "active"))
    else:
        ids = []
    if ids:
        TranscriptCertification.insert_many(
            [{"transcript": transcript.id, "certification": cert_id} for cert_id in ids]
        ).execute()


def create_transcript(candidate, data: TranscriptInput, today: date) -> Transcript:
    """Check and save a new transcript under a fresh id: ids are never taken from input."""
    check_input(candidate, data, today)
    public_id = new_public_id()
    with database.atomic():
        transcript = Transcript.create(public_id=public_id, candidate=candidate,
                                       **_columns(data))
        _store_selection(transcript, data)
    return transcript


def update_transcript(transcript: Transcript, data: TranscriptInput, today: date) -> Transcript:
    """Check and save new settings for an existing transcript."""
    check_input(transcript.candidate, data, today)
    with database.atomic():
        for name, value in _columns(data).items():
            setattr(transcript, name, value)
        transcript.updated_at = utcnow()
        transcript.save()
        _store_selection(transcript, data)
    return transcript


def _columns(data: TranscriptInput) -> dict:
    return {
        "name_form": data.name_form,
        "description": data.description.strip(),
        "remarks": data.remarks.strip(),
        "show_dates": data.show_dates,
        "show_address": data.show_address,
        "only_active": data.only_active,
        "selection": data.selection,
        "expires_on": data.expires_on,
    }


def set_disabled(transcript: Transcript, disabled: bool) -> None:
    """Disable (its link answers "not available" at once) or enable a transcript."""
    transcript.disabled_at = utcnow() if disabled else None
    transcript.updated_at = utcnow()
    transcript.save()


def transcripts_of(candidate):
    """The candidate's transcripts, newest first."""
    return (
        Transcript.select()
        .where(Transcript.candidate == candidate)
        .order_by(Transcript.created_at.desc(), Transcript.id.desc())
    )


def transcript_of(candidate, public_id: str) -> Transcript | None:
    """The candidate's own transcript with this id; None for anyone else's."""
    transcript = Transcript.get_or_none(
        (Transcript.public_id == public_id) & (Transcript.candidate == candidate)
    )
    if transcript is not None:
        # Its name is the candidate's: no second query to read the candidate again.
        transcript.candidate = candidate
    return transcript


def chosen_certification_ids(transcript: Transcript) -> list[int]:
    return [
        row.certification_id
        for row in TranscriptCertification.select(TranscriptCertification.certification)
        .where(TranscriptCertification.transcript == transcript)
    ]


# What a transcript lists of each certification: the columns its public page shows.
LISTED_COLUMNS = (
    CandidateCertification.id,
    CandidateCertification.status,
    CandidateCertification.active_on,
    CandidateCertification.expires_on,
    CandidateCertification.revoked_at,
    CandidateCertification.updated_at,
    Certification.id,
    Certification.name,
    Certification.abbreviation,
    Certification.group_name,
)
LISTED_ORDER = (Certification.group_order, Certification.sort_order, Certification.code)


def _listed_query(candidate_id, transcript_id=None):
    query = (
        CandidateCertification.select(*LISTED_COLUMNS)
        .join(Certification)
        .where(
            (CandidateCertification.candidate == candidate_id)
            & CandidateCertification.status.in_(SHOWABLE_STATUSES)
        )
        .order_by(*LISTED_ORDER)
    )
    if transcript_id is not None:
        query = query.where(
            CandidateCertification.certification.in_(
                TranscriptCertification.select(TranscriptCertification.certification).where(
                    TranscriptCertification.transcript == transcript_id
                )
            )
        )
    return query


# The public page runs these on every view (a 304 included): their SQL is built once.
_LISTED_ALL = CompiledQuery(_listed_query, INT)
_LISTED_CHOSEN = CompiledQuery(_listed_query, INT, INT)


def listed_certifications(transcript: Transcript, today: date) -> list[CandidateCertification]:
    """What the transcript shows today, in the program's order, with the catalog columns shown.

    Only the columns the public page needs: it is the one page third parties load, and a
    certification's catalog row also holds large requirement trees.
    """
    if transcript.selection == "all_new":
        listed = _LISTED_ALL(transcript.candidate_id)
    else:
        listed = _LISTED_CHOSEN(transcript.candidate_id, transcript.id)
    return _shown_today(transcript, listed, today)


def _shown_today(transcript: Transcript, listed: list, today: date) -> list:
    """Of the certifications a transcript lists, those it shows today."""
    if transcript.only_active:
        # A candidate holds a handful of certifications: filtering here keeps one SQL text.
        return [held for held in listed if is_current(held, today)]
    return listed


# --- The public page ---------------------------------------------------------------------

AVAILABLE, EXPIRED, UNAVAILABLE = "available", "expired", "unavailable"
# What the owner's list calls each owner_status (consent_withdrawn has its own note).
STATUS_LABELS = {"active": "Active", "expired": "Expired", "disabled": "Disabled"}
# Which certifications a transcript shows, as its row in the list says it.
SELECTION_LABELS = {
    "active": "Active certifications",
    "all_new": "All New Certificates",
    "chosen": "chosen certifications",
}


def owner_status(transcript: Transcript, consents: bool, today: date) -> str:
    """What the candidate's list says of a transcript: the rule third parties meet, with why.

    One of "disabled", "expired", "consent_withdrawn" (its link answers "not available"
    because Verification of Certification is No) or "active".
    """
    if transcript.disabled_at is not None:
        return "disabled"
    if transcript.expires_on < today:
        return "expired"
    if consents is not True:
        return "consent_withdrawn"
    return "active"


def public_state(transcript: Transcript | None, today: date) -> str:
    """Whether a third party may see it: enabled, candidate consents, not yet expired."""
    if (
        transcript is None
        or transcript.disabled_at is not None
        or transcript.candidate.verification_consent is not True
    ):
        return UNAVAILABLE
    if transcript.expires_on < today:
        return EXPIRED
    return AVAILABLE


PUBLIC_ADDRESS_COLUMNS = (
    Candidate.address_line1,
    Candidate.address_line2,
    Candidate.city,
    Candidate.state,
    Candidate.postal_code,
    Candidate.country,
)


_PUBLIC_BY_ID = CompiledQuery(
    lambda public_id: Transcript.select(
        Transcript,
        *PUBLIC_HOLDER_COLUMNS,
        *PUBLIC_ADDRESS_COLUMNS,
    )
    .join(Candidate)
    .where(Transcript.public_id == public_id)
    .limit(1),
    TEXT,
)


def find_public(public_id: str) -> Transcript | None:
    """The transcript and its candidate in one query; None for an id that cannot exist."""
    if not PUBLIC_ID_PATTERN.match(public_id):
        return None
    found = _PUBLIC_BY_ID(public_id)
    return found[0] if found else None


# The public page's one query (every view, a 304 included): the transcript, its holder and
# what it lists, one row per certification listed (one row with no certification when it
# lists none). The same rules as find_public and listed_certifications, in one round trip.
_PUBLIC_WITH_LISTED = CompiledQuery(
    lambda public_id: Transcript.select(
        Transcript,
        *PUBLIC_HOLDER_COLUMNS,
        *PUBLIC_ADDRESS_COLUMNS,
        *LISTED_COLUMNS,
    )
    .join(Candidate)
    .switch(Transcript)
    .join(
        CandidateCertification,
        JOIN.LEFT_OUTER,
        on=(
            (CandidateCertification.candidate == Transcript.candidate)
            & CandidateCertification.status.in_(SHOWABLE_STATUSES)
            & (
                (Transcript.selection == "all_new")
                | CandidateCertification.certification.in_(
                    TranscriptCertification.select(TranscriptCertification.certification)
                    .where(TranscriptCertification.transcript == Transcript.id)
                )
            )
        ),
        attr="listed_row",
    )
    .join(Certification, JOIN.LEFT_OUTER)
    .where(Transcript.public_id == public_id)
    .order_by(*LISTED_ORDER),
    TEXT,
)


def find_public_listed(public_id: str, today: date) -> tuple[Transcript | None, list]:
    """find_public and listed_certifications: (the transcript with its holder, what it shows
    today), or (None, []) for an id that cannot exist or does not.

    On PostgreSQL in one query: each query is a round trip to the server. On SQLite a query
    is a call inside this process, and the two plain ones cost less than the joined one,
    which repeats the transcript's and holder's columns in every row.
    """
    if is_sqlite():
        transcript = find_public(public_id)
        return transcript, (listed_certifications(transcript, today) if transcript else [])
    return find_public_listed_in_one_query(public_id, today)


def find_public_listed_in_one_query(public_id: str, today: date):
    if not PUBLIC_ID_PATTERN.match(public_id):
        return None, []
    rows = _PUBLIC_WITH_LISTED(public_id)
    if not rows:
        return None, []
    listed = [row.listed_row for row in rows
              if getattr(row, "listed_row", None) is not None and row.listed_row.id is not None]
    transcript = rows[0]
    return transcript, _shown_today(transcript, listed, today)


def content_tag(transcript: Transcript, certifications, today: date) -> str:
    """An ETag for what the page shows: it changes whenever any shown fact changes."""
    candidate = transcript.candidate
    parts = [
        transcript.public_id,
        transcript.updated_at.isoformat(),
        today.isoformat(),
        shown_name(candidate, transcript.name_form),
        "|".join(getattr(candidate, column.name) for column in PUBLIC_ADDRESS_COLUMNS)
        if transcript.show_address
        else "",
    ]
    parts.extend(
        f"{held.id}:{held.status}:{held.active_on}:{held.updated_at.isoformat()}"
        for held in certifications
    )
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:32]


_COUNT_VIEW = CompiledQuery(
    lambda viewed_at, transcript_id: Transcript.update(
        view_count=Transcript.view_count + 1, last_viewed_at=viewed_at
    ).where(Transcript.id == transcript_id),
    DATETIME,
    INT,
)
# A viewer's first view of the day adds a row; the unique (transcript, viewer_hash) index
# makes any later one that day, however close in time, add none.
_LOG_VIEW = CompiledQuery(
    lambda transcript_id, viewed_at, viewer_hash: TranscriptView.insert(
        transcript=transcript_id, viewed_at=viewed_at, viewer_hash=viewer_hash
    ).on_conflict_ignore(),
    INT,
    DATETIME,
    TEXT,
)


def viewer_hash(secret: str, address: str, user_agent: str, day: date) -> str:
    """One viewer of one day: a keyed hash of the address and browser with the day.

    Enough to count a viewer once a day; without the secret it cannot be turned back into an
    address (there are few enough of those to try them all), and it changes every day, so
    views cannot be linked across days. The address itself is never stored.
    """
    message = f"transcript-viewer\n{day.isoformat()}\n{address}\n{user_agent}".encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def record_view(transcript: Transcript, secret: str, address: str, user_agent: str,
                viewed_at: datetime | None = None) -> bool:
    """Count a viewer once a day: their first view that day is logged (its time only) and
    counted; later ones that day, 304 revalidations too, add nothing. True when counted."""
    viewed_at = viewed_at or utcnow()
    viewer = viewer_hash(secret, address, user_agent, viewed_at.date())
    # The creation time tells apart transcripts that reuse an id or a chosen address.
    seen_key = (transcript.id, transcript.created_at, viewer)
    if seen_key in _VIEWS_ON_RECORD:
        return False
    outermost = not database.in_transaction()
    with database.atomic():
        counted = _LOG_VIEW.run(transcript.id, viewed_at, viewer) == 1
        if counted:
            _COUNT_VIEW.run(viewed_at, transcript.id)
    if outermost:
        # Committed: this viewer's row for the day exists, so a later insert would be ignored.
        if len(_VIEWS_ON_RECORD) >= _VIEWS_ON_RECORD_MAX:
            _VIEWS_ON_RECORD.clear()
        _VIEWS_ON_RECORD.add(seen_key)
    return counted


# Viewers of the day this process knows are logged already (their row committed): a repeat
# view or a 304 revalidation then costs no write transaction. Per process and bounded; a
# process that does not know a viewer asks the database, which ignores the duplicate.
_VIEWS_ON_RECORD: set[tuple] = set()
_VIEWS_ON_RECORD_MAX = 50_000


def views_of(transcript: Transcript, limit: int = 500):
    """When each view happened, newest first."""
    return (
        TranscriptView.select(TranscriptView.viewed_at)
        .where(TranscriptView.transcript == transcript)
        .order_by(TranscriptView.viewed_at.desc(), TranscriptView.id.desc())
        .limit(limit)
    )


# --- Email --------------------------------------------------------------------------------


@dataclass(frozen=True)
class EmailRefusal:
    message: str
    over_limit: bool = False


def email_refusal(candidate, transcript: Transcript, daily_limit: int,
                  today: date) -> EmailRefusal | None:
    """Why this transcript may not be emailed now, or None: it must be viewable, and the
    candidate within the daily limit (so the feature cannot be used to send spam)."""
    if public_state(transcript, today) != AVAILABLE:
        return EmailRefusal(
            "This transcript cannot be viewed now (disabled, expired, or verification "
            "consent withdrawn in Settings): enable or edit it before sending it."
        )
    if emails_sent_today(candidate) >= daily_limit:
        return EmailRefusal(
            f"You have sent {daily_limit} transcript emails in the last 24 hours, the most "
            "allowed. Please try again tomorrow, or copy the link below into your own email.",
            over_limit=True,
        )
    return None


def emails_sent_today(candidate, now: datetime | None = None) -> int:
    """Transcript emails the candidate sent in the last 24 hours."""
    since = (now or utcnow()) - EMAIL_LIMIT_WINDOW
    return (
        OutgoingEmail.select(fn.COUNT(OutgoingEmail.id))
        .where(
            (OutgoingEmail.candidate == candidate)
            & (OutgoingEmail.kind == EMAIL_KIND)
            & (OutgoingEmail.created_at >= since)
        )
        .scalar()
    )

