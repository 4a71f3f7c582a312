"""``chainspec inspect``: what an operator checks before a network starts, from a plain or raw spec.

A plain spec is converted first (running the runtime), so the report shows the state the chain will
really start with, not what the patch seems to say.
"""

from __future__ import annotations

from typing import Any

from fennel_gov._codec import blake2_256, to_hex
from fennel_gov.chainspec.genesis import Genesis, to_raw
from fennel_gov.chainspec.spec import ChainSpec
from fennel_gov.chainspec.state import read_state
from fennel_gov.errors import BadInput, printable
from fennel_gov.keys.node_key import public_from_peer_id
from fennel_gov.runtime import RuntimeVersion


def parse_bootnode(address: str) -> dict[str, Any]:
    """Split a bootnode multiaddr; ``error`` says what is wrong with it, if anything."""
    entry: dict[str, Any] = {"address": address, "peer_id": None, "error": None}
    if not isinstance(address, str) or not address.startswith("/"):
        entry["error"] = "not a multiaddr (must start with /)"
        return entry
    if printable(address) != address:
        # Escape sequences or bidi overrides: made to mislead whoever reads the address, never a real one.
        entry["error"] = "has control or invisible characters (shown escaped); a multiaddr is plain text"
        return entry
    parts = address.split("/")
    if "p2p" not in parts or parts.index("p2p") + 1 >= len(parts):
        entry["error"] = "no /p2p/<peer id> part"
        return entry
    peer_id = parts[parts.index("p2p") + 1]
    entry["peer_id"] = peer_id
    try:
        public_from_peer_id(peer_id)
    except BadInput as exc:
        entry["error"] = str(exc)
        return entry
    transport = parts[1] if len(parts) > 1 else ""
    if transport not in ("ip4", "ip6", "dns", "dns4", "dns6"):
        entry["error"] = f"unknown transport /{transport}"
    elif "tcp" not in parts and "udp" not in parts:
        entry["error"] = "no /tcp or /udp port"
    return entry


def inspect_spec(spec: ChainSpec, *, top_holders: int = 5) -> dict[str, Any]:
    _, genesis = to_raw(spec)  # runs Core_version once; the genesis carries it
    assert genesis.runtime_version is not None  # to_raw always builds the genesis from a runtime
    return report(spec, genesis.runtime_version, genesis, top_holders=top_holders)


def report(spec: ChainSpec, version: RuntimeVersion, genesis: Genesis, *, top_holders: int = 5) -> dict[str, Any]:
    properties = spec.properties
    prefix = properties.get("ss58Format", 42) if isinstance(properties.get("ss58Format", 42), int) else 42
    state = read_state(genesis.top, prefix)
    document = spec.document
    return {
        "name": document.get("name"),
        "id": document.get("id"),
        "chain_type": document.get("chainType"),
        "format": "raw" if spec.is_raw else "plain",
        "genesis_hash": to_hex(genesis.genesis_hash),
        "state_root": to_hex(genesis.state_root),
        "state_version": genesis.state_version,
        "storage_entries": len(genesis.top),
        "child_tries": {"0x" + key.hex(): len(entries) for key, entries in genesis.children.items()},
        "runtime": version.as_json(),
        "code_hash": to_hex(blake2_256(spec.code)),
        "code_size": len(spec.code),
        "sudo": state.sudo,
        "validators": [v.account for v in state.validators],
        "session_keys": {v.account: {"aura": v.aura, "grandpa": v.grandpa} for v in state.validators},
        "aura_authorities": state.aura_authorities,
        "grandpa_authorities": [{"account": a, "weight": w} for a, w in state.grandpa_authorities],
        "validator_manager": {"queued_additions": state.queued_additions, "queued_removals": state.queued_removals},
        "balances": {
            "total_issuance": str(state.total_issuance) if state.total_issuance is not None else None,
            "accounts": state.account_count,
            "largest_holders": [
                {"account": a, "free": str(free), "reserved": str(reserved)} for a, free, reserved in state.balances[:top_holders]
            ],
        },
        "bootnodes": [parse_bootnode(b) for b in document.get("bootNodes") or []],
        "protocol_id": document.get("protocolId"),
        "properties": properties,
    }
