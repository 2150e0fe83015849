"""Lint that policy staff can act on: words instead of library messages, every problem in one run, "did you
mean", JSON slips located, and a forms folder where one broken definition does not stop the others."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner
from openpyxl import Workbook

from formgen.author.lint import lint_book
from formgen.cli import cli
from formgen.spec import Registry
from formgen.spec.lint import lint_definition, lint_file
from tests.conftest import FORMS

RAW = ("is not valid under", "does not match", "Expecting", "^[0-9]", "is a required property")


def _messages(issues, lang="en") -> str:
    return "\n".join(i.message(lang) for i in issues)


def test_chinese_quotes_and_a_trailing_comma_are_explained_with_line_and_column(tmp_path: Path):
    quotes = tmp_path / "quotes.json"
    quotes.write_text('{\n  "title": “心理辅导记录”,\n  "type": "object"\n}', "utf-8")
    (issue,) = lint_file(quotes)[1]
    assert (issue.code.id, issue.params["line"], issue.params["column"]) == ("FG401", 2, 12)
    assert "“" in issue.message("zh_CN") and "中文" in issue.message("zh_CN")
    comma = tmp_path / "comma.json"
    comma.write_text('{\n  "title": "x",\n  "type": "object",\n}', "utf-8")
    (issue,) = lint_file(comma)[1]
    assert (issue.params["line"], issue.params["column"]) == (3, 19)
    assert "comma after the last entry" in issue.message("en") and "逗号" in issue.message("zh_CN")
    assert not any(raw in issue.message("en") for raw in RAW)


def _broken_appeal() -> dict:
    definition = json.loads((FORMS / "appeal.json").read_text("utf-8"))
    definition["x-formgen"]["version"] = "1.0"
    definition["properties"]["phone"]["type"] = "text"
    definition["properties"]["relation"]["format"] = "phnoe"
    definition["x-formgen-rules"][0]["assert"] = "recieved_on >= determined_on"
    definition["required"].append("sigend_on")
    return definition


def test_every_problem_in_one_run_in_words_with_did_you_mean():
    issues = list(lint_definition(_broken_appeal(), "appeal.json"))
    assert {(i.code.id, i.path) for i in issues} == {
        ("FG402", "$.properties.phone.type"), ("FG404", "$.x-formgen.version"), ("FG404", "$.required"),
        ("FG404", "$.properties.relation.format"), ("FG410", "$.x-formgen-rules[0].assert")}
    en = _messages(issues)
    for raw in RAW:
        assert raw not in en
    for suggestion in ("'string'", "'signed_on'", "'phone'", "'received_on'"):
        assert suggestion in en
    assert "for example 1.0.0" in en
    zh = _messages(issues, "zh_CN")
    assert "版本号" in zh and "不是 JSON Schema 的类型" in zh


def _folder(tmp_path: Path) -> Path:
    extra = tmp_path / "extra"
    extra.mkdir()
    (extra / "broken.json").write_text(json.dumps(_broken_appeal(), ensure_ascii=False), "utf-8")
    (extra / "task-copy.json").write_text((FORMS / "task-list.json").read_text("utf-8"), "utf-8")
    mine = json.loads((FORMS / "task-list.json").read_text("utf-8"))
    mine["x-formgen"]["id"] = "my-tasks"
    (extra / "my-tasks.json").write_text(json.dumps(mine, ensure_ascii=False), "utf-8")
    return extra


def test_forms_folders_add_to_the_installed_forms_and_a_broken_one_is_reported(tmp_path: Path):
    extra = _folder(tmp_path)
    runner = CliRunner()
    result = runner.invoke(cli, ["--lang", "en", "--forms", str(extra), "forms"])
    listed = [line.split()[0] for line in result.stdout.splitlines()]
    assert "my-tasks" in listed and "incident-report" in listed and len(listed) == 10  # task-list is defined twice
    assert result.exit_code == 2
    assert "broken.json" in result.stderr and "formgen lint" in result.stderr
    assert "task-copy.json: form 'task-list' version 1.0.0 is also defined in" in result.stderr
    assert str(FORMS / "task-list.json") in result.stderr
    out = tmp_path / "i.xlsx"
    assert runner.invoke(cli, ["--forms", str(extra), "generate", "incident-report", "--format", "xlsx",
                               "-o", str(out)]).exit_code == 0
    twice = runner.invoke(cli, ["--lang", "en", "--forms", str(extra), "generate", "task-list", "--format", "xlsx",
                                "-o", str(out)])
    assert twice.exit_code == 2 and "task-copy.json" in twice.stderr and "task-list.json" in twice.stderr


def test_formgen_forms_environment_adds_folders(tmp_path: Path, monkeypatch):
    extra = tmp_path / "more"
    extra.mkdir()
    mine = json.loads((FORMS / "task-list.json").read_text("utf-8"))
    mine["x-formgen"]["id"] = "my-tasks"
    (extra / "my-tasks.json").write_text(json.dumps(mine, ensure_ascii=False), "utf-8")
    monkeypatch.setenv("FORMGEN_FORMS", str(extra))
    ids = [spec.id for spec in Registry().all()]
    assert "my-tasks" in ids and "incident-report" in ids


def _seeded_book(path: Path) -> None:
    wb = Workbook()
    ws = wb.active
    ws.title = "survey"
    ws.append(["type", "name", "label::中文 (zh)", "hnit", "required"])
    ws.append(["text", "student", "学生", None, "yes"])
    ws.append(["intger", "sessions", "辅导次数", None, None])
    ws.append([None] * 5)
    ws.append(["select_one moods", "mood", "情绪", None, None])
    ws.append(["date", "student", "日期", None, "maybe"])
    choices = wb.create_sheet("choices")
    choices.append(["list_name", "name", "label"])
    choices.append(["mood", "calm", "平稳"])
    choices.append(["mood", "upset", None])
    settings = wb.create_sheet("settings")
    settings.append(["form_id", "version", "form_title"])
    settings.append(["talks", "1.0.0", "心理辅导记录"])
    rules = wb.create_sheet("rules")
    rules.append(["id", "assert", "message::中文 (zh)"])
    rules.append(["some", "sesions >= 1", "至少一次"])
    wb.save(path)


def test_a_workbook_gets_every_problem_with_sheet_row_and_column(tmp_path: Path):
    book = tmp_path / "talks.xlsx"
    _seeded_book(book)
    _definition, issues = lint_book(book)
    found = {(i.code.id, i.location) for i in issues}
    assert found == {("FG423", "survey!D1"),   # unknown column hnit
                     ("FG421", "survey!A3"),   # intger
                     ("FG421", "survey!A5"),   # no list moods
                     ("FG421", "survey!B6"),   # student twice
                     ("FG421", "survey!E6"),   # maybe is not yes or no
                     ("FG423", "choices!C3"),  # choice without a label: its name is printed
                     ("FG423", "choices!A2")}  # list mood is used by no question (the question wrote moods)
    en = _messages(issues)
    assert "did you mean 'hint'?" in en and "Did you mean 'integer'?" in en and "Did you mean 'mood'?" in en
    assert "sheet 'survey' row 6 column 'name'" in en and "first in row 2" in en
    zh = _messages(issues, "zh_CN")
    assert "工作表“survey”第 3 行“type”列" in zh


def test_a_rule_naming_an_unknown_field_points_at_its_row(tmp_path: Path):
    book = tmp_path / "talks.xlsx"
    _seeded_book(book)
    from openpyxl import load_workbook
    wb = load_workbook(book)
    ws = wb["survey"]
    ws["A3"], ws["A5"], ws["B6"], ws["E6"] = "integer", "select_one mood", "met_on", "yes"
    ws["D1"] = "hint"
    wb["choices"]["C3"] = "波动"
    wb.save(book)
    _definition, issues = lint_book(book)
    assert [(i.code.id, i.location) for i in issues] == [("FG410", "rules!B2")]
    assert "Did you mean 'sessions'?" in issues[0].message("en")
