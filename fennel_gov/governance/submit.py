"""Sign and send an extrinsic once, follow it to inclusion or finality, and say what really happened.

``Sudo.sudo`` succeeds as an extrinsic even when the call inside it failed (``Sudid { sudo_result:
Err }``); that is reported as a failure here, with the module error decoded from the runtime's
metadata and a hint of what to do about it.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any, Callable

if TYPE_CHECKING:
    from substrateinterface import Keypair

from fennel_gov.errors import Failure, SubmissionFailed  # noqa: F401 - SubmissionFailed re-exported
from fennel_gov.governance.chain import Chain, Receipt, LINK_ERRORS, extrinsic_hash
from fennel_gov.governance.rpc import TransportError

HINTS = {
    "NoKeysRegistered": "the validator must set its session keys first: 'fennel-gov rotate-keys' on its node, or 'fennel-gov set-keys'",
    "ValidatorAlreadyAdded": "the account is already queued or active; see 'fennel-gov status'",
    "NotValidator": "only an active validator can be removed; see 'fennel-gov status'",
    "TooFewValidators": "add a validator before removing this one (MinAuthorities)",
    "RequireSudo": "sign with the chain's sudo key",
    "InvalidProof": "this runtime checks the session-key ownership proof: use 'fennel-gov rotate-keys' on the validator's node",
    "DuplicatedKey": "another account already uses these session keys; generate new ones",
    "NoAccount": "the signing account does not exist on chain: fund it first",
    "BadOrigin": "the signer may not make this call",
}


IDLE_CHECK = 2.0  # seconds without news from the pool before checking whether our nonce was used by another
LOST_SUBMIT_WINDOW = 12.0  # seconds to look for an extrinsic whose submission lost its answer (two 6 s blocks)


class SubmissionTimedOut(Failure):
    """The extrinsic was not seen in a block (or not finalized) within the time limit."""


def _module_error(chain: Chain, error: Any) -> dict[str, Any]:
    """Decode a DispatchError value into {pallet, name, docs, hint} with the runtime's metadata."""
    if isinstance(error, dict) and "Module" in error:
        module = error["Module"]
        index, raw = module.get("index"), module.get("error")
        error_index = bytes.fromhex(raw[2:])[0] if isinstance(raw, str) else int(raw)
        metadata = chain.substrate.metadata
        try:
            pallet = metadata.get_pallet_by_index(index)
            info = metadata.get_module_error(module_index=index, error_index=error_index).value
        except Exception:  # noqa: BLE001 - an undecodable error is still reported, by its numbers
            return {"pallet": str(index), "name": f"error {error_index}", "docs": "", "hint": None}
        name = info["name"]
        return {"pallet": pallet.name, "name": name, "docs": " ".join(info.get("docs", [])), "hint": HINTS.get(name)}
    if isinstance(error, dict) and error:
        name = next(iter(error))
        return {"pallet": "System", "name": name, "docs": str(error[name]) if error[name] else "", "hint": HINTS.get(name)}
    return {"pallet": "System", "name": str(error), "docs": "", "hint": HINTS.get(str(error))}


def _events(chain: Chain, extrinsic_hash_hex: str, block_hash: str) -> tuple[int | None, list[dict[str, Any]]]:
    """The block's number and our extrinsic's events: the block (for its index), then ``System.Events`` there."""
    from fennel_gov.governance.chain import header_number

    block = chain.rpc("chain_getBlock", [block_hash]) or {}
    number = header_number((block.get("block") or {}).get("header")) if isinstance(block, dict) else None
    extrinsics = ((block.get("block") or {}).get("extrinsics") or []) if isinstance(block, dict) else []
    index = next((i for i, e in enumerate(extrinsics) if extrinsic_hash(e) == extrinsic_hash_hex), None)
    events = []
    for record in chain.query("System", "Events", [], block_hash) or []:
        phase = record.get("phase")
        applies_to = record.get("extrinsic_idx") if phase == "ApplyExtrinsic" else (
            phase.get("ApplyExtrinsic") if isinstance(phase, dict) else None)
        if index is None or applies_to != index:
            continue
        events.append({"pallet": record["module_id"], "event": record["event_id"], "attributes": record.get("attributes")})
    return number, events


