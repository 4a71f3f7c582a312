"""``fennel-gov keys …`` run from an argv: outputs, exit codes, and where secrets may (not) appear."""

from __future__ import annotations

import json
import os
import stat

import pytest

ALICE = "5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY"
BOB = "5FHneW46xGXgs5mUiveU4sbTyGBzmstUspZC92UhjJM694ty"
ALICE_PUBLIC = "0xd43593c715fdd31c61141abd04a99fd6822c8558854ccde39a5684e7a56da27d"
SUBKEY_FIELDS = {"networkId", "publicKey", "accountId", "ss58PublicKey", "ss58Address"}


def test_inspect_reads_the_secret_from_stdin_and_prints_subkey_fields(cli):
    run = cli("keys", "inspect", "--json", stdin="//Alice\n")
    assert run.exit_code == 0, run.stderr
    assert SUBKEY_FIELDS <= run.json.keys()
    assert run.json["ss58Address"] == ALICE
    assert run.json["publicKey"] == ALICE_PUBLIC
    assert "secretPhrase" not in run.json and "secretSeed" not in run.json


def test_inspect_shows_secrets_only_when_asked(cli):
    hidden = cli("keys", "inspect", stdin="//Alice\n")
    assert "//Alice" not in hidden.stdout and "e5be9a50" not in hidden.stdout
    shown = cli("keys", "inspect", "--json", "--show-secret", stdin="//Alice\n")
    assert shown.json["secretPhrase"] == "//Alice"
    assert shown.json["secretSeed"] == "0xe5be9a5092b81bca64be81d212e7f2f9eba183bb7a90954f7b76361f6edb5c0a"


def test_inspect_refuses_a_secret_uri_in_argv(cli):
    run = cli("keys", "inspect", "//Alice")
    assert run.exit_code == 2
    assert "never taken as arguments" in run.stderr
    assert "Traceback" not in run.stderr


def test_inspect_public_address_reencodes_for_another_network(cli):
    run = cli("keys", "inspect", ALICE, "--network", "polkadot", "--json")
    assert run.exit_code == 0
    assert run.json["ss58Address"] == "15oF4uVJwmo4TdGW7VfQxNLavjCXviqxT9S1MgbjMNHr6Sp5"
    assert run.json["networkId"] == "polkadot"


def test_wrong_checksum_is_exit_2_with_one_line(cli):
    run = cli("keys", "inspect", ALICE[:-1] + ("Z" if ALICE[-1] != "Z" else "Y"))
    assert run.exit_code == 2
    assert "checksum" in run.stderr
    assert len(run.stderr.strip().splitlines()) == 1


def test_wrong_key_type_length_is_exit_2(cli):
    run = cli("keys", "inspect", ALICE, "--scheme", "ecdsa")
    assert run.exit_code == 2 and "account id" in run.stderr


@pytest.mark.parametrize(
    ("secret", "message"),
    [
        ("bottom drive obey lake curtain smoke basket hold race lonely fit wlak", "word 12"),
        ("bottom drive obey lake curtain smoke basket hold race lonely fit fit", "checksum"),
        ("bottom drive obey lake", "4 words"),
        ("0x1234", "32 bytes"),
        ("//Alice//", "malformed"),
    ],
)
def test_bad_secrets_are_exit_2_and_never_echoed(cli, secret, message):
    run = cli("keys", "inspect", stdin=secret + "\n")
    assert run.exit_code == 2
    assert message in run.stderr
    assert secret not in run.stderr
    assert "Traceback" not in run.stderr


def test_expect_public_mismatch_is_a_run_time_failure(cli):
    ok = cli("keys", "inspect", "--expect-public", ALICE, stdin="//Alice\n")
    assert ok.exit_code == 0
    bad = cli("keys", "inspect", "--expect-public", ALICE, stdin="//Bob\n")
    assert bad.exit_code == 1 and "not the expected" in bad.stderr


def test_generate_requires_a_destination_for_the_secret(cli):
    run = cli("keys", "generate")
    assert run.exit_code == 2 and "--show-secret" in run.stderr


