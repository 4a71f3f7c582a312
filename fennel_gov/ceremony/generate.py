"""``ceremony init``: make a network's keys, encrypt every secret, write the public manifest.

For each validator: a stash/account key (sr25519) and *separate* session keys (aura sr25519,
grandpa ed25519 — never the account key reused), and a libp2p node key. For each bootnode: a node
key. One sudo key, optionally split into K-of-N SLIP-39 shares (Trezor's ``shamir-mnemonic``).
Every secret is written only encrypted, with the passphrase of its custodian, mode 0600, under
``secrets/<custodian>/``. Randomness and the clock are arguments, so a test can pin them.

The ceremony is all or nothing: everything is written into a fresh temporary directory beside the
target (``.<name>.partial-*``, mode 0700) and renamed into place only once the manifest is written;
any failure or interruption (SIGINT, SIGTERM) removes the temporary directory, so no secret file of
an unfinished ceremony is left behind and a rerun starts clean.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, TypeVar

from fennel_gov._files import make_directory, write_atomic
from fennel_gov.ceremony.manifest import FORMAT, SECRET_FIELDS, validate
from fennel_gov.errors import BadInput, Failure, quote, shorten
from fennel_gov.keys import SecretStr, SessionKeys, encrypt_account, node_key_from_secret, pair_from_seed, ss58
from fennel_gov.keys.schemes import Scheme

MIN_PASSPHRASE = 8
T = TypeVar("T")
FNL = 10**12
# Balances.ExistentialDeposit of Fennel's runtime (v102; a test reads it from the runtime itself):
# pallet-balances' genesis build panics on a smaller balance, so the spec would never build.
EXISTENTIAL_DEPOSIT = 10 * FNL
U128_MAX = 2**128 - 1  # Balance is a u128: each endowment, and the total issuance they add up to


@dataclass(frozen=True)
class CeremonyPlan:
    network: str
    validators: int
    bootnodes: int
    sudo_threshold: int | None = None
    sudo_shares: int | None = None
    chain_id: str | None = None
    name: str | None = None
    bootnode_addresses: tuple[str, ...] = ()  # multiaddr prefixes, e.g. /dns4/boot1.example/tcp/30333
    validator_endowment: int = 100 * FNL
    sudo_endowment: int = 1_000_000 * FNL
    ss58_format: int = 42
    rehearsal: bool = False  # made with --allow-network on a networked machine: recorded in the manifest

    def custodians(self) -> list[str]:
        sudo = [f"sudo-share-{i}" for i in range(1, (self.sudo_shares or 0) + 1)] if self.sudo_shares else ["sudo"]
        return sudo + [f"validator-{i}" for i in range(1, self.validators + 1)] + [f"bootnode-{i}" for i in range(1, self.bootnodes + 1)]

    def check(self) -> None:
        if not self.network or len(self.network) > 64 or not all(c.isascii() and (c.isalnum() or c in "-_") for c in self.network):
            raise BadInput("--network is a name of up to 64 letters, digits, - and _ (it names keys/<network>.json)")
        # A name that reads like a secret field would make the manifest look like it holds a secret
        # (to us and to every secret scanner); refuse it before anything is generated.
        reserved = {field.lower() for field in SECRET_FIELDS}
        for option, value in (("--network", self.network), ("--name", self.name), ("--id", self.chain_id)):
            if value is not None and value.strip().lower() in reserved:
                raise BadInput(f"{option} {quote(value)} is the name of a secret field; choose another name")
            if value is not None and (not value.strip() or len(value) > 128 or not value.isprintable()):
                raise BadInput(f"{option} is 1 to 128 printable characters")
        if not 1 <= self.validators <= 100:
            raise BadInput("--validators is 1 to 100")
        if not 0 <= self.bootnodes <= 20:
            raise BadInput("--bootnodes is 0 to 20")
        if self.bootnode_addresses and len(self.bootnode_addresses) != self.bootnodes:
            raise BadInput(f"give one --bootnode-address per bootnode ({self.bootnodes}), or none")
        for option, amount in (("--validator-endowment", self.validator_endowment), ("--sudo-endowment", self.sudo_endowment)):
            if not EXISTENTIAL_DEPOSIT <= amount <= U128_MAX:
                raise BadInput(f"{option} is {shorten(_whole_fnl(amount))} FNL; an endowment is at least the existential "
                               f"deposit ({EXISTENTIAL_DEPOSIT // FNL} FNL: the runtime refuses a smaller genesis balance) "
                               "and below 2^128 units")
        if self.sudo_endowment + self.validators * self.validator_endowment > U128_MAX:
            raise BadInput("the endowments add up to 2^128 units or more, past what the total issuance (a u128) holds; lower them")
        if self.sudo_shares is not None:
            if not (1 <= (self.sudo_threshold or 0) <= self.sudo_shares <= 16) or self.sudo_threshold == 1 and self.sudo_shares > 1:
                raise BadInput("--sudo-shares K-of-N needs 2 ≤ K ≤ N ≤ 16 (or 1-of-1)")


def _whole_fnl(units: int) -> str:
    whole, rest = divmod(abs(units), FNL)
    return ("-" if units < 0 else "") + str(whole) + (f".{rest:012d}".rstrip("0") if rest else "")


def parse_shares(text: str | None) -> tuple[int | None, int | None]:
    if not text:
        return None, None
    parts = text.lower().replace("of", "-").replace("/", "-").split("-")
    parts = [p for p in parts if p]
    if len(parts) != 2 or not all(p.isdigit() for p in parts):
        raise BadInput(f"--sudo-shares takes K-of-N, e.g. 2-of-3, not {quote(text)}")
    return int(parts[0]), int(parts[1])


def check_passphrase(custodian: str, passphrase: SecretStr) -> None:
    if len(passphrase.reveal()) < MIN_PASSPHRASE:
        raise BadInput(f"the passphrase for {custodian} is shorter than {MIN_PASSPHRASE} characters; choose a longer one")


def _write_secret(root: Path, relative: str, document: dict[str, Any], hashes: dict[str, str]) -> None:
    path = root / relative
    make_directory(path.parent, "secrets directory")
    data = (json.dumps(document, indent=2) + "\n").encode()
    write_atomic(path, data, secret=True)
    hashes[relative] = hashlib.sha256(data).hexdigest()


def run_ceremony(
    plan: CeremonyPlan,
    out: Path,
    passphrases: dict[str, SecretStr],
    *,
    randbytes: Callable[[int], bytes] = os.urandom,
    now: _dt.datetime | None = None,
) -> dict[str, Any]:
    plan.check()
    for custodian in plan.custodians():
        if custodian not in passphrases:
            raise BadInput(f"no passphrase for custodian {custodian}")
        check_passphrase(custodian, passphrases[custodian])
    return build_directory(Path(out), lambda partial: _generate(plan, partial, passphrases, randbytes, now))


def build_directory(target: Path, fill: Callable[[Path], T]) -> T:
    """Run ``fill`` on a fresh private directory beside ``target`` and rename it into place when it returns:
    all or nothing (a failure or interruption removes the partial directory), ``target`` new or empty."""
    if target.is_symlink() or target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise BadInput(f"{target} is not empty (or not a directory); a ceremony writes into a new directory")
    try:
        target.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        out = Path(tempfile.mkdtemp(prefix=f".{target.name}.partial-", dir=target.parent))
    except OSError as exc:
        raise BadInput(f"cannot create the ceremony directory beside {target} ({exc.strerror})") from None
    try:
        try:
            result = fill(out)
        except OSError as exc:
            raise Failure(f"writing the ceremony failed ({exc.strerror}); nothing of it was kept, run it again") from None
        try:
            os.rename(out, target)  # onto a missing or empty directory: atomic
        except OSError as exc:
            raise BadInput(f"cannot move the finished ceremony to {target} ({exc.strerror}); it must be new or empty") from None
    except BaseException:
        shutil.rmtree(out, ignore_errors=True)
        raise
    return result


def sudo_custodians(count: int | None) -> list[str]:
    """The custodians of a sudo key: one per SLIP-39 share, or the one ``sudo`` of an unsplit key."""
    return [f"sudo-share-{i}" for i in range(1, count + 1)] if count else ["sudo"]


def write_sudo(out: Path, seed: bytes, threshold: int | None, count: int | None, passphrases: dict[str, SecretStr],
               hashes: dict[str, str], *, network: str, ss58_format: int, randbytes: Callable[[int], bytes]) -> dict[str, Any]:
    """The sudo key of ``seed`` written for its custodians — K-of-N SLIP-39 shares, each sealed with its
    custodian's passphrase, or one encrypted key file — and its manifest entry."""
    pair = pair_from_seed(Scheme.SR25519, seed)
    sudo: dict[str, Any] = {"address": ss58.encode(pair.public, ss58_format), "scheme": "sr25519"}
    if count:
        import shamir_mnemonic

        from fennel_gov.ceremony.envelope import seal

        # A fresh random identifier and polynomial each time: shares of two splits never combine.
        [shares] = shamir_mnemonic.generate_mnemonics(
            group_threshold=1, groups=[(threshold, count)], master_secret=seed,
            passphrase=b"", extendable=True, iteration_exponent=1,
        )
        custodians = sudo_custodians(count)
        for custodian, words in zip(custodians, shares):
            _write_secret(out, f"secrets/{custodian}/sudo-share.json",
                          seal(SecretStr(words), passphrases[custodian], content="slip39-share", randbytes=randbytes), hashes)
        sudo["shares"] = {"scheme": "SLIP-39", "threshold": threshold, "count": count, "custodians": custodians}
    else:
        document = encrypt_account(
            pair, passphrases["sudo"], name=f"{network} sudo sudo", when_created_ms=0, ss58_prefix=ss58_format,
            salt=randbytes(32), nonce=randbytes(24), store_seed=True,
        )
        _write_secret(out, "secrets/sudo/sudo.json", document, hashes)
    return sudo


