"""The RFC-78 metadata hash (CheckMetadataHash, Enabled mode), computed offline in Python.

Pinned against published values: the fixture hashes asserted by the reference crate
(bkchr/merkleized-metadata v0.5.1, ``calculate_metadata_digest_works``) over its own fixture
metadata, and Fennel's runtime v102 as hashed by an independent implementation
(@polkadot-api/merkleize-metadata).
"""

from __future__ import annotations

from collections import deque
from functools import lru_cache
from pathlib import Path

import blake3
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fennel_gov.errors import BadInput
from fennel_gov.txfile._scale import Reader
from fennel_gov.txfile.metadata_hash import (
    InvalidMetadata,
    build_metadata_digest,
    merkle_root,
    metadata_digest,
)
from tests.conftest import FIXTURES, ROOT

CRATE_FIXTURES = ROOT / "tests" / "fixtures" / "merkleized-metadata"  # MIT OR Apache-2.0, licences beside them
FENNEL_V102 = FIXTURES / "runtimes" / "fennel-v102.compact.compressed.wasm"

# The crate's test passes this same made-up extra info for every fixture.
CRATE_EXTRA = dict(spec_version=1, spec_name="nice", base58_prefix=1, decimals=1, token_symbol="lol")
CRATE_HASHES = {
    "rococo_metadata_v15": "6619a31025a9a14086a34da4ede7ed61258b9f55c12baae8bc801317869d2dfb",
    "polkadot_metadata_v15": "72b3e70cb722edeb45a9380720ecad79b09b4113ab2dee5f5d974f170fb77a7e",
    "kusama_metadata_v15": "23d7a31034edf29f4a5977ffc3075aba8087c422026e9bf4aaea8bc8192d6a23",
    "acala_metadata_v15": "bd64dee496517c5288c47014fe0f57c2e12e42a7d627caeafa95e9f992e7e774",
    "moonbeam_metadata_v15": "1339dc558887eb12f454586ef324c36bd3a1990000e17fbba6311f6ae55af676",
    "hydradx_metadata_v15": "a11f4b8cb2515bf5dc0f8f7c04c0602d72e97892c562dafc3bb1d526d36ab838",
}

FENNEL_EXTRA = dict(spec_version=102, spec_name="fennel", base58_prefix=42, decimals=12, token_symbol="FNL")
# Obtained once (not needed by this test) with @polkadot-api/merkleize-metadata 1.3.0, installed
# outside the repo: `npm install --prefix /tmp/papi-mm @polkadot-api/merkleize-metadata`, then
# `merkleizeMetadata(bytes, {decimals: 12, tokenSymbol: "FNL", specName: "fennel", specVersion: 102,
# base58Prefix: 42}).digest()` over the bytes `fennel_gov.runtime.calls.metadata(runtime, (15,))` returns
# for fennel-v102.compact.compressed.wasm. That package reads spec name, spec version and SS58
# prefix from the metadata itself (System.Version, System.SS58Prefix) and checked them against the
# hints, so they are the runtime's own.
FENNEL_V102_HASH = "4f89e1c26f05f6c070faa460b893e761f61f4370226e752a556e5f0ffebfa09b"


def crate_fixture(name: str) -> bytes:
    """The fixture as the crate stores it: hex of the ``state_call`` answer, ``Option<Vec<u8>>``."""
    reader = Reader(bytes.fromhex((CRATE_FIXTURES / name).read_text().strip().removeprefix("0x")))
    assert reader.option_flag()
    metadata = reader.bytes()
    assert reader.remaining() == 0
    return metadata


@lru_cache(maxsize=None)
def fennel_metadata(version: int = 15) -> bytes:
    from fennel_gov.runtime import Runtime
    from fennel_gov.runtime.calls import metadata  # not fennel_gov.runtime.metadata: a submodule shadows it

    return metadata(Runtime.from_code(FENNEL_V102.read_bytes()), (version,))


@pytest.mark.parametrize("name", sorted(CRATE_HASHES))
def test_reproduces_the_reference_crates_fixture_hashes(name):
    assert metadata_digest(crate_fixture(name), **CRATE_EXTRA).hex() == CRATE_HASHES[name]


