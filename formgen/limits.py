"""The limits every reader keeps, so that no returned file, however made, costs more than a bounded time
and memory: the one place their defaults live (see docs/limits.md).

Each limit can be set for a run by an environment variable ``FORMGEN_LIMIT_<NAME>`` (the field's name in
capitals, a whole number), for example ``FORMGEN_LIMIT_FILE_BYTES=209715200``.  A file over a limit is
refused with FILE_UNREADABLE and a reason that names the limit in the sender's words; the batch's
per-file time and memory limits (``formgen batch``) come on top of these.
"""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass

MIB = 1 << 20


@dataclass(frozen=True)
class Limits:
    #: bytes of a returned file, checked before it is read
    file_bytes: int = 100 * MIB
    #: entries (parts) of a Word or Excel package
    zip_entries: int = 5000
    #: bytes one entry may unpack to
    entry_bytes: int = 32 * MIB
    #: bytes all the entries together may unpack to
    total_bytes: int = 128 * MIB
    #: how many times larger than its packed size an entry over ``ratio_floor`` bytes may unpack to
    ratio: int = 200
    ratio_floor: int = MIB
    #: cells of a workbook that are written in its sheets (with or without a value)
    cells: int = 500_000
    #: characters of one cell's text (Excel's own limit)
    cell_chars: int = 32_767
    #: objects of a PDF (its cross-reference table's size)
    pdf_objects: int = 100_000

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> Limits:
        """The defaults, with any ``FORMGEN_LIMIT_<NAME>`` of ``environ`` (the process's environment)."""
        environ = os.environ if environ is None else environ
        values = {}
        for f in dataclasses.fields(cls):
            text = environ.get(f"FORMGEN_LIMIT_{f.name.upper()}", "").strip()
            if text.isdigit() and int(text) > 0:
                values[f.name] = int(text)
        return cls(**values)


#: The limits in force in this process.
LIMITS = Limits.from_env()


@dataclass(frozen=True)
class WorkerLimits:
    """What one file may cost a worker of ``formgen batch``, on top of the readers' limits: wall time in seconds,
    the worker's memory (address space) in bytes, and the file's size in bytes, checked before it is read."""

    seconds: float = 30.0
    memory: int = 1 << 30
    size: int = LIMITS.file_bytes
