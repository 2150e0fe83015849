"""Evaluate the cross-field rules (``x-formgen-rules``) of a definition on a typed record.

Logic has three values: a comparison that involves an empty field, or one
whose value could not be read, is *unknown* (None), and so is ``not``,
``and`` and ``or`` of unknowns (Kleene logic).  A rule whose ``if`` is not
true is not applied; a rule whose ``assert`` is unknown is not reported:
a missing value is the ``required`` keyword's business, and a badly typed one
already has its own issue.  Ask for a value with ``filled(x)``.

A failed rule is one RULE_FAILED issue (RULE_WARNING when the rule says
``"severity": "warning"``, e.g. a late completion that is a fact to flag, not a
mistake to fix) with the rule's message and the labels of the fields involved; when the ``assert`` is ``all(...)`` or
``unique(...)``, one issue per offending row, at that row.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Iterable

from formgen.issues import Code, Issue
from formgen.paths import get_path
from formgen.spec.model import FormSpec
from formgen.spec.rules import Binary, Call, InList, Literal, Node, Ref, Rule, Unary, compile_rules

CST = dt.timezone(dt.timedelta(hours=8))
_RULES: dict[str, list[Rule]] = {}


def rules_of(spec: FormSpec) -> list[Rule]:
    """The usable rules of a definition (lint reports the others)."""
    if spec.hash not in _RULES:
        _RULES[spec.hash] = [rule for _i, rule, _problems in compile_rules(spec) if rule is not None]
    return _RULES[spec.hash]


def _moment(value: str, kind_date: bool) -> dt.date | dt.datetime:
    """A stored date or date-time as a value that compares; raises ValueError or TypeError when it is not one."""
    if kind_date:
        return dt.date.fromisoformat(value)
    moment = dt.datetime.fromisoformat(value)
    return moment if moment.tzinfo else moment.replace(tzinfo=CST)


def _as_date(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return (value.astimezone(CST) if value.tzinfo else value).date()
    return value


def _comparable(left: Any, right: Any) -> tuple[Any, Any]:
    if isinstance(left, dt.datetime) != isinstance(right, dt.datetime):
        return _as_date(left), _as_date(right)  # a date and a date-time compare by their day in China
    return left, right


_TYPES = {"integer": (int, float), "number": (int, float), "boolean": (bool,), "string": (str,), "text": (str,)}
_COMPARE = {"=": lambda a, b: a == b, "!=": lambda a, b: a != b, "<": lambda a, b: a < b,
            "<=": lambda a, b: a <= b, ">": lambda a, b: a > b, ">=": lambda a, b: a >= b}


class _Evaluator:
    """Evaluates nodes on one record.  What it looks up (a group's rows, a field's kind) it remembers: the
    record does not change while it is evaluated, and a rule over a group asks the same for every row."""

    def __init__(self, spec: FormSpec, record: dict, failed: set[str]):
        self.spec = spec
        self.record = record
        self.failed = failed
        self.culprits: list[str] = []
        self._rows: dict[str, list] = {}
        self._kinds: dict[tuple[str, str], str] = {}

    def value(self, address: str) -> Any:
        """The typed value at an address; None when empty, unreadable, or not of the field's type."""
        if address in self.failed:
            return None
        key = (address, "")
        kind = self._kinds.get(key)
        if kind is None:
            kind = self._kinds[key] = getattr(self.spec.lookup(address), "kind", "")
        return self._typed(get_path(self.record, address), kind)

    def row_value(self, ref: Ref, row: int) -> Any:
        """:meth:`value` of column ``ref.column`` in row ``row`` of group ``ref.address``."""
        if self.failed and f"{ref.address}.{row}.{ref.column}" in self.failed:
            return None
        value = self.raw_row_value(ref, row)
        key = (ref.address, ref.column)
        kind = self._kinds.get(key)
        if kind is None:
            kind = self._kinds[key] = getattr(self.spec.lookup(f"{ref.address}.0.{ref.column}"), "kind", "")
        return self._typed(value, kind)

    def raw_row_value(self, ref: Ref, row: int) -> Any:
        """What the record holds in column ``ref.column`` of row ``row`` of group ``ref.address``."""
        rows = self.group_rows(ref.address)
        cells = rows[row] if row < len(rows) else None
        return cells.get(ref.column) if isinstance(cells, dict) else None

    @staticmethod
    def _typed(value: Any, kind: str) -> Any:
        if value is None or value == "":
            return None
        if kind in ("date", "datetime"):
            try:
                return _moment(value, kind == "date")
            except (TypeError, ValueError):
                return None
        expected = _TYPES.get(kind)
        if expected and (not isinstance(value, expected) or (bool not in expected and isinstance(value, bool))):
            return None
        return value

    def group_rows(self, group: str) -> list:
        """The group's rows in the record ([] when it has none or they are not a list)."""
        rows = self._rows.get(group)
        if rows is None:
            found = get_path(self.record, group)
            rows = self._rows[group] = found if isinstance(found, list) else []
        return rows

    def rows(self, group: str) -> list[int]:
        return list(range(len(self.group_rows(group))))

    def evaluate(self, node: Node, row: int | None = None) -> Any:
        if isinstance(node, Literal):
            return node.value
        if isinstance(node, Ref):
            return self.row_value(node, row) if node.kind == "row" else self.value(node.address)
        if isinstance(node, Unary):
            operand = self.evaluate(node.operand, row)
            if operand is None:
                return None
            return (not operand) if node.op == "not" else -operand
        if isinstance(node, InList):
            operand = self.evaluate(node.operand, row)
            if operand is None:
                return None
            found = operand in [self.evaluate(item, row) for item in node.items]
            return found != node.negated
        if isinstance(node, Binary):
            return self.binary(node, row)
        return self.call(node, row)

    def binary(self, node: Binary, row: int | None) -> Any:
        if node.op in ("and", "or"):
            values = [self.evaluate(node.left, row), self.evaluate(node.right, row)]
            decisive = node.op == "or"  # True decides an or, False decides an and
            if decisive in values:
                return decisive
            return None if None in values else not decisive
        left, right = self.evaluate(node.left, row), self.evaluate(node.right, row)
        if left is None or right is None:
            return None
        if node.op == "+":
            return left + right
        if node.op == "-":
            return left - right
        if node.op == "*":
            return left * right
        if node.op == "/":
            return None if right == 0 else left / right
        left, right = _comparable(left, right)
        return _COMPARE[node.op](left, right)

    def call(self, node: Call, row: int | None) -> Any:
        func, args = node.func, node.args
        if func in ("filled", "empty"):
            ref = args[0]
            if ref.kind == "group":
                present = bool(self.group_rows(ref.address))
            elif ref.kind == "row":
                present = (bool(self.failed) and f"{ref.address}.{row}.{ref.column}" in self.failed) \
                    or self.raw_row_value(ref, row) not in (None, "")
            else:
                present = ref.address in self.failed or get_path(self.record, ref.address) not in (None, "")
            return present if func == "filled" else not present
        if func in ("count", "any", "all"):
            group = args[0].address
            rows = self.rows(group)
            if not rows:
                return None  # an empty group is reported once, by its own required/minItems check
            results = {i: (self.evaluate(args[1], i) if len(args) == 2 else True) for i in rows}
            if func == "count":
                return sum(1 for v in results.values() if v is True)
            if func == "any":
                return True if True in results.values() else (None if None in results.values() else False)
            false_rows = [i for i, v in results.items() if v is False]
            self.culprits = [f"{group}.{i}" for i in false_rows]
            return False if false_rows else (None if None in results.values() else True)
        if func == "sum":
            ref = args[0]
            values = [self.row_value(ref, i) for i in self.rows(ref.address)]
            if any(f"{ref.address}.{i}.{ref.column}" in self.failed for i in self.rows(ref.address)):
                return None
            return sum(v for v in values if v is not None)
        if func == "unique":
            return self.unique(args)
        if func == "selected":
            ref, code = args[0], args[1].value
            value = self.value(ref.address) if ref.kind != "row" else self.row_value(ref, row)
            if value is None:
                return None
            chosen = value if isinstance(value, list) else [value]
            return any(v == code and type(v) is type(code) for v in chosen)
        start, end = (_as_date(self.evaluate(a, row)) for a in args)  # days(from, to)
        if start is None or end is None:
            return None
        return (end - start).days

    def unique(self, columns: Iterable[Ref]) -> bool:
        columns = list(columns)
        group = columns[0].address
        seen: set[tuple] = set()
        self.culprits = []
        for i in self.rows(group):
            key = tuple(self.row_value(c, i) for c in columns)
            if None in key:
                continue
            if key in seen:
                self.culprits.append(f"{group}.{i}.{columns[0].column}")
            seen.add(key)
        return not self.culprits


