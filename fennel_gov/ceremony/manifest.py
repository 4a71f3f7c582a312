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

FORMAT = "fennel-gov-ceremony/1"
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


def validate(manifest: dict[str, Any], source: str = "the manifest") -> None:
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BadInput(f"{source} is not a {FORMAT} manifest")
    secret_fields = sorted(_keys(manifest) & set(SECRET_FIELDS))
    if secret_fields:
        raise BadInput(f"{source} contains a {secret_fields[0]!r} field: a manifest must hold no secret")
    try:
        prefix = int(manifest["network"].get("ss58Format", 42))
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
