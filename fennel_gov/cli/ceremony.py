"""``fennel-gov ceremony``: the air-gapped key ceremony. Offline only; refuses to run on a networked machine."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Optional

import typer

from fennel_gov.cli._options import Json, hidden_prompt, stdin_is_tty
from fennel_gov.cli._render import emit_json, emit_lines, note

app = typer.Typer(help="The air-gapped key ceremony (offline).", no_args_is_help=True, rich_markup_mode=None)

AllowNetwork = Annotated[bool, typer.Option("--allow-network", help="Run although a network interface is up (a rehearsal, never the real ceremony).")]
PassphrasesStdin = Annotated[
    bool, typer.Option("--passphrases-stdin", help="Read the custodians' passphrases from standard input, one line each, in custodian order.")
]
Dir = Annotated[Path, typer.Argument(help="The ceremony directory.", file_okay=False)]


def _airgap(allow_network: bool) -> None:
    from fennel_gov.ceremony.airgap import interfaces_up
    from fennel_gov.errors import BadInput

    up = interfaces_up()
    if up and not allow_network:
        raise BadInput(
            f"network interface(s) {', '.join(up)} are up: a key ceremony runs on a machine with no network. "
            "Disconnect, or pass --allow-network for a rehearsal"
        )
    if up:
        note(f"WARNING: network interface(s) {', '.join(up)} are up; keys made here must not be used for a real network")


class _Passphrases:
    """Passphrases by custodian: from stdin lines (in the given order) or hidden prompts, asked once each."""

    def __init__(self, order: list[str], from_stdin: bool, confirm: bool | set[str], exact: bool = False) -> None:
        from fennel_gov.errors import BadInput, SecretUnavailable
        from fennel_gov.keys import SecretStr

        self._cache: dict[str, SecretStr] = {}
        self._confirm = confirm
        if from_stdin:
            limit = 1024 * 1024  # a passphrase per custodian, at most 137 of them
            text = sys.stdin.read(limit + 1)
            if len(text) > limit:
                raise BadInput(f"standard input holds more than {limit:,} characters; give one passphrase line per custodian")
            lines = text.splitlines()
            if len(lines) < len(order):
                raise SecretUnavailable(
                    f"standard input has {len(lines)} passphrase line(s); {len(order)} custodians need one each ({', '.join(order)})"
                )
            if exact and len(lines) > len(order):
                # One line too many means the lines are not in the order assumed: secrets would be sealed under
                # another custodian's passphrase, and nobody would notice until a share does not open.
                raise BadInput(
                    f"standard input has {len(lines)} passphrase lines; {len(order)} custodians need exactly one each, "
                    f"in this order: {', '.join(order)}"
                )
            self._cache = {c: SecretStr(lines[i]) for i, c in enumerate(order)}
        elif not stdin_is_tty():
            raise BadInput("no terminal to ask the custodians' passphrases on; use --passphrases-stdin")

    def __call__(self, custodian: str):
        from fennel_gov.errors import BadInput
        from fennel_gov.keys import SecretStr

        if custodian not in self._cache:
            first = hidden_prompt(f"Passphrase for custodian {custodian}: ")
            confirm = custodian in self._confirm if isinstance(self._confirm, set) else self._confirm
            if confirm and hidden_prompt(f"Repeat the passphrase for {custodian}: ") != first:
                raise BadInput(f"the two passphrases for {custodian} differ; nothing was written")
            self._cache[custodian] = SecretStr(first)
        return self._cache[custodian]


def _manifest_custodians(manifest: dict) -> list[str]:
    sudo = manifest["sudo"]
    first = sudo["shares"]["custodians"] if "shares" in sudo else ["sudo"]
    return first + [v["name"] for v in manifest["validators"]] + [b["name"] for b in manifest.get("bootnodes", [])]


@app.command()
def init(
    network: Annotated[str, typer.Option("--network", help="Network name; the manifest is keys/<network>.json.")],
    validators: Annotated[int, typer.Option("--validators", help="Number of validators.")],
    out: Annotated[Path, typer.Option("-o", "--output", help="New directory for the encrypted secrets and the manifest.", file_okay=False)],
    bootnodes: Annotated[int, typer.Option("--bootnodes", help="Number of bootnodes.")] = 0,
    sudo_shares: Annotated[Optional[str], typer.Option("--sudo-shares", help="Split the sudo key into K-of-N SLIP-39 shares, e.g. 2-of-3.")] = None,
    bootnode_address: Annotated[list[str], typer.Option("--bootnode-address", help="Multiaddr of a bootnode without /p2p (repeat, in order).")] = [],
    chain_name: Annotated[Optional[str], typer.Option("--name", help="Chain name for the spec (default: the network).")] = None,
    validator_endowment: Annotated[int, typer.Option("--validator-endowment", help="FNL endowed to each validator stash (at least the existential deposit, 10 FNL).")] = 100,
    sudo_endowment: Annotated[int, typer.Option("--sudo-endowment", help="FNL endowed to the sudo account (at least the existential deposit, 10 FNL).")] = 1_000_000,
    passphrases_stdin: PassphrasesStdin = False,
    allow_network: AllowNetwork = False,
    as_json: Json = False,
) -> None:
    """Generate every key of a network, encrypt each secret for its custodian, write the public manifest."""
    from fennel_gov.ceremony.generate import FNL, CeremonyPlan, parse_shares, run_ceremony
    from fennel_gov.ceremony.manifest import fingerprint

    _airgap(allow_network)
    threshold, count = parse_shares(sudo_shares)
    plan = CeremonyPlan(
        network=network, validators=validators, bootnodes=bootnodes, sudo_threshold=threshold, sudo_shares=count,
        name=chain_name, bootnode_addresses=tuple(bootnode_address),
        validator_endowment=validator_endowment * FNL, sudo_endowment=sudo_endowment * FNL, rehearsal=allow_network,
    )
    plan.check()
    for warning in production_warnings(plan):
        note(f"WARNING: {warning}")
    passphrases = _Passphrases(plan.custodians(), passphrases_stdin, confirm=True, exact=True)
    chosen = {c: passphrases(c) for c in plan.custodians()}
    _warn_shared_share_passphrases(chosen)
    manifest = run_ceremony(plan, out, chosen)
    prints = fingerprint(manifest)
    result = {"manifest": str(out / "keys" / f"{network}.json"), "custodians": plan.custodians(), "fingerprint": prints,
              "sudo": manifest["sudo"]["address"], "validators": [v["stash"] for v in manifest["validators"]]}
    if as_json:
        emit_json(result)
        return
    emit_lines([
        f"Manifest: {result['manifest']} (public; copy it into the repository's keys/)",
        f"Secrets:  {out}/secrets/<custodian>/ (encrypted, 0600; never leaves the ceremony media unencrypted)",
        f"Sudo:     {result['sudo']}" + (f" ({threshold}-of-{count} SLIP-39 shares)" if count else ""),
        *[f"Validator {v['name']}: {v['stash']}  peer {v['peer_id']}" for v in manifest["validators"]],
        *[f"Bootnode {b['name']}: {b['multiaddr'] or b['peer_id']}" for b in manifest["bootnodes"]],
        f"Fingerprint: {prints['hex']}  ({prints['words']})",
        "Next: 'fennel-gov ceremony verify' with every custodian, then 'fennel-gov chainspec build --manifest'.",
    ])


def production_warnings(plan) -> list[str]:
    """What 'chainspec verify --profile production' will refuse in the network this plan makes."""
    warnings = []
    if plan.validators < 2:
        warnings.append(f"{plan.validators} validator: Fennel's MinAuthorities is 2, so production verify will fail the spec")
    if plan.bootnodes == 0 or not plan.bootnode_addresses:
        warnings.append("no bootnode addresses (--bootnodes M --bootnode-address ADDR): the spec will list no bootnodes")
    if plan.rehearsal:
        warnings.append("--allow-network: the manifest is marked a rehearsal, which production verify refuses")
    return warnings


@app.command()
def custodians(
    directory: Annotated[Optional[Path], typer.Argument(help="A ceremony directory; or give init's options instead to see the order before init.", file_okay=False)] = None,
    validators: Annotated[Optional[int], typer.Option("--validators", help="As for init (without DIR).")] = None,
    bootnodes: Annotated[int, typer.Option("--bootnodes", help="As for init (without DIR).")] = 0,
    sudo_shares: Annotated[Optional[str], typer.Option("--sudo-shares", help="As for init (without DIR).")] = None,
    as_json: Json = False,
) -> None:
    """The custodians of a ceremony, in the order --passphrases-stdin expects their lines (before init: give init's options)."""
    from fennel_gov.errors import BadInput

    if directory is not None:
        if validators is not None or sudo_shares is not None or bootnodes:
            raise BadInput("give a ceremony DIR or init's --validators/--bootnodes/--sudo-shares, not both")
        from fennel_gov.ceremony.manifest import load_manifest
        from fennel_gov.ceremony.verify import manifest_path

        names = _manifest_custodians(load_manifest(manifest_path(directory)))
    else:
        if validators is None:
            raise BadInput("give a ceremony DIR, or the --validators (and --bootnodes, --sudo-shares) you will give init")
        from fennel_gov.ceremony.generate import CeremonyPlan, parse_shares

        threshold, count = parse_shares(sudo_shares)
        plan = CeremonyPlan(network="plan", validators=validators, bootnodes=bootnodes, sudo_threshold=threshold, sudo_shares=count)
        plan.check()
        names = plan.custodians()
    emit_json({"custodians": names}) if as_json else emit_lines(names)


@app.command()
def verify(directory: Dir, passphrases_stdin: PassphrasesStdin = False, allow_network: AllowNetwork = False, as_json: Json = False) -> None:
    """Re-derive every public key from the encrypted secrets and check the manifest (and file hashes)."""
    from fennel_gov.ceremony.manifest import fingerprint, load_manifest
    from fennel_gov.ceremony.verify import manifest_path, verify_ceremony
    from fennel_gov.errors import VerificationFailed

    _airgap(allow_network)
    manifest = load_manifest(manifest_path(directory))
    result = verify_ceremony(directory, _Passphrases(_manifest_custodians(manifest), passphrases_stdin, confirm=False))
    result["fingerprint"] = fingerprint(manifest)
    if as_json:
        emit_json(result)
    else:
        emit_lines([f"problem: {p}" for p in result["problems"]]
                   + [f"{result['checked']} keys checked; fingerprint {result['fingerprint']['hex']} ({result['fingerprint']['words']})"])
    if not result["ok"]:
        raise VerificationFailed(f"{len(result['problems'])} problem(s) between the secrets and the manifest")


@app.command("fingerprint")
def fingerprint_command(
    manifest: Annotated[Path, typer.Argument(help="A manifest (keys/<network>.json) or a ceremony directory.")],
    as_json: Json = False,
) -> None:
    """A short checksum of the manifest to read aloud between two people."""
    from fennel_gov.ceremony.manifest import fingerprint, load_manifest
    from fennel_gov.ceremony.verify import manifest_path

    path = manifest_path(manifest) if manifest.is_dir() else manifest
    prints = fingerprint(load_manifest(path))
    emit_json(prints) if as_json else emit_lines([f"{prints['hex']}  {prints['words']}"])


@app.command("export-keystore")
def export_keystore(
    directory: Dir,
    validator: Annotated[str, typer.Argument(help="Validator name from the manifest, e.g. validator-1.")],
    keystore: Annotated[Path, typer.Option("--keystore", help="The node keystore directory to write (…/chains/<id>/keystore).", file_okay=False)],
    node_key_file: Annotated[Optional[Path], typer.Option("--node-key-file", help="Also write the validator's libp2p node key here.", dir_okay=False)] = None,
    passphrases_stdin: PassphrasesStdin = False,
    allow_network: AllowNetwork = False,
    as_json: Json = False,
) -> None:
    """Write a validator's session keys into a node keystore directory, ready to copy onto the validator."""
    from fennel_gov._files import check_output_target
    from fennel_gov.ceremony.verify import export_keystore as export

    _airgap(allow_network)
    if node_key_file is not None:
        check_output_target(node_key_file)  # before any key is opened or written
    passphrase = _Passphrases([validator], passphrases_stdin, confirm=False)(validator)
    written = export(directory, validator, keystore, passphrase, node_key_file)
    emit_json({"written": written}) if as_json else emit_lines([f"wrote {p}" for p in written])


@app.command("recover-sudo")
def recover_sudo(
    directory: Dir,
    shares: Annotated[list[str], typer.Option("--share", help="Custodian of a share to use (repeat K times), e.g. sudo-share-2.")],
    out: Annotated[Optional[Path], typer.Option("-o", "--output", help="Write the sudo key as a polkadot-js JSON file (new password asked; never overwritten).", dir_okay=False)] = None,
    passphrases_stdin: PassphrasesStdin = False,
    allow_network: AllowNetwork = False,
    as_json: Json = False,
) -> None:
    """Rebuild the sudo key from any K SLIP-39 shares and check it against the manifest."""
    from fennel_gov.ceremony.verify import recover_sudo as recover

    from fennel_gov.ceremony.manifest import load_manifest
    from fennel_gov.ceremony.verify import manifest_path
    from fennel_gov.errors import BadInput

    _airgap(allow_network)
    if out:
        from fennel_gov._files import check_output_target

        check_output_target(out)
    names = list(dict.fromkeys(shares))
    if len(names) != len(shares):
        raise BadInput("a --share is given twice; give K different share custodians")
    split = load_manifest(manifest_path(directory))["sudo"].get("shares")
    if split is not None:  # (an unsplit sudo key is refused by the library with its own message)
        unknown = [n for n in names if n not in split["custodians"]]
        if unknown:
            raise BadInput(f"{unknown[0]} holds no share; the share custodians are {', '.join(split['custodians'])}")
        if len(names) < split["threshold"]:
            raise BadInput(f"the sudo key needs {split['threshold']} shares ({split['threshold']}-of-{len(split['custodians'])}); "
                           f"{len(names)} given: repeat --share")
    passphrases = _Passphrases(names + (["new-password"] if out and passphrases_stdin else []), passphrases_stdin, confirm=False)
    pair, address = recover(directory, names, passphrases)
    if out:
        import json
        import time

        from fennel_gov._files import write_atomic
        from fennel_gov.keys import encrypt_account
        from fennel_gov.keys.sources import read_password

        password = passphrases("new-password") if passphrases_stdin else read_password(
            from_stdin=False, prompt=hidden_prompt, is_tty=stdin_is_tty(), what="new password", confirm=True)
        document = encrypt_account(pair, password, name="sudo", when_created_ms=int(time.time() * 1000), store_seed=True)
        write_atomic(out, json.dumps(document, indent=2) + "\n", secret=True)
    result = {"sudo": address, "matches_manifest": True, "written": str(out) if out else None}
    emit_json(result) if as_json else emit_lines([f"Recovered the sudo key {address} (matches the manifest)"] + ([f"wrote {out} (encrypted, 0600)"] if out else []))


NEW = "new "  # the prompt's name for a new custodian (old and new share custodians share names)
SudoShares = Annotated[Optional[str], typer.Option("--sudo-shares", help="The new split, K-of-N SLIP-39 shares, e.g. 3-of-5.")]


def _new_passphrases(passphrases: _Passphrases, count: int | None) -> dict:
    from fennel_gov.ceremony.generate import sudo_custodians

    chosen = {c: passphrases(NEW + c) for c in sudo_custodians(count)}
    _warn_shared_share_passphrases(chosen)
    return chosen


def _warn_shared_share_passphrases(by_custodian: dict) -> None:
    """Warn when share custodians chose one passphrase: whoever knows it opens all their shares."""
    groups: dict[str, list[str]] = {}
    for custodian, passphrase in by_custodian.items():
        if custodian.startswith("sudo-share-"):
            groups.setdefault(passphrase.reveal(), []).append(custodian)
    for names in groups.values():
        if len(names) > 1:
            note(f"WARNING: {' and '.join(names)} have the same passphrase: whoever knows it opens {len(names)} shares, "
                 "so the sudo key needs fewer people than the split says; give each custodian their own")


@app.command()
def reshare(
    directory: Dir,
    shares: Annotated[list[str], typer.Option("--share", help="Custodian of an old share to use (repeat K times), e.g. sudo-share-2; 'sudo' for an unsplit key.")],
    out: Annotated[Path, typer.Option("-o", "--output", help="New directory: the ceremony with the new shares (the old one is left as it is).", file_okay=False)],
    sudo_shares: SudoShares = None,
    passphrases_stdin: Annotated[bool, typer.Option("--passphrases-stdin", help="Read passphrases from standard input, one line each: the old share custodians in --share order, then the new sudo-share-1 … N.")] = False,
    allow_network: AllowNetwork = False,
    as_json: Json = False,
) -> None:
    """New K-of-N shares of the same sudo key for new custodians; the old shares still recover it until set-sudo rotates the key."""
    from fennel_gov.ceremony.generate import parse_shares, sudo_custodians
    from fennel_gov.ceremony.manifest import fingerprint
    from fennel_gov.ceremony.sudo_keys import reshare_sudo
    from fennel_gov.errors import BadInput

    _airgap(allow_network)
    threshold, count = parse_shares(sudo_shares)
    if count is None:
        raise BadInput("give the new split with --sudo-shares K-of-N, e.g. 3-of-5")
    if len(set(shares)) != len(shares):
        raise BadInput("a --share is given twice; give K different share custodians")
    new = [NEW + c for c in sudo_custodians(count)]
    passphrases = _Passphrases(list(shares) + new, passphrases_stdin, confirm=set(new), exact=True)
    manifest = reshare_sudo(directory, list(shares), passphrases, threshold=threshold, count=count, out=out,
                            new_passphrases=_new_passphrases(passphrases, count))
    prints = fingerprint(manifest)
    manifest_file = next((out / "keys").glob("*.json"))
    result = {"sudo": manifest["sudo"]["address"], "directory": str(out), "manifest": str(manifest_file),
              "custodians": manifest["sudo"]["shares"]["custodians"], "threshold": threshold, "fingerprint": prints,
              "old_shares_still_recover_the_key": True}
    if as_json:
        emit_json(result)
        return
    emit_lines([
        f"Sudo:     {result['sudo']} (the same key: {threshold}-of-{count} new SLIP-39 shares)",
        f"Ceremony: {out} (validator and bootnode secrets copied unchanged; the manifest updated)",
        f"Fingerprint: {prints['hex']}  ({prints['words']})",
        "IMPORTANT: the OLD shares still recover this same key. They stop mattering only when the key is",
        "rotated: 'fennel-gov ceremony rotate-sudo', then 'fennel-gov set-sudo' signed by this key.",
        "Next: 'fennel-gov ceremony verify' on the new directory with the new custodians.",
    ])


@app.command("rotate-sudo")
def rotate_sudo(
    directory: Dir,
    out: Annotated[Path, typer.Option("-o", "--output", help="New directory: the ceremony with the new sudo key, its manifest, and set-sudo-call.txt.", file_okay=False)],
    sudo_shares: SudoShares = None,
    spec: Annotated[Optional[Path], typer.Option("--spec", help="The network's chain spec: its runtime encodes the call.", dir_okay=False)] = None,
    runtime: Annotated[Optional[Path], typer.Option("--runtime", help="The runtime wasm the chain runs, to encode the call (when no chain spec is at hand).", dir_okay=False)] = None,
    passphrases_stdin: Annotated[bool, typer.Option("--passphrases-stdin", help="Read the new custodians' passphrases from standard input, one line each (sudo-share-1 … N, or sudo).")] = False,
    allow_network: AllowNetwork = False,
    as_json: Json = False,
) -> None:
    """A new sudo key and its shares, the updated manifest, and the Sudo.set_key call for the old key to sign."""
    from fennel_gov.ceremony.generate import parse_shares, sudo_custodians
    from fennel_gov.ceremony.manifest import fingerprint
    from fennel_gov.ceremony.sudo_keys import CALL_FILE, rotate_sudo as rotate
    from fennel_gov.errors import BadInput
    from fennel_gov.txfile import trusted as trusted_runtime

    _airgap(allow_network)
    if (spec is None) == (runtime is None):
        raise BadInput("give the runtime that encodes the call: --spec RAW_SPEC (the network's chain spec) or --runtime WASM, one of them")
    threshold, count = parse_shares(sudo_shares)
    trusted = trusted_runtime.from_spec(spec) if spec else trusted_runtime.from_runtime(runtime)  # type: ignore[arg-type]
    new = [NEW + c for c in sudo_custodians(count)]
    passphrases = _Passphrases(new, passphrases_stdin, confirm=set(new), exact=True)
    rotation = rotate(directory, trusted.decoded_metadata, threshold=threshold, count=count, out=out,
                      new_passphrases=_new_passphrases(passphrases, count), runtime_ss58_format=trusted.ss58_format)
    prints = fingerprint(rotation.manifest)
    result = {"new_sudo": rotation.new_sudo, "old_sudo": rotation.old_sudo, "call_data": rotation.call_data,
              "call_file": str(out / CALL_FILE), "directory": str(out), "fingerprint": prints,
              "custodians": sudo_custodians(count), "runtime": trusted.source}
    if as_json:
        emit_json(result)
        return
    emit_lines([
        f"New sudo: {rotation.new_sudo}" + (f" ({threshold}-of-{count} SLIP-39 shares)" if count else " (one key file, custodian sudo)"),
        f"Old sudo: {rotation.old_sudo} (signs the change; still sudo until the call is on chain)",
        f"Ceremony: {out} (the manifest names the new key; genesis_sudo keeps the genesis key)",
        f"Fingerprint: {prints['hex']}  ({prints['words']})",
        f"Call, Sudo.set_key({rotation.new_sudo}) encoded with {trusted.source}:",
        rotation.call_data,
        f"(also in {out / CALL_FILE}). Sign it with the OLD sudo key: 'fennel-gov tx build --call <that hex> --signer "
        f"{rotation.old_sudo} -o set-sudo.json' online, 'tx sign' here, 'tx submit' online; or 'fennel-gov set-sudo "
        f"{rotation.new_sudo}' where the old key is at hand. Then 'fennel-gov status' shows the new sudo.",
    ])
