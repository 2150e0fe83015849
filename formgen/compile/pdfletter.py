"""Letters as PDF: a finished letter that stays a fillable form.

A form whose ``x-formgen.kind`` is ``letter`` prints its letter blocks (see
``formgen.spec.letter``) in order, as flowing text in which every field is an
AcroForm field named by its address, placed where its value stands:

* ``text`` blocks are paragraphs broken by the fonts' widths (closing
  punctuation never starts a line); an inline field is a borderless text
  field (a combo box for a choice, a pair of 是/否 boxes for yes/no, so that
  a field nobody touched differs from 否) as wide as its value, drawn at the
  text's size, or an underlined blank when empty;
* ``field`` blocks are multi-line fields as tall as their wrapped text (or
  ``x-formgen.lines`` ruled lines when blank), each paragraph indented;
* ``table`` blocks are bordered tables with a header row, one row per record
  row (or the group's blank rows); ``attachment`` tables are 附件说明 lines.

Dates show as 2021年1月20日 and times as 2021年3月8日 16时40分 (coercion reads
both back).  Pre-filled values are drawn by formgen in the font of their
style; what people type in a viewer is drawn with the field font (``/DA``).

The layout follows GB/T 9704-2012 (A4, 22 lines of 28 characters on a grid,
版头 with red issuer mark and rule, 署名 and 成文日期 right-indented, 版记 at the
foot of the last page, page numbers "— 1 —"); the ``x-formgen.page``
annotation sets the measures, other letters get the same layout at 四号.

The page is written directly as content streams: fpdf2 would cost about a
second per letter, since a letter's text flows around its values and cannot
be laid out once per form.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from dataclasses import field as dc_field
from typing import Any

from pypdf import PdfWriter
from pypdf.generic import DecodedStreamObject, DictionaryObject, IndirectObject, NumberObject

from formgen.compile import pdffonts
from formgen.compile.pdf import (
    COLUMN_WEIGHTS,
    DO_NOT_SCROLL,
    EXTRA_FONT,
    FIELD_FONT,
    MM,
    NO_LINE_END,
    NO_LINE_START,
    REQUIRED,
    EmbeddedFont,
    Name,
    embed_font,
    embedded_field_font,
    extra_font,
    field_widget,
    form_fonts,
    value_font,
    wrap,
    write_form,
)
from formgen.layout.letter import (
    FOOT_STYLES,
    LINES_BELOW_RULE,
    RECORD_PT,
    RED_RULE_MM,
    XINHAN_HEAD,
    LetterPage,
    attachment_prefix,
    blank_head_lines,
    blank_keeps_next,
    blank_lines,
    keeps_with_signature,
    letter_head,
    letter_text,
    lines_after,
    page_of,
    signature_indents,
    style,
    title_lines,
)
from formgen.layout.pdf import NO, YES, continuation
from formgen.paths import get_path
from formgen.spec.letter import Block, Segment, letter_blocks
from formgen.spec.model import BOOL_LABELS, Field, FormSpec, Group

A4 = (595.28, 841.89)
ASCENT = 0.88  # of the em box above the baseline, for CJK faces
BLACK, RED, GREY = (0.0, 0.0, 0.0), (1.0, 0.0, 0.0), (0.55, 0.55, 0.55)
ROLE_FONTS = {"body": "/FB", "title": "/FT", "heading": "/FH"}
RULE_WIDTHS = {"red-rule": 1.0, "thin-rule": 0.25 * MM, "thick-rule": 0.35 * MM}  # pt
BLANK_EM = {"date": 7.0, "datetime": 10.5, "integer": 3.0, "number": 4.0}
FIXED_CHARS = "附件：0123456789. —"
#: The part of a blank's width it may give up so that the closing mark after it stays on its line.
SQUEEZE = 0.25


@dataclass(frozen=True)
class Geometry:
    """The letter's page (``formgen.layout.letter``) in pt from the page's top left."""

    page: LetterPage

    @property
    def top(self) -> float:
        return self.page.top * MM

    @property
    def left(self) -> float:
        return self.page.left * MM

    @property
    def width(self) -> float:
        return self.page.width_pt

    @property
    def foot(self) -> float:
        return A4[1] - self.page.bottom * MM

    @property
    def flow_foot(self) -> float:
        """Where the text flows to: the last whole line of the page's line grid, as Word fills a page."""
        return self.top + self.page.lines_per_page * self.page.pitch_pt

    @property
    def body(self) -> float:
        return self.page.body_pt

    @property
    def title(self) -> float:
        return self.page.title_pt

    @property
    def pitch(self) -> float:
        return self.page.pitch_pt

    @property
    def record(self) -> float:
        return RECORD_PT

    def size(self, key: str) -> float:
        return self.page.size(key)

    def tracking(self, size: float) -> float:
        """Character spacing (Tc) that puts the page's characters per line of body text on a line."""
        return self.page.tracking_pt if size == self.body else 0.0

    @property
    def em(self) -> float:
        """One character of body text, as the line spaces it."""
        return self.page.em_pt


def geometry(spec: FormSpec) -> Geometry:
    return Geometry(page_of(spec))


# -- what goes on the pages -----------------------------------------------------------

