"""The Word round trip through a real LibreOffice: generate blank, fill as a person would, save, read back."""

from __future__ import annotations

import json
import subprocess

import pytest

from formgen.layout.docx import layout
from formgen.layout.labels import printed_label
from tests.conftest import example, run_cli
from tests.office import convert

pytestmark = pytest.mark.office

TYPED = {
    "report_no": ("2021-032", "2021-032"),
    "initial_report_no": ("2021-031", "2021-031"),
    "school_name": ("沈阳市《第八十二》中学&<实验>、分校", "沈阳市《第八十二》中学&<实验>、分校"),
    "school_code": ("3121000321", "3121000321"),
    "reporter": ("王立新", "王立新"),
    "reporter_phone": ("13804051234", "13804051234"),
    "reported_at": ("2021-03-09 10:20", "2021-03-09T10:20:00+08:00"),
    "occurred_at": ("2021年3月8日 16时40分", "2021-03-08T16:40:00+08:00"),
    "place": ("教学楼三楼东侧卫生间", "教学楼三楼东侧卫生间"),
    "cause": ("课间排队打水时发生口角；\n放学后在卫生间堵截。", "课间排队打水时发生口角；\n放学后在卫生间堵截。"),
    "process": ("16时40分，张某、赵某将李某堵在卫生间内，推搡拉扯 & 抢走饭卡 <约20元>。\n值周教师巡查发现并制止。\n随后带至德育处。",
                "16时40分，张某、赵某将李某堵在卫生间内，推搡拉扯 & 抢走饭卡 <约20元>。\n值周教师巡查发现并制止。\n随后带至德育处。"),
    "measures": ("1. 当场制止；\n2. 通知双方家长《告知书》。", "1. 当场制止；\n2. 通知双方家长《告知书》。"),
}
TICKED = {"report_kind": ("续报", "follow-up"), "police_notified": ("是", True), "authority_notified": ("否", False)}
PICKED = {"severity": ("反复发生的一般欺凌", "repeated")}
# (role, name, gender, grade_class, age): role and gender picked from dropdowns, the rest typed.
PEOPLE = [
    ("实施方", "张某某", "男", "初二（3）班", "14"),
    ("被欺凌方", "李某某", "男", "初二（3）班", "13"),
    ("知情人", "刘某某", "女", "初二（3）班", "14"),
]
ADDED = ("实施方", "赵某某", "男", "初二（5）班", "15")  # typed into a row inserted after the first person


def _label(registry, address: str) -> str:
    spec = registry.get("incident-report")
    return printed_label(spec, spec.lookup(address))


def _persons_table(registry) -> int:
    return next(t.number for t in layout(registry.get("incident-report")).tables if t.group is not None)


def _row_ops(table: int, row: int, person, picked: bool) -> list[dict]:
    ops = []
    for col, value in zip("ABCDE", person):
        where = {"table": table, "cell": f"{col}{row}"}
        if picked and col in "AC":
            ops.append({"op": "pick", **where, "item": value})
        else:
            ops.append({"op": "fill", **where, "text": value})
    return ops


def fill(office, registry, blank, out, typed, ticked, picked, people, added=None):
    ops = [{"op": "open", "path": str(blank)}]
    for address, (text, _value) in typed.items():
        ops.append({"op": "fill", "label": _label(registry, address), "text": text})
    for address, (choice, _value) in ticked.items():
        for one in choice.split("+"):
            ops.append({"op": "tick", "label": _label(registry, address), "choice": one})
    for address, (item, _value) in picked.items():
        ops.append({"op": "pick", "label": _label(registry, address), "item": item})
    table = _persons_table(registry)
    for i, person in enumerate(people):
        ops += _row_ops(table, 2 + i, person, picked=True)
    if added:
        ops.append({"op": "insert_table_rows", "table": table, "row": 3, "count": 1})
        ops += _row_ops(table, 3, added, picked=False)  # a new row has no controls: everything is typed
    ops += [{"op": "save", "path": str(out)}, {"op": "close"}]
    office.run(ops)


