"""Merlin transcripts (STROBE-128 over Keccak-f[1600]), just enough for schnorrkel's hard derivation.

Hazmat. schnorrkel derives a hard child's *mini secret key* from a Merlin transcript
("SchnorrRistrettoHDKD"). The sr25519 bindings return only the expanded child key, but Substrate
tools report the child's 32-byte seed (subkey's "Secret seed"), so we replay the transcript here.
Implements: STROBE-128 operations meta-AD, AD and PRF as Merlin 1.0 uses them; nothing else.
"""

from __future__ import annotations

import struct

_RATE = 166  # STROBE-128: 200 - 2*128/8 - 2
_FLAG_I, _FLAG_A, _FLAG_C, _FLAG_M = 1, 1 << 1, 1 << 2, 1 << 4

_ROUND_CONSTANTS = (
    0x0000000000000001, 0x0000000000008082, 0x800000000000808A, 0x8000000080008000,
    0x000000000000808B, 0x0000000080000001, 0x8000000080008081, 0x8000000000008009,
    0x000000000000008A, 0x0000000000000088, 0x0000000080008009, 0x000000008000000A,
    0x000000008000808B, 0x800000000000008B, 0x8000000000008089, 0x8000000000008003,
    0x8000000000008002, 0x8000000000000080, 0x000000000000800A, 0x800000008000000A,
    0x8000000080008081, 0x8000000000008080, 0x0000000080000001, 0x8000000080008008,
)
_ROTATIONS = (
    (0, 36, 3, 41, 18), (1, 44, 10, 45, 2), (62, 6, 43, 15, 61), (28, 55, 25, 21, 56), (27, 20, 39, 8, 14),
)
_MASK = (1 << 64) - 1


def _rol(value: int, shift: int) -> int:
    return ((value << shift) | (value >> (64 - shift))) & _MASK if shift else value


def keccak_f1600(state: bytearray) -> None:
    """Permute a 200-byte Keccak state in place."""
    lanes = [[0] * 5 for _ in range(5)]
    words = struct.unpack("<25Q", bytes(state))
    for x in range(5):
        for y in range(5):
            lanes[x][y] = words[x + 5 * y]
    for rc in _ROUND_CONSTANTS:
        c = [lanes[x][0] ^ lanes[x][1] ^ lanes[x][2] ^ lanes[x][3] ^ lanes[x][4] for x in range(5)]
        d = [c[(x - 1) % 5] ^ _rol(c[(x + 1) % 5], 1) for x in range(5)]
        lanes = [[lanes[x][y] ^ d[x] for y in range(5)] for x in range(5)]
        b = [[0] * 5 for _ in range(5)]
        for x in range(5):
            for y in range(5):
                b[y][(2 * x + 3 * y) % 5] = _rol(lanes[x][y], _ROTATIONS[x][y])
        lanes = [[b[x][y] ^ ((~b[(x + 1) % 5][y]) & b[(x + 2) % 5][y]) for y in range(5)] for x in range(5)]
        lanes[0][0] ^= rc
    state[:] = struct.pack("<25Q", *(lanes[x][y] for y in range(5) for x in range(5)))


class _Strobe128:
    def __init__(self, protocol_label: bytes) -> None:
        state = bytearray(200)
        state[0:6] = bytes([1, _RATE + 2, 1, 0, 1, 96])
        state[6:18] = b"STROBEv1.0.2"
        keccak_f1600(state)
        self._state = state
        self._pos = 0
        self._pos_begin = 0
        self._flags = 0
        self.meta_ad(protocol_label, more=False)

    def _run_f(self) -> None:
        self._state[self._pos] ^= self._pos_begin
        self._state[self._pos + 1] ^= 0x04
        self._state[_RATE + 1] ^= 0x80
        keccak_f1600(self._state)
        self._pos = 0
        self._pos_begin = 0

    def _absorb(self, data: bytes) -> None:
        for byte in data:
            self._state[self._pos] ^= byte
            self._pos += 1
            if self._pos == _RATE:
                self._run_f()

    def _squeeze(self, length: int) -> bytes:
        out = bytearray(length)
        for i in range(length):
            out[i] = self._state[self._pos]
            self._state[self._pos] = 0
            self._pos += 1
            if self._pos == _RATE:
                self._run_f()
        return bytes(out)

    def _begin_op(self, flags: int, more: bool) -> None:
        if more:
            if self._flags != flags:
                raise ValueError("STROBE: continued operation with other flags")
            return
        old_begin = self._pos_begin
        self._pos_begin = self._pos + 1
        self._flags = flags
        self._absorb(bytes([old_begin, flags]))
        if flags & _FLAG_C and self._pos != 0:
            self._run_f()

    def meta_ad(self, data: bytes, more: bool) -> None:
        self._begin_op(_FLAG_M | _FLAG_A, more)
        self._absorb(data)

    def ad(self, data: bytes, more: bool) -> None:
        self._begin_op(_FLAG_A, more)
        self._absorb(data)

    def prf(self, length: int, more: bool) -> bytes:
        self._begin_op(_FLAG_I | _FLAG_A | _FLAG_C, more)
        return self._squeeze(length)


class Transcript:
    """A Merlin 1.0 transcript."""

    def __init__(self, label: bytes) -> None:
        self._strobe = _Strobe128(b"Merlin v1.0")
        self.append_message(b"dom-sep", label)

    def append_message(self, label: bytes, message: bytes) -> None:
        self._strobe.meta_ad(label, more=False)
        self._strobe.meta_ad(struct.pack("<I", len(message)), more=True)
        self._strobe.ad(message, more=False)

    def challenge_bytes(self, label: bytes, length: int) -> bytes:
        self._strobe.meta_ad(label, more=False)
        self._strobe.meta_ad(struct.pack("<I", length), more=True)
        return self._strobe.prf(length, more=False)
