"""Decode ``RuntimeMetadataPrefixed`` holding V15 metadata: the portable type registry (scale-info)
and the extrinsic metadata, which is all the RFC-78 metadata hash reads.

The rest of V15 (pallets, runtime APIs, outer enums, custom values) is decoded only to be skipped
(but for ``System.SS58Prefix``), so the whole blob must be well-formed and fully consumed. Layouts follow frame-metadata's
``v15.rs``/``v14.rs`` and scale-info's portable form.
"""

from __future__ import annotations

from dataclasses import dataclass

from fennel_gov.txfile._scale import Reader, ScaleError

MAGIC = b"meta"
V15 = 15

# scale-info ``TypeDef`` variant indices.
COMPOSITE, VARIANT, SEQUENCE, ARRAY, TUPLE, PRIMITIVE, COMPACT, BIT_SEQUENCE = range(8)
# scale-info ``TypeDefPrimitive``: bool, char, str, u8..u256, i8..i256 (0..14, in this order).
PRIMITIVE_NAMES = ("bool", "char", "str", "u8", "u16", "u32", "u64", "u128", "u256",
                   "i8", "i16", "i32", "i64", "i128", "i256")
U8, U16, U32, U64, U128, U256 = 3, 4, 5, 6, 7, 8


@dataclass(frozen=True, slots=True)
class Field:
    name: str | None
    ty: int
    type_name: str | None


@dataclass(frozen=True, slots=True)
class Variant:
    name: str
    fields: tuple[Field, ...]
    index: int


@dataclass(frozen=True, slots=True)
class PortableType:
    """One registry entry. ``kind`` is the TypeDef index; ``body`` depends on it:
    composite → fields, variant → variants, sequence/compact → type id, array → (len, type id),
    tuple → type ids, primitive → primitive index, bit sequence → (store id, order id)."""

    path: tuple[str, ...]
    kind: int
    body: object


@dataclass(frozen=True, slots=True)
class SignedExtension:
    identifier: str
    ty: int
    additional_signed: int


@dataclass(frozen=True, slots=True)
class ExtrinsicMetadata:
    version: int
    address_ty: int
    call_ty: int
    signature_ty: int
    extra_ty: int
    signed_extensions: tuple[SignedExtension, ...]


@dataclass(frozen=True, slots=True)
class MetadataV15:
    types: tuple[PortableType, ...]
    extrinsic: ExtrinsicMetadata
    # ``System.SS58Prefix`` (a u16 constant), which substrate-wasm-builder reads as base58 prefix.
    ss58_prefix: int | None


def metadata_version(prefixed: bytes) -> int:
    """The version byte of ``RuntimeMetadataPrefixed`` (after the ``meta`` magic)."""
    if len(prefixed) < 5 or prefixed[:4] != MAGIC:
        raise ScaleError("not runtime metadata: it does not start with the 'meta' magic")
    return prefixed[4]


def decode_v15(prefixed: bytes) -> MetadataV15:
    version = metadata_version(prefixed)
    if version != V15:
        raise ScaleError(f"metadata V{version} is not V15")
    reader = Reader(prefixed)
    reader.offset = 5
    types = _registry(reader)
    ss58_prefix = None
    for _ in range(reader.length()):
        name, constants = _pallet(reader)
        value = constants.get("SS58Prefix")
        if name == "System" and value is not None and len(value) == 2:
            ss58_prefix = int.from_bytes(value, "little")
    extrinsic = _extrinsic(reader)
    reader.compact()  # the Runtime type
    for _ in range(reader.length()):
        _skip_api(reader)
    for _ in range(3):  # outer enums: call, event, module error
        reader.compact()
    for _ in range(reader.length()):  # custom: BTreeMap<String, {ty, value}>
        reader.str()
        reader.compact()
        reader.bytes()
    if reader.remaining():
        left = reader.remaining()
        raise ScaleError(f"{left} byte{'s' if left > 1 else ''} left over after the V15 metadata")
    return MetadataV15(types, extrinsic, ss58_prefix)


