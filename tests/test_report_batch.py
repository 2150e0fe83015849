"""The batch's outputs for people (issue 9): report.xlsx, the 退回修改通知 per unit, 催报名单.csv.

Made from hand-written results.jsonl lines (one of each status) and a submission table, then read back
with openpyxl, python-docx and the csv module.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import zipfile
from collections import Counter
from pathlib import Path

import docx
import openpyxl
import pytest
from lxml import etree

from tests.batch_results import RESULTS, ROSTER, SUBMISSIONS
from formgen.export import clean, neutralise
from formgen.report.batch import notice_name, write_reminders, write_report, write_return_notices


def results():
    return iter(json.loads(line) for line in RESULTS)


def dicts() -> list[dict]:
    return list(results())


@pytest.fixture(scope="module")
def report_zh(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("zh")
    write_report(out, results, SUBMISSIONS, "zh_CN")
    return out / "report.xlsx"


@pytest.fixture(scope="module")
def report_en(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("en") / "report.xlsx"
    write_report(out, results, SUBMISSIONS, "en")
    return out


def rows(ws) -> list[list]:
    return [list(r) for r in ws.iter_rows(values_only=True)]


def table(ws, heading: str) -> tuple[int, list, list[list]]:
    """The table under section ``heading`` on the summary: (header row number, header, rows before 合计)."""
    all_rows = rows(ws)
    start = next(i for i, r in enumerate(all_rows) if r[0] == heading)
    header = all_rows[start + 1]
    body = []
    for r in all_rows[start + 2:]:
        if r[0] in ("合计", "Total"):
            break
        body.append(r)
    return start + 2, header, body


# -- report.xlsx -----------------------------------------------------------------------------------

def test_sheet_names_and_headers_in_chinese(report_zh):
    wb = openpyxl.load_workbook(report_zh)
    assert wb.sheetnames == ["汇总", "问题清单", "报送情况", "文件清单"]
    assert rows(wb["问题清单"])[1] == ["单位代码", "单位名称", "文件", "字段", "地址", "单元格或页", "代码",
                                       "严重程度", "问题说明"]
    assert rows(wb["报送情况"])[1] == ["单位代码", "单位名称", "联系人", "联系电话", "表单", "表单名称",
                                       "报送状态", "报送文件"]
    assert rows(wb["文件清单"])[1] == ["文件", "状态", "表单", "版本", "格式", "单位代码", "单位名称",
                                       "收到时间", "逾期", "错误数", "警告数", "备注"]
    _, header, _ = table(wb["汇总"], "按表单统计（文件数）")
    assert header[:10] == ["表单", "表单名称", "合格", "不合格", "无法读取", "重复", "已被替换", "已跳过", "合计",
                           "其中逾期"]


def test_sheet_names_and_headers_in_english(report_en):
    wb = openpyxl.load_workbook(report_en)
    assert wb.sheetnames == ["Summary", "Issues", "Submissions", "Files"]
    assert rows(wb["Issues"])[1] == ["Unit code", "Unit name", "File", "Field", "Address", "Cell or page", "Code",
                                     "Severity", "Message"]
    assert rows(wb["Files"])[2][1] in {"valid", "invalid", "unreadable", "duplicate", "superseded", "skipped"}
    _, header, _ = table(wb["Summary"], "Forms per unit (from the roster)")
    assert header[:8] == ["Unit code", "Unit name", "valid", "invalid", "missing", "late", "duplicate", "Forms due"]


def test_without_a_roster_there_is_no_submissions_sheet(tmp_path):
    write_report(tmp_path, results, None, "zh_CN")
    wb = openpyxl.load_workbook(tmp_path / "report.xlsx")
    assert wb.sheetnames == ["汇总", "问题清单", "文件清单"]
    series = refs(chart_xml(tmp_path / "report.xlsx"), "//c:ser/c:tx/c:strRef/c:f")
    head, _, _ = table(wb["汇总"], "按单位统计（文件数）")
    assert series == [f"'汇总'!C{head}", f"'汇总'!D{head}"]  # 合格 and 不合格 files per unit


STATUS_COLUMNS = ["valid", "invalid", "unreadable", "duplicate", "superseded", "skipped"]


def test_summary_counts_equal_the_results(report_zh):
    ws = openpyxl.load_workbook(report_zh)["汇总"]
    data = dicts()
    _, _, per_form = table(ws, "按表单统计（文件数）")
    expected = Counter((r["form"], r["status"]) for r in data)
    forms = {r["form"] for r in data}
    assert len(per_form) == len(forms)
    for row in per_form:
        form = None if row[0] == "（未识别表单）" else row[0]
        assert row[2:8] == [expected[(form, s)] for s in STATUS_COLUMNS], row
        assert row[8] == sum(1 for r in data if r["form"] == form)
        assert row[9] == sum(1 for r in data if r["form"] == form and r["late"])
    assert {r[1] for r in per_form} >= {"学生欺凌隐患排查台账"}  # titles from the submission table

    _, _, per_unit = table(ws, "按单位统计（文件数）")
    code = lambda r: (r["unit"] or {}).get("code")  # noqa: E731
    expected = Counter((code(r), r["status"]) for r in data)
    assert [r[0] for r in per_unit] == ["2101010001", "2101010002", "2103010005", "2103010006", None]
    for row in per_unit:
        unit = row[0] or None
        assert row[2:8] == [expected[(unit, s)] for s in STATUS_COLUMNS], row
    assert per_unit[-1][1] == "（未识别单位）"

    totals = next(r for r in rows(ws) if r[0] == "合计")
    assert totals[2:10] == [sum(1 for r in data if r["status"] == s) for s in STATUS_COLUMNS] + [
        len(data), sum(r["late"] for r in data)]
    assert rows(ws)[1][0].startswith(f"共 {len(data)} 个文件：合格 2 个，不合格 3 个，无法读取 1 个")


def test_submission_counts_per_unit(report_zh):
    ws = openpyxl.load_workbook(report_zh)["汇总"]
    _, header, per_unit = table(ws, "各单位报送情况（按名册，表单数）")
    expected = {}
    for row in SUBMISSIONS:
        expected.setdefault(row["unit_code"], Counter())[row["status"]] += 1
    assert [r[0] for r in per_unit] == list(expected)
    for row in per_unit:
        counts = expected[row[0]]
        assert row[2:8] == [counts[s] for s in ("valid", "invalid", "missing", "late", "duplicate")] + [
            sum(counts.values())]


C = {"c": "http://schemas.openxmlformats.org/drawingml/2006/chart"}


def chart_xml(path: Path) -> etree._Element:
    with zipfile.ZipFile(path) as z:
        charts = [n for n in z.namelist() if n.startswith("xl/charts/chart")]
        assert len(charts) == 1
        return etree.fromstring(z.read(charts[0]))


def refs(chart: etree._Element, xpath: str) -> list[str]:
    return [f.replace("$", "") for f in chart.xpath(xpath + "/text()", namespaces=C)]


def test_the_chart_is_a_stacked_bar_of_the_state_per_unit(report_zh):
    ws = openpyxl.load_workbook(report_zh)["汇总"]
    head, header, per_unit = table(ws, "各单位报送情况（按名册，表单数）")
    chart = chart_xml(report_zh)
    assert chart.xpath("//c:barChart/c:barDir/@val", namespaces=C) == ["bar"]
    assert chart.xpath("//c:barChart/c:grouping/@val", namespaces=C) == ["stacked"]
    last = head + len(per_unit)
    # series 合格, 不合格, 未报送, 逾期: titles from the header row, values from the unit rows
    titles = refs(chart, "//c:ser/c:tx/c:strRef/c:f")
    values = refs(chart, "//c:ser/c:val/c:numRef/c:f")
    cats = set(refs(chart, "//c:ser/c:cat//c:f"))
    assert titles == [f"'汇总'!{c}{head}" for c in "CDEF"]
    assert values == [f"'汇总'!{c}{head + 1}:{c}{last}" for c in "CDEF"]
    assert cats == {f"'汇总'!B{head + 1}:B{last}"}
    assert [header[ord(c) - ord("A")] for c in "CDEF"] == ["合格", "不合格", "未报送", "逾期"]


def test_one_issue_row_per_issue(report_zh):
    ws = openpyxl.load_workbook(report_zh)["问题清单"]
    got = [(r[2], r[6], r[3], r[5], r[7], r[8]) for r in rows(ws)[2:]]
    severity = {"error": "错误", "warning": "警告"}
    want = [tuple(neutralise(v) if v else None for v in (
        r["path"], i["code"], i.get("label"), i.get("location"), severity[i["severity"]], i["message"]))
        for r in dicts() for i in r["issues"]]
    assert got == want
    assert rows(ws)[0][0] == "问题清单（共 11 条：错误 5 条，警告 6 条）"


def test_filters_frozen_headers_colours_and_print_setup(report_zh):
    wb = openpyxl.load_workbook(report_zh)
    issues = wb["问题清单"]
    assert issues.freeze_panes == "A3"
    assert issues.auto_filter.ref == f"A2:I{issues.max_row}"
    rules = {r.formula[0]: r.dxf.fill.bgColor.rgb for cf in issues.conditional_formatting for r in cf.rules}
    assert rules == {'$H3="错误"': "00FFC7CE", '$H3="警告"': "00FFEB9C"}
    assert [str(cf.sqref) for cf in issues.conditional_formatting] == [f"A3:I{issues.max_row}"]
    for name in wb.sheetnames:
        ws = wb[name]
        assert ws.page_setup.orientation == "landscape"
        assert ws.page_setup.fitToWidth == 1 and ws.page_setup.fitToHeight == 0
        assert ws.sheet_properties.pageSetUpPr.fitToPage
    for name in ("问题清单", "报送情况", "文件清单"):
        assert wb[name].print_title_rows == "$2:$2"
        assert wb[name].auto_filter.ref.startswith("A2:")
    files = wb["文件清单"]
    assert files.freeze_panes == "B3"
    assert files.column_dimensions["A"].width >= 30  # the longest path is 13 Chinese characters and more


def test_formula_like_text_is_neutralised_and_control_characters_cleaned(report_zh):
    wb = openpyxl.load_workbook(report_zh)
    files = rows(wb["文件清单"])
    assert "'=HYPERLINK(\"http://example.com\",\"点我\").xlsx" in [r[0] for r in files]
    names = {r[6] for r in files[2:]}
    assert "'+鞍山市第六中学" in names
    issues = rows(wb["问题清单"])
    assert "'-1 不是有效的人数" in [r[8] for r in issues]
    assert "班级名称" in [r[3] for r in issues]  # the bell character in the label is gone
    with zipfile.ZipFile(report_zh) as z:
        for name in z.namelist():
            if name.startswith("xl/worksheets/"):
                assert "<f>" not in z.read(name).decode("utf-8"), name  # no formula anywhere


def test_files_sheet_has_every_file_in_words(report_zh):
    ws = openpyxl.load_workbook(report_zh)["文件清单"]
    body = rows(ws)[2:]
    words = {"valid": "合格", "invalid": "不合格", "unreadable": "无法读取", "duplicate": "重复",
             "superseded": "已被替换", "skipped": "已跳过"}
    assert [(r[0].lstrip("'"), r[1]) for r in body] == [(d["path"], words[d["status"]]) for d in dicts()]
    late = [r for r in body if r[8] == "是"]
    assert {r[0] for r in late} == {d["path"] for d in dicts() if d["late"]}
    received = body[0][7]
    assert received == dt.datetime(2021, 3, 9, 10, 20, 30)
    dup = next(r for r in body if r[1] == "重复")
    assert dup[11] == "与 沈阳/一中/台账.xlsx 内容完全相同"


def test_submissions_sheet_lists_every_unit_and_form_with_its_contact(report_zh):
    ws = openpyxl.load_workbook(report_zh)["报送情况"]
    body = rows(ws)[2:]
    words = {"valid": "合格", "invalid": "不合格", "missing": "未报送", "late": "逾期", "duplicate": "重复"}
    assert [(r[0], r[4], r[6]) for r in body] == [(s["unit_code"], s["form"], words[s["status"]])
                                                  for s in SUBMISSIONS]
    assert body[-2][2:4] == ["王老师", "13800000007"]


# -- 退回修改通知 -------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def notices(tmp_path_factory) -> list[Path]:
    out = tmp_path_factory.mktemp("out")
    return write_return_notices(out, results, ROSTER, "某某县教育局", "zh_CN", today=dt.date(2021, 3, 25))


def notice_text(path: Path) -> tuple[list[str], list[list[list[str]]]]:
    document = docx.Document(str(path))
    tables = [[[c.text for c in row.cells] for row in t.rows] for t in document.tables]
    return [p.text for p in document.paragraphs], tables


def test_one_notice_per_unit_with_problems(notices):
    assert [p.name for p in notices] == ["2101010002-沈阳市第二中学.docx", "2103010005-鞍山市第五中学.docx",
                                         "2103010006-+鞍山市第六中学.docx"]
    assert all(p.parent.name == "退回" for p in notices)


def test_each_notice_lists_exactly_its_units_problems(notices):
    data = dicts()
    for path in notices:
        code = path.name.split("-")[0]
        paragraphs, tables = notice_text(path)
        mine = [r for r in data if (r["unit"] or {}).get("code") == code
                and (r["status"] in ("invalid", "unreadable") or r["late"] and r["status"] == "valid")]
        assert len(tables) == len(mine)
        for result, rows_ in zip(mine, tables):
            assert rows_[0] == ["序号", "字段", "单元格或页", "类别", "问题及修改要求"]
            assert [r[4] for r in rows_[1:]] == [i["message"] for i in result["issues"]]
            assert [r[1] for r in rows_[1:]] == [clean(i.get("label") or "—") for i in result["issues"]]
            assert [r[2] for r in rows_[1:]] == [i.get("location") or "—" for i in result["issues"]]
            assert any(result["path"] in p for p in paragraphs)
        others = {i["message"] for r in data if (r["unit"] or {}).get("code") != code for i in r["issues"]}
        body = "\n".join(paragraphs + [c for t in tables for row in t for c in row])
        assert not {m for m in others if m in body} - {i["message"] for r in mine for i in r["issues"]}
        assert "退回修改通知" == paragraphs[0]
        assert paragraphs[-2:] == ["某某县教育局", "2021年3月25日"]


def test_the_notice_names_the_unit_from_the_roster_and_says_how_many_files(notices):
    paragraphs, _ = notice_text(notices[0])
    assert paragraphs[2] == "沈阳市第二中学："
    assert paragraphs[3].startswith("经审核，你单位报送的以下 2 个文件存在问题")
    assert "一、沈阳/二中/台账.xlsx（不合格）" in paragraphs
    assert "二、沈阳/二中/统计表.docx（不合格，逾期）" in paragraphs


def test_the_notice_uses_the_letter_fonts_on_a4(notices):
    document = docx.Document(str(notices[0]))
    section = document.sections[0]
    assert (round(section.page_width.mm), round(section.page_height.mm)) == (210, 297)
    assert (round(section.top_margin.mm), round(section.left_margin.mm)) == (37, 28)
    fonts = {s.name: s.element.rPr.rFonts.get("{http://schemas.openxmlformats.org/wordprocessingml/2006/main}eastAsia")
             for s in document.styles if s.type == 1 and s.name in ("Normal", "NoticeTitle", "NoticeHeading")}
    assert fonts == {"Normal": "仿宋_GB2312", "NoticeTitle": "方正小标宋简体", "NoticeHeading": "黑体"}
    header = document.tables[0].rows[0]._tr
    assert header.trPr.find("{http://schemas.openxmlformats.org/wordprocessingml/2006/main}tblHeader") is not None


def test_an_english_notice(tmp_path):
    written = write_return_notices(tmp_path, results, None, "County Education Bureau", "en",
                                   today=dt.date(2021, 3, 25))
    paragraphs, tables = notice_text(written[0])
    assert paragraphs[0] == "Notice of return for correction"
    assert "1. 沈阳/二中/台账.xlsx (invalid)" in paragraphs
    assert tables[0][0] == ["No.", "Field", "Cell or page", "Kind", "Problem and what to do"]
    assert paragraphs[-1] == "25 March 2021"
    assert written[2].name == "2103010006-+鞍山市第六中学.docx"  # the name from the results without a roster


def test_a_stale_notice_is_removed_on_the_next_round(tmp_path):
    write_return_notices(tmp_path, results, ROSTER, "某某县教育局", "zh_CN")
    fixed = lambda: (r for r in results() if (r["unit"] or {}).get("code") != "2103010005")  # noqa: E731
    written = write_return_notices(tmp_path / "退回", fixed, ROSTER, "某某县教育局", "zh_CN")
    assert sorted(p.name for p in (tmp_path / "退回").iterdir()) == sorted(p.name for p in written)
    assert "2103010005-鞍山市第五中学.docx" not in [p.name for p in written]


def test_notice_names_are_safe_on_windows():
    assert notice_name("2101", 'a/b\\c:d*e?f"g<h>i|j\x01') == "2101-a_b_c_d_e_f_g_h_i_j_.docx"
    assert notice_name("CON", "") == "_CON.docx"
    assert notice_name("1", "学校. ") == "1-学校.docx"
    assert len(notice_name("1", "长" * 300)) <= 125


# -- 催报名单.csv -------------------------------------------------------------------------------------

def test_the_reminder_list_has_the_missing_and_late_units(tmp_path):
    write_reminders(tmp_path, SUBMISSIONS, "zh_CN")
    raw = (tmp_path / "催报名单.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    lines = list(csv.reader(raw.decode("utf-8-sig").splitlines()))
    assert lines[0] == ["单位代码", "单位名称", "联系人", "联系电话", "未报送表单", "逾期表单"]
    assert lines[1:] == [
        ["2101010001", "沈阳市第一中学", "李老师", "13800000001", "基本情况统计表", ""],
        ["2101010002", "沈阳市第二中学", "张老师", "13800000002", "", "基本情况统计表"],
        ["2103010005", "鞍山市第五中学", "赵老师", "13800000005", "", "学生欺凌隐患排查台账"],
        ["2103010007", "鞍山市第七中学", "王老师", "13800000007", "学生欺凌隐患排查台账、基本情况统计表", ""],
        ["2103010009", "'=鞍山九中", "'@钱老师", "'+86 138 0000 0009", "学生欺凌隐患排查台账", ""],
    ]


def test_the_reminder_list_in_english(tmp_path):
    out = tmp_path / "reminders.csv"
    write_reminders(out, SUBMISSIONS, "en")
    lines = list(csv.reader(out.read_text("utf-8-sig").splitlines()))
    assert lines[0] == ["Unit code", "Unit name", "Contact", "Phone", "Forms missing", "Forms late"]
    assert lines[4][4] == "学生欺凌隐患排查台账; 基本情况统计表"


def test_a_row_of_wrapped_text_is_as_tall_as_its_lines(tmp_path):
    long = "请在“排查人数”中填写本次排查的学生人数，" * 12  # far wider than the message column
    one = [json.dumps({**json.loads(RESULTS[0]), "status": "invalid", "issues": [
        {"code": "FG301", "severity": "error", "path": "checked", "label": "排查人数", "message": long}]},
        ensure_ascii=False)]
    write_report(tmp_path, lambda: iter(json.loads(line) for line in one), None, "zh_CN")
    ws = openpyxl.load_workbook(tmp_path / "report.xlsx")["问题清单"]
    width = ws.column_dimensions["I"].width
    lines = ws.row_dimensions[3].height / 15.6
    assert lines == pytest.approx(len(long) * 2 / (width - 1.5), abs=1)
    assert ws.row_dimensions[2].height is None  # one line: the default height


def test_the_roster_s_own_submission_table_goes_through_all_three_writers(tmp_path):
    from formgen.batch.roster import submission_table
    from formgen.spec import Registry

    table_ = submission_table(ROSTER, dicts(), Registry())
    states = {(row["unit_code"], row["form"]): row["status"] for row in table_}
    assert states[("2103010007", "hazard-ledger")] == "missing"
    assert states[("2103010005", "hazard-ledger")] == "late"
    write_report(tmp_path, results, table_, "zh_CN")
    write_reminders(tmp_path, table_, "zh_CN")
    written = write_return_notices(tmp_path, results, ROSTER, "某某县教育局", "zh_CN")
    ws = openpyxl.load_workbook(tmp_path / "report.xlsx")["报送情况"]
    assert len(rows(ws)) == 2 + len(table_)
    reminders = list(csv.reader((tmp_path / "催报名单.csv").read_text("utf-8-sig").splitlines()))
    assert {line[0] for line in reminders[1:]} == {row["unit_code"] for row in table_
                                                   if row["status"] in ("missing", "late")}
    assert len(written) == 3


def test_a_text_longer_than_a_cell_holds_is_cut_with_a_marker_and_a_warning(tmp_path):
    formula = "=" + "A1+" * 12_000  # a formula typed into an input cell, quoted in FG120's message
    one = [json.dumps({**json.loads(RESULTS[0]), "issues": [
        {"code": "FG120", "severity": "warning", "path": "checked", "label": "排查人数", "message": formula}]},
        ensure_ascii=False)]
    notes = write_report(tmp_path, lambda: iter(json.loads(line) for line in one), None, "zh_CN")
    ws = openpyxl.load_workbook(tmp_path / "report.xlsx")["问题清单"]
    message = ws.cell(3, 9).value
    assert len(message) == 32_767 and message.startswith("'=A1+A1+")
    assert message.endswith(f"…〔已截断，原文共 {len(formula) + 1} 字〕")
    assert ws.row_dimensions[3].height == 409
    assert [(n.code.id, n.location) for n in notes] == [("FG125", "问题清单!3")]
    assert "问题清单" in notes[0].message("zh_CN") and "32767" in notes[0].message("zh_CN")
