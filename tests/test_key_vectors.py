"""Published vectors: polkadot-sdk's sp-core tests, subkey's well-known dev keys, merlin, the Fennel spec."""

from __future__ import annotations

import pytest

from fennel_gov.keys import DEV_PHRASE, Scheme, SecretStr, pair_from_seed, pair_from_suri, verify
from fennel_gov.keys import ss58
from fennel_gov.keys._merlin import Transcript
from fennel_gov.keys.suri import Junction, chain_code_for

SEED_9D = bytes.fromhex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60")


@pytest.mark.parametrize(
    ("suri", "scheme", "public", "address"),
    [
        ("//Alice", "sr25519", "d43593c715fdd31c61141abd04a99fd6822c8558854ccde39a5684e7a56da27d", "5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY"),
        ("//Bob", "sr25519", "8eaf04151687736326c9fea17e25fc5287613693c912909cb226aa4794f26a48", "5FHneW46xGXgs5mUiveU4sbTyGBzmstUspZC92UhjJM694ty"),
        ("//Alice", "ed25519", "88dc3417d5058ec4b4503e0c12ea1a0a89be200fe98922423d4334014fa6b0ee", "5FA9nQDVg267DEd8m1ZypXLBnvN7SFxYwV7ndqSYGiN9TTpu"),
        ("//Bob", "ed25519", "d17c2d7823ebf260fd138f2d7e27d114c0145d968b5ff5006125f2414fadae69", "5GoNkf6WdbxCFnPdAnYYQyCjAKPJgLNxXwPjwTh6DGg6gN3E"),
        (f"{DEV_PHRASE}/Alice", "sr25519", "d6c71059dbbe9ad2b0ed3f289738b800836eb425544ce694825285b958ca755e", None),
        ("//Alice//stash", "sr25519", None, "5GNJqTPyNqANBkUVMN1LPPrxXnFouWXoe2wNSmmEoLctxiZY"),
        ("//Bob//stash", "sr25519", None, "5HpG9w8EBLe5XCrbczpwq5TSXvedjrBGCwqxK1iQ7qUsSWFc"),
        ("//Alice", "ecdsa", "020a1091341fe5664bfa1782d5e04779689068c916b04cb365ec3153755684d9a1", None),
    ],
)
def test_well_known_dev_keys_derive_to_their_published_public_keys(suri, scheme, public, address):
    pair = pair_from_suri(SecretStr(suri), scheme)
    if public:
        assert pair.public.hex() == public
    if address:
        assert ss58.encode(pair.account_id, 42) == address


def test_subkey_reports_alice_sr25519_secret_seed():
    # subkey inspect //Alice: "Secret seed: 0xe5be9a50…"; needs the hard step's mini secret (merlin).
    pair = pair_from_suri("//Alice", "sr25519")
    assert pair.seed.hex() == "e5be9a5092b81bca64be81d212e7f2f9eba183bb7a90954f7b76361f6edb5c0a"


def test_dev_phrase_mini_secret_is_subkeys_secret_seed():
    pair = pair_from_suri(DEV_PHRASE, "sr25519")
    assert pair.seed.hex() == "fac7959dbfe72f052e5a0c3c8d6530f202b02fd8f9f5ca3580ec8deb7797479e"
    assert pair.public.hex() == "46ebddef8cd9bb167dc30878d7113b7e168e6f0646beffd77d69d39bad76b47a"


def test_soft_junction_makes_the_seed_unknowable_as_in_subkey():
    assert pair_from_suri("//Alice/soft", "sr25519").seed is None
    assert pair_from_suri("/soft//Alice", "sr25519").seed is None


@pytest.mark.parametrize(
    ("seed", "public"),
    [
        (SEED_9D, "44a996beb1eef7bdcab976ab6d2ca26104834164ecf28fb375600576fcc6eb0f"),
        (b"12345678901234567890123456789012", "741c08a06f41c596608f6774259bd9043304adfa5d3eea62760bd9be97634d63"),
    ],
)
def test_sp_core_sr25519_seed_vectors(seed, public):
    assert pair_from_seed(Scheme.SR25519, seed).public.hex() == public


def test_sp_core_ecdsa_vector_public_key_and_deterministic_signature():
    pair = pair_from_seed(Scheme.ECDSA, SEED_9D)
    # sp-core gives the uncompressed point 8db55b05…; its compressed form starts 02 (even y).
    assert pair.public.hex() == "028db55b05db86c0b1786ca49f095d76344c9e6056b2f02701a7e7f3c20aabfd91"
    signature = pair.sign(b"")
    assert signature.hex() == (
        "3dde91174bd9359027be59a428b8146513df80a2a3c7eda2194f64de04a69ab9"
        "7b753169e94db6ffd50921a2668a48b94ca11e3d32c1ff19cfe88890aa7e8f3c00"
    )
    assert verify("ecdsa", pair.public, b"", signature)


