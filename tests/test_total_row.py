"""A statistics table's 合计 row: declared by the group (``x-formgen.total_row``), checked by lint, printed in
Excel as a row of ``=SUM`` formulas under the division rows, and read back whether or not an office program has
calculated them."""

from __future__ import annotations

import json
import re

import pytest
from openpyxl import load_workbook
from openpyxl.utils.cell import range_boundaries
from pypdf import PdfReader

from formgen.layout.xlsx import FORM_SHEET, defined_name, table_name
from formgen.spec.lint import lint_definition
from tests.conftest import example, run_cli
from tests.docx_dump import dump
from tests.inline import form

COLUMNS = [("name", "text", "县"), ("schools", "int", "学校数"), ("found", "int", "发现隐患")]


def _definition(total_row: dict, totals: list[tuple] | None = None) -> dict:
    definition = form([("rows", "rows", "分县情况", COLUMNS)])
    definition["properties"]["rows"]["x-formgen"] = {"total_row": total_row}
    definition["properties"]["totals"] = {"title": "合计", "type": "object", "properties": {
        name: {"title": title, "type": kind} for name, kind, title in totals or [
            ("schools", "integer", "学校数合计"), ("found", "integer", "发现隐患合计")]}}
    return definition


def _problems(definition) -> list[tuple[str, str, str]]:
    out = []
    for issue in lint_definition(definition, "t.json"):
        reason = issue.params.get("reason")
        out.append((issue.code.id, issue.path, reason.msgid.format(**reason.params) if reason else ""))
    return out


def test_lint_accepts_a_total_row_of_number_columns():
    assert _problems(_definition({"object": "totals"})) == []


@pytest.mark.parametrize("total_row, totals, reason", [
    ({"object": "sums"}, None, "'sums' is not an object of the form"),
    ({"object": "totals"}, [("schools", "integer", "学校"), ("region", "integer", "区")],
     "'totals.region' has no column of the same name in the group to stand under"),
    ({"object": "totals"}, [("schools", "string", "学校")], "'totals.schools' and its column must both be numbers"),
    ({"object": "totals"}, [("name", "integer", "县")], "the first column of 'rows' holds the label of the total row"),
])
def test_lint_locates_a_wrong_total_row(total_row, totals, reason):
    problems = _problems(_definition(total_row, totals))
    assert any(code == "FG404" and path == "$.properties.rows.x-formgen.total_row.object" and reason in text
               for code, path, text in problems), problems


def test_the_statistics_table_has_a_sum_row_under_its_rows(tmp_path):
    out = tmp_path / "stats.xlsx"
    data = tmp_path / "data.json"
    record = example("basic-stats")
    data.write_text(json.dumps(record, ensure_ascii=False), "utf-8")
    assert run_cli("generate", "basic-stats", "--format", "xlsx", "-o", str(out), "--data", str(data)).exit_code == 0
    wb = load_workbook(out)
    ws = wb[FORM_SHEET]
    _c0, first, _c1, last = range_boundaries(ws.tables[table_name("divisions")].ref)
    total = last + 1
    assert ws.cell(total, 1).value == "合计"
    name = wb.defined_names[defined_name("totals.schools")]
    assert next(iter(name.destinations))[1] == f"$C${total}"
    assert ws.cell(total, 3).value == f"=SUM(C{first + 1}:C{last})"
    assert ws.cell(total, 3).protection.locked
    printed = [c.value for row in ws.iter_rows() for c in row if isinstance(c.value, str)]
    assert "学校总数合计（所）" not in printed  # no separate block of 12 total rows any more
    # formgen writes the formulas without values; reading computes them as the office program will
    assert json.loads(run_cli("extract", str(out)).stdout)["data"] == record


