"""A Substrate runtime host in Python (wasmtime): run a runtime's exports without a node.

``Runtime`` compiles (and caches) the wasm; ``calls`` has the typed calls; ``trie`` computes state
roots; ``storage`` is the overlay a call writes into. The wasm host functions and the allocator are
internals (``host``, ``_allocator``). Nothing here opens a network connection.
"""

from fennel_gov.runtime.calls import (
    GenesisBuildError,
    RuntimeVersion,
    build_state,
    core_version,
    get_preset,
    metadata,
    preset_names,
)
from fennel_gov.runtime.executor import Runtime, RuntimeTrap
from fennel_gov.runtime.storage import Storage
from fennel_gov.runtime.trie import EMPTY_TRIE_ROOT, ordered_trie_root, trie_root

__all__ = [
    "EMPTY_TRIE_ROOT",
    "GenesisBuildError",
    "Runtime",
    "RuntimeTrap",
    "RuntimeVersion",
    "Storage",
    "build_state",
    "core_version",
    "get_preset",
    "metadata",
    "ordered_trie_root",
    "preset_names",
    "trie_root",
]
