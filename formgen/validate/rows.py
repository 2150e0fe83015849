"""The rows of a repeating group checked by a checker made once per definition, instead of jsonschema's
recursive descent into every row (which builds a new validator for every value: most of a large table's
validation time).

A group's ``items`` schema is compiled when every keyword in it is one this module knows (``type``, ``enum``,
``minLength``, ``maxLength``, ``pattern``, ``format``, ``minimum``, ``maximum``, ``exclusiveMinimum``,
``exclusiveMaximum``, ``required``, ``properties``, and annotations such as ``title`` and ``x-formgen``), and
the group is reached from the root through ``properties`` alone.  The checker yields the errors jsonschema
would, in the order it would, with the same instance path, keyword, keyword value, instance, schema path and
cause; each test is the one jsonschema's keyword function makes (its own type checker, and the format
checker's functions).  jsonschema still validates everything else: the definition with the compiled groups'
``items`` taken out (the *shell*), which keeps the groups' own keywords (``type``, ``minItems``, ``maxItems``
…), whose ``minItems`` and ``maxItems`` errors carry no message (jsonschema's prints every row, and no issue
reads it).  A definition with a ``$ref`` anywhere, and any group with another keyword, is left to jsonschema
whole.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass
from typing import Any, Callable, Iterator

from jsonschema import Draft202012Validator, validators
from jsonschema.exceptions import UndefinedTypeCheck, ValidationError

from formgen.spec.model import FormSpec
from formgen.validate.formats import FORMAT_CHECKER

#: keywords jsonschema does not validate with: they change nothing
_ANNOTATIONS = frozenset({"title", "description", "default", "examples", "$comment", "readOnly", "writeOnly",
                          "deprecated"})
#: keywords of the objects on the way from the root to a group that cannot apply anything to the group
_PLAIN_OBJECT = _ANNOTATIONS | {"type", "required", "properties", "$schema", "$id"}
#: keywords of a group's own schema that, with ``items``, decide how its rows are checked
_ITEMS_PARTNERS = frozenset({"prefixItems", "contains", "minContains", "maxContains", "unevaluatedItems"})
_TYPES = Draft202012Validator.TYPE_CHECKER
_FAIL = (None,)  # a failed test without a cause

#: a test: None when the value passes, else a 1-tuple of the error's cause
Test = Callable[[Any], "tuple | None"]


class RowError:
    """What :func:`formgen.validate.validate` reads of a jsonschema ``ValidationError``."""

    __slots__ = ("absolute_path", "validator", "validator_value", "instance", "absolute_schema_path", "cause")

    def __init__(self, path: tuple, keyword: str, value: Any, instance: Any, schema_path: tuple, cause: Any = None):
        self.absolute_path, self.validator, self.validator_value = path, keyword, value
        self.instance, self.absolute_schema_path, self.cause = instance, schema_path, cause


Step = Callable[[Any, tuple, list], None]


def _type_test(types: Any) -> Test | None:
    names = [types] if isinstance(types, str) else types
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        return None
    try:
        for name in names:
            _TYPES.is_type(None, name)
    except UndefinedTypeCheck:  # jsonschema raises it for every value: left to jsonschema
        return None
    if names == ["string"]:
        return lambda v: None if isinstance(v, str) else _FAIL
    if names == ["object"]:  # jsonschema's own test of an object
        return lambda v: None if isinstance(v, dict) else _FAIL
    if len(names) == 1:
        name = names[0]
        return lambda v: None if _TYPES.is_type(v, name) else _FAIL
    return lambda v: None if any(_TYPES.is_type(v, n) for n in names) else _FAIL


def _enum_test(enums: Any) -> Test | None:
    if not isinstance(enums, list):
        return None
    texts = {e for e in enums if isinstance(e, str)}  # jsonschema's equal: a text equals only the same text
    others = Draft202012Validator({"enum": enums})
    return lambda v: (None if v in texts else _FAIL) if isinstance(v, str) else (
        None if others.is_valid(v) else _FAIL)


def _number(v: Any) -> bool:
    return type(v) is int or type(v) is float or _TYPES.is_type(v, "number")


def _bound_test(compare: Callable[[Any, Any], bool]) -> Callable[[Any], Test | None]:
    def make(limit: Any) -> Test | None:
        if isinstance(limit, bool) or not isinstance(limit, (int, float)):
            return None
        return lambda v: _FAIL if _number(v) and compare(v, limit) else None
    return make


def _length_test(longest: bool) -> Callable[[Any], Test | None]:
    def make(limit: Any) -> Test | None:
        if isinstance(limit, bool) or not isinstance(limit, int):
            return None
        if longest:
            return lambda v: _FAIL if isinstance(v, str) and len(v) > limit else None
        return lambda v: _FAIL if isinstance(v, str) and len(v) < limit else None
    return make


def _pattern_test(pattern: Any) -> Test | None:
    try:
        search = re.compile(pattern).search
    except (re.error, TypeError):
        return None
    return lambda v: _FAIL if isinstance(v, str) and not search(v) else None


#: how many texts a format's test remembers the outcome of, and how long a text it remembers
_KNOWN, _KNOWN_TEXT = 1024, 64


def _format_test(name: Any) -> Test | None:
    """FormatChecker.check, without the message no one reads; what a text comes to is remembered, since the
    dates and codes of a column repeat from row to row."""
    if not isinstance(name, str):
        return None
    if name not in FORMAT_CHECKER.checkers:
        return lambda v: None
    check, raises = FORMAT_CHECKER.checkers[name]
    known: dict[str, tuple | None] = {}

    def test(v: Any) -> tuple | None:
        text = type(v) is str and len(v) <= _KNOWN_TEXT
        if text and v in known:
            return known[v]
        try:
            failed = None if check(v) else _FAIL
        except raises as error:
            failed = (error,)
        if text:
            if len(known) >= _KNOWN:
                known.clear()
            known[v] = failed
        return failed
    return test


_TESTS: dict[str, Callable[[Any], Test | None]] = {
    "type": _type_test, "enum": _enum_test, "format": _format_test, "pattern": _pattern_test,
    "minLength": _length_test(False), "maxLength": _length_test(True),
    "minimum": _bound_test(lambda v, limit: v < limit), "maximum": _bound_test(lambda v, limit: v > limit),
    "exclusiveMinimum": _bound_test(lambda v, limit: v <= limit),
    "exclusiveMaximum": _bound_test(lambda v, limit: v >= limit),
}


class _Keyword:
    """The step of one keyword: its test, and what an error of it says."""

    __slots__ = ("test", "keyword", "value", "schema_path")

    def __init__(self, keyword: str, value: Any, test: Test, schema_path: tuple):
        self.test, self.keyword, self.value, self.schema_path = test, keyword, value, schema_path

    def __call__(self, instance: Any, path: tuple, out: list) -> None:
        failed = self.test(instance)
        if failed is not None:
            out.append(RowError(path, self.keyword, self.value, instance, self.schema_path, failed[0]))


def _required(names: list, schema_path: tuple) -> Step:
    def step(instance: Any, path: tuple, out: list) -> None:
        if isinstance(instance, dict):
            out.extend(RowError(path, "required", names, instance, schema_path)
                       for name in names if name not in instance)
    return step


def _properties(subs: list[tuple[str, list[Step]]]) -> Step:
    """The step of ``properties``; a property checked by keywords alone is tested in place, its path made only
    for an error."""
    plain = [(name, [(k.test, k.keyword, k.value, k.schema_path) for k in steps]
              if all(isinstance(k, _Keyword) for k in steps) else None, steps) for name, steps in subs]

    def step(instance: Any, path: tuple, out: list) -> None:
        if isinstance(instance, dict):
            for name, tests, steps in plain:
                if name in instance:
                    value = instance[name]
                    if tests is None:
                        at = path + (name,)
                        for sub in steps:
                            sub(value, at, out)
                        continue
                    for test, keyword, limit, schema_path in tests:
                        failed = test(value)
                        if failed is not None:
                            out.append(RowError(path + (name,), keyword, limit, value, schema_path, failed[0]))
    return step


def compile_schema(schema: Any, schema_path: tuple) -> list[Step] | None:
    """The steps that check an instance against ``schema`` (at ``schema_path`` in the definition), in the
    order of its keywords as jsonschema applies them; None when it has a keyword this module does not know."""
    if not isinstance(schema, dict):
        return None
    steps: list[Step] = []
    for keyword, value in schema.items():
        if keyword in _ANNOTATIONS or keyword.startswith("x-"):
            continue
        at = schema_path + (keyword,)
        if keyword == "properties":
            if not isinstance(value, dict):
                return None
            subs = []
            for name, sub in value.items():
                sub_steps = compile_schema(sub, at + (name,))
                if sub_steps is None:
                    return None
                subs.append((name, sub_steps))
            steps.append(_properties(subs))
        elif keyword == "required":
            if not isinstance(value, list):
                return None
            steps.append(_required(value, at))
        elif keyword in _TESTS:
            test = _TESTS[keyword](value)
            if test is None:
                return None
            steps.append(_Keyword(keyword, value, test, at))
        else:
            return None
    return steps


@dataclass
class _Group:
    path: tuple[str, ...]
    steps: list[Step]


@dataclass
class Plan:
    """How a definition's records are checked: jsonschema on the shell, then the compiled groups' rows."""

    shell: Any
    groups: list[_Group]

    def errors(self, record: Any) -> list:
        """Every schema error of the record, jsonschema's and the rows', in jsonschema's order for each path."""
        out = list(self.shell.iter_errors(record))
        for group in self.groups:
            node = record
            for name in group.path:
                node = node.get(name) if isinstance(node, dict) else None
            if isinstance(node, list):
                for index, row in enumerate(node):
                    at = group.path + (index,)
                    for step in group.steps:
                        step(row, at, out)
        return out


