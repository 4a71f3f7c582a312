"""Which network to talk to: ``--url``, a named network from the config file, or ``FENNEL_GOV_URL``.

The config file (``$FENNEL_GOV_CONFIG`` or ``~/.config/fennel-gov/config.toml``)::

    default = "fennel"

    [networks.fennel]
    url = "wss://rpc.fennel.network"
    genesis_hash = "0x…"   # refuse to act on any other chain
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass
from pathlib import Path

from fennel_gov.errors import BadInput


@dataclass(frozen=True)
class Network:
    url: str
    name: str | None = None
    genesis_hash: str | None = None


def config_path() -> Path:
    configured = os.environ.get("FENNEL_GOV_CONFIG")
    if configured:
        return Path(configured)
    base = os.environ.get("XDG_CONFIG_HOME") or os.path.join(os.path.expanduser("~"), ".config")
    return Path(base) / "fennel-gov" / "config.toml"


def _load_config() -> dict:
    path = config_path()
    if not path.exists():
        return {}
    try:
        return tomllib.loads(path.read_text())
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise BadInput(f"cannot read the config file {path}: {exc}") from None


def _check_url(url: str) -> str:
    if not url.startswith(("ws://", "wss://", "http://", "https://")):
        raise BadInput(f"{url!r} is not a node URL; use ws://, wss://, http:// or https://")
    return url


def resolve_network(url: str | None = None, network: str | None = None) -> Network:
    if url and network:
        raise BadInput("give --url or --network, not both")
    if url:
        return Network(url=_check_url(url))
    config = _load_config()
    networks = config.get("networks", {})
    name = network or (None if os.environ.get("FENNEL_GOV_URL") else config.get("default"))
    if name:
        entry = networks.get(name)
        if not isinstance(entry, dict) or "url" not in entry:
            known = ", ".join(sorted(networks)) or "none"
            raise BadInput(f"no network {name!r} with a url in {config_path()} (known: {known})")
        return Network(url=_check_url(entry["url"]), name=name, genesis_hash=entry.get("genesis_hash"))
    env_url = os.environ.get("FENNEL_GOV_URL")
    if env_url:
        return Network(url=_check_url(env_url))
    raise BadInput(f"which node? give --url ws://HOST:9944, --network NAME (from {config_path()}), or set FENNEL_GOV_URL")
