"""``fennel-gov tx``: build online, sign on the air-gapped machine, submit online."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Optional

import typer

from fennel_gov.cli._options import Json, PasswordStdin, hidden_prompt, stdin_is_tty
from fennel_gov.cli._render import emit_json, emit_lines, table

app = typer.Typer(help="Offline signing: build (online), sign (offline), submit (online).", no_args_is_help=True, rich_markup_mode=None)


@app.command()
def build(
    call: Annotated[str, typer.Option("--call", help="Call data, 0x hex (e.g. from add-validator --call-only).")],
    signer: Annotated[str, typer.Option("--signer", help="SS58 address of the account that will sign offline.")],
    output: Annotated[Path, typer.Option("-o", "--output", help="The unsigned-payload file to write.", dir_okay=False)],
    url: Annotated[Optional[str], typer.Option("--url", help="Node RPC URL.")] = None,
    network: Annotated[Optional[str], typer.Option("--network", help="A network from the config file.")] = None,
    era_period: Annotated[int, typer.Option("--era-period", help="Blocks the signed transaction stays valid (power of two; 0 = immortal).")] = 4096,
    as_json: Json = False,
) -> None:
    """Fetch nonce, era, genesis, runtime versions and metadata for a call; write the unsigned payload."""
    from fennel_gov._files import write_atomic
    from fennel_gov.governance.chain import Chain
    from fennel_gov.governance.config import resolve_network
    from fennel_gov.governance.txbuild import build_unsigned

    chain = Chain(resolve_network(url, network))
    unsigned = build_unsigned(chain, call, signer, period=era_period or None)
    write_atomic(output, json.dumps(unsigned, indent=2) + "\n")
    summary = {k: unsigned[k] for k in ("signer", "nonce", "era", "description")} | {"output": str(output)}
    emit_json(summary) if as_json else emit_lines(table([
        ("Call", unsigned["description"]), ("Signer", unsigned["signer"]), ("Nonce", unsigned["nonce"]),
        ("Valid", f"{era_period} blocks from #{unsigned['era'].get('birth_block')}" if era_period else "immortal"),
        ("Wrote", f"{output}: carry it to the offline machine and run 'fennel-gov tx sign {output.name}'"),
    ], indent=""))


@app.command()
def sign(
    unsigned_file: Annotated[Path, typer.Argument(help="The unsigned-payload file from 'tx build'.", dir_okay=False)],
    output: Annotated[Optional[Path], typer.Option("-o", "--output", help="Signed file (default: <file>.signed.json).", dir_okay=False)] = None,
    signer: Annotated[Optional[str], typer.Option("--signer", help="json:PATH, file:PATH, keyring:NAME, stdin or prompt.")] = None,
    password_stdin: PasswordStdin = False,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Sign without asking (after printing what is signed).")] = False,
    as_json: Json = False,
) -> None:
    """Show what is being signed (decoded offline), ask, sign, write the signed extrinsic. No network."""
    from fennel_gov._files import write_atomic
    from fennel_gov.errors import BadInput
    from fennel_gov.keys.signer import load_signer
    from fennel_gov.txfile.payload import UNSIGNED, describe, load, sign_unsigned

    unsigned = load(unsigned_file, UNSIGNED)
    shown = describe(unsigned)
    if not as_json:
        call = shown["call"]
        emit_lines(["You are signing:", *table([
            ("Call", f"{call['pallet']}.{call['call']}"),
            ("Arguments", json.dumps(call["args"])),
            ("Signer", shown["signer"]),
            ("Nonce", shown["nonce"]),
            ("Era", shown["era"]),
            ("Chain", f"{shown['chain']['spec_name']} v{shown['chain']['spec_version']}, genesis {shown['chain']['genesis_hash']}"),
        ])])
    if not yes:
        if not stdin_is_tty() or signer == "stdin" or password_stdin:
            raise BadInput("confirm with --yes when standard input is not a terminal (or carries the secret)")
        if not typer.confirm("Sign this?", default=False):
            raise typer.Abort()
    pair = load_signer(signer, password_stdin=password_stdin, stdin=sys.stdin, prompt=hidden_prompt, is_tty=stdin_is_tty())
    signed = sign_unsigned(unsigned, pair)
    signed["call"] = shown["call"]
    target = output or unsigned_file.with_name(unsigned_file.stem + ".signed.json")
    write_atomic(target, json.dumps(signed, indent=2) + "\n")
    emit_json({"output": str(target), "extrinsic_hash": signed["extrinsic_hash"]}) if as_json else emit_lines(
        [f"Wrote {target} (extrinsic {signed['extrinsic_hash']}): carry it to the online machine and run 'fennel-gov tx submit'"])


@app.command()
def submit(
    signed_file: Annotated[Path, typer.Argument(help="The signed file from 'tx sign'.", dir_okay=False)],
    url: Annotated[Optional[str], typer.Option("--url", help="Node RPC URL.")] = None,
    network: Annotated[Optional[str], typer.Option("--network", help="A network from the config file.")] = None,
    wait: Annotated[str, typer.Option("--wait", help="included or finalized.")] = "finalized",
    timeout: Annotated[float, typer.Option("--timeout", help="Seconds to wait.")] = 300.0,
    as_json: Json = False,
) -> None:
    """Submit a signed extrinsic and follow it, as the governance commands do."""
    from fennel_gov.cli.governance import _progress, _report
    from fennel_gov.errors import BadInput
    from fennel_gov.governance.chain import Chain
    from fennel_gov.governance.config import resolve_network
    from fennel_gov.governance.submit import send_and_watch
    from fennel_gov.txfile.payload import SIGNED, load

    signed = load(signed_file, SIGNED)
    chain = Chain(resolve_network(url, network))
    if chain.genesis_hash != signed["chain"]["genesis_hash"]:
        raise BadInput(f"the transaction is for the chain {signed['chain']['genesis_hash']}, but the node serves {chain.genesis_hash}")
    receipt = send_and_watch(chain, signed["extrinsic"], signed["signer"], wait=wait, timeout=timeout, progress=_progress(as_json))
    _report(receipt, as_json, {"action": "tx-submit", "call": signed.get("description")})
