"""Migrations: how a record of an earlier version of a form is brought to a later one.

The later definition says it, in ``x-formgen.migrate`` (one object, or a list of them, one per earlier
version it migrates from)::

    "migrate": {"from": "1.0.0",
                "rename": {"reporter_phone": "reporter_mobile", "persons.role": "persons.kind"},
                "choices": {"severity": {"minor": "general", "repeated": "general"}},
                "defaults": {"channel": "phone"},
                "remove": ["harm"]}

- ``rename``: old address → new address, for a field, a field of an object (``incident.place``), a whole
  repeating group (``persons``), or a column within its group (``persons.role`` → ``persons.kind``, or
  ``people.kind`` when the group was renamed to ``people`` too).  A field that keeps its name needs nothing.
- ``choices``: for a choice field, named as it is in the new version, old value → new value; two old values
  mapped to one new value merge them, a value mapped to ``null`` has no place (the field is left empty).
- ``defaults``: the value a field new in this version takes in a migrated record that has none.
- ``remove``: fields of the old version that this version no longer has; their values are left out.

A record is brought along the shortest chain of such steps (1.0.0 → 1.1.0 → 2.0.0).  Nothing here raises
for a record: what does not fit is an :class:`~formgen.issues.Issue` (FG360–FG363).  The checks of the
``migrate`` annotation itself are :func:`lint_migrations` (within one definition) and :func:`lint_sources`
(against the installed versions it migrates from), FG447–FG449.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from formgen.i18n import N_
from formgen.issues import Code, Issue, Text
from formgen.paths import get_path, set_path
from formgen.spec.explain import paren_hint
from formgen.spec.model import Field, FormSpec, Group, version_key


@dataclass(frozen=True)
class Step:
    """One migration of a definition: from version ``source`` to the definition's own version."""

    source: str
    rename: dict[str, str] = field(default_factory=dict)
    choices: dict[str, dict[str, Any]] = field(default_factory=dict)
    defaults: dict[str, Any] = field(default_factory=dict)
    remove: tuple[str, ...] = ()
    #: the JSON path of this step in the definition
    path: tuple = ("x-formgen", "migrate")

    def source_of(self, address: str, same: str | None) -> str | None:
        """The old address whose value goes to the new ``address``: the one renamed to it, else ``same``
        (the same name) unless that was renamed to something else."""
        for old, new in self.rename.items():
            if new == address:
                return old
        return None if same is None or same in self.rename else same


def steps(spec: FormSpec) -> list[Step]:
    """The migrations the definition declares (an annotation lint rejects gives none)."""
    raw = spec.ann.get("migrate")
    items = [(raw, ("x-formgen", "migrate"))] if isinstance(raw, dict) else \
        [(item, ("x-formgen", "migrate", i)) for i, item in enumerate(raw)] if isinstance(raw, list) else []
    out = []
    for item, path in items:
        if not isinstance(item, dict) or not isinstance(item.get("from"), str):
            continue
        out.append(Step(item["from"], dict(_mapping(item.get("rename"))), dict(_mapping(item.get("choices"))),
                        dict(_mapping(item.get("defaults"))), tuple(item.get("remove") or ()), path))
    return out


def _mapping(value: Any) -> dict:
    return value if isinstance(value, dict) else {}


def inputs(spec: FormSpec) -> dict[str, Field | Group]:
    """Every field, group and group column of ``spec`` by its address (``persons.role`` for a column)."""
    out: dict[str, Field | Group] = {}
    for item in spec.items:
        out[item.address] = item
        if isinstance(item, Group):
            for column in item.columns:
                out[f"{item.address}.{column.name}"] = column
    return out


# -- bringing a record up ------------------------------------------------------------------------

def route(versions: Iterable[FormSpec], start: str, target: str) -> list[tuple[FormSpec, FormSpec, Step]] | None:
    """The fewest steps from version ``start`` to ``target`` among ``versions`` (one form's definitions):
    ``[(old, new, step), ...]``, empty when ``start`` is ``target``, None when no chain of migrations leads there."""
    by_version = {spec.version: spec for spec in versions}
    if start not in by_version or target not in by_version:
        return None
    came: dict[str, tuple[str, Step] | None] = {start: None}
    frontier = [start]
    while frontier and target not in came:
        version = frontier.pop(0)
        for spec in sorted(by_version.values(), key=lambda s: version_key(s.version)):
            for step in steps(spec):
                if step.source == version and spec.version not in came \
                        and version_key(spec.version) > version_key(version):
                    came[spec.version] = (version, step)
                    frontier.append(spec.version)
    if target not in came:
        return None
    chain = []
    version = target
    while came[version] is not None:
        source, step = came[version]
        chain.append((by_version[source], by_version[version], step))
        version = source
    return chain[::-1]