@dataclass
class Run:
    """Text drawn on the page: ``text`` from (x, baseline), in pt from the page's top left."""

    role: str
    size: float
    x: float
    baseline: float
    text: str
    color: tuple[float, float, float] = BLACK


@dataclass
class Line:
    x1: float
    y1: float
    x2: float
    y2: float
    width: float = 0.5
    color: tuple[float, float, float] = BLACK
    dash: bool = False


@dataclass
class Widget:
    """One field on a page: rectangle (pt from the top left), and how its value is drawn."""

    address: str
    field: Field
    page: int
    x: float
    y: float
    w: float
    h: float
    role: str
    size: float
    value: Any
    lines: list[tuple[float, float, str]] = dc_field(default_factory=list)  # (x, baseline) in the box, text
    align: int = 0
    color: tuple[float, float, float] = BLACK
    multiline: bool = False
    state: str = YES  # a check box's on state: YES, or NO for the 否 box of a yes/no pair
    part: int = 1  # of a blank multi-line field broken across pages: its box on the part-th page it stands on
    continues: bool = False  # a later page holds the next part

    @property
    def name(self) -> str:
        """The PDF field's name: the address, or the continuation's (``formgen.layout.pdf.continuation``)."""
        return continuation(self.address, self.part)


@dataclass
class Atom:
    """One piece of a paragraph: a literal character, or an inline field with its shown text."""

    width: float
    text: str = ""
    field: Field | None = None
    address: str = ""
    value: Any = None


@dataclass
class Placed:
    """An atom on a line at ``x``; ``row`` lines down when it follows a field wrapped over whole lines."""

    atom: Atom
    x: float
    lines: list[str] = dc_field(default_factory=list)  # a field wrapped over whole lines
    row: int = 0


