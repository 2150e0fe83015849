"""A letter as the Word document holds it, shared by the Word letter renderer and the docx reader.

Each block of the letter (``formgen.layout.letter``) is a :class:`Part`: one
paragraph (``text``), one paragraph per line of a multi-line field (``lines``),
one 附件 paragraph per row (``list``), a bordered table (``table``) or a rule.
An empty field shows an underlined blank (``＿＿＿＿``) that the reader treats
as empty.
"""

from __future__ import annotations

from dataclasses import dataclass

from formgen.layout.docx import CHECKBOX, DATE, DROPDOWN, TEXT, Cell, Row, Table
from formgen.layout.letter import FOOT_STYLES, LetterPage, page_of
from formgen.spec.letter import Block, letter_blocks
from formgen.spec.model import Field, FormSpec, Group

TWIPS_PER_MM = 1440 / 25.4

BLANK_CHAR = "＿"
BLANKS = {"date": "＿＿＿＿年＿＿月＿＿日", "datetime": "＿＿＿＿年＿＿月＿＿日＿＿时＿＿分"}
BLANK_WIDTH = 6
BLANK_LINE_WIDTH = 24

#: Between two fields with no text between them: LibreOffice nests a control typed right after another.
SEPARATOR = "\u200b"


def style_id(style: str) -> str:
    """The Word paragraph style of a block style: ``doc-number`` -> ``LetterDocNumber``."""
    return "Letter" + "".join(word.capitalize() for word in style.split("-"))


def letter_widget(field: Field) -> str:
    """Checkboxes (是/否) for a yes/no field, a dropdown for a choice, a date picker, else rich text."""
    if field.kind == "boolean":
        return CHECKBOX
    if field.kind == "choice":
        return DROPDOWN
    if field.kind == "date":
        return DATE
    return TEXT


def blank(field: Field, line: bool = False) -> str:
    """What an empty field shows: an underlined blank to write on; the reader treats it as empty."""
    return BLANKS.get(field.kind, BLANK_CHAR * (BLANK_LINE_WIDTH if line else BLANK_WIDTH))


@dataclass(frozen=True)
class Piece:
    """Part of a paragraph: literal text, a field's value, or checkbox ``box`` of a yes/no field."""

    text: str = ""
    field: Field | None = None
    box: int | None = None


@dataclass(frozen=True)
class Part:
    """A block as the document holds it.  ``kind`` is ``text`` (one paragraph of ``pieces``), ``lines``
    (a multi-line field, one paragraph per line), ``list`` (a group as 附件 paragraphs), ``table`` (a group
    as bordered table number ``table.number``) or ``rule``.  ``foot`` parts are in the 版记 frame."""

    block: Block
    kind: str
    pieces: tuple[Piece, ...] = ()
    table: Table | None = None
    foot: bool = False

    @property
    def style(self) -> str:
        return style_id(self.block.style)

    @property
    def broken(self) -> bool:
        """A title's lines are broken between words by line breaks in its text (``formgen.layout.letter.
        title_lines``), which are not part of its value."""
        return self.block.style == "title"

    @property
    def fields(self) -> list[Field]:
        seen: list[Field] = []
        for piece in self.pieces:
            if piece.field is not None and piece.field not in seen:
                seen.append(piece.field)
        return seen


def pieces(block: Block) -> tuple[Piece, ...]:
    out: list[Piece] = []
    for segment in block.segments:
        field = segment.field
        if field is not None and out and out[-1].field is not None:
            out.append(Piece(SEPARATOR))
        if field is None:
            out.append(Piece(segment.text))
        elif letter_widget(field) == CHECKBOX:
            for i, label in enumerate(field.choice_labels):
                out.append(Piece(field=field, box=i))
                out.append(Piece(f" {label}" + ("　" if i + 1 < len(field.choices) else "")))
        else:
            out.append(Piece(field=field))
    return tuple(out)


def text_width(page: LetterPage) -> int:
    """The text block's width in twips."""
    return round(page.width_mm * TWIPS_PER_MM)


def parts(spec: FormSpec, page: LetterPage | None = None) -> list[Part]:
    page = page or page_of(spec)
    blocks = letter_blocks(spec)
    foot_start = len(blocks)
    if page.official:
        while foot_start > 0 and blocks[foot_start - 1].style in FOOT_STYLES:
            foot_start -= 1
    out: list[Part] = []
    tables = 0
    for i, block in enumerate(blocks):
        foot = i >= foot_start
        if block.is_rule:
            out.append(Part(block, "rule", foot=foot))
        elif block.field is not None:
            out.append(Part(block, "lines", foot=foot))
        elif block.table is not None and block.style == "attachment":
            out.append(Part(block, "list", foot=foot))
        elif block.table is not None:
            tables += 1
            out.append(Part(block, "table", table=_group_table(tables, block.table, page), foot=foot))
        else:
            out.append(Part(block, "text", pieces(block), foot=foot))
    return out


def _group_table(number: int, group: Group, page: LetterPage) -> Table:
    weights = [col.ann.get("width", 10) for col in group.columns]
    total = text_width(page)
    widths = [total * w // sum(weights) for w in weights]
    widths[-1] += total - sum(widths)
    return Table(number, widths, [Row([Cell(1, col.title) for col in group.columns])], group)

