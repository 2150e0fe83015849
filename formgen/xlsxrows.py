"""Rows streamed into an openpyxl write-only worksheet as XML text, without a cell object per value.

openpyxl's write-only ``append`` makes a ``WriteOnlyCell`` for every value, binds its type, looks its style up
and writes it through lxml's incremental writer one call per element: about 80 µs a cell, most of a batch's
time for a consolidated workbook of thousands of rows (building the same XML as lxml elements still costs
8 µs a cell).  :class:`Rows` writes the bytes openpyxl would write (the same elements, attributes, escapes,
style indexes and number formats; ``tests/test_xlsxrows.py`` compares them) as text, about 1 µs a cell.
Everything else about the sheet (columns, panes, merged cells, print setup, conditional formats, charts)
stays openpyxl's, set on the worksheet as before, but before :meth:`Rows.close`.

The rows go between the ``<sheetData>`` tags openpyxl's own sheet writer writes, into the same file: the
writer is given a file object instead of a temporary file's name, its buffer is flushed, and the rows are
written to the file directly.  Style indexes are openpyxl's own: the first time a named style is used with a
kind of value, one real ``WriteOnlyCell`` is styled and asked for its index, so the workbook's table of cell
formats (and of number formats, which a date value adds) fills in the order openpyxl would fill it.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any, Iterator, Sequence

from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ERROR_CODES, ILLEGAL_CHARACTERS_RE
from openpyxl.utils import get_column_letter
from openpyxl.utils.datetime import to_excel
from openpyxl.utils.exceptions import IllegalCharacterError
from openpyxl.worksheet._write_only import WriteOnlyWorksheet
from openpyxl.worksheet._writer import WorksheetWriter, create_temporary_file
from openpyxl.worksheet.dimensions import RowDimension

_DATES = (dt.datetime, dt.date, dt.time, dt.timedelta)
_MAX_CHARS = 32_767  # openpyxl cuts a longer text to this
#: Kinds of value whose cell is the same when the values are equal, and how many such cells a sheet remembers.
_SAME_WHEN_EQUAL = (str, int, bool)
_TAILS_MOST = 4096


class Rows:
    """The rows of one write-only worksheet, numbered from 1.  Set up the sheet's columns, panes and
    properties before making it (they precede the rows in the file); set everything that follows the rows
    (merged cells, filter, print setup, conditional formats, charts) before :meth:`close`."""

    def __init__(self, ws: WriteOnlyWorksheet):
        self.ws = ws
        self.row = 0
        self._ids: dict[tuple[str, type | None], str] = {}
        self._letters: list[str] = []
        self._heights: dict[float, str] = {}
        self._tails: dict[tuple, str] = {}  # (style, kind, value) -> the cell's XML after its reference
        self._path = create_temporary_file()  # removed by openpyxl once the workbook is saved
        self._file = open(self._path, "wb", buffering=1 << 20)  # rows of a few KiB: one write call per MiB
        ws._writer = WorksheetWriter(ws, out=self._file)
        ws._writer.write_top()
        # openpyxl's own protocol: the writer's stream opens <sheetData> when sent True and closes it when sent
        # None; ws.close() closes the generator left in ws._rows, then writes what follows the rows
        ws._rows = self._stream()
        next(ws._rows)

    def _stream(self) -> Iterator[None]:
        xf = self.ws._writer.xf.send(True)
        with xf.element("sheetData"):
            xf.flush()
            try:
                while True:
                    yield
            except GeneratorExit:
                pass
        self.ws._writer.xf.send(None)

    def close(self) -> None:
        """The sheet is complete: openpyxl writes what follows the rows, and puts the file in the workbook."""
        self.ws.close()
        self._file.close()
        self.ws._writer.out = self._path

    def append(self, values: Sequence[Any], styles: Sequence[str | None] | None = None,
               height: float | None = None) -> int:
        """Write the next row: ``values`` from column A, each with the named style in ``styles`` (None: unstyled,
        as a plain value appended to openpyxl); ``height`` in points.  Returns the row's number."""
        self.row += 1
        r = str(self.row)
        parts = [self._start(r, height)]
        for c, value in enumerate(values):
            style = styles[c] if styles is not None and c < len(styles) else None
            if style is None and (value is None or isinstance(value, _DATES)):
                if value is None:
                    continue
                raise TypeError("a date cell needs a named style")  # openpyxl would give it a format of its own
            while len(self._letters) <= c:
                self._letters.append(get_column_letter(len(self._letters) + 1))
            parts.append(self._cell(f"{self._letters[c]}{r}", value, style))
        parts.append("</row>")
        self._file.write("".join(parts).encode("ascii", "xmlcharrefreplace"))
        return self.row

    def append_xml(self, cells: str, height: float | None = None) -> int:
        """Write the next row from its cells as made by :func:`cell_tail` (ASCII text, each cell's reference
        naming this row); ``height`` in points.  Returns the row's number."""
        self.row += 1
        self._file.write(f"{self._start(str(self.row), height)}{cells}</row>".encode("ascii"))
        return self.row

    def _start(self, r: str, height: float | None) -> str:
        if height is None:
            return f'<row r="{r}">'
        if height not in self._heights:  # openpyxl's attributes for the height (ht, customHeight)
            self._heights[height] = "".join(f' {k}="{v}"' for k, v in RowDimension(self.ws, ht=height))
        return f'<row r="{r}"{self._heights[height]}>'

    def _cell(self, ref: str, value: Any, style: str | None) -> str:
        kind = type(value)
        key = (style, kind, value) if kind in _SAME_WHEN_EQUAL else None  # statuses, codes, counts recur
        tail = self._tails.get(key) if key is not None else None
        if tail is None:
            sid = None
            if style is not None:
                sid = self._ids.get((style, None)) if not isinstance(value, _DATES) else None
                sid = sid or self.style_id(style, value)
            tail = cell_tail(value, sid, self.ws.parent.epoch)
            if key is not None:
                if len(self._tails) >= _TAILS_MOST:
                    self._tails.clear()
                self._tails[key] = tail
        return f'<c r="{ref}{tail}'

    def style_id(self, style: str, value: Any) -> str:
        """The workbook's index of the named style for a value of this kind (the first use of a style, or of a
        style for a kind of date, adds it to the workbook's cell formats)."""
        kind = type(value) if isinstance(value, _DATES) else None  # a date adds its number format, as openpyxl does
        key = (style, kind)
        if key not in self._ids:
            cell = WriteOnlyCell(self.ws, value if kind else None)
            cell.style = style
            self._ids[key] = str(cell.style_id)
        return self._ids[key]


