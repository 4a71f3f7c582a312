"""polkadot-js encrypted account JSON (version 3: scrypt + xsalsa20-poly1305), read and written.

This is the file wallets and polkadot-js apps export and import::

    {"encoded": base64(salt32 | N u32le | p u32le | r u32le | nonce24 | secretbox(pkcs8)),
     "encoding": {"content": ["pkcs8", "<scheme>"], "type": ["scrypt", "xsalsa20-poly1305"],
                  "version": "3"},
     "address": "<ss58>", "meta": {"name": …, "whenCreated": <ms>, …}}

The box key is the first 32 bytes of ``scrypt(password, salt, N, r, p, dkLen=64)``; the PKCS8
body is ``HEADER | secret (64) | DIVIDER | public (32)``. For sr25519 the 64-byte secret is
schnorrkel's "ed25519 bytes" form; for ed25519 it is seed || public. Version 2 (password padded to
32 bytes, no scrypt) is read for old exports. Every way a file can be bad ends in InvalidKeyFile or
WrongPassword; neither message ever includes the password or key material.
"""

from __future__ import annotations

import base64
import hashlib
import os
from dataclasses import dataclass
from typing import Any

from fennel_gov.errors import InvalidKeyFile, WrongPassword, quote
from fennel_gov.keys import ss58
from fennel_gov.keys.schemes import KeyPair, Scheme
from fennel_gov.keys.secret import SecretStr

PKCS8_HEADER = bytes([48, 83, 2, 1, 1, 48, 5, 6, 3, 43, 101, 112, 4, 34, 4, 32])
PKCS8_DIVIDER = bytes([161, 35, 3, 33, 0])
SCRYPT_N, SCRYPT_P, SCRYPT_R = 1 << 15, 1, 8
# Refuse parameters that would make a crafted file eat the machine: scrypt needs 128·N·r bytes
# (N=2^20, r=8 is 1 GiB). polkadot-js writes N=2^15, r=8, p=1 (32 MiB); allow up to 8 times that.
_MAX_SCRYPT_MEMORY, _MAX_SCRYPT_P = 256 * 1024 * 1024, 4
_NONCE, _SALT = 24, 32


@dataclass(frozen=True)
class EncryptedAccount:
    """What a decrypted file yields: the key pair and its metadata."""

    pair: KeyPair
    address: str
    meta: dict[str, Any]


def _scrypt_key(password: SecretStr, salt: bytes, n: int, p: int, r: int) -> bytes:
    return hashlib.scrypt(
        password.reveal().encode(), salt=salt, n=n, r=r, p=p, maxmem=256 * n * r + (1 << 20), dklen=64
    )[:32]


def encrypt_account(
    pair: KeyPair,
    password: SecretStr,
    *,
    name: str,
    when_created_ms: int,
    ss58_prefix: int = 42,
    salt: bytes | None = None,
    nonce: bytes | None = None,
    meta: dict[str, Any] | None = None,
    store_seed: bool = False,
) -> dict[str, Any]:
    """The polkadot-js JSON for ``pair``. Salt and nonce default to fresh randomness.

    ``store_seed`` keeps the 32-byte seed instead of the expanded secret (the older layout that
    polkadot-js still reads), so the key can later be written to a node keystore as ``0x<seed>``.
    """
    if pair.scheme is Scheme.ECDSA:
        raise InvalidKeyFile("polkadot-js JSON files hold sr25519 or ed25519 keys, not ecdsa")
    if not password:
        raise WrongPassword("an empty password would leave the key unprotected; choose one")
    from nacl.secret import SecretBox

    salt = os.urandom(_SALT) if salt is None else salt
    nonce = os.urandom(_NONCE) if nonce is None else nonce
    if not store_seed:
        secret = _secret_for_pkcs8(pair)
    elif pair.seed is None:
        raise InvalidKeyFile("this key has no seed to store (it was derived through a soft junction)")
    else:
        secret = pair.seed
    body = PKCS8_HEADER + secret + PKCS8_DIVIDER + pair.public
    key = _scrypt_key(password, salt, SCRYPT_N, SCRYPT_P, SCRYPT_R)
    sealed = SecretBox(key).encrypt(body, nonce).ciphertext
    params = salt + SCRYPT_N.to_bytes(4, "little") + SCRYPT_P.to_bytes(4, "little") + SCRYPT_R.to_bytes(4, "little")
    return {
        "encoded": base64.b64encode(params + nonce + sealed).decode(),
        "encoding": {
            "content": ["pkcs8", pair.scheme.value],
            "type": ["scrypt", "xsalsa20-poly1305"],
            "version": "3",
        },
        "address": ss58.encode(pair.account_id, ss58_prefix),
        "meta": {"genesisHash": "", "name": name, "whenCreated": when_created_ms, **(meta or {})},
    }


