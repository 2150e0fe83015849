"""A workbook's package read with lxml into a :class:`Book`: cells, defined names, tables, print areas,
formulas and merged rows.

The parts are the bytes :func:`formgen.read.guard.check_package` unpacked while checking them, so nothing
is inflated twice, and no part is parsed that the reader does not need.  Cell values are what openpyxl's
read-only, data-only mode gives: shared and inline strings, numbers (an int unless the text has a point or
an exponent), booleans, errors as their text, a formula's value as last computed, and numbers in a date or
duration number format converted in the workbook's date system.  openpyxl is not imported: its load was
two thirds of a read, and its objects are not needed to read values.
"""

from __future__ import annotations

import datetime
import io
import posixpath
import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Iterator

from lxml import etree

from formgen.i18n import N_
from formgen.layout.xlsx import NAME_PREFIX
from formgen.limits import LIMITS
from formgen.read.guard import refuse

M = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
REL = "http://schemas.openxmlformats.org/package/2006/relationships"
NS = {"m": M, "r": R, "rel": REL}
FORMAT = "Excel (.xlsx)"
MAX_ROW, MAX_COLUMN = 1048576, 16384
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)
_WHOLE_PART = 4 * 1024 * 1024  # bytes: a part up to this size is parsed whole, in a fifth less time
_CACHED_STYLES = 256 * 1024  # bytes: an office program's styles part, not one made to fill the cache
_ROW, _CELL, _VALUE, _FORMULA, _INLINE, _TEXT, _RUN, _MERGE, _SI = (
    f"{{{M}}}{t}" for t in ("row", "c", "v", "f", "is", "t", "r", "mergeCell", "si"))


@dataclass
class Book:
    """What the reader needs of a workbook."""

    cells: dict[str, dict[tuple[int, int], Any]] = field(default_factory=dict)
    # defined name -> (sheet, "B5"); None when it no longer names one cell
    names: dict[str, tuple[str, str] | None] = field(default_factory=dict)
    tables: dict[str, tuple[str, str]] = field(default_factory=dict)  # table name -> (sheet, "A18:E24")
    # defined name of a range of one sheet -> (sheet, "A18:E24"): the rows of a group whose cells are merged
    ranges: dict[str, tuple[str, str]] = field(default_factory=dict)
    print_areas: dict[str, str] = field(default_factory=dict)  # sheet -> "A1:E32"
    # sheet -> {(row, col): (formula text, whether a computed value was saved with it)}
    formulas: dict[str, dict[tuple[int, int], tuple[str, bool]]] = field(default_factory=dict)
    # sheet -> rows where a range merged across columns starts (a heading, not a run down a column)
    merged_rows: dict[str, set[int]] = field(default_factory=dict)
    date1904: bool = False

    def value(self, sheet: str, row: int, col: int) -> Any:
        return self.cells.get(sheet, {}).get((row, col))


# -- A1 references -------------------------------------------------------------------------------------------

_COORD = re.compile(r"\$?([A-Za-z]{1,3})\$?(\d+)")
_RANGE = re.compile(r"\$?(?P<min_col>[A-Za-z]{1,3})?\$?(?P<min_row>\d+)?"
                    r"(?P<sep>:\$?(?P<max_col>[A-Za-z]{1,3})?\$?(?P<max_row>\d+)?)?")
_COLUMNS: dict[str, int] = {}


def column_index(letters: str) -> int:
    """'A' -> 1, 'AB' -> 28; ValueError past XFD's ZZZ."""
    index = _COLUMNS.get(letters)
    if index is None:
        index = 0
        for ch in letters.upper():
            if not "A" <= ch <= "Z":
                raise ValueError(f"{letters!r} is not a column")
            index = index * 26 + ord(ch) - 64
        if not 0 < index < 18279 or len(letters) > 3:
            raise ValueError(f"{letters!r} is not a column")
        _COLUMNS[letters] = index
    return index


def get_column_letter(index: int) -> str:
    """1 -> 'A', 28 -> 'AB'."""
    letters = ""
    while index > 0:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def coordinate_to_tuple(coord: str) -> tuple[int, int]:
    """'B5' -> (5, 2) (row, column); ValueError for anything but one cell."""
    found = _COORD.fullmatch(coord)
    if found is None:
        raise ValueError(f"{coord!r} is not a cell")
    return int(found[2]), column_index(found[1])