@dataclass
class Migration:
    """What bringing one record up gave: the version it is now in, the record, and what was said on the way."""

    spec: FormSpec
    record: dict
    issues: list[Issue]


def bring_up(versions: Iterable[FormSpec], spec: FormSpec, record: dict, target: FormSpec) -> Migration:
    """``record`` (of version ``spec``) in version ``target``: FG360 and an issue for every value without a
    place; FG363 and the record unchanged when no migration leads there."""
    if spec.version == target.version:
        return Migration(spec, record, [])
    chain = route(versions, spec.version, target.version)
    if not chain:
        return Migration(spec, record, [Issue(Code.MIGRATION_NO_ROUTE, params={
            "form": spec.id, "old": spec.version, "new": target.version, "where": ""})])
    issues = [Issue(Code.MIGRATED, params={"form": spec.id, "old": spec.version, "new": target.version})]
    for old, new, step in chain:
        record, said = apply(old, new, step, record)
        issues += said
    return Migration(target, record, issues)


def apply(old: FormSpec, new: FormSpec, step: Step, record: dict) -> tuple[dict, list[Issue]]:
    """One step: the record of version ``old`` in the shape of version ``new``, and an issue for each value
    that has no place there (never the value itself of a personal-data field)."""
    before = inputs(old)
    group_of = {f"{g.address}.{c.name}": g.address for g in old.groups() for c in g.columns}
    out: dict = {}
    used: set[str] = set()
    issues: list[Issue] = []
    for item in new.items:
        source = step.source_of(item.address, item.address)
        if isinstance(item, Field):
            value = None
            if isinstance(before.get(source), Field) and source not in group_of:
                used.add(source)
                value = _choice(old, new, step, item.address, item.address, before[source],
                                copy.deepcopy(get_path(record, source)), issues)
            _put(out, item.address, value, step.defaults.get(item.address))
            continue
        group = before.get(source)
        if not isinstance(group, Group):
            continue
        used.add(source)
        rows = get_path(record, source)
        new_rows = []
        for index, row in enumerate(rows if isinstance(rows, list) else []):
            new_row: dict = {}
            for column in item.columns:
                address = f"{item.address}.{column.name}"
                col_source = step.source_of(address, f"{source}.{column.name}")
                value = None
                if group_of.get(col_source) == source and isinstance(row, dict):
                    used.add(col_source)
                    value = _choice(old, new, step, address, f"{item.address}.{index}.{column.name}",
                                    before[col_source], copy.deepcopy(row.get(col_source[len(source) + 1:])), issues)
                _put(new_row, column.name, value, step.defaults.get(address))
            if new_row:
                new_rows.append(new_row)
        if new_rows:
            set_path(out, item.address, new_rows)
    for address, item in before.items():
        group = group_of.get(address)
        if address in used or group is not None and group not in used \
                or not _has_value(record, address, group, item):
            continue
        issues.append(Issue(Code.MIGRATION_DROPPED, address, params={
            "label": old.labels_of(address), "old": old.version, "new": new.version}))
    return out, issues


def _put(node: dict, key: str, value: Any, default: Any) -> None:
    """Set ``key`` to ``value``, or to the migration's default for a field left without one."""
    value = copy.deepcopy(default) if value is None else value
    if value is not None:
        set_path(node, key, value)


def _has_value(record: dict, address: str, group: str | None, item: Field | Group) -> bool:
    """Whether the old record holds something at ``address`` (a column of ``group``: in any row)."""
    if group is not None:
        rows = get_path(record, group)
        return isinstance(rows, list) and any(isinstance(r, dict) and r.get(item.name) is not None for r in rows)
    return get_path(record, address) not in (None, [], {})