@pytest.mark.office
def test_libreoffice_computes_the_total_row_and_it_is_checked(office, tmp_path):
    blank = tmp_path / "blank.xlsx"
    assert run_cli("generate", "basic-stats", "--format", "xlsx", "-o", str(blank)).exit_code == 0
    ws = load_workbook(blank)[FORM_SHEET]
    _c0, header, _c1, _last = range_boundaries(ws.tables[table_name("divisions")].ref)
    rows = [["铁东区", "210302"] + [str(n) for n in range(1, 13)],
            ["铁西区", "210303"] + [str(2 * n) for n in range(1, 13)],
            ["立山区", "210304"] + ["5"] * 12]
    ops = [{"op": "open", "path": str(blank)}]
    for name, text in (("unit", "鞍山市教育局"), ("filled_on", "2021-03-09"), ("filler", "孙丽娜"),
                       ("filler_phone", "0412-5863217")):
        ops.append({"op": "type", "name": defined_name(name), "text": text})
    for i, row in enumerate(rows[:2]):
        ops += [{"op": "type", "cell": f"{FORM_SHEET}!{col}{header + 1 + i}", "text": text}
                for col, text in zip("ABCDEFGHIJKLMN", row)]
    # a row inserted above the last row of the table: the sums widen with it
    last = header + 14
    ops.append({"op": "insert_rows", "cell": f"{FORM_SHEET}!A{last}", "count": 1})
    ops += [{"op": "type", "cell": f"{FORM_SHEET}!{col}{last}", "text": text}
            for col, text in zip("ABCDEFGHIJKLMN", rows[2])]
    filled = tmp_path / "filled.xlsx"
    ops += [{"op": "save", "path": str(filled)}, {"op": "close"}]
    office.run(ops)

    calculated = load_workbook(filled, data_only=True)[FORM_SHEET]
    total_row = next(r for r in calculated.iter_rows() if r[0].value == "合计")
    assert [c.value for c in total_row[2:14]] == [3 * n + 5 for n in range(1, 13)]  # LibreOffice's own values
    got = json.loads(run_cli("extract", str(filled)).stdout)["data"]
    assert got["totals"]["schools"] == 8 and got["totals"]["committees"] == 41
    assert len(got["divisions"]) == 3
    report = json.loads(run_cli("validate", str(filled), "--json").stdout)[0]
    assert not [i for i in report["issues"] if re.match(r"total-", i.get("rule", "") or "")]


@pytest.mark.parametrize("fmt", ["docx", "pdf"])
def test_word_and_pdf_print_the_total_row_and_read_it_back(tmp_path, fmt):
    out = tmp_path / f"stats.{fmt}"
    data = tmp_path / "data.json"
    record = example("basic-stats")
    data.write_text(json.dumps(record, ensure_ascii=False), "utf-8")
    assert run_cli("generate", "basic-stats", "--format", fmt, "-o", str(out), "--data", str(data)).exit_code == 0
    assert json.loads(run_cli("extract", str(out)).stdout)["data"] == record
    if fmt == "pdf":
        widgets = {_full_name(a): [float(v) for v in a["/Rect"]] for page in PdfReader(out).pages
                   for a in (x.get_object() for x in page.get("/Annots", []))}
        last_row = widgets["divisions.13.schools"]
        total = widgets["totals.schools"]
        assert abs(total[0] - last_row[0]) < 0.5 and total[3] <= last_row[1] + 1  # under the column, below
    else:
        text = dump(out)
        table = text.split("\ntable")[-1]  # the divisions table, the last of the form
        last = [line for line in table.splitlines() if line.strip().startswith("|")][-1]
        assert "合计" in last and "tag=totals.schools: 375" in last and "tag=totals.committees: 371" in last
        assert "学校总数合计（所）" not in text


def _full_name(annotation) -> str:
    parts = []
    node = annotation
    while node is not None:
        if "/T" in node:
            parts.insert(0, str(node["/T"]))
        node = node.get("/Parent").get_object() if "/Parent" in node else None
    return ".".join(parts)
