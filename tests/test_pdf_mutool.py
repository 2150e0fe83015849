"""A PDF form filled by MuPDF (mutool, a second real program besides pdftk) reads back exactly, and what
MuPDF drew for the typed values shows 〇, 喆 and 堃 (characters outside GB 2312)."""
from __future__ import annotations

import json
import subprocess
from pathlib import Path

from pypdf import PdfReader

from formgen.compile import COMPILERS
from formgen.pipeline import process
from tests.test_pdf import CHECKED, DENIED, _expected, _filled

SCRIPT = Path(__file__).with_name("mutool_fill.js")
SCHOOL = "沈阳市第一二〇中学"
REPORTER = "王喆玥"
BULLY = "张堃"


def _typed() -> dict[str, str]:
    values = _filled()
    values.update(school_name=SCHOOL, reporter=REPORTER)
    values["persons.0.name"] = BULLY
    return values


def _fill_with_mutool(blank: Path, out: Path) -> None:
    fields = PdfReader(blank).get_fields()
    label = {name: str(fields[name]["/TU"]) for name in [*_typed(), CHECKED, DENIED]}
    values = {label[name]: value for name, value in _typed().items()}
    values.update({label[CHECKED]: 0, label[DENIED]: 1})  # the first button is 是, the second 否
    spec = out.with_suffix(".json")
    spec.write_text(json.dumps(values, ensure_ascii=False), "utf-8")
    subprocess.run(["mutool", "run", str(SCRIPT), str(blank), str(out), str(spec)], check=True, capture_output=True)


def test_filled_by_mutool_reads_back_exactly_and_draws_every_character(tmp_path, registry):
    blank = tmp_path / "blank.pdf"
    COMPILERS["pdf"].compile(registry.get("incident-report"), None, blank, "zh_CN")
    filled = tmp_path / "filled.pdf"
    _fill_with_mutool(blank, filled)

    result = process(filled, registry)
    expected = _expected()
    expected["data"].update(school_name=SCHOOL, reporter=REPORTER)
    expected["data"]["persons"][0]["name"] = BULLY
    assert [i.code.id for i in result.issues] == []
    assert {"form": result.form, "version": result.version, "data": result.data} == expected

    # MuPDF 1.21 writes each filled field's appearance in its own non-embedded Adobe-GB1 font ("Song"), not
    # in the form's field font; poppler (with poppler-data) draws it with a system Chinese font. The text
    # layer of page 1 holds the characters only where a glyph was drawn for them.
    text = subprocess.run(["pdftotext", "-f", "1", "-l", "1", str(filled), "-"], capture_output=True, text=True,
                          check=True).stdout
    assert [value for value in (SCHOOL, REPORTER, BULLY) if value not in text] == []
    subprocess.run(["pdftoppm", "-r", "100", "-f", "1", "-l", "1", "-png", str(filled), str(tmp_path / "page")],
                   check=True)
    assert (tmp_path / "page-1.png").stat().st_size > 10_000