def outcome_error(chain: Chain, events: list[dict[str, Any]]) -> dict[str, Any] | None:
    for event in events:
        if event["pallet"] == "System" and event["event"] == "ExtrinsicFailed":
            attributes = event["attributes"] or {}
            return _module_error(chain, attributes.get("dispatch_error"))
        if event["pallet"] == "Sudo" and event["event"] in ("Sudid", "SudoAsDone"):
            result = (event["attributes"] or {}).get("sudo_result")
            if isinstance(result, dict) and "Err" in result:
                return _module_error(chain, result["Err"])
    return None


def _find(chain: Chain, target: str, start: int, until: int) -> tuple[int, str] | None:
    for number in range(start, until + 1):
        block_hash = chain.rpc("chain_getBlockHash", [number])
        if block_hash is None:
            continue
        block = chain.rpc("chain_getBlock", [block_hash])
        if not block:
            continue
        for extrinsic in block["block"]["extrinsics"]:
            if extrinsic_hash(extrinsic) == target:
                return number, block_hash
    return None


def _look_after_lost_submit(chain: Chain, data: str, target: str, start: int) -> tuple[tuple[int, str] | None, int]:
    """After a submission whose answer was lost: (block holding it or None, last block scanned); raise if it is nowhere."""
    try:
        chain.reconnect()
        scanned = start - 1
        # A node that is building a block holds it in neither place for a moment: look for a while.
        settle = time.monotonic() + LOST_SUBMIT_WINDOW
        while True:
            best = chain.best_number()
            found = _find(chain, target, scanned + 1, best)
            if found is not None:
                return found, scanned
            scanned = best
            if data in (chain.rpc("author_pendingExtrinsics", []) or []):
                return None, scanned
            if time.monotonic() >= settle:
                break
            time.sleep(0.5)
    except LINK_ERRORS as exc:
        raise Failure(
            f"the connection to {chain.network.url} dropped while submitting {target} and could not be restored ({exc}); "
            "it may still land: check with 'fennel-gov status' before trying again"
        ) from None
    raise Failure(
        f"the connection to {chain.network.url} dropped while submitting {target}, and the node has it neither in its "
        "pool nor in a block: it was not sent, nothing changed; run the command again"
    )


def submit_and_watch(
    chain: Chain,
    call,
    signer: "Keypair",  # a ChainSigner: substrate-interface's Keypair backed by our KeyPair
    *,
    wait: str = "finalized",
    timeout: float = 300.0,
    progress: Callable[[str], None] | None = None,
    poll: float = 0.5,
) -> Receipt:
    """Sign with the next nonce under the (signer, chain) lock, send once, follow to ``wait``."""
    from fennel_gov.governance.signer_lock import SignerLock

    lock = SignerLock(chain.genesis_hash, signer.ss58_address)
    started = time.monotonic()
    lock.acquire(timeout, progress)
    try:
        if time.monotonic() - started > 1.0:
            chain.pin()  # we waited for another command: its block, and so the era's birth, moved on
        # The pool-aware next index: a transaction of ours still in the pool is counted.
        nonce = int(chain.rpc("system_accountNextIndex", [signer.ss58_address]))
        extrinsic = chain.substrate.create_signed_extrinsic(call=call, keypair=signer, era={"period": 64, "current": chain.pinned_number}, nonce=nonce)
        return send_and_watch(
            chain, extrinsic.data.to_hex(), signer.ss58_address, wait=wait, timeout=timeout, progress=progress,
            poll=poll, nonce=nonce, on_included=lock.release,
        )
    finally:
        lock.release()


