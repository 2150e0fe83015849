"""The unit stamp survives a person filling and saving a distributed form: LibreOffice (xlsx, docx) and pdftk.

The filler retypes the unit's name in a way no name matching would accept (another school's name): the stamp
still matches the return to the unit it was made for.
"""

from __future__ import annotations


import pytest

from formgen.batch.distribute import distribute
from formgen.batch.roster import Roster, Unit, identify_unit
from formgen.layout.docx import label_text
from formgen.layout.xlsx import defined_name
from formgen.pipeline import extract, process
from tests.returns import pdftk_fill

pytestmark = pytest.mark.office

UNIT = Unit("3121000321", "沈阳市第八十二中学")
ROSTER = Roster([UNIT, Unit("3121000322", "大连市第一中学")])
RETYPED = "大连市第一中学"
PLACE = "教学楼三楼东侧卫生间"


def _distributed(tmp_path, registry, fmt: str):
    spec = registry.get("incident-report")
    [path] = distribute(spec, Roster([UNIT]), fmt, tmp_path / "分发")
    return spec, path


def _check(registry, spec, path) -> None:
    extraction, _spec = extract(path, registry)
    assert extraction.identity.unit == UNIT.code
    record = process(path, registry).data
    assert (record["school_name"], record["place"]) == (RETYPED, PLACE)  # the filling was saved
    assert identify_unit(spec, record, extraction.identity.unit, ROSTER) == (
        {"code": UNIT.code, "name": UNIT.name, "matched_by": "stamp"}, [])
    by_name = {"school_name": record["school_name"]}  # neither stamp nor the pre-filled code: the other school
    assert ROSTER.match(None, spec, by_name)[0].code == "3121000322"


def test_xlsx_stamp_survives_libreoffice(office, registry, tmp_path):
    spec, blank = _distributed(tmp_path, registry, "xlsx")
    filled = tmp_path / "filled.xlsx"
    office.run([{"op": "open", "path": str(blank)},
                {"op": "type", "name": defined_name("school_name"), "text": RETYPED},
                {"op": "type", "name": defined_name("place"), "text": PLACE},
                {"op": "save", "path": str(filled)}, {"op": "close"}])
    _check(registry, spec, filled)


def test_docx_stamp_survives_libreoffice(office, registry, tmp_path):
    spec, blank = _distributed(tmp_path, registry, "docx")
    filled = tmp_path / "filled.docx"
    office.run([{"op": "open", "path": str(blank)},
                {"op": "fill", "label": label_text(spec.lookup("school_name")), "text": RETYPED},
                {"op": "fill", "label": label_text(spec.lookup("place")), "text": PLACE},
                {"op": "save", "path": str(filled)}, {"op": "close"}])
    _check(registry, spec, filled)


def test_pdf_stamp_survives_pdftk(registry, tmp_path):
    spec, blank = _distributed(tmp_path, registry, "pdf")
    filled = tmp_path / "filled.pdf"
    pdftk_fill(blank, filled, {"school_name": RETYPED, "place": PLACE})
    _check(registry, spec, filled)
