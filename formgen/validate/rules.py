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
import functools
from typing import Any, Callable, Iterable

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


_TYPES = {"integer": (int, float), "number": (int, float), "boolean": (bool,), "string": (str,), "text": (str,)}
_COMPARE = {"=": lambda a, b: a == b, "!=": lambda a, b: a != b, "<": lambda a, b: a < b,
            "<=": lambda a, b: a <= b, ">": lambda a, b: a > b, ">=": lambda a, b: a >= b}


class _Evaluator:
    """Evaluates nodes on one record.  What it looks up (a group's rows, a column's kind, a field's value) it
    remembers: the record does not change while it is evaluated, and a rule over a group asks the same for
    every row."""

    def __init__(self, spec: FormSpec, record: dict, failed: set[str]):
        self.spec = spec
        self.record = record
        self.failed = failed
        self.culprits: list[str] = []
        #: the current row of the group an ``any``/``all``/``count`` walks (None when it is not an object)
        self.cells: dict | None = None
        self._rows: dict[str, list] = {}
        self._kinds: dict[tuple[str, str], str] = {}
        self._values: dict[str, Any] = {}

    def value(self, address: str) -> Any:
        """The typed value at an address; None when empty, unreadable, or not of the field's type."""
        try:
            return self._values[address]
        except KeyError:
            pass
        if address in self.failed:
            value = None
        else:
            value = self._typed(get_path(self.record, address), getattr(self.spec.lookup(address), "kind", ""))
        self._values[address] = value
        return value

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
        return _typer(kind)(value)

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
        """The node's value on the record (in row ``row`` of the group an ``any``/``all``/``count`` walks)."""
        return _compiled(node)(self, row)

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


Compiled = Callable[[_Evaluator, "int | None"], Any]
_COMPILED: dict[int, tuple[Node, Compiled]] = {}


def _compiled(node: Node) -> Compiled:
    """The node made into a function of an evaluator and a row, once per node (the entry holds the node, so its
    id is not reused while it is remembered): a rule over a group is applied to every row, and walking its
    tree again for each row was most of a large table's rule time."""
    entry = _COMPILED.get(id(node))
    if entry is None or entry[0] is not node:
        if len(_COMPILED) >= 4096:
            _COMPILED.clear()
        entry = _COMPILED[id(node)] = (node, _compile(node))
    return entry[1]


def _compile(node: Node, group: str | None = None) -> Compiled:
    """``node`` as a function of an evaluator and a row; ``group`` is the group whose rows an enclosing
    ``any``/``all``/``count`` walks, whose current row the evaluator holds as :attr:`_Evaluator.cells`."""
    if isinstance(node, Literal):
        value = node.value
        return lambda ev, row: value
    if isinstance(node, Ref):
        if node.kind == "row":
            return _row_value(node, group)
        address = node.address
        return lambda ev, row: ev.value(address)
    if isinstance(node, Unary):
        return _unary(node.op, _compile(node.operand, group))
    if isinstance(node, InList):
        operand, negated = _compile(node.operand, group), node.negated
        items = [_compile(item, group) for item in node.items]

        def in_list(ev: _Evaluator, row: int | None) -> Any:
            found = operand(ev, row)
            if found is None:
                return None
            return (found in [item(ev, row) for item in items]) != negated
        return in_list
    if isinstance(node, Binary):
        return _binary(node.op, _compile(node.left, group), _compile(node.right, group))
    return _call(node, group)


@functools.lru_cache(maxsize=None)
def _typer(kind: str) -> Callable[[Any], Any]:
    """A field's value as the rules compare it, for one kind of field: None when empty, or not of the kind's
    type; a date or date-time as a moment."""
    if kind in ("date", "datetime"):
        kind_date = kind == "date"

        def moment(value: Any) -> Any:
            if value is None or value == "":
                return None
            try:
                return _moment(value, kind_date)
            except (TypeError, ValueError):
                return None
        return moment
    expected = _TYPES.get(kind)
    if not expected:
        return lambda value: None if value is None or value == "" else value
    strict = bool not in expected

    def typed(value: Any) -> Any:
        if value is None or value == "":
            return None
        if not isinstance(value, expected) or (strict and isinstance(value, bool)):
            return None
        return value
    return typed


def _row_value(ref: Ref, group: str | None) -> Compiled:
    """:meth:`_Evaluator.row_value` of ``ref``; inside a walk over its group, read from the current row, with
    the column's kind looked up once for each definition."""
    if ref.address != group:
        return lambda ev, row: ev.row_value(ref, row)
    address, column = ref.address, ref.column
    known: list = [None, None]  # the definition, and the typer of the column's kind in it

    def row_value(ev: _Evaluator, row: int | None) -> Any:
        if ev.failed and f"{address}.{row}.{column}" in ev.failed:
            return None
        cells = ev.cells
        value = cells.get(column) if cells is not None else None
        if known[0] is not ev.spec:
            known[:] = ev.spec, _typer(getattr(ev.spec.lookup(f"{address}.0.{column}"), "kind", ""))
        return known[1](value)
    return row_value


