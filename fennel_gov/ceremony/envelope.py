"""An encrypted envelope for secrets that are not key pairs (SLIP-39 share words), with the same
primitives as polkadot-js key files: scrypt (N=2^15, r=8, p=1) and xsalsa20-poly1305."""

from __future__ import annotations

import base64
import hashlib
import os
from typing import Any

from fennel_gov.errors import InvalidKeyFile, WrongPassword
from fennel_gov.keys.secret import SecretStr

FORMAT = "fennel-gov-envelope/1"
_N, _R, _P = 1 << 15, 8, 1


def _key(passphrase: SecretStr, salt: bytes) -> bytes:
    return hashlib.scrypt(passphrase.reveal().encode(), salt=salt, n=_N, r=_R, p=_P, maxmem=64 * 1024 * 1024, dklen=32)


def seal(secret: SecretStr, passphrase: SecretStr, *, content: str, randbytes=os.urandom) -> dict[str, Any]:
    from nacl.secret import SecretBox

    salt, nonce = randbytes(32), randbytes(24)
    sealed = SecretBox(_key(passphrase, salt)).encrypt(secret.reveal().encode(), nonce).ciphertext
    return {
        "format": FORMAT,
        "content": content,
        "kdf": {"type": "scrypt", "n": _N, "r": _R, "p": _P, "salt": base64.b64encode(salt).decode()},
        "cipher": {"type": "xsalsa20-poly1305", "nonce": base64.b64encode(nonce).decode()},
        "ciphertext": base64.b64encode(sealed).decode(),
    }


def open_envelope(document: dict[str, Any] | str | bytes, passphrase: SecretStr) -> SecretStr:
    from nacl.exceptions import CryptoError
    from nacl.secret import SecretBox

    from fennel_gov._files import parse_json
    from fennel_gov.errors import BadInput

    if isinstance(document, (str, bytes)):
        try:
            parsed = parse_json(document, "the envelope")
        except BadInput as exc:
            raise InvalidKeyFile(str(exc)) from None
    else:
        parsed = document
    if not isinstance(parsed, dict):
        raise InvalidKeyFile("the envelope is damaged or not an envelope")
    try:
        if parsed.get("format") != FORMAT:
            raise InvalidKeyFile(f"not a {FORMAT} file")
        kdf = parsed["kdf"]
        if (kdf["n"], kdf["r"], kdf["p"]) != (_N, _R, _P):
            raise InvalidKeyFile("unexpected scrypt parameters in the envelope")
        salt = base64.b64decode(kdf["salt"])
        nonce = base64.b64decode(parsed["cipher"]["nonce"])
        ciphertext = base64.b64decode(parsed["ciphertext"])
    except (KeyError, TypeError, ValueError, AttributeError):
        raise InvalidKeyFile("the envelope is damaged or not an envelope") from None
    try:
        return SecretStr(SecretBox(_key(passphrase, salt)).decrypt(ciphertext, nonce).decode())
    except CryptoError:
        raise WrongPassword("the passphrase does not open this envelope") from None
