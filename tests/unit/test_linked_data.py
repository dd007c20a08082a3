"""JSON-LD canonicalization: the spec's test vectors, shipped contexts only, strict terms."""

import json
from pathlib import Path

import pytest

from certportal.domain import linked_data
from certportal.domain.linked_data import (
    OB_V3P0_CONTEXT,
    VC_V2_CONTEXT,
    UndefinedTermError,
    UnknownDocumentError,
    canonicalize,
)

VECTORS = Path(__file__).resolve().parents[1] / "data" / "openbadges" / "test-vectors" / "obv3p0"
SPEC_KEY_URL = "https://example.edu/issuers/565049#z6MkjZRZv3aez3r18pB1RBFJR1kwUVJ5jHt92JmQwXbd5hwi"


def test_the_spec_credential_canonicalizes_to_the_spec_vector():
    credential = json.loads((VECTORS / "credential.json").read_text())

    assert canonicalize(credential) == (VECTORS / "document-canon.txt").read_text()


def test_the_spec_proof_options_canonicalize_to_the_spec_vector():
    proof_options = {
        "@context": [VC_V2_CONTEXT, OB_V3P0_CONTEXT],
        "type": "DataIntegrityProof",
        "created": "2010-01-01T19:23:24Z",
        "verificationMethod": SPEC_KEY_URL,
        "cryptosuite": "eddsa-rdfc-2022",
        "proofPurpose": "assertionMethod",
    }

    assert canonicalize(proof_options) == (VECTORS / "proof-canon.txt").read_text()


def test_every_shipped_context_is_valid_json_ld_with_a_context():
    for url in linked_data.CONTEXT_FILES:
        assert "@context" in linked_data.shipped_context(url), url


def test_an_unknown_context_is_an_error_not_a_request(monkeypatch):
    def no_network(*args, **kwargs):
        raise AssertionError("the loader tried the network")

    monkeypatch.setattr("socket.create_connection", no_network)
    document = {"@context": "https://contexts.example/evil.jsonld", "name": "x"}

    with pytest.raises(UnknownDocumentError) as raised:
        canonicalize(document)
    assert raised.value.url == "https://contexts.example/evil.jsonld"


def test_the_loader_serves_only_shipped_files():
    assert linked_data.document_loader(VC_V2_CONTEXT)["document"]["@context"]
    with pytest.raises(UnknownDocumentError):
        linked_data.document_loader("file:///etc/passwd")


@pytest.mark.parametrize(
    "document",
    [
        {"@context": VC_V2_CONTEXT, "type": "VerifiableCredential", "nmae": "typo"},
        {"@context": VC_V2_CONTEXT, "type": "VerifiableCredentail"},
        {"@context": VC_V2_CONTEXT, "id": "relative/path", "name": "x"},
    ],
    ids=["undefined property", "undefined type", "relative id"],
)
def test_what_the_contexts_do_not_define_is_refused_rather_than_dropped(document):
    with pytest.raises(UndefinedTermError):
        canonicalize(document)


def test_date_time_stamps_need_a_time_zone():
    assert linked_data.is_date_time_stamp("2025-03-01T00:00:00Z")
    assert linked_data.is_date_time_stamp("2025-03-01T00:00:00.5+02:00")
    assert not linked_data.is_date_time_stamp("2025-03-01T00:00:00")
    assert not linked_data.is_date_time_stamp("2025-03-01")
