"""Consolidation: the valid returns of one form as one workbook for the level above, ``OUTDIR/汇总/<form>.xlsx``.

What the workbook holds follows from the definition, not from the form's id, so a new form of the same
shape consolidates without code changes:

- Every form: 明细 (details), one row per record; a record with a repeating group gets one row per row of
  its first group, each with the unit, the source file and the record's other fields; every further group
  gets a sheet of its own, flattened the same way.  Headers are the field labels under a merged band
  naming the section or group.
- A *statistics* form is one with a repeating group of numeric columns and an object whose fields all
  have the names of those columns (the submitted 合计, e.g. ``totals.schools`` for ``divisions.schools``).
  It gets the higher level's table: one row per unit with its rows summed and a 合计 row of ``=SUM``
  formulas, a sheet of all the units' rows, and each submitted total is checked against its rows (FG340).
- A *checklist* is a repeating group of pre-printed rows (``fixed_rows``) identified by a ``key``, with a
  choice column that people fill in (落实情况).  It gets a matrix of units × rows showing the chosen
  labels, with per-row counts of each choice at the bottom and per-unit counts at the right, and a sheet
  listing the rows with their counts.

Every text goes through :mod:`formgen.export` (control characters removed, formula-like text neutralised)
and personal data (``x-formgen.pii``) is masked unless ``reveal_pii``.

With ``suppress_below`` N > 0, small cells of a statistics form are suppressed: a count above 0 and below N
is written as the text ``<N`` in the statistics table, the rows sheet and the numeric columns of 明细, and
each 合计 row is then the true sum written as a number, not an ``=SUM`` formula.  Complementary suppression
is not done: a suppressed cell can still be derived from a total and the other cells of its column or row
(e.g. a unit's sum minus its other rows), so suppressed tables need review before they are published.  A workbook of a form with personal
data fields is readable by its owner only (mode 0600): even masked, its rows are about identifiable
students.
"""

from __future__ import annotations

import datetime as dt
import functools
import itertools
import math
import pickle
import re
import tempfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, NamedStyle, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from formgen.export import CELL_CHARS, fit, length, mask, safe
from formgen.fsutil import PRIVATE, atomic_path
from formgen.i18n import N_, gettext, normalise
from formgen.issues import Code, Issue, Text
from formgen.present import native
from formgen.spec.migrate import bring_up
from formgen.spec.model import BOOL_LABELS, Field, FormSpec, Group, version_key
from formgen.xlsxrows import Rows, cell_tail

FOLDER = "汇总"
NUMERIC = ("integer", "number")
MAX_WIDTH = 40
#: Column-width units printed across a portrait A4 page (at about 70 % scale); a wider table prints across more
#: pages rather than smaller.
PAGE_WIDTH = 160
DATE_FORMAT = "yyyy-mm-dd"
DATETIME_FORMAT = "yyyy-mm-dd hh:mm"

_THIN = Side(style="thin", color="808080")
_BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_HEAD_FILL = PatternFill("solid", fgColor="D9E1F2")
_TOTAL_FILL = PatternFill("solid", fgColor="F2F2F2")
#: Fills for a checklist's choices, in the order of the enum (done, partly, not, ...).
_CHOICE_FILLS = [PatternFill("solid", fgColor=c) for c in ("E2EFDA", "FFF2CC", "FCE4D6", "EDEDED")]
_CENTRE = Alignment(horizontal="center", vertical="center", wrap_text=True)
_TOP = Alignment(vertical="top")
#: Characters of East Asian width W or F (CJK ideographs, kana, hangul, full-width forms).
_WIDE = re.compile("[\u1100-\u115f\u2e80-\u303e\u3041-\u33ff\u3400-\u4dbf\u4e00-\u9fff\ua000-\ua4cf"
                   "\uac00-\ud7a3\uf900-\ufaff\ufe30-\ufe4f\uff00-\uff60\uffe0-\uffe6\U00020000-\U0003fffd]")


def _styles() -> list[NamedStyle]:
    """The workbook's cell styles, registered once: giving each of thousands of cells its own border and font
    objects is what makes openpyxl slow."""
    styles = [
        NamedStyle("formgen head", font=Font(bold=True), fill=_HEAD_FILL, border=_BORDER, alignment=_CENTRE),
        NamedStyle("formgen cell", border=_BORDER, alignment=_TOP),
    ]
    for suffix, border, align in (("", _BORDER, _TOP), (" plain", Border(), Alignment())):  # plain: as unstyled cells
        styles += [
            NamedStyle("formgen text" + suffix, border=border, alignment=Alignment(wrap_text=True, vertical="top")),
            NamedStyle("formgen date" + suffix, border=border, number_format=DATE_FORMAT, alignment=align),
            NamedStyle("formgen datetime" + suffix, border=border, number_format=DATETIME_FORMAT, alignment=align),
            NamedStyle("formgen small" + suffix, border=border, alignment=Alignment(horizontal="right")),
        ]
    styles += [
        NamedStyle("formgen title", font=Font(bold=True, size=14), alignment=Alignment(vertical="center")),
        NamedStyle("formgen note"),
        NamedStyle("formgen centred title", font=Font(bold=True, size=14),
                   alignment=Alignment(horizontal="center", vertical="center")),
        NamedStyle("formgen total", font=Font(bold=True), fill=_TOTAL_FILL, border=_BORDER,
                   alignment=Alignment(horizontal="center")),
    ]
    styles += [NamedStyle(f"formgen choice {i + 1}", border=_BORDER, fill=fill, alignment=Alignment(horizontal="center"))
               for i, fill in enumerate(_CHOICE_FILLS)]
    return styles


