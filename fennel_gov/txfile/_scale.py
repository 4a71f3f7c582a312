"""A strict SCALE reader and the few encoders the metadata hash needs.

Strict because the bytes may come from an untrusted file: every read checks its bounds, compact
integers must be canonical (as parity-scale-codec requires), strings must be UTF-8, options and
bools must use their two defined bytes, and a length can never exceed the bytes left.
"""

from __future__ import annotations

import builtins  # the Reader's methods named str/bool/bytes shadow the builtins inside its class body
import struct

from fennel_gov._codec import encode_compact as compact  # one SCALE compact encoder for the package


class ScaleError(ValueError):
    """The bytes do not decode as the expected SCALE value; the message says where."""


class Reader:
    __slots__ = ("data", "offset")

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.offset = 0

    def remaining(self) -> int:
        return len(self.data) - self.offset

    def take(self, n: int) -> bytes:
        end = self.offset + n
        if end > len(self.data):
            raise ScaleError(f"truncated at byte {self.offset}: {n} more bytes expected")
        out = self.data[self.offset : end]
        self.offset = end
        return out

    def u8(self) -> int:
        if self.offset >= len(self.data):
            raise ScaleError(f"truncated at byte {self.offset}: 1 more byte expected")
        value = self.data[self.offset]
        self.offset += 1
        return value

    def u32(self) -> int:
        return struct.unpack("<I", self.take(4))[0]

    def bool(self) -> bool:
        value = self.u8()
        if value > 1:
            raise ScaleError(f"byte {self.offset - 1}: a bool is 0 or 1, got {value}")
        return value == 1

    def compact(self, bits: int = 32) -> int:
        """A canonical compact integer that fits in ``bits`` bits."""
        start = self.offset
        first = self.u8()
        mode = first & 0b11
        if mode == 0:
            return first >> 2
        if mode == 1:
            value = (first | self.u8() << 8) >> 2
            minimum = 1 << 6
        elif mode == 2:
            self.offset = start
            value = struct.unpack("<I", self.take(4))[0] >> 2
            minimum = 1 << 14
        else:
            size = (first >> 2) + 4
            value = int.from_bytes(self.take(size), "little")
            minimum = 1 << 30 if size == 4 else 1 << (8 * (size - 1))
        if value < minimum:
            raise ScaleError(f"byte {start}: compact integer {value} is not canonically encoded")
        if value >> bits:
            raise ScaleError(f"byte {start}: compact integer {value} does not fit in {bits} bits")
        return value

    def length(self) -> int:
        """A vector length; every element we read takes at least one byte, so a longer one is forged."""
        start = self.offset
        count = self.compact()
        if count > self.remaining():
            raise ScaleError(f"byte {start}: a length of {count} exceeds the {self.remaining()} bytes left")
        return count

    def bytes(self) -> bytes:
        return self.take(self.length())

    def str(self) -> str:
        start = self.offset
        raw = self.bytes()
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError:
            raise ScaleError(f"byte {start}: a string is not valid UTF-8") from None

    def strs(self) -> list[builtins.str]:
        return [self.str() for _ in range(self.length())]

    def option_flag(self) -> builtins.bool:
        """The tag byte of an ``Option``: True when a value follows."""
        tag = self.u8()
        if tag > 1:
            raise ScaleError(f"byte {self.offset - 1}: an Option tag is 0 or 1, got {tag}")
        return tag == 1

    def option_str(self) -> builtins.str | None:
        return self.str() if self.option_flag() else None


def string(text: str) -> bytes:
    raw = text.encode("utf-8")
    return compact(len(raw)) + raw


def vec(items: list[bytes]) -> bytes:
    return compact(len(items)) + b"".join(items)


def option_str(text: str | None) -> bytes:
    return b"\x00" if text is None else b"\x01" + string(text)
