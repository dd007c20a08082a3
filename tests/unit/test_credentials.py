"""Open Badges 3.0 credentials, CLR transcripts and status lists, checked in Python.

The same credentials go through an independent JavaScript verifier in
test_credential_verifier.py.
"""

import json
from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from certportal.domain import credentials, status_list
from certportal.domain.linked_data import canonicalize
from tests.credential_samples import (
    ISSUED,
    ISSUER,
    OLD_KEY,
    RECIPIENT,
    SIGNING_KEY,
    STATUS_LIST_URL,
    field_paths,
    issuer_document,
    keys,
    schema_validator,
    signed_badge,
    signed_clr,
    signed_status_list,
    tampered,
    unsigned_badge,
)

NOW = datetime(2026, 6, 1, tzinfo=UTC)


# --- the badge ------------------------------------------------------------------------------


def test_a_signed_badge_is_valid_under_the_official_schema():
    errors = [error.message for error in schema_validator().iter_errors(signed_badge())]

    assert errors == []


def test_the_schema_check_can_fail():
    badge = signed_badge()
    del badge["credentialSubject"]["achievement"]["criteria"]
    badge["credentialSubject"]["identifier"][0]["hashed"] = "yes"

    messages = [error.message for error in schema_validator().iter_errors(badge)]

    assert any("'criteria' is a required property" in message for message in messages)
    assert any("'yes' is not of type 'boolean'" in message for message in messages)


def test_a_badge_says_what_was_achieved_by_whom_and_when():
    badge = unsigned_badge()

    assert badge["@context"] == [
        "https://www.w3.org/ns/credentials/v2",
        "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
    ]
    assert badge["type"] == ["VerifiableCredential", "OpenBadgeCredential"]
    assert badge["issuer"]["id"] == "https://portal.example/badges/issuer"
    assert badge["issuer"]["type"] == ["Profile"]
    assert badge["validFrom"] == "2025-03-01T00:00:00Z"
    assert badge["validUntil"] == "2028-02-29T23:59:59Z"
    subject = badge["credentialSubject"]
    assert subject["type"] == ["AchievementSubject"]
    achievement = subject["achievement"]
    assert achievement["name"] == "Cisco Certified Network Associate"
    assert achievement["criteria"]["narrative"].startswith("Pass the CCNA exam")
    assert achievement["image"] == {
        "id": "https://portal.example/logos/CCNA.png",
        "type": "Image",
        "caption": "Cisco Certified Network Associate",
    }
    assert badge["credentialStatus"] == {
        "id": f"{STATUS_LIST_URL}#7",
        "type": "BitstringStatusListEntry",
        "statusPurpose": "revocation",
        "statusListIndex": "7",
        "statusListCredential": STATUS_LIST_URL,
    }


def test_the_recipient_is_a_salted_hash_never_the_address():
    badge = unsigned_badge(salt=None)
    identity = badge["credentialSubject"]["identifier"][0]

    assert "john.doe" not in json.dumps(badge).lower()
    assert identity["hashed"] is True
    assert identity["identityType"] == "emailAddress"
    assert identity["identityHash"].startswith("sha256$")
    assert credentials.identity_matches("john.doe@example.com", identity)
    assert credentials.identity_matches(" JOHN.DOE@example.com ", identity)
    assert not credentials.identity_matches("jane.doe@example.com", identity)


def test_each_badge_gets_its_own_salt():
    first = unsigned_badge(salt=None)["credentialSubject"]["identifier"][0]
    second = unsigned_badge(salt=None)["credentialSubject"]["identifier"][0]

    assert first["salt"] != second["salt"]
    assert first["identityHash"] != second["identityHash"]


def test_identity_hash_follows_the_spec_example():
    # The OB 3.0 spec: SHA-256 of 'a@example.com' salted with 'Kosher'.
    assert credentials.identity_hash("a@example.com", "Kosher") == (
        "sha256$b5809d8a92f8858436d7e6b87c12ebc0ae1eac4baecc2c0b913aee2c922ef399"
    )


