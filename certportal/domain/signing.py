"""Data Integrity proofs with the `eddsa-rdfc-2022` cryptosuite, and the Ed25519 keys behind them.

W3C "Data Integrity EdDSA Cryptosuites v1.0": the proof options (the proof without its
`proofValue`, under the document's `@context`) and the document without its proof are each
canonicalized (RDFC-1.0) and hashed with SHA-256; Ed25519 signs the two hashes, proof
options first. `proofValue` is the signature in base58-btc multibase (`z…`).

Keys are Multikeys: the public key is published as `z` + base58btc(0xed 0x01 + 32 bytes) and
the private key travels in configuration as `z` + base58btc(0x80 0x26 + 32-byte seed), the
same `secretKeyMultibase` form the JavaScript libraries export.
"""

import copy
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from pyld.jsonld import JsonLdError

from certportal.domain.linked_data import (
    MULTIKEY_V1_CONTEXT,
    canonicalize,
    date_time_stamp,
    is_date_time_stamp,
)

PROOF_TYPE = "DataIntegrityProof"
CRYPTOSUITE = "eddsa-rdfc-2022"
PROOF_PURPOSE = "assertionMethod"

_BASE58_ALPHABET = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_BASE58_INDEX = {char: value for value, char in enumerate(_BASE58_ALPHABET)}
_ED25519_PUBLIC_HEADER = b"\xed\x01"
_ED25519_SECRET_HEADER = b"\x80\x26"
_KEY_BYTES = 32
_SIGNATURE_BYTES = 64


class KeyFormatError(ValueError):
    """Text that should hold a key does not; the message says what was expected."""


# --- base58-btc multibase -------------------------------------------------------------------


def base58btc_encode(data: bytes) -> str:
    """Bitcoin's base58: the bytes as a big number in base 58, each leading zero byte a '1'."""
    number = int.from_bytes(data, "big")
    digits = []
    while number:
        number, remainder = divmod(number, 58)
        digits.append(_BASE58_ALPHABET[remainder])
    zeros = len(data) - len(data.lstrip(b"\0"))
    return "1" * zeros + "".join(reversed(digits))


