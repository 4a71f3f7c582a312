"""Reading the genesis state of a Fennel chain: who is sudo, who validates, with which keys, who holds funds.

Storage keys are ``twox128(pallet) ++ twox128(item)`` (plus a hashed key for maps); values are
SCALE. Only what an operator checks before launching a network is decoded here.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from fennel_gov._codec import decode_compact, twox128
from fennel_gov.keys import ss58


def storage_prefix(pallet: str, item: str) -> bytes:
    return twox128(pallet.encode()) + twox128(item.encode())


def _accounts(value: bytes | None) -> list[bytes]:
    if not value:
        return []
    count, offset = decode_compact(value)
    return [value[offset + 32 * i : offset + 32 * (i + 1)] for i in range(count)]


@dataclass
class Validator:
    account: str
    aura: str | None = None
    grandpa: str | None = None


@dataclass
class FennelState:
    sudo: str | None
    validators: list[Validator]
    session_validators: list[str]
    aura_authorities: list[str]
    grandpa_authorities: list[tuple[str, int]]
    queued_additions: list[str]
    queued_removals: list[str]
    total_issuance: int | None
    balances: list[tuple[str, int, int]] = field(default_factory=list)  # (account, free, reserved)

    @property
    def account_count(self) -> int:
        return len(self.balances)


def read_state(top: dict[bytes, bytes], prefix: int = 42) -> FennelState:
    def address(account: bytes) -> str:
        return ss58.encode(account, prefix)

    sudo = top.get(storage_prefix("Sudo", "Key"))
    session_validators = [address(a) for a in _accounts(top.get(storage_prefix("Session", "Validators")))]
    next_keys_prefix = storage_prefix("Session", "NextKeys")
    next_keys: dict[str, tuple[bytes, bytes]] = {}
    for key, value in top.items():
        if key.startswith(next_keys_prefix) and len(value) >= 64:
            account = key[len(next_keys_prefix) + 8 :]  # Twox64Concat
            next_keys[address(account)] = (value[:32], value[32:64])
    validators = []
    for name in session_validators or sorted(next_keys):
        keys = next_keys.get(name)
        validators.append(
            Validator(
                account=name,
                aura=address(keys[0]) if keys else None,
                grandpa=address(keys[1]) if keys else None,
            )
        )
    aura = [address(a) for a in _accounts(top.get(storage_prefix("Aura", "Authorities")))]
    grandpa_raw = top.get(storage_prefix("Grandpa", "Authorities")) or b""
    grandpa = []
    if grandpa_raw:
        count, offset = decode_compact(grandpa_raw)
        for i in range(count):
            start = offset + 40 * i
            grandpa.append((address(grandpa_raw[start : start + 32]), int.from_bytes(grandpa_raw[start + 32 : start + 40], "little")))
    issuance = top.get(storage_prefix("Balances", "TotalIssuance"))
    account_prefix = storage_prefix("System", "Account")
    balances = []
    for key, value in top.items():
        if key.startswith(account_prefix) and len(key) == len(account_prefix) + 16 + 32 and len(value) >= 48:
            free = int.from_bytes(value[16:32], "little")
            reserved = int.from_bytes(value[32:48], "little")
            balances.append((address(key[-32:]), free, reserved))
    balances.sort(key=lambda row: (-row[1] - row[2], row[0]))
    return FennelState(
        sudo=address(sudo) if sudo and len(sudo) == 32 else None,
        validators=validators,
        session_validators=session_validators,
        aura_authorities=aura,
        grandpa_authorities=grandpa,
        queued_additions=[address(a) for a in _accounts(top.get(storage_prefix("ValidatorManager", "ValidatorsToAdd")))],
        queued_removals=[address(a) for a in _accounts(top.get(storage_prefix("ValidatorManager", "ValidatorsToRemove")))],
        total_issuance=int.from_bytes(issuance, "little") if issuance else None,
        balances=balances,
    )
