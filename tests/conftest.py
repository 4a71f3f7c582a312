"""Shared test helpers: run the CLI in-process from an argv, real fixtures, an in-memory keyring."""

from __future__ import annotations

import io
import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures" / "fennel-solonet"  # copied from fennel-solonet (MIT-0, LICENSE beside them)


@dataclass
class Run:
    exit_code: int
    stdout: str
    stderr: str

    @property
    def json(self):
        return json.loads(self.stdout)


@pytest.fixture
def cli(capsys, monkeypatch):
    """Run ``fennel-gov ARGS`` in-process with ``stdin`` text; returns exit code and output."""
    from fennel_gov.cli import main

    def run(*args: str, stdin: str | bytes = "") -> Run:
        data = stdin.encode() if isinstance(stdin, str) else stdin
        fake = io.TextIOWrapper(io.BytesIO(data), encoding="utf-8")
        monkeypatch.setattr(sys, "stdin", fake)
        capsys.readouterr()
        code = main([str(a) for a in args])
        out, err = capsys.readouterr()
        return Run(code, out, err)

    return run


@pytest.fixture(scope="module")
def chain(tmp_path_factory):
    """Fennel's development chain under chopsticks, one per test module that asks for it."""
    from tests.chopsticks import Chopsticks

    node = Chopsticks(tmp_path_factory.mktemp("chopsticks") / "chopsticks.log")
    yield node
    node.stop()


@pytest.fixture
def memory_keyring():
    import keyring
    from keyring.backend import KeyringBackend

    class MemoryKeyring(KeyringBackend):
        priority = 1

        def __init__(self):
            super().__init__()
            self.store = {}

        def get_password(self, service, username):
            return self.store.get((service, username))

        def set_password(self, service, username, password):
            self.store[(service, username)] = password

        def delete_password(self, service, username):
            del self.store[(service, username)]

    previous = keyring.get_keyring()
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    yield backend
    keyring.set_keyring(previous)


def fixture_spec(name: str) -> dict:
    path = FIXTURES / name
    assert path.exists(), f"{path} is missing: the fixtures live in the repository"
    return json.loads(path.read_text())


NODE_MODULES = ROOT / "node_modules" / "@acala-network"


def run_node_script(script: str, *args: str, stdin: str | None = None) -> str:
    """Run one of tests/js/*.mjs with node; skip when the npm packages are not installed."""
    import shutil
    import subprocess

    if shutil.which("node") is None or not NODE_MODULES.exists():
        pytest.skip("node and the npm packages (npm install) are needed for this cross-check")
    done = subprocess.run(
        ["node", str(ROOT / "tests" / "js" / script), *args],
        input=stdin, capture_output=True, text=True, cwd=ROOT, timeout=300,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


# CI sets FENNEL_GOV_FORBID_SKIPS=1: there every test must run (fixtures, node and chopsticks are all
# installed by .ci/run), so a skip means a check silently stopped checking and fails the run.
def _skipped(config) -> list:
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    return list(reporter.stats.get("skipped", [])) if reporter else []


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    skipped = _skipped(config)
    terminalreporter.write_line(f"skipped: {len(skipped)}")
    if skipped and os.environ.get("FENNEL_GOV_FORBID_SKIPS") == "1":
        terminalreporter.write_line(f"FENNEL_GOV_FORBID_SKIPS=1: {len(skipped)} skipped test(s) fail this run", red=True)


def pytest_sessionfinish(session, exitstatus):
    if os.environ.get("FENNEL_GOV_FORBID_SKIPS") == "1" and _skipped(session.config) and exitstatus == 0:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
