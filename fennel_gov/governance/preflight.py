"""The checks made before anything is signed, as pure functions of a ``SetSnapshot``.

They refuse locally what the chain would refuse (or worse, accept): a validator without session
keys (GRANDPA stalls when it is due), an account already active or queued, a removal below
``MinAuthorities``, a signer that is not the sudo key. They also compute what an operator needs
to decide: when the change is live and how much GRANDPA slack the new set has.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from fennel_gov.governance.chain import SetSnapshot


def grandpa_threshold(validators: int) -> int:
    """Votes GRANDPA needs to finalize with ``validators`` voters: n − ⌊(n−1)/3⌋."""
    return validators - (validators - 1) // 3 if validators > 0 else 0


def session_timing(snapshot: SetSnapshot) -> dict[str, int]:
    """Blocks to the next session change, and when a change queued now becomes live (session + 2)."""
    period = snapshot.session_period or 1
    head = snapshot.block_number
    offset = snapshot.session_offset
    # pallet-session's PeriodicSessions ends a session at blocks where (n - offset) % period == 0.
    if head < offset:
        next_change = offset
    else:
        next_change = head + (period - (head - offset) % period)
    blocks_to_next = next_change - head
    return {
        "current_session": snapshot.session_index,
        "next_session_block": next_change,
        "blocks_to_next_session": blocks_to_next,
        "live_from_session": snapshot.session_index + 2,
        "blocks_until_live": blocks_to_next + period,
    }


@dataclass
class Plan:
    problems: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    info: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.problems


def _effective_set(snapshot: SetSnapshot) -> list[str]:
    return [v for v in snapshot.validators if v not in snapshot.queued_removals] + [
        a for a in snapshot.queued_additions if a not in snapshot.validators
    ]


def _check_signer(plan: Plan, snapshot: SetSnapshot, signer: str | None) -> None:
    if signer is not None and snapshot.sudo is not None and signer != snapshot.sudo:
        plan.problems.append(f"the signer {signer} is not the sudo key {snapshot.sudo}; sign with the sudo key")
    if snapshot.sudo is None:
        plan.problems.append("this chain has no sudo key; validator changes need a runtime upgrade or governance")


def _finality(plan: Plan, before: int, after: int) -> None:
    need_before, need_after = grandpa_threshold(before), grandpa_threshold(after)
    plan.info["grandpa"] = {
        "validators_before": before,
        "threshold_before": need_before,
        "validators_after": after,
        "threshold_after": need_after,
        "slack_after": after - need_after,
    }
    if after and after - need_after == 0:
        plan.info["no_slack"] = True
        plan.warnings.append(
            f"with {after} validators GRANDPA needs all {need_after} votes: every validator, including a new one, "
            "must be online with its keys or finality stops"
        )


def plan_add(snapshot: SetSnapshot, accounts: list[str], signer: str | None) -> Plan:
    plan = Plan()
    _check_signer(plan, snapshot, signer)
    if len(set(accounts)) != len(accounts):
        plan.problems.append("an account is listed twice")
    for account in accounts:
        if account in snapshot.validators and account not in snapshot.queued_removals:
            plan.problems.append(f"{account} is already an active validator")
        elif account in snapshot.queued_additions:
            plan.problems.append(f"{account} is already queued to join (ValidatorManager.ValidatorsToAdd)")
        if snapshot.next_keys.get(account) is None:
            plan.problems.append(
                f"{account} has no session keys (Session.NextKeys): on its node run 'fennel-gov rotate-keys --node-url …', "
                "or 'fennel-gov set-keys KEYS' from that account; adding it now would stall finality"
            )
    current = _effective_set(snapshot)
    _finality(plan, len(current), len(current) + len(accounts))
    plan.info["timing"] = session_timing(snapshot)
    return plan


def plan_remove(snapshot: SetSnapshot, account: str, signer: str | None) -> Plan:
    plan = Plan()
    _check_signer(plan, snapshot, signer)
    if account not in snapshot.validators:
        if account in snapshot.queued_additions:
            plan.problems.append(f"{account} is queued to join but not active yet; it can be removed once it is a validator")
        else:
            plan.problems.append(f"{account} is not a validator (Session.Validators)")
    elif account in snapshot.queued_removals:
        plan.problems.append(f"{account} is already queued for removal")
    current, added, removed = len(snapshot.validators), len(snapshot.queued_additions), len(snapshot.queued_removals)
    remaining = current + added - removed - 1
    plan.info["arithmetic"] = {
        "current": current, "queued_additions": added, "queued_removals": removed,
        "after": remaining, "min_authorities": snapshot.min_authorities,
    }
    if remaining < snapshot.min_authorities:
        plan.problems.append(
            f"removing it leaves {current} + {added} queued − {removed} queued − 1 = {remaining} validators, "
            f"below MinAuthorities = {snapshot.min_authorities}; add a validator first"
        )
    _finality(plan, len(_effective_set(snapshot)), max(remaining, 0))
    plan.info["timing"] = session_timing(snapshot)
    return plan


def status_warnings(snapshot: SetSnapshot, finality_lag_limit: int) -> list[str]:
    warnings = []
    for account in snapshot.queued_additions:
        if snapshot.next_keys.get(account) is None:
            warnings.append(f"queued validator {account} has no session keys: finality will stall when it joins")
    for account in snapshot.validators:
        if snapshot.next_keys.get(account) is None:
            warnings.append(f"validator {account} has no next session keys")
    size = len(_effective_set(snapshot))
    if size <= snapshot.min_authorities:
        warnings.append(f"the set is at MinAuthorities ({snapshot.min_authorities}): no validator can be removed")
    lag = snapshot.block_number - snapshot.finalized_number
    if lag > finality_lag_limit:
        warnings.append(
            f"finality is {lag} blocks behind the best block: GRANDPA may be stalled (check validators, then "
            "'fennel-gov recover-finality')"
        )
    return warnings