def test_generate_with_show_secret_prints_a_phrase_that_reinspects_to_the_same_account(cli):
    run = cli("keys", "generate", "--show-secret", "--words", "24", "--scheme", "ed25519", "--json")
    assert run.exit_code == 0
    assert len(run.json["secretPhrase"].split()) == 24
    again = cli("keys", "inspect", "--scheme", "ed25519", "--json", stdin=run.json["secretPhrase"] + "\n")
    assert again.json["publicKey"] == run.json["publicKey"]


def test_generate_to_encrypted_json_and_inspect_it_back(cli, tmp_path):
    out = tmp_path / "validator.json"
    run = cli("keys", "generate", "-o", out, "--password-stdin", "--json", stdin="correct horse\n")
    assert run.exit_code == 0, run.stderr
    assert stat.S_IMODE(os.stat(out).st_mode) == 0o600
    assert "secretPhrase" not in run.json
    document = json.loads(out.read_text())
    assert document["encoding"]["type"] == ["scrypt", "xsalsa20-poly1305"]
    back = cli("keys", "inspect", "--keystore-json", out, "--password-stdin", "--json", stdin="correct horse\n")
    assert back.exit_code == 0, back.stderr
    assert back.json["ss58Address"] == run.json["ss58Address"] == document["address"]
    wrong = cli("keys", "inspect", "--keystore-json", out, "--password-stdin", stdin="wrong\n")
    assert wrong.exit_code == 2 and "password" in wrong.stderr


def test_sign_and_verify_round_trip(cli, tmp_path):
    suri = tmp_path / "suri"
    suri.write_text("//Alice\n")
    signed = cli("keys", "sign", "--suri-file", suri, stdin="hello fennel")
    assert signed.exit_code == 0, signed.stderr
    signature = signed.stdout.strip()
    assert len(bytes.fromhex(signature[2:])) == 64
    ok = cli("keys", "verify", signature, ALICE, stdin="hello fennel")
    assert ok.exit_code == 0 and "verifies" in ok.stdout
    bad = cli("keys", "verify", signature, ALICE, stdin="hello fennel!")
    assert bad.exit_code == 1


def test_sign_hex_message_with_ecdsa_matches_sp_core(cli, tmp_path):
    suri = tmp_path / "suri"
    suri.write_text("0x9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60")
    signed = cli("keys", "sign", "--scheme", "ecdsa", "--suri-file", suri, "--hex", stdin="0x")
    # sp-core's ecdsa test_vector_should_work: RFC 6979 makes the whole 65-byte signature fixed
    assert signed.stdout.strip() == (
        "0x3dde91174bd9359027be59a428b8146513df80a2a3c7eda2194f64de04a69ab9"
        "7b753169e94db6ffd50921a2668a48b94ca11e3d32c1ff19cfe88890aa7e8f3c00"
    )


def test_node_key_file_round_trip_and_refusal_to_overwrite(cli, tmp_path):
    path = tmp_path / "secret_ed25519"
    made = cli("keys", "generate-node-key", "-o", path, "--json")
    assert made.exit_code == 0, made.stderr
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert len(path.read_text()) == 64
    assert "secret_key" not in made.json
    read = cli("keys", "inspect-node-key", path, "--json")
    assert read.json == {"peer_id": made.json["peer_id"], "publicKey": made.json["publicKey"]}
    before = path.read_bytes()
    again = cli("keys", "generate-node-key", "-o", path)
    assert again.exit_code == 2 and "already exists" in again.stderr
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["secret_ed25519"]


def test_inspect_node_key_of_the_well_known_test_key(cli, tmp_path):
    raw = tmp_path / "raw"
    raw.write_bytes(bytes(31) + b"\x01")
    hexed = tmp_path / "hex"
    hexed.write_text("0x" + "00" * 31 + "01\n")
    for path in (raw, hexed):
        run = cli("keys", "inspect-node-key", path, "--json")
        assert run.json["peer_id"] == "12D3KooWEyoppNCUx8Yx66oV9fJnriXwCcXwDDUA2kj6vnc6iDEp"


