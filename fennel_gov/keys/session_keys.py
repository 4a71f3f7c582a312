"""Fennel's ``SessionKeys``: ``{ aura: sr25519 public, grandpa: ed25519 public }``, 64 SCALE bytes.

These bytes are what ``author_rotateKeys`` returns and what ``Session.set_keys`` takes.
"""

from __future__ import annotations

from dataclasses import dataclass

from fennel_gov._codec import from_hex
from fennel_gov.errors import BadInput
from fennel_gov.keys.schemes import KeyPair, Scheme

# (name in the runtime's SessionKeys, key type id in the keystore, scheme), in SCALE field order.
SESSION_KEY_TYPES: tuple[tuple[str, str, Scheme], ...] = (
    ("aura", "aura", Scheme.SR25519),
    ("grandpa", "gran", Scheme.ED25519),
)


@dataclass(frozen=True)
class SessionKeys:
    aura: bytes
    grandpa: bytes

    def encode(self) -> bytes:
        return self.aura + self.grandpa

    def to_hex(self) -> str:
        return "0x" + self.encode().hex()

    @classmethod
    def from_pairs(cls, aura: KeyPair, grandpa: KeyPair) -> "SessionKeys":
        if aura.scheme is not Scheme.SR25519:
            raise BadInput(f"the aura key must be sr25519, not {aura.scheme.value}")
        if grandpa.scheme is not Scheme.ED25519:
            raise BadInput(f"the grandpa key must be ed25519, not {grandpa.scheme.value}")
        return cls(aura=aura.public, grandpa=grandpa.public)

    @classmethod
    def decode(cls, data: bytes | str) -> "SessionKeys":
        raw = from_hex(data, what="the session keys") if isinstance(data, str) else data
        if len(raw) != 64:
            raise BadInput(
                f"Fennel session keys are 64 bytes (aura sr25519 + grandpa ed25519), got {len(raw)}"
            )
        return cls(aura=raw[:32], grandpa=raw[32:])

    def problems(self) -> list[str]:
        """Why these keys could never sign: an aura key that is no sr25519 point, a grandpa key no ed25519 point."""
        from fennel_gov.keys.schemes import is_valid_public

        found = []
        if not is_valid_public(Scheme.SR25519, self.aura):
            found.append("the aura half is not a valid sr25519 public key")
        if not is_valid_public(Scheme.ED25519, self.grandpa):
            found.append("the grandpa half is not a valid ed25519 public key")
        return found
