"""Distribution: one form per unit of a roster, its unit fields pre-filled and its unit code stamped.

``formgen generate FORM --roster ROSTER --format FMT -o DIR`` writes ``DIR/<code>-<name>-<form title>.<ext>``
for each unit that must return the form (every unit when the roster lists no forms for it).  The stamp lets a
batch match the return to its unit even when the filler retyped the unit's name.
"""

from __future__ import annotations

import copy
import re
import unicodedata
from pathlib import Path

from formgen.batch.roster import Roster, Unit, unit_fields
from formgen.compile import COMPILERS
from formgen.i18n import N_
from formgen.issues import FormgenError
from formgen.paths import set_path
from formgen.spec.model import FormSpec

#: Characters Windows does not allow in a file name, and the names it reserves for devices.
_FORBIDDEN = re.compile(r'[<>:"/\\|?*\x00-\x1f]+')
_RESERVED = {"CON", "PRN", "AUX", "NUL", *(f"COM{i}" for i in range(1, 10)), *(f"LPT{i}" for i in range(1, 10))}
MAX_NAME = 120  # characters of a file name, leaving room for the folder within Windows' 260


def safe_file_name(stem: str, suffix: str) -> str:
    """``stem + suffix`` made safe on Windows, macOS and Linux: forbidden characters become ``_``, no trailing
    dot or space, no device name, at most MAX_NAME characters."""
    text = unicodedata.normalize("NFC", stem)
    text = _FORBIDDEN.sub("_", text)
    text = " ".join(text.split()).strip(" .") or "_"
    if text.split(".")[0].upper() in _RESERVED:
        text = "_" + text
    return text[:MAX_NAME - len(suffix)].rstrip(" .") + suffix


def file_name(spec: FormSpec, unit: Unit, suffix: str) -> str:
    return safe_file_name(f"{unit.code}-{unit.name}-{spec.title}", suffix)


def prefilled(spec: FormSpec, unit: Unit, data: dict | None) -> dict:
    """``data`` (or an empty record) with the form's unit code and name fields set to the unit's."""
    record = copy.deepcopy(data) if data else {}
    code_at, name_at = unit_fields(spec)
    if code_at:
        set_path(record, code_at, unit.code)
    if name_at:
        set_path(record, name_at, unit.name)
    return record


def distribute(spec: FormSpec, roster: Roster, fmt: str, folder: str | Path, data: dict | None = None,
               lang: str = "zh_CN") -> list[Path]:
    """Write one form per unit that must return ``spec`` into ``folder``; returns the files in roster order.
    Each file is written atomically."""
    units = [u for u in roster.units if roster.must_return(u, spec.id)]
    if not units:
        raise FormgenError(N_("No unit of the roster {roster} must return form '{form}'. Add it to the units' "
                              "应报表单 column, or leave that column empty."), roster=roster.source, form=spec.id)
    folder = Path(folder)
    if folder.exists() and not folder.is_dir():
        raise FormgenError(N_("{folder} is a file; with --roster, -o names the folder the forms are written to."),
                           folder=str(folder))
    folder.mkdir(parents=True, exist_ok=True)
    compiler = COMPILERS[fmt]
    written = []
    for unit in units:
        path = folder / file_name(spec, unit, compiler.suffix)
        compiler.compile(spec, prefilled(spec, unit, data), path, lang, unit=unit.code)
        written.append(path)
    return written
