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
        ├── VerificationFailed     a signature or an expected public key did not match
        ├── PreflightRefused       a governance change the chain would refuse, or accept and then drop (.problems)
        ├── SubmissionFailed       an extrinsic (or the call inside Sudo.sudo/sudo_as) failed on chain (.module_error)
        └── ChangeDropped          an accepted validator change that the chain dropped at a session change

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


class PreflightRefused(Failure):
    """The local checks refuse a governance change; ``problems`` lists each reason as a sentence."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = list(problems)
        super().__init__(self.problems[0] if len(self.problems) == 1 else "; ".join(self.problems))


class SubmissionFailed(Failure):
    """The extrinsic failed on chain, or the call inside it did.

    ``module_error`` names the runtime's error, e.g. ``"ValidatorManager.NoKeysRegistered"``;
    ``receipt`` is the receipt of the block that holds the failed extrinsic (None if none does).
    """

    def __init__(self, message: str, *, module_error: str | None = None, receipt=None) -> None:
        super().__init__(message)
        self.module_error = module_error
        self.receipt = receipt


class ChangeDropped(Failure):
    """The chain accepted a validator change, then dropped it at the session change (``--wait effective``)."""

    def __init__(self, message: str, *, receipt=None) -> None:
        super().__init__(message)
        self.receipt = receipt


def exit_code_for(error: BaseException) -> int:
    """The process exit code for an error; unexpected errors count as run-time failures."""
    if isinstance(error, FennelGovError):
        return error.exit_code
    return EXIT_FAILURE


# -- quoting untrusted input in messages ------------------------------------------------------------
#
# One sanitiser for every message that mentions what the operator (or a file) gave us: input that
# might be a secret (several words, a long run of hex, a derivation path) is withheld, anything else
# is cut to a short printable prefix. ``scrub`` applies the same rule to a finished message, for the
# command-line values it might quote (click's own usage errors, say).

_WITHHELD = "(withheld: it may be a secret)"
_URL_SCHEMES = ("ws", "wss", "http", "https")


def looks_secret(text: str) -> bool:
    """Whether ``text`` could be secret material: mnemonic-like words, long hex, or a secret URI."""
    text = str(text)
    if len(text.split()) >= 2:  # str.split() also splits on non-breaking and other Unicode spaces
        return True
    body = text.strip()
    body = body[2:] if body[:2] in ("0x", "0X") else body
    if len(body) >= 32 and all(c in "0123456789abcdefABCDEF" for c in body):
        return True
    scheme, sep, rest = body.partition("://")
    if sep and scheme.lower() in _URL_SCHEMES:
        # A node's URL is no secret URI (those never start with a scheme), unless it carries credentials.
        return "@" in rest.split("/", 1)[0]
    return "//" in text


def printable(text: object) -> str:
    """``text`` as a terminal may show it: every character it would act on rather than print
    (C0 and C1 controls, ESC and so CSI/OSC sequences, bidi overrides and other format characters,
    line and paragraph separators, unassigned code points; ``str.isprintable``'s definition) is
    written as a Python-style escape (``\\x1b``, ``\\u202e``), so a hostile name cannot redraw the
    screen or reorder what follows it. Printable text, the usual case, comes back unchanged.

    The one escaping rule for untrusted text on a terminal: ``cli._render`` applies it to every line
    it prints, ``scrub`` to every error, and the tx review decides by it which call values are hex.
    """
    text = str(text)
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else _escape(c) for c in text)


def _escape(c: str) -> str:
    code = ord(c)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


def shorten(text: object, limit: int = 24) -> str:
    """A printable prefix of ``text`` of at most ``limit`` characters, with the full length when cut."""
    text = str(text)
    cleaned = "".join(c if c.isprintable() and not c.isspace() or c == " " else "?" for c in text[: limit + 1])
    if len(text) <= limit:
        return cleaned
    return f"{cleaned[:limit]}… ({len(text):,} characters)"


def quote(text: object, limit: int = 24) -> str:
    """``text`` as an error message may show it: withheld if it might be secret, else shortened and quoted."""
    text = str(text)
    if looks_secret(text):
        return _WITHHELD
    return repr(shorten(text, limit))


MAX_MESSAGE = 400
MAX_ECHOED_INPUT = 256  # a command-line value longer than this (no path is) is shown as a prefix


def scrub(message: str, inputs: list[str] | tuple[str, ...] = ()) -> str:
    """A finished message made safe to print: one line, bounded, with no secret-looking input in it."""
    for value in sorted({str(v) for v in inputs}, key=len, reverse=True):
        if value and value in message and (looks_secret(value) or len(value) > MAX_ECHOED_INPUT):
            message = message.replace(value, _WITHHELD if looks_secret(value) else shorten(value))
    message = printable(" ".join(message.split()))
    if len(message) > MAX_MESSAGE:
        message = message[:MAX_MESSAGE] + "…"
    return message
