"""A batch's outputs for people: ``report.xlsx``, a 退回修改通知 per unit, and ``催报名单.csv``.

All three are made from the batch's results (the lines of ``results.jsonl``, contract of issue 9) and,
when a roster was given, its submission table (one row per unit and form the unit must return).

``report.xlsx`` has four sheets, named and headed in the report's language:

- 汇总 (Summary): counts per form and status, counts per unit and status, and a stacked bar chart of
  each unit's state (合格 / 不合格 / 未报送 / 逾期 from the submission table; without a roster only
  合格 / 不合格 files are known per unit);
- 问题清单 (Issues): one row per issue, error rows red and warning rows yellow (conditional formatting,
  so the colours follow the rows when a clerk sorts or filters);
- 报送情况 (Submissions), when a roster was given: per unit and form, its state and contact;
- 文件清单 (Files): every file and its status in words.

The workbook is written in openpyxl's write-only mode: rows stream to disk as they are made, so memory
stays flat however many results there are.  ``results`` is a callable giving a fresh iterator, and the
report makes three passes over it: one to count (and to size the columns), one for the issues, one for
the files; only the counts per form and per unit are held.

Every text cell goes through :func:`formgen.export.neutralise` (formula-like text made inert, control
characters removed).  Nothing here reads record values: issues in the results carry labels and codes
only, so no personal data reaches these files.
"""

from __future__ import annotations

import csv
import gc
import datetime as dt
import functools
import io
import math
import re
import sqlite3
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterable, Iterator

from docx import Document
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt
from openpyxl import Workbook
from openpyxl.chart import BarChart, Reference
from openpyxl.formatting.rule import CellIsRule, FormulaRule
from openpyxl.styles import Alignment, Border, Font, NamedStyle, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from formgen.compile.docx_letter import FONT_FANGSONG, FONT_HEITI, FONT_XIAOBIAOSONG
from formgen.compile.docx_template import FONT_LATIN
from formgen.export import CELL_CHARS, clean, fit, length, neutralise
from formgen.fsutil import atomic_path
from formgen.i18n import N_, normalise
from formgen.issues import Code, Issue
from formgen.i18n import gettext as _
from formgen.xlsxrows import Rows

if TYPE_CHECKING:
    from formgen.batch.roster import Roster

Results = Callable[[], Iterable[dict]]

REPORT_NAME = "report.xlsx"
REMINDERS_NAME = "催报名单.csv"
RETURNS_DIR = "退回"

CST = dt.timezone(dt.timedelta(hours=8))

#: A file's status (results.jsonl) and a unit's state for one form (the submission table), in words.
FILE_STATUSES = ("valid", "invalid", "unreadable", "duplicate", "superseded", "skipped")
SUBMISSION_STATUSES = ("valid", "invalid", "missing", "late", "duplicate")
STATUS_WORDS = {
    "valid": N_("valid"), "invalid": N_("invalid"), "unreadable": N_("unreadable"),
    "duplicate": N_("duplicate"), "superseded": N_("superseded"), "skipped": N_("skipped"),
    "missing": N_("missing"), "late": N_("late"),
}
SEVERITY_WORDS = {"error": N_("error"), "warning": N_("warning")}
#: The chart's series: a unit's state per form (with a roster), or its files (without one).
CHARTED = ("valid", "invalid", "missing", "late")
CHARTED_WITHOUT_ROSTER = ("valid", "invalid")
COLOURS = {"valid": "70AD47", "invalid": "C00000", "missing": "A6A6A6", "late": "ED7D31"}
#: Fills for rows and status cells: errors red, warnings yellow, good green, late orange, other grey.
FILL_ERROR, FILL_WARNING, FILL_GOOD, FILL_LATE, FILL_OTHER = "FFC7CE", "FFEB9C", "C6EFCE", "FCD5B4", "EDEDED"
STATUS_FILLS = {"valid": FILL_GOOD, "invalid": FILL_ERROR, "unreadable": FILL_ERROR, "missing": FILL_OTHER,
                "late": FILL_LATE, "duplicate": FILL_WARNING, "superseded": FILL_OTHER, "skipped": FILL_OTHER}


# -- shared helpers ----------------------------------------------------------------------------

def _target(out: Path, name: str) -> Path:
    """``out`` itself when it names a file of ``name``'s kind, else ``out/name`` (``out`` is OUTDIR)."""
    out = Path(out)
    return out if out.suffix.lower() == Path(name).suffix else out / name


def _unit(result: dict) -> tuple[str | None, str]:
    unit = result.get("unit") or {}
    return (unit.get("code") or None), unit.get("name") or ""


def _received(result: dict) -> dt.datetime | None:
    """The received time in China Standard Time, without a zone (a spreadsheet cannot hold one)."""
    text = result.get("received_at")
    if not text:
        return None
    try:
        when = dt.datetime.fromisoformat(text)
    except ValueError:
        return None
    if when.tzinfo is not None:
        when = when.astimezone(CST).replace(tzinfo=None)
    return when


