"""The ``fennel-gov`` command: parse, call the library, render. Errors become exit codes here.

Every message printed here goes through ``errors.scrub`` with the command line's values, so no
error (ours or click's) repeats an argument that looks like a secret or runs on for pages.
SIGINT and SIGTERM are turned into exceptions of our own (typer would swallow a KeyboardInterrupt
into a silent exit 130), so ``finally`` blocks clean up and the process ends with one line and the
shell's conventional status (130 for SIGINT, 143 for SIGTERM).
"""

from __future__ import annotations

import os
import signal
import sys

EXIT_SIGINT = 128 + signal.SIGINT
EXIT_SIGTERM = 128 + signal.SIGTERM


class Terminated(BaseException):
    """SIGTERM arrived; raised where the program was so that cleanup runs."""


class Interrupted(BaseException):
    """SIGINT arrived (Ctrl-C); raised where the program was so that cleanup runs."""


def _on_signal(signum, _frame):
    error = Interrupted() if signum == signal.SIGINT else Terminated()
    executor = sys.modules.get("fennel_gov.runtime.executor")
    if executor is not None and executor.defer_signal(error):
        return  # inside a runtime call: it is stopped, and raises this once wasm has unwound
    raise error


# Spellings the output option had before every command said -o/--output: accepted, hidden from help.
_LEGACY_OUTPUT = {
    ("keys", "generate"): "--out", ("keys", "export-json"): "--out", ("keys", "generate-node-key"): "--file",
    ("ceremony", "init"): "--out", ("ceremony", "recover-sudo"): "--out", ("gitops", "render"): "--out",
}


def _legacy_output(args: list[str]) -> list[str]:
    """Rewrite a deprecated output spelling to --output for the commands that had it (with a note)."""
    old = _LEGACY_OUTPUT.get((args[0], args[1])) if len(args) >= 2 else None
    if old is None:
        return args
    rewritten = []
    for arg in args:
        if arg == old or arg.startswith(old + "="):
            sys.stderr.write(f"note: {old} is deprecated; say -o/--output\n")
            arg = "--output" + arg[len(old):]
        rewritten.append(arg)
    return rewritten


def main(argv: list[str] | None = None) -> int:
    # Plain click help and errors: faster start (no rich), and one-line messages on stderr.
    os.environ.setdefault("TYPER_USE_RICH", "0")
    import click

    from fennel_gov.cli._app import app
    from fennel_gov.errors import EXIT_BAD_INPUT, EXIT_FAILURE, FennelGovError, scrub

    inputs = list(sys.argv[1:] if argv is None else argv)
    argv = _legacy_output(inputs)

    def say(message: str) -> None:
        sys.stderr.write(scrub(message, inputs) + "\n")

    previous = {}
    for signum in (signal.SIGINT, signal.SIGTERM):
        try:
            previous[signum] = signal.signal(signum, _on_signal)
        except ValueError:  # not the main thread: leave signals alone
            pass
    try:
        result = app(args=argv, prog_name="fennel-gov", standalone_mode=False)
    except FennelGovError as error:
        say(f"error: {error}")
        return error.exit_code
    except click.exceptions.Abort as error:
        if isinstance(error.__context__, KeyboardInterrupt):
            say("interrupted")
            return EXIT_SIGINT
        say("aborted")
        return EXIT_FAILURE
    except click.exceptions.Exit as done:
        if isinstance(done.__cause__, KeyboardInterrupt):  # typer turns SIGINT into Exit(130), silently
            say("interrupted")
            return EXIT_SIGINT
        return done.exit_code
    except click.ClickException as error:
        hint = ""
        if isinstance(error, click.UsageError) and error.ctx is not None:
            hint = f" (see '{error.ctx.command_path} --help')"
        say(f"error: {error.format_message()}{hint}")
        return EXIT_BAD_INPUT if isinstance(error, click.UsageError) else error.exit_code
    except (KeyboardInterrupt, Interrupted):
        say("interrupted")
        return EXIT_SIGINT
    except Terminated:
        say("terminated")
        return EXIT_SIGTERM
    except RecursionError:
        say("error: the input nests too deeply to process; it is not something fennel-gov writes or reads")
        return EXIT_BAD_INPUT
    except MemoryError:
        say("error: out of memory; the input is larger than fennel-gov handles")
        return EXIT_FAILURE
    except Exception as error:  # noqa: BLE001 - the last line of defence: no traceback, no secrets
        if os.environ.get("FENNEL_GOV_DEBUG"):
            raise
        say(f"internal error ({type(error).__name__}); rerun with FENNEL_GOV_DEBUG=1 for details and report it")
        return EXIT_FAILURE
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    return result if isinstance(result, int) else 0
