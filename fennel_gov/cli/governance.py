"""Top-level governance commands: add/remove validators, session keys, status, network checks.

A thin layer over ``fennel_gov.governance.api``: each command checks its options (before anything
is read or sent), connects, lets the API prepare and check the call, shows the plan, asks (or takes
``--yes``), lets the API send and follow it, and renders the receipt — or the error, which for a
failed call inside ``Sudo.sudo`` (shown by polkadot-js as a success) is exit 1 with its module error.
"""

from __future__ import annotations

import sys
from typing import Annotated, Any, Optional

import typer

from fennel_gov.cli._options import Json, PasswordStdin, hidden_prompt, stdin_is_tty
from fennel_gov.cli._render import emit_json, emit_lines, table
from fennel_gov.errors import printable

Url = Annotated[Optional[str], typer.Option("--url", help="Node RPC URL (ws://, wss://, http://). Or --network / FENNEL_GOV_URL.")]
NetworkName = Annotated[Optional[str], typer.Option("--network", help="A network named in ~/.config/fennel-gov/config.toml.")]
Signer = Annotated[
    Optional[str],
    typer.Option("--signer", help="keyring:NAME, json:PATH (polkadot-js file), file:PATH, stdin, or prompt (default on a terminal)."),
]
Wait = Annotated[str, typer.Option("--wait", help="included, finalized, or effective (follow the session changes until the set shows the change).")]
KeysWait = Annotated[str, typer.Option("--wait", help="included or finalized.")]
Yes = Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation (scripts, CI).")]
DryRun = Annotated[bool, typer.Option("--dry-run", help="Check and show the plan (and that the signer can pay the fee), then stop.")]
CallOnly = Annotated[bool, typer.Option("--call-only", help="Print the call data hex (for polkadot-js or a multisig) and stop.")]
Force = Annotated[bool, typer.Option("--force", help="Submit despite failed local checks (the chain still enforces its rules).")]
Timeout = Annotated[
    Optional[float],
    typer.Option("--timeout", help="Seconds to wait (default 300; 1200 with --wait effective).", show_default=False),
]


def _connect(url: str | None, network: str | None):
    from fennel_gov.governance.api import connect
    from fennel_gov.governance.config import resolve_network

    config = resolve_network(url, network)
    return connect(config.url, config.genesis_hash, name=config.name)


def _signer(spec: str | None, password_stdin: bool):
    from fennel_gov.keys.signer import load_signer

    return load_signer(spec, password_stdin=password_stdin, stdin=sys.stdin, prompt=hidden_prompt, is_tty=stdin_is_tty())


def _progress(as_json: bool):
    if as_json or not sys.stderr.isatty():
        return None
    return lambda message: sys.stderr.write(f"… {printable(message)}\n")


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


def _receipt_json(receipt) -> dict[str, Any]:
    result = {
        **receipt.details,
        "call_data": receipt.call_data,
        "fee_estimate": str(receipt.fee_estimate) if receipt.fee_estimate is not None else None,
        "warnings": receipt.warnings,
        "extrinsic_hash": receipt.extrinsic_hash,
        "block_hash": receipt.block_hash,
        "block_number": receipt.block_number,
        "finalized": receipt.finalized,
        "success": receipt.success,
        "error": receipt.error,
        "events": [f"{e['pallet']}.{e['event']}" for e in receipt.events],
    }
    if receipt.effect is not None:
        effect = receipt.effect
        result["effective"] = {"session_index": effect.session_index, "block_number": effect.block_number,
                               "validators": effect.validators}
    return result


def _show_receipt(receipt, as_json: bool) -> None:
    if as_json:
        emit_json(_receipt_json(receipt))
        return
    rows = [
        ("Extrinsic", receipt.extrinsic_hash),
        ("Block", f"#{receipt.block_number} {receipt.block_hash} ({'finalized' if receipt.finalized else 'included'})"),
        ("Events", ", ".join(f"{e['pallet']}.{e['event']}" for e in receipt.events)),
    ]
    if receipt.effect is not None:
        rows.append(("Live", f"session {receipt.effect.session_index} (confirmed at finalized block #{receipt.effect.block_number})"))
    emit_lines(table(rows, indent=""))


