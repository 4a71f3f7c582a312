"""The RFC-78 metadata hash: what ``CheckMetadataHash`` adds to the signed data in Enabled mode.

Computed offline from the runtime's own V15 metadata (``Metadata_metadata_at_version(15)``) and the
few facts the digest carries beside it. Steps, as in RFC-0078 "Merkleized Metadata" and its
reference implementation (the ``merkleized-metadata`` crate, whose published fixture hashes the
tests reproduce):

1. Collect the types reachable from the extrinsic metadata (address, call, signature, each
   extension's explicit and implicit type), without entering ``Compact`` or ``BitSequence``.
2. Drop the types that become a ``TypeRef`` of their own: primitives, compacts (``CompactU8`` ..
   ``CompactU256``, found by the single primitive under them) and empty composites, variants and
   tuples (``Void``). Number the rest 0, 1, .. in the order of their registry ids.
3. Turn each kept type into leaves: one ``Type {path, type_def, type_id}`` each, except enums,
   which give one ``Enumeration`` leaf per variant (sorted by variant index, same ``type_id``).
4. Hash each SCALE-encoded leaf with blake3 and fold the leaves, ordered by (type_id, variant
   index), into a complete binary tree: take the last two, hash ``left ++ right``, put the result
   in front, until one is left (none: 32 zero bytes).
5. The digest is ``MetadataDigest::V1`` (enum index 1) of the tree root, the blake3 hash of the
   RFC's ``ExtrinsicMetadata``, spec_version (u32), spec_name, base58 prefix (u16), decimals (u8)
   and token symbol; the metadata hash is blake3 of its SCALE encoding.

Where the RFC's text and the crate differ, the crate is followed, since it is what runtimes build
their expected hash with: its ``TypeRef`` has ``CompactU256`` (index 20), so ``Void`` is 21 and a
type id is 22. Only V15 metadata is accepted, as by the crate (V14 lacks the address, call and
signature types). Beyond the crate, malformed metadata is refused rather than read loosely: type
ids must equal registry positions, and an enum may not repeat a variant index.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import blake3

from fennel_gov.errors import BadInput
from fennel_gov.txfile import _metadata_v15 as v15
from fennel_gov.txfile._scale import ScaleError, compact, option_str, string, vec

if TYPE_CHECKING:
    from fennel_gov.runtime import Runtime

__all__ = [
    "InvalidMetadata",
    "MetadataDigest",
    "build_metadata_digest",
    "metadata_digest",
    "runtime_metadata_hash",
    "ss58_prefix_of",
]

# The crate's ``TypeRef`` indices: the 15 scale-info primitives keep their order (0..14).
_COMPACT_REF = {v15.U8: 15, v15.U16: 16, v15.U32: 17, v15.U64: 18, v15.U128: 19, v15.U256: 20}
_VOID = bytes([21])
_BY_ID = 22
# TypeDef indices in the RFC's Type.
_T_COMPOSITE, _T_ENUMERATION, _T_SEQUENCE, _T_ARRAY, _T_TUPLE, _T_BIT_SEQUENCE = range(6)
_BIT_STORE_BYTES = {v15.U8: 1, v15.U16: 2, v15.U32: 4, v15.U64: 8}


class InvalidMetadata(BadInput):
    """The metadata is not well-formed V15, or has a type the RFC-78 hash cannot express."""


@dataclass(frozen=True)
class MetadataDigest:
    """``MetadataDigest::V1``; ``hash()`` is the metadata hash that ``CheckMetadataHash`` signs."""

    types_tree_root: bytes
    extrinsic_metadata_hash: bytes
    spec_version: int
    spec_name: str
    base58_prefix: int
    decimals: int
    token_symbol: str

    def encode(self) -> bytes:
        return (
            b"\x01"
            + self.types_tree_root
            + self.extrinsic_metadata_hash
            + self.spec_version.to_bytes(4, "little")
            + string(self.spec_name)
            + self.base58_prefix.to_bytes(2, "little")
            + bytes([self.decimals])
            + string(self.token_symbol)
        )

    def hash(self) -> bytes:
        return blake3.blake3(self.encode()).digest()


def metadata_digest(
    metadata_prefixed: bytes,
    *,
    spec_version: int,
    spec_name: str,
    base58_prefix: int,
    decimals: int,
    token_symbol: str,
) -> bytes:
    """The 32-byte RFC-78 metadata hash of ``metadata_prefixed`` (``RuntimeMetadataPrefixed``
    bytes holding V15, as ``fennel_gov.runtime.calls.metadata(runtime, (15,))`` returns them).

    ``spec_version`` and ``spec_name`` are the runtime's (``Core_version``), ``base58_prefix`` its
    ``System.SS58Prefix`` (see :func:`ss58_prefix_of`); ``decimals`` and ``token_symbol`` must be
    exactly what the runtime's build passed to its metadata-hash generation, or the chain rejects
    the signature. Raises :class:`InvalidMetadata` (and ``BadInput`` for out-of-range values).
    """
    return build_metadata_digest(
        metadata_prefixed,
        spec_version=spec_version,
        spec_name=spec_name,
        base58_prefix=base58_prefix,
        decimals=decimals,
        token_symbol=token_symbol,
    ).hash()


def runtime_metadata_hash(runtime: "Runtime", *, decimals: int, token_symbol: str) -> bytes:
    """The metadata hash exactly as substrate-wasm-builder computes it when a runtime is built with
    ``enable_metadata_hash(token_symbol, decimals)``: V15 metadata and ``Core_version`` from the
    runtime itself, base58 prefix from its ``System.SS58Prefix`` constant. Only ``decimals`` and
    ``token_symbol`` come from outside, and they must be the ones the build passed."""
    # From `calls`: the package attribute `fennel_gov.runtime.metadata` is shadowed by the submodule
    # of that name once anything imports `fennel_gov.runtime.metadata`.
    from fennel_gov.runtime.calls import core_version, metadata

    version = core_version(runtime)
    decoded = _decode(metadata(runtime, (15,)))
    return _digest(
        decoded,
        spec_version=version.spec_version,
        spec_name=version.spec_name,
        base58_prefix=_ss58_prefix(decoded),
        decimals=decimals,
        token_symbol=token_symbol,
    ).hash()


def ss58_prefix_of(metadata_prefixed: bytes) -> int:
    """The ``System.SS58Prefix`` constant of V15 metadata (the base58 prefix the build hashes)."""
    return _ss58_prefix(_decode(metadata_prefixed))


def _ss58_prefix(metadata: v15.MetadataV15) -> int:
    if metadata.ss58_prefix is None:
        raise InvalidMetadata("the metadata has no System.SS58Prefix constant (a u16)")
    return metadata.ss58_prefix


def _decode(metadata_prefixed: bytes) -> v15.MetadataV15:
    if not isinstance(metadata_prefixed, (bytes, bytearray, memoryview)):
        raise InvalidMetadata("the metadata must be bytes (RuntimeMetadataPrefixed)")
    data = bytes(metadata_prefixed)
    try:
        version = v15.metadata_version(data)
        if version != v15.V15:
            raise InvalidMetadata(
                f"the metadata is V{version}; the RFC-78 hash is defined over V15 metadata, which "
                "the runtime gives through Metadata_metadata_at_version(15)"
            )
        return v15.decode_v15(data)
    except ScaleError as error:
        raise InvalidMetadata(f"the metadata does not decode as V15: {error}") from None


def build_metadata_digest(
    metadata_prefixed: bytes,
    *,
    spec_version: int,
    spec_name: str,
    base58_prefix: int,
    decimals: int,
    token_symbol: str,
) -> MetadataDigest:
    """The full ``MetadataDigest::V1`` for ``metadata_prefixed``; see :func:`metadata_digest`."""
    return _digest(
        _decode(metadata_prefixed),
        spec_version=spec_version,
        spec_name=spec_name,
        base58_prefix=base58_prefix,
        decimals=decimals,
        token_symbol=token_symbol,
    )


def _digest(
    metadata: v15.MetadataV15,
    *,
    spec_version: int,
    spec_name: str,
    base58_prefix: int,
    decimals: int,
    token_symbol: str,
) -> MetadataDigest:
    _check_int("spec_version", spec_version, 32)
    _check_int("base58_prefix", base58_prefix, 16)
    _check_int("decimals", decimals, 8)
    for what, text in (("spec_name", spec_name), ("token_symbol", token_symbol)):
        if not isinstance(text, str):
            raise BadInput(f"{what} must be a string")
    try:
        leaves, extrinsic = _Transform(metadata).run()
    except ScaleError as error:
        raise InvalidMetadata(f"the metadata's types cannot be merkleized: {error}") from None
    return MetadataDigest(
        types_tree_root=merkle_root([blake3.blake3(leaf).digest() for leaf in leaves]),
        extrinsic_metadata_hash=blake3.blake3(extrinsic).digest(),
        spec_version=spec_version,
        spec_name=spec_name,
        base58_prefix=base58_prefix,
        decimals=decimals,
        token_symbol=token_symbol,
    )


def merkle_root(leaf_hashes: list[bytes]) -> bytes:
    """Root of the RFC's complete binary tree over ``leaf_hashes`` (in leaf order)."""
    if not leaf_hashes:
        return bytes(32)
    # The crate takes the last two nodes and puts their parent in front until one is left; doing
    # that a whole level at a time gives the same pairs.
    nodes = list(leaf_hashes)
    while len(nodes) > 1:
        # One pass pairs the level up from the back; an odd one out (the first) goes behind this
        # level's parents, where the crate's deque leaves it to be paired next.
        carry = nodes[0] if len(nodes) % 2 else None
        start = 1 if carry is not None else 0
        parents = [
            blake3.blake3(nodes[i] + nodes[i + 1]).digest() for i in range(start, len(nodes), 2)
        ]
        nodes = parents + [carry] if carry is not None else parents
    return nodes[0]


