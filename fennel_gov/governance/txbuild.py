"""``tx build`` (online): everything the offline signer needs, in one file."""

from __future__ import annotations

from typing import Any

from fennel_gov._codec import blake2_256
from fennel_gov.errors import BadInput
from fennel_gov.governance.chain import Chain
from fennel_gov.keys import ss58
from fennel_gov.txfile.fields import UNSIGNED, UnsignedTx
from fennel_gov.txfile.payload import check_extensions, encode_era


def build_unsigned(chain: Chain, call_data: str, signer: str, *, period: int | None = 4096, tip: int = 0,
                   metadata_hash: bool = False) -> dict[str, Any]:
    """The unsigned-payload document. ``tip`` in the token's smallest units (a sudo action needs none).
    ``metadata_hash``: ask for CheckMetadataHash in Enabled mode, with the RFC-78 digest of the node's
    metadata and token (the signer recomputes it from its trusted runtime)."""
    from scalecodec.base import ScaleBytes

    from fennel_gov._codec import from_hex

    raw_call = from_hex(call_data, what="the call data")
    try:
        call = chain.substrate.runtime_config.create_scale_object("Call", data=ScaleBytes(raw_call), metadata=chain.substrate.metadata)
        decoded = call.decode()
    except Exception as exc:  # noqa: BLE001
        raise BadInput(f"the call data does not decode as a call of this runtime ({type(exc).__name__})") from None
    address = ss58.encode(ss58.decode(signer).payload, chain.ss58_format)
    extensions = [str(e["identifier"].value if hasattr(e["identifier"], "value") else e["identifier"]) for e in chain.substrate.metadata[1][1]["extrinsic"]["signed_extensions"]]
    check_extensions(extensions)
    version = chain.runtime_version
    nonce = chain.rpc("system_accountNextIndex", [address])
    current = chain.best_number()
    if period:
        _, birth = encode_era(period, current)
        era = {"period": period, "current": current, "birth_block": birth, "birth_hash": chain.rpc("chain_getBlockHash", [birth])}
    else:
        era = {"immortal": True}
    # The V14 metadata the command already holds (state_getMetadata answers frame's default, V14): the
    # signer compares it byte for byte with its trusted runtime's, so any other answer fails there.
    metadata = chain.metadata_bytes
    if metadata[4:5] != b"\x0e":
        metadata = _node_metadata(chain, 14, "the node offers no V14 metadata to carry to the offline signer")
    document = {
        "format": UNSIGNED,
        "chain": {
            "genesis_hash": chain.genesis_hash,
            "spec_name": version["specName"],
            "spec_version": version["specVersion"],
            "transaction_version": version["transactionVersion"],
            "ss58_format": chain.ss58_format,
        },
        "signer": address,
        "nonce": nonce,
        "tip": str(tip),
        "era": era,
        "extensions": extensions,
        "call_data": "0x" + raw_call.hex(),
        "description": f"{decoded['call_module']}.{decoded['call_function']}",
        "metadata": "0x" + metadata.hex(),
        # blake2-256 of the metadata carried here: 'tx sign' refuses a file whose metadata was altered.
        # (The runtime's CheckMetadataHash extension is used in its 'disabled' mode.)
        "metadata_hash": "0x" + blake2_256(metadata).hex(),
    }
    if metadata_hash:
        document["check_metadata_hash"] = "0x" + _node_metadata_digest(chain, version, extensions).hex()
    # The node's answers are checked as strictly as the signer will check them: a bad file is never written.
    UnsignedTx.from_json(document)
    return document


def _node_metadata(chain: Chain, version: int, missing: str) -> bytes:
    """The node's metadata at ``version`` (``Metadata_metadata_at_version`` answers an Option of
    bytes); BadInput ``missing`` when the node offers none or answers something else."""
    from fennel_gov._codec import decode_compact

    answer = chain.rpc("state_call", ["Metadata_metadata_at_version", "0x" + version.to_bytes(4, "little").hex()])
    try:
        raw = bytes.fromhex(answer[2:]) if isinstance(answer, str) and answer.startswith("0x") else b""
    except ValueError:
        raw = b""
    if raw[:1] != b"\x01":
        raise BadInput(missing)
    length, offset = decode_compact(raw, 1)
    return raw[offset : offset + length]


def _node_metadata_digest(chain: Chain, version: dict[str, Any], extensions: list[str]) -> bytes:
    """RFC-78's digest of the node's V15 metadata, with the token the node's properties name."""
    from fennel_gov.txfile.metadata_hash import metadata_digest, ss58_prefix_of

    if "CheckMetadataHash" not in extensions:
        raise BadInput("this runtime has no CheckMetadataHash extension: build without --metadata-hash")
    v15 = _node_metadata(chain, 15, "the node offers no V15 metadata, so no metadata hash can be made: build without --metadata-hash")
    properties = chain.rpc("system_properties", []) or {}
    symbol, decimals = properties.get("tokenSymbol"), properties.get("tokenDecimals")
    symbol = symbol[0] if isinstance(symbol, list) and symbol else symbol
    decimals = decimals[0] if isinstance(decimals, list) and decimals else decimals
    if not isinstance(symbol, str) or not isinstance(decimals, int):
        raise BadInput("the node's system_properties name no tokenSymbol/tokenDecimals, which the metadata hash needs")
    return metadata_digest(v15, spec_version=int(version["specVersion"]), spec_name=str(version["specName"]),
                           base58_prefix=ss58_prefix_of(v15), decimals=decimals, token_symbol=symbol)


