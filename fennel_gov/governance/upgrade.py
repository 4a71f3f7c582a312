"""A runtime upgrade on a live chain: preflight against the running runtime, send, and confirm from the chain.

``prepare_upgrade`` reads the node's ``:code`` at the pinned block, diffs it with the new runtime
(``fennel_gov.upgrade``), and refuses (``PreflightRefused``) before anything is sent. ``perform_upgrade``
then sends, by one of two methods:

- ``authorize`` (default): ``Sudo.sudo(System.authorize_upgrade[_without_checks](code_hash))`` signed
  by sudo — a small call, fit for offline signing — then ``System.apply_authorized_upgrade(code)``
  sent *unsigned*. frame-system validates that call unsigned (``ValidateUnsigned``: valid when the
  code's hash is the authorized one, at top priority, providing the hash so it is never included
  twice) and it pays no fee, so the large blob needs no signer, no nonce and no balance; anyone
  could send it, which is safe since only the authorized code is accepted.
- ``set-code``: ``Sudo.sudo_unchecked_weight(System.set_code[_without_checks](code), weight)`` signed
  by sudo in one extrinsic. ``Sudo.sudo`` would declare set_code's own weight, which on many runtimes
  is the whole block and so exceeds what one extrinsic may use (the pool refuses it,
  ``ExhaustsResources``); the weight declared here is the call's own (``query_call_info``), capped
  below the Operational class's ``max_extrinsic``.

Success is read from the chain: ``System.CodeUpdated`` in the block, and ``state_getRuntimeVersion``
at that block naming the new spec. ``apply_authorized_upgrade`` *succeeds* as an extrinsic when the
chain rejects the code (a ``System.RejectedInvalidAuthorizedUpgrade`` event, the authorization
consumed): that is ``UpgradeRejected``, as is a failed call inside ``Sudo`` (``Sudid { Err }``).
With ``wait="effective"`` the next block must have been built by the new runtime. Afterwards the
connection loads the new runtime's metadata (cached by spec_version), so later calls encode for it.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Callable

from fennel_gov._codec import blake2_256, encode_compact
from fennel_gov.errors import BadInput, Failure, PreflightRefused, SubmissionFailed
from fennel_gov.governance.chain import Chain, ChainSigner, Receipt
from fennel_gov.governance.preflight import sudo_problem
from fennel_gov.keys import KeyPair, ss58
from fennel_gov.upgrade.diff import RuntimeDiff, diff_runtimes
from fennel_gov.upgrade.inspect import RuntimeFacts, check_srtool_digest, inspect_runtime
from fennel_gov.upgrade.plan import METHODS, UpgradePlan, check_code_hash, method_call, plan_upgrade

UPGRADE_TIMEOUT = 300.0  # also with wait="effective": one block after the upgrade, not two sessions
_CODE_KEY = "0x" + b":code".hex()


class UpgradeRejected(SubmissionFailed):
    """The chain refused the new runtime: ``System.RejectedInvalidAuthorizedUpgrade`` or ``Sudid { Err }``.

    ``module_error`` is the reason, e.g. ``"System.InvalidSpecName"``; ``receipt`` the block's receipt."""


@dataclass
class PreparedUpgrade:
    """A checked upgrade, ready to send: what the CLI shows before asking."""

    method: str  # "authorize" | "set-code"
    code: bytes = field(repr=False)
    plan: UpgradePlan
    diff: RuntimeDiff = field(repr=False)
    system_call: str  # "authorize_upgrade[_without_checks]" or "set_code[_without_checks]"
    call: Any = field(repr=False, default=None)  # the signed step's call; None when only the apply is left
    call_data: str | None = None  # hex of ``call`` (for --call-only: the authorize call, never the blob)
    weight: dict[str, int] | None = None  # set-code: the weight declared to sudo_unchecked_weight
    signer: str | None = None
    fee_estimate: int | None = None
    already_authorized: bool = False  # the chain holds an authorization for this very code: apply only
    extrinsic_size: int = 0  # bytes of the extrinsic that carries the code

    @property
    def code_hash(self) -> str:
        return self.plan.code_hash

    @property
    def new(self) -> RuntimeFacts:
        return self.diff.new

    def summary(self) -> dict[str, Any]:
        return {
            "action": "runtime-upgrade",
            "method": self.method,
            "system_call": self.system_call,
            "old": self.plan.old_spec,
            "new": self.plan.new_spec,
            "code_hash": self.code_hash,
            "without_checks": self.plan.without_checks,
            "already_authorized": self.already_authorized,
            "call_data": self.call_data,
            "weight": self.weight,
            "signer": self.signer,
            "fee_estimate": str(self.fee_estimate) if self.fee_estimate is not None else None,
            "extrinsic_size": self.extrinsic_size,
            "warnings": self.plan.warnings,
            "findings": [f.as_json() for f in self.diff.findings if f.severity != "info"],
        }