def resave(office, src, out):
    office.run([{"op": "open", "path": str(src)}, {"op": "save", "path": str(out)}, {"op": "close"}])


def _person(values) -> dict:
    role, name, gender, grade_class, age = values
    roles = {"实施方": "bully", "被欺凌方": "victim", "知情人": "witness"}
    return {"role": roles[role], "name": name, "gender": {"男": "male", "女": "female"}[gender],
            "grade_class": grade_class, "age": int(age)}


def _extract(path) -> dict:
    result = run_cli("extract", str(path))
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_libreoffice_fill_reads_back_exactly_and_survives_a_second_save(office, registry, tmp_path):
    blank = tmp_path / "blank.docx"
    assert run_cli("generate", "incident-report", "--format", "docx", "-o", str(blank)).exit_code == 0
    filled = tmp_path / "filled.docx"
    fill(office, registry, blank, filled, TYPED, TICKED, PICKED, PEOPLE, ADDED)

    expected = {address: value for table in (TYPED, TICKED, PICKED) for address, (_shown, value) in table.items()}
    expected["persons"] = [_person(PEOPLE[0]), _person(ADDED), _person(PEOPLE[1]), _person(PEOPLE[2])]
    assert _extract(filled) == {"form": "incident-report", "version": "1.0.0", "data": expected}

    valid = run_cli("validate", str(filled), "--json")
    assert valid.exit_code == 0, valid.stdout
    assert json.loads(valid.stdout)[0]["valid"] is True

    twice = tmp_path / "twice.docx"
    resave(office, filled, twice)
    assert _extract(twice)["data"] == expected


def test_libreoffice_rule_breaking_values_are_reported(office, registry, tmp_path):
    blank = tmp_path / "blank.docx"
    run_cli("generate", "incident-report", "--format", "docx", "-o", str(blank))
    typed = dict(TYPED, reporter_phone=("1380405", None))
    ticked = dict(TICKED, police_notified=("是+否", None))
    people = [PEOPLE[0], ("被欺凌方", "李某某", "男", "初二（3）班", "十三岁")]
    filled = tmp_path / "invalid.docx"
    fill(office, registry, blank, filled, typed, ticked, PICKED, people)

    result = run_cli("validate", str(filled), "--json")
    assert result.exit_code == 1
    report = json.loads(result.stdout)[0]
    assert report["valid"] is False
    found = {(i["code"], i["path"]) for i in report["issues"]}
    assert found == {("FG307", "reporter_phone"), ("FG206", "police_notified"), ("FG201", "persons.1.age")}
    by_path = {i["path"]: i for i in report["issues"]}
    assert "涉及人员 第2行 年龄" in by_path["persons.1.age"]["message"]
    table = _persons_table(registry)
    assert by_path["persons.1.age"]["location"] == f"表{table}!R3C5"
    assert "李某某" not in result.stdout  # personal data is never repeated
    assert by_path["reporter_phone"]["typed"] == "1380405"  # what was typed in a non-personal field is shown


def test_libreoffice_renders_one_tidy_a4_page_with_chinese_text(tmp_path):
    filled = tmp_path / "filled.docx"
    data = tmp_path / "data.json"
    data.write_text(json.dumps(example("incident-report"), ensure_ascii=False), "utf-8")
    run_cli("generate", "incident-report", "--format", "docx", "--data", str(data), "-o", str(filled))
    pdf = convert(filled, "pdf", tmp_path)
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    assert "Pages:           1" in info
    assert "(A4)" in info
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    for expected in ("学生欺凌事件报告表", "报告信息", "事件基本情况", "涉及人员", "处置情况", "报告学校",
                     "学校标识码", "沈阳市第八十二中学", "情节程度", "待认定", "张某某", "初二（5）班"):
        assert expected in text
