"""Building a plain chain spec from a runtime, a preset and/or a patch (``chain-spec-builder create``).

The result keeps the genesis as a patch over the runtime's defaults (``runtimeGenesis: {code,
patch}``), so it stays small and readable; it is checked by actually building the genesis state,
so a field the runtime rejects fails here with the runtime's own message, before any file is written.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from fennel_gov.chainspec.genesis import genesis_config
from fennel_gov.chainspec.json_patch import merge
from fennel_gov.errors import BadInput, quote
from fennel_gov.runtime import Runtime, build_state, get_preset, preset_names

CHAIN_TYPES = ("Development", "Local", "Live")


@dataclass
class SpecOptions:
    name: str = "Fennel"
    id: str = "fennel"
    chain_type: str = "Live"
    protocol_id: str | None = "fenn"
    bootnodes: list[str] = field(default_factory=list)
    properties: dict[str, Any] = field(default_factory=lambda: {"ss58Format": 42, "tokenDecimals": 12, "tokenSymbol": "FNL"})
    telemetry_endpoints: list[list[Any]] | None = None


def build_plain_spec(
    code: bytes,
    options: SpecOptions,
    *,
    preset: str | None = None,
    patch: dict[str, Any] | None = None,
    runtime: Runtime | None = None,
) -> dict[str, Any]:
    if options.chain_type not in CHAIN_TYPES:
        raise BadInput(f"--chain-type must be one of {', '.join(CHAIN_TYPES)}, not {quote(options.chain_type)}")
    runtime = runtime or Runtime.from_code(code)
    genesis_patch: dict[str, Any] = {}
    if preset is not None:
        names = preset_names(runtime)
        if preset not in names:
            raise BadInput(f"the runtime has no preset {quote(preset)}; it has {', '.join(names) or 'none'}")
        found = get_preset(runtime, preset)
        if found is None:
            raise BadInput(f"the runtime returned no config for preset {quote(preset)}")
        genesis_patch = found
    if patch is not None:
        if not isinstance(patch, dict):
            raise BadInput("the patch must be a JSON object")
        genesis_patch = merge(genesis_patch, patch)
    # Fail now, with the runtime's message, rather than when a node first starts.
    build_state(runtime, genesis_config(runtime, {"patch": genesis_patch}))
    from fennel_gov.chainspec.inspect import parse_bootnode

    for address in options.bootnodes:
        problem = parse_bootnode(address)["error"]
        if problem:
            raise BadInput(f"bootnode {quote(address)}: {problem}")
    document: dict[str, Any] = {
        "name": options.name,
        "id": options.id,
        "chainType": options.chain_type,
        "bootNodes": list(options.bootnodes),
        "telemetryEndpoints": options.telemetry_endpoints,
        "protocolId": options.protocol_id,
        "properties": options.properties,
        "codeSubstitutes": {},
        "genesis": {"runtimeGenesis": {"code": "0x" + code.hex(), "patch": genesis_patch}},
    }
    return document