@dataclass
class UpgradeReceipt:
    """What the chain says after an upgrade: the blocks, and the runtime version it now reports."""

    old_spec: str
    new_spec: str
    code_hash: str
    method: str
    system_call: str
    authorize: Receipt | None  # the Sudo.sudo(authorize_upgrade…) receipt; None when it was authorized before
    upgrade: Receipt  # the extrinsic that put the code in place (apply_authorized_upgrade, or sudo set_code)
    runtime_version: dict[str, Any]  # state_getRuntimeVersion at the upgrade block
    effective_block: int | None = None  # wait="effective": the first block built by the new runtime
    warnings: list[str] = field(default_factory=list)

    @property
    def upgrade_block(self) -> int:
        return self.upgrade.block_number

    def to_json(self) -> dict[str, Any]:
        def brief(receipt: Receipt | None) -> dict[str, Any] | None:
            if receipt is None:
                return None
            return {
                "extrinsic_hash": receipt.extrinsic_hash, "block_hash": receipt.block_hash,
                "block_number": receipt.block_number, "finalized": receipt.finalized,
                "events": [f"{e['pallet']}.{e['event']}" for e in receipt.events],
            }

        return {
            "action": "runtime-upgrade",
            "old": self.old_spec,
            "new": self.new_spec,
            "code_hash": self.code_hash,
            "method": self.method,
            "system_call": self.system_call,
            "authorize": brief(self.authorize),
            "upgrade": brief(self.upgrade),
            "spec_name": self.runtime_version.get("specName"),
            "spec_version": self.runtime_version.get("specVersion"),
            "effective_block": self.effective_block,
            "warnings": self.warnings,
        }


# -- reads --------------------------------------------------------------------------------------


def live_code(chain: Chain) -> bytes:
    """The runtime the chain runs now: ``:code`` at the pinned block."""
    answer = chain.rpc("state_getStorage", [_CODE_KEY, chain.pinned_hash])
    if not isinstance(answer, str) or not answer.startswith("0x"):
        raise Failure(f"{chain.network.url} returned no runtime code (:code) at block #{chain.pinned_number}")
    try:
        return bytes.fromhex(answer[2:])
    except ValueError:
        raise Failure(f"{chain.network.url} returned runtime code that is not hex") from None


def authorized_upgrade(chain: Chain) -> dict[str, Any] | None:
    """``System.AuthorizedUpgrade`` at the pinned block: ``{"code_hash", "check_version"}`` or None."""
    value = chain.query("System", "AuthorizedUpgrade")
    if not isinstance(value, dict) or not isinstance(value.get("code_hash"), str):
        return None
    return {"code_hash": value["code_hash"].lower(), "check_version": bool(value.get("check_version"))}


_FACTS: dict[bytes, RuntimeFacts] = {}  # a runtime's facts by its code's hash: each is executed once per process


def _inspect(code: bytes) -> RuntimeFacts:
    key = blake2_256(code)
    if key not in _FACTS:
        if len(_FACTS) >= 4:
            _FACTS.pop(next(iter(_FACTS)))
        _FACTS[key] = inspect_runtime(code)
    return _FACTS[key]


def _unsigned(call_bytes: bytes) -> str:
    """A bare (unsigned) extrinsic, format version 4: length, 0x04, the call."""
    body = b"\x04" + call_bytes
    return "0x" + (encode_compact(len(body)) + body).hex()


def _operational_limits(chain: Chain) -> tuple[dict[str, int] | None, int | None]:
    """(Operational max_extrinsic weight, Operational max extrinsic length) from System's constants."""
    weights = chain.constant("System", "BlockWeights") or {}
    length = chain.constant("System", "BlockLength") or {}
    try:
        max_extrinsic = weights["per_class"]["operational"]["max_extrinsic"]
        limit = {"ref_time": int(max_extrinsic["ref_time"]), "proof_size": int(max_extrinsic["proof_size"])}
    except (KeyError, TypeError, ValueError):
        limit = None
    try:
        max_length: int | None = int(length["max"]["operational"])
    except (KeyError, TypeError, ValueError):
        max_length = None
    return limit, max_length


