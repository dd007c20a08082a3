"""PDF certificates and public verification: who may have one, what it says.

Plain functions over models, no Flask: the blueprints, the Downloads macro and the
verification API all ask these the same questions.
"""

import hashlib
import json
import math
from dataclasses import asdict, dataclass
from datetime import date

from certportal.domain.status import is_current, is_expired, is_revoked
from certportal.models import (
    PUBLIC_HOLDER_COLUMNS,
    Candidate,
    CandidateCertification,
    Certification,
    FulfillmentItem,
    OrderLine,
    random_code,
)
from certportal.models.base import READABLE_ALPHABET
from certportal.models.commerce import PRINTED_LINE_STATUSES
from certportal.models.compiled import INT, TEXT, CompiledQuery

VERIFICATION_CODE_LENGTH = 16
VERIFICATION_CODE_BITS = VERIFICATION_CODE_LENGTH * math.log2(len(READABLE_ALPHABET))
CODE_GROUP = 4
# Crockford's base32 reads I and L as 1 and O as 0, so a code read aloud still matches.
_LOOKALIKES = str.maketrans({"I": "1", "L": "1", "O": "0"})


# Only the columns these answers use: the whole rows (requirement trees as JSON, fifty
# candidate columns) cost more to build and parse than the query itself.
HELD_COLUMNS = (
    CandidateCertification.id,
    CandidateCertification.candidate,
    CandidateCertification.certification,
    CandidateCertification.status,
    CandidateCertification.first_earned_on,
    CandidateCertification.active_on,
    CandidateCertification.expires_on,
    CandidateCertification.verification_code,
    CandidateCertification.revoked_at,
)
CERTIFICATION_COLUMNS = (
    Certification.id,
    Certification.code,
    Certification.name,
    Certification.abbreviation,
    Certification.pdf_certificate,
)


class CodeError(ValueError):
    """What was typed cannot be a verification code; the message says what one looks like."""


def new_verification_code() -> str:
    """A fresh verification code: 16 characters of Crockford's base32, 80 random bits."""
    return random_code(VERIFICATION_CODE_LENGTH)


def group_code(code: str) -> str:
    """K7Q2ABCD… shown as K7Q2-ABCD-… so a person can read and type it."""
    return "-".join(code[i : i + CODE_GROUP] for i in range(0, len(code), CODE_GROUP))


def normalize_code(text: str | None) -> str:
    """The stored form of a typed code: no spaces or dashes, upper case, look-alikes mapped.

    Raises CodeError when the result cannot be a code at all.
    """
    cleaned = "".join((text or "").split()).replace("-", "").upper().translate(_LOOKALIKES)
    if not cleaned:
        raise CodeError("Enter a verification code.")
    if len(cleaned) != VERIFICATION_CODE_LENGTH or any(
        char not in READABLE_ALPHABET for char in cleaned
    ):
        raise CodeError(
            "A verification code has 16 letters and digits in groups of four, "
            "like K7Q2-9XMD-B4TR-0HWE. Check the code and try again."
        )
    return cleaned


def pdf_certificate_available(held: CandidateCertification, today: date) -> bool:
    """The guide's NOTE: PDFs only for qualifying certifications, active and not expired."""
    return is_current(held, today) and bool(held.certification.pdf_certificate)


# Every download runs this, a cached PDF included: SQL built once.
_HELD_FOR_PDF = CompiledQuery(
    lambda candidate_id, certification_code: CandidateCertification.select(
        *HELD_COLUMNS, *CERTIFICATION_COLUMNS
    )
    .join(Certification)
    .where(
        (CandidateCertification.candidate == candidate_id)
        & (Certification.code == certification_code)
    )
    .limit(1),
    INT,
    TEXT,
)


def held_for_pdf(candidate: Candidate, certification_code: str, today: date):
    """The candidate's certification whose PDF may be downloaded, or None (answer 404)."""
    found = _HELD_FOR_PDF(candidate.id, certification_code)
    held = found[0] if found else None
    if held is None or not pdf_certificate_available(held, today):
        return None
    return held


@dataclass(frozen=True)
class CertificateContent:
    """Everything printed on one PDF certificate; equal contents give the same PDF."""

    program_name: str
    holder_name: str
    localized_name: str
    certification_name: str
    abbreviation: str
    active_on: date
    expires_on: date
    verification_code: str
    verification_url: str

    @property
    def grouped_code(self) -> str:
        return group_code(self.verification_code)

    def fingerprint(self) -> str:
        """A hash of every input, the key of the rendered-PDF cache."""
        payload = json.dumps(asdict(self), sort_keys=True, default=str)
        return hashlib.sha256(payload.encode()).hexdigest()

    @property
    def file_name(self) -> str:
        """e.g. CCNA-certificate-John-Doe.pdf: ASCII only, safe in any download dialog."""
        name = "-".join(
            "".join(char for char in part if char.isascii() and char.isalnum())
            for part in self.holder_name.split()
        ).strip("-")
        stem = "".join(c if c.isascii() and (c.isalnum() or c == "-") else "-"
                       for c in self.abbreviation)
        return f"{stem}-certificate{'-' + name if name else ''}.pdf"


