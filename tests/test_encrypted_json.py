"""polkadot-js account JSON: a real export opens; our files round-trip; every bad file is one clear error."""

from __future__ import annotations

import base64
import copy
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fennel_gov.errors import InvalidKeyFile, WrongPassword
from fennel_gov.keys import SecretStr, decrypt_account, encrypt_account, pair_from_suri, verify

# Alice exported from polkadot-js apps, password "whoisalice" (the vector subxt's signer tests use).
POLKADOT_JS_ALICE = {
    "encoded": "DumgApKCTqoCty1OZW/8WS+sgo6RdpHhCwAkA2IoDBMAgAAAAQAAAAgAAAB6IG/q24EeVf0JqWqcBd5m2tKq5BlyY84IQ8oamLn9DZe9Ouhgunr7i36J1XxUnTI801axqL/ym1gil0U8440Qvj0lFVKwGuxq38zuifgoj0B3Yru0CI6QKEvQPU5xxj4MpyxdSxP+2PnTzYao0HDH0fulaGvlAYXfqtU89xrx2/z9z7IjSwS3oDFPXRQ9kAdDebtyCVreZ9Otw9v3",
    "encoding": {"content": ["pkcs8", "sr25519"], "type": ["scrypt", "xsalsa20-poly1305"], "version": "3"},
    "address": "5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY",
    "meta": {"genesisHash": "", "name": "Alice", "whenCreated": 1718265838755},
}


def test_a_real_polkadot_js_export_opens_and_signs_as_alice():
    account = decrypt_account(POLKADOT_JS_ALICE, SecretStr("whoisalice"))
    alice = pair_from_suri("//Alice", "sr25519")
    assert account.pair.public == alice.public
    assert account.meta["name"] == "Alice"
    # the secret really is Alice's: its signature verifies under her public key
    assert verify("sr25519", alice.public, b"m", account.pair.sign(b"m"))


def test_our_sr25519_file_has_polkadot_js_layout_and_the_same_secret_bytes():
    ours = encrypt_account(
        pair_from_suri("//Alice", "sr25519"), SecretStr("whoisalice"), name="Alice", when_created_ms=1718265838755
    )
    assert ours["encoding"] == POLKADOT_JS_ALICE["encoding"]
    assert ours["address"] == POLKADOT_JS_ALICE["address"]
    # Decrypt both PKCS8 bodies: the 64-byte ed25519-form secrets and the public keys must be equal.
    from nacl.secret import SecretBox

    from fennel_gov.keys.encrypted_json import _scrypt_key

    def body(document):
        raw = base64.b64decode(document["encoded"])
        key = _scrypt_key(SecretStr("whoisalice"), raw[:32], 1 << 15, 1, 8)
        return SecretBox(key).decrypt(raw[68:], raw[44:68])

    assert body(ours) == body(POLKADOT_JS_ALICE)


@settings(max_examples=4, deadline=None)
@given(scheme=st.sampled_from(["sr25519", "ed25519"]), password=st.text(min_size=1, max_size=20), path=st.sampled_from(["//a", "//b//c", "//Alice"]))
def test_round_trip(scheme, password, path):
    pair = pair_from_suri(path, scheme)
    document = json.loads(json.dumps(encrypt_account(pair, SecretStr(password), name="x", when_created_ms=0)))
    assert decrypt_account(document, SecretStr(password)).pair.public == pair.public


def test_wrong_password():
    with pytest.raises(WrongPassword):
        decrypt_account(POLKADOT_JS_ALICE, SecretStr("whoisbob"))


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda d: d.update(encoded="!!!"), "base64"),
        (lambda d: d.update(encoded=d["encoded"][:40]), "truncated"),
        (lambda d: d["encoding"].update(type="none"), "not encrypted"),
        (lambda d: d["encoding"].update(content=["pkcs8", "ethereum"]), "not supported"),
        (lambda d: d.update(address="5FHneW46xGXgs5mUiveU4sbTyGBzmstUspZC92UhjJM694ty"), "does not match"),
        (lambda d: d.pop("encoded"), "no 'encoded'"),
    ],
)
def test_damaged_files_are_one_clear_error(mutate, message):
    document = copy.deepcopy(POLKADOT_JS_ALICE)
    mutate(document)
    with pytest.raises((InvalidKeyFile, WrongPassword), match=message):
        decrypt_account(document, SecretStr("whoisalice"))


def test_crafted_scrypt_parameters_are_refused_before_any_work():
    raw = bytearray(base64.b64decode(POLKADOT_JS_ALICE["encoded"]))
    raw[32:36] = (1 << 30).to_bytes(4, "little")
    document = dict(POLKADOT_JS_ALICE, encoded=base64.b64encode(bytes(raw)).decode())
    with pytest.raises(InvalidKeyFile, match="unsafe scrypt"):
        decrypt_account(document, SecretStr("whoisalice"))


def test_reprs_hide_secrets():
    pair = pair_from_suri("//Alice", "sr25519")
    assert "e5be9a50" not in repr(pair)
    assert "Alice" not in repr(SecretStr("//Alice"))
    from fennel_gov.keys import parse_suri

    assert "Alice" not in repr(parse_suri("//Alice///pw")) and "pw" not in repr(parse_suri("//Alice///pw"))
