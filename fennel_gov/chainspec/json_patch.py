"""Merging a genesis patch onto the runtime's default config, as polkadot-sdk's ``json_patch::merge``.

Objects merge key by key, recursively; anything else (arrays included) replaces the target whole.
Since polkadot-sdk PR #6382 a ``null`` in the patch *sets* the value to null (older nodes removed
the key); ``legacy_null_removes=True`` gives the old behaviour. Integers stay exact Python ints, so
balances above 2^64 survive.
"""

from __future__ import annotations

from typing import Any


def merge(target: Any, patch: Any, *, legacy_null_removes: bool = False) -> Any:
    """Return ``target`` with ``patch`` merged in. Neither input is modified: objects on the merge
    path are copied, everything else is shared (the result is only read, then serialised)."""
    if isinstance(target, dict) and isinstance(patch, dict):
        merged = dict(target)
        for key, value in patch.items():
            if legacy_null_removes and value is None:
                merged.pop(key, None)
            elif key in merged:
                merged[key] = merge(merged[key], value, legacy_null_removes=legacy_null_removes)
            else:
                merged[key] = _without_nulls(value) if legacy_null_removes else value
        return merged
    return patch


def _without_nulls(value: Any) -> Any:
    # Old nodes merged a new object into an empty one, so its own nulls were dropped too.
    if isinstance(value, dict):
        return {k: _without_nulls(v) for k, v in value.items() if v is not None}
    return value
