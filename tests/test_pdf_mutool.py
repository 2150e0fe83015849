"""A PDF form filled by MuPDF (mutool, a second real program besides pdftk) reads back exactly, and what
MuPDF drew for the typed values shows 〇, 喆 and 堃 (characters outside GB 2312)."""
from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from pypdf import PdfReader

from formgen.compile import COMPILERS
from tests.rare_names import BULLY, REPORTER, SCHOOL, assert_read_back_and_drawn
from tests.test_pdf import CHECKED, DENIED, _filled

SCRIPT = Path(__file__).with_name("mutool_fill.js")


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


@pytest.mark.parametrize("typing_font", ["system", "embedded"])
def test_filled_by_mutool_reads_back_exactly_and_draws_every_character(tmp_path, registry, monkeypatch, typing_font):
    monkeypatch.setenv("FORMGEN_PDF_TYPING_FONT", typing_font)
    blank = tmp_path / "blank.pdf"
    COMPILERS["pdf"].compile(registry.get("incident-report"), None, blank, "zh_CN")
    filled = tmp_path / "filled.pdf"
    _fill_with_mutool(blank, filled)

    # MuPDF 1.21 writes each filled field's appearance in its own non-embedded Adobe-GB1 font ("Song"), whatever
    # the form's typing font; poppler (with poppler-data) draws it with a system Chinese font, MuPDF with the Noto
    # Serif CJK built into Debian's mutool.
    assert_read_back_and_drawn(filled, registry)
    subprocess.run(["pdftoppm", "-r", "100", "-f", "1", "-l", "1", "-png", str(filled), str(tmp_path / "page")],
                   check=True)
    assert (tmp_path / "page-1.png").stat().st_size > 10_000
