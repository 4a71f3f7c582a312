"""The storage a runtime call sees: one flat key/value map with nested transactions.

Genesis is built on ``BasicExternalities`` in the node: no backend, no child tries used here, and
``clear_prefix`` removes every matching key whatever the limit (it reports the count as backend,
unique and loops). Transactions are a journal of previous values, so commit is cheap and rollback
restores exactly. Keys are sorted only when ``next_key`` needs order.
"""

from __future__ import annotations

import bisect
from typing import Iterator

from fennel_gov._codec import decode_compact, encode_compact

_ABSENT = object()
# What one entry costs in memory beyond its bytes (two bytes objects and a dict slot), so that
# ``size`` tracks memory for many small entries as well as for a few large ones.
ENTRY_OVERHEAD = 128


class Storage:
    def __init__(self, initial: dict[bytes, bytes] | None = None) -> None:
        self._data: dict[bytes, bytes] = dict(initial or {})
        self._journal: list[dict[bytes, object]] = []
        self._sorted: list[bytes] | None = None
        self.size = sum(len(k) + len(v) + ENTRY_OVERHEAD for k, v in self._data.items())

    # -- reads --------------------------------------------------------------------------------

    def get(self, key: bytes) -> bytes | None:
        return self._data.get(key)

    def __contains__(self, key: bytes) -> bool:
        return key in self._data

    def __len__(self) -> int:
        return len(self._data)

    def items(self) -> Iterator[tuple[bytes, bytes]]:
        return iter(self._data.items())

    def as_dict(self) -> dict[bytes, bytes]:
        return dict(self._data)

    def next_key(self, key: bytes) -> bytes | None:
        if self._sorted is None:
            self._sorted = sorted(self._data)
        index = bisect.bisect_right(self._sorted, key)
        return self._sorted[index] if index < len(self._sorted) else None

    # -- writes -------------------------------------------------------------------------------

    def _remember(self, key: bytes) -> None:
        if self._journal:
            layer = self._journal[-1]
            if key not in layer:
                layer[key] = self._data.get(key, _ABSENT)

    def set(self, key: bytes, value: bytes) -> None:
        self._remember(key)
        old = self._data.get(key)
        if old is None:
            self.size += len(key) + len(value) + ENTRY_OVERHEAD
            if self._sorted is not None:
                self._sorted = None
        else:
            self.size += len(value) - len(old)
        self._data[key] = value

    def clear(self, key: bytes) -> None:
        if key in self._data:
            self._remember(key)
            self.size -= len(key) + len(self._data.pop(key)) + ENTRY_OVERHEAD
            self._sorted = None

    def clear_prefix(self, prefix: bytes) -> int:
        doomed = [k for k in self._data if k.startswith(prefix)]
        for key in doomed:
            self.clear(key)
        return len(doomed)

    def append(self, key: bytes, item: bytes) -> None:
        """``StorageAppend``: treat the value as a SCALE ``Vec`` and add one encoded item."""
        current = self._data.get(key)
        if current:
            try:
                count, offset = decode_compact(current)
            except ValueError:
                count = None
            if count is not None:
                self.set(key, encode_compact(count + 1) + current[offset:] + item)
                return
        self.set(key, encode_compact(1) + item)

    # -- transactions -------------------------------------------------------------------------

    def start_transaction(self) -> None:
        self._journal.append({})

    def commit_transaction(self) -> None:
        if not self._journal:
            raise RuntimeError("commit_transaction without a transaction")
        layer = self._journal.pop()
        if self._journal:
            below = self._journal[-1]
            for key, previous in layer.items():
                below.setdefault(key, previous)

    def rollback_transaction(self) -> None:
        if not self._journal:
            raise RuntimeError("rollback_transaction without a transaction")
        layer = self._journal.pop()
        for key, previous in layer.items():
            current = self._data.pop(key, None)
            if current is not None:
                self.size -= len(key) + len(current) + ENTRY_OVERHEAD
            if previous is not _ABSENT:
                self._data[key] = previous  # type: ignore[assignment]
                self.size += len(key) + len(previous) + ENTRY_OVERHEAD  # type: ignore[arg-type]
        self._sorted = None

    @property
    def transaction_depth(self) -> int:
        return len(self._journal)