def _choice(old: FormSpec, new: FormSpec, step: Step, address: str, path: str, before: Field, value: Any,
            issues: list[Issue]) -> Any:
    """The value of the choice field ``address`` (``path``: its place in the record) in the new version:
    mapped by ``choices``, kept when it is still a choice, else left out with FG362 (FG361 for personal
    data, whose choice is not repeated)."""
    target = new.lookup(path)
    if value is None or not isinstance(target, Field) or target.kind != "choice":
        return value
    table = step.choices.get(address, {})
    if choice_key(value) in table:
        mapped = table[choice_key(value)]
    else:
        mapped = value if value in target.choices else None
    if mapped is not None:
        return mapped
    versions = {"old": old.version, "new": new.version}
    if target.pii or before.pii:
        issues.append(Issue(Code.MIGRATION_DROPPED, path, params={"label": new.labels_of(path), **versions}))
    else:
        issues.append(Issue(Code.MIGRATION_CHOICE, path, params={
            "label": new.labels_of(path), "choice": before.label_for(value),
            "choices": "、".join(target.choice_labels), **versions}))
    return None


# -- lint ----------------------------------------------------------------------------------------

def _json_path(parts: Iterable) -> str:
    out = "$"
    for p in parts:
        out += f"[{p}]" if isinstance(p, int) else f".{p}"
    return out


def _issue(code: Code, step: Step, name: str, keys: tuple, reason: Text) -> Issue:
    return Issue(code, _json_path([*step.path, *keys]), params={"file": name, "reason": reason})


def lint_migrations(spec: FormSpec, name: str) -> Iterator[Issue]:
    """What one definition's ``migrate`` gets wrong by itself: a source version not older than this one (a
    migration in a circle), one source twice, and fields and choices this version does not have."""
    after = inputs(spec)
    seen: set[str] = set()
    for step in steps(spec):
        if version_key(step.source) >= version_key(spec.version):
            yield _issue(Code.DEF_MIGRATE_SOURCE, step, name, ("from",), Text(N_(
                "version {source} is not older than this version {version}: a migration brings the records of an "
                "older version up to this one, so it cannot come from this version or a later one (that would go "
                "round in a circle)"), {"source": step.source, "version": spec.version}))
        elif step.source in seen:
            yield _issue(Code.DEF_MIGRATE_SOURCE, step, name, ("from",), Text(N_(
                "version {source} is migrated from twice; give each earlier version one migration"),
                {"source": step.source}))
        seen.add(step.source)
        targets: dict[str, str] = {}
        for old, new in step.rename.items():
            if new not in after:
                yield _unknown_here(step, name, ("rename", old), new, after)
            elif new in targets:
                yield _issue(Code.DEF_MIGRATE_FIELD, step, name, ("rename", old), Text(N_(
                    "'{field}' and '{other}' are both renamed to '{target}'; one field of this version takes the "
                    "value of one field of the old version"), {"field": targets[new], "other": old, "target": new}))
            targets.setdefault(new, old)
        for address, table in step.choices.items():
            target = after.get(address)
            if target is None:
                yield _unknown_here(step, name, ("choices", address), address, after)
            elif not isinstance(target, Field) or target.kind != "choice":
                yield _issue(Code.DEF_MIGRATE_CHOICE, step, name, ("choices", address), Text(N_(
                    "'{field}' is not a choice field in this version, so it has no choices to map to"),
                    {"field": address}))
            else:
                for old_value, new_value in table.items():
                    if new_value is not None and new_value not in target.choices:
                        yield _issue(Code.DEF_MIGRATE_CHOICE, step, name, ("choices", address, old_value), Text(N_(
                            "'{choice}' is not a choice of '{field}' in this version{hint}; its choices are: "
                            "{choices}"), {"choice": _shown(new_value), "field": address,
                                           "hint": paren_hint(new_value, target.choices),
                                           "choices": ", ".join(map(_shown, target.choices))}))
        for address, value in step.defaults.items():
            target = after.get(address)
            if not isinstance(target, Field):
                yield _unknown_here(step, name, ("defaults", address), address, after)
            elif target.kind in ("choice", "boolean") and value not in target.choices:
                yield _issue(Code.DEF_MIGRATE_CHOICE, step, name, ("defaults", address), Text(N_(
                    "the default '{choice}' is not a choice of '{field}'; its choices are: {choices}"),
                    {"choice": _shown(value), "field": address, "choices": ", ".join(map(_shown, target.choices))}))
        for i, address in enumerate(step.remove):
            if address in after and address not in step.rename:
                yield _issue(Code.DEF_MIGRATE_FIELD, step, name, ("remove", i), Text(N_(
                    "'{field}' is still a field of this version; list in \"remove\" only the fields this version "
                    "no longer has"), {"field": address}))


