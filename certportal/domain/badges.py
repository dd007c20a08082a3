"""Digital badges: each certification's signed Open Badges 3.0 credential.

The engine issues them. When a candidate's certifications change (domain/reactions.py),
issue_current() makes sure each active certification has a current credential whose validity
is the certification's active and expiry dates: the first one when it becomes active, a new
one when a recertification or a renewal moves the expiry (the old one then points to it).
Nothing is issued while a page loads, and issuing again changes nothing.

Issued credentials are kept exactly as signed and never edited. Whether one still holds is
the certification's stored state, published through Bitstring Status Lists built from it
whenever they are served: a credential is withdrawn (its bit set) once its certification is
revoked or the record no longer supports it (no longer held, or now ending before the
credential says). An expired certification needs no bit: its credential ends at validUntil.

Where things live, on BASE_URL (stable, since issued credentials name them):
    /badges/issuer                 the issuer Profile, listing every key that signed
    /badges/issuer/keys/<z6Mk…>    each key's Multikey document
    /badges/status/<n>             status list n (positions (n-1)·L … n·L-1)
    /badges/achievements/<code>    a certification as an Achievement (image: …/image.png)
    /badges/<badge id>             a certification's public badge page
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from urllib.parse import quote

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from peewee import JOIN

from certportal.db import database
from certportal.domain import audit, credentials, signing, status_list
from certportal.domain.bulk import insert_rows
from certportal.domain.requirements import node_label
from certportal.domain.transcripts import listed_certifications, shown_name
from certportal.models import (
    BadgeSigningKey,
    Candidate,
    CandidateCertification,
    Certification,
    IssuedCredential,
    StatusListAllocation,
    Transcript,
    certifications_of,
    utcnow,
)
from certportal.models.base import READABLE_ALPHABET
from certportal.models.compiled import TEXT, CompiledQuery

log = logging.getLogger(__name__)

LIST_LENGTH = status_list.MINIMUM_LENGTH
# A credential holds while its certification is in one of these states.
HOLDING_STATUSES = ("active", "expired")
ISSUED_STATUS = "active"
CHUNK = 500


@dataclass(frozen=True)
class BadgeSettings:
    """Who issues the badges, where the portal publishes them, and the key that signs."""

    base_url: str
    program_name: str
    signing_key: Ed25519PrivateKey
    retired_keys: tuple[Ed25519PublicKey, ...] = ()

    @classmethod
    def from_config(cls, config: Mapping) -> BadgeSettings | None:
        """From the app's settings (config.py: BASE_URL, PROGRAM_NAME, BADGE_*); None when
        no signing key is set (badges are not issued)."""
        if not config.get("BADGE_SIGNING_KEY"):
            return None
        return cls(
            base_url=config["BASE_URL"].rstrip("/"),
            program_name=config["PROGRAM_NAME"],
            signing_key=signing.signing_key_from_text(config["BADGE_SIGNING_KEY"]),
            retired_keys=tuple(
                signing.public_key_from_multibase(text)
                for text in config.get("BADGE_RETIRED_KEYS", ())
            ),
        )

    @property
    def issuer(self) -> credentials.Issuer:
        return credentials.Issuer(
            id=f"{self.base_url}/badges/issuer", name=self.program_name, url=self.base_url
        )

    @property
    def public_key(self) -> str:
        return signing.public_key_multibase(self.signing_key)

    def status_list_url(self, number: int) -> str:
        return f"{self.base_url}/badges/status/{number}"

    def achievement_url(self, code: str) -> str:
        return f"{self.base_url}/badges/achievements/{quote(code, safe='')}"

    def achievement_image_url(self, code: str) -> str:
        return f"{self.achievement_url(code)}/image.png"


# The process's settings, set by create_app like the database binding: the engine issues
# badges from imports, grants and commands as well as requests.
_settings: BadgeSettings | None = None


def configure(settings: BadgeSettings | None) -> None:
    global _settings
    _settings = settings


def current_settings() -> BadgeSettings | None:
    return _settings


# --- what a credential says ------------------------------------------------------------------


def recipient_email(candidate: Candidate) -> str:
    """The address a badge names (hashed): the badging email of Identification, else the
    address on file."""
    return (candidate.badging_email or "").strip() or candidate.email


def criteria_narrative(certification: Certification, names: Mapping[str, str]) -> str:
    """What earning the certification takes, as Markdown, from its requirement tree: the
    same words as the requirement tree on the certification's page."""
    lines = []

    def walk(node: dict, depth: int) -> None:
        lines.append(f"{'  ' * depth}- {node_label(node, names)}")
        for child in node.get("children", ()):
            walk(child, depth + 1)

    walk(certification.earn_tree, 0)
    months = certification.validity_months
    return (
        "Requirements to earn this certification:\n\n"
        + "\n".join(lines)
        + f"\n\nThe certification is valid for {months} months and can be recertified."
    )


