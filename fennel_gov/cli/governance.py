"""Top-level governance commands: add/remove validators, session keys, status, network checks.

Each command: resolve the node, read the chain, run the preflight checks, show the plan, ask (or
take ``--yes``), sign, submit once, follow to inclusion or finality, and report what happened —
including a failed call inside ``Sudo.sudo``, which polkadot-js shows as a success.
"""

from __future__ import annotations

import sys
from typing import Annotated, Any, Optional

import typer

from fennel_gov.cli._options import Json, PasswordStdin, hidden_prompt, stdin_is_tty
from fennel_gov.cli._render import emit_json, emit_lines, table

Url = Annotated[Optional[str], typer.Option("--url", help="Node RPC URL (ws://, wss://, http://). Or --network / FENNEL_GOV_URL.")]
NetworkName = Annotated[Optional[str], typer.Option("--network", help="A network named in ~/.config/fennel-gov/config.toml.")]
Signer = Annotated[
    Optional[str],
    typer.Option("--signer", help="keyring:NAME, json:PATH (polkadot-js file), file:PATH, stdin, or prompt (default on a terminal)."),
]
Wait = Annotated[str, typer.Option("--wait", help="included or finalized.")]
Yes = Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation (scripts, CI).")]
DryRun = Annotated[bool, typer.Option("--dry-run", help="Check and show the plan, then stop before submitting.")]
CallOnly = Annotated[bool, typer.Option("--call-only", help="Print the call data hex (for polkadot-js or a multisig) and stop.")]
Force = Annotated[bool, typer.Option("--force", help="Submit despite failed local checks (the chain still enforces its rules).")]
Timeout = Annotated[float, typer.Option("--timeout", help="Seconds to wait for inclusion/finality.")]


def _connect(url: str | None, network: str | None):
    from fennel_gov.governance.chain import Chain
    from fennel_gov.governance.config import resolve_network

    return Chain(resolve_network(url, network))


def _signer(spec: str | None, password_stdin: bool):
    from fennel_gov.keys.signer import load_signer

    return load_signer(spec, password_stdin=password_stdin, stdin=sys.stdin, prompt=hidden_prompt, is_tty=stdin_is_tty())


def _progress(as_json: bool):
    if as_json or not sys.stderr.isatty():
        return None
    return lambda message: sys.stderr.write(f"… {message}\n")


def _address(text: str, chain) -> str:
    from fennel_gov.keys import ss58

    # An address of another network is refused, not silently re-encoded: it is usually the wrong account.
    decoded = ss58.decode(text, expect_prefix=chain.ss58_format)
    if len(decoded.payload) != 32:
        raise ss58.InvalidAddress(f"{text} is not a 32-byte account address")
    return ss58.encode(decoded.payload, chain.ss58_format)


def _confirm(question: str, yes: bool) -> None:
    from fennel_gov.errors import BadInput

    if yes:
        return
    if not stdin_is_tty():
        raise BadInput("this would submit a transaction; add --yes to confirm without a terminal")
    if not typer.confirm(question, default=False):
        raise typer.Abort()


def _fnl(amount: int | None) -> str:
    if amount is None:
        return "unknown"
    return f"{amount / 10**12:.6f} FNL"


def _report(receipt, as_json: bool, summary: dict[str, Any]) -> None:
    from fennel_gov.governance.submit import SubmissionFailed

    result = {
        **summary,
        "extrinsic_hash": receipt.extrinsic_hash,
        "block_hash": receipt.block_hash,
        "block_number": receipt.block_number,
        "finalized": receipt.finalized,
        "success": receipt.success,
        "error": receipt.error,
        "events": [f"{e['pallet']}.{e['event']}" for e in receipt.events],
    }
    if as_json:
        emit_json(result)
    else:
        emit_lines(table([
            ("Extrinsic", receipt.extrinsic_hash),
            ("Block", f"#{receipt.block_number} {receipt.block_hash} ({'finalized' if receipt.finalized else 'included'})"),
            ("Events", ", ".join(result["events"])),
        ], indent=""))
    if receipt.error:
        error = receipt.error
        hint = f"; {error['hint']}" if error.get("hint") else ""
        raise SubmissionFailed(f"the call failed on chain: {error['pallet']}.{error['name']} ({error['docs'] or 'no docs'}){hint}")


