"""Compile a FormSpec to a fillable PDF (AcroForm), blank or pre-filled.

Two layers.  The *page* (fpdf2) is the paper form: A4, the title, a heading
band per section, a bordered grid of label and value cells, repeating groups
as table rows (the header repeated on each page), and the footer notes; it
depends only on the definition and the number of rows, so it is built once
per process and reused.  The *fields* (pypdf objects) go on top: one widget
per input, named by its address through a field hierarchy (``persons`` >
``0`` > ``name`` is the field ``persons.2.name``; a partial name may not
contain a period).  Text fields (multi-line for ``textarea``), combo boxes for
choices, a pair of 是/否 boxes for a yes/no field (a radio group whose states are
``/Yes`` and ``/No``, so a field nobody touched, ``/Off``, differs from 否; a
yes/no column of a repeating group is one check box), dates as text with the
format printed under the label.

Field font: a subset of a TrueType CJK font (see ``pdffonts``) with ASCII, GB 2312, the
通用规范汉字表 and 〇, cut once and cached on disk, embedded as ``/FGF`` in ``/AcroForm /DR`` and named by every
``/DA``, so Chinese typed in a viewer can be drawn.  Pre-filled values are
drawn by formgen itself (appearance streams), wrapped by the font's widths;
characters beyond that set (rarer name characters) go into a second
small subset ``/FGX`` used only by those appearances.  Nothing asks the viewer
to redraw (no NeedAppearances).

The form's identity is in the document information: ``/FormgenForm``,
``/FormgenVersion`` and ``/FormgenHash``.
"""

from __future__ import annotations

import io
import json
import zlib
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from dataclasses import field as dc_field
from functools import lru_cache
from typing import Any

from fpdf import FPDF
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
from formgen.fsutil import atomic_write_bytes
from formgen.layout.letter import is_letter
from formgen.layout.linebreak import NO_LINE_END, NO_LINE_START
from formgen.layout.pdf import IDENTITY_FIELD, INFO_FORM, INFO_HASH, INFO_UNIT, INFO_VERSION, NO, OFF, YES
from formgen.paths import get_path
from formgen.present import display
from formgen.spec.model import BOOL_LABELS, Field, FormSpec, Group

FIELD_FONT, EXTRA_FONT = "/FGF", "/FGX"
MM = 72 / 25.4
MARGIN = 15.0
LABEL_W = 40.0
PAD = 1.5
ROW_H = 8.0
LINE_H = 5.0  # mm per line of a multi-line value
CHECK = 4.5  # mm, the side of a check box
FONT_SIZE = 10.0  # pt, values and labels
OPTION_SIZE = 7.5  # pt, the choices printed under a choice field of a row
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
PAIR_GAP = 14.0  # mm from the 是 box to the 否 box


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


class PdfCompiler:
    format = "pdf"
    suffix = ".pdf"

    def compile(self, spec: FormSpec, data: dict | None, out, lang: str = "zh_CN", unit: str | None = None) -> None:
        """Write the form to ``out``; ``unit`` is the code of the unit it is made for, stamped beside the identity."""
        atomic_write_bytes(out, render(spec, data or {}, unit))


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
        _PAGES[key] = _Layout(spec, rows, page_font).build()
    return _PAGES[key]


class _Pdf(FPDF):
    def footer(self) -> None:
        self.set_y(-10)
        self.set_font("page", size=8)
        self.set_text_color(HINT_GREY)
        self.cell(0, 5, f"第 {self.page_no()} 页 / 共 {{nb}} 页", align="C")