class Letter:
    def __init__(self, spec: FormSpec, data: dict):
        self.spec = spec
        self.data = data
        self.geo = geometry(spec)
        self.blocks = letter_blocks(spec)
        self.field_font = embedded_field_font(pdffonts.field_font())
        self.fonts = {role: pdffonts.cached_subset(pdffonts.letter_font(role), chars)
                      for role, chars in self._chars().items()}
        shown = "".join(text for block in self.blocks for text in self._values(block))
        self.extra = extra_font(self.field_font.subset, "".join(
            ch for ch in shown if not any(font.has(ch) for font in self.fonts.values())))
        self.fallback: set[str] = set()  # what the field font draws: what the font of a run's role lacks
        self.drawn_name, self.drawn = "", None  # the font the field font's characters are drawn with, once known
        for ch in FIXED_CHARS:  # the page numbers, drawn after the font is made
            self.font_for("body", ch)
        self.pages: list[list[Run | Line]] = [[]]
        self.widgets: list[Widget] = []
        self.y = self.geo.top
        self.prev = ""

    # -- values and characters -----------------------------------------------------
    def value(self, address: str, field: Field) -> Any:
        value = get_path(self.data, address)
        if field.kind == "boolean":
            return value if isinstance(value, bool) else None
        return letter_text(field, value)

    def rows(self, group: Group) -> int:
        given = len(get_path(self.data, group.address) or [])
        return given or group.blank_rows

    def _cells(self, group: Group) -> list[tuple[str, Field]]:
        return [(f"{group.address}.{i}.{col.name}", col) for i in range(self.rows(group)) for col in group.columns]

    def _values(self, block: Block) -> list[str]:
        fields = [(seg.field.address, seg.field) for seg in block.segments if seg.field]
        if block.field:
            fields.append((block.field.address, block.field))
        if block.table:
            fields += self._cells(block.table)
            return [c.title for c in block.table.columns] + [
                v for address, f in fields if isinstance(v := self.value(address, f), str)]
        return [seg.text for seg in block.segments if not seg.field] + [
            v for address, f in fields if isinstance(v := self.value(address, f), str)] + [
            "".join(BOOL_LABELS) for _address, f in fields if f.kind == "boolean"]

    def _chars(self) -> dict[str, str]:
        chars = {role: set() for role in ROLE_FONTS}
        chars["body"].update(FIXED_CHARS)
        for block in self.blocks:
            role = style(block.style, self.geo.page).role
            for text in self._values(block):
                chars[role].update(text)
        return {role: "".join(sorted(found)) for role, found in chars.items() if found}

    # -- measuring -------------------------------------------------------------------
    def font_for(self, role: str, ch: str) -> tuple[str, EmbeddedFont | pdffonts.Subset]:
        font = self.fonts.get(role)
        if font is not None and font.has(ch):
            return ROLE_FONTS[role], font
        if self.extra is not None and self.extra.subset.has(ch) and not self.field_font.subset.has(ch):
            return EXTRA_FONT, self.extra.subset
        if self.drawn is None:  # laying out
            self.fallback.add(ch)
            return FIELD_FONT, self.field_font.subset
        return self.drawn_name, self.drawn.subset

    def laid_out(self) -> None:
        """Make the font that draws the field font's characters, from those the layout asked it for."""
        self.drawn_name, self.drawn = value_font(self.field_font, "".join(sorted(self.fallback)))

    def advance(self, role: str, ch: str, size: float) -> float:
        return self.font_for(role, ch)[1].width(ch) * size / 1000 + self.geo.tracking(size)

    def measure(self, role: str, text: str, size: float) -> float:
        return sum(self.advance(role, ch, size) for ch in text)

    def wrap(self, role: str, text: str, width: float, size: float) -> list[str]:
        tracking = self.geo.tracking(size) * 1000 / size
        return wrap(text, width + 0.01, size, lambda ch: self.font_for(role, ch)[1].width(ch) + tracking)

    # -- the flow --------------------------------------------------------------------
    def new_page(self) -> None:
        self.pages.append([])
        self.y = self.geo.top

    def fits(self, h: float) -> bool:
        """Whether ``h`` pt from here fit on the page (anything fits at a page's top)."""
        return self.y + h <= self.geo.flow_foot + 0.5 or self.y <= self.geo.top

    def room(self, h: float) -> None:
        if not self.fits(h):
            self.new_page()

    def skip(self, lines: float) -> None:
        if self.y > self.geo.top:
            self.y += lines * self.geo.pitch

    def mark(self) -> tuple[int, int, int, float, str]:
        """Where the flow stands: pages, items on the last page, widgets, y and the last style."""
        return len(self.pages), len(self.pages[-1]), len(self.widgets), self.y, self.prev

    def back_to(self, mark: tuple[int, int, int, float, str]) -> None:
        """Take back what was drawn on the last page since ``mark``."""
        pages, items, widgets, self.y, self.prev = mark
        del self.pages[-1][items:]
        del self.widgets[widgets:]

    def draw(self, item: Run | Line) -> None:
        self.pages[-1].append(item)

    def build(self) -> None:
        blocks = self.blocks
        cut = len(blocks)
        while cut > 0 and blocks[cut - 1].style in FOOT_STYLES:
            cut -= 1
        i = 0
        mark = self.mark()
        while i < cut:
            block = blocks[i]
            if block.new_page:
                self.new_page()
            if block.style == "signature" and i + 1 < cut and blocks[i + 1].style == "date":
                if i and keeps_with_signature(blocks[i - 1], block) and mark[0] == len(self.pages) \
                        and not self.fits((style("signature", self.geo.page).before + 2) * self.geo.pitch):
                    self.back_to(mark)  # the block before it goes to the next page with the 署名
                    self.new_page()
                    self.block(blocks[i - 1])
                    self.prev = blocks[i - 1].style
                self.signature(block, blocks[i + 1])
                i += 2
                continue
            mark = self.mark()
            self.block(block, blocks[i + 1] if i + 1 < cut else None)
            self.prev = block.style
            i += 1
        if cut < len(blocks):
            self.record(blocks[cut:])

    def block(self, block: Block, following: Block | None = None) -> None:
        if self.geo.page.xinhan and (block.style in XINHAN_HEAD or self.prev in XINHAN_HEAD):
            if block.style == "red-rule":
                self.xinhan_rules()
                return
            self.xinhan_place(block)
        before = max(style(block.style, self.geo.page).before, lines_after(self.prev, block.style))
        if block.is_rule:
            self.rule(block.style)
        elif block.style == "cut-line":
            self.skip(before)
            self.cut_line(block)
        elif block.table is not None and block.style == "attachment":
            self.skip(before)
            self.attachments(block.table)
        elif block.table is not None:
            self.skip(0.5)
            self.table(block.table)
            self.y += 0.5 * self.geo.pitch
        elif block.field is not None:
            self.skip(before)
            self.text_field(block)
        else:
            self.skip(before)
            if block.style == "heading":  # a heading stays with the first lines below it, or the field below it
                rows = self.field_rows(following) if following is not None and following.field else 2
                if following is not None and following.field and not self.field_lines(following):
                    rows = blank_head_lines(rows)
                self.room((1 + min(rows, self.geo.page.lines_per_page - 1)) * self.geo.pitch)
            self.paragraph(block)

    # -- paragraphs -----------------------------------------------------------------------
    def atoms(self, segments: tuple[Segment, ...], role: str, size: float, alone: bool) -> list[Atom]:
        out: list[Atom] = []
        for seg in segments:
            if seg.field is None:
                out += [Atom(self.advance(role, ch, size), ch) for ch in seg.text]
                continue
            address = seg.field.address
            value = self.value(address, seg.field)
            out.append(Atom(self.field_width(seg.field, value, role, size, alone), field=seg.field,
                            address=address, value=value))
        return out

    def field_width(self, field: Field, value: Any, role: str, size: float, alone: bool) -> float:
        if field.kind == "boolean":  # □是 □否
            return 2 * size + self.measure(role, "".join(BOOL_LABELS), size) + 0.6 * size
        if value:
            return self.measure(role, value, size) - self.geo.tracking(size)
        if field.kind == "choice":
            return max(self.measure(role, label, size) for label in field.choice_labels) + size
        if alone:
            return min(self.geo.width * 0.6, 12 * size)
        em = BLANK_EM.get(field.kind) or min(10.0, max(4.0, field.schema.get("maxLength", 40) / 4))
        return em * size

    def layout(self, atoms: list[Atom], width: float, indent: float, role: str, size: float,
               words: bool = False) -> list[list[Placed]]:
        """Atoms broken into lines of ``width`` pt (the first line ``indent`` pt in).  A field wider than a line
        starts a line and gets whole lines of its own, broken between ``words`` for a title; what follows goes
        on after its last line's text."""
        lines: list[list[Placed]] = [[]]
        x, row = indent, 0
        for atom in atoms:
            line = lines[-1]
            if atom.field is not None and atom.width > width:
                if line:
                    lines.append([])
                wrapped = [] if not isinstance(atom.value, str) else title_lines(atom.value, width / size) \
                    if words else self.wrap(role, atom.value, width, size)
                lines[-1].append(Placed(atom, 0.0, wrapped))
                row = max(0, len(wrapped) - 1)
                x = self.measure(role, wrapped[-1], size) if wrapped else width
                continue
            if x + atom.width > width + 0.01 and line:
                if self.squeeze(line, row, atom, x + atom.width - width):
                    x = line[-1].x + line[-1].atom.width
                    lines[-1].append(Placed(atom, x, row=row))
                    x += atom.width
                    continue
                carry = self.carry(line, row, atom)
                lines.append([])
                x, row = 0.0, 0
                for placed in carry:
                    placed.x, placed.row = x, row
                    lines[-1].append(placed)
                    x += placed.atom.width
                if atom.text == " ":
                    continue
            lines[-1].append(Placed(atom, x, row=row))
            x += atom.width
        return [line for line in lines if line]

    @staticmethod
    def squeeze(line: list[Placed], row: int, coming: Atom, over: float) -> bool:
        """Whether a closing mark (，。）) that would open the next line stays on this one because the blank before
        it (an underlined space for a text, date or number not filled) gives up ``over`` pt of its width, at most
        SQUEEZE of it."""
        last = line[-1]
        blank = last.atom
        if coming.field is not None or coming.text not in NO_LINE_START or last.row != row or last.lines \
                or blank.field is None or blank.value or blank.field.kind in ("boolean", "choice") \
                or over > SQUEEZE * blank.width:
            return False
        last.atom = replace(blank, width=blank.width - over)
        return True

    @staticmethod
    def carry(line: list[Placed], row: int, coming: Atom) -> list[Placed]:
        """What moves down to the next line with ``coming``: the character or inline field before a closing mark
        (，。）), and opening marks (（《“) left at the end of the line."""
        carry: list[Placed] = []

        def movable(fields: bool = False) -> bool:
            last = line[-1]
            return len(line) > 1 and (last.atom.field is None or fields and not last.lines) and last.row == row

        if coming.field is None and coming.text in NO_LINE_START and movable(fields=True):
            carry.insert(0, line.pop())
        while movable() and line[-1].atom.text in NO_LINE_END:
            carry.insert(0, line.pop())
        return carry

    def paragraph(self, block: Block, align: str | None = None, right_indent: float | None = None) -> None:
        spec = style(block.style, self.geo.page)
        role, size_key, style_align, indent = spec.role, spec.size, spec.align, spec.indent
        geo = self.geo
        size = geo.size(size_key)
        alone = sum(1 for s in block.segments if s.field) == 1 and sum(len(s.text) for s in block.segments) <= 2
        atoms = self.atoms(block.segments, role, size, alone)
        if block.style == "issuer":
            natural = sum(a.width for a in atoms)
            if natural > geo.width:
                size = size * geo.width / natural
                atoms = self.atoms(block.segments, role, size, alone)
        align = align or style_align
        margin = geo.record if block.style in ("cc", "printed") else 0.0  # 版记: one 14 pt character in
        if right_indent is None:
            right_indent = geo.em * spec.right if spec.right else margin
        width = geo.width - margin - right_indent
        color = RED if block.style == "issuer" else BLACK
        pitch = geo.page.line_pt(size) if size_key != "record" else geo.record * 1.6
        first = geo.em * indent if align == "left" else 0
        if block.style == "title" and not any(s.field for s in block.segments):
            text = "".join(s.text for s in block.segments)
            lines = [line for part in title_lines(text, width / size)
                     for line in self.layout(self.atoms((Segment(part),), role, size, alone), width, first, role,
                                             size)]
        else:
            lines = self.layout(atoms, width, first, role, size, block.style == "title")
        heights = [max(1, len(line[0].lines)) * pitch for line in lines]
        breaks = self.page_breaks(heights)
        for i, line in enumerate(lines):
            wrapped = line[0].lines
            n = max(1, len(wrapped))
            if i in breaks:
                self.new_page()
            last = line[-1]
            used = last.x + last.atom.width - (self.geo.tracking(size) if last.atom.field is None else 0)
            shift = geo.left + margin
            if not wrapped:
                shift += {"left": 0.0, "center": (width - used) / 2, "right": width - used}[align]
            baseline = self.y + ASCENT * size
            self.place(line, shift, baseline, role, size, color, align, width, pitch)
            self.y += n * pitch

    def page_breaks(self, heights: list[float]) -> set[int]:
        """The lines of a paragraph (their heights) that start a new page, with widow and orphan control as
        Word's: a page break never leaves one line of a paragraph alone at the foot or the top of a page."""
        geo = self.geo
        y, start, breaks = self.y, 0, set()
        for i, h in enumerate(heights):
            if y + h > geo.flow_foot + 0.5 and y > geo.top:
                cut = i
                if len(heights) - i == 1 and i > 0:  # the last line would go on alone: the one before goes too
                    cut = i - 1
                if cut - start == 1:  # one line would stay behind alone
                    cut = start
                if cut > 0 or self.y > geo.top:
                    breaks.add(cut)
                y, start = geo.top + sum(heights[cut:i]), cut
            y += h
        return breaks

    def place(self, line: list[Placed], shift: float, baseline: float, role: str, size: float,
              color: tuple[float, float, float], align: str, width: float, pitch: float) -> None:
        text, start, row = "", 0.0, 0
        for placed in line + [None]:
            if placed is not None and placed.atom.field is None and (not text or placed.row == row):
                if not text:
                    start, row = placed.x, placed.row
                text += placed.atom.text
                continue
            if text.strip():
                self.draw(Run(role, size, shift + start, baseline + row * pitch, text, color))
            text = ""
            if placed is not None and placed.atom.field is None:
                start, row, text = placed.x, placed.row, placed.atom.text
            elif placed is not None:
                self.inline(placed, shift, baseline + placed.row * pitch, role, size, color, align, width, pitch)

    def inline(self, placed: Placed, shift: float, baseline: float, role: str, size: float,
               color: tuple[float, float, float], align: str, width: float, pitch: float) -> None:
        atom, field = placed.atom, placed.atom.field
        x = shift + placed.x
        top = baseline - ASCENT * size - 0.1 * size
        if field.kind == "boolean":  # a 是 box and a 否 box, each followed by its caption
            side = size * 0.8
            y = baseline - side
            for state, caption in zip((YES, NO), BOOL_LABELS):
                self.box(x + 0.1 * size, y, side, side)
                self.widgets.append(Widget(atom.address, field, len(self.pages) - 1, x + 0.1 * size, y, side, side,
                                           role, size, atom.value, state=state))
                x += size
                self.draw(Run(role, size, x, baseline, caption, color))
                x += self.measure(role, caption, size) + 0.6 * size
            return
        if placed.lines:
            n = len(placed.lines)
            h = (n - 1) * pitch + 1.25 * size
            lines = []
            for i, text in enumerate(placed.lines):
                used = self.measure(role, text, size) - self.geo.tracking(size)
                offset = {"left": 0.0, "center": (width - used) / 2, "right": width - used}[align]
                lines.append((offset, 0.1 * size + ASCENT * size + i * pitch, text))
            self.widgets.append(Widget(atom.address, field, len(self.pages) - 1, x, top, width, h, role, size,
                                       atom.value, lines, {"left": 0, "center": 1, "right": 2}[align], color, True))
            return
        h = 1.3 * size
        lines = [(0.0, 0.1 * size + ASCENT * size, atom.value)] if atom.value else []
        if not atom.value:
            self.draw(Line(x, baseline + 0.18 * size, x + atom.width, baseline + 0.18 * size, 0.5))
        self.widgets.append(Widget(atom.address, field, len(self.pages) - 1, x, top, atom.width, h, role, size,
                                   atom.value, lines, 0, color))

    def box(self, x: float, y: float, w: float, h: float) -> None:
        for x1, y1, x2, y2 in ((x, y, x + w, y), (x + w, y, x + w, y + h), (x + w, y + h, x, y + h), (x, y + h, x, y)):
            self.draw(Line(x1, y1, x2, y2, 0.6))

    def signature(self, signature: Block, date: Block) -> None:
        """署名 one line below the text, two characters in from the right; the date below it starts two characters
        further right, or ends two characters in when it is the longer (GB/T 9704 7.3.5.2)."""
        self.skip(style("signature", self.geo.page).before)
        self.room(2 * self.geo.pitch)
        em = self.geo.em
        size = self.geo.body

        def natural(block: Block) -> float:
            return sum(a.width for a in self.atoms(block.segments, "body", size, True)) / em

        sig, date_right = signature_indents(natural(signature), natural(date), self.geo.page.chars_per_line)
        self.paragraph(signature, "right", sig * em)
        self.paragraph(date, "right", date_right * em)
        self.prev = "date"

    # -- multi-line fields ----------------------------------------------------------------
    def field_lines(self, block: Block) -> list[tuple[float, str]]:
        """The lines of a multi-line field's value: (x, text), each paragraph's first line indented."""
        spec = style(block.style, self.geo.page)
        size, indent = self.geo.size(spec.size), spec.indent
        value = self.value(block.field.address, block.field)
        lines: list[tuple[float, str]] = []
        for para in value.split("\n") if value else []:
            pad = "\u3000" * indent
            for i, text in enumerate(self.wrap(spec.role, pad + para, self.geo.width, size)):
                lines.append((self.geo.em * indent, text[indent:]) if i == 0 and indent else (0.0, text))
        return lines

    def field_rows(self, block: Block) -> int:
        """The lines a multi-line field takes: its value's, or its ruled lines when blank."""
        return len(self.field_lines(block)) or blank_lines(block.field)

    def text_field(self, block: Block) -> None:
        spec = style(block.style, self.geo.page)
        role, size = spec.role, self.geo.size(spec.size)
        geo = self.geo
        field = block.field
        value = self.value(field.address, field)
        lines = self.field_lines(block)
        if not lines:
            self.blank_field(block)
            return
        count = min(len(lines), geo.page.lines_per_page)
        self.room(count * geo.pitch)
        top = self.y - 0.1 * size
        h = (count - 1) * geo.pitch + 1.25 * size
        shown = [(x, 0.1 * size + ASCENT * size + i * geo.pitch, text) for i, (x, text) in enumerate(lines[:count])]
        self.widgets.append(Widget(field.address, field, len(self.pages) - 1, geo.left, top, geo.width, h, role,
                                   size, value, shown, 0, BLACK, True))
        self.y += count * geo.pitch

    def blank_field(self, block: Block) -> None:
        """A blank multi-line field's ruled lines, broken across pages as Word breaks them (``blank_breaks``):
        one box on each page the lines stand on, the later ones the field's continuations."""
        spec = style(block.style, self.geo.page)
        role, size = spec.role, self.geo.size(spec.size)
        geo = self.geo
        count = blank_lines(block.field)
        breaks = self.blank_breaks(count)
        boxes: list[list[float]] = []  # page, top and lines of each box
        for i in range(count):
            if i in breaks:
                self.new_page()
            if not i or i in breaks:
                boxes.append([len(self.pages) - 1, self.y - 0.1 * size, 0])
            y = self.y + ASCENT * size + 0.18 * size
            self.draw(Line(geo.left, y, geo.left + geo.width, y, 0.4, GREY))
            boxes[-1][2] += 1
            self.y += geo.pitch
        for part, (page, top, rows) in enumerate(boxes, 1):
            self.widgets.append(Widget(block.field.address, block.field, int(page), geo.left, top, geo.width,
                                       (rows - 1) * geo.pitch + 1.25 * size, role, size, "", [], 0, BLACK, True,
                                       part=part, continues=part < len(boxes)))

    def blank_breaks(self, count: int) -> set[int]:
        """The ruled lines of a blank multi-line field that start a new page, as Word breaks paragraphs kept with
        the next where the letter model says (``blank_keeps_next``): a line that does not fit goes to the next
        page with the lines kept with it, unless they reach back to the top of a page."""
        geo = self.geo
        y, start, breaks = self.y, 0, set()
        for i in range(count):
            if y + geo.pitch > geo.flow_foot + 0.5 and y > geo.top:
                cut = i
                while cut > start and blank_keeps_next(cut - 1, count):
                    cut -= 1
                if cut == start and (start or self.y <= geo.top):
                    cut = i
                breaks.add(cut)
                y, start = geo.top + (i - cut) * geo.pitch, cut
            y += geo.pitch
        return breaks

    # -- tables -----------------------------------------------------------------------------
    def table(self, group: Group) -> None:
        geo = self.geo
        size = geo.body - 2
        pad, leading = 1.5 * MM, size * 1.35
        weights = [float(c.ann.get("width") or 0) / 10 or COLUMN_WEIGHTS.get(c.kind, 1.0) for c in group.columns]
        widths = [geo.width * w / sum(weights) for w in weights]
        titles = [wrap(c.title, w - 2 * pad, size, self.fonts["body"].width) for c, w in zip(group.columns, widths)]
        header_h = max(len(t) for t in titles) * leading + 2 * pad

        def header() -> None:
            x = geo.left
            for lines, w in zip(titles, widths):
                self.box(x, self.y, w, header_h)
                for i, text in enumerate(lines):
                    used = self.measure("body", text, size)
                    self.draw(Run("body", size, x + (w - used) / 2,
                                  self.y + pad + (header_h - 2 * pad - len(lines) * leading) / 2 + i * leading
                                  + ASCENT * size + (leading - size) / 2, text))
                x += w
            self.y += header_h

        self.room(header_h + leading + 2 * pad)
        header()
        for i in range(self.rows(group)):
            cells = []
            for col, w in zip(group.columns, widths):
                address = f"{group.address}.{i}.{col.name}"
                value = self.value(address, col)
                wrapped = self.wrap("body", value, w - 2 * pad, size) if isinstance(value, str) and value else []
                cells.append((address, col, w, value, wrapped))
            h = max(1, *(len(c[4]) for c in cells)) * leading + 2 * pad
            if self.y + h > geo.foot:
                self.new_page()
                header()
            x = geo.left
            for address, col, w, value, wrapped in cells:
                self.box(x, self.y, w, h)
                page = len(self.pages) - 1
                if col.kind == "boolean":
                    side = size * 0.8
                    bx, by = x + (w - side) / 2, self.y + (h - side) / 2
                    self.box(bx, by, side, side)
                    self.widgets.append(Widget(address, col, page, bx, by, side, side, "body", size, value))
                else:
                    first = (h - len(wrapped) * leading) / 2 + (leading - size) / 2 + ASCENT * size - 1
                    lines = [(pad - 1, first + j * leading, text) for j, text in enumerate(wrapped)]
                    self.widgets.append(Widget(address, col, page, x + 1, self.y + 1, w - 2, h - 2, "body", size,
                                               value, lines, 2 if col.kind in ("integer", "number") else 0,
                                               BLACK, len(wrapped) > 1))
                x += w
            self.y += h

    def attachments(self, group: Group) -> None:
        """附件说明: 附件：1.××× per row, later rows and wrapped lines aligned after the label."""
        geo = self.geo
        size = geo.body
        label = "附件："
        rows = self.rows(group)
        start = geo.em * 2
        hang = start + self.measure("body", label, size)
        for i in range(rows):
            number = attachment_prefix(i, rows).removeprefix(label)
            segments = [Segment(number)] if number else []
            segments += [Segment(field=col) for col in group.columns]
            atoms = self.atoms(tuple(segments), "body", size, False)
            for atom in atoms:
                if atom.field is not None:
                    atom.address = f"{group.address}.{i}.{atom.field.name}"
                    atom.value = self.value(atom.address, atom.field)
                    atom.width = (self.field_width(atom.field, atom.value, "body", size, False) if atom.value
                                  else geo.width - hang - self.measure("body", number, size) - 2 * geo.em)
            lines = self.layout(atoms, geo.width - hang, 0.0, "body", size)
            for j, line in enumerate(lines):
                self.room(geo.pitch)
                baseline = self.y + ASCENT * size
                if i == 0 and j == 0:
                    self.draw(Run("body", size, geo.left + start, baseline, label))
                self.place(line, geo.left + hang, baseline, "body", size, BLACK, "left", geo.width - hang,
                           geo.pitch)
                self.y += max(1, len(line[0].lines)) * geo.pitch

    def cut_line(self, block: Block) -> None:
        geo = self.geo
        size = geo.body
        text = "".join(s.text for s in block.segments)
        used = self.measure("body", text, size)
        self.room(size)
        mid = self.y + size * 0.5
        x0, x1 = geo.left + (geo.width - used) / 2 - size, geo.left + (geo.width + used) / 2 + size
        self.draw(Line(geo.left, mid, x0, mid, 0.6, BLACK, True))
        self.draw(Line(x1, mid, geo.left + geo.width, mid, 0.6, BLACK, True))
        self.draw(Run("body", size, geo.left + (geo.width - used) / 2, self.y + ASCENT * size, text))
        self.y += geo.pitch * 1.5

    def xinhan_rules(self) -> None:
        """A 信函's two red double rules on page 1 (``letter_head``)."""
        head = letter_head(self.geo.page)
        for rule in (head.top_rule, head.foot_rule):
            for y, width in rule.lines:
                self.draw(Line(rule.left_mm * MM, y * MM, rule.right_mm * MM, y * MM, width, RED))

    def xinhan_place(self, block: Block) -> None:
        """A 信函's mark and 发文字号 at their places on page 1, the first block after them on the title's line."""
        head = letter_head(self.geo.page)
        self.y = {"issuer": head.mark_top, "doc-number": head.number_top}.get(block.style, head.title_top) * MM
        self.prev = ""

    def rule(self, style: str) -> None:
        geo = self.geo
        y = self.y + RED_RULE_MM * MM if style == "red-rule" else self.y
        self.draw(Line(geo.left, y, geo.left + geo.width, y, RULE_WIDTHS[style], RED if style == "red-rule" else BLACK))
        self.y = y + (LINES_BELOW_RULE * geo.pitch if style == "red-rule" else 0)

    # -- 版记 --------------------------------------------------------------------------------
    def record(self, blocks: list[Block]) -> None:
        """The trailing cc/printed lines and their rules, at the foot of the last page (14 pt): laid out on a
        scratch page from y = 0, then moved down so the last rule sits on the foot of the text block."""
        geo = self.geo
        start, widgets = self.y, len(self.widgets)
        self.pages.append([])
        self.y = 0.0
        self.record_rows(blocks)
        height, items = self.y, self.pages.pop()
        moved = self.widgets[widgets:]
        del self.widgets[widgets:]
        if self.pages[-1] and geo.foot - height < start:
            self.new_page()
        offset = geo.foot - height
        for item in items:
            if isinstance(item, Line):
                item.y1 += offset
                item.y2 += offset
            else:
                item.baseline += offset
            self.draw(item)
        for widget in moved:
            widget.y += offset
            widget.page = len(self.pages) - 1
            self.widgets.append(widget)

    def record_rows(self, blocks: list[Block]) -> None:
        geo = self.geo
        size = geo.record
        for block in blocks:
            if block.is_rule:
                self.draw(Line(geo.left, self.y, geo.left + geo.width, self.y, RULE_WIDTHS[block.style]))
                continue
            self.y += 0.35 * size
            if block.style == "printed" and any("\t" in s.text for s in block.segments):
                self.printed(block)
            else:
                self.paragraph(block)
            self.y -= geo.record * 1.6 - 1.25 * size

    def printed(self, block: Block) -> None:
        """印发机关 one character in from the left, 印发日期…印发 one character in from the right, on one line."""
        at = next(i for i, s in enumerate(block.segments) if "\t" in s.text)
        tab = block.segments[at].text.index("\t")
        left = block.segments[:at] + (Segment(block.segments[at].text[:tab]),)
        right = (Segment(block.segments[at].text[tab + 1:]),) + block.segments[at + 1:]
        y = self.y
        self.paragraph(Block("printed", tuple(s for s in left if s.field or s.text)), "left")
        self.y = y
        self.paragraph(Block("printed", tuple(s for s in right if s.field or s.text)), "right", self.geo.record)


