"""``--signer keyring:NAME | json:PATH | file:PATH | stdin | prompt``: who signs, never from argv.

Offline (used by ``tx sign`` on the air-gapped machine and by the governance commands online)."""

from __future__ import annotations

from pathlib import Path

from fennel_gov.errors import BadInput
from fennel_gov.keys import KeyPair
from fennel_gov.keys.sources import SecretSource, read_secret


def parse_signer(spec: str | None, *, password_stdin: bool = False) -> SecretSource:
    if spec is None or spec == "prompt":
        return SecretSource()
    kind, _, value = spec.partition(":")
    if kind == "keyring" and value:
        return SecretSource(keyring_name=value)
    if kind == "json" and value:
        return SecretSource(keystore_json=Path(value), password_stdin=password_stdin)
    if kind == "file" and value:
        return SecretSource(suri_file=Path(value))
    if spec == "stdin":
        return SecretSource()
    raise BadInput(f"--signer takes keyring:NAME, json:PATH, file:PATH, stdin or prompt, not {spec!r}")


def load_signer(spec: str | None, *, password_stdin: bool, stdin, prompt, is_tty: bool, scheme: str = "sr25519") -> KeyPair:
    """The signing key pair. ``stdin`` never prompts; no ``--signer`` prompts on a terminal only."""
    source = parse_signer(spec, password_stdin=password_stdin)
    if spec is None and not is_tty:
        raise BadInput("who signs? give --signer keyring:NAME, json:PATH or stdin (a secret URI on standard input)")
    material = read_secret(source, stdin=stdin, prompt=prompt, is_tty=is_tty and spec != "stdin")
    return material.key_pair(None if material.pair is not None else scheme)
