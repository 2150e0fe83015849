"""A registry of one object per format, each made the first time it is used.

A format's libraries are heavy (fpdf2, fontTools and pypdf for PDF, docxtpl for Word, openpyxl for Excel):
``formgen --help`` or validating one Excel file must not load the others. The names are known without importing
anything, so a command line can list them.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator, Mapping
from typing import Any


class LazyRegistry(Mapping[str, Any]):
    """``{name: "module:Class"}``; ``registry[name]`` imports the module and makes one ``Class()`` on first use."""

    def __init__(self, targets: dict[str, str]):
        self._targets = dict(targets)
        self._made: dict[str, Any] = {}

    def __getitem__(self, name: str) -> Any:
        if name not in self._made:
            module, _, cls = self._targets[name].partition(":")
            self._made[name] = getattr(importlib.import_module(module), cls)()
        return self._made[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._targets)

    def __len__(self) -> int:
        return len(self._targets)