def compose_call(chain: Chain, name: str, assignments: list[str], *, decimals: int = 12) -> bytes:
    """Call data for ``Pallet.call`` with ``arg=value`` assignments, every argument checked against the
    node's metadata: balances as ``10FNL`` (tokens) or plain units, accounts as SS58 (checksum and the
    chain's prefix checked), inner calls (``Box<RuntimeCall>``) as 0x call data, other values as JSON or text."""
    from fennel_gov.errors import quote

    pallet_name, dot, call_name = name.partition(".")
    if not dot or not pallet_name or not call_name:
        raise BadInput(f"--call takes 0x call data or Pallet.call (e.g. Balances.transfer_keep_alive), not {quote(name)}")
    metadata = chain.substrate.metadata
    pallets = {p.name: p for p in metadata.pallets}
    pallet = pallets.get(pallet_name)
    if pallet is None:
        raise BadInput(f"this runtime has no pallet {quote(pallet_name)}; it has {', '.join(sorted(pallets))}")
    calls = {c.name: c for c in (pallet.calls or [])}
    function = calls.get(call_name)
    if function is None:
        raise BadInput(f"{pallet_name} has no call {quote(call_name)}; it has {', '.join(sorted(calls)) or 'none'}")
    fields = {arg.value["name"]: arg.value.get("typeName") or "" for arg in function.args}
    usage = f"{pallet_name}.{call_name} " + " ".join(f"{n}=<{t}>" for n, t in fields.items())
    given: dict[str, str] = {}
    for item in assignments:
        key, sep, text = item.partition("=")
        if not sep or key not in fields:
            raise BadInput(f"{quote(item)} is not an argument of {pallet_name}.{call_name}; it takes: {usage}")
        if key in given:
            raise BadInput(f"{key} is given twice")
        given[key] = text
    missing = [n for n in fields if n not in given]
    if missing:
        raise BadInput(f"missing {', '.join(missing)}; {pallet_name}.{call_name} takes: {usage}")
    params = {key: _argument(chain, key, fields[key], text, decimals) for key, text in given.items()}
    try:
        call = chain.substrate.compose_call(pallet_name, call_name, params)
    except Exception as exc:  # noqa: BLE001 - scalecodec's encoders raise anything; the message names the argument
        raise BadInput(f"{pallet_name}.{call_name}: the arguments do not encode ({type(exc).__name__}: {str(exc)[:120]}); it takes: {usage}") from None
    return bytes(call.data.data)


def _argument(chain: Chain, key: str, type_name: str, text: str, decimals: int) -> Any:
    import json
    import re

    from fennel_gov.errors import quote

    if "RuntimeCall" in type_name or type_name.endswith("Call>") or type_name == "Call":
        from scalecodec.base import ScaleBytes

        from fennel_gov._codec import from_hex

        raw = from_hex(text, what=f"{key} (inner call data)")
        inner = chain.substrate.runtime_config.create_scale_object("Call", data=ScaleBytes(raw), metadata=chain.substrate.metadata)
        try:
            inner.decode()
        except Exception as exc:  # noqa: BLE001
            raise BadInput(f"{key}: the inner call data does not decode as a call of this runtime ({type(exc).__name__})") from None
        return inner
    if "Balance" in type_name:
        match = re.fullmatch(r"\s*([0-9][0-9_]*(?:\.[0-9]+)?)\s*(FNL)?\s*", text, re.IGNORECASE)
        if match is None:
            raise BadInput(f"{key} is an amount: tokens like 10FNL or 0.5FNL, or plain units like 10000000000000, not {quote(text)}")
        if match.group(2):
            from fennel_gov.txfile.review import parse_amount

            return parse_amount(match.group(1), decimals, key)
        if "." in match.group(1):
            raise BadInput(f"{key}: plain units are whole numbers; write {match.group(1)}FNL for tokens")
        return int(match.group(1).replace("_", ""))
    if "AccountId" in type_name or "Lookup" in type_name or "Address" in type_name:
        try:
            account = ss58.decode(text, expect_prefix=chain.ss58_format)
        except BadInput as exc:
            raise BadInput(f"{key}: {exc}") from None
        return "0x" + account.payload.hex()
    try:
        return json.loads(text)
    except ValueError:
        return text


def describe_call(chain: Chain, call_data: bytes) -> dict[str, Any]:
    """The call decoded with the node's metadata as {pallet, call, args}, inner calls nested alike."""
    from scalecodec.base import ScaleBytes

    call = chain.substrate.runtime_config.create_scale_object("Call", data=ScaleBytes(call_data), metadata=chain.substrate.metadata)
    return _shape(call.decode())


def _shape(value: Any) -> Any:
    if isinstance(value, dict) and "call_module" in value and "call_function" in value:
        args = value.get("call_args") or []
        if isinstance(args, dict):
            named = {k: _shape(v) for k, v in args.items()}
        else:
            named = {a["name"]: _shape(a["value"]) for a in args}
        return {"pallet": value["call_module"], "call": value["call_function"], "args": named}
    if isinstance(value, list):
        return [_shape(v) for v in value]
    if isinstance(value, dict):
        return {k: _shape(v) for k, v in value.items()}
    return value
