"""What a reader found in a file, and turning it into a typed record.

Readers produce an :class:`Extraction`: the form identity, and one
:class:`RawValue` per non-empty input with where it came from.  Readers number
repeating rows by their order among the *filled* rows (empty rows are
skipped), so a row inserted by the person filling the form takes its place
and issue paths match the record.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from formgen.coerce import CoerceError, Context, coerce
from formgen.issues import Code, Issue
from formgen.spec.model import Field, FormSpec, Group


@dataclass(frozen=True)
class Identity:
    form: str
    version: str
    hash: str | None = None


@dataclass
class RawValue:
    address: str
    value: Any
    location: str = ""


@dataclass
class Extraction:
    file: str
    format: str
    identity: Identity | None = None
    values: list[RawValue] = field(default_factory=list)
    issues: list[Issue] = field(default_factory=list)
    context: Context = Context()


def set_path(record: dict, address: str, value: Any) -> None:
    parts = address.split(".")
    node: Any = record
    for i, part in enumerate(parts[:-1]):
        nxt = parts[i + 1]
        key: Any = int(part) if isinstance(node, list) else part
        if isinstance(node, list):
            while len(node) <= key:
                node.append({})
            node = node[key]
        else:
            node = node.setdefault(key, [] if nxt.isdigit() else {})
    last = parts[-1]
    if isinstance(node, list):
        idx = int(last)
        while len(node) <= idx:
            node.append({})
        node[idx] = value
    else:
        node[last] = value


def get_path(record: Any, address: str) -> Any:
    node = record
    for part in address.split(".") if address else []:
        if isinstance(node, list):
            idx = int(part)
            if idx >= len(node):
                return None
            node = node[idx]
        elif isinstance(node, dict):
            node = node.get(part)
        else:
            return None
        if node is None:
            return None
    return node


def flatten(spec: FormSpec, record: dict) -> dict[str, Any]:
    """A record as {address: value} for every scalar input that has a value."""
    out: dict[str, Any] = {}
    for item in spec.items:
        if isinstance(item, Field):
            value = get_path(record, item.address)
            if value is not None:
                out[item.address] = value
        else:
            for i, row in enumerate(get_path(record, item.address) or []):
                for col in item.columns:
                    value = row.get(col.name) if isinstance(row, dict) else None
                    if value is not None:
                        out[f"{item.address}.{i}.{col.name}"] = value
    return out


def column_of(spec: FormSpec, address: str) -> tuple[Group, int, Field] | None:
    """(group, row index, column) for a row address, else None."""
    parts = address.split(".")
    for group in spec.groups():
        n = len(group.path)
        if tuple(parts[:n]) == group.path and len(parts) == n + 2 and parts[n].isdigit():
            col = group.column(parts[n + 1])
            if col is not None:
                return group, int(parts[n]), col
    return None


def build_record(spec: FormSpec, extraction: Extraction) -> tuple[dict, list[Issue], set[str]]:
    """Coerce raw values to the schema's types.

    Returns the record, coercion issues, and the addresses that failed.  A
    value that cannot be coerced stays in the record as the text typed, so
    nothing typed is dropped; validation skips those addresses.
    """
    record: dict = {}
    issues: list[Issue] = []
    failed: set[str] = set()
    for raw in extraction.values:
        target = spec.lookup(raw.address)
        if not isinstance(target, Field):
            continue
        in_group = column_of(spec, raw.address)
        if in_group and in_group[0].printed_only(target):
            continue
        try:
            value = coerce(raw.value, target, extraction.context)
        except CoerceError as err:
            failed.add(raw.address)
            issues.append(Issue(err.code, raw.address, raw.location,
                                {"label": spec.labels_of(raw.address), **err.params}))
            value = raw.value if isinstance(raw.value, str) else str(raw.value)
        if value is not None:
            set_path(record, raw.address, value)
    return record, issues, failed
