"""The signer's own runtime: what ``tx sign`` believes instead of the file.

From a chain spec (plain or raw) or a runtime wasm (plain, or zstd-compressed behind Substrate's
prefix, as srtool's ``compact.compressed.wasm``), the runtime is executed here, offline, for its
metadata (``Metadata_metadata_at_version(14)``, the version ``tx build`` carries), its version
(``Core_version``) and its SS58 prefix (the ``System.SS58Prefix`` constant). A spec also gives the
genesis hash, computed from its genesis storage (never read from anywhere), the network's name
and chain type, and the token's symbol and decimals from its ``properties``.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from fennel_gov._codec import blake2_256
from fennel_gov.errors import BadInput

if TYPE_CHECKING:
    from fennel_gov.runtime import RuntimeVersion
    from fennel_gov.runtime.metadata import RuntimeMetadata

METADATA_VERSION = 14  # what 'tx build' fetches (Metadata_metadata_at_version) and carries
# Fennel's token, used only when no chain spec says otherwise; the review names the source.
FENNEL_SYMBOL, FENNEL_DECIMALS = "FNL", 12


@dataclass(frozen=True)
class TrustedRuntime:
    """Facts the signer computed itself from a runtime it trusts."""

    source: str                      # "chain spec PATH" or "runtime PATH"
    code_hash: bytes                 # blake2-256 of the code as given (srtool's hash for its compressed wasm)
    metadata: bytes                  # V14 metadata, exactly as the runtime returns it
    version: "RuntimeVersion"
    ss58_format: int
    token_symbol: str
    token_decimals: int
    token_source: str                # where symbol and decimals come from, said in the review
    genesis_hash: bytes | None = None  # only from a chain spec
    network_name: str | None = None
    chain_type: str | None = None
    metadata_v15: bytes | None = None  # for the RFC-78 digest; None when the runtime offers no V15
    wasm: bytes = b""                  # the plain wasm (decompressed), to look for a compiled-in metadata hash

    def metadata_digest(self) -> bytes:
        """RFC-78's metadata digest (what CheckMetadataHash signs in Enabled mode) of this runtime, with
        the token symbol and decimals named above: they must be the ones the runtime's build passed."""
        from fennel_gov.txfile.metadata_hash import metadata_digest

        if self.metadata_v15 is None:
            raise BadInput(f"{self.source} offers no V15 metadata, so it cannot have a metadata hash (CheckMetadataHash)")
        return metadata_digest(self.metadata_v15, spec_version=self.version.spec_version, spec_name=self.version.spec_name,
                               base58_prefix=self.ss58_format, decimals=self.token_decimals, token_symbol=self.token_symbol)

    def embeds_metadata_digest(self, digest: bytes) -> bool:
        """Whether the runtime's code holds ``digest``: CheckMetadataHash compares Enabled-mode
        transactions with the hash compiled in as a constant (``RUNTIME_METADATA_HASH``, set by
        substrate-wasm-builder's ``enable_metadata_hash``), which lands in the wasm's data. Not
        there: the runtime was built without it (Enabled mode is refused with CannotLookup; Fennel
        v102 is such a runtime) or with another token symbol or decimals (every signature fails)."""
        return len(digest) == 32 and digest in self.wasm

    @cached_property
    def decoded_metadata(self) -> "RuntimeMetadata":
        from fennel_gov.runtime.metadata import RuntimeMetadata

        # Made for the review: byte vectors shown as hex.
        return RuntimeMetadata(self.metadata, self.ss58_format, bytes_as_hex=True)

    @property
    def extensions(self) -> tuple[str, ...]:
        extrinsic = self.decoded_metadata._metadata["extrinsic"]
        return tuple(str(e["identifier"]) for e in extrinsic["signed_extensions"])


def _facts(runtime, source: str):
    from fennel_gov.runtime.calls import core_version, metadata
    from fennel_gov.runtime.metadata import RuntimeMetadata

    version = core_version(runtime)
    raw = metadata(runtime, (METADATA_VERSION,))
    if raw[4:5] != bytes([METADATA_VERSION]):
        raise BadInput(f"{source} offers no V{METADATA_VERSION} metadata, which 'tx build' carries; it cannot be the chain's runtime")
    prefix = RuntimeMetadata(raw).constant_u16("System", "SS58Prefix")
    # V15 too, for the RFC-78 digest (metadata() falls back to an older version when V15 is not offered).
    v15: bytes | None = metadata(runtime, (15,))
    if v15 is not None and v15[4:5] != b"\x0f":
        v15 = None
    return version, raw, 42 if prefix is None else prefix, v15


def from_runtime(path: str | Path) -> TrustedRuntime:
    """A runtime wasm file: plain, or zstd-compressed with Substrate's prefix."""
    from fennel_gov.runtime import Runtime

    from fennel_gov._files import read_bytes

    code = read_bytes(path, "runtime")
    source = f"runtime {path}"
    runtime = Runtime.from_code(code)
    version, raw, prefix, v15 = _facts(runtime, source)
    return TrustedRuntime(
        source=source, code_hash=blake2_256(code), metadata=raw, version=version, ss58_format=prefix, metadata_v15=v15, wasm=runtime.wasm,
        token_symbol=FENNEL_SYMBOL, token_decimals=FENNEL_DECIMALS,
        token_source=f"fennel-gov's default for Fennel ({FENNEL_DECIMALS} decimals, {FENNEL_SYMBOL}): no chain spec was given",
    )


def from_spec(path: str | Path) -> TrustedRuntime:
    """A chain spec, plain or raw: its runtime, and the genesis hash computed from its storage."""
    from fennel_gov.chainspec.genesis import to_raw
    from fennel_gov.chainspec.spec import ChainSpec
    from fennel_gov.runtime import Runtime

    spec = ChainSpec.load(path)
    code = spec.code
    runtime = Runtime.from_code(code)
    source = f"chain spec {path}"
    version, raw, prefix, v15 = _facts(runtime, source)
    _, genesis = to_raw(spec, runtime)
    properties = spec.properties if isinstance(spec.properties, dict) else {}
    symbol, decimals = properties.get("tokenSymbol"), properties.get("tokenDecimals")
    if isinstance(symbol, str) and isinstance(decimals, int) and not isinstance(decimals, bool) and 0 <= decimals <= 30:
        token = (symbol, decimals, f"the chain spec's properties ({decimals} decimals, {symbol})")
    else:
        token = (FENNEL_SYMBOL, FENNEL_DECIMALS,
                 f"fennel-gov's default for Fennel ({FENNEL_DECIMALS} decimals, {FENNEL_SYMBOL}): the chain spec names no token")
    name, chain_type = spec.document.get("name"), spec.document.get("chainType")
    return TrustedRuntime(
        source=source, code_hash=blake2_256(code), metadata=raw, version=version, ss58_format=prefix, metadata_v15=v15, wasm=runtime.wasm,
        token_symbol=token[0], token_decimals=token[1], token_source=token[2], genesis_hash=genesis.genesis_hash,
        network_name=name if isinstance(name, str) else None, chain_type=chain_type if isinstance(chain_type, str) else None,
    )