def test_a_certification_is_valid_through_its_expiry_date():
    valid_from, valid_until = credentials.validity_window(date(2025, 3, 1), date(2028, 2, 29))

    assert valid_from == datetime(2025, 3, 1, tzinfo=UTC)
    assert valid_until == datetime(2028, 2, 29, 23, 59, 59, tzinfo=UTC)
    assert credentials.validity_window(date(2025, 3, 1), None)[1] is None


def test_validity_must_end_after_it_starts():
    with pytest.raises(ValueError, match="after"):
        unsigned_badge(valid_until=datetime(2025, 3, 1, tzinfo=UTC))


def test_a_signed_badge_verifies_within_its_validity():
    check = credentials.verify_credential(signed_badge(), keys(), NOW)

    assert check.verified, check.reason


@pytest.mark.parametrize(
    ("moment", "reason"),
    [
        (datetime(2025, 2, 28, 23, 59, tzinfo=UTC), "not yet valid"),
        (datetime(2028, 3, 1, 0, 0, tzinfo=UTC), "expired"),
    ],
)
def test_a_badge_outside_its_validity_is_not_verified(moment, reason):
    check = credentials.verify_credential(signed_badge(), keys(), moment)

    assert not check.verified
    assert check.reason == reason


def test_changing_any_field_of_a_badge_fails_verification():
    badge = signed_badge()
    for path in field_paths(badge):
        check = credentials.verify_credential(tampered(badge, path), keys(), NOW)
        assert not check.verified, f"changing {'.'.join(map(str, path))} went unnoticed"


def test_a_badge_signed_by_a_retired_key_still_verifies():
    badge = signed_badge(key=OLD_KEY)

    assert credentials.verify_credential(badge, keys(), NOW).verified


def test_a_badge_whose_key_belongs_to_someone_else_is_refused():
    badge = credentials.sign_credential(unsigned_badge(), SIGNING_KEY, ISSUED)
    badge["issuer"]["id"] = "https://impostor.example/issuer"

    check = credentials.verify_credential(badge, keys(), NOW)

    assert not check.verified
    assert "does not belong to the issuer" in check.reason


def test_a_badge_naming_an_unknown_context_is_refused_without_fetching_it():
    badge = signed_badge()
    badge["@context"].append("https://contexts.example/extra.json")

    check = credentials.verify_credential(badge, keys(), NOW)

    assert not check.verified
    assert "not one of the shipped contexts" in check.reason


# --- the transcript (CLR) -------------------------------------------------------------------


def test_a_clr_holds_signed_badges_and_verifies():
    badges = [signed_badge("CCNA", 7), signed_badge("CCNP", 8)]
    clr = signed_clr(badges)

    assert clr["type"] == ["VerifiableCredential", "ClrCredential"]
    assert clr["credentialSubject"]["type"] == ["ClrSubject"]
    assert clr["credentialSubject"]["verifiableCredential"] == badges
    assert "john.doe" not in json.dumps(clr).lower()
    check = credentials.verify_credential(clr, keys(), NOW)
    assert check.verified, check.reason


def test_the_badges_inside_a_clr_are_valid_under_the_official_schema():
    clr = signed_clr([signed_badge("CCNA", 7), signed_badge("CCNP", 8)])
    validator = schema_validator()

    for badge in clr["credentialSubject"]["verifiableCredential"]:
        assert list(validator.iter_errors(badge)) == []


def test_changing_a_badge_inside_a_clr_fails_verification():
    clr = signed_clr([signed_badge("CCNA", 7), signed_badge("CCNP", 8)])
    path = ("credentialSubject", "verifiableCredential", 1, "credentialSubject", "achievement")

    check = credentials.verify_credential(tampered(clr, (*path, "name")), keys(), NOW)

    assert not check.verified


def test_a_clr_refuses_unsigned_badges():
    with pytest.raises(ValueError, match="must be signed"):
        credentials.clr_credential(
            credential_id="urn:uuid:1",
            issuer=ISSUER,
            name="Transcript",
            recipient_email=RECIPIENT,
            credentials=[unsigned_badge()],
            valid_from=ISSUED,
        )


