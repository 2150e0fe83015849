"""The PDF field font covers what people type: the 8,105 characters of the 通用规范汉字表 (names such as 喆
and 堃), 〇 (第一二〇中学, 二〇二一年) and GB 2312 with its punctuation, so a viewer that redraws a field
with the form's font (poppler after pdf.js set NeedAppearances) shows every character: the embedded field font
(FORMGEN_PDF_TYPING_FONT=embedded) or, by default, the viewer's own Chinese font."""

from __future__ import annotations

import subprocess

import pytest
from pypdf import PdfReader, PdfWriter
from pypdf.generic import BooleanObject, NameObject

from formgen.compile import pdffonts
from formgen.pipeline import process
from tests.conftest import run_cli
from tests.rare_names import blank_characters

TYPED = {"school_name": "沈阳市第一二〇中学", "reporter": "王喆堃"}


def test_the_field_font_covers_the_general_standard_table_and_gb2312():
    chars = set(pdffonts.common_chars())
    table = pdffonts.tongyong()
    assert len(table) == len(set(table)) == 8105 and table[:3] == "一乙二"
    assert set(table) <= chars and set("〇喆堃、。《》“”（）") <= chars
    assert all(pdffonts.base_subset(pdffonts.field_font()).has(ch) for ch in "〇喆堃")


@pytest.mark.parametrize("typing_font", ["system", "embedded"])
def test_a_viewer_redrawing_the_fields_with_the_form_font_draws_every_character(registry, tmp_path, typing_font):
    blank = tmp_path / "blank.pdf"
    assert run_cli("generate", "incident-report", "--format", "pdf", "-o", str(blank),
                   env={"FORMGEN_PDF_TYPING_FONT": typing_font}).exit_code == 0
    writer = PdfWriter(clone_from=PdfReader(blank))
    writer.update_page_form_field_values(None, TYPED, auto_regenerate=False)
    for page in writer.pages:  # as pdf.js leaves them: no appearance, NeedAppearances set
        for annot in page.get("/Annots", []):
            if annot.get_object().get("/T") in TYPED:
                del annot.get_object()["/AP"]
    writer._root_object["/AcroForm"][NameObject("/NeedAppearances")] = BooleanObject(True)
    filled = tmp_path / "filled.pdf"
    writer.write(filled)
    drawn = subprocess.run(["pdftoppm", "-r", "40", "-f", "1", "-l", "1", "-png", str(filled), str(tmp_path / "page")],
                           capture_output=True, text=True, check=True)
    assert "couldn't find a font" not in drawn.stderr, drawn.stderr
    result = process(filled, registry)
    assert {k: result.data[k] for k in TYPED} == TYPED
    assert blank_characters(filled, tuple(TYPED.values())) == []
