"""Sample issuer, keys and credentials for the credential tests (no database needed)."""

import copy
import json
from datetime import UTC, date, datetime
from pathlib import Path

import jsonschema
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from certportal.domain import credentials
from certportal.domain.linked_data import parse_date_time_stamp

DATA = Path(__file__).resolve().parent / "data" / "openbadges"
BASE = "https://portal.example"
ISSUER = credentials.Issuer(
    id=f"{BASE}/badges/issuer",
    name="Cisco",
    url=BASE,
    image=f"{BASE}/static/issuer.png",
)
STATUS_LIST_URL = f"{BASE}/badges/status/1"
RECIPIENT = "John.Doe@Example.com"
ISSUED = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
# The same key in every run, so a failure can be replayed; the old key stands for one
# rotated out, whose badges must keep verifying.
SIGNING_KEY = Ed25519PrivateKey.from_private_bytes(bytes(range(32)))
OLD_KEY = Ed25519PrivateKey.from_private_bytes(bytes(range(100, 132)))


def achievement(code: str = "CCNA", name: str = "Cisco Certified Network Associate"):
    return credentials.Achievement(
        id=f"{BASE}/badges/achievements/{code}",
        name=name,
        description=f"Holders of the {code} certification passed its exam.",
        criteria=f"Pass the {code} exam (200-301) and accept the certification agreement.",
        image=f"{BASE}/logos/{code}.png",
        code=code,
        criteria_url=f"{BASE}/badges/achievements/{code}#criteria",
    )


def unsigned_badge(code: str = "CCNA", index: int = 7, **changes) -> dict:
    valid_from, valid_until = credentials.validity_window(date(2025, 3, 1), date(2028, 2, 29))
    arguments = {
        "credential_id": f"{BASE}/badges/{code.lower()}-0001",
        "issuer": ISSUER,
        "achievement": achievement(code),
        "recipient_email": RECIPIENT,
        "valid_from": valid_from,
        "valid_until": valid_until,
        "status": credentials.StatusEntry(STATUS_LIST_URL, index),
        "salt": "b0c1d2e3f4",
    }
    arguments.update(changes)
    return credentials.open_badge_credential(**arguments)


def signed_badge(code: str = "CCNA", index: int = 7, key=SIGNING_KEY, **changes) -> dict:
    return credentials.sign_credential(unsigned_badge(code, index, **changes), key, ISSUED)


def signed_clr(badges: list[dict], key=SIGNING_KEY) -> dict:
    clr = credentials.clr_credential(
        credential_id=f"{BASE}/transcripts/T-0001/clr",
        issuer=ISSUER,
        name="Transcript of John Doe",
        recipient_email=RECIPIENT,
        credentials=badges,
        valid_from=ISSUED,
    )
    return credentials.sign_credential(clr, key, ISSUED)


def signed_status_list(revoked: list[int], key=SIGNING_KEY) -> dict:
    unsigned = credentials.status_list_credential(
        list_url=STATUS_LIST_URL, issuer_id=ISSUER.id, set_indexes=revoked, valid_from=ISSUED
    )
    return credentials.sign_credential(unsigned, key, ISSUED)


def issuer_document() -> dict:
    return credentials.issuer_profile(ISSUER, [SIGNING_KEY, OLD_KEY])


def keys() -> dict:
    return credentials.trusted_keys(ISSUER.id, [SIGNING_KEY, OLD_KEY])


def vc2_achievement_credential_schema() -> dict:
    """The official OB 3.0 schema with VC 2.0's names for the validity dates.

    The shipped file (from the spec repository's history) requires VC 1.1's `issuanceDate`;
    VC Data Model 2.0 renamed it `validFrom` (and `expirationDate` `validUntil`), which is
    the only change the OB 3.0.3 schema made to these properties.
    """
    text = (DATA / "achievementcredential.json").read_text(encoding="utf-8")
    text = text.replace('"issuanceDate"', '"validFrom"').replace(
        '"expirationDate"', '"validUntil"'
    )
    return json.loads(text)


def schema_validator():
    """The official achievementcredential.json schema (VC 2.0 names), formats checked."""
    checker = jsonschema.FormatChecker()

    @checker.checks("date-time", raises=ValueError)
    def is_date_time(value):
        return not isinstance(value, str) or bool(parse_date_time_stamp(value))

    schema = vc2_achievement_credential_schema()
    return jsonschema.Draft201909Validator(schema, format_checker=checker)


def field_paths(document, prefix=()):
    """Every leaf value's path in a JSON document (for tampering one at a time)."""
    if isinstance(document, dict):
        items = document.items()
    elif isinstance(document, list):
        items = enumerate(document)
    else:
        yield prefix
        return
    for key, value in items:
        yield from field_paths(value, (*prefix, key))


def tampered(document: dict, path: tuple) -> dict:
    """A copy with the value at `path` changed to something else of the same kind."""
    changed = copy.deepcopy(document)
    parent = changed
    for key in path[:-1]:
        parent = parent[key]
    value = parent[path[-1]]
    if isinstance(value, bool):
        parent[path[-1]] = not value
    elif isinstance(value, int):
        parent[path[-1]] = value + 1
    elif value.endswith("Z") and value[:4].isdigit():
        parent[path[-1]] = ("2026" if not value.startswith("2026") else "2027") + value[4:]
    else:
        parent[path[-1]] = value[:-1] + ("X" if value[-1:] != "X" else "Y")
    return changed

