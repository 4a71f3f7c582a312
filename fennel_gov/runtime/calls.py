"""Typed runtime calls: version, metadata, and the GenesisBuilder API.

Each function encodes its SCALE input, calls the runtime, and decodes the answer; a runtime that
answers something else gets a clear error, never a traceback.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from fennel_gov._codec import decode_compact, encode_bytes
from fennel_gov.errors import BadInput, Failure
from fennel_gov.runtime.executor import Runtime
from fennel_gov.runtime.storage import Storage


class GenesisBuildError(BadInput):
    """The runtime rejected a genesis config; the message is the runtime's own."""


@dataclass(frozen=True)
class RuntimeVersion:
    spec_name: str
    impl_name: str
    authoring_version: int
    spec_version: int
    impl_version: int
    apis: tuple[tuple[str, int], ...]
    transaction_version: int
    state_version: int

    def as_json(self) -> dict[str, Any]:
        return {
            "spec_name": self.spec_name,
            "impl_name": self.impl_name,
            "authoring_version": self.authoring_version,
            "spec_version": self.spec_version,
            "impl_version": self.impl_version,
            "transaction_version": self.transaction_version,
            "state_version": self.state_version,
        }


class _Reader:
    def __init__(self, data: bytes) -> None:
        self.data, self.offset = data, 0

    def take(self, n: int) -> bytes:
        if self.offset + n > len(self.data):
            raise ValueError("truncated")
        out = self.data[self.offset : self.offset + n]
        self.offset += n
        return out

    def u32(self) -> int:
        return int.from_bytes(self.take(4), "little")

    def u8(self) -> int:
        return self.take(1)[0]

    def compact(self) -> int:
        value, self.offset = decode_compact(self.data, self.offset)
        return value

    def bytes(self) -> bytes:
        return self.take(self.compact())

    def remaining(self) -> int:
        return len(self.data) - self.offset


def decode_runtime_version(data: bytes) -> RuntimeVersion:
    reader = _Reader(data)
    try:
        spec_name = reader.bytes().decode()
        impl_name = reader.bytes().decode()
        authoring, spec, impl = reader.u32(), reader.u32(), reader.u32()
        apis = tuple(("0x" + reader.take(8).hex(), reader.u32()) for _ in range(reader.compact()))
        transaction = reader.u32() if reader.remaining() >= 4 else 1
        state = reader.u8() if reader.remaining() >= 1 else 0
    except (ValueError, UnicodeDecodeError):
        raise Failure("the runtime's Core_version answer does not decode as a RuntimeVersion") from None
    return RuntimeVersion(spec_name, impl_name, authoring, spec, impl, apis, transaction, state)


def core_version(runtime: Runtime) -> RuntimeVersion:
    return decode_runtime_version(runtime.call("Core_version", b"").output)


def preset_names(runtime: Runtime) -> list[str]:
    reader = _Reader(runtime.call("GenesisBuilder_preset_names", b"").output)
    return [reader.bytes().decode("utf-8", "replace") for _ in range(reader.compact())]


def get_preset(runtime: Runtime, name: str | None = None) -> dict[str, Any] | None:
    """A named preset's JSON, or the runtime's default config for ``None``."""
    argument = b"\x00" if name is None else b"\x01" + encode_bytes(name.encode())
    output = runtime.call("GenesisBuilder_get_preset", argument).output
    if not output or output[0] == 0:
        return None
    reader = _Reader(output[1:])
    from fennel_gov._files import parse_json
    from fennel_gov.errors import BadInput

    try:
        return parse_json(reader.bytes(), "the runtime's preset")
    except BadInput as exc:
        raise Failure(str(exc)) from None


def build_state(runtime: Runtime, config: dict[str, Any], storage: Storage | None = None) -> Storage:
    """Run ``GenesisBuilder_build_state`` on a full config; return the genesis storage."""
    storage = storage if storage is not None else Storage()
    payload = json.dumps(config, separators=(",", ":"), ensure_ascii=False).encode()
    outcome = runtime.call("GenesisBuilder_build_state", encode_bytes(payload), storage)
    result = outcome.output
    if result[:1] == b"\x00":
        return storage
    if result[:1] == b"\x01":
        message = _Reader(result[1:]).bytes().decode("utf-8", "replace")
        raise GenesisBuildError(f"the runtime rejected the genesis config: {message}")
    raise Failure("the runtime's build_state answer does not decode")


def metadata(runtime: Runtime, versions: tuple[int, ...] = (15, 14)) -> bytes:
    """The runtime's metadata in the first of ``versions`` it offers (V15, else V14), as SCALE
    bytes with the ``meta`` magic prefix; falls back to ``Metadata_metadata``."""
    exports = runtime.exports()
    if "Metadata_metadata_at_version" in exports:
        for version in versions:
            output = runtime.call("Metadata_metadata_at_version", version.to_bytes(4, "little")).output
            if output[:1] == b"\x01":
                return _Reader(output[1:]).bytes()
    output = runtime.call("Metadata_metadata", b"").output
    return _Reader(output).bytes()
