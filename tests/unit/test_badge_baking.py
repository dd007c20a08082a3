"""Baking a credential into PNG and SVG badge images, and reading it back."""

import io
import json
import struct
import zlib
from xml.etree import ElementTree

import pytest
from PIL import Image

from certportal.documents import artwork, badges
from certportal.documents.badges import BadgeFileError, NotBakedError
from tests.credential_samples import signed_badge


def png_image(width=64, height=48) -> bytes:
    image = Image.new("RGBA", (width, height), (29, 92, 150, 255))
    image.putpixel((3, 5), (255, 200, 0, 128))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def chunks(png: bytes) -> list[tuple[bytes, bytes]]:
    found, offset = [], 8
    while offset < len(png):
        (length,) = struct.unpack_from(">I", png, offset)
        found.append((png[offset + 4 : offset + 8], png[offset + 8 : offset + 8 + length]))
        offset += 12 + length
    return found


@pytest.fixture
def badge():
    return signed_badge()


def logo_svg() -> str:
    return artwork.logo_svg("CCNA", "CCNA", "Cisco Certified Network Associate", "Cisco")


# --- PNG ------------------------------------------------------------------------------------


def test_png_bake_then_unbake_gives_the_same_credential(badge):
    baked = badges.bake_png(png_image(), badge)

    assert json.loads(badges.unbake_png(baked)) == badge


def test_the_baked_png_still_shows_the_same_picture(badge):
    original = png_image()
    baked = badges.bake_png(original, badge)

    with Image.open(io.BytesIO(baked)) as image:
        image.load()  # decodes every pixel; a broken chunk layout would raise here
        baked_pixels = image.tobytes()
        size = image.size
    with Image.open(io.BytesIO(original)) as image:
        assert size == image.size
        assert baked_pixels == image.tobytes()


def test_the_credential_is_an_uncompressed_itxt_chunk_just_before_iend(badge):
    baked_chunks = chunks(badges.bake_png(png_image(), badge))

    (kind, data), (last, _) = baked_chunks[-2], baked_chunks[-1]
    assert (kind, last) == (b"iTXt", b"IEND")
    keyword, rest = data.split(b"\0", 1)
    assert keyword == b"openbadgecredential"
    assert rest[:2] == b"\0\0", "compression flag and method must be 0"
    language, translated, text = rest[2:].split(b"\0", 2)
    assert (language, translated) == (b"", b"")
    assert json.loads(text.decode("utf-8")) == badge


def test_baking_again_replaces_the_credential(badge):
    other = signed_badge("CCNP", 8)
    twice = badges.bake_png(badges.bake_png(png_image(), badge), other)

    credential_chunks = [data for kind, data in chunks(twice) if kind == b"iTXt"]
    assert len(credential_chunks) == 1
    assert json.loads(badges.unbake_png(twice)) == other


def test_a_compressed_credential_chunk_is_read_too(badge):
    text = badges.credential_text(badge).encode()
    data = b"openbadgecredential\0\1\0\0\0" + zlib.compress(text)
    crc = zlib.crc32(b"iTXt" + data)
    chunk = struct.pack(">I", len(data)) + b"iTXt" + data + struct.pack(">I", crc)
    png = png_image()
    baked = png[:-12] + chunk + png[-12:]

    assert json.loads(badges.unbake_png(baked)) == badge


def test_a_plain_png_has_no_credential():
    with pytest.raises(NotBakedError):
        badges.unbake_png(png_image())


@pytest.mark.parametrize(
    "damage",
    [
        lambda png: b"GIF89a" + png[6:],
        lambda png: png[:-20],
        lambda png: png[:40] + bytes([png[40] ^ 0xFF]) + png[41:],
    ],
    ids=["not a png", "truncated", "corrupted chunk"],
)
def test_a_damaged_png_is_an_error(badge, damage):
    baked = badges.bake_png(png_image(), badge)

    with pytest.raises(BadgeFileError):
        badges.unbake_png(damage(baked))


def test_a_real_logo_png_carries_a_credential(badge):
    pytest.importorskip("cairosvg")
    try:
        png = artwork.svg_to_png(logo_svg(), width=120)
    except OSError:
        pytest.skip("libcairo is not installed")

    assert json.loads(badges.unbake_png(badges.bake_png(png, badge))) == badge


# --- SVG ------------------------------------------------------------------------------------


def test_svg_bake_then_unbake_gives_the_same_credential(badge):
    baked = badges.bake_svg(logo_svg(), badge)

    assert json.loads(badges.unbake_svg(baked)) == badge


def test_the_credential_is_the_first_child_in_the_open_badges_namespace(badge):
    baked = badges.bake_svg(logo_svg(), badge)
    root = ElementTree.fromstring(baked)  # noqa: S314 (our own output)

    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    assert root[0].tag == "{https://purl.imsglobal.org/ob/v3p0}credential"
    assert 'xmlns:openbadges="https://purl.imsglobal.org/ob/v3p0"' in baked
    assert "<openbadges:credential><![CDATA[{" in baked
    # The drawing itself is untouched: every original element is still there, in order.
    original = ElementTree.fromstring(logo_svg())  # noqa: S314 (our own artwork)
    assert [child.tag for child in root[1:]] == [child.tag for child in original]


def test_a_credential_containing_the_cdata_terminator_survives(badge):
    badge["name"] = "Tricky ]]> name"

    baked = badges.bake_svg(logo_svg(), badge)

    assert json.loads(badges.unbake_svg(baked)) == badge


def test_baking_an_svg_again_replaces_the_credential(badge):
    other = signed_badge("CCNP", 8)
    twice = badges.bake_svg(badges.bake_svg(logo_svg(), badge), other)

    assert twice.count("<openbadges:credential>") == 1
    assert json.loads(badges.unbake_svg(twice)) == other


def test_an_empty_svg_element_gets_a_body(badge):
    baked = badges.bake_svg('<svg xmlns="http://www.w3.org/2000/svg" width="10"/>', badge)

    assert json.loads(badges.unbake_svg(baked)) == badge


def test_a_plain_svg_has_no_credential():
    with pytest.raises(NotBakedError):
        badges.unbake_svg(logo_svg())


@pytest.mark.parametrize(
    "svg",
    [
        '<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY x "y">]><svg xmlns="http://www.w3.org/2000/svg">&x;</svg>',
        "<svg xmlns='http://www.w3.org/2000/svg'><g></svg>",
        "not xml at all",
    ],
    ids=["doctype with entities", "not well formed", "not xml"],
)
def test_an_unsafe_or_broken_svg_is_an_error(svg, badge):
    with pytest.raises(BadgeFileError):
        badges.unbake_svg(svg)
    with pytest.raises(BadgeFileError):
        badges.bake_svg(svg, badge)
