"""Definitions that passed lint, remembered on disk by their exact bytes: a process that reads one returned
file (``formgen validate x.xlsx``) does not check its form's definition against the meta-schemas again, which
costs more than reading the file (issue 14).

A definition is remembered only when lint found no error in it, under a name made of its bytes and of the
code that checked it (formgen's version and the size and time of each file of ``formgen.spec``, of
``formgen.issues`` and of jsonschema): an edited definition, or a changed formgen, is linted again. The marks
are empty files in ``$XDG_CACHE_HOME/formgen/linted`` (``~/.cache``); a folder that cannot be written only
means linting every time.
"""

from __future__ import annotations

import hashlib
import os
from functools import lru_cache
from pathlib import Path

import jsonschema

import formgen
from formgen import issues


def cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "formgen" / "linted"


@lru_cache(maxsize=1)
def _checker() -> bytes:
    """What names the code that lints: formgen's version and the files lint runs."""
    files = sorted(p for p in Path(__file__).parent.iterdir() if p.suffix in (".py", ".json"))
    files += [Path(issues.__file__), Path(jsonschema.__file__)]
    key = [formgen.__version__]
    for path in files:
        stat = path.stat()
        key.append(f"{path.name}:{stat.st_size}:{stat.st_mtime_ns}")
    return "|".join(key).encode()


def _mark(raw: bytes) -> Path:
    return cache_dir() / hashlib.sha256(_checker() + b"\0" + raw).hexdigest()


def passed(raw: bytes) -> bool:
    """Whether the definition of exactly these bytes passed lint before, checked by this code."""
    try:
        return _mark(raw).is_file()
    except OSError:
        return False


def remember(raw: bytes) -> None:
    """Mark the definition of these bytes as one that passed lint."""
    try:
        mark = _mark(raw)
        mark.parent.mkdir(parents=True, exist_ok=True)
        mark.touch()
    except OSError:
        pass
