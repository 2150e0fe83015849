"""Read a returned workbook: identity from the hidden sheet, scalars by defined name, rows by table.

The package is read with lxml (``formgen.read.xlsx_package``) from the parts the hostile-file guard
unpacked while checking them.
"""

from __future__ import annotations

import re
from typing import Any, BinaryIO
from zipfile import ZipFile

from formgen.coerce import Context, is_empty
from formgen.layout.xlsx import (FORM_SHEET, META_FORM, META_HASH, META_SHEET, META_UNIT, META_VERSION, NAME_PREFIX,
                                 TABLE_PREFIX, defined_name, table_name)
from formgen.i18n import N_
from formgen.issues import Code, Issue, shown
from formgen.read.guard import check_package
from formgen.read.xlsx_package import (FORMAT, MAX_COLUMN, MAX_ROW, Book, coordinate_to_tuple, get_column_letter,
                                       range_boundaries, read_book)
from formgen.record import Identity, RawValue
from formgen.spec.model import FormSpec, Group


class XlsxReader:
    format = "xlsx"

    def open(self, stream: BinaryIO, package: ZipFile | None = None) -> Book:
        """``package``: the stream's zip directory, when the format sniffer read it (see ``check_package``)."""
        return read_book(check_package(stream, FORMAT, sheets="xl/worksheets/", package=package))

    def identity(self, book: Book) -> Identity | None:
        meta = book.cells.get(META_SHEET, {})
        keyed = {str(value): meta.get((row, 2)) for (row, col), value in meta.items() if col == 1}
        form, version, digest, unit = (keyed.get(k) for k in (META_FORM, META_VERSION, META_HASH, META_UNIT))
        if not form or not version:
            return None
        return Identity(str(form), str(version), str(digest) if digest else None, _text(unit))

    def field_names(self, book: Book) -> set[str]:
        """The addresses the workbook's defined names and tables are of (for recognising a form whose
        identity is gone)."""
        return {name[len(prefix):] for name in [*book.names, *book.tables] for prefix in (NAME_PREFIX, TABLE_PREFIX)
                if name.startswith(prefix)}

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
            row, col = coordinate_to_tuple(coord)
            value = book.value(sheet, row, col)
            if spec.in_total_row(fld) is not None:  # formgen's own locked =SUM: read, or computed when not yet
                if is_empty(value):
                    value = _uncalculated_sum(book, sheet, (row, col))
            else:
                issues.extend(_formula(book, spec, fld, fld.address, sheet, row, col))
            values.append(RawValue(fld.address, value, f"{sheet}!{coord}"))
        for group in spec.groups():
            rows, problems = _read_table(book, spec, group)
            values.extend(rows)
            issues.extend(problems)
        issues.extend(_outside_form(book, FORM_SHEET))
        return values, issues


def _formula(book: Book, spec: FormSpec, fld: Any, address: str, sheet: str, row: int, col: int) -> list[Issue]:
    """FORMULA when an input cell holds a formula (its value as last computed is read), FORMULA_NOT_COMPUTED
    when no computed value was saved with it (nothing could be read): never dropped silently."""
    found = book.formulas.get(sheet, {}).get((row, col))
    if found is None:
        return []
    text, cached = found
    formula = "…" if spec.is_pii(address) else "=" + shown(text.lstrip("="), 39)
    return [Issue(Code.FORMULA if cached else Code.FORMULA_NOT_COMPUTED, address,
                  f"{sheet}!{get_column_letter(col)}{row}", {"label": spec.labels_of(address), "formula": formula})]


def _bounds(ref: str | None) -> tuple[int | None, int | None, int | None, int | None] | None:
    """(min_col, min_row, max_col, max_row) of a range, None where a whole row or column leaves one
    open; None for text that is no range (``#REF!``, nothing)."""
    try:
        return range_boundaries(ref)
    except (ValueError, TypeError):
        return None


_SUM = re.compile(r"^=?SUM\(\$?([A-Z]{1,3})\$?(\d+):\$?([A-Z]{1,3})\$?(\d+)\)$")


def _uncalculated_sum(book: Book, sheet: str, at: tuple[int, int]) -> Any:
    """A total row's ``=SUM`` that no office program has calculated yet (formgen writes formulas without
    their values): the sum of the numbers in its range, as Excel and LibreOffice will compute it."""
    found = _SUM.match(book.formulas.get(sheet, {}).get(at, ("", False))[0])
    if found is None:
        return None
    min_col, min_row, max_col, max_row = range_boundaries(f"{found[1]}{found[2]}:{found[3]}{found[4]}")
    numbers = [v for (r, c), v in book.cells.get(sheet, {}).items()
               if min_row <= r <= max_row and min_col <= c <= max_col
               and isinstance(v, (int, float)) and not isinstance(v, bool)]
    return sum(numbers) if numbers else None


