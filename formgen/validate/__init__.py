"""Validate a typed record against its definition; yield Issues, never raise for bad data.

jsonschema's own messages repeat the value, which may be a student's name:
messages are built here from the keyword and the path instead.
"""

from __future__ import annotations

from typing import Iterable, Iterator

from jsonschema.exceptions import ValidationError

from formgen.i18n import N_
from formgen.issues import Code, Issue
from formgen.paths import json_path
from formgen.spec.model import FormSpec
from formgen.validate.formats import FORMAT_NAMES, reason_of
from formgen.validate.deadlines import record_deadline_issues
from formgen.validate.relevance import check_relevance, conditional
from formgen.validate.rows import RowError, plan_of
from formgen.validate.rules import check_rules

_TYPE_NAMES = {"string": N_("text"), "integer": N_("a whole number"), "number": N_("a number"),
               "boolean": N_("yes or no"), "array": N_("table rows"), "object": N_("a group of fields")}


def address_of(path: Iterable) -> str:
    return ".".join(str(p) for p in path)


def validate(spec: FormSpec, record: dict, skip: set[str] = frozenset()) -> list[Issue]:
    """All issues of a record: the schema's, the rules', then a deadline relative to a field.  Addresses in
    ``skip`` already have a coercion issue: the schema does not report them again and the rules treat them as
    unknown."""
    issues: dict[tuple[str, str], Issue] = {}
    when = conditional(spec)
    for err in sorted(plan_of(spec).errors(record), key=lambda e: list(map(str, e.absolute_path))):
        for issue in _issues_of(spec, err):
            if issue.path not in skip and not (issue.code is Code.REQUIRED and issue.path in when):
                issues.setdefault((issue.code.id, issue.path), issue)
    return (list(issues.values()) + check_relevance(spec, record, set(skip)) + check_rules(spec, record, set(skip))
            + record_deadline_issues(spec, record, set(skip)))


def _multi_field(spec: FormSpec, parts: list) -> tuple[str, bool]:
    """The address of an error's instance, and whether it is a multi-select field or one of its choices (an
    error at ``channels.1`` belongs to the field ``channels``)."""
    for n in (len(parts), len(parts) - 1):
        target = spec.lookup(address_of(parts[:n])) if n > 0 else None
        if getattr(target, "kind", "") == "multi" and (n == len(parts) or isinstance(parts[n], int)):
            return address_of(parts[:n]), True
    return address_of(parts), False


def _issues_of(spec: FormSpec, err: ValidationError | RowError) -> Iterator[Issue]:
    path, multi = _multi_field(spec, list(err.absolute_path))
    kw = err.validator

    def issue(code: Code, at: str = path, **params) -> Issue:
        return Issue(code, at, params={"label": spec.labels_of(at), **params},
                     schema_location=json_path(err.absolute_schema_path))

    if kw == "required":
        for name in err.validator_value:
            if isinstance(err.instance, dict) and name not in err.instance:
                yield issue(Code.REQUIRED, f"{path}.{name}" if path else name)
    elif multi and kw in ("minItems", "maxItems"):
        yield issue(Code.TOO_FEW_CHOICES if kw == "minItems" else Code.TOO_MANY_CHOICES, limit=err.validator_value)
    elif multi and kw in ("enum", "uniqueItems"):
        yield issue(Code.NOT_CHOICES, count=1, choices="、".join(spec.lookup(path).choice_labels))
    elif kw == "enum":
        target = spec.lookup(path)
        labels = getattr(target, "choice_labels", [str(v) for v in err.validator_value])
        yield issue(Code.NOT_A_CHOICE, choices="、".join(labels))
    elif kw == "type":
        expected = err.validator_value if isinstance(err.validator_value, str) else err.validator_value[0]
        yield issue(Code.WRONG_TYPE, expected=_TYPE_NAMES.get(expected, expected))
    elif kw in ("minLength", "maxLength"):
        yield issue(Code.TOO_SHORT if kw == "minLength" else Code.TOO_LONG, limit=err.validator_value)
    elif kw in ("minimum", "exclusiveMinimum"):
        yield issue(Code.TOO_SMALL, limit=err.validator_value)
    elif kw in ("maximum", "exclusiveMaximum"):
        yield issue(Code.TOO_LARGE, limit=err.validator_value)
    elif kw in ("minItems", "maxItems"):
        yield issue(Code.TOO_FEW_ROWS if kw == "minItems" else Code.TOO_MANY_ROWS, limit=err.validator_value)
    elif kw == "format":
        yield issue(Code.BAD_FORMAT, format_name=FORMAT_NAMES.get(err.validator_value, err.validator_value),
                    reason=reason_of(err.cause))
    elif kw == "pattern":
        ann = getattr(spec.lookup(path), "ann", {})
        yield issue(Code.PATTERN, hint={"zh_CN": ann.get("help", ""), "en": ann.get("help_en") or ann.get("help", "")})
    elif kw in ("additionalProperties", "unevaluatedProperties", "false"):
        yield issue(Code.NOT_ALLOWED)
    else:
        yield issue(Code.SCHEMA_OTHER, keyword=kw)