def test_fennel_v102_hash_matches_polkadot_api_and_is_computed_without_sockets(socket_disabled):
    from fennel_gov.runtime import Runtime
    from fennel_gov.runtime.calls import core_version

    version = core_version(Runtime.from_code(FENNEL_V102.read_bytes()))
    assert (version.spec_name, version.spec_version) == ("fennel", 102)
    assert metadata_digest(fennel_metadata(), **FENNEL_EXTRA).hex() == FENNEL_V102_HASH


def test_every_extra_info_field_is_part_of_the_hash():
    metadata = fennel_metadata()
    base = metadata_digest(metadata, **FENNEL_EXTRA)
    for field, other in [("spec_version", 103), ("spec_name", "fennel2"), ("base58_prefix", 0),
                         ("decimals", 18), ("token_symbol", "DOT")]:
        assert metadata_digest(metadata, **{**FENNEL_EXTRA, field: other}) != base, field


def test_digest_is_the_scale_encoded_v1_variant():
    digest = build_metadata_digest(fennel_metadata(), **FENNEL_EXTRA)
    encoded = digest.encode()
    assert encoded[0] == 1  # MetadataDigest::V1
    assert encoded[1:33] == digest.types_tree_root and encoded[33:65] == digest.extrinsic_metadata_hash
    assert encoded[65:] == (102).to_bytes(4, "little") + b"\x18fennel" + (42).to_bytes(2, "little") + b"\x0c\x0cFNL"
    assert digest.hash() == blake3.blake3(encoded).digest()


def _deque_root(hashes: list[bytes]) -> bytes:
    """The RFC's construction written the crate's way: take the last two, push the parent in front."""
    nodes = deque(hashes)
    while len(nodes) > 1:
        right, left = nodes.pop(), nodes.pop()
        nodes.appendleft(blake3.blake3(left + right).digest())
    return nodes[0] if nodes else bytes(32)


def _h(*parts: bytes) -> bytes:
    return blake3.blake3(b"".join(parts)).digest()


def test_merkle_root_builds_the_rfcs_example_trees():
    leaf = [_h(bytes([i])) for i in range(6)]
    # RFC-0078, "Building the Merkle Tree Root": 5 leaves → [[[3, 4], 0], [1, 2]]
    assert merkle_root(leaf[:5]) == _h(_h(_h(leaf[3], leaf[4]), leaf[0]), _h(leaf[1], leaf[2]))
    # 6 leaves: the RFC draws [[[0, 1], [2, 3]], [4, 5]], but the crate (whose fixture hashes pass
    # above, and which @polkadot-api agrees with on Fennel) builds [[[2, 3], [4, 5]], [0, 1]]; the
    # crate is what runtimes compute their expected hash with.
    assert merkle_root(leaf) == _h(_h(_h(leaf[2], leaf[3]), _h(leaf[4], leaf[5])), _h(leaf[0], leaf[1]))
    assert merkle_root([]) == bytes(32)
    assert merkle_root(leaf[:1]) == leaf[0]


def test_merkle_root_agrees_with_the_deque_construction_for_every_size_up_to_300():
    hashes = [_h(i.to_bytes(2, "little")) for i in range(300)]
    for n in range(301):
        assert merkle_root(hashes[:n]) == _deque_root(hashes[:n]), n


def test_v14_metadata_is_refused_naming_v15():
    with pytest.raises(InvalidMetadata, match=r"V14.*Metadata_metadata_at_version\(15\)"):
        metadata_digest(fennel_metadata(14), **FENNEL_EXTRA)


@pytest.mark.parametrize(
    "mangle, message",
    [
        (lambda m: b"atem" + m[4:], "'meta' magic"),
        (lambda m: m[:-1], "truncated"),
        (lambda m: m + b"\x00", "1 byte left over"),
        (lambda m: m[:5] + b"\xfe\xff\xff\xff" + m[9:], "exceeds"),  # a forged registry length
    ],
)
def test_malformed_metadata_is_refused_with_one_clear_error(mangle, message):
    with pytest.raises(InvalidMetadata, match=message):
        metadata_digest(mangle(fennel_metadata()), **FENNEL_EXTRA)


