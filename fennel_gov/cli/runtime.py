"""``fennel-gov runtime``: inspect a runtime file, check it against srtool's digest, diff two (offline);
upgrade a live chain (``upgrade``: the only command here that loads network code, and only when it runs)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from fennel_gov.cli._options import Json
from fennel_gov.cli._render import emit_json, emit_lines, table

app = typer.Typer(help="Runtime files: inspect, check against srtool's digest, diff (offline); upgrade a live chain.",
                  no_args_is_help=True, rich_markup_mode=None)

WasmArg = Annotated[Path, typer.Argument(help="A runtime wasm file, plain or compressed (srtool's .compact.compressed.wasm).", dir_okay=False)]
# A runtime the node accepts decompresses to at most 50 MiB, and compression only shrinks it.
_MAX_FILE = 64 * 1024 * 1024


def _read_code(path: Path) -> bytes:
    from fennel_gov.errors import BadInput

    try:
        size = path.stat().st_size
        if size > _MAX_FILE:
            raise BadInput(f"{path} is {size:,} bytes, larger than any runtime; is it the right file?")
        with path.open("rb") as handle:
            return handle.read(_MAX_FILE + 1)
    except OSError as exc:
        raise BadInput(f"cannot read {path}: {exc.strerror}") from None


def _facts(path: Path):
    from fennel_gov.errors import BadInput
    from fennel_gov.upgrade.inspect import inspect_runtime

    try:
        return inspect_runtime(_read_code(path))
    except BadInput as error:
        raise BadInput(f"{path}: {error}") from None


@app.command()
def inspect(
    wasm: WasmArg,
    srtool_json: Annotated[Optional[Path], typer.Option("--srtool-json", help="Check the file against this srtool digest (srtool build --json).", dir_okay=False)] = None,
    as_json: Json = False,
) -> None:
    """Versions, hashes, pallets, runtime APIs and consensus parameters of a runtime file."""
    from fennel_gov._files import read_json
    from fennel_gov.upgrade.inspect import check_srtool_digest

    digest = read_json(srtool_json) if srtool_json is not None else None  # bad JSON: exit 2 before any work
    facts = _facts(wasm)
    report = check_srtool_digest(facts, digest, str(srtool_json)) if srtool_json is not None else None
    if as_json:
        data = facts.as_json()
        if report is not None:
            data["srtool"] = report.as_json()
        emit_json(data)
    else:
        emit_lines(_inspect_lines(wasm, facts, report))
    if report is not None and not report.ok:
        raise typer.Exit(1)


def _inspect_lines(path: Path, facts, report) -> list[str]:
    v = facts.version
    data = facts.as_json()
    lines = [f"{path}"]
    lines += table([
        ("spec", f"{v.spec_name} {v.spec_version}"),
        ("impl", f"{v.impl_name} {v.impl_version}"),
        ("authoring_version", v.authoring_version),
        ("transaction_version", v.transaction_version),
        ("state_version", v.state_version),
        ("compressed", f"yes ({facts.file_size:,} bytes, {facts.wasm_size:,} plain)" if facts.compressed else f"no ({facts.file_size:,} bytes)"),
        ("code_hash", f"{facts.code_hash} (blake2_256 of the file)"),
        ("sha256", facts.sha256),
        ("ss58_prefix", data["ss58_prefix"]),
        ("session period/offset", f"{data['session_period']}/{data['session_offset']}" if data["session_period"] is not None else "not exposed"),
        ("min_authorities", data["min_authorities"]),
        ("presets", ", ".join(facts.presets) or "none"),
    ])
    consensus = facts.consensus
    if consensus is not None:
        lines.append(f"consensus (over the {consensus.preset or 'default'} genesis):")
        lines += table([
            ("slot duration", f"{consensus.slot_duration_ms} ms"),
            ("aura authorities", len(consensus.aura_authorities or ())),
            ("grandpa authorities", len(consensus.grandpa_authorities or ())),
            ("grandpa set id", consensus.grandpa_set_id),
        ])
        lines += [f"  problem: {p}" for p in consensus.problems]
    lines.append(f"pallets ({len(facts.pallets)}):")
    lines += [f"  {p.index:>3} {p.name} ({len(p.calls)} calls)" for p in facts.pallets]
    lines.append(f"runtime APIs ({len(facts.apis)}):")
    lines += [f"  {a.name or a.id} v{a.version}" for a in facts.apis]
    lines.append("transaction extensions: " + ", ".join(facts.transaction_extensions))
    if report is not None:
        lines.append(f"srtool digest (runtimes.{report.entry}): {'matches' if report.ok else 'MISMATCH'}")
        for check in report.checks:
            mark = "ok " if check.ok else "BAD"
            detail = check.actual if check.ok else f"file {check.actual}, digest {check.expected}"
            lines.append(f"  {mark} {check.field}: {detail}")
    return lines


@app.command()
def diff(
    files: Annotated[list[Path], typer.Argument(help="OLD NEW (runtime files), or only NEW with --url.", dir_okay=False, show_default=False)],
    url: Annotated[Optional[str], typer.Option("--url", help="Take OLD from this node's current runtime (its :code), ws:// or http://.")] = None,
    as_json: Json = False,
) -> None:
    """What upgrading OLD → NEW changes; exit 1 when anything would refuse the upgrade or stop the chain."""
    from fennel_gov.errors import BadInput
    from fennel_gov.upgrade.diff import diff_runtimes

    if url is not None:
        if len(files) != 1:
            raise BadInput("with --url give only the NEW runtime file: the node's runtime is OLD")
        old_facts, new_path = _live_facts(url), files[0]
    else:
        if len(files) != 2:
            raise BadInput("give two runtime files, OLD NEW (or NEW with --url)")
        old_facts, new_path = _facts(files[0]), files[1]
    result = diff_runtimes(old_facts, _facts(new_path))
    if as_json:
        emit_json(result.as_json())
    else:
        a, b = result.old.version, result.new.version
        lines = [f"{a.spec_name} {a.spec_version} → {b.spec_name} {b.spec_version}"]
        for finding in result.findings:
            change = ""
            if finding.old is not None or finding.new is not None:
                change = f" ({_short(finding.old)} → {_short(finding.new)})"
            lines.append(f"  {finding.severity.upper():7} {finding.subject}{change}: {finding.message}")
        errors, warnings = len(result.by_severity("error")), len(result.by_severity("warning"))
        lines.append(f"{errors} error(s), {warnings} warning(s)" + ("" if errors else ": nothing here refuses the upgrade or stops the chain"))
        emit_lines(lines)
    if result.has_errors:
        raise typer.Exit(1)


def _live_facts(url: str):
    """The node's current runtime: its ``:code`` at the best block, inspected like a file."""
    from fennel_gov.errors import BadInput, Failure
    from fennel_gov.governance.rpc import RpcClient  # online: only this option reaches the network
    from fennel_gov.upgrade.inspect import inspect_runtime

    client = RpcClient(url, timeout=60.0)
    try:
        answer = client.call("state_getStorage", ["0x" + b":code".hex()])
    finally:
        client.close()
    if not isinstance(answer, str) or not answer.startswith("0x"):
        raise Failure(f"{url} returned no runtime code (:code) for the best block")
    try:
        code = bytes.fromhex(answer[2:])
    except ValueError:
        raise Failure(f"{url} returned runtime code that is not hex") from None
    try:
        return inspect_runtime(code)
    except BadInput as error:
        raise Failure(f"the runtime {url} runs cannot be read: {error}") from None


