"""Read a returned workbook: identity from the hidden sheet, scalars by defined name, rows by table.

openpyxl's read-only mode reads cell values (dates converted by their number
format, in the workbook's date system) about four times faster than its full
mode; the few parts it leaves out there (tables, print areas) are read from
the package with lxml.
"""

from __future__ import annotations

import posixpath
import warnings
import zipfile
from dataclasses import dataclass, field
from typing import Any, BinaryIO

from lxml import etree
from openpyxl import load_workbook
from openpyxl.utils.cell import coordinate_to_tuple, get_column_letter, range_boundaries
from openpyxl.xml.constants import MAX_COLUMN, MAX_ROW
from openpyxl.utils.datetime import CALENDAR_MAC_1904

from formgen.coerce import Context, is_empty
from formgen.layout.xlsx import (FORM_SHEET, META_FORM, META_HASH, META_SHEET, META_UNIT, META_VERSION, defined_name,
                                 table_name)
from formgen.i18n import N_
from formgen.issues import Code, Issue
from formgen.record import Identity, RawValue
from formgen.spec.model import FormSpec, Group

NS = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main",
      "r": "http://schemas.openxmlformats.org/officeDocument/2006/relationships",
      "rel": "http://schemas.openxmlformats.org/package/2006/relationships"}
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)


@dataclass
class Book:
    """What the reader needs of a workbook, independent of openpyxl's objects."""

    cells: dict[str, dict[tuple[int, int], Any]] = field(default_factory=dict)
    # defined name -> (sheet, "B5"); None when it no longer names one cell
    names: dict[str, tuple[str, str] | None] = field(default_factory=dict)
    tables: dict[str, tuple[str, str]] = field(default_factory=dict)  # table name -> (sheet, "A18:E24")
    print_areas: dict[str, str] = field(default_factory=dict)  # sheet -> "A1:E32"
    date1904: bool = False

    def value(self, sheet: str, row: int, col: int) -> Any:
        return self.cells.get(sheet, {}).get((row, col))


class XlsxReader:
    format = "xlsx"

    def open(self, stream: BinaryIO) -> Book:
        book = Book()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            wb = load_workbook(stream, read_only=True, data_only=True)
        try:
            book.date1904 = wb.epoch == CALENDAR_MAC_1904
            for ws in wb.worksheets:
                book.cells[ws.title] = {(c.row, c.column): c.value for row in ws.iter_rows() for c in row
                                        if getattr(c, "value", None) is not None}
            for name, dn in wb.defined_names.items():
                book.names[name] = _one_cell(dn)
        finally:
            wb.close()
        stream.seek(0)
        _read_package_parts(stream, book)
        return book

    def identity(self, book: Book) -> Identity | None:
        meta = book.cells.get(META_SHEET, {})
        keyed = {str(value): meta.get((row, 2)) for (row, col), value in meta.items() if col == 1}
        form, version, digest, unit = (keyed.get(k) for k in (META_FORM, META_VERSION, META_HASH, META_UNIT))
        if not form or not version:
            return None
        return Identity(str(form), str(version), str(digest) if digest else None, _text(unit))

    def context(self, book: Book) -> Context:
        return Context(date1904=book.date1904)

    def values(self, book: Book, spec: FormSpec) -> tuple[list[RawValue], list[Issue]]:
        values: list[RawValue] = []
        issues: list[Issue] = []
        for fld in spec.fields():
            name = defined_name(fld.address)
            where = book.names.get(name)
            if where is None or where[0] not in book.cells:
                reason = N_("its defined name is missing") if name not in book.names \
                    else N_("its defined name no longer points to one cell")
                issues.append(Issue(Code.LAYOUT_CHANGED, fld.address, name, {
                    "label": spec.labels_of(fld.address), "reason": reason}))
                continue
            sheet, coord = where
            values.append(RawValue(fld.address, book.value(sheet, *coordinate_to_tuple(coord)), f"{sheet}!{coord}"))
        for group in spec.groups():
            rows, problems = _read_table(book, spec, group)
            values.extend(rows)
            issues.extend(problems)
        issues.extend(_outside_form(book, FORM_SHEET))
        return values, issues


def _one_cell(dn: Any) -> tuple[str, str] | None:
    """A defined name's (sheet, "B5") when it names one cell of one sheet; None for a range, a column,
    or a reference deleted to ``#REF!``."""
    try:
        dests = list(dn.destinations)
    except (ValueError, TypeError, AttributeError):
        return None
    if len(dests) != 1:
        return None
    sheet, coord = dests[0]
    coord = coord.replace("$", "")
    bounds = _bounds(coord)
    if bounds is None or None in bounds or bounds[:2] != bounds[2:]:
        return None
    return sheet, coord


def _bounds(ref: str | None) -> tuple[int | None, int | None, int | None, int | None] | None:
    """(min_col, min_row, max_col, max_row) of a range, None where a whole row or column leaves one
    open; None for text that is no range (``#REF!``, nothing)."""
    try:
        return range_boundaries(ref)
    except (ValueError, TypeError):
        return None


