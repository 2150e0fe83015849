"""Compile a FormSpec to a fillable PDF (AcroForm), blank or pre-filled.

Two layers.  The *page* (fpdf2) is the paper form: A4, the title, a heading
band per section, a bordered grid of label and value cells, repeating groups
as table rows (the header repeated on each page), and the footer notes; it
depends only on the definition and the number of rows, so it is built once
and reused: kept in memory, and on disk beside the font subsets (a new process
reads it back without loading fpdf2).  The *fields* (pypdf objects) go on top: one widget
per input, named by its address through a field hierarchy (``persons`` >
``0`` > ``name`` is the field ``persons.2.name``; a partial name may not
contain a period).  Text fields (multi-line for ``textarea``), combo boxes for
choices, a pair of 是/否 boxes for a yes/no field (a radio group whose states are
``/Yes`` and ``/No``, so a field nobody touched, ``/Off``, differs from 否; a
yes/no column of a repeating group is one check box), dates as text with the
format printed under the label.

Fonts of the fields: what a person types into a field is drawn by the viewer with ``/FGF``, the font of
``/AcroForm /DR`` and every ``/DA``: by default a Chinese font of Adobe-GB1 that the viewer supplies (not
embedded, see :func:`system_font_objects`); with ``FORMGEN_PDF_TYPING_FONT=embedded`` the field font's base
subset (see ``pdffonts``: ASCII, GB 2312, the 通用规范汉字表 and 〇, cut once and cached on disk).  Pre-filled values
are drawn by formgen itself (appearance streams), wrapped by the field font's widths, with ``/FGV``, the glyphs
of the file's values only (or with the embedded ``/FGF`` itself); characters beyond the base set (rarer name
characters) go into a second small subset ``/FGX`` used only by those appearances.  Nothing asks the viewer to
redraw (no NeedAppearances).  The written file is packed into object streams by qpdf.

The form's identity is in the document information: ``/FormgenForm``,
``/FormgenVersion`` and ``/FormgenHash``.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import zlib
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from dataclasses import field as dc_field
from datetime import datetime, timezone
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Any

from pypdf import PageObject, PdfReader, PdfWriter
from pypdf.generic import (
    ArrayObject,
    DecodedStreamObject,
    DictionaryObject,
    FloatObject,
    IndirectObject,
    NameObject,
    NumberObject,
    PdfObject,
    StreamObject,
    TextStringObject,
)

from formgen import __version__
from formgen.compile import pdffonts
from formgen.fsutil import PRIVATE, atomic_write_bytes
from formgen.layout.fieldrows import field_rows
from formgen.spec.letter import is_letter
from formgen.layout.labels import printed_label
from formgen.layout.linebreak import NO_LINE_END, NO_LINE_START, SPACED_WORD
from formgen.layout.pdf import (IDENTITY_FIELD, INFO_FORM, INFO_HASH, INFO_PAGES, INFO_UNIT, INFO_VERSION, NO, OFF, YES,
                                multi_box, multi_choice)
from formgen.paths import get_path
from formgen.present import display
from formgen.spec.model import BOOL_LABELS, Field, FormSpec, Group

FIELD_FONT, EXTRA_FONT, VALUE_FONT = "/FGF", "/FGX", "/FGV"
SYSTEM_FONT = "AdobeHeitiStd-Regular"  # a name Acrobat knows; iText (pdftk) knows it not and so leaves it alone
MM = 72 / 25.4
MARGIN = 15.0
LABEL_W = 40.0
PAD = 1.5
ROW_H = 8.0
LINE_H = 5.0  # mm per line of a multi-line value
CHECK = 4.5  # mm, the side of a check box
FONT_SIZE = 10.0  # pt, values and labels
PRINTED_SIZE = 9.0  # pt, the pre-printed text of a group's rows (小五, as a dense table of the seed is set)
OPTION_SIZE = 7.5  # pt, the choices printed under a choice field of a row
CHOICE_H = 6.5  # mm, the box of a choice field of a row above its printed choices
MIN_FONT_SIZE = 7.0  # pt: pre-filled text never prints smaller
LABEL_FILL = (242, 242, 242)
SECTION_FILL = (217, 225, 242)
HINT_GREY = 110
DATE_HINTS = {"date": "格式：2021-03-05", "datetime": "格式：2021-03-05 14:30"}
COLUMN_WEIGHTS = {"boolean": 0.7, "choice": 1.0, "integer": 0.7, "number": 0.8, "date": 1.2, "datetime": 1.6,
                  "string": 1.4, "text": 2.4}

# Field flags (PDF 32000-1, 12.7)
READ_ONLY, REQUIRED, MULTILINE, COMBO = 1, 2, 1 << 12, 1 << 17
NO_TOGGLE_TO_OFF, RADIO = 1 << 14, 1 << 15
DO_NOT_SCROLL = 1 << 23
PAIR_GAP = 14.0  # mm from the 是 box to the 否 box
CHOICE_GAP = 5.0  # mm after the label of one choice of a multiple choice, before the next box


@dataclass
class Box:
    """Where one input goes: its address, field, page (0-based) and rectangle in mm from the top left."""

    address: str
    field: Field
    page: int
    x: float
    y: float
    w: float
    h: float
    readonly: bool = False
    state: str = YES  # a check box's on state: YES, or NO for the 否 box of a yes/no pair


@dataclass
class Page:
    pdf: bytes
    boxes: list[Box] = dc_field(default_factory=list)
    height: float = 297.0

    @cached_property
    def reader(self) -> PdfReader:
        """The page parsed once, as it is cached: each file written on it clones its objects from here."""
        return PdfReader(io.BytesIO(self.pdf))


class PdfCompiler:
    format = "pdf"
    suffix = ".pdf"

    def compile(self, spec: FormSpec, data: dict | None, out, lang: str = "zh_CN", unit: str | None = None) -> None:
        """Write the form to ``out``; ``unit`` is the code of the unit it is made for, stamped beside the identity."""
        atomic_write_bytes(out, render(spec, data or {}, unit), PRIVATE if spec.holds_pii(data) else None)


def render(spec: FormSpec, data: dict, unit: str | None = None) -> bytes:
    """The PDF bytes of the form, pre-filled with ``data``; a letter prints as a letter."""
    if is_letter(spec):
        from formgen.compile import pdfletter  # it builds on this module

        return pdfletter.render(spec, data, unit)
    rows = tuple(max(g.blank_rows, len(get_path(data, g.address) or [])) for g in spec.groups())
    page = _page(spec, rows, pdffonts.page_font(), pdffonts.field_font())
    return _Fields(spec, data, page, embedded_field_font(pdffonts.field_font())).build(unit)


# -- the page -------------------------------------------------------------------

_PAGES: dict[tuple, Page] = {}


def _page(spec: FormSpec, rows: tuple[int, ...], page_font: pdffonts.FontFile,
          field_font: pdffonts.FontFile) -> Page:
    key = (spec.id, spec.version, spec.hash, rows, page_font, field_font)
    if key not in _PAGES:
        if len(_PAGES) >= 32:
            _PAGES.clear()
        path = _page_file(key)
        page = _read_page(path, spec)
        if page is None:
            page = _Layout(spec, rows, pdffonts.page_font_file(page_font, _page_chars(spec)), page_font).build()
            _write_page(path, page, spec)
        _PAGES[key] = page
    return _PAGES[key]


@lru_cache(maxsize=1)
def _code_stamp() -> str:
    """formgen's version and the size and time of each module of formgen and of fpdf2: a page kept on disk
    was laid out by the code that reads it back."""
    from importlib.util import find_spec

    roots = [Path(__file__).resolve().parents[1], Path(find_spec("fpdf").origin).parent]  # found, not loaded
    stats = sorted((str(p), p.stat().st_size, p.stat().st_mtime_ns) for root in roots for p in root.rglob("*.py"))
    return json.dumps([__version__, stats])


def _page_file(key: tuple) -> Path:
    """Where the page of ``key`` (form, version, hash, rows, page and field fonts) is kept."""
    fonts = [(str(f), os.stat(f.path).st_size, os.stat(f.path).st_mtime_ns) for f in key[4:]]
    text = json.dumps([_code_stamp(), *key[:4], fonts], ensure_ascii=False)
    name = "".join(ch for ch in key[0] if ch.isascii() and (ch.isalnum() or ch in "-_"))[:40]
    return pdffonts.cache_dir() / f"{name}-{hashlib.sha256(text.encode()).hexdigest()[:24]}.fgpage"


def _read_page(path: Path, spec: FormSpec) -> Page | None:
    """The page kept at ``path`` (a line of JSON, then the PDF), or None when it is missing or damaged."""
    try:
        header, pdf = path.read_bytes().split(b"\n", 1)
        meta = json.loads(header)
        if hashlib.sha256(pdf).hexdigest() != meta["sha256"]:
            return None
        boxes = [Box(address, spec.lookup(address), page, x, y, w, h, readonly, state)
                 for address, page, x, y, w, h, readonly, state in meta["boxes"]]
        if not all(isinstance(box.field, Field) for box in boxes):
            return None
        return Page(pdf, boxes, meta["height"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _write_page(path: Path, page: Page, spec: FormSpec) -> None:
    """Keep the page on disk, so that the next process does not lay it out (and need not load fpdf2 at all)."""
    if any(spec.lookup(box.address) is not box.field for box in page.boxes):
        return  # a box whose field its address does not name: not kept
    meta = {"sha256": hashlib.sha256(page.pdf).hexdigest(), "height": page.height,
            "boxes": [[b.address, b.page, b.x, b.y, b.w, b.h, b.readonly, b.state] for b in page.boxes]}
    try:
        atomic_write_bytes(path, json.dumps(meta, ensure_ascii=False).encode("utf-8") + b"\n" + page.pdf)
    except OSError:
        pass  # a read-only home: work without the cache


PAGE_WORDS = ("第页共", "表单编号：版本：", "□　", *DATE_HINTS.values(), *BOOL_LABELS)


def _page_chars(spec: FormSpec) -> str:
    """What the page of ``spec`` draws, as far as known before it is laid out: the text of its definition,
    ASCII and formgen's own words (a character beyond these makes the page be laid out with the whole font)."""
    text = json.dumps(spec.definition, ensure_ascii=False) + "".join(PAGE_WORDS)
    text += "".join(g.total_label for g in spec.groups())
    return "".join(sorted(set(text) | {chr(c) for c in range(0x20, 0x7F)}))