def _short(value) -> str:
    text = "none" if value is None else str(value)
    return text if len(text) <= 70 else text[:67] + "..."


@app.command()
def upgrade(
    wasm: WasmArg,
    url: Annotated[Optional[str], typer.Option("--url", help="Node RPC URL (ws://, wss://, http://). Or --network / FENNEL_GOV_URL.")] = None,
    network: Annotated[Optional[str], typer.Option("--network", help="A network named in ~/.config/fennel-gov/config.toml.")] = None,
    signer: Annotated[Optional[str], typer.Option("--signer", help="The sudo key: keyring:NAME, json:PATH, file:PATH, stdin, or prompt. Not needed to apply code the chain already authorized.")] = None,
    password_stdin: Annotated[bool, typer.Option("--password-stdin", help="Read the password from standard input instead of a prompt.")] = False,
    expect_code_hash: Annotated[Optional[str], typer.Option("--expect-code-hash", help="Refuse unless the file's blake2_256 is this 0x hash (even with --force).")] = None,
    srtool_json: Annotated[Optional[Path], typer.Option("--srtool-json", help="Refuse unless the file matches this srtool digest (even with --force).", dir_okay=False)] = None,
    allow_spec_name_change: Annotated[bool, typer.Option("--allow-spec-name-change", help="The new runtime has another spec_name: use the *_without_checks calls.")] = False,
    method: Annotated[str, typer.Option("--method", help="authorize (authorize_upgrade by sudo, then apply_authorized_upgrade unsigned) or set-code (sudo_unchecked_weight(set_code)).")] = "authorize",
    wait: Annotated[str, typer.Option("--wait", help="included, finalized, or effective (until the new runtime has built a block).")] = "finalized",
    timeout: Annotated[Optional[float], typer.Option("--timeout", help="Seconds to wait for the whole upgrade (default 300).", show_default=False)] = None,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation (scripts, CI).")] = False,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Run the preflight and show the plan, then stop.")] = False,
    call_only: Annotated[bool, typer.Option("--call-only", help="Print the authorize call's data (for tx build/sign/submit) and stop; then run again without --signer to apply.")] = False,
    force: Annotated[bool, typer.Option("--force", help="Send despite failed local checks (the chain still enforces its own).")] = False,
    as_json: Json = False,
) -> None:
    """Upgrade the chain's runtime to WASM after a preflight against the running one; done when the chain runs it."""
    from fennel_gov._files import read_json
    from fennel_gov.errors import BadInput
    from fennel_gov.upgrade.plan import METHODS, check_code_hash

    # Every option is checked before the node is contacted.
    if method not in METHODS:
        raise BadInput(f"--method takes authorize or set-code, not {method!r}")
    if call_only and method != "authorize":
        raise BadInput("--call-only gives the small authorize call; set-code's call carries the whole runtime: use --method authorize")
    if expect_code_hash is not None:
        check_code_hash(expect_code_hash)
    from fennel_gov.governance.api import check_wait  # network code from here on: only this command loads it

    check_wait(wait, timeout)
    digest = read_json(srtool_json) if srtool_json is not None else None
    code = _read_code(wasm)
    from fennel_gov.runtime.code import decompress_code

    decompress_code(code)  # garbage or a cut-off file is said before the node is asked or a key is read
    _upgrade(code, url=url, network=network, signer=signer, password_stdin=password_stdin, expect_code_hash=expect_code_hash,
             digest=digest, srtool_source=str(srtool_json), allow_spec_name_change=allow_spec_name_change, method=method,
             wait=wait, timeout=timeout, yes=yes, dry_run=dry_run, call_only=call_only, force=force, as_json=as_json)


