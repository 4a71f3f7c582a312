"""Substrate's base-16 Patricia-Merkle trie root (sp-trie ``LayoutV0``/``LayoutV1``, blake2-256).

The node codec has no extension nodes: a branch carries its own partial key. Headers pack the
node kind into the top bits of the first byte and the partial key's nibble count below it
(continued in further bytes when it does not fit). With state version 1, values of 33 bytes or
more are replaced by their blake2-256 hash ("hashed value" leaves and branches). A child whose
encoding is shorter than 32 bytes is inlined into its parent; otherwise its hash is.
"""

from __future__ import annotations

from typing import Iterable, Mapping, Sequence

from fennel_gov._codec import blake2_256, encode_bytes, encode_compact

EMPTY_TRIE_ROOT = blake2_256(b"\x00")
_HASHED_VALUE_THRESHOLD = 33

_LEAF, _BRANCH_NO_VALUE, _BRANCH_WITH_VALUE = 0b01 << 6, 0b10 << 6, 0b11 << 6
_HASHED_LEAF, _HASHED_BRANCH = 0b001 << 5, 0b0001 << 4


def _header(prefix: int, prefix_bits: int, nibbles: int) -> bytes:
    max_value = 255 >> prefix_bits
    first = min(max_value - 1, nibbles)
    if nibbles == first:
        return bytes([prefix + first])
    out = bytearray([prefix + max_value])
    remaining = nibbles - first
    while remaining > 0:
        if remaining < 256:
            out.append(remaining - 1)
            remaining = 0
        else:
            out.append(255)
            remaining -= 255
    return bytes(out)


# Nibble strings are kept as bytes of values 0..15; conversions go through hex text at C speed.
_HEX_TO_NIBBLE = bytes.maketrans(b"0123456789abcdef", bytes(range(16)))
_NIBBLE_TO_HEX = bytes.maketrans(bytes(range(16)), b"0123456789abcdef")


def _partial(nibbles: bytes) -> bytes:
    """Pack nibbles two per byte; an odd count puts the first nibble alone in the low half."""
    text = nibbles.translate(_NIBBLE_TO_HEX).decode("ascii")
    return bytes.fromhex("0" + text if len(nibbles) % 2 else text)


def _to_nibbles(key: bytes) -> bytes:
    return key.hex().encode("ascii").translate(_HEX_TO_NIBBLE)


class _Encoder:
    def __init__(self, state_version: int) -> None:
        if state_version not in (0, 1):
            raise ValueError(f"state version must be 0 or 1, not {state_version}")
        self.hash_values = state_version == 1

    def _value_is_hashed(self, value: bytes) -> bool:
        return self.hash_values and len(value) >= _HASHED_VALUE_THRESHOLD

    def leaf(self, partial: bytes, value: bytes) -> bytes:
        if self._value_is_hashed(value):
            return _header(_HASHED_LEAF, 3, len(partial)) + _partial(partial) + blake2_256(value)
        return _header(_LEAF, 2, len(partial)) + _partial(partial) + encode_bytes(value)

    def branch(self, partial: bytes, value: bytes | None, children: Sequence[bytes | None]) -> bytes:
        if value is None:
            head = _header(_BRANCH_NO_VALUE, 2, len(partial))
            value_part = b""
        elif self._value_is_hashed(value):
            head = _header(_HASHED_BRANCH, 4, len(partial))
            value_part = blake2_256(value)
        else:
            head = _header(_BRANCH_WITH_VALUE, 2, len(partial))
            value_part = encode_bytes(value)
        bitmap = 0
        refs = bytearray()
        for index, child in enumerate(children):
            if child is not None:
                bitmap |= 1 << index
                refs += encode_bytes(child if len(child) < 32 else blake2_256(child))
        return head + _partial(partial) + bitmap.to_bytes(2, "little") + value_part + bytes(refs)


def _build(encoder: _Encoder, items: list[tuple[bytes, bytes]], lo: int, hi: int, depth: int) -> bytes:
    """Encode the node for sorted ``items[lo:hi]`` (nibble keys), all sharing ``depth`` nibbles."""
    first_key = items[lo][0]
    if hi - lo == 1:
        return encoder.leaf(first_key[depth:], items[lo][1])
    last_key = items[hi - 1][0]
    # Sorted keys: the prefix shared by all equals the prefix shared by the first and the last.
    limit = min(len(first_key), len(last_key))
    shared = depth
    while shared < limit and first_key[shared] == last_key[shared]:
        shared += 1
    value = None
    start = lo
    if len(first_key) == shared:
        value = items[lo][1]
        start += 1
    children: list[bytes | None] = [None] * 16
    i = start
    while i < hi:
        nibble = items[i][0][shared]
        j = i + 1
        while j < hi and items[j][0][shared] == nibble:
            j += 1
        children[nibble] = _build(encoder, items, i, j, shared + 1)
        i = j
    return encoder.branch(first_key[depth:shared], value, children)


def trie_root(entries: Mapping[bytes, bytes] | Iterable[tuple[bytes, bytes]], state_version: int = 1) -> bytes:
    """The blake2-256 trie root of key/value pairs."""
    encoder = _Encoder(state_version)
    pairs = entries.items() if isinstance(entries, Mapping) else entries
    items = sorted((_to_nibbles(k), v) for k, v in pairs)
    if not items:
        return EMPTY_TRIE_ROOT
    return blake2_256(_build(encoder, items, 0, len(items), 0))


def ordered_trie_root(values: Sequence[bytes], state_version: int = 1) -> bytes:
    """The root of a list keyed by SCALE compact indices (extrinsics roots)."""
    return trie_root([(encode_compact(i), v) for i, v in enumerate(values)], state_version)
