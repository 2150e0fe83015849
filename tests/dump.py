"""Normalised dumps of generated documents for golden files (never raw zip bytes)."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

from openpyxl import load_workbook

from formgen.layout.xlsx import META_SHEET

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


def dump_pdf(path: Path) -> dict:
    """The form fields (name, type, flags, options, max length) and each page's text lines, via pypdf and pdftotext."""
    from pypdf import PdfReader

    reader = PdfReader(path)
    max_length = {}
    for page in reader.pages:
        for annot in page.get("/Annots", []):
            node, parts = annot.get_object(), []
            if "/MaxLen" in node:
                length = int(node["/MaxLen"])
                while node is not None:
                    parts.insert(0, str(node["/T"]))
                    node = node.get("/Parent") and node["/Parent"].get_object()
                max_length[".".join(parts)] = length
    fields = {}
    for name, f in sorted(reader.get_fields().items()):
        if "/FT" not in f:
            continue
        fields[name] = {"type": str(f["/FT"]), "flags": int(f.get("/Ff", 0)),
                        "options": [str(o) for o in f.get("/Opt", [])], "max_length": max_length.get(name),
                        "states": sorted(str(s) for s in f.get("/_States_", []))}
    pages = []
    for number in range(1, len(reader.pages) + 1):
        text = subprocess.run(["pdftotext", "-f", str(number), "-l", str(number), str(path), "-"],
                              capture_output=True, text=True, check=True).stdout
        pages.append([line.strip() for line in text.splitlines() if line.strip()])
    info = reader.metadata
    return {"identity": [info.get("/FormgenForm"), info.get("/FormgenVersion")], "fields": fields, "pages": pages}
