"""ceremony reshare and rotate-sudo: new custodians for the same sudo key, or a new key and the call that hands sudo to it.

Recovery is checked twice: through 'ceremony recover-sudo', and by opening the share envelopes and
combining the words with shamir-mnemonic directly (the reference SLIP-39 implementation).
"""

from __future__ import annotations

import json
import stat

import pytest

from fennel_gov.ceremony.generate import CeremonyPlan, run_ceremony
from fennel_gov.keys import SecretStr, pair_from_seed, ss58
from fennel_gov.keys.schemes import Scheme
from tests.conftest import FIXTURES

V102 = FIXTURES / "runtimes" / "fennel-v102.compact.compressed.wasm"
OLD = {"sudo-share-1": "old share one", "sudo-share-2": "old share two", "sudo-share-3": "old share three",
       "validator-1": "validator one pass"}
NEW = {f"sudo-share-{i}": f"new share number {i}" for i in range(1, 6)}


def lines(*phrases: str) -> str:
    return "".join(p + "\n" for p in phrases)


@pytest.fixture(scope="module")
def ceremony(tmp_path_factory):
    """A 2-of-3 sudo key and one validator."""
    out = tmp_path_factory.mktemp("sudo") / "net"
    plan = CeremonyPlan(network="net", validators=1, bootnodes=0, sudo_threshold=2, sudo_shares=3)
    run_ceremony(plan, out, {c: SecretStr(p) for c, p in OLD.items()})
    return out


def manifest(directory):
    return json.loads((directory / "keys" / "net.json").read_text())


def share_words(directory, custodian: str, passphrase: str) -> str:
    from fennel_gov.ceremony.envelope import open_envelope

    return open_envelope((directory / "secrets" / custodian / "sudo-share.json").read_bytes(), SecretStr(passphrase)).reveal()


def address_of(seed: bytes) -> str:
    return ss58.encode(pair_from_seed(Scheme.SR25519, seed).public)


def recover(cli, directory, custodians, passphrases) -> str:
    args = [a for c in custodians for a in ("--share", c)]
    run = cli("ceremony", "recover-sudo", directory, *args, "--passphrases-stdin", "--allow-network", "--json",
              stdin=lines(*(passphrases[c] for c in custodians)))
    assert run.exit_code == 0, run.stderr
    return run.json["sudo"]


@pytest.fixture(scope="module")
def reshared(ceremony, tmp_path_factory):
    import io
    import sys

    from fennel_gov.cli import main

    out = tmp_path_factory.mktemp("reshared") / "net"
    stdin = lines(OLD["sudo-share-3"], OLD["sudo-share-1"], *NEW.values())
    old, sys.stdin = sys.stdin, io.TextIOWrapper(io.BytesIO(stdin.encode()))
    try:
        code = main(["ceremony", "reshare", str(ceremony), "--share", "sudo-share-3", "--share", "sudo-share-1",
                     "--sudo-shares", "3-of-5", "-o", str(out), "--passphrases-stdin", "--allow-network"])
    finally:
        sys.stdin = old
    assert code == 0
    return out


def test_reshare_gives_new_shares_of_the_same_key_and_the_old_shares_still_recover_it(cli, ceremony, reshared):
    import shamir_mnemonic

    sudo = manifest(ceremony)["sudo"]["address"]
    assert manifest(reshared)["sudo"]["address"] == sudo
    assert manifest(reshared)["sudo"]["shares"] == {"scheme": "SLIP-39", "threshold": 3, "count": 5,
                                                     "custodians": [f"sudo-share-{i}" for i in range(1, 6)]}
    # any 3 new shares, through the CLI and through shamir-mnemonic itself
    assert recover(cli, reshared, ["sudo-share-5", "sudo-share-2", "sudo-share-4"], NEW) == sudo
    words = [share_words(reshared, c, NEW[c]) for c in ("sudo-share-1", "sudo-share-3", "sudo-share-5")]
    assert address_of(shamir_mnemonic.combine_mnemonics(words)) == sudo
    # the old directory is untouched, and its shares still recover the very same key
    assert recover(cli, ceremony, ["sudo-share-2", "sudo-share-3"], OLD) == sudo
    # two new shares are not enough, and old and new shares (two splits) never combine
    with pytest.raises(shamir_mnemonic.MnemonicError):
        shamir_mnemonic.combine_mnemonics(words[:2])
    with pytest.raises(shamir_mnemonic.MnemonicError):
        shamir_mnemonic.combine_mnemonics(words[:2] + [share_words(ceremony, "sudo-share-1", OLD["sudo-share-1"])])


