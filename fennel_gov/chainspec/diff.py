"""``chainspec diff``: what two specs' genesis storage differ in, named ``Pallet.Item(key)`` from metadata."""

from __future__ import annotations

from typing import Any

from fennel_gov._codec import blake2_256
from fennel_gov.chainspec.genesis import to_raw
from fennel_gov.chainspec.spec import ChainSpec
from fennel_gov.runtime import Runtime
from fennel_gov.runtime.metadata import RuntimeMetadata

CODE = b":code"


def _summarise(metadata: RuntimeMetadata, key: bytes, value: bytes | None) -> Any:
    if value is None:
        return None
    if key == CODE:
        return f"<code {len(value):,} bytes, blake2-256 0x{blake2_256(value).hex()}>"
    return _jsonable(metadata.decode_value(key, value))


def _jsonable(value: Any) -> Any:
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (bytes, bytearray)):
        return "0x" + bytes(value).hex()
    if isinstance(value, int) and abs(value) >= 2**53:
        return str(value)
    return value


def diff_specs(a: ChainSpec, b: ChainSpec) -> dict[str, Any]:
    runtime_b = Runtime.from_code(b.code)
    _, genesis_a = to_raw(a)
    _, genesis_b = to_raw(b, runtime_b)
    metadata = RuntimeMetadata.from_runtime(runtime_b)
    changes = []
    for key in sorted(set(genesis_a.top) | set(genesis_b.top)):
        before, after = genesis_a.top.get(key), genesis_b.top.get(key)
        if before == after:
            continue
        kind = "added" if before is None else "removed" if after is None else "changed"
        changes.append(
            {
                "change": kind,
                "item": metadata.describe_key(key),
                "key": "0x" + key.hex(),
                "before": _summarise(metadata, key, before),
                "after": _summarise(metadata, key, after),
            }
        )
    for storage_key in sorted(set(genesis_a.children) | set(genesis_b.children)):
        # Child tries (childrenDefault) are opaque to metadata: named by their storage key.
        child_a, child_b = genesis_a.children.get(storage_key, {}), genesis_b.children.get(storage_key, {})
        for key in sorted(set(child_a) | set(child_b)):
            before, after = child_a.get(key), child_b.get(key)
            if before == after:
                continue
            changes.append({
                "change": "added" if before is None else "removed" if after is None else "changed",
                "item": f"child trie 0x{storage_key.hex()}",
                "key": "0x" + key.hex(),
                "before": None if before is None else "0x" + before.hex(),
                "after": None if after is None else "0x" + after.hex(),
            })
    return {
        "a": {"source": a.source, "genesis_hash": "0x" + genesis_a.genesis_hash.hex()},
        "b": {"source": b.source, "genesis_hash": "0x" + genesis_b.genesis_hash.hex()},
        "identical": not changes,
        "changes": changes,
    }
