"""Trie roots: the empty root, and many random tries checked against chopsticks' Rust implementation."""

from __future__ import annotations

import json
import random

from fennel_gov.runtime.trie import EMPTY_TRIE_ROOT, _header, ordered_trie_root, trie_root
from tests.conftest import run_node_script


def test_empty_trie_root_is_blake2_of_the_null_node():
    assert EMPTY_TRIE_ROOT.hex() == "03170a2e7597b7b7e3d84c05391d139a62b157e78786d8c082f29dcf4c111314"
    assert ordered_trie_root([]) == EMPTY_TRIE_ROOT


def test_header_size_encoding_extends_past_the_first_byte():
    assert _header(0x40, 2, 5) == bytes([0x45])
    assert _header(0x40, 2, 62) == bytes([0x40 + 62])
    assert _header(0x40, 2, 63) == bytes([0x40 + 63, 0])
    assert _header(0x40, 2, 62 + 255) == bytes([0x40 + 63, 254])
    assert _header(0x40, 2, 62 + 256) == bytes([0x40 + 63, 255, 0])


def _random_cases(seed: int) -> list[dict]:
    rng = random.Random(seed)
    cases = []
    for index in range(60):
        count = rng.choice([1, 2, 3, 5, 17, 64, 300])
        entries = {}
        shared = bytes(rng.randrange(256) for _ in range(rng.choice([0, 1, 16, 40])))
        for _ in range(count):
            key = shared + bytes(rng.randrange(256) for _ in range(rng.choice([0, 1, 2, 32, 48])))
            value = bytes(rng.randrange(256) for _ in range(rng.choice([0, 1, 31, 32, 33, 100])))
            entries[key] = value
        # keys that are prefixes of others, so branches carry values
        for key in list(entries)[:3]:
            if len(key) > 1:
                entries[key[: len(key) // 2]] = b"v" * rng.choice([1, 40])
        cases.append({"entries": entries, "version": index % 2})
    return cases


def test_random_tries_match_chopsticks_rust_trie():
    cases = _random_cases(20261127)
    payload = json.dumps(
        [{"entries": [["0x" + k.hex(), "0x" + v.hex()] for k, v in c["entries"].items()], "version": c["version"]} for c in cases]
    )
    theirs = json.loads(run_node_script("trie_roots.mjs", stdin=payload))
    ours = ["0x" + trie_root(c["entries"], c["version"]).hex() for c in cases]
    assert ours == theirs
