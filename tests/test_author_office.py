"""A new form made only through the authoring workbook: 心理辅导跟踪记录表 is written in a workbook with Chinese
headers, lint finds the seeded mistake, the fixed workbook is published, generated in all three formats, filled
in LibreOffice (Excel) and pdftk (PDF), and read back valid."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook
from openpyxl.utils.cell import range_boundaries

from formgen.layout.xlsx import FORM_SHEET, defined_name, table_name
from tests.conftest import run_cli
from tests.returns import pdftk_fill

pytestmark = pytest.mark.office

SURVEY = [
    ("类型", "字段名", "标题", "提示", "必填", "约束", "个人信息", "分节"),
    ("文本", "school_name", "学校名称", "填写全称", "是", "string-length(.) <= 60", None, "基本信息"),
    ("文本", "student", "学生", None, "是", None, "是", None),
    ("日期", "started_on", "开始辅导日期", None, "是", None, None, None),
    ("单选 level", "level", "关注等级", None, "是", None, None, None),
    ("开始重复", "sessions", "辅导记录", None, None, None, None, "辅导记录"),
    ("日期", "on", "日期", None, "是", None, None, None),
    ("intger", "minutes", "时长（分钟）", None, None, ". >= 0 and . <= 240", None, None),   # the seeded mistake
    ("文本", "counsellor", "辅导教师", None, None, None, None, None),
    ("结束重复", "sessions", None, None, None, None, None, None),
    ("select_one yes_no", "referred", "是否转介", None, "是", None, None, "结论"),
    ("说明", "note_1", "注：本表涉及学生个人信息，请严格保密。", None, None, None, None, None),
]
CHOICES = [("列表名", "选项值", "选项标签"), ("level", "normal", "一般关注"), ("level", "close", "重点关注"),
           ("level", "urgent", "紧急"), ("yes_no", "yes", "是"), ("yes_no", "no", "否")]
SETTINGS = [("表单编号", "版本", "表单标题", "单位名称字段"), ("counselling-record", "1.0.0", "心理辅导跟踪记录表", "school_name")]

TYPED = {"school_name": "沈阳市第八十二中学", "student": "李某某", "started_on": "2021-03-05", "level": "重点关注"}
SESSIONS = [("2021-03-05", "40", "王老师"), ("2021-03-12", "30", "王老师")]
EXPECTED = {"school_name": "沈阳市第八十二中学", "student": "李某某", "started_on": "2021-03-05", "level": "close",
            "sessions": [{"on": "2021-03-05", "minutes": 40, "counsellor": "王老师"},
                         {"on": "2021-03-12", "minutes": 30, "counsellor": "王老师"}],
            "referred": False}


def _write_book(path: Path) -> None:
    wb = Workbook()
    for title, rows in (("题目", SURVEY), ("选项", CHOICES), ("设置", SETTINGS)):
        ws = wb.active if title == "题目" else wb.create_sheet(title)
        ws.title = title
        for row in rows:
            ws.append(list(row))
    wb.save(path)


def _publish(tmp_path: Path) -> Path:
    book, forms = tmp_path / "心理辅导跟踪记录表.xlsx", tmp_path / "forms"
    _write_book(book)
    lint = run_cli("author", "lint", str(book), lang="en")
    assert lint.exit_code == 2
    assert "FG421 survey!A8" not in lint.stderr and "FG421 题目!A8" in lint.stderr
    assert "'intger' is not a question type. Did you mean 'integer'?" in lint.stderr
    wb = load_workbook(book)
    wb["题目"]["A8"] = "整数"   # the author fixes the row lint named
    wb.save(book)
    assert run_cli("author", "lint", str(book)).exit_code == 0
    result = run_cli("author", "import", str(book), "-o", str(forms / "counselling-record.json"))
    assert result.exit_code == 0, result.stderr
    return forms


def _extract(forms: Path, path: Path) -> dict:
    result = run_cli("--forms", str(forms), "validate", str(path), "--json")
    report = json.loads(result.stdout)[0]
    assert result.exit_code == 0 and report["valid"], report["issues"]
    data = json.loads(run_cli("--forms", str(forms), "extract", str(path)).stdout)
    assert (data["form"], data["version"]) == ("counselling-record", "1.0.0")
    return data["data"]


def test_a_form_made_in_the_workbook_is_filled_in_libreoffice_and_pdftk_and_reads_back(office, tmp_path: Path):
    forms = _publish(tmp_path)
    blanks = {}
    for fmt in ("xlsx", "docx", "pdf"):
        blanks[fmt] = tmp_path / f"blank.{fmt}"
        result = run_cli("--forms", str(forms), "generate", "counselling-record", "--format", fmt,
                         "-o", str(blanks[fmt]))
        assert result.exit_code == 0, result.stderr

    ws = load_workbook(blanks["xlsx"])[FORM_SHEET]
    min_col, header, _c, _r = range_boundaries(ws.tables[table_name("sessions")].ref)
    ops = [{"op": "open", "path": str(blanks["xlsx"])}]
    ops += [{"op": "type", "name": defined_name(name), "text": text} for name, text in TYPED.items()]
    ops.append({"op": "type", "name": defined_name("referred"), "text": "否"})
    for i, session in enumerate(SESSIONS):
        for col, text in zip("ABC", session):
            letter = chr(ord("A") + min_col - 1 + "ABC".index(col))
            ops.append({"op": "type", "cell": f"{FORM_SHEET}!{letter}{header + 1 + i}", "text": text})
    filled_xlsx = tmp_path / "filled.xlsx"
    ops += [{"op": "save", "path": str(filled_xlsx)}, {"op": "close"}]
    office.run(ops)
    assert _extract(forms, filled_xlsx) == EXPECTED

    values = dict(TYPED, referred="No")   # the yes/no field is a pair of boxes: 否 ticked
    for i, (on, minutes, counsellor) in enumerate(SESSIONS):
        values.update({f"sessions.{i}.on": on, f"sessions.{i}.minutes": minutes, f"sessions.{i}.counsellor": counsellor})
    filled_pdf = tmp_path / "filled.pdf"
    pdftk_fill(blanks["pdf"], filled_pdf, values)
    assert _extract(forms, filled_pdf) == EXPECTED

    blank_docx = run_cli("--forms", str(forms), "validate", str(blanks["docx"]), "--json")
    issues = {(i["code"], i["path"]) for i in json.loads(blank_docx.stdout)[0]["issues"]}
    assert ("FG301", "school_name") in issues   # the Word form reads back: an empty required field is named
