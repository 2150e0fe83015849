"""Consolidation of a form's valid returns into OUTDIR/汇总/<form>.xlsx (issue 9)."""

from __future__ import annotations

import copy
import json
import datetime as dt
import stat

import openpyxl
import pytest

from formgen.batch.consolidate import Entry, checklists, consolidate, statistics
from formgen.spec import FormSpec
from tests.conftest import FORMS, example
from tests.office import convert

NUMBERS = ["schools", "schools_checked", "hazards_found", "hazards_fixed", "incidents_found", "incidents_handled",
           "incidents_police", "students_disciplined", "students_counselled", "trainings", "parent_sessions",
           "committees"]
CITIES = [("2101000001", "沈阳市教育局"), ("2102000001", "大连市教育局"), ("2103000001", "鞍山市教育局")]


LABELS = {k: v["title"] for k, v in
          json.loads((FORMS / "basic-stats.json").read_text("utf-8"))["properties"]["divisions"]["items"]["properties"].items()}


def city_stats(i: int, name: str) -> dict:
    """The example's statistics, varied per city: 3, 4 or 5 counties, numbers shifted, totals that add up."""
    record = example("basic-stats")
    record["unit"] = name
    record["divisions"] = record["divisions"][:3 + i]
    for j, row in enumerate(record["divisions"]):
        for k in NUMBERS:
            row[k] += i * (j + 1)
    record["totals"] = {k: sum(row[k] for row in record["divisions"]) for k in NUMBERS}
    return record


def stats_entries() -> list[Entry]:
    return [Entry(code, name, f"{name}/统计表.xlsx", city_stats(i, name)) for i, (code, name) in enumerate(CITIES)]


def header_row(ws, first: str) -> int:
    return next(r for r in range(1, 10) if ws.cell(r, 1).value == first)


def column_of(ws, row: int, label: str) -> int:
    return next(c for c in range(1, ws.max_column + 1) if ws.cell(row, c).value == label)


@pytest.fixture()
def stats_book(registry, tmp_path):
    entries = stats_entries()
    issues = consolidate(registry.get("basic-stats"), entries, tmp_path)
    return tmp_path / "汇总" / "basic-stats.xlsx", entries, issues


def test_statistics_table_has_one_row_per_unit_with_its_rows_summed(stats_book):
    path, entries, issues = stats_book
    assert issues == []
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames[0] == "汇总表"
    ws = wb["汇总表"]
    head = header_row(ws, "序号")
    assert ws.cell(head - 1, 1).value == "报送单位"
    assert f"A{head - 1}:C{head - 1}" in {str(r) for r in ws.merged_cells.ranges}
    for i, entry in enumerate(entries):
        r = head + 1 + i
        assert (ws.cell(r, 2).value, ws.cell(r, 3).value) == (entry.unit_code, entry.unit_name)
        for k in NUMBERS:
            value = ws.cell(r, column_of(ws, head, LABELS[k])).value
            assert type(value) is int
            assert value == sum(row[k] for row in entry.record["divisions"])
    total = head + 1 + len(entries)
    assert ws.cell(total, 1).value == "合计"
    col = column_of(ws, head, "学校总数（所）")
    letter = openpyxl.utils.get_column_letter(col)
    assert ws.cell(total, col).value == f"=SUM({letter}{head + 1}:{letter}{total - 1})"
    assert ws.freeze_panes == f"D{head + 1}"
    assert ws.auto_filter.ref == f"A{head}:{openpyxl.utils.get_column_letter(ws.max_column)}{total - 1}"


def test_total_formulas_calculate_in_libreoffice_to_the_sum_of_all_rows(stats_book, tmp_path):
    path, entries, _issues = stats_book
    recalculated = convert(path, "xlsx", tmp_path / "lo")
    wb = openpyxl.load_workbook(recalculated, data_only=True)
    all_rows = [row for e in entries for row in e.record["divisions"]]
    for sheet, first in (("汇总表", "序号"), ("分县（市、区）情况", "单位代码")):
        ws = wb[sheet]
        head = header_row(ws, first)
        total = next(r for r in range(head + 1, ws.max_row + 1) if ws.cell(r, 1).value == "合计")
        for k in NUMBERS:
            expected = sum(row[k] for row in all_rows)
            assert ws.cell(total, column_of(ws, head, LABELS[k])).value == expected, (sheet, k)


