"""The ``fennel-gov`` command: parse, call the library, render. Errors become exit codes here."""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> int:
    # Plain click help and errors: faster start (no rich), and one-line messages on stderr.
    os.environ.setdefault("TYPER_USE_RICH", "0")
    import click

    from fennel_gov.cli._app import app
    from fennel_gov.errors import EXIT_BAD_INPUT, EXIT_FAILURE, FennelGovError

    try:
        result = app(args=argv, prog_name="fennel-gov", standalone_mode=False)
    except FennelGovError as error:
        sys.stderr.write(f"error: {error}\n")
        return error.exit_code
    except click.exceptions.Abort:
        sys.stderr.write("aborted\n")
        return EXIT_FAILURE
    except click.exceptions.Exit as done:
        return done.exit_code
    except click.ClickException as error:
        error.show()
        return EXIT_BAD_INPUT if isinstance(error, click.UsageError) else error.exit_code
    except KeyboardInterrupt:
        sys.stderr.write("interrupted\n")
        return 130
    except Exception as error:  # noqa: BLE001 - the last line of defence: no traceback, no secrets
        if os.environ.get("FENNEL_GOV_DEBUG"):
            raise
        sys.stderr.write(
            f"internal error ({type(error).__name__}); rerun with FENNEL_GOV_DEBUG=1 for details and report it\n"
        )
        return EXIT_FAILURE
    return result if isinstance(result, int) else 0
