"""How the single fields of a section share the rows of its grid, the same in Word and PDF: two short fields a
row (label, value, label, value), a wide field a row of its own."""

from __future__ import annotations

from formgen.spec.model import Field

LONG_TEXT = 50


def is_wide(field: Field) -> bool:
    """A field with a row of its own: multi-line text, long text, and the row of boxes of a multiple choice."""
    return field.multiline or field.schema.get("maxLength", 0) > LONG_TEXT or field.kind == "multi"


def field_rows(fields: list[Field]) -> list[tuple[Field, ...]]:
    """``fields`` in order, as rows: a pair of short fields, or one field."""
    rows: list[tuple[Field, ...]] = []
    i = 0
    while i < len(fields):
        first = fields[i]
        second = fields[i + 1] if i + 1 < len(fields) else None
        if not is_wide(first) and second is not None and not is_wide(second):
            rows.append((first, second))
            i += 2
        else:
            rows.append((first,))
            i += 1
    return rows
