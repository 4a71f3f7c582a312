"""Files as an attacker would hand them over: devices, FIFOs, directories, huge or crafted JSON,
and output paths that are not regular files. Each is one line, exit 2, and nothing is replaced."""

from __future__ import annotations

import json
import os
import stat

import pytest

from tests.conftest import FIXTURES
from tests.hostile import one_line, run_limited

DEV_RAW = FIXTURES / "development-raw.json"


def zero_device(directory):
    """A character device equal to /dev/zero (1, 5), made in ``directory`` (tests run as root)."""
    path = directory / "zero"
    os.mknod(path, stat.S_IFCHR | 0o666, os.makedev(1, 5))
    return path


def null_device(directory):
    path = directory / "null"
    os.mknod(path, stat.S_IFCHR | 0o666, os.makedev(1, 3))
    return path


@pytest.fixture
def hostile_inputs(tmp_path):
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    folder = tmp_path / "folder"
    folder.mkdir()
    return {"device": zero_device(tmp_path), "FIFO": fifo, "directory": folder}


READERS = {
    "spec": lambda p: ("chainspec", "inspect", p),
    "manifest": lambda p: ("chainspec", "build", "-o", "/nonexistent-dir/out.json", "--manifest", p),
    "patch": lambda p: ("chainspec", "build", "-o", "out.json", "--patch", p),
    "runtime": lambda p: ("chainspec", "presets", "--runtime", p),
    "secret URI file": lambda p: ("keys", "inspect", "--suri-file", p),
    "keystore JSON": lambda p: ("keys", "inspect", "--keystore-json", p, "--password-stdin"),
    "node key": lambda p: ("keys", "inspect-node-key", p),
}


@pytest.mark.parametrize("kind", ["device", "FIFO", "directory"])
@pytest.mark.parametrize("reader", list(READERS))
def test_every_reader_refuses_what_is_not_a_regular_file(tmp_path, hostile_inputs, reader, kind):
    # In a child limited to 1 GiB and 30 s: reading /dev/zero or opening a FIFO must not even start.
    os.chdir(tmp_path)
    result = run_limited(*READERS[reader](hostile_inputs[kind]), stdin="password\n", timeout=30)
    line = one_line(result.stderr)
    assert result.exit_code == 2, line
    assert "not a regular file" in line or "does not exist" in line or "is a directory" in line.lower(), line


@pytest.mark.parametrize(
    "args, size, expected",
    [
        (("keys", "inspect-node-key"), 5000, "a node key is at most 4,096"),
        (("keys", "inspect", "--suri-file"), 100_000, "a secret URI file is at most 65,536"),
        (("keys", "inspect", "--password-stdin", "--keystore-json"), 100_000, "a key file is at most 65,536"),
        (("chainspec", "inspect"), 300 * 1024 * 1024, "a chain spec is at most 268,435,456"),
    ],
    ids=["node-key", "suri-file", "keystore-json", "spec"],
)
def test_each_kind_of_file_has_a_size_cap(cli, tmp_path, args, size, expected):
    big = tmp_path / "big"
    with open(big, "wb") as handle:
        handle.truncate(size)  # sparse: costs no disk, and must not be read
    result = cli(*args, big, stdin="pw\n")
    assert result.exit_code == 2
    assert expected in one_line(result.stderr)


def test_raw_output_to_a_device_is_refused_and_the_device_is_left_alone(cli, tmp_path):
    device = null_device(tmp_path)
    result = cli("chainspec", "raw", FIXTURES / "development.json", "-o", device)
    assert result.exit_code == 2
    assert "is a character device" in one_line(result.stderr)
    assert stat.S_ISCHR(os.lstat(device).st_mode)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["null"]


@pytest.mark.parametrize("kind", ["symlink", "FIFO", "directory"])
def test_outputs_are_never_anything_but_regular_files(cli, tmp_path, kind):
    target = tmp_path / "target.json"
    real = tmp_path / "real.json"
    real.write_text("{}")
    if kind == "symlink":
        target.symlink_to(real)
    elif kind == "FIFO":
        os.mkfifo(target)
    else:
        target.mkdir()
    before = sorted(p.name for p in tmp_path.iterdir())
    result = cli("chainspec", "raw", FIXTURES / "development.json", "-o", target)
    assert result.exit_code == 2
    one_line(result.stderr)
    assert sorted(p.name for p in tmp_path.iterdir()) == before
    assert real.read_text() == "{}"
    if kind == "symlink":
        assert target.is_symlink()


