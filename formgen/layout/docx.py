"""The layout of a form as a Word document, shared by the docx compiler and reader.

A form is a sequence of blocks: the title, a heading per section, and tables.
Consecutive single fields of a section make one *field table* on a grid of
four columns (label, value, label, value): two short fields share a row, a
long or multi-line field has a row of its own with its value cell spanning
three grid columns.  Each repeating group is a *group table*: a header row
with the column titles, then one row per entry.

The reader recomputes this layout from the definition and checks a returned
document against it (table, row, cell, label text), so both sides must call
the same functions here.
"""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field as dc_field

from formgen.layout.fieldrows import field_rows
from formgen.layout.labels import REQUIRED_MARK, printed_label
from formgen.layout.linebreak import SPACED_WORD
from formgen.spec.model import Field, FormSpec, Group

#: A4 in twentieths of a point, and the side margins (22 mm).
PAGE_SHORT, PAGE_LONG, SIDE_MARGIN = 11906, 16838, 1247
LABEL_WIDTH = 1650
LINE_HEIGHT = 270
ROW_HEIGHT = 380

#: Widgets a value can have.  Plain-text, multi-line, block-level and repeating-section
#: content controls are avoided on purpose: LibreOffice 7.4 garbles or flattens them.
CHECKBOX, DROPDOWN, DATE, TEXT, CELL = "checkbox", "dropdown", "date", "text", "cell"

MAX_CHECKBOXES = 4
MAX_CHECKBOX_LABEL_CHARS = 12

PLACEHOLDERS = {"choice": "［请选择］", "boolean": "［请选择］", "date": "［选择日期］",
                "datetime": "［年-月-日 时:分］", "integer": "［填写整数］", "number": "［填写数字］"}
DEFAULT_PLACEHOLDER = "［请填写］"


def widget(field: Field, in_row: bool = False) -> str:
    """How a value is entered: checkboxes, a dropdown, a date picker, a rich-text control, or a plain cell."""
    kind, hint = field.kind, field.ann.get("widget")
    if kind == "multi":  # one box per choice; in a row the labels are typed, as in rows people add
        return CELL if in_row else CHECKBOX
    if kind in ("choice", "boolean"):
        if in_row or hint == "select":
            return DROPDOWN
        small = (len(field.choices) <= MAX_CHECKBOXES
                 and sum(len(label) for label in field.choice_labels) <= MAX_CHECKBOX_LABEL_CHARS)
        return CHECKBOX if hint in ("radio", "checkbox") or small else DROPDOWN
    if kind == "date":
        return DATE
    return CELL if in_row else TEXT


#: Twips a character of the value text takes (10.5 pt): a CJK character, and an ASCII one about half of it.
CHAR_TWIPS = 210
CELL_MARGINS = 170
#: Half-points: the tables' text (10.5 pt), and the pre-printed text of a group's rows (9 pt, 小五, as the
#: seed's dense tables), also a column title's size where its name fits a line only so.
BODY_SIZE, PRINTED_SIZE = 21, 18


def title_size(title: str, width: int) -> int | None:
    """The size in half-points of a group column's title in a column ``width`` twips wide: the printed rows'
    PRINTED_SIZE where the title's name (before a unit in brackets: 学校总数 of 学校总数（所）) fits a line
    only in that size, so that it does not break inside (学校总/数), else None (the table's BODY_SIZE)."""
    name = title.removesuffix(REQUIRED_MARK).partition("（")[0] or title
    room = width - CELL_MARGINS
    return PRINTED_SIZE if _twips(name) > room >= _twips(name) * PRINTED_SIZE / BODY_SIZE else None


def spaced_lines(text: str, width: int, size: int) -> str:
    """Text whose words are written apart (法院 检察院 公安厅) as lines (``\n``) that break between words in a
    cell ``width`` twips wide at ``size`` half-points, as the PDF wraps it: Word and LibreOffice break a line
    of Chinese between any two characters (检|察院); other text (one with no spaces or with a word longer than
    SPACED_WORD) as it is."""
    words = text.split()
    if len(words) < 2 or max(len(word) for word in words) > SPACED_WORD:
        return text
    room = (width - CELL_MARGINS) * BODY_SIZE / size
    lines: list[str] = []
    for word in words:
        if lines and _twips(f"{lines[-1]} {word}") <= room:
            lines[-1] += f" {word}"
        else:
            lines.append(word)
    return "\n".join(lines)