def _declared_weight(chain: Chain, call_bytes: bytes) -> dict[str, int] | None:
    """The weight a call declares (``TransactionPaymentCallApi_query_call_info``), or None."""
    from fennel_gov._codec import decode_compact

    try:
        answer = chain.rpc("state_call", ["TransactionPaymentCallApi_query_call_info",
                                          "0x" + (call_bytes + len(call_bytes).to_bytes(4, "little")).hex(), chain.pinned_hash])
        info = bytes.fromhex(answer[2:]) if isinstance(answer, str) and answer.startswith("0x") else b""
        ref_time, offset = decode_compact(info, 0)  # RuntimeDispatchInfo { weight: Weight { compact, compact }, .. }
        proof_size, _ = decode_compact(info, offset)
    except (Failure, ValueError, IndexError):
        return None
    return {"ref_time": ref_time, "proof_size": proof_size}


def _set_code_weight(chain: Chain, inner_bytes: bytes, limit: dict[str, int] | None) -> dict[str, int]:
    declared = _declared_weight(chain, inner_bytes)
    if limit is None:
        return declared or {"ref_time": 0, "proof_size": 0}
    # Room for the transaction extensions' own weight, which counts against max_extrinsic too.
    cap = {k: v * 9 // 10 for k, v in limit.items()}
    if declared is None:
        return cap
    return {k: min(declared[k], cap[k]) for k in cap}


# -- preparing ----------------------------------------------------------------------------------


def prepare_upgrade(
    chain: Chain, code: bytes, *, signer: KeyPair | None = None, method: str = "authorize",
    allow_spec_name_change: bool = False, expect_code_hash: str | None = None, srtool_digest: Any = None,
    srtool_source: str = "the srtool JSON", force: bool = False, call_only: bool = False,
) -> PreparedUpgrade:
    """Every local check of the upgrade, against the chain's running runtime; nothing is sent.

    Raises ``PreflightRefused`` when a check fails (with ``force``, only a wrong code hash or srtool
    digest, a signer that is not sudo, or a missing signer still refuse)."""
    if method not in METHODS:
        raise BadInput(f"--method takes authorize or set-code, not {method!r}")
    if call_only and method != "authorize":
        raise BadInput("--call-only gives the small authorize call; the set-code call carries the whole runtime, "
                       "which must not go through an offline signer: use --method authorize")
    if expect_code_hash is not None and check_code_hash(expect_code_hash) != "0x" + blake2_256(code).hex():
        # Not the file the operator meant: refused before anything else is read (plan_upgrade says it in full).
        raise PreflightRefused([f"the file's code hash is 0x{blake2_256(code).hex()}, not the one given with "
                                "--expect-code-hash: this is not the runtime you meant to deploy"])
    try:
        new = _inspect(code)
    except BadInput as error:
        raise BadInput(f"the new runtime cannot be read: {error}") from None
    running = live_code(chain)
    try:
        old = _inspect(running)
    except BadInput as error:
        raise Failure(f"the runtime {chain.network.url} runs cannot be read: {error}") from None
    from fennel_gov.runtime.code import decompress_code

    diff = diff_runtimes(old, new)
    report = check_srtool_digest(new, srtool_digest, srtool_source) if srtool_digest is not None else None
    plan = plan_upgrade(diff, allow_spec_name_change=allow_spec_name_change, expect_code_hash=expect_code_hash, srtool=report)
    if decompress_code(running) == decompress_code(code):
        # Typically a rerun after an interrupted upgrade that did land: say so first, even with force.
        raise PreflightRefused([
            f"the chain already runs this runtime ({plan.new_spec}, the same wasm"
            f"{'' if running == code else ' in the other form, plain or compressed'}) at block #{chain.pinned_number}: "
            "nothing to upgrade", *plan.blocking, *plan.problems,
        ])

    signer_address = ss58.encode(signer.account_id, chain.ss58_format) if signer is not None else None
    sudo = chain.sudo_key()
    authorized = authorized_upgrade(chain)
    limit, max_length = _operational_limits(chain)
    system_call = method_call(method, plan.without_checks)
    prepared = PreparedUpgrade(method=method, code=code, plan=plan, diff=diff, system_call=system_call,
                               signer=signer_address)
    blocking = list(plan.blocking)
    problems = list(plan.problems)

    if method == "authorize":
        ours = authorized is not None and authorized["code_hash"] == plan.code_hash.lower()
        if signer is None and not call_only:
            if not ours:
                raise BadInput("give --signer (the sudo key) to authorize the upgrade, or authorize it first "
                               "(--call-only, then tx build/sign/submit)")
            prepared.already_authorized = True
            assert authorized is not None
            if authorized["check_version"] and plan.without_checks:
                problems.append(
                    "the chain's authorization of this code checks the version, and the spec_name changes: the chain "
                    "would reject the code (RejectedInvalidAuthorizedUpgrade) and consume the authorization; authorize "
                    "it again with --allow-spec-name-change and --signer"
                )
            prepared.system_call = "authorize_upgrade" + ("" if authorized["check_version"] else "_without_checks")
        else:
            if authorized is not None and not ours:
                plan.warnings.append(f"this replaces the chain's pending authorization of {authorized['code_hash']}")
            inner = chain.compose("System", system_call, {"code_hash": plan.code_hash})
            prepared.call = chain.compose("Sudo", "sudo", {"call": inner})
            prepared.call_data = chain.call_hex(prepared.call)
        apply = chain.compose("System", "apply_authorized_upgrade", {"code": "0x" + code.hex()})
        prepared.extrinsic_size = len(_unsigned(bytes(apply.data.data))) // 2 - 1
    else:
        if signer is None:
            raise BadInput("--method set-code is signed by the sudo key: give --signer")
        inner = chain.compose("System", system_call, {"code": "0x" + code.hex()})
        prepared.weight = _set_code_weight(chain, bytes(inner.data.data), limit)
        prepared.call = chain.compose("Sudo", "sudo_unchecked_weight", {"call": inner, "weight": prepared.weight})
        prepared.extrinsic_size = len(prepared.call.data.data) + 150  # the call, and a signed extrinsic's envelope
    if max_length is not None and prepared.extrinsic_size > max_length:
        problems.append(
            f"the extrinsic carrying the code is {prepared.extrinsic_size:,} bytes, more than a block takes "
            f"({max_length:,}): deploy the compressed runtime (.compact.compressed.wasm)"
        )
    if signer is not None:
        problem = sudo_problem(sudo, signer_address)
        if problem:
            blocking.append(problem)
    if blocking:
        raise PreflightRefused(blocking)
    if signer is not None and prepared.call is not None:
        assert signer_address is not None
        prepared.fee_estimate = chain.fee(prepared.call, ChainSigner(signer, chain.ss58_format))
        free = int((chain.account(signer_address).get("data") or {}).get("free", 0))
        if prepared.fee_estimate is not None and free < prepared.fee_estimate:
            problems.append(
                f"the signer {signer_address} cannot pay the fee: it holds {free / 10**12:.6f} FNL, the fee is about "
                f"{prepared.fee_estimate / 10**12:.6f} FNL (refunded when sudo's call succeeds); fund the account first"
            )
    if problems and not force:
        raise PreflightRefused(problems)
    plan.warnings.extend(f"check overridden by force: {p}" for p in problems)
    return prepared


# -- sending ------------------------------------------------------------------------------------


def perform_upgrade(
    chain: Chain, prepared: PreparedUpgrade, *, signer: KeyPair | None = None, wait: str = "finalized",
    timeout: float | None = None, progress: Callable[[str], None] | None = None,
) -> UpgradeReceipt:
    """Send the prepared upgrade and follow it to ``wait``; the receipt says what the chain now runs."""
    from fennel_gov.governance.api import check_wait, submission_failed

    check_wait(wait, timeout)
    deadline = time.monotonic() + (timeout if timeout is not None else UPGRADE_TIMEOUT)
    say = progress or (lambda _message: None)
    mode = "included" if wait == "included" else "finalized"
    if prepared.call is not None:
        if signer is None or ss58.encode(signer.account_id, chain.ss58_format) != prepared.signer:
            raise BadInput("sign with the key the upgrade was prepared for")

    def remaining() -> float:
        left = deadline - time.monotonic()
        if left <= 0:
            raise Failure(f"the upgrade did not complete within {timeout or UPGRADE_TIMEOUT:.0f} s; check the chain's "
                          "runtime version ('fennel-gov check-network') before trying again")
        return left

    authorize: Receipt | None = None
    if prepared.method == "authorize":
        if prepared.call is not None:
            assert signer is not None
            say(f"authorizing {prepared.code_hash} ({prepared.system_call})")
            authorize = chain.submit(prepared.call, ChainSigner(signer, chain.ss58_format), wait=mode,
                                     timeout=remaining(), progress=progress)
            if authorize.error:
                raise _rejected(submission_failed(authorize))
            if not any(e["pallet"] == "System" and e["event"] == "UpgradeAuthorized" for e in authorize.events):
                raise Failure(f"block #{authorize.block_number} holds the authorization but no System.UpgradeAuthorized event")
        from fennel_gov.governance.submit import send_and_watch

        apply = chain.compose("System", "apply_authorized_upgrade", {"code": "0x" + prepared.code.hex()})
        say(f"applying the authorized upgrade ({len(prepared.code):,} bytes, unsigned)")
        upgrade = send_and_watch(chain, _unsigned(bytes(apply.data.data)), "the unsigned apply_authorized_upgrade",
                                 wait=mode, timeout=remaining(), progress=progress)
        if upgrade.error:
            raise _rejected(submission_failed(upgrade))
        for event in upgrade.events:
            if event["pallet"] == "System" and event["event"] == "RejectedInvalidAuthorizedUpgrade":
                from fennel_gov.governance.submit import _module_error

                reason = _module_error(chain, (event["attributes"] or {}).get("error"))
                name = f"{reason['pallet']}.{reason['name']}"
                raise UpgradeRejected(
                    f"the chain rejected the new runtime: System.RejectedInvalidAuthorizedUpgrade ({name}: "
                    f"{reason['docs'] or 'no docs'}); the authorization is used up and the chain still runs "
                    f"{prepared.plan.old_spec}",
                    module_error=name, receipt=upgrade,
                )
    else:
        assert signer is not None
        say(f"sending Sudo.sudo_unchecked_weight(System.{prepared.system_call}) ({len(prepared.code):,} bytes)")
        upgrade = chain.submit(prepared.call, ChainSigner(signer, chain.ss58_format), wait=mode, timeout=remaining(),
                               progress=progress)
        if upgrade.error:
            raise _rejected(submission_failed(upgrade))
    if not any(e["pallet"] == "System" and e["event"] == "CodeUpdated" for e in upgrade.events):
        raise Failure(f"block #{upgrade.block_number} holds the upgrade but no System.CodeUpdated event: nothing changed")
    version = _version_at(chain, upgrade.block_hash)
    _check_version(version, prepared, f"block #{upgrade.block_number}")
    say(f"the chain runs {prepared.plan.new_spec} from block #{upgrade.block_number}")
    receipt = UpgradeReceipt(
        old_spec=prepared.plan.old_spec, new_spec=prepared.plan.new_spec, code_hash=prepared.code_hash,
        method=prepared.method, system_call=prepared.system_call, authorize=authorize, upgrade=upgrade,
        runtime_version=version, warnings=list(prepared.plan.warnings),
    )
    if wait == "effective":
        receipt.effective_block = _first_block_by_new_runtime(chain, prepared, upgrade, remaining, say)
    # The connection's metadata is the old runtime's: load the new one (cached by spec_version).
    chain._load_runtime(chain.genesis_hash)
    return receipt


def _rejected(error: SubmissionFailed) -> UpgradeRejected:
    return UpgradeRejected(str(error), module_error=error.module_error, receipt=error.receipt)


def _version_at(chain: Chain, block_hash: str) -> dict[str, Any]:
    version = chain.rpc("state_getRuntimeVersion", [block_hash])
    if not isinstance(version, dict):
        raise Failure(f"{chain.network.url} answered state_getRuntimeVersion without a version")
    return version


def _check_version(version: dict[str, Any], prepared: PreparedUpgrade, where: str) -> None:
    new = prepared.new.version
    if version.get("specName") != new.spec_name or version.get("specVersion") != new.spec_version:
        raise Failure(
            f"the chain reports {version.get('specName')}/{version.get('specVersion')} at {where}, not "
            f"{prepared.plan.new_spec}: the upgrade did not take effect"
        )


def _first_block_by_new_runtime(chain: Chain, prepared: PreparedUpgrade, upgrade: Receipt,
                                remaining: Callable[[], float], say: Callable[[str], None]) -> int:
    """The number of the block after the upgrade block: the first one the new runtime built."""
    from fennel_gov.governance.chain import header_number

    target = upgrade.block_number + 1
    say(f"waiting for block #{target}, the first the new runtime builds")
    while True:
        try:
            remaining()
        except Failure:
            raise Failure(
                f"the chain runs {prepared.plan.new_spec} from block #{upgrade.block_number}, but no block was built on "
                f"it in time: if block production has stopped, see 'If blocks stop' in docs/runtime-upgrades.md"
            ) from None
        if chain.best_number() >= target:
            if chain.block_hash(upgrade.block_number) != upgrade.block_hash:
                raise Failure(f"block #{upgrade.block_number} with the upgrade was replaced by a fork; "
                              "check the chain's runtime version before trying again")
            block_hash = chain.block_hash(target)
            header = chain.rpc("chain_getHeader", [block_hash])
            header_number(header)  # a header, or a clear failure
            _check_version(_version_at(chain, block_hash), prepared, f"block #{target}")
            return target
        time.sleep(0.5)
