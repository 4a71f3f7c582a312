"""Keys under hostile input: crafted keystore JSON, secrets that must never be echoed, insecure
keyrings, and secret-URI junction numbers exactly as sp-core parses them."""

from __future__ import annotations

import base64
import json
import sys
import types

import pytest

from tests.hostile import one_line

DEV_PHRASE_WORDS = "bottom drive obey lake curtain smoke basket hold race lonely fit walk".split()


def alice_json(tmp_path, **changes):
    from fennel_gov.keys import SecretStr, encrypt_account
    from fennel_gov.keys.schemes import Scheme, pair_from_suri

    document = encrypt_account(pair_from_suri("//Alice", Scheme.SR25519), SecretStr("password"), name="a", when_created_ms=0)
    for dotted, value in changes.items():
        *parents, last = dotted.split("__")
        target = document
        for parent in parents:
            target = target[parent]
        target[last] = value
    path = tmp_path / "alice.json"
    path.write_text(json.dumps(document))
    return path


@pytest.mark.parametrize(
    "changes, expected",
    [
        ({"encoding__content": 5}, "'encoding.content' field is an integer; expected a list"),
        ({"encoding": "scrypt"}, "'encoding' field is a string; expected an object"),
        ({"encoding__type": [1, 2]}, "'encoding.type' holds a non-string"),
        ({"encoding__version": ["3"]}, "'encoding.version' is a list"),
        ({"address": 42}, "'address' is an integer"),
        ({"encoded": "0xzz!"}, "neither base64 nor hex"),
    ],
    ids=["content-int", "encoding-str", "type-ints", "version-list", "address-int", "encoded-bad-hex"],
)
def test_keystore_json_fields_are_type_checked_by_name(cli, tmp_path, changes, expected):
    path = alice_json(tmp_path, **changes)
    result = cli("keys", "inspect", "--keystore-json", path, "--password-stdin", stdin="password\n")
    assert result.exit_code == 2
    assert expected in one_line(result.stderr)


def test_scrypt_n_2_20_with_r_8_is_refused_before_any_work(cli, tmp_path):
    path = alice_json(tmp_path)
    document = json.loads(path.read_text())
    raw = bytearray(base64.b64decode(document["encoded"]))
    raw[32:36] = (1 << 20).to_bytes(4, "little")
    document["encoded"] = base64.b64encode(bytes(raw)).decode()
    path.write_text(json.dumps(document))
    result = cli("keys", "inspect", "--keystore-json", path, "--password-stdin", stdin="password\n")
    assert result.exit_code == 2
    assert "unsafe scrypt parameters N=1048576, r=8, p=1 (1,024 MiB)" in one_line(result.stderr)


# -- secrets never echoed ---------------------------------------------------------------------------


def test_a_mnemonic_with_non_breaking_spaces_as_an_argument_is_not_echoed(cli):
    phrase = "\u00a0".join(DEV_PHRASE_WORDS)
    result = cli("keys", "inspect", phrase)
    assert result.exit_code == 2
    line = one_line(result.stderr)
    assert "never taken as arguments" in line
    assert not any(word in line for word in ("bottom", "curtain", "lonely"))


def test_a_mnemonic_given_to_a_command_that_takes_no_argument_is_not_echoed_by_click(cli):
    result = cli("keys", "generate", " ".join(DEV_PHRASE_WORDS), "--show-secret")
    assert result.exit_code == 2
    line = one_line(result.stderr)
    assert "withheld" in line and "curtain" not in line


def test_a_130k_character_address_is_cut_to_a_short_prefix(cli):
    result = cli("keys", "inspect", "5Grwva" + "z" * 130_000)
    assert result.exit_code == 2
    line = one_line(result.stderr)
    assert len(line) < 200 and "'5Grwvazz" in line and "130,006 characters" in line


def test_long_hex_where_an_address_was_expected_is_withheld():
    from fennel_gov.errors import InvalidAddress
    from fennel_gov.keys import ss58

    seedish = "ab" * 32
    with pytest.raises(InvalidAddress) as caught:
        ss58.decode(seedish)
    assert seedish[:16] not in str(caught.value) and "withheld" in str(caught.value)