def _read_package_parts(stream: BinaryIO, book: Book) -> None:
    """Tables and print areas, which openpyxl's read-only mode does not load."""
    with zipfile.ZipFile(stream) as zf:
        names = set(zf.namelist())
        workbook = etree.fromstring(zf.read("xl/workbook.xml"), _PARSER)
        rels = _rels(zf, "xl/_rels/workbook.xml.rels", names)
        sheets = []
        for sheet in workbook.iterfind("m:sheets/m:sheet", NS):
            target = rels.get(sheet.get(f"{{{NS['r']}}}id"), "")
            sheets.append((sheet.get("name"), _resolve("xl", target)))
        for dn in workbook.iterfind("m:definedNames/m:definedName", NS):
            local = dn.get("localSheetId")
            if dn.get("name") == "_xlnm.Print_Area" and local is not None and int(local) < len(sheets):
                area = (dn.text or "").split(",")[0].split("!")[-1].replace("$", "")
                book.print_areas[sheets[int(local)][0]] = area
        for sheet_name, sheet_path in sheets:
            folder, base = posixpath.split(sheet_path)
            for target in _rels(zf, f"{folder}/_rels/{base}.rels", names).values():
                table_path = _resolve(folder, target)
                if table_path in names and "/tables/" in table_path:
                    table = etree.fromstring(zf.read(table_path), _PARSER)
                    book.tables[table.get("displayName") or table.get("name")] = (sheet_name, table.get("ref"))


def _resolve(folder: str, target: str) -> str:
    """A relationship target as a package path (targets may be relative or absolute)."""
    if target.startswith("/"):
        return target.lstrip("/")
    return posixpath.normpath(posixpath.join(folder, target))


def _rels(zf: zipfile.ZipFile, path: str, names: set[str]) -> dict[str, str]:
    if path not in names:
        return {}
    root = etree.fromstring(zf.read(path), _PARSER)
    return {r.get("Id"): r.get("Target") for r in root.iterfind("rel:Relationship", NS)}


def _outside_form(book: Book, sheet: str) -> list[Issue]:
    """Text typed beside or below the printed form is not read: say so rather than drop it silently."""
    bounds = _bounds(book.print_areas.get(sheet))
    if bounds is None:
        return []
    min_col, min_row, max_col, max_row = bounds  # whole columns or rows: the open side has no limit
    min_col, min_row = min_col or 1, min_row or 1
    max_col, max_row = max_col or MAX_COLUMN, max_row or MAX_ROW
    return [Issue(Code.EXTRA_CONTENT, location=f"{sheet}!{get_column_letter(c)}{r}")
            for (r, c), value in sorted(book.cells.get(sheet, {}).items())
            if not is_empty(value) and not (min_col <= c <= max_col and min_row <= r <= max_row)]


def _read_table(book: Book, spec: FormSpec, group: Group) -> tuple[list[RawValue], list[Issue]]:
    found = book.tables.get(table_name(group.address))
    if found is None:
        return [], [Issue(Code.LAYOUT_CHANGED, group.address, table_name(group.address), {
            "label": spec.labels_of(group.address), "reason": N_("the table of rows is missing")})]
    sheet, ref = found
    bounds = _bounds(ref)
    if bounds is None or None in bounds:
        return [], [Issue(Code.LAYOUT_CHANGED, group.address, f"{sheet}!{ref or ''}", {
            "label": spec.labels_of(group.address), "reason": N_("the table of rows no longer has a range of cells")})]
    min_col, min_row, max_col, max_row = bounds
    headers = {str(book.value(sheet, min_row, c) or "").strip(): c for c in range(min_col, max_col + 1)}
    columns = []
    issues: list[Issue] = []
    for col in group.columns:
        if col.title not in headers:
            address = f"{group.address}.0.{col.name}"
            issues.append(Issue(Code.LAYOUT_CHANGED, address, f"{sheet}!{ref}", {
                "label": spec.labels_of(address), "reason": N_("a column header was changed")}))
            continue
        columns.append((col, headers[col.title]))
    values: list[RawValue] = [RawValue(group.address, None, f"{sheet}!{ref}")]
    for col, c in columns:
        letter = get_column_letter(c)
        values.append(RawValue(f"{group.address}.{col.name}", None, f"{sheet}!{letter}{min_row}:{letter}{max_row}"))
    last_row = max((r for r, _c in book.cells.get(sheet, {})), default=max_row)
    index = 0
    for r in range(min_row + 1, last_row + 1):
        filled = [(col, c, book.value(sheet, r, c)) for col, c in columns if not is_empty(book.value(sheet, r, c))]
        if r > max_row and not filled:
            break  # rows typed just below the table belong to it, up to the first empty row
        if filled:
            for col, c, v in filled:
                values.append(RawValue(f"{group.address}.{index}.{col.name}", v, f"{sheet}!{get_column_letter(c)}{r}"))
            index += 1
    return values, issues


def _text(value: Any) -> str | None:
    """A stamped code as text (a spreadsheet may have stored it as a number), None when absent."""
    if value is None or str(value).strip() == "":
        return None
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()
