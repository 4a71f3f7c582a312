"""The air-gapped ceremony: generation, encryption, manifest, verification, shares, keystore export,
and a network built from the manifest running on the real runtime."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import random
import stat

import pytest

from fennel_gov.ceremony.generate import CeremonyPlan, run_ceremony
from tests.conftest import FIXTURES
from fennel_gov.keys import SecretStr

PASSPHRASES = {
    "sudo-share-1": "share one passphrase", "sudo-share-2": "share two passphrase", "sudo-share-3": "share three passphrase",
    "validator-1": "validator one pass", "validator-2": "validator two pass", "validator-3": "validator three pass",
    "bootnode-1": "bootnode one pass",
}
ORDER = ["sudo-share-1", "sudo-share-2", "sudo-share-3", "validator-1", "validator-2", "validator-3", "bootnode-1"]


def stdin_for(order=ORDER, passphrases=PASSPHRASES) -> str:
    return "".join(passphrases[c] + "\n" for c in order)


@pytest.fixture(scope="module")
def ceremony(tmp_path_factory):
    """One 3-validator ceremony with a 2-of-3 split sudo key, made through the CLI."""
    import io
    import sys

    from fennel_gov.cli import main

    out = tmp_path_factory.mktemp("ceremony") / "fennel-test"
    old = sys.stdin
    sys.stdin = io.TextIOWrapper(io.BytesIO(stdin_for().encode()))
    try:
        code = main(["ceremony", "init", "--network", "fennel-test", "--validators", "3", "--bootnodes", "1",
                     "--sudo-shares", "2-of-3", "--bootnode-address", "/dns4/boot1.fennel.example/tcp/30333",
                     "-o", str(out), "--passphrases-stdin", "--allow-network", "--json"])
    finally:
        sys.stdin = old
    assert code == 0
    return out


def manifest_of(directory):
    return json.loads((directory / "keys" / "fennel-test.json").read_text())


def test_manifest_is_public_and_complete(ceremony):
    manifest = manifest_of(ceremony)
    text = json.dumps(manifest)
    for word in ("secretPhrase", "secretSeed", "mnemonic", "privateKey"):
        assert word not in text
    assert len(manifest["validators"]) == 3 and len(manifest["bootnodes"]) == 1
    assert manifest["sudo"]["shares"] == {"scheme": "SLIP-39", "threshold": 2, "count": 3,
                                          "custodians": ["sudo-share-1", "sudo-share-2", "sudo-share-3"]}
    for validator in manifest["validators"]:
        assert validator["stash"] != validator["session_keys"]["aura"]  # never the account key reused
        assert validator["peer_id"].startswith("12D3KooW")
    assert manifest["bootnodes"][0]["multiaddr"].endswith("/p2p/" + manifest["bootnodes"][0]["peer_id"])
    # every secret file is listed with its SHA-256, is 0600, and is encrypted
    for relative, digest in manifest["secret_files"].items():
        path = ceremony / relative
        assert hashlib.sha256(path.read_bytes()).hexdigest() == digest
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        assert "xsalsa20-poly1305" in path.read_text()
    assert len(manifest["secret_files"]) == 3 + 3 * 4 + 1


def test_verify_rederives_every_key(cli, ceremony):
    run = cli("ceremony", "verify", ceremony, "--passphrases-stdin", "--allow-network", "--json", stdin=stdin_for())
    assert run.exit_code == 0, run.stderr
    assert run.json["ok"] and run.json["checked"] == 2 + 3 * 5 + 1


def test_verify_names_the_custodian_whose_passphrase_is_wrong(cli, ceremony):
    wrong = dict(PASSPHRASES, **{"validator-2": "not the passphrase"})
    run = cli("ceremony", "verify", ceremony, "--passphrases-stdin", "--allow-network", stdin=stdin_for(passphrases=wrong))
    assert run.exit_code == 2 and "validator-2" in run.stderr and "not the passphrase" not in run.stderr


def test_verify_detects_a_tampered_secret_file(cli, ceremony, tmp_path):
    import shutil

    copy = tmp_path / "copy"
    shutil.copytree(ceremony, copy)
    target = copy / "secrets" / "bootnode-1" / "node-key.json"
    document = json.loads(target.read_text())
    document["meta"]["name"] = "tampered"
    target.write_text(json.dumps(document))
    os.chmod(target, 0o600)
    run = cli("ceremony", "verify", copy, "--passphrases-stdin", "--allow-network", "--json", stdin=stdin_for())
    assert run.exit_code == 1
    assert any("does not match its SHA-256" in p for p in run.json["problems"])


def test_recover_sudo_from_any_two_shares_but_not_one(cli, ceremony, tmp_path):
    sudo = manifest_of(ceremony)["sudo"]["address"]
    for pair in (("sudo-share-1", "sudo-share-3"), ("sudo-share-3", "sudo-share-2")):
        run = cli("ceremony", "recover-sudo", ceremony, "--share", pair[0], "--share", pair[1], "--passphrases-stdin",
                  "--allow-network", "--json", stdin=stdin_for(pair))
        assert run.exit_code == 0, run.stderr
        assert run.json["sudo"] == sudo
    one = cli("ceremony", "recover-sudo", ceremony, "--share", "sudo-share-2", "--passphrases-stdin", "--allow-network",
              stdin=stdin_for(["sudo-share-2"]))
    assert one.exit_code == 2 and "needs 2 shares" in one.stderr
    twice = cli("ceremony", "recover-sudo", ceremony, "--share", "sudo-share-2", "--share", "sudo-share-2", "--passphrases-stdin",
                "--allow-network", stdin=stdin_for(["sudo-share-2", "sudo-share-2"]))
    assert twice.exit_code == 2 and "given twice" in twice.stderr
    out = tmp_path / "sudo.json"
    written = cli("ceremony", "recover-sudo", ceremony, "--share", "sudo-share-1", "--share", "sudo-share-2", "-o", out,
                  "--passphrases-stdin", "--allow-network", stdin=stdin_for(["sudo-share-1", "sudo-share-2"]) + "new sudo password\n")
    assert written.exit_code == 0, written.stderr
    back = cli("keys", "inspect", "--keystore-json", out, "--password-stdin", "--json", stdin="new sudo password\n")
    assert back.json["ss58Address"] == sudo


def test_the_shares_are_standard_slip39(ceremony):
    import shamir_mnemonic

    from fennel_gov.ceremony.envelope import open_envelope
    from fennel_gov.keys import pair_from_seed, ss58
    from fennel_gov.keys.schemes import Scheme

    words = [open_envelope((ceremony / "secrets" / c / "sudo-share.json").read_bytes(), SecretStr(PASSPHRASES[c])).reveal()
             for c in ("sudo-share-2", "sudo-share-3")]
    assert all(len(w.split()) == 33 for w in words)  # SLIP-39 shares of a 256-bit secret
    seed = shamir_mnemonic.combine_mnemonics(words)
    assert ss58.encode(pair_from_seed(Scheme.SR25519, seed).public) == manifest_of(ceremony)["sudo"]["address"]


def test_export_keystore_writes_the_validators_session_keys(cli, ceremony, tmp_path):
    keystore = tmp_path / "keystore"
    node_key = tmp_path / "node-key"
    run = cli("ceremony", "export-keystore", ceremony, "validator-2", "--keystore", keystore, "--node-key-file", node_key,
              "--passphrases-stdin", "--allow-network", stdin=PASSPHRASES["validator-2"] + "\n")
    assert run.exit_code == 0, run.stderr
    validator = manifest_of(ceremony)["validators"][1]
    from fennel_gov.keys import ss58

    aura = ss58.decode(validator["session_keys"]["aura"]).payload.hex()
    grandpa = ss58.decode(validator["session_keys"]["grandpa"]).payload.hex()
    assert sorted(p.name for p in keystore.iterdir()) == sorted(["61757261" + aura, "6772616e" + grandpa])
    assert json.loads((keystore / ("61757261" + aura)).read_text()).startswith("0x")
    assert cli("keys", "inspect-node-key", node_key, "--json").json["peer_id"] == validator["peer_id"]


def test_fingerprint_is_stable_and_changes_with_the_manifest(cli, ceremony, tmp_path):
    first = cli("ceremony", "fingerprint", ceremony, "--json").json
    assert first == cli("ceremony", "fingerprint", ceremony / "keys" / "fennel-test.json", "--json").json
    assert len(first["words"].split()) == 6
    changed = manifest_of(ceremony)
    changed["validators"][0]["peer_id"] = manifest_of(ceremony)["validators"][1]["peer_id"]
    path = tmp_path / "m.json"
    path.write_text(json.dumps(changed))
    assert cli("ceremony", "fingerprint", path, "--json").json["hex"] != first["hex"]


def test_pinned_randomness_and_clock_make_the_same_ceremony(tmp_path):
    def run(directory):
        rng = random.Random(42)
        plan = CeremonyPlan(network="pinned", validators=2, bootnodes=1)
        passphrases = {c: SecretStr("long enough pass") for c in plan.custodians()}
        return run_ceremony(plan, directory, passphrases, randbytes=rng.randbytes, now=dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc))

    assert run(tmp_path / "a") == run(tmp_path / "b")


def test_init_refuses_a_short_passphrase_a_used_directory_and_a_networked_machine(cli, tmp_path, ceremony):
    short = cli("ceremony", "init", "--network", "x", "--validators", "1", "-o", tmp_path / "new", "--passphrases-stdin",
                "--allow-network", stdin="short\nvalidator pass one\n")
    assert short.exit_code == 2 and "shorter than 8" in short.stderr
    assert not (tmp_path / "new" / "keys").exists()
    used = cli("ceremony", "init", "--network", "fennel-test", "--validators", "3", "--bootnodes", "1", "--sudo-shares", "2-of-3",
               "-o", ceremony, "--passphrases-stdin", "--allow-network", stdin=stdin_for())
    assert used.exit_code == 2 and "not empty" in used.stderr
    from fennel_gov.ceremony.airgap import interfaces_up

    if interfaces_up():
        networked = cli("ceremony", "init", "--network", "x", "--validators", "1", "-o", tmp_path / "n", stdin="")
        assert networked.exit_code == 2 and "--allow-network" in networked.stderr


def test_init_refuses_a_passphrase_line_more_than_custodians_before_making_anything(cli, tmp_path):
    # One line too many: the lines are not in the order assumed, and each secret would be sealed under
    # another custodian's passphrase.
    extra = cli("ceremony", "init", "--network", "x", "--validators", "1", "-o", tmp_path / "new", "--passphrases-stdin",
                "--allow-network", stdin="sudo passphrase\nvalidator pass one\none line too many\n")
    assert extra.exit_code == 2 and "3 passphrase lines; 2 custodians need exactly one each" in extra.stderr
    assert not (tmp_path / "new").exists()


def test_interface_detection_reads_sysfs_flags(tmp_path):
    from fennel_gov.ceremony.airgap import interfaces_up

    for name, flags in (("lo", "0x9"), ("eth0", "0x1003"), ("wlan0", "0x1002")):
        (tmp_path / name).mkdir()
        (tmp_path / name / "flags").write_text(flags + "\n")
    assert interfaces_up(tmp_path) == ["eth0"]


def test_the_ceremony_opens_no_socket(tmp_path, socket_disabled):
    plan = CeremonyPlan(network="offline", validators=1, bootnodes=1, sudo_threshold=2, sudo_shares=2)
    manifest = run_ceremony(plan, tmp_path / "c", {c: SecretStr("long enough pass") for c in plan.custodians()})
    from fennel_gov.ceremony.verify import verify_ceremony

    assert verify_ceremony(tmp_path / "c", lambda c: SecretStr("long enough pass"))["ok"]
    assert manifest["validators"][0]["stash"]


@pytest.mark.chain
def test_a_network_built_from_the_manifest_runs_with_its_three_validators(cli, ceremony, tmp_path):
    from tests.chopsticks import Chopsticks

    plain, raw = tmp_path / "plain.json", tmp_path / "raw.json"
    built = cli("chainspec", "build", "--manifest", ceremony / "keys" / "fennel-test.json", "--from", FIXTURES / "development.json",
                "-o", plain)
    assert built.exit_code == 0, built.stderr
    assert cli("chainspec", "raw", plain, "-o", raw).exit_code == 0
    code_hash = cli("chainspec", "inspect", plain, "--json").json["code_hash"]
    checked = cli("chainspec", "verify", plain, "--profile", "production", "--expect-code-hash", code_hash, "--json")
    # The one error: this ceremony was a rehearsal (--allow-network), which the manifest records.
    assert [f["code"] for f in checked.json["findings"] if f["severity"] == "error"] == ["rehearsal"], checked.json
    manifest = manifest_of(ceremony)
    stashes = [v["stash"] for v in manifest["validators"]]
    sudo_file = tmp_path / "sudo.json"
    recovered = cli("ceremony", "recover-sudo", ceremony, "--share", "sudo-share-1", "--share", "sudo-share-3", "-o", sudo_file,
                    "--passphrases-stdin", "--allow-network", stdin=stdin_for(["sudo-share-1", "sudo-share-3"]) + "sudo file password\n")
    assert recovered.exit_code == 0, recovered.stderr
    node = Chopsticks(tmp_path / "chopsticks.log", spec=raw)
    try:
        status = cli("status", "--url", node.url, "--json").json
        assert sorted(status["validators"]) == sorted(stashes)
        assert status["sudo"] == manifest["sudo"]["address"]
        assert all(status["next_keys"][v["stash"]] == v["session_keys"]["hex"] for v in manifest["validators"])

        # A sudo change signed offline against the network's raw spec: build online, sign with sockets
        # disabled, submit online. (Chopsticks made to hold the genesis hash a node computes from the spec.)
        from fennel_gov.chainspec.genesis import to_raw
        from fennel_gov.chainspec.spec import ChainSpec
        from tests.rpc_proxy import RealGenesisProxy

        genesis_hash = to_raw(ChainSpec.load(raw))[1].genesis_hash
        node.hold_genesis_hash(genesis_hash)
        call = cli("remove-validator", stashes[2], "--url", node.url, "--call-only").stdout.strip()
        unsigned = tmp_path / "remove.json"
        with RealGenesisProxy(node.url, "0x" + genesis_hash.hex()) as url:
            built = cli("tx", "build", "--call", call, "--signer", manifest["sudo"]["address"], "--url", url, "-o", unsigned)
            assert built.exit_code == 0, built.stderr
            import pytest_socket

            pytest_socket.disable_socket()
            try:
                signed = cli("tx", "sign", unsigned, "--spec", raw, "--signer", f"json:{sudo_file}", "--password-stdin", "--yes", "--json",
                             stdin="sudo file password\n")
            finally:
                pytest_socket.enable_socket()
            assert signed.exit_code == 0, signed.stderr
            assert signed.json["review"]["call"]["args"]["call"] == {
                "pallet": "ValidatorManager", "call": "remove_validator", "args": {"validator": stashes[2]}}
            submitted = cli("tx", "submit", signed.json["output"], "--url", url, "--json")
        assert submitted.exit_code == 0, submitted.stderr
        assert "ValidatorManager.ValidatorRemoved" in submitted.json["events"]
        status = cli("status", "--url", node.url, "--json").json
        assert [q["account"] for q in status["queued_removals"]] == [stashes[2]]
    finally:
        node.stop()


def test_offline_signing_refuses_the_wrong_key_and_a_call_that_does_not_decode(cli, tmp_path):
    from fennel_gov.txfile.payload import encode_era

    assert encode_era(64, 42) == ((5 | (42 << 4)).to_bytes(2, "little"), 42)  # Substrate's Era::mortal(64, 42)
    assert encode_era(4096, 10000)[1] == 10000 - 10000 % 4096 + (10000 % 4096)
    unsigned = {
        "format": "fennel-gov-unsigned-tx/1", "chain": {"genesis_hash": "0x" + "11" * 32, "spec_name": "fennel", "spec_version": 102,
                                                          "transaction_version": 1, "ss58_format": 42},
        "signer": "5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY", "nonce": 0, "tip": "0", "era": {"immortal": True},
        "extensions": ["CheckNonce"], "call_data": "0x0600", "description": "x", "metadata": "0x00",
    }
    path = tmp_path / "u.json"
    path.write_text(json.dumps(unsigned))
    bad = cli("tx", "sign", path, "--trust-file-metadata", "--signer", "stdin", "--yes", stdin="//Alice\n")
    assert bad.exit_code == 2 and "'metadata'" in bad.stderr
    from fennel_gov.errors import VerificationFailed
    from fennel_gov.keys import pair_from_suri
    from fennel_gov.txfile.fields import UnsignedTx
    from fennel_gov.txfile.payload import sign_unsigned

    with pytest.raises(VerificationFailed, match="payload is for"):
        sign_unsigned(UnsignedTx.from_json(unsigned), pair_from_suri("//Bob", "sr25519"))


def test_init_asks_each_custodian_twice_and_stops_on_a_mismatch(cli, tmp_path, monkeypatch):
    import fennel_gov.cli.ceremony as ceremony_cli

    answers = iter(["sudo passphrase", "sudo passphrase", "validator passphrase", "validator passfrase"])
    asked = []

    def prompt(text):
        asked.append(text)
        return next(answers)

    monkeypatch.setattr(ceremony_cli, "hidden_prompt", prompt)
    monkeypatch.setattr(ceremony_cli, "stdin_is_tty", lambda: True)
    run = cli("ceremony", "init", "--network", "x", "--validators", "1", "-o", tmp_path / "c", "--allow-network")
    assert run.exit_code == 2 and "for validator-1 differ" in run.stderr
    assert asked == ["Passphrase for custodian sudo: ", "Repeat the passphrase for sudo: ",
                     "Passphrase for custodian validator-1: ", "Repeat the passphrase for validator-1: "]
    assert not (tmp_path / "c").exists()


def test_verify_compares_every_rederived_public_key_with_the_manifest(cli, ceremony, tmp_path):
    # A manifest edited after the ceremony (its secret-file hashes still match): every public key
    # that no longer matches its secret is named, with what the secret really gives.
    import shutil

    copy = tmp_path / "copy"
    shutil.copytree(ceremony, copy)
    path = copy / "keys" / "fennel-test.json"
    manifest = json.loads(path.read_text())
    real = json.loads(json.dumps(manifest))
    one, two = manifest["validators"][0], manifest["validators"][1]
    two["stash"] = one["stash"]
    two["session_keys"]["aura"] = one["session_keys"]["aura"]
    two["session_keys"]["grandpa"] = one["session_keys"]["grandpa"]
    two["session_keys"]["hex"] = one["session_keys"]["hex"]
    two["peer_id"] = one["peer_id"]
    manifest["bootnodes"][0]["peer_id"] = one["peer_id"]
    manifest["sudo"]["address"] = one["stash"]
    path.write_text(json.dumps(manifest))
    run = cli("ceremony", "verify", copy, "--passphrases-stdin", "--allow-network", "--json", stdin=stdin_for())
    assert run.exit_code == 1
    was = real["validators"][1]
    assert sorted(run.json["problems"]) == sorted([
        f"sudo (from the first K shares): the secret gives {real['sudo']['address']}, the manifest says {one['stash']}",
        f"sudo (from the last K shares): the secret gives {real['sudo']['address']}, the manifest says {one['stash']}",
        f"validator-2 stash: the secret gives {was['stash']}, the manifest says {one['stash']}",
        f"validator-2 aura: the secret gives {was['session_keys']['aura']}, the manifest says {one['session_keys']['aura']}",
        f"validator-2 grandpa: the secret gives {was['session_keys']['grandpa']}, the manifest says {one['session_keys']['grandpa']}",
        f"validator-2 session keys: the secret gives {was['session_keys']['hex']}, the manifest says {one['session_keys']['hex']}",
        f"validator-2 peer id: the secret gives {was['peer_id']}, the manifest says {one['peer_id']}",
        f"bootnode-1 peer id: the secret gives {real['bootnodes'][0]['peer_id']}, the manifest says {one['peer_id']}",
    ])


def test_custodians_lists_the_order_passphrases_stdin_reads(cli, ceremony):
    run = cli("ceremony", "custodians", ceremony, "--json")
    assert run.exit_code == 0, run.stderr
    assert run.json == {"custodians": ORDER}
    assert cli("ceremony", "custodians", ceremony).stdout.split() == ORDER


def test_export_keystore_refuses_a_key_file_without_a_seed(cli, ceremony, tmp_path):
    """A key file holding only sr25519's expanded secret (polkadot-js's default layout) has no seed
    for a keystore entry: one clear line, exit 2, nothing written — found by mypy (seed is Optional)."""
    import shutil

    from fennel_gov.keys.encrypted_json import decrypt_account, encrypt_account

    copy = tmp_path / "copy"
    shutil.copytree(ceremony, copy)
    target = copy / "secrets" / "validator-2" / "aura.json"
    passphrase = SecretStr(PASSPHRASES["validator-2"])
    pair = decrypt_account(target.read_bytes(), passphrase).pair
    target.write_text(json.dumps(encrypt_account(pair, passphrase, name="aura", when_created_ms=0)))  # no seed kept
    assert decrypt_account(target.read_bytes(), passphrase).pair.seed is None
    keystore = tmp_path / "keystore"
    run = cli("ceremony", "export-keystore", copy, "validator-2", "--keystore", keystore,
              "--passphrases-stdin", "--allow-network", stdin=PASSPHRASES["validator-2"] + "\n")
    assert run.exit_code == 2
    assert "secrets/validator-2/aura.json holds no seed" in run.stderr
    assert not keystore.exists() or not any(keystore.iterdir())
