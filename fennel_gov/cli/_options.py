"""Option groups written once and shared by every command (after sc-cli's ``params/``)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Optional

import typer

Json = Annotated[bool, typer.Option("--json", help="Print exact JSON instead of text.")]
ShowSecret = Annotated[
    bool, typer.Option("--show-secret", help="Also print secret material (phrase, seed). Off by default.")
]
SchemeOpt = Annotated[
    Optional[str], typer.Option("--scheme", help="sr25519 (default), ed25519 or ecdsa.", show_default=False)
]
Network = Annotated[
    Optional[str],
    typer.Option("--network", help="SS58 network: fennel/substrate (42), polkadot (0), kusama (2) or a number."),
]
SuriFile = Annotated[
    Optional[Path],
    typer.Option("--suri-file", help="Read the secret URI from this file.", dir_okay=False),
]
KeyringName = Annotated[
    Optional[str], typer.Option("--keyring", help="Read the secret URI from this OS-keyring entry.")
]
KeystoreJson = Annotated[
    Optional[Path],
    typer.Option("--keystore-json", help="Read the key from a polkadot-js encrypted JSON file.", dir_okay=False),
]
Force = Annotated[bool, typer.Option("--force", help="Replace the output file if it exists (refused otherwise).")]


def check_output(path: Path, force: bool) -> None:
    """The one overwrite rule: an existing output is refused unless --force, before any work is done.
    (Secret key files take no --force: they are never overwritten.)"""
    from fennel_gov._files import check_output_target
    from fennel_gov.errors import RefusedOverwrite

    check_output_target(path)
    if path.exists() and not force:
        raise RefusedOverwrite(f"{path} already exists; pass --force to replace it, or choose another path")


PasswordStdin = Annotated[
    bool, typer.Option("--password-stdin", help="Read the password from standard input instead of a prompt.")
]


def secret_source(suri_file, keyring_name, keystore_json, password_stdin):
    from fennel_gov.keys.sources import SecretSource

    return SecretSource(
        suri_file=suri_file, keyring_name=keyring_name, keystore_json=keystore_json, password_stdin=password_stdin
    )


def stdin_is_tty() -> bool:
    try:
        return sys.stdin.isatty()
    except (AttributeError, ValueError):
        return False


def hidden_prompt(text: str) -> str:
    import getpass

    return getpass.getpass(text)


def read_secret(source):
    from fennel_gov.keys.sources import read_secret as _read

    return _read(source, stdin=sys.stdin, prompt=hidden_prompt, is_tty=stdin_is_tty())