def _fields(reader: Reader) -> tuple[Field, ...]:
    out = []
    for _ in range(reader.length()):
        name = reader.option_str()
        ty = reader.compact()
        type_name = reader.option_str()
        reader.strs()  # docs
        out.append(Field(name, ty, type_name))
    return tuple(out)


def _registry(reader: Reader) -> tuple[PortableType, ...]:
    types = []
    for position in range(reader.length()):
        start = reader.offset
        type_id = reader.compact()
        # Types are looked up by position; a registry whose ids disagree with positions would make
        # this reader and another tool resolve the same reference to different types.
        if type_id != position:
            raise ScaleError(f"byte {start}: registry entry {position} claims type id {type_id}")
        path = tuple(reader.strs())
        for _ in range(reader.length()):  # type parameters: name, Option<type id>
            reader.str()
            if reader.option_flag():
                reader.compact()
        kind = reader.u8()
        body: object
        if kind == COMPOSITE:
            body = _fields(reader)
        elif kind == VARIANT:
            variants = []
            for _ in range(reader.length()):
                name = reader.str()
                fields = _fields(reader)
                index = reader.u8()
                reader.strs()  # docs
                variants.append(Variant(name, fields, index))
            body = tuple(variants)
        elif kind in (SEQUENCE, COMPACT):
            body = reader.compact()
        elif kind == ARRAY:
            body = (reader.u32(), reader.compact())
        elif kind == TUPLE:
            body = tuple(reader.compact() for _ in range(reader.length()))
        elif kind == PRIMITIVE:
            body = reader.u8()
            if body >= len(PRIMITIVE_NAMES):
                raise ScaleError(f"type {position}: unknown primitive {body}")
        elif kind == BIT_SEQUENCE:
            body = (reader.compact(), reader.compact())
        else:
            raise ScaleError(f"type {position}: unknown type definition kind {kind}")
        reader.strs()  # docs
        types.append(PortableType(path, kind, body))
    return tuple(types)


def _pallet(reader: Reader) -> tuple[str, dict[str, bytes]]:
    """Skip a pallet's metadata; return its name and constant values."""
    name = reader.str()
    if reader.option_flag():  # storage
        reader.str()  # prefix
        for _ in range(reader.length()):
            reader.str()  # name
            if reader.u8() > 1:
                raise ScaleError(f"byte {reader.offset - 1}: unknown storage entry modifier")
            kind = reader.u8()
            if kind == 0:
                reader.compact()
            elif kind == 1:
                for _ in range(reader.length()):
                    if reader.u8() > 6:
                        raise ScaleError(f"byte {reader.offset - 1}: unknown storage hasher")
                reader.compact()
                reader.compact()
            else:
                raise ScaleError(f"byte {reader.offset - 1}: unknown storage entry type {kind}")
            reader.bytes()  # default
            reader.strs()  # docs
    for _ in range(2):  # calls, event
        if reader.option_flag():
            reader.compact()
    constants = {}
    for _ in range(reader.length()):
        constant = reader.str()
        reader.compact()  # type
        constants[constant] = reader.bytes()
        reader.strs()  # docs
    if reader.option_flag():  # error
        reader.compact()
    reader.u8()  # index
    reader.strs()  # docs
    return name, constants


def _extrinsic(reader: Reader) -> ExtrinsicMetadata:
    version = reader.u8()
    address_ty, call_ty, signature_ty, extra_ty = (reader.compact() for _ in range(4))
    extensions = tuple(
        SignedExtension(reader.str(), reader.compact(), reader.compact()) for _ in range(reader.length())
    )
    return ExtrinsicMetadata(version, address_ty, call_ty, signature_ty, extra_ty, extensions)


def _skip_api(reader: Reader) -> None:
    reader.str()  # name
    for _ in range(reader.length()):  # methods
        reader.str()
        for _ in range(reader.length()):  # inputs: name, type
            reader.str()
            reader.compact()
        reader.compact()  # output
        reader.strs()  # docs
    reader.strs()  # docs
