"""The command line contract: forms, generate, extract, validate and their exit codes."""

from __future__ import annotations

import hashlib
import json
import zipfile

from openpyxl import Workbook

from tests.conftest import example, run_cli


def test_forms_lists_installed_forms():
    result = run_cli("forms", "--json")
    assert result.exit_code == 0
    forms = {f["id"]: f for f in json.loads(result.stdout)}
    assert forms["incident-report"]["version"] == "1.0.0"
    assert forms["incident-report"]["title"] == "学生欺凌事件报告表"
    assert "学生欺凌事件报告表" in run_cli("forms").stdout
    assert "Student bullying incident report" in run_cli("forms", lang="en").stdout


def test_prefilled_xlsx_extracts_the_example_unchanged(tmp_path):
    out = tmp_path / "filled.xlsx"
    data = tmp_path / "data.json"
    record = example("incident-report")
    record["school_name"] = "A&B <x> 《实验》学校"
    data.write_text(json.dumps(record, ensure_ascii=False), "utf-8")
    assert run_cli("generate", "incident-report", "--format", "xlsx", "--data", str(data), "-o", str(out)).exit_code == 0
    result = run_cli("extract", str(out))
    assert result.exit_code == 0
    assert json.loads(result.stdout) == {"form": "incident-report", "version": "1.0.0", "data": record}
    assert run_cli("validate", str(out)).exit_code == 0


def test_blank_form_is_invalid_with_required_fields(tmp_path):
    out = tmp_path / "blank.xlsx"
    run_cli("generate", "incident-report", "--format", "xlsx", "-o", str(out))
    result = run_cli("validate", "--json", str(out))
    assert result.exit_code == 1
    issues = json.loads(result.stdout)[0]["issues"]
    assert ("FG301", "school_name") in {(i["code"], i["path"]) for i in issues}
    assert ("FG301", "persons") in {(i["code"], i["path"]) for i in issues}


def test_unknown_form_and_bad_data_are_usage_errors(tmp_path):
    assert run_cli("generate", "no-such-form", "--format", "xlsx", "-o", str(tmp_path / "x.xlsx")).exit_code == 2
    bad = tmp_path / "bad.json"
    bad.write_text("[1, 2]", "utf-8")
    result = run_cli("generate", "incident-report", "--format", "xlsx", "--data", str(bad), "-o", str(tmp_path / "y.xlsx"))
    assert result.exit_code == 2
    assert not (tmp_path / "y.xlsx").exists()


def test_every_file_gets_a_result_and_originals_are_unchanged(tmp_path):
    good = tmp_path / "good.xlsx"
    run_cli("generate", "incident-report", "--format", "xlsx", "--data", _example_file(tmp_path), "-o", str(good))
    text = tmp_path / "notes.xlsx"
    text.write_text("这不是表格", "utf-8")
    broken = tmp_path / "broken.xlsx"
    with zipfile.ZipFile(broken, "w") as zf:
        zf.writestr("xl/workbook.xml", "<workbook")
    foreign = tmp_path / "foreign.xlsx"
    wb = Workbook()
    wb.active["A1"] = "自制表格"
    wb.save(foreign)
    files = [text, broken, foreign, good]
    before = {f: hashlib.sha256(f.read_bytes()).hexdigest() for f in files}

    result = run_cli("validate", "--json", *map(str, files))
    assert result.exit_code == 1
    report = {r["file"]: r for r in json.loads(result.stdout)}
    assert [r["file"] for r in json.loads(result.stdout)] == [str(f) for f in files]
    assert [i["code"] for i in report[str(text)]["issues"]] == ["FG102"]
    assert [i["code"] for i in report[str(broken)]["issues"]] == ["FG101"]
    assert [i["code"] for i in report[str(foreign)]["issues"]] == ["FG103"]
    assert report[str(good)]["valid"] is True
    assert {f: hashlib.sha256(f.read_bytes()).hexdigest() for f in files} == before


def test_extract_of_unreadable_file_exits_1(tmp_path):
    text = tmp_path / "notes.xlsx"
    text.write_text("not a workbook", "utf-8")
    result = run_cli("extract", str(text))
    assert result.exit_code == 1
    assert "FG102" in result.stderr


def _example_file(tmp_path):
    path = tmp_path / "example.json"
    path.write_text(json.dumps(example("incident-report"), ensure_ascii=False), "utf-8")
    return str(path)


def test_text_typed_outside_the_form_is_reported_not_dropped(tmp_path):
    from openpyxl import load_workbook

    out = tmp_path / "filled.xlsx"
    run_cli("generate", "incident-report", "--format", "xlsx", "--data", _example_file(tmp_path), "-o", str(out))
    wb = load_workbook(out)
    wb["表单"]["H3"] = "补充说明：家长已到校"
    wb.save(out)
    result = run_cli("validate", "--json", str(out))
    report = json.loads(result.stdout)[0]
    assert [(i["code"], i["severity"], i["location"]) for i in report["issues"]] == [("FG108", "warning", "表单!H3")]
    assert report["valid"] is True
    assert result.exit_code == 0


def test_pattern_hint_follows_the_language(tmp_path):
    out = tmp_path / "letter.xlsx"
    data = tmp_path / "data.json"
    record = example("notice-letter")
    record["doc_number"] = "辽教办〔21〕05号"
    data.write_text(json.dumps(record, ensure_ascii=False), "utf-8")
    run_cli("generate", "notice-letter", "--format", "xlsx", "--data", str(data), "-o", str(out))
    chinese = json.loads(run_cli("validate", "--json", str(out)).stdout)[0]["issues"]
    english = json.loads(run_cli("validate", "--json", str(out), lang="en").stdout)[0]["issues"]
    assert [(i["code"], i["path"]) for i in chinese] == [("FG306", "doc_number")]
    assert "机关代字＋〔年份〕＋序号" in chinese[0]["message"]
    assert "agency code + 〔year〕 + number" in english[0]["message"]


def test_a_file_from_an_earlier_edit_of_the_definition_is_read_with_a_warning(tmp_path):
    from openpyxl import load_workbook

    out = tmp_path / "filled.xlsx"
    run_cli("generate", "incident-report", "--format", "xlsx", "--data", _example_file(tmp_path), "-o", str(out))
    wb = load_workbook(out)
    wb["formgen"]["B3"] = "0123456789abcdef"  # the hash of an earlier edit of the same version
    wb.save(out)
    result = run_cli("validate", "--json", str(out), lang="en")
    report = json.loads(result.stdout)[0]
    assert [(i["code"], i["severity"]) for i in report["issues"]] == [("FG109", "warning")]
    assert "earlier edit of form 'incident-report' version 1.0.0" in report["issues"][0]["message"]
    assert report["valid"] is True


def test_a_broken_definition_in_the_forms_folder_is_named(tmp_path):
    from click.testing import CliRunner

    from formgen.cli import cli

    (tmp_path / "broken.json").write_text('{"x-formgen": {"id": "broken"', "utf-8")
    result = CliRunner().invoke(cli, ["--forms", str(tmp_path), "forms"])
    assert result.exit_code == 2
    assert "broken.json" in result.stderr and "formgen lint" in result.stderr