def lint_sources(spec: FormSpec, versions: Iterable[FormSpec], name: str) -> Iterator[Issue]:
    """What ``migrate`` gets wrong against the versions it migrates from (``versions``: the installed
    definitions of the same form): a source version not installed, old fields and choices that do not exist,
    and old fields and choices, or new required fields, that the migration leaves without a place or a value."""
    by_version = {s.version: s for s in versions if s.id == spec.id}
    after = inputs(spec)
    for step in steps(spec):
        if version_key(step.source) >= version_key(spec.version):
            continue  # lint_migrations says so
        old = by_version.get(step.source)
        if old is None:
            yield _issue(Code.DEF_MIGRATE_SOURCE, step, name, ("from",), Text(N_(
                "version {source} of form '{form}' is not installed (neither in the forms folders nor in their "
                "versions/ subfolder); put that definition in forms/versions/{form}@{source}.json"),
                {"source": step.source, "form": spec.id}))
            continue
        before = inputs(old)
        for address in step.rename:
            if address not in before:
                yield _unknown_there(step, name, ("rename", address), address, before)
        for i, address in enumerate(step.remove):
            if address not in before:
                yield _unknown_there(step, name, ("remove", i), address, before)
        carried = {}
        for address, item in after.items():
            group = next((g for g in spec.groups() if address.startswith(g.address + ".")), None)
            same = address
            if group is not None:
                group_source = step.source_of(group.address, group.address)
                same = f"{group_source}.{address[len(group.address) + 1:]}" if group_source else None
            source = step.source_of(address, same)
            if source in before:
                carried[source] = address
            elif item.required and address not in step.defaults and not isinstance(item, Group) \
                    and (group is None or group.address in carried.values()):
                yield _issue(Code.DEF_MIGRATE_FIELD, step, name, ("defaults",), Text(N_(
                    "'{field}' is new and required: give it a value in \"defaults\", so that records of version "
                    "{source} stay valid"), {"field": address, "source": step.source}))
        for address, item in before.items():
            if address not in carried and address not in step.remove and not any(
                    address.startswith(r + ".") for r in step.remove):
                yield _issue(Code.DEF_MIGRATE_FIELD, step, name, (), Text(N_(
                    "'{field}' of version {source} is not in this version: say in \"rename\" what it is called now, "
                    "or list it in \"remove\""), {"field": address, "source": step.source}))
        for source, address in carried.items():
            was, now = before[source], after[address]
            if not (isinstance(was, Field) and isinstance(now, Field) and now.kind == "choice"):
                continue
            table = step.choices.get(address, {})
            for old_value in table:
                if old_value not in [choice_key(c) for c in was.choices]:
                    yield _issue(Code.DEF_MIGRATE_CHOICE, step, name, ("choices", address, old_value), Text(N_(
                        "'{choice}' is not a choice of '{field}' in version {source}{hint}; its choices were: "
                        "{choices}"), {"choice": old_value, "field": source, "source": step.source,
                                       "hint": paren_hint(old_value, [choice_key(c) for c in was.choices]),
                                       "choices": ", ".join(map(_shown, was.choices))}))
            for choice in was.choices:
                if choice_key(choice) not in table and choice not in now.choices:
                    yield _issue(Code.DEF_MIGRATE_CHOICE, step, name, ("choices",), Text(N_(
                        "the choice '{choice}' of '{field}' in version {source} is not a choice of '{target}' here: "
                        "map it in \"choices\" to one of {choices}, or to null to leave the field empty"),
                        {"choice": _shown(choice), "field": source, "source": step.source, "target": address,
                         "choices": ", ".join(map(_shown, now.choices))}))


def _unknown_here(step: Step, name: str, keys: tuple, address: str, after: dict) -> Issue:
    return _issue(Code.DEF_MIGRATE_FIELD, step, name, keys, Text(N_("'{field}' is not a field of this version{hint}"),
                                                                 {"field": address, "hint": paren_hint(address, after)}))


def _unknown_there(step: Step, name: str, keys: tuple, address: str, before: dict) -> Issue:
    return _issue(Code.DEF_MIGRATE_FIELD, step, name, keys, Text(N_(
        "'{field}' is not a field of version {source}{hint}"),
        {"field": address, "source": step.source, "hint": paren_hint(address, before)}))


def choice_key(choice: Any) -> str:
    """A choice as a key of ``choices`` (JSON object keys are text)."""
    return choice if isinstance(choice, str) else json.dumps(choice, ensure_ascii=False)


def _shown(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
