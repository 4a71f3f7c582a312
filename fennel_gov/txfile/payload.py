"""The signing payload and the signed extrinsic (v4), offline, from a checked ``UnsignedTx``.

Transaction extensions are encoded from their names, in the order the runtime's metadata lists
them; an extension fennel-gov does not know is refused. ``CheckMetadataHash`` is encoded in its
Disabled mode unless a metadata hash (RFC-78) is passed in, in which case it is Enabled and the
hash is part of what is signed.
"""

from __future__ import annotations

from typing import Any

from fennel_gov._codec import blake2_256, encode_compact
from fennel_gov.errors import BadInput, VerificationFailed
from fennel_gov.keys import KeyPair, Scheme, ss58
from fennel_gov.txfile.fields import SIGNED, UNSIGNED, UnsignedTx, era_birth

__all__ = ["KNOWN", "SIGNED", "UNSIGNED", "check_extensions", "encode_era", "extension_data", "sign_unsigned", "signing_payload"]

NO_DATA = frozenset({"CheckNonZeroSender", "CheckWeight", "WeightReclaim", "StorageWeightReclaim"})
KNOWN = NO_DATA | {"CheckSpecVersion", "CheckTxVersion", "CheckGenesis", "CheckMortality", "CheckNonce",
                   "ChargeTransactionPayment", "CheckMetadataHash"}


def encode_era(period: int, current: int) -> tuple[bytes, int]:
    """A mortal era (period a power of two, 4..65536) from ``current``; returns (bytes, birth block)."""
    if isinstance(period, bool) or not isinstance(period, int) or period < 4 or period > 65536 or period & (period - 1):
        raise BadInput("the era period is a power of two from 4 to 65536")
    return era_birth(period, current)


def check_extensions(names: list[str] | tuple[str, ...]) -> None:
    unknown = [n for n in names if n not in KNOWN]
    if unknown:
        raise BadInput(f"the runtime uses transaction extension(s) fennel-gov cannot encode offline: {', '.join(unknown)}")


def extension_data(tx: UnsignedTx, metadata_hash: bytes | None = None) -> tuple[bytes, bytes]:
    """(extra, additional signed) of every extension, in ``tx.extensions`` order.

    ``metadata_hash``: the RFC-78 hash of the runtime's metadata, to sign CheckMetadataHash in its
    Enabled mode; None keeps it Disabled (what Fennel's runtime, built without it, accepts)."""
    check_extensions(tx.extensions)
    if metadata_hash is not None and len(metadata_hash) != 32:
        raise BadInput("a metadata hash is 32 bytes")
    chain, era = tx.chain, tx.era
    extras, additional = b"", b""
    for name in tx.extensions:
        if name == "CheckMortality":
            extras += era.encoded
            additional += chain.genesis_hash if era.immortal else era.birth_hash
        elif name == "CheckNonce":
            extras += encode_compact(tx.nonce)
        elif name == "ChargeTransactionPayment":
            extras += encode_compact(tx.tip)
        elif name == "CheckMetadataHash":
            # Mode (Disabled 0 / Enabled 1), then Option<[u8; 32]> in the additional signed data.
            extras += b"\x00" if metadata_hash is None else b"\x01"
            additional += b"\x00" if metadata_hash is None else b"\x01" + metadata_hash
        elif name == "CheckSpecVersion":
            additional += chain.spec_version.to_bytes(4, "little")
        elif name == "CheckTxVersion":
            additional += chain.transaction_version.to_bytes(4, "little")
        elif name == "CheckGenesis":
            additional += chain.genesis_hash
    return extras, additional


def signing_payload(tx: UnsignedTx, metadata_hash: bytes | None = None) -> bytes:
    extras, additional = extension_data(tx, metadata_hash)
    payload = tx.call_data + extras + additional
    return blake2_256(payload) if len(payload) > 256 else payload


def sign_unsigned(tx: UnsignedTx, pair: KeyPair, *, ss58_format: int | None = None,
                  metadata_hash: bytes | None = None) -> dict[str, Any]:
    """The signed file's document for ``tx`` signed by ``pair`` (which must be the file's signer)."""
    prefix = tx.chain.ss58_format if ss58_format is None else ss58_format
    if pair.account_id != tx.signer_id:
        raise VerificationFailed(
            f"the key is {ss58.encode(pair.account_id, prefix)}, but the payload is for {ss58.encode(tx.signer_id, prefix)}; use the right key")
    if pair.scheme is Scheme.ECDSA:
        raise BadInput("offline signing supports sr25519 and ed25519 accounts")
    signature = pair.sign(signing_payload(tx, metadata_hash))
    extras, _ = extension_data(tx, metadata_hash)
    kind = b"\x01" if pair.scheme is Scheme.SR25519 else b"\x00"
    # v4 signed extrinsic: MultiAddress::Id(signer), MultiSignature, extras, call.
    body = b"\x84" + b"\x00" + pair.account_id + kind + signature + extras + tx.call_data
    extrinsic = encode_compact(len(body)) + body
    return {
        "format": SIGNED,
        "extrinsic": "0x" + extrinsic.hex(),
        "extrinsic_hash": "0x" + blake2_256(extrinsic).hex(),
        "chain": tx.chain.as_json(),
        "signer": ss58.encode(tx.signer_id, prefix),
        "nonce": tx.nonce,
        "tip": str(tx.tip),
        "era": tx.era.as_json(),
        "call_data": "0x" + tx.call_data.hex(),
        "signature": "0x" + signature.hex(),
    }
