"""Read a returned workbook: identity from the hidden sheet, scalars by defined name, rows by table."""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

from openpyxl import load_workbook
from openpyxl.utils.cell import range_boundaries
from openpyxl.utils.datetime import CALENDAR_MAC_1904
from openpyxl.workbook.workbook import Workbook

from formgen.coerce import Context, is_empty
from formgen.compile.xlsx import FORM_SHEET, META_SHEET, defined_name, table_name
from formgen.i18n import N_
from formgen.issues import Code, Issue
from formgen.record import Identity, RawValue
from formgen.spec.model import FormSpec, Group


class XlsxReader:
    format = "xlsx"

    def open(self, path: Path) -> Workbook:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return load_workbook(path, data_only=True)

    def identity(self, wb: Workbook) -> Identity | None:
        if META_SHEET not in wb.sheetnames:
            return None
        meta = {str(r[0].value): r[1].value for r in wb[META_SHEET].iter_rows(min_row=1, max_row=3, max_col=2)}
        if not meta.get("form") or not meta.get("version"):
            return None
        return Identity(str(meta["form"]), str(meta["version"]), meta.get("hash") and str(meta["hash"]))

    def context(self, wb: Workbook) -> Context:
        return Context(date1904=wb.epoch == CALENDAR_MAC_1904)

    def values(self, wb: Workbook, spec: FormSpec) -> tuple[list[RawValue], list[Issue]]:
        values: list[RawValue] = []
        issues: list[Issue] = []
        for field in spec.fields():
            name = wb.defined_names.get(defined_name(field.address))
            cell = _single_cell(wb, name)
            if cell is None:
                issues.append(Issue(Code.LAYOUT_CHANGED, field.address, defined_name(field.address), {
                    "label": spec.labels_of(field.address), "reason": N_("its defined name is missing")}))
                continue
            sheet, coord = cell
            value = wb[sheet][coord].value
            if not is_empty(value):
                values.append(RawValue(field.address, value, f"{sheet}!{coord}"))
        for group in spec.groups():
            rows, problems = _read_table(wb, spec, group)
            values.extend(rows)
            issues.extend(problems)
        if FORM_SHEET in wb.sheetnames:
            issues.extend(_outside_form(wb[FORM_SHEET]))
        return values, issues


def _outside_form(ws) -> list[Issue]:
    """Text typed beside or below the printed form is not read: say so rather than drop it silently."""
    if not ws.print_area:
        return []
    area = ws.print_area if isinstance(ws.print_area, str) else ws.print_area[0]
    min_col, min_row, max_col, max_row = range_boundaries(area.split("!")[-1].replace("$", ""))
    return [Issue(Code.EXTRA_CONTENT, location=f"{ws.title}!{cell.coordinate}")
            for row in ws.iter_rows() for cell in row
            if not is_empty(cell.value) and not (min_col <= cell.column <= max_col and min_row <= cell.row <= max_row)]


def _single_cell(wb: Workbook, name) -> tuple[str, str] | None:
    if name is None:
        return None
    dests = list(name.destinations)
    if len(dests) != 1:
        return None
    sheet, coord = dests[0]
    coord = coord.replace("$", "")
    if sheet not in wb.sheetnames or ":" in coord:
        return None
    return sheet, coord


def _find_table(wb: Workbook, name: str):
    for ws in wb.worksheets:
        if name in ws.tables:
            return ws, ws.tables[name]
    return None, None


def _read_table(wb: Workbook, spec: FormSpec, group: Group) -> tuple[list[RawValue], list[Issue]]:
    ws, table = _find_table(wb, table_name(group.address))
    if table is None:
        return [], [Issue(Code.LAYOUT_CHANGED, group.address, table_name(group.address), {
            "label": spec.labels_of(group.address), "reason": N_("the table of rows is missing")})]
    min_col, min_row, max_col, max_row = range_boundaries(table.ref)
    headers = {str(ws.cell(min_row, c).value or "").strip(): c for c in range(min_col, max_col + 1)}
    columns: list[tuple[Any, int]] = []
    issues: list[Issue] = []
    for col in group.columns:
        if col.title not in headers:
            issues.append(Issue(Code.LAYOUT_CHANGED, f"{group.address}.0.{col.name}",
                                f"{ws.title}!{table.ref}", {"label": spec.labels_of(f"{group.address}.0.{col.name}"),
                                                             "reason": N_("a column header was changed")}))
            continue
        columns.append((col, headers[col.title]))
    values: list[RawValue] = []
    index = 0
    r = min_row + 1
    while r <= ws.max_row:
        cells = [(col, c, ws.cell(r, c).value) for col, c in columns]
        filled = [(col, c, v) for col, c, v in cells if not is_empty(v)]
        if r > max_row and not filled:
            break  # rows typed just below the table belong to it, up to the first empty row
        if filled:
            for col, c, v in filled:
                values.append(RawValue(f"{group.address}.{index}.{col.name}", v, f"{ws.title}!{ws.cell(r, c).coordinate}"))
            index += 1
        r += 1
    return values, issues
