"""JSON-LD for credentials: the contexts the portal ships and RDF canonicalization.

Every context a credential names is a file in `certportal/data/jsonld/`; the document loader
serves only those and refuses any other URL, so signing and verifying never reach the
network and a credential cannot make the portal fetch anything.

Canonicalization is strict like the JavaScript verifiers' "safe mode": a property or type
the contexts do not define would be dropped silently from the signed data, so it is an error
here instead of a signature over less than the document says.
"""

import json
import re
from datetime import UTC, datetime
from functools import cache
from pathlib import Path

from cachetools import LRUCache
from pyld.context_resolver import ContextResolver
from pyld.jsonld import JsonLdError, JsonLdProcessor

CONTEXTS_DIR = Path(__file__).resolve().parent.parent / "data" / "jsonld"

VC_V2_CONTEXT = "https://www.w3.org/ns/credentials/v2"
OB_V3P0_CONTEXT = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
CLR_V2P0_CONTEXT = "https://purl.imsglobal.org/spec/clr/v2p0/context-2.0.1.json"
DID_V1_CONTEXT = "https://www.w3.org/ns/did/v1"
MULTIKEY_V1_CONTEXT = "https://w3id.org/security/multikey/v1"

# URL -> file in CONTEXTS_DIR. Where each file comes from is in that folder's SOURCES.md;
# a context must never be edited, or credentials signed with it stop verifying elsewhere.
CONTEXT_FILES = {
    VC_V2_CONTEXT: "credentials-v2.jsonld",
    OB_V3P0_CONTEXT: "ob-v3p0-context-3.0.3.json",
    CLR_V2P0_CONTEXT: "clr-v2p0-context-2.0.1.json",
    DID_V1_CONTEXT: "did-v1.jsonld",
    MULTIKEY_V1_CONTEXT: "multikey-v1.jsonld",
}

# xsd:dateTimeStamp: a date-time with a time zone, as VC 2.0 and Data Integrity require.
_DATE_TIME_STAMP = re.compile(r"-?\d{4,}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)\Z")

_CANONICALIZATION = {"algorithm": "URDNA2015", "format": "application/n-quads"}


class UnknownDocumentError(JsonLdError):
    """A document named a context (or other URL) that the portal does not ship."""

    def __init__(self, url: str):
        super().__init__(
            f"JSON-LD document {url!r} is not one of the shipped contexts; "
            "documents are never fetched from the network",
            "jsonld.LoadDocumentError",
            {"url": url},
            code="loading document failed",
        )
        self.url = url


class UndefinedTermError(ValueError):
    """The document uses a term or type its contexts do not define."""


@cache
def shipped_context(url: str) -> dict:
    """The parsed context document for one of CONTEXT_FILES' URLs."""
    try:
        name = CONTEXT_FILES[url]
    except KeyError:
        raise UnknownDocumentError(url) from None
    return json.loads((CONTEXTS_DIR / name).read_text(encoding="utf-8"))


def document_loader(url: str, options: dict | None = None) -> dict:
    """A pyld document loader serving only the shipped contexts; any other URL raises."""
    return {
        "contentType": "application/ld+json",
        "contextUrl": None,
        "documentUrl": url,
        "document": shipped_context(url),
        "tag": "static",  # the file never changes: pyld may keep its processed form
    }


# Resolved contexts are cached across calls (processing them dominates a small document);
# the cache is the portal's own, so nothing another pyld user resolved can leak in. (cachetools
# comes with pyld, which uses this class for its own cache.)
_resolved_contexts = LRUCache(maxsize=64)


def _refuse_dropped(expanded_property) -> None:
    raise UndefinedTermError(
        f"property {expanded_property!r} is not defined by the document's contexts"
    )


def _is_absolute_or_blank(iri: str) -> bool:
    return iri.startswith("_:") or ":" in iri


def _check_identifiers(node) -> None:
    """Every @type and @id in expanded JSON-LD is an absolute IRI or a blank node."""
    if isinstance(node, list):
        for item in node:
            _check_identifiers(item)
        return
    if not isinstance(node, dict):
        return
    for key, value in node.items():
        if key == "@type" and "@value" not in node:
            for type_ in value if isinstance(value, list) else [value]:
                if not _is_absolute_or_blank(type_):
                    raise UndefinedTermError(f"type {type_!r} is not defined by the contexts")
        elif key == "@id" and not _is_absolute_or_blank(value):
            raise UndefinedTermError(f"identifier {value!r} is not an absolute IRI")
        elif key != "@value":
            _check_identifiers(value)


def canonicalize(document: dict) -> str:
    """RDF Dataset Canonicalization (RDFC-1.0 / URDNA2015) of a JSON-LD document, as N-Quads.

    Raises UnknownDocumentError for a context the portal does not ship and
    UndefinedTermError for a property or type the contexts do not define.
    """
    resolver = ContextResolver(_resolved_contexts, document_loader)
    # No base IRI: pyld would otherwise resolve a relative id or type against a made-up one
    # (http://example.org/base/) and sign it as if the document had said so.
    options = {"documentLoader": document_loader, "contextResolver": resolver, "base": None}
    processor = JsonLdProcessor(on_property_dropped=_refuse_dropped)
    try:
        expanded = processor.expand(document, dict(options))
        _check_identifiers(expanded)
        # Normalizing the expanded form skips a second pass through the contexts, which is
        # most of the work; the RDF dataset is the same.
        return processor.normalize(expanded, {**options, **_CANONICALIZATION})
    except JsonLdError as error:
        cause = error
        while cause is not None and not isinstance(cause, UnknownDocumentError):
            cause = cause.__cause__
        raise (cause or error) from None


def date_time_stamp(moment: datetime) -> str:
    """An aware datetime as xsd:dateTimeStamp in UTC to the second: 2025-03-01T00:00:00Z."""
    if moment.tzinfo is None:
        raise ValueError("credential times must be timezone-aware")
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def is_date_time_stamp(value) -> bool:
    return isinstance(value, str) and _DATE_TIME_STAMP.match(value) is not None


def parse_date_time_stamp(value: str) -> datetime:
    """The aware datetime of an xsd:dateTimeStamp; ValueError if it is not one."""
    if not is_date_time_stamp(value):
        raise ValueError(f"{value!r} is not a date-time with a time zone")
    return datetime.fromisoformat(value)
