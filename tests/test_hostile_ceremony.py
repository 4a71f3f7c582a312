"""The ceremony is all or nothing: names that would collide are refused before anything is made,
and an interrupted ceremony (SIGINT, SIGTERM) prints one line, exits 130/143 and leaves no file."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest

from tests.hostile import one_line


def passphrases(count: int) -> str:
    return "".join(f"passphrase number {i}\n" for i in range(count))


@pytest.mark.parametrize("option, value", [("--network", "seed"), ("--name", "mnemonic"), ("--network", "secretPhrase")])
def test_names_that_read_as_secret_fields_are_refused_before_anything_is_written(cli, tmp_path, option, value):
    out = tmp_path / "ceremony"
    args = ["--network", "fennel", "--name", "Fennel"]
    args[args.index(option) + 1] = value
    result = cli("ceremony", "init", *args, "--validators", "2", "-o", out, "--passphrases-stdin", "--allow-network",
                 stdin=passphrases(3))
    assert result.exit_code == 2
    assert "is the name of a secret field" in result.stderr.strip().splitlines()[-1]
    assert list(tmp_path.iterdir()) == []


def test_a_chain_name_that_merely_contains_a_field_word_is_fine_and_the_manifest_validates(cli, tmp_path):
    out = tmp_path / "ceremony"
    result = cli("ceremony", "init", "--network", "seed-net", "--name", "seed mnemonic chain", "--validators", "1",
                 "-o", out, "--passphrases-stdin", "--allow-network", "--json", stdin=passphrases(2))
    assert result.exit_code == 0, result.stderr
    assert (out / "keys" / "seed-net.json").is_file()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ceremony"]  # no temporary directory left


def test_a_failure_mid_ceremony_leaves_nothing_and_a_rerun_succeeds(cli, tmp_path, monkeypatch):
    from fennel_gov.ceremony import generate

    calls = {"n": 0}
    real = generate._write_secret

    def failing(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 4:
            raise OSError(28, "No space left on device")
        return real(*args, **kwargs)

    monkeypatch.setattr(generate, "_write_secret", failing)
    out = tmp_path / "ceremony"
    args = ("ceremony", "init", "--network", "fennel", "--validators", "2", "-o", out, "--passphrases-stdin", "--allow-network")
    failed = cli(*args, stdin=passphrases(3))
    assert failed.exit_code == 1
    assert "No space left on device" in failed.stderr.strip().splitlines()[-1]
    assert list(tmp_path.iterdir()) == []
    monkeypatch.setattr(generate, "_write_secret", real)
    assert cli(*args, stdin=passphrases(3)).exit_code == 0


@pytest.mark.parametrize("signum, code, word", [(signal.SIGINT, 130, "interrupted"), (signal.SIGTERM, 143, "terminated")])
def test_an_interrupted_ceremony_prints_one_line_exits_128_plus_signal_and_leaves_nothing(tmp_path, signum, code, word):
    work = tmp_path / "work"
    work.mkdir()
    out = work / "ceremony"
    lines = tmp_path / "passphrases"
    lines.write_text(passphrases(61))
    # 60 validators: 240 scrypt-encrypted files, several seconds of work to interrupt in the middle.
    child = subprocess.Popen(
        [sys.executable, "-m", "fennel_gov", "ceremony", "init", "--network", "fennel", "--validators", "60",
         "-o", str(out), "--passphrases-stdin", "--allow-network"],
        stdin=lines.open(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "FENNEL_GOV_DEBUG": ""},
    )
    deadline = time.monotonic() + 25
    written = []
    while time.monotonic() < deadline and child.poll() is None:
        written = [p for p in work.rglob("*.json")]
        if len(written) >= 3:
            break
        time.sleep(0.05)
    assert len(written) >= 3 and child.poll() is None, "the ceremony finished or never started writing"
    child.send_signal(signum)
    stdout, stderr = child.communicate(timeout=30)
    assert child.returncode == code, stderr
    # --allow-network warns first on a networked test machine; the outcome is one line after it.
    assert word in one_line("\n".join(l for l in stderr.splitlines() if not l.startswith("WARNING: ")))  # warnings precede the work
    assert list(work.iterdir()) == []


@pytest.mark.parametrize("option, value, shown", [
    ("--validator-endowment", "9", "9 FNL"),  # below the existential deposit
    ("--validator-endowment", "0", "0 FNL"),
    ("--sudo-endowment", "-5", "-5 FNL"),
    ("--sudo-endowment", str(2**128), "340282366920938463463374607431768211456 FNL"[:24]),  # above u128 (shown cut)
])
def test_endowments_the_runtime_refuses_are_refused_before_any_key_is_made(cli, tmp_path, option, value, shown):
    out = tmp_path / "ceremony"
    result = cli("ceremony", "init", "--network", "fennel", "--validators", "2", "-o", out, option, value,
                 "--passphrases-stdin", "--allow-network", stdin=passphrases(3))
    assert result.exit_code == 2
    line = result.stderr.strip().splitlines()[-1]
    assert f"{option} is {shown}" in line and "existential deposit (10 FNL" in line, line
    assert list(tmp_path.iterdir()) == []


def test_endowments_whose_total_overflows_the_total_issuance_are_refused(cli, tmp_path):
    each = str((2**128 - 1) // 10**12 // 2)  # each fits a u128, three of them do not
    result = cli("ceremony", "init", "--network", "fennel", "--validators", "2", "-o", tmp_path / "c", "--sudo-endowment", each,
                 "--validator-endowment", each, "--passphrases-stdin", "--allow-network", stdin=passphrases(3))
    assert result.exit_code == 2 and "total issuance" in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_the_existential_deposit_is_the_fennel_runtimes_own():
    from fennel_gov.ceremony.generate import EXISTENTIAL_DEPOSIT
    from fennel_gov.runtime import Runtime
    from fennel_gov.runtime.metadata import RuntimeMetadata
    from tests.conftest import FIXTURES

    code = (FIXTURES / "runtimes" / "fennel-v102.compact.compressed.wasm").read_bytes()
    constant = RuntimeMetadata.from_runtime(Runtime.from_code(code)).constant("Balances", "ExistentialDeposit")
    assert int.from_bytes(constant, "little") == EXISTENTIAL_DEPOSIT


def test_an_endowment_of_exactly_the_existential_deposit_is_accepted(cli, tmp_path):
    result = cli("ceremony", "init", "--network", "fennel", "--validators", "1", "-o", tmp_path / "c", "--validator-endowment", "10",
                 "--sudo-endowment", "10", "--passphrases-stdin", "--allow-network", "--json", stdin=passphrases(2))
    assert result.exit_code == 0, result.stderr
    # and the runtime agrees: the genesis builds with those balances
    from tests.conftest import FIXTURES

    runtime = FIXTURES / "runtimes" / "fennel-v102.compact.compressed.wasm"
    plain = tmp_path / "plain.json"
    assert cli("chainspec", "build", "--manifest", tmp_path / "c" / "keys" / "fennel.json", "--runtime", runtime, "-o", plain).exit_code == 0
    assert cli("chainspec", "raw", plain, "-o", tmp_path / "raw.json").exit_code == 0
