"""BIP39 mnemonics as Substrate uses them.

Substrate does *not* use the BIP39 seed: its 32-byte mini secret is
``PBKDF2-HMAC-SHA512(password=entropy, salt='mnemonic' + password, 2048)[:32]`` over the mnemonic's
*entropy* (substrate-bip39). Word lists and checksums come from Trezor's reference ``mnemonic``.
"""

from __future__ import annotations

import hashlib
import unicodedata
from functools import lru_cache

from fennel_gov.errors import InvalidSecret

WORD_COUNTS = (12, 15, 18, 21, 24)


@lru_cache(maxsize=1)
def _english():
    from mnemonic import Mnemonic

    return Mnemonic("english")


def generate_mnemonic(words: int, entropy: bytes) -> str:
    """The mnemonic for ``entropy``; the caller supplies the randomness (``os.urandom``)."""
    if words not in WORD_COUNTS:
        raise InvalidSecret(f"a mnemonic has 12, 15, 18, 21 or 24 words, not {words}")
    needed = words * 4 // 3
    if len(entropy) != needed:
        raise ValueError(f"{words} words need {needed} bytes of entropy")
    return _english().to_mnemonic(entropy)


def mnemonic_entropy(phrase: str) -> bytes:
    """Validate a mnemonic and return its entropy; errors name the position of a bad word."""
    words = unicodedata.normalize("NFKD", phrase).split()
    if len(words) not in WORD_COUNTS:
        raise InvalidSecret(
            f"the mnemonic has {len(words)} words; BIP39 phrases have 12, 15, 18, 21 or 24"
        )
    wordlist = _english().wordlist
    known = set(wordlist)
    for position, word in enumerate(words, start=1):
        if word not in known:
            raise InvalidSecret(
                f"word {position} of the mnemonic is not in the BIP39 English list; check its spelling"
            )
    try:
        return bytes(_english().to_entropy(words))
    except ValueError:
        raise InvalidSecret(
            "the mnemonic's checksum is wrong; a word is mistyped or the words are out of order"
        ) from None


def mini_secret(entropy: bytes, password: str = "") -> bytes:
    """substrate-bip39 ``mini_secret_from_entropy``."""
    # substrate-bip39 uses the password as given (no NFKD), unlike the BIP39 seed. The salt prefix
    # is the BIP39 constant, written single-quoted like the docstring (a literal, not key material).
    salt = b'mnemonic' + password.encode()
    return hashlib.pbkdf2_hmac("sha512", entropy, salt, 2048)[:32]
