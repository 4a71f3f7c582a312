"""The checks made before anything is signed, as pure functions of a ``SetSnapshot``.

They refuse locally what the chain would refuse — and what it would accept and then silently drop
at the session change (see ``validator_set``): a validator without session keys, an account already
active or queued, a removal the pallet refuses (``TooFewValidators``) or that the next rotation would
drop below ``MinAuthorities`` together with every other pending change. Every count in a message is
computed by the same model the projection uses, so the words and the arithmetic always agree.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from fennel_gov.governance.validator_set import Rotation, SetSnapshot


def grandpa_threshold(validators: int) -> int:
    """Votes GRANDPA needs to finalize with ``validators`` voters: n − ⌊(n−1)/3⌋."""
    return validators - (validators - 1) // 3 if validators > 0 else 0


def session_timing(snapshot: SetSnapshot) -> dict[str, int]:
    """When the next session starts, and when a change queued now becomes live (session N+2)."""
    next_block = snapshot.next_session_block
    return {
        "current_session": snapshot.session_index,
        "next_session_block": next_block,
        "blocks_to_next_session": next_block - snapshot.block_number,
        "live_from_session": snapshot.session_index + 2,
        "live_from_block": snapshot.projected_session_block,
        "blocks_until_live": snapshot.projected_session_block - snapshot.block_number,
    }


@dataclass
class Plan:
    problems: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    info: dict[str, Any] = field(default_factory=dict)
    blocking: list[str] = field(default_factory=list)  # problems that force does not override (not the sudo key)

    @property
    def ok(self) -> bool:
        return not self.problems


def sudo_problem(sudo: str | None, signer: str | None) -> str | None:
    """The one sudo check: every Sudo.sudo / sudo_as call is refused unless the signer is the sudo key."""
    if sudo is None:
        return "this chain has no sudo key; validator changes need a runtime upgrade or governance"
    if signer is not None and signer != sudo:
        return f"the signer {signer} is not the sudo key {sudo}; sign with the sudo key"
    return None


def _check_signer(plan: Plan, snapshot: SetSnapshot, signer: str | None) -> None:
    problem = sudo_problem(snapshot.sudo, signer)
    if problem:
        plan.problems.append(problem)
        plan.blocking.append(problem)


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


def _voters_now(snapshot: SetSnapshot) -> int:
    # What GRANDPA needs today is set by its authorities (status shows the same figure).
    return len(snapshot.grandpa_authorities) or len(snapshot.validators)


def drop_sentence(snapshot: SetSnapshot, rotation: Rotation, *, this: str, remedy: str) -> str:
    """Why the chain would accept ``this`` and then drop it, in words and numbers."""
    lost = snapshot.queued_additions
    sentence = (
        f"the chain would accept {this} but drop it at the session change at block #{snapshot.next_session_block}: "
        f"{rotation.arithmetic()}, below MinAuthorities = {rotation.min_authorities}, so the chain keeps the next "
        "session's set and empties both queues"
    )
    if lost:
        sentence += f" (the pending additions of {', '.join(dict.fromkeys(lost))} would vanish)"
    return f"{sentence}; {remedy}"


def plan_add(snapshot: SetSnapshot, accounts: list[str], signer: str | None) -> Plan:
    plan = Plan()
    _check_signer(plan, snapshot, signer)
    queued = snapshot.queued
    for account in dict.fromkeys(a for a in accounts if accounts.count(a) > 1):
        plan.problems.append(
            f"{account} is listed twice; the chain refuses the whole call (ValidatorManager.ValidatorAlreadyAdded)"
        )
    for account in dict.fromkeys(accounts):
        leaving = account in snapshot.queued_removals
        if account in snapshot.queued_additions:
            plan.problems.append(f"{account} is already queued to join (ValidatorManager.ValidatorsToAdd)")
        elif account in queued and not leaving:
            if account in snapshot.validators:
                plan.problems.append(f"{account} is already an active validator")
            else:
                plan.problems.append(
                    f"{account} already joins the set at session {snapshot.session_index + 1} "
                    f"(block #{snapshot.next_session_block}; Session.QueuedKeys)"
                )
        if snapshot.next_keys.get(account) is None:
            plan.problems.append(
                f"{account} has no session keys (Session.NextKeys): on its node run 'fennel-gov rotate-keys --node-url …', "
                "or 'fennel-gov set-keys KEYS' from that account; adding it now would stall finality"
            )
    rotation = snapshot.rotation(add=list(dict.fromkeys(accounts)))
    plan.info["rotation"] = _rotation_info(rotation)
    if rotation.dropped:
        plan.problems.append(drop_sentence(
            snapshot, rotation, this="this addition",
            remedy=f"add at least {rotation.min_authorities - len(rotation.result)} more in the same call",
        ))
    _finality(plan, _voters_now(snapshot), len(rotation.next_set))
    plan.info["timing"] = session_timing(snapshot)
    return plan


def plan_remove(snapshot: SetSnapshot, account: str, signer: str | None) -> Plan:
    plan = Plan()
    _check_signer(plan, snapshot, signer)
    next_session = snapshot.session_index + 1
    current, added, removed = len(snapshot.validators), len(snapshot.queued_additions), len(snapshot.queued_removals)
    counted = current + added - removed - 1
    # The pallet's own check (remove_validator), on the current set and raw queue lengths.
    plan.info["arithmetic"] = {
        "current": current, "queued_additions": added, "queued_removals": removed,
        "after": max(counted, 0), "min_authorities": snapshot.min_authorities,
    }
    rotation = snapshot.rotation(remove=[account])
    plan.info["rotation"] = _rotation_info(rotation)
    if account not in snapshot.validators:
        if account in snapshot.queued:
            plan.problems.append(
                f"{account} joins the set only at session {next_session} (block #{snapshot.next_session_block}); "
                "the chain refuses to remove it before then (ValidatorManager.NotValidator)"
            )
        elif account in snapshot.queued_additions:
            plan.problems.append(
                f"{account} is queued to join (ValidatorManager.ValidatorsToAdd) but not active yet; "
                "the chain refuses to remove it before it is (ValidatorManager.NotValidator)"
            )
        else:
            plan.problems.append(f"{account} is not a validator (Session.Validators)")
    elif account in snapshot.queued_removals:
        plan.problems.append(f"{account} is already queued for removal (ValidatorManager.ValidatorsToRemove)")
    elif account not in snapshot.queued:
        plan.problems.append(
            f"{account} already leaves the set at session {next_session} (block #{snapshot.next_session_block}; "
            "it is not in Session.QueuedKeys): removing it again changes nothing"
        )
    elif account in snapshot.queued_additions:
        plan.problems.append(
            f"{account} is also queued to join (ValidatorManager.ValidatorsToAdd): at the session change the chain "
            "removes it and adds it back, so this removal changes nothing"
        )
    elif counted < snapshot.min_authorities:
        shown = f"{counted}" if counted >= 0 else f"{counted}, counted as 0"
        plan.problems.append(
            f"the chain refuses this removal (ValidatorManager.TooFewValidators): it counts {current} active + "
            f"{added} queued to join − {removed} queued to leave − 1 = {shown}, below MinAuthorities = "
            f"{snapshot.min_authorities}; add a validator first"
        )
    elif rotation.dropped:
        plan.problems.append(drop_sentence(
            snapshot, rotation, this="this removal", remedy="add a validator first"
        ))
    _finality(plan, _voters_now(snapshot), len(rotation.next_set))
    plan.info["timing"] = session_timing(snapshot)
    return plan


def _rotation_info(rotation: Rotation) -> dict[str, Any]:
    return {
        "next_session_set": list(rotation.base),
        "leaving": rotation.leaving,
        "joining": rotation.joining,
        "after": len(rotation.result),
        "dropped": rotation.dropped,
    }


def status_warnings(snapshot: SetSnapshot, finality_lag_limit: int) -> list[str]:
    warnings = []
    rotation = snapshot.rotation()
    if rotation.pending and rotation.dropped:
        parts = []
        if rotation.removals:
            parts.append(f"removal of {', '.join(dict.fromkeys(rotation.removals))}")
        if rotation.additions:
            parts.append(f"addition of {', '.join(dict.fromkeys(rotation.additions))}")
        warnings.append(
            f"the pending {' and '.join(parts)} will be DROPPED at the session change at block "
            f"#{snapshot.next_session_block}: {rotation.arithmetic()}, below MinAuthorities = "
            f"{rotation.min_authorities}; the chain keeps the next session's set and empties both queues"
        )
    for account in dict.fromkeys(rotation.removals):
        if account not in snapshot.queued and not rotation.dropped:
            warnings.append(f"the queued removal of {account} changes nothing: it is not in the next session's set")
    for account in snapshot.queued_additions:
        if snapshot.next_keys.get(account) is None:
            warnings.append(f"queued validator {account} has no session keys: pallet-session will leave it out of the set")
    for account in snapshot.validators:
        if snapshot.next_keys.get(account) is None:
            warnings.append(f"validator {account} has no next session keys")
    size = len(snapshot.projected_validators or snapshot.queued)
    minimum = snapshot.min_authorities
    if size < minimum:
        warnings.append(
            f"the set will have {size} validator{'s' if size != 1 else ''}, fewer than MinAuthorities ({minimum}): "
            f"no validator can be removed, and a change takes effect only if it leaves at least {minimum}"
        )
    elif size == minimum:
        warnings.append(f"the set is at MinAuthorities ({minimum}): no validator can be removed until one is added")
    lag = snapshot.block_number - snapshot.finalized_number
    if lag > finality_lag_limit:
        warnings.append(
            f"finality is {lag} blocks behind the best block: GRANDPA may be stalled (check validators, then "
            "'fennel-gov recover-finality')"
        )
    return warnings
