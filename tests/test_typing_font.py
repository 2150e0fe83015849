"""What viewers type Chinese with in a PDF form (issue 14: a pre-filled file of at most 300 KiB that people can still
type Chinese into). By default the fields' font is the viewer's own Chinese font (a CIDFont of Adobe-GB1, its codes
the CIDs, not embedded) and the file embeds only the glyphs formgen draws itself; FORMGEN_PDF_TYPING_FONT=embedded
embeds the field font's 8,735 characters as before. PDFium (Chrome's and Edge's viewer) types into both, and what it
typed reads back exactly and is drawn by poppler and MuPDF; pdf.js and MuPDF filling are in test_js_clients.py and
test_pdf_mutool.py."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pikepdf
import pypdfium2 as pdfium
import pytest

from formgen.compile import COMPILERS
from formgen.pipeline import process
from tests.conftest import example, run_cli
from tests.pdfium_fill import type_into
from tests.rare_names import BULLY, REPORTER, SCHOOL, blank_characters

FORMS = ["incident-report", "policy-checklist", "hazard-ledger", "parent-notice", "notice-letter", "basic-stats"]


def _font_file(font: pikepdf.Dictionary) -> str | None:
    descriptor = font.DescendantFonts[0].FontDescriptor
    return next((key for key in ("/FontFile", "/FontFile2", "/FontFile3") if key in descriptor), None)


@pytest.mark.parametrize("form", ["incident-report", "policy-checklist"])
def test_viewers_type_with_their_own_chinese_font_and_the_file_embeds_only_what_formgen_draws(tmp_path, registry,
                                                                                               form):
    path = tmp_path / f"{form}.pdf"
    COMPILERS["pdf"].compile(registry.get(form), example(form), path)

    with pikepdf.open(path) as pdf:
        fonts = pdf.Root.AcroForm.DR.Font
        typing = fonts.FGF
        assert (typing.Subtype, typing.Encoding) == ("/Type0", "/Identity-H")
        assert str(typing.DescendantFonts[0].CIDSystemInfo.Ordering) == "GB1"
        assert _font_file(typing) is None  # the viewer's own
        assert _font_file(fonts.FGV) == "/FontFile2"  # the glyphs of the pre-filled values
        widgets = [annot for page in pdf.pages for annot in page.get("/Annots", []) if "/DA" in annot]
        assert {str(annot.DA).split()[0] for annot in widgets} <= {"/FGF", "/ZaDb"}
    assert path.stat().st_size <= 300 * 1024


@pytest.mark.parametrize("form", FORMS)
def test_a_pre_filled_file_looks_the_same_whatever_viewers_type_with(tmp_path, registry, monkeypatch, form):
    spec, data = registry.get(form), example(form)
    shown = {}
    for setting in ("system", "embedded"):
        monkeypatch.setenv("FORMGEN_PDF_TYPING_FONT", setting)
        path = tmp_path / f"{setting}.pdf"
        COMPILERS["pdf"].compile(spec, data, path)
        pages = subprocess.run(["pdftoppm", "-r", "40", "-gray", str(path)], capture_output=True, check=True).stdout
        text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout
        shown[setting] = (pages, text, _pdfium_page(path))
        assert process(path, registry).data == process(tmp_path / "system.pdf", registry).data
    assert shown["system"][1] == shown["embedded"][1]
    assert shown["system"][0] == shown["embedded"][0]  # the same glyphs, pixel for pixel, in poppler
    assert shown["system"][2] == shown["embedded"][2]  # and in PDFium


def _pdfium_page(path: Path) -> bytes:
    """Page 1 as PDFium (Chrome's viewer) draws it, form fields included, in grey at 40 dpi."""
    pdf = pdfium.PdfDocument(str(path))
    pdf.init_forms()
    pixels = pdf[0].render(scale=40 / 72, grayscale=True, may_draw_forms=True).to_pil().tobytes()
    pdf.close()
    return pixels


def test_an_unknown_typing_font_setting_is_refused_by_name(tmp_path):
    result = run_cli("generate", "incident-report", "--format", "pdf", "-o", str(tmp_path / "x.pdf"),
                     env={"FORMGEN_PDF_TYPING_FONT": "inline"})
    assert result.exit_code == 2
    assert [word for word in ("FORMGEN_PDF_TYPING_FONT", "inline", "system", "embedded") if word not in result.stderr] \
        == []
    assert not (tmp_path / "x.pdf").exists()


@pytest.mark.parametrize("setting", ["system", "embedded"])
def test_typed_in_pdfium_reads_back_exactly_and_is_drawn(tmp_path, registry, monkeypatch, setting):
    monkeypatch.setenv("FORMGEN_PDF_TYPING_FONT", setting)
    blank, filled = tmp_path / "blank.pdf", tmp_path / "filled.pdf"
    COMPILERS["pdf"].compile(registry.get("incident-report"), None, blank)
    typed = {"school_name": SCHOOL, "reporter": REPORTER, "persons.0.name": BULLY, "place": "操场东侧3号楼 Gate-B"}
    type_into(blank, filled, typed)

    result = process(filled, registry)
    assert {"school_name": result.data.get("school_name"), "reporter": result.data.get("reporter"),
            "persons.0.name": result.data["persons"][0]["name"], "place": result.data.get("place")} == typed
    assert blank_characters(filled, (SCHOOL, REPORTER, BULLY)) == []