def _upgrade(code: bytes, *, url, network, signer, password_stdin, expect_code_hash, digest, srtool_source,
             allow_spec_name_change, method, wait, timeout, yes, dry_run, call_only, force, as_json) -> None:
    from fennel_gov._codec import blake2_256
    from fennel_gov.cli.governance import _confirm, _connect, _progress, _signer
    from fennel_gov.errors import SubmissionFailed
    from fennel_gov.governance.upgrade import authorized_upgrade, prepare_upgrade

    net = _connect(url, network)
    pair = None
    if not call_only:
        authorized = authorized_upgrade(net.chain)
        apply_only = (signer is None and method == "authorize" and authorized is not None
                      and authorized["code_hash"] == "0x" + blake2_256(code).hex())
        if not apply_only:
            pair = _signer(signer, password_stdin)
    prepared = prepare_upgrade(net.chain, code, signer=pair, method=method, allow_spec_name_change=allow_spec_name_change,
                               expect_code_hash=expect_code_hash, srtool_digest=digest, srtool_source=srtool_source,
                               force=force, call_only=call_only)
    summary = prepared.summary()
    if call_only:
        emit_json(summary) if as_json else emit_lines([str(prepared.call_data)])
        return
    if not as_json:
        emit_lines(_plan_lines(prepared))
    if dry_run:
        emit_json({**summary, "dry_run": True}) if as_json else emit_lines(["Dry run: nothing submitted."])
        return
    _confirm(f"Upgrade the runtime to {prepared.plan.new_spec}?", yes)
    try:
        receipt = net.upgrade_runtime(code, signer=pair, wait=wait, timeout=timeout, prepared=prepared,
                                      progress=_progress(as_json))
    except SubmissionFailed as failed:
        if failed.receipt is not None and not as_json:
            emit_lines([f"Block: #{failed.receipt.block_number} {failed.receipt.block_hash}",
                        "Events: " + ", ".join(f"{e['pallet']}.{e['event']}" for e in failed.receipt.events)])
        raise
    if as_json:
        emit_json(receipt.to_json())
        return
    rows: list[tuple[str, object]] = []
    if receipt.authorize is not None:
        rows.append(("Authorized", f"block #{receipt.authorize.block_number} {receipt.authorize.block_hash}"))
    rows.append(("Upgraded", f"block #{receipt.upgrade_block} {receipt.upgrade.block_hash} "
                             f"({'finalized' if receipt.upgrade.finalized else 'included'})"))
    rows.append(("Runtime", f"{receipt.runtime_version.get('specName')}/{receipt.runtime_version.get('specVersion')}"))
    if receipt.effective_block is not None:
        rows.append(("Effective", f"block #{receipt.effective_block} was built by the new runtime"))
    emit_lines(table(rows, indent=""))


def _plan_lines(prepared) -> list[str]:
    from fennel_gov.cli.governance import _fnl

    plan = prepared.plan
    if prepared.method == "authorize":
        steps = ("apply_authorized_upgrade (already authorized on chain), unsigned" if prepared.already_authorized else
                 f"Sudo.sudo(System.{prepared.system_call}) signed by {prepared.signer}, then apply_authorized_upgrade unsigned")
    else:
        steps = f"Sudo.sudo_unchecked_weight(System.{prepared.system_call}, {prepared.weight}) signed by {prepared.signer}"
    rows: list[tuple[str, object]] = [
        ("Upgrade", f"{plan.old_spec} → {plan.new_spec}"),
        ("Code hash", plan.code_hash),
        ("Steps", steps),
        ("Extrinsic size", f"{prepared.extrinsic_size:,} bytes"),
    ]
    if prepared.call_data is not None:
        rows.append(("Call data", prepared.call_data if len(prepared.call_data) <= 200 else prepared.call_data[:200] + "…"))
    if prepared.fee_estimate is not None:
        rows.append(("Fee estimate", _fnl(prepared.fee_estimate)))
    return table(rows, indent="") + [f"warning: {w}" for w in plan.warnings]
