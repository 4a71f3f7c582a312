"""``fennel-gov chainspec``: build, convert, inspect and check chain specs without a node binary."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from fennel_gov.cli._options import Force, Json, check_output
from fennel_gov.cli._render import emit_json, emit_lines, note, table

app = typer.Typer(help="Chain specs: build, convert to raw, inspect, verify, diff (offline).", no_args_is_help=True, rich_markup_mode=None)

SpecArg = Annotated[
    Optional[Path],
    typer.Argument(help="Chain spec (plain or raw). Default: the embedded Fennel development spec.", dir_okay=False),
]


def _load(path: Path | None):
    from fennel_gov.chainspec.spec import ChainSpec, embedded_development_spec
    from fennel_gov.errors import BadInput

    if path is None:
        return embedded_development_spec()
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
        ("State root", f"{info['state_root']} (state version {info['state_version']}, {info['storage_entries']} entries"
         + "".join(f", child trie {key}: {count} entries" for key, count in info["child_tries"].items()) + ")"),
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
    force: Force = False,
    as_json: Json = False,
) -> None:
    """Convert a plain spec to raw, byte-identical to the node's build-spec --raw; print the genesis hash."""
    import sys

    from fennel_gov.chainspec.genesis import to_raw
    from fennel_gov.chainspec.spec import dumps_raw, save

    if output is not None:
        check_output(output, force)  # before the work: an existing file, a device or a link is refused at once
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
    save(output, document, raw=True, overwrite=force)
    summary["output"] = str(output)
    if as_json:
        emit_json(summary)
    else:
        emit_lines(table([("Wrote", str(output)), ("Genesis hash", summary["genesis_hash"]), ("State root", summary["state_root"])], indent=""))


def _runtime_code(runtime: Path | None, spec: Path | None) -> bytes:
    from fennel_gov.errors import BadInput

    if runtime is not None and spec is not None:
        raise BadInput("give the runtime as --runtime WASM or --from SPEC, not both")
    if runtime is not None:
        from fennel_gov._files import read_bytes

        return read_bytes(runtime, "runtime")
    return _load(spec).code


RuntimeOpt = Annotated[Optional[Path], typer.Option("--runtime", help="Runtime wasm file (plain or zstd-compressed).", dir_okay=False)]
FromSpec = Annotated[Optional[Path], typer.Option("--from", help="Take the runtime code from this spec (default: the embedded development spec).", dir_okay=False)]


@app.command()
def presets(
    runtime: RuntimeOpt = None,
    from_spec: FromSpec = None,
    show: Annotated[Optional[str], typer.Option("--show", help="Print this preset's JSON.")] = None,
    as_json: Json = False,
) -> None:
    """List the runtime's genesis presets, or show one."""
    from fennel_gov.errors import BadInput, quote
    from fennel_gov.runtime import Runtime, get_preset, preset_names

    loaded = Runtime.from_code(_runtime_code(runtime, from_spec))
    names = preset_names(loaded)
    if show is None:
        if as_json:
            emit_json({"presets": names})
        else:
            emit_lines(names)
        return
    if show not in names:
        raise BadInput(f"the runtime has no preset {quote(show)}; it has {', '.join(names) or 'none'}")
    from fennel_gov.errors import Failure

    try:
        preset_json = get_preset(loaded, show)
    except Failure as exc:
        # Fennel's 'production' preset panics on its own placeholder keys: say so instead of the trap.
        reason = str(exc).split("panicked at", 1)[-1].split(": ", 1)[-1] if "panicked" in str(exc) else str(exc)
        raise Failure(f"the runtime lists the preset {quote(show)} but cannot build it ({reason[:120]}); "
                      "build a real network's spec from its ceremony manifest: chainspec build --manifest keys/NAME.json --runtime WASM") from None
    emit_json(preset_json)


def _parse_properties(values: list[str]) -> dict:
    import json

    from fennel_gov.errors import BadInput, quote

    properties: dict = {"ss58Format": 42, "tokenDecimals": 12, "tokenSymbol": "FNL"}
    for item in values:
        key, sep, raw_value = item.partition("=")
        if not sep or not key:
            raise BadInput(f"--property takes KEY=VALUE, got {quote(item)}")
        try:
            properties[key] = json.loads(raw_value)
        except ValueError:
            properties[key] = raw_value
    return properties


