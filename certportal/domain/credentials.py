"""Open Badges 3.0 credentials: what the portal issues, and checking what it issued.

Pure functions over plain values, no Flask and no models: the caller says who the issuer is
(its Profile at a stable URL of the portal), what was achieved, by whom (an email address,
which never appears in a credential: only a salted SHA-256 of it does) and when.

- open_badge_credential: one certification as an `OpenBadgeCredential` (VC Data Model 2.0,
  OB 3.0.3) with a `BitstringStatusListEntry`;
- clr_credential: a transcript as a CLR 2.0 `ClrCredential` embedding signed badges;
- status_list_credential: the `BitstringStatusListCredential` their entries point into;
- issuer_profile / key_document: the documents published at the issuer's URL (naming
  every key, current and retired, that may have signed its credentials) and at each key's
  URL (key_url);
- sign_credential / verify_credential / is_revoked: Data Integrity proofs
  (certportal.domain.signing) applied with the portal's rules.
"""

import hashlib
import hmac
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from certportal.domain import signing, status_list
from certportal.domain.linked_data import (
    CLR_V2P0_CONTEXT,
    DID_V1_CONTEXT,
    MULTIKEY_V1_CONTEXT,
    OB_V3P0_CONTEXT,
    VC_V2_CONTEXT,
    date_time_stamp,
    parse_date_time_stamp,
)
from certportal.domain.mapping import email_key

OPEN_BADGE_CONTEXT = [VC_V2_CONTEXT, OB_V3P0_CONTEXT]
CLR_CONTEXT = [VC_V2_CONTEXT, CLR_V2P0_CONTEXT, OB_V3P0_CONTEXT]
STATUS_LIST_CONTEXT = [VC_V2_CONTEXT]
# The DID context first: verifiers (jsonld-signatures) then read `assertionMethod` directly
# instead of framing the document; the OB context makes the same document the issuer Profile.
ISSUER_PROFILE_CONTEXT = [DID_V1_CONTEXT, MULTIKEY_V1_CONTEXT, OB_V3P0_CONTEXT]

REVOCATION = "revocation"
IDENTITY_HASH_ALGORITHM = "sha256"
SALT_BYTES = 16


@dataclass(frozen=True)
class Issuer:
    """The certification program as an OB `Profile`.

    `id` is a stable URL of the portal that serves issuer_profile(); `url` is the program's
    home page.
    """

    id: str
    name: str
    url: str
    image: str | None = None


@dataclass(frozen=True)
class Achievement:
    """What a badge recognises: one certification.

    `id` is the same for every holder (a stable URL of the certification); `criteria` is
    the narrative of what earning it takes (Markdown allowed); `image` is the badge image URL.
    """

    id: str
    name: str
    description: str
    criteria: str
    image: str
    code: str | None = None  # the program's own short code, e.g. "CCNA"
    criteria_url: str | None = None


@dataclass(frozen=True)
class StatusEntry:
    """A credential's position in a status list published at `list_url`."""

    list_url: str
    index: int
    purpose: str = REVOCATION


# --- the recipient --------------------------------------------------------------------------


def identity_hash(email: str, salt: str) -> str:
    """OB `IdentityHash` of an address: 'sha256$' + hex SHA-256 of the address then the salt.

    The address is compared the way the portal compares addresses (mapping.email_key), so
    a verifier holding the address as the candidate typed it gets the same hash.
    """
    digest = hashlib.sha256((email_key(email) + salt).encode("utf-8")).hexdigest()
    return f"{IDENTITY_HASH_ALGORITHM}${digest}"


def hashed_email_identity(email: str, salt: str | None = None) -> dict:
    """An `IdentityObject` naming the recipient by salted hash; a fresh random salt by default,
    so two credentials of one person cannot be linked through it."""
    salt = salt if salt is not None else secrets.token_hex(SALT_BYTES)
    return {
        "type": "IdentityObject",
        "identityHash": identity_hash(email, salt),
        "identityType": "emailAddress",
        "hashed": True,
        "salt": salt,
    }


