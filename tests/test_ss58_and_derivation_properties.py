"""Round trips and cross-checks against independent implementations (hypothesis)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fennel_gov.errors import InvalidAddress, InvalidSecret
from fennel_gov.keys import Scheme, pair_from_seed, ss58
from fennel_gov.keys.mnemonic import generate_mnemonic, mini_secret, mnemonic_entropy
from fennel_gov.keys.schemes import derive
from fennel_gov.keys.suri import Junction

prefixes = st.integers(min_value=0, max_value=16383).filter(lambda p: p not in (46, 47))


@given(payload=st.binary(min_size=32, max_size=32) | st.binary(min_size=33, max_size=33), prefix=prefixes)
def test_ss58_round_trips_every_prefix(payload, prefix):
    address = ss58.encode(payload, prefix)
    decoded = ss58.decode(address)
    assert (decoded.payload, decoded.prefix) == (payload, prefix)


@given(payload=st.binary(min_size=32, max_size=32), prefix=prefixes)
def test_ss58_agrees_with_scalecodec(payload, prefix):
    from scalecodec.utils.ss58 import ss58_decode, ss58_encode

    address = ss58.encode(payload, prefix)
    assert address == ss58_encode(payload, prefix)
    assert ss58_decode(address, prefix) == payload.hex()


# Derandomized: a random change passes a 16-bit checksum once in 65,536 tries, so fixed examples
# keep the run repeatable (none of them is such a collision).
@settings(derandomize=True)
@given(payload=st.binary(min_size=32, max_size=32), prefix=prefixes, position=st.integers(min_value=0))
def test_any_single_character_change_is_rejected(payload, prefix, position):
    address = ss58.encode(payload, prefix)
    index = position % len(address)
    replacement = "2" if address[index] != "2" else "3"
    tampered = address[:index] + replacement + address[index + 1 :]
    with pytest.raises(InvalidAddress):
        ss58.decode(tampered)


def test_reserved_prefixes_are_refused():
    with pytest.raises(InvalidAddress):
        ss58.encode(bytes(32), 46)


def test_known_addresses_for_polkadot_and_kusama():
    alice = bytes.fromhex("d43593c715fdd31c61141abd04a99fd6822c8558854ccde39a5684e7a56da27d")
    assert ss58.encode(alice, 0) == "15oF4uVJwmo4TdGW7VfQxNLavjCXviqxT9S1MgbjMNHr6Sp5"
    assert ss58.encode(alice, 2) == "HNZata7iMYWmk5RvZRTiAsSDhV8366zq2YGb3tLH5Upf74F"


def test_expected_prefix_mismatch_says_which_network():
    with pytest.raises(InvalidAddress, match="prefix 0"):
        ss58.decode("15oF4uVJwmo4TdGW7VfQxNLavjCXviqxT9S1MgbjMNHr6Sp5", expect_prefix=42)


@settings(max_examples=25, deadline=None)
@given(words=st.sampled_from([12, 15, 18, 21, 24]), entropy=st.binary(min_size=32, max_size=32), password=st.text(max_size=12))
def test_mini_secret_agrees_with_substrate_bip39_bindings(words, entropy, password):
    import bip39

    phrase = generate_mnemonic(words, entropy[: words * 4 // 3])
    assert mini_secret(mnemonic_entropy(phrase), password) == bytes(bip39.bip39_to_mini_secret(phrase, password))


@settings(max_examples=25, deadline=None)
@given(seed=st.binary(min_size=32, max_size=32), chain_code=st.binary(min_size=32, max_size=32))
def test_sr25519_hard_derivation_agrees_with_schnorrkel(seed, chain_code):
    import sr25519

    parent = pair_from_seed(Scheme.SR25519, seed)
    ours = derive(parent, [Junction(chain_code, hard=True)])
    _, public, secret = sr25519.hard_derive_keypair((chain_code, parent.public, parent._secret), b"")
    assert ours.public == bytes(public)
    assert ours._secret == bytes(secret)


def test_bad_word_names_its_position_without_echoing_it():
    phrase = "bottom drive obey lake curtain smoke basket hold race lonely fit wlak"
    with pytest.raises(InvalidSecret) as error:
        mnemonic_entropy(phrase)
    assert "word 12" in str(error.value)
    assert "wlak" not in str(error.value)


def test_wrong_checksum_is_reported_as_such():
    with pytest.raises(InvalidSecret, match="checksum"):
        mnemonic_entropy("bottom drive obey lake curtain smoke basket hold race lonely fit fit")


def test_soft_junction_on_ed25519_is_refused():
    from fennel_gov.keys import pair_from_suri

    with pytest.raises(InvalidSecret, match="hard junctions"):
        pair_from_suri("//Alice/soft", "ed25519")


def test_soft_public_derivation_matches_secret_derivation():
    from fennel_gov.keys import pair_from_suri
    from fennel_gov.keys.inspect import parse_public

    parent = pair_from_suri("//Alice", "sr25519")
    child = pair_from_suri("//Alice/0/fennel", "sr25519")
    public, _ = parse_public(ss58.encode(parent.public) + "/0/fennel", Scheme.SR25519)
    assert public == child.public
