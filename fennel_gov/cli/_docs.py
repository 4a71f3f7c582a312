"""``docs/cli.md``: every command's help page, generated from the command tree.

Regenerate with ``.venv/bin/python -m fennel_gov.cli._docs > docs/cli.md``;
tests/test_cli_consistency.py fails (in CI too) when the checked-in file is not current.
"""

from __future__ import annotations

import os


def render() -> str:
    os.environ.setdefault("TYPER_USE_RICH", "0")
    import click
    import typer.main

    from fennel_gov.cli._app import app

    root = typer.main.get_command(app)
    parts = [
        "# fennel-gov command reference\n\n",
        "Generated from the command tree by `python -m fennel_gov.cli._docs > docs/cli.md`; do not edit by hand.\n",
    ]

    def walk(command: click.Command, path: list[str], parent: click.Context | None) -> None:
        ctx = click.Context(command, info_name=path[-1], parent=parent, terminal_width=100, max_content_width=100,
                            help_option_names=["-h", "--help"])
        name = " ".join(path)
        parts.append(f"\n## `{name}`\n\n```text\n{command.get_help(ctx).rstrip()}\n```\n")
        if isinstance(command, click.Group):
            for sub in command.list_commands(ctx):
                child = command.get_command(ctx, sub)
                if child is not None:
                    walk(child, path + [sub], ctx)

    walk(root, ["fennel-gov"], None)
    return "".join(parts)


if __name__ == "__main__":
    import sys

    sys.stdout.write(render())
