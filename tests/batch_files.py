"""Returned files for batch tests and the batch benchmark, made by formgen's own compilers.

`returned` writes one form filled from its example (with some fields changed); `variants` makes many
distinct returns cheaply from one xlsx by changing a value inside its sheet, the way a school types
another report number.
"""

from __future__ import annotations

import copy
import io
import zipfile
from pathlib import Path

from formgen.compile import COMPILERS
from formgen.spec import Registry
from tests.conftest import example


def returned(registry: Registry, form_id: str, fmt: str, out: Path, unit: str | None = None,
             **changes: object) -> Path:
    """``out``: form ``form_id`` in ``fmt`` filled from its example with ``changes``, stamped for ``unit``."""
    data = copy.deepcopy(example(form_id))
    data.update(changes)
    out.parent.mkdir(parents=True, exist_ok=True)
    COMPILERS[fmt].compile(registry.get(form_id), data, out, "zh_CN", unit=unit)
    return out


def variants(source: Path, folder: Path, count: int, old: str, keep: int = 0, per_folder: int = 500) -> list[Path]:
    """``count`` distinct copies of the xlsx ``source`` under ``folder``: in each, the text ``old`` in its form
    sheet becomes its first ``keep`` characters followed by the copy's number, to the same length (so every
    copy reads as a different return; a school code keeps its type and province)."""
    with zipfile.ZipFile(source) as zf:
        parts = [(info, zf.read(info)) for info in zf.infolist()]
    sheet = "xl/worksheets/sheet1.xml"
    assert any(info.filename == sheet and old.encode() in data for info, data in parts)
    paths = []
    for i in range(count):
        new = old[:keep] + str(i).rjust(len(old) - keep, "0")
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
            for info, data in parts:
                zf.writestr(info, data.replace(old.encode(), new.encode()) if info.filename == sheet else data)
        path = folder / f"{i // per_folder:03d}" / f"return-{i:05d}.xlsx"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(buffer.getvalue())
        paths.append(path)
    return paths
