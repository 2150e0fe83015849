"""Real JavaScript programs people's tools are built on: pdf.js (Firefox's PDF viewer) fills a formgen PDF and saves
it with its own saveDocument, SheetJS and ExcelJS re-save a formgen workbook with a value changed; formgen reads
each back exactly (SheetJS drops the Excel tables: the rows are read below their header row, with FG122).
The drivers are tests/pdfjs_fill.mjs, tests/sheetjs_resave.js and tests/exceljs_resave.js."""

from __future__ import annotations

import json

import pytest

from formgen.compile import COMPILERS
from formgen.pipeline import process
from tests import js_clients
from tests.conftest import example
from tests.rare_names import BULLY, REPORTER, SCHOOL, assert_read_back_and_drawn
from tests.test_pdf import CHECKED, DENIED, _filled


@pytest.mark.parametrize("typing_font", ["system", "embedded"])
def test_a_pdf_filled_and_saved_by_pdfjs_reads_back_exactly_and_draws_every_character(tmp_path, registry, monkeypatch,
                                                                                       typing_font):
    monkeypatch.setenv("FORMGEN_PDF_TYPING_FONT", typing_font)
    blank, filled, values = tmp_path / "blank.pdf", tmp_path / "filled.pdf", tmp_path / "values.json"
    COMPILERS["pdf"].compile(registry.get("incident-report"), None, blank, "zh_CN")
    typed = _filled()
    typed.update(school_name=SCHOOL, reporter=REPORTER, **{"persons.0.name": BULLY, CHECKED: "Yes", DENIED: "No"})
    values.write_text(json.dumps(typed, ensure_ascii=False), "utf-8")
    js_clients.run("pdfjs_fill.mjs", str(blank), str(filled), str(values))

    # pdf.js wrote each field's appearance in the form's typing font (the viewer's own Chinese font by default, by
    # Unicode value; the embedded field font by glyph): poppler and MuPDF draw every character
    assert_read_back_and_drawn(filled, registry)


@pytest.mark.parametrize("script, codes", [("exceljs_resave.js", []), ("sheetjs_resave.js", [("FG122", "persons")])],
                         ids=["ExcelJS", "SheetJS"])
def test_a_workbook_resaved_with_a_value_changed_reads_back_exactly(tmp_path, registry, script, codes):
    record = example("incident-report")
    book, resaved = tmp_path / "book.xlsx", tmp_path / "resaved.xlsx"
    COMPILERS["xlsx"].compile(registry.get("incident-report"), record, book, "zh_CN")
    js_clients.run(script, str(book), str(resaved), "fg.place", "操场东侧〇号楼")

    result = process(resaved, registry)
    assert [(i.code.id, i.path) for i in result.issues] == codes
    assert result.data == {**record, "place": "操场东侧〇号楼"}
