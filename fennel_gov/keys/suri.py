"""Secret URIs exactly as Substrate reads them (sp-core ``SecretUri`` and ``DeriveJunction``).

``PHRASE[/soft|//hard...][///password]`` where PHRASE is a BIP39 mnemonic, a ``0x`` 32-byte seed,
or empty (the Substrate development phrase). A junction that Rust's ``str::parse::<u64>`` accepts
(a leading ``+`` too; an overflowing number is text) is encoded as its 8 little-endian bytes, any other text as SCALE bytes (compact length + UTF-8); an encoding longer
than 32 bytes is replaced by its blake2-256 hash, a shorter one is zero-padded to 32 bytes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from fennel_gov._codec import blake2_256, encode_bytes
from fennel_gov.errors import InvalidSecret
from fennel_gov.keys.secret import SecretStr

DEV_PHRASE = "bottom drive obey lake curtain smoke basket hold race lonely fit walk"

_SURI = re.compile(r"^(?P<phrase>[\w ]+)?(?P<path>(//?[^/]+)*)(///(?P<password>.*))?$")
_JUNCTION = re.compile(r"/(/?[^/]+)")
_U64_MAX = (1 << 64) - 1


@dataclass(frozen=True)
class Junction:
    """One derivation step: a 32-byte chain code, hard (``//``) or soft (``/``)."""

    chain_code: bytes
    hard: bool

    @classmethod
    def parse(cls, text: str) -> "Junction":
        """Parse a junction as written after its slash: ``Alice``, ``/Alice``, ``0``, ``//1``."""
        hard = text.startswith("/")
        code = text[1:] if hard else text
        return cls(chain_code=chain_code_for(code), hard=hard)

    def __str__(self) -> str:  # pragma: no cover - diagnostic only
        return ("//" if self.hard else "/") + self.chain_code.hex()


def parse_u64(text: str) -> int | None:
    """``text`` as Rust's ``str::parse::<u64>`` reads it, or None where Rust returns an error:
    ASCII digits with at most one leading ``+`` (no ``-``, no spaces), leading zeros allowed,
    values past 2^64-1 an overflow error."""
    digits = text[1:] if text.startswith("+") else text
    if not digits or not digits.isascii() or not digits.isdigit():
        return None
    significant = digits.lstrip("0")
    if len(significant) > 20:  # past u64 whatever the digits; also keeps int() off huge strings
        return None
    value = int(digits[-21:]) if significant else 0
    return value if value <= _U64_MAX else None


def chain_code_for(code: str) -> bytes:
    """The chain code for a junction's text, as sp-core's ``DeriveJunction::from`` computes it:
    a u64 (``str::parse::<u64>`` succeeds) as its 8 little-endian bytes, anything else (an
    overflowing number included) as SCALE-encoded text."""
    number = parse_u64(code)
    if number is not None:
        encoded = number.to_bytes(8, "little")
    else:
        encoded = encode_bytes(code.encode())
    if len(encoded) > 32:
        return blake2_256(encoded)
    return encoded.ljust(32, b"\0")


@dataclass(frozen=True, repr=False)
class SecretUri:
    """A parsed secret URI. Its repr shows the derivation shape only, never the phrase or password."""

    phrase: SecretStr
    junctions: tuple[Junction, ...]
    password: SecretStr | None

    def __repr__(self) -> str:
        path = "".join("//…" if j.hard else "/…" for j in self.junctions)
        return f"SecretUri(phrase=***, path={path!r}, password={'***' if self.password else None})"

    @property
    def is_dev(self) -> bool:
        return self.phrase.reveal() == DEV_PHRASE


def parse_suri(suri: SecretStr | str) -> SecretUri:
    """Parse a secret URI; the error never repeats the input."""
    text = suri.reveal() if isinstance(suri, SecretStr) else suri
    text = text.strip()
    if not text:
        raise InvalidSecret("the secret URI is empty; give a mnemonic, a 0x seed or a //derivation")
    match = _SURI.match(text)
    if match is None:
        raise InvalidSecret(
            "the secret URI is malformed; expected PHRASE[//hard][/soft][///password] "
            "(a junction may not be empty)"
        )
    junctions = tuple(Junction.parse(j) for j in _JUNCTION.findall(match.group("path") or ""))
    phrase = match.group("phrase")
    phrase = " ".join(phrase.split()) if phrase and phrase.strip() else DEV_PHRASE
    password = match.group("password")
    return SecretUri(
        phrase=SecretStr(phrase),
        junctions=junctions,
        password=SecretStr(password) if password is not None else None,
    )
