"""formgen diff OLD NEW: what changed between two versions of a form, in words and as JSON."""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import FORMS, run_cli


def _revised(tmp_path: Path) -> Path:
    definition = json.loads((FORMS / "incident-report.json").read_text("utf-8"))
    definition["x-formgen"]["version"] = "1.1.0"
    props = definition["properties"]
    props["reporter_name"] = props.pop("reporter")
    definition["required"] = ["reporter_name" if r == "reporter" else r for r in definition["required"]]
    definition["required"].remove("place")
    props["severity"]["enum"] = props["severity"]["enum"][1:]
    for key in ("labels", "labels_en"):
        props["severity"]["x-formgen"][key] = props["severity"]["x-formgen"][key][1:]
    props["report_no"]["maxLength"] = 60
    props["wellbeing"] = {"title": "心理状况", "type": "string", "x-formgen": {"title_en": "Wellbeing"}}
    path = tmp_path / "incident-report-1.1.0.json"
    path.write_text(json.dumps(definition, ensure_ascii=False), "utf-8")
    return path


def test_diff_says_what_changed(tmp_path: Path):
    new = _revised(tmp_path)
    result = run_cli("diff", str(FORMS / "incident-report.json"), str(new), "--json")
    assert result.exit_code == 0, result.stderr
    changes = {(c["change"], c["path"]) for c in json.loads(result.stdout)}
    assert changes == {("version", "$"), ("renamed", "reporter_name"), ("added", "wellbeing"),
                       ("limit", "report_no"), ("optional", "place"), ("choice_removed", "severity")}
    text = run_cli("diff", str(FORMS / "incident-report.json"), str(new)).stdout
    assert "报告人" in text and "reporter → reporter_name" in text and "“待认定”" in text
    assert "maxLength" not in text


def test_diff_of_a_form_and_its_workbook_finds_nothing(tmp_path: Path):
    book = tmp_path / "incident.xlsx"
    run_cli("author", "export", str(FORMS / "incident-report.json"), "-o", str(book))
    result = run_cli("diff", str(FORMS / "incident-report.json"), str(book), "--json")
    assert result.exit_code == 0 and json.loads(result.stdout) == []
