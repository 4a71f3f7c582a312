"""Follow a runbook literally: pull its marked shell blocks out of the Markdown, and run each command
in bash on a pseudo-terminal, answering the prompts an operator would answer by typing.

A block to follow is marked by an HTML comment on the line before its fence (invisible on GitHub)::

    <!-- runbook: ceremony-generate -->
    ```sh
    fennel-gov ceremony init …
    ```

Every ``sh`` block of a runbook must carry a mark, so a new or renamed block is noticed by the test
rather than silently left out.
"""

from __future__ import annotations

import fcntl
import os
import re
import select
import signal
import subprocess
import termios
import time
from dataclasses import dataclass, field
from pathlib import Path

_FENCE = re.compile(r"^(?P<indent>[ \t]*)```(?P<info>[^\n`]*)$")
_MARK = re.compile(r"^\s*<!--\s*runbook:\s*(?P<name>[\w.-]+)\s*-->\s*$")


@dataclass
class Block:
    name: str | None  # None: an sh block without a mark
    info: str
    text: str
    line: int


def blocks(markdown: str) -> list[Block]:
    """Every fenced block, with its runbook mark (if the line before the fence carries one)."""
    lines = markdown.splitlines()
    found: list[Block] = []
    i = 0
    while i < len(lines):
        opening = _FENCE.match(lines[i])
        if not opening:
            i += 1
            continue
        indent, info = opening["indent"], opening["info"].strip()
        j = i - 1
        while j >= 0 and not lines[j].strip():
            j -= 1
        mark = _MARK.match(lines[j]) if j >= 0 else None
        body = []
        k = i + 1
        while k < len(lines) and lines[k].strip() != "```":
            body.append(lines[k][len(indent):] if lines[k].startswith(indent) else lines[k].lstrip())
            k += 1
        found.append(Block(mark["name"] if mark else None, info, "\n".join(body) + "\n", i + 1))
        i = k + 1
    return found


def commands(block_text: str) -> list[str]:
    """The commands of a shell block as typed: continuation lines joined, blank and comment-only lines dropped."""
    typed: list[str] = []
    current = ""
    for line in block_text.splitlines():
        if not current and (not line.strip() or line.lstrip().startswith("#")):
            continue
        current += line + "\n"
        if not line.rstrip().endswith("\\"):
            typed.append(current.rstrip("\n"))
            current = ""
    if current:
        typed.append(current.rstrip("\n"))
    return typed


@dataclass
class Typed:
    command: str
    exit_code: int
    output: str  # what the terminal showed: prompts, standard output and standard error, \r\n as \n
    answered: list[str] = field(default_factory=list)  # the prompts that were answered


def _controlling_terminal() -> None:
    # start_new_session has made this child a session leader; its terminal is stdin's pty
    fcntl.ioctl(0, termios.TIOCSCTTY, 0)


def type_command(command: str, *, cwd: Path, env: dict, answers: list[tuple[str, str]] = (), timeout: float = 300,
                 prefix: list[str] = ()) -> Typed:
    """Run ``command`` with bash on a fresh pseudo-terminal; when the text shown since the last answer
    matches a prompt pattern of ``answers``, type its reply and Enter (prompts with hidden input
    included: getpass reads the terminal)."""
    master, slave = os.openpty()
    process = subprocess.Popen(
        [*prefix, "bash", "--noprofile", "--norc", "-o", "pipefail", "-c", command],
        stdin=slave, stdout=slave, stderr=slave, cwd=cwd, env=env, start_new_session=True,
        preexec_fn=_controlling_terminal, close_fds=True,
    )
    os.close(slave)
    shown = b""
    seen = 0
    answered: list[str] = []
    patterns = [(re.compile(p), reply) for p, reply in answers]
    deadline = time.monotonic() + timeout
    try:
        while True:
            if time.monotonic() > deadline:
                os.killpg(process.pid, signal.SIGKILL)
                raise AssertionError(f"{command!r} did not finish within {timeout} s; it showed:\n{shown.decode(errors='replace')[-3000:]}")
            ready, _, _ = select.select([master], [], [], 0.2)
            if ready:
                try:
                    chunk = os.read(master, 65536)
                except OSError:  # EIO: every process holding the terminal has gone
                    chunk = b""
                if not chunk:
                    break
                shown += chunk
                pending = shown[seen:].decode(errors="replace")
                for pattern, reply in patterns:
                    hit = pattern.search(pending)
                    if hit:
                        typed = reply(hit) if callable(reply) else reply
                        os.write(master, typed.encode() + b"\n")
                        answered.append(hit.group(0))
                        seen += len(pending[: hit.end()].encode())
                        break
            elif process.poll() is not None:
                break  # exited, and nothing more to read for 0.2 s (a leftover child may hold the terminal)
        process.wait(timeout=30)
    finally:
        os.close(master)
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    return Typed(command, process.returncode, shown.decode(errors="replace").replace("\r\n", "\n"), answered)