def identity_matches(email: str, identity: Mapping) -> bool:
    """Whether a credential's IdentityObject names this address."""
    if identity.get("identityType") != "emailAddress" or identity.get("hashed") is not True:
        return False
    expected = identity_hash(email, str(identity.get("salt", "")))
    return hmac.compare_digest(expected, str(identity.get("identityHash", "")).lower())


# --- documents ------------------------------------------------------------------------------


def validity_window(active_on: date, expires_on: date | None) -> tuple[datetime, datetime | None]:
    """`validFrom`/`validUntil` of a certification active from `active_on` through `expires_on`.

    A certification is active on its expiry date itself, so the credential is valid until
    the last second of that day (UTC).
    """
    valid_from = datetime.combine(active_on, time(), UTC)
    if expires_on is None:
        return valid_from, None
    return valid_from, datetime.combine(expires_on + timedelta(days=1), time(), UTC) - timedelta(
        seconds=1
    )


def _profile(issuer: Issuer) -> dict:
    profile = {"id": issuer.id, "type": ["Profile"], "name": issuer.name, "url": issuer.url}
    if issuer.image:
        profile["image"] = {"id": issuer.image, "type": "Image"}
    return profile


def achievement_document(achievement: Achievement, issuer: Issuer) -> dict:
    """An OB `Achievement` (without @context): as embedded in a badge's subject."""
    criteria = {"narrative": achievement.criteria}
    if achievement.criteria_url:
        criteria = {"id": achievement.criteria_url, **criteria}
    document = {
        "id": achievement.id,
        "type": ["Achievement"],
        "achievementType": "Certification",
        "name": achievement.name,
        "description": achievement.description,
        "criteria": criteria,
        "image": {"id": achievement.image, "type": "Image", "caption": achievement.name},
        "creator": _profile(issuer),
    }
    if achievement.code:
        document["humanCode"] = achievement.code
    return document


def _status(entry: StatusEntry) -> dict:
    return {
        "id": f"{entry.list_url}#{entry.index}",
        "type": "BitstringStatusListEntry",
        "statusPurpose": entry.purpose,
        "statusListIndex": str(entry.index),
        "statusListCredential": entry.list_url,
    }


def _validity(valid_from: datetime, valid_until: datetime | None) -> dict:
    validity = {"validFrom": date_time_stamp(valid_from)}
    if valid_until is not None:
        if valid_until <= valid_from:
            raise ValueError("a credential's validUntil must be after its validFrom")
        validity["validUntil"] = date_time_stamp(valid_until)
    return validity


def open_badge_credential(
    *,
    credential_id: str,
    issuer: Issuer,
    achievement: Achievement,
    recipient_email: str,
    valid_from: datetime,
    valid_until: datetime | None,
    status: StatusEntry | None,
    salt: str | None = None,
) -> dict:
    """An unsigned OpenBadgeCredential: `recipient_email` earned `achievement` from `issuer`.

    `credential_id` is the credential's own URL or URN (e.g. its public badge page);
    the times are aware datetimes (validity_window gives them for a certification).
    """
    credential = {
        "@context": list(OPEN_BADGE_CONTEXT),
        "id": credential_id,
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "name": achievement.name,
        "issuer": _profile(issuer),
        **_validity(valid_from, valid_until),
        "credentialSubject": {
            "type": ["AchievementSubject"],
            "identifier": [hashed_email_identity(recipient_email, salt)],
            "achievement": achievement_document(achievement, issuer),
        },
    }
    if status is not None:
        credential["credentialStatus"] = _status(status)
    return credential


