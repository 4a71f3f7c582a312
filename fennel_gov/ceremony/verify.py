"""``ceremony verify``, ``recover-sudo`` and ``export-keystore``: open the encrypted secrets with the
custodians' passphrases and check them against the manifest, or put them to use."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any, Callable

from fennel_gov._files import read_bytes
from fennel_gov.ceremony.envelope import open_envelope
from fennel_gov.ceremony.manifest import load_manifest, ss58_format
from fennel_gov.errors import BadInput, InvalidKeyFile, VerificationFailed, quote
from fennel_gov.keys import KeyPair, SecretStr, SessionKeys, decrypt_account, node_key_from_secret, pair_from_seed, ss58
from fennel_gov.keys.schemes import Scheme

Passphrases = Callable[[str], SecretStr]


def manifest_path(directory: Path) -> Path:
    found = sorted((Path(directory) / "keys").glob("*.json"))
    if len(found) != 1:
        raise BadInput(f"expected one manifest in {directory}/keys/, found {len(found)}")
    return found[0]


def _open(directory: Path, relative: str, passphrase: SecretStr) -> KeyPair:
    from fennel_gov.errors import WrongPassword

    data = read_bytes(Path(directory) / relative, "key file", error=InvalidKeyFile)
    try:
        return decrypt_account(data, passphrase).pair
    except WrongPassword:
        custodian = Path(relative).parent.name
        raise WrongPassword(f"the passphrase given for {custodian} does not open {relative}") from None


def _open_seed(directory: Path, relative: str, passphrase: SecretStr) -> bytes:
    """The 32-byte seed a key file holds; a file with only an expanded secret cannot give a node key
    or keystore entry, so it is refused (a ceremony writes seeds; another file was put in its place)."""
    seed = _open(directory, relative, passphrase).seed
    if seed is None:
        raise InvalidKeyFile(f"{relative} holds no seed (only an expanded secret); it is not a file this ceremony wrote")
    return seed


def _share_words(directory: Path, custodian: str, passphrase: SecretStr) -> SecretStr:
    from fennel_gov.errors import WrongPassword

    path = Path(directory) / "secrets" / custodian / "sudo-share.json"
    try:
        return open_envelope(read_bytes(path, "key file", error=InvalidKeyFile), passphrase)
    except WrongPassword:
        raise WrongPassword(f"the passphrase given for {custodian} does not open secrets/{custodian}/sudo-share.json") from None


def recover_sudo_seed(directory: Path, custodians: list[str], passphrases: Passphrases) -> bytes:
    import shamir_mnemonic

    words = [_share_words(directory, c, passphrases(c)).reveal() for c in custodians]
    try:
        return shamir_mnemonic.combine_mnemonics(words)
    except (shamir_mnemonic.MnemonicError, ValueError) as exc:
        raise VerificationFailed(f"the shares do not combine: {_slip39_reason(exc, words)}") from None


def _slip39_reason(error: Exception, shares: list[str]) -> str:
    """shamir-mnemonic's reason without the share words it quotes ("Expected 2 mnemonics starting with \"making …\"")."""
    import re

    text = re.sub(r"\"[^\"]*\"|'[^']*'", "(withheld)", str(error))
    secret_words = {word for share in shares for word in share.split()}
    if any(token in secret_words for token in re.findall(r"[A-Za-z]+", text)) or len(text) > 200:
        return "they are from different sets, too few, or damaged"
    return text


def recover_sudo(directory: Path, custodians: list[str], passphrases: Passphrases) -> tuple[KeyPair, str]:
    """The sudo key from the given share custodians, checked against the manifest; (pair, address)."""
    manifest = load_manifest(manifest_path(directory))
    if "shares" not in manifest["sudo"]:
        raise BadInput("this ceremony's sudo key is not split into shares")
    pair = pair_from_seed(Scheme.SR25519, recover_sudo_seed(directory, custodians, passphrases))
    address = ss58.encode(pair.public, ss58_format(manifest))
    if address != manifest["sudo"]["address"]:
        raise VerificationFailed(f"the shares give {address}, not the manifest's sudo {manifest['sudo']['address']}")
    return pair, address