@dataclass
class Entry:
    """One valid, not superseded return: its unit, its path (relative to the batch folder) and its record."""

    unit_code: str
    unit_name: str
    path: str
    record: dict


@dataclass(frozen=True)
class Statistics:
    """A repeating group of numbers and the object of its submitted totals."""

    group: Group
    totals: tuple[str, ...]
    numbers: tuple[Field, ...]
    labels: tuple[Field, ...]
    checked: tuple[Field, ...]


@dataclass(frozen=True)
class Checklist:
    """Pre-printed rows identified by ``group.key``, each given one of ``status``'s choices."""

    group: Group
    status: Field
    band: Field | None


def statistics(spec: FormSpec) -> list[Statistics]:
    """The form's groups of numbers that have an object of totals: the fields of an object (all numeric)
    named like numeric columns of a group."""
    objects: dict[tuple[str, ...], list[Field]] = {}
    for f in spec.fields():
        if len(f.path) > 1:
            objects.setdefault(f.path[:-1], []).append(f)
    found = []
    for group in spec.groups():
        numeric = {c.name: c for c in group.columns if c.kind in NUMERIC}
        for prefix, fields in objects.items():
            if fields and all(f.kind in NUMERIC and f.name in numeric for f in fields):
                found.append(Statistics(
                    group, prefix,
                    numbers=tuple(c for c in group.columns if c.kind in NUMERIC),
                    labels=tuple(c for c in group.columns if c.kind not in NUMERIC),
                    checked=tuple(fields)))
                break
    return found


def checklists(spec: FormSpec) -> list[Checklist]:
    """The form's groups of pre-printed rows with a key and a choice column that is filled in."""
    found = []
    for group in spec.groups():
        if not (group.fixed_rows and group.key and group.column(group.key)):
            continue
        status = next((c for c in group.columns if c.kind == "choice" and not c.readonly), None)
        if status is not None:
            # the band over the rows: the first pre-printed text (项目), not a group number printed before it
            band = next((c for c in group.columns if group.printed_only(c) and c.kind in ("string", "text")), None)
            found.append(Checklist(group, status, band))
    return found


def target_path(out: Path, spec: FormSpec, own: bool = False) -> Path:
    """``汇总/<form>.xlsx``; with ``own``, the table of a version that is not brought to the newest,
    ``汇总/<form>@<version>.xlsx``."""
    return Path(out) / FOLDER / (f"{spec.id}@{spec.version}.xlsx" if own else f"{spec.id}.xlsx")


#: The returns of a form, given afresh at each call: a workbook reads them once for each of its sheets, so a large
#: batch's records are never all held in memory.
Entries = Callable[[], Iterable[Entry]]


def consolidate_versions(versions: list[FormSpec], entries: Callable[[], Iterable[tuple[str, Entry]]], out: Path,
                         lang: str = "zh_CN", reveal_pii: bool = False, suppress_below: int = 0) -> list[Issue]:
    """The valid returns of one form, ``(version, entry)`` each, whatever version each was made from, never
    mixed: ``versions`` are the form's installed definitions, the last the newest.  A return of an earlier
    version is brought to the newest by the migrations (:mod:`formgen.spec.migrate`) and consolidated with the
    newest's returns in ``汇总/<form>.xlsx`` (FG364 counts them, FG361/FG362 once per field that lost values,
    as the file first by path lost them); the returns of a version that no migration brings to the newest are
    consolidated in a table of their own, ``汇总/<form>@<version>.xlsx`` (FG363).

    ``entries`` gives the returns afresh at each call, in the order of unit code, unit name and path (see
    :data:`Entries`)."""
    newest = versions[-1]
    by_version = {spec.version: spec for spec in versions}

    def returns() -> Iterator[tuple[str, str | None, Entry, list[Issue]]]:
        """(the entry's version; the version whose own table it goes to, or None for the newest's; the entry,
        brought to the newest when it can be; the migration's issues about lost values)"""
        for version, entry in entries():
            spec = by_version.get(version)
            if spec is None or version == newest.version:
                yield version, None, entry, []
                continue
            migration = bring_up(versions, spec, entry.record, newest)
            if migration.spec is not newest:
                yield version, version, entry, []
                continue
            yield version, None, Entry(entry.unit_code, entry.unit_name, entry.path, migration.record), [
                _lost(issue, spec, newest) for issue in migration.issues
                if issue.code in (Code.MIGRATION_DROPPED, Code.MIGRATION_CHOICE)]

    apart: set[str] = set()
    brought: dict[str, int] = {}
    lost: dict[tuple, tuple[str, int, Issue]] = {}  # (code, column, choice) -> where first lost: (path, n, issue)
    for given, own, entry, issues in returns():
        if own is not None:
            apart.add(own)
        elif given != newest.version and given in by_version:
            brought[given] = brought.get(given, 0) + 1
        for n, issue in enumerate(issues):
            key = (issue.code, issue.path, str(issue.params.get("choice")))
            if key not in lost or (entry.path, n) < lost[key][:2]:
                lost[key] = (entry.path, n, issue)
    notes = consolidate(newest, lambda: (e for _v, own, e, _i in returns() if own is None), out, lang, reveal_pii,
                        suppress_below)
    shown = target_path(out, newest).relative_to(out)
    for version in sorted(brought, key=version_key):
        notes.append(Issue(Code.MIGRATION_CONSOLIDATED, params={
            "count": brought[version], "form": newest.id, "old": version, "new": newest.version, "file": str(shown)}))
    notes += [issue for _path, _n, issue in sorted(lost.values(), key=lambda t: t[:2])]
    for version in sorted(apart, key=version_key):
        spec = by_version[version]
        notes += consolidate(spec, lambda v=version: (e for _v, own, e, _i in returns() if own == v), out, lang,
                             reveal_pii, suppress_below, own=True)
        notes.append(Issue(Code.MIGRATION_NO_ROUTE, params={
            "form": spec.id, "old": version, "new": newest.version,
            "where": Text(N_(", in the consolidated table {file}"), {
                "file": str(target_path(out, spec, own=True).relative_to(out))})}))
    return notes