def clr_credential(
    *,
    credential_id: str,
    issuer: Issuer,
    name: str,
    recipient_email: str,
    credentials: Iterable[dict],
    valid_from: datetime,
    valid_until: datetime | None = None,
    salt: str | None = None,
) -> dict:
    """An unsigned ClrCredential (CLR 2.0) holding signed achievement credentials.

    The embedded credentials keep their own proofs, so each one verifies on its own as well
    as inside the signed record.
    """
    embedded = list(credentials)
    if not embedded:
        raise ValueError("a ClrCredential holds at least one credential")
    unsigned = [entry["id"] for entry in embedded if "proof" not in entry]
    if unsigned:
        raise ValueError(f"embedded credentials must be signed: {', '.join(unsigned)}")
    return {
        "@context": list(CLR_CONTEXT),
        "id": credential_id,
        "type": ["VerifiableCredential", "ClrCredential"],
        "name": name,
        "issuer": _profile(issuer),
        **_validity(valid_from, valid_until),
        "credentialSubject": {
            "type": ["ClrSubject"],
            "identifier": [hashed_email_identity(recipient_email, salt)],
            "verifiableCredential": embedded,
        },
    }


def status_list_credential(
    *,
    list_url: str,
    issuer_id: str,
    set_indexes: Iterable[int],
    valid_from: datetime,
    valid_until: datetime | None = None,
    purpose: str = REVOCATION,
    length: int = status_list.MINIMUM_LENGTH,
) -> dict:
    """An unsigned BitstringStatusListCredential with the bits at `set_indexes` set.

    Its issuer must be the badges' issuer: verifiers refuse a list signed by anyone else.
    """
    return {
        "@context": list(STATUS_LIST_CONTEXT),
        "id": list_url,
        "type": ["VerifiableCredential", "BitstringStatusListCredential"],
        "issuer": issuer_id,
        **_validity(valid_from, valid_until),
        "credentialSubject": {
            "id": f"{list_url}#list",
            "type": "BitstringStatusList",
            "statusPurpose": purpose,
            "encodedList": status_list.encode(set_indexes, length),
        },
    }


def issuer_profile(issuer: Issuer, keys: Iterable[Ed25519PublicKey | Ed25519PrivateKey]) -> dict:
    """The document to publish at `issuer.id`: the OB Profile and the controller document of
    every key that has signed (current first, then retired ones, which keep old badges valid)."""
    methods = []
    for key in keys:
        method = key_document(issuer.id, key)
        del method["@context"]  # the profile's own contexts cover Multikey
        methods.append(method)
    if not methods:
        raise ValueError("an issuer profile publishes at least one key")
    return {
        "@context": list(ISSUER_PROFILE_CONTEXT),
        **_profile(issuer),
        "verificationMethod": methods,
        "assertionMethod": [method["id"] for method in methods],
    }


# --- proofs and checks ----------------------------------------------------------------------


def key_url(issuer_id: str, key: Ed25519PublicKey | Ed25519PrivateKey) -> str:
    """Where the portal publishes a signing key: under its issuer, named by the key itself.

    A URL of its own (not a fragment of the profile) so that any verifier's plain HTTP
    loader gets the Multikey document; named by the key, so old badges keep pointing at the
    retired key, still published beside the new one.
    """
    return f"{issuer_id}/keys/{signing.public_key_multibase(key)}"


def key_document(issuer_id: str, key: Ed25519PublicKey | Ed25519PrivateKey) -> dict:
    """The Multikey document to serve at key_url(issuer_id, key)."""
    return signing.verification_method(key_url(issuer_id, key), issuer_id, key)


def _issuer_id(credential: Mapping) -> str | None:
    issuer = credential.get("issuer")
    return issuer.get("id") if isinstance(issuer, Mapping) else issuer


def _signed_by_issuer(credential: Mapping) -> bool:
    """Whether the proof names a key published under the credential's own issuer."""
    issuer_id = _issuer_id(credential)
    proof = credential.get("proof")
    method = proof.get("verificationMethod") if isinstance(proof, Mapping) else None
    return isinstance(issuer_id, str) and isinstance(method, str) and method.startswith(
        f"{issuer_id}/keys/"
    )