def _min_items(validator: Any, limit: Any, instance: Any, schema: dict) -> Iterator[ValidationError]:
    """jsonschema's ``minItems`` without its message, which repeats every row (an issue's message is made
    from the keyword and the path)."""
    if validator.is_type(instance, "array") and len(instance) < limit:
        yield ValidationError("has too few items")


def _max_items(validator: Any, limit: Any, instance: Any, schema: dict) -> Iterator[ValidationError]:
    """jsonschema's ``maxItems`` without its message (a return of 1,000 rows printed them all)."""
    if validator.is_type(instance, "array") and len(instance) > limit:
        yield ValidationError("has too many items")


#: what validates the shell: jsonschema's validator, with ``minItems`` and ``maxItems`` that print no rows
_Shell = validators.extend(Draft202012Validator, {"minItems": _min_items, "maxItems": _max_items})


def _has_ref(node: Any) -> bool:
    if isinstance(node, dict):
        return any(k in ("$ref", "$dynamicRef") or _has_ref(v) for k, v in node.items())
    return isinstance(node, list) and any(_has_ref(v) for v in node)


def _compiled_groups(definition: dict) -> Iterator[tuple[tuple[str, ...], dict, list[Step]]]:
    """(path, group schema, steps) of every group whose rows can be compiled, reached through plain objects."""
    def walk(schema: dict, path: tuple[str, ...], schema_path: tuple) -> Iterator:
        if not all(k in _PLAIN_OBJECT or k.startswith("x-") for k in schema):
            return
        properties = schema.get("properties")
        for name, sub in (properties.items() if isinstance(properties, dict) else ()):
            if not isinstance(sub, dict):
                continue
            at = schema_path + ("properties", name)
            if sub.get("type") == "object":
                yield from walk(sub, path + (name,), at)
            elif sub.get("type") == "array" and isinstance(sub.get("items"), dict) \
                    and sub["items"].get("type") == "object" and not _ITEMS_PARTNERS & set(sub):
                steps = compile_schema(sub["items"], at + ("items",))
                if steps is not None:
                    yield path + (name,), sub, steps
    return walk(definition, (), ())


_PLANS: dict[str, Plan] = {}


def plan_of(spec: FormSpec) -> Plan:
    """The definition's plan, made once per definition (by its hash) in a process."""
    if spec.hash not in _PLANS:
        definition = spec.definition
        found = [] if _has_ref(definition) else list(_compiled_groups(definition))
        shell = copy.deepcopy(definition) if found else definition
        for path, _schema, _steps in found:
            node = shell
            for name in path:
                node = node["properties"][name]
            del node["items"]
        _PLANS[spec.hash] = Plan(_Shell(shell, format_checker=FORMAT_CHECKER),
                                 [_Group(path, steps) for path, _schema, steps in found])
    return _PLANS[spec.hash]