@dataclass
class OutlineItem:
    text: str
    children: list[OutlineItem]


def narrative_outline(narrative: str) -> list[str | list[OutlineItem]]:
    """A criteria narrative as paragraphs (str) and nested lists, for a page to show: the
    Markdown criteria_narrative writes (paragraphs, and "- " items indented two spaces a
    level). Any other text comes back as paragraphs, as written."""
    blocks: list[str | list[OutlineItem]] = []
    for block in narrative.replace("\r\n", "\n").split("\n\n"):
        lines = [line for line in block.split("\n") if line.strip()]
        if not lines:
            continue
        if not all(line.lstrip().startswith("- ") for line in lines):
            blocks.append(" ".join(line.strip() for line in lines))
            continue
        root: list[OutlineItem] = []
        stack: list[tuple[int, list[OutlineItem]]] = [(-1, root)]
        for line in lines:
            depth = len(line) - len(line.lstrip())
            while len(stack) > 1 and stack[-1][0] >= depth:
                stack.pop()
            item = OutlineItem(line.strip()[2:].strip(), [])
            stack[-1][1].append(item)
            stack.append((depth, item.children))
        blocks.append(root)
    return blocks


def achievement_for(
    certification: Certification, settings: BadgeSettings, names: Mapping[str, str]
) -> credentials.Achievement:
    description = certification.description.strip() or (
        f"The {settings.program_name} {certification.name} certification."
    )
    return credentials.Achievement(
        id=settings.achievement_url(certification.code),
        name=certification.name,
        description=description,
        criteria=criteria_narrative(certification, names),
        image=settings.achievement_image_url(certification.code),
        code=certification.code,
    )


def certification_names() -> dict[str, str]:
    """Code -> display name, for requirement trees that name other certifications."""
    return {
        code: f"{name} ({abbreviation})"
        for code, name, abbreviation in Certification.select(
            Certification.code, Certification.name, Certification.abbreviation
        ).tuples()
    }


def status_position(status_index: int) -> tuple[int, int]:
    """(list number, position in that list) of a global status index."""
    return status_index // LIST_LENGTH + 1, status_index % LIST_LENGTH


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


# --- issuing ---------------------------------------------------------------------------------


def needs_credential(held: CandidateCertification, current: IssuedCredential | None) -> bool:
    """Whether an active certification lacks a credential saying what it now is."""
    return current is None or (current.valid_from, current.valid_until) != (
        held.active_on,
        held.expires_on,
    )


def allocate_status_indexes(count: int) -> range:
    """`count` fresh status list positions, never handed out before. Runs in the caller's
    transaction; concurrent issuers wait for each other on the counter row."""
    StatusListAllocation.insert(
        purpose=credentials.REVOCATION, next_index=0
    ).on_conflict_ignore().execute()
    counter = StatusListAllocation.purpose == credentials.REVOCATION
    StatusListAllocation.update(next_index=StatusListAllocation.next_index + count).where(
        counter
    ).execute()
    end = StatusListAllocation.select(StatusListAllocation.next_index).where(counter).scalar()
    return range(end - count, end)


def _current_credentials(held_ids: list[int]) -> dict[int, IssuedCredential]:
    return {
        issued.candidate_certification_id: issued
        for issued in IssuedCredential.select(
            IssuedCredential.id,
            IssuedCredential.candidate_certification,
            IssuedCredential.valid_from,
            IssuedCredential.valid_until,
        ).where(
            IssuedCredential.candidate_certification.in_(held_ids)
            & IssuedCredential.superseded_by.is_null()
        )
    }


