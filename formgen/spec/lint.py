"""Check form definitions: JSON syntax, JSON Schema 2020-12, formgen's meta-schema.

Every problem is an :class:`~formgen.issues.Issue` whose ``path`` is a JSON
path into the definition (``$.properties.persons.items.properties.role``).
"""

from __future__ import annotations

import difflib
import json
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Iterator

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError

from formgen.i18n import N_
from formgen.issues import Code, Issue, Text
from formgen.paths import json_path
from formgen.spec.explain import json_error, paren_hint, schema_error
from formgen.spec.letter import GBT_9704, XINHAN, referenced
from formgen.spec.migrate import lint_migrations
from formgen.spec.model import MULTI_SEPARATORS, Field, FormSpec, Group, is_multi
from formgen.spec.relevance import compile_relevance
from formgen.spec.rules import KIND_NAMES, KIND_PARAMS, RuleProblem, compile_rules


@lru_cache(maxsize=1)
def meta_schema() -> dict:
    return json.loads(resources.files("formgen.spec").joinpath("meta.json").read_text("utf-8"))


@lru_cache(maxsize=None)
def _meta_validator(part: str) -> Draft202012Validator:
    meta = meta_schema()
    return Draft202012Validator({"$ref": f"#/$defs/{part}", "$defs": meta["$defs"]},
                                format_checker=Draft202012Validator.FORMAT_CHECKER)