def base58btc_decode(text: str) -> bytes:
    """The inverse of base58btc_encode; ValueError for a character outside the alphabet."""
    number = 0
    for char in text:
        try:
            number = number * 58 + _BASE58_INDEX[char]
        except KeyError:
            raise ValueError(f"{char!r} is not a base58-btc character") from None
    zeros = len(text) - len(text.lstrip("1"))
    body = number.to_bytes((number.bit_length() + 7) // 8, "big")
    return b"\0" * zeros + body


def multibase_base58btc(data: bytes) -> str:
    return "z" + base58btc_encode(data)


def from_multibase_base58btc(text: str) -> bytes:
    if not isinstance(text, str) or not text.startswith("z"):
        raise ValueError("a base58-btc multibase value starts with 'z'")
    return base58btc_decode(text[1:])


# --- keys -----------------------------------------------------------------------------------


def generate_signing_key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.generate()


def signing_key_to_text(key: Ed25519PrivateKey) -> str:
    """The private key for configuration (BADGE_SIGNING_KEY): a Multikey secretKeyMultibase."""
    return multibase_base58btc(_ED25519_SECRET_HEADER + key.private_bytes_raw())


def signing_key_from_text(text: str) -> Ed25519PrivateKey:
    """The private key from signing_key_to_text's form; KeyFormatError if it is not one."""
    try:
        raw = from_multibase_base58btc(text.strip())
    except (ValueError, AttributeError):
        raw = b""
    if len(raw) != len(_ED25519_SECRET_HEADER) + _KEY_BYTES or not raw.startswith(
        _ED25519_SECRET_HEADER
    ):
        raise KeyFormatError(
            "a badge signing key is an Ed25519 Multikey secret key: 'z' followed by "
            "base58-btc text (about 50 characters, starting 'z3u2')"
        )
    return Ed25519PrivateKey.from_private_bytes(raw[len(_ED25519_SECRET_HEADER) :])


def public_key_multibase(key: Ed25519PublicKey | Ed25519PrivateKey) -> str:
    """The Multikey `publicKeyMultibase` of a key (of the public half of a private key)."""
    if isinstance(key, Ed25519PrivateKey):
        key = key.public_key()
    raw = key.public_bytes(Encoding.Raw, PublicFormat.Raw)
    return multibase_base58btc(_ED25519_PUBLIC_HEADER + raw)


def public_key_from_multibase(text: str) -> Ed25519PublicKey:
    """The Ed25519 key of a Multikey `publicKeyMultibase`; KeyFormatError if it is not one."""
    try:
        raw = from_multibase_base58btc(text)
    except ValueError:
        raw = b""
    if len(raw) != len(_ED25519_PUBLIC_HEADER) + _KEY_BYTES or not raw.startswith(
        _ED25519_PUBLIC_HEADER
    ):
        raise KeyFormatError("not an Ed25519 Multikey public key ('z6Mk…')")
    return Ed25519PublicKey.from_public_bytes(raw[len(_ED25519_PUBLIC_HEADER) :])


def verification_method(
    method_id: str, controller: str, key: Ed25519PublicKey | Ed25519PrivateKey
) -> dict:
    """The Multikey document a verifier gets when it dereferences a proof's
    `verificationMethod` (`method_id`); `controller` is the document that lists the key."""
    return {
        "@context": MULTIKEY_V1_CONTEXT,
        "id": method_id,
        "type": "Multikey",
        "controller": controller,
        "publicKeyMultibase": public_key_multibase(key),
    }


# --- proofs ---------------------------------------------------------------------------------


# Digests of canonical proof options by their JSON text. Options differ only by key, time and
# context, so every credential an import (or a recompute chunk) signs has the same ones:
# canonicalizing them once saves about a fifth of each signature.
_options_digests: dict[str, bytes] = {}


def _options_digest(options: dict) -> bytes:
    text = json.dumps(options, sort_keys=True, separators=(",", ":"))
    digest = _options_digests.get(text)
    if digest is None:
        digest = hashlib.sha256(canonicalize(options).encode()).digest()
        if len(_options_digests) >= 64:
            _options_digests.clear()
        _options_digests[text] = digest
    return digest


def _hash_data(document: dict, proof_options: dict) -> bytes:
    """SHA-256 of the canonical proof options, then of the canonical unsecured document."""
    options = {"@context": document["@context"], **proof_options}
    options.pop("proofValue", None)
    unsecured = {key: value for key, value in document.items() if key != "proof"}
    return _options_digest(options) + hashlib.sha256(canonicalize(unsecured).encode()).digest()


def sign(
    document: dict, key: Ed25519PrivateKey, verification_method_url: str, created: datetime
) -> dict:
    """A copy of `document` with an eddsa-rdfc-2022 Data Integrity proof.

    `verification_method_url` is where verifiers find the public key (a Multikey document);
    `created` is the proof's creation time (timezone-aware).
    """
    if "proof" in document:
        raise ValueError("the document already has a proof")
    proof = {
        "type": PROOF_TYPE,
        "created": date_time_stamp(created),
        "verificationMethod": verification_method_url,
        "cryptosuite": CRYPTOSUITE,
        "proofPurpose": PROOF_PURPOSE,
    }
    signature = key.sign(_hash_data(document, proof))
    signed = copy.deepcopy(document)
    signed["proof"] = {**proof, "proofValue": multibase_base58btc(signature)}
    return signed


@dataclass(frozen=True)
class ProofCheck:
    """The outcome of checking one document's proof."""

    verified: bool
    reason: str = ""  # why not, for logs and tests; empty when verified
    verification_method: str = ""


def verify(document: dict, trusted_keys: Mapping[str, Ed25519PublicKey]) -> ProofCheck:
    """Check a document's eddsa-rdfc-2022 proof against the keys the verifier trusts.

    `trusted_keys` maps verification method URLs to public keys: the issuer's published
    keys, old ones included. A proof naming any other key is not verified, whatever it says.
    """
    proof = document.get("proof")
    if not isinstance(proof, dict):
        return ProofCheck(False, "the document has no single proof")
    method = proof.get("verificationMethod")
    expected = {"type": PROOF_TYPE, "cryptosuite": CRYPTOSUITE, "proofPurpose": PROOF_PURPOSE}
    for name, value in expected.items():
        if proof.get(name) != value:
            return ProofCheck(False, f"proof {name} is not {value!r}", method or "")
    if not is_date_time_stamp(proof.get("created")):
        return ProofCheck(False, "proof created is not a date-time with a time zone", method)
    if not isinstance(method, str) or method not in trusted_keys:
        return ProofCheck(False, "the proof names a key that is not trusted", method or "")
    try:
        signature = from_multibase_base58btc(proof.get("proofValue"))
    except ValueError:
        return ProofCheck(False, "proofValue is not base58-btc multibase", method)
    if len(signature) != _SIGNATURE_BYTES:
        return ProofCheck(False, "proofValue is not an Ed25519 signature", method)
    try:
        data = _hash_data(document, proof)
    except (ValueError, KeyError, JsonLdError) as error:
        return ProofCheck(False, f"the document cannot be canonicalized: {error}", method)
    try:
        trusted_keys[method].verify(signature, data)
    except InvalidSignature:
        return ProofCheck(False, "the signature does not match the document", method)
    return ProofCheck(True, "", method)
