"""The authoring workbook: every installed form to a workbook and back unchanged; Chinese headers; blank rows."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook

from formgen.author.lint import lint_book
from formgen.spec.model import FormSpec
from tests.conftest import FORMS, run_cli


def _order(definition: dict) -> list[str]:
    return [item.address for item in FormSpec.from_definition(definition).items]


@pytest.mark.parametrize("path", sorted(FORMS.glob("*.json")), ids=lambda p: p.stem)
def test_every_form_goes_to_a_workbook_and_back_unchanged(path: Path, tmp_path: Path):
    book, back = tmp_path / f"{path.stem}.xlsx", tmp_path / f"{path.stem}.json"
    assert run_cli("author", "export", str(path), "-o", str(book)).exit_code == 0
    result = run_cli("author", "import", str(book), "-o", str(back))
    assert result.exit_code == 0, result.stderr
    original, again = json.loads(path.read_text("utf-8")), json.loads(back.read_text("utf-8"))
    assert again == original
    assert _order(again) == _order(original)


def test_the_workbook_uses_the_xlsform_convention(tmp_path: Path):
    book = tmp_path / "incident.xlsx"
    run_cli("author", "export", str(FORMS / "incident-report.json"), "-o", str(book))
    wb = load_workbook(book)
    assert wb.sheetnames[:4] == ["survey", "choices", "settings", "rules"]
    survey = [[c.value for c in row] for row in wb["survey"].iter_rows()]
    header = survey[0]
    assert header[:4] == ["type", "name", "label::中文 (zh)", "label::English (en)"]
    types = {row[1]: row[0] for row in reversed(survey[1:])}
    assert types["report_kind"] == "select_one report_kind"
    assert types["persons"] == "begin_repeat" and types["occurred_at"] == "datetime"
    assert types["police_notified"] == "select_one yes_no"
    constraints = {row[1]: row[header.index("constraint")] for row in survey[1:]}
    assert constraints["report_no"] == "string-length(.) <= 40"
    choices = [[c.value for c in row] for row in wb["choices"].iter_rows()]
    assert ["report_kind", "initial", "首报", "initial report"] in choices
    settings = [[c.value for c in row] for row in wb["settings"].iter_rows()]
    assert dict(zip(settings[0], settings[1]))["form_id"] == "incident-report"


def _chinese_book(path: Path) -> None:
    wb = Workbook()
    ws = wb.active
    ws.title = "题目"
    ws.append(["类型", "字段名", "标题", "标题::English (en)", "提示", "必填", "约束", "个人信息"])
    ws.append(["文本", "school_name", "学校名称", "School", "写全称", "是", "string-length(.) <= 60", None])
    ws.append([None] * 8)  # a blank row between two questions does not end the form
    ws.append(["整数", "pupils", "学生数", "Pupils", None, "yes", ". >= 0 and . <= 5000", None])
    ws.append(["开始重复", "talks", "辅导记录", None, None, None, None, None])
    ws.append(["日期", "on", "日期", None, None, "是", None, None])
    ws.append(["单选 mood", "mood", "情绪", None, None, None, None, None])
    ws.append(["文本", "counsellor", "辅导教师", None, None, None, None, "是"])
    ws.append(["结束重复", "talks", None, None, None, None, None, None])
    choices = wb.create_sheet("选项")
    choices.append(["列表名", "选项值", "选项标签", "选项标签::English (en)"])
    choices.append(["mood", "calm", "平稳", "calm"])
    choices.append(["mood", "upset", "波动", "upset"])
    settings = wb.create_sheet("设置")
    settings.append(["表单编号", "版本", "表单标题"])
    settings.append(["talks", "1.0.0", "心理辅导记录"])
    wb.save(path)


def test_chinese_headers_and_sheet_names_are_aliases(tmp_path: Path):
    book = tmp_path / "talks.xlsx"
    _chinese_book(book)
    definition, issues = lint_book(book)
    assert issues == [], [i.message() for i in issues]
    props = definition["properties"]
    assert list(props) == ["school_name", "pupils", "talks"]
    assert props["school_name"] == {"title": "学校名称", "type": "string", "maxLength": 60,
                                    "x-formgen": {"title_en": "School", "help": "写全称"}}
    assert props["pupils"]["minimum"] == 0 and props["pupils"]["maximum"] == 5000
    assert definition["required"] == ["school_name", "pupils"]
    talks = props["talks"]["items"]
    assert talks["required"] == ["on"]
    assert talks["properties"]["mood"]["enum"] == ["calm", "upset"]
    assert talks["properties"]["mood"]["x-formgen"] == {"labels": ["平稳", "波动"], "labels_en": ["calm", "upset"]}
    assert talks["properties"]["counsellor"]["x-formgen"] == {"pii": True}
    assert definition["x-formgen"] == {"id": "talks", "version": "1.0.0"}


def test_the_template_has_instructions_dropdowns_and_an_example_of_each_type(tmp_path: Path):
    book, definition = tmp_path / "blank.xlsx", tmp_path / "forms" / "new-form.json"
    assert run_cli("author", "template", "-o", str(book)).exit_code == 0
    wb = load_workbook(book)
    assert wb.sheetnames[0] == "填写说明"
    assert "题目类型" in [c.value for c in wb["填写说明"]["B"]]
    survey = wb["survey"]
    header = [c.value for c in survey[1]]
    types = {survey.cell(row=r, column=1).value.split()[0] for r in range(2, survey.max_row + 1)}
    assert types == {"text", "integer", "decimal", "date", "datetime", "select_one", "select_multiple", "note",
                     "begin_group", "end_group", "begin_repeat", "end_repeat"}
    validated = {str(rng).split(":")[0].rstrip("0123456789") for dv in survey.data_validations.dataValidation
                 for rng in dv.sqref.ranges}
    letter = {name: survey.cell(row=1, column=i + 1).column_letter for i, name in enumerate(header)}
    assert {letter["type"], letter["format"], letter["required"], letter["pii"]} <= validated
    assert survey.cell(row=1, column=1).comment is not None
    result = run_cli("author", "import", str(book), "-o", str(definition))
    assert result.exit_code == 0, result.stderr
    assert run_cli("lint", str(definition)).exit_code == 0