def _report(receipt, as_json: bool, summary: dict[str, Any]) -> None:
    """Render the receipt of a raw submission (``tx submit``) and fail if its call failed."""
    from fennel_gov.governance.api import submission_failed

    receipt.details = {**summary, **receipt.details}
    _show_receipt(receipt, as_json)
    if receipt.error:
        raise submission_failed(receipt)


def _plan_lines(prepared) -> list[str]:
    lines = []
    plan = prepared.plan
    timing = plan.info.get("timing") if plan else None
    if timing:
        lines.append(
            f"Live from session {timing['live_from_session']} at block #{timing['live_from_block']} "
            f"(now session {timing['current_session']}; the queues are applied at block #{timing['next_session_block']}, "
            f"in {timing['blocks_to_next_session']} blocks)"
        )
    grandpa = plan.info.get("grandpa") if plan else None
    if grandpa:
        lines.append(
            f"GRANDPA: {grandpa['threshold_before']} of {grandpa['validators_before']} votes needed now, "
            f"{grandpa['threshold_after']} of {grandpa['validators_after']} after"
        )
    lines += [f"warning: {w}" for w in prepared.warnings]
    return lines


def _check_options(wait: str, timeout: float | None, *, effective_allowed: bool = True) -> None:
    from fennel_gov.governance.api import check_wait

    check_wait(wait, timeout, effective_allowed=effective_allowed)  # before anything is read or sent


def _run(net, prepared, pair, *, wait, yes, dry_run, call_only, timeout, as_json, no_slack_question=None, send=None) -> None:
    """Show the plan, stop for --call-only / --dry-run, ask, send, report: the one path of every change."""
    from fennel_gov.errors import BadInput, ChangeDropped, SubmissionFailed

    summary = prepared.summary
    if call_only:
        emit_json(summary) if as_json else emit_lines([prepared.call_data])
        return
    if not as_json:
        emit_lines([f"Call data: {prepared.call_data}", f"Fee estimate: {_fnl(prepared.fee_estimate)}", *_plan_lines(prepared)])
    if dry_run:
        emit_json({**summary, "dry_run": True}) if as_json else emit_lines(["Dry run: nothing submitted."])
        return
    if prepared.plan is not None and prepared.plan.info.get("no_slack"):
        if not yes and not stdin_is_tty():
            raise BadInput(
                "the new set has no GRANDPA slack: every validator must be online. Make sure the node is running "
                "with its keys, then add --yes"
            )
        _confirm(no_slack_question or "The new set has no GRANDPA slack. Submit?", yes)
    else:
        _confirm("Submit this change?", yes)
    try:
        receipt = (send or net.send)(prepared, signer=pair, wait=wait, timeout=timeout, progress=_progress(as_json))
    except (SubmissionFailed, ChangeDropped) as failed:
        if failed.receipt is not None:
            _show_receipt(failed.receipt, as_json)
        raise
    _show_receipt(getattr(receipt, "receipt", receipt), as_json)


def register(app: typer.Typer) -> None:
    app.command("add-validator")(add_validator)
    app.command("remove-validator")(remove_validator)
    app.command("set-keys")(set_keys)
    app.command("rotate-keys")(rotate_keys)
    app.command("status")(status)
    app.command("check-network")(check_network)
    app.command("recover-finality")(recover_finality)
    app.command("set-sudo")(set_sudo)