def _lost(issue: Issue, spec: FormSpec, newest: FormSpec) -> Issue:
    """A migration's FG361/FG362 about one value, as the note about its column."""
    column = ".".join(p for p in issue.path.split(".") if not p.isdigit())
    return Issue(issue.code, column, params={**issue.params, "label": (
        spec if issue.code is Code.MIGRATION_DROPPED else newest).labels_of(column)})


def consolidate(spec: FormSpec, entries: Iterable[Entry] | Entries, out: Path, lang: str = "zh_CN",
                reveal_pii: bool = False, suppress_below: int = 0, own: bool = False) -> list[Issue]:
    """Write ``out/汇总/<form>.xlsx`` from the valid returns ``entries``; return the problems found on the way,
    such as a submitted total that differs from the sum of its rows (FG340).

    ``entries``: the returns in any order, or a function giving them afresh in the order of unit code, unit
    name and path (:data:`Entries`: what a batch passes, so that its records are not held in memory).
    ``suppress_below``: a statistics count above 0 and below it is written as ``<N`` and the 合计 rows are
    written numbers (see the module's docstring: no complementary suppression).  ``own``: the table of one
    earlier version, ``汇总/<form>@<version>.xlsx``."""
    lang = normalise(lang)
    if not callable(entries):
        entries = _listed(sorted(entries, key=lambda e: (e.unit_code, e.unit_name, e.path)))
    stats = statistics(spec)
    book = _Book(spec, lang, reveal_pii, suppress_below, stats)
    issues: list[Issue] = []
    for stat in stats:
        issues += check_totals(spec, stat, entries())
        book.statistics(stat, entries())
    for checklist in checklists(spec):
        book.checklist(checklist, entries())
    groups = spec.groups() or [None]
    for i, group in enumerate(groups):
        name = _("Details", lang) if i == 0 else group.label(lang)
        book.details(name, group, entries())
    target = target_path(out, spec, own)
    has_pii = any(f.pii for f in spec.fields()) or any(c.pii for g in spec.groups() for c in g.columns)
    with atomic_path(target, mode=PRIVATE if has_pii else None) as tmp:
        book.wb.save(tmp)
    return issues + list(book.cut.values())


def _listed(entries: list[Entry]) -> Entries:
    return lambda: entries


def check_totals(spec: FormSpec, stat: Statistics, entries: Iterable[Entry]) -> list[Issue]:
    """FG340 for every submitted total that differs from the sum of its unit's rows."""
    issues = []
    for entry in entries:
        rows = _rows(stat.group, entry.record)
        for f in stat.checked:
            given = _get(entry.record, f.path)
            if not _is_number(given):
                continue
            computed = _sum(row.get(f.name) for row in rows)
            if given != computed:
                issues.append(Issue(Code.TOTAL_MISMATCH, path=f.address, params={
                    "unit": entry.unit_name or entry.unit_code, "file": entry.path,
                    "label": spec.labels_of(f.address), "total": given, "sum": computed}))
    return issues


def _(message: str, lang: str) -> str:
    return gettext(message, lang)