def issue_current(held_ids: Iterable[int], now: datetime | None = None) -> int:
    """Issue a credential to each of these certifications that is active and has none
    matching its dates; returns how many were issued. Safe to repeat."""
    settings = current_settings()
    ids = sorted(set(held_ids))
    if not ids:
        return 0
    if settings is None:
        log.warning("Badges are not configured: %d certification(s) get no credential now; "
                    "`flask certs refresh` issues them later.", len(ids))
        return 0
    issued = 0
    for start in range(0, len(ids), CHUNK):
        issued += _issue_chunk(ids[start : start + CHUNK], settings, now)
    return issued


def _issue_chunk(ids: list[int], settings: BadgeSettings, now: datetime | None) -> int:
    held_rows = list(
        CandidateCertification.select(
            CandidateCertification, Certification, Candidate.id, Candidate.email,
            Candidate.badging_email,
        )
        .join(Certification)
        .switch(CandidateCertification)
        .join(Candidate)
        .where(
            CandidateCertification.id.in_(ids)
            & (CandidateCertification.status == ISSUED_STATUS)
            & CandidateCertification.active_on.is_null(False)
        )
    )
    current = _current_credentials([held.id for held in held_rows])
    due = [held for held in held_rows if needs_credential(held, current.get(held.id))]
    if not due:
        return 0
    now = _aware(now or datetime.now(UTC)).replace(microsecond=0)
    names = certification_names()
    issued_at, created_at = now.replace(tzinfo=None), utcnow()
    with database.atomic():
        BadgeSigningKey.insert(
            public_key=settings.public_key, created_at=utcnow()
        ).on_conflict_ignore().execute()
        positions = allocate_status_indexes(len(due))
        # Signing is per credential; the rows are written together (an import issues many).
        rows = []
        for held, status_index in zip(due, positions, strict=True):
            credential = _signed_credential(held, status_index, settings, names, now)
            rows.append((
                held.id, credential["id"], status_index, held.active_on, held.expires_on,
                issued_at, settings.public_key,
                json.dumps(credential, ensure_ascii=False, separators=(",", ":")), created_at,
            ))
        insert_rows(IssuedCredential, ISSUED_FIELDS, rows)
        _supersede({current[held.id].id: status_index
                    for held, status_index in zip(due, positions, strict=True)
                    if held.id in current})
    return len(due)


ISSUED_FIELDS = (
    IssuedCredential.candidate_certification,
    IssuedCredential.credential_id,
    IssuedCredential.status_index,
    IssuedCredential.valid_from,
    IssuedCredential.valid_until,
    IssuedCredential.issued_at,
    IssuedCredential.signing_key,
    IssuedCredential.document,
    IssuedCredential.created_at,
)


def _supersede(successors: dict[int, int]) -> None:
    """Point each replaced credential (id) to the one issued after it (its status index,
    unique, names it)."""
    if not successors:
        return
    new_ids = dict(
        IssuedCredential.select(IssuedCredential.status_index, IssuedCredential.id)
        .where(IssuedCredential.status_index.in_(list(successors.values())))
        .tuples()
    )
    for old_id, status_index in successors.items():
        IssuedCredential.update(superseded_by=new_ids[status_index]).where(
            IssuedCredential.id == old_id
        ).execute()


def _signed_credential(held, status_index, settings, names, now) -> dict:
    valid_from, valid_until = credentials.validity_window(held.active_on, held.expires_on)
    list_number, position = status_position(status_index)
    unsigned = credentials.open_badge_credential(
        credential_id=f"urn:uuid:{uuid.uuid4()}",
        issuer=settings.issuer,
        achievement=achievement_for(held.certification, settings, names),
        recipient_email=recipient_email(held.candidate),
        valid_from=valid_from,
        valid_until=valid_until,
        status=credentials.StatusEntry(settings.status_list_url(list_number), position),
    )
    return credentials.sign_credential(unsigned, settings.signing_key, now)


# History events after which a certification has no new active period or dates.
NOT_ISSUING_EVENTS = ("expired", "revoked")


def after_certification_events(changes) -> None:
    """The engine's reaction (domain/reactions.py), for every (candidate, events) of a
    recompute chunk at once: a certification earned, granted, recertified or renewed gets
    its new credential."""
    issue_current(
        {
            event.candidate_certification_id
            for _, events in changes
            for event in events
            if event.kind not in NOT_ISSUING_EVENTS
        }
    )