def test_division_rows_are_kept_on_their_own_sheet(stats_book):
    path, entries, _issues = stats_book
    ws = openpyxl.load_workbook(path)["分县（市、区）情况"]
    head = header_row(ws, "单位代码")
    rows = [[ws.cell(r, c).value for c in range(1, 5)] for r in range(head + 1, ws.max_row)]
    expected = [[e.unit_code, e.unit_name, d["division"], d["division_code"]]
                for e in entries for d in e.record["divisions"]]
    assert rows == expected
    assert ws.cell(ws.max_row, 1).value == "合计"


def test_a_submitted_total_that_differs_from_its_rows_is_FG340(registry, tmp_path):
    entries = stats_entries()
    entries[1].record["totals"]["schools"] += 5
    spec = registry.get("basic-stats")
    issues = consolidate(spec, entries, tmp_path)
    assert [(i.code.id, i.severity.value, i.path) for i in issues] == [("FG340", "error", "totals.schools")]
    right = sum(row["schools"] for row in entries[1].record["divisions"])
    message = issues[0].message("zh_CN")
    assert "大连市教育局" in message and "学校总数合计（所）" in message
    assert str(right) in message and str(right + 5) in message
    english = issues[0].message("en")
    assert "Schools (total)" in english and str(right) in english
    ws = openpyxl.load_workbook(tmp_path / "汇总" / "basic-stats.xlsx")["汇总表"]
    head = header_row(ws, "序号")
    assert ws.cell(head + 2, column_of(ws, head, "学校总数（所）")).value == right  # the rows count, not the total


STATUSES = {"done": "已落实", "partly": "部分落实", "not": "未落实"}


def checklist(statuses: dict[int, str | None]) -> dict:
    record = example("policy-checklist")
    for row in record["measures"]:
        status = statuses.get(row["no"], "done")
        if status is None:
            row.pop("status", None)
        else:
            row["status"] = status
    return record


def test_policy_checklist_is_a_matrix_of_units_and_measures_with_counts(registry, tmp_path):
    plans = {
        "2101020001": {},                                                        # all done
        "2101030001": {**{n: "partly" for n in range(1, 11)}, 11: "not", 12: "not"},
        "2101040001": {1: "not", 30: "partly", 50: None},                        # measure 50 not filled in
    }
    entries = [Entry(code, f"单位{code[-3:]}", f"{code}.xlsx", checklist(plan)) for code, plan in plans.items()]
    consolidate(registry.get("policy-checklist"), entries, tmp_path)
    wb = openpyxl.load_workbook(tmp_path / "汇总" / "policy-checklist.xlsx")
    assert wb.sheetnames[:2] == ["落实情况", "工作措施落实情况"]
    ws = wb["落实情况"]
    head = header_row(ws, "序号")
    assert [ws.cell(head, c).value for c in (4, 53)] == ["1", "50"]
    merged = {str(r) for r in ws.merged_cells.ranges}
    assert f"D{head - 1}:AF{head - 1}" in merged and ws.cell(head - 1, 4).value == "有效预防"   # measures 1-29
    counts_at = {label: column_of(ws, head, label) for label in ["已落实", "部分落实", "未落实", "未填"]}
    for i, (code, plan) in enumerate(plans.items()):
        r = head + 1 + i
        shown = [ws.cell(r, 3 + n).value for n in range(1, 51)]
        expected = [None if plan.get(n, "done") is None else STATUSES[plan.get(n, "done")] for n in range(1, 51)]
        assert shown == expected
        for label, c in counts_at.items():
            assert ws.cell(r, c).value == sum(1 for s in expected if (s or "未填") == label)
    bottom = {ws.cell(r, 1).value: r for r in range(head + 1 + len(plans), ws.max_row + 1)}
    assert list(bottom) == ["已落实", "部分落实", "未落实", "未填"]
    per_measure = {n: [plans[c].get(n, "done") for c in plans] for n in range(1, 51)}
    for n in (1, 11, 30, 50, 20):
        assert ws.cell(bottom["已落实"], 3 + n).value == per_measure[n].count("done")
        assert ws.cell(bottom["部分落实"], 3 + n).value == per_measure[n].count("partly")
        assert ws.cell(bottom["未落实"], 3 + n).value == per_measure[n].count("not")
        assert ws.cell(bottom["未填"], 3 + n).value == per_measure[n].count(None)
    legend = wb["工作措施落实情况"]
    assert [legend.cell(3, c).value for c in (1, 2, 3)] == [1, "有效预防", "明确学生欺凌的界定"]
    counts = {legend.cell(2, c).value: legend.cell(3, c).value for c in range(1, legend.max_column + 1)}
    assert (counts["已落实"], counts["部分落实"], counts["未落实"], counts["未填"]) == (1, 1, 1, 0)


