"""Cross-field rules (x-formgen-rules): the language, lint, and evaluation, as tables."""

from __future__ import annotations

import copy
import json

import pytest

from formgen.issues import Code
from formgen.spec.lint import lint_definition
from formgen.spec.model import FormSpec
from formgen.spec.rules import Binary, Call, Literal, Ref, RuleSyntaxError, parse
from formgen.validate import validate
from formgen.validate.rules import check_rules
from tests.conftest import FORMS, example

# A small definition with what the seed's forms need: counts and totals, the 14 cities' rows, the
# 10-day investigation and the 15-day review windows, a severity choice, people with roles.
DEFINITION = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "规则测试表", "x-formgen": {"id": "rules-test", "version": "1.0.0"}, "type": "object",
    "properties": {
        "found": {"title": "发现数", "type": "integer", "x-formgen": {"title_en": "Found"}},
        "handled": {"title": "处置数", "type": "integer", "x-formgen": {"title_en": "Handled"}},
        "total_found": {"title": "合计发现数", "type": "integer"},
        "investigation_started": {"title": "启动调查日期", "type": "string", "format": "date"},
        "determined_on": {"title": "认定日期", "type": "string", "format": "date"},
        "appeal_accepted_at": {"title": "受理申诉时间", "type": "string", "format": "date-time"},
        "review_decided_on": {"title": "复查决定日期", "type": "string", "format": "date"},
        "severity": {"title": "情节程度", "enum": ["minor", "serious"], "x-formgen": {"labels": ["一般欺凌", "严重欺凌"]}},
        "police_notified": {"title": "是否已报告公安机关", "type": "boolean"},
        "cities": {"title": "各市情况", "type": "array", "items": {"type": "object", "properties": {
            "city": {"title": "地市", "type": "string"}, "found": {"title": "发现数", "type": "integer"}}}},
        "persons": {"title": "涉及人员", "type": "array", "items": {"type": "object", "properties": {
            "role": {"title": "身份", "enum": ["bully", "victim"], "x-formgen": {"labels": ["实施方", "被欺凌方"]}},
            "student_no": {"title": "学号", "type": "string"},
            "age": {"title": "年龄", "type": "integer"}}}},
    },
}


def spec_with(*rules: dict) -> FormSpec:
    definition = copy.deepcopy(DEFINITION)
    definition["x-formgen-rules"] = [dict(rule, id=rule.get("id", f"r{i}"), message=rule.get("message", {"zh_CN": "规则"}))
                                     for i, rule in enumerate(rules)]
    return FormSpec.from_definition(definition)


def outcome(rule: dict, record: dict) -> list[str]:
    """The paths of the RULE_FAILED issues one rule gives on a record ([] when it holds or does not apply)."""
    return [i.path for i in check_rules(spec_with(rule), record)]


PEOPLE = [{"role": "bully", "student_no": "01", "age": 14}, {"role": "victim", "student_no": "02", "age": 13}]
CITIES = [{"city": "沈阳市", "found": 3}, {"city": "大连市", "found": 2}]


