"""Compile a FormSpec to a fillable Excel workbook (openpyxl).

Layout (one sheet, like the paper form): title; per section a heading row;
per scalar field a bordered label cell (column A) and a value cell merged
across the other columns; per repeating group a header row and an Excel table
of blank rows; pre-printed rows whose cells merge down over a run of equal values
are laid on the pages by formgen, which places the page breaks so that no
merged range crosses one.  Input cells are unlocked, the rest protected (no password,
rows may be inserted).  Each scalar value cell carries a defined name
``fg.<address>``; each group is a table named ``tbl.<address>`` whose columns
are the group's column titles.  Choice lists live on the hidden sheet
``formgen`` (plain hidden: LibreOffice turns veryHidden into hidden), which
also holds the form id, version and definition hash.
"""

from __future__ import annotations

import datetime as dt
import math
from copy import copy
from dataclasses import dataclass
import unicodedata
import zipfile
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Protection, Side
from openpyxl.cell.cell import MergedCell
from openpyxl.styles.cell_style import StyleArray
from openpyxl.utils import get_column_letter, quote_sheetname
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.worksheet.cell_range import CellRange
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.merge import MergedCellRange
from openpyxl.worksheet.pagebreak import Break
from openpyxl.worksheet.table import Table, TableStyleInfo

from formgen import __version__
from formgen.fsutil import PRIVATE, atomic_path
from formgen.layout.xlsx import (FORM_SHEET, META_FORM, META_HASH, META_SHEET, META_UNIT, META_VERSION, defined_name,
                                 table_name)
from formgen.layout.labels import printed_label
from formgen.paths import get_path
from formgen.present import native
from formgen.spec.model import Field, FormSpec, Group

FONT = "宋体"
LABEL_WIDTH = 24
PAGE_WIDTH = 100  # total column width in character units: one A4 page width at about 10 pt
LINE_HEIGHT = 15.7  # points per line of 11 pt CJK text, as LibreOffice's optimal row height measures it
CJK_UNITS = 1.65  # column-width units one CJK character takes at 11 pt (measured in LibreOffice)
PT_PER_UNIT = 7.0  # points one column-width unit takes on paper before fitting to the page (LibreOffice)
SIDE_MARGIN, TOP_MARGIN = 0.5, 0.6  # inches: the page's side margins, and its top and bottom ones
PRINTABLE_PT = {"portrait": 595.3 - 72 * 2 * SIDE_MARGIN, "landscape": 841.9 - 72 * 2 * SIDE_MARGIN}  # A4 wide
PRINTABLE_HEIGHT_PT = {"portrait": 841.9 - 72 * 2 * TOP_MARGIN, "landscape": 595.3 - 72 * 2 * TOP_MARGIN}
#: The share of a page the rows are laid on when formgen places the page breaks: LibreOffice fits the sheet to the
#: page's width by a scale a little off the one computed here, and must not break a page before formgen does.
PAGE_FILL = 0.98
SMALL_PT, SMALL_PRINTED_PT = 9, 7.5  # fine print (form number, notes) and the least it may print at

_thin = Side(style="thin", color="000000")
BORDER = Border(left=_thin, right=_thin, top=_thin, bottom=_thin)
LABEL_FILL = PatternFill("solid", fgColor="F2F2F2")
SECTION_FILL = PatternFill("solid", fgColor="D9E1F2")
NUMBER_FORMATS = {"date": "yyyy-mm-dd", "datetime": "yyyy-mm-dd hh:mm", "integer": "0",
                  "string": "@", "text": "@", "choice": "@", "boolean": "@", "multi": "@"}


class XlsxCompiler:
    format = "xlsx"
    suffix = ".xlsx"

    def compile(self, spec: FormSpec, data: dict | None, out: str | Path, lang: str = "zh_CN",
                unit: str | None = None) -> None:
        """Write the form to ``out``; ``unit`` is the code of the unit it is made for, stamped beside the identity."""
        wb = _Builder(spec, data or {}, unit).build()
        with atomic_path(out, PRIVATE if spec.holds_pii(data) else None) as tmp:
            wb.save(tmp)
            _relative_table_targets(Path(tmp))