def _secret_for_pkcs8(pair: KeyPair) -> bytes:
    if pair.scheme is Scheme.SR25519:
        import sr25519

        return bytes(sr25519.convert_secret_key_to_ed25519(pair._secret))
    return pair._secret + pair.public


def decrypt_account(document: dict[str, Any] | str | bytes, password: SecretStr) -> EncryptedAccount:
    """Open a polkadot-js JSON file and check that its keys match its address."""
    if isinstance(document, (str, bytes)):
        from fennel_gov._files import parse_json
        from fennel_gov.errors import BadInput

        try:
            document = parse_json(document, "the key file")
        except BadInput as exc:
            raise InvalidKeyFile(f"{exc}; expected a polkadot-js account export") from None
    if not isinstance(document, dict) or not isinstance(document.get("encoded"), str):
        raise InvalidKeyFile("the key file has no 'encoded' field; expected a polkadot-js account export")
    encoding = _field(document, "encoding", dict, {})
    content = _field(encoding, "content", list, [], "encoding.content")
    if not all(isinstance(c, str) for c in content):
        raise InvalidKeyFile("the key file's 'encoding.content' holds a non-string; expected e.g. [\"pkcs8\", \"sr25519\"]")
    types = encoding.get("type")
    types = [types] if isinstance(types, str) else _field(encoding, "type", list, [], "encoding.type")
    if not all(isinstance(t, str) for t in types):
        raise InvalidKeyFile("the key file's 'encoding.type' holds a non-string; expected [\"scrypt\", \"xsalsa20-poly1305\"]")
    raw_version = encoding.get("version", "")
    if isinstance(raw_version, bool) or not isinstance(raw_version, (str, int)):
        raise InvalidKeyFile(f"the key file's 'encoding.version' is {_json_kind(raw_version)}; expected \"3\"")
    version = str(raw_version)
    scheme_name = next((c for c in content if c in ("sr25519", "ed25519", "ecdsa", "ethereum")), None)
    if "pkcs8" not in content or scheme_name is None:
        raise InvalidKeyFile("the key file's content is not pkcs8 with a known key type")
    if scheme_name in ("ecdsa", "ethereum"):
        raise InvalidKeyFile(f"{scheme_name} key files are not supported; export an sr25519 or ed25519 account")
    scheme = Scheme(scheme_name)
    if "xsalsa20-poly1305" not in types:
        raise InvalidKeyFile(
            "the key file is not encrypted (type 'none'); re-export it from the wallet with a password"
        )
    try:
        raw = base64.b64decode(document["encoded"], validate=True)
    except ValueError:
        if document["encoded"].startswith("0x"):
            try:
                raw = bytes.fromhex(document["encoded"][2:])
            except ValueError:
                raise InvalidKeyFile("the key file's 'encoded' field is neither base64 nor hex") from None
        else:
            raise InvalidKeyFile("the key file's 'encoded' field is not base64") from None
    if version == "3" and "scrypt" in types:
        if len(raw) < _SALT + 12 + _NONCE + 16:
            raise InvalidKeyFile("the key file's 'encoded' field is truncated")
        salt = raw[:_SALT]
        n, p, r = (int.from_bytes(raw[_SALT + 4 * i : _SALT + 4 * i + 4], "little") for i in range(3))
        if n < 2 or n & (n - 1) or not 1 <= r or not 1 <= p <= _MAX_SCRYPT_P or 128 * n * r > _MAX_SCRYPT_MEMORY:
            raise InvalidKeyFile(
                f"the key file asks for unsafe scrypt parameters N={n}, r={r}, p={p} ({128 * n * r / 2**20:,.0f} MiB); fennel-gov opens at most "
                f"{_MAX_SCRYPT_MEMORY // 2**20} MiB with p ≤ {_MAX_SCRYPT_P} (polkadot-js writes N=32768, r=8, p=1); re-export the key"
            )
        key = _scrypt_key(password, salt, n, p, r)
        rest = raw[_SALT + 12 :]
    elif version in ("2", "1", "0", ""):
        key = password.reveal().encode()[:32].ljust(32, b"\0")
        rest = raw
    else:
        raise InvalidKeyFile(f"key file version {quote(version)} is not supported (use version 3)")
    from nacl.exceptions import CryptoError
    from nacl.secret import SecretBox

    try:
        body = SecretBox(key).decrypt(rest[_NONCE:], rest[:_NONCE])
    except CryptoError:
        raise WrongPassword("the password does not open this key file; try again") from None
    pair = _pair_from_pkcs8(body, scheme)
    address = document.get("address")
    if address is not None and not isinstance(address, str):
        raise InvalidKeyFile(f"the key file's 'address' is {_json_kind(address)}; expected an SS58 address string")
    if address:
        decoded = ss58.decode(address)
        if decoded.payload != pair.account_id:
            raise InvalidKeyFile("the key file's address does not match the key inside it; the file is damaged")
    else:
        address = ss58.encode(pair.account_id, 42)
    meta = document.get("meta")
    if not isinstance(meta, dict):
        meta = {}
    return EncryptedAccount(pair=pair, address=address, meta=meta)