def cell_tail(value: Any, sid: str | None, epoch: Any) -> str:
    """A cell's XML after the text of its reference (``<c r="A1`` + this), as openpyxl writes it, with the style
    index ``sid`` (None: unstyled).  Non-ASCII text is left as it is (the row is encoded when written)."""
    start = '"' if sid is None else f'" s="{sid}"'
    if value is None:
        return f'{start} t="n"></c>'
    if isinstance(value, str):
        if value == "":
            return f'{start} t="inlineStr"></c>'
        value = value[:_MAX_CHARS]
        if ILLEGAL_CHARACTERS_RE.search(value):
            raise IllegalCharacterError(f"{value} cannot be used in worksheets.")
        if len(value) > 1 and value.startswith("="):
            return f"{start}><f>{_text(value[1:])}</f><v></v></c>"
        if value in ERROR_CODES:
            return f'{start} t="e"><v>{value}</v></c>'
        space = ' xml:space="preserve"' if value[0].isspace() or value[-1].isspace() else ""
        return f'{start} t="inlineStr"><is><t{space}>{_text(value)}</t></is></c>'
    if isinstance(value, bool):
        kind = "b"
    elif isinstance(value, (int, float, Decimal)):
        kind = "n"
    elif isinstance(value, _DATES):
        kind, value = "n", to_excel(value, epoch)
    else:
        raise ValueError(f"Cannot convert {value!r} to Excel")
    return f'{start} t="{kind}"><v>{_number(value)}</v></c>'


def _text(value: str) -> str:
    """Text escaped as lxml escapes it (non-ASCII characters become references when the row is encoded)."""
    if "&" in value:
        value = value.replace("&", "&amp;")
    if "<" in value:
        value = value.replace("<", "&lt;")
    if ">" in value:
        value = value.replace(">", "&gt;")
    if "\r" in value:
        value = value.replace("\r", "&#13;")
    return value


def _number(value: Any) -> str:
    """A number as openpyxl writes it (``compat.safe_string``)."""
    if value != value or value in (float("inf"), float("-inf")):
        return ""
    return "%.16g" % value
