"""W3C Bitstring Status List: which issued credentials are revoked, as one published bitstring.

Each credential names a position (`statusListIndex`) in a list; the list credential carries
the bits GZIP-compressed, base64url-encoded without padding, with the multibase prefix `u`.
Bit 0 is the most significant bit of the first byte. A list has at least 131,072 positions
(16 KB uncompressed), so a revoked credential hides among many.
"""

import base64
import gzip
import zlib
from collections.abc import Iterable

MINIMUM_LENGTH = 131_072
# Decompressing a list fetched from elsewhere must not be a way to exhaust memory.
MAXIMUM_BYTES = 16 * 1024 * 1024


class StatusListError(ValueError):
    """An encoded list that is not a valid Bitstring Status List."""


def encode(set_positions: Iterable[int], length: int = MINIMUM_LENGTH) -> str:
    """The `encodedList` of a list of `length` bits with `set_positions` set (1)."""
    if length < MINIMUM_LENGTH or length % 8:
        raise ValueError(f"a status list has a multiple of 8 and at least {MINIMUM_LENGTH} bits")
    bits = bytearray(length // 8)
    for position in set_positions:
        if not 0 <= position < length:
            raise ValueError(f"position {position} is outside a list of {length}")
        bits[position // 8] |= 0x80 >> (position % 8)
    compressed = gzip.compress(bytes(bits), compresslevel=9, mtime=0)
    return "u" + base64.urlsafe_b64encode(compressed).rstrip(b"=").decode("ascii")


def decode(encoded_list: str) -> bytes:
    """The uncompressed bitstring of an `encodedList`; StatusListError if it is not one."""
    if not isinstance(encoded_list, str) or not encoded_list.startswith("u"):
        raise StatusListError("encodedList is base64url multibase and starts with 'u'")
    body = encoded_list[1:]
    try:
        compressed = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
        inflater = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)  # gzip framing
        bits = inflater.decompress(compressed, MAXIMUM_BYTES)
    except (ValueError, zlib.error) as error:
        raise StatusListError(f"encodedList is not GZIP data in base64url: {error}") from None
    if inflater.unconsumed_tail or not inflater.eof:
        raise StatusListError("encodedList is truncated or larger than a status list may be")
    if len(bits) * 8 < MINIMUM_LENGTH:
        raise StatusListError(f"a status list has at least {MINIMUM_LENGTH} bits")
    return bits


def is_set(bits: bytes, position: int) -> bool:
    """Whether the bit at `position` of a decoded list is 1; IndexError past its end."""
    if not 0 <= position < len(bits) * 8:
        raise IndexError(f"position {position} is outside a list of {len(bits) * 8}")
    return bool(bits[position // 8] & (0x80 >> (position % 8)))
