"""formgen lint: JSON paths, codes and fix hints for broken definitions."""

from __future__ import annotations

import json

import pytest

from formgen.spec.lint import lint_definition, lint_file
from tests.conftest import FORMS, run_cli
from tests.inline import form

GOOD = form([
    ("kind", "choice:a=甲,b=乙", "类型"),
    ("name", "text", "名称"),
    ("people", "rows", "人员", [("who", "text", "姓名"), ("age", "int", "年龄")]),
], required=("name",))


def codes(definition) -> set[tuple[str, str]]:
    return {(i.code.id, i.path) for i in lint_definition(definition, "t.json")}


def test_installed_forms_are_clean():
    for path in FORMS.glob("*.json"):
        _definition, issues = lint_file(path)
        assert issues == [], (path, [i.message() for i in issues])


def test_good_inline_form_is_clean():
    assert codes(GOOD) == set()


def test_unknown_annotation_gets_did_you_mean():
    bad = form([("kind", "choice:a=甲,b=乙", "类型", {"x": {"lables": ["甲", "乙"]}})])
    issues = list(lint_definition(bad, "t.json"))
    assert {(i.code.id, i.path) for i in issues} == {("FG403", "$.properties.kind.x-formgen.lables")}
    assert "'labels'" in issues[0].message("en")
    assert "是不是要写 'labels'" in issues[0].message("zh_CN")


@pytest.mark.parametrize("definition, expected", [
    (form([("kind", "choice:a=甲,b=乙", "类型", {"x": {"labels": ["甲"]}})]),
     {("FG405", "$.properties.kind.x-formgen.labels")}),
    (form([("name", "text", "名称")], required=("nmae",)), {("FG404", "$.required")}),
    (form([("people", "rows", "人员", [("who", "text", "姓名", {"x": {"pii": "yes"}})])]),
     {("FG404", "$.properties.people.items.properties.who.x-formgen.pii")}),
    (form([("name", "text", "名称")], form_id="Bad Id"), {("FG404", "$.x-formgen.id")}),
    (form([("name", "text", "名称")], deadlne={"kind": "date"}), {("FG403", "$.x-formgen.deadlne")}),
    ({**GOOD, "required": [], "properties": {"n": {"type": "string"}}}, {("FG406", "$.properties.n")}),
    ({**GOOD, "required": [], "properties": {"tags": {"title": "标签", "type": "array", "items": {"type": "string"}}}},
     {("FG407", "$.properties.tags.items")}),
    ({**GOOD, "required": [], "properties": {"n": {"title": "名称", "type": "strng"}}}, {("FG402", "$.properties.n.type")}),
    ({k: v for k, v in GOOD.items() if k != "x-formgen"}, {("FG404", "$")}),
])
def test_definition_problems_are_located(definition, expected):
    assert codes(definition) == expected


def test_invalid_json_names_line_and_column(tmp_path):
    path = tmp_path / "broken.json"
    path.write_text('{\n  "title": "x",\n  "type": "object",,\n}', "utf-8")
    _definition, issues = lint_file(path)
    assert [(i.code.id, i.params["line"]) for i in issues] == [("FG401", 3)]


def test_cli_lint_exit_codes(tmp_path):
    good = tmp_path / "good.json"
    good.write_text(json.dumps(GOOD, ensure_ascii=False), "utf-8")
    result = run_cli("lint", str(good))
    assert result.exit_code == 0
    assert "通过" in result.stdout
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(form([("n", "text", "名称", {"x": {"sectoin": "甲"}})])), "utf-8")
    result = run_cli("lint", str(good), str(bad), lang="en")
    assert result.exit_code == 2
    assert "FG403" in result.stdout and "$.properties.n.x-formgen.sectoin" in result.stdout
    assert "Did you mean 'section'?" in result.stdout


def test_cli_lint_duplicate_form_version(tmp_path):
    for name in ("a.json", "b.json"):
        (tmp_path / name).write_text(json.dumps(GOOD), "utf-8")
    result = run_cli("lint", str(tmp_path / "a.json"), str(tmp_path / "b.json"))
    assert result.exit_code == 2
    assert "FG408" in result.stdout


def test_letter_references_are_checked():
    letter = form([("name", "text", "姓名"), ("body", "textarea", "正文"),
                   ("rows", "rows", "附件", [("title", "text", "名称")])],
                  kind="letter", letter=[{"style": "title", "text": "致{nmae}"}, {"style": "body", "field": "body"},
                                         {"style": "plain", "table": "body"}, {"style": "red-rule"}])
    issues = list(lint_definition(letter, "t.json"))
    assert {(i.code.id, i.path) for i in issues} == {("FG404", "$.x-formgen.letter[0].text"),
                                                     ("FG404", "$.x-formgen.letter[2].table"),
                                                     ("FG404", "$.x-formgen.letter")}
    messages = " ".join(i.message("en") for i in issues)
    assert "'nmae' is not a field" in messages and "'name' does not appear in the letter" in messages


