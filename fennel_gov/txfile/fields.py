"""The unsigned and signed tx files, field by field: every field type- and range-checked.

A tx file crosses the air gap in both directions, so whoever reads it treats it as written by an
attacker: a field of the wrong type, out of range or unknown is refused with ``BadInput`` (exit 2)
naming the field, never an internal error. Agreement with the trusted runtime is checked later, in
``review``; the only consistency checks here are internal ones (a birth block that does not follow
from the era, a ``metadata_hash`` that is not the carried metadata's), refused as
``VerificationFailed`` (exit 1) because they mean the file was altered.

Choices, written down once:
- ``nonce`` is a JSON integer in 0..2**32-1 (Fennel's ``Nonce`` is u32).
- ``tip`` is a decimal string of digits (``"0"``) or a JSON integer, in 0..2**128-1; ``tx build``
  writes a string, because many JSON readers lose integers above 2**53.
- Unknown fields are refused, at the top level and inside ``chain`` and ``era``: a file that says
  more than fennel-gov understands is not signed on trust.
- ``metadata_hash`` is optional: blake2-256 of the carried metadata, an integrity check only (it is
  not RFC-78's hash, and proves nothing: whoever alters the metadata can recompute it).
- ``check_metadata_hash`` is optional: present (32 bytes, RFC-78's digest as the online node's metadata
  gives it) when ``tx build --metadata-hash`` asked for CheckMetadataHash in Enabled mode. The signer
  recomputes the digest from its trusted runtime and refuses the file when the two differ.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fennel_gov._codec import blake2_256
from fennel_gov.errors import BadInput, InvalidAddress, VerificationFailed
from fennel_gov.keys import ss58

UNSIGNED = "fennel-gov-unsigned-tx/1"
SIGNED = "fennel-gov-signed-tx/1"
U32_MAX = 2**32 - 1
U64_MAX = 2**64 - 1
U128_MAX = 2**128 - 1

_UNSIGNED_FIELDS = {"format", "chain", "signer", "nonce", "tip", "era", "extensions", "call_data", "metadata",
                    "metadata_hash", "check_metadata_hash", "description"}
_UNSIGNED_REQUIRED = _UNSIGNED_FIELDS - {"metadata_hash", "check_metadata_hash", "description"}
_CHAIN_FIELDS = {"genesis_hash", "spec_name", "spec_version", "transaction_version", "ss58_format"}
# Files written before fennel-gov's JSON moved to snake_case name the prefix "ss58Format"; read either, never both.
_CHAIN_FIELDS_V1 = {"ss58Format": "ss58_format"}
_ERA_FIELDS = {"period", "current", "birth_block", "birth_hash"}
_SIGNED_FIELDS = {"format", "extrinsic", "extrinsic_hash", "signature", "chain", "signer", "nonce", "tip", "era", "call_data",
                  "description", "review"}


def _refuse(field: str, what: str) -> BadInput:
    return BadInput(f"tx file field '{field}' {what}; regenerate the file with 'fennel-gov tx build'")


def _object(value: Any, field: str, allowed: set[str], required: set[str]) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise _refuse(field, "must be a JSON object")
    prefix = f"{field}." if field != "(top level)" else ""
    unknown = sorted(k for k in value if k not in allowed)
    if unknown:
        raise _refuse(prefix + unknown[0], "is not a field fennel-gov knows (unknown fields are refused)")
    missing = sorted(required - set(value))
    if missing:
        raise _refuse(prefix + missing[0], "is missing")
    return value


def _int(value: Any, field: str, maximum: int, minimum: int = 0) -> int:
    # bool is an int in Python; JSON true is not a number.
    if not isinstance(value, int) or isinstance(value, bool):
        raise _refuse(field, "must be a JSON integer")
    if not minimum <= value <= maximum:
        raise _refuse(field, f"must be from {minimum} to {maximum}, not {value}")
    return value


def _amount(value: Any, field: str) -> int:
    if isinstance(value, str):
        if not value.isascii() or not value.isdigit() or len(value) > 39:
            raise _refuse(field, "must be a decimal string of digits (e.g. \"0\") or a JSON integer")
        value = int(value)
    return _int(value, field, U128_MAX)


def _hex(value: Any, field: str, length: int | None = None, *, nonempty: bool = False) -> bytes:
    if not isinstance(value, str) or not value.startswith("0x") or len(value) % 2:
        raise _refuse(field, "must be a string of 0x-prefixed hex")
    try:
        data = bytes.fromhex(value[2:])
    except ValueError:
        raise _refuse(field, "is not valid hex") from None
    if length is not None and len(data) != length:
        raise _refuse(field, f"must be {length} bytes, not {len(data)}")
    if nonempty and not data:
        raise _refuse(field, "is empty")
    return data


def _text(value: Any, field: str, limit: int = 200) -> str:
    if not isinstance(value, str) or not value or len(value) > limit or not value.isprintable():
        raise _refuse(field, f"must be a printable string of 1 to {limit} characters")
    return value


def _account(value: Any, field: str) -> bytes:
    if not isinstance(value, str) or value != value.strip():
        raise _refuse(field, "must be an SS58 address")
    try:
        address = ss58.decode(value)
    except InvalidAddress as exc:
        raise _refuse(field, f"is not a valid SS58 address ({exc})") from None
    if len(address.payload) != 32:
        raise _refuse(field, "must be the address of a 32-byte account id")
    return address.payload


def era_birth(period: int, current: int) -> tuple[bytes, int]:
    """Substrate's ``Era::mortal(period, current)``: its two bytes and its birth block.

    ``period`` must already be a power of two in 4..65536 (``Era.from_json`` checks it)."""
    phase = current % period
    quantize = max(period >> 12, 1)
    quantized_phase = phase // quantize * quantize
    encoded = min(15, max(1, period.bit_length() - 2)) | ((quantized_phase // quantize) << 4)
    birth = (max(current, quantized_phase) - quantized_phase) // period * period + quantized_phase
    return encoded.to_bytes(2, "little"), birth


def check_era_period(period: Any, field: str = "era.period") -> int:
    period = _int(period, field, 65536, 4)
    if period & (period - 1):
        raise _refuse(field, f"must be a power of two from 4 to 65536, not {period}")
    return period


@dataclass(frozen=True)
class Era:
    """Immortal (``period`` None), or mortal for ``period`` blocks from ``birth_block``."""

    period: int | None = None
    current: int = 0
    birth_block: int = 0
    birth_hash: bytes = b""

    @property
    def immortal(self) -> bool:
        return self.period is None

    @property
    def encoded(self) -> bytes:
        return b"\x00" if self.period is None else era_birth(self.period, self.current)[0]

    @classmethod
    def from_json(cls, value: Any) -> "Era":
        if isinstance(value, dict) and "immortal" in value:
            _object(value, "era", {"immortal"}, {"immortal"})
            if value["immortal"] is not True:
                raise _refuse("era.immortal", "must be true (a mortal era has period, current, birth_block, birth_hash)")
            return cls()
        era = _object(value, "era", _ERA_FIELDS, _ERA_FIELDS)
        period = check_era_period(era["period"])
        # Fennel's BlockNumber is u32
        current = _int(era["current"], "era.current", U32_MAX)
        birth_block = _int(era["birth_block"], "era.birth_block", U32_MAX)
        birth_hash = _hex(era["birth_hash"], "era.birth_hash", 32)
        expected = era_birth(period, current)[1]
        if birth_block != expected:
            raise VerificationFailed(
                f"the file's era starts at block #{birth_block}, but the era it encodes (period {period}, phase "
                f"{current % period}) starts at #{expected}: the file was altered; do not sign it")
        return cls(period, current, birth_block, birth_hash)

    def as_json(self) -> dict[str, Any]:
        if self.period is None:
            return {"immortal": True}
        return {"period": self.period, "current": self.current, "birth_block": self.birth_block,
                "birth_hash": "0x" + self.birth_hash.hex()}


@dataclass(frozen=True)
class ChainFacts:
    """What the file claims about the chain; checked against the trusted runtime before signing."""

    genesis_hash: bytes
    spec_name: str
    spec_version: int
    transaction_version: int
    ss58_format: int

    @classmethod
    def from_json(cls, value: Any) -> "ChainFacts":
        chain = _object(value, "chain", _CHAIN_FIELDS | set(_CHAIN_FIELDS_V1), _CHAIN_FIELDS - set(_CHAIN_FIELDS_V1.values()))
        for old_name, name in _CHAIN_FIELDS_V1.items():
            if old_name in chain and name in chain:
                raise _refuse(f"chain.{old_name}", f"and chain.{name} are one field in two spellings; give one")
            if old_name in chain:
                chain = {**chain, name: chain[old_name]}
            elif name not in chain:
                raise _refuse(f"chain.{name}", "is missing")
        return cls(
            genesis_hash=_hex(chain["genesis_hash"], "chain.genesis_hash", 32),
            spec_name=_text(chain["spec_name"], "chain.spec_name", 64),
            spec_version=_int(chain["spec_version"], "chain.spec_version", U32_MAX),
            transaction_version=_int(chain["transaction_version"], "chain.transaction_version", U32_MAX),
            ss58_format=_int(chain["ss58_format"], "chain.ss58_format", 16383),
        )

    def as_json(self) -> dict[str, Any]:
        return {"genesis_hash": "0x" + self.genesis_hash.hex(), "spec_name": self.spec_name, "spec_version": self.spec_version,
                "transaction_version": self.transaction_version, "ss58_format": self.ss58_format}


@dataclass(frozen=True)
class UnsignedTx:
    """An unsigned-payload file, every field checked for type and range (not yet for truth)."""

    chain: ChainFacts
    signer: str
    signer_id: bytes
    nonce: int
    tip: int
    era: Era
    extensions: tuple[str, ...]
    call_data: bytes
    metadata: bytes
    description: str | None = None
    # RFC-78 digest the online node's metadata gave (CheckMetadataHash in Enabled mode); None: Disabled.
    # The signer never signs this value: it recomputes the digest from its trusted runtime and compares.
    check_metadata_hash: bytes | None = None

    @classmethod
    def from_json(cls, document: Any) -> "UnsignedTx":
        doc = _object(document, "(top level)", _UNSIGNED_FIELDS | {"format"}, {"format"})
        if doc["format"] != UNSIGNED:
            raise _refuse("format", f"must be {UNSIGNED!r}: this is not an unsigned-payload file")
        _object(doc, "(top level)", _UNSIGNED_FIELDS, _UNSIGNED_REQUIRED)
        extensions = doc["extensions"]
        if not isinstance(extensions, list) or not extensions or len(extensions) > 64:
            raise _refuse("extensions", "must be a non-empty list of extension names")
        names = tuple(_text(name, f"extensions[{i}]", 100) for i, name in enumerate(extensions))
        metadata = _hex(doc["metadata"], "metadata", nonempty=True)
        if "metadata_hash" in doc:
            claimed = _hex(doc["metadata_hash"], "metadata_hash", 32)
            if claimed != blake2_256(metadata):
                raise VerificationFailed("the file's metadata does not match its metadata_hash: the file was altered; do not sign it")
        description = doc.get("description")
        return cls(
            chain=ChainFacts.from_json(doc["chain"]),
            signer=_text(doc["signer"], "signer", 64),
            signer_id=_account(doc["signer"], "signer"),
            nonce=_int(doc["nonce"], "nonce", U32_MAX),
            tip=_amount(doc["tip"], "tip"),
            era=Era.from_json(doc["era"]),
            extensions=names,
            call_data=_hex(doc["call_data"], "call_data", nonempty=True),
            metadata=metadata,
            description=None if description is None else _text(description, "description"),
            check_metadata_hash=None if doc.get("check_metadata_hash") is None
            else _hex(doc["check_metadata_hash"], "check_metadata_hash", 32),
        )

    def as_json(self) -> dict[str, Any]:
        document = {
            "format": UNSIGNED, "chain": self.chain.as_json(), "signer": self.signer, "nonce": self.nonce,
            "tip": str(self.tip), "era": self.era.as_json(), "extensions": list(self.extensions),
            "call_data": "0x" + self.call_data.hex(),
        }
        if self.description is not None:
            document["description"] = self.description
        if self.check_metadata_hash is not None:
            document["check_metadata_hash"] = "0x" + self.check_metadata_hash.hex()
        document["metadata"] = "0x" + self.metadata.hex()
        document["metadata_hash"] = "0x" + blake2_256(self.metadata).hex()
        return document


@dataclass(frozen=True)
class SignedTx:
    """A signed file as ``tx submit`` reads it: the extrinsic and the chain it is for."""

    extrinsic: bytes
    extrinsic_hash: bytes
    genesis_hash: bytes
    signer: str
    description: str | None
    nonce: int  # read from the extrinsic itself (what the chain checks), not from the file's word for it

    @classmethod
    def from_json(cls, document: Any) -> "SignedTx":
        doc = _object(document, "(top level)", _SIGNED_FIELDS | {"format"}, {"format"})
        if doc["format"] != SIGNED:
            raise _refuse("format", f"must be {SIGNED!r}: this is not a signed file from 'tx sign'")
        _object(doc, "(top level)", _SIGNED_FIELDS, {"format", "extrinsic", "extrinsic_hash", "chain", "signer"})
        extrinsic = _hex(doc["extrinsic"], "extrinsic", nonempty=True)
        extrinsic_hash = _hex(doc["extrinsic_hash"], "extrinsic_hash", 32)
        if blake2_256(extrinsic) != extrinsic_hash:
            raise VerificationFailed("the signed file's extrinsic does not match its extrinsic_hash: the file was altered")
        chain = doc["chain"]
        if not isinstance(chain, dict):
            raise _refuse("chain", "must be a JSON object")
        signer_id = _account(doc["signer"], "signer")
        sender, nonce = signed_sender_and_nonce(extrinsic)
        if sender != signer_id:
            raise VerificationFailed("the signed file's extrinsic is signed by another account than its 'signer': the file was altered")
        if "nonce" in doc and _int(doc["nonce"], "nonce", U32_MAX) != nonce:
            raise VerificationFailed(f"the signed file says nonce {doc['nonce']}, its extrinsic carries {nonce}: the file was altered")
        description = doc.get("description")
        return cls(
            extrinsic=extrinsic, extrinsic_hash=extrinsic_hash,
            genesis_hash=_hex(chain.get("genesis_hash"), "chain.genesis_hash", 32),
            signer=doc["signer"],
            description=None if description is None else _text(description, "description"),
            nonce=nonce,
        )


def signed_sender_and_nonce(extrinsic: bytes) -> tuple[bytes, int]:
    """The account id and nonce of a signed v4 extrinsic as ``tx sign`` writes it: compact length,
    0x84, MultiAddress::Id, MultiSignature, then the extras, whose first two carriers in FRAME's
    order (and Fennel's) are CheckMortality (the era: 1 byte immortal, else 2) and CheckNonce."""
    from fennel_gov._codec import decode_compact

    def bad(what: str) -> BadInput:
        return _refuse("extrinsic", what)

    try:
        length, offset = decode_compact(extrinsic)
    except ValueError:
        raise bad("does not start with its length") from None
    if offset + length != len(extrinsic):
        raise bad("is not as long as its length prefix says")
    if extrinsic[offset : offset + 2] != b"\x84\x00":
        raise bad("is not a signed v4 extrinsic from a 32-byte account")
    sender = extrinsic[offset + 2 : offset + 34]
    kind = extrinsic[offset + 34 : offset + 35]
    signature_size = {b"\x00": 64, b"\x01": 64, b"\x02": 65}.get(kind)
    if signature_size is None:
        raise bad("does not carry an ed25519, sr25519 or ecdsa signature")
    era = offset + 35 + signature_size
    if era >= len(extrinsic):
        raise bad("ends inside its signature")
    try:
        nonce, _ = decode_compact(extrinsic, era + (1 if extrinsic[era] == 0 else 2))
    except ValueError:
        raise bad("ends before its nonce") from None
    if nonce > U32_MAX:
        raise bad(f"carries the nonce {nonce}, beyond Fennel's u32")
    return sender, nonce