def incident(school: str, **changes) -> dict:
    record = example("incident-report")
    record["school_name"] = school
    record.update(changes)
    return record


def test_details_have_one_row_per_repeated_row_with_unit_file_and_fields(registry, tmp_path):
    entries = [Entry("3121000321", "沈阳市第八十二中学", "沈阳/八十二中.docx", incident("沈阳市第八十二中学")),
               Entry("3121000001", "沈阳市第一中学", "沈阳/一中.xlsx", incident("沈阳市第一中学", persons=[
                   {"role": "victim", "name": "王小明", "gender": "female", "grade_class": "初一（1）班", "age": 12}]))]
    consolidate(registry.get("incident-report"), entries, tmp_path)
    ws = openpyxl.load_workbook(tmp_path / "汇总" / "incident-report.xlsx")["明细"]
    assert ws.cell(1, 1).value == "报送单位"
    labels = {ws.cell(2, c).value: c for c in range(1, ws.max_column + 1)}
    rows = list(range(3, ws.max_row + 1))
    assert len(rows) == 5                                           # 4 persons + 1 person, sorted by unit code
    assert [ws.cell(r, 1).value for r in rows] == ["3121000001"] + ["3121000321"] * 4
    assert [ws.cell(r, labels["来源文件"]).value for r in rows][:2] == ["沈阳/一中.xlsx", "沈阳/八十二中.docx"]
    assert ws.cell(3, labels["报告学校"]).value == "沈阳市第一中学"
    assert ws.cell(4, labels["身份"]).value == "实施方"                  # choice codes shown as labels
    assert ws.cell(4, labels["年龄"]).value == 14 and ws.cell(4, labels["年龄"]).data_type == "n"
    when = ws.cell(4, labels["发生时间"])
    assert when.value == dt.datetime(2021, 3, 8, 16, 40) and when.is_date
    assert ws.cell(4, labels["启动调查日期"]).value == dt.datetime(2021, 3, 9)
    assert ws.cell(4, labels["是否已报告公安机关"]).value == "否"
    person_cols = [c for c in range(1, ws.max_column + 1) if ws.cell(2, c).value in ("身份", "姓名", "年龄")]
    group_range = next(r for r in ws.merged_cells.ranges if r.min_row == 1 and r.min_col <= person_cols[0] <= r.max_col)
    assert ws.cell(1, group_range.min_col).value == "涉及人员" and group_range.max_col >= person_cols[-1]
    assert ws.freeze_panes == "D3" and ws.auto_filter.ref.startswith("A2:")
    assert ws.column_dimensions["B"].width >= 2 * len("沈阳市第八十二中学")


