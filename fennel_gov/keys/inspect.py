"""What ``keys inspect`` and ``keys generate`` report, in subkey's own JSON field names.

subkey (sc-cli ``utils.rs``) prints ``secretPhrase``, ``networkId``, ``secretSeed``, ``publicKey``,
``ss58PublicKey``, ``accountId`` and ``ss58Address``; scripts written for subkey read ours. The
secret fields are filled only when the caller asks for them.
"""

from __future__ import annotations

from typing import Any

from fennel_gov._codec import from_hex, to_hex
from fennel_gov.errors import BadInput, InvalidAddress
from fennel_gov.keys import ss58
from fennel_gov.keys.schemes import KeyPair, Scheme, account_id, derive_public
from fennel_gov.keys.secret import SecretStr
from fennel_gov.keys.suri import Junction


def describe_public(scheme: Scheme, public: bytes, prefix: int) -> dict[str, Any]:
    account = account_id(scheme, public)
    return {
        "scheme": scheme.value,
        "networkId": ss58.network_name(prefix),
        "publicKey": to_hex(public),
        "accountId": to_hex(account),
        "ss58PublicKey": ss58.encode(public, prefix),
        "ss58Address": ss58.encode(account, prefix),
    }


def describe_pair(
    pair: KeyPair, prefix: int, *, suri: SecretStr | None = None, show_secret: bool = False
) -> dict[str, Any]:
    info = describe_public(pair.scheme, pair.public, prefix)
    if show_secret:
        info = {
            "secretPhrase": suri.reveal() if suri is not None else None,
            "secretSeed": to_hex(pair.seed) if pair.seed is not None else "n/a",
            **info,
        }
    return info


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
