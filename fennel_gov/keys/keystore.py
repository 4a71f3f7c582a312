"""Writing keys into a Substrate node's file keystore, as ``polkadot key insert`` does.

sc-keystore's ``LocalKeystore`` keeps one file per key in ``<base>/chains/<id>/keystore``: the name
is the hex of the 4-byte key type followed by the hex public key; the content is the secret URI as a
JSON string; the mode is 0600. A node started on that directory signs with the key at once, with
no unsafe RPC.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from fennel_gov._files import make_directory, write_atomic
from fennel_gov.errors import BadInput, RefusedOverwrite, quote
from fennel_gov.keys.schemes import KeyPair, Scheme, pair_from_suri
from fennel_gov.keys.secret import SecretStr

# Key types and the scheme each must use (sp-application-crypto key type ids).
KEY_TYPE_SCHEMES: dict[str, Scheme] = {
    "aura": Scheme.SR25519,
    "gran": Scheme.ED25519,
    "babe": Scheme.SR25519,
    "imon": Scheme.SR25519,
    "audi": Scheme.SR25519,
    "para": Scheme.SR25519,
    "asgn": Scheme.SR25519,
    "beef": Scheme.ECDSA,
    "acco": Scheme.SR25519,
}
_ALIASES = {"grandpa": "gran"}


def key_type_id(name: str) -> str:
    key_type = _ALIASES.get(name, name)
    if len(key_type.encode()) != 4:
        raise BadInput(f"a key type is 4 characters (aura, gran, …), got {quote(name)}")
    return key_type


def scheme_for_key_type(key_type: str, scheme: Scheme | None) -> Scheme:
    expected = KEY_TYPE_SCHEMES.get(key_type)
    if scheme is None:
        if expected is None:
            raise BadInput(f"key type {quote(key_type)} is not one fennel-gov knows; give --scheme")
        return expected
    if expected is not None and scheme is not expected:
        raise BadInput(
            f"key type {quote(key_type)} takes {expected.value} keys, not {scheme.value}; "
            f"drop --scheme or fix the key type"
        )
    return scheme


def keystore_file_name(key_type: str, public: bytes) -> str:
    return key_type.encode().hex() + public.hex()


def insert_key(
    keystore: str | os.PathLike[str],
    key_type: str,
    suri: SecretStr,
    scheme: Scheme | None = None,
) -> tuple[Path, KeyPair]:
    """Write one key; an identical existing entry is left as is, a different one is refused."""
    key_type = key_type_id(key_type)
    scheme = scheme_for_key_type(key_type, scheme)
    pair = pair_from_suri(suri, scheme)
    directory = make_directory(keystore, "keystore directory")
    path = directory / keystore_file_name(key_type, pair.public)
    content = json.dumps(suri.reveal())
    if path.exists():
        from fennel_gov._files import read_bytes

        if read_bytes(path, "key file") == content.encode():
            return path, pair
        raise RefusedOverwrite(f"{path} already exists with other content; remove it first")
    write_atomic(path, content, secret=True)
    return path, pair
