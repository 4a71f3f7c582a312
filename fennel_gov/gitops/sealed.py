"""Sealed Secrets (bitnami-labs/sealed-secrets): seal a Secret for the controller's public key.

The format, as ``pkg/crypto`` writes it and the controller reads it, per value:

    uint16 big-endian len(rsa) || rsa = RSA-OAEP(SHA-256, label, session key) || AES-256-GCM(session key, nonce 0¹², value)

The session key is 32 fresh bytes for every value, which is why a zero nonce is safe. The OAEP label
binds the value to where it may be unsealed: ``namespace/name`` in the default *strict* scope (the
only one we write), so a sealed value copied into another Secret's name or namespace does not open.
"""

from __future__ import annotations

import base64
import datetime as _dt
import hashlib
import os
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable

from fennel_gov.errors import BadInput

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.types import PublicKeyTypes

API_VERSION = "bitnami.com/v1alpha1"
SESSION_KEY_BYTES = 32
MIN_RSA_BITS = 2048


@dataclass(frozen=True)
class SealingKey:
    """The controller's RSA public key, from its certificate (``kubeseal --fetch-cert``)."""

    public_key: Any  # cryptography RSAPublicKey
    fingerprint: str  # sha256 of the DER certificate (or SubjectPublicKeyInfo), hex
    not_after: _dt.datetime | None

    def __repr__(self) -> str:
        return f"SealingKey(sha256={self.fingerprint[:16]}…)"


def load_sealing_key(path: str | os.PathLike[str], *, now: _dt.datetime | None = None) -> SealingKey:
    from cryptography import x509
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat, load_pem_public_key

    from fennel_gov._files import read_bytes

    data = read_bytes(path, "sealing certificate")
    not_after = None
    public_key: PublicKeyTypes  # a certificate's key or any PEM public key; RSA is checked below
    try:
        if b"BEGIN CERTIFICATE" in data:
            cert = x509.load_pem_x509_certificate(data)
            public_key, der = cert.public_key(), cert.public_bytes(Encoding.DER)
            not_after = cert.not_valid_after_utc
        else:
            public_key = load_pem_public_key(data)
            der = public_key.public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)
    except ValueError:
        raise BadInput(f"{path} is not a PEM certificate or public key; fetch it with 'kubeseal --fetch-cert'") from None
    if not isinstance(public_key, rsa.RSAPublicKey):
        raise BadInput(f"{path} holds a {type(public_key).__name__}; the Sealed Secrets controller uses RSA")
    if public_key.key_size < MIN_RSA_BITS:
        raise BadInput(f"{path} is a {public_key.key_size}-bit RSA key; refusing to seal with fewer than {MIN_RSA_BITS} bits")
    moment = now or _dt.datetime.now(_dt.timezone.utc)
    if not_after is not None and not_after < moment:
        raise BadInput(f"the sealing certificate {path} expired on {not_after:%Y-%m-%d}; fetch the controller's current one")
    return SealingKey(public_key, hashlib.sha256(der).hexdigest(), not_after)


def scope_label(namespace: str, name: str) -> bytes:
    """The OAEP label of the strict scope."""
    return f"{namespace}/{name}".encode()


def hybrid_encrypt(key: SealingKey, plaintext: bytes, label: bytes, *, randbytes: Callable[[int], bytes] = os.urandom) -> bytes:
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    session_key = randbytes(SESSION_KEY_BYTES)
    wrapped = key.public_key.encrypt(
        session_key, padding.OAEP(mgf=padding.MGF1(hashes.SHA256()), algorithm=hashes.SHA256(), label=label)
    )
    sealed = AESGCM(session_key).encrypt(bytes(12), plaintext, None)
    return len(wrapped).to_bytes(2, "big") + wrapped + sealed


def seal_secret(secret: dict[str, Any], key: SealingKey, *, randbytes: Callable[[int], bytes] = os.urandom) -> dict[str, Any]:
    """A ``SealedSecret`` for a Secret object (``stringData`` values), strict scope."""
    meta = secret["metadata"]
    name, namespace = meta["name"], meta["namespace"]
    label = scope_label(namespace, name)
    encrypted = {
        field: base64.b64encode(hybrid_encrypt(key, value.encode(), label, randbytes=randbytes)).decode()
        for field, value in secret["stringData"].items()
    }
    template_meta = {k: v for k, v in meta.items() if k in ("name", "namespace", "labels", "annotations")}
    return {
        "apiVersion": API_VERSION,
        "kind": "SealedSecret",
        "metadata": {
            "name": name,
            "namespace": namespace,
            "labels": dict(meta.get("labels", {})),
            "annotations": {"fennel.network/sealing-cert-sha256": key.fingerprint},
        },
        "spec": {
            "encryptedData": encrypted,
            "template": {"metadata": template_meta, "type": secret.get("type", "Opaque")},
        },
    }
