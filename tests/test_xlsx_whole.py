"""A small sheet or shared strings part is parsed whole rather than streamed (formgen.read.xlsx_package), which
is faster: what is read must be the same either way, for a filled form and for parts whose rows or strings lie
inside one another (where a whole tree would meet them in another order), are damaged, or hold a cell longer
than Excel allows."""

from __future__ import annotations

import io

import pytest

from formgen.compile import COMPILERS
from formgen.issues import Unreadable
from formgen.layout.xlsx import FORM_SHEET
from formgen.read import xlsx_package
from formgen.read.guard import check_package
from tests import hostile
from tests.conftest import example

FORM = "incident-report"
SHEET = hostile.SHEET
STRINGS = "xl/sharedStrings.xml"
#: the report kind (B4), typed as an inline string
KIND = '<c r="B4" s="7" t="inlineStr"><is><t>&#39318;&#25253;</t></is></c>'


@pytest.fixture(scope="module")
def filled(registry, tmp_path_factory) -> bytes:
    path = tmp_path_factory.mktemp("whole") / "filled.xlsx"
    COMPILERS["xlsx"].compile(registry.get(FORM), example(FORM), path)
    return path.read_bytes()


def read(data: bytes, whole: bool, monkeypatch) -> tuple:
    """What the reader makes of a workbook: its cells, formulas and merged rows, or the refusal or error."""
    with monkeypatch.context() as m:
        if not whole:
            m.setattr(xlsx_package, "_WHOLE_PART", -1)
        parts = check_package(io.BytesIO(data), xlsx_package.FORMAT, sheets="xl/worksheets/")
        try:
            book = xlsx_package.read_book(parts)
        except Unreadable as exc:
            return "refused", exc.issue.message("en")
        except Exception as exc:  # the pipeline's "unreadable"
            return "damaged", type(exc).__name__
    return "read", book.cells, book.formulas, book.merged_rows


def with_strings(data: bytes, strings: str) -> bytes:
    """The workbook with the report kind taken from a shared strings part (its first item)."""
    sheet = dict(hostile.parts(data))[SHEET].decode("utf-8").replace(KIND, '<c r="B4" s="7" t="s"><v>0</v></c>')
    return hostile.repack(data, {SHEET: sheet.encode("utf-8")}, add=[hostile.Entry(STRINGS, strings.encode("utf-8"))])


SST = '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">{}</sst>'
CASES = {
    "as generated": lambda d: d,
    "a row inside a cell": lambda d: hostile.edit(d, SHEET, lambda x: x.replace(
        KIND, '<c r="B4" s="7" t="inlineStr"><row r="4"><c r="B4" t="inlineStr"><is><t>inner</t></is></c></row>'
              '<is><t>outer</t></is></c>')),
    "a merged range inside a row": lambda d: hostile.edit(d, SHEET, lambda x: x.replace(
        KIND, '<mergeCell ref="B4:E4"/>' + KIND)),
    "a row beside the sheet's rows": lambda d: hostile.edit(d, SHEET, lambda x: x.replace(
        "<sheetData>", '<row r="4"><c r="B4"><v>7</v></c></row><sheetData>')),
    "a too long cell, then damage": lambda d: hostile.edit(d, SHEET, lambda x: x.replace(
        KIND, f'<c r="B4" t="inlineStr"><is><t>{"x" * 32768}</t></is></c>').replace("</worksheet>", "<x></worksheet>")),
    "damage, then a too long cell": lambda d: hostile.edit(d, SHEET, lambda x: x.replace(
        '<row r="3"', '<row r="3" a="1" a="2"').replace(KIND, f'<c r="B4" t="inlineStr"><is><t>{"x" * 32768}</t></is></c>')),
    "shared strings": lambda d: with_strings(d, SST.format("<si><t>首报</t></si><si><t>续报</t></si>")),
    "a string inside a string": lambda d: with_strings(d, SST.format(
        "<si><t>outer</t><si><t>inner</t></si></si><si><t>续报</t></si>")),
    "damaged shared strings": lambda d: with_strings(d, SST.format("<si><t>首报</t></si><si>")),
}


@pytest.mark.parametrize("case", CASES)
def test_a_part_parsed_whole_reads_as_when_streamed(filled, monkeypatch, case):
    data = CASES[case](filled)
    assert read(data, True, monkeypatch) == read(data, False, monkeypatch)


def test_cells_and_strings_inside_others_are_read_in_the_order_their_ends_come(filled, monkeypatch):
    """A stream meets an element when it ends: a row inside a cell is read before the row holding it, whose
    cell then holds the value written last; a string item inside another comes first in the list."""
    def kind(case: str) -> object:
        return read(CASES[case](filled), True, monkeypatch)[1][FORM_SHEET][4, 2]
    assert kind("a row inside a cell") == "outer"
    assert kind("a string inside a string") == "inner"
    assert kind("shared strings") == "首报"
    assert read(CASES["a too long cell, then damage"](filled), True, monkeypatch)[0] == "refused"
    assert read(CASES["damage, then a too long cell"](filled), True, monkeypatch) == ("damaged", "XMLSyntaxError")
