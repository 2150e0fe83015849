"""What a person sees on the printed PDF forms, measured from pdftotext's word boxes and the form's widgets: the
policy checklist's 附件2 header, choices printed to tick on paper, multi-line boxes where a value is long, no
word broken inside and no line starting with closing punctuation, no text under 7 pt."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from lxml import etree
from pypdf import PdfReader

from formgen.layout.linebreak import NO_LINE_START
from tests.conftest import example, run_cli

MULTILINE_FLAG = 1 << 12


@pytest.fixture(scope="module")
def checklist(tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("print")
    data = folder / "data.json"
    data.write_text(json.dumps(example("policy-checklist"), ensure_ascii=False), "utf-8")
    out = {"blank": folder / "blank.pdf", "filled": folder / "filled.pdf"}
    assert run_cli("generate", "policy-checklist", "--format", "pdf", "-o", str(out["blank"])).exit_code == 0
    assert run_cli("generate", "policy-checklist", "--format", "pdf", "-o", str(out["filled"]),
                   "--data", str(data)).exit_code == 0
    return out


def _lines(pdf: Path) -> list[tuple[int, list[dict]]]:
    xml = subprocess.run(["pdftotext", "-bbox-layout", str(pdf), "-"], capture_output=True, check=True).stdout
    root = etree.fromstring(xml, etree.XMLParser(recover=True))
    out = []
    for n, page in enumerate(root.iter("{*}page"), start=1):
        for line in page.iter("{*}line"):
            words = [{"text": w.text or "", **{k: float(w.get(k)) for k in ("xMin", "yMin", "xMax", "yMax")}}
                     for w in line.iter("{*}word")]
            if words:
                out.append((n, words))
    return out


def _widgets(pdf: Path) -> dict[str, dict]:
    out = {}
    for page in PdfReader(pdf).pages:
        for ref in page.get("/Annots", []):
            annot = ref.get_object()
            parts, node, flags = [], annot, 0
            while node is not None:
                if "/T" in node:
                    parts.insert(0, str(node["/T"]))
                flags = flags or int(node.get("/Ff", 0))
                node = node.get("/Parent").get_object() if "/Parent" in node else None
            out[".".join(parts)] = {"flags": flags}
    return out


@pytest.mark.parametrize("kind", ["blank", "filled"])
def test_the_checklist_prints_its_header_choices_and_whole_words(checklist, registry, kind):
    lines = _lines(checklist[kind])
    first_page, first_words = lines[0]
    assert first_page == 1 and first_words[0]["text"] == "附件2" and first_words[0]["xMin"] < 60  # top left
    text = ["".join(w["text"] for w in words) for _page, words in lines]
    rows = registry.get("policy-checklist").lookup("measures").fixed_rows
    assert sum(line.count("□部分落实") for line in text) == len(rows)  # every row's choices, to tick on paper
    assert not [line for line in text if line[0] in NO_LINE_START]
    departments = {name for row in rows for name in row.get("provincial_depts", "").split()}
    words = [w["text"] for _page, ws in lines for w in ws]
    assert departments <= set(words)  # each printed whole (once over the rows it spans), none broken inside:
    assert not [w for w in words if w not in departments and len(w) > 1 and any(w in d for d in departments)]
    heights = [w["yMax"] - w["yMin"] for _page, ws in lines for w in ws]
    assert min(heights) >= 7 * 1.1  # no text under 7 pt (a word box is about 1.2 to 1.4 times the size)


def test_long_values_get_multiline_boxes(checklist):
    widgets = _widgets(checklist["filled"])
    for column in ("note", "evidence"):
        assert widgets[f"measures.0.{column}"]["flags"] & MULTILINE_FLAG, column
    assert not widgets["measures.0.status"]["flags"] & MULTILINE_FLAG
