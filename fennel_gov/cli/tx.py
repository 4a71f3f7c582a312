"""``fennel-gov tx``: build online, sign on the air-gapped machine, submit online."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Optional

import typer

from fennel_gov.cli._options import Force, Json, PasswordStdin, check_output, hidden_prompt, stdin_is_tty
from fennel_gov.cli._render import emit_json, emit_lines, note, table

app = typer.Typer(help="Offline signing: build (online), sign (offline), submit (online).", no_args_is_help=True, rich_markup_mode=None)


@app.command()
def build(
    call: Annotated[str, typer.Option("--call", help="Call data, 0x hex (e.g. from add-validator --call-only), or Pallet.call with ARG=VALUE arguments.")],
    signer: Annotated[str, typer.Option("--signer", help="SS58 address of the account that will sign offline.")],
    output: Annotated[Path, typer.Option("-o", "--output", help="The unsigned-payload file to write.", dir_okay=False)],
    arguments: Annotated[Optional[list[str]], typer.Argument(metavar="[NAME=VALUE]...", help="With --call Pallet.call: its arguments as NAME=VALUE (amounts as 10FNL or plain units, accounts as SS58, inner calls as 0x call data).", show_default=False)] = None,
    url: Annotated[Optional[str], typer.Option("--url", help="Node RPC URL.")] = None,
    network: Annotated[Optional[str], typer.Option("--network", help="A network from the config file.")] = None,
    era_period: Annotated[int, typer.Option("--era-period", help="Blocks the signed transaction stays valid (power of two; 0 = immortal).")] = 4096,
    metadata_hash: Annotated[bool, typer.Option("--metadata-hash", help="Sign CheckMetadataHash in Enabled mode (RFC-78), for runtimes built with the metadata-hash feature.")] = False,
    force: Force = False,
    as_json: Json = False,
) -> None:
    """Fetch nonce, era, genesis, runtime versions and metadata for a call; write the unsigned payload.

    The call by name: tx build --call Balances.transfer_keep_alive dest=5F... value=10FNL --signer ADDR -o tx.json
    """
    from fennel_gov._files import write_atomic
    from fennel_gov.governance.chain import Chain
    from fennel_gov.governance.config import resolve_network
    from fennel_gov.errors import BadInput
    from fennel_gov.governance.txbuild import build_unsigned, compose_call, describe_call

    check_output(output, force)
    by_name = not call.lower().startswith("0x")
    if arguments and not by_name:
        raise BadInput("NAME=VALUE arguments go with --call Pallet.call; 0x call data carries its own")
    chain = Chain(resolve_network(url, network))
    if by_name:
        call = "0x" + compose_call(chain, call, list(arguments or [])).hex()
    unsigned = build_unsigned(chain, call, signer, period=era_period or None, metadata_hash=metadata_hash)
    decoded = describe_call(chain, bytes.fromhex(unsigned["call_data"][2:]))
    write_atomic(output, json.dumps(unsigned, indent=2) + "\n", overwrite=force)
    summary = {k: unsigned[k] for k in ("signer", "nonce", "era", "description", "call_data")} | {"call": decoded, "output": str(output)}
    shown = call_lines(decoded)
    emit_json(summary) if as_json else emit_lines(["Call:", *("  " + line for line in shown)] + table([
        ("Call data", unsigned["call_data"]), ("Signer", unsigned["signer"]), ("Nonce", unsigned["nonce"]),
        ("Valid", f"{era_period} blocks from #{unsigned['era'].get('birth_block')}" if era_period else "immortal"),
        ("Wrote", f"{output}: carry it to the offline machine and run 'fennel-gov tx sign {output.name}'"),
    ], indent=""))


@app.command()
def sign(
    unsigned_file: Annotated[Path, typer.Argument(help="The unsigned-payload file from 'tx build'.", dir_okay=False)],
    spec: Annotated[Optional[Path], typer.Option("--spec", help="The network's chain spec (raw or plain): the runtime to trust, and the genesis hash, computed.", dir_okay=False)] = None,
    runtime: Annotated[Optional[Path], typer.Option("--runtime", help="The runtime wasm to trust (plain or srtool's compact.compressed.wasm), when no chain spec is at hand.", dir_okay=False)] = None,
    trust_file_metadata: Annotated[bool, typer.Option("--trust-file-metadata", help="UNSAFE: decode the call with the metadata the online machine put in the file.")] = False,
    max_tip: Annotated[str, typer.Option("--max-tip", help="Largest tip to sign, in tokens (FNL); a sudo action needs none.")] = "0",
    output: Annotated[Optional[Path], typer.Option("-o", "--output", help="Signed file (default: <file>.signed.json).", dir_okay=False)] = None,
    signer: Annotated[Optional[str], typer.Option("--signer", help="json:PATH, file:PATH, keyring:NAME, stdin or prompt.")] = None,
    password_stdin: PasswordStdin = False,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Sign without asking (after printing what is signed).")] = False,
    force: Force = False,
    as_json: Json = False,
) -> None:
    """Check the file against a trusted runtime, show what is signed, ask, sign. No network."""
    from fennel_gov._files import read_json, write_atomic
    from fennel_gov.errors import BadInput
    from fennel_gov.keys.signer import load_signer
    from fennel_gov.txfile import trusted as trusted_runtime
    from fennel_gov.txfile.fields import UnsignedTx
    from fennel_gov.txfile.payload import sign_unsigned
    from fennel_gov.txfile.review import FENNEL_DECIMALS, parse_amount, review

    if spec is not None and runtime is not None:
        raise BadInput("give --spec or --runtime, not both")
    if spec is None and runtime is None and not trust_file_metadata:
        raise BadInput("which runtime do you trust? give --spec RAW_SPEC (the network's chain spec) or --runtime WASM "
                       "(the srtool-built runtime carried in with the ceremony material); --trust-file-metadata signs "
                       "with the file's own metadata, which the online machine can forge")
    target = output or unsigned_file.with_name(unsigned_file.stem + ".signed.json")
    check_output(target, force)  # before a password is asked
    tx = UnsignedTx.from_json(read_json(unsigned_file, "transaction file"))
    trusted = trusted_runtime.from_spec(spec) if spec else trusted_runtime.from_runtime(runtime) if runtime else None
    decimals = trusted.token_decimals if trusted else FENNEL_DECIMALS
    shown = review(tx, trusted, max_tip=parse_amount(max_tip, decimals, "--max-tip"))
    for warning in shown.warnings:
        note(warning)
    if not as_json:
        emit_lines(["You are signing:", *review_lines(shown)])
    if not yes:
        if not stdin_is_tty() or signer == "stdin" or password_stdin:
            raise BadInput("confirm with --yes when standard input is not a terminal (or carries the secret)")
        if not typer.confirm("Sign this?", default=False):
            raise typer.Abort()
    pair = load_signer(signer, password_stdin=password_stdin, stdin=sys.stdin, prompt=hidden_prompt, is_tty=stdin_is_tty())
    digest = bytes.fromhex(shown.metadata_hash[2:]) if shown.metadata_hash else None
    signed = sign_unsigned(tx, pair, ss58_format=trusted.ss58_format if trusted else None, metadata_hash=digest)
    signed["description"] = shown.call_name
    signed["review"] = shown.as_json()
    write_atomic(target, json.dumps(signed, indent=2) + "\n", overwrite=force)
    if as_json:
        emit_json({"output": str(target), "extrinsic_hash": signed["extrinsic_hash"], "signature": signed["signature"],
                   "review": shown.as_json()})
    else:
        emit_lines([f"Wrote {target} (extrinsic {signed['extrinsic_hash']}): carry it to the online machine and run 'fennel-gov tx submit'"])


def call_lines(call: dict, indent: str = "  ") -> list[str]:
    """A decoded call, one argument a line, inner calls indented under their argument."""
    lines = [f"{call['pallet']}.{call['call']}"]
    for name, value in call["args"].items():
        if isinstance(value, dict) and "pallet" in value and "args" in value:
            inner = call_lines(value, indent)
            lines.append(f"{indent}{name}: {inner[0]}")
            lines.extend(indent + line for line in inner[1:])
        else:
            lines.append(f"{indent}{name}: {_value_text(value)}")
    return lines


def _value_text(value) -> str:
    if isinstance(value, dict) and set(value) == {"units", "amount"}:
        return f"{value['amount']} ({value['units']} units)"
    if isinstance(value, list):
        return "[" + ", ".join(_value_text(v) for v in value) + "]"
    return json.dumps(value) if isinstance(value, (dict, bool)) or value is None else str(value)


def review_lines(shown) -> list[str]:
    """The review as the operator reads it, every signed field on its own line."""
    era = shown.era
    if era["kind"] == "immortal":
        era_text = "immortal (valid until used; prefer a mortal era)"
    else:
        era_text = (f"mortal, {era['period']} blocks, phase {era['phase']} (what is signed); the file places it at "
                    f"#{era['birth_block']} to before #{era['valid_before_block']} with birth block hash {era['birth_hash']}, "
                    "which cannot be checked offline (a wrong one only makes the tx invalid)")
    network = shown.network_name or "(no chain spec given: network unknown)"
    if shown.chain_type:
        network += f" ({shown.chain_type})"
    genesis = shown.genesis_hash + (" (computed from the chain spec)" if shown.genesis_hash_checked else " (from the file, NOT checked)")
    call = call_lines(shown.call)
    return table([
        ("Network", network),
        ("Genesis hash", genesis),
        ("Runtime", f"{shown.spec_name} spec_version {shown.spec_version}, transaction_version {shown.transaction_version}"),
        ("Trusted runtime", f"{shown.runtime_source}" + (f", blake2_256 {shown.runtime_code_hash}" if shown.runtime_code_hash else "")),
        ("Signer", shown.signer),
        ("Nonce", shown.nonce),
        ("Tip", f"{shown.tip} ({shown.tip_units} units; decimals from {shown.token_source})"),
        ("Era", era_text),
        ("Metadata hash", f"enabled, {shown.metadata_hash} (RFC-78, recomputed from the trusted runtime)" if shown.metadata_hash
         else "disabled (CheckMetadataHash mode 0)"),
        ("Call", call[0]),
    ]) + [" " * 19 + line for line in call[1:]]


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
    from fennel_gov._files import read_json
    from fennel_gov.cli.governance import _progress, _report
    from fennel_gov.errors import BadInput
    from fennel_gov.governance.chain import Chain
    from fennel_gov.governance.config import resolve_network
    from fennel_gov.governance.submit import submit_signed
    from fennel_gov.txfile.fields import SignedTx

    signed = SignedTx.from_json(read_json(signed_file, "transaction file"))
    chain = Chain(resolve_network(url, network))
    if chain.genesis_hash.lower() != "0x" + signed.genesis_hash.hex():
        raise BadInput(f"the transaction is for the chain 0x{signed.genesis_hash.hex()}, but the node serves {chain.genesis_hash}")
    receipt = submit_signed(chain, "0x" + signed.extrinsic.hex(), signed.signer, signed.nonce, wait=wait, timeout=timeout,
                            progress=_progress(as_json))
    _report(receipt, as_json, {"action": "tx-submit", "call": signed.description})