def _outside_form(book: Book, sheet: str) -> list[Issue]:
    """Text typed beside or below the printed form is not read: say so rather than drop it silently."""
    bounds = _bounds(book.print_areas.get(sheet))
    if bounds is None:
        return []
    min_col, min_row, max_col, max_row = bounds  # whole columns or rows: the open side has no limit
    min_col, min_row = min_col or 1, min_row or 1
    max_col, max_row = max_col or MAX_COLUMN, max_row or MAX_ROW
    outside = [(at, value) for at, value in book.cells.get(sheet, {}).items()
               if not (min_col <= at[1] <= max_col and min_row <= at[0] <= max_row)]
    return [Issue(Code.EXTRA_CONTENT, location=f"{sheet}!{get_column_letter(c)}{r}")
            for (r, c), value in sorted(outside) if not is_empty(value)]


def _read_table(book: Book, spec: FormSpec, group: Group) -> tuple[list[RawValue], list[Issue]]:
    # an Excel table; or, for rows with merged cells (which a table cannot hold), the range named as the group
    found = book.tables.get(table_name(group.address)) or book.ranges.get(defined_name(group.address))
    if found is None:
        return _read_without_table(book, spec, group)
    sheet, ref = found
    bounds = _bounds(ref)
    if bounds is None or None in bounds:
        return [], [Issue(Code.LAYOUT_CHANGED, group.address, f"{sheet}!{ref or ''}", {
            "label": spec.labels_of(group.address), "reason": N_("the table of rows no longer has a range of cells")})]
    min_col, min_row, max_col, max_row = bounds
    headers = {str(book.value(sheet, min_row, c) or "").strip(): c for c in range(min_col, max_col + 1)}
    columns = []
    issues: list[Issue] = []
    for col in group.shown_columns:
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
    cells = book.cells.get(sheet, {})
    last_row = max(cells)[0] if cells else max_row
    totals = [book.names.get(defined_name(f.address)) for f in spec.total_row(group).values()]
    below = [coordinate_to_tuple(where[1])[0] for where in totals if where is not None and where[0] == sheet]
    if below:
        last_row = min(below) - 1  # the total row closes the rows
    rows, problems = _rows(book, spec, group, sheet, columns, min_row + 1, last_row, max_row)
    return values + rows, issues + problems


def _rows(book: Book, spec: FormSpec, group: Group, sheet: str, columns: list[tuple[Any, int]], first: int,
          last: int, table_end: int) -> tuple[list[RawValue], list[Issue]]:
    """The filled rows from ``first`` to ``last``; after ``table_end``, only up to the first empty row."""
    values: list[RawValue] = []
    issues: list[Issue] = []
    index = 0
    cells, formula_cells, address = book.cells.get(sheet, {}), book.formulas.get(sheet, {}), group.address
    # each column's name and its cells' location but for the row number ("表单!B")
    places = [(col.name, c, f"{sheet}!{get_column_letter(c)}") for col, c in columns]
    for r in range(first, last + 1):
        filled = [(name, place, v) for name, c, place in places
                  if (v := cells.get((r, c))) is not None and not is_empty(v)]
        formulas = [(col, c) for col, c in columns if (r, c) in formula_cells] if formula_cells else []
        if r > table_end and not filled and not formulas:
            break  # rows typed just below the table belong to it, up to the first empty row
        for col, c in formulas:
            issues.extend(_formula(book, spec, col, f"{address}.{index}.{col.name}", sheet, r, c))
        if filled:
            prefix, row = f"{address}.{index}.", str(r)
            values.extend([RawValue(prefix + name, v, place + row) for name, place, v in filled])
            index += 1
    return values, issues


def _read_without_table(book: Book, spec: FormSpec, group: Group) -> tuple[list[RawValue], list[Issue]]:
    """A group whose Excel table the saving program dropped (Gnumeric, SheetJS): its rows are read below its
    header row, which must be whole and in one place, up to the next part of the form, with a warning."""
    label = spec.labels_of(group.address)
    titles = [col.title for col in group.shown_columns]
    cells = book.cells.get(FORM_SHEET, {})
    headers = [(r, c) for (r, c), v in cells.items() if str(v).strip() == titles[0]
               and [str(book.value(FORM_SHEET, r, c + i) or "").strip() for i in range(len(titles))] == titles]
    if len(headers) != 1:
        return [], [Issue(Code.LAYOUT_CHANGED, group.address, table_name(group.address), {
            "label": label, "reason": N_("the table of rows is missing")})]
    header, start = headers[0]
    others = {r for g in spec.groups() if g is not group for (r, c), v in cells.items()
              if str(v).strip() == g.shown_columns[0].title}
    named = {coordinate_to_tuple(where[1])[0] for where in book.names.values() if where and where[0] == FORM_SHEET}
    stops = [r for r in book.merged_rows.get(FORM_SHEET, set()) | others | named if r > header]
    last = min(stops, default=max((r for r, _c in cells), default=header) + 1) - 1
    columns = [(col, start + i) for i, col in enumerate(group.shown_columns)]
    values, issues = _rows(book, spec, group, FORM_SHEET, columns, header + 1, last, last)
    warning = Issue(Code.ROWS_WITHOUT_TABLE, group.address, f"{FORM_SHEET}!{get_column_letter(start)}{header}",
                    {"label": label, "count": len({v.address.split(".")[-2] for v in values})})
    return values, [warning, *issues]


def _text(value: Any) -> str | None:
    """A stamped code as text (a spreadsheet may have stored it as a number), None when absent."""
    if value is None or str(value).strip() == "":
        return None
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()