@functools.lru_cache(maxsize=4096)  # statuses, forms, unit names and messages recur on every row
def _width(text: str) -> int:
    """Display width in spreadsheet column units: a Chinese character takes two."""
    if text.isascii():  # paths, codes, numbers: no wide character
        return len(text)
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _status(status: str, lang: str) -> str:
    return _(STATUS_WORDS[status], lang) if status in STATUS_WORDS else status


# -- report.xlsx -------------------------------------------------------------------------------

class _Units:
    """The files per unit, counted in a temporary database (on disk past a few MiB), so that a round of any
    number of units is counted in flat memory: per unit code, the first name given with it, its files of each
    of FILE_STATUSES and its late files."""

    def __init__(self) -> None:
        self.db = sqlite3.connect("")  # SQLite's own temporary database, removed when closed
        statuses = ", ".join(f"s{i} INTEGER NOT NULL" for i in range(len(FILE_STATUSES)))
        self.db.execute(f"CREATE TABLE units (code TEXT PRIMARY KEY, name TEXT NOT NULL, {statuses}, "
                        "late INTEGER NOT NULL)")
        added = ", ".join(f"s{i}=s{i}+excluded.s{i}" for i in range(len(FILE_STATUSES)))
        self.upsert = (f"INSERT INTO units VALUES (?, ?, {', '.join('?' * (len(FILE_STATUSES) + 1))}) "
                       f"ON CONFLICT (code) DO UPDATE SET name=CASE name WHEN '' THEN excluded.name ELSE name END, "
                       f"{added}, late=late+excluded.late")
        self.pending: list[tuple] = []

    def add(self, code: str | None, name: str, status: str, late: bool) -> None:
        counts = [int(status == s) for s in FILE_STATUSES]
        self.pending.append((code or "", name if code else "", *counts, int(late)))  # "": no unit recognised
        if len(self.pending) >= 500:
            self._flush()

    def _flush(self) -> None:
        self.db.executemany(self.upsert, self.pending)
        self.pending = []

    def names(self) -> Iterator[str]:
        """The name of each recognised unit that has one."""
        self._flush()
        return (name for (name,) in self.db.execute("SELECT name FROM units WHERE code<>'' AND name<>''"))

    def rows(self) -> Iterator[tuple[str | None, str, list[int]]]:
        """(unit code or None, its name, its files of each of FILE_STATUSES, then its late files), by code, the files
        of no recognised unit last."""
        self._flush()
        for code, name, *counts in self.db.execute("SELECT * FROM units ORDER BY code='', code"):
            yield code or None, name, counts

    def close(self) -> None:
        self.db.close()


@dataclass
class _Tally:
    """What the first pass over the results counts: all the summary needs, and the column widths."""

    lang: str
    total: Counter = field(default_factory=Counter)
    late: int = 0
    errors: int = 0
    warnings: int = 0
    forms: dict[str | None, Counter] = field(default_factory=dict)
    units: _Units = field(default_factory=_Units)
    issue_widths: list[int] = field(default_factory=list)
    file_widths: list[int] = field(default_factory=list)

    def add(self, result: dict) -> None:
        status = result.get("status") or ""
        late = bool(result.get("late"))
        self.total[status] += 1
        self.late += late
        code, name = _unit(result)
        counter = self.forms.setdefault(result.get("form"), Counter())
        counter[status] += 1
        counter["late"] += late
        self.units.add(code, name, status, late)
        for issue in result.get("issues") or ():
            if issue.get("severity") == "error":
                self.errors += 1
            else:
                self.warnings += 1
            _widen(self.issue_widths, _issue_row(result, issue, self.lang))
        _widen(self.file_widths, _file_row(result, self.lang))


#: Styles whose text wraps, and the height of one line of 11 pt Chinese text (points).
WRAPPED = ("fg_text", "fg_head", "fg_total")
LINE_HEIGHT = 15.6
MAX_ROW_HEIGHT = 409  # points: Excel refuses a taller row
#: How a received time is shown (the ``fg_when`` number format), for its column's width.
WHEN_SHOWN = "2021-03-09 10:20"
#: Characters of a value measured for its column's width: more than the widest column holds.
MEASURED = 80


def _widen(widths: list[int], row: list) -> None:
    for i, value in enumerate(row):
        text = value if isinstance(value, str) else WHEN_SHOWN if isinstance(value, dt.datetime) else ""
        longest = max((_width(line[:MEASURED]) for line in text.split("\n")), default=0)
        if i >= len(widths):
            widths.append(longest)
        else:
            widths[i] = max(widths[i], longest)


def _column_widths(headers: list[str], seen: list[int], caps: list[int]) -> list[float]:
    """Wide enough for the header and the longest value, up to a cap beyond which the text wraps."""
    return [min(max(_width(h), seen[i] if i < len(seen) else 0, 6) + 2, caps[i]) for i, h in enumerate(headers)]


