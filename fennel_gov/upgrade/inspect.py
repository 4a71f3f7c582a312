"""What a runtime file is, read from the runtime itself: versions, hashes, pallets, APIs, consensus.

``inspect_runtime(code)`` executes the runtime (``Core_version``, metadata V14, and the consensus
runtime APIs over a genesis built from its ``development`` preset) and returns ``RuntimeFacts``, the
input of ``runtime inspect`` and of the upgrade diff in ``fennel_gov.upgrade.diff``. ``check_srtool_digest``
compares a file with the digest JSON srtool prints (``srtool build --json``).

Hashes are of the file's exact bytes: ``authorize_upgrade`` and srtool's ``blake2_256`` take the code
as it is submitted, so the plain and the compressed form of one build have different hashes.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

from fennel_gov.errors import BadInput, FennelGovError
from fennel_gov.runtime.calls import RuntimeVersion, build_state, core_version, get_preset, preset_names
from fennel_gov.runtime.calls import metadata as metadata_bytes
from fennel_gov.runtime.code import ZSTD_PREFIX
from fennel_gov.runtime.executor import Runtime

CONSENSUS_PRESET = "development"
# A recursive type is cut at this depth; deeper than any real storage or call argument type.
_MAX_TYPE_DEPTH = 24


@dataclass(frozen=True)
class Call:
    name: str
    index: int
    # The arguments' types written out structurally (names of fields and variants included), so
    # two runtimes compare although their type registries number types differently.
    signature: str


@dataclass(frozen=True)
class Pallet:
    name: str
    index: int
    calls: tuple[Call, ...]
    storage: dict[str, str]  # item name -> "hashers key -> value" type signature
    constants: dict[str, bytes]

    def as_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "index": self.index,
            "calls": [{"name": c.name, "index": c.index} for c in self.calls],
            "storage_items": sorted(self.storage),
            "constants": {k: "0x" + v.hex() for k, v in sorted(self.constants.items())},
        }


@dataclass(frozen=True)
class RuntimeApi:
    name: str | None  # None when no export of the runtime carries this API id
    id: str
    version: int


@dataclass(frozen=True)
class Consensus:
    """What the consensus runtime APIs answer over a genesis built from one preset."""

    preset: str | None  # None: the runtime's default genesis config
    slot_duration_ms: int | None = None
    aura_authorities: tuple[str, ...] | None = None
    grandpa_authorities: tuple[tuple[str, int], ...] | None = None
    grandpa_set_id: int | None = None
    problems: tuple[str, ...] = ()  # an API that trapped or is missing, in the runtime's words

    def as_json(self) -> dict[str, Any]:
        return {
            "preset": self.preset,
            "slot_duration_ms": self.slot_duration_ms,
            "aura_authorities": list(self.aura_authorities) if self.aura_authorities is not None else None,
            "grandpa_authorities": (
                [{"public": p, "weight": w} for p, w in self.grandpa_authorities]
                if self.grandpa_authorities is not None
                else None
            ),
            "grandpa_set_id": self.grandpa_set_id,
            "problems": list(self.problems),
        }


@dataclass(frozen=True)
class RuntimeFacts:
    file_size: int
    compressed: bool
    wasm_size: int
    code_hash: str  # blake2_256 of the exact file bytes, 0x-hex
    sha256: str  # of the exact file bytes, 0x-hex
    version: RuntimeVersion
    apis: tuple[RuntimeApi, ...]
    pallets: tuple[Pallet, ...]
    transaction_extensions: tuple[str, ...]
    presets: tuple[str, ...]
    consensus: Consensus | None
    metadata_version: int = 14

    def pallet(self, name: str) -> Pallet | None:
        return next((p for p in self.pallets if p.name == name), None)

    def constant(self, pallet: str, name: str) -> bytes | None:
        found = self.pallet(pallet)
        return found.constants.get(name) if found else None

    def constant_int(self, pallet: str, name: str) -> int | None:
        raw = self.constant(pallet, name)
        return int.from_bytes(raw, "little") if raw is not None and len(raw) in (1, 2, 4, 8, 16) else None

    def as_json(self) -> dict[str, Any]:
        return {
            "file_size": self.file_size,
            "compressed": self.compressed,
            "wasm_size": self.wasm_size,
            "code_hash": self.code_hash,
            "sha256": self.sha256,
            **self.version.as_json(),
            "metadata_version": self.metadata_version,
            "apis": [{"name": a.name, "id": a.id, "version": a.version} for a in self.apis],
            "pallets": [p.as_json() for p in self.pallets],
            "transaction_extensions": list(self.transaction_extensions),
            "presets": list(self.presets),
            "session_period": self.constant_int("ValidatorManager", "SessionPeriod"),
            "session_offset": self.constant_int("ValidatorManager", "SessionOffset"),
            "min_authorities": self.constant_int("ValidatorManager", "MinAuthorities"),
            "ss58_prefix": self.constant_int("System", "SS58Prefix"),
            "consensus": self.consensus.as_json() if self.consensus else None,
        }


def blake2_64(data: bytes) -> bytes:
    return hashlib.blake2b(data, digest_size=8).digest()


def inspect_runtime(code: bytes, *, consensus: bool = True) -> RuntimeFacts:
    """Facts about runtime ``code`` (plain or compressed wasm); BadInput when it is not a runtime."""
    runtime = Runtime.from_code(code)  # BadInput for anything that is not a runtime
    version = core_version(runtime)
    exports = runtime.exports()
    pallets, extensions = _read_metadata(runtime)
    try:
        presets = tuple(preset_names(runtime)) if "GenesisBuilder_preset_names" in exports else ()
    except FennelGovError:
        presets = ()
    return RuntimeFacts(
        file_size=len(code),
        compressed=code.startswith(ZSTD_PREFIX),
        wasm_size=len(runtime.wasm),
        code_hash="0x" + hashlib.blake2b(code, digest_size=32).hexdigest(),
        sha256="0x" + hashlib.sha256(code).hexdigest(),
        version=version,
        apis=_named_apis(version, exports),
        pallets=pallets,
        transaction_extensions=extensions,
        presets=presets,
        consensus=read_consensus(runtime, presets) if consensus else None,
    )


def _named_apis(version: RuntimeVersion, exports: list[str]) -> tuple[RuntimeApi, ...]:
    # An API's id is blake2_64 of its trait name, and its functions are exported as Trait_method,
    # so the names come from the runtime itself.
    names = {blake2_64(e.split("_", 1)[0].encode()).hex(): e.split("_", 1)[0] for e in exports if "_" in e}
    return tuple(RuntimeApi(names.get(i[2:]), i, v) for i, v in version.apis)


def _read_metadata(runtime: Runtime) -> tuple[tuple[Pallet, ...], tuple[str, ...]]:
    from fennel_gov.runtime.metadata import RuntimeMetadata

    raw = metadata_bytes(runtime, (14,))
    try:
        decoded = RuntimeMetadata(raw)
        v14 = decoded.scale.value[1]["V14"]
    except Exception:  # noqa: BLE001 - scalecodec raises many kinds; all mean "not V14 metadata"
        raise BadInput("the runtime's metadata does not decode as V14; fennel-gov reads V14 metadata only") from None
    types = {entry["id"]: entry["type"] for entry in v14["types"]["types"]}
    signature = _Signatures(types)
    pallets = []
    for entry in v14["pallets"]:
        calls: list[Call] = []
        if entry.get("calls"):
            call_type = types[_type_id(entry["calls"])]
            for variant in call_type["def"].get("variant", {}).get("variants", []):
                args = ",".join(f"{f.get('name')}:{signature(f['type'])}" for f in variant["fields"])
                calls.append(Call(variant["name"], variant["index"], args))
        storage = {}
        for item in (entry.get("storage") or {}).get("entries", []):
            kind = item["type"]
            if "Plain" in kind:
                storage[item["name"]] = signature(kind["Plain"])
            else:
                spec = kind["Map"]
                storage[item["name"]] = f"{'+'.join(spec['hashers'])} {signature(spec['key'])} -> {signature(spec['value'])}"
        constants = {}
        for constant in entry.get("constants") or []:
            constants[constant["name"]] = decoded.constant(entry["name"], constant["name"]) or b""
        pallets.append(Pallet(entry["name"], entry["index"], tuple(sorted(calls, key=lambda c: c.index)), storage, constants))
    extensions = tuple(e["identifier"] for e in v14["extrinsic"]["signed_extensions"])
    return tuple(sorted(pallets, key=lambda p: p.index)), extensions


def _type_id(holder: dict[str, Any]) -> int:
    return holder["ty"] if "ty" in holder else holder["type"]


class _Signatures:
    """Structural type signatures from a V14 portable registry, cached per type id."""

    def __init__(self, types: dict[int, dict[str, Any]]) -> None:
        self.types = types
        self.cache: dict[int, str] = {}

    def __call__(self, type_id: int) -> str:
        if type_id not in self.cache:
            self.cache[type_id] = self._describe(type_id, ())
        return self.cache[type_id]

    def _describe(self, type_id: int, seen: tuple[int, ...]) -> str:
        entry = self.types[type_id]
        path = "::".join(entry.get("path") or [])
        # The outer call enum is named, not expanded: Sudo.sudo(call) does not change because
        # another pallet's call did (that change is reported on the pallet's own call).
        if path.endswith("RuntimeCall") or type_id in seen or len(seen) > _MAX_TYPE_DEPTH:
            return f"<{path or type_id}>"
        seen = (*seen, type_id)
        kind, body = next(iter(entry["def"].items()))
        if kind == "primitive":
            return str(body)
        if kind == "composite":
            return "{" + ",".join(f"{f.get('name') or ''}:{self._describe(f['type'], seen)}" for f in body["fields"]) + "}"
        if kind == "variant":
            variants = sorted(body.get("variants", []), key=lambda v: v["index"])
            return "enum{" + ",".join(
                f"{v['index']}:{v['name']}(" + ",".join(self._describe(f["type"], seen) for f in v["fields"]) + ")"
                for v in variants
            ) + "}"
        if kind == "sequence":
            return f"Vec<{self._describe(body['type'], seen)}>"
        if kind == "array":
            return f"[{self._describe(body['type'], seen)};{body['len']}]"
        if kind == "tuple":
            return "(" + ",".join(self._describe(t, seen) for t in body) + ")"
        if kind == "compact":
            return f"Compact<{self._describe(body['type'], seen)}>"
        return f"{kind}:{body}"


def read_consensus(runtime: Runtime, presets: tuple[str, ...]) -> Consensus:
    """Ask AuraApi and GrandpaApi over a genesis built from the ``development`` preset (or the
    runtime's default config when it has no such preset)."""
    from fennel_gov.chainspec.genesis import genesis_config  # the one place that merges a preset onto the defaults

    preset = CONSENSUS_PRESET if CONSENSUS_PRESET in presets else None
    problems: list[str] = []
    exports = set(runtime.exports())
    try:
        patch = get_preset(runtime, preset) if preset else None
        config = genesis_config(runtime, {"patch": patch} if patch is not None else {"patch": {}})
        storage = build_state(runtime, config)
    except FennelGovError as error:
        return Consensus(preset, problems=(f"no genesis state to ask the consensus APIs over: {error}",))

    def ask(function: str) -> bytes | None:
        if function not in exports:
            problems.append(f"the runtime has no {function}")
            return None
        try:
            return runtime.call(function, b"", storage).output
        except FennelGovError as error:
            problems.append(f"{function} failed: {error}")
            return None

    slot = ask("AuraApi_slot_duration")
    aura = ask("AuraApi_authorities")
    grandpa = ask("GrandpaApi_grandpa_authorities")
    set_id = ask("GrandpaApi_current_set_id")
    try:
        return Consensus(
            preset,
            slot_duration_ms=_u64(slot),
            aura_authorities=_keys(aura, 32, 0) if aura is not None else None,
            grandpa_authorities=(
                tuple((k, w) for k, w in _weighted(grandpa)) if grandpa is not None else None
            ),
            grandpa_set_id=_u64(set_id),
            problems=tuple(problems),
        )
    except ValueError as error:
        return Consensus(preset, problems=(*problems, f"a consensus API answer does not decode: {error}"))


def _u64(data: bytes | None) -> int | None:
    if data is None:
        return None
    if len(data) != 8:
        raise ValueError(f"expected 8 bytes, got {len(data)}")
    return int.from_bytes(data, "little")


def _keys(data: bytes, size: int, trailer: int) -> tuple[str, ...]:
    from fennel_gov._codec import decode_compact

    count, offset = decode_compact(data)
    step = size + trailer
    if len(data) != offset + count * step:
        raise ValueError("authority list length does not match its count")
    return tuple("0x" + data[offset + i * step : offset + i * step + size].hex() for i in range(count))


def _weighted(data: bytes) -> list[tuple[str, int]]:
    from fennel_gov._codec import decode_compact

    count, offset = decode_compact(data)
    if len(data) != offset + count * 40:
        raise ValueError("GRANDPA authority list length does not match its count")
    out = []
    for i in range(count):
        item = data[offset + i * 40 : offset + (i + 1) * 40]
        out.append(("0x" + item[:32].hex(), int.from_bytes(item[32:], "little")))
    return out


# -- srtool -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DigestCheck:
    field: str  # where in the digest JSON, e.g. runtimes.compressed.blake2_256
    expected: str
    actual: str

    @property
    def ok(self) -> bool:
        return self.expected.lower() == self.actual.lower()


@dataclass(frozen=True)
class SrtoolReport:
    entry: str  # "compressed" or "compact": the digest entry of the file's form
    checks: tuple[DigestCheck, ...] = field(default_factory=tuple)

    @property
    def ok(self) -> bool:
        return bool(self.checks) and all(c.ok for c in self.checks)

    def as_json(self) -> dict[str, Any]:
        return {
            "entry": self.entry,
            "ok": self.ok,
            "checks": [{"field": c.field, "expected": c.expected, "actual": c.actual, "ok": c.ok} for c in self.checks],
        }


def check_srtool_digest(facts: RuntimeFacts, digest: Any, source: str = "the srtool JSON") -> SrtoolReport:
    """Compare ``facts`` with srtool's digest (``{"runtimes": {"compact"|"compressed": {...}}}``).

    Every field the entry carries is checked: ``blake2_256``, ``sha256``, ``size``, and subwasm's
    ``blake2_256``, ``size``, ``compression`` and ``core_version``. BadInput when the JSON is not an
    srtool digest or has no entry for this file's form.
    """
    if not isinstance(digest, dict) or not isinstance(digest.get("runtimes"), dict):
        raise BadInput(f"{source} has no 'runtimes' object; give the JSON that 'srtool build --json' prints")
    entry_name = "compressed" if facts.compressed else "compact"
    entry = digest["runtimes"].get(entry_name)
    if not isinstance(entry, dict):
        raise BadInput(f"{source} has no runtimes.{entry_name} entry for this {entry_name} file")
    checks: list[DigestCheck] = []
    where = f"runtimes.{entry_name}"

    def text(value: Any, name: str) -> str:
        if isinstance(value, bool) or not isinstance(value, (str, int)):
            raise BadInput(f"{source}: {name} is {type(value).__name__}, not a string or number")
        text = str(value)
        if len(text) > 200:  # a hash, a size or a version; anything longer would only flood the report
            raise BadInput(f"{source}: {name} is {len(text):,} characters long; it is not a value srtool writes")
        return text

    def add(name: str, value: Any, actual: str) -> None:
        if value is not None:
            checks.append(DigestCheck(name, text(value, name), actual))

    add(f"{where}.blake2_256", entry.get("blake2_256"), facts.code_hash)
    add(f"{where}.sha256", entry.get("sha256"), facts.sha256)
    add(f"{where}.size", entry.get("size"), str(facts.file_size))
    subwasm = entry.get("subwasm")
    if subwasm is not None:
        if not isinstance(subwasm, dict):
            raise BadInput(f"{source}: {where}.subwasm is not an object")
        add(f"{where}.subwasm.blake2_256", subwasm.get("blake2_256"), facts.code_hash)
        add(f"{where}.subwasm.size", subwasm.get("size"), str(facts.wasm_size))
        compression = subwasm.get("compression")
        if isinstance(compression, dict):
            if "compressed" in compression:
                flag = compression["compressed"]
                if not isinstance(flag, bool):
                    raise BadInput(f"{source}: {where}.subwasm.compression.compressed is not true/false")
                checks.append(DigestCheck(f"{where}.subwasm.compression.compressed", str(flag).lower(), str(facts.compressed).lower()))
            add(f"{where}.subwasm.compression.size_compressed", compression.get("size_compressed"), str(facts.file_size))
            add(f"{where}.subwasm.compression.size_decompressed", compression.get("size_decompressed"), str(facts.wasm_size))
        core = subwasm.get("core_version")
        if isinstance(core, dict):  # newer subwasm: the RuntimeVersion, camelCase
            add(f"{where}.subwasm.core_version.specName", core.get("specName", core.get("spec_name")), facts.version.spec_name)
            add(f"{where}.subwasm.core_version.specVersion", core.get("specVersion", core.get("spec_version")), str(facts.version.spec_version))
        elif isinstance(core, str):  # older subwasm: "name-version (impl-implver.txN.auN)"
            add(f"{where}.subwasm.core_version", core, _core_version_text(facts.version))
    # Sizes and versions are shared by other builds: without a hash the digest pins nothing.
    if not any(c.field.endswith(("blake2_256", "sha256")) for c in checks):
        raise BadInput(f"{source}: runtimes.{entry_name} carries no hash to check (blake2_256 or sha256)")
    return SrtoolReport(entry_name, tuple(checks))


def _core_version_text(version: RuntimeVersion) -> str:
    return (
        f"{version.spec_name}-{version.spec_version} ({version.impl_name}-{version.impl_version}"
        f".tx{version.transaction_version}.au{version.authoring_version})"
    )
