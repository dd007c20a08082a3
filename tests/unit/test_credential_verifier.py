"""The portal's credentials through an independent verifier: Digital Bazaar's JavaScript stack.

tests/verifier/verify.mjs runs on Node with @digitalbazaar/vc, data-integrity,
eddsa-rdfc-2022-cryptosuite, ed25519-multikey and vc-bitstring-status-list at the versions
of the committed package-lock.json, installed with `npm ci` once (again when the lock file
changes). It reads everything from files given to it: our contexts, the issuer's published
profile, each key's document and the status list; nothing from the network.

Without node/npm these tests skip, except under CI=true, where they fail.
"""

import json

import pytest

from certportal.domain import signing
from certportal.domain.credentials import key_document, key_url
from certportal.domain.linked_data import CONTEXT_FILES, CONTEXTS_DIR
from tests.credential_samples import (
    ISSUER,
    OLD_KEY,
    SIGNING_KEY,
    STATUS_LIST_URL,
    field_paths,
    issuer_document,
    signed_badge,
    signed_clr,
    signed_status_list,
    tampered,
)
from tests.independent_verifier import VERIFIER_DIR, run_verifier

NOW = "2026-06-01T00:00:00Z"


@pytest.fixture
def verify(node, tmp_path):
    """verify(credential, ...) -> one verdict per credential from verify.mjs."""

    def run(*credentials, status_list=None, now=NOW, extra_documents=()):
        published = {ISSUER.id: issuer_document(), STATUS_LIST_URL: status_list}
        for key in (SIGNING_KEY, OLD_KEY):
            published[key_url(ISSUER.id, key)] = key_document(ISSUER.id, key)
        published.update(extra_documents)
        return run_verifier(node, tmp_path, credentials, published, now)

    return run


def test_the_verifier_uses_the_same_vc_context_as_its_own_library(node):
    ours = CONTEXTS_DIR / CONTEXT_FILES["https://www.w3.org/ns/credentials/v2"]
    theirs = VERIFIER_DIR / "node_modules/@digitalbazaar/credentials-context/contexts/v2.jsonld"

    assert json.loads(ours.read_text()) == json.loads(theirs.read_text())


def test_a_fresh_badge_is_accepted(verify):
    (verdict,) = verify(signed_badge(), status_list=signed_status_list(revoked=[]))

    assert verdict["verified"], verdict["error"]
    assert verdict["revoked"] is False


def test_a_clr_transcript_and_every_badge_in_it_are_accepted(verify):
    clr = signed_clr([signed_badge("CCNA", 7), signed_badge("CCNP", 8)])

    (verdict,) = verify(clr, status_list=signed_status_list(revoked=[]))

    assert verdict["verified"], verdict["error"]
    assert [entry["verified"] for entry in verdict["embedded"]] == [True, True]
    assert [entry["revoked"] for entry in verdict["embedded"]] == [False, False]


def test_a_badge_with_any_field_changed_is_rejected(verify):
    badge = signed_badge()
    paths = list(field_paths(badge))

    listing = signed_status_list([])

    verdicts = verify(*[tampered(badge, path) for path in paths], status_list=listing)

    accepted = [
        ".".join(map(str, path))
        for path, verdict in zip(paths, verdicts, strict=True)
        if verdict["verified"]
    ]
    assert accepted == [], "changed fields the verifier still accepted"
    assert len(paths) > 30  # every leaf of the badge, proof included


def test_a_clr_with_a_changed_badge_inside_is_rejected(verify):
    clr = signed_clr([signed_badge("CCNA", 7), signed_badge("CCNP", 8)])
    inner = ("credentialSubject", "verifiableCredential", 1)

    verdicts = verify(
        tampered(clr, (*inner, "credentialSubject", "achievement", "name")),
        tampered(clr, (*inner, "proof", "proofValue")),
        tampered(clr, ("name",)),
        status_list=signed_status_list([]),
    )

    assert [verdict["verified"] for verdict in verdicts] == [False, False, False]


def test_a_revoked_badge_reports_revoked(verify):
    listing = signed_status_list(revoked=[7])

    revoked, other = verify(signed_badge("CCNA", 7), signed_badge("CCNP", 8), status_list=listing)

    assert revoked["verified"], revoked["error"]  # authentic, and revoked
    assert revoked["revoked"] is True
    assert other["revoked"] is False


def test_the_status_list_credential_itself_verifies(verify):
    (verdict,) = verify(signed_status_list(revoked=[7, 9]))

    assert verdict["verified"], verdict["error"]


def test_a_status_list_changed_after_signing_is_rejected(verify):
    listing = signed_status_list(revoked=[7])
    listing["credentialSubject"]["encodedList"] = signed_status_list(revoked=[])[
        "credentialSubject"
    ]["encodedList"]

    (verdict,) = verify(signed_badge("CCNA", 7), status_list=listing)

    assert not verdict["verified"]


def test_a_badge_signed_with_a_retired_key_still_verifies(verify):
    (verdict,) = verify(signed_badge(key=OLD_KEY), status_list=signed_status_list([]))

    assert verdict["verified"], verdict["error"]


def test_a_key_the_issuer_profile_does_not_list_is_refused(verify):
    stranger = signing.generate_signing_key()
    badge = signed_badge(key=stranger)
    served = {key_url(ISSUER.id, stranger): key_document(ISSUER.id, stranger)}

    (verdict,) = verify(badge, status_list=signed_status_list([]), extra_documents=served)

    assert not verdict["verified"]
    assert "not authorized" in verdict["error"]


def test_an_expired_badge_is_rejected(verify):
    listing = signed_status_list([])

    (verdict,) = verify(signed_badge(), status_list=listing, now="2028-03-02T00:00:00Z")

    assert not verdict["verified"]
    assert "validUntil" in verdict["error"]
