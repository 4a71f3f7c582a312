"""The root typer app; each command group lives in its own module and is imported here."""

from __future__ import annotations

import typer
import typer.core

# typer escapes "[default: 20]" to "\\[default: 20]" for rich whenever rich is installed, even with
# rich_markup_mode=None and TYPER_USE_RICH=0 (typer/core.py checks only HAS_RICH): plain help
# printed a literal backslash. We never render help with rich, so typer is told rich is absent.
typer.core.HAS_RICH = False

from fennel_gov import __version__
from fennel_gov.cli import ceremony as ceremony_cli
from fennel_gov.cli import chainspec as chainspec_cli
from fennel_gov.cli import gitops as gitops_cli
from fennel_gov.cli import governance as governance_cli
from fennel_gov.cli import keys as keys_cli
from fennel_gov.cli import tx as tx_cli

app = typer.Typer(
    name="fennel-gov",
    help="Keys, chain specs and governance for the Fennel proof-of-authority chain.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)
app.add_typer(keys_cli.app, name="keys")
app.add_typer(chainspec_cli.app, name="chainspec")
app.add_typer(ceremony_cli.app, name="ceremony")
app.add_typer(tx_cli.app, name="tx")
app.add_typer(gitops_cli.app, name="gitops")
governance_cli.register(app)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"fennel-gov {__version__}")
        raise typer.Exit(0)


@app.callback()
def _root(
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True, help="Print the version."),
) -> None:
    """Keys, chain specs and governance for the Fennel proof-of-authority chain."""
