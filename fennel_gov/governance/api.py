"""The governance API: ``connect(url)`` gives a ``Network`` whose methods are the governance acts.

Each act reads the chain, runs the preflight checks (``PreflightRefused`` unless ``force=True``),
signs with the next nonce under a (signer, chain) lock, sends once, follows to ``wait`` and returns a
``Receipt`` — or raises: ``SubmissionFailed`` when the extrinsic or the call inside ``Sudo.sudo`` /
``sudo_as`` failed, ``ChangeDropped`` when ``wait="effective"`` sees the chain drop the change. The
CLI is a thin layer over this module: it calls ``prepare_*``, shows the plan, asks, then ``send``.
"""

from __future__ import annotations

from collections.abc import Sequence

import dataclasses
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable

from fennel_gov.errors import BadInput, ChangeDropped, Failure, PreflightRefused, SubmissionFailed
from fennel_gov.governance.chain import Chain, ChainSigner, Receipt
from fennel_gov.governance.config import Network as NetworkConfig
from fennel_gov.governance.preflight import Plan, grandpa_threshold, plan_add, plan_remove, status_warnings, sudo_problem
from fennel_gov.keys import KeyPair, SessionKeys, ss58

if TYPE_CHECKING:
    from fennel_gov.governance.upgrade import PreparedUpgrade, UpgradeReceipt

WAITS = ("included", "finalized", "effective")
DEFAULT_TIMEOUT = 300.0
EFFECTIVE_TIMEOUT = 1200.0  # two sessions and a GRANDPA change: 30-block sessions of 6 s need ~6 min


def check_wait(wait: str, timeout: float | None, *, effective_allowed: bool = True) -> float:
    """Validate ``wait`` and ``timeout`` before anything is read or sent; returns the timeout to use."""
    if wait not in WAITS:
        raise BadInput(f"--wait takes included, finalized or effective, not {wait!r}")
    if wait == "effective" and not effective_allowed:
        raise BadInput("--wait effective applies to add-validator and remove-validator; use included or finalized")
    if timeout is not None and not (timeout > 0 and timeout != float("inf")):
        raise BadInput(f"--timeout takes a positive number of seconds, not {timeout:g}")
    return timeout if timeout is not None else (EFFECTIVE_TIMEOUT if wait == "effective" else DEFAULT_TIMEOUT)


@dataclass
class Status:
    """The chain's validator set and its whole pending state, read at one block."""

    genesis_hash: str
    best_block: int
    finalized_block: int
    session_index: int
    session_period: int
    session_offset: int
    next_session_block: int  # session N+1 starts: the queued set goes live, the queues are applied
    projected_session_block: int  # session N+2 starts: the projected set goes live
    validators: list[str]  # Session.Validators (session N, live now)
    queued_validators: list[str]  # Session.QueuedKeys (session N+1)
    projected_validators: list[str] | None  # session N+2, or None when the pending change will be dropped
    pending_change_dropped: bool
    queued_additions: list[str]  # ValidatorManager.ValidatorsToAdd
    queued_removals: list[str]  # ValidatorManager.ValidatorsToRemove
    next_keys: dict[str, str | None]
    aura_authorities: list[str]
    grandpa_authorities: list[str]
    min_authorities: int
    sudo: str | None
    warnings: list[str] = field(default_factory=list)

    @property
    def finality_lag(self) -> int:
        return self.best_block - self.finalized_block

    @property
    def blocks_to_next_session(self) -> int:
        return self.next_session_block - self.best_block

    @property
    def grandpa_threshold(self) -> int:
        return grandpa_threshold(len(self.grandpa_authorities))

    def to_json(self) -> dict[str, Any]:
        live = self.session_index + 2
        return {
            "genesis_hash": self.genesis_hash,
            "session_index": self.session_index,
            "blocks_to_next_session": self.blocks_to_next_session,
            "next_session_block": self.next_session_block,
            "projected_session_block": self.projected_session_block,
            "session_period": self.session_period,
            "validators": self.validators,
            "queued_validators": self.queued_validators,
            "projected_validators": self.projected_validators,
            "pending_change_dropped": self.pending_change_dropped,
            "queued_additions": [{"account": a, "live_from_session": live} for a in self.queued_additions],
            "queued_removals": [{"account": a, "live_from_session": live} for a in self.queued_removals],
            "next_keys": self.next_keys,
            "aura_authorities": self.aura_authorities,
            "grandpa_authorities": self.grandpa_authorities,
            "grandpa_threshold": self.grandpa_threshold,
            "min_authorities": self.min_authorities,
            "sudo": self.sudo,
            "best_block": self.best_block,
            "finalized_block": self.finalized_block,
            "finality_lag": self.finality_lag,
            "warnings": self.warnings,
        }


