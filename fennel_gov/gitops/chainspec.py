"""The raw chain spec in ConfigMaps, and the init container that puts it back together.

Fennel's raw spec is 3.7 MB; a ConfigMap holds at most 1 MiB. The spec is gzip-compressed
(deterministically: no timestamp) and the compressed bytes are cut into parts, one immutable
ConfigMap each under ``binaryData``, named after the spec's sha256 so that a new spec is a new set
of objects and never a half-updated one. Each part carries the annotations
``fennel.network/genesis-hash``, ``fennel.network/chainspec-sha256`` and ``fennel.network/chainspec-part``
(``i/n``). The init container concatenates the parts, decompresses them to the chart's
``customChainspecPath`` and refuses to start the pod unless the result has the sha256 pinned in the
HelmRelease values — so no pod can join with another spec than the one rendered.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fennel_gov.errors import BadInput

PART_KEY = "chainspec.json.gz.part"
PARTS_DIR = "/fennel-chainspec"
DEFAULT_PART_BYTES = 512 * 1024  # base64 makes it ~683 KiB: well under the 1 MiB a ConfigMap may hold
MAX_PART_BYTES = 700 * 1024
ANNOTATION_GENESIS = "fennel.network/genesis-hash"
ANNOTATION_SHA256 = "fennel.network/chainspec-sha256"
ANNOTATION_PART = "fennel.network/chainspec-part"


@dataclass(frozen=True)
class SpecFacts:
    sha256: str  # of the JSON file's bytes, hex
    genesis_hash: str  # 0x…
    size: int
    chain_id: str
    name: str


def spec_facts(data: bytes, source: str) -> SpecFacts:
    """The sha256 and the computed genesis hash of a raw spec (its runtime is run to learn the state version)."""
    import json

    from fennel_gov.chainspec.genesis import to_raw
    from fennel_gov.chainspec.spec import ChainSpec

    try:
        document = json.loads(data)
    except (ValueError, UnicodeDecodeError):
        raise BadInput(f"{source} is not JSON; give the raw chain spec") from None
    spec = ChainSpec(document, source)
    if not spec.is_raw:
        raise BadInput(f"{source} is a plain spec; convert it first with 'fennel-gov chainspec raw'")
    _, genesis = to_raw(spec)
    return SpecFacts(
        sha256=hashlib.sha256(data).hexdigest(), genesis_hash="0x" + genesis.genesis_hash.hex(), size=len(data),
        chain_id=str(document.get("id", "")), name=str(document.get("name", "")),
    )


def load_spec(path: str | Path) -> tuple[bytes, SpecFacts]:
    from fennel_gov._files import read_bytes

    data = read_bytes(path, "chain spec")
    return data, spec_facts(data, str(path))


def compress(data: bytes) -> bytes:
    return gzip.compress(data, compresslevel=9, mtime=0)


def configmaps(data: bytes, facts: SpecFacts, *, prefix: str, namespace: str, labels: dict[str, str],
               part_bytes: int = DEFAULT_PART_BYTES) -> list[dict[str, Any]]:
    if not 1024 <= part_bytes <= MAX_PART_BYTES:
        raise BadInput(f"the part size is 1 KiB to {MAX_PART_BYTES // 1024} KiB")
    packed = compress(data)
    chunks = [packed[i : i + part_bytes] for i in range(0, len(packed), part_bytes)]
    total = len(chunks)
    return [
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {
                "name": f"{prefix}-chainspec-{facts.sha256[:10]}-{index}",
                "namespace": namespace,
                "labels": dict(labels),
                "annotations": {
                    ANNOTATION_GENESIS: facts.genesis_hash,
                    ANNOTATION_SHA256: facts.sha256,
                    ANNOTATION_PART: f"{index}/{total}",
                },
            },
            "immutable": True,
            "binaryData": {PART_KEY: base64.b64encode(chunk).decode()},
        }
        for index, chunk in enumerate(chunks, start=1)
    ]


# POSIX sh (busybox ash, dash): no pipefail, so no pipelines either; every step checks its own result.
INIT_SCRIPT = """\
set -eu
# Rebuild the chain spec from its gzip parts (one ConfigMap each) and refuse to start on any mismatch.
out="$FENNEL_CHAINSPEC_OUT"
packed="$out.gz.partial"
unpacked="$out.partial"
rm -f "$packed" "$unpacked"
i=1
while [ "$i" -le "$FENNEL_CHAINSPEC_PARTS" ]; do
  part="$FENNEL_CHAINSPEC_DIR/$i/chainspec.json.gz.part"
  if [ ! -s "$part" ]; then
    echo "fennel-chainspec: part $i of $FENNEL_CHAINSPEC_PARTS is missing ($part); refusing to start" >&2
    rm -f "$packed"
    exit 1
  fi
  cat "$part" >> "$packed"
  i=$((i + 1))