def _plan_lines(plan) -> list[str]:
    lines = []
    timing = plan.info.get("timing")
    if timing:
        lines.append(
            f"Live from session {timing['live_from_session']} (now {timing['current_session']}; next session in "
            f"{timing['blocks_to_next_session']} blocks, live in about {timing['blocks_until_live']} blocks)"
        )
    grandpa = plan.info.get("grandpa")
    if grandpa:
        lines.append(
            f"GRANDPA: {grandpa['threshold_before']} of {grandpa['validators_before']} votes needed now, "
            f"{grandpa['threshold_after']} of {grandpa['validators_after']} after"
        )
    lines += [f"warning: {w}" for w in plan.warnings]
    return lines


def _refuse(plan, force: bool = False) -> None:
    from fennel_gov.errors import BadInput

    if not plan.ok and force:
        plan.warnings.extend(f"check overridden by --force: {p}" for p in plan.problems)
        return
    if not plan.ok:
        raise BadInput(plan.problems[0] if len(plan.problems) == 1 else "; ".join(plan.problems))


def register(app: typer.Typer) -> None:
    app.command("add-validator")(add_validator)
    app.command("remove-validator")(remove_validator)
    app.command("set-keys")(set_keys)
    app.command("rotate-keys")(rotate_keys)
    app.command("status")(status)
    app.command("check-network")(check_network)
    app.command("recover-finality")(recover_finality)


def add_validator(
    accounts: Annotated[list[str], typer.Argument(help="SS58 addresses of the validators to add.")],
    url: Url = None, network: NetworkName = None, signer: Signer = None, password_stdin: PasswordStdin = False,
    wait: Wait = "finalized", yes: Yes = False, dry_run: DryRun = False, call_only: CallOnly = False,
    force: Force = False, timeout: Timeout = 300.0, as_json: Json = False,
) -> None:
    """Queue validators: Sudo.sudo(ValidatorManager.register_validators), after checking their session keys."""
    from fennel_gov.governance.preflight import plan_add

    chain = _connect(url, network)
    wanted = [_address(a, chain) for a in accounts]
    snapshot = chain.snapshot(wanted)
    signer_address = None
    pair = None
    if not call_only:
        pair = _signer(signer, password_stdin)
        signer_address = chain.address(pair.account_id)
    plan = plan_add(snapshot, wanted, signer_address)
    _refuse(plan, force)
    inner = chain.compose("ValidatorManager", "register_validators", {"validators": wanted})
    _submit_sudo(chain, inner, plan, pair, wait=wait, yes=yes, dry_run=dry_run, call_only=call_only, timeout=timeout,
                 as_json=as_json, summary={"action": "add-validator", "accounts": wanted},
                 no_slack_question="The new validator's node must already be running with its session keys, or finality stops. Submit?")


def _submit_sudo(chain, inner, plan, pair, *, wait, yes, dry_run, call_only, timeout, as_json, summary, no_slack_question=None, outer=None):
    from fennel_gov.errors import BadInput
    from fennel_gov.governance.chain import ChainSigner

    call = outer if outer is not None else chain.compose("Sudo", "sudo", {"call": inner})
    call_hex = chain.call_hex(call)
    summary = {**summary, "call_data": call_hex, "plan": plan.info if plan else {}, "warnings": plan.warnings if plan else []}
    if call_only:
        emit_json(summary) if as_json else emit_lines([call_hex])
        return
    signer_obj = ChainSigner(pair, chain.ss58_format)
    fee = chain.fee(call, signer_obj)
    summary["fee_estimate"] = str(fee) if fee is not None else None
    if not as_json:
        emit_lines([f"Call data: {call_hex}", f"Fee estimate: {_fnl(fee)}", *(_plan_lines(plan) if plan else [])])
    if dry_run:
        emit_json({**summary, "dry_run": True}) if as_json else emit_lines(["Dry run: nothing submitted."])
        return
    if plan is not None and plan.info.get("no_slack"):
        if not yes and not stdin_is_tty():
            raise BadInput(
                "the new set has no GRANDPA slack: every validator must be online. Make sure the node is running "
                "with its keys, then add --yes"
            )
        _confirm(no_slack_question or "The new set has no GRANDPA slack. Submit?", yes)
    else:
        _confirm("Submit this change?", yes)
    receipt = chain.submit(call, signer_obj, wait=wait, timeout=timeout, progress=_progress(as_json))
    _report(receipt, as_json, summary)


