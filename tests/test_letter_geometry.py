"""One letter model, two renderers: the Word letter (rendered by LibreOffice) and the PDF letter have the same
margins, line pitch and characters per line, and place 署名 and 成文日期 alike, measured on the rendered pages."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from formgen.layout.letter import page_of
from tests.conftest import example, run_cli
from tests.letter_measure import MM_PER_PT, measure, text_lines
from tests.office import convert
from tests.test_docx_letter import generate

pytestmark = pytest.mark.office

#: The notice (GB/T 9704) and a letter on the default page.
FORMS = ["notice-letter", "parent-notice"]


@pytest.fixture(scope="module")
def rendered(tmp_path_factory) -> dict[str, dict[str, Path]]:
    folder = tmp_path_factory.mktemp("geometry")
    (folder / "word").mkdir()
    out = {}
    for form in FORMS:
        data = folder / f"{form}.json"
        data.write_text(json.dumps(example(form), ensure_ascii=False), "utf-8")
        pdf = folder / f"{form}.pdf"
        result = run_cli("generate", form, "--format", "pdf", "-o", str(pdf), "--data", str(data))
        assert result.exit_code == 0, result.output
        out[form] = {"word": convert(generate(folder, form, example(form)), "pdf", folder / "word"), "pdf": pdf}
    return out


@pytest.mark.parametrize("form", FORMS)
def test_word_and_pdf_letters_have_one_page_geometry(rendered, registry, form):
    page = page_of(registry.get(form))
    word, pdf = (measure(rendered[form][kind], page.body_pt) for kind in ("word", "pdf"))
    for got in (word, pdf):
        assert abs(got.left_mm - page.left) < 0.5
        assert abs(got.right_mm - (210 - page.right)) < 0.5
        assert abs(got.pitch_pt - page.pitch_pt) < 0.2
        assert got.chars_per_line == page.chars_per_line
    # Word spaces characters in steps of 1/20 pt, rounded down so that the line still holds them all
    assert abs(word.left_mm - pdf.left_mm) < 0.3 and abs(word.right_mm - pdf.right_mm) < 0.5


@pytest.mark.parametrize("form", FORMS)
def test_signature_and_date_stand_alike_in_word_and_pdf(rendered, registry, form):
    spec = registry.get(form)
    record = example(form)
    signature = next(b["text"] for b in spec.ann["letter"] if b["style"] == "signature")
    name = re.sub(r"\{(\w+)\}", lambda m: record[m[1]], signature)
    edges = {}
    for kind, path in rendered[form].items():
        lines = text_lines(path)
        sig = next(i for i, line in enumerate(lines) if line.text == name)
        edges[kind] = (lines[sig].x1, lines[sig + 1].x1)  # where 署名 and 成文日期 end
    em = page_of(spec).em_pt
    # (where the date starts also depends on its digits' width: LibreOffice and the PDF may use two faces)
    for a, b in zip(edges["word"], edges["pdf"]):
        assert abs(a - b) < 0.5 * em, (edges, em * MM_PER_PT)