def submit_signed(
    chain: Chain,
    data: str,
    signer_address: str,
    nonce: int,
    *,
    wait: str = "finalized",
    timeout: float = 300.0,
    progress: Callable[[str], None] | None = None,
) -> Receipt:
    """Send an extrinsic signed elsewhere (``tx submit``), whose ``nonce`` was fixed when it was built.

    A nonce the chain has already used is refused before sending; one used by another transaction
    while this one waits is reported as displaced, as for the governance commands."""
    used = _account_nonce(chain, signer_address, chain.block_hash(chain.best_number()))
    if used > nonce:
        raise Failure(
            f"the transaction's nonce {nonce} was already used by another transaction from {signer_address} "
            f"(its next nonce is {used}): it can never be included; build, sign and submit a new one"
        )
    # The pool-aware next nonce: a nonce beyond it waits in the pool, unannounced, for transactions that may
    # never come, and could land much later; refused before it is sent.
    try:
        pending = int(chain.rpc("system_accountNextIndex", [signer_address]))
    except (Failure, TypeError, ValueError):
        pending = None
    if pending is not None and nonce > pending:
        raise Failure(
            f"the transaction's nonce {nonce} is ahead of {signer_address}'s next nonce {pending}: it would wait in the "
            f"pool until {nonce - pending} earlier transaction(s) from that account land; submit those first, or build, "
            "sign and submit a new one"
        )
    return send_and_watch(chain, data, signer_address, wait=wait, timeout=timeout, progress=progress, nonce=nonce)


def _account_nonce(chain: Chain, address: str, block_hash: str) -> int:
    account = chain.query("System", "Account", [address], block_hash) or {}
    return int(account.get("nonce", 0))


def send_and_watch(
    chain: Chain,
    data: str,
    signer_address: str,
    *,
    wait: str = "finalized",
    timeout: float = 300.0,
    progress: Callable[[str], None] | None = None,
    poll: float = 0.5,
    nonce: int | None = None,
    on_included: Callable[[], None] | None = None,
) -> Receipt:
    """Send a signed extrinsic once and follow it; see ``submit_and_watch``."""
    if wait not in ("included", "finalized"):
        raise ValueError("wait is 'included' or 'finalized'")
    say = progress or (lambda _message: None)
    target = extrinsic_hash(data)
    start = (chain.pinned_number if getattr(chain, "pinned_number", None) is not None else chain.best_number()) + 1
    deadline = time.monotonic() + timeout
    scanned = start - 1
    found: tuple[int, str] | None = None
    try:
        if chain.client.url.startswith("ws"):
            # Sent once; the node then tells us where it is: no polling.
            subscription = chain.submit_watched(data, signer_address)
            say(f"submitted {target}, waiting for it to be {wait}")
            watched = _follow_watch(chain, subscription, target, wait, deadline, timeout, say, on_included, signer_address, nonce)
            if watched is not None:
                return _receipt(chain, target, watched, wait)
            say("the connection dropped; reconnecting to look for the extrinsic by hash (it is not sent again)")
            chain.reconnect()
        else:
            chain.submit_raw(data, signer_address)  # sent once; from here on we only look
            say(f"submitted {target}, waiting for it to be {wait}")
    except TransportError:
        # The node may have taken it before the link broke: look for it by hash, never send it again.
        say("the connection dropped while submitting; reconnecting to look for the extrinsic (it is not sent again)")
        found, scanned = _look_after_lost_submit(chain, data, target, start)
    while time.monotonic() < deadline:
        try:
            best = chain.best_number()
            if found is None and best > scanned:
                found = _find(chain, target, scanned + 1, best)
                scanned = best if found is None else scanned
                if found is not None:
                    say(f"included in block #{found[0]}")
                    if on_included:
                        on_included()
                elif nonce is not None and _account_nonce(chain, signer_address, chain.block_hash(best)) > nonce:
                    # Another transaction with our nonce is in a block up to #best and ours is not: it never will be.
                    raise Failure(
                        f"extrinsic {target} was displaced: another transaction from {signer_address} with the same "
                        f"nonce ({nonce}) landed instead; nothing from this command is on chain — run it again"
                    )
            if found is not None:
                number, block_hash = found
                if wait == "included":
                    break
                finalized = chain.finalized_number()
                if finalized >= number:
                    if chain.rpc("chain_getBlockHash", [number]) == block_hash:
                        say(f"finalized (#{finalized})")
                        break
                    # our block lost a fork: look again from there
                    say(f"block #{number} was replaced by a fork; looking again")
                    found, scanned = None, number - 1
        except LINK_ERRORS:
            say("connection lost; reconnecting (the extrinsic is not sent again)")
            time.sleep(poll)
            try:
                chain.reconnect()
            except LINK_ERRORS:
                pass
            continue
        time.sleep(poll)
    else:
        state = "included" if found is None else "finalized"
        raise SubmissionTimedOut(
            f"extrinsic {target} was not {state} within {timeout:.0f} s; it may still land: check with "
            "'fennel-gov status' before trying again"
        )
    return _receipt(chain, target, found, wait)