def test_personal_data_is_masked_and_the_file_is_private(registry, tmp_path):
    entries = [Entry("3121000001", "沈阳市第一中学", "一中.xlsx", incident("沈阳市第一中学", persons=[
        {"role": "victim", "name": "王小明", "age": 12}, {"role": "bully", "name": "李四", "age": 13}]))]
    spec = registry.get("incident-report")
    consolidate(spec, entries, tmp_path)
    path = tmp_path / "汇总" / "incident-report.xlsx"
    ws = openpyxl.load_workbook(path)["明细"]
    name = column_of(ws, 2, "姓名")
    assert [ws.cell(r, name).value for r in (3, 4)] == ["王*明", "李*"]
    assert ws.cell(3, column_of(ws, 2, "报告人")).value == "王立新"      # not marked as personal data
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    consolidate(spec, entries, tmp_path, reveal_pii=True)
    ws = openpyxl.load_workbook(path)["明细"]
    assert [ws.cell(r, name).value for r in (3, 4)] == ["王小明", "李四"]


def test_formula_like_text_is_written_as_text(registry, tmp_path):
    record = incident("=HYPERLINK(\"http://evil\",\"点此\")", place="+1 教学楼\x07", persons=[
        {"role": "victim", "name": "@王", "grade_class": "-1班", "age": 12}])
    consolidate(registry.get("incident-report"), [Entry("3121000001", "=1+1", "\t.xlsx", record)], tmp_path)
    path = tmp_path / "汇总" / "incident-report.xlsx"
    ws = openpyxl.load_workbook(path)["明细"]
    cells = {ws.cell(2, c).value: ws.cell(3, c) for c in range(1, ws.max_column + 1)}
    assert cells["报告学校"].value == "'=HYPERLINK(\"http://evil\",\"点此\")"
    assert cells["发生地点"].value == "'+1 教学楼"
    assert cells["年级班级"].value == "'-1班"
    assert cells["单位名称"].value == "'=1+1" and cells["来源文件"].value == "'\t.xlsx"
    assert all(cell.data_type == "s" for cell in cells.values() if isinstance(cell.value, str))
    assert not any(ws.cell(r, c).data_type == "f" for r in range(1, ws.max_row + 1) for c in range(1, ws.max_column + 1))


def test_english_headers(registry, tmp_path):
    consolidate(registry.get("basic-stats"), stats_entries(), tmp_path, lang="en")
    wb = openpyxl.load_workbook(tmp_path / "汇总" / "basic-stats.xlsx")
    assert wb.sheetnames == ["Statistics", "By county", "Details"]
    ws = wb["Details"]
    assert ws.cell(1, 1).value == "Submitting unit" and ws.cell(2, 2).value == "Unit name"
    assert "Schools" in [ws.cell(2, c).value for c in range(1, ws.max_column + 1)]
    assert "Totals" in [ws.cell(1, c).value for c in range(1, ws.max_column + 1)]


def test_every_installed_form_consolidates(registry, tmp_path):
    for spec in registry.all():
        record = example(spec.id)
        entries = [Entry("2101000001", "沈阳市", "a.xlsx", record), Entry("2102000001", "大连市", "b.xlsx",
                                                                          copy.deepcopy(record))]
        assert consolidate(spec, entries, tmp_path) == []
        wb = openpyxl.load_workbook(tmp_path / "汇总" / f"{spec.id}.xlsx")
        assert "明细" in wb.sheetnames
        assert len(wb.sheetnames) == 1 + 2 * len(statistics(spec)) + 2 * len(checklists(spec)) + \
            max(len(spec.groups()) - 1, 0)