def test_write_atomic_refuses_a_device_even_when_asked_to_overwrite(tmp_path):
    from fennel_gov._files import write_atomic
    from fennel_gov.errors import BadInput

    device = null_device(tmp_path)
    with pytest.raises(BadInput, match="character device"):
        write_atomic(device, "x", overwrite=True)
    assert stat.S_ISCHR(os.lstat(device).st_mode)
    assert [p.name for p in tmp_path.iterdir()] == ["null"]


def test_key_outputs_are_refused_before_a_key_is_made(cli, tmp_path):
    link = tmp_path / "key.json"
    link.symlink_to(tmp_path / "elsewhere.json")
    result = cli("keys", "generate", "-o", link, "--password-stdin", stdin="a long password\na long password\n")
    assert result.exit_code == 2
    assert "symbolic link" in one_line(result.stderr)
    assert not (tmp_path / "elsewhere.json").exists()


# -- JSON ---------------------------------------------------------------------------------------------


def test_json_nested_200000_deep_is_one_line(cli, tmp_path):
    spec = tmp_path / "deep.json"
    spec.write_text('{"genesis": ' + "[" * 200_000 + "]" * 200_000 + "}")
    result = cli("chainspec", "inspect", spec)
    assert result.exit_code == 2
    assert "nests deeper than 64 levels" in one_line(result.stderr)


def test_json_nested_past_the_bound_but_parseable_is_refused_with_its_path(tmp_path):
    from fennel_gov._files import parse_json
    from fennel_gov.errors import BadInput

    with pytest.raises(BadInput, match=r"nests deeper than 64 levels \(at genesis\[0\]"):
        parse_json('{"genesis": ' + "[" * 100 + "]" * 100 + "}")
    assert parse_json('{"a": ' + "[" * 60 + "]" * 60 + "}")  # real nesting is fine


def test_a_5000_digit_number_is_named_by_its_path(cli, tmp_path):
    spec = json.loads(DEV_RAW.read_text())
    text = json.dumps(spec).replace('"properties": {', '"properties": {"hostile": ' + "9" * 5000 + ", ", 1)
    path = tmp_path / "huge.json"
    path.write_text(text)
    result = cli("chainspec", "inspect", path)
    assert result.exit_code == 2
    assert "5000-character number at properties.hostile" in one_line(result.stderr)


def test_a_spec_with_two_code_entries_is_refused_naming_the_key(cli, tmp_path):
    text = DEV_RAW.read_text()
    code_entry = '"0x3a636f6465": "0x00'
    assert text.count('"0x3a636f6465"') == 1
    doubled = text.replace('"0x3a636f6465":', '"0x3a636f6465": "0x0061736d01000000", "0x3a636f6465":', 1)
    path = tmp_path / "two-codes.json"
    path.write_text(doubled)
    result = cli("chainspec", "inspect", path)
    assert result.exit_code == 2
    assert "the key '0x3a636f6465' twice in genesis.raw.top" in one_line(result.stderr), code_entry


def test_a_spec_with_two_genesis_keys_is_refused(cli, tmp_path):
    text = DEV_RAW.read_text()
    path = tmp_path / "two-genesis.json"
    path.write_text(text.replace('"genesis":', '"genesis": {}, "genesis":', 1))
    result = cli("chainspec", "inspect", path)
    assert result.exit_code == 2
    assert "the key 'genesis' twice in the top level" in one_line(result.stderr)


def test_one_storage_key_spelled_twice_in_raw_top_is_refused(cli, tmp_path):
    spec = json.loads(DEV_RAW.read_text())
    top = spec["genesis"]["raw"]["top"]
    top["0x3A636F6465"] = "0x0061736d01000000"
    path = tmp_path / "case.json"
    path.write_text(json.dumps(spec))
    result = cli("chainspec", "inspect", path)
    assert result.exit_code == 2
    assert "storage key 0x3a636f6465 twice" in one_line(result.stderr)


def test_manifests_refuse_duplicate_keys_too(tmp_path):
    from fennel_gov.ceremony.manifest import load_manifest
    from fennel_gov.errors import BadInput

    path = tmp_path / "m.json"
    path.write_text('{"format": "fennel-gov-ceremony/1", "sudo": {"address": "a", "address": "b"}}')
    with pytest.raises(BadInput, match="the key 'address' twice in sudo"):
        load_manifest(path)


