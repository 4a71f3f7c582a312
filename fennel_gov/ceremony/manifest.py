"""The ceremony's public manifest (``keys/<network>.json``): everything a network needs to know
about its keys, and nothing secret.

It turns into a genesis patch (sudo, balances, session keys, initial validators) and bootnode list
for ``chainspec build --manifest``, and into a short fingerprint two people can read aloud to
confirm they hold the same manifest.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from fennel_gov._codec import blake2_256
from fennel_gov._files import read_json
from fennel_gov.errors import BadInput
from fennel_gov.keys import ss58

FORMAT = "fennel-gov-ceremony/2"
# Version 1 named the network block's fields in camelCase (chainType, ss58Format, ...). Manifests
# already made stay valid as written (the fingerprint is over the file, so renaming would change
# it): they are read under their old names, and only version 2 is written.
FORMAT_V1 = "fennel-gov-ceremony/1"
V1_NETWORK_FIELDS = {"chainType": "chain_type", "protocolId": "protocol_id", "ss58Format": "ss58_format",
                     "tokenSymbol": "token_symbol", "tokenDecimals": "token_decimals"}
SECRET_FIELDS = ("secretPhrase", "secretSeed", "seed", "mnemonic", "privateKey", "secretKey")


def canonical(manifest: dict[str, Any]) -> bytes:
    return json.dumps(manifest, sort_keys=True, separators=(",", ":")).encode()


def fingerprint(manifest: dict[str, Any]) -> dict[str, str]:
    """A short checksum of the manifest: hex groups and six BIP39 words (66 bits) to read aloud."""
    from mnemonic import Mnemonic

    digest = blake2_256(canonical(manifest))
    words = Mnemonic("english").wordlist
    bits = int.from_bytes(digest[:9], "big") >> 6  # first 66 bits
    spoken = [words[(bits >> (11 * (5 - i))) & 0x7FF] for i in range(6)]
    hex_text = digest[:8].hex()
    return {"hex": "-".join(hex_text[i : i + 4] for i in range(0, 16, 4)), "words": " ".join(spoken), "blake2_256": "0x" + digest.hex()}


def load_manifest(path: str | Path) -> dict[str, Any]:
    manifest = read_json(path, "manifest")
    validate(manifest, str(path))
    return manifest


def network(manifest: dict[str, Any]) -> dict[str, Any]:
    """The manifest's network block under its snake_case names, whichever version wrote it."""
    block = manifest["network"]
    if manifest.get("format") == FORMAT_V1:
        return {V1_NETWORK_FIELDS.get(key, key): value for key, value in block.items()}
    return dict(block)


def ss58_format(manifest: dict[str, Any]) -> int:
    return int(network(manifest).get("ss58_format", 42))


def validate(manifest: dict[str, Any], source: str = "the manifest") -> None:
    if not isinstance(manifest, dict) or manifest.get("format") not in (FORMAT, FORMAT_V1):
        raise BadInput(f"{source} is not a {FORMAT} (or {FORMAT_V1}) manifest")
    secret_fields = sorted(_keys(manifest) & set(SECRET_FIELDS))
    if secret_fields:
        raise BadInput(f"{source} contains a {secret_fields[0]!r} field: a manifest must hold no secret")
    block = manifest.get("network")
    if not isinstance(block, dict):
        raise BadInput(f"{source} has no network block")
    # Each version has one spelling; a block mixing them could say two things at once.
    if manifest["format"] == FORMAT_V1:
        wrong = sorted(set(block) & set(V1_NETWORK_FIELDS.values()))
        if wrong:
            raise BadInput(f"{source} is a {FORMAT_V1} manifest, whose network block is camelCase: "
                           f"{wrong[0]!r} belongs to {FORMAT}")
    else:
        wrong = sorted(set(block) & set(V1_NETWORK_FIELDS))
        if wrong:
            raise BadInput(f"{source} is a {FORMAT} manifest, whose network block is snake_case: "
                           f"{wrong[0]!r} is {V1_NETWORK_FIELDS[wrong[0]]!r}")
    _check_shapes(manifest, source)
    try:
        prefix = ss58_format(manifest)
        ss58.decode(manifest["sudo"]["address"], expect_prefix=prefix)
        if "genesis_sudo" in manifest:  # written by 'ceremony rotate-sudo': the key the chain started with
            ss58.decode(manifest["genesis_sudo"], expect_prefix=prefix)
        for validator in manifest["validators"]:
            for address in (validator["stash"], validator["session_keys"]["aura"], validator["session_keys"]["grandpa"]):
                ss58.decode(address, expect_prefix=prefix)
        for entry in manifest.get("endowments", []):
            ss58.decode(entry["address"], expect_prefix=prefix)
            int(entry["amount"])
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise BadInput(f"{source} is incomplete or malformed ({type(exc).__name__}: {exc})") from None


def _check_shapes(manifest: dict[str, Any], source: str) -> None:
    """The sudo block's split and the secret-file list, which reshare, rotate-sudo and verify index into:
    a manifest is carried to the offline machine, so a malformed one is one clear line, not a crash."""
    sudo = manifest.get("sudo")
    if not isinstance(sudo, dict):
        raise BadInput(f"{source} has no sudo object")
    if "shares" in sudo:
        shares = sudo["shares"]
        custodians = shares.get("custodians") if isinstance(shares, dict) else None
        if (not isinstance(shares, dict) or not isinstance(custodians, list) or not custodians
                or not all(isinstance(c, str) and c for c in custodians) or len(set(custodians)) != len(custodians)
                or any(isinstance(shares.get(k), bool) or not isinstance(shares.get(k), int) for k in ("threshold", "count"))
                or not 1 <= shares["threshold"] <= shares["count"] == len(custodians)):
            raise BadInput(f"{source} has a malformed sudo.shares (threshold and count as integers, count distinct "
                           "custodian names); take the manifest the ceremony wrote")
    files = manifest.get("secret_files")
    if files is not None and (not isinstance(files, dict) or not all(isinstance(v, str) for v in files.values())):
        raise BadInput(f"{source} has a malformed secret_files (an object of path: SHA-256); take the manifest the ceremony wrote")


def _keys(document: Any) -> set[str]:
    """Every object key anywhere in ``document`` (values are names chosen by people, not fields)."""
    found: set[str] = set()
    stack = [document]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            found.update(k for k in item if isinstance(k, str))
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return found


def genesis_patch(manifest: dict[str, Any]) -> dict[str, Any]:
    """The genesis patch the manifest stands for, on top of the runtime's defaults."""
    validators = manifest["validators"]
    return {
        # After 'ceremony rotate-sudo' the genesis still names the key the chain started with.
        "sudo": {"key": manifest.get("genesis_sudo", manifest["sudo"]["address"])},
        "balances": {"balances": [[e["address"], int(e["amount"])] for e in manifest.get("endowments", [])]},
        "session": {
            "keys": [
                [v["stash"], v["stash"], {"aura": v["session_keys"]["aura"], "grandpa": v["session_keys"]["grandpa"]}]
                for v in validators
            ]
        },
        "validatorManager": {"initialValidators": [v["stash"] for v in validators]},
    }


def bootnode_addresses(manifest: dict[str, Any]) -> list[str]:
    return [b["multiaddr"] for b in manifest.get("bootnodes", []) if b.get("multiaddr")]
