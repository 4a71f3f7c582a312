"""``ceremony reshare`` and ``ceremony rotate-sudo``: new custodians for the sudo key, or a new sudo key.

Both write a *new* ceremony directory (all or nothing, as ``init`` does): the validator and bootnode
secrets copied byte for byte (each checked against its SHA-256 in the manifest first), the sudo
secrets made anew for the new custodians, and the manifest updated, so ``ceremony verify``,
``recover-sudo`` and ``export-keystore`` work on it unchanged. The old directory is never touched.

* reshare: the same sudo secret, recovered from K old shares, split into new K-of-N SLIP-39 shares
  (a fresh identifier: old and new shares never combine with each other). The old shares still
  recover the key: resharing changes who can sign only once the key itself is rotated.
* rotate-sudo: a fresh sudo key for the new custodians, and ``Sudo.set_key(new)`` encoded with the
  trusted runtime's metadata, for the old sudo key to sign (``tx build --call`` / ``tx sign``). The
  manifest names the new key as ``sudo`` and keeps the key the chain started with as ``genesis_sudo``,
  so ``chainspec build --manifest`` still gives the same genesis.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

from fennel_gov._files import read_bytes, write_atomic
from fennel_gov.ceremony.generate import build_directory, check_passphrase, sudo_custodians, write_sudo
from fennel_gov.ceremony.manifest import load_manifest, validate
from fennel_gov.ceremony.manifest import ss58_format as manifest_ss58_format
from fennel_gov.ceremony.verify import Passphrases, manifest_path, recover_sudo_seed
from fennel_gov.errors import BadInput, InvalidKeyFile, VerificationFailed
from fennel_gov.keys import SecretStr, decrypt_account, pair_from_seed, ss58
from fennel_gov.keys.schemes import Scheme

if TYPE_CHECKING:
    from fennel_gov.runtime.metadata import RuntimeMetadata

CALL_FILE = "set-sudo-call.txt"  # rotate-sudo: the call data, as 'set-sudo --call-only' prints it


@dataclass(frozen=True)
class SudoRotation:
    """What ``rotate_sudo`` made: the manifest written, the new and old sudo, and the call to sign."""

    manifest: dict[str, Any]
    new_sudo: str
    old_sudo: str
    call_data: str  # 0x hex of Sudo.set_key(new_sudo)


def _sudo_seed(directory: Path, manifest: dict[str, Any], shares: list[str], passphrases: Passphrases) -> bytes:
    """The current sudo secret: from K shares, or the one key file of an unsplit sudo key (``--share sudo``)."""
    sudo = manifest["sudo"]
    prefix = manifest_ss58_format(manifest)
    if "shares" in sudo:
        known = sudo["shares"]["custodians"]
        unknown = [c for c in shares if c not in known]
        if unknown:
            raise BadInput(f"{unknown[0]} holds no share; the share custodians are {', '.join(known)}")
        if len(set(shares)) < sudo["shares"]["threshold"]:
            raise BadInput(f"the sudo key needs {sudo['shares']['threshold']} different shares; {len(set(shares))} given")
        seed = recover_sudo_seed(directory, list(dict.fromkeys(shares)), passphrases)
    else:
        if shares != ["sudo"]:
            raise BadInput("this ceremony's sudo key is not split into shares; give --share sudo (its one custodian)")
        data = read_bytes(Path(directory) / "secrets" / "sudo" / "sudo.json", "key file", error=InvalidKeyFile)
        found = decrypt_account(data, passphrases("sudo")).pair.seed
        if found is None:
            raise InvalidKeyFile("secrets/sudo/sudo.json holds no seed; it is not a file this ceremony wrote")
        seed = found
    address = ss58.encode(pair_from_seed(Scheme.SR25519, seed).public, prefix)
    if address != sudo["address"]:
        raise VerificationFailed(f"the shares give {address}, not the manifest's sudo {sudo['address']}")
    return seed


def _copy_others(directory: Path, manifest: dict[str, Any], out: Path) -> dict[str, str]:
    """Every secret file but the sudo key's, copied into ``out`` after its SHA-256 is checked; their hashes."""
    sudo = manifest["sudo"]
    old_sudo = set(sudo["shares"]["custodians"] if "shares" in sudo else ["sudo"])
    hashes: dict[str, str] = {}
    if "secret_files" not in manifest:
        raise BadInput("the manifest lists no secret_files, so the other secrets cannot be checked before they are copied; "
                       "take the manifest the ceremony wrote")
    for relative, digest in manifest["secret_files"].items():
        parts = Path(relative).parts
        if len(parts) != 3 or parts[0] != "secrets" or ".." in parts or relative.startswith("/"):
            raise BadInput(f"the manifest lists {relative!r} as a secret file; secret files are secrets/<custodian>/<file>")
        if parts[1] in old_sudo:
            continue
        data = read_bytes(Path(directory) / relative, "key file", error=InvalidKeyFile)
        if hashlib.sha256(data).hexdigest() != digest:
            raise VerificationFailed(f"{relative} does not match its SHA-256 in the manifest; run 'fennel-gov ceremony verify'")
        target = out / relative
        target.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        write_atomic(target, data, secret=True)
        hashes[relative] = digest
    return hashes


def _new_passphrases(custodians: list[str], passphrases: dict[str, SecretStr]) -> None:
    for custodian in custodians:
        if custodian not in passphrases:
            raise BadInput(f"no passphrase for custodian {custodian}")
        check_passphrase(custodian, passphrases[custodian])