def _generate(plan: CeremonyPlan, out: Path, passphrases: dict[str, SecretStr], randbytes, now) -> dict[str, Any]:
    (out / "secrets").mkdir(mode=0o700, exist_ok=True)
    moment = (now or _dt.datetime.now(_dt.timezone.utc)).strftime("%Y-%m-%dT%H:%M:%SZ")
    prefix = plan.ss58_format
    hashes: dict[str, str] = {}

    def address(public: bytes) -> str:
        return ss58.encode(public, prefix)

    def account_file(custodian: str, name: str, pair) -> None:
        document = encrypt_account(
            pair, passphrases[custodian], name=f"{plan.network} {custodian} {name}",
            when_created_ms=0, ss58_prefix=prefix, salt=randbytes(32), nonce=randbytes(24), store_seed=True,
        )
        _write_secret(out, f"secrets/{custodian}/{name}.json", document, hashes)

    # sudo
    sudo_seed = randbytes(32)
    sudo = write_sudo(out, sudo_seed, plan.sudo_threshold, plan.sudo_shares, passphrases, hashes,
                      network=plan.network, ss58_format=prefix, randbytes=randbytes)

    validators = []
    for index in range(1, plan.validators + 1):
        custodian = f"validator-{index}"
        stash = pair_from_seed(Scheme.SR25519, randbytes(32))
        aura = pair_from_seed(Scheme.SR25519, randbytes(32))
        grandpa = pair_from_seed(Scheme.ED25519, randbytes(32))
        node = node_key_from_secret(randbytes(32))
        account_file(custodian, "stash", stash)
        account_file(custodian, "aura", aura)
        account_file(custodian, "grandpa", grandpa)
        account_file(custodian, "node-key", pair_from_seed(Scheme.ED25519, node.secret_bytes()))
        keys = SessionKeys.from_pairs(aura, grandpa)
        validators.append({
            "name": custodian,
            "stash": address(stash.public),
            "session_keys": {"aura": address(aura.public), "grandpa": address(grandpa.public), "hex": keys.to_hex()},
            "peer_id": node.peer_id,
        })

    bootnodes = []
    for index in range(1, plan.bootnodes + 1):
        custodian = f"bootnode-{index}"
        node = node_key_from_secret(randbytes(32))
        account_file(custodian, "node-key", pair_from_seed(Scheme.ED25519, node.secret_bytes()))
        base = plan.bootnode_addresses[index - 1].rstrip("/") if plan.bootnode_addresses else None
        bootnodes.append({"name": custodian, "peer_id": node.peer_id, "multiaddr": f"{base}/p2p/{node.peer_id}" if base else None})

    manifest = {
        "format": FORMAT,
        "created": moment,
        "network": {
            "name": plan.name or plan.network, "id": plan.chain_id or plan.network, "chain_type": "Live",
            "protocol_id": "fenn", "ss58_format": prefix, "token_symbol": "FNL", "token_decimals": 12,
        },
        "sudo": sudo,
        "validators": validators,
        "bootnodes": bootnodes,
        "endowments": [{"address": sudo["address"], "amount": str(plan.sudo_endowment)}]
        + [{"address": v["stash"], "amount": str(plan.validator_endowment)} for v in validators],
        "secret_files": dict(sorted(hashes.items())),
    }
    if plan.rehearsal:
        manifest["rehearsal"] = True
    validate(manifest)
    manifest_path = out / "keys" / f"{plan.network}.json"
    manifest_path.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(manifest_path, json.dumps(manifest, indent=2) + "\n")
    return manifest
