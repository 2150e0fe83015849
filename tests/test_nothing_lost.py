"""Nothing typed is lost silently: formulas in input cells, values outside the form (a far cell, a Word
altChunk), rows of a table the saving program dropped (Gnumeric's ssconvert), and `extract` never exits 0
with a value it could not read."""

from __future__ import annotations

import io
import json
import re
import shutil
import subprocess
import zipfile
from xml.sax.saxutils import escape

import pytest

from formgen.pipeline import process
from formgen.read.xlsx import XlsxReader
from tests import hostile
from tests.conftest import example, run_cli


@pytest.fixture(scope="module")
def base(registry, tmp_path_factory) -> dict[str, bytes]:
    return hostile.make_base(registry, example(hostile.FORM), tmp_path_factory.mktemp("base"))


def _cell_of(data: bytes, address: str) -> str:
    return XlsxReader().open(io.BytesIO(data)).names[f"fg.{address}"][1]


def _with_formula(data: bytes, coord: str, formula: str, cached: str | None) -> bytes:
    """The workbook with the cell ``coord`` of the form sheet replaced by a formula (and its cached value)."""
    value = f"<v>{cached}</v>" if cached is not None else ""
    def cell(match: re.Match) -> str:
        style = re.search(r' s="\d+"', match["attrs"])
        return f'<c r="{coord}"{style[0] if style else ""} t="str"><f>{escape(formula)}</f>{value}</c>'
    return hostile.edit(data, hostile.SHEET, lambda xml: re.sub(
        rf'<c r="{coord}"(?P<attrs>[^>]*?)(?:/>|>.*?</c>)', cell, xml, count=1))


def test_a_formula_without_a_computed_value_is_an_error_naming_it(registry, base):
    coord = _cell_of(base["xlsx"], "harm")
    result = process("formula.xlsx", registry, _with_formula(base["xlsx"], coord, 'CONCAT("无","伤害")', None))
    (issue,) = [i for i in result.issues if i.path == "harm"]
    assert (issue.code.id, issue.location) == ("FG121", f"表单!{coord}")
    assert '=CONCAT("无","伤害")' in issue.message("zh_CN") and "没有保存它的计算结果" in issue.message("zh_CN")
    assert not result.valid


def test_a_formula_with_a_computed_value_is_read_with_a_warning(registry, base):
    coord = _cell_of(base["xlsx"], "harm")
    result = process("formula.xlsx", registry, _with_formula(base["xlsx"], coord, 'CONCAT("无","伤害")', "无伤害"))
    assert [(i.code.id, i.path) for i in result.issues] == [("FG120", "harm")]
    assert result.valid and result.data["harm"] == "无伤害"


def test_the_formula_of_a_personal_field_in_a_row_is_reported_but_not_repeated(registry, base):
    result = process("formula.xlsx", registry, _with_formula(base["xlsx"], "B19", '"张某"&"某"', "张某某"))
    assert [(i.code.id, i.path, i.location) for i in result.issues] == [("FG120", "persons.0.name", "表单!B19")]
    assert "张某" not in result.issues[0].message("zh_CN") and result.data["persons"][0]["name"] == "张某某"


def test_extract_exits_1_when_a_value_could_not_be_read(registry, base, tmp_path):
    coord = _cell_of(base["xlsx"], "harm")
    path = tmp_path / "formula.xlsx"
    path.write_bytes(_with_formula(base["xlsx"], coord, "1+1", None))
    out = run_cli("extract", str(path))
    assert out.exit_code == 1 and "FG121" in out.stderr and json.loads(out.stdout)["form"] == hostile.FORM


def test_a_word_alt_chunk_is_extra_content(registry, base):
    data = hostile.edit(base["docx"], "word/document.xml", lambda xml: xml.replace(
        "<w:sectPr", '<w:altChunk r:id="chunk1"/><w:sectPr', 1))
    result = process("chunk.docx", registry, data)
    assert [(i.code.id, i.location) for i in result.issues] == [("FG108", "altChunk 1")]


def test_tables_are_related_by_relative_targets(base):
    rels = dict(hostile.parts(base["xlsx"]))["xl/worksheets/_rels/sheet1.xml.rels"].decode()
    assert 'Target="../tables/table1.xml"' in rels and 'Target="/' not in rels


@pytest.fixture(scope="module")
def gnumeric(base, tmp_path_factory):
    if shutil.which("ssconvert") is None:
        pytest.fail("ssconvert is missing: run scripts/bootstrap-system.sh test (Debian package gnumeric)")
    folder = tmp_path_factory.mktemp("gnumeric")
    src, dst = folder / "filled.xlsx", folder / "gnumeric.xlsx"
    src.write_bytes(base["xlsx"])
    subprocess.run(["ssconvert", str(src), str(dst)], check=True, capture_output=True, timeout=120)
    return dst


def test_a_workbook_resaved_by_gnumeric_reads_back_exactly_rows_included(registry, base, gnumeric):
    with zipfile.ZipFile(gnumeric) as zf:
        assert not [n for n in zf.namelist() if "/tables/" in n]  # Gnumeric dropped the table
    result = process(gnumeric, registry)
    assert result.data == example(hostile.FORM)
    assert [(i.code.id, i.path, i.location) for i in result.issues] == [("FG122", "persons", "表单!A18")]
    assert "4 行" in result.issues[0].message("zh_CN")
    out = run_cli("extract", str(gnumeric))
    assert out.exit_code == 0 and "FG122" in out.stderr
    assert json.loads(out.stdout)["data"] == example(hostile.FORM)


def test_without_its_table_and_header_a_group_is_a_layout_change_and_extract_fails(registry, gnumeric, tmp_path):
    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(hostile.edit(gnumeric.read_bytes(), hostile.SHEET, lambda xml: xml.replace(
        ">年级班级<", ">班级<", 1)))
    result = process(broken, registry)
    assert ("FG105", "persons") in [(i.code.id, i.path) for i in result.issues]
    assert run_cli("extract", str(broken)).exit_code == 1
