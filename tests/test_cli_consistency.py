"""One vocabulary across the command line: output options, the overwrite rule, clean help, README's flags."""

from __future__ import annotations

import json
import re
import re

import click
import pytest

from tests.conftest import FIXTURES, ROOT


def _commands():
    """Every leaf command as (path, click.Command), from the real command tree."""
    import typer.main

    from fennel_gov.cli._app import app

    root = typer.main.get_command(app)
    out = []

    def walk(cmd, path):
        if isinstance(cmd, click.Group):
            ctx = click.Context(cmd)
            for name in cmd.list_commands(ctx):
                walk(cmd.get_command(ctx, name), path + [name])
        else:
            out.append((" ".join(path), cmd))

    walk(root, [])
    return out


def test_help_pages_print_no_escaped_brackets(cli):
    for path, _ in _commands():
        run = cli(*path.split(), "--help")
        assert run.exit_code == 0, path
        assert "\\[" not in run.stdout, f"{path} --help prints a literal backslash"
    assert "[default: 20]" in cli("status", "--help").stdout
    assert "[required]" in cli("chainspec", "build", "--help").stdout


def test_every_file_output_option_is_dash_o_output():
    for path, cmd in _commands():
        for param in cmd.params:
            names = set(getattr(param, "opts", [])) | set(getattr(param, "secondary_opts", []))
            assert not names & {"--out", "--file"}, f"{path} still spells its output {names}"
            if param.name in {"output", "out", "file"} and isinstance(param, click.Option):
                assert {"-o", "--output"} <= names, f"{path}: {names}"


def test_readme_submission_flags_exist_on_each_command():
    flags = {p: {o for prm in cmd.params for o in getattr(prm, "opts", [])} for p, cmd in _commands()}
    for command in ("add-validator", "remove-validator", "set-keys", "recover-finality", "set-sudo"):
        assert {"--force", "--dry-run", "--call-only", "--yes", "--wait", "--timeout", "--json"} <= flags[command], command
    assert {"--force", "--yes", "--wait", "--timeout", "--json"} <= flags["rotate-keys"]
    readme = (ROOT / "README.md").read_text()
    # rotate-keys has no --dry-run/--call-only (the node makes the keys): the README says so.
    assert "`rotate-keys` takes neither `--dry-run` nor `--call-only`" in readme


def test_chainspec_raw_refuses_an_existing_output_unless_force(cli, tmp_path):
    target = tmp_path / "raw.json"
    target.write_text("keep me")
    refused = cli("chainspec", "raw", FIXTURES / "development.json", "-o", target)
    assert refused.exit_code == 2 and "--force" in refused.stderr
    assert target.read_text() == "keep me"
    forced = cli("chainspec", "raw", FIXTURES / "development.json", "-o", target, "--force", "--json")
    assert forced.exit_code == 0, forced.stderr
    assert json.loads(target.read_text())["genesis"]["raw"]


def test_chainspec_build_refuses_an_existing_output_unless_force(cli, tmp_path):
    target = tmp_path / "plain.json"
    target.write_text("keep me")
    refused = cli("chainspec", "build", "--from", FIXTURES / "development.json", "--preset", "development", "-o", target)
    assert refused.exit_code == 2 and "already exists" in refused.stderr
    assert target.read_text() == "keep me"


def test_old_output_spelling_still_works_with_a_note(cli, tmp_path):
    out = tmp_path / "nk"
    run = cli("keys", "generate-node-key", "--file", out, "--json")
    assert run.exit_code == 0, run.stderr
    assert "--file is deprecated" in run.stderr and out.exists()
    assert "--file" not in cli("keys", "generate-node-key", "--help").stdout


def test_docs_cli_md_is_current():
    from fennel_gov.cli._docs import render

    checked_in = (ROOT / "docs" / "cli.md").read_text()
    assert checked_in == render(), "docs/cli.md is stale: python -m fennel_gov.cli._docs > docs/cli.md"


def test_root_help_lists_each_command_with_its_own_short_help():
    from fennel_gov.cli._app import COMMANDS, load_command

    for name, (_, _, text) in COMMANDS.items():
        command = load_command(name)
        assert command is not None and command.get_short_help_str(500) == click.Command(name, help=text).get_short_help_str(500), name


def _modules_loaded_by(*argv: str) -> set[str]:
    import subprocess
    import sys

    code = ("import sys; from fennel_gov.cli import main; main(%r); "
            "sys.stderr.write(repr(sorted(m for m in sys.modules if m.startswith('fennel_gov'))))") % (list(argv),)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    return set(eval(done.stderr.strip().splitlines()[-1]))  # noqa: S307 - our own repr of a list of names


def test_help_loads_only_the_command_group_it_shows():
    groups = {"fennel_gov.cli.keys", "fennel_gov.cli.chainspec", "fennel_gov.cli.ceremony", "fennel_gov.cli.tx",
              "fennel_gov.cli.gitops", "fennel_gov.cli.governance"}
    assert _modules_loaded_by("--help") & groups == set()
    assert _modules_loaded_by("keys", "--help") & groups == {"fennel_gov.cli.keys"}


def test_shell_completion_completes_commands_and_options(tmp_path):
    import os
    import subprocess
    import sys

    env = dict(os.environ, _FENNEL_GOV_COMPLETE="complete_bash", COMP_WORDS="fennel-gov keys gen", COMP_CWORD="2")
    done = subprocess.run([sys.executable, "-m", "fennel_gov"], env=env, capture_output=True, text=True, cwd=ROOT)
    assert done.stdout.split() == ["plain,generate", "plain,generate-node-key"]
    script = subprocess.run([sys.executable, "-m", "fennel_gov", "completion", "bash"], capture_output=True, text=True, cwd=ROOT)
    assert script.returncode == 0 and "_FENNEL_GOV_COMPLETE=complete_bash" in script.stdout


SUBKEY_FIELDS = {"publicKey", "accountId", "ss58Address", "ss58PublicKey", "networkId", "secretSeed", "secretPhrase"}


def _fields(document) -> set[str]:
    if isinstance(document, dict):
        return set(document) | {f for key, value in document.items() if key != "properties" for f in _fields(value)}
    if isinstance(document, list):
        return {f for value in document for f in _fields(value)}
    return set()


def test_json_fields_are_snake_case_except_subkeys_own(cli, tmp_path):
    suri = tmp_path / "suri"
    suri.write_text("//Alice")
    runs = [
        cli("keys", "inspect", "--suri-file", suri, "--json"),
        cli("keys", "generate-node-key", "--show-secret", "--json"),
        cli("keys", "session-keys", "generate", "--keystore", tmp_path / "ks", "--json"),
        cli("keys", "session-keys", "derive", "--suri-file", suri, "--json"),
        cli("keys", "insert", "--keystore", tmp_path / "ks2", "--key-type", "aura", "--suri-file", suri, "--json"),
        cli("keys", "sign", "--suri-file", suri, "--json", stdin="m"),
        cli("chainspec", "inspect", "--json"),
        cli("chainspec", "verify", "--profile", "development", "--json"),
    ]
    for run in runs:
        assert run.exit_code == 0, run.stderr
        camel = {f for f in _fields(run.json) if re.fullmatch(r"[a-z]+[A-Z][A-Za-z0-9]*", f)} - SUBKEY_FIELDS  # (addresses as keys start otherwise)
        assert not camel, camel
