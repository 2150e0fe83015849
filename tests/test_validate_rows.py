"""The compiled row checker (formgen.validate.rows) gives exactly jsonschema's errors: the same instance paths,
keywords, keyword values, schema paths and causes, in the same order for each path, for every installed form
and for rows of every wrong kind; a group with a keyword it does not know is left to jsonschema."""

from __future__ import annotations

import copy
import json
import random
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from formgen.spec.model import FormSpec
from formgen.validate import validate
from formgen.validate.formats import FORMAT_CHECKER
from formgen.validate.rows import plan_of

FORMS = Path(__file__).resolve().parents[1] / "forms"
ODD = [None, "", " ", "x" * 600, "高", "high", "medium", "是", 0, -5, 3, 2.5, 7.0, 10 ** 16, True, False, [], {},
       ["high"], "2021-13-01", "2021-03-05", "2021-03-05T10:00:00+08:00", "abc", "1101011234", "0412-3221234",
       "13804051234", "11010519491231002X", "110105", "不是数字"]


def jsonschema_errors(definition: dict, record: dict) -> list[tuple]:
    validator = Draft202012Validator(definition, format_checker=FORMAT_CHECKER)
    return summary(validator.iter_errors(record))


def summary(errors) -> list[tuple]:
    ordered = sorted(errors, key=lambda e: list(map(str, e.absolute_path)))
    return [(list(e.absolute_path), e.validator, json.dumps(e.validator_value, sort_keys=True),
             list(e.absolute_schema_path), type(e.cause).__name__, getattr(e.cause, "reason", None),
             json.dumps(e.instance, sort_keys=True, default=str)) for e in ordered]


def spoilt(spec: FormSpec, rng: random.Random) -> dict:
    """The form's example with its groups' rows spoilt at random: odd values, missing columns, odd rows."""
    record = json.loads((FORMS / "examples" / f"{spec.id}.json").read_text("utf-8"))
    for group in spec.groups():
        node = record
        for name in group.path[:-1]:
            node = node.setdefault(name, {})
        rows = node.get(group.name) or [{}]
        out = []
        for i in range(rng.randint(1, 12)):
            row = copy.deepcopy(rows[i % len(rows)]) if isinstance(rows[i % len(rows)], dict) else {}
            for col in group.columns:
                roll = rng.random()
                if roll < 0.3:
                    row[col.name] = rng.choice(ODD)
                elif roll < 0.4:
                    row.pop(col.name, None)
            out.append(row if rng.random() > 0.05 else rng.choice(["row", 3, None, []]))
        node[group.name] = out if rng.random() > 0.05 else {"0": out[0]}
    return record


@pytest.mark.parametrize("path", sorted(FORMS.glob("*.json")), ids=lambda p: p.stem)
def test_rows_give_jsonschemas_errors(path):
    spec = FormSpec.from_definition(json.loads(path.read_text("utf-8")))
    plan = plan_of(spec)
    assert [g.path for g in plan.groups] == [g.path for g in spec.groups()]  # every form's groups are compiled
    rng = random.Random(path.stem)
    for _ in range(60):
        record = spoilt(spec, rng)
        assert summary(plan.errors(record)) == jsonschema_errors(spec.definition, record)


def ledger_with(column_schema: dict) -> FormSpec:
    definition = json.loads((FORMS / "hazard-ledger.json").read_text("utf-8"))
    definition["properties"]["hazards"]["items"]["properties"]["school"] = column_schema
    return FormSpec.from_definition(definition)


@pytest.mark.parametrize("column_schema", [
    {"type": "string", "const": "x"},                    # a keyword the checker does not know
    {"type": ["string", "null"], "minLength": 2},       # a list of types
    {"type": "integer", "minimum": 1, "exclusiveMaximum": 10},
    {"enum": ["a", 1, True, None]},                      # 1 and True differ, as jsonschema says
    {"type": "string", "pattern": "^[一-龥]+$"},
])
def test_other_columns(column_schema):
    spec = ledger_with(column_schema)
    record = json.loads((FORMS / "examples" / "hazard-ledger.json").read_text("utf-8"))
    base = record["hazards"][0]
    record["hazards"] = [{**base, "school": value} for value in ODD]
    assert summary(plan_of(spec).errors(record)) == jsonschema_errors(spec.definition, record)
    compiled = [g.path for g in plan_of(spec).groups]
    assert compiled == ([] if "const" in column_schema else [("hazards",)])


def test_the_issues_name_the_rows():
    """What a person sees of the compiled checks: the codes and field paths of a spoilt ledger."""
    spec = FormSpec.from_definition(json.loads((FORMS / "hazard-ledger.json").read_text("utf-8")))
    record = json.loads((FORMS / "examples" / "hazard-ledger.json").read_text("utf-8"))
    first = record["hazards"][0]
    record["hazards"] = [first, {**first, "school": "x" * 101, "risk": "grave", "school_code": "12"},
                         {k: v for k, v in first.items() if k != "measure"}, "row"]
    found = [(i.code.name, i.path) for i in validate(spec, record)]
    assert found == [("NOT_A_CHOICE", "hazards.1.risk"), ("TOO_LONG", "hazards.1.school"),
                     ("BAD_FORMAT", "hazards.1.school_code"), ("REQUIRED", "hazards.2.measure"),
                     ("WRONG_TYPE", "hazards.3")]