class _Layout:
    def __init__(self, spec: FormSpec, rows: tuple[int, ...], font: pdffonts.FontFile):
        self.spec = spec
        self.rows = dict(zip((g.address for g in spec.groups()), rows))
        landscape = spec.ann.get("orientation") == "landscape"
        self.pdf = _Pdf(orientation="L" if landscape else "P", unit="mm", format="A4")
        self.pdf.set_auto_page_break(False)
        self.pdf.set_margins(MARGIN, MARGIN, MARGIN)
        self.pdf.add_font("page", fname=font.path, collection_font_number=font.index)
        self.pdf.set_creator(f"formgen {__version__}")
        self.width = self.pdf.w - 2 * MARGIN
        self.boxes: list[Box] = []
        self.y = MARGIN
        self.repeat: Any = None  # the header of the group being laid out, repeated on a new page

    def build(self) -> Page:
        self.pdf.add_page()
        self._title()
        self.spec.walk(lambda title: self._band(title, SECTION_FILL, 11), self._field, self._group, self._note,
                       total_rows=True)
        return Page(bytes(self.pdf.output()), self.boxes, self.pdf.h)

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
        if self.y + h <= self.pdf.h - MARGIN - 5:
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
        lines = self._lines(text, self.width, 8)
        self.y += 2
        self._room(len(lines) * 3.6)
        self._text(MARGIN, self.y, self.width, lines, 8)
        self.y += len(lines) * 3.6

    @staticmethod
    def _label(item: Field | Group) -> str:
        return item.title + (" *" if item.required else "")

    @staticmethod
    def _hint(field: Field) -> str:
        return field.ann.get("help") or DATE_HINTS.get(field.kind, "")

    def _field(self, field: Field) -> None:
        label = self._lines(self._label(field), LABEL_W - 2 * PAD, FONT_SIZE)
        hint = self._lines(self._hint(field), LABEL_W - 2 * PAD, 7) if self._hint(field) else []
        label_h = len(label) * 4.5 + len(hint) * 3.15
        lines = field.ann.get("lines", 3) if field.multiline else 1
        h = max(ROW_H, label_h + 2 * PAD, lines * LINE_H + 2 if field.multiline else 0)
        self._room(h)
        x, y, vw = MARGIN, self.y, self.width - LABEL_W
        self._cell(x, y, LABEL_W, h, LABEL_FILL)
        top = y + (h - label_h) / 2
        self._text(x + PAD, top, LABEL_W - 2 * PAD, label, FONT_SIZE, "C")
        self._text(x + PAD, top + len(label) * 4.5, LABEL_W - 2 * PAD, hint, 7, "C", grey=True)
        self._cell(x + LABEL_W, y, vw, h)
        if field.kind == "boolean":
            self._checkbox(field.address, field, x + LABEL_W + 2, y, h, BOOL_LABELS[0])
            self._checkbox(field.address, field, x + LABEL_W + 2 + PAIR_GAP, y, h, BOOL_LABELS[1], NO)
        else:
            self._box(field.address, field, x + LABEL_W, y, vw, h, field.readonly)
        self.y += h

    def _box(self, address: str, field: Field, x: float, y: float, w: float, h: float, readonly: bool) -> None:
        self.boxes.append(Box(address, field, self.pdf.page_no() - 1, x + 0.5, y + 0.5, w - 1, h - 1, readonly))

    def _checkbox(self, address: str, field: Field, x: float, y: float, h: float, caption: str = "",
                  state: str = YES) -> None:
        top = y + (h - CHECK) / 2
        self._cell(x, top, CHECK, CHECK)
        self.boxes.append(Box(address, field, self.pdf.page_no() - 1, x, top, CHECK, CHECK, field.readonly, state))
        if caption:
            self._text(x + CHECK + 1, y + (h - 4.5) / 2, 20, [caption], FONT_SIZE)

    def _widths(self, group: Group) -> list[float]:
        weights = [float(c.ann.get("width") or 0) / 10 or COLUMN_WEIGHTS.get(c.kind, 1.0) for c in group.columns]
        return [self.width * w / sum(weights) for w in weights]

    def _group(self, group: Group) -> None:
        if group.section is None or group.title != group.section:
            self._band(self._label(group), None, 10.5)
        widths = self._widths(group)
        titles = [self._lines(c.title + (" *" if c.required else ""), w - 2 * PAD, FONT_SIZE)
                  for c, w in zip(group.columns, widths)]
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
        multiline = any(c.multiline for c in group.columns)
        for i in range(self.rows[group.address]):
            fixed = group.fixed_rows[i] if i < len(group.fixed_rows) else {}
            printed = {c.name: self._lines(display(c, fixed.get(c.name)), w - 2 * PAD, FONT_SIZE)
                       for c, w in zip(group.columns, widths) if group.printed_only(c)}
            options = {c.name: self._options(c, w - 2 * PAD)
                       for c, w in zip(group.columns, widths) if c.kind == "choice" and c.name not in printed}
            options_h = max((len(lines) * OPTION_SIZE * 0.45 + PAD for lines in options.values()), default=0)
            h = max(2 * LINE_H + 2 if multiline else ROW_H,
                    max((len(lines) * 4.5 + 2 * PAD for lines in printed.values()), default=0),
                    ROW_H + options_h if options else 0)
            self._room(h)
            x = MARGIN
            for col, w in zip(group.columns, widths):
                self._cell(x, self.y, w, h)
                address = f"{group.address}.{i}.{col.name}"
                if col.name in printed:
                    lines = printed[col.name]
                    self._text(x + PAD, self.y + (h - len(lines) * 4.5) / 2, w - 2 * PAD, lines, FONT_SIZE)
                elif col.kind == "boolean":
                    self._checkbox(address, col, x + (w - CHECK) / 2, self.y, h)
                elif col.name in options:  # the choices printed under the field, to tick on paper
                    self._box(address, col, x, self.y, w, h - options_h, col.readonly and bool(fixed))
                    self._text(x + PAD, self.y + h - options_h, w - 2 * PAD, options[col.name], OPTION_SIZE)
                else:
                    self._box(address, col, x, self.y, w, h, col.readonly and bool(fixed))
                x += w
            self.y += h
        totals = self.spec.total_row(group)
        if totals:
            self._total_row(group, totals, widths)
        self.repeat = None
        self.y += 3

    def _options(self, field: Field, width: float) -> list[str]:
        """A choice field's options as printed under it (□已落实　□部分落实): on one line when they fit,
        else one a line, so that no option breaks."""
        boxes = ["□" + label for label in field.choice_labels]
        one = self._lines("　".join(boxes), width, OPTION_SIZE)
        return one if len(one) == 1 else self._lines("\n".join(boxes), width, OPTION_SIZE)

    def _total_row(self, group: Group, totals: dict[str, Field], widths: list[float]) -> None:
        """合计 under the rows: the label over the leading columns without a total, a box per total."""
        self._room(ROW_H)
        span = next(c for c, col in enumerate(group.columns) if col.name in totals)
        label_w = sum(widths[:span])
        self._cell(MARGIN, self.y, label_w, ROW_H, LABEL_FILL)
        self._text(MARGIN + PAD, self.y + (ROW_H - 4.5) / 2, label_w - 2 * PAD, [group.total_label], FONT_SIZE, "C")
        x = MARGIN + label_w
        for col, w in zip(group.columns[span:], widths[span:]):
            self._cell(x, self.y, w, ROW_H, None if col.name in totals else LABEL_FILL)
            if col.name in totals:
                self._box(totals[col.name].address, totals[col.name], x, self.y, w, ROW_H, False)
            x += w
        self.y += ROW_H


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
    pairs = sorted((code, ch) for ch, code in subset.codes.items())
    for start in range(0, len(pairs), 100):
        chunk = pairs[start:start + 100]
        lines.append(b"%d beginbfchar" % len(chunk))
        lines += [b"<%04X> <%s>" % (code, ch.encode("utf-16-be").hex().upper().encode()) for code, ch in chunk]
        lines.append(b"endbfchar")
    lines.append(b"endcmap CMapName currentdict /CMap defineresource pop end end")
    default = Counter(subset.widths.values()).most_common(1)[0][0]
    return EmbeddedFont(subset, tag, zlib.compress(b"\n".join(lines), 6), default,
                         sorted((code, width) for code, width in subset.widths.items() if width != default))