def test_slip39_errors_do_not_print_share_words(tmp_path):
    import shamir_mnemonic

    from fennel_gov.ceremony.envelope import seal
    from fennel_gov.ceremony.verify import recover_sudo_seed
    from fennel_gov.errors import VerificationFailed
    from fennel_gov.keys import SecretStr

    [shares] = shamir_mnemonic.generate_mnemonics(1, [(2, 3)], b"\x07" * 32)
    folder = tmp_path / "secrets" / "sudo-share-1"
    folder.mkdir(parents=True)
    passphrase = SecretStr("share passphrase")
    (folder / "sudo-share.json").write_text(json.dumps(seal(SecretStr(shares[0]), passphrase, content="slip39-share")))
    with pytest.raises(VerificationFailed) as caught:
        recover_sudo_seed(tmp_path, ["sudo-share-1"], lambda _c: passphrase)
    message = str(caught.value)
    assert "do not combine" in message
    assert not any(word in message for word in shares[0].split()[:4])


def test_the_sanitiser_withholds_secret_shapes_and_cuts_long_input():
    from fennel_gov.errors import quote, scrub

    assert quote("word\u00a0word") == quote("0x" + "1f" * 32) == quote("//Alice") == "(withheld: it may be a secret)"
    assert quote("5GrwvaEF") == "'5GrwvaEF'"
    assert quote("x" * 1000).endswith("(1,000 characters)'")
    assert scrub("bad value abandon abandon about\nsecond line", ["abandon abandon about"]) == "bad value (withheld: it may be a secret) second line"


# -- keyring ------------------------------------------------------------------------------------------


def _backend_named(module: str, name: str):
    from keyring.backend import KeyringBackend

    store: dict = {}
    cls = type(name, (KeyringBackend,), {
        "priority": 1,
        "get_password": lambda self, s, u: store.get((s, u)),
        "set_password": lambda self, s, u, p: store.__setitem__((s, u), p),
        "delete_password": lambda self, s, u: store.pop((s, u)),
    })
    cls.__module__ = module
    return cls(), store


@pytest.fixture
def set_backend():
    import keyring

    previous = keyring.get_keyring()
    yield keyring.set_keyring
    keyring.set_keyring(previous)


@pytest.mark.parametrize(
    "module, name", [("keyrings.alt.file", "PlaintextKeyring"), ("keyring.backends.null", "Keyring")], ids=["plaintext", "null"]
)
def test_insecure_keyrings_are_refused_for_secrets_unless_allowed(cli, tmp_path, set_backend, module, name):
    backend, store = _backend_named(module, name)
    set_backend(backend)
    refused = cli("keys", "keyring", "add", "sudo", stdin="//Alice\n")
    assert refused.exit_code == 2
    assert f"{module}.{name}" in one_line(refused.stderr) and "--allow-insecure-keyring" in refused.stderr
    assert store == {}
    allowed = cli("keys", "keyring", "add", "sudo", "--allow-insecure-keyring", stdin="//Alice\n")
    assert allowed.exit_code == 0, allowed.stderr


def test_generate_with_no_keyring_writes_nothing_and_says_so(cli, tmp_path, set_backend):
    from keyring.backends import fail

    set_backend(fail.Keyring())
    out = tmp_path / "key.json"
    result = cli("keys", "generate", "-o", out, "--keyring", "sudo", "--password-stdin", stdin="a long password\na long password\n")
    assert result.exit_code == 2
    assert "nothing was generated or written" in one_line(result.stderr)
    assert list(tmp_path.iterdir()) == []


def test_a_keyring_store_failing_late_removes_the_file_written_before_it(cli, tmp_path, memory_keyring, monkeypatch):
    from fennel_gov.errors import SecretUnavailable
    from fennel_gov.keys import keyring_store

    def refuse(*_args, **_kwargs):
        raise SecretUnavailable("the OS keyring refused the request (KeyringLocked); unlock it and retry")

    monkeypatch.setattr(keyring_store, "store", refuse)
    out = tmp_path / "key.json"
    result = cli("keys", "generate", "-o", out, "--keyring", "sudo", "--password-stdin", stdin="a long password\na long password\n")
    assert result.exit_code == 2
    assert list(tmp_path.iterdir()) == []


# -- junction parity with sp-core -------------------------------------------------------------------
# sp-core's DeriveJunction::from tries str::parse::<u64> (which accepts one leading "+" and leading
# zeros, and fails on overflow) and falls back to the text. The public keys below come from
# polkadot-js (@polkadot/util-crypto), which agrees with sp-core on plain u64 junctions; for the
# overflowing number it was given the text junction explicitly (compact length + ASCII).

