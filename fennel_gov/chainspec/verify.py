"""``chainspec verify``: the mistakes that have stalled or exposed real PoA networks, found before launch.

Each finding has a severity (``error`` fails the check, ``warning`` and ``info`` do not), a stable
code for scripts, and a message that says what to change. The profile decides what is an error:
development chains may use dev accounts; production chains may not.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass
from typing import Any

from fennel_gov._codec import blake2_256
from fennel_gov.chainspec.genesis import to_raw
from fennel_gov.chainspec.inspect import parse_bootnode
from fennel_gov.chainspec.spec import ChainSpec
from fennel_gov.chainspec.state import read_state
from fennel_gov.errors import BadInput, quote
from fennel_gov.keys import pair_from_suri, ss58
from fennel_gov.keys.schemes import Scheme, is_valid_public
from fennel_gov.keys.node_key import node_key_from_secret
from fennel_gov.runtime import GenesisBuildError, Runtime, RuntimeTrap

PROFILES = ("production", "development")
DEV_NAMES = ("Alice", "Bob", "Charlie", "Dave", "Eve", "Ferdie")


@dataclass(frozen=True)
class Finding:
    severity: str
    code: str
    message: str


def _dev_accounts() -> dict[bytes, str]:
    """Public keys of the well-known dev accounts in every scheme the chain could see."""
    known: dict[bytes, str] = {}
    for name in DEV_NAMES:
        for path in (f"//{name}", f"//{name}//stash"):
            for scheme in ("sr25519", "ed25519"):
                known[pair_from_suri(path, scheme).public] = f"{path} ({scheme})"
            known[pair_from_suri(path, "ecdsa").account_id] = f"{path} (ecdsa)"
    return known


def _test_peer_ids() -> dict[str, str]:
    """Peer ids of node keys that appear in docs and test setups (0x00…01 to 0x00…10)."""
    return {node_key_from_secret(n.to_bytes(32, "big")).peer_id: f"0x{n:064x}" for n in range(1, 17)}


def verify_spec(spec: ChainSpec, profile: str, *, expect_code_hash: str | None = None) -> dict[str, Any]:
    if profile not in PROFILES:
        raise BadInput(f"--profile must be production or development, not {quote(profile)}")
    production = profile == "production"
    findings: list[Finding] = []

    def add(severity: str, code: str, message: str) -> None:
        findings.append(Finding(severity, code, message))

    runtime = Runtime.from_code(spec.code)
    code_hash = "0x" + blake2_256(spec.code).hex()
    try:
        _, genesis = to_raw(spec, runtime)
    except (GenesisBuildError, RuntimeTrap) as exc:
        add("error", "genesis-does-not-build", str(exc))
        return _result(profile, None, code_hash, findings)
    from fennel_gov.runtime.metadata import RuntimeMetadata

    metadata = RuntimeMetadata.from_runtime(runtime)
    runtime_prefix = metadata.constant_u16("System", "SS58Prefix")
    min_authorities = metadata.constant_u32("ValidatorManager", "MinAuthorities")
    prefix = runtime_prefix if runtime_prefix is not None else 42
    state = read_state(genesis.top, prefix)
    dev = _dev_accounts()

    def decode(address: str) -> bytes:
        return ss58.decode(address).payload

    # chain type and properties
    chain_type = spec.document.get("chainType")
    if production and chain_type != "Live":
        add("error", "chain-type", f"chainType is {quote(chain_type)}; a production network is 'Live'")
    declared = spec.properties.get("ss58Format")
    if runtime_prefix is not None and declared is not None and declared != runtime_prefix:
        add("error", "ss58-format", f"properties.ss58Format is {declared} but the runtime's SS58Prefix is {runtime_prefix}")
    elif declared is None:
        add("warning", "ss58-format", f"properties.ss58Format is missing; wallets will not know the prefix ({prefix})")

    # sudo
    if state.sudo is None:
        add("warning", "sudo-none", "there is no sudo key: validators can only change with a runtime upgrade")
    elif decode(state.sudo) in dev:
        add("error" if production else "info", "sudo-dev-key", f"sudo is the dev key {dev[decode(state.sudo)]}: anyone can take over the chain")

    # validators
    validators = state.validators
    if min_authorities is not None and len(validators) < min_authorities:
        add(
            "error" if production else "warning",
            "too-few-validators",
            f"{len(validators)} validator(s) but the runtime's MinAuthorities is {min_authorities}: no validator can ever be removed",
        )
    if len(validators) in (1, 2, 3):
        add("warning", "no-finality-slack", f"with {len(validators)} validator(s) GRANDPA needs every one of them online to finalize")
    counts = Counter(v.account for v in validators)
    for account, count in counts.items():
        if count > 1:
            add("error", "duplicate-validator", f"validator {account} is listed {count} times")
    aura_seen: Counter[str] = Counter(v.aura for v in validators if v.aura)
    grandpa_seen: Counter[str] = Counter(v.grandpa for v in validators if v.grandpa)
    for validator in validators:
        who = validator.account
        if validator.aura is None or validator.grandpa is None:
            add("error", "missing-session-keys", f"validator {who} has no session keys: blocks and finality stall when it is due")
            continue
        if decode(who) in dev:
            add("error" if production else "info", "dev-validator", f"validator {who} is the dev key {dev[decode(who)]}")
        for label, address in (("aura", validator.aura), ("grandpa", validator.grandpa)):
            if decode(address) in dev:
                add("error" if production else "info", "dev-session-key", f"{label} key of {who} is the dev key {dev[decode(address)]}")
        if validator.aura == validator.grandpa:
            add("error", "same-aura-grandpa", f"{who} uses the same bytes as its aura (sr25519) and grandpa (ed25519) key: one has the wrong scheme")
        else:
            if not is_valid_public(Scheme.SR25519, decode(validator.aura)):
                add("error", "aura-not-sr25519", f"aura key {validator.aura} of {who} is not an sr25519 public key")
            if not is_valid_public(Scheme.ED25519, decode(validator.grandpa)):
                add("error", "grandpa-not-ed25519", f"grandpa key {validator.grandpa} of {who} is not an ed25519 public key")
        if validator.aura == who:
            add("error" if production else "warning", "key-reuse", f"{who} uses its account key as its aura session key; generate separate session keys")
        if aura_seen[validator.aura] > 1:
            add("error", "duplicate-session-key", f"aura key {validator.aura} is used by more than one validator")
        if grandpa_seen[validator.grandpa] > 1:
            add("error", "duplicate-session-key", f"grandpa key {validator.grandpa} is used by more than one validator")

    # balances
    for account, free, reserved in state.balances:
        if decode(account) in dev and (free or reserved):
            add("error" if production else "info", "dev-account-funded", f"dev account {dev[decode(account)]} holds funds")

    # bootnodes
    test_peers = _test_peer_ids()
    addresses = spec.document.get("bootNodes") or []
    if production and not addresses:
        add("error", "no-bootnodes", "there are no bootnodes; new nodes will not find the network")
    for address, count in Counter(addresses).items():
        if count > 1:
            add("error", "duplicate-bootnode", f"bootnode {address} is listed {count} times")
    entries = [parse_bootnode(a) for a in dict.fromkeys(addresses)]
    peer_counts = Counter(e["peer_id"] for e in entries if not e["error"])
    for entry in entries:
        if entry["error"]:
            add("error", "bad-bootnode", f"bootnode {entry['address']}: {entry['error']}")
            continue
        uses = peer_counts.pop(entry["peer_id"], 0)  # popped: one finding per peer id, not one per address
        if uses > 1:
            add("warning", "duplicate-peer-id", f"peer id {entry['peer_id']} appears in {uses} bootnode addresses")
        if entry["peer_id"] in test_peers:
            add("error" if production else "warning", "test-node-key", f"bootnode peer id {entry['peer_id']} comes from the well-known test node key {test_peers[entry['peer_id']]}")

    # code
    if expect_code_hash is not None and expect_code_hash.lower() != code_hash:
        add("error", "code-hash", f"the code's blake2-256 is {code_hash}, not the expected {expect_code_hash} (srtool digest)")
    elif expect_code_hash is None and production:
        # Without it the gate cannot tell the audited runtime from any other (the development one included).
        add("error", "code-hash-missing", f"no --expect-code-hash: give the srtool digest of the runtime to ship (this code is {code_hash})")
    if spec.properties.get("rehearsal") is True:
        add("error" if production else "warning", "rehearsal",
            "the spec was built from a rehearsal manifest (ceremony init --allow-network): its keys were made on a networked machine")

    return _result(profile, "0x" + genesis.genesis_hash.hex(), code_hash, findings)


def _result(profile: str, genesis_hash: str | None, code_hash: str, findings: list[Finding]) -> dict[str, Any]:
    errors = sum(1 for f in findings if f.severity == "error")
    return {
        "profile": profile,
        "genesis_hash": genesis_hash,
        "code_hash": code_hash,
        "ok": errors == 0,
        "errors": errors,
        "warnings": sum(1 for f in findings if f.severity == "warning"),
        "findings": [asdict(f) for f in findings],
    }
