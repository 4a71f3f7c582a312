"""Where a secret comes from: a hidden prompt, standard input, a file, the OS keyring or an
encrypted polkadot-js JSON file. Never the command line.

``SecretSource`` describes the operator's choice; ``read_secret`` turns it into ``SecretMaterial``:
a secret URI, or (from a JSON file, which holds no URI) a ready key pair.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, TextIO

from fennel_gov.errors import BadInput, InvalidKeyFile, SecretUnavailable
from fennel_gov.keys.schemes import KeyPair, Scheme, pair_from_suri
from fennel_gov.keys.secret import SecretStr

Prompt = Callable[[str], str]


@dataclass(frozen=True)
class SecretSource:
    suri_file: Path | None = None
    keyring_name: str | None = None
    keystore_json: Path | None = None
    password_stdin: bool = False

    @property
    def uses_stdin(self) -> bool:
        return self.password_stdin or not (self.suri_file or self.keyring_name or self.keystore_json)


@dataclass(frozen=True, repr=False)
class SecretMaterial:
    """A secret URI, or a key pair opened from an encrypted file (which holds no URI)."""

    suri: SecretStr | None = None
    pair: KeyPair | None = None
    origin: str = "secret"

    def __repr__(self) -> str:
        return f"SecretMaterial(origin={self.origin!r})"

    def key_pair(self, scheme: Scheme | str | None) -> KeyPair:
        if self.pair is not None:
            if scheme is not None and Scheme.parse(scheme) is not self.pair.scheme:
                raise BadInput(
                    f"{self.origin} holds an {self.pair.scheme.value} key, not {Scheme.parse(scheme).value}"
                )
            return self.pair
        assert self.suri is not None
        return pair_from_suri(self.suri, scheme or Scheme.SR25519)

    def require_suri(self, purpose: str) -> SecretStr:
        if self.suri is None:
            raise BadInput(f"{purpose} needs a secret URI; {self.origin} holds only a key pair")
        return self.suri


MAX_LINE = 64 * 1024  # a secret URI or password; /dev/zero on standard input must not grow forever


def _read_stdin_line(stdin: TextIO, what: str) -> str:
    value = stdin.readline(MAX_LINE + 1)
    if len(value) > MAX_LINE:
        raise BadInput(f"the {what} line on standard input is longer than {MAX_LINE:,} characters; it is not a {what}")
    if not value:
        raise SecretUnavailable(f"standard input is empty; pipe the {what} in or run on a terminal to be asked")
    return value.rstrip("\r\n")


def read_password(
    *,
    stdin: TextIO | None = None,
    from_stdin: bool,
    prompt: Prompt | None,
    is_tty: bool,
    what: str = "password",
    confirm: bool = False,
) -> SecretStr:
    stdin = stdin or sys.stdin
    if from_stdin:
        return SecretStr(_read_stdin_line(stdin, what))
    if not is_tty or prompt is None:
        raise SecretUnavailable(f"no terminal to ask for the {what}; pass --password-stdin and pipe it in")
    first = prompt(f"{what.capitalize()}: ")
    if confirm and prompt(f"Repeat the {what}: ") != first:
        raise BadInput(f"the two {what}s differ; nothing was written")
    return SecretStr(first)


def read_secret(
    source: SecretSource,
    *,
    stdin: TextIO | None = None,
    prompt: Prompt | None = None,
    is_tty: bool = False,
) -> SecretMaterial:
    """Resolve ``source``; with no explicit source, prompt on a terminal, else read standard input."""
    stdin = stdin or sys.stdin
    chosen = [s for s in (source.suri_file, source.keyring_name, source.keystore_json) if s]
    if len(chosen) > 1:
        raise BadInput("give one secret source: --suri-file, --keyring or --keystore-json")
    if source.suri_file:
        from fennel_gov._files import read_text

        text = read_text(source.suri_file, "secret URI file", error=SecretUnavailable)
        return SecretMaterial(suri=SecretStr(text.strip()), origin=str(source.suri_file))
    if source.keyring_name:
        from fennel_gov.keys import keyring_store

        return SecretMaterial(suri=keyring_store.fetch(source.keyring_name), origin=f"keyring entry {source.keyring_name!r}")
    if source.keystore_json:
        from fennel_gov.keys.encrypted_json import decrypt_account

        from fennel_gov._files import read_bytes

        document = read_bytes(source.keystore_json, "key file", error=InvalidKeyFile)
        password = read_password(stdin=stdin, from_stdin=source.password_stdin, prompt=prompt, is_tty=is_tty)
        account = decrypt_account(document, password)
        # A file that keeps the seed can also act as a secret URI ("0x<seed>"), e.g. for a node keystore.
        seed = account.pair.seed
        return SecretMaterial(
            pair=account.pair, suri=SecretStr("0x" + seed.hex()) if seed is not None else None, origin=str(source.keystore_json)
        )
    if source.password_stdin:
        raise BadInput("--password-stdin goes with --keystore-json")
    if is_tty and prompt is not None:
        return SecretMaterial(suri=SecretStr(prompt("Secret URI (phrase, 0x seed or //path): ").strip()), origin="the prompt")
    return SecretMaterial(suri=SecretStr(_read_stdin_line(stdin, "secret URI").strip()), origin="standard input")