def add_validator(
    accounts: Annotated[list[str], typer.Argument(help="SS58 addresses of the validators to add.")],
    url: Url = None, network: NetworkName = None, signer: Signer = None, password_stdin: PasswordStdin = False,
    wait: Wait = "finalized", yes: Yes = False, dry_run: DryRun = False, call_only: CallOnly = False,
    force: Force = False, timeout: Timeout = None, as_json: Json = False,
) -> None:
    """Queue validators: Sudo.sudo(ValidatorManager.register_validators), after checking their session keys."""
    _check_options(wait, timeout)
    net = _connect(url, network)
    pair = None if call_only else _signer(signer, password_stdin)
    prepared = net.prepare_add(accounts, signer=pair, force=force)
    _run(net, prepared, pair, wait=wait, yes=yes, dry_run=dry_run, call_only=call_only, timeout=timeout, as_json=as_json,
         no_slack_question="The new validator's node must already be running with its session keys, or finality stops. Submit?")


def remove_validator(
    account: Annotated[str, typer.Argument(help="SS58 address of the validator to remove.")],
    url: Url = None, network: NetworkName = None, signer: Signer = None, password_stdin: PasswordStdin = False,
    wait: Wait = "finalized", yes: Yes = False, dry_run: DryRun = False, call_only: CallOnly = False,
    force: Force = False, timeout: Timeout = None, as_json: Json = False,
) -> None:
    """Queue a validator's removal: Sudo.sudo(ValidatorManager.remove_validator), refusing what the chain would drop."""
    _check_options(wait, timeout)
    net = _connect(url, network)
    pair = None if call_only else _signer(signer, password_stdin)
    prepared = net.prepare_remove(account, signer=pair, force=force)
    _run(net, prepared, pair, wait=wait, yes=yes, dry_run=dry_run, call_only=call_only, timeout=timeout, as_json=as_json)


def set_keys(
    session_keys: Annotated[str, typer.Argument(help="SCALE SessionKeys, 0x hex (from author_rotateKeys or keys session-keys generate).")],
    for_account: Annotated[Optional[str], typer.Option("--for", help="Set them on this account's behalf (Sudo.sudo_as; signer = sudo).")] = None,
    proof: Annotated[str, typer.Option("--proof", help="Ownership proof, 0x hex (empty for runtimes that do not check it).")] = "0x",
    url: Url = None, network: NetworkName = None, signer: Signer = None, password_stdin: PasswordStdin = False,
    wait: KeysWait = "finalized", yes: Yes = False, dry_run: DryRun = False, call_only: CallOnly = False,
    force: Force = False, timeout: Timeout = None, as_json: Json = False,
) -> None:
    """Session.set_keys(keys, proof) from the validator's own account (or --for it, by sudo)."""
    from fennel_gov._codec import from_hex
    from fennel_gov.errors import BadInput
    from fennel_gov.keys import SessionKeys

    _check_options(wait, timeout, effective_allowed=False)
    keys = SessionKeys.decode(session_keys)
    problems = keys.problems()
    if problems:  # before any connection: bad bytes are bad input
        raise BadInput(f"these session keys could never sign ({'; '.join(problems)}); check the bytes (aura first, then grandpa)")
    proof_bytes = from_hex(proof, what="--proof")
    net = _connect(url, network)
    pair = None if call_only else _signer(signer, password_stdin)
    prepared = net.prepare_set_keys(keys, signer=pair, for_account=for_account, proof=proof_bytes, force=force)
    _run(net, prepared, pair, wait=wait, yes=yes, dry_run=dry_run, call_only=call_only, timeout=timeout, as_json=as_json)