def remove_validator(
    account: Annotated[str, typer.Argument(help="SS58 address of the validator to remove.")],
    url: Url = None, network: NetworkName = None, signer: Signer = None, password_stdin: PasswordStdin = False,
    wait: Wait = "finalized", yes: Yes = False, dry_run: DryRun = False, call_only: CallOnly = False,
    force: Force = False, timeout: Timeout = 300.0, as_json: Json = False,
) -> None:
    """Queue a validator's removal: Sudo.sudo(ValidatorManager.remove_validator), refusing below MinAuthorities."""
    from fennel_gov.governance.preflight import plan_remove

    chain = _connect(url, network)
    target = _address(account, chain)
    snapshot = chain.snapshot()
    pair = None if call_only else _signer(signer, password_stdin)
    plan = plan_remove(snapshot, target, chain.address(pair.account_id) if pair else None)
    _refuse(plan, force)
    inner = chain.compose("ValidatorManager", "remove_validator", {"validator": target})
    _submit_sudo(chain, inner, plan, pair, wait=wait, yes=yes, dry_run=dry_run, call_only=call_only, timeout=timeout,
                 as_json=as_json, summary={"action": "remove-validator", "account": target})


def _check_session_keys(keys) -> None:
    from fennel_gov.errors import BadInput

    problems = keys.problems()
    if problems:
        raise BadInput(f"these session keys could never sign ({'; '.join(problems)}); check the bytes (aura first, then grandpa)")


def _set_keys_call(chain, keys, proof: bytes):
    from fennel_gov.errors import BadInput

    _check_session_keys(keys)
    if not chain.decode_session_keys(keys.encode()):
        raise BadInput("this runtime does not decode these bytes as its SessionKeys; check they came from this chain's node")
    return chain.compose("Session", "set_keys", {
        "keys": {"aura": "0x" + keys.aura.hex(), "grandpa": "0x" + keys.grandpa.hex()},
        "proof": "0x" + proof.hex(),
    })


def set_keys(
    session_keys: Annotated[str, typer.Argument(help="SCALE SessionKeys, 0x hex (from author_rotateKeys or keys session-keys generate).")],
    for_account: Annotated[Optional[str], typer.Option("--for", help="Set them on this account's behalf (Sudo.sudo_as; signer = sudo).")] = None,
    proof: Annotated[str, typer.Option("--proof", help="Ownership proof, 0x hex (empty for runtimes that do not check it).")] = "0x",
    url: Url = None, network: NetworkName = None, signer: Signer = None, password_stdin: PasswordStdin = False,
    wait: Wait = "finalized", yes: Yes = False, dry_run: DryRun = False, call_only: CallOnly = False,
    timeout: Timeout = 300.0, as_json: Json = False,
) -> None:
    """Session.set_keys(keys, proof) from the validator's own account (or --for it, by sudo)."""
    from fennel_gov._codec import from_hex
    from fennel_gov.keys import SessionKeys

    keys = SessionKeys.decode(session_keys)
    _check_session_keys(keys)  # before any connection: bad bytes are bad input
    chain = _connect(url, network)
    call = _set_keys_call(chain, keys, from_hex(proof, what="--proof"))
    summary: dict[str, Any] = {"action": "set-keys", "session_keys": keys.to_hex()}
    if for_account:
        who = _address(for_account, chain)
        summary["for"] = who
        outer = chain.compose("Sudo", "sudo_as", {"who": who, "call": call})
    else:
        outer = call
    pair = None if call_only else _signer(signer, password_stdin)
    if pair is not None:
        summary["signer"] = chain.address(pair.account_id)
        if for_account:
            sudo = chain.query("Sudo", "Key")
            if sudo and chain.address(sudo) != summary["signer"]:
                from fennel_gov.errors import BadInput

                raise BadInput(f"--for needs the sudo key ({chain.address(sudo)}) as signer, not {summary['signer']}")
    _submit_sudo(chain, None, None, pair, wait=wait, yes=yes, dry_run=dry_run, call_only=call_only, timeout=timeout,
                 as_json=as_json, summary=summary, outer=outer)
    if not call_only and not dry_run:
        account = summary.get("for") or summary.get("signer")
        stored = chain.next_keys(account)
        if stored != keys:
            from fennel_gov.errors import Failure

            raise Failure(f"Session.NextKeys of {account} does not show the new keys after the call")


