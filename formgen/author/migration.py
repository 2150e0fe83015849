"""A migration suggested from what changed (`formgen diff OLD NEW --migration`).

The changes of :func:`formgen.author.diff.diff` become the ``x-formgen.migrate`` of the new version: a rename
goes to ``rename``, a removed field to ``remove``, a removed choice to ``choices`` (to the new choice of the
closest label, else ``null``), and a field that is new and required to ``defaults`` when its definition gives a
``default``.  The suggestion is then checked against both versions by the migration lint
(:func:`formgen.spec.migrate.lint_sources`), so what is left for the author to decide is said, with its code.
"""

from __future__ import annotations

import difflib
from typing import Any

from formgen.author.diff import diff
from formgen.issues import Issue
from formgen.spec.migrate import choice_key, inputs, lint_sources
from formgen.spec.model import Field, FormSpec, Group


def suggest(old: FormSpec, new: FormSpec, name: str = "") -> tuple[dict[str, Any], list[Issue]]:
    """The suggested ``migrate`` object, and what lint still finds in the new definition with it."""
    changes = diff(old, new)
    before, after = inputs(old), inputs(new)
    rename = {c.old: c.new for c in changes if c.kind == "renamed"}
    moved_groups = {o: n for o, n in rename.items() if isinstance(before.get(o), Group)}

    def follows_its_group(address: str, table: dict[str, str]) -> bool:
        """A column that keeps its name in a renamed group: the group's rename carries it."""
        parent, _, column = address.rpartition(".")
        return any(parent == g and f"{table[g]}.{column}" in after for g in table) or any(
            parent == n and f"{o}.{column}" in before for o, n in table.items())

    migrate: dict[str, Any] = {"from": old.version}
    if rename:
        migrate["rename"] = rename
    choices: dict[str, dict[str, Any]] = {}
    for change in changes:
        if change.kind != "choice_removed":
            continue
        now = after.get(change.path)
        was = before.get(next((o for o, n in rename.items() if n == change.path), change.path))
        if not (isinstance(now, Field) and isinstance(was, Field)):
            continue
        value = was.choices[was.choice_labels.index(change.old)]
        choices.setdefault(change.path, {})[choice_key(value)] = _closest(change.old, was, now)
    if choices:
        migrate["choices"] = choices
    defaults = {c.path: after[c.path].schema["default"] for c in changes if c.kind == "added"
                and isinstance(after[c.path], Field) and "default" in after[c.path].schema}
    if defaults:
        migrate["defaults"] = defaults
    remove = [c.path for c in changes if c.kind == "removed" and not follows_its_group(c.path, moved_groups)]
    if remove:
        migrate["remove"] = remove
    definition = {**new.definition, "x-formgen": {**new.ann, "migrate": migrate}}
    issues = list(lint_sources(FormSpec.from_definition(definition, name), [old], name))
    return migrate, issues


def _closest(label: str, was: Field, now: Field) -> Any:
    """The new choice an old one most likely became: one whose label is part of the old label (一般欺凌 of
    情节轻微的一般欺凌) or close to it, among the choices the old version did not have; else None."""
    fresh = [(code, text) for code, text in zip(now.choices, now.choice_labels) if code not in was.choices]
    within = [code for code, text in fresh if text in label or label in text]
    if len(within) == 1:
        return within[0]
    close = difflib.get_close_matches(label, [text for _code, text in fresh], n=1, cutoff=0.6)
    return next((code for code, text in fresh if close and text == close[0]), None)
