"""Named secret URIs in the operator's OS keyring (the ``keyring`` library), so a sudo key never
sits in a plain file on the workstation.

Entries live under the service ``fennel-gov``; the keyring API cannot list entries, so the names
(never the secrets) are also kept in one index entry of the same service.

A backend that only pretends to keep a secret safely is refused for storing one: the plain-text
file of ``keyrings.alt`` (base64 in a file), the null keyring (keeps nothing) and the "fail"
keyring (no keyring at all). ``allow_insecure`` (``--allow-insecure-keyring``) accepts the first
two for a rehearsal.
"""

from __future__ import annotations

import json

from fennel_gov.errors import BadInput, RefusedOverwrite, SecretUnavailable, quote
from fennel_gov.keys.secret import SecretStr

SERVICE = "fennel-gov"
_INDEX = "__fennel_gov_index__"


# (module, class) of backends that do not protect a secret, and what each one does instead.
_INSECURE = {
    ("keyrings.alt.file", "PlaintextKeyring"): "keeps secrets base64-encoded in a plain file",
    ("keyring.backends.null", "Keyring"): "keeps nothing",
}


def _insecure_reason(backend) -> str | None:
    """Why ``backend`` (or a backend it chains to) is unfit for secrets, or None."""
    for candidate in [backend, *getattr(backend, "backends", [])]:
        cls = type(candidate)
        reason = _INSECURE.get((cls.__module__, cls.__name__))
        if reason is None and "plaintext" in cls.__name__.lower():
            reason = "keeps secrets in plain text"
        if reason is not None:
            return f"the keyring backend {cls.__module__}.{cls.__name__} {reason}"
    return None


def _backend(*, storing: bool = False, allow_insecure: bool = False):
    import keyring
    from keyring.backends import fail

    backend = keyring.get_keyring()
    if isinstance(backend, fail.Keyring):
        raise SecretUnavailable(
            "no OS keyring is available here; unlock or install one (Secret Service, macOS Keychain, "
            "Windows Credential Locker) or use --keystore-json"
        )
    if storing and not allow_insecure:
        reason = _insecure_reason(backend)
        if reason:
            raise SecretUnavailable(
                f"{reason}; use an OS keyring (or --keystore-json), or pass --allow-insecure-keyring for a rehearsal"
            )
    return backend


def check_can_store(name: str, *, allow_insecure: bool = False, overwrite: bool = False) -> None:
    """Everything ``store`` would refuse, checked before any secret is made or written elsewhere."""
    _check_name(name)
    backend = _backend(storing=True, allow_insecure=allow_insecure)
    if not overwrite and _call(backend.get_password, SERVICE, name) is not None:
        raise RefusedOverwrite(f"keyring entry {quote(name)} already exists; remove it first")


def _call(action, *args):
    from keyring.errors import KeyringError

    try:
        return action(*args)
    except KeyringError as exc:
        raise SecretUnavailable(f"the OS keyring refused the request ({type(exc).__name__}); unlock it and retry") from None


def _check_name(name: str) -> None:
    if not name or name == _INDEX or len(name) > 128 or any(c in name for c in "\n\r\0"):
        raise BadInput(f"{quote(name)} is not a usable keyring entry name")


def names() -> list[str]:
    backend = _backend()
    raw = _call(backend.get_password, SERVICE, _INDEX)
    try:
        stored = json.loads(raw) if raw else []
    except ValueError:
        stored = []
    return sorted(n for n in stored if isinstance(n, str))


def _write_index(backend, entries: list[str]) -> None:
    _call(backend.set_password, SERVICE, _INDEX, json.dumps(sorted(set(entries))))


def store(name: str, suri: SecretStr, *, overwrite: bool = False, allow_insecure: bool = False) -> None:
    _check_name(name)
    backend = _backend(storing=True, allow_insecure=allow_insecure)
    if not overwrite and _call(backend.get_password, SERVICE, name) is not None:
        raise RefusedOverwrite(f"keyring entry {quote(name)} already exists; remove it first")
    _call(backend.set_password, SERVICE, name, suri.reveal())
    _write_index(backend, names() + [name])


def fetch(name: str) -> SecretStr:
    _check_name(name)
    value = _call(_backend().get_password, SERVICE, name)
    if value is None:
        raise SecretUnavailable(f"no keyring entry named {quote(name)}; see 'fennel-gov keys keyring list'")
    return SecretStr(value)


def delete(name: str) -> None:
    _check_name(name)
    backend = _backend()
    if _call(backend.get_password, SERVICE, name) is None:
        raise SecretUnavailable(f"no keyring entry named {quote(name)}; see 'fennel-gov keys keyring list'")
    _call(backend.delete_password, SERVICE, name)
    _write_index(backend, [n for n in names() if n != name])