def sign_credential(credential: dict, key: Ed25519PrivateKey, created: datetime) -> dict:
    """A copy of `credential` with a proof by `key`, named under the credential's issuer."""
    return signing.sign(credential, key, key_url(_issuer_id(credential), key), created)


def trusted_keys(
    issuer_id: str, keys: Iterable[Ed25519PublicKey | Ed25519PrivateKey]
) -> dict[str, Ed25519PublicKey]:
    """The issuer's keys as signing.verify wants them: verification method URL -> key."""
    trusted = {}
    for key in keys:
        public = key.public_key() if isinstance(key, Ed25519PrivateKey) else key
        trusted[key_url(issuer_id, public)] = public
    return trusted


@dataclass(frozen=True)
class CredentialCheck:
    """Whether a credential is authentic and currently within its validity period."""

    verified: bool
    reason: str = ""


def verify_credential(
    credential: Mapping, keys: Mapping[str, Ed25519PublicKey], now: datetime
) -> CredentialCheck:
    """Check a credential the portal issued: its proof by one of the issuer's `keys`
    (trusted_keys), signed under its own issuer, valid at `now`; a ClrCredential's embedded
    credentials too. Revocation is a separate question (is_revoked)."""
    if not _signed_by_issuer(credential):
        return CredentialCheck(False, "the proof's key does not belong to the issuer")
    proof = signing.verify(dict(credential), keys)
    if not proof.verified:
        return CredentialCheck(False, proof.reason)
    try:
        valid_from = parse_date_time_stamp(credential.get("validFrom"))
        valid_until = credential.get("validUntil")
        valid_until = parse_date_time_stamp(valid_until) if valid_until is not None else None
    except (TypeError, ValueError) as error:
        return CredentialCheck(False, str(error))
    if now < valid_from:
        return CredentialCheck(False, "not yet valid")
    if valid_until is not None and now > valid_until:
        return CredentialCheck(False, "expired")
    subject = credential.get("credentialSubject")
    inside = subject.get("verifiableCredential", []) if isinstance(subject, Mapping) else []
    for embedded in [inside] if isinstance(inside, Mapping) else inside:
        if not isinstance(embedded, Mapping):
            return CredentialCheck(False, "an embedded credential is not a JSON object")
        check = verify_credential(embedded, keys, now)
        if not check.verified:
            reason = f"embedded credential {embedded.get('id')}: {check.reason}"
            return CredentialCheck(False, reason)
    return CredentialCheck(True)


def is_revoked(
    credential: Mapping, list_credential: Mapping, keys: Mapping[str, Ed25519PublicKey]
) -> bool:
    """Whether `credential` is revoked according to the status list credential it points to.

    Raises ValueError when the list is not the one the entry names, not signed by the same
    issuer, or not a valid list: an unverifiable answer is no answer.
    """
    entry = credential.get("credentialStatus")
    if not isinstance(entry, Mapping) or entry.get("type") != "BitstringStatusListEntry":
        raise ValueError("the credential has no BitstringStatusListEntry")
    if entry.get("statusListCredential") != list_credential.get("id"):
        raise ValueError("the status list is not the one the credential names")
    if _issuer_id(list_credential) != _issuer_id(credential):
        raise ValueError("the status list has another issuer")
    if not _signed_by_issuer(list_credential):
        raise ValueError("the status list's proof key does not belong to its issuer")
    proof = signing.verify(dict(list_credential), keys)
    if not proof.verified:
        raise ValueError(f"the status list's proof: {proof.reason}")
    subject = list_credential.get("credentialSubject")
    purpose = subject.get("statusPurpose") if isinstance(subject, Mapping) else None
    if purpose != entry.get("statusPurpose"):
        raise ValueError("the status list has another purpose")
    try:
        index = int(entry.get("statusListIndex"))
    except (TypeError, ValueError):
        raise ValueError("statusListIndex is not a number") from None
    try:
        return status_list.is_set(status_list.decode(subject.get("encodedList")), index)
    except IndexError as error:
        raise ValueError(str(error)) from None