@pytest.mark.parametrize(
    "args, expected",
    [
        (("keys", "inspect"), "secret URI line on standard input is longer than 65,536"),
        (("ceremony", "init", "--network", "n", "--validators", "1", "-o", "c", "--passphrases-stdin", "--allow-network"),
         "standard input holds more than 1,048,576 characters"),
    ],
    ids=["secret-uri", "passphrases"],
)
def test_endless_standard_input_is_cut_off(tmp_path, args, expected):
    # /dev/zero as standard input, in a child limited to 1 GiB and 30 s.
    import subprocess
    import sys

    with open(zero_device(tmp_path), "rb") as zeros:
        done = subprocess.run([sys.executable, "-m", "fennel_gov", *args], stdin=zeros, capture_output=True, text=True,
                              cwd=tmp_path, timeout=30, preexec_fn=__import__("tests.hostile", fromlist=["_limits"])._limits(1 << 30, 30))
    assert done.returncode == 2, done.stderr
    assert expected in done.stderr.strip().splitlines()[-1]


@pytest.mark.parametrize(
    "field, value, expected",
    [
        ("bootNodes", 5, "bootNodes is an integer; expected a list"),
        ("bootNodes", ["/ip4/1.2.3.4/tcp/30333/p2p/x", 7], "bootNodes[1] is an integer"),
        ("properties", ["a"], "properties is a list; expected an object"),
        ("name", {"a": 1}, "name is an object; expected a string"),
    ],
)
def test_spec_fields_are_type_checked_by_name(cli, tmp_path, field, value, expected):
    spec = json.loads(DEV_RAW.read_text())
    spec[field] = value
    path = tmp_path / "typed.json"
    path.write_text(json.dumps(spec))
    result = cli("chainspec", "inspect", path)
    assert result.exit_code == 2
    assert expected in one_line(result.stderr)


@pytest.mark.parametrize("decimals", ["abc", 10**70, -1, True])
def test_token_decimals_must_be_a_small_integer(tmp_path, decimals):
    # 10**70 decimals would make the balance rendering build a 10**(10**70) number.
    spec = json.loads(DEV_RAW.read_text())
    spec["properties"]["tokenDecimals"] = decimals
    path = tmp_path / "decimals.json"
    path.write_text(json.dumps(spec))
    result = run_limited("chainspec", "inspect", path)  # a child: a regression here would never end
    assert result.exit_code == 2
    assert "properties.tokenDecimals" in one_line(result.stderr)


def test_a_dangling_symlink_as_keystore_is_one_line(cli, tmp_path):
    link = tmp_path / "keystore"
    link.symlink_to(tmp_path / "nowhere")
    run = cli("keys", "insert", "--keystore", link, "--key-type", "aura", stdin="//Alice\n")
    assert run.exit_code == 2 and "symbolic link to nothing" in run.stderr
    assert not (tmp_path / "nowhere").exists()


def test_a_directory_of_ours_is_never_made_through_a_dangling_symlink_or_under_a_file(tmp_path):
    from fennel_gov._files import make_directory
    from fennel_gov.errors import BadInput

    link = tmp_path / "keystore"
    link.symlink_to(tmp_path / "elsewhere")
    with pytest.raises(BadInput, match="symbolic link to nothing; give the keystore directory itself"):
        make_directory(link, "keystore directory")
    assert not (tmp_path / "elsewhere").exists()
    plain = tmp_path / "file"
    plain.write_text("")
    with pytest.raises(BadInput, match="is not a directory; give the keystore directory"):
        make_directory(plain, "keystore directory")
    with pytest.raises(BadInput, match="cannot make the keystore directory .*: Not a directory"):
        make_directory(plain / "sub", "keystore directory")
    made = make_directory(tmp_path / "a" / "b", "keystore directory")
    assert made.is_dir() and (made.stat().st_mode & 0o777) == 0o700


def test_progress_lines_on_a_terminal_escape_what_the_node_said(monkeypatch, capsys):
    import sys

    from fennel_gov.cli.governance import _progress

    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)
    _progress(False)("included in block \x1b]0;owned\x07\x1b[2J0xabc")
    err = capsys.readouterr().err
    assert "\x1b" not in err and "\\x1b" in err and "0xabc" in err
