"""Every form with an example record, in every format: it round-trips exactly and prints with nothing missing."""

from __future__ import annotations

import json
import re
import subprocess

import pytest
from openpyxl import load_workbook

from formgen.layout.docx import landscape as word_landscape
from formgen.spec.letter import is_letter

from tests.conftest import EXAMPLES, FORMS, example, run_cli
from tests.office import convert

WITH_EXAMPLE = sorted(p.stem for p in EXAMPLES.glob("*.json"))

# What the printed page must show besides the title: labels of fields and columns, and values of the example.
PRINTED = {
    "incident-report": ["报告学校", "涉及人员", "年龄", "已采取的措施", "沈阳市第八十二中学"],
    "policy-checklist": ["填报单位", "项目", "内容", "序号", "工作措施", "教育系统责任单位", "省教育厅责任处室",
                         "省直有关部门", "落实情况", "佐证材料", "有效预防", "妥善处置", "健全机制", "申诉处理",
                         "部分落实", "未落实", "鞍山市铁东区教育局", "注：本表所称“政策清单”"],
    "task-list": ["填报单位", "工作阶段", "工作任务", "完成时限", "报送时限", "完成情况", "完成日期", "已报送材料",
                  "部署摸底", "集中整治", "督导检查", "2021-03-15", "3月20日报送排查台账", "2021-06-18",
                  "正在推进"],
    "basic-stats": ["填报单位", "县（市、区）", "区划代码", "学校总数（所）", "报告公安（起）", "合计",
                    "岫岩满族自治县", "210381", "378"],
    # letters print as letters in Word and PDF: their key values, not field labels
    "parent-notice": ["沈阳市第八十二中学", "教学楼三楼东侧卫生间", "被欺凌学生", "饭卡已追回", "024-86123456",
                      "已知悉，配合学校调查处理。"],
    "committee-determination": ["张某某、赵某某、李某某同学及其家长", "反复发生的一般欺凌", "监控录像",
                                "沈阳市和平区防治学生欺凌工作办公室"],
    "appeal": ["张建华", "八十二中欺认〔2021〕1号", "撤销对张某某的警告处分", "微信沟通记录", "父亲"],
    "review-decision": ["和教欺复〔2021〕1号", "校外专家", "孙立平", "维持", "依规定解除处分"],
    "notice-letter": ["教基厅函〔2021〕5号", "教育部办公厅关于印发《防范中小学生欺凌专项治理行动工作方案》的通知",
                      "各省、自治区、直辖市教育厅（教委），新疆生产建设兵团教育局", "防范中小学生欺凌专项治理行动工作方案",
                      "（此件主动公开）", "有关部领导，办公厅"],
    "hazard-ledger": ["填报单位", "学校名称", "学校标识码", "隐患描述", "风险等级", "整改措施", "责任人", "整改时限",
                      "整改状态", "完成日期", "3421000987", "未整改", "0412-3221234"],
}


def test_every_form_has_an_example():
    assert sorted(p.stem for p in FORMS.glob("*.json")) == WITH_EXAMPLE
    assert sorted(PRINTED) == WITH_EXAMPLE


FORMATS = ("xlsx", "docx", "pdf")
# The examples are valid; these warnings are facts the example shows on purpose.
WARNINGS = {"task-list": [("FG321", "tasks.5.completed_on")]}  # task 6 finished after the 6月15日 deadline


def _generate(form_id: str, out, data: bool) -> None:
    args = ["generate", form_id, "--format", out.suffix[1:], "-o", str(out)]
    if data:
        args[4:4] = ["--data", str(EXAMPLES / f"{form_id}.json")]
    result = run_cli(*args)
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("form_id", WITH_EXAMPLE)
def test_prefilled_form_reads_back_the_example_and_is_valid(form_id, fmt, tmp_path):
    out = tmp_path / f"{form_id}.{fmt}"
    _generate(form_id, out, data=True)
    extracted = run_cli("extract", str(out))
    assert extracted.exit_code == 0, extracted.output
    got = json.loads(extracted.stdout)
    assert got["form"] == form_id
    assert got["data"] == example(form_id)
    report = run_cli("validate", str(out), "--json")
    assert report.exit_code == 0, report.stdout
    found = [(i["code"], i["path"]) for i in json.loads(report.stdout)[0]["issues"]]
    assert found == WARNINGS.get(form_id, [])


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("form_id", WITH_EXAMPLE)
def test_blank_form_is_generated_and_read_as_the_form(form_id, fmt, tmp_path):
    out = tmp_path / f"{form_id}-blank.{fmt}"
    _generate(form_id, out, data=False)
    extracted = run_cli("extract", str(out))
    assert extracted.exit_code == 0, extracted.output
    assert json.loads(extracted.stdout)["form"] == form_id


def _pdf_text(pdf, page: int | None = None) -> str:
    """The text in content order (-raw), so a value wrapped inside a table cell stays in one piece."""
    pages = ["-f", str(page), "-l", str(page)] if page else []
    text = subprocess.run(["pdftotext", "-raw", *pages, str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    return re.sub(r"\s+", "", text)


@pytest.mark.office
@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("form_id", WITH_EXAMPLE)
def test_prefilled_form_prints_title_and_labels(form_id, fmt, registry, tmp_path):
    out = tmp_path / "src" / f"{form_id}.{fmt}"
    out.parent.mkdir()
    _generate(form_id, out, data=True)
    pdf = out if fmt == "pdf" else convert(out, "pdf", tmp_path)
    spec = registry.get(form_id)
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    width, height = map(float, re.search(r"Page size:\s+([\d.]+) x ([\d.]+) pts \(A4\)", info).groups())
    landscape = spec.ann.get("orientation") == "landscape"
    if fmt == "xlsx":  # a sheet too wide for a legible portrait page prints landscape
        assert (width > height) == (load_workbook(out).active.page_setup.orientation == "landscape")
        assert width > height or not landscape
    elif fmt == "docx" and not is_letter(spec):  # so is a Word form whose table is too narrow for portrait
        assert (width > height) == word_landscape(spec)
        assert width > height or not landscape
    else:
        assert (width > height) == landscape
    if spec.ann.get("kind") != "letter" or fmt == "xlsx":
        assert re.sub(r"\s+", "", spec.title) in _pdf_text(pdf, 1)
    text = _pdf_text(pdf)
    missing = [label for label in PRINTED[form_id] if re.sub(r"\s+", "", label) not in text]
    assert missing == []
