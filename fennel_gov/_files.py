"""Reading and writing files as if every one of them were hostile.

Reads: only regular files (a FIFO would hang, ``/dev/zero`` would never end, a directory is a
mistake), checked by type before opening, opened non-blocking (so a FIFO swapped in after the check
cannot hang us) and checked again on the open descriptor, then read up to a size cap chosen per
kind of file. JSON is parsed with duplicate keys refused, nesting bounded and huge numbers named by
their path, so a crafted file is one clear line, never a RecursionError or a silent last-key-wins.

Writes: everything goes to a temporary file in the destination directory, is flushed and fsynced,
then renamed over the destination. Only a regular file is ever replaced: a device, FIFO, directory
or symbolic link in the way is refused (``-o /dev/null`` as root must not replace ``/dev/null``).
Secret files are created with mode 0600 from the first byte, and by default an existing file is
never replaced.
"""

from __future__ import annotations

import os
import stat
import tempfile
from pathlib import Path
from typing import Any

from fennel_gov.errors import BadInput, RefusedOverwrite

SECRET_MODE = 0o600
PUBLIC_MODE = 0o644

KiB, MiB = 1024, 1024 * 1024
# Size caps by kind of file: far above any real file of that kind, far below what hurts.
# A raw spec with 100,000 endowed accounts is ~40 MB; a runtime is ~0.5 MB compressed.
MAX_BYTES = {
    "chain spec": 256 * MiB,
    "JSON patch": 256 * MiB,
    "runtime": 64 * MiB,  # the node refuses code expanding past 50 MiB
    "manifest": 16 * MiB,
    "transaction file": 1 * MiB,
    "key file": 64 * KiB,  # polkadot-js encrypted JSON, ceremony secrets, envelopes
    "secret URI file": 64 * KiB,
    "node key": 4 * KiB,
    "sealing certificate": 64 * KiB,
    "JSON file": 16 * MiB,
}
MAX_JSON_DEPTH = 64  # real specs nest ~8 deep; bounded so crafted nesting is a message, not a crash
MAX_JSON_DIGITS = 80  # u256 has 78 decimal digits; longer numbers are no field of ours


def _kind_of(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a directory"
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISCHR(mode):
        return "a character device"
    if stat.S_ISBLK(mode):
        return "a block device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISLNK(mode):
        return "a symbolic link"
    return "not a regular file"


def read_bytes(
    path: str | os.PathLike[str],
    kind: str = "JSON file",
    *,
    max_bytes: int | None = None,
    error: type[BadInput] = BadInput,
) -> bytes:
    """The bytes of the regular file ``path``, at most ``max_bytes`` (default: the cap for ``kind``).

    Every refusal is one ``error`` line naming the file and the kind expected.
    """
    limit = MAX_BYTES.get(kind, MAX_BYTES["JSON file"]) if max_bytes is None else max_bytes
    try:
        # Type first, by stat (following links: a link to a regular file is a regular file).
        mode = os.stat(path).st_mode
    except OSError as exc:
        raise error(f"cannot read {path}: {exc.strerror}; give the {kind}") from None
    if not stat.S_ISREG(mode):
        raise error(f"{path} is {_kind_of(mode)}, not a regular file; give the {kind} as a file")
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY | getattr(os, "O_CLOEXEC", 0))
    except OSError as exc:
        raise error(f"cannot read {path}: {exc.strerror}") from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):  # swapped between the stat and the open
            raise error(f"{path} is {_kind_of(info.st_mode)}, not a regular file; give the {kind} as a file")
        if info.st_size > limit:
            raise error(f"{path} is {info.st_size:,} bytes; a {kind} is at most {limit:,}")
        chunks, total = [], 0
        while total <= limit:
            chunk = os.read(fd, min(limit + 1 - total, 1 * MiB))
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
        if total > limit:  # grew while we read it
            raise error(f"{path} is larger than {limit:,} bytes; a {kind} is at most {limit:,}")
        return b"".join(chunks)
    except OSError as exc:
        raise error(f"cannot read {path}: {exc.strerror}") from None
    finally:
        os.close(fd)


def read_text(path: str | os.PathLike[str], kind: str, *, error: type[BadInput] = BadInput) -> str:
    """A regular file's text (UTF-8), capped like ``read_bytes``."""
    data = read_bytes(path, kind, error=error)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise error(f"{path} is not UTF-8 text (byte {exc.start}); give the {kind}") from None


def write_atomic(
    path: str | os.PathLike[str],
    data: bytes | bytearray | str,
    *,
    secret: bool = False,
    overwrite: bool = False,
) -> Path:
    """Write ``data`` to ``path`` atomically; ``secret`` files get mode 0600.

    Raises RefusedOverwrite when the file exists and ``overwrite`` is false, and BadInput when
    anything but a regular file is in the way. The check and the final link are one step
    (``os.link`` fails on an existing name), so two writers cannot both win.
    """
    target = Path(path)
    if isinstance(data, str):
        data = data.encode()
    directory = target.parent if str(target.parent) else Path(".")
    if not directory.is_dir():
        raise BadInput(f"directory {directory} does not exist; create it first")
    check_output_target(target)
    if target.exists() and not overwrite:
        raise RefusedOverwrite(f"{target} already exists; move it away or choose another path")
    mode = SECRET_MODE if secret else PUBLIC_MODE
    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=directory)
    try:
        os.fchmod(fd, mode)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        if overwrite:
            check_output_target(target)  # again, as late as possible before the rename
            os.replace(tmp_name, target)
        else:
            try:
                os.link(tmp_name, target)
            except FileExistsError:
                raise RefusedOverwrite(
                    f"{target} already exists; move it away or choose another path"
                ) from None
            os.unlink(tmp_name)
    except BaseException:
        try:
            os.unlink(tmp_name)
        except FileNotFoundError:
            pass
        raise
    _fsync_directory(directory)
    return target


