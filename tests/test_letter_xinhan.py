"""信函格式 (GB/T 9704 §10.1): a letter whose definition says ``x-formgen.page.format: "信函"`` prints its head
at the standard's places, alike in Word (rendered by LibreOffice) and in the PDF, measured on the pages."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from PIL import Image

from formgen.layout.letter import letter_head, page_of
from formgen.spec import Registry
from formgen.spec.lint import lint_definition
from tests.conftest import FORMS, example, run_cli
from tests.letter_measure import MM_PER_PT, text_lines
from tests.office import convert

PRINTED = ("printed_by", "printed_on")


def xinhan_definition() -> dict:
    """The notice letter as a 信函: without the 印发 line of its 版记, which a 信函 leaves out."""
    definition = json.loads((FORMS / "notice-letter.json").read_text("utf-8"))
    ann = definition["x-formgen"]
    ann["id"], ann["page"]["format"] = "notice-xinhan", "信函"
    definition["$id"] = "urn:formgen:notice-xinhan:1.0.0"
    ann["letter"] = [b for b in ann["letter"] if b["style"] != "printed"]
    ann["letter"] = [b for i, b in enumerate(ann["letter"]) if not (b["style"] == "thin-rule"
                                                                  and ann["letter"][i - 1]["style"] == "cc")]
    definition["required"] = [name for name in definition["required"] if name not in PRINTED]
    for name in PRINTED:
        del definition["properties"][name]
    del definition["x-formgen-rules"]  # (the printing date after the date of issue)
    return definition


def test_lint_accepts_a_xinhan_and_says_what_it_needs():
    definition = xinhan_definition()
    assert list(lint_definition(definition, "x.json")) == []
    del definition["x-formgen"]["page"]["standard"]
    assert [(i.code.id, i.path) for i in lint_definition(definition, "x.json")] == [
        ("FG435", "$.x-formgen.page.format")]
    with_printed = json.loads((FORMS / "notice-letter.json").read_text("utf-8"))
    with_printed["x-formgen"]["page"]["format"] = "信函"
    assert [(i.code.id, i.path) for i in lint_definition(with_printed, "x.json")] == [
        ("FG436", "$.x-formgen.letter[13]")]


def _red_rows(pdf: Path, folder: Path) -> tuple[list[float], tuple[float, float]]:
    """Rows (mm from the top) of page 1 with red ink across more than half the page, and their extent (mm)."""
    import subprocess

    subprocess.run(["pdftoppm", "-r", "100", "-png", "-f", "1", "-l", "1", str(pdf), str(folder / pdf.stem)], check=True)
    image = Image.open(next(folder.glob(f"{pdf.stem}*.png"))).convert("RGB")
    px = image.load()
    rows, extent = [], (210.0, 0.0)
    for y in range(image.height):
        red = [x for x in range(image.width) if (lambda p: p[0] > 180 and p[1] < 90 and p[2] < 90)(px[x, y])]
        if len(red) > image.width / 2:
            rows.append(y * 25.4 / 100)
            extent = (min(extent[0], red[0] * 25.4 / 100), max(extent[1], (red[-1] + 1) * 25.4 / 100))
    return rows, extent


@pytest.mark.office
def test_xinhan_head_stands_alike_in_word_and_pdf(tmp_path):
    forms = tmp_path / "forms"
    forms.mkdir()
    (forms / "notice-xinhan.json").write_text(json.dumps(xinhan_definition(), ensure_ascii=False), "utf-8")
    record = {k: v for k, v in example("notice-letter").items() if k not in PRINTED}
    data = tmp_path / "data.json"
    data.write_text(json.dumps(record, ensure_ascii=False), "utf-8")
    out = {}
    for fmt in ("pdf", "docx"):
        path = tmp_path / f"xinhan-{fmt}.{fmt}"
        result = run_cli("--forms", str(forms), "generate", "notice-xinhan", "--format", fmt, "-o", str(path),
                         "--data", str(data))
        assert result.exit_code == 0, result.output
        out[fmt] = path
    (tmp_path / "word").mkdir()
    out["docx"] = convert(out["docx"], "pdf", tmp_path / "word")
    page = page_of(Registry(forms).get("notice-xinhan"))
    head = letter_head(page)
    for kind, pdf in out.items():
        rows, (left, right) = _red_rows(pdf, tmp_path)
        # two double rules, 170 mm long and centred: thick over thin under the mark, thin over thick 20 mm
        # above the foot of the page (each within half a millimetre of the model's lines)
        expected = [y for rule in (head.top_rule, head.foot_rule) for y, _width in rule.lines]
        assert all(any(abs(row - y) < 0.5 for row in rows) for y in expected), (kind, rows)
        assert all(min(abs(row - y) for y in expected) < 1 for row in rows), (kind, rows)
        assert abs(left - 20) < 0.5 and abs(right - 190) < 0.5, kind
        lines = text_lines(pdf)
        number = next(line for line in lines if line.text == record["doc_number"])
        # the 发文字号 flush right on the text block, under the rule; the mark above the rule
        assert abs(number.x1 * MM_PER_PT - (210 - page.right)) < 0.5, kind
        assert head.top_rule.lines[1][0] < number.y0 * MM_PER_PT < head.title_top, kind
        mark = next(line for line in lines if line.text == record["issuer_mark"])
        assert mark.page == 1 and 30 < mark.y1 * MM_PER_PT < head.top_rule.lines[0][0], kind  # (its box: below 30 mm)
        # no page number on page 1, page numbers on the pages after it
        numbers = [line.page for line in lines if "—" in line.text]
        assert 1 not in numbers and numbers == list(range(2, max(line.page for line in lines) + 1)), kind
    # the title's first line on the same line of page 1 in both
    titles = [next(line for line in text_lines(pdf) if line.text.startswith("教育部办公厅关于")) for pdf in out.values()]
    assert abs(titles[0].y1 - titles[1].y1) < 0.3 * page.pitch_pt  # (the faces' boxes differ by a few points)
