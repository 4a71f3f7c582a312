"""The runtime's metadata (V14) decoded with scalecodec: pallets, constants, storage entries.

Used to name storage keys (``Pallet.Item(key)``), decode values, and read constants such as
``ValidatorManager.MinAuthorities`` and ``System.SS58Prefix`` from the runtime itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Any

from fennel_gov._codec import twox128
from fennel_gov.runtime.calls import metadata as metadata_bytes
from fennel_gov.runtime.executor import Runtime

_HASHER_PREFIX = {
    "Blake2_128": 16,
    "Blake2_256": 32,
    "Blake2_128Concat": 16,
    "Twox128": 16,
    "Twox256": 32,
    "Twox64Concat": 8,
    "Identity": 0,
}
_CONCAT = {"Blake2_128Concat", "Twox64Concat", "Identity"}


def _raw_value(value: Any) -> bytes:
    if isinstance(value, (bytes, bytearray)):
        return bytes(value)
    if isinstance(value, str):
        if value.startswith("0x"):
            try:
                return bytes.fromhex(value[2:])
            except ValueError:
                pass
        return value.encode("utf-8")
    raise TypeError(f"unexpected constant value {type(value).__name__}")


@dataclass(frozen=True)
class StorageEntry:
    pallet: str
    name: str
    prefix: bytes
    hashers: tuple[str, ...]
    key_type: int | None
    value_type: int

    @property
    def label(self) -> str:
        return f"{self.pallet}.{self.name}"


def _core_type_registry() -> dict[str, Any]:
    """scalecodec's "core" preset, read from its package data.

    Not through ``scalecodec.type_registry.load_type_registry_preset``: that package imports
    ``requests`` (for its remote presets), and offline commands must load no network code.
    """
    import importlib.resources
    import json

    return json.loads(importlib.resources.files("scalecodec").joinpath("type_registry", "core.json").read_text())


def _hex_byte_vec(config: Any) -> type:
    """A Vec decoder for ``config`` that shows a u8 sequence as 0x-hex, always.

    scalecodec shows a Vec<u8> that happens to be UTF-8 as text and other bytes as hex, so the
    text "0xff" and the byte 0xff look alike; a signer's review must tell them apart."""
    from scalecodec.types import U8

    base = config.get_decoder_class("Vec")

    def process(self: Any) -> Any:
        if self.runtime_config.get_decoder_class(self.sub_type) is U8:
            self.value_object = self.get_next_bytes(self.process_type("Compact<u32>").value)
            return "0x" + self.value_object.hex()
        return base.process(self)

    return type("HexByteVec", (base,), {"process": process})


