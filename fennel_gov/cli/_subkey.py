"""What ``keys inspect`` and ``keys generate`` print, in subkey's own JSON field names.

subkey (sc-cli ``utils.rs``, its shared rendering) prints ``secretPhrase``, ``networkId``,
``secretSeed``, ``publicKey``, ``ss58PublicKey``, ``accountId`` and ``ss58Address``; scripts written
for subkey read ours. The secret fields are filled only when the caller asks for them.
"""

from __future__ import annotations

from typing import Any

from fennel_gov._codec import to_hex
from fennel_gov.keys import ss58
from fennel_gov.keys.schemes import KeyPair, Scheme, account_id
from fennel_gov.keys.secret import SecretStr


def describe_public(scheme: Scheme, public: bytes, prefix: int) -> dict[str, Any]:
    account = account_id(scheme, public)
    return {
        "scheme": scheme.value,
        "networkId": ss58.network_name(prefix),
        "publicKey": to_hex(public),
        "accountId": to_hex(account),
        "ss58PublicKey": ss58.encode(public, prefix),
        "ss58Address": ss58.encode(account, prefix),
    }


def describe_pair(
    pair: KeyPair, prefix: int, *, suri: SecretStr | None = None, show_secret: bool = False
) -> dict[str, Any]:
    info = describe_public(pair.scheme, pair.public, prefix)
    if show_secret:
        info = {
            "secretPhrase": suri.reveal() if suri is not None else None,
            "secretSeed": to_hex(pair.seed) if pair.seed is not None else "n/a",
            **info,
        }
    return info
