"""Normalised dumps of generated documents for golden files (never raw zip bytes)."""

from __future__ import annotations

import json
import os
from pathlib import Path

from openpyxl import load_workbook

from formgen.compile.xlsx import META_SHEET

GOLDEN = Path(__file__).with_name("golden")


def dump_xlsx(path: Path) -> dict:
    wb = load_workbook(path)
    out: dict = {"sheets": {}, "defined_names": {}}
    for name, dn in sorted(wb.defined_names.items()):
        out["defined_names"][name] = dn.attr_text
    for ws in wb.worksheets:
        cells = {c.coordinate: [c.value if not hasattr(c.value, "isoformat") else c.value.isoformat(),
                                c.number_format, bool(c.protection.locked)]
                 for row in ws.iter_rows() for c in row if c.value is not None or not c.protection.locked}
        if ws.title == META_SHEET:  # the definition hash and generator version change with every edit
            cells["B3"][0] = cells["B4"][0] = "<normalised>"
        out["sheets"][ws.title] = {
            "state": ws.sheet_state,
            "protected": bool(ws.protection.sheet),
            "insert_rows_allowed": ws.protection.insertRows is False,
            "cells": cells,
            "merged": sorted(str(m) for m in ws.merged_cells.ranges),
            "tables": {name: ws.tables[name].ref for name in ws.tables},
            "validations": sorted([str(dv.sqref), dv.type, dv.formula1, dv.formula2]
                                  for dv in ws.data_validations.dataValidation),
            "page": {"paper": ws.page_setup.paperSize, "fit_width": ws.page_setup.fitToWidth,
                     "fit_height": ws.page_setup.fitToHeight, "orientation": ws.page_setup.orientation},
        }
    return out


def check_golden(name: str, dump: dict) -> None:
    """Compare a dump with tests/golden/NAME.json; FORMGEN_UPDATE_GOLDEN=1 rewrites it."""
    path = GOLDEN / f"{name}.json"
    text = json.dumps(dump, ensure_ascii=False, indent=1, sort_keys=True, default=str) + "\n"
    if os.environ.get("FORMGEN_UPDATE_GOLDEN") == "1" or not path.exists():
        path.write_text(text, "utf-8")
    assert json.loads(text) == json.loads(path.read_text("utf-8")), f"{name} differs from {path}"