@pytest.mark.parametrize("rule, record, failed_at", [
    # comparisons between fields
    ({"assert": "handled <= found"}, {"found": 5, "handled": 3}, []),
    ({"assert": "handled <= found"}, {"found": 5, "handled": 6}, ["handled"]),
    ({"assert": "handled <= found"}, {"found": 5}, []),  # an empty field: unknown, left to "required"
    ({"assert": "handled + 1 > found - 1"}, {"found": 5, "handled": 3}, ["handled"]),
    ({"assert": "found != 0 and handled / found >= 0.5"}, {"found": 4, "handled": 2}, []),
    ({"assert": "found != 0 and handled / found >= 0.5"}, {"found": 4, "handled": 1}, ["found"]),
    # sums over repeating rows equal to a total
    ({"assert": "sum(cities.found) = total_found"}, {"total_found": 5, "cities": CITIES}, []),
    ({"assert": "sum(cities.found) = total_found"}, {"total_found": 6, "cities": CITIES}, ["cities.found"]),
    ({"assert": "sum(cities.found) = total_found", "fields": ["total_found", "cities.found"]},
     {"total_found": 6, "cities": CITIES}, ["total_found"]),
    ({"assert": "sum(cities.found) = 0"}, {}, []),
    # date windows: determination within 10 days, review within 15 days of accepting the appeal
    ({"assert": "days(investigation_started, determined_on) <= 10"},
     {"investigation_started": "2021-03-09", "determined_on": "2021-03-19"}, []),
    ({"assert": "days(investigation_started, determined_on) <= 10"},
     {"investigation_started": "2021-03-09", "determined_on": "2021-03-20"}, ["investigation_started"]),
    ({"assert": "days(investigation_started, determined_on) between 0"}, {}, "syntax"),
    ({"assert": "days(appeal_accepted_at, review_decided_on) <= 15", "fields": ["review_decided_on"]},
     {"appeal_accepted_at": "2021-04-01T23:30:00+08:00", "review_decided_on": "2021-04-16"}, []),
    ({"assert": "days(appeal_accepted_at, review_decided_on) <= 15", "fields": ["review_decided_on"]},
     {"appeal_accepted_at": "2021-04-01T23:30:00+08:00", "review_decided_on": "2021-04-17"}, ["review_decided_on"]),
    ({"assert": "determined_on >= investigation_started"},
     {"investigation_started": "2021-03-09", "determined_on": "2021-03-08"}, ["determined_on"]),
    ({"assert": "determined_on <= \"2021-06-15\""}, {"determined_on": "2021-06-16"}, ["determined_on"]),
    # conditionals: if severity is serious then police_notified required / true
    ({"if": "severity = \"严重欺凌\"", "assert": "filled(police_notified)"}, {"severity": "serious"},
     ["police_notified"]),
    ({"if": "severity = \"严重欺凌\"", "assert": "filled(police_notified)"},
     {"severity": "serious", "police_notified": False}, []),
    ({"if": "severity = \"serious\"", "assert": "police_notified = true"},
     {"severity": "serious", "police_notified": False}, ["police_notified"]),
    ({"if": "severity = \"serious\"", "assert": "police_notified = true"}, {"severity": "minor"}, []),
    ({"if": "severity = \"serious\"", "assert": "police_notified = true"}, {}, []),
    ({"if": "severity in [\"一般欺凌\"]", "assert": "not police_notified"},
     {"severity": "minor", "police_notified": True}, ["police_notified"]),
    ({"if": "severity not in [\"一般欺凌\"]", "assert": "police_notified"},
     {"severity": "serious", "police_notified": False}, ["police_notified"]),
    # uniqueness within rows: one issue per repeated row, at that row
    ({"assert": "unique(persons.student_no)"}, {"persons": PEOPLE}, []),
    ({"assert": "unique(persons.student_no)"},
     {"persons": PEOPLE + [{"student_no": "01"}, {"student_no": "02"}, {"age": 9}]},
     ["persons.2.student_no", "persons.3.student_no"]),
    ({"assert": "unique(persons.role, persons.student_no)"},
     {"persons": [{"role": "bully", "student_no": "01"}, {"role": "victim", "student_no": "01"}]}, []),
    # at least one row with role = victim; every row ...
    ({"assert": "any(persons, role = \"被欺凌方\")"}, {"persons": PEOPLE}, []),
    ({"assert": "any(persons, role = \"被欺凌方\")"}, {"persons": PEOPLE[:1]}, ["persons.role"]),
    ({"assert": "count(persons, role = \"victim\") >= 1 and count(persons) <= 50"}, {"persons": PEOPLE}, []),
    ({"assert": "all(persons, age >= 6 and age <= found)"}, {"found": 13, "persons": PEOPLE},
     ["persons.0.age"]),
    ({"assert": "all(persons, filled(student_no))"}, {"persons": PEOPLE + [{"role": "bully"}]},
     ["persons.2.student_no"]),
    ({"assert": "count(persons) >= 1 or empty(persons)"}, {}, []),
])
def test_rules(rule, record, failed_at):
    if failed_at == "syntax":
        with pytest.raises(RuleSyntaxError):
            parse(rule["assert"])
    else:
        assert outcome(rule, record) == failed_at


def test_a_field_that_could_not_be_read_makes_a_rule_unknown():
    rule = {"assert": "any(persons, role = \"victim\")"}
    record = {"persons": [{"role": "bully"}, {"role": "受害者"}]}
    assert [i.path for i in check_rules(spec_with(rule), record, {"persons.1.role"})] == []
    assert [i.path for i in check_rules(spec_with(rule), record)] == ["persons.role"]


