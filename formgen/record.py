"""What a reader found in a file, and turning it into a typed record.

Readers produce an :class:`Extraction`: the form identity, and one
:class:`RawValue` per non-empty input with where it came from.  Readers number
repeating rows by their order among the *filled* rows (empty rows are
skipped), so a row inserted by the person filling the form takes its place
and issue paths match the record.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from formgen.coerce import CoerceError, Context, coercer
from formgen.issues import Issue
from formgen.paths import set_parts, set_path
from formgen.spec.model import LOOKUP_MEMO, Field, FormSpec, Group


@dataclass(frozen=True)
class Identity:
    form: str
    version: str
    hash: str | None = None
    unit: str | None = None  # the unit code stamped by `formgen generate --roster`


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
    #: Where each field, column and group sits in the file (``表单!B5``, ``表2!R3C2``, ``第4段``), filled or not.
    locations: dict[str, str] = field(default_factory=dict)
    context: Context = Context()


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


@dataclass
class Built:
    """A coerced record, with what was typed beside it.

    ``originals`` maps every address read to the text as typed (numbers and
    dates a spreadsheet stored are shown as text); reporters may show it for
    fields that are not personal data.  ``failed`` holds the addresses whose
    value could not be coerced: they stay in the record as typed, and
    validation skips them.
    """

    record: dict
    issues: list[Issue]
    failed: set[str]
    originals: dict[str, str]


def original_text(value: Any) -> str:
    """What a person typed, as text: a stored number or date is shown the way it was entered."""
    if isinstance(value, str):
        return value
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime):
        if value.time() == dt.time():
            return value.date().isoformat()
        return value.isoformat(sep=" ", timespec="minutes" if value.second == 0 else "seconds")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


_ABSENT = object()


class _Target:
    """How the value read at an address goes into the record: the field's coercer, and, for the cell of a row
    (``group.3.column``), the group's and the column's names, so that the row is found without walking the
    address."""

    __slots__ = ("coerce", "group", "column")

    def __init__(self, field: Field, key: tuple[str, ...]):
        self.coerce = coercer(field)
        cell = len(key) == 3 and key[1] == "." and "." not in (key[0], key[2])
        self.group, self.column = (key[0], key[2]) if cell else (None, None)

    def put(self, record: dict, parts: list[str], value: Any) -> None:
        """``set_parts(record, parts, value)``, straight into the row for a row's cell."""
        if self.group is not None:
            rows = record.get(self.group, _ABSENT)
            if rows is _ABSENT:
                rows = record[self.group] = []
            if type(rows) is list:
                index = int(parts[1])
                while len(rows) <= index:
                    rows.append({})
                row = rows[index]
                if type(row) is dict:
                    row[self.column] = value
                    return
        set_parts(record, parts, value)


class _Reading:
    """What an address puts in the record, remembered by :meth:`FormSpec.address_key` (every row of a column
    reads the same field)."""

    def __init__(self, spec: FormSpec):
        self.spec = spec
        self.targets: dict[Any, _Target | None] = {}

    def target(self, address: str, key: Any) -> _Target | None:
        """The target of ``address`` (remembered by ``key``); None when it is not a field or is a column the
        form only prints."""
        if len(self.targets) >= LOOKUP_MEMO:  # addresses come from files: the memo stays bounded
            self.targets.clear()
        target = self.spec.lookup(address)
        if isinstance(target, Field):
            in_group = column_of(self.spec, address)
            found = None if in_group and in_group[0].printed_only(target) else _Target(target, key)
        else:
            found = None
        self.targets[key] = found
        return found


_READINGS: dict[str, _Reading] = {}


def _reading(spec: FormSpec) -> _Reading:
    """The definition's :class:`_Reading`, kept across the files of a process (by the definition's hash)."""
    reading = _READINGS.get(spec.hash)
    if reading is None:
        if len(_READINGS) >= 64:
            _READINGS.clear()
        reading = _READINGS[spec.hash] = _Reading(spec)
    return reading


def build_record(spec: FormSpec, extraction: Extraction) -> Built:
    """Coerce raw values to the schema's types; bad values become issues, never exceptions."""
    built = Built({}, [], set(), {})
    record, originals = built.record, built.originals
    reading = _reading(spec)
    targets, context, address_key = reading.targets, extraction.context, spec.address_key
    for raw in extraction.values:
        address = raw.address
        parts = address.split(".")
        key = address_key(parts)
        target = targets.get(key, _ABSENT)
        if target is _ABSENT:
            target = reading.target(address, key)
        if target is None:
            continue
        value = raw.value
        typed = originals[address] = value if type(value) is str else original_text(value)
        try:
            value = target.coerce(value, context)
        except CoerceError as err:
            built.failed.add(address)
            built.issues.append(Issue(err.code, address, raw.location,
                                      {"label": spec.labels_of(address), **err.params}))
            value = typed
        if value is not None:
            target.put(record, parts, value)
    _unprinted_keys(spec, extraction, record)
    return built


def _unprinted_keys(spec: FormSpec, extraction: Extraction, record: dict) -> None:
    """A key left off the printed form is that of the pre-printed row in the same place: put it in every row of a
    group that was read (whatever a file of an earlier layout, which printed it, says)."""
    read: set[str] | None = None
    for group in spec.groups():
        key = group.column(group.key) if group.key else None
        if key is None or not group.unprinted_key(key):
            continue
        if read is None:
            read = {raw.address for raw in extraction.values} | set(extraction.locations)
        if group.address not in read:
            continue
        for i, fixed in enumerate(group.fixed_rows):
            if group.key in fixed:
                set_path(record, f"{group.address}.{i}.{group.key}", fixed[group.key])
