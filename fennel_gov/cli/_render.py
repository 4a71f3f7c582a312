"""Shared rendering: human text by default, exact JSON with ``--json``."""

from __future__ import annotations

import json
import sys
from typing import Any, Iterable


def emit_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, indent=2) + "\n")


def emit_lines(lines: Iterable[str]) -> None:
    sys.stdout.write("".join(line + "\n" for line in lines))


def table(rows: Iterable[tuple[str, Any]], indent: str = "  ") -> list[str]:
    rows = list(rows)
    width = max((len(label) for label, _ in rows), default=0) + 1
    return [f"{indent}{(label + ':').ljust(width)} {value}" for label, value in rows]


def note(message: str) -> None:
    """A remark for the human on standard error (kept out of stdout so pipes stay clean)."""
    sys.stderr.write(message + "\n")