@lru_cache(maxsize=4096)
def range_boundaries(ref: str) -> tuple[int | None, int | None, int | None, int | None]:
    """'A18:E24' -> (min_col, min_row, max_col, max_row), a lone cell its own range; None on the open side
    of whole rows or columns ('A:C', '3:5'); ValueError for text that is no range."""
    found = _RANGE.fullmatch(ref)
    if found is None or not any(found.groups()):
        raise ValueError(f"{ref!r} is not a range")
    min_col, min_row, max_col, max_row = (found[k] for k in ("min_col", "min_row", "max_col", "max_row"))
    if found["sep"] and not (all((min_col, max_col, min_row, max_row)) or min_col and max_col
                             and not (min_row or max_row) or min_row and max_row and not (min_col or max_col)):
        raise ValueError(f"{ref!r} is not a range")
    first_col = column_index(min_col) if min_col else None
    first_row = int(min_row) if min_row else None
    return (first_col, first_row, column_index(max_col) if max_col else first_col,
            int(max_row) if max_row else first_row)


#: a reference to cells of one sheet: 'Sheet 1'!$A$1:$B$2 or 表单!$B$5
_SHEET_REF = re.compile(r"(?:'(?P<quoted>(?:[^']|'')*)'|(?P<plain>[^'\s!]*))!(?P<cells>[$A-Za-z0-9:]+)")


def one_cell(text: str | None) -> tuple[str, str] | None:
    """A defined name's (sheet, "B5") when its text names one cell of one sheet; None for a range, a column,
    several areas, or a reference deleted to ``#REF!``."""
    found = _sheet_area(text)
    if found is None or found[1][:2] != found[1][2:]:
        return None
    sheet, bounds = found
    return sheet, f"{get_column_letter(bounds[0])}{bounds[1]}"


def one_range(text: str | None) -> tuple[str, str] | None:
    """A defined name's (sheet, "A5:J55") when its text names one rectangle of one sheet."""
    found = _sheet_area(text)
    if found is None:
        return None
    sheet, (min_col, min_row, max_col, max_row) = found
    return sheet, f"{get_column_letter(min_col)}{min_row}:{get_column_letter(max_col)}{max_row}"


@lru_cache(maxsize=4096)
def _sheet_area(text: str | None) -> tuple[str, tuple[int, int, int, int]] | None:
    """The sheet and the bounds of the one closed rectangle a reference names, or None."""
    found = _SHEET_REF.fullmatch((text or "").strip())
    if found is None:
        return None
    try:
        bounds = range_boundaries(found["cells"])
    except ValueError:
        return None
    if None in bounds:
        return None
    sheet = found["plain"] if found["quoted"] is None else found["quoted"].replace("''", "'")
    return sheet, bounds


# -- dates -----------------------------------------------------------------------------------------------

#: the built-in number formats that are dates, times or durations (the others are numbers or text)
_BUILTIN_FORMATS = {14: "mm-dd-yy", 15: "d-mmm-yy", 16: "d-mmm", 17: "mmm-yy", 18: "h:mm AM/PM",
                    19: "h:mm:ss AM/PM", 20: "h:mm", 21: "h:mm:ss", 22: "m/d/yy h:mm", 45: "mm:ss",
                    46: "[h]:mm:ss", 47: "mmss.0"}
_LITERALS = re.compile(r'".*?"|\[(?!hh?\]|mm?\]|ss?\])[^\]]*\]')  # quoted text, colours and locales
_DATE_PART = re.compile(r"(?<![_\\])[dmhysDMHYS]")
_DURATION = re.compile(r"\[hh?\](:mm(:ss(\.0*)?)?)?|\[mm?\](:ss(\.0*)?)?|\[ss?\](\.0*)?", re.I)
WINDOWS_EPOCH, MAC_EPOCH = datetime.datetime(1899, 12, 30), datetime.datetime(1904, 1, 1)


def _is_date_format(code: str) -> bool:
    return _DATE_PART.search(_LITERALS.sub("", code.split(";")[0])) is not None


def _is_duration_format(code: str) -> bool:
    return _DURATION.search(code.split(";")[0]) is not None


