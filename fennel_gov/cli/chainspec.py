"""``fennel-gov chainspec``: build, convert, inspect and check chain specs without a node binary."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Optional

import typer

from fennel_gov.cli._options import Json
from fennel_gov.cli._render import emit_json, emit_lines, note, table

app = typer.Typer(help="Chain specs: build, convert to raw, inspect, verify, diff (offline).", no_args_is_help=True, rich_markup_mode=None)

SpecArg = Annotated[
    Optional[Path],
    typer.Argument(help="Chain spec (plain or raw). Default: the embedded Fennel development spec.", dir_okay=False),
]


def default_spec() -> Path:
    configured = os.environ.get("FENNEL_GOV_DEFAULT_SPEC")
    if configured:
        return Path(configured)
    return Path(__file__).resolve().parents[2] / "chainspecs" / "development.json"


def _load(path: Path | None):
    from fennel_gov.chainspec.spec import ChainSpec
    from fennel_gov.errors import BadInput

    path = path or default_spec()
    if not path.exists():
        raise BadInput(f"{path} does not exist; give the chain spec to read")
    return ChainSpec.load(path)


def _fnl(amount: str | None, decimals: int, symbol: str) -> str:
    if amount is None:
        return "n/a"
    value = int(amount)
    whole, frac = divmod(value, 10**decimals)
    frac_text = f"{frac:0{decimals}d}".rstrip("0")
    return f"{whole:,}{'.' + frac_text if frac_text else ''} {symbol}"


@app.command()
def inspect(spec: SpecArg = None, as_json: Json = False) -> None:
    """Name, runtime, genesis hash, sudo, validators and their keys, balances, bootnodes."""
    from fennel_gov.chainspec.inspect import inspect_spec

    info = inspect_spec(_load(spec))
    if as_json:
        emit_json(info)
        return
    decimals = int(info["properties"].get("tokenDecimals", 12) or 12)
    symbol = str(info["properties"].get("tokenSymbol", "") or "")
    runtime = info["runtime"]
    lines = [f"{info['name']} ({info['id']}, {info['chain_type']}, {info['format']} spec)"]
    lines += table([
        ("Genesis hash", info["genesis_hash"]),
        ("State root", f"{info['state_root']} (state version {info['state_version']}, {info['storage_entries']} entries)"),
        ("Runtime", f"{runtime['spec_name']} v{runtime['spec_version']} (tx version {runtime['transaction_version']})"),
        ("Code", f"{info['code_hash']} ({info['code_size']:,} bytes, blake2-256)"),
        ("Sudo", info["sudo"] or "none"),
        ("Total issuance", _fnl(info["balances"]["total_issuance"], decimals, symbol)),
        ("Accounts", info["balances"]["accounts"]),
    ])
    lines.append(f"Validators ({len(info['validators'])}):")
    for account in info["validators"]:
        keys = info["session_keys"][account]
        lines.append(f"  {account}")
        lines.append(f"    aura    {keys['aura'] or 'NO SESSION KEYS'}")
        lines.append(f"    grandpa {keys['grandpa'] or 'NO SESSION KEYS'}")
    queued = info["validator_manager"]
    if queued["queued_additions"] or queued["queued_removals"]:
        lines.append(f"Queued: +{queued['queued_additions']} -{queued['queued_removals']}")
    lines.append("Largest holders:")
    lines += [f"  {h['account']}  {_fnl(h['free'], decimals, symbol)}" for h in info["balances"]["largest_holders"]]
    lines.append(f"Bootnodes ({len(info['bootnodes'])}):")
    lines += [f"  {b['address']}" + (f"  !! {b['error']}" if b["error"] else "") for b in info["bootnodes"]]
    emit_lines(lines)


@app.command()
def raw(
    spec: SpecArg = None,
    output: Annotated[Optional[Path], typer.Option("-o", "--output", help="Write the raw spec here (default: standard output).", dir_okay=False)] = None,
    legacy_null_removes: Annotated[
        bool, typer.Option("--legacy-null-removes", help="A null in the patch removes the key (polkadot-sdk before PR #6382).")
    ] = False,
    as_json: Json = False,
) -> None:
    """Convert a plain spec to raw, byte-identical to the node's build-spec --raw; print the genesis hash."""
    import sys

    from fennel_gov.chainspec.genesis import to_raw
    from fennel_gov.chainspec.spec import dumps_raw, save

    document, genesis = to_raw(_load(spec), legacy_null_removes=legacy_null_removes)
    summary = {
        "genesis_hash": "0x" + genesis.genesis_hash.hex(),
        "state_root": "0x" + genesis.state_root.hex(),
        "state_version": genesis.state_version,
        "storage_entries": len(genesis.top),
    }
    if output is None:
        sys.stdout.write(dumps_raw(document))
        sys.stdout.flush()
        note(f"genesis hash {summary['genesis_hash']}")
        return
    save(output, document, raw=True)
    summary["output"] = str(output)
    if as_json:
        emit_json(summary)
    else:
        emit_lines(table([("Wrote", str(output)), ("Genesis hash", summary["genesis_hash"]), ("State root", summary["state_root"])], indent=""))