@app.command()
def build(
    output: Annotated[Path, typer.Option("-o", "--output", help="Write the plain spec here.", dir_okay=False)],
    runtime: RuntimeOpt = None,
    from_spec: FromSpec = None,
    preset: Annotated[Optional[str], typer.Option("--preset", help="Start from this runtime preset.")] = None,
    patch: Annotated[Optional[Path], typer.Option("--patch", help="JSON patch merged over the preset (or the runtime defaults).", dir_okay=False)] = None,
    name: Annotated[Optional[str], typer.Option("--name", help="Chain name (default: the manifest's, else Fennel).", show_default=False)] = None,
    chain_id: Annotated[Optional[str], typer.Option("--id", help="Chain id, the node's chains/<id> directory (default: the manifest's, else fennel).", show_default=False)] = None,
    chain_type: Annotated[Optional[str], typer.Option("--chain-type", help="Development, Local or Live (default: the manifest's, else Live).", show_default=False)] = None,
    protocol_id: Annotated[Optional[str], typer.Option("--protocol-id", help="libp2p protocol id.")] = "fenn",
    prop: Annotated[list[str], typer.Option("--property", help="KEY=VALUE chain property (JSON value); repeatable.")] = [],
    bootnode: Annotated[list[str], typer.Option("--bootnode", help="Bootnode multiaddr with /p2p/<peer id>; repeatable.")] = [],
    manifest: Annotated[Optional[Path], typer.Option("--manifest", help="A ceremony manifest (keys/<network>.json): sudo, balances, session keys, validators, bootnodes.", dir_okay=False)] = None,
    force: Force = False,
    as_json: Json = False,
) -> None:
    """Build a plain spec from a runtime and a preset and/or patch (or a ceremony manifest), as chain-spec-builder create does."""

    from fennel_gov.chainspec.build import SpecOptions, build_plain_spec
    from fennel_gov.chainspec.spec import save

    from fennel_gov._files import read_json

    check_output(output, force)
    patch_document = read_json(patch, "JSON patch") if patch is not None else None
    options = SpecOptions(
        name=name or "Fennel", id=chain_id or "fennel", chain_type=chain_type or "Live", protocol_id=protocol_id,
        bootnodes=list(bootnode), properties=_parse_properties(prop),
    )
    if manifest is not None:
        from fennel_gov.ceremony.manifest import bootnode_addresses, genesis_patch, load_manifest, network as manifest_network

        from fennel_gov.chainspec.json_patch import merge

        from fennel_gov.errors import BadInput

        loaded = load_manifest(manifest)
        if runtime is None and from_spec is None:
            # The embedded spec's runtime is the development one: a real network names its runtime.
            raise BadInput("--manifest builds a real network's spec: name its runtime with --runtime WASM "
                           "(srtool's compact.compressed.wasm) or --from SPEC")
        network_info = manifest_network(loaded)  # snake_case, from either manifest version
        # Flags given win; the manifest fills what was not given.
        options.name = name or network_info.get("name") or "Fennel"
        options.id = chain_id or network_info.get("id") or "fennel"
        options.chain_type = chain_type or network_info.get("chain_type") or "Live"
        if loaded.get("rehearsal"):
            options.properties["rehearsal"] = True  # chainspec verify --profile production refuses it
        options.bootnodes = list(dict.fromkeys(bootnode_addresses(loaded) + list(bootnode)))
        # The spec's properties keep Substrate's own (camelCase) names.
        options.properties.update({spec_key: network_info[ours] for ours, spec_key in (
            ("ss58_format", "ss58Format"), ("token_symbol", "tokenSymbol"), ("token_decimals", "tokenDecimals")) if ours in network_info})
        patch_document = merge(genesis_patch(loaded), patch_document or {})
    document = build_plain_spec(_runtime_code(runtime, from_spec), options, preset=preset, patch=patch_document)
    save(output, document, raw=False, overwrite=force)
    if as_json:
        emit_json({"output": str(output), "name": options.name, "id": options.id, "chain_type": options.chain_type})
    else:
        emit_lines([f"Wrote {output} ({options.name}, {options.id}, {options.chain_type}); convert it with 'fennel-gov chainspec raw {output} -o RAW'"])


@app.command()
def verify(
    spec: SpecArg = None,
    profile: Annotated[str, typer.Option("--profile", help="production or development.")] = "production",
    expect_code_hash: Annotated[Optional[str], typer.Option("--expect-code-hash", help="The runtime's expected blake2-256 (srtool digest).")] = None,
    as_json: Json = False,
) -> None:
    """Check a spec for the mistakes that stall or expose PoA networks (exit 1 on errors)."""
    import re

    from fennel_gov.chainspec.verify import verify_spec
    from fennel_gov.errors import BadInput, Failure

    if expect_code_hash is not None and not re.fullmatch(r"0x[0-9a-fA-F]{64}", expect_code_hash):
        raise BadInput("--expect-code-hash is the runtime's blake2-256, 0x and 64 hex digits (srtool's digest)")
    result = verify_spec(_load(spec), profile, expect_code_hash=expect_code_hash)
    if as_json:
        emit_json(result)
    else:
        lines = [f"{f['severity'].upper():8} {f['code']:22} {f['message']}" for f in result["findings"]]
        lines.append(f"{result['errors']} error(s), {result['warnings']} warning(s) for the {profile} profile")
        emit_lines(lines)
    if not result["ok"]:
        raise Failure(f"the spec has {result['errors']} error(s) for the {profile} profile")


@app.command()
def diff(
    a: Annotated[Path, typer.Argument(help="First spec (plain or raw).", dir_okay=False)],
    b: Annotated[Path, typer.Argument(help="Second spec (plain or raw).", dir_okay=False)],
    as_json: Json = False,
) -> None:
    """Genesis storage differences, named Pallet.Item(key) from the runtime's metadata."""
    import json

    from fennel_gov.chainspec.diff import diff_specs

    result = diff_specs(_load(a), _load(b))
    if as_json:
        emit_json(result)
        return
    lines = [f"a: {result['a']['genesis_hash']}  {a}", f"b: {result['b']['genesis_hash']}  {b}"]
    if result["identical"]:
        lines.append("identical genesis storage")
    for change in result["changes"]:
        sign = {"added": "+", "removed": "-", "changed": "~"}[change["change"]]
        lines.append(f"{sign} {change['item']}")
        if change["before"] is not None:
            lines.append(f"    a: {json.dumps(change['before'])[:200]}")
        if change["after"] is not None:
            lines.append(f"    b: {json.dumps(change['after'])[:200]}")
    emit_lines(lines)
