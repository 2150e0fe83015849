"""Letters: forms that print as a finished document (GB/T 9704 layout for official notices).

A letter definition carries ``x-formgen.letter``: a list of blocks, each with a
``style`` and one of
  ``text``  a paragraph with inline fields written ``{address}``,
  ``field`` a multi-line field printed as paragraphs of that style,
  ``table`` a repeating group printed as a bordered table,
or nothing for a rule line (``red-rule``, ``thin-rule``, ``thick-rule``).
Compilers render the blocks; each inline field stays a fillable control.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from formgen.spec.model import Field, FormSpec, Group

#: ``x-formgen.page.standard`` of an official document, and ``x-formgen.page.format`` of a 信函 on that page.
GBT_9704 = "GB/T 9704-2012"
XINHAN = "信函"
PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_.]*)\}")
RULE_STYLES = ("red-rule", "thin-rule", "thick-rule")


@dataclass(frozen=True)
class Segment:
    """Literal text, or (when ``field`` is set) an inline field."""

    text: str = ""
    field: Field | None = None


@dataclass(frozen=True)
class Block:
    style: str
    segments: tuple[Segment, ...] = ()
    field: Field | None = None
    table: Group | None = None
    new_page: bool = False

    @property
    def is_rule(self) -> bool:
        return self.style in RULE_STYLES


def is_letter(spec: FormSpec) -> bool:
    return spec.ann.get("kind") == "letter" and bool(spec.ann.get("letter"))


def placeholders(text: str) -> list[str]:
    return PLACEHOLDER.findall(text)


def split(text: str, spec: FormSpec) -> tuple[Segment, ...]:
    out: list[Segment] = []
    pos = 0
    for m in PLACEHOLDER.finditer(text):
        if m.start() > pos:
            out.append(Segment(text[pos:m.start()]))
        target = spec.lookup(m[1])
        out.append(Segment(field=target) if isinstance(target, Field) else Segment(m[0]))
        pos = m.end()
    if pos < len(text):
        out.append(Segment(text[pos:]))
    return tuple(out)


def letter_blocks(spec: FormSpec) -> list[Block]:
    """The letter's blocks, or [] when the form is not a letter."""
    blocks = []
    for raw in spec.ann.get("letter", []):
        field = spec.lookup(raw["field"]) if "field" in raw else None
        table = spec.lookup(raw["table"]) if "table" in raw else None
        blocks.append(Block(style=raw["style"], segments=split(raw.get("text", ""), spec),
                            field=field if isinstance(field, Field) else None,
                            table=table if isinstance(table, Group) else None,
                            new_page=bool(raw.get("new_page"))))
    return blocks


def referenced(blocks_raw: list[dict]) -> list[tuple[int, str, str]]:
    """(block index, key, address) for every field a letter refers to."""
    refs = []
    for i, raw in enumerate(blocks_raw):
        for name in placeholders(raw.get("text", "")):
            refs.append((i, "text", name))
        for key in ("field", "table"):
            if key in raw:
                refs.append((i, key, raw[key]))
    return refs
