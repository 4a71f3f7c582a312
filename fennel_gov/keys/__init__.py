"""Offline key management: everything subkey does, from Python.

The documented API; the modules below it are the hazmat (``_merlin`` most of all).
Nothing here opens a network connection.
"""

from fennel_gov.keys.encrypted_json import EncryptedAccount, decrypt_account, encrypt_account
from fennel_gov.keys.keystore import insert_key
from fennel_gov.keys.mnemonic import generate_mnemonic
from fennel_gov.keys.node_key import NodeKey, node_key_from_secret, parse_node_key_file, peer_id_from_public
from fennel_gov.keys.schemes import KeyPair, Scheme, account_id, pair_from_seed, pair_from_suri, verify
from fennel_gov.keys.secret import SecretStr
from fennel_gov.keys.session_keys import SessionKeys
from fennel_gov.keys.suri import DEV_PHRASE, SecretUri, parse_suri

__all__ = [
    "DEV_PHRASE",
    "EncryptedAccount",
    "KeyPair",
    "NodeKey",
    "Scheme",
    "SecretStr",
    "SecretUri",
    "SessionKeys",
    "account_id",
    "decrypt_account",
    "encrypt_account",
    "generate_mnemonic",
    "insert_key",
    "node_key_from_secret",
    "pair_from_seed",
    "pair_from_suri",
    "parse_node_key_file",
    "parse_suri",
    "peer_id_from_public",
    "verify",
]