def missing_credentials_query():
    """Active certifications without a current credential that says what they now are."""
    current = IssuedCredential.alias()
    return (
        CandidateCertification.select(CandidateCertification.id)
        .join(
            current,
            on=(
                (current.candidate_certification == CandidateCertification.id)
                & current.superseded_by.is_null()
            ),
            join_type=JOIN.LEFT_OUTER,
        )
        .where(
            (CandidateCertification.status == ISSUED_STATUS)
            & CandidateCertification.active_on.is_null(False)
            & (
                current.id.is_null()
                | (current.valid_from != CandidateCertification.active_on)
                | current.valid_until.is_null()
                | (current.valid_until != CandidateCertification.expires_on)
            )
        )
        .order_by(CandidateCertification.id)
    )


def issue_missing(now: datetime | None = None) -> int:
    """Catch up on credentials the reactions did not issue (certifications active before
    badges existed, or while badges were not configured); returns how many. Safe to repeat."""
    ids = [held_id for (held_id,) in missing_credentials_query().tuples()]
    return issue_current(ids, now)


# --- status ----------------------------------------------------------------------------------


def is_withdrawn(held: CandidateCertification, issued: IssuedCredential) -> bool:
    """Whether a credential's status bit is set: its certification was revoked or is no
    longer held, or the record now ends before the credential says.

    withdrawn_condition() is the same rule in SQL, for the status lists.
    """
    return held.status not in HOLDING_STATUSES or (
        held.expires_on is not None
        and issued.valid_until is not None
        and held.expires_on < issued.valid_until
    )


def withdrawn_condition():
    return CandidateCertification.status.not_in(HOLDING_STATUSES) | (
        CandidateCertification.expires_on < IssuedCredential.valid_until
    )


def badge_status(held: CandidateCertification, issued: IssuedCredential, today: date) -> str:
    """What a verifier would conclude today: revoked | expired | active."""
    if is_withdrawn(held, issued):
        return "revoked"
    if issued.valid_until is not None and issued.valid_until < today:
        return "expired"
    return "active"