def _write_manifest(out: Path, name: str, manifest: dict[str, Any]) -> None:
    validate(manifest)
    path = out / "keys" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(path, json.dumps(manifest, indent=2) + "\n")


def _checked_shares(threshold: int | None, count: int | None) -> None:
    from fennel_gov.ceremony.generate import CeremonyPlan

    if count is None:
        raise BadInput("give the new split: --sudo-shares K-of-N")
    CeremonyPlan(network="plan", validators=1, bootnodes=0, sudo_threshold=threshold, sudo_shares=count).check()


def reshare_sudo(
    directory: Path, shares: list[str], passphrases: Passphrases, *, threshold: int | None, count: int | None,
    out: Path, new_passphrases: dict[str, SecretStr], randbytes: Callable[[int], bytes] = os.urandom,
) -> dict[str, Any]:
    """New K-of-N shares of the same sudo secret for new custodians, in a new ceremony directory; its manifest."""
    _checked_shares(threshold, count)
    _new_passphrases(sudo_custodians(count), new_passphrases)
    directory = Path(directory)
    source = manifest_path(directory)
    manifest = load_manifest(source)
    seed = _sudo_seed(directory, manifest, shares, passphrases)
    prefix = manifest_ss58_format(manifest)

    def fill(partial: Path) -> dict[str, Any]:
        hashes = _copy_others(directory, manifest, partial)
        sudo = write_sudo(partial, seed, threshold, count, new_passphrases, hashes, network=source.stem,
                          ss58_format=prefix, randbytes=randbytes)
        if sudo["address"] != manifest["sudo"]["address"]:  # the same secret must give the same key
            raise VerificationFailed("the new shares would not give the manifest's sudo key; nothing was written")
        updated = {**manifest, "sudo": {**manifest["sudo"], **sudo}, "secret_files": dict(sorted(hashes.items()))}
        if "shares" not in sudo:
            updated["sudo"].pop("shares", None)
        _write_manifest(partial, source.name, updated)
        return updated

    return build_directory(Path(out), fill)


def set_key_call(metadata: "RuntimeMetadata", account_id: bytes) -> bytes:
    """``Sudo.set_key(MultiAddress::Id(account_id))`` encoded with the runtime's own pallet and call indices."""
    from scalecodec.base import ScaleBytes

    try:
        call = metadata._config.create_scale_object("Call", metadata=metadata.scale)
        encoded = call.encode({"call_module": "Sudo", "call_function": "set_key", "call_args": {"new": "0x" + account_id.hex()}})
        data = bytes(encoded.data)
        # Decoded back with the same metadata: the bytes must say exactly this call and nothing more.
        check = metadata._config.create_scale_object("Call", data=ScaleBytes(data), metadata=metadata.scale)
        value = check.decode(check_remaining=True)
    except Exception as exc:  # noqa: BLE001 - scalecodec raises many kinds; a runtime without Sudo.set_key is the message
        raise BadInput(f"this runtime cannot encode Sudo.set_key ({type(exc).__name__}); is it Fennel's runtime?") from None
    if (value.get("call_module"), value.get("call_function")) != ("Sudo", "set_key"):
        raise BadInput("this runtime does not encode Sudo.set_key as asked; is it Fennel's runtime?")
    return data


def rotate_sudo(
    directory: Path, metadata: "RuntimeMetadata", *, threshold: int | None, count: int | None, out: Path,
    new_passphrases: dict[str, SecretStr], runtime_ss58_format: int | None = None,
    randbytes: Callable[[int], bytes] = os.urandom, now: _dt.datetime | None = None,
) -> SudoRotation:
    """A new sudo key for new custodians (``count`` None: one unsplit key file), the manifest naming it, and
    ``Sudo.set_key(new)`` for the current sudo key to sign; written as ``out`` (with ``set-sudo-call.txt``)."""
    if count is not None:
        _checked_shares(threshold, count)
    _new_passphrases(sudo_custodians(count), new_passphrases)
    directory = Path(directory)
    source = manifest_path(directory)
    manifest = load_manifest(source)
    prefix = manifest_ss58_format(manifest)
    if runtime_ss58_format is not None and runtime_ss58_format != prefix:
        raise BadInput(f"the runtime's SS58 prefix is {runtime_ss58_format}, the manifest's {prefix}: "
                       "give the runtime of this network")
    old = manifest["sudo"]["address"]
    moment = (now or _dt.datetime.now(_dt.timezone.utc)).strftime("%Y-%m-%dT%H:%M:%SZ")
    seed = randbytes(32)
    new_pair = pair_from_seed(Scheme.SR25519, seed)
    call_data = "0x" + set_key_call(metadata, new_pair.public).hex()

    def fill(partial: Path) -> dict[str, Any]:
        hashes = _copy_others(directory, manifest, partial)
        sudo = write_sudo(partial, seed, threshold, count, new_passphrases, hashes, network=source.stem,
                          ss58_format=prefix, randbytes=randbytes)
        sudo["rotated"] = {"from": old, "created": moment}
        updated = {**manifest, "sudo": sudo, "secret_files": dict(sorted(hashes.items()))}
        # The genesis does not change with the key: the chain started with this one.
        updated["genesis_sudo"] = manifest.get("genesis_sudo", old)
        _write_manifest(partial, source.name, updated)
        write_atomic(partial / CALL_FILE, call_data + "\n")
        return updated

    written = build_directory(Path(out), fill)
    return SudoRotation(manifest=written, new_sudo=written["sudo"]["address"], old_sudo=old, call_data=call_data)
