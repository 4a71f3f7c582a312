"""Offline commands must never open a socket: held in-process and in a fresh interpreter."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest

from tests.conftest import ROOT

OFFLINE_MODULES = ["fennel_gov.keys", "fennel_gov.cli._app", "fennel_gov.keys.signer", "fennel_gov.txfile.review",
                   "fennel_gov.txfile.trusted", "fennel_gov.txfile.payload"]
SPEC = ROOT / "tests" / "fixtures" / "fennel-solonet" / "development-raw.json"


def _unsigned_file(tmp_path):
    """A legitimate unsigned file for the development chain (see tests/test_offline_signing.py)."""
    import json

    from fennel_gov.keys import pair_from_suri
    from fennel_gov.txfile.trusted import from_spec
    from tests.test_offline_signing import unsigned_document

    if not SPEC.exists():
        pytest.skip("the golden spec is not present")
    bob = pair_from_suri("//Bob", "sr25519").account_id
    path = tmp_path / "tx.json"
    path.write_text(json.dumps(unsigned_document(from_spec(SPEC), bytes([6, 0, 7, 0, 4]) + bob)))
    return path


def test_offline_commands_run_with_sockets_disabled(cli, tmp_path, socket_disabled):
    assert cli("keys", "inspect", "--json", stdin="//Alice\n").exit_code == 0
    assert cli("keys", "generate-node-key", "--file", tmp_path / "nk").exit_code == 0
    assert cli("keys", "session-keys", "generate", "--keystore", tmp_path / "ks").exit_code == 0
    assert cli("keys", "generate", "--out", tmp_path / "a.json", "--password-stdin", stdin="pw\n").exit_code == 0


def test_offline_signing_with_a_trusted_spec_runs_with_sockets_disabled(cli, tmp_path, socket_disabled):
    unsigned = _unsigned_file(tmp_path)
    signed = cli("tx", "sign", unsigned, "--spec", SPEC, "--signer", "stdin", "--yes", "--json", stdin="//Alice\n")
    assert signed.exit_code == 0, signed.stderr
    assert signed.json["review"]["call"]["call"] == "sudo"


def test_fresh_interpreter_with_socket_creation_forbidden(tmp_path):
    unsigned = _unsigned_file(tmp_path)
    guard = tmp_path / "guard"
    guard.mkdir()
    # socket.socket stays a class (ssl subclasses it when scalecodec imports requests); making one fails.
    (guard / "sitecustomize.py").write_text(textwrap.dedent("""
        import socket
        def _refuse(*args, **kwargs):
            raise SystemExit("NETWORK ACCESS ATTEMPTED")
        class _Refused(socket.socket):
            def __init__(self, *args, **kwargs):
                _refuse()
        socket.socket = _Refused
        socket.create_connection = _refuse
        socket.getaddrinfo = _refuse
    """))
    env = dict(os.environ, PYTHONPATH=f"{guard}{os.pathsep}{ROOT}")
    commands = [
        (["keys", "inspect", "--json", "--scheme", "ecdsa"], "//Alice\n"),
        (["keys", "generate-node-key", "--file", str(tmp_path / "nk")], ""),
        (["keys", "session-keys", "derive"], "//Bob\n"),
        (["tx", "sign", str(unsigned), "--spec", str(SPEC), "--signer", "stdin", "--yes"], "//Alice\n"),
    ]
    for argv, stdin in commands:
        done = subprocess.run(
            [sys.executable, "-m", "fennel_gov", *argv], input=stdin, capture_output=True, text=True, env=env, timeout=60
        )
        assert done.returncode == 0, done.stderr
        assert "NETWORK ACCESS ATTEMPTED" not in done.stderr
    assert (tmp_path / "tx.signed.json").exists()


def test_offline_signing_imports_no_governance_or_network_code(tmp_path):
    unsigned = _unsigned_file(tmp_path)
    code = textwrap.dedent(f"""
        import sys
        from fennel_gov.cli import main
        sys.stdin = __import__("io").StringIO("//Alice\\n")
        assert main(["tx", "sign", {str(unsigned)!r}, "--spec", {str(SPEC)!r}, "--signer", "stdin", "--yes"]) == 0
        bad = sorted(m for m in sys.modules if m.startswith("fennel_gov.governance")
                     or m.split('.')[0] in ('substrateinterface', 'websocket', 'requests', 'urllib3', 'http'))
        print("IMPORTED:" + ','.join(bad))
    """)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1] == "IMPORTED:", done.stdout


def test_offline_packages_do_not_import_network_libraries():
    code = textwrap.dedent(f"""
        import sys
        for name in {OFFLINE_MODULES!r}:
            __import__(name)
        import fennel_gov.keys.schemes, fennel_gov.keys.encrypted_json, fennel_gov.keys.keystore
        bad = sorted(m for m in sys.modules if m.split('.')[0] in ('substrateinterface', 'websocket', 'requests', 'urllib3', 'http'))
        print(','.join(bad))
    """)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == ""


def test_import_contract_keeps_offline_layers_away_from_network_code():
    lint = os.path.join(os.path.dirname(sys.executable), "lint-imports")
    if not os.path.exists(lint):
        pytest.skip("import-linter is not installed")
    done = subprocess.run([lint, "--config", str(ROOT / ".importlinter")], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
