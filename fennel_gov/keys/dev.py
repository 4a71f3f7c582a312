"""The well-known development accounts: public keys anyone can sign for, so never a live chain's key.

Every secret here is public (the development phrase of Substrate, ``//Alice`` … in sp-keyring): a
chain whose sudo or validator is one of them can be taken over by anyone.
"""

from __future__ import annotations

from functools import lru_cache

from fennel_gov.keys.schemes import pair_from_suri
from fennel_gov.keys.suri import DEV_PHRASE

# sp-keyring's names (One and Two included); each also as //Name//stash, as the node's presets use them.
DEV_NAMES = ("Alice", "Bob", "Charlie", "Dave", "Eve", "Ferdie", "One", "Two")


@lru_cache(maxsize=1)
def dev_accounts() -> dict[bytes, str]:
    """Account ids (32 bytes) of the development keys in every scheme a chain could see → how they are made.

    The development phrase itself (with no junction) and ``//Name``, ``//Name//stash`` for each name;
    sr25519 and ed25519 by public key, ecdsa by its account id (blake2_256 of the compressed key)."""
    known: dict[bytes, str] = {}
    for path in ["", *(f"//{name}{stash}" for name in DEV_NAMES for stash in ("", "//stash"))]:
        label = path or "the development phrase"
        for scheme in ("sr25519", "ed25519"):
            known.setdefault(pair_from_suri(DEV_PHRASE + path, scheme).public, f"{label} ({scheme})")
        known.setdefault(pair_from_suri(DEV_PHRASE + path, "ecdsa").account_id, f"{label} (ecdsa)")
    return known


def dev_key_name(account_id: bytes) -> str | None:
    """``//Alice (sr25519)`` when ``account_id`` is a development key, else None."""
    return dev_accounts().get(bytes(account_id))