ALICE_1 = ("70cd06e4c5d36fd8fe158e7b5e102937d4859d45933f39074ae784a67bf65426", "0180b5885ccde523690a9d0c36f6a9b09087e9003917c995baae592a62a37e5e")
ALICE_U64_MAX = ("466cf6eea4b2c4737b522d1404e64cc3e9b2cecff85dbf7da0c76b67ebf9e204", "daaa8e24d9a76895c56c0ef08570ba781cdfea90fe6345ad96742627f7159272")
ALICE_OVERFLOW_AS_TEXT = ("448c8c8426a36818e239ae86d483d713ed37d037be8fb3a6f8ccba0c9e14f076", "7cc706afc66eff1acb9118ba233e67b6b13b86b4502c6ed7655aea41b7f79176")


@pytest.mark.parametrize(
    "suri, expected",
    [
        ("//Alice//1", ALICE_1),
        ("//Alice//+1", ALICE_1),
        ("//Alice//0001", ALICE_1),
        ("//Alice//18446744073709551615", ALICE_U64_MAX),
        ("//Alice//+18446744073709551615", ALICE_U64_MAX),
        ("//Alice//18446744073709551616", ALICE_OVERFLOW_AS_TEXT),
    ],
)
def test_junction_numbers_derive_as_sp_core_parses_them(suri, expected):
    from fennel_gov.keys.schemes import Scheme, pair_from_suri

    assert (pair_from_suri(suri, Scheme.SR25519).public.hex(), pair_from_suri(suri, Scheme.ED25519).public.hex()) == expected


@pytest.mark.parametrize("text", ["-1", "++1", "+", "1 ", "١", "1e3", "0x10", "1" * 5000])
def test_what_rust_does_not_parse_as_u64_is_text(text):
    from fennel_gov._codec import encode_bytes
    from fennel_gov.keys.suri import chain_code_for, parse_u64

    assert parse_u64(text) is None
    encoded = encode_bytes(text.encode())
    if len(encoded) <= 32:
        assert chain_code_for(text) == encoded.ljust(32, b"\0")


def test_a_node_url_is_shown_but_not_its_credentials():
    from fennel_gov.errors import quote

    # an operator must see which node did not answer; a URL with user:password@ is withheld
    assert quote("ws://127.0.0.1:9944", 40) == "'ws://127.0.0.1:9944'"
    assert quote("https://rpc.example:443/x", 40) == "'https://rpc.example:443/x'"
    assert "withheld" in quote("wss://operator:hunter2@rpc.example")
    assert "withheld" in quote("0xab//Alice") and "withheld" in quote("//Alice")


# subkey's inspect reads 0x + 64 hex digits as a secret seed (Pair::from_string_with_seed is tried
# before the public-key parsers); --public makes it a public key. A seed is never read from argv.
ALICE_SEED = "0xe5be9a5092b81bca64be81d212e7f2f9eba183bb7a90954f7b76361f6edb5c0a"  # subkey inspect //Alice
ALICE_PUBLIC = "0xd43593c715fdd31c61141abd04a99fd6822c8558854ccde39a5684e7a56da27d"


def test_inspect_refuses_a_seed_shaped_argument_and_says_where_a_seed_goes(cli):
    result = cli("keys", "inspect", ALICE_SEED)
    assert result.exit_code == 2
    line = one_line(result.stderr)
    assert "standard input" in line and "--public" in line
    assert ALICE_SEED[2:] not in result.stderr + result.stdout and "5Grwva" not in result.stdout


def test_the_same_seed_on_standard_input_is_a_secret_as_subkey_reads_it(cli):
    result = cli("keys", "inspect", "--json", stdin=ALICE_SEED + "\n")
    assert result.exit_code == 0, result.stderr
    assert result.json["publicKey"] == ALICE_PUBLIC


def test_inspect_public_reads_hex_and_addresses_as_public_keys(cli):
    by_hex = cli("keys", "inspect", "--public", ALICE_PUBLIC, "--json")
    assert by_hex.exit_code == 0 and by_hex.json["ss58Address"] == "5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY"
    assert "secretSeed" not in by_hex.json
    by_address = cli("keys", "inspect", "5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY", "--json")
    assert by_address.exit_code == 0 and by_address.json["publicKey"] == ALICE_PUBLIC
    # an ecdsa public key (33 bytes) is no seed: subkey falls through to the public-key parser
    ecdsa = cli("keys", "inspect", "--scheme", "ecdsa", "0x020a1091341fe5664bfa1782d5e04779689068c916b04cb365ec3153755684d9a1", "--json")
    assert ecdsa.exit_code == 0, ecdsa.stderr
    nothing = cli("keys", "inspect", "--public")
    assert nothing.exit_code == 2 and "give one" in one_line(nothing.stderr)
