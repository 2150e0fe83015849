"""The batch's report and a 退回修改通知 as LibreOffice prints them: fonts, pages, and the text a clerk reads."""

from __future__ import annotations

import datetime as dt
import json
import re
import subprocess
from pathlib import Path

import pytest

from formgen.report.batch import write_report, write_return_notices
from tests.batch_results import RESULTS, ROSTER, SUBMISSIONS
from tests.office import convert

pytestmark = pytest.mark.office


def results():
    return iter(json.loads(line) for line in RESULTS)


def key(postscript_name: str) -> tuple[str, str]:
    """A font's family and style from its PostScript name, whichever cut of a CJK collection was used:
    NotoSerifCJKsc-Bold and NotoSerifCJKjp-Bold-VKana are both (NotoSerifCJK, Bold)."""
    family, _, style = postscript_name.partition("-")
    return re.sub(r"(sc|tc|jp|kr)$", "", family), style.split("-")[0] or "Regular"


def text(pdf: Path) -> str:
    return subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True,
                          check=True).stdout


def test_a_notice_prints_on_one_a4_page_in_the_letter_fonts(tmp_path):
    notice = write_return_notices(tmp_path, results, ROSTER, "某某县教育局", "zh_CN", today=dt.date(2021, 3, 25))[0]
    pdf = convert(notice, "pdf", tmp_path)
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    assert "Pages:           1" in info
    assert "pts (A4)" in info
    fonts = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True, check=True).stdout
    embedded = {line.split()[0].split("+", 1)[-1] for line in fonts.splitlines()[2:]}
    # fontconfig's substitutes (scripts/fontconfig) for 小标宋 (title), 仿宋 (body) and 黑体 (headings)
    for family in ("方正小标宋简体", "仿宋_GB2312", "黑体"):
        substitute = subprocess.run(["fc-match", "-f", "%{postscriptname}", family], capture_output=True,
                                    text=True, check=True).stdout
        assert key(substitute) in {key(name) for name in embedded}, (family, substitute, embedded)
    printed = text(pdf)
    for line in ("退回修改通知", "沈阳市第二中学：", "一、沈阳/二中/台账.xlsx（不合格）", "二、沈阳/二中/统计表.docx（不合格，逾期）",
                 "特此通知。", "某某县教育局", "2021 年 3 月 25 日", "— 1 —"):
        assert line.replace(" ", "") in printed.replace(" ", ""), line


def test_the_report_prints_every_sheet_with_its_chart(tmp_path):
    write_report(tmp_path, results, SUBMISSIONS, "zh_CN")
    pdf = convert(tmp_path / "report.xlsx", "pdf", tmp_path)
    printed = text(pdf).replace(" ", "")
    for title in ("报送材料审核报告", "各单位报送状态", "问题清单（共11条：错误5条，警告6条）",
                  "各单位各表单报送情况（未报送4项，逾期2项）", "收到的文件（共9个）", "第1页，共4页"):
        assert title in printed, title