def verify_ceremony(directory: Path, passphrases: Passphrases) -> dict[str, Any]:
    directory = Path(directory)
    manifest = load_manifest(manifest_path(directory))
    prefix = ss58_format(manifest)
    problems: list[str] = []
    checked = 0

    def expect(what: str, actual: str, wanted: str) -> None:
        nonlocal checked
        checked += 1
        if actual != wanted:
            problems.append(f"{what}: the secret gives {actual}, the manifest says {wanted}")

    for relative, digest in manifest["secret_files"].items():
        path = directory / relative
        if not path.exists():
            problems.append(f"{relative} is missing")
        elif hashlib.sha256(read_bytes(path, "key file", error=InvalidKeyFile)).hexdigest() != digest:
            problems.append(f"{relative} does not match its SHA-256 in the manifest")
        elif path.stat().st_mode & 0o077:
            problems.append(f"{relative} is readable by others (mode {path.stat().st_mode & 0o777:o}); chmod 600 it")
    sudo = manifest["sudo"]
    if "shares" in sudo:
        custodians = sudo["shares"]["custodians"]
        seed = recover_sudo_seed(directory, custodians[: sudo["shares"]["threshold"]], passphrases)
        expect("sudo (from the first K shares)", ss58.encode(pair_from_seed(Scheme.SR25519, seed).public, prefix), sudo["address"])
        if len(custodians) > sudo["shares"]["threshold"]:
            seed = recover_sudo_seed(directory, custodians[-sudo["shares"]["threshold"]:], passphrases)
            expect("sudo (from the last K shares)", ss58.encode(pair_from_seed(Scheme.SR25519, seed).public, prefix), sudo["address"])
    else:
        expect("sudo", ss58.encode(_open(directory, "secrets/sudo/sudo.json", passphrases("sudo")).public, prefix), sudo["address"])
    for validator in manifest["validators"]:
        custodian = validator["name"]
        phrase = passphrases(custodian)
        stash = _open(directory, f"secrets/{custodian}/stash.json", phrase)
        aura = _open(directory, f"secrets/{custodian}/aura.json", phrase)
        grandpa = _open(directory, f"secrets/{custodian}/grandpa.json", phrase)
        node_seed = _open_seed(directory, f"secrets/{custodian}/node-key.json", phrase)
        expect(f"{custodian} stash", ss58.encode(stash.public, prefix), validator["stash"])
        expect(f"{custodian} aura", ss58.encode(aura.public, prefix), validator["session_keys"]["aura"])
        expect(f"{custodian} grandpa", ss58.encode(grandpa.public, prefix), validator["session_keys"]["grandpa"])
        expect(f"{custodian} session keys", SessionKeys.from_pairs(aura, grandpa).to_hex(), validator["session_keys"]["hex"])
        expect(f"{custodian} peer id", node_key_from_secret(node_seed).peer_id, validator["peer_id"])
        if aura.public == stash.public:
            problems.append(f"{custodian} reuses its account key as its aura key")
    for bootnode in manifest.get("bootnodes", []):
        node_seed = _open_seed(directory, f"secrets/{bootnode['name']}/node-key.json", passphrases(bootnode["name"]))
        expect(f"{bootnode['name']} peer id", node_key_from_secret(node_seed).peer_id, bootnode["peer_id"])
    return {"ok": not problems, "checked": checked, "problems": problems, "manifest": str(manifest_path(directory))}


def export_keystore(directory: Path, validator: str, keystore: Path, passphrase: SecretStr, node_key_file: Path | None = None) -> list[str]:
    """Write a validator's aura and grandpa keys into a node keystore (and its node key, if asked)."""
    from fennel_gov._files import write_atomic
    from fennel_gov.keys.keystore import insert_key

    manifest = load_manifest(manifest_path(directory))
    if validator not in {v["name"] for v in manifest["validators"]}:
        names = ", ".join(v["name"] for v in manifest["validators"])
        raise BadInput(f"no validator {quote(validator)} in the manifest ({names})")
    written = []
    for key_type, name in (("aura", "aura"), ("gran", "grandpa")):
        seed = _open_seed(directory, f"secrets/{validator}/{name}.json", passphrase)
        path, _ = insert_key(keystore, key_type, SecretStr("0x" + seed.hex()))
        written.append(str(path))
    if node_key_file is not None:
        node_seed = _open_seed(directory, f"secrets/{validator}/node-key.json", passphrase)
        write_atomic(node_key_file, node_seed.hex(), secret=True)
        written.append(str(node_key_file))
    return written
