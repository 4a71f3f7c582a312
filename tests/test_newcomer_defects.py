"""The defects a newcomer met following the README and runbooks literally (issue 13), one test each."""

from __future__ import annotations

import json
import re

import pytest

from tests.conftest import FIXTURES, ROOT
from tests.test_ceremony import PASSPHRASES, ceremony, manifest_of, stdin_for  # noqa: F401 - the module fixture

DEV = FIXTURES / "development.json"


def test_keys_sign_with_an_encrypted_key_is_scriptable(cli, tmp_path):
    suri = tmp_path / "suri"
    suri.write_text("//Alice")
    key = tmp_path / "alice.json"
    assert cli("keys", "export-json", "-o", key, "--suri-file", suri, "--password-stdin", stdin="pw for alice\n").exit_code == 0
    message = tmp_path / "msg"
    message.write_bytes(b"hello fennel")
    signed = cli("keys", "sign", "--keystore-json", key, "--password-stdin", "--message-file", message, "--json",
                 stdin="pw for alice\n")
    assert signed.exit_code == 0, signed.stderr
    verified = cli("keys", "verify", signed.json["signature"], signed.json["publicKey"], "--message-file", message)
    assert verified.exit_code == 0, verified.stderr
    # the signature is over the file's bytes (checked through the other path: the message on stdin)
    assert cli("keys", "verify", signed.json["signature"], signed.json["publicKey"], stdin="hello fennel").exit_code == 0
    assert cli("keys", "verify", signed.json["signature"], signed.json["publicKey"], stdin="").exit_code == 1
    # hex message in a file; the signature verifies over the decoded bytes
    hex_file = tmp_path / "msg.hex"
    hex_file.write_text("0x" + b"hello fennel".hex())
    again = cli("keys", "verify", signed.json["signature"], signed.json["publicKey"], "--message-file", hex_file, "--hex")
    assert again.exit_code == 0, again.stderr
    # stdin carries the password, so the message must come from a file: said, not guessed
    no_file = cli("keys", "sign", "--keystore-json", key, "--password-stdin", stdin="pw for alice\nmessage")
    assert no_file.exit_code == 2 and "--message-file" in no_file.stderr
    wrong = cli("keys", "sign", "--keystore-json", key, "--password-stdin", "--message-file", message, stdin="not it\n")
    assert wrong.exit_code == 2 and "not it" not in wrong.stderr


def test_custodians_prints_the_order_before_init(cli, ceremony):  # noqa: F811
    planned = cli("ceremony", "custodians", "--validators", "3", "--bootnodes", "1", "--sudo-shares", "2-of-3", "--json")
    assert planned.exit_code == 0, planned.stderr
    made = cli("ceremony", "custodians", ceremony, "--json")
    assert planned.json["custodians"] == made.json["custodians"] == list(PASSPHRASES)
    assert cli("ceremony", "custodians").exit_code == 2


def test_verify_names_the_share_custodian_whose_passphrase_is_wrong(cli, ceremony):  # noqa: F811
    wrong = dict(PASSPHRASES, **{"sudo-share-1": "not the share passphrase"})
    run = cli("ceremony", "verify", ceremony, "--passphrases-stdin", "--allow-network", stdin=stdin_for(passphrases=wrong))
    assert run.exit_code == 2 and "sudo-share-1" in run.stderr and "not the share" not in run.stderr


def test_init_marks_a_rehearsal_and_warns_of_what_production_verify_refuses(cli, tmp_path):
    run = cli("ceremony", "init", "--network", "solo", "--validators", "1", "-o", tmp_path / "c", "--passphrases-stdin",
              "--allow-network", stdin="a long passphrase\n" * 2)  # sudo, validator-1
    assert run.exit_code == 0, run.stderr
    assert "MinAuthorities is 2" in run.stderr and "no bootnode addresses" in run.stderr and "rehearsal" in run.stderr
    manifest = json.loads((tmp_path / "c" / "keys" / "solo.json").read_text())
    assert manifest["rehearsal"] is True
    plain = tmp_path / "plain.json"
    built = cli("chainspec", "build", "--manifest", tmp_path / "c" / "keys" / "solo.json", "--from", DEV, "-o", plain)
    assert built.exit_code == 0, built.stderr
    code_hash = cli("chainspec", "inspect", plain, "--json").json["code_hash"]
    checked = cli("chainspec", "verify", plain, "--expect-code-hash", code_hash, "--json")
    assert checked.exit_code == 1
    assert "rehearsal" in {f["code"] for f in checked.json["findings"] if f["severity"] == "error"}, checked.json


def test_build_from_a_manifest_names_its_runtime_and_honours_explicit_name_and_id(cli, ceremony, tmp_path):  # noqa: F811
    manifest = ceremony / "keys" / "fennel-test.json"
    unnamed = cli("chainspec", "build", "--manifest", manifest, "-o", tmp_path / "a.json")
    assert unnamed.exit_code == 2 and "--runtime" in unnamed.stderr and not (tmp_path / "a.json").exists()
    built = cli("chainspec", "build", "--manifest", manifest, "--from", DEV, "--name", "Fennel", "--id", "fennel",
                "-o", tmp_path / "b.json", "--json")
    assert built.exit_code == 0, built.stderr
    assert (built.json["name"], built.json["id"]) == ("Fennel", "fennel")
    default = cli("chainspec", "build", "--manifest", manifest, "--from", DEV, "-o", tmp_path / "c.json", "--json")
    assert (default.json["name"], default.json["id"]) == ("fennel-test", "fennel-test")


def test_production_verify_requires_the_code_hash_and_a_well_formed_one(cli):
    spec = FIXTURES / "production.json"
    missing = cli("chainspec", "verify", spec, "--json")
    assert "code-hash-missing" in {f["code"] for f in missing.json["findings"] if f["severity"] == "error"}
    short = cli("chainspec", "verify", spec, "--expect-code-hash", "0x1234")
    assert short.exit_code == 2 and "64 hex digits" in short.stderr
    development = cli("chainspec", "verify", spec, "--profile", "development", "--json")
    assert "code-hash-missing" not in {f["code"] for f in development.json["findings"]}


def test_presets_show_production_explains_instead_of_trapping(cli):
    run = cli("chainspec", "presets", "--show", "production")
    assert run.exit_code == 1 and "cannot build it" in run.stderr and "--manifest" in run.stderr
    assert "trapped" not in run.stderr and len(run.stderr.strip().splitlines()) == 1


def test_inspect_node_key_names_a_secret_uri_without_counting_it(cli, tmp_path):
    path = tmp_path / "nk"
    path.write_text("//Alice\n")
    run = cli("keys", "inspect-node-key", path)
    assert run.exit_code == 2 and "secret URI" in run.stderr and "holds 7" not in run.stderr


def test_the_runbooks_keystore_path_is_the_id_the_manifest_builds():
    runbook = (ROOT / "docs" / "key-ceremony.md").read_text()
    network = re.search(r"ceremony init --network (\S+)", runbook).group(1)
    paths = set(re.findall(r"chains/([^/\s]+)/keystore", runbook))
    # the manifest's id is the network name, and chainspec build --manifest uses it as the spec id
    assert paths == {network}, (paths, network)