def rotate_keys(
    node_url: Annotated[str, typer.Option("--node-url", help="The validator node's own RPC (unsafe methods; local or port-forwarded).")],
    url: Url = None, network: NetworkName = None, signer: Signer = None, password_stdin: PasswordStdin = False,
    wait: Wait = "finalized", yes: Yes = False, timeout: Timeout = 300.0, as_json: Json = False,
) -> None:
    """author_rotateKeys on the validator's node, then Session.set_keys with the result, then confirm NextKeys."""
    from fennel_gov.governance.chain import ChainSigner
    from fennel_gov.keys import SessionKeys
    from fennel_gov.errors import Failure

    chain = _connect(url, network)
    pair = _signer(signer, password_stdin)
    owner = chain.address(pair.account_id)
    node = _node_client(node_url)
    methods = node.methods()
    proof = b""
    if "author_rotateKeysWithOwner" in methods:
        answer = node.call("author_rotateKeysWithOwner", ["0x" + pair.account_id.hex()])
        keys = SessionKeys.decode(answer["keys"])
        proof = bytes.fromhex(answer["proof"][2:])
    else:
        keys = SessionKeys.decode(node.call("author_rotateKeys", []))
    call = _set_keys_call(chain, keys, proof)
    summary = {"action": "rotate-keys", "session_keys": keys.to_hex(), "signer": owner, "node": node_url}
    if not as_json:
        emit_lines([f"New session keys from {node_url}: {keys.to_hex()}"])
    _confirm("Set these keys on chain?", yes)
    receipt = chain.submit(call, ChainSigner(pair, chain.ss58_format), wait=wait, timeout=timeout, progress=_progress(as_json))
    stored = chain.next_keys(owner)
    summary["next_keys_confirmed"] = stored == keys
    _report(receipt, as_json, summary)
    if stored != keys:
        raise Failure(f"Session.NextKeys of {owner} does not show the rotated keys")


def _node_client(url: str):
    from fennel_gov.governance.rpc import RpcClient

    return RpcClient(url, timeout=30)


def status(
    url: Url = None, network: NetworkName = None,
    finality_lag: Annotated[int, typer.Option("--finality-lag", help="Warn when finality trails the best block by more blocks than this.")] = 20,
    as_json: Json = False,
) -> None:
    """Session, validator set, queues, session keys, authorities, finality and the sudo key."""
    from fennel_gov.governance.preflight import grandpa_threshold, session_timing, status_warnings

    chain = _connect(url, network)
    snapshot = chain.snapshot()
    timing = session_timing(snapshot)
    info = {
        "genesis_hash": chain.genesis_hash,
        "session_index": snapshot.session_index,
        "blocks_to_next_session": timing["blocks_to_next_session"],
        "session_period": snapshot.session_period,
        "validators": snapshot.validators,
        "queued_additions": [{"account": a, "live_from_session": snapshot.session_index + 2} for a in snapshot.queued_additions],
        "queued_removals": [{"account": a, "live_from_session": snapshot.session_index + 2} for a in snapshot.queued_removals],
        "next_keys": {a: (k.to_hex() if k else None) for a, k in snapshot.next_keys.items()},
        "aura_authorities": snapshot.aura_authorities,
        "grandpa_authorities": snapshot.grandpa_authorities,
        "grandpa_threshold": grandpa_threshold(len(snapshot.grandpa_authorities)),
        "min_authorities": snapshot.min_authorities,
        "sudo": snapshot.sudo,
        "best_block": snapshot.block_number,
        "finalized_block": snapshot.finalized_number,
        "finality_lag": snapshot.block_number - snapshot.finalized_number,
        "warnings": status_warnings(snapshot, finality_lag),
    }
    if as_json:
        emit_json(info)
        return
    lines = table([
        ("Session", f"{info['session_index']} (next in {info['blocks_to_next_session']} blocks, period {info['session_period']})"),
        ("Blocks", f"best #{info['best_block']}, finalized #{info['finalized_block']} (lag {info['finality_lag']})"),
        ("Sudo", info["sudo"] or "none"),
        ("MinAuthorities", info["min_authorities"]),
        ("GRANDPA", f"{info['grandpa_threshold']} of {len(snapshot.grandpa_authorities)} votes to finalize"),
    ], indent="")
    lines.append(f"Validators ({len(snapshot.validators)}):")
    lines += [f"  {a}  keys: {'yes' if snapshot.next_keys.get(a) else 'NO'}" for a in snapshot.validators]
    for label, entries in (("Queued to join", info["queued_additions"]), ("Queued to leave", info["queued_removals"])):
        if entries:
            lines.append(f"{label}:")
            lines += [f"  {e['account']}  live from session {e['live_from_session']}"
                      + (f"  keys: {'yes' if snapshot.next_keys.get(e['account']) else 'NO'}" if label == "Queued to join" else "")
                      for e in entries]
    lines += [f"warning: {w}" for w in info["warnings"]]
    emit_lines(lines)