@dataclass
class Prepared:
    """A checked call, ready to sign: what the CLI shows before asking."""

    action: str
    call: Any = field(repr=False)
    call_data: str
    summary: dict[str, Any]
    plan: Plan | None = None
    fee_estimate: int | None = None
    signer: str | None = None
    effect: tuple[str, list[str]] | None = None  # ("add" | "remove", accounts) for wait="effective"
    expect_keys: tuple[str, SessionKeys] | None = None  # set-keys: the account whose NextKeys must show them

    @property
    def warnings(self) -> list[str]:
        return self.plan.warnings if self.plan else []


def _address(text: str, ss58_format: int) -> str:
    # An address of another network is refused, not silently re-encoded: it is usually the wrong account.
    decoded = ss58.decode(text, expect_prefix=ss58_format)
    if len(decoded.payload) != 32:
        raise ss58.InvalidAddress(f"{text} is not a 32-byte account address")
    return ss58.encode(decoded.payload, ss58_format)


def _signer_address(signer: KeyPair | None, ss58_format: int) -> str | None:
    return ss58.encode(signer.account_id, ss58_format) if signer is not None else None


class Network:
    """A connection to one Fennel chain; every governance act is a method."""

    def __init__(self, chain: Chain) -> None:
        self.chain = chain

    @property
    def url(self) -> str:
        return self.chain.network.url

    @property
    def genesis_hash(self) -> str:
        return self.chain.genesis_hash

    def __repr__(self) -> str:
        return f"Network({self.url}, genesis {self.genesis_hash})"

    def close(self) -> None:
        try:
            self.chain.substrate.close()
        except Exception:  # noqa: BLE001 - closing a broken connection
            pass

    def __enter__(self) -> "Network":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def address(self, text: str) -> str:
        return _address(text, self.chain.ss58_format)

    # -- reads ----------------------------------------------------------------------------------

    def status(self, *, finality_lag: int = 20) -> Status:
        snap = self.chain.snapshot()
        return Status(
            genesis_hash=self.chain.genesis_hash,
            best_block=snap.block_number,
            finalized_block=snap.finalized_number,
            session_index=snap.session_index,
            session_period=snap.session_period,
            session_offset=snap.session_offset,
            next_session_block=snap.next_session_block,
            projected_session_block=snap.projected_session_block,
            validators=snap.validators,
            queued_validators=snap.queued,
            projected_validators=snap.projected_validators,
            pending_change_dropped=snap.pending_change_dropped,
            queued_additions=snap.queued_additions,
            queued_removals=snap.queued_removals,
            next_keys={a: (k.to_hex() if k else None) for a, k in snap.next_keys.items()},
            aura_authorities=snap.aura_authorities,
            grandpa_authorities=snap.grandpa_authorities,
            min_authorities=snap.min_authorities,
            sudo=snap.sudo,
            warnings=status_warnings(snap, finality_lag),
        )

    def _account_exists(self, address: str) -> bool:
        return int(self.chain.account(address).get("providers", 0)) > 0

    def _free_balance(self, address: str) -> int:
        return int((self.chain.account(address).get("data") or {}).get("free", 0))

    # -- preparing ------------------------------------------------------------------------------

    def _finish(self, prepared: Prepared, signer: KeyPair | None, problems: list[str], force: bool,
                blocking: Sequence[str] = ()) -> Prepared:
        """Fee and balance checks, then refuse (or, with force, demote problems to warnings).

        ``blocking`` problems are refused even with force (a signer that is not the sudo key: the chain
        would refuse the call and keep the fee).
        """
        if blocking:
            raise PreflightRefused(list(blocking))
        problems = list(problems)
        if signer is not None:
            prepared.signer = _signer_address(signer, self.chain.ss58_format)
            prepared.fee_estimate = self.chain.fee(prepared.call, ChainSigner(signer, self.chain.ss58_format))
            assert prepared.signer is not None  # set just above from a signer
            free = self._free_balance(prepared.signer)
            if prepared.fee_estimate is not None and free < prepared.fee_estimate:
                problems.append(
                    f"the signer {prepared.signer} cannot pay the fee: it holds {free / 10**12:.6f} FNL, the fee is "
                    f"about {prepared.fee_estimate / 10**12:.6f} FNL; fund the account first"
                )
        if prepared.plan is None:
            prepared.plan = Plan()
        if problems and not force:
            raise PreflightRefused(problems)
        prepared.plan.warnings.extend(f"check overridden by force: {p}" for p in problems)
        prepared.summary.update({
            "call_data": prepared.call_data,
            "plan": prepared.plan.info,
            "warnings": prepared.plan.warnings,
            "fee_estimate": str(prepared.fee_estimate) if prepared.fee_estimate is not None else None,
        })
        return prepared

    def _wrap_sudo(self, inner):
        call = self.chain.compose("Sudo", "sudo", {"call": inner})
        return call, self.chain.call_hex(call)

    def prepare_add(self, accounts: list[str], *, signer: KeyPair | None = None, force: bool = False) -> Prepared:
        wanted = [self.address(a) for a in accounts]
        if not wanted:
            raise BadInput("name at least one account to add")
        snapshot = self.chain.snapshot(wanted)
        plan = plan_add(snapshot, wanted, _signer_address(signer, self.chain.ss58_format))
        call, data = self._wrap_sudo(self.chain.compose("ValidatorManager", "register_validators", {"validators": wanted}))
        prepared = Prepared("add-validator", call, data, {"action": "add-validator", "accounts": wanted}, plan,
                            effect=("add", list(dict.fromkeys(wanted))))
        problems, plan.problems = plan.problems, []
        return self._finish(prepared, signer, problems, force, plan.blocking)

    def prepare_remove(self, account: str, *, signer: KeyPair | None = None, force: bool = False) -> Prepared:
        target = self.address(account)
        snapshot = self.chain.snapshot()
        plan = plan_remove(snapshot, target, _signer_address(signer, self.chain.ss58_format))
        call, data = self._wrap_sudo(self.chain.compose("ValidatorManager", "remove_validator", {"validator": target}))
        prepared = Prepared("remove-validator", call, data, {"action": "remove-validator", "account": target}, plan,
                            effect=("remove", [target]))
        problems, plan.problems = plan.problems, []
        return self._finish(prepared, signer, problems, force, plan.blocking)

    def _set_keys_call(self, keys: SessionKeys, proof: bytes, *, check: bool = True):
        problems = keys.problems() if check else []
        if problems:
            raise BadInput(f"these session keys could never sign ({'; '.join(problems)}); check the bytes (aura first, then grandpa)")
        if check and not self.chain.decode_session_keys(keys.encode()):
            raise BadInput("this runtime does not decode these bytes as its SessionKeys; check they came from this chain's node")
        return self.chain.compose("Session", "set_keys", {
            "keys": {"aura": "0x" + keys.aura.hex(), "grandpa": "0x" + keys.grandpa.hex()},
            "proof": "0x" + proof.hex(),
        })

    def prepare_set_keys(
        self, keys: SessionKeys | str, *, signer: KeyPair | None = None, for_account: str | None = None,
        proof: bytes = b"", force: bool = False, action: str = "set-keys", _placeholder: bool = False,
    ) -> Prepared:
        keys = SessionKeys.decode(keys) if isinstance(keys, str) else keys
        call = self._set_keys_call(keys, proof, check=not _placeholder)
        summary: dict[str, Any] = {"action": action, "session_keys": keys.to_hex()}
        problems: list[str] = []
        signer_address = _signer_address(signer, self.chain.ss58_format)
        if signer_address:
            summary["signer"] = signer_address
        who: str | None
        if for_account:
            who = self.address(for_account)
            summary["for"] = who
            call = self.chain.compose("Sudo", "sudo_as", {"who": who, "call": call})
            blocking = [p for p in [sudo_problem(self.chain.sudo_key(), signer_address)] if p]
            if not self._account_exists(who):
                # pallet-session takes a consumer reference on the account: it must exist (Session.NoAccount).
                problems.append(f"{who} does not exist on chain (no balance): fund it with at least the existential deposit first")
        else:
            blocking = []
            who = signer_address
            if who and not self._account_exists(who):
                problems.append(f"the signer {who} does not exist on chain (no balance): fund it first")
        prepared = Prepared(action, call, self.chain.call_hex(call), summary,
                            expect_keys=(who, keys) if who else None)
        return self._finish(prepared, signer, problems, force, blocking)

    def prepare_recover_finality(
        self, *, delay: int = 10, signer: KeyPair | None = None, force: bool = False, stall_threshold: int = 20,
    ) -> Prepared:
        if delay < 0:
            raise BadInput("--delay is a number of blocks, 0 or more")
        best, finalized = self.chain.best_number(), self.chain.finalized_number()
        problems = []
        blocking = [p for p in [sudo_problem(self.chain.sudo_key(), _signer_address(signer, self.chain.ss58_format))] if p]
        if best - finalized <= stall_threshold:
            problems.append(
                f"finality is healthy: the finalized block #{finalized} is {best - finalized} blocks behind the best "
                f"#{best} (stall threshold {stall_threshold}); note_stalled would force an authority-set change for nothing"
            )
        inner = self.chain.compose("Grandpa", "note_stalled", {"delay": delay, "best_finalized_block_number": finalized})
        call, data = self._wrap_sudo(inner)
        prepared = Prepared("recover-finality", call, data,
                            {"action": "recover-finality", "delay": delay, "best_finalized": finalized})
        return self._finish(prepared, signer, problems, force, blocking)

    # -- sending --------------------------------------------------------------------------------

    def send(
        self, prepared: Prepared, *, signer: KeyPair, wait: str = "finalized", timeout: float | None = None,
        progress: Callable[[str], None] | None = None,
    ) -> Receipt:
        timeout = check_wait(wait, timeout, effective_allowed=prepared.effect is not None)
        if _signer_address(signer, self.chain.ss58_format) != prepared.signer:
            raise BadInput("sign with the key the call was prepared for")
        deadline = time.monotonic() + timeout
        if prepared.expect_keys is not None:
            # Read with the receipt's events, in the same request.
            self.chain.prefetch = [("Session", "NextKeys", [prepared.expect_keys[0]])]
        receipt = self.chain.submit(
            prepared.call, ChainSigner(signer, self.chain.ss58_format),
            wait="included" if wait == "included" else "finalized", timeout=timeout, progress=progress,
        )
        receipt = dataclasses.replace(receipt, action=prepared.action, call_data=prepared.call_data,
                                      fee_estimate=prepared.fee_estimate, warnings=list(prepared.warnings),
                                      details=dict(prepared.summary))
        if receipt.error:
            raise submission_failed(receipt, for_account=prepared.summary.get("for"))
        if prepared.expect_keys is not None:
            account, keys = prepared.expect_keys
            confirmed = self.chain.next_keys(account, receipt.block_hash) == keys
            receipt.details["next_keys_confirmed"] = confirmed
            if not confirmed:
                raise Failure(f"Session.NextKeys of {account} does not show the new keys after the call")
        if wait == "effective":
            from fennel_gov.governance.effect import follow

            assert prepared.effect is not None  # check_wait allowed "effective" only with an effect
            kind, accounts = prepared.effect
            try:
                receipt.effect = follow(self.chain, kind=kind, accounts=accounts, included_block=receipt.block_number,
                                        deadline=deadline, progress=progress)
            except ChangeDropped as dropped:
                dropped.receipt = receipt
                raise
        return receipt

    # -- the governance acts --------------------------------------------------------------------

    def add_validators(self, accounts: list[str], *, signer: KeyPair, wait: str = "finalized",
                       timeout: float | None = None, force: bool = False, progress=None) -> Receipt:
        """Sudo.sudo(ValidatorManager.register_validators(accounts)); live from session N+2."""
        check_wait(wait, timeout)
        return self.send(self.prepare_add(accounts, signer=signer, force=force), signer=signer, wait=wait,
                         timeout=timeout, progress=progress)

    def remove_validator(self, account: str, *, signer: KeyPair, wait: str = "finalized",
                         timeout: float | None = None, force: bool = False, progress=None) -> Receipt:
        """Sudo.sudo(ValidatorManager.remove_validator(account)); gone from session N+2."""
        check_wait(wait, timeout)
        return self.send(self.prepare_remove(account, signer=signer, force=force), signer=signer, wait=wait,
                         timeout=timeout, progress=progress)

    def set_keys(self, keys: SessionKeys | str, *, signer: KeyPair, for_account: str | None = None, proof: bytes = b"",
                 wait: str = "finalized", timeout: float | None = None, force: bool = False, progress=None) -> Receipt:
        """Session.set_keys from the signer's account, or for ``for_account`` by sudo (Sudo.sudo_as)."""
        check_wait(wait, timeout, effective_allowed=False)
        prepared = self.prepare_set_keys(keys, signer=signer, for_account=for_account, proof=proof, force=force)
        return self.send(prepared, signer=signer, wait=wait, timeout=timeout, progress=progress)

    def prepare_rotate_keys(self, *, signer: KeyPair, force: bool = False) -> Prepared:
        """The checks of rotate_keys that need no node: made before the node generates anything."""
        # A call of the same shape (keys and a 64-byte proof) for the account and fee checks.
        placeholder = SessionKeys(aura=bytes(32), grandpa=bytes(32))
        return self.prepare_set_keys(placeholder, signer=signer, proof=bytes(64), force=force, action="rotate-keys",
                                     _placeholder=True)

    def rotate_keys(self, node_url: str, *, signer: KeyPair, wait: str = "finalized", timeout: float | None = None,
                    force: bool = False, progress=None, checked: Prepared | None = None) -> Receipt:
        """author_rotateKeys(WithOwner) on the validator's node, then Session.set_keys with the result and its proof."""
        check_wait(wait, timeout, effective_allowed=False)
        if checked is None:
            checked = self.prepare_rotate_keys(signer=signer, force=force)
        keys, proof = rotate_on_node(node_url, signer.account_id)
        prepared = self.prepare_set_keys(keys, signer=signer, proof=proof, force=force, action="rotate-keys")
        prepared.summary["node"] = node_url
        prepared.summary["proof"] = "0x" + proof.hex()
        return self.send(prepared, signer=signer, wait=wait, timeout=timeout, progress=progress)

    def recover_finality(self, *, signer: KeyPair, delay: int = 10, wait: str = "included", timeout: float | None = None,
                         force: bool = False, stall_threshold: int = 20, progress=None) -> Receipt:
        """Sudo.sudo(Grandpa.note_stalled(delay, best finalized)) — refused while finality is healthy."""
        check_wait(wait, timeout, effective_allowed=False)
        prepared = self.prepare_recover_finality(delay=delay, signer=signer, force=force, stall_threshold=stall_threshold)
        return self.send(prepared, signer=signer, wait=wait, timeout=timeout, progress=progress)

    def upgrade_runtime(
        self, code: bytes, *, signer: KeyPair | None = None, method: str = "authorize",
        allow_spec_name_change: bool = False, expect_code_hash: str | None = None, srtool_digest: Any = None,
        wait: str = "finalized", timeout: float | None = None, force: bool = False, progress=None,
        prepared: "PreparedUpgrade | None" = None,
    ) -> "UpgradeReceipt":
        """Upgrade the runtime to ``code`` (the file's exact bytes), after the preflight against the running one.

        ``method="authorize"``: Sudo.sudo(System.authorize_upgrade[_without_checks](blake2_256(code))) signed by
        ``signer`` (sudo), then System.apply_authorized_upgrade(code) unsigned; without a signer, only the apply,
        for code the chain already authorized. ``method="set-code"``: Sudo.sudo_unchecked_weight(System.set_code…).
        A spec_name change needs ``allow_spec_name_change`` (the *_without_checks calls). Returns once the chain
        reports the new runtime version (``wait="effective"``: once the new runtime built a block); raises
        ``PreflightRefused`` (nothing sent), ``UpgradeRejected`` (the chain refused the code) or ``Failure``.
        ``prepared``: the result of ``fennel_gov.governance.upgrade.prepare_upgrade``, already shown to the operator.
        """
        from fennel_gov.governance.upgrade import perform_upgrade, prepare_upgrade

        check_wait(wait, timeout)
        if prepared is None:
            prepared = prepare_upgrade(self.chain, code, signer=signer, method=method,
                                       allow_spec_name_change=allow_spec_name_change,
                                       expect_code_hash=expect_code_hash, srtool_digest=srtool_digest, force=force)
        elif prepared.code != code:
            raise BadInput("the prepared upgrade is for other code")
        return perform_upgrade(self.chain, prepared, signer=signer, wait=wait, timeout=timeout, progress=progress)

    # -- sudo key rotation ----------------------------------------------------------------------

    def chain_type(self) -> str | None:
        """What the node says it runs (``system_chainType``): Live, Local, Development, or a custom name."""
        try:
            answer = self.chain.rpc("system_chainType", [])
        except Failure:  # a node that will not say: treated as not a development chain
            return None
        if isinstance(answer, dict) and len(answer) == 1 and isinstance(answer.get("Custom"), str):
            return answer["Custom"]
        return answer if isinstance(answer, str) else None

    def prepare_set_sudo(self, new_account: str, *, signer: KeyPair | None = None, force: bool = False) -> Prepared:
        """Sudo.set_key(new_account), checked: the signer is sudo, the new key is neither sudo already nor,
        outside Development and Local chains, a development key; a warning when it cannot pay fees."""
        from fennel_gov.keys.dev import dev_key_name

        new = self.address(new_account)
        current = self.chain.sudo_key()
        signer_address = _signer_address(signer, self.chain.ss58_format)
        blocking = [p for p in [sudo_problem(current, signer_address)] if p]
        chain_type = self.chain_type()
        dev = dev_key_name(ss58.decode(new).payload)
        if dev and chain_type not in DEV_CHAIN_TYPES:
            # Never overridable: the secret of a development key is public, whoever holds it would own the chain.
            blocking.append(f"{new} is the development key {dev}, whose secret is public, on a {chain_type or 'non-development'} "
                            "chain: anyone could take the chain over; give the new sudo account from the key ceremony")
        problems: list[str] = []
        if new == current:
            problems.append(f"{new} is already the sudo key; nothing would change")
        warnings = []
        existential = int(self.chain.constant("Balances", "ExistentialDeposit") or 0)
        free = self._free_balance(new)
        if free < max(existential, 1):
            warnings.append(f"the new sudo {new} holds {free / 10**12:.6f} FNL (existential deposit {existential / 10**12:g} FNL): "
                            "it cannot pay the fees of its sudo calls until it is funded")
        call = self.chain.compose("Sudo", "set_key", {"new": new})
        summary: dict[str, Any] = {"action": "set-sudo", "new_sudo": new, "old_sudo": current, "chain_type": chain_type}
        prepared = Prepared("set-sudo", call, self.chain.call_hex(call), summary, Plan(warnings=warnings))
        return self._finish(prepared, signer, problems, force, blocking)

    def send_set_sudo(self, prepared: Prepared, *, signer: KeyPair, wait: str = "finalized", timeout: float | None = None,
                      progress: Callable[[str], None] | None = None) -> SudoChange:
        """Send a prepared set-sudo and read ``Sudo.Key`` back: at the receipt's block (included, finalized) or,
        with ``effective``, at the finalized head once the change is final. Anything but the new key is a Failure."""
        check_wait(wait, timeout)
        timeout = timeout if timeout is not None else DEFAULT_TIMEOUT  # effective here is finality, not sessions
        receipt = self.send(prepared, signer=signer, wait="included" if wait == "included" else "finalized",
                            timeout=timeout, progress=progress)
        new = prepared.summary["new_sudo"]
        at = receipt.block_hash if wait != "effective" else self.chain.block_hash(self.chain.finalized_number())
        on_chain = self.chain.sudo_key(at)
        changed = next((e for e in receipt.events if (e["pallet"], e["event"]) == ("Sudo", "KeyChanged")), None)
        result = SudoChange(new_sudo=new, old_sudo=prepared.summary.get("old_sudo"), sudo_on_chain=on_chain,
                            key_changed=self._key_changed(changed), receipt=receipt)
        receipt.details.update(result.to_json())
        if on_chain != new:
            raise Failure(f"Sudo.Key at block {at} is {on_chain or 'none'}, not {new}: the change did not take; "
                          "check 'fennel-gov status'")
        return result

    def set_sudo(self, new_account: str, *, signer: KeyPair, wait: str = "finalized", timeout: float | None = None,
                 force: bool = False, progress=None) -> SudoChange:
        """Sudo.set_key(new_account) signed by the current sudo key; success only when Sudo.Key reads back as the new key."""
        check_wait(wait, timeout)
        prepared = self.prepare_set_sudo(new_account, signer=signer, force=force)
        return self.send_set_sudo(prepared, signer=signer, wait=wait, timeout=timeout, progress=progress)

    def _key_changed(self, event: dict[str, Any] | None) -> dict[str, str | None] | None:
        """Sudo.KeyChanged's accounts as addresses (``old`` is None when the chain had no sudo key)."""
        if event is None:
            return None
        attributes = event.get("attributes")
        if isinstance(attributes, dict):
            old, new = attributes.get("old"), attributes.get("new")
        elif isinstance(attributes, (list, tuple)) and len(attributes) == 2:
            old, new = attributes
        else:  # an older pallet: KeyChanged(old) only
            old, new = attributes, None
        return {"old": self.chain.address(old) if isinstance(old, (str, bytes)) and old else None,
                "new": self.chain.address(new) if isinstance(new, (str, bytes)) and new else None}


