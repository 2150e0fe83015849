"""The label a form prints beside a field, the same in Word, Excel and PDF: the title, the condition under
which it is filled in (``（续报填写）``, see ``formgen.spec.relevance``) and the mark of a required field."""

from __future__ import annotations

from formgen.spec.model import Field, FormSpec, Group

REQUIRED_MARK = " *"


def printed_label(spec: FormSpec, item: Field | Group, lang: str = "zh_CN") -> str:
    note = spec.relevance_note(item, lang) if isinstance(item, Field) else ""
    return item.title + note + (REQUIRED_MARK if item.required else "")
