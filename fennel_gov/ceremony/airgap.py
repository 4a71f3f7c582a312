"""Is this machine air-gapped? Any network interface other than loopback that is up says no."""

from __future__ import annotations

from pathlib import Path

IFF_UP, IFF_LOOPBACK = 0x1, 0x8


def interfaces_up(sys_class_net: Path = Path("/sys/class/net")) -> list[str]:
    """Names of non-loopback interfaces whose IFF_UP flag is set (Linux sysfs)."""
    up: list[str] = []
    if not sys_class_net.is_dir():
        return up
    for entry in sorted(sys_class_net.iterdir()):
        try:
            flags = int((entry / "flags").read_text().strip(), 16)
        except (OSError, ValueError):
            continue
        if flags & IFF_UP and not flags & IFF_LOOPBACK:
            up.append(entry.name)
    return up