def check_output_target(path: str | os.PathLike[str]) -> None:
    """Refuse an output path that holds anything but a regular file (or nothing).

    A rename over a symbolic link replaces the link, over a device node replaces the device: never
    what the operator meant. Called before any work is done, so a refused target costs nothing.
    """
    try:
        mode = os.lstat(path).st_mode
    except FileNotFoundError:
        return
    except OSError as exc:
        raise BadInput(f"cannot write {path}: {exc.strerror}") from None
    if stat.S_ISREG(mode):
        return
    hint = (
        "; give the real file's path" if stat.S_ISLNK(mode)
        else "; omit -o/--output and redirect standard output instead" if stat.S_ISCHR(mode)
        else ""
    )
    raise BadInput(f"{path} is {_kind_of(mode)}; fennel-gov writes only regular files{hint}")


def make_directory(path: str | os.PathLike[str], what: str = "directory") -> Path:
    """``path`` as a directory of ours (made 0700 with its parents when missing); BadInput in one line
    for a symbolic link to nothing (mkdir would follow it somewhere else) or something not a directory."""
    directory = Path(path)
    if directory.is_symlink() and not directory.exists():
        raise BadInput(f"{directory} is a symbolic link to nothing; give the {what} itself")
    if directory.exists() and not directory.is_dir():
        raise BadInput(f"{directory} is not a directory; give the {what}")
    try:
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError as exc:
        raise BadInput(f"cannot make the {what} {directory}: {exc.strerror}") from None
    return directory


# -- JSON -----------------------------------------------------------------------------------------


class _Huge(str):
    """A number too long to be any field of ours, kept as text until its path is known."""


class _Duplicates(dict):
    """An object that named a key twice; the first repeated key is kept to report it with its path."""

    duplicate: str = ""


def _pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result = dict(pairs)
    if len(result) == len(pairs):
        return result
    seen: set[str] = set()
    for key, _value in pairs:
        if key in seen:
            marked = _Duplicates(result)
            marked.duplicate = key
            return marked
        seen.add(key)
    return result  # pragma: no cover - unreachable


def _parse_int(text: str) -> int | _Huge:
    digits = len(text) - (text[0] == "-")
    return _Huge(text) if digits > MAX_JSON_DIGITS else int(text)


def _parse_float(text: str) -> float | _Huge:
    return _Huge(text) if len(text) > 2 * MAX_JSON_DIGITS else float(text)


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _show_path(parts: tuple[Any, ...]) -> str:
    from fennel_gov.errors import shorten

    text = ""
    for part in parts:
        text += f"[{part}]" if isinstance(part, int) else (("." if text else "") + shorten(part, 40))
    return text or "the top level"


def _check_tree(document: Any, source: str) -> None:
    """Depth, duplicate keys and huge numbers, walked without recursion."""
    from fennel_gov.errors import shorten

    stack: list[tuple[Any, int, tuple[Any, ...]]] = [(document, 0, ())]
    while stack:
        value, depth, path = stack.pop()
        if isinstance(value, dict):
            if depth >= MAX_JSON_DEPTH:
                raise BadInput(f"{source} nests deeper than {MAX_JSON_DEPTH} levels (at {_show_path(path)}); it is not a file fennel-gov wrote or reads")
            if type(value) is _Duplicates:
                raise BadInput(
                    f"{source} has the key {shorten(value.duplicate, 40)!r} twice in {_show_path(path)}; "
                    "keep one (JSON readers disagree on which one wins)"
                )
            stack.extend((item, depth + 1, path + (key,)) for key, item in value.items() if isinstance(item, (dict, list, _Huge)))
        elif isinstance(value, list):
            if depth >= MAX_JSON_DEPTH:
                raise BadInput(f"{source} nests deeper than {MAX_JSON_DEPTH} levels (at {_show_path(path)}); it is not a file fennel-gov wrote or reads")
            stack.extend((item, depth + 1, path + (index,)) for index, item in enumerate(value) if isinstance(item, (dict, list, _Huge)))
        elif isinstance(value, _Huge):
            raise BadInput(f"{source} has a {len(value)}-character number at {_show_path(path)}; no field takes a number that long")


def parse_json(data: bytes | str, source: str = "the JSON document") -> Any:
    """Parse JSON strictly: duplicate keys, nesting past MAX_JSON_DEPTH, numbers past
    MAX_JSON_DIGITS digits and NaN/Infinity are each one BadInput naming where they are."""
    import json

    if isinstance(data, bytes):
        try:
            data = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise BadInput(f"{source} is not UTF-8 text (byte {exc.start}); fix or regenerate it") from None
    try:
        document = json.loads(
            data, object_pairs_hook=_pairs, parse_int=_parse_int, parse_float=_parse_float, parse_constant=_refuse_constant
        )
    except RecursionError:
        raise BadInput(f"{source} nests deeper than {MAX_JSON_DEPTH} levels; it is not a file fennel-gov wrote or reads") from None
    except json.JSONDecodeError as exc:
        raise BadInput(f"{source} is not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg}); fix or regenerate it") from None
    except ValueError as exc:
        raise BadInput(f"{source} is not valid JSON ({exc}); fix or regenerate it") from None
    _check_tree(document, source)
    return document


def read_json(path: str | os.PathLike[str], kind: str = "JSON file") -> Any:
    """Parse a JSON file of ``kind`` (a key of MAX_BYTES); every refusal is one BadInput line naming it."""
    return parse_json(read_bytes(path, kind), str(path))


def _fsync_directory(directory: Path) -> None:
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
