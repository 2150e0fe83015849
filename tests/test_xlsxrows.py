"""formgen.xlsxrows writes the bytes openpyxl's write-only ``append`` writes for the same rows: every kind of
value the batch's workbooks hold, styled and not, with row heights; the workbook's styles come out the same."""

from __future__ import annotations

import datetime as dt
import io
import zipfile

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font, NamedStyle

from formgen.xlsxrows import Rows

TEXTS = ["plain", " spaced ", "a&b<c>d\r\ne\tf\"g'", "沈阳市第一中学 \U00020000", "=SUM(B1:B2)", "#N/A", "", "x" * 40_000]
ROWS: list[tuple[list, list, float | None]] = [
    (TEXTS, ["text"] * len(TEXTS), 33.0),
    ([], [], None),
    ([1, 2.5, -0.1, True, False, 10**15, float("nan"), None, None], [None, "date", "text", None, "text", None, None,
                                                                     "text", None], None),
    ([dt.date(2021, 3, 9), dt.datetime(2021, 3, 9, 10, 20), dt.datetime(1900, 1, 1, 0, 0, 1)], ["date", "when", "text"],
     17.5),
    (["unstyled", "", None, 7], None, None),
]


def _styles(wb: Workbook) -> None:
    wb.add_named_style(NamedStyle("text", alignment=Alignment(wrap_text=True, vertical="top")))
    wb.add_named_style(NamedStyle("date", number_format="yyyy-mm-dd"))
    wb.add_named_style(NamedStyle("when", font=Font(bold=True), number_format="yyyy-mm-dd hh:mm"))


def _book(write) -> dict[str, bytes]:
    wb = Workbook(write_only=True)
    _styles(wb)
    ws = wb.create_sheet("表")
    ws.column_dimensions["A"].width = 20
    ws.freeze_panes = "B2"
    write(ws)
    out = io.BytesIO()
    wb.save(out)
    with zipfile.ZipFile(out) as zf:
        return {name: zf.read(name) for name in ("xl/worksheets/sheet1.xml", "xl/styles.xml")}


def _with_openpyxl(ws) -> None:
    for r, (values, styles, height) in enumerate(ROWS, start=1):
        if height is not None:
            ws.row_dimensions[r].height = height
        cells = []
        for c, value in enumerate(values):
            style = styles[c] if styles else None
            if style is None:
                cells.append(value)
                continue
            cell = WriteOnlyCell(ws, value)
            cell.style = style
            cells.append(cell)
        ws.append(cells)
    ws.merged_cells.add("A1:B1")


def _with_rows(ws) -> None:
    rows = Rows(ws)
    for values, styles, height in ROWS:
        rows.append(values, styles, height)
    ws.merged_cells.add("A1:B1")
    rows.close()


def test_the_rows_are_the_bytes_openpyxl_writes():
    expected, written = _book(_with_openpyxl), _book(_with_rows)
    assert b"&#27784;" in expected["xl/worksheets/sheet1.xml"]  # the rows are there, as lxml escapes them
    assert written == expected


def test_rows_are_numbered_as_they_are_written():
    wb = Workbook(write_only=True)
    _styles(wb)
    rows = Rows(wb.create_sheet("x"))
    assert [rows.append(["a"]), rows.append([]), rows.append([1], ["text"])] == [1, 2, 3]
    assert rows.row == 3
    rows.close()
