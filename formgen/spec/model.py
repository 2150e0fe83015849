"""The FormSpec model: a form definition seen as fields, groups and sections.

A definition is JSON Schema 2020-12 with ``x-formgen`` annotations.  Every
input has one *address*, its path in the record: ``school_name`` for a
scalar, ``persons.2.name`` for column ``name`` of the third row (0-based) of
the repeating group ``persons``.  Nested objects contribute dotted paths
(``incident.place``).  The same address names the input in every format.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Iterator

from formgen.paths import get_path

BOOL_LABELS = ("是", "否")
#: What separates the choices typed into one multi-select cell: 、 ， , ; ；
MULTI_SEPARATORS = "、，,;；"
#: how many addresses a form remembers the field of
LOOKUP_MEMO = 10_000


def canonical_json(obj: Any) -> bytes:
    return json.dumps(obj, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode("utf-8")


def version_key(version: str) -> tuple[int, ...]:
    """A version (x.y.z) as numbers, so that 1.10.0 sorts after 1.9.0."""
    return tuple(int(p) if p.isdigit() else -1 for p in version.split("."))


def definition_hash(definition: dict) -> str:
    """A short, stable hash of a definition's content (key order and spacing do not matter)."""
    return hashlib.sha256(canonical_json(definition)).hexdigest()[:16]


@dataclass
class Field:
    """One scalar input.  ``path`` is relative to its container (a group row or the record)."""

    path: tuple[str, ...]
    schema: dict
    required: bool
    section: str | None = None

    @property
    def name(self) -> str:
        return self.path[-1]

    @property
    def ann(self) -> dict:
        return self.schema.get("x-formgen", {})

    @property
    def address(self) -> str:
        return ".".join(self.path)

    @property
    def title(self) -> str:
        return self.schema.get("title", self.name)

    def label(self, lang: str = "zh_CN") -> str:
        if lang == "en" and self.ann.get("title_en"):
            return self.ann["title_en"]
        return self.title

    @property
    def type(self) -> str | None:
        t = self.schema.get("type")
        if isinstance(t, list):
            t = next((x for x in t if x != "null"), None)
        return t

    @property
    def kind(self) -> str:
        """One of: choice, multi (several choices: an array of an enum), boolean, integer, number, date, datetime,
        text, string."""
        if "enum" in self.schema:
            return "choice"
        t = self.type
        if t == "array":
            return "multi"
        if t == "boolean":
            return "boolean"
        if t in ("integer", "number"):
            return t
        fmt = self.schema.get("format")
        if fmt == "date":
            return "date"
        if fmt == "date-time":
            return "datetime"
        if self.ann.get("widget") == "textarea":
            return "text"
        return "string"

    @property
    def choices(self) -> list:
        if self.kind == "boolean":
            return [True, False]
        if self.kind == "multi":
            return list(self.schema.get("items", {}).get("enum", []))
        return list(self.schema.get("enum", []))

    @property
    def choice_labels(self) -> list[str]:
        if self.kind == "boolean":
            return list(BOOL_LABELS)
        labels = self.ann.get("labels")
        return list(labels) if labels else [str(v) for v in self.choices]

    def label_for(self, value: Any) -> str:
        for code, label in zip(self.choices, self.choice_labels):
            if code == value and type(code) is type(value):
                return label
        return "" if value is None else str(value)

    @property
    def pii(self) -> bool:
        return bool(self.ann.get("pii"))

    @property
    def relevant(self) -> str | None:
        """The condition under which the field is filled in (``x-formgen.relevant``, in the rule language)."""
        text = self.ann.get("relevant")
        return text if isinstance(text, str) and text.strip() else None

    @property
    def readonly(self) -> bool:
        return bool(self.ann.get("readonly"))

    @property
    def multiline(self) -> bool:
        return self.kind == "text"


