"""The root typer app. Command groups are loaded lazily: ``fennel-gov --help`` imports none of them and
``fennel-gov keys …`` imports and builds only ``keys`` (typer builds every command of a group it is
given, which cost more than importing typer itself when all groups were built on each call)."""

from __future__ import annotations

import importlib

import click
import typer
import typer.core
import typer.main

from fennel_gov import __version__

# typer escapes "[default: 20]" to "\\[default: 20]" for rich whenever rich is installed, even with
# rich_markup_mode=None and TYPER_USE_RICH=0 (typer/core.py checks only HAS_RICH): plain help
# printed a literal backslash. We never render help with rich, so typer is told rich is absent.
typer.core.HAS_RICH = False

GOVERNANCE = "fennel_gov.cli.governance"
# name -> (module, its typer app, or None for a root command that module registers; the short help
# shown by 'fennel-gov --help', kept equal to the command's own by tests/test_cli_consistency.py)
COMMANDS: dict[str, tuple[str, str | None, str]] = {
    "add-validator": (GOVERNANCE, None, "Queue validators: Sudo.sudo(ValidatorManager.register_validators), after checking their session keys."),
    "remove-validator": (GOVERNANCE, None, "Queue a validator's removal: Sudo.sudo(ValidatorManager.remove_validator), refusing what the chain would drop."),
    "set-keys": (GOVERNANCE, None, "Session.set_keys(keys, proof) from the validator's own account (or --for it, by sudo)."),
    "rotate-keys": (GOVERNANCE, None, "Ask first; then author_rotateKeys on the validator's node, Session.set_keys with the result, and confirm NextKeys."),
    "status": (GOVERNANCE, None, "The validator set now, next session and after the pending changes, when each goes live, keys, finality, sudo."),
    "check-network": (GOVERNANCE, None, "For each node: reachable, genesis, runtime, best/finalized, peers — and what disagrees."),
    "recover-finality": (GOVERNANCE, None, "Sudo.sudo(Grandpa.note_stalled(delay, best_finalized)) for a chain whose finality has stopped."),
    "set-sudo": (GOVERNANCE, None, "Hand sudo to a new account: Sudo.set_key(new), signed by the current sudo key, confirmed by reading Sudo.Key back."),
    "keys": ("fennel_gov.cli.keys", "app", "Generate, inspect and store keys, offline."),
    "chainspec": ("fennel_gov.cli.chainspec", "app", "Chain specs: build, convert to raw, inspect, verify, diff (offline)."),
    "ceremony": ("fennel_gov.cli.ceremony", "app", "The air-gapped key ceremony (offline)."),
    "tx": ("fennel_gov.cli.tx", "app", "Offline signing: build (online), sign (offline), submit (online)."),
    "gitops": ("fennel_gov.cli.gitops", "app", "Kubernetes outputs for GitOps: Parity node chart, Sealed Secrets, SOPS (offline)."),
    "runtime": ("fennel_gov.cli.runtime", "app", "Runtime files: inspect, check against srtool's digest, diff (offline); upgrade a live chain."),
    "completion": ("fennel_gov.cli._app", None, "Print the shell completion script for bash, zsh or fish."),
}


def load_command(name: str) -> click.Command | None:
    """Import and build one root command (a group or a governance command) by name."""
    entry = COMMANDS.get(name)
    if entry is None:
        return None
    module_name, attribute, _ = entry
    if name == "completion":
        return typer.main.get_command(_completion_app)
    module = importlib.import_module(module_name)
    if attribute is not None:
        group = typer.main.get_group(getattr(module, attribute))
        group.name = name
        return group
    holder = typer.Typer(rich_markup_mode=None)
    module.register(holder)
    return typer.main.get_group(holder).commands[name]


class _LazyGroup(typer.core.TyperGroup):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        return load_command(cmd_name)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        # The listing from the table: printing it must not import and build every group.
        limit = formatter.width - 6 - max(len(name) for name in COMMANDS)
        rows = [(name, click.Command(name, help=text).get_short_help_str(limit)) for name, (_, _, text) in COMMANDS.items()]
        with formatter.section("Commands"):
            formatter.write_dl(rows)


app = typer.Typer(
    name="fennel-gov",
    cls=_LazyGroup,
    help="Keys, chain specs and governance for the Fennel proof-of-authority chain.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"fennel-gov {__version__}")
        raise typer.Exit(0)


@app.callback()
def _root(
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True, help="Print the version."),
) -> None:
    """Keys, chain specs and governance for the Fennel proof-of-authority chain."""


_completion_app = typer.Typer(rich_markup_mode=None)


@_completion_app.command("completion")
def completion(shell: str = typer.Argument(..., help="bash, zsh or fish.")) -> None:
    """Print the shell completion script for bash, zsh or fish.

    Install: fennel-gov completion bash > ~/.local/share/bash-completion/completions/fennel-gov
    """
    from typer._completion_shared import get_completion_script

    from fennel_gov.errors import BadInput

    if shell not in ("bash", "zsh", "fish"):
        raise BadInput(f"completion is for bash, zsh or fish, not {shell!r}")
    typer.echo(get_completion_script(prog_name="fennel-gov", complete_var="_FENNEL_GOV_COMPLETE", shell=shell))