def test_letter_rule_blocks_take_no_content():
    letter = form([("name", "text", "姓名")], kind="letter",
                  letter=[{"style": "title", "text": "{name}"}, {"style": "red-rule", "text": "x"}])
    assert codes(letter) == {("FG404", "$.x-formgen.letter[1]")}


UNIT_FORM = [("school_name", "text", "学校名称"), ("school_code", "text", "学校标识码"),
             ("occurred_at", "datetime", "发生时间"), ("reported_at", "datetime", "报告时间"),
             ("people", "rows", "人员", [("who", "text", "姓名")])]


@pytest.mark.parametrize("root, expected", [
    ({"unit": {"code": "school_code", "name": "school_name"}}, set()),
    ({"unit": {"name": "schol_name"}}, {("FG404", "$.x-formgen.unit.name")}),
    ({"unit": {"code": "people.who"}}, {("FG404", "$.x-formgen.unit.code")}),
    ({"unit": {}}, {("FG404", "$.x-formgen.unit")}),
    ({"unit": {"name": "school_name", "id": "school_code"}}, {("FG403", "$.x-formgen.unit.id")}),
    ({"deadline": {"kind": "within-hours", "hours": 24, "from": "occurred_at", "to": "reported_at"}}, set()),
    ({"deadline": {"kind": "within-hours", "hours": 24, "from": "occurred_at", "to": "school_name"}},
     {("FG404", "$.x-formgen.deadline.to")}),
    ({"deadline": {"kind": "within-days", "days": 10, "from": "occured_at", "to": "reported_at"}},
     {("FG404", "$.x-formgen.deadline.from")}),
    ({"deadline": {"kind": "within-hours", "hours": 24, "from": "occurred_at"}}, {("FG404", "$.x-formgen.deadline")}),
    ({"deadline": {"kind": "date"}}, {("FG404", "$.x-formgen.deadline")}),
])
def test_unit_fields_and_deadline_fields_must_exist(root, expected):
    assert codes(form(UNIT_FORM, **root)) == expected


def test_unit_field_message_names_the_field():
    issues = list(lint_definition(form(UNIT_FORM, unit={"name": "schol_name"}), "t.json"))
    assert "'schol_name'" in issues[0].message("en") and "t.json $.x-formgen.unit.name" in issues[0].message("en")


def _unsafe_template(expression: bytes) -> bytes:
    """The incident report's Word template with one of its expressions replaced by ``expression``."""
    import io
    import zipfile

    from formgen.compile.docx import template_bytes
    from formgen.spec import Registry

    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(template_bytes(Registry(FORMS).get("incident-report")))) as zin, \
            zipfile.ZipFile(out, "w") as zout:
        for item in zin.infolist():
            data = zin.read(item)
            if item.filename == "word/document.xml":
                data = data.replace(b"{{ '1' if f['report_kind'].on[0] else '0' }}", expression, 1)
                assert expression in data
            zout.writestr(item, data)
    return out.getvalue()


@pytest.mark.parametrize("expression", [
    b"{{ cycler.__init__.__globals__.os.popen('id').read() }}",
    b"{% if false %}{{ joiner['__init__']['__globals__'] }}{% endif %}",  # in a branch a blank form never renders
    b"{{ f|attr('__class__') }}",
])
def test_a_word_template_that_reaches_into_python_is_reported_by_lint(tmp_path, expression):
    forms = tmp_path / "forms"
    forms.mkdir()
    (forms / "evil.docx").write_bytes(_unsafe_template(expression))
    result = run_cli("lint", "--forms", str(forms), lang="en")
    assert result.exit_code == 2
    flagged = [line for line in result.stdout.splitlines() if line.startswith("FG440")]
    assert len(flagged) == 1 and "evil.docx" in flagged[0] and "word/document.xml" in flagged[0]
    assert "__" in flagged[0] and "make templates" in flagged[0]
    chinese = run_cli("lint", str(forms / "evil.docx"))
    assert chinese.exit_code == 2 and "FG440" in chinese.stdout and "Python" in chinese.stdout


def test_lint_without_files_checks_every_form_and_template():
    result = run_cli("lint")
    assert result.exit_code == 0, result.stdout
    templates = sorted((FORMS.parent / "templates").glob("*.docx"))
    assert templates and all(f"{t}：通过" in result.stdout for t in templates)
    assert all(f"{p}：通过" in result.stdout for p in FORMS.glob("*.json"))


def test_a_broken_word_template(tmp_path):
    broken = tmp_path / "broken.docx"
    broken.write_bytes(b"PK\x03\x04 not a zip")
    unparsed = tmp_path / "unparsed.docx"
    unparsed.write_bytes(_unsafe_template(b"{{ f['name'] "))
    result = run_cli("lint", str(broken), str(unparsed), lang="en")
    assert result.exit_code == 2
    lines = [line for line in result.stdout.splitlines() if line.startswith("FG441")]
    assert len(lines) == 2 and "not a Word document" in lines[0] and "does not parse" in lines[1]


def test_lint_names_a_forms_folder_that_does_not_exist(tmp_path):
    result = run_cli("lint", "--forms", str(tmp_path / "missing"), lang="en")
    assert result.exit_code == 2
    assert "missing does not exist" in result.output and "unexpected" not in result.output