# -- writing the PDF --------------------------------------------------------------------

def _hex_runs(letter: Letter, role: str, text: str) -> list[tuple[str, bytes]]:
    runs: list[tuple[str, bytes]] = []
    for ch in text:
        name, font = letter.font_for(role, ch)
        code = b"%04X" % font.codes.get(ch, 0)
        if runs and runs[-1][0] == name:
            runs[-1] = (name, runs[-1][1] + code)
        else:
            runs.append((name, code))
    return runs


def _text(letter: Letter, role: str, size: float, x: float, y: float, text: str,
          color: tuple[float, float, float]) -> list[bytes]:
    """Text operators drawing ``text`` with its baseline at (x, y) in PDF coordinates."""
    out = [b"BT", b"%.3g %.3g %.3g rg" % color, b"%.3f Tc" % letter.geo.tracking(size),
           b"1 0 0 1 %.2f %.2f Tm" % (x, y)]
    out += [b"%s %.2f Tf <%s> Tj" % (name.encode(), size, glyphs) for name, glyphs in _hex_runs(letter, role, text)]
    out.append(b"ET")
    return out


def _content(letter: Letter, items: list[Run | Line], number: int) -> bytes:
    height = A4[1]
    out: list[bytes] = []
    for item in items:
        if isinstance(item, Line):
            out += [b"q", b"%.3g %.3g %.3g RG" % item.color, b"%.2f w" % item.width, b"[3 2] 0 d" if item.dash else b"",
                    b"%.2f %.2f m %.2f %.2f l S" % (item.x1, height - item.y1, item.x2, height - item.y2), b"Q"]
        else:
            out += _text(letter, item.role, item.size, item.x, height - item.baseline, item.text, item.color)
    geo = letter.geo
    label = f"— {number} —"
    size = geo.record
    used = letter.measure("body", label, size)
    x = geo.left + geo.width - geo.em - used if number % 2 else geo.left + geo.em
    if number > 1 or not geo.page.xinhan:  # a 信函 has no page number on page 1
        out += _text(letter, "body", size, x, height - (geo.foot + 7 * MM + 0.4 * size), label, BLACK)
    return b"\n".join(line for line in out if line)


