"""Every form with an example record: the Excel form round-trips it exactly, and prints as a paper form."""

from __future__ import annotations

import json
import re
import subprocess

import pytest

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
    "basic-stats": ["填报单位", "县（市、区）", "区划代码", "学校总数（所）", "报告公安（起）", "治理委员会合计（所）", "合计",
                    "学校总数合计（所）", "岫岩满族自治县", "210381", "378"],
    "parent-notice": ["学校名称", "学生在事件中的身份", "事件简要情况", "回执：家长意见", "被欺凌学生", "024-86123456"],
    "committee-determination": ["当事学生", "经调查查明的事实", "是否认定为学生欺凌", "网络欺凌", "申诉受理部门",
                                "反复发生的一般欺凌"],
    "appeal": ["申诉人姓名", "与学生关系", "申诉请求", "事实和理由", "受理部门", "父亲"],
    "review-decision": ["复查部门", "复查调查小组", "工作单位及职务", "复查结论", "送达情况", "校外专家", "维持"],
    "notice-letter": ["发文机关标志", "发文字号", "主送机关", "正文", "附件名称", "成文日期", "印发日期", "教基厅函〔2021〕5号"],
    "hazard-ledger": ["填报单位", "学校名称", "学校标识码", "隐患描述", "风险等级", "整改措施", "责任人", "整改时限",
                      "整改状态", "完成日期", "3421000987", "未整改", "0412-3221234"],
}


def test_every_form_has_an_example():
    assert sorted(p.stem for p in FORMS.glob("*.json")) == WITH_EXAMPLE
    assert sorted(PRINTED) == WITH_EXAMPLE


def _generate(form_id: str, out, data: bool) -> None:
    args = ["generate", form_id, "--format", "xlsx", "-o", str(out)]
    if data:
        args[4:4] = ["--data", str(EXAMPLES / f"{form_id}.json")]
    result = run_cli(*args)
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize("form_id", WITH_EXAMPLE)
def test_prefilled_xlsx_reads_back_the_example_and_is_valid(form_id, tmp_path):
    out = tmp_path / f"{form_id}.xlsx"
    _generate(form_id, out, data=True)
    extracted = run_cli("extract", str(out))
    assert extracted.exit_code == 0, extracted.output
    got = json.loads(extracted.stdout)
    assert got["form"] == form_id
    assert got["data"] == example(form_id)
    report = run_cli("validate", str(out), "--json")
    assert report.exit_code == 0, report.stdout
    assert json.loads(report.stdout)[0]["issues"] == []


@pytest.mark.parametrize("form_id", WITH_EXAMPLE)
def test_blank_xlsx_is_generated_and_read_as_the_form(form_id, tmp_path):
    out = tmp_path / f"{form_id}-blank.xlsx"
    _generate(form_id, out, data=False)
    extracted = run_cli("extract", str(out))
    assert extracted.exit_code == 0, extracted.output
    assert json.loads(extracted.stdout)["form"] == form_id


def _pdf_text(pdf, page: int | None = None) -> str:
    pages = ["-f", str(page), "-l", str(page)] if page else []
    text = subprocess.run(["pdftotext", *pages, str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    return re.sub(r"\s+", "", text)


@pytest.mark.office
@pytest.mark.parametrize("form_id", WITH_EXAMPLE)
def test_prefilled_xlsx_prints_title_and_labels(form_id, registry, tmp_path):
    out = tmp_path / f"{form_id}.xlsx"
    _generate(form_id, out, data=True)
    pdf = convert(out, "pdf", tmp_path)
    spec = registry.get(form_id)
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    width, height = map(float, re.search(r"Page size:\s+([\d.]+) x ([\d.]+) pts \(A4\)", info).groups())
    assert (width > height) == (spec.ann.get("orientation") == "landscape")
    first = _pdf_text(pdf, 1)
    assert re.sub(r"\s+", "", spec.title) in first
    text = _pdf_text(pdf)
    missing = [label for label in PRINTED[form_id] if re.sub(r"\s+", "", label) not in text]
    assert missing == []