def check_network(
    urls: Annotated[list[str], typer.Argument(help="Node RPC URLs to compare.")],
    finality_lag: Annotated[int, typer.Option("--finality-lag", help="Flag nodes whose finality trails by more blocks than this.")] = 20,
    as_json: Json = False,
) -> None:
    """For each node: reachable, genesis, runtime, best/finalized, peers — and what disagrees."""
    from fennel_gov.governance.health import check_nodes

    report = check_nodes(urls, finality_lag=finality_lag)
    if as_json:
        emit_json(report)
    else:
        lines = []
        for node in report["nodes"]:
            if not node["reachable"]:
                lines.append(f"{node['url']}: UNREACHABLE ({node['error']})")
                continue
            lines.append(
                f"{node['url']}: genesis {node['genesis_hash'][:18]}…, {node['spec_name']} v{node['spec_version']}, "
                f"best #{node['best_block']}, finalized #{node['finalized_block']}, peers {node['peers']}"
            )
        lines += [f"problem: {p}" for p in report["problems"]]
        lines.append("all nodes agree" if report["ok"] else f"{len(report['problems'])} problem(s)")
        emit_lines(lines)
    if not report["ok"]:
        from fennel_gov.errors import Failure

        raise Failure(f"{len(report['problems'])} problem(s) across {len(urls)} node(s)")


def recover_finality(
    delay: Annotated[int, typer.Option("--delay", help="Blocks GRANDPA waits before the forced authority-set change.")] = 10,
    url: Url = None, network: NetworkName = None, signer: Signer = None, password_stdin: PasswordStdin = False,
    wait: Annotated[str, typer.Option("--wait", help="included (finality is stalled, so 'finalized' would never come).")] = "included",
    yes: Yes = False, dry_run: DryRun = False, call_only: CallOnly = False, timeout: Timeout = 300.0, as_json: Json = False,
) -> None:
    """Sudo.sudo(Grandpa.note_stalled(delay, best_finalized)) for a chain whose finality has stopped."""
    chain = _connect(url, network)
    finalized = chain.finalized_number()
    inner = chain.compose("Grandpa", "note_stalled", {"delay": delay, "best_finalized_block_number": finalized})
    pair = None if call_only else _signer(signer, password_stdin)
    if pair is not None:
        sudo = chain.query("Sudo", "Key")
        if sudo and chain.address(sudo) != chain.address(pair.account_id):
            from fennel_gov.errors import BadInput

            raise BadInput(f"the signer is not the sudo key {chain.address(sudo)}")
    _submit_sudo(chain, inner, None, pair, wait=wait, yes=yes, dry_run=dry_run, call_only=call_only, timeout=timeout,
                 as_json=as_json, summary={"action": "recover-finality", "delay": delay, "best_finalized": finalized})
