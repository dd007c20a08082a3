"""Baked badges: an Open Badges 3.0 credential carried inside its own PNG or SVG image.

Open Badges 3.0 "Badge Baking":
- PNG: an `iTXt` chunk with keyword `openbadgecredential`, uncompressed (compression flag
  0), no language tag or translated keyword, the credential's JSON as UTF-8 text, placed
  before `IEND`. A PNG already holding one has it replaced: one image, one credential.
- SVG: an `openbadges:credential` element, the first child of the root `svg` element, in the
  namespace `https://purl.imsglobal.org/ob/v3p0`, with the credential's JSON in CDATA.

Unbaking reads the credential back (a future "verify a badge file" upload uses it too), so
it treats the file as untrusted: chunk CRCs are checked and SVGs with a DOCTYPE are refused.
"""

import json
import re
import struct
import zlib
from xml.etree import ElementTree
from xml.parsers import expat

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
PNG_KEYWORD = b"openbadgecredential"
SVG_NAMESPACE = "https://purl.imsglobal.org/ob/v3p0"
SVG_ELEMENT = f"{{{SVG_NAMESPACE}}}credential"
# A baked credential is a few kilobytes; anything much larger in an upload is not one.
MAXIMUM_TEXT_BYTES = 4 * 1024 * 1024

_START_TAG_END = re.compile(r"""(?:[^>"']|"[^"]*"|'[^']*')*>""")


class BadgeFileError(ValueError):
    """The file is not an image of the expected kind, or is damaged."""


class NotBakedError(BadgeFileError):
    """The image is valid but carries no Open Badges credential."""


def credential_text(credential: dict) -> str:
    """The credential's JSON as baked into images (compact, UTF-8 rather than \\u escapes)."""
    return json.dumps(credential, ensure_ascii=False, separators=(",", ":"))


# --- PNG ------------------------------------------------------------------------------------


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def _png_chunks(png: bytes):
    """(type, data) of each chunk, CRCs checked, ending with IEND."""
    if not png.startswith(PNG_SIGNATURE):
        raise BadgeFileError("not a PNG image")
    offset = len(PNG_SIGNATURE)
    while offset + 12 <= len(png):
        (length,) = struct.unpack_from(">I", png, offset)
        kind = png[offset + 4 : offset + 8]
        data = png[offset + 8 : offset + 8 + length]
        end = offset + 12 + length
        if len(data) != length or end > len(png):
            raise BadgeFileError("the PNG is truncated")
        (crc,) = struct.unpack_from(">I", png, end - 4)
        if crc != zlib.crc32(kind + data):
            raise BadgeFileError(f"the PNG's {kind.decode('latin-1')} chunk is damaged")
        yield kind, data
        if kind == b"IEND":
            return
        offset = end
    raise BadgeFileError("the PNG has no IEND chunk")


def _is_credential_chunk(kind: bytes, data: bytes) -> bool:
    return kind == b"iTXt" and data.split(b"\0", 1)[0] == PNG_KEYWORD


def bake_png(png: bytes, credential: dict) -> bytes:
    """The PNG with `credential` baked in (replacing any credential it already held)."""
    # keyword NUL, compression flag 0 and method 0, empty language tag NUL, empty translated
    # keyword NUL, then the text
    text = PNG_KEYWORD + b"\0" + b"\0\0" + b"\0" + b"\0" + credential_text(credential).encode()
    baked = [PNG_SIGNATURE]
    for kind, data in _png_chunks(png):
        if _is_credential_chunk(kind, data):
            continue
        if kind == b"IEND":
            baked.append(_chunk(b"iTXt", text))
        baked.append(_chunk(kind, data))
    return b"".join(baked)


def _itxt_text(data: bytes) -> str:
    try:
        _keyword, rest = data.split(b"\0", 1)
        compressed, method, rest = rest[0], rest[1], rest[2:]
        _language, _translated, text = rest.split(b"\0", 2)
    except (ValueError, IndexError):
        raise BadgeFileError("the PNG's openbadgecredential chunk is malformed") from None
    if compressed:
        if method != 0:
            raise BadgeFileError("the credential chunk uses an unknown compression")
        inflater = zlib.decompressobj()
        try:
            text = inflater.decompress(text, MAXIMUM_TEXT_BYTES)
        except zlib.error:
            raise BadgeFileError("the credential chunk's compressed text is damaged") from None
        if inflater.unconsumed_tail:
            raise BadgeFileError("the credential chunk is larger than a credential can be")
    try:
        return text.decode("utf-8")
    except UnicodeDecodeError:
        raise BadgeFileError("the credential chunk is not UTF-8 text") from None