class _Book:
    """The workbook being written, and how each kind of sheet is laid out."""

    def __init__(self, spec: FormSpec, lang: str, reveal_pii: bool, suppress_below: int = 0,
                 stats: Iterable[Statistics] = ()):
        self.spec, self.lang, self.reveal = spec, lang, reveal_pii
        self.below = suppress_below
        # the statistics' fields whose small values are suppressed (group columns and submitted totals)
        self.suppressed = {id(f) for stat in stats for f in stat.numbers + stat.checked} if suppress_below else set()
        self.wb = Workbook(write_only=True)
        self.cut: dict[tuple[str, str], Issue] = {}  # (file, address) -> FG124, a value cut in its cells
        self.fields: dict[int, tuple[str, bool, list[str]]] = {}  # id of a field -> its traits
        self.made: dict[tuple, tuple[Any]] = {}  # (id of a field, kind, value) -> (what shown() shows,)
        self.was_cut = False  # whether the last fitted() cut its value
        for style in _styles():
            self.wb.add_named_style(style)

    # -- sheets ---------------------------------------------------------------------------------
    def details(self, name: str, group: Group | None, entries: Iterable[Entry]) -> None:
        """One row per record, or per row of ``group``, with the unit, the file and the scalar fields."""
        lang = self.lang
        unit_band = _("Submitting unit", lang)
        # (band, label, field, whether the field is a column of the group's rows)
        columns: list[tuple[str, str, Field | None, bool]] = [
            (unit_band, _("Unit code", lang), None, False), (unit_band, _("Unit name", lang), None, False),
            (unit_band, _("Source file", lang), None, False)]
        for item in self.spec.items:
            if isinstance(item, Field):
                columns.append((self.section_label(item.section), item.label(lang), item, False))
            elif item is group:
                columns += [(group.label(lang), c.label(lang), c, True) for c in group.columns]
        table = _Table(self.wb, name, boxed=False)
        table.header([c[0] for c in columns], [c[1] for c in columns])
        for entry in entries:
            base = [entry.unit_code, entry.unit_name, entry.path]
            scalars = [self.shown(f, _get(entry.record, f.path), entry, f.address)
                       for _b, _l, f, in_row in columns[3:] if not in_row]
            for i, row in enumerate((_rows(group, entry.record) if group else []) or [{}]):
                values, rest = list(base), iter(scalars)
                for _b, _l, f, in_row in columns[3:]:
                    values.append(self.shown(f, row.get(f.name), entry, f"{group.address}.{i}.{f.name}") if in_row
                                  else next(rest))
                table.row(values)
        table.finish(freeze_cols=3)

    def statistics(self, stat: Statistics, entries: Iterable[Entry]) -> None:
        """The higher level's table (one row per unit, its rows summed, a 合计 row of formulas) and the rows."""
        lang, spec = self.lang, self.spec
        units: dict[str, tuple[str, str, list[dict]]] = {}  # a return without a unit code is a unit of its own
        sources: dict[int, tuple[Entry, int]] = {}  # each row's return and place in it, by the row's id
        for entry in entries:
            code, name, rows = units.setdefault(entry.unit_code or f"\0{entry.path}",
                                                (entry.unit_code, entry.unit_name, []))
            found = _rows(stat.group, entry.record)
            rows += found
            sources.update((id(row), (entry, i)) for i, row in enumerate(found))
        unit_band = _("Submitting unit", lang)
        numbers_band = _("{group} (sum per unit)", lang).format(group=stat.group.label(lang))
        bands = [unit_band] * 3 + [numbers_band] * len(stat.numbers)
        labels = [_("No.", lang), _("Unit code", lang), _("Unit name", lang)] + [c.label(lang) for c in stat.numbers]
        table = _Table(self.wb, _("Statistics", lang), titles=[
            _("{title} (consolidated)", lang).format(title=spec.label(lang)),
            _("Consolidated from the returns of {count} unit(s); the total is the sum of the units' rows.",
              lang).format(count=len(units))])
        table.header(bands, labels)
        for i, (code, name, rows) in enumerate(units.values(), start=1):
            sums = [_sum(row.get(c.name) for row in rows) for c in stat.numbers]
            table.row([i, code, name] + [self.small(s) for s in sums])
        all_rows = [row for _code, _name, rows in units.values() for row in rows]
        if self.below:
            totals = [_sum(row.get(c.name) for row in all_rows) for c in stat.numbers]
            table.summary_row(_("Total", lang), label_cols=3, values=totals)
        else:
            table.total_row(_("Total", lang), label_cols=3, sum_cols=range(4, len(labels) + 1))
        table.finish(freeze_cols=3, landscape=True)

        columns = list(stat.labels) + list(stat.numbers)
        labels = [_("Unit code", lang), _("Unit name", lang)] + [c.label(lang) for c in columns]
        table = _Table(self.wb, stat.group.label(lang))
        table.header([unit_band] * 2 + [stat.group.label(lang)] * len(columns), labels)
        group = stat.group.address
        for code, name, rows in units.values():
            for row in rows:
                entry, i = sources[id(row)]
                table.row([code, name] + [self.shown(c, row.get(c.name), entry, f"{group}.{i}.{c.name}")
                                          for c in columns])
        first_number = 3 + len(stat.labels)
        if self.below:
            totals = [_sum(row.get(c.name) for row in all_rows) for c in stat.numbers]
            table.summary_row(_("Total", lang), label_cols=first_number - 1, values=totals)
        else:
            table.total_row(_("Total", lang), label_cols=first_number - 1,
                            sum_cols=range(first_number, len(labels) + 1))
        table.finish(freeze_cols=2, landscape=True)

    def checklist(self, checklist: Checklist, entries: Iterable[Entry]) -> None:
        """Units × pre-printed rows showing the choice made, counted per row (bottom) and per unit (right)."""
        lang, group, status = self.lang, checklist.group, checklist.status
        fixed = group.fixed_rows
        keys = [row.get(group.key) for row in fixed]
        choices = status.choices
        choice_labels = _choice_labels(status, lang)
        blank = _("Not filled in", lang)
        unit_band = _("Submitting unit", lang)
        count_band = _("Count per unit", lang)
        bands = [unit_band] * 3
        bands += [_display(row.get(checklist.band.name)) if checklist.band else group.label(lang) for row in fixed]
        bands += [count_band] * (len(choices) + 1)
        labels = [_("No.", lang), _("Unit code", lang), _("Unit name", lang)]
        labels += [_display(k) for k in keys] + choice_labels + [blank]

        table = _Table(self.wb, status.label(lang), titles=[
            _("{title}: {label} by unit", lang).format(title=self.spec.label(lang), label=status.label(lang))])
        table.header(bands, labels)
        per_row = [[0] * (len(choices) + 1) for _k in keys]
        for i, entry in enumerate(entries, start=1):
            by_key = {row.get(group.key): row for row in _rows(group, entry.record)}
            counts = [0] * (len(choices) + 1)
            cells, indexes = [], []
            for r, key in enumerate(keys):
                value = by_key.get(key, {}).get(status.name)
                index = _index(choices, value)
                slot = len(choices) if index is None else index
                counts[slot] += 1
                per_row[r][slot] += 1
                cells.append(choice_labels[index] if index is not None else None)
                indexes.append(index)
            styles = [None] * 3 + [None if i is None else f"formgen choice {i % len(_CHOICE_FILLS) + 1}" for i in indexes]
            table.row([i, entry.unit_code, entry.unit_name] + cells + counts, styles)
        for slot, label in enumerate(choice_labels + [blank]):
            row_counts = [counts[slot] for counts in per_row]
            tail = [None] * (len(choices) + 1)
            tail[slot] = sum(row_counts)
            table.summary_row(label, label_cols=3, values=row_counts + tail)
        table.finish(freeze_cols=3, landscape=True)

        key = group.column(group.key)  # a printed column titled as the key (the group's 序号) would be a second key
        shown = [key] + [c for c in group.columns if group.printed_only(c) and c.title != key.title]
        labels = [c.label(lang) for c in shown] + choice_labels + [blank]
        table = _Table(self.wb, group.label(lang))
        table.header([group.label(lang)] * len(shown) + [_("Count of units", lang)] * (len(choices) + 1), labels)
        for fixed_row, counts in zip(fixed, per_row):
            table.row([self.value(c, fixed_row.get(c.name)) for c in shown] + counts)
        table.finish(freeze_cols=1, landscape=True)

    # -- values ---------------------------------------------------------------------------------
    def section_label(self, section: str | None) -> str:
        """A section's title in the workbook's language (``section_en`` where the section is named)."""
        if not section:
            return ""
        if self.lang == "en":
            for item in self.spec.items:
                if item.ann.get("section") == section and item.ann.get("section_en"):
                    return item.ann["section_en"]
        return section

    def shown(self, field: Field, value: Any, entry: Entry, path: str) -> Any:
        """:meth:`value` of ``entry``'s field at ``path``, with a small count of a statistics field suppressed and
        an over-long text cut (:meth:`fitted`)."""
        kind = type(value)
        key = None
        if kind in _SAME_WHEN_EQUAL:  # most values recur (choices, dates, names): each is shown once per field
            key = (id(field), kind, value)
        elif kind in _SAME_WHEN_REPR:
            key = (id(field), kind, repr(value))
        made = self.made.get(key) if key is not None else None
        if made is not None:
            return made[0]
        self.was_cut = False
        shown = self.small(value) if id(field) in self.suppressed else value
        if not isinstance(shown, _Small):
            shown = self.fitted(field, self.value(field, value), value, entry, path)
        if key is not None and not self.was_cut:  # a value cut is a warning for each file it is in
            if len(self.made) >= _MADE_MOST:
                self.made.clear()
            self.made[key] = (shown,)
        return shown

    def fitted(self, field: Field, shown: Any, value: Any, entry: Entry, path: str) -> Any:
        """``shown`` (the cell of ``value``) cut, with a marker, when it is longer than a cell holds or than the
        field's maxLength allows; each value cut is one warning (FG124), never a value cut silently."""
        if not isinstance(shown, str):
            return shown
        text = safe(shown)
        most = field.schema.get("maxLength")
        typed = len(str(value))
        over_form = isinstance(most, int) and not isinstance(most, bool) and typed > most
        if not over_form and (2 * len(text) <= CELL_CHARS or length(text) <= CELL_CHARS):  # most texts are short
            return text
        limit = min(CELL_CHARS, most) if over_form else CELL_CHARS
        self.was_cut = True
        self.cut.setdefault((entry.path, path), Issue(Code.VALUE_CUT, path=path, params={
            "unit": entry.unit_name or entry.unit_code, "file": entry.path, "label": self.spec.labels_of(path),
            "length": typed, "reason": Text(N_("the form allows ({limit})"), {"limit": most}) if over_form
            else Text(N_("a spreadsheet cell holds ({limit})"), {"limit": CELL_CHARS})}))
        return fit(text, limit, _("… [cut: {length} characters in all]", self.lang).format(length=typed))

    def small(self, value: Any) -> Any:
        """``<N`` for a count above 0 and below ``suppress_below`` N; any other value as it is."""
        if self.below and _is_number(value) and 0 < value < self.below:
            return _Small(f"<{self.below}")
        return value

    def value(self, field: Field, value: Any) -> Any:
        """What a cell shows for a field's value: a label, a real date, a number, or masked text."""
        if value is None or value == "":
            return None
        kind, pii, labels = self.traits(field)
        if kind in ("choice", "boolean"):
            index = _index(field.choices, value)
            return labels[index] if index is not None else str(value)
        if kind == "multi" and isinstance(value, list):
            return "、".join(labels[i] if i is not None else str(v)
                            for v, i in ((v, _index(field.choices, v)) for v in value)) or None
        if pii and not self.reveal:
            return mask(str(value))
        return value if kind in _AS_TYPED else native(field, value)

    def traits(self, field: Field) -> tuple[str, bool, list[str]]:
        """The field's kind, whether it is personal data, and its choices' labels: asked of each of thousands
        of values, computed once."""
        key = id(field)
        if key not in self.fields:
            kind = field.kind
            labels = _choice_labels(field, self.lang) if kind in ("choice", "boolean", "multi") else []
            self.fields[key] = (kind, field.pii, labels)
        return self.fields[key]


