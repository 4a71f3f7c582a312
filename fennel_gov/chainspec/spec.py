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
from fennel_gov._files import parse_json, read_bytes, write_atomic
from fennel_gov.errors import BadInput

CODE_KEY = "0x3a636f6465"  # ":code"
CHILD_STORAGE_PREFIX = b":child_storage:"  # sp-core's well_known_keys: the top trie's keys for child roots
DEFAULT_CHILD_PREFIX = b":child_storage:default:"  # ChildInfo::new_default(key).prefixed_storage_key()
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


MAX_ENTRIES_ENV = "FENNEL_GOV_MAX_SPEC_ENTRIES"
# Raw genesis storage entries read from one spec (top and child tries together). Fennel's genesis
# has ~40 and one endowed account adds one; 100,000 accounts is the largest benchmarked genesis.
# benchmarks/spec_entries prints the cost: `inspect` of 300,000 entries ~17 s and ~210 MB, of
# 1,000,000 ~43 s and ~480 MB (2 busy cores); a 3,000,000-entry spec is refused in ~1 s.
DEFAULT_MAX_ENTRIES = 300_000
_SEPARATOR_SLACK = 1_000  # the members of a spec that are not storage entries (name, properties, ...)


def max_entries() -> int:
    """The storage-entry cap: DEFAULT_MAX_ENTRIES, or FENNEL_GOV_MAX_SPEC_ENTRIES when set."""
    configured = os.environ.get(MAX_ENTRIES_ENV)
    if not configured:
        return DEFAULT_MAX_ENTRIES
    if not configured.strip().isdigit() or int(configured) < 1:
        raise BadInput(f"{MAX_ENTRIES_ENV} is a whole number of storage entries (default {DEFAULT_MAX_ENTRIES:,})")
    return int(configured)


def _entries_note(cap: int) -> str:
    return f"; set {MAX_ENTRIES_ENV} above {cap:,} to read a larger genesis"


class ChainSpec:
    def __init__(self, document: dict[str, Any], source: str = "the chain spec") -> None:
        if not isinstance(document, dict) or not isinstance(document.get("genesis"), dict):
            raise BadInput(f"{source} has no 'genesis' object; is it a chain spec?")
        check_fields(document, source)
        raw = document["genesis"].get("raw")
        if isinstance(raw, dict):
            cap = max_entries()
            count = len(raw.get("top") or {}) + sum(len(c) for c in (raw.get("childrenDefault") or {}).values() if isinstance(c, dict))
            if count > cap:
                raise BadInput(f"{source} has {count:,} storage entries; fennel-gov reads at most {cap:,}{_entries_note(cap)}")
        self.document = document
        self.source = source

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> "ChainSpec":
        data = read_bytes(path, "chain spec")
        cap = max_entries()
        # Every storage entry is a JSON member, and every member has a ':' (bootnodes and URLs add a
        # few). Counting them is a C-speed scan; parsing millions of members first would cost
        # minutes and gigabytes just to refuse them (benchmarks/spec_entries).
        separators = data.count(b":")
        if separators > cap + _SEPARATOR_SLACK:
            raise BadInput(f"{path} has {separators:,} JSON members (':' separators), more than the {cap:,} storage "
                           f"entries fennel-gov reads{_entries_note(cap)}")
        return cls(parse_json(data, str(path)), str(path))

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
        raw = self.genesis.get("raw")
        if not isinstance(raw, dict) or not isinstance(raw.get("top"), dict):
            raise BadInput(f"{self.source} has no genesis.raw.top")
        top = self._hex_map(raw["top"], "genesis.raw.top")
        for key in top:
            if key.startswith(CHILD_STORAGE_PREFIX):
                # sc-client-db refuses such a genesis (InvalidState): child roots are the node's to write.
                raise BadInput(f"{self.source} has the key 0x{key.hex()[:60]} in genesis.raw.top; keys starting with "
                               "':child_storage:' are child trie roots, which the node computes itself and refuses "
                               "in a spec: move the entries to genesis.raw.childrenDefault")
        return top

    def raw_children_bytes(self) -> dict[bytes, dict[bytes, bytes]]:
        """``genesis.raw.childrenDefault``: child storage key (without ``:child_storage:default:``) → its entries."""
        children = (self.genesis.get("raw") or {}).get("childrenDefault") or {}
        result: dict[bytes, dict[bytes, bytes]] = {}
        for storage_key, entries in self._hex_map_keys(children, "genesis.raw.childrenDefault").items():
            if not isinstance(entries, dict):
                raise BadInput(f"{self.source}: genesis.raw.childrenDefault.0x{storage_key.hex()[:40]} is {_kind(entries)}; "
                               "expected an object of hex keys and values")
            result[storage_key] = self._hex_map(entries, f"genesis.raw.childrenDefault.0x{storage_key.hex()[:40]}")
        return result

    def _hex_map_keys(self, mapping: dict[str, Any], where: str) -> dict[bytes, Any]:
        decoded: dict[bytes, Any] = {}
        for key, value in mapping.items():
            raw_key = _hex(key, f"{self.source}: a key of {where}")
            if raw_key in decoded:
                # "0x3a636f6465" and "0x3A636F6465" are one key: which value would the node take?
                raise BadInput(f"{self.source} has storage key 0x{raw_key.hex()[:40]} twice in {where} (spelled differently); keep one")
            decoded[raw_key] = value
        return decoded

    def _hex_map(self, mapping: dict[str, Any], where: str) -> dict[bytes, bytes]:
        return {key: _hex(value, f"{self.source}: the value of 0x{key.hex()[:20]}… in {where}")
                for key, value in self._hex_map_keys(mapping, where).items()}

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
