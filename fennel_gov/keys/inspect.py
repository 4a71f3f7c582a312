"""Public keys as operators type them: an SS58 address or hex, optionally with soft junctions."""

from __future__ import annotations

from fennel_gov._codec import from_hex
from fennel_gov.errors import BadInput, InvalidAddress
from fennel_gov.keys import ss58
from fennel_gov.keys.schemes import Scheme, account_id, derive_public
from fennel_gov.keys.suri import Junction


def is_seed_like(text: str) -> bool:
    """Whether ``text`` is what subkey's ``inspect`` reads as a secret seed rather than a public key:
    ``0x`` and 32 bytes of hex (``Pair::from_string_with_seed`` is tried before the public-key
    parsers; other hex lengths, such as a 33-byte ecdsa key, fall through to them)."""
    head = text.strip().partition("/")[0]
    body = head[2:] if head[:2] in ("0x", "0X") else None
    return body is not None and len(body) == 64 and all(c in "0123456789abcdefABCDEF" for c in body)


def parse_public(text: str, scheme: Scheme) -> tuple[bytes, int | None]:
    """A public key from an SS58 address or hex, optionally followed by soft junctions (sr25519).

    Returns (public key, the address's prefix or None for hex).
    """
    head, _, path = text.strip().partition("/")
    junctions = tuple(Junction.parse(j) for j in path.split("/")) if path else ()
    if head[:2] in ("0x", "0X"):
        public = from_hex(head, what="the public key")
        prefix = None
    else:
        decoded = ss58.decode(head)
        public, prefix = decoded.payload, decoded.prefix
    if len(public) != scheme.public_length:
        if scheme is Scheme.ECDSA and len(public) == 32:
            raise InvalidAddress("that is a 32-byte account id; an ecdsa public key is 33 bytes")
        raise InvalidAddress(
            f"an {scheme.value} public key is {scheme.public_length} bytes, got {len(public)}; check --scheme"
        )
    if junctions:
        if any(j.hard for j in junctions) or path.startswith("/"):
            raise BadInput("a public key can only be derived along soft junctions (/); hard ones need the secret")
        public = derive_public(scheme, public, junctions)
    return public, prefix


def public_matches(expected: str, pair_public: bytes, scheme: Scheme) -> bool:
    """Compare against an expected public key given as hex or SS58 (account ids count for ecdsa)."""
    text = expected.strip()
    if text[:2] in ("0x", "0X"):
        raw = from_hex(text, what="--expect-public")
    else:
        raw = ss58.decode(text).payload
    return raw == pair_public or raw == account_id(scheme, pair_public)