@pytest.mark.parametrize(
    "field, value",
    [("spec_version", -1), ("spec_version", 1 << 32), ("base58_prefix", 1 << 16), ("decimals", 256),
     ("decimals", True), ("spec_name", b"fennel"), ("token_symbol", None)],
)
def test_extra_info_out_of_its_scale_type_is_refused(field, value):
    with pytest.raises(BadInput, match=field):
        metadata_digest(fennel_metadata(), **{**FENNEL_EXTRA, field: value})


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_corrupted_metadata_gives_a_hash_or_invalid_metadata_never_a_crash(data):
    metadata = bytearray(fennel_metadata())
    for _ in range(data.draw(st.integers(1, 4))):
        metadata[data.draw(st.integers(5, len(metadata) - 1))] = data.draw(st.integers(0, 255))
    try:
        digest = metadata_digest(bytes(metadata), **FENNEL_EXTRA)
    except InvalidMetadata:
        return
    assert len(digest) == 32


def test_system_ss58_prefix_is_read_from_the_metadata():
    from fennel_gov.txfile.metadata_hash import ss58_prefix_of

    assert ss58_prefix_of(fennel_metadata()) == 42
    assert ss58_prefix_of(crate_fixture("polkadot_metadata_v15")) == 0
    assert ss58_prefix_of(crate_fixture("kusama_metadata_v15")) == 2


def test_runtime_metadata_hash_follows_the_wasm_builders_recipe():
    """spec name/version from Core_version, base58 prefix from System.SS58Prefix: only the token
    symbol and decimals are the build's choice."""
    import fennel_gov.runtime.metadata  # noqa: F401  shadows the package's `metadata` function
    from fennel_gov.runtime import Runtime
    from fennel_gov.txfile.metadata_hash import runtime_metadata_hash

    runtime = Runtime.from_code(FENNEL_V102.read_bytes())
    assert runtime_metadata_hash(runtime, decimals=12, token_symbol="FNL").hex() == FENNEL_V102_HASH
    assert runtime_metadata_hash(runtime, decimals=12, token_symbol="UNIT").hex() != FENNEL_V102_HASH


# --- A small V15 metadata written by hand, to pin each transformation rule on its own ---------

def _c(n: int) -> bytes:
    from fennel_gov.txfile._scale import compact

    return compact(n)


def _s(text: str) -> bytes:
    return _c(len(text.encode())) + text.encode()


def _ty(type_def: bytes, path: tuple[str, ...] = ()) -> bytes:
    """A scale-info type: path, no type parameters, the definition, no docs."""
    return _c(len(path)) + b"".join(_s(p) for p in path) + b"\x00" + type_def + b"\x00"


def _prim(index: int) -> bytes:
    return _ty(b"\x05" + bytes([index]))


def _fields(*fields: tuple[str | None, int]) -> bytes:
    return _c(len(fields)) + b"".join(
        (b"\x00" if name is None else b"\x01" + _s(name)) + _c(ty) + b"\x00" + b"\x00" for name, ty in fields
    )


def _v15(types: list[bytes], *, address: int, call: int, signature: int,
         extensions: list[tuple[str, int, int]], ids: list[int] | None = None) -> bytes:
    ids = ids if ids is not None else list(range(len(types)))
    registry = _c(len(types)) + b"".join(_c(i) + t for i, t in zip(ids, types))
    extrinsic = (b"\x04" + _c(address) + _c(call) + _c(signature) + _c(0)
                 + _c(len(extensions)) + b"".join(_s(n) + _c(a) + _c(b) for n, a, b in extensions))
    return b"meta\x0f" + registry + b"\x00" + extrinsic + _c(0) + b"\x00" + _c(0) * 3 + b"\x00"


