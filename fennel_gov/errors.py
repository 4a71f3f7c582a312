"""The one exception hierarchy of fennel-gov, and the one place that maps it to exit codes.

::

    FennelGovError                 base; never raised itself
    ├── BadInput                   exit 2: the caller gave something unusable; the message says what to fix
    │   ├── InvalidAddress         an SS58 address or public key that does not decode (checksum, prefix, length)
    │   ├── InvalidSecret          a secret URI, mnemonic, seed or junction that does not parse
    │   ├── InvalidKeyFile         a key file (node key, encrypted JSON, keystore entry) that cannot be read
    │   ├── WrongPassword          an encrypted key file whose password does not open it
    │   ├── SecretUnavailable      no secret source could be used (no TTY, empty stdin, missing keyring entry)
    │   └── RefusedOverwrite       an output file already exists and holds something we must not clobber
    └── Failure                    exit 1: the input was fine, the outcome is not
        └── VerificationFailed     a signature or an expected public key did not match

Every message is one line, says what to do, and never contains secret material: callers pass a
description of the secret ("the secret URI"), never the secret itself.
"""

from __future__ import annotations

EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_BAD_INPUT = 2


class FennelGovError(Exception):
    """Base of every error fennel-gov raises on purpose."""

    exit_code = EXIT_FAILURE


class BadInput(FennelGovError):
    """The caller gave something unusable (exit 2)."""

    exit_code = EXIT_BAD_INPUT


class InvalidAddress(BadInput):
    """An SS58 address or hex public key that does not decode."""


class InvalidSecret(BadInput):
    """A secret URI, mnemonic, seed or derivation junction that does not parse."""


class InvalidKeyFile(BadInput):
    """A key file whose content is not what its format requires."""


class WrongPassword(BadInput):
    """The password does not open the encrypted key file."""


class SecretUnavailable(BadInput):
    """No usable secret source: no terminal to prompt on, empty input, or a missing keyring entry."""


class RefusedOverwrite(BadInput):
    """An output file already exists; fennel-gov never overwrites key material."""


class Failure(FennelGovError):
    """The input was valid but the operation failed at run time (exit 1)."""


class VerificationFailed(Failure):
    """A signature, checksum or expected public key did not match."""


def exit_code_for(error: BaseException) -> int:
    """The process exit code for an error; unexpected errors count as run-time failures."""
    if isinstance(error, FennelGovError):
        return error.exit_code
    return EXIT_FAILURE