done
if ! gunzip -c < "$packed" > "$unpacked"; then
  echo "fennel-chainspec: the parts do not decompress; refusing to start" >&2
  rm -f "$packed" "$unpacked"
  exit 1
fi
rm -f "$packed"
actual="$(sha256sum "$unpacked" | cut -d ' ' -f 1)"
if [ "$actual" != "$FENNEL_CHAINSPEC_SHA256" ]; then
  echo "fennel-chainspec: the chain spec has sha256 $actual, expected $FENNEL_CHAINSPEC_SHA256 (genesis $FENNEL_GENESIS_HASH); refusing to start" >&2
  rm -f "$unpacked"
  exit 1
fi
mv -f "$unpacked" "$out"
echo "fennel-chainspec: $out has sha256 $actual (genesis $FENNEL_GENESIS_HASH)"
"""


def volume_name(index: int) -> str:
    return f"fennel-chainspec-{index}"


def configmap_mounts(parts: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """``node.extraConfigmapMounts`` entries: the chart declares one volume per part from these."""
    return [
        {"name": volume_name(i), "configMap": part["metadata"]["name"], "mountPath": f"{PARTS_DIR}/{i}", "readOnly": True, "optional": False}
        for i, part in enumerate(parts, start=1)
    ]


def init_container(parts: list[dict[str, Any]], facts: SpecFacts, *, image: str, chainspec_path: str) -> dict[str, Any]:
    """One entry for the chart's ``extraInitContainers``."""
    env = {
        "FENNEL_CHAINSPEC_DIR": PARTS_DIR,
        "FENNEL_CHAINSPEC_OUT": chainspec_path,
        "FENNEL_CHAINSPEC_PARTS": str(len(parts)),
        "FENNEL_CHAINSPEC_SHA256": facts.sha256,
        "FENNEL_GENESIS_HASH": facts.genesis_hash,
    }
    return {
        "name": "fennel-chainspec",
        "image": image,
        "command": ["/bin/sh", "-c"],
        "args": [INIT_SCRIPT],
        "env": [{"name": k, "value": v} for k, v in env.items()],
        "securityContext": {"allowPrivilegeEscalation": False, "readOnlyRootFilesystem": True, "capabilities": {"drop": ["ALL"]}},
        "volumeMounts": [{"name": "chain-data", "mountPath": str(Path(chainspec_path).parent)}]
        + [{"name": volume_name(i), "mountPath": f"{PARTS_DIR}/{i}", "readOnly": True} for i in range(1, len(parts) + 1)],
    }


def reassemble(parts: list[dict[str, Any]]) -> bytes:
    """The spec bytes from ConfigMap parts (any order; ``i/n`` annotations decide). Raises BadInput."""
    by_index: dict[int, bytes] = {}
    totals = set()
    for part in parts:
        try:
            index, total = (int(x) for x in part["metadata"]["annotations"][ANNOTATION_PART].split("/"))
            chunk = base64.b64decode(part["binaryData"][PART_KEY], validate=True)
        except (KeyError, TypeError, ValueError, AttributeError):
            raise BadInput(f"ConfigMap {part.get('metadata', {}).get('name')} is not a well-formed chain spec part") from None
        if index in by_index:
            raise BadInput(f"chain spec part {index} appears twice")
        by_index[index] = chunk
        totals.add(total)
    if len(totals) != 1:
        raise BadInput(f"the chain spec parts disagree on their count ({sorted(totals)})")
    (total,) = totals
    missing = sorted(set(range(1, total + 1)) - set(by_index))
    if missing or len(by_index) != total:
        raise BadInput(f"chain spec parts missing: {missing or 'extra parts'} of {total}")
    try:
        return gzip.decompress(b"".join(by_index[i] for i in range(1, total + 1)))
    except (OSError, EOFError, zlib.error):
        raise BadInput("the chain spec parts do not decompress") from None