def test_inspect_node_key_rejects_a_truncated_file(cli, tmp_path):
    path = tmp_path / "short"
    path.write_text("abcd")
    run = cli("keys", "inspect-node-key", path)
    assert run.exit_code == 2 and "64" in run.stderr


def test_session_keys_derive_matches_the_fennel_dev_genesis(cli):
    run = cli("keys", "session-keys", "derive", "--json", stdin="//Alice\n")
    assert run.json["aura"]["ss58Address"] == ALICE
    assert run.json["grandpa"]["ss58Address"] == "5FA9nQDVg267DEd8m1ZypXLBnvN7SFxYwV7ndqSYGiN9TTpu"
    decoded = cli("keys", "session-keys", "decode", run.json["session_keys"], "--json")
    assert decoded.json == run.json


def test_session_keys_decode_rejects_wrong_length(cli):
    run = cli("keys", "session-keys", "decode", "0x" + "00" * 63)
    assert run.exit_code == 2 and "64 bytes" in run.stderr


def test_session_keys_generate_into_a_node_keystore(cli, tmp_path):
    keystore = tmp_path / "keystore"
    run = cli("keys", "session-keys", "generate", "--keystore", keystore, "--json")
    assert run.exit_code == 0, run.stderr
    aura = keystore / ("61757261" + run.json["aura"]["publicKey"][2:])
    gran = keystore / ("6772616e" + run.json["grandpa"]["publicKey"][2:])
    assert aura.exists() and gran.exists()
    assert stat.S_IMODE(os.stat(aura).st_mode) == 0o600
    phrase = json.loads(aura.read_text())
    again = cli("keys", "inspect", "--json", stdin=phrase + "\n")
    assert again.json["publicKey"] == run.json["aura"]["publicKey"]
    assert "secretPhrase" not in run.stdout


def test_insert_writes_the_file_polkadot_key_insert_writes(cli, tmp_path):
    run = cli("keys", "insert", "--keystore", tmp_path, "--key-type", "gran", "--json", stdin="//Alice\n")
    assert run.exit_code == 0, run.stderr
    path = tmp_path / ("6772616e" + "88dc3417d5058ec4b4503e0c12ea1a0a89be200fe98922423d4334014fa6b0ee")
    assert path.read_text() == '"//Alice"'


def test_insert_refuses_the_wrong_scheme_for_a_key_type(cli, tmp_path):
    run = cli("keys", "insert", "--keystore", tmp_path, "--key-type", "aura", "--scheme", "ed25519", stdin="//Alice\n")
    assert run.exit_code == 2 and "sr25519" in run.stderr
    assert list(tmp_path.iterdir()) == []


def test_keyring_add_list_show_remove(cli, memory_keyring):
    added = cli("keys", "keyring", "add", "fennel-sudo", "--json", stdin="//Alice\n")
    assert added.exit_code == 0, added.stderr
    assert "//Alice" not in added.stdout
    assert cli("keys", "keyring", "list", "--json").json == {"entries": ["fennel-sudo"]}
    shown = cli("keys", "keyring", "show", "fennel-sudo", "--json")
    assert shown.json["ss58Address"] == ALICE and "secretPhrase" not in shown.json
    inspected = cli("keys", "inspect", "--keyring", "fennel-sudo", "--json")
    assert inspected.json["ss58Address"] == ALICE
    duplicate = cli("keys", "keyring", "add", "fennel-sudo", stdin="//Bob\n")
    assert duplicate.exit_code == 2
    assert cli("keys", "keyring", "remove", "fennel-sudo", "--yes").exit_code == 0
    assert cli("keys", "keyring", "list", "--json").json == {"entries": []}
    missing = cli("keys", "inspect", "--keyring", "fennel-sudo")
    assert missing.exit_code == 2 and "no keyring entry" in missing.stderr


def test_export_json_from_a_suri_file(cli, tmp_path):
    suri = tmp_path / "suri"
    suri.write_text("//Bob")
    out = tmp_path / "bob.json"
    run = cli("keys", "export-json", "-o", out, "--suri-file", suri, "--password-stdin", stdin="pw\n")
    assert run.exit_code == 0, run.stderr
    assert json.loads(out.read_text())["address"] == "5FHneW46xGXgs5mUiveU4sbTyGBzmstUspZC92UhjJM694ty"