class _Sheet:
    """A write-only worksheet with formgen's cell styles; rows are appended (streamed) and counted."""

    def __init__(self, wb: Workbook, title: str, widths: list[float], lang: str, cut: list[Issue],
                 freeze: str | None = None):
        """``cut`` collects a warning (FG125) for each text too long for a cell, written cut with a marker."""
        self.ws = wb.create_sheet(title)
        self.title, self.lang, self.cut = title, lang, cut
        self.widths = widths
        for i, width in enumerate(widths, 1):
            self.ws.column_dimensions[get_column_letter(i)].width = width
        if freeze:
            self.ws.freeze_panes = freeze
        self.ws.sheet_properties.pageSetUpPr.fitToPage = True  # written with the first row, so set now
        self.rows = Rows(self.ws)

    @property
    def row(self) -> int:
        return self.rows.row

    def append(self, values: Iterable, style: str = "fg_text") -> int:
        values = list(values)
        lines = self._lines(values) if style in WRAPPED else 1
        cells = [self._cell(v, style) for v in values]
        return self.rows.append([c[0] for c in cells], [c[1] for c in cells],
                                min(lines * LINE_HEIGHT, MAX_ROW_HEIGHT) if lines > 1 else None)

    def _lines(self, values: list) -> int:
        """How many lines the row's wrapped text takes (LibreOffice does not fit row heights on opening)."""
        most = 1
        for value, width in zip(values, self.widths):
            if isinstance(value, str) and value:
                room = max(width - 1.5, 1)
                most = max(most, sum(max(1, math.ceil(_width(line) / room)) for line in value.split("\n")))
        return most

    def _cell(self, value: Any, style: str) -> tuple[Any, str | None]:
        """The value as written and its style; (None, None) for an empty cell."""
        if value is None or value == "":
            return None, None
        if isinstance(value, str):
            text = neutralise(value)
            if length(text) > CELL_CHARS:
                row = self.row + 1
                self.cut.append(Issue(Code.REPORT_CELL_CUT, location=f"{self.title}!{row}", params={
                    "sheet": self.title, "row": row, "length": len(text), "limit": CELL_CHARS}))
                text = fit(text, CELL_CHARS, _("… [cut: {length} characters in all]", self.lang).format(
                    length=len(text)))
            return text, style
        return value, "fg_when" if isinstance(value, dt.datetime) else \
            "fg_total_number" if style == "fg_total" else "fg_number"

    def skip(self) -> None:
        self.append([])

    def finish(self, lang: str, header_row: int | None, columns: int) -> None:
        """Print setup: A4 landscape, fit to the page width, the header row on every page, page numbers; then
        the sheet is complete (conditional formats and charts are added before)."""
        ws = self.ws
        ws.page_setup.orientation = "landscape"
        ws.page_setup.paperSize = Worksheet.PAPERSIZE_A4
        ws.page_setup.fitToWidth = 1
        ws.page_setup.fitToHeight = 0
        ws.print_options.gridLines = True
        ws.page_margins.left = ws.page_margins.right = 0.5
        ws.page_margins.top = ws.page_margins.bottom = 0.6
        ws.oddFooter.center.text = _("Page &P of &N", lang)
        ws.oddFooter.center.size = 9
        if header_row:
            ws.print_title_rows = f"{header_row}:{header_row}"
            last = max(self.row, header_row)
            ws.auto_filter.ref = f"A{header_row}:{get_column_letter(columns)}{last}"
        self.rows.close()


def _styles(wb: Workbook) -> None:
    thin = Side(style="thin", color="808080")
    top = Alignment(wrap_text=True, vertical="top")
    centre = Alignment(wrap_text=True, vertical="center", horizontal="center")
    head_fill = PatternFill("solid", fgColor="D9E1F2")
    for style in (
        NamedStyle("fg_text", alignment=top),
        NamedStyle("fg_number", alignment=Alignment(vertical="top")),
        NamedStyle("fg_when", alignment=Alignment(vertical="top"), number_format="yyyy-mm-dd hh:mm"),
        NamedStyle("fg_title", font=Font(bold=True, size=14)),
        NamedStyle("fg_note", alignment=Alignment(vertical="top")),
        NamedStyle("fg_section", font=Font(bold=True, size=12)),
        NamedStyle("fg_head", font=Font(bold=True), fill=head_fill, alignment=centre,
                   border=Border(top=thin, bottom=thin, left=thin, right=thin)),
        NamedStyle("fg_total", font=Font(bold=True), alignment=top),
        NamedStyle("fg_total_number", font=Font(bold=True), alignment=Alignment(vertical="top")),
    ):
        wb.add_named_style(style)


def _fill(colour: str) -> PatternFill:
    return PatternFill(start_color=colour, end_color=colour, fill_type="solid", bgColor=colour)


def _colour_statuses(ws, ref: str, lang: str, statuses: Iterable[str]) -> None:
    for status in statuses:
        ws.conditional_formatting.add(ref, CellIsRule(operator="equal", formula=[_quoted(_status(status, lang))],
                                                      fill=_fill(STATUS_FILLS[status])))