def _relative_table_targets(path: Path) -> None:
    """Point the sheets' relationships at their tables relatively (``../tables/table1.xml``): openpyxl writes
    ``/xl/tables/table1.xml``, which ExcelJS cannot open."""
    with zipfile.ZipFile(path) as zin:
        entries = [(info, zin.read(info)) for info in zin.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zout:
        for info, data in entries:
            if info.filename.startswith("xl/worksheets/_rels/"):
                data = data.replace(b'Target="/xl/tables/', b'Target="../tables/')
            zout.writestr(info, data)


class _Builder:
    def __init__(self, spec: FormSpec, data: dict, unit: str | None = None):
        self.spec = spec
        self.data = data
        self.unit = unit
        self.wb = Workbook()
        self.ws = self.wb.active
        self.ws.title = FORM_SHEET
        self.meta = self.wb.create_sheet(META_SHEET)
        self.ncols = max([4] + [len(g.shown_columns) for g in spec.groups()])
        self.widths = self._widths()
        self.label_span = self._label_span()
        self.title_rows = (0, 0)  # (header row, row count) of the longest table: its header repeats on each page
        self.runs: list[Run] = []  # the cells merged down a column over pre-printed rows
        self.keep: set[int] = set()  # rows printed on the page of the row under them (headings)
        self.row = 1
        self.list_col = 4  # choice lists start in column D of the meta sheet
        # an input cell's style ids in this workbook, by (alignment, number format, locked): openpyxl hashes every
        # style object it is given, which was most of the time of a large form
        self.input_styles: dict[tuple[str, str, bool], StyleArray] = {}
        # a covered cell's style ids, by (border and protection of its range's first cell, the edges it is on)
        self.covered_styles: dict[tuple[int, int, tuple[bool, ...]], StyleArray] = {}
        self.named_styles: dict[str, StyleArray] = {}
        self.lists: dict[tuple[str, ...], str] = {}

    # -- top level -------------------------------------------------------
    def build(self) -> Workbook:
        self._meta()
        self._columns()
        self._title()
        self.spec.walk(self._section, self._field, self._group, self._note, total_rows=True)
        self._paginate()
        self._protect_and_print()
        return self.wb

    def _meta(self) -> None:
        m = self.meta
        m.sheet_state = "hidden"
        rows = [(META_FORM, self.spec.id), (META_VERSION, self.spec.version), (META_HASH, self.spec.hash),
                ("generator", f"formgen {__version__}")]
        if self.unit:
            rows.append((META_UNIT, self.unit))
        for r, (key, value) in enumerate(rows, 1):
            m.cell(r, 1, key)
            m.cell(r, 2, value)
        m.protection.sheet = True

    def _widths(self) -> list[float]:
        """Column A holds labels, the rest share the page width; a group column's ``width`` sets its column."""
        rest = (PAGE_WIDTH - LABEL_WIDTH) / (self.ncols - 1)
        widths = [LABEL_WIDTH] + [rest] * (self.ncols - 1)
        asked: dict[int, float] = {}
        for group in self.spec.groups():
            for i, col in enumerate(group.shown_columns):
                if "width" in col.ann:
                    asked[i] = max(asked.get(i, 0), col.ann["width"])
        widths = [asked.get(i, w) for i, w in enumerate(widths)]
        return widths

    def _scale(self, orientation: str) -> float:
        """How much fitting the sheet to the page's width shrinks it."""
        return min(1.0, PRINTABLE_PT[orientation] / (sum(self.widths) * PT_PER_UNIT))

    @property
    def orientation(self) -> str:
        """The definition's, or landscape when a portrait page would shrink 11 pt values under 7.5 pt."""
        if self.spec.ann.get("orientation") == "landscape" or self._scale("portrait") * 11 < SMALL_PRINTED_PT:
            return "landscape"
        return "portrait"

    def _small_size(self) -> int:
        """Fine print large enough to stay legible once the sheet is fitted to the page's width."""
        return max(SMALL_PT, math.ceil(SMALL_PRINTED_PT / self._scale(self.orientation)))

    def _label_span(self) -> int:
        """How many columns a field label spans: enough for LABEL_WIDTH when the first columns are narrow."""
        span, total = 1, self.widths[0]
        while total < LABEL_WIDTH and span < self.ncols - 1:
            total += self.widths[span]
            span += 1
        return span

    def _columns(self) -> None:
        for i, width in enumerate(self.widths, start=1):
            self.ws.column_dimensions[get_column_letter(i)].width = width

    def _merge(self, first_row: int, first_col: int, last_row: int, last_col: int) -> None:
        """``ws.merge_cells``, the covered cells' styles worked out once per style of the range's first cell and edge
        the cell is on.  openpyxl builds and hashes a border and a protection object for every covered cell, half the
        time of a small form; the cells come out as its ``MergedCellRange.format`` makes them."""
        ws = self.ws
        merged = MergedCellRange(ws, CellRange(min_row=first_row, min_col=first_col,
                                               max_row=last_row, max_col=last_col).coord)
        ws.merged_cells.add(merged)
        start = merged.start_cell
        for row in range(first_row, last_row + 1):
            for col in range(first_col, last_col + 1):
                if row == first_row and col == first_col:
                    continue
                edges = (row == first_row, col == first_col, col == last_col, row == last_row)
                key = (start._style.borderId, start._style.protectionId, edges)
                cell = MergedCell(ws, row, col)
                style = self.covered_styles.get(key)
                if style is None:
                    for name, on in zip(("top", "left", "right", "bottom"), edges):
                        side = getattr(start.border, name)
                        if on and not (side and side.style is None):
                            cell.border += Border(**{name: side})
                    cell.protection = copy(start.protection)
                    style = self.covered_styles[key] = copy(cell._style)
                cell._style = copy(style)
                ws._cells[row, col] = cell

    def _merge_row(self, text: str, font: Font, height: float, fill: PatternFill | None = None,
                   align: Alignment | None = None) -> None:
        ws, r = self.ws, self.row
        cell = ws.cell(r, 1, text)
        cell.font = font
        cell.alignment = align or Alignment(horizontal="center", vertical="center", wrap_text=True)
        if fill:
            for c in range(1, self.ncols + 1):
                ws.cell(r, c).fill = fill
                ws.cell(r, c).border = BORDER
        self._merge(r, 1, r, self.ncols)
        ws.row_dimensions[r].height = height
        self.row += 1

    def _title(self) -> None:
        for line in self.spec.ann.get("header", []):
            self._merge_row(line, Font(name=FONT, size=12, bold=True), 20,
                            align=Alignment(horizontal="left", vertical="center"))
        self._merge_row(self.spec.title, Font(name=FONT, size=18, bold=True), 36)
        small = self._small_size()
        self._merge_row(f"表单编号：{self.spec.id}    版本：{self.spec.version}",
                        Font(name=FONT, size=small, color="666666"), 16 * small / SMALL_PT,
                        align=Alignment(horizontal="right", vertical="center"))

    def _section(self, title: str) -> None:
        self.keep.add(self.row)
        self._merge_row(title, Font(name=FONT, size=12, bold=True), 22, SECTION_FILL,
                        Alignment(horizontal="left", vertical="center"))

    def _note(self, text: str) -> None:
        small = self._small_size()
        self._merge_row(text, Font(name=FONT, size=small), 30 * small / SMALL_PT,
                        align=Alignment(horizontal="left", vertical="center", wrap_text=True))

    # -- fields ------------------------------------------------------------
    def _label_text(self, field: Field | Group) -> str:
        return printed_label(self.spec, field)

    def _field(self, field: Field) -> None:
        ws, r = self.ws, self.row
        label = ws.cell(r, 1, self._label_text(field))
        self._style(label, "label", font=Font(name=FONT, size=11, bold=True), fill=LABEL_FILL,
                    alignment=Alignment(horizontal="center", vertical="center", wrap_text=True))
        span = self.label_span
        for c in range(2, self.ncols + 1):
            self._style(ws.cell(r, c), "ruled", border=BORDER)
        if span > 1:
            self._merge(r, 1, r, span)
        self._merge(r, span + 1, r, self.ncols)
        cell = ws.cell(r, span + 1)
        self._input_cell(cell, field, get_path(self.data, field.address))
        lines = max(field.ann.get("lines", 1) if field.multiline else 1,
                    text_lines(label.value, sum(self.widths[:span])),
                    text_lines(cell.value, sum(self.widths[span:])))
        ws.row_dimensions[r].height = max(22, LINE_HEIGHT * lines + 6)
        ref = f"{quote_sheetname(ws.title)}!${cell.column_letter}${r}"
        self.wb.defined_names[defined_name(field.address)] = DefinedName(defined_name(field.address), attr_text=ref)
        self._validation(field, cell.coordinate)
        self.row += 1

    def _style(self, cell, name: str, **attrs: Any) -> None:
        """Style a new cell as ``name``, whose style objects ``attrs`` are hashed only the first time."""
        style = self.named_styles.get(name)
        if style is None:
            for attr, value in attrs.items():
                setattr(cell, attr, value)
            self.named_styles[name] = copy(cell._style)
        else:
            cell._style = copy(style)

    def _input_cell(self, cell, field: Field, value: Any, locked: bool = False) -> None:
        key = ("left" if field.kind not in ("integer", "number") else "right",
               NUMBER_FORMATS.get(field.kind, "General"), locked)
        style = self.input_styles.get(key)
        if style is None:
            cell.font = Font(name=FONT, size=11)
            cell.alignment = Alignment(vertical="center", wrap_text=True, horizontal=key[0])
            cell.border = BORDER
            cell.number_format = key[1]
            cell.protection = Protection(locked=locked)
            self.input_styles[key] = copy(cell._style)
        else:
            cell._style = copy(style)
        shown = native(field, value)
        if shown is not None:
            cell.value = shown

    # -- repeating groups -------------------------------------------------
    def _group(self, group: Group) -> None:
        ws = self.ws
        if group.section is None or group.title != group.section:
            self.keep.add(self.row)
            self._merge_row(self._label_text(group), Font(name=FONT, size=11, bold=True), 20,
                            align=Alignment(horizontal="left", vertical="center"))
        header = self.row
        self.keep.add(header)
        columns = group.shown_columns
        for c, col in enumerate(columns, start=1):
            cell = ws.cell(header, c, col.title)
            cell.font = Font(name=FONT, size=11, bold=True)
            cell.fill = LABEL_FILL
            cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
            cell.border = BORDER
        ws.row_dimensions[header].height = max(22, LINE_HEIGHT * max(
            text_lines(col.title, self.widths[c]) for c, col in enumerate(columns)) + 6)
        rows = get_path(self.data, group.address) or []
        count = max(group.blank_rows, len(rows))
        spans = {col.name: group.spans(col) + [1] * (count - len(group.fixed_rows)) for col in columns}
        first = header + 1
        for i in range(count):
            r = first + i
            values = group.row_values(rows, i)
            for c, col in enumerate(columns, start=1):
                self._input_cell(ws.cell(r, c), col, None if spans[col.name][i] == 0 else values.get(col.name),
                                 locked=col.readonly and bool(group.fixed_rows))
            lines = max([2 if any(col.multiline for col in columns) else 1] +
                        [text_lines(ws.cell(r, c).value, self.widths[c - 1]) for c, col in enumerate(columns, start=1)
                         if spans[col.name][i] == 1])
            ws.row_dimensions[r].height = max(20, LINE_HEIGHT * lines + 5)
        last = first + count - 1
        self._merge_runs(group, spans, first)
        totals = self.spec.total_row(group)
        if totals:
            self._total_row(group, totals, first, last)
        if count > self.title_rows[1]:
            self.title_rows = (header, count)
        end_col = get_column_letter(len(columns))
        if group.spanned:  # an Excel table cannot hold merged cells: the rows are fixed, a name says where they are
            ref = f"{quote_sheetname(ws.title)}!$A${header}:${end_col}${last}"
            self.wb.defined_names[defined_name(group.address)] = DefinedName(defined_name(group.address),
                                                                             attr_text=ref)
        else:
            table = Table(displayName=table_name(group.address), ref=f"A{header}:{end_col}{last}")
            table.tableStyleInfo = TableStyleInfo(name="TableStyleLight1", showRowStripes=False)
            ws.add_table(table)
        for c, col in enumerate(columns, start=1):
            letter = get_column_letter(c)
            self._validation(col, f"{letter}{first}:{letter}{last}")
        self.row = last + (3 if totals else 2)  # one empty row: the reader reads rows added below the table up to it

    def _merge_runs(self, group: Group, spans: dict[str, list[int]], first: int) -> None:
        """Note the runs of equal pre-printed values (``x-formgen.span``) and the height their text needs: they are
        merged once the page breaks are placed (``_paginate``)."""
        for c, col in enumerate(group.shown_columns, start=1):
            for i, n in enumerate(spans[col.name]):
                if n > 1:
                    text = self.ws.cell(first + i, c).value
                    self.runs.append(Run(c, first + i, first + i + n - 1, text,
                                         LINE_HEIGHT * text_lines(text, self.widths[c - 1]) + 5))

    def _paginate(self) -> None:
        """Place the page breaks of a sheet with merged runs, and merge them: LibreOffice centres the text of a
        cell merged over rows that a page break crosses on the whole range, so it prints over the page's margin
        and through the rows.  A run that a break crosses is merged as two, its text repeated at the top of the
        next page; each part's rows grow to hold its text (a merged range's rows do not grow by themselves)."""
        ws = self.ws
        if not self.runs:
            return
        heights = [ws.row_dimensions[r].height or LINE_HEIGHT for r in range(1, self.row)]
        page = PRINTABLE_HEIGHT_PT[self.orientation] / self._scale(self.orientation) * PAGE_FILL
        repeat = ws.row_dimensions[self.title_rows[0]].height if self.title_rows[0] else 0.0
        breaks, parts, grown = paginate(heights, self.runs, page, repeat, self.keep)
        for r, (height, was) in enumerate(zip(grown, heights), start=1):
            if height != was:
                ws.row_dimensions[r].height = height
        for run in parts:
            cell = ws.cell(run.first, run.column, run.text)
            cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
            if run.last > run.first:
                self._merge(run.first, run.column, run.last, run.column)
        for r in breaks:
            ws.row_breaks.append(Break(id=r - 1))

    def _total_row(self, group: Group, totals: dict[str, Field], first: int, last: int) -> None:
        """合计 under the rows: the label over the leading columns without a total, then ``=SUM`` of each totalled
        column (locked; rows inserted inside the table widen the sums), each cell named as its field."""
        ws, r = self.ws, last + 1
        columns = group.shown_columns
        span = next(c for c, col in enumerate(columns) if col.name in totals)
        label = ws.cell(r, 1, group.total_label)
        label.font = Font(name=FONT, size=11, bold=True)
        label.fill = LABEL_FILL
        label.alignment = Alignment(horizontal="center", vertical="center")
        for c in range(1, len(columns) + 1):
            ws.cell(r, c).border = BORDER
        if span > 1:
            self._merge(r, 1, r, span)
        for c, col in enumerate(columns, start=1):
            field = totals.get(col.name)
            if field is None:
                continue
            letter = get_column_letter(c)
            cell = ws.cell(r, c, f"=SUM({letter}{first}:{letter}{last})")
            cell.font = Font(name=FONT, size=11, bold=True)
            cell.alignment = Alignment(horizontal="right", vertical="center")
            cell.number_format = NUMBER_FORMATS.get(field.kind, "General")
            cell.protection = Protection(locked=True)
            ref = f"{quote_sheetname(ws.title)}!${letter}${r}"
            self.wb.defined_names[defined_name(field.address)] = DefinedName(defined_name(field.address),
                                                                             attr_text=ref)
        ws.row_dimensions[r].height = 22

    # -- validation lists ----------------------------------------------------
    def _list_range(self, field: Field) -> str:
        key = tuple(field.choice_labels)
        if key not in self.lists:
            col = get_column_letter(self.list_col)
            for r, label in enumerate(field.choice_labels, start=1):
                self.meta[f"{col}{r}"] = label
            name = f"list.{len(self.lists) + 1}"
            ref = f"{quote_sheetname(META_SHEET)}!${col}$1:${col}${len(field.choice_labels)}"
            self.wb.defined_names[name] = DefinedName(name, attr_text=ref)
            self.lists[key] = name
            self.list_col += 1
        return self.lists[key]

    def _validation(self, field: Field, ref: str) -> None:
        kind = field.kind
        help_text = field.ann.get("help", "")
        label = field.title
        dv: DataValidation | None = None
        if kind in ("choice", "boolean"):
            dv = DataValidation(type="list", formula1=self._list_range(field), allow_blank=True,
                                error=f"请从下拉列表中选择{label}。", errorTitle="选项无效")
        elif kind == "integer":
            lo, hi = field.schema.get("minimum", -2147483648), field.schema.get("maximum", 2147483647)
            dv = DataValidation(type="whole", operator="between", formula1=str(lo), formula2=str(hi),
                                allow_blank=True, error=f"{label}请填写{lo}到{hi}之间的整数。", errorTitle="请填写整数")
        elif kind == "number":
            dv = DataValidation(type="decimal", operator="between",
                                formula1=str(field.schema.get("minimum", -1e15)),
                                formula2=str(field.schema.get("maximum", 1e15)),
                                allow_blank=True, error=f"{label}请填写数字。", errorTitle="请填写数字")
        elif kind in ("date", "datetime"):
            first = _serial(dt.date(1900, 1, 1))
            last = _serial(dt.date(2099, 12, 31))
            dv = DataValidation(type="date", operator="between", formula1=str(first), formula2=str(last),
                                allow_blank=True, error=f"{label}请填写日期，如 2021-03-05。", errorTitle="请填写日期")
            help_text = help_text or ("格式：2021-03-05" if kind == "date" else "格式：2021-03-05 14:30")
        elif kind == "multi":  # a dropdown holds one value: the labels are typed, separated, as the message says
            dv = DataValidation(allow_blank=True)
            help_text = "可多选，用“、”分隔：" + "、".join(field.choice_labels) + (f"。{help_text}" if help_text else "")
        elif help_text:
            dv = DataValidation(allow_blank=True)
        if dv is None:
            return
        dv.showErrorMessage = kind not in ("string", "text")
        if help_text:
            dv.showInputMessage = True
            dv.promptTitle = label[:32]
            dv.prompt = help_text[:255]
        dv.add(ref)
        self.ws.add_data_validation(dv)

    # -- protection and printing -------------------------------------------
    def _protect_and_print(self) -> None:
        ws = self.ws
        prot = ws.protection
        prot.sheet = True
        prot.insertRows = False
        prot.deleteRows = False
        prot.formatRows = False
        prot.formatColumns = False
        prot.formatCells = False
        prot.autoFilter = False
        ws.page_setup.paperSize = ws.PAPERSIZE_A4
        ws.page_setup.orientation = self.orientation
        ws.page_setup.fitToWidth = 1
        ws.page_setup.fitToHeight = 0
        ws.sheet_properties.pageSetUpPr.fitToPage = True
        ws.print_options.horizontalCentered = True
        ws.page_margins.left = ws.page_margins.right = SIDE_MARGIN
        ws.page_margins.top = ws.page_margins.bottom = TOP_MARGIN
        ws.print_area = f"A1:{get_column_letter(self.ncols)}{self.row - 1}"
        if self.title_rows[0]:
            ws.print_title_rows = f"{self.title_rows[0]}:{self.title_rows[0]}"
        ws.sheet_view.showGridLines = False


@dataclass(frozen=True)
class Run:
    """A pre-printed text merged down column ``column`` (1 = A) over rows ``first`` to ``last``, which needs
    ``need`` pt of height to print whole."""

    column: int
    first: int
    last: int
    text: Any
    need: float


def paginate(heights: list[float], runs: list[Run], page: float, repeat: float,
             keep: set[int]) -> tuple[list[int], list[Run], list[float]]:
    """Lay rows of ``heights`` pt (row 1 first) on pages holding ``page`` pt each, the pages after the first
    starting with ``repeat`` pt of repeated title rows; a row is never split, and a row in ``keep`` goes onto the
    page of the row under it.  Each run's rows grow to hold its text (its last row takes what they lack); a run
    a page break crosses is cut there in two, each holding the text.  Returns the first row of each page after
    the first, the runs as cut, and the rows' heights."""
    rows = len(heights)
    grown = list(heights)
    starts = [run.first for run in runs]  # where the part of each run still to be placed starts
    ending: dict[int, list[int]] = {}
    for k, run in enumerate(runs):
        ending.setdefault(run.last, []).append(k)
    parts: list[Run] = []
    breaks: list[int] = []

    def need(k: int, last: int, height: float) -> float:
        """Row ``last``'s height once the part of run ``k`` ending there holds its text."""
        return max(height, runs[k].need - sum(grown[starts[k] - 1:last - 1]))

    def cut_at(top: int, cut: int) -> tuple[list[int], float, bool]:
        """A break before row ``cut`` of the page from row ``top``: the runs it cuts, the height of the row above
        it once their parts there hold their text, and whether the page then holds its rows."""
        crossed = [k for k, run in enumerate(runs) if starts[k] < cut <= run.last]
        last = grown[cut - 2]
        for k in crossed:
            last = need(k, cut - 1, last)
        return crossed, last, (repeat if breaks else 0.0) + sum(grown[top - 1:cut - 2]) + last <= page

    top, used, r = 1, 0.0, 1
    while r <= rows:
        height = heights[r - 1]
        for k in ending.get(r, []):
            height = need(k, r, height)
        if r == top or used + height <= page:
            grown[r - 1] = height
            used += height
            r += 1
            continue
        # the first row of the next page: the row that does not fit, or the nearest one above it that lets the
        # parts above the break hold their text on the page, or when none does, that row after all
        candidates = [c for c in range(r, top, -1) if c - 1 == top or c - 1 not in keep]
        cut = next((c for c in candidates if cut_at(top, c)[2]), candidates[0])
        crossed, last, _fits = cut_at(top, cut)
        grown[cut - 2] = last
        for k in crossed:
            parts.append(Run(runs[k].column, starts[k], cut - 1, runs[k].text, runs[k].need))
            starts[k] = cut
        breaks.append(cut)
        top, used, r = cut, repeat, cut
    parts += [Run(run.column, starts[k], run.last, run.text, run.need) for k, run in enumerate(runs)]
    return breaks, parts, grown


def text_lines(value: Any, width: float) -> int:
    """Lines a wrapped cell text needs in a column ``width`` units wide."""
    if value is None:
        return 1
    usable = max(width - 1, 1)
    total = 0
    for line in str(value).split("\n"):
        units = sum(CJK_UNITS if unicodedata.east_asian_width(ch) in "WF" else 0.9 for ch in line)
        total += max(1, math.ceil(units / usable))
    return total


def _serial(day: dt.date) -> int:
    return (day - dt.date(1899, 12, 30)).days
