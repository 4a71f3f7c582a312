"""The unsigned-payload file, the signing payload, and the signed extrinsic (v4), offline.

Everything the signer must see and sign is in the file: the call, the signer, nonce, mortal era
(birth block and its hash), genesis hash, runtime versions and the runtime's metadata, with which
the call is decoded for review without a node. Transaction extensions are encoded from their names
in the metadata's order; an extension fennel-gov does not know is refused when the file is built.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fennel_gov._codec import blake2_256, encode_compact
from fennel_gov._codec import require_hex as _hex
from fennel_gov._files import read_json
from fennel_gov.errors import BadInput, VerificationFailed
from fennel_gov.keys import KeyPair, Scheme, ss58

UNSIGNED = "fennel-gov-unsigned-tx/1"
SIGNED = "fennel-gov-signed-tx/1"
NO_DATA = frozenset({"CheckNonZeroSender", "CheckWeight", "WeightReclaim", "StorageWeightReclaim"})
KNOWN = NO_DATA | {"CheckSpecVersion", "CheckTxVersion", "CheckGenesis", "CheckMortality", "CheckNonce",
                   "ChargeTransactionPayment", "CheckMetadataHash"}


def encode_era(period: int, current: int) -> tuple[bytes, int]:
    """A mortal era (period a power of two, 4..65536) from ``current``; returns (bytes, birth block)."""
    if period < 4 or period > 65536 or period & (period - 1):
        raise BadInput("the era period is a power of two from 4 to 65536")
    phase = current % period
    quantize = max(period >> 12, 1)
    quantized_phase = phase // quantize * quantize
    encoded = min(15, max(1, period.bit_length() - 2)) | ((quantized_phase // quantize) << 4)
    birth = (max(current, quantized_phase) - quantized_phase) // period * period + quantized_phase
    return encoded.to_bytes(2, "little"), birth


def check_extensions(names: list[str]) -> None:
    unknown = [n for n in names if n not in KNOWN]
    if unknown:
        raise BadInput(f"the runtime uses transaction extension(s) fennel-gov cannot encode offline: {', '.join(unknown)}")


def _extras_and_additional(unsigned: dict[str, Any]) -> tuple[bytes, bytes]:
    chain, era = unsigned["chain"], unsigned["era"]
    extras, additional = b"", b""
    for name in unsigned["extensions"]:
        if name == "CheckMortality":
            if era.get("immortal"):
                extras += b"\x00"
                additional += _hex(chain["genesis_hash"], "genesis hash")
            else:
                extras += encode_era(era["period"], era["current"])[0]
                additional += _hex(era["birth_hash"], "era birth hash")
        elif name == "CheckNonce":
            extras += encode_compact(int(unsigned["nonce"]))
        elif name == "ChargeTransactionPayment":
            extras += encode_compact(int(unsigned.get("tip", 0)))
        elif name == "CheckMetadataHash":
            extras += b"\x00"  # mode: disabled
            additional += b"\x00"  # no metadata hash
        elif name == "CheckSpecVersion":
            additional += int(chain["spec_version"]).to_bytes(4, "little")
        elif name == "CheckTxVersion":
            additional += int(chain["transaction_version"]).to_bytes(4, "little")
        elif name == "CheckGenesis":
            additional += _hex(chain["genesis_hash"], "genesis hash")
        elif name not in NO_DATA:
            check_extensions([name])
    return extras, additional


def signing_payload(unsigned: dict[str, Any]) -> bytes:
    extras, additional = _extras_and_additional(unsigned)
    payload = _hex(unsigned["call_data"], "call data") + extras + additional
    return blake2_256(payload) if len(payload) > 256 else payload


def sign_unsigned(unsigned: dict[str, Any], pair: KeyPair) -> dict[str, Any]:
    check_extensions(unsigned["extensions"])
    prefix = int(unsigned["chain"].get("ss58Format", 42))
    signer = ss58.encode(pair.account_id, prefix)
    if signer != unsigned["signer"]:
        raise VerificationFailed(f"the key is {signer}, but the payload is for {unsigned['signer']}; use the right key")
    if pair.scheme is Scheme.ECDSA:
        raise BadInput("offline signing supports sr25519 and ed25519 accounts")
    signature = pair.sign(signing_payload(unsigned))
    extras, _ = _extras_and_additional(unsigned)
    kind = b"\x01" if pair.scheme is Scheme.SR25519 else b"\x00"
    body = b"\x84" + b"\x00" + pair.account_id + kind + signature + extras + _hex(unsigned["call_data"], "call data")
    extrinsic = encode_compact(len(body)) + body
    return {
        "format": SIGNED,
        "extrinsic": "0x" + extrinsic.hex(),
        "extrinsic_hash": "0x" + blake2_256(extrinsic).hex(),
        "chain": unsigned["chain"],
        "signer": signer,
        "nonce": unsigned["nonce"],
        "era": unsigned["era"],
        "call_data": unsigned["call_data"],
        "description": unsigned.get("description"),
    }


def load(path: Path, expected: str) -> dict[str, Any]:
    document = read_json(path)
    if not isinstance(document, dict) or document.get("format") != expected:
        raise BadInput(f"{path} is not a {expected} file")
    return document


def describe(unsigned: dict[str, Any]) -> dict[str, Any]:
    """What is being signed, decoded with the metadata carried in the file (no node needed)."""
    from scalecodec.base import ScaleBytes

    from fennel_gov.runtime.metadata import RuntimeMetadata

    raw_metadata = _hex(unsigned["metadata"], "metadata")
    if "metadata_hash" in unsigned and "0x" + blake2_256(raw_metadata).hex() != unsigned["metadata_hash"]:
        raise BadInput("the file's metadata does not match its metadata_hash: the file was altered; do not sign it")
    try:
        metadata = RuntimeMetadata(raw_metadata, int(unsigned["chain"].get("ss58Format", 42)))
        call = metadata._config.create_scale_object("Call", data=ScaleBytes(_hex(unsigned["call_data"], "call data")), metadata=metadata.scale)
        decoded = call.decode()
    except BadInput:
        raise
    except Exception as exc:  # noqa: BLE001 - a call that does not decode must not be signed
        raise BadInput(f"the call does not decode with the file's metadata ({type(exc).__name__}); do not sign it") from None
    era = unsigned["era"]
    return {
        "call": _summarise(decoded),
        "signer": unsigned["signer"],
        "nonce": unsigned["nonce"],
        "tip": unsigned.get("tip", "0"),
        "era": "immortal" if era.get("immortal") else f"mortal, {era['period']} blocks from #{era['birth_block']}",
        "chain": unsigned["chain"],
    }


def _summarise(call: dict[str, Any]) -> dict[str, Any]:
    args = {}
    for arg in call.get("call_args", []):
        value = arg["value"]
        args[arg["name"]] = _summarise(value) if isinstance(value, dict) and "call_module" in value else value
    return {"pallet": call["call_module"], "call": call["call_function"], "args": args}