def test_rule_issue_names_the_fields_by_label_in_both_languages():
    rule = {"if": "severity = \"严重欺凌\"", "assert": "police_notified = true",
            "message": {"zh_CN": "严重欺凌须报告公安机关。", "en": "Serious bullying must be reported to the police."}}
    [issue] = check_rules(spec_with(rule), {"severity": "serious", "police_notified": False})
    assert issue.code is Code.RULE_FAILED
    assert issue.to_dict()["schema_location"] == "$.x-formgen-rules[0]"
    assert issue.message("zh_CN") == "严重欺凌须报告公安机关。（涉及栏目：是否已报告公安机关、情节程度）"
    assert issue.message("en") == ("Serious bullying must be reported to the police. "
                                   "(fields: 是否已报告公安机关, 情节程度)")
    only_zh = dict(rule, message={"zh_CN": "严重欺凌须报告公安机关。"})
    [issue] = check_rules(spec_with(only_zh), {"severity": "serious", "police_notified": False})
    assert issue.message("en").startswith("严重欺凌须报告公安机关。")


def test_row_issue_names_the_row():
    [issue] = check_rules(spec_with({"assert": "unique(persons.student_no)", "message": {"zh_CN": "学号重复。"}}),
                          {"persons": [{"student_no": "7"}, {"student_no": "7"}]})
    assert issue.message("zh_CN") == "学号重复。（涉及栏目：涉及人员 第2行 学号）"


@pytest.mark.parametrize("text, position", [
    ("a <= b and", 11), ("a (( b", 7), ("(a = 1", 7), ("a = \"x", 5), ("a = 1 = 2", 7), ("a ? b", 3),
    ("", 1), ("a in [1, 2", 11), ("a not b", 7), ("count(persons,)", 15), ("a b", 3),
])
def test_syntax_errors_say_where(text, position):
    with pytest.raises(RuleSyntaxError) as info:
        parse(text)
    assert info.value.position == position


@pytest.mark.parametrize("text, position, reason", [
    ("a = not b", 5, "a field name, a number, text in quotes, true or false is expected here"),  # keywords are no names
    ("A = 1 OR", 9, "the rule ends too early: a value is missing"),
    ("f(a b", 5, "the function's parentheses are not closed"),
    ("(f(a) b", 7, "a parenthesis is not closed"),
    ("a in [1 = 2]", 9, "the list is not closed with ]"),
    ("a in 1", 6, "a list of values is written in square brackets, such as [\"a\", \"b\"]"),
    ("a = “x", 5, "the text in quotes is not closed"),
    ("a = ＂x＂", 5, "this character has no meaning in a rule"),
])
def test_syntax_errors_say_why(text, position, reason):
    with pytest.raises(RuleSyntaxError) as info:
        parse(text)
    assert (info.value.position, info.value.reason) == (position, reason)


def test_full_width_punctuation_reads_as_ascii_outside_quotes():
    assert parse("ａ ＝ “（轻）” ＡＮＤ ｆ（ｂ、ｃ）") == Binary(
        "and", Binary("=", Ref("a"), Literal("（轻）")), Call("f", (Ref("b"), Ref("c"))))


@pytest.mark.parametrize("text", [
    "handled <= found", "handled ≤ found", "handled＜＝found", "（handled + 1） * 2 >= found",
    "severity = “严重欺凌”", "severity = '严重欺凌' or severity = 「一般欺凌」", "severity in [\"一般欺凌\"、\"严重欺凌\"]",
    "NOT police_notified AND found == 1", "found <> 1",
])
def test_what_policy_staff_may_type_parses(text):
    assert list(lint_definition(json.loads(json.dumps(
        dict(DEFINITION, **{"x-formgen-rules": [{"id": "r", "assert": text, "message": {"zh_CN": "m"}}]}))))) == []


