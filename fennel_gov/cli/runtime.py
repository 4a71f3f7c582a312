"""``fennel-gov runtime``: inspect a runtime file, check it against srtool's digest, diff two (offline)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from fennel_gov.cli._options import Json
from fennel_gov.cli._render import emit_json, emit_lines, table

app = typer.Typer(help="Runtime files: inspect, check against srtool's digest, diff before an upgrade (offline).",
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
