"""Crafted runtimes (written as WAT) in a chain spec's ``:code``: every one ends in one line, exit 1
(or 2 when the code is no runtime at all), within the CPU and memory limits of ``run_limited``."""

from __future__ import annotations

import pytest

from tests.hostile import LOOP_FOREVER, VERSION_OK, one_line, run_limited, runtime_wat, spec_with_code, wasm

FAST = {"FENNEL_GOV_RUNTIME_DEADLINE": "1"}


def inspect(tmp_path, wat: str, env=FAST):
    return run_limited("chainspec", "inspect", spec_with_code(tmp_path, wasm(wat)), env=env)


def test_a_runtime_looping_in_core_version_is_stopped_at_the_deadline(tmp_path):
    result = inspect(tmp_path, runtime_wat(LOOP_FOREVER))
    assert result.exit_code == 1
    assert "Core_version ran longer than 1 s" in one_line(result.stderr)


def test_a_start_function_that_loops_is_stopped_at_the_deadline(tmp_path):
    body = VERSION_OK + " (func $start (loop $l (br $l))) (start $start)"
    result = inspect(tmp_path, runtime_wat(body))
    assert result.exit_code == 1
    assert "start function ran longer than 1 s" in one_line(result.stderr)


def test_a_start_function_that_traps_is_one_line_exit_1(tmp_path):
    body = VERSION_OK + " (func $start unreachable) (start $start)"
    result = inspect(tmp_path, runtime_wat(body))
    assert result.exit_code == 1
    assert "start function trapped" in one_line(result.stderr)


def test_a_data_segment_outside_memory_traps_at_instantiation_with_one_line(tmp_path):
    body = VERSION_OK + ' (data (i32.const 0x7ffffff0) "far beyond the memory")'
    result = inspect(tmp_path, runtime_wat(body))
    assert result.exit_code in (1, 2)
    line = one_line(result.stderr)
    assert "instantiated" in line or "start function" in line


def test_a_memory_import_of_65000_pages_is_refused_before_any_memory_is_made(tmp_path):
    result = inspect(tmp_path, runtime_wat(VERSION_OK, pages=65000))
    assert result.exit_code == 1
    assert "65,000 pages" in one_line(result.stderr)


def test_storage_writes_in_a_loop_stop_at_the_storage_cap(tmp_path):
    # Each turn writes a new 32-byte key (a counter at address 0) with a 1 KiB value.
    body = """
(func (export "Core_version") (param i32 i32) (result i64)
  (loop $l
    (i32.store (i32.const 0) (i32.add (i32.load (i32.const 0)) (i32.const 1)))
    (call $storage_set (i64.or (i64.shl (i64.const 32) (i64.const 32)) (i64.const 0))
                       (i64.or (i64.shl (i64.const 1024) (i64.const 32)) (i64.const 64)))
    (br $l))
  (i64.const 0))"""
    result = inspect(tmp_path, runtime_wat(body), env={"FENNEL_GOV_RUNTIME_DEADLINE": "25"})
    assert result.exit_code == 1
    assert "wrote more than 256 MiB of storage" in one_line(result.stderr)


def test_logging_in_a_loop_keeps_memory_bounded_until_the_deadline(tmp_path):
    # Error-level messages of 64 KiB each, forever: without a log cap, gigabytes within a second.
    body = """
(func (export "Core_version") (param i32 i32) (result i64)
  (loop $l
    (call $log (i32.const 0) (i64.or (i64.shl (i64.const 4) (i64.const 32)) (i64.const 0))
                             (i64.or (i64.shl (i64.const 65536) (i64.const 32)) (i64.const 0)))
    (br $l))
  (i64.const 0))"""
    result = inspect(tmp_path, runtime_wat(body), env={"FENNEL_GOV_RUNTIME_DEADLINE": "3"})
    assert result.exit_code == 1
    assert "Core_version ran longer than 3 s" in one_line(result.stderr)


@pytest.mark.parametrize(
    "wat, expected",
    [
        (runtime_wat(VERSION_OK, imports='(import "env" "weird" (global i32))'), "not a function or memory"),
        (runtime_wat('(func (export "Core_version") (param i32) (result i32) (i32.const 0))'), "no function Core_version"),
        ('(module (memory (export "memory") 17) (global (export "__heap_base") i32 (i32.const 0)))', "imports 0 memories"),
    ],
    ids=["global-import", "wrong-signature", "no-memory-import"],
)
def test_code_that_is_no_runtime_at_all_is_exit_2(tmp_path, wat, expected):
    result = inspect(tmp_path, wat)
    assert result.exit_code == 2
    assert expected in one_line(result.stderr)


def test_the_deadline_setting_is_checked():
    result = run_limited("chainspec", "inspect", env={"FENNEL_GOV_RUNTIME_DEADLINE": "soon"})
    assert result.exit_code == 2
    assert "FENNEL_GOV_RUNTIME_DEADLINE" in one_line(result.stderr)


def test_the_real_runtime_runs_well_within_the_default_limits(cli):
    from tests.conftest import FIXTURES

    result = cli("chainspec", "inspect", FIXTURES / "production-raw.json", "--json")
    assert result.exit_code == 0, result.stderr
    assert result.json["runtime"]["spec_name"]


HOST_LOOP = """
(func (export "Core_version") (param i32 i32) (result i64)
  (loop $l
    (call $storage_set (i64.or (i64.shl (i64.const 32) (i64.const 32)) (i64.const 0))
                       (i64.or (i64.shl (i64.const 8) (i64.const 32)) (i64.const 64)))
    (br $l))
  (i64.const 0))"""


@pytest.mark.parametrize(
    "body, signum, code, word",
    [(HOST_LOOP, 15, 143, "terminated"), (LOOP_FOREVER, 2, 130, "interrupted"), (LOOP_FOREVER, 15, 143, "terminated")],
    ids=["host-loop-SIGTERM", "pure-loop-SIGINT", "pure-loop-SIGTERM"],
)
def test_a_signal_during_a_runtime_call_stops_it_at_once_with_one_line(tmp_path, body, signum, code, word):
    import os
    import subprocess
    import sys
    import time

    # A deadline far beyond the test's patience: only the signal can end the call in time.
    spec = spec_with_code(tmp_path, wasm(runtime_wat(body)))
    child = subprocess.Popen(
        [sys.executable, "-m", "fennel_gov", "chainspec", "inspect", str(spec)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True, env={**os.environ, "FENNEL_GOV_RUNTIME_DEADLINE": "600", "FENNEL_GOV_CACHE_DIR": ""},
    )
    time.sleep(4)  # past start-up and compilation, into the loop
    child.send_signal(signum)
    _out, err = child.communicate(timeout=20)
    assert child.returncode == code, err
    assert one_line(err) == word