@lru_cache(maxsize=1)
def _pdf_class() -> type:
    """fpdf2's document with formgen's footer; fpdf2 (0.3 s to load) is loaded only to lay a page out."""
    from fpdf import FPDF

    class _Pdf(FPDF):
        def footer(self) -> None:
            self.set_y(-10)
            self.set_font("page", size=8)
            self.set_text_color(HINT_GREY)
            self.cell(0, 5, f"第 {self.page_no()} 页 / 共 {{nb}} 页", align="C")

    return _Pdf


class _Layout:
    def __init__(self, spec: FormSpec, rows: tuple[int, ...], font: pdffonts.FontFile,
                 whole: pdffonts.FontFile | None = None, endless: bool = False):
        """``whole``: the font that ``font`` was cut from, to lay the page out with if ``font`` lacks a glyph.
        ``endless``: on one page without a foot, to measure the sections (``_measure``)."""
        self.spec = spec
        self.font_file = font
        self.whole = whole if whole != font else None
        self.endless = endless
        self.pending: list[Field] = []  # single fields not yet laid out, to pair (``field_rows``)
        self.sections: list[float] = []  # the height of each section, laid out endless
        self.tops: list[float] = []  # where each section starts
        self.rows = dict(zip((g.address for g in spec.groups()), rows))
        landscape = spec.ann.get("orientation") == "landscape"
        self.pdf = _pdf_class()(orientation="L" if landscape else "P", unit="mm", format="A4")
        self.pdf.set_auto_page_break(False)
        self.pdf.set_margins(MARGIN, MARGIN, MARGIN)
        self.pdf.add_font("page", fname=font.path, collection_font_number=font.index)
        self.font = self.pdf.fonts["page"]
        self.font.ttfont.recalcBBoxes = False  # the subset keeps the font's bounds: computing them is slow
        self.pdf.set_creator(f"formgen {__version__}")
        self.width = self.pdf.w - 2 * MARGIN
        self.boxes: list[Box] = []
        self.y = MARGIN
        self.repeat: Any = None  # the header of the group being laid out, repeated on a new page

    def build(self) -> Page:
        if not self.endless:
            self.sections = self._measure()
        self.pdf.add_page()
        self._title()
        self.spec.walk(self._section, self._field, self._group, self._note, total_rows=True)
        self._flush()
        if self.font.missing_glyphs and self.whole:
            return _Layout(self.spec, tuple(self.rows.values()), self.whole).build()
        return Page(b"" if self.endless else bytes(self.pdf.output()), self.boxes, self.pdf.h)

    def _measure(self) -> list[float]:
        """The height of each section (its heading to the next one's, the last to the foot notes' end) when the
        form is laid out on one endless page."""
        probe = _Layout(self.spec, tuple(self.rows.values()), self.font_file, endless=True)
        probe.build()
        ends = probe.tops[1:] + [probe.y]
        return [end - top for top, end in zip(probe.tops, ends)]

    def _section(self, title: str) -> None:
        """A section's heading band.  On a page at least half full, a section starts the next page when it does
        not fit in what is left but fits on a page of its own, or when the sections from it to the end do: a
        form of two pages breaks between sections, its last page as full as it can be."""
        self._flush()
        n = len(self.tops)
        self.tops.append(self.y)
        if not self.endless and self.y - MARGIN >= (self._bottom() - MARGIN) / 2:
            left, page = self._bottom() - self.y, self._bottom() - MARGIN
            if any(left < height <= page for height in (self.sections[n], sum(self.sections[n:]))):
                self._room(self._bottom())
        self._band(title, SECTION_FILL, 11)

    # -- drawing helpers ---------------------------------------------------------
    def _lines(self, text: str, width: float, size: float) -> list[str]:
        """Wrap like the values are wrapped (never a closing bracket alone at a line start)."""
        self.pdf.set_font("page", size=size)
        return wrap(text, width, size, lambda ch: self.pdf.get_string_width(ch) * 1000 / size)

    def _text(self, x: float, y: float, w: float, lines: list[str], size: float, align: str = "L",
              grey: bool = False) -> None:
        pdf = self.pdf
        pdf.set_font("page", size=size)
        pdf.set_text_color(HINT_GREY if grey else 0)
        line_h = size * 0.45
        for i, line in enumerate(lines):
            pdf.set_xy(x, y + i * line_h)
            pdf.cell(w, line_h, line, align=align)
        pdf.set_text_color(0)

    def _cell(self, x: float, y: float, w: float, h: float, fill: tuple[int, int, int] | None = None) -> None:
        self.pdf.set_draw_color(0)
        self.pdf.set_line_width(0.2)
        if fill:
            self.pdf.set_fill_color(*fill)
        self.pdf.rect(x, y, w, h, style="DF" if fill else "D")

    def _room(self, h: float) -> None:
        """Start a new page when ``h`` mm do not fit; repeat a group's header there."""
        if self.y + h <= self._bottom():
            return
        self.pdf.add_page()
        self.y = MARGIN
        if self.repeat:
            self.repeat()

    # -- parts of the form -------------------------------------------------------
    def _title(self) -> None:
        for line in self.spec.ann.get("header", []):  # e.g. 附件2, at the top left as on the paper
            self._text(MARGIN, self.y, self.width, [line], 14)
            self.y += 7
        lines = self._lines(self.spec.title, self.width, 18)
        self._text(MARGIN, self.y, self.width, lines, 18, "C")
        self.y += len(lines) * 8.1 + 1
        self._text(MARGIN, self.y, self.width, [f"表单编号：{self.spec.id}    版本：{self.spec.version}"], 8, "R",
                   grey=True)
        self.y += 6

    def _band(self, text: str, fill: tuple[int, int, int] | None, size: float) -> None:
        lines = self._lines(text, self.width - 2 * PAD, size)
        h = max(ROW_H, len(lines) * size * 0.45 + 2 * PAD)
        self._room(h + 2 * ROW_H)
        if fill:
            self._cell(MARGIN, self.y, self.width, h, fill)
        self._text(MARGIN + PAD, self.y + (h - len(lines) * size * 0.45) / 2, self.width - 2 * PAD, lines, size)
        self.y += h

    def _note(self, text: str) -> None:
        self._flush()
        lines = self._lines(text, self.width, 8)
        self.y += 2
        self._room(len(lines) * 3.6)
        self._text(MARGIN, self.y, self.width, lines, 8)
        self.y += len(lines) * 3.6

    def _label(self, item: Field | Group) -> str:
        return printed_label(self.spec, item)

    @staticmethod
    def _hint(field: Field) -> str:
        return field.ann.get("help") or DATE_HINTS.get(field.kind, "")

    def _field(self, field: Field) -> None:
        """A single field waits for the next, to share its row when both are short (``field_rows``)."""
        self.pending.append(field)

    def _flush(self) -> None:
        for row in field_rows(self.pending):
            self._field_row(row)
        self.pending.clear()

    def _field_row(self, fields: tuple[Field, ...]) -> None:
        """One row of the grid: label and value of one field across the page, or of two short fields side by
        side, as tall as the taller."""
        vw = (self.width - len(fields) * LABEL_W) / len(fields)
        cells = []
        for field in fields:
            label = self._lines(self._label(field), LABEL_W - 2 * PAD, FONT_SIZE)
            hint = self._lines(self._hint(field), LABEL_W - 2 * PAD, 7) if self._hint(field) else []
            places = self._choice_boxes(field, vw) if field.kind == "multi" else []
            cells.append((field, label, hint, places))
        h = max(self._field_h(field, label, hint, places, vw) for field, label, hint, places in cells)
        self._room(h)
        x, y = MARGIN, self.y
        for field, label, hint, places in cells:
            label_h = len(label) * 4.5 + len(hint) * 3.15
            self._cell(x, y, LABEL_W, h, LABEL_FILL)
            top = y + (h - label_h) / 2
            self._text(x + PAD, top, LABEL_W - 2 * PAD, label, FONT_SIZE, "C")
            self._text(x + PAD, top + len(label) * 4.5, LABEL_W - 2 * PAD, hint, 7, "C", grey=True)
            self._cell(x + LABEL_W, y, vw, h)
            if field.kind == "boolean":
                self._checkbox(field.address, field, x + LABEL_W + 2, y, h, BOOL_LABELS[0])
                self._checkbox(field.address, field, x + LABEL_W + 2 + PAIR_GAP, y, h, BOOL_LABELS[1], NO)
            elif places:
                top = y + (h - self._boxes_h(places)) / 2
                for i, (left, down) in enumerate(places):
                    self._checkbox(multi_box(field.address, i), field, x + LABEL_W + 2 + left, top + down, ROW_H,
                                   field.choice_labels[i], width=vw)
            else:
                self._box(field.address, field, x + LABEL_W, y, vw, h, field.readonly)
            x += LABEL_W + vw
        self.y += h

    @staticmethod
    def _boxes_h(places: list[tuple[float, float]]) -> float:
        return max((top for _x, top in places), default=0) + ROW_H

    def _field_h(self, field: Field, label: list[str], hint: list[str], places: list[tuple[float, float]],
                 width: float) -> float:
        """The height of a field's row: its label, its lines, its boxes, and for a text whose longest value
        (``maxLength`` characters) does not go on one line of ``width`` mm at the smallest size, a box tall
        enough to wrap it (a box of two lines or more is a multi-line field)."""
        label_h = len(label) * 4.5 + len(hint) * 3.15
        lines = field.ann.get("lines", 3) if field.multiline else 1
        longest = field.schema.get("maxLength", 0) if is_text(field) and not field.multiline else 0
        wrapped = -(-longest * MIN_FONT_SIZE // (width * MM - 4))
        wrapped_h = max(2 * LINE_H, (wrapped * MIN_FONT_SIZE * 1.25 + 2) / MM) + 1 if wrapped > 1 else 0
        return max(ROW_H, label_h + 2 * PAD, lines * LINE_H + 2 if field.multiline else 0,
                   self._boxes_h(places) if places else 0, wrapped_h)

    def _box(self, address: str, field: Field, x: float, y: float, w: float, h: float, readonly: bool) -> None:
        self.boxes.append(Box(address, field, self.pdf.page_no() - 1, x + 0.5, y + 0.5, w - 1, h - 1, readonly))

    def _checkbox(self, address: str, field: Field, x: float, y: float, h: float, caption: str = "",
                  state: str = YES, width: float = 20) -> None:
        top = y + (h - CHECK) / 2
        self._cell(x, top, CHECK, CHECK)
        self.boxes.append(Box(address, field, self.pdf.page_no() - 1, x, top, CHECK, CHECK, field.readonly, state))
        if caption:
            self._text(x + CHECK + 1, y + (h - 4.5) / 2, width, [caption], FONT_SIZE)

    def _choice_boxes(self, field: Field, width: float) -> list[tuple[float, float]]:
        """Where the box of each choice of a multiple choice goes, (left, down) in mm from the value cell's
        top left: in a row, the next line when the row is full."""
        self.pdf.set_font("page", size=FONT_SIZE)
        places, left, down = [], 0.0, 0.0
        for label in field.choice_labels:
            room = CHECK + 1 + self.pdf.get_string_width(label) + CHOICE_GAP
            if left and left + room > width - 4:
                left, down = 0.0, down + ROW_H * 0.75
            places.append((left, down))
            left += room
        return places

    def _widths(self, group: Group) -> list[float]:
        """The columns' widths by their weights; a column of choices printed under its fields is widened, by half
        its width at most and taken from the other columns, so that its choices print on one line."""
        columns = group.shown_columns
        weights = [float(c.ann.get("width") or 0) / 10 or COLUMN_WEIGHTS.get(c.kind, 1.0) for c in columns]
        widths = [self.width * w / sum(weights) for w in weights]
        self.pdf.set_font("page", size=OPTION_SIZE)
        choices = [i for i, c in enumerate(columns) if c.kind in ("choice", "multi") and not group.printed_only(c)]
        others = sum(w for i, w in enumerate(widths) if i not in choices)
        for i in choices:
            one = self.pdf.get_string_width("　".join("□" + label for label in columns[i].choice_labels))
            grow = one + 2 * PAD + 0.5 - widths[i]
            if 0 < grow <= widths[i] / 2 and grow < others / 4:
                widths = [w + grow if j == i else w if j in choices else w * (1 - grow / others)
                          for j, w in enumerate(widths)]
                others -= grow
        return widths

    def _group(self, group: Group) -> None:
        self._flush()
        if group.section is None or group.title != group.section:
            self._band(self._label(group), None, 10.5)
        columns, widths = group.shown_columns, self._widths(group)
        titles = [self._lines(c.title + (" *" if c.required else ""), w - 2 * PAD, FONT_SIZE)
                  for c, w in zip(columns, widths)]
        header_h = max(ROW_H, max(len(t) for t in titles) * 4.5 + 2 * PAD)

        def header() -> None:
            x = MARGIN
            for lines, w in zip(titles, widths):
                self._cell(x, self.y, w, header_h, LABEL_FILL)
                self._text(x + PAD, self.y + (header_h - len(lines) * 4.5) / 2, w - 2 * PAD, lines, FONT_SIZE, "C")
                x += w
            self.y += header_h

        self._room(header_h + ROW_H)
        header()
        self.repeat = header
        rows = _GroupRows(self, group, columns, widths)
        page = 0
        for i, (row_page, y) in enumerate(rows.place(self.y, MARGIN + header_h, self._bottom())):
            if row_page != page:
                self._room(self._bottom())  # a new page, with the header
                page = row_page
            self.y = y
            rows.draw(i)
            self.y += rows.heights[i]
        totals = self.spec.total_row(group)
        if totals:
            self._total_row(group, totals, widths)
        self.repeat = None
        self.y += 3

    def _bottom(self) -> float:
        """The lowest y a row may reach on a page."""
        return float("inf") if self.endless else self.pdf.h - MARGIN - 5

    def _options(self, field: Field, width: float) -> list[str]:
        """A choice field's options as printed under it (□已落实　□部分落实): as many on a line as fit, a line
        breaking between two options, never inside one."""
        lines: list[str] = []
        for box in ("□" + label for label in field.choice_labels):
            if lines and len(self._lines(lines[-1] + "　" + box, width, OPTION_SIZE)) == 1:
                lines[-1] += "　" + box
            else:
                lines += self._lines(box, width, OPTION_SIZE)
        return lines

    def _total_row(self, group: Group, totals: dict[str, Field], widths: list[float]) -> None:
        """合计 under the rows: the label over the leading columns without a total, a box per total."""
        self._room(ROW_H)
        columns = group.shown_columns
        span = next(c for c, col in enumerate(columns) if col.name in totals)
        label_w = sum(widths[:span])
        self._cell(MARGIN, self.y, label_w, ROW_H, LABEL_FILL)
        self._text(MARGIN + PAD, self.y + (ROW_H - 4.5) / 2, label_w - 2 * PAD, [group.total_label], FONT_SIZE, "C")
        x = MARGIN + label_w
        for col, w in zip(columns[span:], widths[span:]):
            self._cell(x, self.y, w, ROW_H, None if col.name in totals else LABEL_FILL)
            if col.name in totals:
                self._box(totals[col.name].address, totals[col.name], x, self.y, w, ROW_H, False)
            x += w
        self.y += ROW_H


class _GroupRows:
    """The rows of a group as drawn: each row's height, and the cells of a column that spans rows
    (``x-formgen.span``) drawn once over the rows of a run of equal pre-printed values, again at the top of
    each page the run reaches (as the paper repeats them), and never shorter than their text."""

    def __init__(self, layout: _Layout, group: Group, columns: list[Field], widths: list[float]):
        self.layout, self.group, self.columns, self.widths = layout, group, columns, widths
        self.count = layout.rows[group.address]
        self.runs = {c.name: group.spans(c) + [1] * (self.count - len(group.fixed_rows)) for c in columns}
        self.spanning = [c for c in columns if max(self.runs[c.name], default=1) > 1]
        multiline = any(c.multiline for c in columns)
        self.printed: list[dict[str, list[str]]] = []
        self.options: list[dict[str, list[str]]] = []
        self.heights: list[float] = []
        self._page: list[int] = []
        for i in range(self.count):
            fixed = group.fixed_rows[i] if i < len(group.fixed_rows) else {}
            printed = {c.name: layout._lines(display(c, fixed.get(c.name)), w - 2 * PAD, PRINTED_SIZE)
                       for c, w in zip(columns, widths) if group.printed_only(c)}
            options = {c.name: layout._options(c, w - 2 * PAD)
                       for c, w in zip(columns, widths) if c.kind in ("choice", "multi") and c.name not in printed}
            self.printed.append(printed)
            self.options.append(options)
            alone = [lines for name, lines in printed.items() if self.runs[name][i] == 1]
            self.heights.append(max(2 * LINE_H + 2 if multiline else ROW_H,
                                    max((_lines_h(lines) for lines in alone), default=0),
                                    CHOICE_H + self._options_h(i) if options else 0))
        for col in self.spanning:  # a run is as tall as its text: its last row takes what is missing
            for start, n in enumerate(self.runs[col.name]):
                if n > 1:
                    short = self._need(col, start) - sum(self.heights[start:start + n])
                    if short > 0:
                        self.heights[start + n - 1] += short

    def _options_h(self, i: int) -> float:
        return max((len(lines) * OPTION_SIZE * 0.45 + PAD for lines in self.options[i].values()), default=0)

    def _need(self, col: Field, i: int) -> float:
        return _lines_h(self.printed[i][col.name])

    def _run_start(self, col: Field, i: int) -> int:
        while self.runs[col.name][i] == 0:
            i -= 1
        return i

    def place(self, y: float, top: float, bottom: float) -> list[tuple[int, float]]:
        """(page, y) of each row, the first page being 0 and starting at ``y``; a page starts at ``top``.  A page
        break inside a run leaves each part of it as tall as its text: the part's last row grows when it still
        fits on its page (or the part starts the page), else the part moves to the next page whole."""
        forced: set[int] = set()
        for _attempt in range(4 * self.count + 4):
            places, page, at = [], 0, y
            for i, h in enumerate(self.heights):
                if i in forced or (at + h > bottom and places and places[-1][0] == page and at > top):
                    page, at = page + 1, top
                places.append((page, at))
                at += h
            self._page = [page for page, _y in places]
            problem = self._short_part(places)
            if problem is None:
                return places
            first, last, short = problem
            fits = places[last][1] + self.heights[last] + short <= bottom
            if not fits and places[first][1] > top and first not in forced:
                forced.add(first)
            else:
                self.heights[last] += short
        return places

    def _short_part(self, places: list[tuple[int, float]]) -> tuple[int, int, float] | None:
        """The first part of a run cut by a page break that is shorter than its text: (first row, last row,
        how much is missing)."""
        for col in self.spanning:
            runs = self.runs[col.name]
            for i in range(self.count):
                if runs[i] == 1 or not (i + 1 == self.count or runs[i + 1] or places[i + 1][0] != places[i][0]):
                    continue  # a row of its own, or not the last row of a part
                start = i
                while not (runs[start] or places[start][0] != places[start - 1][0]):
                    start -= 1
                short = self._need(col, self._run_start(col, i)) - (places[i][1] + self.heights[i] - places[start][1])
                if short > 0.01:
                    return start, i, short
        return None

    def draw(self, i: int) -> None:
        layout, group = self.layout, self.group
        fixed = group.fixed_rows[i] if i < len(group.fixed_rows) else {}
        h, y = self.heights[i], layout.y
        x = MARGIN
        for col, w in zip(self.columns, self.widths):
            address = f"{group.address}.{i}.{col.name}"
            if col.name in self.printed[i]:
                if self.runs[col.name][i] == 1:
                    layout._cell(x, y, w, h)
                    lines = self.printed[i][col.name]
                    layout._text(x + PAD, y + (h - _lines_h(lines) + 2 * PAD) / 2, w - 2 * PAD, lines, PRINTED_SIZE)
                elif self._part_starts(col, i):
                    part = self._part_height(col, i)
                    lines = self.printed[self._run_start(col, i)][col.name]
                    layout._cell(x, y, w, part)
                    layout._text(x + PAD, y + (part - _lines_h(lines) + 2 * PAD) / 2, w - 2 * PAD, lines,
                                 PRINTED_SIZE, "C")
            elif col.kind == "boolean":
                layout._cell(x, y, w, h)
                layout._checkbox(address, col, x + (w - CHECK) / 2, y, h)
            elif col.name in self.options[i]:  # the choices printed under the field, to tick on paper
                layout._cell(x, y, w, h)
                options_h = self._options_h(i)
                layout._box(address, col, x, y, w, h - options_h, col.readonly and bool(fixed))
                layout._text(x + PAD, y + h - options_h, w - 2 * PAD, self.options[i][col.name], OPTION_SIZE)
            else:
                layout._cell(x, y, w, h)
                layout._box(address, col, x, y, w, h, col.readonly and bool(fixed))
            x += w

    def _part_starts(self, col: Field, i: int) -> bool:
        return self.runs[col.name][i] > 0 or self._page[i] != self._page[i - 1]

    def _part_height(self, col: Field, i: int) -> float:
        end = i + 1
        while end < self.count and self.runs[col.name][end] == 0 and self._page[end] == self._page[i]:
            end += 1
        return sum(self.heights[i:end])


def _lines_h(lines: list[str]) -> float:
    """The height of a cell holding ``lines`` of text printed in a row, with its padding."""
    return len(lines) * PRINTED_SIZE * 0.45 + 2 * PAD


class Name(NameObject):
    """A name written as the bytes it was first written as: pypdf escapes a name character by character each time
    it writes one, and a form writes some 1,600 of them (2-4 ms of CPU a file)."""

    _written: dict[str, bytes] = {}

    def write_to_stream(self, stream: Any) -> None:
        out = self._written.get(self)
        if out is None:
            if len(self._written) >= 10_000:  # names come from definitions (check boxes' states); bounded anyway
                self._written.clear()
            out = self._written[self] = self.renumber()
        stream.write(out)


class Text(TextStringObject):
    """A text string written in hex.  pypdf writes a text string byte by byte, every byte of UTF-16 as an
    octal escape (up to 16 bytes a Chinese character): a fifth of the time of a form with many fields."""

    def write_to_stream(self, stream: Any) -> None:
        stream.write(b"<%s>" % self.get_encoded_bytes().hex().encode())


# -- embedded fonts ---------------------------------------------------------------

@dataclass
class EmbeddedFont:
    """A subset font ready to embed: its tag, ToUnicode bytes, and the widths that are not the default."""

    subset: pdffonts.Subset
    tag: str
    to_unicode: bytes
    default_width: int
    widths: list[tuple[int, int]]  # (code, width) of the glyphs whose width is not the default


def embed_font(subset: pdffonts.Subset) -> EmbeddedFont:
    chars = "".join(sorted(subset.codes))
    tag = "".join(chr(65 + b % 26) for b in zlib.crc32(chars.encode("utf-8")).to_bytes(4, "big") + b"FG")
    lines = [b"/CIDInit /ProcSet findresource begin 12 dict begin begincmap",
             b"/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def",
             b"/CMapName /Adobe-Identity-UCS def /CMapType 2 def",
             b"1 begincodespacerange <0000> <FFFF> endcodespacerange"]
    runs = _runs_of(sorted((code, ch) for ch, code in subset.codes.items()))
    ranges = [b"<%04X> <%04X> <%04X>" % (first, last, ord(ch)) for first, last, ch in runs if last > first]
    chars = [b"<%04X> <%s>" % (first, ch.encode("utf-16-be").hex().upper().encode())
             for first, last, ch in runs if last == first]
    for kind, entries in ((b"bfrange", ranges), (b"bfchar", chars)):
        for start in range(0, len(entries), 100):
            chunk = entries[start:start + 100]
            lines += [b"%d begin%s" % (len(chunk), kind), *chunk, b"end" + kind]
    lines.append(b"endcmap CMapName currentdict /CMap defineresource pop end end")
    default = Counter(subset.widths.values()).most_common(1)[0][0]
    return EmbeddedFont(subset, tag, zlib.compress(b"\n".join(lines), 6), default,
                         sorted((code, width) for code, width in subset.widths.items() if width != default))


def _runs_of(pairs: list[tuple[int, str]]) -> list[tuple[int, int, str]]:
    """(first code, last code, first character) of the runs of consecutive codes drawing consecutive
    characters of the Basic Multilingual Plane, within one block of 256 codes and of 256 characters (what a
    ToUnicode bfrange can say); every other character is a run of one."""
    runs: list[tuple[int, int, str]] = []
    for code, ch in pairs:
        if runs:
            first, last, start = runs[-1]
            if (code == last + 1 and code & 0xFF and ord(ch) == ord(start) + code - first and ord(ch) & 0xFF
                    and ord(ch) <= 0xFFFF):
                runs[-1] = (first, code, start)
                continue
        runs.append((code, code, ch))
    return runs


@lru_cache(maxsize=2)
def embedded_field_font(font: pdffonts.FontFile) -> EmbeddedFont:
    return embed_font(pdffonts.base_subset(font))


def extra_font(base: pdffonts.Subset, shown: str) -> EmbeddedFont | None:
    """A second small subset for the characters of ``shown`` beyond the base subset (rare names: 喆玥)."""
    extra = "".join(sorted({ch for ch in shown if ch >= " " and not base.has(ch)}))  # a line break draws nothing
    cut = pdffonts.cached_subset(base.font, extra, truetype=True) if extra else None
    return embed_font(cut) if cut and cut.codes else None


def stream(data: bytes, compressed: bool, **entries: Any) -> StreamObject:
    stream = StreamObject()
    stream._data = data
    if compressed:
        stream[Name("/Filter")] = Name("/FlateDecode")
    for key, value in entries.items():
        stream[Name("/" + key)] = value
    return stream


def font_objects(writer: PdfWriter, font: EmbeddedFont) -> IndirectObject:
    """A Type0 font (Identity-H) with its descendant, descriptor and ToUnicode.

    TrueType outlines: a CIDFontType2 whose codes are the subset's glyph ids
    (``/CIDToGIDMap /Identity``).  CFF outlines: a CIDFontType0 with the
    bare CFF program as ``/FontFile3``; its codes are the CFF font's CIDs.
    """
    sub = font.subset
    name = Name(f"/{font.tag}+{sub.name}")
    w_array = ArrayObject()
    for code, width in font.widths:
        w_array += [NumberObject(code), ArrayObject([NumberObject(width)])]
    if sub.cff:
        file_key, font_file = "/FontFile3", stream(sub.data, True, Subtype=Name("/CIDFontType0C"))
    else:
        file_key, font_file = "/FontFile2", stream(sub.data, True, Length1=NumberObject(sub.length))
    descriptor = writer._add_object(DictionaryObject({
        Name("/Type"): Name("/FontDescriptor"), Name("/FontName"): name,
        Name("/Flags"): NumberObject(4), Name("/FontBBox"): ArrayObject(map(NumberObject, sub.bbox)),
        Name("/ItalicAngle"): NumberObject(0), Name("/Ascent"): NumberObject(sub.ascent),
        Name("/Descent"): NumberObject(sub.descent), Name("/CapHeight"): NumberObject(sub.ascent),
        Name("/StemV"): NumberObject(80), Name(file_key): writer._add_object(font_file)}))
    cid_font = DictionaryObject({
        Name("/Type"): Name("/Font"),
        Name("/Subtype"): Name("/CIDFontType0" if sub.cff else "/CIDFontType2"),
        Name("/BaseFont"): name,
        Name("/CIDSystemInfo"): DictionaryObject({
            Name("/Registry"): Text("Adobe"), Name("/Ordering"): Text("Identity"),
            Name("/Supplement"): NumberObject(0)}),
        Name("/FontDescriptor"): descriptor, Name("/DW"): NumberObject(font.default_width),
        Name("/W"): w_array})
    if not sub.cff:
        cid_font[Name("/CIDToGIDMap")] = Name("/Identity")
    cid_font = writer._add_object(cid_font)
    return writer._add_object(DictionaryObject({
        Name("/Type"): Name("/Font"), Name("/Subtype"): Name("/Type0"),
        Name("/BaseFont"): name, Name("/Encoding"): Name("/Identity-H"),
        Name("/DescendantFonts"): ArrayObject([cid_font]),
        Name("/ToUnicode"): writer._add_object(stream(font.to_unicode, True))}))


def system_font_objects(writer: PdfWriter, metrics: pdffonts.Subset) -> IndirectObject:
    """A Chinese font the viewer supplies, not embedded: a CIDFont of Adobe-GB1 whose codes are its CIDs
    (Identity-H).  Viewers type into it by the character collection's own Unicode map and draw it with a Chinese
    font of their own: pdf.js (with the character maps Firefox gives it) and PDFium (Chrome, Edge) write a typed
    field's appearance in it, poppler (fontconfig) and MuPDF (its built-in Noto Serif CJK) draw it, and poppler
    redraws a field in it when a filler left NeedAppearances (with UniGB-UTF16-H it drew empty boxes); Acrobat
    draws it with its Asian fonts, which are Adobe-GB1 fonts.  CIDs 1-95, the proportional ASCII of Adobe-GB1,
    are as wide as in ``metrics`` (the field font), every other CID 1 em."""
    name = Name("/" + SYSTEM_FONT)
    ascii_widths = ArrayObject(NumberObject(metrics.width(chr(c))) for c in range(0x20, 0x7F))
    descriptor = writer._add_object(DictionaryObject({
        Name("/Type"): Name("/FontDescriptor"), Name("/FontName"): name,
        Name("/Flags"): NumberObject(4), Name("/FontBBox"): ArrayObject(map(NumberObject, metrics.bbox)),
        Name("/ItalicAngle"): NumberObject(0), Name("/Ascent"): NumberObject(metrics.ascent),
        Name("/Descent"): NumberObject(metrics.descent), Name("/CapHeight"): NumberObject(metrics.ascent),
        Name("/StemV"): NumberObject(80)}))
    cid_font = writer._add_object(DictionaryObject({
        Name("/Type"): Name("/Font"), Name("/Subtype"): Name("/CIDFontType0"),
        Name("/BaseFont"): name,
        Name("/CIDSystemInfo"): DictionaryObject({
            Name("/Registry"): Text("Adobe"), Name("/Ordering"): Text("GB1"),
            Name("/Supplement"): NumberObject(4)}),
        Name("/FontDescriptor"): descriptor, Name("/DW"): NumberObject(1000),
        Name("/W"): ArrayObject([NumberObject(1), ascii_widths])}))
    return writer._add_object(DictionaryObject({
        Name("/Type"): Name("/Font"), Name("/Subtype"): Name("/Type0"),
        Name("/BaseFont"): name, Name("/Encoding"): Name("/Identity-H"),
        Name("/DescendantFonts"): ArrayObject([cid_font])}))


# -- the fields --------------------------------------------------------------------

class _Fields:
    def __init__(self, spec: FormSpec, data: dict, page: Page, font: EmbeddedFont):
        self.spec = spec
        self.data = data
        self.page = page
        self.font = font
        self.values = {box.address: self._value(box) for box in page.boxes}
        shown = "".join(v for v in self.values.values() if isinstance(v, str))
        self.extra = extra_font(font.subset, shown)
        self.drawn_name, self.drawn = value_font(font, shown)

    def _value(self, box: Box) -> Any:
        group_row = self._row(box.address)
        value = group_row if group_row is not None else get_path(self.data, box.address)
        if box.field.kind == "boolean":
            return value if isinstance(value, bool) else None
        if box.field.kind == "multi" and self.spec.lookup(box.address) is not box.field:
            chosen = get_path(self.data, box.field.address)
            code = box.field.choices[multi_choice(box.address)]
            return True if isinstance(chosen, list) and any(v == code and type(v) is type(code) for v in chosen) \
                else None
        return display(box.field, value)

    def _row(self, address: str) -> Any:
        for group in self.spec.groups():
            prefix = group.address + "."
            if address.startswith(prefix):
                index, column = address[len(prefix):].split(".", 1)
                rows = get_path(self.data, group.address) or []
                return group.row_values(rows, int(index)).get(column)
        return None

    def build(self, unit: str | None = None) -> bytes:
        writer = PdfWriter(clone_from=self.page.reader)
        fonts = form_fonts(writer, self.font, self.drawn_name, self.drawn, self.extra)
        resources = writer._add_object(DictionaryObject({Name("/Font"): fonts}))
        widgets = ((box.page, box.address, self._widget(box, writer, resources)) for box in self.page.boxes)
        return write_form(writer, self.spec, writer.pages, widgets, resources, FONT_SIZE, unit)

    def _widget(self, box: Box, writer: PdfWriter, resources: DictionaryObject) -> DictionaryObject:
        field, value = box.field, self.values[box.address]
        w, h = box.w * MM, box.h * MM
        align = 2 if field.kind in ("integer", "number") else 0
        multiline = is_text(field) and (field.multiline or box.h >= 2 * LINE_H)  # a tall box wraps what is typed
        return field_widget(writer, self.spec, box.address, field, value,
                            (box.x * MM, (self.page.height - box.y - box.h) * MM, w, h), resources,
                            readonly=box.readonly, size=FONT_SIZE, colour="0 g", align=align,
                            multiline=multiline, on=box.state,
                            appearance=lambda: self._text_appearance(value, w, h, multiline, align,
                                                                     top=field.multiline))

    # -- drawing values ---------------------------------------------------------------
    def _width(self, ch: str) -> int:
        if self.font.subset.has(ch) or self.extra is None or not self.extra.subset.has(ch):
            return self.font.subset.width(ch)
        return self.extra.subset.width(ch)

    def _text_appearance(self, text: str, w: float, h: float, multiline: bool, align: int,
                         top: bool = True) -> bytes:
        """The value drawn in its box: wrapped when ``multiline``, from the top when ``top`` or longer than a line
        (a value of one line in a box tall only to take a longer one stands in the middle, as in a short box)."""
        body = [b"/Tx BMC"]
        if text:
            inner = w - 4
            size = FONT_SIZE
            if multiline:
                lines = wrap(text, inner, size, self._width)
                while len(lines) * size * 1.25 > h - 2 and size > MIN_FONT_SIZE:
                    size -= 0.5
                    lines = wrap(text, inner, size, self._width)
            else:
                lines = [" ".join(text.split("\n"))]
                natural = sum(map(self._width, lines[0])) * size / 1000
                if natural > inner:
                    size = max(MIN_FONT_SIZE, size * inner / natural)
            ascent, descent = self.font.subset.ascent, self.font.subset.descent
            leading = size * 1.25
            if multiline and (top or len(lines) > 1):
                baseline = h - 1 - size * ascent / 1000
            else:
                baseline = (h - size * (ascent - descent) / 1000) / 2 - size * descent / 1000
            body += [b"q", b"1 1 %.2f %.2f re W n" % (w - 2, h - 2), b"BT", b"0 g"]
            for i, line in enumerate(lines):
                line_w = sum(map(self._width, line)) * size / 1000
                x = w - 2 - line_w if align == 2 else 2
                body.append(b"1 0 0 1 %.2f %.2f Tm" % (x, baseline - i * leading))
                body += [b"%s %.2f Tf <%s> Tj" % (font.encode(), size, glyphs) for font, glyphs in self._runs(line)]
            body += [b"ET", b"Q"]
        body.append(b"EMC")
        return b"\n".join(body)

    def _runs(self, line: str) -> list[tuple[str, bytes]]:
        """The line as (font resource, hex glyph ids) runs: the field font, or the extra font for rare characters."""
        runs: list[tuple[str, bytes]] = []
        for ch in line:
            if self.font.subset.has(ch) or self.extra is None or not self.extra.subset.has(ch):
                font, cid = self.drawn_name, self.drawn.subset.codes.get(ch, 0)
            else:
                font, cid = EXTRA_FONT, self.extra.subset.codes[ch]
            if runs and runs[-1][0] == font:
                runs[-1] = (font, runs[-1][1] + b"%04X" % cid)
            else:
                runs.append((font, b"%04X" % cid))
        return runs


# -- the AcroForm (also of letters, formgen.compile.pdfletter) ------------------------

def value_font(field_font: EmbeddedFont, shown: str) -> tuple[str, EmbeddedFont]:
    """The resource name and the font that formgen draws the characters of ``shown`` with (pre-filled values):
    the embedded field font itself when it is what viewers type with (``FORMGEN_PDF_TYPING_FONT=embedded``),
    else a copy of it holding the glyphs of ``shown`` only."""
    if pdffonts.typing_font() == pdffonts.EMBEDDED:
        return FIELD_FONT, field_font
    return VALUE_FONT, embed_font(pdffonts.glyph_subset(field_font.subset, shown + " "))


def form_fonts(writer: PdfWriter, field_font: EmbeddedFont, drawn_name: str, drawn: EmbeddedFont,
               extra: EmbeddedFont | None, others: dict[str, EmbeddedFont] | None = None) -> DictionaryObject:
    """The /Font resources of a fillable PDF: the font viewers type with (``field_font``, or the viewer's own
    Chinese font with its widths), the font formgen draws values with as ``drawn_name`` (see
    :func:`value_font`), the extra font for rare characters, ``others`` by resource name, and ZapfDingbats for the
    check boxes."""
    if drawn_name == FIELD_FONT:
        fonts = DictionaryObject({Name(FIELD_FONT): font_objects(writer, drawn)})
    else:
        fonts = DictionaryObject({Name(FIELD_FONT): system_font_objects(writer, field_font.subset),
                                  Name(drawn_name): font_objects(writer, drawn)})
    if extra:
        fonts[Name(EXTRA_FONT)] = font_objects(writer, extra)
    for name, font in (others or {}).items():
        fonts[Name(name)] = font_objects(writer, font)
    fonts[Name("/ZaDb")] = writer._add_object(DictionaryObject({
        Name("/Type"): Name("/Font"), Name("/Subtype"): Name("/Type1"),
        Name("/BaseFont"): Name("/ZapfDingbats")}))
    return fonts


def form_xobject(w: float, h: float, content: bytes, resources: PdfObject) -> StreamObject:
    """An appearance stream of a w x h pt widget."""
    form = DecodedStreamObject()
    form.set_data(content)
    form.update({Name("/Type"): Name("/XObject"), Name("/Subtype"): Name("/Form"),
                 Name("/BBox"): ArrayObject([FloatObject(0), FloatObject(0), FloatObject(round(w, 2)),
                                                   FloatObject(round(h, 2))]),
                 Name("/Resources"): resources})
    return form.flate_encode() if len(content) > 256 else form


def field_widget(writer: PdfWriter, spec: FormSpec, address: str, field: Field, value: Any,
                 rect: tuple[float, float, float, float], resources: PdfObject, *, readonly: bool, size: float,
                 colour: str, align: int, multiline: bool, appearance: Callable[[], bytes],
                 on: str = YES) -> DictionaryObject:
    """The widget of a field at ``rect`` (x, y, w, h in pt from the page's bottom left): a check box for
    yes/no (whose on state is ``on``: YES, or NO for the 否 box of a pair; ``value`` True, False or None),
    a combo box for a choice, else a text field typed in the field font at ``size`` pt in ``colour``
    (a fill colour operator), whose pre-filled value ``appearance()`` draws (the content of its stream)."""
    x, y, w, h = rect
    box = field.kind == "multi" and spec.lookup(address) is not field
    flags = (READ_ONLY if readonly else 0) | (REQUIRED if field.required and not box else 0)
    tooltip = spec.label_of(address) + (f"：{field.ann['help']}" if field.ann.get("help") else "")
    if box:  # one box of a multiple choice: the field and the choice
        tooltip = f"{spec.label_of(field.address)}：{field.choice_labels[multi_choice(address)]}"
    d = DictionaryObject({
        Name("/Type"): Name("/Annot"), Name("/Subtype"): Name("/Widget"),
        Name("/Rect"): ArrayObject([FloatObject(round(v, 2)) for v in (x, y, x + w, y + h)]),
        Name("/F"): NumberObject(4), Name("/TU"): Text(tooltip)})
    if field.kind == "boolean" or box:
        ticked = value is True if on == YES else value is False
        state = Name(on if ticked else OFF)
        d.update({Name("/FT"): Name("/Btn"), Name("/V"): state, Name("/AS"): state,
                  Name("/Ff"): NumberObject(flags), Name("/DA"): Text("/ZaDb 0 Tf 0 g"),
                  Name("/MK"): DictionaryObject({Name("/CA"): Text("4")}),
                  Name("/AP"): DictionaryObject({Name("/N"): DictionaryObject({
                      Name(on): writer._add_object(form_xobject(w, h, check_mark(w, h), resources)),
                      Name(OFF): writer._add_object(form_xobject(w, h, b"", resources))})})})
        return d
    if field.kind == "choice":
        d[Name("/FT")] = Name("/Ch")
        d[Name("/Opt")] = ArrayObject([Text(o) for o in ["", *field.choice_labels]])
        flags |= COMBO
    else:
        d[Name("/FT")] = Name("/Tx")
        if multiline:
            flags |= MULTILINE
        if field.schema.get("maxLength"):
            d[Name("/MaxLen")] = NumberObject(field.schema["maxLength"])
    d.update({Name("/Ff"): NumberObject(flags), Name("/Q"): NumberObject(align),
              Name("/DA"): Text(f"{FIELD_FONT} {size:g} Tf {colour}"),
              Name("/MK"): DictionaryObject()})
    if value:
        d[Name("/V")] = Text(value)
    d[Name("/AP")] = DictionaryObject({Name("/N"): writer._add_object(
        form_xobject(w, h, appearance(), resources))})
    return d


def write_form(writer: PdfWriter, spec: FormSpec, pages: Sequence[PageObject],
               widgets: Iterable[tuple[int, str, DictionaryObject]], resources: PdfObject, size: float,
               unit: str | None = None) -> bytes:
    """The PDF bytes of ``writer`` with its widgets (page index, address, widget) as the AcroForm's fields,
    typed at ``size`` pt by default, and the form's identity (and ``unit``, the code of the unit the form is
    made for) in the document information."""
    nodes: dict[tuple[str, ...], IndirectObject] = {}
    top = ArrayObject()
    placed: dict[str, list[IndirectObject]] = {}
    for number, address, widget in widgets:
        page = pages[number]
        ref = writer._add_object(widget)
        widget[Name("/P")] = page.indirect_reference
        page.setdefault(Name("/Annots"), ArrayObject()).append(ref)
        placed.setdefault(address, []).append(ref)
    for address, refs in placed.items():
        parts = tuple(address.split("."))
        for ref in [yes_no_pair(writer, refs)] if _is_pair(refs) else refs:
            ref.get_object()[Name("/T")] = Text(parts[-1])
            attach(writer, nodes, top, parts, ref)
    top.append(_identity_field(writer, pages[0], spec, unit, len(pages)))
    writer._root_object[Name("/AcroForm")] = writer._add_object(DictionaryObject({
        Name("/Fields"): top, Name("/DR"): resources,
        Name("/DA"): Text(f"{FIELD_FONT} {size:g} Tf 0 g")}))
    writer._root_object[Name("/Lang")] = Text("zh-CN")
    info = {"/Title": spec.title, "/Creator": f"formgen {__version__}",
            "/CreationDate": datetime.now(timezone.utc).strftime("D:%Y%m%d%H%M%SZ"),  # not the reused page's
            INFO_FORM: spec.id, INFO_VERSION: spec.version, INFO_HASH: spec.hash, INFO_PAGES: str(len(pages))}
    if unit:
        info[INFO_UNIT] = unit
    writer.add_metadata(info)
    out = io.BytesIO()
    writer.write(out)
    return packed(out)


def packed(pdf: io.BytesIO) -> bytes:
    """The PDF in ``pdf`` with its objects gathered into compressed object streams by qpdf (pypdf writes none):
    the dictionaries of the fields and their appearances, the bulk of a form beside its fonts, take a quarter
    of the room (the checklist: 318 KiB -> 242 KiB); streams are copied as they are, not recompressed.  The page
    tree's inherited attributes are not pushed down to the pages (a third of qpdf's time): each page has its own."""
    import pikepdf  # qpdf, as formgen reads PDFs with it; loaded only to write one

    pdf.seek(0)
    with pikepdf.open(pdf, inherit_page_attributes=False) as doc:
        out = io.BytesIO()
        doc.save(out, object_stream_mode=pikepdf.ObjectStreamMode.generate,
                 stream_decode_level=pikepdf.StreamDecodeLevel.none)
    return out.getvalue()


def _identity_field(writer: PdfWriter, page: PageObject, spec: FormSpec, unit: str | None,
                    pages: int) -> IndirectObject:
    """A hidden, read-only, unprinted text field on the first page holding the form's identity as JSON, with the
    number of pages written."""
    identity = {"form": spec.id, "version": spec.version, "hash": spec.hash, **({"unit": unit} if unit else {}),
                "pages": pages}
    ref = writer._add_object(DictionaryObject({
        Name("/Type"): Name("/Annot"), Name("/Subtype"): Name("/Widget"),
        Name("/FT"): Name("/Tx"), Name("/T"): Text(IDENTITY_FIELD),
        Name("/V"): Text(json.dumps(identity, separators=(",", ":"))),
        Name("/Ff"): NumberObject(1),  # read-only
        Name("/F"): NumberObject(2 | 32),  # hidden, no view (and so not printed)
        Name("/Rect"): ArrayObject([FloatObject(0)] * 4), Name("/P"): page.indirect_reference}))
    page.setdefault(Name("/Annots"), ArrayObject()).append(ref)
    return ref


def _is_pair(refs: list[IndirectObject]) -> bool:
    """Whether the widgets of one address are the 是 and 否 boxes of a yes/no field."""
    return len(refs) == 2 and NO in refs[1].get_object().get("/AP", {}).get("/N", {})


def yes_no_pair(writer: PdfWriter, kids: list[IndirectObject]) -> IndirectObject:
    """The radio field of a yes/no pair, whose kids are its 是 and 否 check-box widgets: the field's
    entries move from the widgets up to it, its value the state of the ticked box, else /Off."""
    first = kids[0].get_object()
    state = next((kid.get_object()["/V"] for kid in kids if kid.get_object()["/V"] != OFF), Name(OFF))
    field = DictionaryObject({
        Name("/FT"): Name("/Btn"), Name("/V"): state,
        Name("/Ff"): NumberObject(int(first["/Ff"]) | RADIO | NO_TOGGLE_TO_OFF),
        Name("/TU"): first["/TU"], Name("/Kids"): ArrayObject(kids)})
    ref = writer._add_object(field)
    for kid in kids:
        widget = kid.get_object()
        for key in ("/FT", "/Ff", "/V"):
            del widget[key]
        widget[Name("/Parent")] = ref
    return ref


def attach(writer: PdfWriter, nodes: dict, top: ArrayObject, parts: tuple[str, ...], widget: IndirectObject) -> None:
    """Hang a terminal field under its parents (``persons`` > ``0``), creating them as needed."""
    child = widget
    for depth in range(len(parts) - 1, 0, -1):
        prefix = parts[:depth]
        created = prefix not in nodes
        if created:
            nodes[prefix] = writer._add_object(DictionaryObject({
                Name("/T"): Text(prefix[-1]), Name("/Kids"): ArrayObject()}))
        nodes[prefix].get_object()["/Kids"].append(child)
        child.get_object()[Name("/Parent")] = nodes[prefix]
        if not created:
            return
        child = nodes[prefix]
    top.append(child)


def check_mark(w: float, h: float) -> bytes:
    return b"q 0 g 0 G %.2f w 1 J 1 j %.2f %.2f m %.2f %.2f l %.2f %.2f l S Q" % (
        max(w, h) * 0.12, w * 0.2, h * 0.52, w * 0.42, h * 0.25, w * 0.8, h * 0.8)


WORD = set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_./@")


def is_text(field: Field) -> bool:
    """A field typed as free text (not a choice, a yes/no, a number or a date)."""
    return field.kind in ("string", "text")


def wrap(text: str, width: float, size: float, char_width) -> list[str]:
    """Break text into lines no wider than ``width`` pt at ``size`` pt.

    Chinese breaks between any two characters; Latin words and numbers stay
    whole when they fit on a line; closing punctuation never starts a line
    (the character before it moves down with it) and opening punctuation never
    ends one (it moves down to what it opens); in text whose words are written
    apart (法院 检察院 公安厅) a line breaks at a space, not inside a word.
    """
    lines: list[str] = []
    for para in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        line, used = "", 0.0
        for ch in para:
            adv = char_width(ch) * size / 1000
            if line and used + adv > width:
                cut = len(line)
                if ch in WORD:
                    start = cut
                    while start > 0 and line[start - 1] in WORD:
                        start -= 1
                    cut = start or cut
                elif ch in NO_LINE_START and cut > 1:
                    cut -= 1
                elif ch != " " and " " in line and len(line) - line.rfind(" ") <= SPACED_WORD:
                    cut = line.rfind(" ") + 1  # words written apart (法院 检察院) break between them
                while cut > 1 and line[cut - 1] in NO_LINE_END:
                    cut -= 1
                line, rest = line[:cut], line[cut:]
                lines.append(line.rstrip(" "))
                line = rest.lstrip(" ") if ch != " " else rest
                used = sum(char_width(c) for c in line) * size / 1000
                if ch == " " and not line:
                    continue
            line += ch
            used += adv
        lines.append(line)
    return lines
