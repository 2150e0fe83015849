"""Objects named by ``"module:attr"``, imported the first time they are used; a registry of one object per
format made that way.

A format's libraries are heavy (fpdf2, fontTools and pypdf for PDF, docxtpl for Word, openpyxl for Excel):
``formgen --help`` or validating one Excel file must not load the others. The names are known without importing
anything, so a command line can list them.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator, Mapping
from typing import Any


def load(target: str) -> Any:
    """The object ``"module:attr"`` names, its module imported now if it was not yet."""
    module, _, attr = target.partition(":")
    return getattr(importlib.import_module(module), attr)


class LazyRegistry(Mapping[str, Any]):
    """``{name: "module:Class"}``; ``registry[name]`` imports the module and makes one ``Class()`` on first use."""

    def __init__(self, targets: dict[str, str]):
        self._targets = dict(targets)
        self._made: dict[str, Any] = {}

    def __getitem__(self, name: str) -> Any:
        if name not in self._made:
            self._made[name] = load(self._targets[name])()
        return self._made[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._targets)

    def __len__(self) -> int:
        return len(self._targets)
