"""The generated workbook: golden dump, and the page as LibreOffice prints it."""

from __future__ import annotations

import subprocess

import pytest
from openpyxl import load_workbook

from tests.conftest import EXAMPLES, run_cli
from tests.dump import check_golden, dump_xlsx
from tests.office import convert


def test_blank_workbook_matches_golden(tmp_path):
    out = tmp_path / "blank.xlsx"
    run_cli("generate", "incident-report", "--format", "xlsx", "-o", str(out))
    dump = dump_xlsx(out)
    form = dump["sheets"]["表单"]
    assert form["protected"] and form["insert_rows_allowed"]
    assert dump["sheets"]["formgen"]["state"] == "hidden"
    assert form["tables"] == {"tbl.persons": "A18:E24"}
    assert dump["defined_names"]["fg.school_name"] == "'表单'!$B$7"
    check_golden("incident-report.xlsx", dump)


@pytest.mark.office
def test_prefilled_workbook_prints_on_one_page_width(tmp_path):
    out = tmp_path / "filled.xlsx"
    run_cli("generate", "incident-report", "--format", "xlsx", "--data", str(EXAMPLES / "incident-report.json"),
            "-o", str(out))
    pdf = convert(out, "pdf", tmp_path)
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    assert "Pages:           1" in info and "(A4)" in info
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    for expected in ("学生欺凌事件报告表", "报告学校", "涉及人员", "年龄", "沈阳市第八十二中学", "是否已报告公安机关",
                     "已采取的措施"):
        assert expected in text


@pytest.mark.parametrize("form_id,orientation,small", [("incident-report", "portrait", 11), ("basic-stats", "landscape", 9)])
def test_a_wide_sheet_prints_landscape_and_fine_print_stays_legible(tmp_path, form_id, orientation, small):
    """The statistics table's 14 columns would print at 57 % on a portrait page (11 pt at 6.3 pt): landscape;
    the form number is set large enough to print at 7.5 pt or more once fitted to the page width."""
    out = tmp_path / f"{form_id}.xlsx"
    assert run_cli("generate", form_id, "-o", str(out)).exit_code == 0
    ws = load_workbook(out).active
    assert ws.page_setup.orientation == orientation
    number = next(c for row in ws.iter_rows(max_row=4) for c in row if str(c.value or "").startswith("表单编号"))
    assert number.font.size == small
