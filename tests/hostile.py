"""Helpers for the hostile-input tests: crafted runtimes (WAT), specs that carry them, and a CLI
run in a child process under resource limits (30 s of CPU, 1 GiB of data), as CI would be."""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RAW_SPEC = ROOT / "tests" / "fixtures" / "fennel-solonet" / "development-raw.json"
CODE_KEY = "0x3a636f6465"
GiB = 1024**3


def runtime_wat(body: str, *, pages: int = 17, imports: str = "") -> str:
    """A module shaped like a Substrate runtime: imported memory, __heap_base, the host functions
    the real runtime imports (same names and signatures as ``host.py`` serves), plus ``body``."""
    return f"""
(module
  (import "env" "memory" (memory {pages}))
  (import "env" "ext_storage_set_version_1" (func $storage_set (param i64 i64)))
  (import "env" "ext_logging_log_version_1" (func $log (param i32 i64 i64)))
  (import "env" "ext_allocator_malloc_version_1" (func $malloc (param i32) (result i32)))
  {imports}
  (global (export "__heap_base") i32 (i32.const 1048576))
  {body}
)"""


LOOP_FOREVER = '(func (export "Core_version") (param i32 i32) (result i64) (loop $l (br $l)) (i64.const 0))'
VERSION_OK = '(func (export "Core_version") (param i32 i32) (result i64) (i64.const 0))'


def wasm(wat: str) -> bytes:
    import wasmtime

    return wasmtime.wat2wasm(wat)


def spec_with_code(directory: Path, code: bytes, name: str = "hostile.json") -> Path:
    """The golden development raw spec with its ``:code`` replaced."""
    spec = json.loads(RAW_SPEC.read_text())
    spec["genesis"]["raw"]["top"][CODE_KEY] = "0x" + code.hex()
    path = directory / name
    path.write_text(json.dumps(spec))
    return path


@dataclass
class Result:
    exit_code: int
    stdout: str
    stderr: str


def _limits(memory: int, cpu: int):
    def apply() -> None:
        # RLIMIT_DATA counts writable private mappings (wasm memories once made accessible, the
        # Python heap) but not wasmtime's PROT_NONE address-space reservations, unlike RLIMIT_AS.
        resource.setrlimit(resource.RLIMIT_DATA, (memory, memory))
        resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu))

    return apply


def run_limited(*args: str, env: dict[str, str] | None = None, stdin: str = "", memory: int = GiB, cpu: int = 30, timeout: float = 30) -> Result:
    """``fennel-gov ARGS`` in a child process limited to ``memory`` bytes of data and ``cpu`` seconds."""
    child_env = {**os.environ, "FENNEL_GOV_CACHE_DIR": "", **(env or {})}
    child_env.pop("FENNEL_GOV_DEBUG", None)
    done = subprocess.run(
        [sys.executable, "-m", "fennel_gov", *map(str, args)],
        input=stdin, capture_output=True, text=True, env=child_env, timeout=timeout, preexec_fn=_limits(memory, cpu),
    )
    return Result(done.returncode, done.stdout, done.stderr)


def one_line(text: str) -> str:
    """The single line a refusal prints; fails the test on a traceback or several lines."""
    lines = text.strip().splitlines()
    assert len(lines) == 1, f"expected one line, got: {text!r}"
    assert "Traceback" not in text and "internal error" not in text, text
    return lines[0]
