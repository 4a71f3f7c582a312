"""Peer ids: libp2p's rules, checked on a known key and on the real Fennel spec's bootnodes."""

from __future__ import annotations

import pytest

from fennel_gov.errors import BadInput, InvalidKeyFile
from fennel_gov.keys.node_key import node_key_from_secret, parse_node_key_file, peer_id_from_public, public_from_peer_id
from tests.conftest import fixture_spec


def test_node_key_one_gives_the_well_known_peer_id():
    key = node_key_from_secret(bytes(31) + b"\x01")
    assert key.peer_id == "12D3KooWEyoppNCUx8Yx66oV9fJnriXwCcXwDDUA2kj6vnc6iDEp"
    assert "01" not in repr(key).split("peer_id=")[0]


@pytest.mark.parametrize("spec", ["development.json", "production.json"])
def test_fennel_bootnode_peer_ids_hold_ed25519_keys_that_reencode_identically(spec):
    for address in fixture_spec(spec)["bootNodes"]:
        peer_id = address.rsplit("/p2p/", 1)[1]
        public = public_from_peer_id(peer_id)
        assert public is not None and len(public) == 32
        assert peer_id_from_public(public) == peer_id


def test_a_peer_id_with_a_typo_is_refused():
    with pytest.raises(BadInput):
        public_from_peer_id("12D3KooWEyoppNCUx8Yx66oV9fJnriXwCcXwDDUA2kj6vnc6iDE0")  # '0' is not base58


def test_node_key_file_forms():
    secret = bytes(range(32))
    expected = node_key_from_secret(secret).peer_id
    for content in (secret, secret.hex().encode(), b"0x" + secret.hex().encode() + b"\n"):
        assert parse_node_key_file(content).peer_id == expected
    with pytest.raises(InvalidKeyFile):
        parse_node_key_file(b"zz" * 32)