def test_a_seed_keeping_json_file_works_where_a_secret_uri_is_needed(cli, tmp_path):
    import json as _json

    from fennel_gov.keys import SecretStr, encrypt_account, pair_from_suri

    pair = pair_from_suri("//Dave", "ed25519")
    path = tmp_path / "dave.json"
    path.write_text(_json.dumps(encrypt_account(pair, SecretStr("dave pass"), name="d", when_created_ms=0, store_seed=True)))
    run = cli("keys", "insert", "--keystore", tmp_path / "ks", "--key-type", "gran", "--keystore-json", path, "--password-stdin",
              "--json", stdin="dave pass\n")
    assert run.exit_code == 0, run.stderr
    assert run.json["publicKey"] == "0x" + pair.public.hex()
    content = _json.loads(open(run.json["file"]).read())
    assert content == "0x" + pair.seed.hex()


def test_set_keys_refuses_bytes_that_are_no_keys_before_connecting(cli):
    run = cli("set-keys", "0x" + "11" * 64, "--url", "ws://127.0.0.1:1", "--signer", "stdin", stdin="//Bob\n")
    assert run.exit_code == 2 and "could never sign" in run.stderr and "cannot reach" not in run.stderr


def test_export_json_encrypts_under_the_operators_password(cli, tmp_path):
    # Opened by a second implementation (substrate-interface's polkadot-js decoder) with the
    # password the operator typed: the file holds //Bob's secret, and no other password opens it.
    from substrateinterface import Keypair

    suri = tmp_path / "suri"
    suri.write_text("//Bob")
    out = tmp_path / "bob.json"
    run = cli("keys", "export-json", "-o", out, "--suri-file", suri, "--password-stdin", stdin="operator's own password\n")
    assert run.exit_code == 0, run.stderr
    document = json.loads(out.read_text())
    pair = Keypair.create_from_encrypted_json(document, "operator's own password")
    assert pair.ss58_address == BOB
    signature = pair.sign(b"fennel")
    assert Keypair(ss58_address=BOB).verify(b"fennel", signature)  # the secret is Bob's, not only the address
    for other in ("", "password", "operator's own passwor"):
        with pytest.raises(Exception, match="Decryption failed"):
            Keypair.create_from_encrypted_json(document, other)


def test_generate_into_the_keyring_stores_the_printed_accounts_secret(cli, memory_keyring):
    import bip39
    import sr25519

    run = cli("keys", "generate", "--keyring", "fresh-validator", "--json")
    assert run.exit_code == 0, run.stderr
    assert "secretPhrase" not in run.json
    phrase = memory_keyring.store[("fennel-gov", "fresh-validator")]
    assert len(phrase.split()) == 12
    # derived again through substrate-bip39 and schnorrkel, not our code
    public, _ = sr25519.pair_from_seed(bytes(bip39.bip39_to_mini_secret(phrase, "")))
    assert "0x" + bytes(public).hex() == run.json["publicKey"]
    assert cli("keys", "keyring", "list", "--json").json == {"entries": ["fresh-validator"]}


def test_without_an_os_keyring_every_keyring_command_says_so_and_writes_nothing(cli, tmp_path):
    import keyring
    from keyring.backends import fail

    previous = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())
    try:
        runs = [
            cli("keys", "generate", "--keyring", "x", "-o", tmp_path / "x.json", "--password-stdin", stdin="pw\n"),
            cli("keys", "keyring", "add", "x", stdin="//Alice\n"),
            cli("keys", "keyring", "list"),
            cli("keys", "inspect", "--keyring", "x"),
        ]
    finally:
        keyring.set_keyring(previous)
    for run in runs:
        assert run.exit_code == 2, run.stderr
        assert "no OS keyring is available" in run.stderr and "--keystore-json" in run.stderr
        assert len(run.stderr.strip().splitlines()) == 1 and "Traceback" not in run.stderr
    assert list(tmp_path.iterdir()) == []  # generate stopped before writing its --out file