def test_a_new_statistics_form_consolidates_without_code_changes(tmp_path):
    definition = {
        "title": "各校心理辅导统计表", "x-formgen": {"id": "counselling-stats", "version": "1.0.0"},
        "type": "object", "properties": {
            "unit": {"title": "填报单位", "type": "string"},
            "schools": {"title": "分校情况", "type": "array", "items": {"type": "object", "properties": {
                "school": {"title": "学校", "type": "string"},
                "sessions": {"title": "辅导场次", "type": "integer"},
                "students": {"title": "辅导人数", "type": "integer"}}}},
            "sum": {"title": "合计", "type": "object", "properties": {
                "sessions": {"title": "辅导场次合计", "type": "integer"},
                "students": {"title": "辅导人数合计", "type": "integer"}}}}}
    spec = FormSpec.from_definition(definition)
    assert [(s.group.address, s.totals) for s in statistics(spec)] == [("schools", ("sum",))]
    good = {"unit": "甲", "schools": [{"school": "一校", "sessions": 2, "students": 5},
                                      {"school": "二校", "sessions": 3, "students": 7}],
            "sum": {"sessions": 5, "students": 12}}
    bad = copy.deepcopy(good)
    bad["sum"]["students"] = 11
    issues = consolidate(spec, [Entry("1", "甲", "a.xlsx", good), Entry("2", "乙", "b.xlsx", bad)], tmp_path)
    assert [(i.code.id, i.path, i.params["total"], i.params["sum"]) for i in issues] == [("FG340", "sum.students", 11, 12)]
    ws = openpyxl.load_workbook(tmp_path / "汇总" / "counselling-stats.xlsx")["汇总表"]
    head = header_row(ws, "序号")
    assert [ws.cell(head + 1, c).value for c in range(1, 6)] == [1, "1", "甲", 5, 12]
    assert ws.cell(head + 3, 4).value == f"=SUM(D{head + 1}:D{head + 2})"


def test_returns_without_a_unit_code_are_not_summed_together(registry, tmp_path):
    entries = [Entry("", "", f"未知/{i}.xlsx", city_stats(i, name)) for i, (_code, name) in enumerate(CITIES[:2])]
    consolidate(registry.get("basic-stats"), entries, tmp_path)
    ws = openpyxl.load_workbook(tmp_path / "汇总" / "basic-stats.xlsx")["汇总表"]
    head = header_row(ws, "序号")
    assert [ws.cell(r, 1).value for r in range(head + 1, ws.max_row + 1)] == [1, 2, "合计"]


def small_stats_entries() -> list[Entry]:
    """One division per city, the counts running 0..7 across the columns and cities: 1..4 are small cells."""
    entries = []
    for i, (code, name) in enumerate(CITIES):
        record = example("basic-stats")
        record["unit"] = name
        record["divisions"] = record["divisions"][:1]
        for j, k in enumerate(NUMBERS):
            record["divisions"][0][k] = (i * len(NUMBERS) + j) % 8
        record["totals"] = {k: record["divisions"][0][k] for k in NUMBERS}
        entries.append(Entry(code, name, f"{name}/统计表.xlsx", record))
    return entries


def test_small_cells_are_suppressed_and_the_totals_are_written_numbers(registry, tmp_path):
    entries = small_stats_entries()
    assert consolidate(registry.get("basic-stats"), entries, tmp_path, suppress_below=5) == []
    wb = openpyxl.load_workbook(tmp_path / "汇总" / "basic-stats.xlsx")

    def expected(value):
        return "<5" if 0 < value < 5 else value

    for sheet, first in (("汇总表", "序号"), ("分县（市、区）情况", "单位代码")):
        ws = wb[sheet]
        head = header_row(ws, first)
        total = head + 1 + len(entries)
        assert ws.cell(total, 1).value == "合计"
        for k in NUMBERS:
            col = column_of(ws, head, LABELS[k])
            cells = [ws.cell(head + 1 + i, col) for i in range(len(entries))]
            values = [e.record["divisions"][0][k] for e in entries]
            assert [c.value for c in cells] == [expected(v) for v in values], (sheet, k)
            assert all(c.data_type == ("s" if 0 < v < 5 else "n") for c, v in zip(cells, values))
            assert all(c.alignment.horizontal == "right" for c, v in zip(cells, values) if 0 < v < 5)  # as numbers
            cell = ws.cell(total, col)
            assert cell.data_type == "n" and cell.value == sum(values), (sheet, k)

    ws = wb["明细"]
    data = [[ws.cell(r, c).value for c in range(1, ws.max_column + 1)] for r in range(3, ws.max_row + 1)]
    assert len(data) == len(entries)
    numbers = [v for row in data for v in row if isinstance(v, (int, float))]
    assert numbers and not any(0 < v < 5 for v in numbers)
    assert 0 in numbers and 7 in numbers
    assert sum(v == "<5" for row in data for v in row) == 2 * sum(
        0 < e.record["divisions"][0][k] < 5 for e in entries for k in NUMBERS)   # each row's count and its total