@lru_cache(maxsize=2)
def embedded_field_font(font: pdffonts.FontFile) -> EmbeddedFont:
    return embed_font(pdffonts.base_subset(font))


def extra_font(base: pdffonts.Subset, shown: str) -> EmbeddedFont | None:
    """A second small subset for the characters of ``shown`` beyond the base subset (rare names: 喆玥)."""
    extra = {ch for ch in shown if not base.has(ch) and pdffonts.covers(base.font, ch)}
    return embed_font(pdffonts.subset(base.font, "".join(extra), truetype=True)) if extra else None


def stream(data: bytes, compressed: bool, **entries: Any) -> StreamObject:
    stream = StreamObject()
    stream._data = data
    if compressed:
        stream[NameObject("/Filter")] = NameObject("/FlateDecode")
    for key, value in entries.items():
        stream[NameObject("/" + key)] = value
    return stream


def font_objects(writer: PdfWriter, font: EmbeddedFont) -> IndirectObject:
    """A Type0 font (Identity-H) with its descendant, descriptor and ToUnicode.

    TrueType outlines: a CIDFontType2 whose codes are the subset's glyph ids
    (``/CIDToGIDMap /Identity``).  CFF outlines: a CIDFontType0 with the
    bare CFF program as ``/FontFile3``; its codes are the CFF font's CIDs.
    """
    sub = font.subset
    name = NameObject(f"/{font.tag}+{sub.name}")
    w_array = ArrayObject()
    for code, width in font.widths:
        w_array += [NumberObject(code), ArrayObject([NumberObject(width)])]
    if sub.cff:
        file_key, font_file = "/FontFile3", stream(sub.data, True, Subtype=NameObject("/CIDFontType0C"))
    else:
        file_key, font_file = "/FontFile2", stream(sub.data, True, Length1=NumberObject(sub.length))
    descriptor = writer._add_object(DictionaryObject({
        NameObject("/Type"): NameObject("/FontDescriptor"), NameObject("/FontName"): name,
        NameObject("/Flags"): NumberObject(4), NameObject("/FontBBox"): ArrayObject(map(NumberObject, sub.bbox)),
        NameObject("/ItalicAngle"): NumberObject(0), NameObject("/Ascent"): NumberObject(sub.ascent),
        NameObject("/Descent"): NumberObject(sub.descent), NameObject("/CapHeight"): NumberObject(sub.ascent),
        NameObject("/StemV"): NumberObject(80), NameObject(file_key): writer._add_object(font_file)}))
    cid_font = DictionaryObject({
        NameObject("/Type"): NameObject("/Font"),
        NameObject("/Subtype"): NameObject("/CIDFontType0" if sub.cff else "/CIDFontType2"),
        NameObject("/BaseFont"): name,
        NameObject("/CIDSystemInfo"): DictionaryObject({
            NameObject("/Registry"): TextStringObject("Adobe"), NameObject("/Ordering"): TextStringObject("Identity"),
            NameObject("/Supplement"): NumberObject(0)}),
        NameObject("/FontDescriptor"): descriptor, NameObject("/DW"): NumberObject(font.default_width),
        NameObject("/W"): w_array})
    if not sub.cff:
        cid_font[NameObject("/CIDToGIDMap")] = NameObject("/Identity")
    cid_font = writer._add_object(cid_font)
    return writer._add_object(DictionaryObject({
        NameObject("/Type"): NameObject("/Font"), NameObject("/Subtype"): NameObject("/Type0"),
        NameObject("/BaseFont"): name, NameObject("/Encoding"): NameObject("/Identity-H"),
        NameObject("/DescendantFonts"): ArrayObject([cid_font]),
        NameObject("/ToUnicode"): writer._add_object(stream(font.to_unicode, True))}))


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

    def _value(self, box: Box) -> Any:
        group_row = self._row(box.address)
        value = group_row if group_row is not None else get_path(self.data, box.address)
        if box.field.kind == "boolean":
            return value if isinstance(value, bool) else None
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
        writer = PdfWriter(clone_from=PdfReader(io.BytesIO(self.page.pdf)))
        resources = DictionaryObject({NameObject("/Font"): form_fonts(writer, self.font, self.extra)})
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
                            appearance=lambda: self._text_appearance(value, w, h, multiline, align))

    # -- drawing values ---------------------------------------------------------------
    def _width(self, ch: str) -> int:
        if self.font.subset.has(ch) or self.extra is None or not self.extra.subset.has(ch):
            return self.font.subset.width(ch)
        return self.extra.subset.width(ch)

    def _text_appearance(self, text: str, w: float, h: float, multiline: bool, align: int) -> bytes:
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
            if multiline:
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
                font, cid = FIELD_FONT, self.font.subset.codes.get(ch, 0)
            else:
                font, cid = EXTRA_FONT, self.extra.subset.codes[ch]
            if runs and runs[-1][0] == font:
                runs[-1] = (font, runs[-1][1] + b"%04X" % cid)
            else:
                runs.append((font, b"%04X" % cid))
        return runs


