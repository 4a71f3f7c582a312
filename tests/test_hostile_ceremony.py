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
