"""Atomic output: a file appears whole under its final name, or not at all.

The temporary file is made by ``mkstemp`` (mode 0600); the finished file gets
the mode any new file gets, 0666 less the umask, so others can read an output
when the umask lets them; or the ``mode`` asked for, such as 0600 for a file
that holds personal data.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path
from typing import Iterator

#: The mode of a file that holds personal data: readable and writable by its owner only.
PRIVATE = 0o600


@contextlib.contextmanager
def atomic_path(target: str | Path, mode: int | None = None) -> Iterator[Path]:
    """Yield a temporary path beside ``target``; on success it replaces ``target`` with ``mode``
    (default: 0666 less the umask)."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=target.parent)
    os.close(fd)
    try:
        yield Path(tmp)
        os.chmod(tmp, 0o666 & ~_umask() if mode is None else mode)
        os.replace(tmp, target)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def atomic_write_bytes(target: str | Path, data: bytes, mode: int | None = None) -> None:
    with atomic_path(target, mode) as tmp:
        tmp.write_bytes(data)