def status_lists_in_use() -> int:
    """How many status lists hold at least one allocated position (at least one)."""
    allocated = (
        StatusListAllocation.select(StatusListAllocation.next_index)
        .where(StatusListAllocation.purpose == credentials.REVOCATION)
        .scalar()
        or 0
    )
    return max(1, -(-allocated // LIST_LENGTH))


def withdrawn_positions(list_number: int) -> list[int]:
    """Positions set in status list `list_number` (1-based)."""
    first = (list_number - 1) * LIST_LENGTH
    return [
        status_index - first
        for (status_index,) in IssuedCredential.select(IssuedCredential.status_index)
        .join(CandidateCertification)
        .where(
            IssuedCredential.status_index.between(first, first + LIST_LENGTH - 1)
            & withdrawn_condition()
        )
        .order_by(IssuedCredential.status_index)
        .tuples()
    ]


# Signed lists by content: while no bit changes, every request gets the same document (one
# ETag), and the list is signed again only when a bit or the key changes.
_signed_lists: dict[tuple, dict] = {}


def status_list_document(list_number: int, now: datetime | None = None) -> dict | None:
    """Status list `list_number` as a signed BitstringStatusListCredential; None for a list
    that does not exist."""
    settings = current_settings()
    if settings is None or not 1 <= list_number <= status_lists_in_use():
        return None
    positions = tuple(withdrawn_positions(list_number))
    key = (settings.status_list_url(list_number), settings.public_key, positions)
    document = _signed_lists.get(key)
    if document is None:
        now = _aware(now or datetime.now(UTC)).replace(microsecond=0)
        unsigned = credentials.status_list_credential(
            list_url=settings.status_list_url(list_number),
            issuer_id=settings.issuer.id,
            set_indexes=positions,
            valid_from=now,
            length=LIST_LENGTH,
        )
        document = credentials.sign_credential(unsigned, settings.signing_key, now)
        if len(_signed_lists) > 64:
            _signed_lists.clear()
        _signed_lists[key] = document
    return document


# --- what candidates and third parties see ---------------------------------------------------

BADGE_ID_PATTERN = re.compile(f"^[{READABLE_ALPHABET}]{{20}}$")


@dataclass(frozen=True)
class Badge:
    """A certification's current credential and what a verifier would conclude today."""

    held: CandidateCertification
    issued: IssuedCredential
    status: str  # active | expired | revoked

    @property
    def badge_id(self) -> str:
        return self.held.badge_id

    @property
    def credential(self) -> dict:
        return json.loads(self.issued.document)

    @property
    def is_live(self) -> bool:
        return self.status == "active"

    @property
    def ended_on(self) -> date | None:
        """When it stopped holding: the revocation day, or the expiry date."""
        if self.status == "revoked" and self.held.revoked_at is not None:
            return self.held.revoked_at.date()
        return self.issued.valid_until if self.status == "expired" else None


@dataclass(frozen=True)
class Shelf:
    """The Digital Badges tab: live badges, those that ended (history), and active
    certifications whose badge the program has not issued yet."""

    live: list[Badge]
    history: list[Badge]
    awaiting: list[CandidateCertification]


def badges_of(candidate: Candidate, today: date) -> Shelf:
    """The candidate's badges in the program's order: two queries."""
    rows = list(certifications_of(candidate))
    issued = current_credentials_of([held.id for held in rows])
    live, history, awaiting = [], [], []
    for held in rows:
        credential = issued.get(held.id)
        if credential is None:
            if held.status == ISSUED_STATUS:
                awaiting.append(held)
            continue
        badge = Badge(held, credential, badge_status(held, credential, today))
        (live if badge.is_live and held.status == ISSUED_STATUS else history).append(badge)
    return Shelf(live, history, awaiting)


def own_badge(candidate: Candidate, badge_id: str, today: date) -> Badge | None:
    """One of the candidate's live badges by its public id; None for any other id."""
    if not BADGE_ID_PATTERN.match(badge_id or ""):
        return None
    held = (
        CandidateCertification.select(CandidateCertification, Certification)
        .join(Certification)
        .where(
            (CandidateCertification.candidate == candidate)
            & (CandidateCertification.badge_id == badge_id)
        )
        .first()
    )
    if held is None or held.status != ISSUED_STATUS:
        return None
    credential = current_credentials_of([held.id]).get(held.id)
    if credential is None:
        return None
    badge = Badge(held, credential, badge_status(held, credential, today))
    return badge if badge.is_live else None


def set_searchable(candidate: Candidate, searchable: bool, ip_address: str = "") -> None:
    """Whether search engines may list the candidate's public badge pages; a change is
    audited, like every choice about disclosure."""
    if candidate.badges_searchable == searchable:
        return
    with database.atomic():
        Candidate.update(badges_searchable=searchable).where(
            Candidate.id == candidate.id
        ).execute()
        audit.record(
            "badges_searchable",
            candidate=candidate,
            old_value="Yes" if candidate.badges_searchable else "No",
            new_value="Yes" if searchable else "No",
            ip_address=ip_address,
        )
    candidate.badges_searchable = searchable


@dataclass(frozen=True)
class PublicBadge:
    """A badge as its public page shows it, with the holder's consent."""

    badge: Badge
    holder_name: str
    searchable: bool

    def content_tag(self, today: date) -> str:
        """An ETag: changes whenever anything the page shows may change."""
        parts = (self.badge.issued.id, self.badge.status, today, self.holder_name,
                 self.searchable, self.badge.held.updated_at)
        return hashlib.sha256(repr(parts).encode()).hexdigest()[:32]


# The public page runs this on every view: its SQL is built once.
_PUBLIC_BY_BADGE_ID = CompiledQuery(
    lambda badge_id: IssuedCredential.select(
        IssuedCredential.id,
        IssuedCredential.credential_id,
        IssuedCredential.valid_from,
        IssuedCredential.valid_until,
        IssuedCredential.document,
        CandidateCertification.id,
        CandidateCertification.badge_id,
        CandidateCertification.status,
        CandidateCertification.expires_on,
        CandidateCertification.revoked_at,
        CandidateCertification.updated_at,
        Candidate.id,
        Candidate.first_name,
        Candidate.last_name,
        Candidate.verification_consent,
        Candidate.badges_searchable,
    )
    .join(CandidateCertification)
    .join(Candidate)
    .where(
        (CandidateCertification.badge_id == badge_id) & IssuedCredential.superseded_by.is_null()
    )
    .limit(1),
    TEXT,
)


def find_public(badge_id: str, today: date) -> PublicBadge | None:
    """The badge a public page shows, or None for the neutral "not available": an id that
    names no issued badge, and a holder who withdrew consent to verification, alike."""
    if not BADGE_ID_PATTERN.match(badge_id or ""):
        return None
    found = _PUBLIC_BY_BADGE_ID(badge_id)
    if not found:
        return None
    issued = found[0]
    held = issued.candidate_certification
    candidate = held.candidate
    if candidate.verification_consent is not True:
        return None
    badge = Badge(held, issued, badge_status(held, issued, today))
    return PublicBadge(badge, candidate.full_name, bool(candidate.badges_searchable))


def certification_by_code(code: str) -> Certification | None:
    return Certification.get_or_none(Certification.code == code)


def achievement_document(certification: Certification, settings: BadgeSettings) -> dict:
    """The Achievement a badge's achievement id names, as JSON-LD (what every badge of this
    certification says it recognises, as the catalog says it now)."""
    achievement = achievement_for(certification, settings, certification_names())
    return {
        "@context": list(credentials.OPEN_BADGE_CONTEXT),
        **credentials.achievement_document(achievement, settings.issuer),
    }


# --- the issuer's published documents --------------------------------------------------------


def published_keys(settings: BadgeSettings) -> dict[str, Ed25519PublicKey]:
    """publicKeyMultibase -> key of every key verifiers may meet: the current one first,
    then every key that signed a stored credential, then configured retired ones."""
    texts = [settings.public_key]
    texts += [
        text
        for (text,) in BadgeSigningKey.select(BadgeSigningKey.public_key)
        .order_by(BadgeSigningKey.id)
        .tuples()
    ]
    texts += [signing.public_key_multibase(key) for key in settings.retired_keys]
    keys = {}
    for text in texts:
        if text not in keys:
            keys[text] = signing.public_key_from_multibase(text)
    return keys


def issuer_document(settings: BadgeSettings) -> dict:
    return credentials.issuer_profile(settings.issuer, published_keys(settings).values())


def key_document(settings: BadgeSettings, public_key: str) -> dict | None:
    """A published key's Multikey document; None for a key the issuer never published."""
    key = published_keys(settings).get(public_key)
    return None if key is None else credentials.key_document(settings.issuer.id, key)


def trusted_keys(settings: BadgeSettings) -> dict[str, Ed25519PublicKey]:
    return credentials.trusted_keys(settings.issuer.id, published_keys(settings).values())


# --- a transcript as a CLR -------------------------------------------------------------------


def current_credentials_of(held_ids: list[int]) -> dict[int, IssuedCredential]:
    """held id -> its current credential (the whole row)."""
    if not held_ids:
        return {}
    return {
        issued.candidate_certification_id: issued
        for issued in IssuedCredential.select().where(
            IssuedCredential.candidate_certification.in_(held_ids)
            & IssuedCredential.superseded_by.is_null()
        )
    }


def transcript_clr(transcript: Transcript, today: date, now: datetime | None = None) -> dict | None:
    """The transcript as a signed CLR 2.0 ClrCredential embedding the signed badges of the
    certifications it shows that hold today (active, not withdrawn); None when there are
    none. It is valid until the transcript expires."""
    settings = current_settings()
    if settings is None:
        return None
    listed = listed_certifications(transcript, today)
    issued = current_credentials_of([held.id for held in listed])
    embedded = [
        json.loads(issued[held.id].document)
        for held in listed
        if held.id in issued and badge_status(held, issued[held.id], today) == "active"
    ]
    if not embedded:
        return None
    candidate = Candidate.get_by_id(transcript.candidate_id)
    now = _aware(now or datetime.now(UTC)).replace(microsecond=0)
    end_of_transcript = datetime.combine(transcript.expires_on + timedelta(days=1), time(), UTC)
    unsigned = credentials.clr_credential(
        credential_id=f"urn:uuid:{uuid.uuid4()}",
        issuer=settings.issuer,
        name=f"Transcript of {shown_name(candidate, transcript.name_form)}",
        recipient_email=recipient_email(candidate),
        credentials=embedded,
        valid_from=now,
        valid_until=max(end_of_transcript - timedelta(seconds=1), now + timedelta(seconds=1)),
    )
    return credentials.sign_credential(unsigned, settings.signing_key, now)
