"""Pre-printed rows (like the 50 measures): printed columns are locked and stay out of the record."""

from __future__ import annotations

import json

from openpyxl import load_workbook

from formgen.compile import COMPILERS
from formgen.pipeline import process
from formgen.spec import Registry
from tests.inline import form

CHECKLIST = form([
    ("unit", "text", "填报单位"),
    ("measures", "rows", "工作措施", [
        ("no", "int", "序号", {"x": {"readonly": True}}),
        ("measure", "text", "工作措施", {"x": {"readonly": True}}),
        ("status", "choice:done=已落实,partly=部分落实,no=未落实", "落实情况"),
        ("note", "text", "说明"),
    ]),
], form_id="t-checklist")
CHECKLIST["properties"]["measures"]["x-formgen"] = {
    "key": "no", "fixed_rows": [{"no": 1, "measure": "明确界定"}, {"no": 2, "measure": "落实机构"},
                                {"no": 3, "measure": "定期排查"}]}


def _registry(tmp_path) -> Registry:
    folder = tmp_path / "forms"
    folder.mkdir()
    (folder / "t-checklist.json").write_text(json.dumps(CHECKLIST, ensure_ascii=False), "utf-8")
    return Registry(folder)


def test_fixed_rows_print_locked_and_read_back_by_key(tmp_path):
    registry = _registry(tmp_path)
    spec = registry.get("t-checklist")
    record = {"unit": "某县教育局", "measures": [{"no": 1, "status": "done"}, {"no": 2},
                                            {"no": 3, "status": "partly", "note": "正在推进"}]}
    out = tmp_path / "c.xlsx"
    COMPILERS["xlsx"].compile(spec, record, out)
    ws = load_workbook(out)["表单"]
    printed = {c.value: c.protection.locked for row in ws.iter_rows() for c in row if c.value in ("明确界定", "定期排查")}
    assert printed == {"明确界定": True, "定期排查": True}
    result = process(out, registry)
    assert result.data == record
    assert result.valid


def test_blank_fixed_rows_keep_their_positions(tmp_path):
    registry = _registry(tmp_path)
    out = tmp_path / "blank.xlsx"
    COMPILERS["xlsx"].compile(registry.get("t-checklist"), None, out)
    assert process(out, registry).data == {"measures": [{"no": 1}, {"no": 2}, {"no": 3}]}