#: Kinds whose values a cell shows as they are (:func:`formgen.present.native` changes only the others).
_AS_TYPED = ("string", "text", "integer", "number")


class _Small(str):
    """A suppressed count, ``<N``: text, right-aligned like the numbers around it."""


#: Cells made once per distinct value of a column (:meth:`_Table.row`): values of these kinds are the same cell when
#: equal, those of the second when their repr is equal; a table forgets its cells past _MADE_MOST of them (memory
#: stays flat, and the values that recur are soon made again).
_SAME_WHEN_EQUAL = (str, int, bool, type(None), dt.date, _Small)
_SAME_WHEN_REPR = (float, dt.datetime)
_MADE_MOST = 4096
#: Stand-ins for the style indexes in a row's cells until the sheet is written: characters no cell text can hold.
_STAND_INS = "".join(chr(c) for c in (*range(1, 9), 11, 12, *range(14, 32)))
_DATES = (dt.datetime, dt.date, dt.time, dt.timedelta)


class _OutOfStandIns(Exception):
    """A table uses more styles than there are stand-ins: its further rows are made when it is written."""


class _Table:
    """One sheet: optional title lines, a band row of merged group headers, a row of labels, data rows and
    summary rows.  The column widths must be known before the first row is written and follow from every
    value, so the lines are spooled to a temporary file (memory stays flat however many returns there are)
    and streamed to a write-only sheet at ``finish``: a data row as its cells' XML, made as it comes (each
    distinct value of a column made once), the few other lines as plain values."""

    def __init__(self, wb: Workbook, name: str, titles: Iterable[str] = (), boxed: bool = True):
        """``boxed``: data cells get borders; a long details sheet goes without, as styling every cell is what
        takes openpyxl the time."""
        self.wb, self.name, self.boxed = wb, _sheet_name(wb, name), boxed
        self.lines = _Spool()
        for i, t in enumerate(titles):
            self.lines.append([safe(t)], "formgen title" if i == 0 else "formgen note")
        self.titled = bool(len(self.lines))
        self.top = len(self.lines) + 1
        self.label_row = self.top + 1
        self.data_end = self.label_row
        self.ncols = 0
        self.merges: list[tuple[int, int, int, int]] = []
        self.widths: dict[int, float] = {}
        self.heads: dict[int, float] = {}
        self.suffix = "" if boxed else " plain"  # the styles of a sheet without borders
        self.starts: list[str] = []  # '<c r="A', '<c r="B', ...: each column's cells begin so
        self.made: dict[tuple, tuple[str, int, str | None]] = {}  # (column, style, kind, value) -> _cell's
        self.keys: dict[tuple[str, type | None], tuple[str, Any]] = {}  # style -> its stand-in, a value of its kind

    def header(self, bands: list[str], labels: list[str]) -> None:
        self.ncols = len(labels)
        start = 1
        for c in range(2, len(bands) + 2):
            if c <= len(bands) and bands[c - 1] == bands[start - 1]:
                continue
            if c - 1 > start:
                self.merges.append((self.top, start, self.top, c - 1))
            start = c
        self.lines.append([safe(b) or None for b in bands], "formgen head")
        self.lines.append([safe(label) for label in labels], "formgen head")
        for c, label in enumerate(labels, start=1):
            self.heads[c] = _text_width(label)

    def row(self, values: list[Any], styles: list[str | None] | None = None) -> None:
        """A data row; a cell's style follows its value (date, multi-line text, a suppressed count aligned as
        the numbers are) unless ``styles`` names one.

        The row's cells are made now (:meth:`_cell`, each distinct value of a column once), with a stand-in
        for each style index; only the row's height waits for the column widths."""
        if styles is None and any(isinstance(v, _Small) for v in values):
            small = "formgen small" + ("" if self.boxed else " plain")
            styles = [small if isinstance(v, _Small) else None for v in values]
        number = len(self.lines) + 1
        if number > self.label_row and len(self.keys) < len(_STAND_INS):
            try:
                self.lines.append(*self._made(values, styles, str(number)))
                self.data_end = len(self.lines)
                return
            except _OutOfStandIns:
                pass
        self.lines.append([safe(v) for v in values], styles)  # made at finish, as a title or a header is
        for c, value in enumerate(values, start=1):
            self.widths[c] = min(max(self.widths.get(c, 6), _width(safe(value))), MAX_WIDTH)
        self.data_end = len(self.lines)

    def _made(self, values: list[Any], styles: list[str | None] | None, r: str) -> tuple[str, tuple[int, list]]:
        """Row ``r``'s cells as XML text, and (how many styles they and the rows before them use, the texts that
        wrap, by column)."""
        cells, wraps, widths, starts, made_before = [], [], self.widths, self.starts, self.made.get
        while len(starts) < len(values):
            starts.append('<c r="' + get_column_letter(len(starts) + 1))
        for c, value in enumerate(values, start=1):
            style = styles[c - 1] if styles is not None and c <= len(styles) else None
            kind = type(value)
            key = None
            if kind in _SAME_WHEN_EQUAL:
                key = (c, style, kind, value)
            elif kind in _SAME_WHEN_REPR:  # 0.0 and -0.0, or one moment in two time zones, are equal
                key = (c, style, kind, repr(value))
            made = made_before(key) if key is not None else None
            if made is None:
                made = self._cell(value, style)
                widths[c] = min(max(widths.get(c, 6), made[1]), MAX_WIDTH)  # a cell made before is counted in
                if key is not None:
                    if len(self.made) >= _MADE_MOST:
                        self.made.clear()
                    self.made[key] = made
            if made[0]:
                cells.append(starts[c - 1] + r + made[0])
            if made[2] is not None:
                wraps.append((c, made[2]))
        return "".join(cells), (len(self.keys), wraps)

    def _cell(self, value: Any, style: str | None) -> tuple[str, int, str | None]:
        """A data cell as :meth:`finish` would write it: its XML after the reference (a stand-in character for the
        style index), the column width it needs, and its text when the text wraps (for the row's height)."""
        value = safe(value)
        wrapping = None
        if isinstance(value, str) and ("\n" in value or len(value) * 2 > MAX_WIDTH):
            if "\n" in value or _text_width(value) > MAX_WIDTH:  # text that wraps
                style = style or "formgen text" + self.suffix
                wrapping = value
        if style is None:
            if isinstance(value, dt.datetime):
                style = "formgen datetime" + self.suffix
            elif isinstance(value, dt.date):
                style = "formgen date" + self.suffix
            elif self.boxed:
                style = "formgen cell"
        if style is None and value is None:
            return "", _width(value), None
        sid = None
        if style is not None:
            key = (style, type(value) if isinstance(value, _DATES) else None)
            if key not in self.keys:
                if len(self.keys) == len(_STAND_INS):
                    raise _OutOfStandIns
                self.keys[key] = (_STAND_INS[len(self.keys)], value)
            sid = self.keys[key][0]
        tail = cell_tail(value, sid, self.wb.epoch).encode("ascii", "xmlcharrefreplace").decode("ascii")
        return tail, _width(value), wrapping

    def total_row(self, label: str, label_cols: int, sum_cols: Iterable[int]) -> None:
        """A 合计 row: ``=SUM`` of each column in ``sum_cols`` over the data rows."""
        first, last = self.label_row + 1, self.data_end
        values: list[Any] = [safe(label)] + [None] * (self.ncols - 1)
        for c in sum_cols:
            col = get_column_letter(c)
            values[c - 1] = f"=SUM({col}{first}:{col}{last})" if last >= first else 0
        self._summary(values, label_cols)

    def summary_row(self, label: str, label_cols: int, values: list[Any]) -> None:
        self._summary([safe(label)] + [None] * (label_cols - 1) + [safe(v) for v in values], label_cols)

    def _summary(self, values: list[Any], label_cols: int) -> None:
        self.lines.append(values + [None] * (self.ncols - len(values)), "formgen total")
        if label_cols > 1:
            self.merges.append((len(self.lines), 1, len(self.lines), label_cols))

    def finish(self, freeze_cols: int = 0, landscape: bool = False) -> None:
        ws = self.wb.create_sheet(self.name)
        lines, total, widths = 1, 0.0, {}
        for c in range(1, self.ncols + 1):
            head = self.heads.get(c, 0)
            # a long label wraps onto two lines rather than widening a column of short values
            width = max(self.widths.get(c, 6), head + 2 if head <= 10 else max(12, head / 2 + 3))
            width = min(width, MAX_WIDTH)
            ws.column_dimensions[get_column_letter(c)].width = widths[c] = width
            lines = max(lines, math.ceil(head / max(width - 2, 1)))
            total += width
        heights = {self.label_row: 15 * lines + 3}
        pages = max(1, math.ceil(total / (PAGE_WIDTH * (1.5 if landscape else 1))))
        centred = self.titled and pages == 1  # the title: centred over a table one page wide, else at the left
        if self.titled:
            heights[1] = 24
            if centred:
                self.merges.append((1, 1, 1, self.ncols))
        ws.freeze_panes = f"{get_column_letter(freeze_cols + 1)}{self.label_row + 1}"
        if self.ncols:
            ws.auto_filter.ref = f"A{self.label_row}:{get_column_letter(self.ncols)}{self.data_end}"
        ws.page_setup.orientation = "landscape" if landscape else "portrait"
        ws.page_setup.paperSize = Worksheet.PAPERSIZE_A4
        ws.sheet_properties.pageSetUpPr.fitToPage = True
        ws.page_setup.fitToWidth = pages
        ws.page_setup.fitToHeight = 0
        ws.print_title_rows = f"{self.top}:{self.label_row}"
        if freeze_cols:
            ws.print_title_cols = f"A:{get_column_letter(freeze_cols)}"
        for r1, c1, r2, c2 in self.merges:
            if c2 > c1 or r2 > r1:
                ws.merged_cells.add(f"{get_column_letter(c1)}{r1}:{get_column_letter(c2)}{r2}")
        rows = Rows(ws)
        suffix = self.suffix
        ids: dict[int, str] = {}  # each style's stand-in (its code point) -> the workbook's index of the style
        heights_of: dict[tuple[int, str], int] = {}  # (column, text that wraps) -> the lines it takes
        for r, (values, styles) in enumerate(self.lines, start=1):
            if isinstance(values, str):  # a data row made by row(): its styles in the workbook, its height
                needed, wraps = styles
                for (style, _kind), (stand_in, sample) in itertools.islice(self.keys.items(), len(ids), needed):
                    ids[ord(stand_in)] = rows.style_id(style, sample)  # in the order of first use, as before
                wrapped = 1
                for c, text in wraps:
                    key = (c, text)
                    if key not in heights_of:
                        if len(heights_of) >= _MADE_MOST:
                            heights_of.clear()
                        heights_of[key] = _lines(text, widths.get(c, MAX_WIDTH))
                    wrapped = max(wrapped, heights_of[key])
                rows.append_xml(values.translate(ids), min(15 * wrapped + 2, 409) if wrapped > 1 else heights.get(r))
                continue
            if r == 1 and centred:
                styles = "formgen centred title"
            if not isinstance(styles, list):
                styles = [styles] * len(values)
            height = heights.get(r)
            wrapped, named = 1, []
            for c, value in enumerate(values, start=1):
                style = styles[c - 1] if c <= len(styles) else None
                if isinstance(value, str) and ("\n" in value or len(value) * 2 > MAX_WIDTH):
                    width = _text_width(value)
                    if "\n" in value or width > MAX_WIDTH:  # text that wraps
                        style = style or "formgen text" + suffix
                        if r > self.label_row:
                            wrapped = max(wrapped, _lines(value, widths.get(c, MAX_WIDTH)))
                if style is None:
                    if isinstance(value, dt.datetime):
                        style = "formgen datetime" + suffix
                    elif isinstance(value, dt.date):
                        style = "formgen date" + suffix
                    elif self.boxed:
                        style = "formgen cell"
                named.append(style)
            if wrapped > 1:  # LibreOffice does not grow a row for wrapped text it did not lay out itself
                height = min(15 * wrapped + 2, 409)
            rows.append(values, named, height)
        rows.close()
        self.lines.close()


