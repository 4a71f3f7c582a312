"""Small encoding helpers shared by the offline layers: hex, blake2, twox, SCALE compact integers.

Kept dependency-free and tiny on purpose; the full SCALE codec (scalecodec) is only loaded where
runtime metadata is involved.
"""

from __future__ import annotations

import hashlib

from fennel_gov.errors import BadInput


def blake2_256(data: bytes) -> bytes:
    return hashlib.blake2b(data, digest_size=32).digest()


def blake2_128(data: bytes) -> bytes:
    return hashlib.blake2b(data, digest_size=16).digest()


def twox128(data: bytes) -> bytes:
    """Substrate's ``twox_128``: xxHash64 with seeds 0 and 1, each little-endian (storage prefixes)."""
    import xxhash

    return xxhash.xxh64(data, seed=0).digest()[::-1] + xxhash.xxh64(data, seed=1).digest()[::-1]


def to_hex(data: bytes) -> str:
    return "0x" + data.hex()


def from_hex(text: str, *, what: str, length: int | None = None) -> bytes:
    """Decode ``0x``-prefixed (or bare) hex, naming ``what`` in the error."""
    body = text.strip()
    if body[:2] in ("0x", "0X"):
        body = body[2:]
    try:
        data = bytes.fromhex(body)
    except ValueError:
        raise BadInput(f"{what} is not valid hex; expected 0x followed by hex digits") from None
    if length is not None and len(data) != length:
        raise BadInput(f"{what} must be {length} bytes, got {len(data)}")
    return data


def require_hex(text: object, what: str) -> bytes:
    """Decode strictly ``0x``-prefixed hex (as chain specs and tx files write it), naming ``what``."""
    if not isinstance(text, str) or not text.startswith("0x"):
        raise BadInput(f"{what} is not 0x-prefixed hex")
    try:
        return bytes.fromhex(text[2:])
    except ValueError:
        raise BadInput(f"{what} is not valid hex") from None


def encode_compact(value: int) -> bytes:
    """SCALE compact encoding of a non-negative integer."""
    if value < 0:
        raise ValueError("compact integers are unsigned")
    if value < 1 << 6:
        return bytes([value << 2])
    if value < 1 << 14:
        return ((value << 2) | 0b01).to_bytes(2, "little")
    if value < 1 << 30:
        return ((value << 2) | 0b10).to_bytes(4, "little")
    body = value.to_bytes((value.bit_length() + 7) // 8, "little")
    return bytes([((len(body) - 4) << 2) | 0b11]) + body


def decode_compact(data: bytes, offset: int = 0) -> tuple[int, int]:
    """Decode a SCALE compact integer at ``offset``; returns (value, new offset)."""
    if offset >= len(data):
        raise ValueError("compact integer: no data")
    mode = data[offset] & 0b11
    if mode == 0:
        return data[offset] >> 2, offset + 1
    if mode == 1:
        return int.from_bytes(data[offset : offset + 2], "little") >> 2, offset + 2
    if mode == 2:
        return int.from_bytes(data[offset : offset + 4], "little") >> 2, offset + 4
    size = (data[offset] >> 2) + 4
    end = offset + 1 + size
    if end > len(data):
        raise ValueError("compact integer: truncated")
    return int.from_bytes(data[offset + 1 : end], "little"), end


def encode_bytes(data: bytes) -> bytes:
    """SCALE encoding of a byte vector (or a str's UTF-8): compact length, then the bytes."""
    return encode_compact(len(data)) + data
