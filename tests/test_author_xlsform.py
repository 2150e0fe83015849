"""XLSForms written by others (pyxform's published test forms, tests/data/xlsforms) import with what formgen can
print, a per-row message for each feature paper cannot hold, and generate in all three formats."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from formgen.compile import COMPILERS
from formgen.issues import Code
from formgen.pipeline import process
from formgen.spec import Registry
from tests.conftest import ROOT, run_cli

DATA = ROOT / "tests" / "data" / "xlsforms"


def _import(tmp_path: Path, name: str) -> tuple[dict, str]:
    forms = tmp_path / "forms"
    out = forms / f"{Path(name).stem}.json"
    result = run_cli("author", "import", str(DATA / name), "-o", str(out), lang="en")
    assert result.exit_code == 0, result.stderr
    return json.loads(out.read_text("utf-8")), result.stderr


def _unprintable(stderr: str) -> dict[str, str]:
    """row location -> the message, for each FG422."""
    return {line.split()[1]: line for line in stderr.splitlines() if line.startswith(Code.BOOK_UNPRINTABLE.id)}


def test_the_biomass_form_keeps_groups_repeats_selects_and_limits(tmp_path: Path):
    definition, stderr = _import(tmp_path, "UCL_Biomass_Plot_Form.xlsx")
    props = definition["properties"]
    assert props["location"]["type"] == "object" and props["trees"]["type"] == "array"
    assert props["info"]["properties"]["leader_name"]["enum"][:1] and "leader_name" in props["info"]["required"]
    assert props["location"]["properties"]["monumented"]["type"] == "boolean"   # select_one yes_no
    assert props["location"]["properties"]["canopy_cover"]["title"] == "Asilimia Plot Imefungwa na Miti"
    assert props["location"]["properties"]["canopy_cover"]["x-formgen"]["title_en"] == "Percent Canopy Cover"
    assert "stems" in props                       # the repeat inside the repeat becomes a table of its own
    gone = _unprintable(stderr)
    assert "type 'geopoint'" in gone["survey!A22"] and "add a text question for the place" in gone["survey!A22"]
    assert "type 'image'" in gone["survey!A23"] and "ask for it separately" in gone["survey!A23"]
    assert "type 'calculate'" in gone["survey!A26"] and "does not compute" in gone["survey!A26"]
    assert "type 'select_one_from_file'" in gone["survey!A16"]
    # a question's relevance is imported in the rule language, its group's name added; a repeat's is said, per row
    other = props["info"]["properties"]["leader_name_other"]["x-formgen"]["relevant"]
    assert other == "info.leader_name = ‘other’"
    assert "survey!H32" in stderr and "printed for everyone; its condition is left out" in stderr


def test_the_spec_form_lists_each_feature_paper_cannot_hold(tmp_path: Path):
    definition, stderr = _import(tmp_path, "xlsform_spec_test.xlsx")
    gone = _unprintable(stderr)
    kinds = {loc: line.split("of type '")[1].split("'")[0] for loc, line in gone.items()}
    assert {kinds[f"survey!A{r}"] for r in (34, 35, 36, 37, 38, 40)} == {"geopoint", "barcode", "image", "audio",
                                                                        "video", "calculate"}
    everything = definition["properties"]["everything"]["properties"]
    assert everything["a_decimal"]["type"] == "number"
    repeat = everything["repeat_test"]["items"]["properties"]
    assert "required_text" in repeat and "label-test" in repeat   # groups inside the repeat became its columns
    assert definition["x-formgen"]["id"] == "spec-test"


def test_an_old_style_group_form_imports(tmp_path: Path):
    definition, stderr = _import(tmp_path, "group.xlsx")
    father = definition["properties"]["father"]
    assert father["type"] == "object" and father["properties"]["phone_number"]["format"] == "phone"
    assert father["properties"]["age"]["type"] == "integer"
    assert "settings give no form_id; 'group' (from the file name) is used" in stderr


@pytest.mark.parametrize("name", ["UCL_Biomass_Plot_Form.xlsx", "xlsform_spec_test.xlsx", "group.xlsx"])
def test_imported_xlsforms_generate_in_all_three_formats(tmp_path: Path, name: str):
    definition, _stderr = _import(tmp_path, name)
    registry = Registry(tmp_path / "forms")
    spec = registry.get(definition["x-formgen"]["id"])
    for fmt in ("docx", "xlsx", "pdf"):
        out = tmp_path / f"blank.{fmt}"
        COMPILERS[fmt].compile(spec, None, out, "zh_CN")
        result = process(out, registry)
        assert result.readable and result.form == spec.id, (fmt, [i.message("en") for i in result.issues])
