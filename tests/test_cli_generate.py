"""`formgen generate`: the format from the file name, forms by id, title or prefix, --all, and --data
checked against the definition before the file is written."""

from __future__ import annotations

import json

import pytest

from formgen.read import sniff
from tests.conftest import example, run_cli


@pytest.mark.parametrize("name, fmt", [("报告表.xlsx", "xlsx"), ("报告表.DOCX", "docx"), ("报告表.pdf", "pdf")])
def test_the_format_follows_the_extension(tmp_path, name, fmt):
    out = tmp_path / name
    result = run_cli("generate", "incident-report", "-o", str(out))
    assert result.exit_code == 0, result.output
    assert sniff(out.read_bytes()) == fmt


@pytest.mark.parametrize("given, fmt", [("PDF", "pdf"), ("word", "docx"), ("Excel", "xlsx"), ("DocX", "docx")])
def test_format_names_in_any_case_and_their_aliases(tmp_path, given, fmt):
    out = tmp_path / "form.out"
    assert run_cli("generate", "incident-report", "--format", given, "-o", str(out)).exit_code == 0
    assert sniff(out.read_bytes()) == fmt


def test_a_format_that_disagrees_with_the_extension_is_refused(tmp_path):
    out = tmp_path / "x.pdf"
    result = run_cli("generate", "incident-report", "--format", "docx", "-o", str(out))
    assert result.exit_code == 2 and not out.exists()
    assert "--format docx 生成的是 Word 文件（.docx），但文件名" in result.stderr and "x.docx" in result.stderr
    english = run_cli("generate", "incident-report", "--format", "word", "-o", str(out), lang="en")
    assert "--format docx writes a Word file (.docx), but the file name" in english.stderr


def test_no_format_and_no_known_extension(tmp_path):
    result = run_cli("generate", "incident-report", "-o", str(tmp_path / "x.doc"))
    assert result.exit_code == 2
    assert "无法从文件名" in result.stderr and ".xlsx、.docx 或 .pdf" in result.stderr
    bad = run_cli("generate", "incident-report", "--format", "odt", "-o", str(tmp_path / "x.odt"))
    assert bad.exit_code == 2 and "“odt”不是 formgen 能生成的格式" in bad.stderr


@pytest.mark.parametrize("name", ["学生欺凌事件报告表", "incident", "Student bullying incident", "INCIDENT-REPORT",
                                  "学生欺凌事件报", "事件报告表"])
def test_a_form_by_its_title_or_a_unique_beginning(tmp_path, name):
    out = tmp_path / "x.xlsx"
    assert run_cli("generate", name, "-o", str(out)).exit_code == 0
    assert json.loads(run_cli("extract", str(out)).stdout)["form"] == "incident-report"


def test_an_unknown_or_ambiguous_form_says_which_were_meant(tmp_path):
    typo = run_cli("generate", "incidnt-report", "-o", str(tmp_path / "x.xlsx"))
    assert typo.exit_code == 2
    assert "没有名为“incidnt-report”的表单。是不是要找：incident-report（学生欺凌事件报告表）？" in typo.stderr
    ambiguous = run_cli("generate", "学生欺凌事件", "-o", str(tmp_path / "x.xlsx"))
    assert ambiguous.exit_code == 2
    assert "可以指以下多个表单" in ambiguous.stderr and "appeal（学生欺凌事件申诉书）" in ambiguous.stderr
    nothing = run_cli("generate", "zzzz", "-o", str(tmp_path / "x.xlsx"))
    assert nothing.exit_code == 2 and "是不是" not in nothing.stderr and "formgen forms" in nothing.stderr
    assert not list(tmp_path.iterdir())


def test_all_writes_every_form_in_every_format(tmp_path):
    forms = [f["id"] for f in json.loads(run_cli("forms", "--json").stdout)]
    out = tmp_path / "空白表"
    assert run_cli("generate", "--all", "--format", "xlsx", "-o", str(out)).exit_code == 0
    assert sorted(p.name for p in out.iterdir()) == sorted(f"{f}.xlsx" for f in forms)
    assert run_cli("generate", "--all", "incident-report", "-o", str(out)).exit_code == 2
    assert run_cli("generate", "-o", str(out)).exit_code == 2


def _bad_record(tmp_path):
    record = example("incident-report")
    record["severity"] = "很严重"
    record["persons"][1]["age"] = "十三"
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(record, ensure_ascii=False), "utf-8")
    return path


def test_data_that_break_the_definition_are_reported_by_label_and_still_written(tmp_path):
    out = tmp_path / "x.xlsx"
    result = run_cli("generate", "incident-report", "--data", str(_bad_record(tmp_path)), "-o", str(out))
    assert result.exit_code == 0 and out.exists()
    assert "与表单 incident-report 的要求不符（2 个错误，0 个警告）" in result.stderr
    assert "FG205 错误 severity" in result.stderr and "“情节程度”（severity）" in result.stderr
    assert "FG310 错误 persons.1.age" in result.stderr and "“涉及人员 第2行 年龄”" in result.stderr
    assert "表单仍按这些值生成" in result.stderr
    assert "张某某" not in result.stderr and "赵某某" not in result.stderr  # names are never shown


def test_strict_data_check_writes_nothing_and_exits_1(tmp_path):
    out = tmp_path / "x.xlsx"
    result = run_cli("generate", "incident-report", "--data", str(_bad_record(tmp_path)), "--strict", "-o", str(out))
    assert result.exit_code == 1 and not out.exists()
    assert "没有生成文件（--strict）" in result.stderr
    good = tmp_path / "good.json"
    good.write_text(json.dumps(example("incident-report"), ensure_ascii=False), "utf-8")
    ok = run_cli("generate", "incident-report", "--data", str(good), "--strict", "-o", str(out))
    assert ok.exit_code == 0 and out.exists() and "不符" not in ok.stderr


def test_a_partial_record_is_not_a_problem(tmp_path):
    """A pre-fill may leave fields for people to fill: only values that break the form are reported."""
    partial = tmp_path / "partial.json"
    partial.write_text(json.dumps({"school_name": "沈阳市第八十二中学"}, ensure_ascii=False), "utf-8")
    out = tmp_path / "x.xlsx"
    result = run_cli("generate", "incident-report", "--data", str(partial), "--strict", "-o", str(out))
    assert result.exit_code == 0 and out.exists()
    assert "不符" not in result.stderr
