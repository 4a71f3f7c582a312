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
# base58Prefix: 42}).digest()` over the bytes `fennel_gov.runtime.metadata(runtime, (15,))` returns
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
    from fennel_gov.runtime import Runtime, metadata

    return metadata(Runtime.from_code(FENNEL_V102.read_bytes()), (version,))


@pytest.mark.parametrize("name", sorted(CRATE_HASHES))
def test_reproduces_the_reference_crates_fixture_hashes(name):
    assert metadata_digest(crate_fixture(name), **CRATE_EXTRA).hex() == CRATE_HASHES[name]


def test_fennel_v102_hash_matches_polkadot_api_and_is_computed_without_sockets(socket_disabled):
    from fennel_gov.runtime import core_version, Runtime

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
        (lambda m: m + b"\x00", "1 bytes left over"),
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
