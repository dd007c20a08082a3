"""eddsa-rdfc-2022 Data Integrity proofs and Multikey keys."""

import hashlib
import json
from datetime import UTC, datetime

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given
from hypothesis import strategies as st

from certportal.domain import signing
from certportal.domain.signing import KeyFormatError
from tests.credential_samples import DATA, field_paths, tampered

VECTORS = DATA / "test-vectors" / "obv3p0"
# The key pair of the Open Badges 3.0 implementation guide's proof example.
SPEC_SEED = bytes.fromhex("6241a409e6707bb640a0140a8a32bc3d193c33a661747284d6adfa4ed4180be4")
SPEC_PUBLIC = bytes.fromhex("4bdeafde2ea8beefadd8c699b5c7e0704cf51154d52e17b20b71337ca04cc5a5")
SPEC_MULTIKEY = "z6MkjZRZv3aez3r18pB1RBFJR1kwUVJ5jHt92JmQwXbd5hwi"
SPEC_ISSUER = "https://example.edu/issuers/565049"
SPEC_CREATED = datetime(2010, 1, 1, 19, 23, 24, tzinfo=UTC)


@pytest.fixture
def spec_key():
    return Ed25519PrivateKey.from_private_bytes(SPEC_SEED)


@pytest.fixture
def spec_credential():
    return json.loads((VECTORS / "credential.json").read_text())


def test_base58btc_matches_bitcoin_encoding():
    assert signing.base58btc_encode(b"Hello World!") == "2NEpo7TZRRrLZSi2U"
    assert signing.base58btc_encode(b"\0\0\x01") == "112"
    assert signing.base58btc_decode("112") == b"\0\0\x01"


@given(st.binary(max_size=80))
def test_base58btc_round_trips(data):
    assert signing.base58btc_decode(signing.base58btc_encode(data)) == data


def test_base58btc_refuses_characters_outside_its_alphabet():
    with pytest.raises(ValueError):
        signing.base58btc_decode("0OIl")


def test_the_spec_key_has_the_spec_multikey(spec_key):
    assert spec_key.public_key().public_bytes_raw() == SPEC_PUBLIC
    assert signing.public_key_multibase(spec_key) == SPEC_MULTIKEY
    public = signing.public_key_from_multibase(SPEC_MULTIKEY)
    assert public.public_bytes_raw() == SPEC_PUBLIC


def test_verification_method_document_is_a_multikey(spec_key):
    method = signing.verification_method(f"{SPEC_ISSUER}#{SPEC_MULTIKEY}", SPEC_ISSUER, spec_key)

    assert method == {
        "@context": "https://w3id.org/security/multikey/v1",
        "id": f"{SPEC_ISSUER}#{SPEC_MULTIKEY}",
        "type": "Multikey",
        "controller": SPEC_ISSUER,
        "publicKeyMultibase": SPEC_MULTIKEY,
    }


def test_a_signing_key_survives_configuration_text():
    key = signing.generate_signing_key()
    text = signing.signing_key_to_text(key)

    assert text.startswith("z3u2")
    restored = signing.signing_key_from_text(f"  {text}\n")
    assert restored.private_bytes_raw() == key.private_bytes_raw()


@pytest.mark.parametrize(
    "text",
    ["", "not a key", SPEC_MULTIKEY, "z" + signing.base58btc_encode(b"\x80\x26" + b"\1" * 31)],
    ids=["empty", "words", "a public key", "too short"],
)
def test_a_malformed_signing_key_says_what_one_looks_like(text):
    with pytest.raises(KeyFormatError, match="Multikey secret key"):
        signing.signing_key_from_text(text)


def test_a_proof_signs_the_spec_hashes_in_the_spec_order(spec_key, spec_credential):
    """The signed bytes are SHA-256(proof options vector) + SHA-256(document vector)."""
    signed = signing.sign(
        spec_credential, spec_key, f"{SPEC_ISSUER}#{SPEC_MULTIKEY}", SPEC_CREATED
    )
    expected = (
        hashlib.sha256((VECTORS / "proof-canon.txt").read_bytes()).digest()
        + hashlib.sha256((VECTORS / "document-canon.txt").read_bytes()).digest()
    )
    signature = signing.from_multibase_base58btc(signed["proof"]["proofValue"])

    spec_key.public_key().verify(signature, expected)  # raises InvalidSignature otherwise
    assert signed["proof"]["created"] == "2010-01-01T19:23:24Z"
    assert "proof" not in spec_credential, "signing must not change its input"


def _sign_spec(spec_key, spec_credential):
    method = f"{SPEC_ISSUER}#{SPEC_MULTIKEY}"
    return signing.sign(spec_credential, spec_key, method, SPEC_CREATED), {
        method: spec_key.public_key()
    }


def test_a_signed_document_verifies(spec_key, spec_credential):
    signed, trusted = _sign_spec(spec_key, spec_credential)

    check = signing.verify(signed, trusted)

    assert check.verified, check.reason
    assert check.verification_method == f"{SPEC_ISSUER}#{SPEC_MULTIKEY}"


def test_changing_any_field_breaks_the_proof(spec_key, spec_credential):
    signed, trusted = _sign_spec(spec_key, spec_credential)
    paths = [path for path in field_paths(signed) if path[:1] != ("proof",)]
    proof_paths = [("proof", name) for name in signed["proof"] if name != "verificationMethod"]

    for path in paths + proof_paths:
        check = signing.verify(tampered(signed, path), trusted)
        assert not check.verified, f"changing {'.'.join(map(str, path))} went unnoticed"


def test_an_added_field_breaks_the_proof(spec_key, spec_credential):
    signed, trusted = _sign_spec(spec_key, spec_credential)
    signed["description"] = "Added after signing"

    assert not signing.verify(signed, trusted).verified


def test_a_proof_by_an_untrusted_key_is_refused(spec_key, spec_credential):
    other = signing.generate_signing_key()
    method = f"{SPEC_ISSUER}#{signing.public_key_multibase(other)}"
    signed = signing.sign(spec_credential, other, method, SPEC_CREATED)

    check = signing.verify(signed, {f"{SPEC_ISSUER}#{SPEC_MULTIKEY}": spec_key.public_key()})

    assert not check.verified
    assert "not trusted" in check.reason


def test_a_trusted_key_name_with_another_keys_signature_is_refused(spec_key, spec_credential):
    signed, trusted = _sign_spec(spec_key, spec_credential)
    other = signing.generate_signing_key()
    forged = signing.sign(spec_credential, other, f"{SPEC_ISSUER}#{SPEC_MULTIKEY}", SPEC_CREATED)

    assert not signing.verify(forged, trusted).verified


def test_a_document_without_a_proof_is_not_verified(spec_credential):
    assert not signing.verify(spec_credential, {}).verified


def test_signing_twice_is_refused(spec_key, spec_credential):
    signed, _ = _sign_spec(spec_key, spec_credential)

    with pytest.raises(ValueError, match="already has a proof"):
        signing.sign(signed, spec_key, f"{SPEC_ISSUER}#{SPEC_MULTIKEY}", SPEC_CREATED)


def test_a_naive_creation_time_is_refused(spec_key, spec_credential):
    with pytest.raises(ValueError, match="timezone"):
        signing.sign(spec_credential, spec_key, "https://x.example/#k", datetime(2025, 1, 1))
