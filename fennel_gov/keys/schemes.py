"""sr25519, ed25519 and ecdsa key pairs with Substrate's derivation rules.

Hazmat-level building blocks: ``pair_from_suri`` turns a secret URI into a ``KeyPair`` exactly as
``sp_core::Pair::from_string_with_seed`` does, including the secret seed subkey reports.

* sr25519 (schnorrkel, signing context ``substrate``): hard and soft derivation; the mini secret is
  expanded in Ed25519 mode. A soft junction anywhere makes the seed unknowable ("n/a").
* ed25519: hard derivation only, ``blake2_256(SCALE("Ed25519HDKD", seed, chain_code))``.
* ecdsa (secp256k1): hard only, ``"Secp256k1HDKD"``; public key is the 33-byte compressed point,
  the account id its blake2-256; signatures are 65-byte recoverable over blake2-256 of the message.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from enum import Enum

from fennel_gov._codec import blake2_256, encode_bytes
from fennel_gov.errors import BadInput, InvalidSecret, quote
from fennel_gov.keys.mnemonic import mini_secret, mnemonic_entropy
from fennel_gov.keys.secret import SecretStr
from fennel_gov.keys.suri import Junction, SecretUri, parse_suri


class Scheme(str, Enum):
    SR25519 = "sr25519"
    ED25519 = "ed25519"
    ECDSA = "ecdsa"

    @classmethod
    def parse(cls, value: "str | Scheme") -> "Scheme":
        try:
            return cls(str(value.value if isinstance(value, Scheme) else value).lower())
        except ValueError:
            raise BadInput(f"unknown scheme {quote(value)}; use sr25519, ed25519 or ecdsa") from None

    @property
    def public_length(self) -> int:
        return 33 if self is Scheme.ECDSA else 32

    @property
    def signature_length(self) -> int:
        return 65 if self is Scheme.ECDSA else 64


def account_id(scheme: Scheme, public: bytes) -> bytes:
    """The AccountId32 for a public key (MultiSigner → AccountId32)."""
    return blake2_256(public) if scheme is Scheme.ECDSA else public


@dataclass(frozen=True, repr=False)
class KeyPair:
    """A key pair. ``seed`` is the secret seed where Substrate can state it (None after soft steps)."""

    scheme: Scheme
    public: bytes
    _secret: bytes = field(compare=False)
    seed: bytes | None = field(compare=False, default=None)

    def __repr__(self) -> str:
        return f"KeyPair({self.scheme.value}, public=0x{self.public.hex()})"

    @property
    def account_id(self) -> bytes:
        return account_id(self.scheme, self.public)

    @classmethod
    def from_uri(cls, uri: "SecretStr | str", scheme: "Scheme | str" = "sr25519") -> "KeyPair":
        """The pair a secret URI names (``//Alice``, a phrase with ``//hard/soft///password``, a 0x seed)."""
        return pair_from_suri(uri, scheme)

    def sign(self, message: bytes) -> bytes:
        if self.scheme is Scheme.SR25519:
            import sr25519

            return bytes(sr25519.sign((self.public, self._secret), message))
        if self.scheme is Scheme.ED25519:
            return _ed25519_private(self._secret).sign(message)
        return _ecdsa_sign(self._secret, message)


# -- construction ------------------------------------------------------------------------------


def pair_from_seed(scheme: Scheme, seed: bytes) -> KeyPair:
    if len(seed) != 32:
        raise InvalidSecret(f"a seed is 32 bytes, got {len(seed)}")
    if scheme is Scheme.SR25519:
        import sr25519

        public, secret = sr25519.pair_from_seed(seed)
        return KeyPair(scheme, bytes(public), bytes(secret), seed)
    if scheme is Scheme.ED25519:
        from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

        public = _ed25519_private(seed).public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
        return KeyPair(scheme, public, seed, seed)
    return KeyPair(scheme, _ecdsa_public(seed), seed, seed)


def pair_from_suri(suri: SecretStr | str | SecretUri, scheme: Scheme | str) -> KeyPair:
    """Derive the key pair a secret URI names, as ``sp_core`` would."""
    scheme = Scheme.parse(scheme)
    parsed = suri if isinstance(suri, SecretUri) else parse_suri(suri)
    phrase = parsed.phrase.reveal()
    if phrase.startswith("0x"):
        try:
            seed = bytes.fromhex(phrase[2:])
        except ValueError:
            raise InvalidSecret("the 0x seed is not valid hex") from None
        if len(seed) != 32:
            raise InvalidSecret(f"a 0x seed is 32 bytes (64 hex digits), got {len(seed)} bytes")
    else:
        password = parsed.password.reveal() if parsed.password else ""
        seed = mini_secret(mnemonic_entropy(phrase), password)
    return derive(pair_from_seed(scheme, seed), parsed.junctions)


def derive(pair: KeyPair, junctions: tuple[Junction, ...] | list[Junction]) -> KeyPair:
    for junction in junctions:
        pair = _derive_one(pair, junction)
    return pair


def _derive_one(pair: KeyPair, junction: Junction) -> KeyPair:
    if pair.scheme is Scheme.SR25519:
        return _sr25519_derive(pair, junction)
    if not junction.hard:
        raise InvalidSecret(
            f"{pair.scheme.value} keys only derive along hard junctions (//); soft (/) needs sr25519"
        )
    if pair.seed is None:  # pragma: no cover - ed25519/ecdsa pairs always carry their seed
        raise InvalidSecret("cannot derive without the seed")
    label = b"Ed25519HDKD" if pair.scheme is Scheme.ED25519 else b"Secp256k1HDKD"
    child_seed = blake2_256(encode_bytes(label) + pair.seed + junction.chain_code)
    return pair_from_seed(pair.scheme, child_seed)


def _sr25519_derive(pair: KeyPair, junction: Junction) -> KeyPair:
    import sr25519

    if junction.hard:
        from fennel_gov.keys._merlin import Transcript

        # schnorrkel SecretKey::hard_derive_mini_secret_key(Some(chain_code), b"")
        transcript = Transcript(b"SchnorrRistrettoHDKD")
        transcript.append_message(b"sign-bytes", b"")
        transcript.append_message(b"chain-code", junction.chain_code)
        transcript.append_message(b"secret-key", pair._secret[:32])
        child = pair_from_seed(Scheme.SR25519, transcript.challenge_bytes(b"HDKD-hard", 32))
        # Substrate keeps the seed only while every step so far was hard.
        return child if pair.seed is not None else KeyPair(child.scheme, child.public, child._secret)
    _, public, secret = sr25519.derive_keypair((junction.chain_code, pair.public, pair._secret), b"")
    return KeyPair(Scheme.SR25519, bytes(public), bytes(secret), None)


def derive_public(scheme: Scheme, public: bytes, junctions: tuple[Junction, ...]) -> bytes:
    """Soft-derive a public key (sr25519 only); hard junctions need the secret."""
    if scheme is not Scheme.SR25519:
        raise BadInput("only sr25519 public keys can be derived")
    import sr25519

    for junction in junctions:
        if junction.hard:
            raise BadInput("a hard junction (//) cannot be derived from a public key")
        _, public = sr25519.derive_pubkey((junction.chain_code, public), b"")
        public = bytes(public)
    return public


# -- public key validity ---------------------------------------------------------------------------

_ED_P = 2**255 - 19
_ED_D = (-121665 * pow(121666, _ED_P - 2, _ED_P)) % _ED_P
_WEAK = {bytes(32), b"\x01" + bytes(31)}  # the zero encoding and the identity point


def _ed25519_point(public: bytes) -> bool:
    """Whether 32 bytes decompress to a point on edwards25519 (RFC 8032, 5.1.3)."""
    y = int.from_bytes(public, "little") & ((1 << 255) - 1)
    if y >= _ED_P:
        return False
    u, v = (y * y - 1) % _ED_P, (_ED_D * y * y + 1) % _ED_P
    x2 = u * pow(v, _ED_P - 2, _ED_P) % _ED_P
    if x2 == 0:
        return not public[31] & 0x80
    return pow(x2, (_ED_P - 1) // 2, _ED_P) == 1


def is_valid_public(scheme: Scheme | str, public: bytes) -> bool:
    """Whether ``public`` can be a key of ``scheme`` at all (a point that decodes, not a trivial one)."""
    scheme = Scheme.parse(scheme)
    if len(public) != scheme.public_length or public in _WEAK:
        return False
    if scheme is Scheme.SR25519:
        import sr25519

        try:
            # identity R, zero s, schnorrkel's marker bit: only the key itself can fail to parse
            sr25519.verify(bytes(63) + b"\x80", b"", public)
            return True
        except ValueError:
            return False
    if scheme is Scheme.ED25519:
        return _ed25519_point(public)
    import ecdsa

    try:
        ecdsa.VerifyingKey.from_string(public, curve=ecdsa.SECP256k1)
        return True
    except (ecdsa.MalformedPointError, ValueError):
        return False


# -- signatures --------------------------------------------------------------------------------


def verify(scheme: Scheme | str, public: bytes, message: bytes, signature: bytes) -> bool:
    """Check a signature with the chain's rules (ed25519: ZIP-215; ecdsa: recover and compare)."""
    scheme = Scheme.parse(scheme)
    if len(signature) != scheme.signature_length:
        raise BadInput(
            f"an {scheme.value} signature is {scheme.signature_length} bytes, got {len(signature)}"
        )
    if len(public) != scheme.public_length:
        raise BadInput(f"an {scheme.value} public key is {scheme.public_length} bytes, got {len(public)}")
    if scheme is Scheme.SR25519:
        import sr25519

        try:
            return bool(sr25519.verify(signature, message, public))
        except ValueError:
            return False
    if scheme is Scheme.ED25519:
        import ed25519_zebra

        try:
            return bool(ed25519_zebra.ed_verify(signature, message, public))
        except (ValueError, TypeError):
            return False
    recovered = ecdsa_recover(signature, blake2_256(message))
    return recovered == public


def _ed25519_private(seed: bytes):
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    return Ed25519PrivateKey.from_private_bytes(seed)


def _ecdsa_signing_key(seed: bytes):
    import ecdsa

    try:
        return ecdsa.SigningKey.from_string(seed, curve=ecdsa.SECP256k1)
    except ecdsa.MalformedPointError:
        raise InvalidSecret("the seed is not a valid secp256k1 secret key") from None


def _ecdsa_public(seed: bytes) -> bytes:
    return _ecdsa_signing_key(seed).get_verifying_key().to_string("compressed")


def _ecdsa_sign(seed: bytes, message: bytes) -> bytes:
    import ecdsa
    from ecdsa.util import sigencode_strings_canonize

    digest = blake2_256(message)
    key = _ecdsa_signing_key(seed)
    # RFC 6979 nonces over SHA-256 and low-s, as libsecp256k1 signs: identical signatures.
    r, s = key.sign_digest_deterministic(
        digest, hashfunc=hashlib.sha256, sigencode=sigencode_strings_canonize
    )
    public = key.get_verifying_key().to_string("compressed")
    for recovery_id in (0, 1):
        if ecdsa_recover(r + s + bytes([recovery_id]), digest) == public:
            return r + s + bytes([recovery_id])
    raise ecdsa.BadSignatureError("no recovery id reproduces the public key")  # pragma: no cover


def ecdsa_recover(signature: bytes, digest: bytes) -> bytes | None:
    """The compressed public key that made a 65-byte recoverable signature, or None."""
    import ecdsa
    from ecdsa.util import sigdecode_string

    recovery_id = signature[64]
    if recovery_id >= 27:
        recovery_id -= 27
    if recovery_id > 1:
        return None
    try:
        candidates = ecdsa.VerifyingKey.from_public_key_recovery_with_digest(
            signature[:64], digest, ecdsa.SECP256k1, sigdecode=sigdecode_string, allow_truncate=True
        )
    except (ecdsa.BadSignatureError, ecdsa.MalformedPointError, ValueError, AssertionError):
        return None
    if recovery_id >= len(candidates):
        return None
    key = candidates[recovery_id]
    # Low-s only, as libsecp256k1 verifies.
    s = int.from_bytes(signature[32:64], "big")
    if s > ecdsa.SECP256k1.order // 2:
        return None
    return key.to_string("compressed")