def rotate_keys(
    node_url: Annotated[str, typer.Option("--node-url", help="The validator node's own RPC (unsafe methods; local or port-forwarded).")],
    url: Url = None, network: NetworkName = None, signer: Signer = None, password_stdin: PasswordStdin = False,
    wait: KeysWait = "finalized", yes: Yes = False, force: Force = False, timeout: Timeout = None, as_json: Json = False,
) -> None:
    """Ask first; then author_rotateKeys on the validator's node, Session.set_keys with the result, and confirm NextKeys."""
    from fennel_gov.errors import ChangeDropped, SubmissionFailed

    _check_options(wait, timeout, effective_allowed=False)
    net = _connect(url, network)
    pair = _signer(signer, password_stdin)
    checked = net.prepare_rotate_keys(signer=pair, force=force)
    if not as_json:
        emit_lines([f"Fee estimate: {_fnl(checked.fee_estimate)}", *_plan_lines(checked)])
    # Asked before the node generates anything: keys rotated and never set would be wasted in its keystore.
    _confirm(f"Generate new session keys on {node_url} and set them on chain for {checked.signer}?", yes)
    try:
        receipt = net.rotate_keys(node_url, signer=pair, wait=wait, timeout=timeout, force=force,
                                  progress=_progress(as_json), checked=checked)
    except (SubmissionFailed, ChangeDropped) as failed:
        if failed.receipt is not None:
            _show_receipt(failed.receipt, as_json)
        raise
    if not as_json:
        emit_lines([f"New session keys from {node_url}: {receipt.details['session_keys']}"])
    _show_receipt(receipt, as_json)


def status(
    url: Url = None, network: NetworkName = None,
    finality_lag: Annotated[int, typer.Option("--finality-lag", help="Warn when finality trails the best block by more blocks than this.")] = 20,
    as_json: Json = False,
) -> None:
    """The validator set now, next session and after the pending changes, when each goes live, keys, finality, sudo."""
    net = _connect(url, network)
    st = net.status(finality_lag=finality_lag)
    if as_json:
        emit_json(st.to_json())
        return

    def keys(account: str) -> str:
        return "yes" if st.next_keys.get(account) else "NO"

    lines = table([
        ("Session", f"{st.session_index} (next at block #{st.next_session_block}, in {st.blocks_to_next_session} blocks; period {st.session_period})"),
        ("Blocks", f"best #{st.best_block}, finalized #{st.finalized_block} (lag {st.finality_lag})"),
        ("Sudo", st.sudo or "none"),
        ("MinAuthorities", st.min_authorities),
        ("GRANDPA", f"{st.grandpa_threshold} of {len(st.grandpa_authorities)} votes to finalize"),
    ], indent="")
    lines.append(f"Validators now, session {st.session_index} ({len(st.validators)}):")
    lines += [f"  {a}  keys: {keys(a)}" for a in st.validators]
    lines.append(f"Next session {st.session_index + 1}, from block #{st.next_session_block} ({len(st.queued_validators)}):")
    lines += [f"  {a}  keys: {keys(a)}" for a in st.queued_validators]
    for label, entries in (("Queued to join", st.queued_additions), ("Queued to leave", st.queued_removals)):
        if entries:
            lines.append(f"{label} (applied at block #{st.next_session_block}):")
            lines += [f"  {a}" + (f"  keys: {keys(a)}" if label == "Queued to join" else "") for a in entries]
    if st.projected_validators is None:
        lines.append(f"Session {st.session_index + 2}, from block #{st.projected_session_block}: the pending change is DROPPED; "
                     f"the set stays as in session {st.session_index + 1}")
    else:
        lines.append(f"Session {st.session_index + 2}, from block #{st.projected_session_block} ({len(st.projected_validators)}):")
        lines += [f"  {a}" for a in st.projected_validators]
    lines += [f"warning: {w}" for w in st.warnings]
    emit_lines(lines)