def _check_int(what: str, value: object, bits: int) -> None:
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value < 1 << bits:
        raise BadInput(f"{what} must be an integer from 0 to {(1 << bits) - 1}")


class _Transform:
    """FRAME (scale-info) types → the RFC's leaves and extrinsic metadata, as SCALE bytes."""

    def __init__(self, metadata: v15.MetadataV15) -> None:
        self.types = metadata.types
        self.extrinsic = metadata.extrinsic
        self.new_id: dict[int, int] = {}
        self._refs: dict[int, bytes] = {}

    def get(self, type_id: int) -> v15.PortableType:
        if type_id >= len(self.types):
            raise ScaleError(f"a type refers to type id {type_id}, which the registry lacks")
        return self.types[type_id]

    def run(self) -> tuple[list[bytes], bytes]:
        ext = self.extrinsic
        roots = [ext.call_ty, ext.address_ty, ext.signature_ty]
        for extension in ext.signed_extensions:
            roots += [extension.ty, extension.additional_signed]
        kept = sorted(i for i in self._reachable(roots) if self._is_leaf_type(self.types[i]))
        self.new_id = {frame_id: new_id for new_id, frame_id in enumerate(kept)}
        leaves: list[bytes] = []
        for frame_id in kept:  # already in (type_id, variant index) order
            leaves.extend(self._leaves(frame_id))
        extrinsic = (
            bytes([ext.version])
            + self.ref(ext.address_ty)
            + self.ref(ext.call_ty)
            + self.ref(ext.signature_ty)
            + vec([
                string(e.identifier) + self.ref(e.ty) + self.ref(e.additional_signed)
                for e in ext.signed_extensions
            ])
        )
        return leaves, extrinsic

    def _reachable(self, roots: list[int]) -> set[int]:
        """Ids reachable from ``roots``; compacts and bit sequences are not entered (their inner
        types never appear in the tree). Iterative: the input decides how deep the graph goes."""
        seen: set[int] = set()
        stack = list(reversed(roots))
        while stack:
            type_id = stack.pop()
            if type_id in seen:
                continue
            seen.add(type_id)
            stack.extend(self._children(self.get(type_id), enter_wrappers=False))
        return seen

    @staticmethod
    def _children(ty: v15.PortableType, *, enter_wrappers: bool) -> list[int]:
        kind, body = ty.kind, ty.body
        if kind == v15.COMPOSITE:
            return [f.ty for f in body]  # type: ignore[attr-defined]
        if kind == v15.VARIANT:
            return [f.ty for v in body for f in v.fields]  # type: ignore[attr-defined]
        if kind == v15.SEQUENCE:
            return [body]  # type: ignore[list-item]
        if kind == v15.ARRAY:
            return [body[1]]  # type: ignore[index]
        if kind == v15.TUPLE:
            return list(body)  # type: ignore[call-overload]
        if enter_wrappers and kind == v15.COMPACT:
            return [body]  # type: ignore[list-item]
        if enter_wrappers and kind == v15.BIT_SEQUENCE:
            return [body[1], body[0]]  # type: ignore[index]  # order type, then store type
        return []

    @staticmethod
    def _is_leaf_type(ty: v15.PortableType) -> bool:
        if ty.kind in (v15.PRIMITIVE, v15.COMPACT):
            return False
        if ty.kind in (v15.COMPOSITE, v15.VARIANT, v15.TUPLE) and not ty.body:
            return False
        return True

    def _primitives_under(self, root: v15.PortableType) -> list[int]:
        """The primitives met walking down from ``root`` through every kind of type, each type id
        visited once: a compact's inner type reduces to exactly one of them."""
        found: list[int] = []
        visited: set[int] = set()
        stack = [root]
        while stack:
            ty = stack.pop()
            if ty.kind == v15.PRIMITIVE:
                found.append(ty.body)  # type: ignore[arg-type]
                continue
            for child in self._children(ty, enter_wrappers=True):
                if child not in visited:
                    visited.add(child)
                    stack.append(self.get(child))
        return found

    def ref(self, type_id: int) -> bytes:
        """The SCALE-encoded ``TypeRef`` standing for frame type ``type_id``."""
        cached = self._refs.get(type_id)
        if cached is None:
            cached = self._refs[type_id] = self._make_ref(type_id)
        return cached

    def _make_ref(self, type_id: int) -> bytes:
        ty = self.get(type_id)
        if ty.kind == v15.PRIMITIVE:
            return bytes([ty.body])  # type: ignore[list-item]
        if ty.kind == v15.COMPACT:
            found = self._primitives_under(ty)
            if not found:
                return _VOID
            if len(found) > 1 or found[0] not in _COMPACT_REF:
                names = ", ".join(v15.PRIMITIVE_NAMES[p] for p in found)
                raise ScaleError(f"type {type_id} is a Compact over ({names}), not one unsigned integer")
            return bytes([_COMPACT_REF[found[0]]])
        if not self._is_leaf_type(ty):
            return _VOID
        if type_id not in self.new_id:
            raise ScaleError(f"type {type_id} is referred to but was not collected")
        return bytes([_BY_ID]) + compact(self.new_id[type_id])

    def _fields(self, fields: tuple[v15.Field, ...]) -> bytes:
        return vec([option_str(f.name) + self.ref(f.ty) + option_str(f.type_name) for f in fields])

    def _leaves(self, frame_id: int) -> list[bytes]:
        ty = self.types[frame_id]
        path = vec([string(segment) for segment in ty.path])
        type_id = compact(self.new_id[frame_id])
        kind, body = ty.kind, ty.body
        # the body's shape follows from its kind (see PortableType); the parser built it that way
        if kind == v15.SEQUENCE:
            assert isinstance(body, int)
            return [path + bytes([_T_SEQUENCE]) + self.ref(body) + type_id]
        assert isinstance(body, tuple)
        if kind == v15.VARIANT:
            variants = sorted(body, key=lambda v: v.index)
            indices = [v.index for v in variants]
            if len(set(indices)) != len(indices):
                raise ScaleError(f"type {frame_id} repeats a variant index")
            return [
                path + bytes([_T_ENUMERATION]) + string(v.name) + self._fields(v.fields)
                + compact(v.index) + type_id
                for v in variants
            ]
        if kind == v15.COMPOSITE:
            type_def = bytes([_T_COMPOSITE]) + self._fields(body)
        elif kind == v15.ARRAY:
            length, inner = body
            type_def = bytes([_T_ARRAY]) + length.to_bytes(4, "little") + self.ref(inner)
        elif kind == v15.TUPLE:
            type_def = bytes([_T_TUPLE]) + vec([self.ref(t) for t in body])
        else:  # bit sequence
            type_def = bytes([_T_BIT_SEQUENCE]) + self._bit_sequence(frame_id, *body)
        return [path + type_def + type_id]

    def _bit_sequence(self, frame_id: int, store: int, order: int) -> bytes:
        found = self._primitives_under(self.get(store))
        if len(found) != 1 or found[0] not in _BIT_STORE_BYTES:
            raise ScaleError(f"bit sequence {frame_id}: its store type is not one of u8, u16, u32, u64")
        segments = [s for s in self.get(order).path if s in ("Lsb0", "Msb0")]
        if not segments:
            raise ScaleError(f"bit sequence {frame_id}: its order type is neither Lsb0 nor Msb0")
        return bytes([_BIT_STORE_BYTES[found[0]], segments[0] == "Lsb0"])
