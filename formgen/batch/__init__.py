"""`formgen batch`: a bureau's returned files, all at once (DESIGN.md section 6; docs/batch.md).

:func:`run_batch`, :class:`Settings` and :class:`Summary` live in :mod:`formgen.batch.run` and are loaded
on first use, so that the package's small parts (``walk``, ``work``) can be imported alone, without the
readers, the report writers and their libraries.
"""

from __future__ import annotations

from typing import Any

__all__ = ["Settings", "Summary", "run_batch"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from formgen.batch import run

        return getattr(run, name)
    raise AttributeError(f"module 'formgen.batch' has no attribute {name!r}")