def test_without_suppression_small_cells_are_numbers_and_the_totals_formulas(registry, tmp_path):
    consolidate(registry.get("basic-stats"), small_stats_entries(), tmp_path)
    ws = openpyxl.load_workbook(tmp_path / "汇总" / "basic-stats.xlsx")["汇总表"]
    head = header_row(ws, "序号")
    col = column_of(ws, head, LABELS[NUMBERS[1]])
    assert ws.cell(head + 1, col).value == 1
    assert str(ws.cell(head + 1 + len(CITIES), col).value).startswith("=SUM(")


def test_a_value_longer_than_a_cell_holds_is_cut_with_a_marker_and_a_warning(tmp_path):
    from tests.inline import form

    spec = FormSpec.from_definition(form([
        ("note", "textarea", "情况说明"), ("who", "text", "当事人", {"x": {"pii": True}}),
        ("rows", "rows", "记录", [("what", "textarea", "内容")])]))
    long_note = "=" + "𠀀说明" * 20_000  # formula-like, and 𠀀 counts twice in Excel's 32,767
    long_name = "王" * 40_000
    record = {"note": long_note, "who": long_name, "rows": [{"what": "短"}, {"what": "长" * 33_000}]}
    issues = consolidate(spec, [Entry("3121000001", "沈阳市第一中学", "一中.docx", record)], tmp_path)
    ws = openpyxl.load_workbook(tmp_path / "汇总" / "t-form.xlsx")["明细"]
    cells = {ws.cell(2, c).value: [ws.cell(r, c).value for r in (3, 4)] for c in range(1, ws.max_column + 1)}
    note, who, what = cells["情况说明"][0], cells["当事人"][0], cells["内容"][1]
    for text, whole in ((note, long_note), (who, long_name), (what, "长" * 33_000)):
        assert len(text) + text.count("𠀀") <= 32_767
        assert text.endswith(f"…〔已截断，原文共 {len(whole)} 字〕")
    assert note.startswith("'=𠀀说明") and who.startswith("王*") and cells["内容"][0] == "短"
    cut = sorted((i.code.id, i.path, i.params["length"]) for i in issues)
    assert cut == [("FG124", "note", len(long_note)), ("FG124", "rows.1.what", 33_000), ("FG124", "who", 40_000)]
    message = next(i for i in issues if i.path == "who").message("zh_CN")
    assert "沈阳市第一中学（一中.docx）" in message and "当事人" in message and "32767" in message
    assert "王王" not in message
    assert "记录 第2行 内容" in next(i for i in issues if i.path == "rows.1.what").message("zh_CN")


def test_a_value_longer_than_the_form_allows_is_cut_there(registry, tmp_path):
    record = incident("沈阳市第一中学", place="教学楼" * 100)  # 300 characters; the form allows 200
    issues = consolidate(registry.get("incident-report"), [Entry("3121000001", "沈阳市第一中学", "一中.pdf", record)],
                         tmp_path)
    ws = openpyxl.load_workbook(tmp_path / "汇总" / "incident-report.xlsx")["明细"]
    place = ws.cell(3, column_of(ws, 2, "发生地点")).value
    assert len(place) == 200 and place.startswith("教学楼教学楼") and place.endswith("…〔已截断，原文共 300 字〕")
    assert [(i.code.id, i.path) for i in issues] == [("FG124", "place")]
    assert "more than the form allows (200)" in issues[0].message("en")
