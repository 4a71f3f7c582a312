"""SS58 addresses: every prefix (0–16383, one- and two-byte forms), checksums, network names.

The format (https://docs.substrate.io/reference/address-formats/): base58 of
``prefix || payload || blake2b-512("SS58PRE" || prefix || payload)[:checksum_len]``.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from fennel_gov.errors import InvalidAddress, quote

_ALPHABET = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_INDEX = {c: i for i, c in enumerate(_ALPHABET)}
_RESERVED = frozenset({46, 47})
MAX_PREFIX = 16383

# Network names as subkey prints them (ss58-registry); fennel uses the generic 42.
NETWORKS: dict[str, int] = {
    "polkadot": 0,
    "kusama": 2,
    "westend": 42,
    "substrate": 42,
    "fennel": 42,
}
_NAME_FOR_PREFIX = {0: "polkadot", 2: "kusama", 42: "substrate"}

# Checksum length per payload length (sp-core accepts these account/key sizes).
_CHECKSUM_LENGTHS = {1: 1, 2: 1, 4: 1, 8: 1, 32: 2, 33: 2}


def b58encode(data: bytes) -> str:
    number = int.from_bytes(data, "big")
    out = []
    while number:
        number, rem = divmod(number, 58)
        out.append(_ALPHABET[rem])
    leading = len(data) - len(data.lstrip(b"\0"))
    return "1" * leading + "".join(reversed(out))


def b58decode(text: str) -> bytes:
    number = 0
    for char in text:
        try:
            number = number * 58 + _INDEX[char]
        except KeyError:
            raise ValueError(f"{char!r} is not a base58 character") from None
    body = number.to_bytes((number.bit_length() + 7) // 8, "big") if number else b""
    leading = len(text) - len(text.lstrip("1"))
    return b"\0" * leading + body


def network_prefix(network: str | int) -> int:
    """Resolve a network name or number to its SS58 prefix."""
    if isinstance(network, int) or str(network).isdigit():
        prefix = int(network)
        if not 0 <= prefix <= MAX_PREFIX or prefix in _RESERVED:
            raise InvalidAddress(
                f"SS58 prefix {prefix} is not usable; use 0–{MAX_PREFIX} except the reserved 46 and 47"
            )
        return prefix
    try:
        return NETWORKS[str(network).lower()]
    except KeyError:
        known = ", ".join(sorted(NETWORKS))
        raise InvalidAddress(
            f"unknown network {quote(network)}; use one of {known} or a prefix number"
        ) from None


def network_name(prefix: int) -> str:
    """The name subkey prints as ``networkId`` for a prefix."""
    return _NAME_FOR_PREFIX.get(prefix, str(prefix))


def _checksum(data: bytes, length: int) -> bytes:
    return hashlib.blake2b(b"SS58PRE" + data, digest_size=64).digest()[:length]


def _prefix_bytes(prefix: int) -> bytes:
    if prefix < 64:
        return bytes([prefix])
    first = ((prefix & 0b1111_1100) >> 2) | 0b0100_0000
    second = (prefix >> 8) | ((prefix & 0b11) << 6)
    return bytes([first, second])


def encode(payload: bytes, prefix: int = 42) -> str:
    """Encode a public key or account id under ``prefix``."""
    if not 0 <= prefix <= MAX_PREFIX or prefix in _RESERVED:
        raise InvalidAddress(f"SS58 prefix {prefix} is not usable")
    if len(payload) not in _CHECKSUM_LENGTHS:
        raise InvalidAddress(f"SS58 payloads are 1, 2, 4, 8, 32 or 33 bytes, not {len(payload)}")
    body = _prefix_bytes(prefix) + payload
    return b58encode(body + _checksum(body, _CHECKSUM_LENGTHS[len(payload)]))


@dataclass(frozen=True)
class Address:
    """A decoded SS58 address."""

    payload: bytes
    prefix: int


def decode(address: str, *, expect_prefix: int | None = None) -> Address:
    """Decode and verify an SS58 address; every way it can be bad ends in InvalidAddress."""
    text = address.strip()
    shown = quote(text)  # never the whole input: it may be long, or a secret pasted by mistake
    if len(text) > 64:  # the longest SS58 address (2-byte prefix, 33-byte key) is 50 characters
        raise InvalidAddress(f"{shown} is too long to be an SS58 address")
    try:
        data = b58decode(text)
    except ValueError as exc:
        raise InvalidAddress(f"{shown} is not an SS58 address: {exc}") from None
    if len(data) < 2:
        raise InvalidAddress(f"{shown} is too short to be an SS58 address")
    if data[0] < 64:
        prefix, prefix_len = data[0], 1
    elif data[0] < 128:
        lower = ((data[0] << 2) | (data[1] >> 6)) & 0xFF
        upper = data[1] & 0b0011_1111
        prefix, prefix_len = lower | (upper << 8), 2
    else:
        raise InvalidAddress(f"{shown} is not an SS58 address: invalid prefix byte")
    if prefix in _RESERVED:
        raise InvalidAddress(f"{shown} uses reserved SS58 prefix {prefix}")
    body_len = len(data) - prefix_len
    payload_len = next(
        (n for n, c in _CHECKSUM_LENGTHS.items() if n + c == body_len),
        None,
    )
    if payload_len is None:
        raise InvalidAddress(f"{shown} has the wrong length for an SS58 address")
    checksum_len = _CHECKSUM_LENGTHS[payload_len]
    body, checksum = data[:-checksum_len], data[-checksum_len:]
    if _checksum(body, checksum_len) != checksum:
        raise InvalidAddress(f"{shown} has a wrong SS58 checksum; check it for a typo")
    if expect_prefix is not None and prefix != expect_prefix:
        raise InvalidAddress(
            f"{shown} is an address for network prefix {prefix}, expected {expect_prefix}"
            f" ({network_name(expect_prefix)}); re-encode it for this network"
        )
    return Address(payload=body[prefix_len:], prefix=prefix)