def test_reshare_writes_a_ceremony_that_verifies_with_the_new_custodians(cli, ceremony, reshared):
    for path in (reshared / "secrets").rglob("*.json"):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
    assert sorted(p.name for p in (reshared / "secrets").iterdir()) == [*(f"sudo-share-{i}" for i in range(1, 6)), "validator-1"]
    # the validator's secrets are the same files
    assert (reshared / "secrets/validator-1/stash.json").read_bytes() == (ceremony / "secrets/validator-1/stash.json").read_bytes()
    run = cli("ceremony", "verify", reshared, "--passphrases-stdin", "--allow-network", "--json",
              stdin=lines(*NEW.values(), OLD["validator-1"]))
    assert run.exit_code == 0, run.stderr
    assert run.json["ok"] is True


def test_reshare_says_the_old_shares_still_recover_the_key(cli, ceremony, tmp_path):
    run = cli("ceremony", "reshare", ceremony, "--share", "sudo-share-1", "--share", "sudo-share-2", "--sudo-shares", "2-of-2",
              "-o", tmp_path / "n", "--passphrases-stdin", "--allow-network",
              stdin=lines(OLD["sudo-share-1"], OLD["sudo-share-2"], NEW["sudo-share-1"], NEW["sudo-share-2"]))
    assert run.exit_code == 0, run.stderr
    assert "the OLD shares still recover this same key" in run.stdout and "rotate-sudo" in run.stdout and "set-sudo" in run.stdout


def test_reshare_refuses_too_few_shares_a_wrong_passphrase_and_a_tampered_file_leaving_nothing(cli, ceremony, tmp_path):
    target = tmp_path / "n"
    one = cli("ceremony", "reshare", ceremony, "--share", "sudo-share-1", "--sudo-shares", "2-of-3", "-o", target,
              "--passphrases-stdin", "--allow-network", stdin=lines(OLD["sudo-share-1"], *list(NEW.values())[:3]))
    assert one.exit_code == 2 and "needs 2 different shares" in one.stderr
    wrong = cli("ceremony", "reshare", ceremony, "--share", "sudo-share-1", "--share", "sudo-share-2", "--sudo-shares", "2-of-3",
                "-o", target, "--passphrases-stdin", "--allow-network",
                stdin=lines(OLD["sudo-share-1"], "not the passphrase", *list(NEW.values())[:3]))
    assert wrong.exit_code == 2 and "sudo-share-2" in wrong.stderr
    short = cli("ceremony", "reshare", ceremony, "--share", "sudo-share-1", "--share", "sudo-share-2", "--sudo-shares", "2-of-3",
                "-o", target, "--passphrases-stdin", "--allow-network",
                stdin=lines(OLD["sudo-share-1"], OLD["sudo-share-2"], "short", *list(NEW.values())[:2]))
    assert short.exit_code == 2 and "shorter than 8" in short.stderr
    assert list(tmp_path.iterdir()) == []  # nothing written, no partial directory

    import shutil

    copy = tmp_path / "copy"
    shutil.copytree(ceremony, copy)
    (copy / "secrets/validator-1/aura.json").write_text((copy / "secrets/validator-1/aura.json").read_text().replace("{", "{ ", 1))
    tampered = cli("ceremony", "reshare", copy, "--share", "sudo-share-1", "--share", "sudo-share-2", "--sudo-shares", "2-of-3",
                   "-o", target, "--passphrases-stdin", "--allow-network",
                   stdin=lines(OLD["sudo-share-1"], OLD["sudo-share-2"], *list(NEW.values())[:3]))
    assert tampered.exit_code == 1 and "secrets/validator-1/aura.json does not match its SHA-256" in tampered.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["copy"]  # the partial directory was removed


def test_reshare_refuses_a_manifest_that_names_a_secret_file_outside_the_ceremony(cli, ceremony, tmp_path):
    import shutil

    copy = tmp_path / "copy"
    shutil.copytree(ceremony, copy)
    forged = manifest(copy)
    forged["secret_files"]["secrets/../../outside.json"] = "00" * 32
    (copy / "keys" / "net.json").write_text(json.dumps(forged))
    run = cli("ceremony", "reshare", copy, "--share", "sudo-share-1", "--share", "sudo-share-2", "--sudo-shares", "2-of-2",
              "-o", tmp_path / "n", "--passphrases-stdin", "--allow-network",
              stdin=lines(OLD["sudo-share-1"], OLD["sudo-share-2"], NEW["sudo-share-1"], NEW["sudo-share-2"]))
    assert run.exit_code == 2 and "secret files are secrets/<custodian>/<file>" in run.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["copy"]


