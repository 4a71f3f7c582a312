"""What the signer is about to sign, shown from trusted sources only.

``review(tx, trusted)`` holds the unsigned file against the runtime the signer trusts: the file's
metadata bytes, spec and transaction versions, extension list and (with a chain spec) genesis hash
must be the ones computed from that runtime, or the file is refused (``VerificationFailed``, exit
1). The call is decoded with the trusted metadata only, completely (no trailing bytes), and every
signed field comes back in a ``Review``: network, genesis hash, versions, signer, nonce, tip (in
the token and in raw units), era and the call, recursively, with account ids as SS58 addresses of
the chain's prefix and balances in the token.

The era's birth block hash cannot be checked offline; a wrong one only makes the transaction
invalid (the node cannot find the block it names), it cannot make it do something else.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from fennel_gov.errors import BadInput, VerificationFailed, printable
from fennel_gov.keys import ss58
from fennel_gov.txfile.fields import U128_MAX, UnsignedTx
from fennel_gov.txfile.trusted import FENNEL_DECIMALS, FENNEL_SYMBOL, TrustedRuntime

UNTRUSTED_WARNING = (
    "WARNING: --trust-file-metadata: the call below is decoded with metadata from the file, which the online "
    "machine wrote; a compromised machine can make any call look like this one. Sign only if you can vouch for that machine."
)


def format_amount(units: int, decimals: int, symbol: str) -> str:
    """``units`` of the smallest denomination as a token amount, exactly (no rounding)."""
    whole, fraction = divmod(units, 10**decimals)
    text = f"{whole:,}"
    if fraction:
        text += "." + f"{fraction:0{decimals}d}".rstrip("0")
    return f"{text} {symbol}"


def parse_amount(text: str, decimals: int, what: str = "the amount") -> int:
    """A token amount (``"0.5"``) in units; more fractional digits than the token has is refused."""
    cleaned = text.strip().replace("_", "")
    # Plain decimals only: an exponent ("1e999999999") would make Decimal arithmetic overflow or round.
    if not cleaned or not all(c.isdigit() or c == "." for c in cleaned) or cleaned.count(".") > 1 or len(cleaned) > 60:
        raise BadInput(f"{what} must be a number of tokens, like 0 or 0.5, not {text[:40]!r}")
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        raise BadInput(f"{what} must be a number of tokens, like 0 or 0.5, not {text!r}") from None
    if not value.is_finite() or value < 0:
        raise BadInput(f"{what} must be a non-negative amount, not {text!r}")
    units = value * (10**decimals)
    if units != units.to_integral_value() or units > U128_MAX:
        raise BadInput(f"{what} must have at most {decimals} decimals and be below 2**128 units, not {text!r}")
    return int(units)


@dataclass(frozen=True)
class Review:
    """Everything that is signed, each figure from the trusted runtime or checked against it."""

    trusted: bool                    # False: decoded with the file's metadata (--trust-file-metadata)
    runtime_source: str
    runtime_code_hash: str | None
    network_name: str | None
    chain_type: str | None
    spec_name: str
    genesis_hash: str
    genesis_hash_checked: bool       # computed from a chain spec, not taken from the file
    spec_version: int
    transaction_version: int
    signer: str
    nonce: int
    tip_units: int
    tip: str                         # in the token, e.g. "0 FNL"
    token_source: str
    era: dict[str, Any]
    call: dict[str, Any]
    warnings: tuple[str, ...] = field(default=())
    metadata_hash: str | None = None  # RFC-78 digest, recomputed from the trusted runtime (Enabled mode); None: Disabled

    @property
    def call_name(self) -> str:
        return f"{self.call['pallet']}.{self.call['call']}"

    def as_json(self) -> dict[str, Any]:
        return {
            "trusted": self.trusted,
            "runtime": {"source": self.runtime_source, "code_hash": self.runtime_code_hash},
            "network": {"name": self.network_name, "chain_type": self.chain_type, "spec_name": self.spec_name},
            "genesis_hash": self.genesis_hash,
            "genesis_hash_checked": self.genesis_hash_checked,
            "spec_version": self.spec_version,
            "transaction_version": self.transaction_version,
            "signer": self.signer,
            "nonce": self.nonce,
            "tip": {"units": str(self.tip_units), "amount": self.tip, "decimals_from": self.token_source},
            "era": self.era,
            "call": self.call,
            "check_metadata_hash": {"mode": "enabled", "hash": self.metadata_hash} if self.metadata_hash else {"mode": "disabled"},
            "warnings": list(self.warnings),
        }


def _mismatch(what: str, file_value: Any, trusted_value: Any, trusted: TrustedRuntime) -> VerificationFailed:
    # The verdict first: a long message is cut to one terminal line, and this part must survive.
    return VerificationFailed(
        f"do not sign it: the file's {what} differs from the one computed here (file {file_value}, computed {trusted_value}); "
        f"the file was altered or made for another network or runtime than the trusted {trusted.source}")


def check_against(tx: UnsignedTx, trusted: TrustedRuntime) -> None:
    """Refuse a file whose chain facts differ from what the signer computed itself."""
    version = trusted.version
    if tx.chain.spec_name != version.spec_name:
        raise _mismatch("spec_name", tx.chain.spec_name, version.spec_name, trusted)
    if tx.chain.spec_version != version.spec_version:
        raise _mismatch("spec_version", tx.chain.spec_version, version.spec_version, trusted)
    if tx.chain.transaction_version != version.transaction_version:
        raise _mismatch("transaction_version", tx.chain.transaction_version, version.transaction_version, trusted)
    if tx.chain.ss58_format != trusted.ss58_format:
        # The review shows accounts in the trusted prefix; a file for another prefix was made for another network.
        raise _mismatch("SS58 prefix (chain.ss58_format)", tx.chain.ss58_format, f"{trusted.ss58_format}, the runtime's System.SS58Prefix", trusted)
    signer_prefix = ss58.decode(tx.signer).prefix
    if signer_prefix != trusted.ss58_format:
        raise _mismatch("signer address's SS58 prefix", signer_prefix, f"{trusted.ss58_format}, the runtime's System.SS58Prefix", trusted)
    if trusted.genesis_hash is not None and tx.chain.genesis_hash != trusted.genesis_hash:
        raise _mismatch("genesis hash", "0x" + tx.chain.genesis_hash.hex(), "0x" + trusted.genesis_hash.hex(), trusted)
    if tx.metadata != trusted.metadata:
        raise VerificationFailed(
            f"the file's metadata is not the metadata of the trusted {trusted.source}: a call could be made to look like "
            "another; the file was altered or made for another runtime; do not sign it")
    if tx.extensions != trusted.extensions:
        extra = [n for n in tx.extensions if n not in trusted.extensions]
        missing = [n for n in trusted.extensions if n not in tx.extensions]
        difference = (f"file adds {', '.join(extra) or 'none'}, lacks {', '.join(missing) or 'none'}" if extra or missing
                      else "the same names in another order")
        raise VerificationFailed(f"do not sign it: the file's transaction extensions differ from the trusted runtime's "
                                 f"({difference}); the file was altered or made for another runtime than the trusted {trusted.source}")


def decode_call(call_data: bytes, metadata) -> dict[str, Any]:
    """The call decoded completely with ``metadata`` (a ``RuntimeMetadata`` made with
    ``bytes_as_hex``, so byte vectors are never shown as text); BadInput otherwise."""
    from scalecodec.base import ScaleBytes

    if not metadata.bytes_as_hex:
        raise ValueError("decode_call needs RuntimeMetadata(..., bytes_as_hex=True): a review must not show bytes as text")
    try:
        call = metadata._config.create_scale_object("Call", data=ScaleBytes(call_data), metadata=metadata.scale)
        decoded = call.decode(check_remaining=False)
        consumed = call.data.offset
    except Exception as exc:  # noqa: BLE001 - scalecodec raises many kinds; a call that does not decode is not signed
        raise BadInput(f"tx file field 'call_data' does not decode as a call of this runtime ({type(exc).__name__}); do not sign it") from None
    if consumed != len(call_data):
        raise BadInput(f"tx file field 'call_data' has {len(call_data) - consumed} byte(s) after the call; do not sign it")
    return decoded


def _render(value: Any, type_name: str, decimals: int, symbol: str) -> Any:
    if isinstance(value, dict) and "call_module" in value:
        return _call(value, decimals, symbol)
    if isinstance(value, int) and not isinstance(value, bool) and "Balance" in type_name:
        return {"units": str(value), "amount": format_amount(value, decimals, symbol)}
    if isinstance(value, str) and printable(value) != value:
        # Bytes that happen to be UTF-8 could carry terminal escapes that redraw the review: show hex.
        return "0x" + value.encode("utf-8", "surrogatepass").hex()
    if isinstance(value, list):
        return [_render(v, type_name, decimals, symbol) for v in value]
    if isinstance(value, dict):
        return {k: _render(v, "", decimals, symbol) for k, v in value.items()}
    return value


def _call(decoded: dict[str, Any], decimals: int, symbol: str) -> dict[str, Any]:
    args = {arg["name"]: _render(arg["value"], str(arg.get("type") or ""), decimals, symbol) for arg in decoded.get("call_args", [])}
    return {"pallet": decoded["call_module"], "call": decoded["call_function"], "args": args}


def review(tx: UnsignedTx, trusted: TrustedRuntime | None, *, max_tip: int = 0) -> Review:
    """Check ``tx`` against ``trusted`` and return what is signed; None trusts the file's metadata."""
    warnings: list[str] = []
    if trusted is not None:
        check_against(tx, trusted)
        metadata, prefix = trusted.decoded_metadata, trusted.ss58_format
        symbol, decimals, token_source = trusted.token_symbol, trusted.token_decimals, trusted.token_source
    else:
        from fennel_gov.runtime.metadata import RuntimeMetadata

        warnings.append(UNTRUSTED_WARNING)
        prefix = tx.chain.ss58_format
        try:
            metadata = RuntimeMetadata(tx.metadata, prefix, bytes_as_hex=True)
        except Exception as exc:  # noqa: BLE001 - metadata from the file that does not decode
            raise BadInput(f"tx file field 'metadata' does not decode as V14 metadata ({type(exc).__name__})") from None
        symbol, decimals = FENNEL_SYMBOL, FENNEL_DECIMALS
        token_source = f"fennel-gov's default for Fennel ({decimals} decimals, {symbol}): no trusted runtime was given"
    call = _call(decode_call(tx.call_data, metadata), decimals, symbol)
    digest = None
    if tx.check_metadata_hash is not None:
        if trusted is None:
            raise BadInput("the file asks for CheckMetadataHash in Enabled mode: its hash must be recomputed from a "
                           "trusted runtime; give --spec or --runtime")
        digest = trusted.metadata_digest()
        if digest != tx.check_metadata_hash:
            raise _mismatch(f"metadata hash (RFC-78, with {trusted.token_decimals} decimals and {trusted.token_symbol})",
                            "0x" + tx.check_metadata_hash.hex(), "0x" + digest.hex(), trusted)
        if not trusted.embeds_metadata_digest(digest):
            warnings.append(
                f"WARNING: the trusted {trusted.source} does not contain this metadata hash (0x{digest.hex()[:16]}…, "
                f"{trusted.token_decimals} decimals, {trusted.token_symbol}): it was built without the metadata-hash feature "
                "(as Fennel v102 is) or for another token, so the chain will reject this Enabled-mode transaction "
                "(CannotLookup, or a bad signature). Build the file again without --metadata-hash")
    if tx.tip > max_tip:
        raise VerificationFailed(
            f"the file asks to pay a tip of {format_amount(tx.tip, decimals, symbol)} ({tx.tip} units), above the "
            f"{format_amount(max_tip, decimals, symbol)} allowed; a sudo action needs no tip. Do not sign it, "
            "or raise --max-tip if you meant it")
    era = tx.era
    if era.period is None:  # immortal
        era_view: dict[str, Any] = {"kind": "immortal"}
    else:
        era_view = {
            "kind": "mortal", "period": era.period, "phase": era.current % era.period, "birth_block": era.birth_block,
            "valid_before_block": era.birth_block + era.period, "birth_hash": "0x" + era.birth_hash.hex(),
            "birth_hash_checked": False,  # not checkable offline; a wrong one only makes the tx invalid
        }
    version = trusted.version if trusted else None
    return Review(
        trusted=trusted is not None,
        runtime_source=trusted.source if trusted else "the file (unverified)",
        runtime_code_hash="0x" + trusted.code_hash.hex() if trusted else None,
        network_name=trusted.network_name if trusted else None,
        chain_type=trusted.chain_type if trusted else None,
        spec_name=version.spec_name if version else tx.chain.spec_name,
        genesis_hash="0x" + tx.chain.genesis_hash.hex(),
        genesis_hash_checked=bool(trusted and trusted.genesis_hash is not None),
        spec_version=version.spec_version if version else tx.chain.spec_version,
        transaction_version=version.transaction_version if version else tx.chain.transaction_version,
        signer=ss58.encode(tx.signer_id, prefix),
        nonce=tx.nonce,
        tip_units=tx.tip,
        tip=format_amount(tx.tip, decimals, symbol),
        token_source=token_source,
        era=era_view,
        call=call,
        warnings=tuple(warnings),
        metadata_hash=None if digest is None else "0x" + digest.hex(),
    )