@dataclass
class Group:
    """A repeating group: an array of objects, shown as table rows."""

    path: tuple[str, ...]
    schema: dict
    required: bool
    columns: list[Field]
    section: str | None = None

    @property
    def name(self) -> str:
        return self.path[-1]

    @property
    def ann(self) -> dict:
        return self.schema.get("x-formgen", {})

    @property
    def address(self) -> str:
        return ".".join(self.path)

    @property
    def title(self) -> str:
        return self.schema.get("title", self.name)

    def label(self, lang: str = "zh_CN") -> str:
        if lang == "en" and self.ann.get("title_en"):
            return self.ann["title_en"]
        return self.title

    @property
    def fixed_rows(self) -> list[dict]:
        """Pre-printed rows (e.g. the 50 measures); their readonly columns come from here."""
        return list(self.ann.get("fixed_rows", []))

    @property
    def key(self) -> str | None:
        """The column that identifies a pre-printed row in the record (e.g. the measure number)."""
        return self.ann.get("key")

    def unprinted_key(self, column: Field) -> bool:
        """The key column of pre-printed rows left off the printed form (``x-formgen.printed: false``, e.g. the
        measure number the seed prints inside the measure's text): row ``i``'s key is that of pre-printed row
        ``i``, put in the record by the reading."""
        return bool(self.fixed_rows) and column.name == self.key and column.ann.get("printed") is False

    @property
    def shown_columns(self) -> list[Field]:
        """The columns the form prints, in order (every column but an unprinted key)."""
        return [c for c in self.columns if not self.unprinted_key(c)]

    def spans(self, column: Field) -> list[int]:
        """How many rows each pre-printed row's cell of ``column`` covers: a column with ``x-formgen.span``
        prints equal consecutive values of the pre-printed rows once, merged down over their rows, so the
        first row of a run covers the run's length and the rows under it 0; every other cell covers 1.  A run
        never crosses the end of a run of the group's first spanning column (the outermost grouping)."""
        out = [1] * len(self.fixed_rows)
        if not (column.ann.get("span") and self.printed_only(column)):
            return out
        spanning = [c for c in self.shown_columns if c.ann.get("span") and self.printed_only(c)]
        outer = [self.spans(spanning[0])] if spanning[0] is not column else []  # runs end where the first one's do
        start = 0
        for i in range(1, len(out) + 1):
            if i == len(out) or self.fixed_rows[i].get(column.name) != self.fixed_rows[start].get(column.name) \
                    or any(runs[i] for runs in outer):
                out[start:i] = [i - start] + [0] * (i - start - 1)
                start = i
        return out

    @property
    def spanned(self) -> bool:
        """Whether any printed column merges cells down over pre-printed rows."""
        return any(max(self.spans(c), default=1) > 1 for c in self.shown_columns)

    def printed_only(self, column: Field) -> bool:
        """A readonly column of pre-printed rows other than the key: shown on the form, not part of the record."""
        return bool(self.fixed_rows) and column.readonly and column.name != self.key

    def row_values(self, rows: list[dict], index: int) -> dict:
        """What row ``index`` shows: the record's row over the pre-printed values."""
        fixed = self.fixed_rows[index] if index < len(self.fixed_rows) else {}
        given = rows[index] if index < len(rows) else {}
        return {**fixed, **given}

    @property
    def blank_rows(self) -> int:
        """How many rows a blank form offers (at least the fixed rows)."""
        if self.fixed_rows:
            return len(self.fixed_rows)
        return int(self.ann.get("rows", max(3, self.schema.get("minItems", 0))))

    def column(self, name: str) -> Field | None:
        return self._columns.get(name)

    @cached_property
    def _columns(self) -> dict[str, Field]:
        """Each column by its name (the first of a name, as a scan finds it)."""
        out: dict[str, Field] = {}
        for col in self.columns:
            out.setdefault(col.name, col)
        return out

    @property
    def total_label(self) -> str:
        """The label of the group's total row (``x-formgen.total_row.label``), 合计 by default."""
        return self.ann.get("total_row", {}).get("label", "合计")


Item = Field | Group


