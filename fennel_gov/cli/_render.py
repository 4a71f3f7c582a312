"""Shared rendering: human text by default, exact JSON with ``--json``.

Human text often quotes what a file or a node said (a spec's name, a bootnode, a runtime's
spec_name): every line goes through ``errors.printable``, so a control or bidi character in it is
shown as an escape instead of acting on the terminal. JSON needs nothing more: ``json.dumps``
escapes every control and non-ASCII character.
"""

from __future__ import annotations

import json
import sys
from typing import Any, Iterable

from fennel_gov.errors import printable


def emit_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, indent=2) + "\n")


def emit_lines(lines: Iterable[str]) -> None:
    sys.stdout.write("".join(printable(line) + "\n" for line in lines))


def table(rows: Iterable[tuple[str, Any]], indent: str = "  ") -> list[str]:
    rows = list(rows)
    width = max((len(label) for label, _ in rows), default=0) + 1
    return [f"{indent}{(label + ':').ljust(width)} {value}" for label, value in rows]


def note(message: str) -> None:
    """A remark for the human on standard error (kept out of stdout so pipes stay clean)."""
    sys.stderr.write(printable(message) + "\n")