# -- the AcroForm (also of letters, formgen.compile.pdfletter) ------------------------

def form_fonts(writer: PdfWriter, field_font: EmbeddedFont, extra: EmbeddedFont | None,
               others: dict[str, EmbeddedFont] | None = None) -> DictionaryObject:
    """The /Font resources of a fillable PDF: the field font, the extra font for rare characters, ``others``
    by resource name, and ZapfDingbats for the check boxes."""
    fonts = DictionaryObject({NameObject(FIELD_FONT): font_objects(writer, field_font)})
    if extra:
        fonts[NameObject(EXTRA_FONT)] = font_objects(writer, extra)
    for name, font in (others or {}).items():
        fonts[NameObject(name)] = font_objects(writer, font)
    fonts[NameObject("/ZaDb")] = writer._add_object(DictionaryObject({
        NameObject("/Type"): NameObject("/Font"), NameObject("/Subtype"): NameObject("/Type1"),
        NameObject("/BaseFont"): NameObject("/ZapfDingbats")}))
    return fonts


def form_xobject(w: float, h: float, content: bytes, resources: PdfObject) -> StreamObject:
    """An appearance stream of a w x h pt widget."""
    form = DecodedStreamObject()
    form.set_data(content)
    form.update({NameObject("/Type"): NameObject("/XObject"), NameObject("/Subtype"): NameObject("/Form"),
                 NameObject("/BBox"): ArrayObject([FloatObject(0), FloatObject(0), FloatObject(round(w, 2)),
                                                   FloatObject(round(h, 2))]),
                 NameObject("/Resources"): resources})
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
    flags = (READ_ONLY if readonly else 0) | (REQUIRED if field.required else 0)
    tooltip = spec.label_of(address) + (f"：{field.ann['help']}" if field.ann.get("help") else "")
    d = DictionaryObject({
        NameObject("/Type"): NameObject("/Annot"), NameObject("/Subtype"): NameObject("/Widget"),
        NameObject("/Rect"): ArrayObject([FloatObject(round(v, 2)) for v in (x, y, x + w, y + h)]),
        NameObject("/F"): NumberObject(4), NameObject("/TU"): TextStringObject(tooltip)})
    if field.kind == "boolean":
        ticked = value is True if on == YES else value is False
        state = NameObject(on if ticked else OFF)
        d.update({NameObject("/FT"): NameObject("/Btn"), NameObject("/V"): state, NameObject("/AS"): state,
                  NameObject("/Ff"): NumberObject(flags), NameObject("/DA"): TextStringObject("/ZaDb 0 Tf 0 g"),
                  NameObject("/MK"): DictionaryObject({NameObject("/CA"): TextStringObject("4")}),
                  NameObject("/AP"): DictionaryObject({NameObject("/N"): DictionaryObject({
                      NameObject(on): writer._add_object(form_xobject(w, h, check_mark(w, h), resources)),
                      NameObject(OFF): writer._add_object(form_xobject(w, h, b"", resources))})})})
        return d
    if field.kind == "choice":
        d[NameObject("/FT")] = NameObject("/Ch")
        d[NameObject("/Opt")] = ArrayObject([TextStringObject(o) for o in ["", *field.choice_labels]])
        flags |= COMBO
    else:
        d[NameObject("/FT")] = NameObject("/Tx")
        if multiline:
            flags |= MULTILINE
        if field.schema.get("maxLength"):
            d[NameObject("/MaxLen")] = NumberObject(field.schema["maxLength"])
    d.update({NameObject("/Ff"): NumberObject(flags), NameObject("/Q"): NumberObject(align),
              NameObject("/DA"): TextStringObject(f"{FIELD_FONT} {size:g} Tf {colour}"),
              NameObject("/MK"): DictionaryObject()})
    if value:
        d[NameObject("/V")] = TextStringObject(value)
    d[NameObject("/AP")] = DictionaryObject({NameObject("/N"): writer._add_object(
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
        widget[NameObject("/P")] = page.indirect_reference
        page.setdefault(NameObject("/Annots"), ArrayObject()).append(ref)
        placed.setdefault(address, []).append(ref)
    for address, refs in placed.items():
        parts = tuple(address.split("."))
        for ref in [yes_no_pair(writer, refs)] if _is_pair(refs) else refs:
            ref.get_object()[NameObject("/T")] = TextStringObject(parts[-1])
            attach(writer, nodes, top, parts, ref)
    top.append(_identity_field(writer, pages[0], spec, unit))
    writer._root_object[NameObject("/AcroForm")] = writer._add_object(DictionaryObject({
        NameObject("/Fields"): top, NameObject("/DR"): resources,
        NameObject("/DA"): TextStringObject(f"{FIELD_FONT} {size:g} Tf 0 g")}))
    writer._root_object[NameObject("/Lang")] = TextStringObject("zh-CN")
    info = {"/Title": spec.title, "/Creator": f"formgen {__version__}",
            INFO_FORM: spec.id, INFO_VERSION: spec.version, INFO_HASH: spec.hash}
    if unit:
        info[INFO_UNIT] = unit
    writer.add_metadata(info)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _identity_field(writer: PdfWriter, page: PageObject, spec: FormSpec, unit: str | None) -> IndirectObject:
    """A hidden, read-only, unprinted text field on the first page holding the form's identity as JSON."""
    identity = {"form": spec.id, "version": spec.version, "hash": spec.hash, **({"unit": unit} if unit else {})}
    ref = writer._add_object(DictionaryObject({
        NameObject("/Type"): NameObject("/Annot"), NameObject("/Subtype"): NameObject("/Widget"),
        NameObject("/FT"): NameObject("/Tx"), NameObject("/T"): TextStringObject(IDENTITY_FIELD),
        NameObject("/V"): TextStringObject(json.dumps(identity, separators=(",", ":"))),
        NameObject("/Ff"): NumberObject(1),  # read-only
        NameObject("/F"): NumberObject(2 | 32),  # hidden, no view (and so not printed)
        NameObject("/Rect"): ArrayObject([FloatObject(0)] * 4), NameObject("/P"): page.indirect_reference}))
    page.setdefault(NameObject("/Annots"), ArrayObject()).append(ref)
    return ref


def _is_pair(refs: list[IndirectObject]) -> bool:
    """Whether the widgets of one address are the 是 and 否 boxes of a yes/no field."""
    return len(refs) == 2 and NO in refs[1].get_object().get("/AP", {}).get("/N", {})


def yes_no_pair(writer: PdfWriter, kids: list[IndirectObject]) -> IndirectObject:
    """The radio field of a yes/no pair, whose kids are its 是 and 否 check-box widgets: the field's
    entries move from the widgets up to it, its value the state of the ticked box, else /Off."""
    first = kids[0].get_object()
    state = next((kid.get_object()["/V"] for kid in kids if kid.get_object()["/V"] != OFF), NameObject(OFF))
    field = DictionaryObject({
        NameObject("/FT"): NameObject("/Btn"), NameObject("/V"): state,
        NameObject("/Ff"): NumberObject(int(first["/Ff"]) | RADIO | NO_TOGGLE_TO_OFF),
        NameObject("/TU"): first["/TU"], NameObject("/Kids"): ArrayObject(kids)})
    ref = writer._add_object(field)
    for kid in kids:
        widget = kid.get_object()
        for key in ("/FT", "/Ff", "/V"):
            del widget[key]
        widget[NameObject("/Parent")] = ref
    return ref


def attach(writer: PdfWriter, nodes: dict, top: ArrayObject, parts: tuple[str, ...], widget: IndirectObject) -> None:
    """Hang a terminal field under its parents (``persons`` > ``0``), creating them as needed."""
    child = widget
    for depth in range(len(parts) - 1, 0, -1):
        prefix = parts[:depth]
        created = prefix not in nodes
        if created:
            nodes[prefix] = writer._add_object(DictionaryObject({
                NameObject("/T"): TextStringObject(prefix[-1]), NameObject("/Kids"): ArrayObject()}))
        nodes[prefix].get_object()["/Kids"].append(child)
        child.get_object()[NameObject("/Parent")] = nodes[prefix]
        if not created:
            return
        child = nodes[prefix]
    top.append(child)


def check_mark(w: float, h: float) -> bytes:
    return b"q 0 g 0 G %.2f w 1 J 1 j %.2f %.2f m %.2f %.2f l %.2f %.2f l S Q" % (
        max(w, h) * 0.12, w * 0.2, h * 0.52, w * 0.42, h * 0.25, w * 0.8, h * 0.8)


SPACED_WORD = 8  # characters: the longest word of a space-separated list kept whole
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