def unbake_png(png: bytes) -> str:
    """The credential text baked into a PNG; NotBakedError if there is none."""
    for kind, data in _png_chunks(png):
        if _is_credential_chunk(kind, data):
            return _itxt_text(data)
    raise NotBakedError("the PNG carries no Open Badges credential")


# --- SVG ------------------------------------------------------------------------------------


def _refuse_doctype(svg: str) -> None:
    # Entity declarations are how XML files blow up or read local files; a badge needs none.
    if "<!DOCTYPE" in svg or "<!ENTITY" in svg:
        raise BadgeFileError("SVG badges with a DOCTYPE are not accepted")


def _element_spans(svg: bytes) -> tuple[int, int, list[tuple[int, int]]]:
    """Where the root start tag ends, where its children start, and the spans of existing
    openbadges:credential elements (byte offsets), found by a real XML parser."""
    parser = expat.ParserCreate(namespace_separator=" ")
    root_start = None
    depth = 0
    open_credentials: list[int] = []
    credential_spans: list[tuple[int, int]] = []

    def start(name, _attributes):
        nonlocal root_start, depth
        if depth == 0:
            root_start = parser.CurrentByteIndex
        elif depth == 1 and name == f"{SVG_NAMESPACE} credential":
            open_credentials.append(parser.CurrentByteIndex)
        depth += 1

    def end(name):
        nonlocal depth
        depth -= 1
        if depth == 1 and name == f"{SVG_NAMESPACE} credential" and open_credentials:
            closing = svg.index(b">", parser.CurrentByteIndex) + 1
            credential_spans.append((open_credentials.pop(), closing))

    parser.StartElementHandler = start
    parser.EndElementHandler = end
    try:
        parser.Parse(svg, True)
    except expat.ExpatError as error:
        raise BadgeFileError(f"not a well-formed SVG: {error}") from None
    if root_start is None:
        raise BadgeFileError("the SVG has no root element")
    text = svg.decode("utf-8")
    match = _START_TAG_END.match(text, len(svg[:root_start].decode("utf-8")))
    return root_start, len(text[: match.end()].encode("utf-8")), credential_spans


def _cdata(text: str) -> str:
    # "]]>" cannot appear inside CDATA: end the section there and open another.
    return "<![CDATA[" + text.replace("]]>", "]]]]><![CDATA[>") + "]]>"


def bake_svg(svg: str, credential: dict) -> str:
    """The SVG with `credential` baked in as the root's first child (replacing any other)."""
    _refuse_doctype(svg)
    data = svg.encode("utf-8")
    root_start, tag_end, old_credentials = _element_spans(data)
    for start, end in reversed(old_credentials):
        data = data[:start] + data[end:]
    start_tag = data[root_start:tag_end].decode("utf-8")
    if start_tag.endswith("/>"):  # an empty <svg/> gets a body to hold the credential
        start_tag, closing = start_tag[:-2].rstrip() + ">", "</svg>"
    else:
        closing = ""
    if f'xmlns:openbadges="{SVG_NAMESPACE}"' not in start_tag:
        start_tag = start_tag[:-1] + f' xmlns:openbadges="{SVG_NAMESPACE}">'
    element = (
        f"<openbadges:credential>{_cdata(credential_text(credential))}</openbadges:credential>"
    )
    return (
        data[:root_start].decode("utf-8")
        + start_tag
        + element
        + closing
        + data[tag_end:].decode("utf-8")
    )


def unbake_svg(svg: str) -> str:
    """The credential text baked into an SVG; NotBakedError if there is none."""
    _refuse_doctype(svg)
    try:
        root = ElementTree.fromstring(svg)  # noqa: S314 (no DOCTYPE: no entities to expand)
    except ElementTree.ParseError as error:
        raise BadgeFileError(f"not a well-formed SVG: {error}") from None
    element = root.find(SVG_ELEMENT)
    if element is None or not (element.text or "").strip():
        raise NotBakedError("the SVG carries no Open Badges credential")
    return element.text.strip()
