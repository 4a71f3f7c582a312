"""Writing files so that a failure never leaves half of one behind.

Everything fennel-gov writes goes to a temporary file in the destination directory, is flushed
and fsynced, then renamed over the destination. Secret files are created with mode 0600 from
the first byte (never chmod-ed after the fact), and by default an existing file is never replaced.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

from fennel_gov.errors import BadInput, RefusedOverwrite

SECRET_MODE = 0o600
PUBLIC_MODE = 0o644


def write_atomic(
    path: str | os.PathLike[str],
    data: bytes | str,
    *,
    secret: bool = False,
    overwrite: bool = False,
) -> Path:
    """Write ``data`` to ``path`` atomically; ``secret`` files get mode 0600.

    Raises RefusedOverwrite when the file exists and ``overwrite`` is false. The check and the
    final link are one step (``os.link`` fails on an existing name), so two writers cannot both win.
    """
    target = Path(path)
    if isinstance(data, str):
        data = data.encode()
    directory = target.parent if str(target.parent) else Path(".")
    if not directory.is_dir():
        raise BadInput(f"directory {directory} does not exist; create it first")
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


def read_json(path: str | os.PathLike[str]) -> Any:
    """Parse a JSON file; an unreadable or invalid file is one BadInput line that names it."""
    import json

    try:
        text = Path(path).read_bytes()
    except OSError as exc:
        raise BadInput(f"cannot read {path}: {exc.strerror}") from None
    try:
        return json.loads(text)
    except ValueError as exc:
        raise BadInput(f"{path} is not valid JSON (line {getattr(exc, 'lineno', '?')}): fix or regenerate it") from None


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
