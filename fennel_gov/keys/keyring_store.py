"""Named secret URIs in the operator's OS keyring (the ``keyring`` library), so a sudo key never
sits in a plain file on the workstation.

Entries live under the service ``fennel-gov``; the keyring API cannot list entries, so the names
(never the secrets) are also kept in one index entry of the same service.
"""

from __future__ import annotations

import json

from fennel_gov.errors import BadInput, RefusedOverwrite, SecretUnavailable
from fennel_gov.keys.secret import SecretStr

SERVICE = "fennel-gov"
_INDEX = "__fennel_gov_index__"


def _backend():
    import keyring
    from keyring.backends import fail

    backend = keyring.get_keyring()
    if isinstance(backend, fail.Keyring):
        raise SecretUnavailable(
            "no OS keyring is available here; unlock or install one (Secret Service, macOS Keychain, "
            "Windows Credential Locker) or use --keystore-json"
        )
    return backend


def _call(action, *args):
    from keyring.errors import KeyringError

    try:
        return action(*args)
    except KeyringError as exc:
        raise SecretUnavailable(f"the OS keyring refused the request ({type(exc).__name__}); unlock it and retry") from None


def _check_name(name: str) -> None:
    if not name or name == _INDEX or len(name) > 128 or any(c in name for c in "\n\r\0"):
        raise BadInput(f"{name!r} is not a usable keyring entry name")


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


def check_can_store(name: str, *, overwrite: bool = False) -> None:
    """Raise now what ``store`` would raise (no keyring, a bad name, an existing entry), so a
    command can refuse before it writes anything else."""
    _check_name(name)
    backend = _backend()
    if not overwrite and _call(backend.get_password, SERVICE, name) is not None:
        raise RefusedOverwrite(f"keyring entry {name!r} already exists; remove it first")


def store(name: str, suri: SecretStr, *, overwrite: bool = False) -> None:
    check_can_store(name, overwrite=overwrite)
    backend = _backend()
    _call(backend.set_password, SERVICE, name, suri.reveal())
    _write_index(backend, names() + [name])


def fetch(name: str) -> SecretStr:
    _check_name(name)
    value = _call(_backend().get_password, SERVICE, name)
    if value is None:
        raise SecretUnavailable(f"no keyring entry named {name!r}; see 'fennel-gov keys keyring list'")
    return SecretStr(value)


def delete(name: str) -> None:
    _check_name(name)
    backend = _backend()
    if _call(backend.get_password, SERVICE, name) is None:
        raise SecretUnavailable(f"no keyring entry named {name!r}; see 'fennel-gov keys keyring list'")
    _call(backend.delete_password, SERVICE, name)
    _write_index(backend, [n for n in names() if n != name])