def lint_file(path: str | Path) -> tuple[dict | None, list[Issue]]:
    """Parse and check one definition file.  Returns (definition or None, issues)."""
    path = Path(path)
    name = str(path)
    try:
        text = path.read_text("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        return None, [Issue(Code.DEF_NOT_JSON, params={"file": name, "reason": str(exc), "line": 0, "column": 0})]
    try:
        definition = json.loads(text)
    except json.JSONDecodeError as exc:
        reason, line, column = json_error(text, exc)
        return None, [Issue(Code.DEF_NOT_JSON, path="$", location=f"{line}:{column}",
                            params={"file": name, "reason": reason, "line": line, "column": column})]
    return definition, list(lint_definition(definition, name))


def lint_definition(definition: dict, name: str = "<definition>") -> Iterator[Issue]:
    if not isinstance(definition, dict):
        yield Issue(Code.DEF_SCHEMA, "$", params={"file": name, "reason": N_("the definition must be a JSON object")})
        return
    schema_errors = list(Draft202012Validator(Draft202012Validator.META_SCHEMA).iter_errors(definition))
    for err in schema_errors:
        path = json_path(err.absolute_path)
        yield Issue(Code.DEF_SCHEMA, path, params={"file": name, "reason": schema_error(err)})
    if "x-formgen" not in definition:
        yield Issue(Code.DEF_BAD_VALUE, "$", params={
            "file": name, "reason": N_("the root needs \"x-formgen\": {\"id\": ..., \"version\": ...}")})
    else:
        yield from _check_annotation(definition["x-formgen"], "root", ["x-formgen"], name)
    if definition.get("type") != "object":
        yield Issue(Code.DEF_UNSUPPORTED, "$.type", params={
            "file": name, "reason": N_("a form is an object: set \"type\": \"object\"")})
    rules = definition.get("x-formgen-rules", [])
    if not isinstance(rules, list):
        yield Issue(Code.DEF_BAD_VALUE, "$.x-formgen-rules", params={
            "file": name, "reason": N_("\"x-formgen-rules\" must be a list of rules")})
        rules = []
    for i, rule in enumerate(rules):
        yield from _check_annotation(rule, "rule", ["x-formgen-rules", i], name)
    yield from _check_object(definition, [], name)
    spec = _readable_spec(definition)  # the fields, when they can be read, to check the names used elsewhere
    if spec is None:
        return
    if rules and all(isinstance(r, dict) for r in rules):
        yield from _check_rules(spec, name)
    yield from _check_relevance(spec, name)
    ann = definition.get("x-formgen")
    if isinstance(ann, dict):
        yield from _check_named_fields(spec, ann, name)
    yield from _check_total_rows(spec, name)
    yield from lint_migrations(spec, name)
    yield from _check_spans(spec, name)
    letter = ann.get("letter") if isinstance(ann, dict) else None
    if isinstance(letter, list) and all(isinstance(b, dict) for b in letter):
        yield from _check_letter(definition, letter, name)
        yield from _check_xinhan(ann, letter, name)
    for key in definition:
        if key.startswith("x-") and key not in ("x-formgen", "x-formgen-rules"):
            yield _unknown_key(key, ["x-formgen", "x-formgen-rules"], [], name)


def _readable_spec(definition: dict) -> FormSpec | None:
    """The definition's fields when every property is an object (else names cannot be checked yet)."""

    def readable(schema) -> bool:
        props = schema.get("properties", {})
        if not isinstance(props, dict) or not isinstance(schema.get("required", []), list):
            return False
        for sub in props.values():
            if not isinstance(sub, dict) or not isinstance(sub.get("x-formgen", {}), dict):
                return False
            if sub.get("type") == "object" and not readable(sub):
                return False
            if sub.get("type") == "array" and not (isinstance(sub.get("items", {}), dict)
                                                   and readable(sub.get("items", {}))):
                return False
        return True

    return FormSpec.from_definition(definition) if readable(definition) else None


def _check_rules(spec: FormSpec, name: str) -> Iterator[Issue]:
    """Rule expressions: syntax, field names, kinds of values (formgen.spec.rules)."""
    for index, _rule, problems in compile_rules(spec):
        for problem in problems:
            yield _rule_issue(problem, json_path(["x-formgen-rules", index, problem.key]), name)


def _check_relevance(spec: FormSpec, name: str) -> Iterator[Issue]:
    """The conditions of fields filled in only under a condition, checked like rules; none on a group's column."""
    for field in spec.fields():
        if field.relevant is not None:
            for problem in compile_relevance(spec, field)[1]:
                yield _rule_issue(problem, json_path([*_properties(field.path), "x-formgen", "relevant"]), name)
    for group in spec.groups():
        for col in group.columns:
            if col.relevant is not None:
                yield Issue(Code.DEF_UNSUPPORTED, json_path([*_properties(group.path), "items", "properties",
                                                             col.name, "x-formgen", "relevant"]), params={
                    "file": name, "reason": N_("a column of a repeating group cannot have a condition (relevant); "
                                               "say in the column's hint when it is filled in")})


def _properties(path: tuple[str, ...]) -> list[str]:
    """The JSON path parts of a field's schema: ``("incident", "place")`` -> properties.incident.properties.place."""
    return [part for name in path for part in ("properties", name)]


def _rule_issue(problem: RuleProblem, path: str, name: str) -> Issue:
    """The lint issue of a problem of a rule's expression or a field's condition at ``path``."""
    if problem.category == "syntax":
        return Issue(Code.DEF_RULE_SYNTAX, path, params={
            "file": name, "position": problem.params["position"], "reason": problem.reason})
    if problem.category == "field":
        suggestion = problem.params["suggestion"]
        hint = Text(N_(" Did you mean '{suggestion}'?"), {"suggestion": suggestion}) if suggestion else ""
        return Issue(Code.DEF_RULE_FIELD, path, params={"file": name, "name": problem.params["name"], "hint": hint})
    params = {k: Text(KIND_NAMES[v]) if k in KIND_PARAMS and v in KIND_NAMES else v
              for k, v in problem.params.items()}
    return Issue(Code.DEF_RULE_MISUSE, path, params={"file": name, "reason": Text(problem.reason, params)})


#: What a deadline of each kind needs besides its kind.
DEADLINE_NEEDS = {"date": ("date",), "within-days": ("days", "from", "to"), "within-hours": ("hours", "from", "to")}


def _check_named_fields(spec: FormSpec, ann: dict, name: str) -> Iterator[Issue]:
    """The unit-identifying fields (``x-formgen.unit``) are single fields of the form, and a deadline relative
    to a field names two date or date-time fields of the form."""
    singles = {f.address: f for f in spec.items if isinstance(f, Field)}
    unit = ann.get("unit")
    if isinstance(unit, dict):
        for key, address in unit.items():
            if isinstance(address, str) and address not in singles:
                yield Issue(Code.DEF_BAD_VALUE, json_path(["x-formgen", "unit", key]), params={
                    "file": name, "reason": Text(N_("'{field}' is not a field of the form"), {"field": address})})
    deadline = ann.get("deadline")
    if not isinstance(deadline, dict) or deadline.get("kind") not in DEADLINE_NEEDS:
        return
    for key in DEADLINE_NEEDS[deadline["kind"]]:
        if key not in deadline:
            yield Issue(Code.DEF_BAD_VALUE, json_path(["x-formgen", "deadline"]), params={
                "file": name, "reason": Text(N_("a \"{kind}\" deadline needs \"{key}\""),
                                             {"kind": deadline["kind"], "key": key})})
        elif key in ("from", "to"):
            target = singles.get(deadline[key])
            if target is None or target.kind not in ("date", "datetime"):
                yield Issue(Code.DEF_BAD_VALUE, json_path(["x-formgen", "deadline", key]), params={
                    "file": name, "reason": Text(N_("'{field}' is not a date or date-time field of the form"),
                                                 {"field": deadline[key]})})


def _check_total_rows(spec: FormSpec, name: str) -> Iterator[Issue]:
    """A group's total row names an object of the form whose every field totals a number column of the
    group, and leaves a column for its label."""
    for group in spec.groups():
        ann = group.ann.get("total_row")
        if not isinstance(ann, dict) or not isinstance(ann.get("object"), str):
            continue
        path = json_path(["properties", *group.path, "x-formgen", "total_row", "object"])
        obj = ann["object"]
        fields = [f for f in spec.fields() if f.address.startswith(obj + ".")]
        if not fields:
            yield Issue(Code.DEF_BAD_VALUE, path, params={"file": name, "reason": Text(
                N_("'{field}' is not an object of the form"), {"field": obj})})
            continue
        totals = spec.total_row(group)
        for field in fields:
            column = group.column(field.address[len(obj) + 1:])
            if column is None or totals.get(column.name) is not field:
                yield Issue(Code.DEF_BAD_VALUE, path, params={"file": name, "reason": Text(
                    N_("'{field}' has no column of the same name in the group to stand under"),
                    {"field": field.address})})
            elif field.kind not in ("integer", "number") or column.kind not in ("integer", "number"):
                yield Issue(Code.DEF_BAD_VALUE, path, params={"file": name, "reason": Text(
                    N_("'{field}' and its column must both be numbers to be a total"), {"field": field.address})})
        if group.columns and group.columns[0].name in totals:
            yield Issue(Code.DEF_BAD_VALUE, path, params={"file": name, "reason": Text(
                N_("the first column of '{field}' holds the label of the total row and cannot be totalled"),
                {"field": group.address})})


def _check_spans(spec: FormSpec, name: str) -> Iterator[Issue]:
    """A column that spans rows (``"span": true``) is a pre-printed column of a group of pre-printed rows, and
    only the key of such rows is left off the printed form (``"printed": false``)."""
    columns = {id(col): (group, col) for group in spec.groups() for col in group.columns}
    for item in spec.items:
        for field in item.columns if isinstance(item, Group) else [item]:
            group, _col = columns.get(id(field), (None, None))
            parts = [step for part in (group.path if group else field.path) for step in ("properties", part)]
            if group is not None:
                parts += ["items", "properties", field.name]
            address = field.address if group is None else f"{group.address}.{field.name}"
            for key, value, allowed, reason in _ROW_KEYS:
                if field.ann.get(key) is value and not (group is not None and allowed(group, field)):
                    yield Issue(Code.DEF_BAD_VALUE, json_path(parts + ["x-formgen", key]), params={
                        "file": name, "reason": Text(reason, {"field": address})})


#: The keys of a column that only a group of pre-printed rows can take: (key, value, whether the group allows
#: it for the column, the reason when it does not).
_ROW_KEYS = (
    ("span", True, Group.printed_only, N_(
        "'{field}' cannot span rows: only a read-only column of a group with pre-printed rows "
        "(\"fixed_rows\"), other than its \"key\", prints equal values once over their rows")),
    ("printed", False, Group.unprinted_key, N_(
        "'{field}' cannot be left unprinted: only the \"key\" of a group with pre-printed rows "
        "(\"fixed_rows\") can, its value then taken from the pre-printed row")),
)


def _unknown_key(key: str, known, parts, name: str) -> Issue:
    close = difflib.get_close_matches(key, list(known), n=1, cutoff=0.6)
    hint = Text(N_(" Did you mean '{suggestion}'?"), {"suggestion": close[0]}) if close else ""
    return Issue(Code.DEF_UNKNOWN_KEY, json_path(parts + [key]), params={"file": name, "key": key, "hint": hint})


def _check_annotation(ann, part: str, parts: list, name: str) -> Iterator[Issue]:
    defs = meta_schema()["$defs"][part]
    err: ValidationError
    for err in _meta_validator(part).iter_errors(ann):
        if err.validator == "additionalProperties" and isinstance(err.instance, dict):
            allowed = defs["properties"] if err.schema is defs else err.schema.get("properties", {})
            for key in err.instance:
                if key not in allowed:
                    yield _unknown_key(key, allowed, parts + list(err.absolute_path), name)
        else:
            yield Issue(Code.DEF_BAD_VALUE, json_path(parts + list(err.absolute_path)),
                        params={"file": name, "reason": schema_error(err)})


def _check_object(schema: dict, parts: list, name: str) -> Iterator[Issue]:
    props = schema.get("properties", {})
    if not isinstance(props, dict):
        return
    for req in schema.get("required", []):
        if isinstance(req, str) and req not in props:
            yield Issue(Code.DEF_BAD_VALUE, json_path(parts + ["required"]), params={
                "file": name, "reason": Text(N_("'{field}' is required but not defined in properties{hint}"),
                                             {"field": req, "hint": paren_hint(req, props)})})
    for key, sub in props.items():
        sub_parts = parts + ["properties", key]
        if not isinstance(sub, dict):
            continue
        yield from _check_property(sub, sub_parts, name)


def _check_property(sub: dict, parts: list, name: str) -> Iterator[Issue]:
    if "title" not in sub:
        yield Issue(Code.DEF_MISSING_TITLE, json_path(parts), params={"file": name})
    ann = sub.get("x-formgen")
    if ann is not None:
        yield from _check_annotation(ann, "property", parts + ["x-formgen"], name)
        labels = ann.get("labels") if isinstance(ann, dict) else None
        enum = sub["items"].get("enum") if is_multi(sub) else sub.get("enum")
        if isinstance(labels, list) and isinstance(enum, list) and len(labels) != len(enum):
            yield Issue(Code.DEF_LABELS, json_path(parts + ["x-formgen", "labels"]), params={
                "file": name, "enum_count": len(enum), "label_count": len(labels)})
    for key in sub:
        if key.startswith("x-") and key != "x-formgen":
            yield _unknown_key(key, ["x-formgen"], parts, name)
    from formgen.validate.formats import FORMAT_NAMES  # formgen.validate imports this module

    fmt = sub.get("format")
    if isinstance(fmt, str) and fmt not in FORMAT_NAMES:
        yield Issue(Code.DEF_BAD_VALUE, json_path(parts + ["format"]), params={
            "file": name, "reason": Text(N_("formgen does not know the format '{format}'{hint}; the formats are: "
                                            "{formats}"), {"format": fmt, "hint": paren_hint(fmt, FORMAT_NAMES),
                                                          "formats": ", ".join(FORMAT_NAMES)})})
    kind = sub.get("type")
    if kind == "object":
        yield from _check_object(sub, parts, name)
    elif is_multi(sub):
        yield from _check_multi(sub, parts, name)
    elif kind == "array":
        items = sub.get("items")
        if not isinstance(items, dict) or items.get("type") != "object":
            yield Issue(Code.DEF_UNSUPPORTED, json_path(parts + ["items"]), params={
                "file": name, "reason": N_("a repeating field must be an array of objects (one object per row)")})
            return
        for key, col in items.get("properties", {}).items():
            col_parts = parts + ["items", "properties", key]
            if isinstance(col, dict) and col.get("type") in ("object", "array") and not is_multi(col):
                yield Issue(Code.DEF_UNSUPPORTED, json_path(col_parts), params={
                    "file": name, "reason": N_("a column of a repeating field must be a single value")})
            elif isinstance(col, dict):
                yield from _check_property(col, col_parts, name)
    elif kind is None and "enum" not in sub and "const" not in sub:
        yield Issue(Code.DEF_UNSUPPORTED, json_path(parts), params={
            "file": name, "reason": N_("the field needs a \"type\" or an \"enum\"")})


def _check_xinhan(ann: dict, letter: list[dict], name: str) -> Iterator[Issue]:
    """A 信函 (``x-formgen.page.format``) is set on the GB/T 9704 page, and its 版记 has no 印发 line."""
    page = ann.get("page")
    if not isinstance(page, dict) or page.get("format") != XINHAN:
        return
    if page.get("standard") != GBT_9704:
        yield Issue(Code.DEF_XINHAN_PAGE, json_path(["x-formgen", "page", "format"]), params={"file": name})
    for index, block in enumerate(letter):
        if block.get("style") == "printed":
            yield Issue(Code.DEF_XINHAN_PRINTED, json_path(["x-formgen", "letter", index]), params={"file": name})


def _check_multi(sub: dict, parts: list, name: str) -> Iterator[Issue]:
    """A multi-select field: its choices are each ticked once, and no label holds a character that separates
    the choices typed into one cell."""
    if sub.get("uniqueItems") is not True:
        yield Issue(Code.DEF_UNSUPPORTED, json_path(parts), params={"file": name, "reason": N_(
            "a multiple choice (an array of an enum) needs \"uniqueItems\": true: each choice is ticked once")})
    enum = sub["items"].get("enum")
    ann = sub.get("x-formgen") if isinstance(sub.get("x-formgen"), dict) else {}
    labels = ann.get("labels") if isinstance(ann.get("labels"), list) else enum if isinstance(enum, list) else []
    for i, label in enumerate(labels):
        if any(ch in str(label) for ch in MULTI_SEPARATORS):
            yield Issue(Code.DEF_BAD_VALUE, json_path(parts + ["x-formgen", "labels", i]), params={
                "file": name, "reason": Text(N_("the choice '{label}' holds one of {separators}, which separate the "
                                                 "choices typed into one cell; write it without them"),
                                              {"label": label, "separators": " ".join(MULTI_SEPARATORS)})})


def _check_letter(definition: dict, letter: list[dict], name: str) -> Iterator[Issue]:
    """Every reference names a field of the right kind, and every field appears in the letter."""
    spec = FormSpec.from_definition(definition)
    seen: set[str] = set()
    for index, key, address in referenced(letter):
        target = spec.lookup(address)
        path = json_path(["x-formgen", "letter", index, key])
        valid = isinstance(target, Group) if key == "table" else any(target is f for f in spec.fields())
        if not valid:
            reason = Text(N_("'{field}' is not a repeating group of the form") if key == "table"
                         else N_("'{field}' is not a field of the form"), {"field": address})
            yield Issue(Code.DEF_BAD_VALUE, path, params={"file": name, "reason": reason})
        seen.add(address)
    for item in spec.items:
        if item.address not in seen:
            yield Issue(Code.DEF_BAD_VALUE, json_path(["x-formgen", "letter"]), params={
                "file": name, "reason": Text(N_("'{field}' does not appear in the letter, so nobody can fill it in"),
                                              {"field": item.address})})
