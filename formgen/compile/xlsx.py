"""Compile a FormSpec to a fillable Excel workbook (openpyxl).

Layout (one sheet, like the paper form): title; per section a heading row;
per scalar field a bordered label cell (column A) and a value cell merged
across the other columns; per repeating group a header row and an Excel table
of blank rows.  Input cells are unlocked, the rest protected (no password,
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
import unicodedata
import zipfile
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Protection, Side
from openpyxl.styles.cell_style import StyleArray
from openpyxl.utils import get_column_letter, quote_sheetname
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.worksheet.datavalidation import DataValidation
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
PRINTABLE_PT = {"portrait": 595.3 - 72, "landscape": 841.9 - 72}  # A4 less the half-inch side margins
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
        self.row = 1
        self.list_col = 4  # choice lists start in column D of the meta sheet
        # an input cell's style ids in this workbook, by (alignment, number format, locked): openpyxl hashes every
        # style object it is given, which was most of the time of a large form
        self.input_styles: dict[tuple[str, str, bool], StyleArray] = {}
        self.lists: dict[tuple[str, ...], str] = {}

    # -- top level -------------------------------------------------------
    def build(self) -> Workbook:
        self._meta()
        self._columns()
        self._title()
        self.spec.walk(self._section, self._field, self._group, self._note, total_rows=True)
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
        ws.merge_cells(start_row=r, start_column=1, end_row=r, end_column=self.ncols)
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
        label.font = Font(name=FONT, size=11, bold=True)
        label.fill = LABEL_FILL
        label.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        span = self.label_span
        for c in range(2, self.ncols + 1):
            ws.cell(r, c).border = BORDER
        if span > 1:
            ws.merge_cells(start_row=r, start_column=1, end_row=r, end_column=span)
        ws.merge_cells(start_row=r, start_column=span + 1, end_row=r, end_column=self.ncols)
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
            self._merge_row(self._label_text(group), Font(name=FONT, size=11, bold=True), 20,
                            align=Alignment(horizontal="left", vertical="center"))
        header = self.row
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
        """Merge the cells of a run of equal pre-printed values down over its rows (``x-formgen.span``), its text
        centred, and make its rows tall enough for it."""
        ws = self.ws
        for c, col in enumerate(group.shown_columns, start=1):
            for i, n in enumerate(spans[col.name]):
                if n < 2:
                    continue
                cell = ws.cell(first + i, c)
                cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
                ws.merge_cells(start_row=first + i, start_column=c, end_row=first + i + n - 1, end_column=c)
                rows = [ws.row_dimensions[first + k] for k in range(n)]
                short = LINE_HEIGHT * text_lines(cell.value, self.widths[c - 1]) + 5 - sum(r.height for r in rows)
                if short > 0:
                    rows[-1].height += short

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
            ws.merge_cells(start_row=r, start_column=1, end_row=r, end_column=span)
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
        ws.page_margins.left = ws.page_margins.right = 0.5
        ws.page_margins.top = ws.page_margins.bottom = 0.6
        ws.print_area = f"A1:{get_column_letter(self.ncols)}{self.row - 1}"
        if self.title_rows[0]:
            ws.print_title_rows = f"{self.title_rows[0]}:{self.title_rows[0]}"
        ws.sheet_view.showGridLines = False


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