class _Spool:
    """A sheet's lines, ``(values, styles)`` each, kept in a temporary file until they are written."""

    def __init__(self) -> None:
        self.file = tempfile.TemporaryFile()
        self.count = 0

    def append(self, values: list[Any], styles: list[str | None] | str | None) -> None:
        pickle.dump((values, styles), self.file, protocol=pickle.HIGHEST_PROTOCOL)
        self.count += 1

    def __len__(self) -> int:
        return self.count

    def __iter__(self) -> Iterator[tuple[list[Any], list[str | None] | str | None]]:
        self.file.seek(0)
        for _line in range(self.count):
            yield pickle.load(self.file)

    def close(self) -> None:
        self.file.close()


def _sheet_name(wb: Workbook, name: str) -> str:
    """A valid sheet name (31 characters, none of ``[]:*?/\\``), unique in the workbook."""
    base = "".join(ch for ch in name if ch not in "[]:*?/\\").strip("'")[:31] or "Sheet"
    candidate, n = base, 2
    while candidate in wb.sheetnames:
        suffix = f" ({n})"
        candidate, n = base[:31 - len(suffix)] + suffix, n + 1
    return candidate


def _choice_labels(field: Field, lang: str) -> list[str]:
    if field.kind == "boolean":
        return ["yes", "no"] if lang == "en" else list(BOOL_LABELS)
    labels = field.choice_labels
    if lang == "en":
        english = field.ann.get("labels_en") or []
        labels = [english[i] if i < len(english) else label for i, label in enumerate(labels)]
    return labels


