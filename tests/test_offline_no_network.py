"""Offline commands never open a socket and never load network code: held in-process (pytest-socket),
in a fresh interpreter per command (socket creation refused, ``sys.modules`` read at exit), and by
the import-linter contract in ``.importlinter``."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import pytest

from tests.conftest import FIXTURES, ROOT

# Modules that exist to talk to a network; none may be loaded by an offline command.
NETWORK_MODULES = ("requests", "urllib3", "http.client", "ssl", "websocket", "substrateinterface")

GUARD = textwrap.dedent("""
    import atexit, json, os, socket, sys

    def _refuse(*args, **kwargs):
        raise SystemExit("NETWORK ACCESS ATTEMPTED")

    socket.socket = _refuse
    socket.create_connection = _refuse
    socket.getaddrinfo = _refuse

    @atexit.register
    def _record_modules():
        with open(os.environ["FENNEL_GOV_TEST_MODULES"], "w") as handle:
            json.dump(sorted(sys.modules), handle)
""")


def network_modules(names: list[str]) -> list[str]:
    return sorted(m for m in names if any(m == bad or m.startswith(bad + ".") for bad in NETWORK_MODULES))


def test_network_module_check_sees_what_requests_loads():
    # the check itself: it would pass vacuously if it could not see a network import
    done = subprocess.run([sys.executable, "-c", "import json, sys, requests; print(json.dumps(sorted(sys.modules)))"],
                          capture_output=True, text=True, timeout=60)
    assert {"requests", "urllib3", "http.client", "ssl"} <= set(network_modules(json.loads(done.stdout)))


@pytest.fixture(scope="module")
def offline_inputs(tmp_path_factory):
    """Files the offline commands read: a node key, a ceremony (2-of-2 sudo, 1 validator, 1 bootnode), an unsigned tx."""
    from fennel_gov.ceremony.generate import CeremonyPlan, run_ceremony
    from fennel_gov.keys import SecretStr

    base = tmp_path_factory.mktemp("offline")
    (base / "node-key").write_text("00" * 31 + "01")
    (base / "suri").write_text("//Alice")
    plan = CeremonyPlan(network="offline", validators=1, bootnodes=1, sudo_threshold=2, sudo_shares=2)
    run_ceremony(plan, base / "ceremony", {c: SecretStr("long enough pass") for c in plan.custodians()})
    # a legitimate unsigned file for the development chain (see tests/test_offline_signing.py)
    from fennel_gov.keys import pair_from_suri
    from fennel_gov.txfile.trusted import from_spec
    from tests.test_offline_signing import unsigned_document

    bob = pair_from_suri("//Bob", "sr25519").account_id
    unsigned = unsigned_document(from_spec(FIXTURES / "development-raw.json"), bytes([6, 0, 7, 0, 4]) + bob)
    (base / "unsigned.json").write_text(json.dumps(unsigned))
    return base


PASS = "long enough pass\n"
ALICE = "5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY"
SIGNATURE = "0x" + "00" * 64

# (argv, stdin, expected exit code): every offline command, run for real (or to its first refusal).
# {d} is the inputs directory, {out} a fresh output directory, {fx} the golden fixtures.
OFFLINE_COMMANDS = [
    ("keys generate -o {out}/a.json --password-stdin", "pw\n", 0),
    ("keys inspect --json --scheme ecdsa", "//Alice\n", 0),
    ("keys sign --suri-file {d}/suri", "hello", 0),
    (f"keys verify {SIGNATURE} {ALICE}", "hello", 1),
    ("keys generate-node-key -o {out}/nk", "", 0),
    ("keys inspect-node-key {d}/node-key", "", 0),
    ("keys insert --keystore {out} --key-type gran", "//Alice\n", 0),
    ("keys export-json -o {out}/e.json --suri-file {d}/suri --password-stdin", "pw\n", 0),
    ("keys session-keys generate --keystore {out}/ks", "", 0),
    ("keys session-keys derive", "//Bob\n", 0),
    ("keys session-keys decode 0x" + "d4" * 64, "", 0),
    ("keys keyring list", "", 1),  # the null keyring backend: no OS keyring here
    ("chainspec inspect", "", 0),
    ("chainspec raw -o {out}/raw.json", "", 0),
    ("chainspec presets", "", 0),
    ("chainspec presets --show development", "", 0),
    ("chainspec build -o {out}/plain.json --preset development", "", 0),
    ("chainspec build -o {out}/m.json --manifest {d}/ceremony/keys/offline.json --from {fx}/development.json", "", 0),
    ("chainspec verify --profile development", "", 0),
    ("chainspec diff {fx}/development.json {fx}/development-raw.json", "", 0),
    ("ceremony custodians {d}/ceremony", "", 0),
    ("ceremony verify {d}/ceremony --passphrases-stdin --allow-network", PASS * 4, 0),
    ("ceremony fingerprint {d}/ceremony", "", 0),
    ("ceremony export-keystore {d}/ceremony validator-1 --keystore {out}/vks --passphrases-stdin --allow-network", PASS, 0),
    ("ceremony recover-sudo {d}/ceremony --share sudo-share-1 --share sudo-share-2 --passphrases-stdin --allow-network", PASS * 2, 0),
    ("ceremony reshare {d}/ceremony --share sudo-share-2 --share sudo-share-1 --sudo-shares 2-of-3 -o {out}/r --passphrases-stdin --allow-network", PASS * 5, 0),
    ("ceremony rotate-sudo {d}/ceremony --runtime {fx}/runtimes/fennel-v102.compact.compressed.wasm -o {out}/n --passphrases-stdin --allow-network", PASS, 0),
    ("ceremony init --network fresh --validators 1 -o {out}/c --passphrases-stdin --allow-network", PASS * 2, 0),
    # signed against the trusted development spec: Sudo.sudo(ValidatorManager.register_validators([Bob]))
    ("tx sign {d}/unsigned.json --spec {fx}/development-raw.json --signer stdin --yes -o {out}/signed.json", "//Alice\n", 0),
]


def _run_fresh(command: str, stdin: str, inputs, tmp_path) -> tuple[subprocess.CompletedProcess, list[str]]:
    """``fennel-gov COMMAND`` in a fresh interpreter with socket creation refused; (result, sys.modules at exit)."""
    guard = tmp_path / "guard"
    guard.mkdir()
    (guard / "sitecustomize.py").write_text(GUARD)
    modules_file = tmp_path / "modules.json"
    out = tmp_path / "out"
    out.mkdir()
    env = dict(os.environ, PYTHONPATH=f"{guard}{os.pathsep}{ROOT}", FENNEL_GOV_TEST_MODULES=str(modules_file),
               PYTHON_KEYRING_BACKEND="keyring.backends.fail.Keyring")
    argv = command.format(d=inputs, out=out, fx=FIXTURES).split()
    done = subprocess.run([sys.executable, "-m", "fennel_gov", *argv], input=stdin, capture_output=True, text=True,
                          env=env, cwd=tmp_path, timeout=120)
    return done, json.loads(modules_file.read_text())


@pytest.mark.parametrize(("command", "stdin", "expected"), OFFLINE_COMMANDS, ids=[c[0].split(" -")[0].split(" {")[0] for c in OFFLINE_COMMANDS])
def test_offline_command_in_a_fresh_interpreter_loads_no_network_module(command, stdin, expected, offline_inputs, tmp_path):
    done, modules = _run_fresh(command, stdin, offline_inputs, tmp_path)
    assert "NETWORK ACCESS ATTEMPTED" not in done.stderr
    assert done.returncode == expected, done.stderr
    assert network_modules(modules) == []
    assert [m for m in modules if m.startswith("fennel_gov.governance")] == []


def test_offline_commands_run_with_sockets_disabled(cli, tmp_path, socket_disabled):
    assert cli("keys", "inspect", "--json", stdin="//Alice\n").exit_code == 0
    assert cli("keys", "generate-node-key", "-o", tmp_path / "nk").exit_code == 0
    assert cli("keys", "session-keys", "generate", "--keystore", tmp_path / "ks").exit_code == 0
    assert cli("keys", "generate", "-o", tmp_path / "a.json", "--password-stdin", stdin="pw\n").exit_code == 0


def test_offline_signing_with_a_trusted_spec_runs_with_sockets_disabled(cli, offline_inputs, tmp_path, socket_disabled):
    signed = cli("tx", "sign", offline_inputs / "unsigned.json", "--spec", FIXTURES / "development-raw.json",
                 "--signer", "stdin", "--yes", "--json", "-o", tmp_path / "signed.json", stdin="//Alice\n")
    assert signed.exit_code == 0, signed.stderr
    assert signed.json["review"]["call"]["call"] == "sudo"


def test_every_chainspec_command_runs_with_sockets_disabled(cli, tmp_path, offline_inputs, socket_disabled):
    runs = [
        cli("chainspec", "inspect", "--json"),
        cli("chainspec", "raw", "-o", tmp_path / "raw.json"),
        cli("chainspec", "presets", "--json"),
        cli("chainspec", "presets", "--show", "local_testnet"),
        cli("chainspec", "build", "-o", tmp_path / "plain.json", "--preset", "development"),
        cli("chainspec", "build", "-o", tmp_path / "m.json", "--manifest", offline_inputs / "ceremony" / "keys" / "offline.json", "--from", FIXTURES / "development.json"),
        cli("chainspec", "verify", "--profile", "development", "--json"),
        cli("chainspec", "diff", FIXTURES / "development.json", tmp_path / "raw.json", "--json"),
    ]
    assert [r.exit_code for r in runs] == [0] * len(runs), [r.stderr for r in runs if r.exit_code]
    assert runs[-1].json["identical"]


def test_import_contract_keeps_offline_layers_away_from_network_code():
    lint = os.path.join(os.path.dirname(sys.executable), "lint-imports")
    assert os.path.exists(lint), "import-linter (the test extra) is not installed"
    done = subprocess.run([lint, "--config", str(ROOT / ".importlinter")], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