def test_sp_core_ecdsa_hard_derivation_vector():
    from fennel_gov.keys.schemes import derive

    derived = derive(pair_from_seed(Scheme.ECDSA, SEED_9D), [Junction(bytes(32), hard=True)])
    assert derived.seed.hex() == "b8eefc4937200a8382d00050e050ced2d4ab72cc2ef1b061477afb51564fdd61"


def test_ecdsa_account_id_is_blake2_of_the_compressed_key():
    from fennel_gov._codec import blake2_256

    pair = pair_from_suri("//Alice", "ecdsa")
    assert pair.account_id == blake2_256(pair.public)
    assert ss58.encode(pair.public, 42) == "KW39r9CJjAVzmkf9zQ4YDb2hqfAVGdRqn53eRqyruqpxAP5YL"


def test_merlin_transcript_matches_the_reference_vector():
    transcript = Transcript(b"test protocol")
    transcript.append_message(b"some label", b"some data")
    assert transcript.challenge_bytes(b"challenge", 32).hex() == (
        "d5a21972d0d5fe320c0d263fac7fffb8145aa640af6e9bca177c03c7efcf0615"
    )


def test_password_in_uri_equals_password_on_the_phrase():
    assert pair_from_suri("//Alice///password", "sr25519").public == pair_from_suri(
        f"{DEV_PHRASE}//Alice///password", "sr25519"
    ).public
    assert pair_from_suri("//Alice///password", "sr25519").public != pair_from_suri("//Alice", "sr25519").public


def test_numeric_junction_is_u64_little_endian_and_text_is_scale_bytes():
    assert chain_code_for("1") == (1).to_bytes(8, "little") + bytes(24)
    assert chain_code_for("Alice") == bytes([5 << 2]) + b"Alice" + bytes(26)
    # one past u64::MAX is text, not a number
    assert chain_code_for("18446744073709551616")[0] == 20 << 2


def test_long_junction_is_hashed_with_blake2():
    from fennel_gov._codec import blake2_256, encode_bytes

    text = "x" * 40
    assert chain_code_for(text) == blake2_256(encode_bytes(text.encode()))


def test_fennel_dev_spec_session_keys_are_alice_aura_and_grandpa(cli):
    from tests.conftest import fixture_spec

    spec = fixture_spec("development.json")
    account, validator, keys = spec["genesis"]["runtimeGenesis"]["patch"]["session"]["keys"][0]
    assert ss58.encode(pair_from_suri("//Alice", "sr25519").public) == account == keys["aura"]
    assert ss58.encode(pair_from_suri("//Alice", "ed25519").public) == keys["grandpa"]


@pytest.mark.parametrize("scheme", ["sr25519", "ed25519", "ecdsa"])
def test_signatures_verify_and_reject_a_changed_message(scheme):
    pair = pair_from_suri("//Charlie", scheme)
    signature = pair.sign(b"fennel")
    assert verify(scheme, pair.public, b"fennel", signature)
    assert not verify(scheme, pair.public, b"fennel!", signature)
    other = pair_from_suri("//Dave", scheme)
    assert not verify(scheme, other.public, b"fennel", signature)


def test_ed25519_signatures_follow_rfc8032_test_1():
    # RFC 8032 section 7.1, TEST 1 (empty message)
    seed = bytes.fromhex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60")
    pair = pair_from_seed(Scheme.ED25519, seed)
    assert pair.public.hex() == "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a"
    assert pair.sign(b"").hex() == (
        "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"
    )


def test_public_key_validity_per_scheme():
    from fennel_gov.keys.schemes import is_valid_public

    for suri in ("//Alice", "//Bob", "//x//y"):
        assert is_valid_public("sr25519", pair_from_suri(suri, "sr25519").public)
        assert is_valid_public("ed25519", pair_from_suri(suri, "ed25519").public)
        assert is_valid_public("ecdsa", pair_from_suri(suri, "ecdsa").public)
    assert not is_valid_public("sr25519", bytes.fromhex("11" * 32))
    assert not is_valid_public("sr25519", bytes(32)) and not is_valid_public("ed25519", bytes(32))
    assert not is_valid_public("ed25519", b"\xff" * 32)  # y ≥ p
    # about half of random 32-byte strings are not on edwards25519 (no square root)
    import random

    rng = random.Random(3)
    results = {is_valid_public("ed25519", rng.randbytes(32)) for _ in range(64)}
    assert results == {True, False}


def test_session_keys_that_could_never_sign_are_named():
    from fennel_gov.keys import SessionKeys

    good = SessionKeys.from_pairs(pair_from_suri("//Bob", "sr25519"), pair_from_suri("//Bob", "ed25519"))
    assert good.problems() == []
    assert SessionKeys.decode("0x" + "11" * 64).problems()[0].startswith("the aura half")