def _receipt(chain: Chain, target: str, found: tuple[int | None, str], wait: str) -> Receipt:
    block_hash = found[1]
    number, events = _events(chain, target, block_hash)
    number = number if number is not None else found[0]
    if number is None:
        raise Failure(f"the node's block {block_hash} holding extrinsic {target} has no readable header; check with 'fennel-gov status'")
    error = outcome_error(chain, events)
    return Receipt(
        extrinsic_hash=target,
        block_hash=block_hash,
        block_number=number,
        finalized=wait == "finalized",
        success=error is None,
        events=events,
        error=error,
    )


def _follow_watch(chain: Chain, subscription: str, target: str, wait: str, deadline: float, timeout: float, say,
                  on_included, signer_address: str, nonce: int | None) -> tuple[None, str] | None:
    """Follow ``author_extrinsicUpdate`` notifications to ``wait``; None when the connection broke."""
    included: str | None = None
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise SubmissionTimedOut(
                f"extrinsic {target} was not {'finalized' if included else 'included'} within {timeout:.0f} s; it may "
                "still land: check with 'fennel-gov status' before trying again"
            )
        try:
            status = chain.client.next_notification(subscription, min(remaining, IDLE_CHECK))
        except TransportError:
            return None
        if status is None:
            if included is None and nonce is not None:
                best = chain.best_number()
                if _account_nonce(chain, signer_address, chain.block_hash(best)) > nonce:
                    # Another transaction with our nonce is in a block and ours is not: it never will be.
                    raise Failure(
                        f"extrinsic {target} was displaced: another transaction from {signer_address} with the same "
                        f"nonce ({nonce}) landed instead; nothing from this command is on chain — run it again"
                    )
            continue
        if isinstance(status, dict) and "inBlock" in status:
            included = status["inBlock"]
            say(f"included in block {included}")
            if on_included:
                on_included()
            if wait == "included":
                return None, included
        elif isinstance(status, dict) and "finalized" in status:
            if on_included and included is None:
                on_included()
            say(f"finalized in block {status['finalized']}")
            return None, status["finalized"]
        elif isinstance(status, dict) and "retracted" in status:
            say(f"block {status['retracted']} was replaced by a fork; waiting for the extrinsic again")
            included = None
        elif isinstance(status, dict) and "usurped" in status:
            raise Failure(
                f"extrinsic {target} was displaced: another transaction from {signer_address} with the same nonce "
                f"({nonce}) replaced it; nothing from this command is on chain — run it again"
            )
        elif status in ("dropped", "invalid") or (isinstance(status, dict) and "finalityTimeout" in status):
            raise Failure(
                f"the node {'dropped' if status == 'dropped' else 'gave up on'} extrinsic {target} ({status}); "
                "check with 'fennel-gov status' before trying again"
            )
