"""What every exported cell goes through: control characters cleaned, formula-like text neutralised,
personal data masked.

Spreadsheets and CSV files formgen writes for people (consolidated tables, reports, reminder lists) hold
text that schools typed.  Text that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is
run as a formula by Excel, LibreOffice or a CSV import (CSV/formula injection), so it gets a leading
apostrophe and stays text.  Control characters that a workbook cannot hold are removed.  Fields marked
``x-formgen.pii`` are masked (张*明, 138****5678, 2101**********123X) unless the user asks to reveal them.
A text longer than a cell holds (32,767 characters, counted as Excel counts them) is cut with a visible
marker (:func:`fit`), never cut silently by the spreadsheet library; the writer says so in a warning.
"""

from __future__ import annotations

import re
from typing import Any

#: Characters an XML workbook cannot hold and CSV readers stumble on (tab, line feed and carriage return stay).
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
#: First characters that make a spreadsheet treat a text as a formula.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
#: Separators between several names in one field (张三、李四).
_NAME_SEPARATORS = re.compile(r"([\s、,，;；/]+)")
_DIGITS = re.compile(r"[0-9０-９Xx]")


#: Characters one spreadsheet cell holds (Excel's limit; it counts UTF-16 code units, so 𠀀 counts twice).
CELL_CHARS = 32_767


def length(text: str) -> int:
    """``text``'s length as Excel counts it (UTF-16 code units)."""
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def fit(text: str, limit: int, marker: str) -> str:
    """``text`` when it is at most ``limit`` long (see :func:`length`); else its beginning followed by
    ``marker`` (which says it was cut), together at most ``limit`` long."""
    if length(text) <= limit:
        return text
    room, end = max(limit - length(marker), 0), 0
    for ch in text:
        room -= 2 if ord(ch) > 0xFFFF else 1
        if room < 0:
            break
        end += 1
    return text[:end] + marker


def clean(text: str) -> str:
    """``text`` without the control characters a workbook cannot hold."""
    return _CONTROL.sub("", text)


def neutralise(text: str) -> str:
    """``text`` cleaned and, when a spreadsheet would run it as a formula, prefixed with ``'``."""
    text = clean(text)
    return "'" + text if text.startswith(FORMULA_START) else text


def safe(value: Any) -> Any:
    """A cell value ready to write: text neutralised, anything else unchanged."""
    return neutralise(value) if isinstance(value, str) else value


def mask(text: str) -> str:
    """``text`` with personal data hidden: a number keeps its first and last digits, a name its first and
    last character (张*明, 李*); several names in one field are masked one by one."""
    if _is_number(text):
        return _mask_number(text)
    return "".join(part if _NAME_SEPARATORS.fullmatch(part) else _mask_name(part)
                   for part in _NAME_SEPARATORS.split(text) if part)


def _is_number(text: str) -> bool:
    """Phone numbers, ID card numbers and the like: mostly digits, with at most separators between them."""
    digits = len(_DIGITS.findall(text))
    return digits >= 5 and re.fullmatch(r"[0-9０-９Xx\s+()（）\-－]+", text) is not None


def _mask_number(text: str) -> str:
    positions = [i for i, ch in enumerate(text) if _DIGITS.match(ch)]
    n = len(positions)
    head, tail = (4, 4) if n >= 15 else (3, 4) if n >= 10 else (1, 2)
    hidden = set(positions[head:n - tail])
    return "".join("*" if i in hidden else ch for i, ch in enumerate(text))


def _mask_name(name: str) -> str:
    if len(name) <= 1:
        return "*"
    if len(name) == 2:
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]