DEV_CHAIN_TYPES = ("Development", "Local")  # the chain types on which a development key may hold sudo


@dataclass
class SudoChange:
    """The outcome of ``set_sudo``: the key read back from ``Sudo.Key`` and the decoded ``Sudo.KeyChanged``."""

    new_sudo: str
    old_sudo: str | None
    sudo_on_chain: str | None
    key_changed: dict[str, str | None] | None  # {"old", "new"} from the Sudo.KeyChanged event
    receipt: Receipt = field(repr=False)

    @property
    def confirmed(self) -> bool:
        return self.sudo_on_chain == self.new_sudo

    def to_json(self) -> dict[str, Any]:
        return {"new_sudo": self.new_sudo, "old_sudo": self.old_sudo, "sudo_on_chain": self.sudo_on_chain,
                "sudo_confirmed": self.confirmed, "key_changed": self.key_changed}


def submission_failed(receipt: Receipt, *, for_account: str | None = None) -> SubmissionFailed:
    """The error for a receipt whose extrinsic (or inner sudo call) failed, with the runtime's words and a hint."""
    error = receipt.error or {}
    name = f"{error.get('pallet')}.{error.get('name')}"
    hint = error.get("hint")
    if name == "Session.NoAccount" and for_account:
        hint = f"{for_account} does not exist on chain: fund it first"  # not the signer: sudo_as acts for this account
    return SubmissionFailed(
        f"the call failed on chain: {name} ({error.get('docs') or 'no docs'}){'; ' + hint if hint else ''}",
        module_error=name, receipt=receipt,
    )


