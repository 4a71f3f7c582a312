"""The validator set as the chain will really have it: current, queued, pending, projected.

A pure model (no I/O) of two pieces of runtime code, read from their sources:

* pallet-session's ``rotate_session`` (polkadot-sdk ``substrate/frame/session``): at the first block
  of session N+1, ``Session.Validators`` becomes the accounts of ``Session.QueuedKeys`` (the set
  queued during session N); then ``SessionManager::new_session(N+2)`` is asked for the set after
  that. If it answers ``None`` the current set is queued again. Accounts without
  ``Session.NextKeys`` are left out of ``QueuedKeys`` (``load_keys``).
* Fennel's validator-manager ``new_session`` (fennel-solonet ``pallets/validator-manager``): takes
  ``ValidatorsToRemove`` and ``ValidatorsToAdd`` (both queues are emptied, whatever happens),
  ``swap_remove``s each removal from ``Session.Validators`` — which at that moment is the *queued*
  set — appends each addition not already present, removes duplicates, and answers ``None`` when
  fewer than ``MinAuthorities`` remain: the pending change is dropped, both queues are lost.

Its ``remove_validator`` checks ``MinAuthorities`` against the *current* set (``current + queued
additions − queued removals − 1``), which is why a removal the chain accepts can still be dropped.

Sessions end at blocks ``n`` with ``n ≥ offset`` and ``(n − offset) % period == 0``
(``PeriodicSessions``); the rotation runs in that block's ``on_initialize``, so a set is live from
that block on, and an extrinsic in that block waits for the next rotation.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field


@dataclass(frozen=True)
class SessionClock:
    """``PeriodicSessions<period, offset>``: which blocks start a session."""

    period: int
    offset: int

    def next_change(self, after_block: int) -> int:
        """The first block after ``after_block`` that starts a new session."""
        period = max(self.period, 1)
        if after_block < self.offset:
            return self.offset
        return after_block + period - (after_block - self.offset) % period


def _swap_remove_first(items: list[str], value: str) -> None:
    # Rust's `iter().position(..)` then `swap_remove`: the last element takes the removed one's place.
    if value in items:
        position = items.index(value)
        items[position] = items[-1]
        items.pop()


@dataclass(frozen=True)
class Rotation:
    """What ``new_session`` does with the pending queues at the next session change."""

    base: tuple[str, ...]  # the set the queues apply to: Session.QueuedKeys, current then
    removals: tuple[str, ...]  # ValidatorsToRemove, in order
    additions: tuple[str, ...]  # ValidatorsToAdd, in order
    after_removals: tuple[str, ...]
    result: tuple[str, ...]  # before the MinAuthorities check
    min_authorities: int

    @property
    def dropped(self) -> bool:
        """The result is below MinAuthorities: ``new_session`` answers None and both queues are lost."""
        return len(self.result) < self.min_authorities

    @property
    def pending(self) -> bool:
        return bool(self.removals or self.additions)

    @property
    def leaving(self) -> int:
        return len(self.base) - len(self.after_removals)

    @property
    def joining(self) -> int:
        return len(self.result) - len(self.after_removals)

    @property
    def next_set(self) -> tuple[str, ...]:
        """The set the chain queues at that change (before pallet-session drops accounts without keys)."""
        return self.base if self.dropped else self.result

    def arithmetic(self, subject: str = "the next session's set") -> str:
        """The count in words; true by construction, whatever the queues hold."""
        return (
            f"{subject} has {len(self.base)}, − {self.leaving} leaving + {self.joining} joining "
            f"= {len(self.result)}"
        )


def rotate(base: list[str] | tuple[str, ...], removals, additions, min_authorities: int) -> Rotation:
    """validator-manager's ``new_session`` applied to ``base`` (the set ``Session.Validators`` holds then)."""
    validators = list(base)
    for account in removals:
        _swap_remove_first(validators, account)
    after_removals = tuple(validators)
    for account in additions:
        if account not in validators:
            validators.append(account)
    result: list[str] = []
    for account in validators:
        if account not in result:
            result.append(account)
    return Rotation(
        base=tuple(base), removals=tuple(removals), additions=tuple(additions),
        after_removals=after_removals, result=tuple(result), min_authorities=min_authorities,
    )


@dataclass
class SetSnapshot:
    """Where the validator set stands, read at one block."""

    block_number: int
    block_hash: str
    finalized_number: int
    session_index: int
    session_period: int
    session_offset: int
    validators: list[str]  # Session.Validators: live now (session N)
    queued_additions: list[str]  # ValidatorManager.ValidatorsToAdd
    queued_removals: list[str]  # ValidatorManager.ValidatorsToRemove
    min_authorities: int
    sudo: str | None
    queued_validators: list[str] | None = None  # Session.QueuedKeys accounts: live from session N+1
    next_keys: dict = field(default_factory=dict)  # account -> SessionKeys | None
    aura_authorities: list[str] = field(default_factory=list)
    grandpa_authorities: list[str] = field(default_factory=list)

    @property
    def queued(self) -> list[str]:
        return list(self.validators if self.queued_validators is None else self.queued_validators)

    @property
    def clock(self) -> SessionClock:
        return SessionClock(self.session_period, self.session_offset)

    @property
    def next_session_block(self) -> int:
        """The block where session N+1 starts (the queued set goes live, the pending queues are applied)."""
        return self.clock.next_change(self.block_number)

    @property
    def projected_session_block(self) -> int:
        """The block where session N+2 starts (the projected set goes live)."""
        return self.next_session_block + max(self.session_period, 1)

    def rotation(self, *, add: Sequence[str] = (), remove: Sequence[str] = ()) -> Rotation:
        """The next rotation, optionally with more additions or removals queued first."""
        return rotate(
            self.queued, [*self.queued_removals, *remove], [*self.queued_additions, *add], self.min_authorities
        )

    def without_keys(self, accounts) -> list[str]:
        """Those of ``accounts`` known to have no ``Session.NextKeys`` (pallet-session leaves them out)."""
        return [a for a in accounts if a in self.next_keys and self.next_keys[a] is None]

    @property
    def projected_validators(self) -> list[str] | None:
        """Session N+2's set, or None when the pending change will be dropped (both queues lost)."""
        rotation = self.rotation()
        if rotation.dropped and rotation.pending:
            return None
        missing = set(self.without_keys(rotation.next_set))
        return [a for a in rotation.next_set if a not in missing]

    @property
    def pending_change_dropped(self) -> bool:
        rotation = self.rotation()
        return rotation.pending and rotation.dropped
