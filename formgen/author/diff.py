"""What changed between two versions of a form, in words an author understands (`formgen diff OLD NEW`).

Each change is a :class:`Change`: a kind, the field's address, the old and new value; ``message`` says it in the
catalogue's language.  Fields are matched by address; a removed and an added field with the same label are
reported as one rename.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from formgen.i18n import N_, gettext
from formgen.spec.migrate import inputs
from formgen.spec.model import Field, FormSpec, Group

MESSAGES = {
    "version": N_("version {old} → {new}"),
    "title": N_("the form's title: “{old}” → “{new}”"),
    "added": N_("new field {label} ({path})"),
    "removed": N_("field {label} ({path}) removed"),
    "renamed": N_("field {label} renamed: {old} → {new}"),
    "label": N_("{path}: label “{old}” → “{new}”"),
    "kind": N_("{label} ({path}): kind of value {old} → {new}"),
    "required": N_("{label} ({path}) is now required"),
    "optional": N_("{label} ({path}) is no longer required"),
    "choice_added": N_("{label} ({path}): new choice “{new}”"),
    "choice_removed": N_("{label} ({path}): choice “{old}” removed"),
    "choice_label": N_("{label} ({path}): choice label “{old}” → “{new}”"),
    "limit": N_("{label} ({path}): {keyword} {old} → {new}"),
    "rule_added": N_("new rule {path}: {new}"),
    "rule_removed": N_("rule {path} removed"),
    "rule_changed": N_("rule {path}: “{old}” → “{new}”"),
}
#: The limits compared, and what each is called in a message.
_LIMITS = {"minimum": N_("the smallest value"), "maximum": N_("the largest value"),
           "exclusiveMinimum": N_("the value it must exceed"), "exclusiveMaximum": N_("the value it must stay below"),
           "minLength": N_("the fewest characters"), "maxLength": N_("the most characters"),
           "pattern": N_("the pattern"), "format": N_("the format"), "minItems": N_("the fewest rows"),
           "maxItems": N_("the most rows")}


@dataclass
class Change:
    kind: str
    path: str
    label: str = ""
    old: Any = None
    new: Any = None
    keyword: str = ""

    def message(self, lang: str | None = None) -> str:
        return gettext(MESSAGES[self.kind], lang).format(path=self.path, label=self.label, old=_show(self.old),
                                                         new=_show(self.new),
                                                         keyword=gettext(_LIMITS[self.keyword], lang)
                                                         if self.keyword else "")

    def to_dict(self, lang: str | None = None) -> dict:
        out = {"change": self.kind, "path": self.path, "old": self.old, "new": self.new,
               "message": self.message(lang)}
        if self.keyword:
            out["keyword"] = self.keyword
        return out


def _show(value) -> str:
    return "" if value is None else str(value)


def diff(old: FormSpec, new: FormSpec) -> list[Change]:
    changes: list[Change] = []
    if old.version != new.version:
        changes.append(Change("version", "$", old=old.version, new=new.version))
    if old.title != new.title:
        changes.append(Change("title", "$", old=old.title, new=new.title))
    before, after = inputs(old), inputs(new)
    added = [a for a in after if a not in before]
    removed = [a for a in before if a not in after]
    for address in list(removed):
        twin = next((a for a in added if after[a].title == before[address].title
                     and a.rpartition(".")[0] == address.rpartition(".")[0]), None)
        if twin is not None:
            changes.append(Change("renamed", twin, before[address].title, old=address, new=twin))
            removed.remove(address)
            added.remove(twin)
            _compare(before[address], after[twin], twin, changes)
    changes += [Change("removed", a, before[a].title) for a in removed]
    changes += [Change("added", a, after[a].title) for a in added]
    for address in after:
        if address in before:
            _compare(before[address], after[address], address, changes)
    old_rules = {r.get("id"): r for r in old.definition.get("x-formgen-rules", [])}
    new_rules = {r.get("id"): r for r in new.definition.get("x-formgen-rules", [])}
    for rid, rule in new_rules.items():
        if rid not in old_rules:
            changes.append(Change("rule_added", rid, new=rule.get("message", {}).get("zh_CN", rule.get("assert"))))
        elif (old_rules[rid].get("if"), old_rules[rid].get("assert")) != (rule.get("if"), rule.get("assert")):
            changes.append(Change("rule_changed", rid, old=old_rules[rid].get("assert"), new=rule.get("assert")))
    changes += [Change("rule_removed", rid) for rid in old_rules if rid not in new_rules]
    return changes


def _compare(a: Field | Group, b: Field | Group, address: str, changes: list[Change]) -> None:
    label = b.title
    if a.title != b.title:
        changes.append(Change("label", address, label, old=a.title, new=b.title))
    kind_a = a.kind if isinstance(a, Field) else "rows"
    kind_b = b.kind if isinstance(b, Field) else "rows"
    if kind_a != kind_b:
        changes.append(Change("kind", address, label, old=kind_a, new=kind_b))
    if a.required != b.required:
        changes.append(Change("required" if b.required else "optional", address, label))
    for keyword in _LIMITS:
        if a.schema.get(keyword) != b.schema.get(keyword):
            changes.append(Change("limit", address, label, old=a.schema.get(keyword), new=b.schema.get(keyword),
                                  keyword=keyword))
    if isinstance(a, Field) and isinstance(b, Field) and kind_a == kind_b == "choice":
        old = dict(zip(a.choices, a.choice_labels))
        new = dict(zip(b.choices, b.choice_labels))
        changes += [Change("choice_added", address, label, new=new[c]) for c in new if c not in old]
        changes += [Change("choice_removed", address, label, old=old[c]) for c in old if c not in new]
        changes += [Change("choice_label", address, label, old=old[c], new=new[c])
                    for c in new if c in old and old[c] != new[c]]