def from_serial(value: float, date1904: bool, duration: bool) -> Any:
    """A date serial number as a datetime (a time for a fraction of a day, a timedelta in a duration format),
    as Excel shows it: day 60 of the 1900 system is Excel's 29 February 1900, which never was."""
    if duration:
        delta = datetime.timedelta(days=value)
        if delta.microseconds:
            delta = datetime.timedelta(seconds=delta.total_seconds() // 1, microseconds=round(delta.microseconds, -3))
        return delta
    day, fraction = divmod(value, 1)
    diff = datetime.timedelta(milliseconds=round(fraction * 86400 * 1000))
    if 0 <= value < 1 and diff.days == 0:
        seconds = diff.seconds
        return datetime.time(seconds // 3600, seconds // 60 % 60, seconds % 60, diff.microseconds)
    if 0 < value < 60 and not date1904:
        day += 1
    return (MAC_EPOCH if date1904 else WINDOWS_EPOCH) + datetime.timedelta(days=day) + diff


def _iso_date(text: str) -> Any:
    """A cell of type 'd' (an ISO 8601 date, time or date and time)."""
    text = text.strip().removesuffix("Z")
    if "T" in text:
        return datetime.datetime.fromisoformat(text)
    if ":" in text:
        return datetime.time.fromisoformat(text)
    return datetime.date.fromisoformat(text)


# -- the package -----------------------------------------------------------------------------------------

def read_book(parts: dict[str, bytes]) -> Book:
    """The Book of a workbook whose XML parts are ``parts``."""
    book = Book()
    workbook = _xml(parts, "xl/workbook.xml")
    rels = _rels(parts, "xl/_rels/workbook.xml.rels")
    pr = workbook.find("m:workbookPr", NS)
    book.date1904 = pr is not None and (pr.get("date1904") or "").lower() in ("1", "true", "on")
    targets = {kind: _resolve("xl", target) for _id, (kind, target) in rels.items()}
    strings = _shared_strings(parts.get(targets.get("sharedStrings", "xl/sharedStrings.xml")))
    dates, durations = _date_styles(parts.get(targets.get("styles", "xl/styles.xml")))
    sheets = [(sheet.get("name"), *rels.get(sheet.get(f"{{{R}}}id"), ("", "")))
              for sheet in workbook.iterfind("m:sheets/m:sheet", NS)]
    _defined_names(workbook, [name for name, _kind, _target in sheets], book)
    for name, kind, target in sheets:
        if kind != "worksheet":
            continue
        path = _resolve("xl", target)
        if path not in parts:
            raise KeyError(path)  # a workbook whose sheet is gone is damaged
        cells, formulas, merged = _sheet(parts[path], name, strings, dates, durations, book.date1904)
        book.cells[name], book.formulas[name], book.merged_rows[name] = cells, formulas, merged
        book.tables.update(_tables(parts, path, name))
    return book


def _xml(parts: dict[str, bytes], path: str) -> etree._Element:
    return etree.fromstring(parts[path], _PARSER)


def _rels(parts: dict[str, bytes], path: str) -> dict[str, tuple[str, str]]:
    """A relationships part: id -> (the last word of its type, its target)."""
    if path not in parts:
        return {}
    return {r.get("Id"): (r.get("Type", "").rsplit("/", 1)[-1], r.get("Target", ""))
            for r in _xml(parts, path).iterfind("rel:Relationship", NS)}


def _resolve(folder: str, target: str) -> str:
    """A relationship target as a package path (targets may be relative or absolute)."""
    if target.startswith("/"):
        return target.lstrip("/")
    return posixpath.normpath(posixpath.join(folder, target))


def _defined_names(workbook: etree._Element, sheets: list[str], book: Book) -> None:
    """The workbook's own defined names (each the cell it names, or None), and each sheet's print area."""
    for dn in workbook.iterfind("m:definedNames/m:definedName", NS):
        local, name = dn.get("localSheetId"), dn.get("name")
        if local is None:
            book.names[name] = one_cell(dn.text)
            if book.names[name] is None and name.startswith(NAME_PREFIX):
                found = one_range(dn.text)
                if found is not None:
                    book.ranges[name] = found
        elif name == "_xlnm.Print_Area" and local.isdigit() and int(local) < len(sheets):
            book.print_areas[sheets[int(local)]] = (dn.text or "").split(",")[0].split("!")[-1].replace("$", "")


def _text_of(node: etree._Element) -> str:
    """A string item's text: its plain text and its runs' texts (phonetic guides left out)."""
    if len(node) == 1 and node[0].tag == _TEXT:  # plain text, as nearly every string is
        return node[0].text or ""
    plain = node.find(_TEXT)
    texts = [plain.text or ""] if plain is not None else []
    texts.extend(t.text or "" for t in node.iterfind(f"{_RUN}/{_TEXT}"))
    return "".join(texts)


def _shared_strings(data: bytes | None) -> list[str]:
    if data is None:
        return []
    return [_text_of(node).replace("x005F_", "") for node in _items_of(data)]


def _items_of(data: bytes) -> Iterator[etree._Element]:
    """The string items of a shared strings part in the order a stream of it ends them: a small part is
    parsed whole where every item is a child of the part's root, so that none lies inside another (a part
    that does not parse makes the workbook unreadable however it is read)."""
    if len(data) <= _WHOLE_PART:
        root = etree.fromstring(data, _PARSER)
        if root.tag != _SI and sum(1 for _node in root.iterchildren(_SI)) == sum(1 for _node in root.iter(_SI)):
            return root.iterchildren(_SI)
    return _streamed(data, _SI)


def _date_styles(data: bytes | None) -> tuple[frozenset[int], frozenset[int]]:
    """The cell styles (indices of cellXfs) whose number format is a date or time, and those of a duration.
    The returns of one form share their styles part: a small one is read once."""
    if data is None:
        return frozenset(), frozenset()
    return _read_date_styles(data) if len(data) > _CACHED_STYLES else _cached_date_styles(data)


def _read_date_styles(data: bytes) -> tuple[frozenset[int], frozenset[int]]:
    styles = etree.fromstring(data, _PARSER)
    custom = {f.get("numFmtId"): f.get("formatCode") or "" for f in styles.iterfind("m:numFmts/m:numFmt", NS)}
    dates, durations = set(), set()
    for index, xf in enumerate(styles.iterfind("m:cellXfs/m:xf", NS)):
        number_format = xf.get("numFmtId", "0")
        code = custom.get(number_format)
        if code is None:
            code = _BUILTIN_FORMATS.get(int(number_format) if number_format.isdigit() else -1)
        if code is not None and _is_date_format(code):
            dates.add(index)
            if _is_duration_format(code):
                durations.add(index)
    return frozenset(dates), frozenset(durations)


_cached_date_styles = lru_cache(maxsize=32)(_read_date_styles)


def _sheet(data: bytes, title: str, strings: list[str], dates: frozenset[int], durations: frozenset[int],
           date1904: bool) -> tuple[dict[tuple[int, int], Any], dict[tuple[int, int], tuple[str, bool]], set[int]]:
    """A sheet's cells that hold a value, its formulas (text, whether a computed value was saved) and the rows
    where merged ranges start.  The sheet's declared dimension is ignored: only the cells written are read,
    and a cell without children (formatting only) is passed over unparsed.  A value is what openpyxl reads:
    an inline or shared string, a number (an int unless the text has a point or an exponent) or, in a date
    or duration style, the date, time or duration it stands for; a formula's value as last computed.
    This loop is most of a read's time: each style's date test and each date's serial number are worked out
    once."""
    cells: dict[tuple[int, int], Any] = {}
    formulas: dict[tuple[int, int], tuple[str, bool]] = {}
    merged: set[int] = set()
    numbers: dict[str | None, tuple[bool, bool]] = {None: (False, False)}  # style -> (a date?, a duration?)
    dated: dict[tuple[str, bool], Any] = {}  # (a date's serial number as written, a duration?) -> its value
    limit, columns = LIMITS.cell_chars, _COLUMNS
    row = 0
    for node in _rows_of(data):
        if node.tag == _MERGE:
            top = _heading_row(node.get("ref"))
            if top:
                merged.add(top)
            continue
        number = node.get("r")
        row = int(float(number)) if number else row + 1
        # a cell's reference is nearly always its column's letters and this row's number as written
        digits = number if number and len(number) < 10 and number.isascii() and number.isdigit() else None
        cut = -len(digits) if digits else 0
        last, after = None, 0  # the last cell reference met in the row, and how many cells came since
        for cell in node.iterchildren(_CELL):
            ref = cell.get("r")
            if ref:
                last, after = ref, 0
            else:
                after += 1
            if not len(cell):
                continue
            v = f = inline = None
            for child in cell:
                tag = child.tag
                if tag == _VALUE:
                    v = child.text
                elif tag == _FORMULA:
                    f = child
                elif tag == _INLINE:
                    inline = child
            if last is None:
                at = (row, after)
            elif digits is not None and last.endswith(digits) and (col := columns.get(last[:cut])):
                at = (row, col + after)  # the letters were read as a column before: no need to parse them
            else:
                at = coordinate_to_tuple(last)
                at = (at[0], at[1] + after)
            if f is not None:
                formulas[at] = (f.text or "", bool(v))
            kind = cell.get("t", "n")
            if kind == "inlineStr":
                if inline is None:
                    continue
                value = _text_of(inline)
            elif not v:
                continue
            elif kind == "s":
                value = strings[int(v)]
            elif kind == "n":
                style = cell.get("s")
                found = numbers.get(style)
                if found is None:
                    found = numbers[style] = (int(style) in dates, int(style) in durations) if style else (False, False)
                if not found[0]:
                    cells[at] = float(v) if "." in v or "E" in v or "e" in v else int(v)
                    continue
                value = dated.get((v, found[1]))
                if value is None:
                    serial = float(v) if "." in v or "E" in v or "e" in v else int(v)
                    try:
                        value = from_serial(serial, date1904, found[1])
                    except (OverflowError, ValueError):
                        value = "#VALUE!"  # a date out of every calendar: Excel shows an error
                    dated[v, found[1]] = value
                if type(value) is not str:
                    cells[at] = value
                    continue
            else:
                value = _value(kind, v)
                if type(value) is not str:
                    cells[at] = value
                    continue
            if len(value) > limit:
                raise refuse(FORMAT, N_("a cell ({cell}) holds more than {limit} characters, more than Excel "
                                        "allows"), cell=f"{title}!{get_column_letter(at[1])}{at[0]}",
                             limit=limit)
            cells[at] = _unescape(value) if "_x" in value else value
    return cells, formulas, merged


def _rows_of(data: bytes) -> Iterator[etree._Element]:
    """A sheet's rows and merged ranges in the order a stream of the sheet ends them.  A small sheet is
    parsed whole where none of them lies inside another (so that they end in the order they start); any
    other sheet, a broken one too, streams a row at a time, its cells read, and refused, in that order."""
    if len(data) <= _WHOLE_PART:
        try:
            root = etree.fromstring(data, _PARSER)
        except etree.LxmlError:
            root = None
        if root is not None and _in_place(root):
            return root.iter(_ROW, _MERGE)
    return _streamed(data, (_ROW, _MERGE))


def _in_place(root: etree._Element) -> bool:
    """Whether every row and merged range of a sheet is a child of a child of the sheet (``sheetData`` and
    ``mergeCells``), where none can lie inside another."""
    placed = sum(1 for part in root if part.tag not in (_ROW, _MERGE) for _node in part.iterchildren(_ROW, _MERGE))
    return placed == sum(1 for _node in root.iter(_ROW, _MERGE))


def _streamed(data: bytes, tags: str | tuple[str, ...]) -> Iterator[etree._Element]:
    """The elements of ``tags`` as a stream of ``data`` ends them, each cleared once read."""
    for _event, node in etree.iterparse(io.BytesIO(data), events=("end",), tag=tags,
                                        resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False):
        yield node
        node.clear()


def _heading_row(ref: str | None) -> int | None:
    """The first row of a range merged across columns (a heading); None for a run down one column."""
    try:
        min_col, min_row, max_col, _max_row = range_boundaries(ref or "")
    except ValueError:
        return None
    return min_row if min_col != max_col else None


def _value(kind: str, text: str) -> Any:
    """The value of a cell of a kind other than a string or a number, from its ``<v>`` text (not empty): a
    boolean, an ISO 8601 date, or text (a formula's text result, an error such as #N/A)."""
    if kind == "b":
        return bool(int(text))
    if kind == "d":
        return _iso_date(text)
    return text  # "str" (a formula's text) and "e" (an error such as #N/A)


_ESCAPE = re.compile(r"_x([0-9A-Fa-f]{4})_")


def _unescape(text: str) -> str:
    """Decode Excel's escapes of characters XML cannot hold (``_x0007_`` is BEL, ``_x005F_`` an underscore);
    the control characters they stand for are removed with the others from typed text."""
    return _ESCAPE.sub(lambda m: chr(int(m[1], 16)), text) if "_x" in text else text


def _tables(parts: dict[str, bytes], sheet_path: str, title: str) -> dict[str, tuple[str, str]]:
    """The Excel tables of a sheet: display name -> (sheet, range)."""
    folder, base = posixpath.split(sheet_path)
    found = {}
    for kind, target in _rels(parts, f"{folder}/_rels/{base}.rels").values():
        path = _resolve(folder, target)
        if kind == "table" and path in parts:
            table = _xml(parts, path)
            found[table.get("displayName") or table.get("name")] = (title, table.get("ref"))
    return found