def certificate_content(
    held: CandidateCertification, candidate: Candidate, program_name: str, verification_url: str
) -> CertificateContent:
    certification = held.certification
    return CertificateContent(
        program_name=program_name,
        holder_name=candidate.full_name,
        localized_name=candidate.localized_full_name,
        certification_name=certification.name,
        abbreviation=certification.abbreviation,
        active_on=held.active_on,
        expires_on=held.expires_on,
        verification_code=held.verification_code,
        verification_url=verification_url,
    )


@dataclass(frozen=True)
class Verification:
    """What a third party may learn from a verification code, with the holder's consent."""

    code: str
    holder_name: str
    localized_name: str
    certification: str
    status: str  # active | expired | revoked
    first_earned_on: date | None
    active_on: date | None
    expires_on: date | None
    revoked_on: date | None
    # For a printed kit's own code: the kit ("CCNA Certificate") and its kind ("Certificate").
    kit_name: str = ""
    kit_kind: str = ""

    @property
    def grouped_code(self) -> str:
        return group_code(self.code)

    def as_json(self) -> dict:
        def iso(day):
            return day.isoformat() if day else None

        return {
            "verified": True,
            "code": self.grouped_code,
            "holder": {"name": self.holder_name, "localized_name": self.localized_name or None},
            "certification": self.certification,
            "status": self.status,
            "first_earned_on": iso(self.first_earned_on),
            "active_on": iso(self.active_on),
            "expires_on": iso(self.expires_on),
            "revoked_on": iso(self.revoked_on),
            "printed_kit": (
                {"name": self.kit_name, "kind": self.kit_kind} if self.kit_name else None
            ),
        }


# The public page, its QR link and the API run this on every request: SQL built once.
_HELD_BY_CODE = CompiledQuery(
    lambda code: CandidateCertification.select(
        *HELD_COLUMNS, *CERTIFICATION_COLUMNS, *PUBLIC_HOLDER_COLUMNS
    )
    .join(Certification)
    .switch(CandidateCertification)
    .join(Candidate)
    .where(CandidateCertification.verification_code == code)
    .limit(1),
    TEXT,
)


# A printed kit's code (on a line sent for fulfillment) names its holder's certification.
_KIT_BY_CODE = CompiledQuery(
    lambda code: OrderLine.select(
        OrderLine.candidate, OrderLine.name, OrderLine.kind, FulfillmentItem.certification
    )
    .join(FulfillmentItem)
    .where((OrderLine.verification_code == code) & OrderLine.status.in_(PRINTED_LINE_STATUSES))
    .limit(1)
    .tuples(),
    TEXT,
)
_HELD_FOR_KIT = CompiledQuery(
    lambda candidate_id, certification_id: CandidateCertification.select(
        *HELD_COLUMNS, *CERTIFICATION_COLUMNS, *PUBLIC_HOLDER_COLUMNS
    )
    .join(Certification)
    .switch(CandidateCertification)
    .join(Candidate)
    .where(
        (CandidateCertification.candidate == candidate_id)
        & (CandidateCertification.certification == certification_id)
    )
    .limit(1),
    INT,
    INT,
)


def verify(code: str, today: date) -> Verification | None:
    """The certification behind a (normalized) code, or None for the neutral answer.

    The code is a certificate's or a printed kit's own (the kit verifies the certification
    it was printed for, as it stands today). None alike for an unknown code, a certification
    not yet earned, and a holder who has not consented to verification (Settings): a third
    party cannot tell these apart.
    """
    found = _HELD_BY_CODE(code)
    held = found[0] if found else None
    kit_name = kit_kind = ""
    if held is None:
        kit = _KIT_BY_CODE(code)
        if kit:
            candidate_id, kit_name, kit_kind, certification_id = kit[0]
            found = _HELD_FOR_KIT(candidate_id, certification_id)
            held = found[0] if found else None
    if held is None or held.active_on is None or held.candidate.verification_consent is not True:
        return None
    if is_revoked(held):
        status = "revoked"
    elif is_expired(held, today):
        status = "expired"
    elif held.status == "active":
        status = "active"
    else:
        return None
    return Verification(
        code=code,
        holder_name=held.candidate.full_name,
        localized_name=held.candidate.localized_full_name,
        certification=held.certification.display_name,
        status=status,
        first_earned_on=held.first_earned_on,
        active_on=held.active_on,
        expires_on=held.expires_on,
        revoked_on=held.revoked_at.date() if held.revoked_at else None,
        kit_name=kit_name,
        kit_kind=kit_kind,
    )