def _labels(spec: FormSpec, addresses: list[str]) -> dict[str, str]:
    """The labels of the fields involved, joined, in each language (a group's column as 'group column')."""
    out = {}
    for lang, sep in (("zh_CN", "、"), ("en", ", ")):
        names = []
        for address in addresses:
            target = spec.lookup(address)
            group = next((g for g in spec.groups() if address.startswith(g.address + ".")), None)
            if group is not None and not address[len(group.address) + 1:].split(".")[0].isdigit():
                names.append(f"{group.label(lang)} {target.label(lang)}")
            else:
                names.append(spec.label_of(address, lang))
        out[lang] = sep.join(names)
    return out


def _at_row(culprit: str, rule: Rule) -> tuple[str, list[str]]:
    """A failing row's address (narrowed to the rule's first column of that group when it names one),
    and the fields involved: that one, then the rule's fields outside the group."""
    group = culprit.split(".")[0]
    if culprit.rpartition(".")[2].isdigit():
        column = next((f.rpartition(".")[2] for f in rule.fields if f.startswith(group + ".")), "")
        culprit = f"{culprit}.{column}" if column else culprit
    others = [f for f in rule.fields if f != group and not f.startswith(group + ".")]
    return culprit, [culprit] + others


def check_rules(spec: FormSpec, record: dict, failed: set[str] = frozenset()) -> list[Issue]:
    """RULE_FAILED issues for the rules of the definition that the record breaks."""
    issues = []
    declared = spec.definition.get("x-formgen-rules", [])
    evaluator = _Evaluator(spec, record, set(failed))
    for rule in rules_of(spec):
        code = Code.RULE_WARNING if declared[rule.index].get("severity") == "warning" else Code.RULE_FAILED
        if rule.when is not None and evaluator.evaluate(rule.when) is not True:
            continue
        evaluator.culprits = []
        if evaluator.evaluate(rule.check) is not False:
            continue
        at_rows = isinstance(rule.check, Call) and rule.check.func in ("all", "unique") and evaluator.culprits
        places = [_at_row(c, rule) for c in evaluator.culprits] if at_rows else [(rule.fields[0], rule.fields)]
        for path, involved in places:
            issues.append(Issue(code, path, params={
                "rule": rule.id, "rule_message": rule.message, "fields": _labels(spec, involved),
                "label": spec.labels_of(path)}, schema_location=f"$.x-formgen-rules[{rule.index}]"))
    return issues