@pytest.fixture(scope="module")
def rotated(ceremony, tmp_path_factory):
    import io
    import sys

    from fennel_gov.cli import main

    out = tmp_path_factory.mktemp("rotated") / "net"
    stdin = lines(*list(NEW.values())[:3])
    old, sys.stdin = sys.stdin, io.TextIOWrapper(io.BytesIO(stdin.encode()))
    try:
        code = main(["ceremony", "rotate-sudo", str(ceremony), "--runtime", str(V102), "--sudo-shares", "2-of-3",
                     "-o", str(out), "--passphrases-stdin", "--allow-network"])
    finally:
        sys.stdin = old
    assert code == 0
    return out


def test_rotate_sudo_makes_a_new_key_whose_shares_recover_it(cli, ceremony, rotated):
    import shamir_mnemonic

    old, new = manifest(ceremony)["sudo"]["address"], manifest(rotated)["sudo"]["address"]
    assert new != old
    assert recover(cli, rotated, ["sudo-share-3", "sudo-share-2"], NEW) == new
    words = [share_words(rotated, c, NEW[c]) for c in ("sudo-share-1", "sudo-share-3")]
    assert address_of(shamir_mnemonic.combine_mnemonics(words)) == new
    assert recover(cli, ceremony, ["sudo-share-1", "sudo-share-3"], OLD) == old  # the old key is untouched
    verify = cli("ceremony", "verify", rotated, "--passphrases-stdin", "--allow-network", "--json",
                 stdin=lines(*list(NEW.values())[:3], OLD["validator-1"]))
    assert verify.exit_code == 0 and verify.json["ok"] is True, verify.stdout + verify.stderr


def test_rotate_sudo_call_decodes_to_sudo_set_key_of_the_new_account(ceremony, rotated):
    from fennel_gov.txfile.review import decode_call
    from fennel_gov.txfile.trusted import from_runtime

    new = manifest(rotated)["sudo"]["address"]
    call = (rotated / "set-sudo-call.txt").read_text().strip()
    # Sudo is pallet 6 in every Fennel runtime, set_key its call 2, MultiAddress::Id variant 0
    assert call == "0x060200" + ss58.decode(new).payload.hex()
    decoded = decode_call(bytes.fromhex(call[2:]), from_runtime(V102).decoded_metadata)
    assert (decoded["call_module"], decoded["call_function"]) == ("Sudo", "set_key")
    assert decoded["call_args"][0]["name"] == "new"
    assert decoded["call_args"][0]["value"] == new  # scalecodec shows MultiAddress::Id as the address


def test_rotate_sudo_keeps_the_genesis_of_the_manifest(ceremony, rotated):
    from fennel_gov.ceremony.manifest import genesis_patch

    before, after = manifest(ceremony), manifest(rotated)
    assert after["genesis_sudo"] == before["sudo"]["address"]
    assert after["sudo"]["rotated"]["from"] == before["sudo"]["address"]
    assert genesis_patch(after) == genesis_patch(before)  # the same genesis: the chain started with the old key


def test_rotate_sudo_needs_the_runtime_that_encodes_the_call(cli, ceremony, tmp_path):
    run = cli("ceremony", "rotate-sudo", ceremony, "-o", tmp_path / "n", "--passphrases-stdin", "--allow-network",
              stdin=lines(NEW["sudo-share-1"]))
    assert run.exit_code == 2 and "--spec" in run.stderr and "--runtime" in run.stderr
    assert list(tmp_path.iterdir()) == []


def test_rotate_sudo_to_an_unsplit_key_with_the_development_spec(cli, ceremony, tmp_path):
    run = cli("ceremony", "rotate-sudo", ceremony, "--spec", FIXTURES / "development-raw.json", "-o", tmp_path / "n",
              "--passphrases-stdin", "--allow-network", "--json", stdin=lines("one new sudo pass"))
    assert run.exit_code == 0, run.stderr
    from fennel_gov.keys import decrypt_account

    pair = decrypt_account((tmp_path / "n/secrets/sudo/sudo.json").read_bytes(), SecretStr("one new sudo pass")).pair
    assert ss58.encode(pair.public) == run.json["new_sudo"] == manifest(tmp_path / "n")["sudo"]["address"]
    assert run.json["call_data"] == "0x060200" + pair.public.hex()
    assert "shares" not in manifest(tmp_path / "n")["sudo"]