@dataclass
class FormSpec:
    definition: dict
    source: str = ""
    items: list[Item] = field(default_factory=list)

    @classmethod
    def from_definition(cls, definition: dict, source: str = "") -> "FormSpec":
        spec = cls(definition=definition, source=source)
        spec.items = list(_walk(definition, (), None))
        return spec

    @property
    def ann(self) -> dict:
        return self.definition.get("x-formgen", {})

    @property
    def id(self) -> str:
        return self.ann["id"]

    @property
    def version(self) -> str:
        return self.ann["version"]

    @property
    def title(self) -> str:
        return self.definition.get("title", self.id)

    def label(self, lang: str = "zh_CN") -> str:
        if lang == "en" and self.ann.get("title_en"):
            return self.ann["title_en"]
        return self.title

    @cached_property
    def hash(self) -> str:
        return definition_hash(self.definition)

    def fields(self) -> list[Field]:
        return list(self._fields)

    def groups(self) -> list[Group]:
        return list(self._groups)

    @cached_property
    def _fields(self) -> tuple[Field, ...]:
        return tuple(i for i in self.items if isinstance(i, Field))

    @cached_property
    def _groups(self) -> tuple[Group, ...]:
        return tuple(i for i in self.items if isinstance(i, Group))

    def sections(self) -> list[tuple[str | None, list[Item]]]:
        """Items grouped by section, in order of first appearance."""
        out: list[tuple[str | None, list[Item]]] = []
        for item in self.items:
            if out and out[-1][0] == item.section:
                out[-1][1].append(item)
            else:
                out.append((item.section, [item]))
        return out

    def walk(self, on_section: Callable[[str], None], on_field: Callable[[Field], None],
             on_group: Callable[[Group], None], on_note: Callable[[str], None], total_rows: bool = False) -> None:
        """Call back in the order a form shows its parts: ``on_section`` with a section's title where it starts,
        ``on_field`` or ``on_group`` for each item, then ``on_note`` for each footer line.  With ``total_rows``
        the fields of a group's total row are left to the group (and a section of only those is left out)."""
        for title, items in self.sections():
            if total_rows:
                items = [item for item in items if isinstance(item, Group) or self.in_total_row(item) is None]
                if not items:
                    continue
            if title:
                on_section(title)
            for item in items:
                if isinstance(item, Field):
                    on_field(item)
                else:
                    on_group(item)
        for line in self.ann.get("footer", []):
            on_note(line)

    def total_row(self, group: Group) -> dict[str, Field]:
        """The fields of a group's total row (``x-formgen.total_row``: ``{"object": "totals"}``), by the column
        each totals: field ``totals.schools`` stands under column ``schools``, in a row under the group's rows."""
        obj = group.ann.get("total_row", {}).get("object")
        if not obj:
            return {}
        out = {}
        for col in group.columns:
            target = self.lookup(f"{obj}.{col.name}")
            if isinstance(target, Field):
                out[col.name] = target
        return out

    def in_total_row(self, field: Field) -> Group | None:
        """The group whose total row shows ``field``, if any."""
        for group in self.groups():
            if any(total is field for total in self.total_row(group).values()):
                return group
        return None

    @cached_property
    def _by_path(self) -> dict[tuple[str, ...], tuple[int, Item]]:
        """Each item by its path, with its place among the items (the first of a path, as a scan finds it)."""
        index: dict[tuple[str, ...], tuple[int, Item]] = {}
        for place, item in enumerate(self.items):
            index.setdefault(item.path, (place, item))
        return index

    @cached_property
    def _lookups(self) -> dict[tuple[str, ...], Field | Group | None]:
        """What :meth:`lookup` found, by the address with its row numbers as ``.`` (every row of a column is
        the same column; no part of an address can be ``.``), unless some item's own path has a part of digits."""
        return {}

    @cached_property
    def _digit_paths(self) -> bool:
        return any(part.isdigit() for item in self.items for part in item.path)

    def address_key(self, parts: list[str]) -> tuple[str, ...]:
        """What an address (split into ``parts``) is remembered by, here and by the readings of a file: its row
        numbers as ``.`` (every row of a column is the same column), unless some item's own path has a part of
        digits."""
        if self._digit_paths:
            return tuple(parts)
        if len(parts) == 3 and parts[1].isdigit() and not parts[0].isdigit() and not parts[2].isdigit():
            return parts[0], ".", parts[2]  # a row's cell, most of a table's addresses
        return tuple(["." if p.isdigit() else p for p in parts])

    def lookup(self, address: str) -> Field | Group | None:
        """The field or group an address names (``persons.2.name`` -> the ``name`` column)."""
        parts = address.split(".") if address else []
        return self._lookup(parts, self.address_key(parts))

    def _lookup(self, parts: list[str], key: tuple[str, ...]) -> Field | Group | None:
        try:
            return self._lookups[key]
        except KeyError:
            pass
        if len(self._lookups) >= LOOKUP_MEMO:  # addresses come from files: the memo stays bounded
            self._lookups.clear()
        found = self._lookups[key] = self._find(parts)
        return found

    @cached_property
    def _rows(self) -> dict[tuple[str, ...], tuple[Group, int] | None]:
        """The group whose row an address is in, with the place of the row number in the address, by the key
        of :meth:`lookup` (the row number is all that differs between the rows of a column); None outside rows."""
        return {}

    def _find(self, parts: list[str]) -> Field | Group | None:
        """The item of the shortest path the address starts with, and the column within a group's row."""
        prefixes = (tuple(parts[:n]) for n in range(len(parts) + 1))
        found = [self._by_path[p] for p in prefixes if p in self._by_path]
        if found:
            item = min(found, key=lambda hit: hit[0])[1]
            n = len(item.path)
            if isinstance(item, Field):
                return item if len(parts) == n else None
            rest = parts[n:]
            if not rest:
                return item
            if rest[0].isdigit():
                rest = rest[1:]
            if not rest:
                return item
            return item.column(".".join(rest)) if len(rest) == 1 else None
        return None

    def relevance_note(self, field: Field, lang: str = "zh_CN") -> str:
        """What a form prints beside the label of a field filled in only under a condition: ``（续报填写）``
        from ``x-formgen.relevant_label`` (``relevant_label_en``), else the condition in words; "" for others."""
        if field.relevant is None:
            return ""
        from formgen.spec.relevance import note  # it parses with formgen.spec.rules, which builds on this module

        return note(self, field, lang)

    def label_of(self, address: str, lang: str = "zh_CN") -> str:
        """A human label for an address, e.g. ``涉及人员 第3行 姓名``."""
        return self._label(address, *self._labelled(address), lang)

    def labels_of(self, address: str) -> dict[str, str]:
        """The address's label in each language, for issue messages."""
        found = self._labelled(address)
        return {"zh_CN": self._label(address, *found, "zh_CN"), "en": self._label(address, *found, "en")}

    def _labelled(self, address: str) -> tuple[list[str], Item | None, tuple[Group, int] | None]:
        """What a label is made of: the address's parts, its field or group, and the group whose row it is in
        with the place of the row number."""
        parts = address.split(".") if address else []
        key = self.address_key(parts)
        target = self._lookup(parts, key)
        if target is None:
            return parts, None, None
        try:
            return parts, target, self._rows[key]
        except KeyError:
            pass
        in_row = next(((group, len(group.path)) for group in self._groups
                       if tuple(parts[:len(group.path)]) == group.path and len(parts) > len(group.path)
                       and parts[len(group.path)].isdigit()), None)
        if len(self._rows) >= LOOKUP_MEMO:
            self._rows.clear()
        self._rows[key] = in_row
        return parts, target, in_row

    @staticmethod
    def _label(address: str, parts: list[str], target: Item | None, in_row: tuple[Group, int] | None,
               lang: str) -> str:
        if target is None:
            return address
        if in_row is None:
            return target.label(lang)
        group, n = in_row
        row = int(parts[n]) + 1
        row_text = f"第{row}行" if lang != "en" else f"row {row}"
        if isinstance(target, Field):
            return f"{group.label(lang)} {row_text} {target.label(lang)}"
        return f"{group.label(lang)} {row_text}"

    def is_pii(self, address: str) -> bool:
        target = self.lookup(address)
        return isinstance(target, Field) and target.pii

    def holds_pii(self, data: dict | None) -> bool:
        """Whether ``data`` gives a value to a personal data field (``x-formgen.pii``), in a row of a group too."""
        if not data:
            return False
        if any(f.pii and _filled(get_path(data, f.address)) for f in self.fields()):
            return True
        for group in self.groups():
            rows = get_path(data, group.address)
            personal = [c.name for c in group.columns if c.pii]
            if personal and isinstance(rows, list) and any(
                    isinstance(row, dict) and _filled(row.get(name)) for row in rows for name in personal):
                return True
        return False


def _filled(value: Any) -> bool:
    return value is not None and not (isinstance(value, str) and not value.strip()) and value != []


def is_multi(schema: dict) -> bool:
    """A multi-select field: an array of an enum (``{"type": "array", "items": {"enum": [...]}}``), not rows."""
    items = schema.get("items")
    return schema.get("type") == "array" and isinstance(items, dict) and "enum" in items


def _walk(schema: dict, prefix: tuple[str, ...], section: str | None) -> Iterator[Item]:
    """Items in order.  A section starts at the field that names it and lasts until another is named."""
    required = set(schema.get("required", []))
    sec = section
    for name, sub in schema.get("properties", {}).items():
        path = prefix + (name,)
        sec = sub.get("x-formgen", {}).get("section", sec)
        if sub.get("type") == "object":
            yield from _walk(sub, path, sec)
        elif sub.get("type") == "array" and not is_multi(sub):
            items = sub.get("items", {})
            item_required = set(items.get("required", []))
            columns = [Field((col,), col_schema, col in item_required)
                       for col, col_schema in items.get("properties", {}).items()]
            yield Group(path, sub, name in required, columns, sec)
        else:
            yield Field(path, sub, name in required, sec)
