"""SOPS-encrypted Kubernetes documents, as ``sops --encrypt`` writes them and Flux's
kustomize-controller decrypts them (getsops/sops: ``aes/cipher.go``, ``sops.go``, ``age/keysource.go``).

- A fresh 32-byte data key per file; each value whose path has a key matching ``encrypted_regex``
  (``^(data|stringData)$``) becomes ``ENC[AES256_GCM,data:…,iv:…,tag:…,type:str]``: AES-256-GCM,
  a 32-byte IV, the additional data is the path of keys joined with ``:`` plus a final ``:``.
- The MAC is SHA-512 over the bytes of every value (encrypted or not) in document order, as upper-case
  hex, itself encrypted like a value with the ``lastmodified`` timestamp (RFC 3339) as additional
  data: editing any value, even an unencrypted label, breaks decryption.
- The data key is encrypted for each age recipient separately, as an armored age file.
"""

from __future__ import annotations

import base64
import datetime as _dt
import hashlib
import os
import re
from typing import Any, Callable

from fennel_gov.errors import BadInput

ENCRYPTED_REGEX = "^(data|stringData)$"
SOPS_VERSION = "3.13.2"  # the getsops/sops release whose format this follows
IV_BYTES = 32
_AGE_RECIPIENT = re.compile(r"^age1[0-9a-z]{58}$")


def check_recipients(recipients: list[str]) -> list[str]:
    if not recipients:
        raise BadInput("give at least one --sops-age recipient (age1…, e.g. the public key of Flux's sops-age Secret)")
    for recipient in recipients:
        if not _AGE_RECIPIENT.match(recipient):
            raise BadInput(f"{recipient!r} is not an age X25519 recipient (age1 followed by 58 characters); see 'age-keygen -y'")
    return list(dict.fromkeys(recipients))


def encrypt_value(value: str, key: bytes, additional_data: str, iv: bytes) -> str:
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    if value == "":
        return ""  # sops leaves empty values empty
    sealed = AESGCM(key).encrypt(iv, value.encode(), additional_data.encode())
    b64 = lambda b: base64.b64encode(b).decode()  # noqa: E731
    return f"ENC[AES256_GCM,data:{b64(sealed[:-16])},iv:{b64(iv)},tag:{b64(sealed[-16:])},type:str]"


def _scalar_bytes(value: Any) -> bytes:
    if isinstance(value, bool):
        return b"True" if value else b"False"
    if isinstance(value, (str, int)):
        return str(value).encode()
    raise BadInput(f"cannot SOPS-encrypt a {type(value).__name__} value")


def _walk(node: Any, path: list[str], on_leaf: Callable[[Any, list[str]], Any]) -> Any:
    if isinstance(node, dict):
        return {k: _walk(v, path + [str(k)], on_leaf) for k, v in node.items()}
    if isinstance(node, list):
        return [_walk(v, path, on_leaf) for v in node]  # sops does not put list indices in the path
    if node is None:
        return None
    return on_leaf(node, path)


def encrypt_document(
    document: dict[str, Any],
    recipients: list[str],
    *,
    randbytes: Callable[[int], bytes] = os.urandom,
    now: _dt.datetime | None = None,
) -> dict[str, Any]:
    """The document with its ``data``/``stringData`` values encrypted and a ``sops`` block appended."""
    import pyrage

    if "sops" in document:
        raise BadInput("the document already has a 'sops' key")
    recipients = check_recipients(recipients)
    data_key = randbytes(32)
    mac = hashlib.sha512()
    pattern = re.compile(ENCRYPTED_REGEX)

    def leaf(value: Any, path: list[str]) -> Any:
        mac.update(_scalar_bytes(value))
        if any(pattern.search(part) for part in path):
            if not isinstance(value, str):
                raise BadInput(f"{':'.join(path)} must be a string to be encrypted")
            return encrypt_value(value, data_key, ":".join(path) + ":", randbytes(IV_BYTES))
        return value

    encrypted = _walk(document, [], leaf)
    moment = (now or _dt.datetime.now(_dt.timezone.utc)).astimezone(_dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    stanzas = []
    for recipient in recipients:
        try:
            armored = pyrage.encrypt(data_key, [pyrage.x25519.Recipient.from_str(recipient)], armored=True)
        except pyrage.RecipientError:
            raise BadInput(f"{recipient!r} is not a valid age recipient") from None
        stanzas.append({"recipient": recipient, "enc": armored.decode()})
    encrypted["sops"] = {
        "age": stanzas,
        "lastmodified": moment,
        "mac": encrypt_value(mac.hexdigest().upper(), data_key, moment, randbytes(IV_BYTES)),
        "encrypted_regex": ENCRYPTED_REGEX,
        "version": SOPS_VERSION,
    }
    return encrypted


def creation_rules(recipients: list[str]) -> dict[str, Any]:
    """A ``.sops.yaml`` so that ``sops`` re-encrypts edited Secrets the same way."""
    return {"creation_rules": [{"path_regex": r"secrets/.*\.yaml$", "encrypted_regex": ENCRYPTED_REGEX, "age": ",".join(recipients)}]}


def is_encrypted_value(value: Any) -> bool:
    return isinstance(value, str) and (value == "" or re.fullmatch(r"ENC\[AES256_GCM,data:[A-Za-z0-9+/=]*,iv:[A-Za-z0-9+/=]+,tag:[A-Za-z0-9+/=]+,type:\w+\]", value) is not None)
