"""Chain spec files: load, tell plain from raw, reach the code, write as the node does.

Plain specs keep sc-chain-spec's field order and end with a newline, as ``build-spec`` prints
them. Raw specs are written as the node writes them: keys sorted, two-space indent, no trailing
newline (so our raw file is byte-identical to the node's).
"""

from __future__ import annotations

import importlib.resources
import json
import os
from pathlib import Path
from typing import Any

from fennel_gov._codec import require_hex as _hex
from fennel_gov._files import read_json, write_atomic
from fennel_gov.errors import BadInput

CODE_KEY = "0x3a636f6465"  # ":code"
# The repository's top-level chainspecs/, installed as this package (pyproject.toml's package-dir).
EMBEDDED_SPECS = "fennel_gov.chainspecs"


def _kind(value: Any) -> str:
    return {dict: "an object", list: "a list", str: "a string", bool: "a boolean", int: "an integer", float: "a number"}.get(type(value), "null")


def check_fields(document: dict[str, Any], source: str) -> None:
    """The JSON type of every field fennel-gov reads from a spec, checked up front and named."""

    def expect(path: str, value: Any, kinds: tuple[type, ...], what: str) -> None:
        if value is not None and (not isinstance(value, kinds) or isinstance(value, bool) and bool not in kinds):
            raise BadInput(f"{source}: {path} is {_kind(value)}; expected {what}")

    for field in ("name", "id", "chainType", "protocolId"):
        expect(field, document.get(field), (str,), "a string")
    expect("bootNodes", document.get("bootNodes"), (list,), "a list of multiaddr strings")
    for index, address in enumerate(document.get("bootNodes") or []):
        expect(f"bootNodes[{index}]", address, (str,), "a multiaddr string")
    properties = document.get("properties")
    expect("properties", properties, (dict,), "an object")
    properties = properties or {}
    for field, top in (("tokenDecimals", 255), ("ss58Format", 16383)):
        value = properties.get(field)
        expect(f"properties.{field}", value, (int,), f"an integer from 0 to {top}")
        if isinstance(value, int) and not 0 <= value <= top:
            raise BadInput(f"{source}: properties.{field} is {value}; expected an integer from 0 to {top}")
    expect("properties.tokenSymbol", properties.get("tokenSymbol"), (str,), "a string")
    raw = document["genesis"].get("raw")
    if isinstance(raw, dict):
        expect("genesis.raw.top", raw.get("top"), (dict,), "an object of hex keys and values")
        expect("genesis.raw.childrenDefault", raw.get("childrenDefault"), (dict,), "an object")


class ChainSpec:
    def __init__(self, document: dict[str, Any], source: str = "the chain spec") -> None:
        if not isinstance(document, dict) or not isinstance(document.get("genesis"), dict):
            raise BadInput(f"{source} has no 'genesis' object; is it a chain spec?")
        check_fields(document, source)
        self.document = document
        self.source = source

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> "ChainSpec":
        return cls(read_json(path, "chain spec"), str(path))

    @property
    def genesis(self) -> dict[str, Any]:
        return self.document["genesis"]

    @property
    def is_raw(self) -> bool:
        return "raw" in self.genesis

    @property
    def runtime_genesis(self) -> dict[str, Any]:
        runtime_genesis = self.genesis.get("runtimeGenesis")
        if not isinstance(runtime_genesis, dict):
            kinds = ", ".join(sorted(self.genesis)) or "nothing"
            raise BadInput(
                f"{self.source} has genesis.{kinds}; fennel-gov reads genesis.runtimeGenesis (code + patch or config) "
                "or genesis.raw. Regenerate the spec with a current node or chain-spec-builder"
            )
        return runtime_genesis

    @property
    def code(self) -> bytes:
        if self.is_raw:
            top = self.raw_top()
            if CODE_KEY not in top:
                raise BadInput(f"{self.source} has no :code in genesis.raw.top")
            return top[CODE_KEY]
        code = self.runtime_genesis.get("code")
        if not isinstance(code, str):
            raise BadInput(f"{self.source} has no genesis.runtimeGenesis.code")
        return _hex(code, f"{self.source}: genesis.runtimeGenesis.code")

    def raw_top(self) -> dict[str, bytes]:
        raw = self.genesis.get("raw")
        if not isinstance(raw, dict) or not isinstance(raw.get("top"), dict):
            raise BadInput(f"{self.source} has no genesis.raw.top")
        return {key: _hex(value, f"{self.source}: storage value {key[:20]}…") for key, value in raw["top"].items()}

    def raw_top_bytes(self) -> dict[bytes, bytes]:
        top = {_hex(k, f"{self.source}: storage key"): v for k, v in self.raw_top().items()}
        if len(top) != len(self.genesis["raw"]["top"]):
            # "0x3a636f6465" and "0x3A636F6465" are one key: which value would the node take?
            seen: set[bytes] = set()
            for key in self.genesis["raw"]["top"]:
                decoded = _hex(key, "key")
                if decoded in seen:
                    raise BadInput(f"{self.source} has storage key 0x{decoded.hex()[:40]} twice in genesis.raw.top (spelled differently); keep one")
                seen.add(decoded)
        return top

    @property
    def properties(self) -> dict[str, Any]:
        return self.document.get("properties") or {}


def dumps_raw(document: dict[str, Any]) -> str:
    return json.dumps(document, indent=2, sort_keys=True)


def dumps_plain(document: dict[str, Any]) -> str:
    return json.dumps(document, indent=2) + "\n"


def save(path: str | os.PathLike[str], document: dict[str, Any], *, raw: bool, overwrite: bool = True) -> Path:
    text = dumps_raw(document) if raw else dumps_plain(document)
    return write_atomic(path, text, overwrite=overwrite)


def embedded_development_spec() -> ChainSpec:
    """Fennel's development spec as shipped inside the package (``chainspecs/development.json``).

    Read as package data, so it is found in a wheel, an editable install or a zip alike.
    """
    resource = importlib.resources.files(EMBEDDED_SPECS).joinpath("development.json")
    source = "the embedded development spec (chainspecs/development.json)"
    try:
        data = resource.read_bytes()
    except OSError as exc:
        raise BadInput(f"{source} is missing from this installation ({exc.strerror}); reinstall fennel-gov") from None
    try:
        document = json.loads(data)
    except ValueError:
        raise BadInput(f"{source} is not valid JSON; reinstall fennel-gov") from None
    return ChainSpec(document, source)
