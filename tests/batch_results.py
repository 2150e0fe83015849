"""Hand-made results.jsonl lines (one of each status) and a submission table, for the batch report tests."""

from __future__ import annotations

import json

from formgen.batch.roster import Roster, Unit

LEDGER, STATS = "hazard-ledger", "basic-stats"
LEDGER_TITLE, STATS_TITLE = "学生欺凌隐患排查台账", "基本情况统计表"
SHA = "0" * 64


def unit(code: str, name: str, by: str = "stamp") -> dict:
    return {"code": code, "name": name, "matched_by": by}


def issue(code: str, severity: str, message: str, path: str = "", label: str = "", location: str = "") -> dict:
    out = {"code": code, "severity": severity, "path": path, "label": label, "message": message}
    if location:
        out["location"] = location
    return out


def result(path: str, status: str, form: str | None = LEDGER, unit_: dict | None = None, fmt: str | None = "xlsx",
           late: bool = False, issues: list[dict] = (), received: str = "2021-03-09T10:20:30+08:00",
           duplicate_of: str | None = None, superseded_by: str | None = None) -> dict:
    return {"path": path, "sha256": SHA, "size": 12345, "format": fmt, "form": form,
            "version": "1.0.0" if form else None, "unit": unit_, "status": status, "late": late,
            "received_at": received, "duplicate_of": duplicate_of, "superseded_by": superseded_by,
            "issues": list(issues)}


ONE, TWO = unit("2101010001", "沈阳市第一中学"), unit("2101010002", "沈阳市第二中学", "name")
FIVE, SIX = unit("2103010005", "鞍山市第五中学"), unit("2103010006", "+鞍山市第六中学", "code")
LATE = "收到时间晚于截止时间 2021年3月20日"

_RESULTS = [
    result("沈阳/一中/台账.xlsx", "valid", unit_=ONE),
    result("沈阳/二中/台账.xlsx", "invalid", unit_=TWO, issues=[
        issue("FG301", "error", "必须填写“填报单位”（unit）。", "unit", "填报单位", "表单!B3"),
        issue("FG201", "error", "“排查人数”（checked）必须是数字；单元格中是文字。请只输入数字，例如 12。",
              "checked", "排查人数", "表单!C7"),
        issue("FG109", "warning", "文件由表单的较早版本生成，已按当前定义检查。"),
    ]),
    result("沈阳/二中/统计表.docx", "invalid", form=STATS, unit_=TWO, fmt="docx", late=True,
           received="2021-03-21T09:00:00+08:00", issues=[
               issue("FG301", "error", "必须填写“学校数”（schools）。", "schools", "学校数", "第1页"),
               issue("FG502", "warning", LATE),
           ]),
    result("大连/三中/台账.pdf", "unreadable", form=None, fmt="pdf", issues=[
        issue("FG101", "error", "无法作为 PDF 读取该文件：文件不完整。请用办公软件重新另存为 PDF 后再提交。"),
    ]),
    result("大连/四中/台账.xlsx", "duplicate", unit_=ONE, duplicate_of="沈阳/一中/台账.xlsx", issues=[
        issue("FG115", "warning", "与 沈阳/一中/台账.xlsx 内容完全相同"),
    ]),
    result("沈阳/一中/台账-旧.xlsx", "superseded", unit_=ONE, superseded_by="沈阳/一中/台账.xlsx", issues=[
        issue("FG116", "warning", "已被后来报送的 沈阳/一中/台账.xlsx 替换"),
    ]),
    result("沈阳/一中/~$台账.xlsx", "skipped", form=None, fmt=None, issues=[
        issue("FG111", "warning", "办公软件的锁定文件，已列出，未读取。"),
    ]),
    result("鞍山/五中/台账.xlsx", "valid", unit_=FIVE, late=True, received="2021-03-22T16:45:00+08:00", issues=[
        issue("FG502", "warning", LATE),
    ]),
    result('=HYPERLINK("http://example.com","点我").xlsx', "invalid", unit_=SIX, issues=[
        issue("FG211", "error", "-1 不是有效的人数", "classes[0].count", "班级名称\x07", "表单!D12"),
    ]),
]
RESULTS = [json.dumps(r, ensure_ascii=False) for r in sorted(_RESULTS, key=lambda r: r["path"])]


def submission(code: str, name: str, form: str, status: str, files=(), contact: str = "", phone: str = "") -> dict:
    return {"unit_code": code, "unit_name": name, "contact": contact, "phone": phone, "form": form,
            "form_title": LEDGER_TITLE if form == LEDGER else STATS_TITLE, "status": status, "files": list(files)}


SUBMISSIONS = [
    submission("2101010001", "沈阳市第一中学", LEDGER, "valid", ["沈阳/一中/台账.xlsx"], "李老师", "13800000001"),
    submission("2101010001", "沈阳市第一中学", STATS, "missing", [], "李老师", "13800000001"),
    submission("2101010002", "沈阳市第二中学", LEDGER, "invalid", ["沈阳/二中/台账.xlsx"], "张老师", "13800000002"),
    submission("2101010002", "沈阳市第二中学", STATS, "late", ["沈阳/二中/统计表.docx"], "张老师", "13800000002"),
    submission("2103010005", "鞍山市第五中学", LEDGER, "late", ["鞍山/五中/台账.xlsx"], "赵老师", "13800000005"),
    submission("2103010006", "+鞍山市第六中学", LEDGER, "invalid", ['=HYPERLINK("http://example.com","点我").xlsx'],
               "孙老师", "13800000006"),
    submission("2103010007", "鞍山市第七中学", LEDGER, "missing", [], "王老师", "13800000007"),
    submission("2103010007", "鞍山市第七中学", STATS, "missing", [], "王老师", "13800000007"),
    submission("2103010009", "=鞍山九中", LEDGER, "missing", [], "@钱老师", "+86 138 0000 0009"),
]


ROSTER = Roster([Unit(code, name, contact, phone) for code, name, contact, phone in dict.fromkeys(
    (s["unit_code"], s["unit_name"], s["contact"], s["phone"]) for s in SUBMISSIONS)])