def render(spec: FormSpec, data: dict, unit: str | None = None) -> bytes:
    """The PDF bytes of a letter, pre-filled with ``data``; ``unit`` is stamped beside the identity."""
    letter = Letter(spec, data)
    letter.build()
    letter.laid_out()
    writer = PdfWriter()
    fonts = form_fonts(writer, letter.field_font, letter.drawn_name, letter.drawn, letter.extra,
                       {ROLE_FONTS[role]: embed_font(font) for role, font in letter.fonts.items()})
    resources = writer._add_object(DictionaryObject({Name("/Font"): fonts}))
    pages = []
    for number, items in enumerate(letter.pages, 1):
        page = writer.add_blank_page(*A4)
        content = DecodedStreamObject()
        content.set_data(_content(letter, items, number))
        page[Name("/Contents")] = writer._add_object(content.flate_encode())
        page[Name("/Resources")] = resources
        pages.append(page)
    widgets = ((w.page, w.name, _widget(letter, w, writer, resources)) for w in letter.widgets)
    return write_form(writer, spec, pages, widgets, resources, letter.geo.body, unit)


def _widget(letter: Letter, widget: Widget, writer: PdfWriter, resources: IndirectObject) -> DictionaryObject:
    field, w, h = widget.field, widget.w, widget.h
    color = b"%.3g %.3g %.3g rg" % widget.color
    made = field_widget(writer, letter.spec, widget.address, field, widget.value,
                        (widget.x, A4[1] - widget.y - h, w, h), resources, readonly=field.readonly, size=widget.size,
                        colour=color.decode(), align=widget.align, multiline=widget.multiline, on=widget.state,
                        appearance=lambda: _appearance(letter, widget))
    flags = int(made["/Ff"])
    if widget.part > 1:  # a continuation: the field itself says whether a value is required
        flags &= ~REQUIRED
    if widget.continues:  # a viewer takes no more text than the box shows: the rest goes in the next part
        flags |= DO_NOT_SCROLL
    made[Name("/Ff")] = NumberObject(flags)
    return made


def _appearance(letter: Letter, widget: Widget) -> bytes:
    """The value of a text field or combo box, drawn as the letter draws its text."""
    body = [b"/Tx BMC"]
    if widget.lines:
        body += [b"q", b"0 0 %.2f %.2f re W n" % (widget.w, widget.h)]
        for lx, baseline, text in widget.lines:
            body += _text(letter, widget.role, widget.size, lx, widget.h - baseline, text, widget.color)
        body.append(b"Q")
    body.append(b"EMC")
    return b"\n".join(body)
