"""libp2p node keys (ed25519) and their peer ids, as a Substrate node reads and prints them.

A peer id for an ed25519 key is the identity multihash of the protobuf ``PublicKey`` message
(``KeyType = Ed25519 (1)``, ``Data = 32-byte key``), in base58btc: always ``12D3KooW…``.
(libp2p peer-ids spec: keys of at most 42 serialized bytes use the identity hash.)

The node's key file (``--node-key-file``, ``network/secret_ed25519``) holds either the 32 raw bytes
or their hex text; ``generate-node-key`` writes hex, as subkey does.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from fennel_gov.errors import BadInput, InvalidKeyFile, quote
from fennel_gov.keys.ss58 import b58decode, b58encode

_PROTOBUF_ED25519 = bytes([0x08, 0x01, 0x12, 0x20])
_IDENTITY, _SHA256 = 0x00, 0x12


@dataclass(frozen=True, repr=False)
class NodeKey:
    public: bytes
    _secret: bytes = field(compare=False)

    def __repr__(self) -> str:
        return f"NodeKey(peer_id={self.peer_id})"

    @property
    def peer_id(self) -> str:
        return peer_id_from_public(self.public)

    def secret_hex(self) -> str:
        """The hex text the node reads from its key file (no 0x, as subkey writes it)."""
        return self._secret.hex()

    def secret_bytes(self) -> bytes:
        return self._secret


def node_key_from_secret(secret: bytes) -> NodeKey:
    if len(secret) != 32:
        raise InvalidKeyFile(f"a node key is 32 bytes, got {len(secret)}")
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

    public = Ed25519PrivateKey.from_private_bytes(secret).public_key().public_bytes(
        Encoding.Raw, PublicFormat.Raw
    )
    return NodeKey(public=public, _secret=secret)


def parse_node_key_file(content: bytes, *, source: str = "the node key file") -> NodeKey:
    """Read a node key file: 32 raw bytes, or 64 hex digits (optional 0x, surrounding whitespace)."""
    if len(content) == 32:
        return node_key_from_secret(content)
    try:
        text = content.decode("ascii").strip()
    except UnicodeDecodeError:
        raise InvalidKeyFile(
            f"{source} is neither 32 raw bytes nor hex text; regenerate it with generate-node-key"
        ) from None
    if text[:2] in ("0x", "0X"):
        text = text[2:]
    if text.startswith("/") or " " in text or any(c not in "0123456789abcdefABCDEF" for c in text):
        what = "a secret URI or phrase" if text.startswith("/") or " " in text else "text that is not hex"
        raise InvalidKeyFile(
            f"{source} holds {what}, not a node key (64 hex digits or 32 raw bytes); make one with keys generate-node-key"
        )
    if len(text) != 64:
        raise InvalidKeyFile(
            f"{source} holds {len(text)} hex digits; a node key is 64 (32 bytes)"
        )
    try:
        return node_key_from_secret(bytes.fromhex(text))
    except ValueError:
        raise InvalidKeyFile(f"{source} is not valid hex; a node key is 64 hex digits") from None


def peer_id_from_public(public: bytes) -> str:
    if len(public) != 32:
        raise BadInput(f"an ed25519 public key is 32 bytes, got {len(public)}")
    encoded = _PROTOBUF_ED25519 + public
    return b58encode(bytes([_IDENTITY, len(encoded)]) + encoded)


def public_from_peer_id(peer_id: str) -> bytes | None:
    """The ed25519 public key inside a peer id, or None for a hashed (non-ed25519) peer id.

    Raises BadInput for text that is not a peer id at all.
    """
    if len(peer_id) > 128:
        raise BadInput(f"{quote(peer_id)} is too long to be a peer id")
    try:
        data = b58decode(peer_id)
    except ValueError:
        raise BadInput(f"{quote(peer_id)} is not a base58 peer id") from None
    if len(data) < 2:
        raise BadInput(f"{quote(peer_id)} is too short to be a peer id")
    code, length, body = data[0], data[1], data[2:]
    if len(body) != length:
        raise BadInput(f"{quote(peer_id)} is not a valid multihash (length mismatch)")
    if code == _SHA256 and length == 32:
        return None
    if code != _IDENTITY:
        raise BadInput(f"{quote(peer_id)} uses multihash code {code:#x}; peer ids use identity or sha2-256")
    if body[:4] != _PROTOBUF_ED25519 or len(body) != 36:
        return None
    return body[4:]
