"""Relevance: a field filled in only under a condition (``x-formgen.relevant``, XLSForm's ``relevant``).

The condition is an expression of the rule language (``formgen.spec.rules``), for example
``report_kind = "续报"``; it is parsed and checked here like a rule's ``if`` and evaluated on a record by
``formgen.validate.relevance``.  The forms print it beside the field's label: the short text
``x-formgen.relevant_label`` (``续报填写`` prints as ``（续报填写）``) when the definition gives one, else the
condition in words (``（报告类型为续报时填写）``).  Relevance is for single fields, not for the columns of a
repeating group (lint says so).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from formgen.spec.model import Field, FormSpec
from formgen.spec.rules import (BOOL, Binary, Call, InList, Literal, Node, Ref, RuleProblem, RuleSyntaxError, Unary,
                                _Checker, _involved, _Problem, parse)


@dataclass(frozen=True)
class Condition:
    """A field's checked condition, and the addresses of the fields it reads."""

    node: Node
    fields: tuple[str, ...]


def compile_relevance(spec: FormSpec, field: Field) -> tuple[Condition | None, list[RuleProblem]]:
    """The checked condition of a field, or the problems that make it unusable (key ``relevant``)."""
    checker = _Checker(spec)
    try:
        node, kind, _f = checker.check(parse(field.relevant or ""))
        checker.want(kind, BOOL, "relevant")
    except RuleSyntaxError as err:
        return None, [RuleProblem("syntax", "relevant", err.reason, {"position": err.position})]
    except _Problem as err:
        return None, [RuleProblem(err.category, "relevant", err.reason, err.params)]
    return Condition(node, tuple(_involved(checker.refs))), []


_CONDITIONS: dict[str, dict[str, Condition]] = {}


def conditions(spec: FormSpec) -> dict[str, Condition]:
    """The usable conditions of a definition's single fields, by address (lint reports the others)."""
    if spec.hash not in _CONDITIONS:
        found = {}
        for field in spec.fields():
            if field.relevant is not None:
                condition, _problems = compile_relevance(spec, field)
                if condition is not None:
                    found[field.address] = condition
        _CONDITIONS[spec.hash] = found
    return _CONDITIONS[spec.hash]


# -- the condition in words ---------------------------------------------------------------

_WORDS = {
    "zh_CN": {"=": "{a}为{b}", "!=": "{a}不为{b}", "<": "{a}小于{b}", "<=": "{a}不大于{b}", ">": "{a}大于{b}",
              ">=": "{a}不小于{b}", "and": "{a}且{b}", "or": "{a}或{b}", "not": "不满足“{a}”",
              "filled": "已填{a}", "empty": "未填{a}", "selected": "{a}选了{b}", "list": "、", "either": "或", "yes": "是", "no": "否",
              "note": "（{text}）", "when": "（{text}时填写）", "any": "（按条件填写）"},
    "en": {"=": "{a} is {b}", "!=": "{a} is not {b}", "<": "{a} is less than {b}", "<=": "{a} is at most {b}",
           ">": "{a} is more than {b}", ">=": "{a} is at least {b}", "and": "{a} and {b}", "or": "{a} or {b}",
           "not": "not ({a})", "filled": "{a} is filled in", "empty": "{a} is empty",
           "selected": "{a} includes {b}", "list": ", ",
           "either": " or ", "yes": "yes", "no": "no", "note": " ({text})", "when": " (only if {text})",
           "any": " (only under a condition)"},
}


class _Unsayable(Exception):
    """A condition with parts (sums, counts, arithmetic) that are not put into words."""


def note(spec: FormSpec, field: Field, lang: str = "zh_CN") -> str:
    words = _WORDS["en" if lang == "en" else "zh_CN"]
    short = field.ann.get("relevant_label_en") if lang == "en" else None
    short = short or field.ann.get("relevant_label")
    if isinstance(short, str) and short.strip():
        return words["note"].format(text=short.strip().strip("（）()"))
    condition = conditions(spec).get(field.address)
    try:
        return words["when"].format(text=_say(spec, condition.node, words, lang)) if condition else words["any"]
    except _Unsayable:
        return words["any"]


def _say(spec: FormSpec, node: Node, words: dict, lang: str) -> str:
    if isinstance(node, Binary) and node.op in ("and", "or"):
        return words[node.op].format(a=_say(spec, node.left, words, lang), b=_say(spec, node.right, words, lang))
    if isinstance(node, Unary) and node.op == "not":
        return words["not"].format(a=_say(spec, node.operand, words, lang))
    if isinstance(node, Binary) and node.op in ("=", "!=", "<", "<=", ">", ">="):
        ref, other = (node.left, node.right) if isinstance(node.left, Ref) else (node.right, node.left)
        target = _field(spec, ref)
        if target is None or not isinstance(other, Literal):
            raise _Unsayable
        return words[node.op].format(a=target.label(lang), b=_value(target, other.value, words, lang))
    if isinstance(node, InList):
        target = _field(spec, node.operand)
        if target is None or not all(isinstance(item, Literal) for item in node.items):
            raise _Unsayable
        values = words["either"].join(_value(target, item.value, words, lang) for item in node.items)
        return words["!=" if node.negated else "="].format(a=target.label(lang), b=values)
    if isinstance(node, Call) and node.func == "selected":
        target = _field(spec, node.args[0])
        if target is None:
            raise _Unsayable
        return words["selected"].format(a=target.label(lang), b=_value(target, node.args[1].value, words, lang))
    if isinstance(node, Call) and node.func in ("filled", "empty"):
        target = spec.lookup(node.args[0].address) if isinstance(node.args[0], Ref) else None
        if target is None:
            raise _Unsayable
        return words[node.func].format(a=target.label(lang))
    raise _Unsayable


def _field(spec: FormSpec, node: Node) -> Field | None:
    if isinstance(node, Ref) and node.kind == "field":
        target = spec.lookup(node.address)
        return target if isinstance(target, Field) else None
    return None


def _value(field: Field, value: Any, words: dict, lang: str) -> str:
    if isinstance(value, bool):
        return words["yes" if value else "no"]
    if field.kind in ("choice", "multi"):
        english = field.ann.get("labels_en") or []
        for i, code in enumerate(field.choices):
            if code == value and type(code) is type(value):
                return english[i] if lang == "en" and i < len(english) else field.choice_labels[i]
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)