def rotate_on_node(node_url: str, owner: bytes) -> tuple[SessionKeys, bytes]:
    """New session keys from the validator's node, with the ownership proof where the node gives one."""
    from fennel_gov.governance.rpc import RpcClient

    node = RpcClient(node_url, timeout=30)
    try:
        if "author_rotateKeysWithOwner" in node.methods():
            answer = node.call("author_rotateKeysWithOwner", ["0x" + owner.hex()])
            if not isinstance(answer, dict) or "keys" not in answer or "proof" not in answer:
                raise Failure(f"{node_url} answered author_rotateKeysWithOwner without keys and proof")
            return SessionKeys.decode(answer["keys"]), bytes.fromhex(str(answer["proof"]).removeprefix("0x"))
        return SessionKeys.decode(node.call("author_rotateKeys", [])), b""
    finally:
        node.close()


def connect(url: str, genesis_hash: str | None = None, *, name: str | None = None, timeout: float | None = None) -> Network:
    """Connect to the node at ``url``; with ``genesis_hash``, refuse any other chain.

    ``timeout`` bounds connecting and each answer (default ``FENNEL_GOV_RPC_TIMEOUT``, else 10 s)."""
    from fennel_gov.governance.config import _check_url
    from fennel_gov.governance.rpc import default_timeout

    timeout = default_timeout() if timeout is None else timeout

    return Network(Chain(NetworkConfig(url=_check_url(url), name=name, genesis_hash=genesis_hash), timeout=timeout))