def _quoted(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


def write_report(out: Path, results: Results, submissions: list[dict] | None, lang: str) -> list[Issue]:
    """Write ``report.xlsx`` (``out`` is the file, or OUTDIR to write ``OUTDIR/report.xlsx`` in); return a warning
    (FG125) for each text too long for a cell, which is written cut with a marker."""
    lang = normalise(lang)
    target = _target(out, REPORT_NAME)
    tally = _Tally(lang)
    for result in results():
        tally.add(result)

    wb = Workbook(write_only=True)
    _styles(wb)
    cut: list[Issue] = []
    _summary_sheet(wb, tally, submissions, lang, cut)
    tally.units.close()
    _issues_sheet(wb, results, tally, lang, cut)
    if submissions is not None:
        _submissions_sheet(wb, submissions, lang, cut)
    _files_sheet(wb, results, tally, lang, cut)
    wb.properties.creator = "formgen"
    wb.properties.title = _("Report of the returns", lang)
    with atomic_path(target) as tmp:
        wb.save(tmp)
    return cut


# -- 汇总 / Summary

def _summary_sheet(wb: Workbook, tally: _Tally, submissions: list[dict] | None, lang: str, cut: list[Issue]) -> None:
    names = [max(map(_width, tally.units.names()), default=0), _width(_("(unit not recognised)", lang))]
    titles = {row["form"]: row.get("form_title") or "" for row in submissions or ()}
    names += [_width(t) for t in titles.values()]
    count_width = max(_width(_status(s, lang)) for s in (*FILE_STATUSES, *SUBMISSION_STATUSES)) + 3
    codes = [_width(f) for f in tally.forms if f] + [_width(_("(form not recognised)", lang)), 12]
    widths = [min(max(codes) + 2, 30), min(max([24, *names]) + 2, 40)] + [max(count_width, 9)] * 8
    sheet = _Sheet(wb, _("Summary", lang), widths, lang, cut)
    ws = sheet.ws
    sheet.append([_("Report of the returns", lang)], "fg_title")
    total = sum(tally.total.values())
    sheet.append([_("{total} file(s): {valid} valid, {invalid} invalid, {unreadable} unreadable, {duplicate} "
                    "duplicate, {superseded} superseded, {skipped} skipped; {late} late.", lang).format(
        total=total, late=tally.late, **{s: tally.total[s] for s in FILE_STATUSES})], "fg_note")
    sheet.skip()

    status_heads = [_status(s, lang) for s in FILE_STATUSES] + [_("Total", lang), _("of which late", lang)]
    sheet.append([_("Files per form", lang)], "fg_section")
    sheet.append([_("Form", lang), _("Form title", lang), *status_heads], "fg_head")
    for form in sorted(tally.forms, key=lambda f: (f is None, f or "")):
        counts = tally.forms[form]
        sheet.append([form or _("(form not recognised)", lang), titles.get(form, ""), *_counts(counts)])
    sheet.append([_("Total", lang), "", *_counts(tally.total, tally.late)], "fg_total")
    sheet.skip()

    sheet.append([_("Files per unit", lang)], "fg_section")
    files_head = sheet.append([_("Unit code", lang), _("Unit name", lang), *status_heads], "fg_head")
    for code, name, counts in tally.units.rows():
        name = name if code else _("(unit not recognised)", lang)
        sheet.append([code or "", name, *counts[:-1], sum(counts[:-1]), counts[-1]])
    files_last = sheet.row
    sheet.append([_("Total", lang), "", *_counts(tally.total, tally.late)], "fg_total")

    if submissions is not None:
        sheet.skip()
        sheet.append([_("Forms per unit (from the roster)", lang)], "fg_section")
        head = sheet.append([_("Unit code", lang), _("Unit name", lang),
                             *[_status(s, lang) for s in SUBMISSION_STATUSES], _("Forms due", lang)], "fg_head")
        units: dict[str, tuple[str, Counter]] = {}
        for row in submissions:
            units.setdefault(row["unit_code"], (row.get("unit_name") or "", Counter()))[1][row["status"]] += 1
        grand = Counter()
        for code, (name, counts) in units.items():
            grand.update(counts)
            sheet.append([code, name, *[counts[s] for s in SUBMISSION_STATUSES], sum(counts.values())])
        last = sheet.row
        sheet.append([_("Total", lang), "", *[grand[s] for s in SUBMISSION_STATUSES], sum(grand.values())],
                     "fg_total")
        series = [SUBMISSION_STATUSES.index(s) for s in CHARTED]
    else:
        head, last = files_head, files_last
        series = [FILE_STATUSES.index(s) for s in CHARTED_WITHOUT_ROSTER]
    if last > head:
        _chart(ws, head, last, series, lang, len(widths) + 2)
    sheet.finish(lang, None, len(widths))


def _counts(counts: Counter, late: int | None = None) -> list[int]:
    return [*(counts[s] for s in FILE_STATUSES), sum(counts[s] for s in FILE_STATUSES),
            counts["late"] if late is None else late]


def _chart(ws, head: int, last: int, series: list[int], lang: str, column: int) -> None:
    """A stacked bar per unit (rows ``head+1..last`` of the table whose header is row ``head``)."""
    chart = BarChart()
    chart.type = "bar"
    chart.grouping = "stacked"
    chart.overlap = 100
    chart.gapWidth = 60
    chart.title = _("State per unit", lang)
    chart.legend.position = "b"
    chart.x_axis.scaling.orientation = "maxMin"  # the first unit at the top, as in the table
    chart.x_axis.delete = False
    chart.y_axis.delete = False
    chart.y_axis.crosses = "max"
    chart.y_axis.number_format = "0"
    chart.y_axis.majorGridlines = None
    statuses = CHARTED if len(series) == len(CHARTED) else CHARTED_WITHOUT_ROSTER
    for index, status in zip(series, statuses):
        col = 3 + index
        chart.add_data(Reference(ws, min_col=col, max_col=col, min_row=head, max_row=last), titles_from_data=True)
        colour = COLOURS[status]
        chart.series[-1].graphicalProperties.solidFill = colour
        chart.series[-1].graphicalProperties.line.solidFill = colour
    chart.set_categories(Reference(ws, min_col=2, max_col=2, min_row=head + 1, max_row=last))
    chart.width = 18
    chart.height = min(max(7.5, 3.5 + 0.6 * (last - head)), 60)
    ws.add_chart(chart, f"{get_column_letter(column)}2")


# -- 问题清单 / Issues

ISSUE_HEADS = (N_("Unit code"), N_("Unit name"), N_("File"), N_("Field"), N_("Address"), N_("Cell or page"),
               N_("Code"), N_("Severity"), N_("Message"))
ISSUE_CAPS = [14, 30, 44, 24, 24, 16, 8, 10, 70]
SEVERITY_COLUMN = ISSUE_HEADS.index("Severity") + 1


def _issue_row(result: dict, issue: dict, lang: str) -> list:
    code, name = _unit(result)
    severity = issue.get("severity") or ""
    return [code or "", name, result.get("path") or "", issue.get("label") or "", issue.get("path") or "",
            issue.get("location") or "", issue.get("code") or "",
            _(SEVERITY_WORDS[severity], lang) if severity in SEVERITY_WORDS else severity,
            issue.get("message") or ""]


def _issues_sheet(wb: Workbook, results: Results, tally: _Tally, lang: str, cut: list[Issue]) -> None:
    heads = [_(h, lang) for h in ISSUE_HEADS]
    sheet = _Sheet(wb, _("Issues", lang), _column_widths(heads, tally.issue_widths, ISSUE_CAPS), lang, cut,
                   freeze="A3")
    count = tally.errors + tally.warnings
    sheet.append([_("Issues: {count} ({errors} errors, {warnings} warnings)", lang).format(
        count=count, errors=tally.errors, warnings=tally.warnings)], "fg_title")
    head = sheet.append(heads, "fg_head")
    for result in results():
        for issue in result.get("issues") or ():
            sheet.append(_issue_row(result, issue, lang))
    if sheet.row > head:
        ref = f"A{head + 1}:{get_column_letter(len(heads))}{sheet.row}"
        column = get_column_letter(SEVERITY_COLUMN)
        for severity, colour in (("error", FILL_ERROR), ("warning", FILL_WARNING)):
            word = _quoted(_(SEVERITY_WORDS[severity], lang))
            sheet.ws.conditional_formatting.add(ref, FormulaRule(formula=[f"${column}{head + 1}={word}"],
                                                                 fill=_fill(colour)))
    sheet.finish(lang, head, len(heads))


# -- 报送情况 / Submissions

SUBMISSION_HEADS = (N_("Unit code"), N_("Unit name"), N_("Contact"), N_("Phone"), N_("Form"), N_("Form title"),
                    N_("State"), N_("Returned files"))
SUBMISSION_CAPS = [14, 30, 12, 20, 20, 30, 10, 50]


def _submissions_sheet(wb: Workbook, submissions: list[dict], lang: str, cut: list[Issue]) -> None:
    heads = [_(h, lang) for h in SUBMISSION_HEADS]
    rows = [[row.get("unit_code") or "", row.get("unit_name") or "", row.get("contact") or "",
             row.get("phone") or "", row.get("form") or "", row.get("form_title") or "",
             _status(row.get("status") or "", lang), "\n".join(row.get("files") or ())] for row in submissions]
    seen: list[int] = []
    for row in rows:
        _widen(seen, row)
    sheet = _Sheet(wb, _("Submissions", lang), _column_widths(heads, seen, SUBMISSION_CAPS), lang, cut, freeze="A3")
    missing = sum(row.get("status") == "missing" for row in submissions)
    late = sum(row.get("status") == "late" for row in submissions)
    sheet.append([_("Submissions per unit and form: {missing} missing, {late} late", lang).format(
        missing=missing, late=late)], "fg_title")
    head = sheet.append(heads, "fg_head")
    for row in rows:
        sheet.append(row)
    if sheet.row > head:
        column = get_column_letter(SUBMISSION_HEADS.index("State") + 1)
        _colour_statuses(sheet.ws, f"{column}{head + 1}:{column}{sheet.row}", lang, SUBMISSION_STATUSES)
    sheet.finish(lang, head, len(heads))


# -- 文件清单 / Files

FILE_HEADS = (N_("File"), N_("Status"), N_("Form"), N_("Version"), N_("Format"), N_("Unit code"), N_("Unit name"),
              N_("Received"), N_("Late"), N_("Errors"), N_("Warnings"), N_("Note"))
FILE_CAPS = [44, 10, 20, 9, 8, 14, 30, 18, 8, 8, 8, 50]


def _file_row(result: dict, lang: str) -> list:
    code, name = _unit(result)
    issues = result.get("issues") or ()
    errors = sum(1 for i in issues if i.get("severity") == "error")
    note = ""
    if result.get("duplicate_of"):
        note = _("same bytes as {other}", lang).format(other=result["duplicate_of"])
    elif result.get("superseded_by"):
        note = _("replaced by {other}", lang).format(other=result["superseded_by"])
    return [result.get("path") or "", _status(result.get("status") or "", lang), result.get("form") or "",
            result.get("version") or "", result.get("format") or "", code or "", name, _received(result),
            _("yes", lang) if result.get("late") else "", errors, len(issues) - errors, note]


def _files_sheet(wb: Workbook, results: Results, tally: _Tally, lang: str, cut: list[Issue]) -> None:
    heads = [_(h, lang) for h in FILE_HEADS]
    sheet = _Sheet(wb, _("Files", lang), _column_widths(heads, tally.file_widths, FILE_CAPS), lang, cut,
                   freeze="B3")
    sheet.append([_("Files received: {count}", lang).format(count=sum(tally.total.values()))], "fg_title")
    head = sheet.append(heads, "fg_head")
    for result in results():
        sheet.append(_file_row(result, lang))
    if sheet.row > head:
        status = get_column_letter(FILE_HEADS.index("Status") + 1)
        _colour_statuses(sheet.ws, f"{status}{head + 1}:{status}{sheet.row}", lang, FILE_STATUSES)
        late = get_column_letter(FILE_HEADS.index("Late") + 1)
        sheet.ws.conditional_formatting.add(f"{late}{head + 1}:{late}{sheet.row}", CellIsRule(
            operator="equal", formula=[_quoted(_("yes", lang))], fill=_fill(FILL_LATE)))
    sheet.finish(lang, head, len(heads))


# -- 退回修改通知 -------------------------------------------------------------------------------

#: GB/T 9704-2012: A4, text block 156 x 225 mm (top 37 mm, left 28 mm), 3号 (16 pt) 仿宋, 22 lines a page.
PAGE_MARGINS_MM = {"top": 37, "bottom": 35, "left": 28, "right": 26}
TEXT_WIDTH_PT = 156 / 25.4 * 72
BODY_PT, TITLE_PT, TABLE_PT = 16, 22, 12
LINE_PT = 225 / 25.4 * 72 / 22
#: The problem table's columns (mm): 序号, 字段, 单元格或页, 类别 (wide enough for "warning"), 问题及修改要求.
TABLE_COLUMNS_MM = (13, 26, 25, 22, 70)
WINDOWS_FORBIDDEN = re.compile(r'[<>:"/\\|?*\x00-\x1f\x7f]')
WINDOWS_RESERVED = {"CON", "PRN", "AUX", "NUL", *(f"COM{i}" for i in range(1, 10)), *(f"LPT{i}" for i in range(1, 10))}
CHINESE_DIGITS = "零一二三四五六七八九"


@dataclass
class _Problem:
    """A file sent back: what the notice says about it (no record values, only the result's issues)."""

    path: str
    status: str
    late: bool
    issues: list[dict]


def write_return_notices(folder: Path, results: Results, roster: "Roster | None", issuer: str, lang: str,
                         today: dt.date | None = None) -> list[Path]:
    """Write ``退回/<unit code>-<unit name>.docx`` for every unit with an invalid, unreadable or late file.

    ``folder`` is OUTDIR (the notices go into ``OUTDIR/退回``) or the ``退回`` folder itself.  Files without
    a matched unit cannot be sent back to anyone and are left to the report.  Superseded, duplicate and
    skipped files are not sent back: the later return, or the first copy, is the one that counts.
    Notices left from an earlier run for units that no longer have problems are removed, so the folder
    always matches this round.  Returns the paths written, sorted by unit code.
    """
    lang = normalise(lang)
    today = today or dt.datetime.now(CST).date()
    folder = Path(folder)
    notices = folder if folder.name == RETURNS_DIR else folder / RETURNS_DIR
    problems: dict[str, list[_Problem]] = {}
    names: dict[str, str] = {}
    for result in results():
        code, name = _unit(result)
        status = result.get("status")
        late = bool(result.get("late")) and status in ("valid", "invalid")
        if not code or not (status in ("invalid", "unreadable") or late):
            continue
        names.setdefault(code, name)
        problems.setdefault(code, []).append(
            _Problem(result.get("path") or "", status, late, list(result.get("issues") or ())))
    written = []
    template = _template(issuer, lang) if problems else b""
    for code in sorted(problems):
        unit = roster.by_code(code) if roster is not None else None
        name = (unit.name if unit is not None else "") or names[code]
        target = notices / notice_name(code, name)
        with atomic_path(target) as tmp:
            _notice(template, problems[code], name, issuer, lang, today).save(str(tmp))
        written.append(target)
        # a python-docx document is a web of cycles holding lxml trees that Python's allocation counts do not
        # see, so it waits for a full collection: collect now, or memory grows with the number of units
        gc.collect()
    if notices.is_dir():
        for stale in set(notices.glob("*.docx")) - set(written):
            stale.unlink()
    return written


def notice_name(code: str, name: str) -> str:
    """``<code>-<name>.docx``, safe as a Windows file name (no reserved characters or names, not too long)."""
    stem = WINDOWS_FORBIDDEN.sub("_", f"{code}-{name}" if name else code)
    stem = re.sub(r"\s+", " ", stem).strip().rstrip(". ")[:120] or "_"
    if stem.split(".")[0].upper() in WINDOWS_RESERVED:
        stem = "_" + stem
    return stem + ".docx"


def _east_asian(style_or_run_element, font: str) -> None:
    rpr = style_or_run_element.get_or_add_rPr()
    fonts = rpr.get_or_add_rFonts()
    for attr in ("w:ascii", "w:hAnsi", "w:cs"):
        fonts.set(qn(attr), FONT_LATIN)
    fonts.set(qn("w:eastAsia"), font)
    fonts.set(qn("w:hint"), "eastAsia")


def _paragraph_style(doc, name: str, font: str, size: float, line: float | None = None,
                     bold: bool = False, keep_with_next: bool = False):
    style = doc.styles[name] if name in [s.name for s in doc.styles] else doc.styles.add_style(name, 1)
    style.base_style = None if name == "Normal" else doc.styles["Normal"]
    style.font.size = Pt(size)
    style.font.bold = bold
    _east_asian(style.element, font)
    fmt = style.paragraph_format
    fmt.space_before = fmt.space_after = Pt(0)
    if line:
        fmt.line_spacing_rule = WD_LINE_SPACING.EXACTLY
        fmt.line_spacing = Pt(line)
    fmt.keep_with_next = keep_with_next
    return style


def _template(issuer: str, lang: str) -> bytes:
    """An empty notice: the page, the styles and the page number, made once and reopened for each unit."""
    doc = Document()
    section = doc.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    for side, mm in PAGE_MARGINS_MM.items():
        setattr(section, f"{side}_margin", Mm(mm))
    section.footer_distance = Mm(22)
    doc.core_properties.title = _("Notice of return for correction", lang)
    doc.core_properties.author = issuer or "formgen"

    normal = _paragraph_style(doc, "Normal", FONT_FANGSONG, BODY_PT, LINE_PT)
    lang_el = OxmlElement("w:lang")
    lang_el.set(qn("w:val"), "en-US")
    lang_el.set(qn("w:eastAsia"), "zh-CN")
    normal.element.get_or_add_rPr().append(lang_el)
    _paragraph_style(doc, "NoticeTitle", FONT_XIAOBIAOSONG, TITLE_PT, LINE_PT).paragraph_format.alignment = \
        WD_ALIGN_PARAGRAPH.CENTER
    heading = _paragraph_style(doc, "NoticeHeading", FONT_HEITI, BODY_PT, LINE_PT, keep_with_next=True)
    heading.paragraph_format.first_line_indent = Pt(2 * BODY_PT)
    heading.paragraph_format.space_before = Pt(LINE_PT / 2)
    heading.paragraph_format.space_after = Pt(4)
    _paragraph_style(doc, "NoticeTable", FONT_FANGSONG, TABLE_PT, TABLE_PT * 1.4)
    _paragraph_style(doc, "NoticeTableHead", FONT_HEITI, TABLE_PT, TABLE_PT * 1.4).paragraph_format.alignment = \
        WD_ALIGN_PARAGRAPH.CENTER
    _page_number(section.footer.paragraphs[0])
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def _notice(template: bytes, problems: list[_Problem], unit_name: str, issuer: str, lang: str, today: dt.date):
    doc = Document(io.BytesIO(template))
    styles = {name: doc.styles[name].style_id for name in ("NoticeTableHead", "NoticeTable", "Table Grid")}
    doc.add_paragraph(_("Notice of return for correction", lang), style="NoticeTitle")
    doc.add_paragraph()
    doc.add_paragraph(_("{unit}:", lang).format(unit=clean(unit_name)))
    _body(doc, _("After review, the following {count} file(s) your unit submitted have problems and are returned. "
                 "Please correct each problem listed below and submit the files again.", lang).format(
        count=len(problems)))
    for number, problem in enumerate(problems, 1):
        state = _status(problem.status, lang)
        if problem.late:
            state = _("{status}, late", lang).format(status=state)
        doc.add_paragraph(_("{number} {file} ({state})", lang).format(
            number=_ordinal(number, lang), file=clean(problem.path), state=state), style="NoticeHeading")
        _problem_table(doc, problem, lang, styles)
    _body(doc, _("Please correct the files and submit them again as soon as you receive this notice.", lang),
          space_before=LINE_PT / 2)
    _body(doc, _("Notice hereby given.", lang)).paragraph_format.keep_with_next = True
    doc.add_paragraph().paragraph_format.keep_with_next = True
    _signature(doc, clean(issuer), _date(today, lang))
    return doc


def _body(doc, text: str, space_before: float = 0):
    paragraph = doc.add_paragraph(text)
    paragraph.paragraph_format.first_line_indent = Pt(2 * BODY_PT)
    if space_before:
        paragraph.paragraph_format.space_before = Pt(space_before)
    return paragraph


def _problem_table(doc, problem: _Problem, lang: str, styles: dict[str, str]) -> None:
    heads = [_("No.", lang), _("Field", lang), _("Cell or page", lang), _("Kind", lang),
             _("Problem and what to do", lang)]
    rows = [[str(i), issue.get("label") or "—", issue.get("location") or "—",
             _(SEVERITY_WORDS.get(issue.get("severity"), "error"), lang), issue.get("message") or ""]
            for i, issue in enumerate(problem.issues, 1)]
    if not rows:
        rows = [["1", "—", "—", _("warning", lang), _("Received after the deadline.", lang)]]
    table = doc.add_table(rows=1 + len(rows), cols=len(heads))
    # styles by id: assigning a style object makes python-docx scan every style of the document each time
    table._tbl.tblStyle_val = styles["Table Grid"]
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False
    for i, mm in enumerate(TABLE_COLUMNS_MM):
        table.columns[i].width = Mm(mm)
    header = table.rows[0]
    flag = OxmlElement("w:tblHeader")
    header._tr.get_or_add_trPr().append(flag)
    style_ids = [styles["NoticeTableHead"], styles["NoticeTable"]]
    for r, (row, values) in enumerate(zip(table.rows, [heads, *rows])):
        for c, (cell, value) in enumerate(zip(row.cells, values)):
            cell.width = Mm(TABLE_COLUMNS_MM[c])
            paragraph = cell.paragraphs[0]
            paragraph.add_run(clean(value))
            paragraph._p.style = style_ids[r > 0]
            if r and c in (0, 3):
                paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER


def _signature(doc, issuer: str, date: str) -> None:
    """GB/T 9704 without a seal: the issuer right-indented two characters, the date below it moved two
    characters to the right (kept inside the text block, with room for the space LibreOffice and Word put
    between Chinese characters and digits)."""
    name = doc.add_paragraph(issuer)
    name.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    name.paragraph_format.right_indent = Pt(2 * BODY_PT)
    name.paragraph_format.keep_with_next = True
    name_width = _width(issuer) / 2 * BODY_PT
    date_width = _width(date) / 2 * BODY_PT
    indent = min(TEXT_WIDTH_PT - name_width, TEXT_WIDTH_PT - date_width - 2 * BODY_PT)
    dated = doc.add_paragraph(date)
    dated.paragraph_format.left_indent = Pt(max(indent, 0))


def _page_number(paragraph) -> None:
    """``— 1 —`` centred in 4号 (14 pt), as GB/T 9704 numbers pages."""
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    paragraph.add_run("— ").font.size = Pt(14)
    field_el = OxmlElement("w:fldSimple")
    field_el.set(qn("w:instr"), "PAGE")
    run = OxmlElement("w:r")
    rpr = OxmlElement("w:rPr")
    size = OxmlElement("w:sz")
    size.set(qn("w:val"), "28")
    rpr.append(size)
    text = OxmlElement("w:t")
    text.text = "1"
    run.append(rpr)
    run.append(text)
    field_el.append(run)
    paragraph._p.append(field_el)
    paragraph.add_run(" —").font.size = Pt(14)


def _ordinal(number: int, lang: str) -> str:
    """一、 二、 … 九十九、 in Chinese (GB/T 9704 first-level headings), ``1.`` in English."""
    if lang != "zh_CN" or number >= 100:
        return f"{number}." if lang != "zh_CN" else f"{number}、"
    tens, ones = divmod(number, 10)
    text = ("" if tens <= 1 else CHINESE_DIGITS[tens]) + ("十" if tens else "") + (CHINESE_DIGITS[ones] if ones else "")
    return text + "、"


def _date(day: dt.date, lang: str) -> str:
    if lang == "zh_CN":
        return f"{day.year}年{day.month}月{day.day}日"
    return f"{day.day} {day.strftime('%B')} {day.year}"


# -- 催报名单.csv -------------------------------------------------------------------------------

REMINDER_HEADS = (N_("Unit code"), N_("Unit name"), N_("Contact"), N_("Phone"), N_("Forms missing"),
                  N_("Forms late"))


def write_reminders(out: Path, submissions: list[dict], lang: str) -> None:
    """Write ``催报名单.csv`` (``out`` is the file, or OUTDIR): one line per unit with a form missing or late.

    UTF-8 with a byte-order mark, so Excel on a Chinese Windows opens it without garbling; forms by
    title, joined with 、 (``; `` in English), ready to paste into a reminder.
    """
    lang = normalise(lang)
    target = _target(out, REMINDERS_NAME)
    joiner = "、" if lang == "zh_CN" else "; "
    units: dict[str, dict] = {}
    for row in submissions:
        if row.get("status") not in ("missing", "late"):
            continue
        unit = units.setdefault(row["unit_code"], {"row": row, "missing": [], "late": []})
        unit[row["status"]].append(row.get("form_title") or row.get("form") or "")
    with atomic_path(target) as tmp:
        with open(tmp, "w", encoding="utf-8-sig", newline="") as fh:
            writer = csv.writer(fh)
            writer.writerow([_(h, lang) for h in REMINDER_HEADS])
            for code, unit in units.items():
                row = unit["row"]
                writer.writerow([neutralise(str(v)) for v in (
                    code, row.get("unit_name") or "", row.get("contact") or "", row.get("phone") or "",
                    joiner.join(unit["missing"]), joiner.join(unit["late"]))])
