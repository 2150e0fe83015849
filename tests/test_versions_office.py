"""A return on version 1.0.0 after 1.1.0 exists, filled the way a person would: Excel in LibreOffice, the PDF with
pdftk.  It reads as 1.0.0, is valid there, and migrates to 1.1.0 with the renamed field, the renamed column and the
merged choice; a batch over these and a 1.1.0 return consolidates them all in 1.1.0's shape."""

from __future__ import annotations

import json

import pytest

from tests import test_pdf, test_xlsx_office
from tests.test_versions import FORM, _details, _record_11, invoke

pytestmark = pytest.mark.office


@pytest.fixture(scope="module")
def returns(office, tmp_path_factory):
    """Two units' returns on 1.0.0 (Excel filled in LibreOffice, PDF filled by pdftk), one pre-filled on 1.1.0."""
    folder = tmp_path_factory.mktemp("returns")
    blanks = tmp_path_factory.mktemp("blanks")
    for fmt in ("xlsx", "pdf"):
        assert invoke("generate", FORM, "--version", "1.0.0", "-o", str(blanks / f"old.{fmt}")).exit_code == 0
    x = test_xlsx_office
    other_unit = dict(x.SCALARS, school_code=("3121000324", "3121000324"))  # not superseded by the PDF's unit
    x.fill(office, blanks / "old.xlsx", folder / "excel.xlsx", other_unit, x.MULTILINE, x.PEOPLE)
    test_pdf.fill_pdftk(blanks / "old.pdf", folder / "pdftk.pdf")
    record = blanks / "new.json"
    record.write_text(json.dumps(_record_11("3121000322"), ensure_ascii=False), "utf-8")
    assert invoke("generate", FORM, "--data", str(record), "-o", str(folder / "new.docx")).exit_code == 0
    return folder


@pytest.mark.parametrize("name, severity, phone", [
    ("excel.xlsx", "repeated", "13804051234"), ("pdftk.pdf", "repeated", "13804051234")])
def test_a_filled_old_return_reads_as_its_version_and_migrates(returns, name, severity, phone):
    path = str(returns / name)
    plain = json.loads(invoke("extract", path).stdout)
    assert plain["version"] == "1.0.0"
    assert (plain["data"]["severity"], plain["data"]["reporter_phone"]) == (severity, phone)
    report = json.loads(invoke("validate", "--json", path).stdout)[0]
    assert (report["version"], report["valid"], report["issues"]) == ("1.0.0", True, [])

    migrated = json.loads(invoke("extract", "--migrate", path).stdout)
    assert (migrated["version"], migrated["migrated_from"]) == ("1.1.0", "1.0.0")
    data, old = migrated["data"], plain["data"]
    assert data["contact_phone"] == phone and "reporter_phone" not in data
    assert data["severity"] == "general"
    assert data["report_channel"] == "written"
    assert [p.get("class_name") for p in data["persons"]] == [p.get("grade_class") for p in old["persons"]]
    same = {k: v for k, v in old.items() if k not in ("reporter_phone", "severity", "persons", "harm")}
    assert {k: data[k] for k in same} == same  # every other value intact
    checked = json.loads(invoke("validate", "--migrate", "--json", path).stdout)[0]
    assert checked["valid"] is True and [i["code"] for i in checked["issues"]] == ["FG360"]


def test_a_batch_over_both_versions_consolidates_in_the_newest(returns, tmp_path):
    out = tmp_path / "out"
    result = invoke("batch", str(returns), "-o", str(out), "--form", FORM)
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in (out / "汇总").iterdir()) == [f"{FORM}.xlsx"]
    rows = _details(out / "汇总" / f"{FORM}.xlsx")
    files = {r["来源文件"] for r in rows}
    assert files == {"excel.xlsx", "pdftk.pdf", "new.docx"}
    assert {r["情节程度"] for r in rows} == {"一般欺凌"}
    assert {r["来源文件"]: r["报告途径"] for r in rows} == {"excel.xlsx": "书面", "pdftk.pdf": "书面", "new.docx": "电话"}
    assert {r["联系电话"] for r in rows} == {"13804051234"}
    assert "1.0.0 版的 2 份合格报表已转换为 1.1.0 版" in result.stdout