# --- revocation -----------------------------------------------------------------------------


def test_the_status_list_sets_exactly_the_revoked_positions():
    bits = status_list.decode(status_list.encode([0, 7, 131_071]))

    assert len(bits) * 8 == 131_072
    assert bits[0] == 0b1000_0001  # bit 0 is the first byte's most significant bit
    assert status_list.is_set(bits, 131_071)
    assert [i for i in range(16) if status_list.is_set(bits, i)] == [0, 7]


def test_a_status_list_is_at_least_16_kilobytes():
    with pytest.raises(ValueError):
        status_list.encode([], length=1024)
    with pytest.raises(ValueError):
        status_list.encode([131_072])


@pytest.mark.parametrize(
    "encoded",
    ["", "zH4sIAAAAAAAAAw", "u!!!", "uH4sIAAAAAAAAAw", "u" + "A" * 40],
    ids=["empty", "wrong multibase", "not base64url", "truncated gzip", "not gzip"],
)
def test_a_malformed_status_list_is_an_error(encoded):
    with pytest.raises(status_list.StatusListError):
        status_list.decode(encoded)


def test_a_compressed_bomb_is_refused():
    import base64
    import gzip

    bomb = gzip.compress(bytes(64 * 1024 * 1024))
    encoded = "u" + base64.urlsafe_b64encode(bomb).rstrip(b"=").decode()

    with pytest.raises(status_list.StatusListError, match="larger"):
        status_list.decode(encoded)


def test_a_revoked_badge_reads_as_revoked_and_others_do_not():
    listing = signed_status_list(revoked=[7])

    assert credentials.is_revoked(signed_badge("CCNA", 7), listing, keys()) is True
    assert credentials.is_revoked(signed_badge("CCNP", 8), listing, keys()) is False
    assert credentials.verify_credential(listing, keys(), NOW).verified


def test_a_status_list_changed_after_signing_is_no_answer():
    listing = signed_status_list(revoked=[7])
    listing["credentialSubject"]["encodedList"] = status_list.encode([])

    with pytest.raises(ValueError, match="proof"):
        credentials.is_revoked(signed_badge("CCNA", 7), listing, keys())


def test_a_status_list_from_another_issuer_is_no_answer():
    listing = credentials.status_list_credential(
        list_url=STATUS_LIST_URL,
        issuer_id="https://impostor.example/issuer",
        set_indexes=[],
        valid_from=ISSUED,
    )

    with pytest.raises(ValueError, match="another issuer"):
        credentials.is_revoked(signed_badge(), listing, keys())


# --- the issuer's published document ---------------------------------------------------------


def test_the_issuer_profile_publishes_every_key():
    document = issuer_document()
    expected = sorted(keys())

    assert document["id"] == ISSUER.id
    assert document["type"] == ["Profile"]
    assert sorted(method["id"] for method in document["verificationMethod"]) == expected
    assert sorted(document["assertionMethod"]) == expected
    # Every term is defined by its contexts (canonicalize refuses undefined ones).
    assert f"<{ISSUER.id}> <https://w3id.org/security#assertionMethod>" in canonicalize(document)


def test_each_key_has_its_own_document_under_the_issuer():
    url = credentials.key_url(ISSUER.id, SIGNING_KEY)
    document = credentials.key_document(ISSUER.id, SIGNING_KEY.public_key())

    assert url.startswith(f"{ISSUER.id}/keys/z6Mk")
    assert "#" not in url  # a plain HTTP GET of the proof's key URL returns the key
    assert document["id"] == url
    assert document["type"] == "Multikey"
    assert document["controller"] == ISSUER.id
    assert signed_badge()["proof"]["verificationMethod"] == url
    assert url in issuer_document()["assertionMethod"]


def test_credential_times_are_utc_seconds():
    badge = unsigned_badge(
        valid_from=datetime(2025, 3, 1, 11, 30, 15, 999, tzinfo=timezone(timedelta(hours=2))),
        valid_until=None,
    )

    assert badge["validFrom"] == "2025-03-01T09:30:15Z"
    assert "validUntil" not in badge