def _unary(op: str, operand: Compiled) -> Compiled:
    def unary(ev: _Evaluator, row: int | None) -> Any:
        value = operand(ev, row)
        if value is None:
            return None
        return (not value) if op == "not" else -value
    return unary


_ARITHMETIC = {"+": lambda a, b: a + b, "-": lambda a, b: a - b, "*": lambda a, b: a * b,
               "/": lambda a, b: None if b == 0 else a / b}


def _binary(op: str, left: Compiled, right: Compiled) -> Compiled:
    if op in ("and", "or"):
        decisive = op == "or"  # True decides an or, False decides an and

        def logic(ev: _Evaluator, row: int | None) -> Any:
            values = (left(ev, row), right(ev, row))
            if decisive in values:
                return decisive
            return None if None in values else not decisive
        return logic
    arithmetic = _ARITHMETIC.get(op)
    if arithmetic is not None:
        def binary(ev: _Evaluator, row: int | None) -> Any:
            a, b = left(ev, row), right(ev, row)
            if a is None or b is None:
                return None
            return arithmetic(a, b)
        return binary
    compare = _COMPARE.get(op)

    def comparison(ev: _Evaluator, row: int | None) -> Any:
        a, b = left(ev, row), right(ev, row)
        if a is None or b is None:
            return None
        if type(a) is not type(b) and isinstance(a, dt.datetime) != isinstance(b, dt.datetime):
            a, b = _as_date(a), _as_date(b)  # a date and a date-time compare by their day in China
        return compare(a, b)
    return comparison


def _call(node: Call, group: str | None) -> Compiled:
    func, args = node.func, node.args
    if func in ("filled", "empty"):
        ref, wanted = args[0], func == "filled"
        if ref.kind == "row" and ref.address == group:
            address, column = ref.address, ref.column

            def filled_cell(ev: _Evaluator, row: int | None) -> bool:
                cells = ev.cells
                present = (bool(ev.failed) and f"{address}.{row}.{column}" in ev.failed) \
                    or (cells.get(column) if cells is not None else None) not in (None, "")
                return present if wanted else not present
            return filled_cell

        def filled(ev: _Evaluator, row: int | None) -> bool:
            if ref.kind == "group":
                present = bool(ev.group_rows(ref.address))
            elif ref.kind == "row":
                present = (bool(ev.failed) and f"{ref.address}.{row}.{ref.column}" in ev.failed) \
                    or ev.raw_row_value(ref, row) not in (None, "")
            else:
                present = ref.address in ev.failed or get_path(ev.record, ref.address) not in (None, "")
            return present if wanted else not present
        return filled
    if func in ("count", "any", "all"):
        walked = args[0].address
        check = _compile(args[1], walked) if len(args) == 2 else None

        def over_rows(ev: _Evaluator, row: int | None) -> Any:
            rows = ev.group_rows(walked)
            if not rows:
                return None  # an empty group is reported once, by its own required/minItems check
            if check is None:
                results = [True] * len(rows)
            else:
                outer, results = ev.cells, []
                for i, cells in enumerate(rows):
                    ev.cells = cells if isinstance(cells, dict) else None
                    results.append(check(ev, i))
                ev.cells = outer
            if func == "count":
                return sum(1 for v in results if v is True)
            if func == "any":
                return True if True in results else (None if None in results else False)
            false_rows = [i for i, v in enumerate(results) if v is False]
            ev.culprits = [f"{walked}.{i}" for i in false_rows]
            return False if false_rows else (None if None in results else True)
        return over_rows
    if func == "sum":
        ref = args[0]

        def total(ev: _Evaluator, row: int | None) -> Any:
            values = [ev.row_value(ref, i) for i in ev.rows(ref.address)]
            if any(f"{ref.address}.{i}.{ref.column}" in ev.failed for i in ev.rows(ref.address)):
                return None
            return sum(v for v in values if v is not None)
        return total
    if func == "unique":
        return lambda ev, row: ev.unique(args)
    if func == "selected":
        ref, code = args[0], args[1].value
        chosen_value = _row_value(ref, group) if ref.kind == "row" else None

        def selected(ev: _Evaluator, row: int | None) -> Any:
            value = ev.value(ref.address) if chosen_value is None else chosen_value(ev, row)
            if value is None:
                return None
            chosen = value if isinstance(value, list) else [value]
            return any(v == code and type(v) is type(code) for v in chosen)
        return selected
    start_at, end_at = (_compile(a, group) for a in args)  # days(from, to)

    def days(ev: _Evaluator, row: int | None) -> Any:
        start, end = _as_date(start_at(ev, row)), _as_date(end_at(ev, row))
        if start is None or end is None:
            return None
        return (end - start).days
    return days


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
