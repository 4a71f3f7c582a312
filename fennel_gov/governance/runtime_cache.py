"""Metadata and runtime version on disk, per (genesis hash, spec version), so a second command fetches neither.

The cache directory is the runtime cache's (``FENNEL_GOV_CACHE_DIR``; "" turns caching off). Files are
written atomically; one that does not parse or names another runtime is ignored (and rewritten).
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from pathlib import Path
from typing import Any


def cache_dir() -> Path | None:
    configured = os.environ.get("FENNEL_GOV_CACHE_DIR")
    if configured == "":
        return None
    if configured:
        return Path(configured) / "metadata"
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "fennel-gov" / "metadata"


def _path(genesis_hash: str, spec_version: int) -> Path | None:
    base = cache_dir()
    genesis = genesis_hash.lower().removeprefix("0x")
    if base is None or not re.fullmatch(r"[0-9a-f]{64}", genesis):
        return None
    return base / f"{genesis}-{int(spec_version)}.json"


def load(genesis_hash: str, spec_version: int) -> tuple[dict[str, Any], str] | None:
    """(runtime version, metadata hex) cached for this runtime, or None."""
    path = _path(genesis_hash, spec_version)
    if path is None:
        return None
    try:
        entry = json.loads(path.read_text())
        version, metadata = entry["version"], entry["metadata"]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if (not isinstance(version, dict) or version.get("specVersion") != spec_version or not isinstance(metadata, str)
            or not re.fullmatch(r"0x(?:[0-9a-f]{2})+", metadata[:66]) or entry.get("genesis_hash") != genesis_hash.lower()):
        return None
    return version, metadata


def store(genesis_hash: str, version: dict[str, Any], metadata: str) -> None:
    path = _path(genesis_hash, version.get("specVersion", -1))
    if path is None:
        return
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=".metadata-")
        with os.fdopen(fd, "w") as out:
            json.dump({"genesis_hash": genesis_hash.lower(), "version": version, "metadata": metadata}, out)
        os.replace(temporary, path)
    except OSError:
        pass  # a cache that cannot be written only costs a fetch next time