def _json_kind(value: Any) -> str:
    if isinstance(value, bool):
        return "a boolean"
    for kind, name in ((dict, "an object"), (list, "a list"), (str, "a string"), (int, "an integer"), (float, "a number")):
        if isinstance(value, kind):
            return name
    return "null"


def _field(document: dict[str, Any], name: str, kind: type, default: Any, label: str | None = None) -> Any:
    """``document[name]`` if it has the JSON type ``kind`` (missing or null: ``default``); else one line naming it."""
    value = document.get(name)
    if value is None:
        return default
    if not isinstance(value, kind):
        expected = "an object" if kind is dict else "a list"
        raise InvalidKeyFile(f"the key file's {label or name!r} field is {_json_kind(value)}; expected {expected}")
    return value


def _pair_from_pkcs8(body: bytes, scheme: Scheme) -> KeyPair:
    if body[: len(PKCS8_HEADER)] != PKCS8_HEADER:
        raise InvalidKeyFile("the decrypted key has no PKCS8 header; the file is damaged")
    offset = len(PKCS8_HEADER)
    for secret_length in (64, 32):  # 32: old exports that stored the seed
        divider_at = offset + secret_length
        if body[divider_at : divider_at + len(PKCS8_DIVIDER)] == PKCS8_DIVIDER:
            secret = body[offset:divider_at]
            public = body[divider_at + len(PKCS8_DIVIDER) : divider_at + len(PKCS8_DIVIDER) + 32]
            break
    else:
        raise InvalidKeyFile("the decrypted key has no PKCS8 divider; the file is damaged")
    from fennel_gov.keys.schemes import pair_from_seed

    if len(secret) == 32:
        pair = pair_from_seed(scheme, secret)
    elif scheme is Scheme.SR25519:
        import sr25519

        derived_public, expanded = sr25519.pair_from_ed25519_secret_key(secret)
        pair = KeyPair(scheme, bytes(derived_public), bytes(expanded), None)
    else:
        pair = pair_from_seed(scheme, secret[:32])
    if pair.public != public:
        raise InvalidKeyFile("the decrypted secret does not match its public key; the file is damaged")
    return pair
