"""The side-by-side validation output in docs/validation.md is what formgen prints for the invalid example."""

from __future__ import annotations

import re

from tests.conftest import ROOT, run_cli


def readme_table() -> list[tuple[str, str]]:
    text = (ROOT / "docs" / "validation.md").read_text("utf-8")
    block = re.search(r"<!-- validate-output:begin -->\n(.*?)<!-- validate-output:end -->", text, re.S).group(1)
    rows = [line for line in block.splitlines() if line.startswith("| ")][2:]  # after the header and the rule
    return [tuple(cell.strip() for cell in row.strip("|").split(" | ")) for row in rows]


def test_the_validation_page_shows_the_real_output_in_both_languages(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    data = ROOT / "tests" / "data" / "incident-report-invalid.json"
    assert run_cli("generate", "incident-report", "--data", str(data), "-o", "invalid.xlsx").exit_code == 0
    chinese = run_cli("validate", "invalid.xlsx")
    english = run_cli("validate", "invalid.xlsx", lang="en")
    assert chinese.exit_code == english.exit_code == 1
    printed = list(zip([line.strip() for line in chinese.stdout.splitlines()],
                       [line.strip() for line in english.stdout.splitlines()]))
    assert readme_table() == printed
    assert "张某某" not in chinese.stdout + english.stdout
