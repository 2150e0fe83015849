"""Every issue about a field says where it is in the file, required fields left empty included, and the
report counts errors and warnings apart."""

from __future__ import annotations

import json

import pytest
from openpyxl import load_workbook

from tests.conftest import ROOT, example, run_cli


@pytest.mark.parametrize("fmt, example", [("xlsx", "表单!B4"), ("docx", "表1!R1C2"), ("pdf", "report_kind")])
def test_required_fields_left_empty_are_reported_with_their_place(tmp_path, fmt, example):
    blank = tmp_path / f"blank.{fmt}"
    assert run_cli("generate", "incident-report", "-o", str(blank)).exit_code == 0
    issues = json.loads(run_cli("validate", "--json", str(blank)).stdout)[0]["issues"]
    required = {i["path"]: i.get("location") for i in issues if i["code"] == "FG301"}
    assert {"report_kind", "school_name", "persons"} <= set(required)
    assert all(required.values()), required
    assert required["report_kind"] == example
    text = run_cli("validate", str(blank)).stdout
    assert f"FG301 错误 report_kind [{example}]" in text


def test_rule_issues_name_the_cell_or_column(tmp_path):
    invalid = ROOT / "tests" / "data" / "incident-report-invalid.json"
    out = tmp_path / "invalid.xlsx"
    run_cli("generate", "incident-report", "--data", str(invalid), "-o", str(out))
    issues = json.loads(run_cli("validate", "--json", str(out)).stdout)[0]["issues"]
    where = {(i["code"], i["path"]): i.get("location") for i in issues}
    assert where[("FG320", "initial_report_no")] == "表单!B6"
    assert where[("FG320", "persons.role")].startswith("表单!") and ":" in where[("FG320", "persons.role")]
    assert all(where.values()), where


def test_the_summary_counts_errors_and_warnings_apart(tmp_path):
    data = tmp_path / "data.json"
    data.write_text(json.dumps(example("incident-report"), ensure_ascii=False), "utf-8")
    out = tmp_path / "filled.xlsx"
    run_cli("generate", "incident-report", "--data", str(data), "-o", str(out))
    wb = load_workbook(out)
    wb["表单"]["H3"] = "补充说明"
    wb.save(out)
    chinese = run_cli("validate", str(out))
    assert chinese.exit_code == 0
    lines = chinese.stdout.splitlines()
    assert lines[0] == f"{out}：合格 incident-report 1.0.0（0 个错误，1 个警告）"
    assert lines[1] == "  FG108 警告 - [表单!H3]"
    assert lines[-1] == "共 1 个文件，1 个合格（合计 0 个错误，1 个警告）。"
    english = run_cli("validate", str(out), lang="en").stdout.splitlines()
    assert english[0] == f"{out}: valid incident-report 1.0.0 (0 error(s), 1 warning(s))"
    assert english[1] == "  FG108 warning - [表单!H3]"
