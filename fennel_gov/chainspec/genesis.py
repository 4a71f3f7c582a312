"""From a plain spec to genesis storage, the raw spec, its state root and the genesis hash.

``raw_storage`` does what sc-chain-spec does for ``build-spec --raw``: take the runtime's default
config (``GenesisBuilder_get_preset(None)``), merge the spec's patch onto it (or take a full
``config`` as is), run ``GenesisBuilder_build_state`` on an empty ``BasicExternalities``, and add
``:code``. A raw spec's ``childrenDefault`` holds child tries: as sc-client-db's ``apply_new_state``
does (``full_storage_root``), each child trie's root goes into the top trie under
``:child_storage:default:`` + its storage key, and a child trie with no entries is left out. The genesis block is ``Header { parent: 0, number: 0, state_root, extrinsics_root:
empty-trie root, digest: [] }``; its blake2-256 is the genesis hash.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

from fennel_gov._codec import blake2_256
from fennel_gov.chainspec.json_patch import merge
from fennel_gov.chainspec.spec import CODE_KEY, DEFAULT_CHILD_PREFIX, ChainSpec
from fennel_gov.errors import BadInput
from fennel_gov.runtime import Runtime, RuntimeVersion, build_state, core_version, get_preset, trie_root
from fennel_gov.runtime.trie import EMPTY_TRIE_ROOT


@dataclass(frozen=True)
class Genesis:
    top: dict[bytes, bytes]
    state_version: int
    state_root: bytes
    genesis_hash: bytes
    runtime_version: RuntimeVersion | None = None  # when built from a runtime, its Core_version
    children: dict[bytes, dict[bytes, bytes]] = field(default_factory=dict)  # childrenDefault, by unprefixed storage key


def genesis_config(runtime: Runtime, runtime_genesis: dict[str, Any], *, legacy_null_removes: bool = False) -> dict[str, Any]:
    """The full genesis config a plain spec's ``runtimeGenesis`` stands for."""
    if "config" in runtime_genesis:
        return runtime_genesis["config"]
    if "patch" in runtime_genesis:
        patch = runtime_genesis["patch"]
        if not isinstance(patch, dict):
            raise BadInput("genesis.runtimeGenesis.patch must be a JSON object")
        default = get_preset(runtime, None)
        if default is None:
            raise BadInput("the runtime offers no default genesis config to apply the patch to")
        return merge(default, patch, legacy_null_removes=legacy_null_removes)
    raise BadInput("genesis.runtimeGenesis has neither 'patch' nor 'config'")


def raw_storage(runtime: Runtime, code: bytes, config: dict[str, Any]) -> dict[bytes, bytes]:
    storage = build_state(runtime, config)
    top = storage.as_dict()
    top[bytes.fromhex(CODE_KEY[2:])] = code
    return top


def genesis_hash_for(state_root: bytes) -> bytes:
    header = bytes(32) + b"\x00" + state_root + EMPTY_TRIE_ROOT + b"\x00"
    return blake2_256(header)


def with_child_roots(top: dict[bytes, bytes], children: dict[bytes, dict[bytes, bytes]], state_version: int) -> dict[bytes, bytes]:
    """The top trie's entries with each non-empty child trie's root under its prefixed key."""
    entries = top
    for storage_key, child in children.items():
        if child:  # an empty child trie is removed, not stored with the empty root
            entries = dict(top) if entries is top else entries  # copied once, only when needed
            entries[DEFAULT_CHILD_PREFIX + storage_key] = trie_root(child, state_version)
    return entries


def genesis_of(top: dict[bytes, bytes], version: RuntimeVersion | int, children: dict[bytes, dict[bytes, bytes]] | None = None) -> Genesis:
    state_version = version if isinstance(version, int) else version.state_version
    children = children or {}
    root = trie_root(with_child_roots(top, children, state_version), state_version)
    return Genesis(
        top=top, state_version=state_version, state_root=root, genesis_hash=genesis_hash_for(root),
        runtime_version=None if isinstance(version, int) else version, children=children,
    )


def to_raw(spec: ChainSpec, runtime: Runtime | None = None, *, legacy_null_removes: bool = False) -> tuple[dict[str, Any], Genesis]:
    """The raw spec document for a plain spec (a raw spec is returned as it is)."""
    code = spec.code
    runtime = runtime or Runtime.from_code(code)
    version = core_version(runtime)
    if spec.is_raw:
        return spec.document, genesis_of(spec.raw_top_bytes(), version, spec.raw_children_bytes())
    config = genesis_config(runtime, spec.runtime_genesis, legacy_null_removes=legacy_null_removes)
    top = raw_storage(runtime, code, config)
    document = copy.deepcopy({k: v for k, v in spec.document.items() if k != "genesis"})
    document["genesis"] = {
        "raw": {
            "top": {"0x" + key.hex(): "0x" + value.hex() for key, value in top.items()},
            "childrenDefault": {},
        }
    }
    return document, genesis_of(top, version)
