"""Merging a genesis patch onto the runtime's default config, as polkadot-sdk's ``json_patch::merge``.

Objects merge key by key, recursively; anything else (arrays included) replaces the target whole.
Since polkadot-sdk PR #6382 a ``null`` in the patch *sets* the value to null (older nodes removed
the key); ``legacy_null_removes=True`` gives the old behaviour. Integers stay exact Python ints, so
balances above 2^64 survive.
"""

from __future__ import annotations

import copy
from typing import Any


def merge(target: Any, patch: Any, *, legacy_null_removes: bool = False) -> Any:
    """Return ``target`` with ``patch`` merged in (``target`` is not modified)."""
    return _merge(copy.deepcopy(target), patch, legacy_null_removes)


def _merge(target: Any, patch: Any, legacy: bool) -> Any:
    if isinstance(target, dict) and isinstance(patch, dict):
        for key, value in patch.items():
            if legacy and value is None:
                target.pop(key, None)
            elif key in target:
                target[key] = _merge(target[key], value, legacy)
            else:
                target[key] = _merge(None, value, legacy) if isinstance(value, dict) and legacy else value
        return target
    return copy.deepcopy(patch)
