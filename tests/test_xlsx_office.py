"""The Excel round trip through a real LibreOffice: generate blank, type as a person would, save, read back."""

from __future__ import annotations

import json

import pytest
from openpyxl import load_workbook
from openpyxl.utils.cell import range_boundaries

from formgen.layout.xlsx import FORM_SHEET, defined_name, table_name
from tests.conftest import run_cli

pytestmark = pytest.mark.office

SCALARS = {
    "report_kind": ("续报", "follow-up"),
    "report_no": ("2021-032", "2021-032"),
    "initial_report_no": ("2021-031", "2021-031"),
    "school_name": ("沈阳市《第八十二》中学&<实验>、分校", "沈阳市《第八十二》中学&<实验>、分校"),
    "school_code": ("3121000321", "3121000321"),
    "reporter": ("王立新", "王立新"),
    "reporter_phone": ("13804051234", "13804051234"),
    "reported_at": ("2021-03-09 10:20", "2021-03-09T10:20:00+08:00"),
    "occurred_at": ("2021年3月8日 16时40分", "2021-03-08T16:40:00+08:00"),
    "place": ("教学楼三楼东侧卫生间", "教学楼三楼东侧卫生间"),
    "severity": ("反复发生的一般欺凌", "repeated"),
    "police_notified": ("是", True),
    "authority_notified": ("否", False),
}
MULTILINE = {
    "cause": "课间排队打水时发生口角；\n放学后在卫生间堵截。",
    "process": "16时40分，张某、赵某将李某堵在卫生间内，推搡拉扯 & 抢走饭卡 <约20元>。\n值周教师巡查发现并制止。\n随后带至德育处。",
    "measures": "1. 当场制止；\n2. 通知双方家长。",
}
# (role, name, gender, grade_class, age): typed into the table; age typed as a number.
PEOPLE = [
    ("实施方", "张某某", "男", "初二（3）班", "14"),
    ("被欺凌方", "李某某", "男", "初二（3）班", "13"),
    ("知情人", "刘某某", "女", "初二（3）班", "14"),
]
INSERTED = ("实施方", "赵某某", "男", "初二（5）班", "15")  # typed into a row inserted after the first


def _table_origin(path) -> tuple[int, int]:
    wb = load_workbook(path)
    ws = wb[FORM_SHEET]
    min_col, min_row, _max_col, _max_row = range_boundaries(ws.tables[table_name("persons")].ref)
    return min_col, min_row


def _row_ops(row: int, values) -> list[dict]:
    ops = []
    for col, text in zip("ABCDE", values):
        ops.append({"op": "type", "cell": f"{FORM_SHEET}!{col}{row}", "text": text})
    return ops


def fill(office, blank, out, scalars, multiline, people, inserted=None):
    _min_col, header = _table_origin(blank)
    ops = [{"op": "open", "path": str(blank)}]
    for name, (typed, _expected) in scalars.items():
        ops.append({"op": "type", "name": defined_name(name), "text": typed})
    for name, text in multiline.items():
        ops.append({"op": "type_string", "name": defined_name(name), "text": text})
    for i, person in enumerate(people):
        ops += _row_ops(header + 1 + i, person)
    if inserted:
        ops.append({"op": "insert_rows", "cell": f"{FORM_SHEET}!A{header + 2}", "count": 1})
        ops += _row_ops(header + 2, inserted)
    ops += [{"op": "save", "path": str(out)}, {"op": "close"}]
    office.run(ops)


def _person(values) -> dict:
    role, name, gender, grade_class, age = values
    roles = {"实施方": "bully", "被欺凌方": "victim", "知情人": "witness"}
    return {"role": roles[role], "name": name, "gender": {"男": "male", "女": "female"}[gender],
            "grade_class": grade_class, "age": int(age)}


def test_libreoffice_fill_reads_back_exactly(office, tmp_path):
    blank = tmp_path / "blank.xlsx"
    assert run_cli("generate", "incident-report", "--format", "xlsx", "-o", str(blank)).exit_code == 0
    filled = tmp_path / "filled.xlsx"
    fill(office, blank, filled, SCALARS, MULTILINE, PEOPLE, INSERTED)

    result = run_cli("extract", str(filled))
    assert result.exit_code == 0, result.output
    got = json.loads(result.stdout)
    expected = {name: value for name, (_typed, value) in SCALARS.items()}
    expected.update(MULTILINE)
    expected["persons"] = [_person(PEOPLE[0]), _person(INSERTED), _person(PEOPLE[1]), _person(PEOPLE[2])]
    assert got == {"form": "incident-report", "version": "1.0.0", "data": expected}

    valid = run_cli("validate", str(filled), "--json")
    assert valid.exit_code == 0, valid.stdout
    assert json.loads(valid.stdout)[0]["valid"] is True


def test_libreoffice_invalid_values_are_reported(office, tmp_path):
    blank = tmp_path / "blank.xlsx"
    run_cli("generate", "incident-report", "--format", "xlsx", "-o", str(blank))
    scalars = dict(SCALARS, severity=("很严重", None))
    people = [PEOPLE[0], ("被欺凌方", "李某某", "男", "初二（3）班", "十三岁")]
    filled = tmp_path / "invalid.xlsx"
    fill(office, blank, filled, scalars, MULTILINE, people)

    result = run_cli("validate", str(filled), "--json")
    assert result.exit_code == 1
    report = json.loads(result.stdout)[0]
    assert report["valid"] is False
    found = {(i["code"], i["path"]) for i in report["issues"]}
    assert found == {("FG205", "severity"), ("FG201", "persons.1.age")}
    by_path = {i["path"]: i for i in report["issues"]}
    assert "情节程度" in by_path["severity"]["message"]
    assert "涉及人员 第2行 年龄" in by_path["persons.1.age"]["message"]
    assert by_path["persons.1.age"]["location"].startswith(f"{FORM_SHEET}!E")
    assert "李某某" not in result.stdout  # personal data is never repeated

    english = run_cli("validate", str(filled), lang="en")
    assert "People involved row 2 Age (persons.1.age) must be a number" in english.stdout