def _index(choices: list, value: Any) -> int | None:
    for i, code in enumerate(choices):
        if code == value and type(code) is type(value):
            return i
    return None


def _rows(group: Group, record: dict) -> list[dict]:
    """The group's rows in a record; pre-printed rows are completed from the definition, matched by key."""
    given = [row for row in (_get(record, group.path) or []) if isinstance(row, dict)]
    if not group.fixed_rows:
        return given
    if group.key:
        by_key = {row.get(group.key): row for row in given}
        return [{**fixed, **by_key.get(fixed.get(group.key), {})} for fixed in group.fixed_rows]
    return [group.row_values(given, i) for i in range(len(group.fixed_rows))]


def _get(record: dict, path: tuple[str, ...]) -> Any:
    value: Any = record
    for part in path:
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return value


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _sum(values: Iterable[Any]) -> int | float:
    return sum(v for v in values if _is_number(v))


def _display(value: Any) -> str:
    if value is None:
        return ""
    return str(value)


def _width(value: Any) -> int:
    """The column width a cell's value needs."""
    if value is None:
        return 2
    if isinstance(value, dt.datetime):
        return 17
    if isinstance(value, dt.date):
        return 11
    return _text_width(str(value)) + 2


def _wraps(value: Any) -> bool:
    return isinstance(value, str) and ("\n" in value or _text_width(value) > MAX_WIDTH)


def _lines(value: Any, width: float) -> int:
    """Lines a cell's text takes when wrapped in a column ``width`` units wide."""
    if not _wraps(value):
        return 1
    usable = max(width - 1, 1) * 1.15  # a CJK character takes about 1.7 width units, not the 2 counted
    return sum(max(1, math.ceil(_text_width(line) / usable)) for line in value.split("\n"))


@functools.lru_cache(maxsize=4096)  # a sheet's labels, names and choices recur on every row
def _text_width(text: str) -> float:
    """Column-width units a text needs: its longest line, a wide (CJK, full-width) character counting as two."""
    if text.isascii():  # codes, numbers, dates: no wide character to look for
        return max(map(len, text.split("\n"))) if "\n" in text else len(text)
    return max((2 * len(line) - len(_WIDE.sub("", line)) for line in text.split("\n")), default=0)
