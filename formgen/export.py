"""What every exported cell goes through: control characters cleaned, formula-like text neutralised.

Spreadsheets and CSV files formgen writes for people hold text that schools typed (file names, unit
names, contacts).  Text that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is run as
a formula by Excel, LibreOffice or a CSV import (CSV/formula injection), so it gets a leading apostrophe
and stays text.  Control characters that a workbook cannot hold are removed.
"""

from __future__ import annotations

import re

#: Characters an XML workbook cannot hold and CSV readers stumble on (tab, line feed and carriage return stay).
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
#: First characters that make a spreadsheet treat a text as a formula.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def clean(text: str) -> str:
    """``text`` without the control characters a workbook cannot hold."""
    return _CONTROL.sub("", text)


def neutralise(text: str) -> str:
    """``text`` cleaned and, when a spreadsheet would run it as a formula, prefixed with ``'``."""
    text = clean(text)
    return "'" + text if text.startswith(FORMULA_START) else text