HAND_TYPES = [
    _prim(5),                                                   # 0: u32
    _ty(b"\x00" + _fields(("parts", 0)), ("Perbill",)),         # 1: struct { parts: u32 }
    _ty(b"\x06" + _c(1)),                                       # 2: Compact<Perbill>
    _ty(b"\x04" + _c(0)),                                       # 3: ()
    _ty(b"\x06" + _c(3)),                                       # 4: Compact<()>
    # 5: enum Call { b(Compact<Perbill>) = 1, a = 0 }, declared out of index order
    _ty(b"\x01" + _c(2) + _s("b") + _fields(("x", 2)) + b"\x01\x00" + _s("a") + _fields() + b"\x00\x00", ("Call",)),
    _prim(3),                                                   # 6: u8
    _ty(b"\x00" + _fields(), ("bitvec", "order", "Lsb0")),      # 7: Lsb0
    _ty(b"\x07" + _c(6) + _c(7)),                               # 8: BitVec<u8, Lsb0>
]


def test_hand_written_metadata_gives_the_leaves_and_extrinsic_metadata_the_rfc_describes():
    metadata = _v15(HAND_TYPES, address=0, call=5, signature=8, extensions=[("X", 4, 3)])
    digest = build_metadata_digest(metadata, **FENNEL_EXTRA)
    # Kept types, numbered in registry order: Call (5) → 0, BitVec (8) → 1. The Perbill struct is
    # only under a Compact, so it is pruned.
    by_id_call, by_id_bits, compact_u32, void, u32 = b"\x16\x00", b"\x16\x04", b"\x11", b"\x15", b"\x05"
    call_path = b"\x04" + _s("Call")
    leaves = [
        call_path + b"\x01" + _s("a") + b"\x00" + _c(0) + _c(0),  # variants sorted by index
        call_path + b"\x01" + _s("b") + b"\x04" + b"\x01" + _s("x") + compact_u32 + b"\x00" + _c(1) + _c(0),
        b"\x00" + b"\x05" + b"\x01\x01" + _c(1),  # bit sequence: 1-byte store, least significant bit first
    ]
    assert digest.types_tree_root == merkle_root([blake3.blake3(leaf).digest() for leaf in leaves])
    extrinsic = b"\x04" + u32 + by_id_call + by_id_bits + b"\x04" + _s("X") + void + void
    assert digest.extrinsic_metadata_hash == blake3.blake3(extrinsic).digest()


@pytest.mark.parametrize(
    "types, ids, message",
    [
        # Compact over a struct of two integers: no single primitive to compact.
        (HAND_TYPES[:1] + [_ty(b"\x00" + _fields(("a", 0), ("b", 9)))] + HAND_TYPES[2:] + [_prim(6)],
         None, "not one unsigned integer"),
        # Two variants with the same index.
        (HAND_TYPES[:5] + [_ty(b"\x01" + _c(2) + _s("b") + _fields() + b"\x00\x00" + _s("a") + _fields() + b"\x00\x00")]
         + HAND_TYPES[6:], None, "repeats a variant index"),
        # A field referring to a type the registry lacks.
        (HAND_TYPES[:5] + [_ty(b"\x01" + _c(1) + _s("a") + _fields(("x", 99)) + b"\x00\x00")] + HAND_TYPES[6:],
         None, "type id 99"),
        # A bit order type that is neither Lsb0 nor Msb0.
        (HAND_TYPES[:7] + [_ty(b"\x00" + _fields(), ("bitvec", "order", "Other"))] + HAND_TYPES[8:],
         None, "neither Lsb0 nor Msb0"),
        # Registry entries whose ids are not their positions.
        (HAND_TYPES, [0, 1, 2, 3, 4, 5, 6, 8, 7], "claims type id"),
    ],
)
def test_metadata_the_rfc_cannot_express_is_refused(types, ids, message):
    metadata = _v15(types, address=0, call=5, signature=8, extensions=[("X", 4, 3)], ids=ids)
    with pytest.raises(InvalidMetadata, match=message):
        metadata_digest(metadata, **FENNEL_EXTRA)


def test_the_module_pulls_in_no_network_code():
    import subprocess
    import sys

    code = ("import sys, fennel_gov.txfile.metadata_hash; print(','.join(sorted(m for m in sys.modules "
            "if m.split('.')[0] in ('substrateinterface', 'websocket', 'requests', 'urllib3', 'http', 'ssl'))))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == ""