def check_network(
    urls: Annotated[Optional[list[str]], typer.Argument(help="Node RPC URLs to compare (with --network: besides its url).", show_default=False)] = None,
    network: NetworkName = None,
    finality_lag: Annotated[int, typer.Option("--finality-lag", help="Flag nodes whose finality trails by more blocks than this.")] = 20,
    timeout: Annotated[float, typer.Option("--timeout", help="Seconds to wait for each node (all are asked at once); a node silent longer is unreachable.")] = 5.0,
    as_json: Json = False,
) -> None:
    """For each node: reachable, genesis, runtime, best/finalized, peers — and what disagrees.

    With --network (or no URLs: the config's default network, else FENNEL_GOV_URL) its url is
    checked too, and every node against its configured genesis_hash."""
    from fennel_gov.errors import BadInput
    from fennel_gov.governance.config import config_path, resolve_network
    from fennel_gov.governance.health import check_nodes

    if not 0 < timeout < float("inf"):
        raise BadInput(f"--timeout takes a positive number of seconds, not {timeout:g}")
    urls = list(urls or [])
    expected = name = None
    if network is not None or not urls:
        try:
            configured = resolve_network(None, network)
        except BadInput as exc:
            if network is not None or not str(exc).startswith("which node?"):
                raise
            raise BadInput(f"which nodes? give their URLs, --network NAME (from {config_path()}), or set FENNEL_GOV_URL") from None
        urls = [configured.url] + [u for u in urls if u != configured.url]
        expected, name = configured.genesis_hash, configured.name
    report = check_nodes(urls, finality_lag=finality_lag, timeout=timeout, expected_genesis=expected, network=name)
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
    stall_threshold: Annotated[int, typer.Option("--stall-threshold", help="Refuse unless finality trails the best block by more blocks than this.")] = 20,
    url: Url = None, network: NetworkName = None, signer: Signer = None, password_stdin: PasswordStdin = False,
    wait: Annotated[str, typer.Option("--wait", help="included (finality is stalled, so 'finalized' would never come).")] = "included",
    yes: Yes = False, dry_run: DryRun = False, call_only: CallOnly = False, force: Force = False,
    timeout: Timeout = None, as_json: Json = False,
) -> None:
    """Sudo.sudo(Grandpa.note_stalled(delay, best_finalized)) for a chain whose finality has stopped."""
    _check_options(wait, timeout, effective_allowed=False)
    net = _connect(url, network)
    pair = None if call_only else _signer(signer, password_stdin)
    prepared = net.prepare_recover_finality(delay=delay, signer=pair, force=force, stall_threshold=stall_threshold)
    _run(net, prepared, pair, wait=wait, yes=yes, dry_run=dry_run, call_only=call_only, timeout=timeout, as_json=as_json)


def set_sudo(
    new_account: Annotated[str, typer.Argument(help="SS58 address of the new sudo account (of this chain's prefix).")],
    url: Url = None, network: NetworkName = None, signer: Signer = None, password_stdin: PasswordStdin = False,
    wait: Annotated[str, typer.Option("--wait", help="included, finalized, or effective (Sudo.Key read back at the finalized head).")] = "finalized",
    yes: Yes = False, dry_run: DryRun = False, call_only: CallOnly = False, force: Force = False,
    timeout: Annotated[Optional[float], typer.Option("--timeout", help="Seconds to wait (default 300, --wait effective too: it waits for finality, not sessions).", show_default=False)] = None,
    as_json: Json = False,
) -> None:
    """Hand sudo to a new account: Sudo.set_key(new), signed by the current sudo key, confirmed by reading Sudo.Key back."""
    _check_options(wait, timeout)
    net = _connect(url, network)
    pair = None if call_only else _signer(signer, password_stdin)
    prepared = net.prepare_set_sudo(new_account, signer=pair, force=force)
    if not as_json and not call_only:
        emit_lines([f"Sudo now: {prepared.summary['old_sudo'] or 'none'}", f"New sudo: {prepared.summary['new_sudo']}"])
    _run(net, prepared, pair, wait=wait, yes=yes, dry_run=dry_run, call_only=call_only, timeout=timeout, as_json=as_json,
         send=net.send_set_sudo)
    if not as_json and not dry_run and not call_only:
        emit_lines([f"Sudo.Key is now {prepared.summary['new_sudo']} (read back from the chain)"])