class RuntimeMetadata:
    def __init__(self, raw: bytes, ss58_format: int = 42, *, bytes_as_hex: bool = False) -> None:
        from scalecodec.base import RuntimeConfigurationObject, ScaleBytes

        # Not scalecodec's RuntimeConfiguration: that is a process-wide singleton, so every metadata
        # would share (and overwrite) one type registry and keep the first SS58 prefix it was given.
        config = RuntimeConfigurationObject(ss58_format=ss58_format)
        config.update_type_registry(_core_type_registry())
        if bytes_as_hex:
            # In this configuration only: the portable registry builds its sequences on its "vec".
            config.type_registry["types"]["vec"] = _hex_byte_vec(config)
        self.bytes_as_hex = bytes_as_hex
        versioned = config.create_scale_object("MetadataVersioned", data=ScaleBytes(raw))
        versioned.decode()
        config.add_portable_registry(versioned)
        self._config = config
        self._metadata = versioned.value[1]["V14"]
        self.scale = versioned

    @classmethod
    def from_runtime(cls, runtime: Runtime) -> "RuntimeMetadata":
        return cls(metadata_bytes(runtime, (14,)))

    @property
    def pallets(self) -> list[dict[str, Any]]:
        return self._metadata["pallets"]

    def constant(self, pallet: str, name: str) -> bytes | None:
        for entry in self.pallets:
            if entry["name"] == pallet:
                for constant in entry.get("constants") or []:
                    if constant["name"] == name:
                        return _raw_value(constant["value"])
        return None

    def constant_u32(self, pallet: str, name: str) -> int | None:
        raw = self.constant(pallet, name)
        return int.from_bytes(raw[:4], "little") if raw and len(raw) >= 4 else None

    def constant_u16(self, pallet: str, name: str) -> int | None:
        raw = self.constant(pallet, name)
        return int.from_bytes(raw[:2], "little") if raw and len(raw) >= 2 else None

    @cached_property
    def storage_entries(self) -> dict[bytes, StorageEntry]:
        entries = {}
        for pallet in self.pallets:
            storage = pallet.get("storage")
            if not storage:
                continue
            pallet_hash = twox128(storage["prefix"].encode())
            for item in storage["entries"]:
                kind = item["type"]
                if "Plain" in kind:
                    hashers, key_type, value_type = (), None, kind["Plain"]
                else:
                    spec = kind["Map"]
                    hashers, key_type, value_type = tuple(spec["hashers"]), spec["key"], spec["value"]
                prefix = pallet_hash + twox128(item["name"].encode())
                entries[prefix] = StorageEntry(pallet["name"], item["name"], prefix, hashers, key_type, value_type)
        return entries

    def entry_for(self, key: bytes) -> StorageEntry | None:
        return self.storage_entries.get(key[:32])

    def decode(self, type_id: int, data: bytes) -> Any:
        from scalecodec.base import ScaleBytes

        obj = self._config.create_scale_object(f"scale_info::{type_id}", data=ScaleBytes(data))
        return obj.decode(check_remaining=False)

    def describe_key(self, key: bytes) -> str:
        """``Pallet.Item`` or ``Pallet.Item(key…)`` with concat-hashed keys decoded where possible."""
        entry = self.entry_for(key)
        if entry is None:
            pallet = self._pallet_for_hash(key[:16])
            if pallet and key[16:32] == _STORAGE_VERSION_HASH():
                return f"{pallet}.:__STORAGE_VERSION__:"
            return _well_known(key)
        if not entry.hashers:
            return entry.label
        rest = key[32:]
        parts = []
        key_types = self._key_types(entry)
        for hasher, key_type in zip(entry.hashers, key_types):
            skip = _HASHER_PREFIX.get(hasher, 0)
            if hasher in _CONCAT and key_type is not None:
                body = rest[skip:]
                try:
                    from scalecodec.base import ScaleBytes

                    obj = self._config.create_scale_object(f"scale_info::{key_type}", data=ScaleBytes(body))
                    value = obj.decode(check_remaining=False)
                    parts.append(str(value))
                    rest = body[obj.data.offset :]
                    continue
                except Exception:  # noqa: BLE001 - an undecodable key is shown as hex
                    parts.append("0x" + body.hex())
                    break
            parts.append("0x" + rest[:skip].hex())
            rest = rest[skip:]
        return f"{entry.label}({', '.join(parts)})"

    def _pallet_for_hash(self, pallet_hash: bytes) -> str | None:
        return next((e.pallet for e in self.storage_entries.values() if e.prefix[:16] == pallet_hash), None)

    def _key_types(self, entry: StorageEntry) -> list[int | None]:
        if len(entry.hashers) <= 1:
            return [entry.key_type]
        definition = self._config.get_decoder_class(f"scale_info::{entry.key_type}")
        members = getattr(definition, "type_mapping", None) or []
        ids = []
        for member in members:
            name = member if isinstance(member, str) else member[1] if isinstance(member, (list, tuple)) else None
            ids.append(int(name.split("::")[1]) if isinstance(name, str) and name.startswith("scale_info::") else None)
        return ids if len(ids) == len(entry.hashers) else [None] * len(entry.hashers)

    def decode_value(self, key: bytes, value: bytes) -> Any:
        entry = self.entry_for(key)
        if entry is None:
            return "0x" + value.hex() if len(value) <= 64 else f"<{len(value)} bytes>"
        try:
            return self.decode(entry.value_type, value)
        except Exception:  # noqa: BLE001 - show what does not decode as hex
            return "0x" + value.hex()


def _STORAGE_VERSION_HASH() -> bytes:
    return twox128(b":__STORAGE_VERSION__:")


def _well_known(key: bytes) -> str:
    names = {b":code": ":code", b":heappages": ":heappages", b":extrinsic_index": ":extrinsic_index"}
    return names.get(key, "0x" + key.hex())
