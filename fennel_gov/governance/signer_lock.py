"""One signer, many commands: a lock per (signer, chain) so that two commands never pick the same nonce.

The lock is held from reading the nonce (``system_accountNextIndex``, which counts the signer's
transactions already in the pool) until the extrinsic is in a block or refused; a second command with
the same signer waits for it, then reads the next nonce. The lock file lives in the cache directory
and holds nothing secret; the operating system releases it if the process dies.
"""

from __future__ import annotations

import fcntl
import os
import time
from pathlib import Path
from typing import Callable

from fennel_gov.errors import Failure


def lock_dir() -> Path:
    configured = os.environ.get("FENNEL_GOV_CACHE_DIR")  # the runtime cache's setting ("" turns caching off, not locking)
    if configured:
        return Path(configured) / "locks"
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "fennel-gov" / "locks"


class SignerLock:
    def __init__(self, genesis_hash: str, signer: str) -> None:
        self.path = lock_dir() / f"{genesis_hash.lower().removeprefix('0x')[:16]}-{signer}.lock"
        self.signer = signer
        self._fd: int | None = None

    def acquire(self, timeout: float, progress: Callable[[str], None] | None = None) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        deadline = time.monotonic() + timeout
        told = False
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                self._fd = fd
                return
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    os.close(fd)
                    raise Failure(
                        f"another fennel-gov command signing as {self.signer} on this chain did not finish within "
                        f"{timeout:.0f} s; nothing was sent — try again when it is done"
                    ) from None
                if progress and not told:
                    progress(f"waiting for another command signing as {self.signer} to get its transaction into a block")
                    told = True
                time.sleep(0.2)

    def release(self) -> None:
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None

    def __enter__(self) -> "SignerLock":
        return self

    def __exit__(self, *exc) -> None:
        self.release()
