"""``--wait effective``: follow the session changes after a validator change until it is live, or dropped.

The queues are applied at the first session change after the block that holds the extrinsic (block
S1, see ``validator_set``), into ``Session.QueuedKeys``; they go live one session later (S2 = S1 +
period) in ``Session.Validators``, ``Aura.Authorities`` and, once its change is enacted,
``Grandpa.Authorities``. Only finalized blocks are read, so what is reported cannot be reverted.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Callable

from fennel_gov.errors import ChangeDropped, Failure
from fennel_gov.governance.chain import LINK_ERRORS, Chain
from fennel_gov.governance.validator_set import SessionClock


HEAD_WAIT = 5.0  # seconds to wait for a finalized-head notification before checking the deadline again


class EffectTimedOut(Failure):
    """The change was accepted but not seen live in time."""


@dataclass
class Effect:
    """The change as it is live: the session and block where it was confirmed, and the sets there."""

    session_index: int
    block_number: int
    validators: list[str]
    aura_authorities: list[str] = field(default_factory=list)
    grandpa_authorities: list[str] = field(default_factory=list)


def _key_addresses(chain: Chain, account: str, block_hash: str) -> tuple[str, str] | None:
    keys = chain.next_keys(account, block_hash)
    if keys is None:
        return None
    return chain.address(keys.aura), chain.address(keys.grandpa)


class FinalizedHeads:
    """The finalized block number as the node announces it: over ws a ``chain_subscribeFinalizedHeads``
    subscription (no polling), over http (or a node that refuses the subscription) a poll every ``poll`` s."""

    def __init__(self, chain: Chain, poll: float) -> None:
        self.chain = chain
        self.poll = poll
        self.subscription: str | None = None
        self.known: int | None = None

    def lost(self) -> None:
        """The connection broke: the next ``wait`` reconnects, asks once and subscribes again."""
        self.subscription, self.known = None, None
        try:
            self.chain.reconnect()
        except LINK_ERRORS:
            pass

    def wait(self, timeout: float) -> int:
        """The finalized number now (first call) or after news within ``timeout`` (at most a few seconds)."""
        from fennel_gov.governance.chain import header_number
        from fennel_gov.governance.rpc import NodeRefused

        if self.known is None:
            self.known = self.chain.finalized_number()
            if self.chain.client.url.startswith("ws"):
                try:
                    self.subscription = self.chain.client.subscribe("chain_subscribeFinalizedHeads", [])
                except NodeRefused:
                    self.subscription = None
            return self.known
        if self.subscription is None:
            time.sleep(min(self.poll, timeout))
            self.known = self.chain.finalized_number()
            return self.known
        header = self.chain.client.next_notification(self.subscription, min(timeout, HEAD_WAIT))
        if header is not None:
            self.known = max(self.known, header_number(header))
        return self.known


def follow(
    chain: Chain,
    *,
    kind: str,
    accounts: list[str],
    included_block: int,
    deadline: float,
    progress: Callable[[str], None] | None = None,
    poll: float = 0.5,
) -> Effect:
    """Wait until ``accounts`` joined (``kind="add"``) or left (``"remove"``) the live set; raise ChangeDropped if the chain dropped it."""
    say = progress or (lambda _message: None)
    period = int(chain.constant("ValidatorManager", "SessionPeriod") or 1)
    clock = SessionClock(period, int(chain.constant("ValidatorManager", "SessionOffset") or 0))
    applied_at = clock.next_change(included_block)
    live_at = applied_at + period
    joining = kind == "add"

    def wanted(accounts_now: list[str]) -> bool:
        return all((a in accounts_now) == joining for a in accounts)

    heads = FinalizedHeads(chain, poll)

    def finalized_at_least(number: int, what: str) -> int:
        told = False
        while True:
            try:
                finalized = heads.wait(max(0.0, deadline - time.monotonic()))
                if finalized >= number:
                    return finalized
                if not told:
                    say(f"waiting for block #{number} ({what}); finalized #{finalized}")
                    told = True
            except LINK_ERRORS:
                say("connection lost; reconnecting")
                heads.lost()
                time.sleep(poll)
            if time.monotonic() >= deadline:
                raise EffectTimedOut(
                    f"the change is on chain (block #{included_block}) but block #{number} ({what}) was not finalized "
                    "in time; see 'fennel-gov status'"
                )

    finalized_at_least(applied_at, "the session change that applies the queues")
    before = chain.snapshot(at=applied_at - 1)
    rotation = before.rotation()
    queued = [chain.address(e[0]) for e in chain.query("Session", "QueuedKeys", block_hash=chain.block_hash(applied_at)) or []]
    if not wanted(queued):
        if rotation.dropped:
            reason = (
                f"{rotation.arithmetic()}, below MinAuthorities = {rotation.min_authorities}; the chain kept the next "
                "session's set and emptied both queues"
            )
            lost = [a for a in dict.fromkeys(rotation.additions) if a not in accounts]
            if lost:
                reason += f" (the pending additions of {', '.join(lost)} were lost too)"
        else:
            missing = before.without_keys(accounts)
            reason = f"{', '.join(missing)} had no session keys, so pallet-session left them out" if missing else (
                f"the next session's set is {', '.join(queued) or 'empty'}"
            )
        raise ChangeDropped(
            f"the chain DROPPED the change at the session change at block #{applied_at} "
            f"(session {before.session_index + 1}): {reason}"
        )
    say(f"queued for session {before.session_index + 2} at block #{applied_at}; live from block #{live_at}")
    keys = {a: _key_addresses(chain, a, before.block_hash) for a in accounts}
    finalized = finalized_at_least(live_at, "the session change that makes it live")
    while True:
        now = chain.snapshot(at=finalized)
        aura_ok = all(k is None or (k[0] in now.aura_authorities) == joining for k in keys.values())
        grandpa_ok = all(k is None or (k[1] in now.grandpa_authorities) == joining for k in keys.values())
        if wanted(now.validators) and aura_ok and grandpa_ok:
            say(f"live in session {now.session_index} (block #{finalized})")
            return Effect(now.session_index, finalized, now.validators, now.aura_authorities, now.grandpa_authorities)
        if time.monotonic() >= deadline:
            missing = [name for name, ok in (("Session.Validators", wanted(now.validators)), ("Aura.Authorities", aura_ok),
                                             ("Grandpa.Authorities", grandpa_ok)) if not ok]
            raise EffectTimedOut(
                f"at finalized block #{finalized} the change is not yet in {', '.join(missing)}; see 'fennel-gov status'"
            )
        finalized = finalized_at_least(finalized + 1, "the GRANDPA authority change")