@pytest.mark.parametrize("rule, code, path, fragment", [
    ({"assert": "handled <= foud"}, "FG410", "$.x-formgen-rules[0].assert", "Did you mean 'found'?"),
    ({"assert": "persons.rol = \"victim\""}, "FG410", "$.x-formgen-rules[0].assert", "'persons.rol'"),
    ({"if": "severity = \"严重\"", "assert": "police_notified"}, "FG411", "$.x-formgen-rules[0].if",
     "\"严重\" is not a choice of 情节程度: use one of 一般欺凌、严重欺凌"),
    ({"assert": "handled <= found and"}, "FG409", "$.x-formgen-rules[0].assert", "at character 21"),
    ({"assert": "found = \"五\""}, "FG411", "$.x-formgen-rules[0].assert", "compares a number with text"),
    ({"assert": "found + 1"}, "FG411", "$.x-formgen-rules[0].assert", "needs a condition (true or false)"),
    ({"assert": "persons.age > 3"}, "FG411", "$.x-formgen-rules[0].assert", "use it inside count, any, all"),
    ({"assert": "total(cities.found) = 1"}, "FG411", "$.x-formgen-rules[0].assert", "there is no function total()"),
    ({"assert": "sum(cities.city) = 1"}, "FG411", "$.x-formgen-rules[0].assert", "'sum' needs a number, not text"),
    ({"assert": "days(determined_on, \"2021-3-5\") < 3"}, "FG411", "$.x-formgen-rules[0].assert",
     "write dates in rules as \"YYYY-MM-DD\""),
    ({"assert": "unique(persons.student_no, cities.city)"}, "FG411", "$.x-formgen-rules[0].assert",
     "unique() compares columns of one repeating group"),
    ({"assert": "found > 1", "fields": ["fond"]}, "FG410", "$.x-formgen-rules[0].fields", "'fond'"),
    ({"assert": "any(cities, role = \"victim\")"}, "FG410", "$.x-formgen-rules[0].assert", "'role'"),
])
def test_lint_reports_rule_problems_with_path_and_fix(rule, code, path, fragment):
    definition = dict(DEFINITION, **{"x-formgen-rules": [dict(rule, id="r", message={"zh_CN": "m"})]})
    issues = list(lint_definition(definition, "t.json"))
    assert [(i.code.id, i.path) for i in issues] == [(code, path)]
    assert fragment in issues[0].message("en")
    assert issues[0].message("zh_CN") != issues[0].message("en")


def test_lint_requires_assert_and_a_chinese_message():
    definition = dict(DEFINITION, **{"x-formgen-rules": [{"id": "r", "message": {"en": "m"}}]})
    found = {(i.code.id, i.path) for i in lint_definition(definition, "t.json")}
    assert ("FG404", "$.x-formgen-rules[0]") in found
    assert ("FG404", "$.x-formgen-rules[0].message") in found


# -- the incident report's rules, on records (the xlsx filled by LibreOffice is in test_rules_office.py) --

INCIDENT_RULES = {
    "follow-up-names-initial": ({"report_kind": "follow-up"}, {"report_kind": "follow-up", "initial_report_no": "2021-031"}),
    "serious-police-notified": ({"severity": "serious", "police_notified": False, "authority_notified": True},
                                {"severity": "serious", "police_notified": True, "authority_notified": True}),
    "serious-authority-notified": ({"severity": "criminal", "police_notified": True, "authority_notified": False},
                                   {"severity": "criminal", "police_notified": True, "authority_notified": True}),
    "victim-listed": ({"persons": [{"role": "bully", "name": "张某某"}]},
                      {"persons": [{"role": "bully", "name": "张某某"}, {"role": "victim", "name": "李某某"}]}),
    "reported-after-occurred": ({"reported_at": "2021-03-08T16:00:00+08:00"},
                                {"reported_at": "2021-03-08T16:40:00+08:00"}),
}


@pytest.mark.parametrize("rule_id", sorted(INCIDENT_RULES))
def test_incident_report_rules(registry, rule_id):
    spec = registry.get("incident-report")
    breaking, keeping = INCIDENT_RULES[rule_id]
    assert [i.params["rule"] for i in validate(spec, dict(example("incident-report"), **breaking))
            if i.code is Code.RULE_FAILED] == [rule_id]
    assert validate(spec, dict(example("incident-report"), **keeping)) == []


def test_the_example_record_keeps_every_rule(registry):
    assert validate(registry.get("incident-report"), example("incident-report")) == []
    assert list(lint_definition(json.loads((FORMS / "incident-report.json").read_text("utf-8")))) == []