def _twips(text: str) -> int:
    return sum(CHAR_TWIPS if ord(ch) > 0x2E7F else CHAR_TWIPS // 2 for ch in text)


def box_lines(field: Field, width: int) -> list[list[int]]:
    """The choices of a row of checkboxes in a cell ``width`` twips wide, as lines of choice indexes: a line
    ends between two choices, never inside a label (a CJK line would break anywhere)."""
    lines: list[list[int]] = [[]]
    used = 0
    for i, label in enumerate(field.choice_labels):
        room = _twips(f"☐ {label}　")
        if lines[-1] and used + room > width - CELL_MARGINS:
            lines.append([])
            used = 0
        lines[-1].append(i)
        used += room
    return lines


def placeholder(field: Field) -> str:
    """The text a control shows until something is typed; the reader treats it as empty."""
    if field.ann.get("placeholder"):
        return f"［{field.ann['placeholder']}］"
    if field.ann.get("help") and field.kind not in PLACEHOLDERS:
        return f"［{field.ann['help']}］"
    return PLACEHOLDERS.get(field.kind, DEFAULT_PLACEHOLDER)


def label_text(item: Field | Group) -> str:
    return item.title + (REQUIRED_MARK if item.required else "")


@dataclass(frozen=True)
class Cell:
    """One table cell: a label (or a group's column title), or the value of a field."""

    span: int
    label: str = ""
    field: Field | None = None


@dataclass
class Row:
    cells: list[Cell]
    height: int = ROW_HEIGHT


@dataclass
class Table:
    """A field table (``group`` is None) or a group table (``rows`` is then the header row)."""

    number: int
    widths: list[int]
    rows: list[Row]
    group: Group | None = None
    total: Row | None = None  # a group's 合计 row under its rows (``x-formgen.total_row``)


@dataclass
class Heading:
    text: str


@dataclass
class Layout:
    blocks: list[Heading | Table] = dc_field(default_factory=list)

    @property
    def tables(self) -> list[Table]:
        return [b for b in self.blocks if isinstance(b, Table)]


#: The narrowest column a group table may have on a portrait page, in twips: three characters (a unit such
#: as （个） on a line of its own) and the cell's margins.
NARROWEST_COLUMN = 3 * CHAR_TWIPS + CELL_MARGINS


def landscape(spec: FormSpec) -> bool:
    """The definition's orientation, or landscape when a portrait page would make a column of a group table
    narrower than NARROWEST_COLUMN (the statistics table's count columns), as the Excel workbook turns to
    landscape rather than shrink its text."""
    if spec.ann.get("orientation") == "landscape":
        return True
    portrait = PAGE_SHORT - 2 * SIDE_MARGIN
    return any(min(_column_widths(group, portrait)) < NARROWEST_COLUMN for group in spec.groups()
               if group.shown_columns)


def text_width(spec: FormSpec) -> int:
    """Width of the text block: the page width (long side when landscape) less the side margins."""
    return (PAGE_LONG if landscape(spec) else PAGE_SHORT) - 2 * SIDE_MARGIN


def _column_widths(group: Group, width: int) -> list[int]:
    """A group table's column widths (twips) in a text block ``width`` wide, by the columns' weights."""
    weights = [col.ann.get("width", 10) for col in group.shown_columns]
    widths = [width * w // sum(weights) for w in weights]
    widths[-1] += width - sum(widths)
    return widths


def layout(spec: FormSpec) -> Layout:
    """The blocks of a form.  A section starts at the first field that names it and lasts until
    another section is named (fields without a section continue the current one)."""
    width = text_width(spec)
    out = Layout()
    pending: list[Field] = []
    current: str | None = None

    def flush() -> None:
        if pending:
            out.blocks.append(_field_table(spec, len(out.tables) + 1, pending, width))
            pending.clear()

    for item in spec.items:
        if isinstance(item, Field) and spec.in_total_row(item) is not None:
            continue  # in its group's total row
        if item.section is not None and item.section != current:
            flush()
            current = item.section
            out.blocks.append(Heading(current))
        if isinstance(item, Field):
            pending.append(item)
            continue
        flush()
        if item.title != current:
            out.blocks.append(Heading(label_text(item)))
        out.blocks.append(_group_table(len(out.tables) + 1, item, width, spec.total_row(item)))
    flush()
    return out


def _height(field: Field) -> int:
    lines = field.ann.get("lines", 2) if field.multiline else 1
    return max(ROW_HEIGHT, LINE_HEIGHT * lines + 80)


def _field_table(spec: FormSpec, number: int, fields: list[Field], width: int) -> Table:
    rows: list[Row] = []
    for pair in field_rows(fields):
        if len(pair) == 2:
            first, second = pair
            rows.append(Row([Cell(1, printed_label(spec, first)), Cell(1, field=first),
                             Cell(1, printed_label(spec, second)), Cell(1, field=second)]))
        else:
            rows.append(Row([Cell(1, printed_label(spec, pair[0])), Cell(3, field=pair[0])], _height(pair[0])))
    value = (width - 2 * LABEL_WIDTH) // 2
    return Table(number, [LABEL_WIDTH, value, LABEL_WIDTH, value], rows)


def _group_table(number: int, group: Group, width: int, totals: dict[str, Field]) -> Table:
    columns = group.shown_columns
    widths = _column_widths(group, width)
    header = Row([Cell(1, label_text(col)) for col in columns])
    total = None
    if totals:
        span = next(c for c, col in enumerate(columns) if col.name in totals)
        total = Row([Cell(span, group.total_label)] + [
            Cell(1, field=totals[col.name]) if col.name in totals else Cell(1) for col in columns[span:]])
    return Table(number, widths, [header], group, total)


def group_row_height(group: Group) -> int:
    return max(_height(col) for col in group.shown_columns)


def merged_columns(group: Group) -> list[Field]:
    """The columns whose cells are merged down over a run of equal pre-printed values (``w:vMerge``)."""
    return [col for col in group.shown_columns if max(group.spans(col), default=1) > 1]


#: ``w:vMerge`` of the first cell of a run and of the cells under it.
MERGE_FIRST, MERGE_UNDER = "restart", "continue"


def merge_of(spans: list[int], index: int) -> str:
    """A merged column's ``w:vMerge`` value in row ``index``, given the column's ``Group.spans``: the first cell
    of a run, or one under it."""
    return MERGE_UNDER if index < len(spans) and spans[index] == 0 else MERGE_FIRST
