"""One letter model, two renderers: the Word letter (rendered by LibreOffice) and the PDF letter have the same
margins, line pitch and characters per line, and place 署名, 成文日期 and the 版记 alike, measured on the rendered
pages."""

from __future__ import annotations

import json
import re
import subprocess
from collections import Counter
from pathlib import Path

import pytest
from PIL import Image
from pypdf import PdfReader

from formgen.compile.pdf import MULTILINE
from formgen.layout.letter import A4_MM, page_of, title_lines
from tests.conftest import example, run_cli
from tests.letter_measure import MM_PER_PT, measure, text_lines
from tests.office import convert
from tests.test_docx_letter import generate

pytestmark = pytest.mark.office

#: The notice (GB/T 9704) and a letter on the default page.
FORMS = ["notice-letter", "parent-notice"]
#: Every letter, for where its pages break.
LETTERS = [*FORMS, "committee-determination", "review-decision", "appeal"]


def _render(folder: Path, filled: bool) -> dict[str, dict[str, Path]]:
    """Every letter in Word (rendered by LibreOffice) and PDF, pre-filled with its example or blank."""
    (folder / "word").mkdir()
    out = {}
    for form in LETTERS:
        record = example(form) if filled else None
        data = []
        if filled:
            (folder / f"{form}.json").write_text(json.dumps(record, ensure_ascii=False), "utf-8")
            data = ["--data", str(folder / f"{form}.json")]
        pdf = folder / f"{form}.pdf"
        result = run_cli("generate", form, "--format", "pdf", "-o", str(pdf), *data)
        assert result.exit_code == 0, result.output
        out[form] = {"word": convert(generate(folder, form, record), "pdf", folder / "word"), "pdf": pdf}
    return out


@pytest.fixture(scope="module")
def rendered(tmp_path_factory) -> dict[str, dict[str, Path]]:
    return _render(tmp_path_factory.mktemp("geometry"), filled=True)


@pytest.mark.parametrize("form", FORMS)
def test_word_and_pdf_letters_have_one_page_geometry(rendered, registry, form):
    page = page_of(registry.get(form))
    word, pdf = (measure(rendered[form][kind], page.body_pt) for kind in ("word", "pdf"))
    for got in (word, pdf):
        assert abs(got.left_mm - page.left) < 0.5
        assert abs(got.right_mm - (210 - page.right)) < 0.5
        assert abs(got.pitch_pt - page.pitch_pt) < 0.2
        assert got.chars_per_line == page.chars_per_line
    # Word spaces characters in steps of 1/20 pt, rounded down so that the line still holds them all
    assert abs(word.left_mm - pdf.left_mm) < 0.3 and abs(word.right_mm - pdf.right_mm) < 0.5


@pytest.mark.parametrize("form", FORMS)
def test_signature_and_date_stand_alike_in_word_and_pdf(rendered, registry, form):
    spec = registry.get(form)
    record = example(form)
    signature = next(b["text"] for b in spec.ann["letter"] if b["style"] == "signature")
    name = re.sub(r"\{(\w+)\}", lambda m: record[m[1]], signature)
    edges = {}
    for kind, path in rendered[form].items():
        lines = text_lines(path)
        sig = next(i for i, line in enumerate(lines) if line.text == name)
        edges[kind] = (lines[sig].x1, lines[sig + 1].x1)  # where 署名 and 成文日期 end
    em = page_of(spec).em_pt
    # (where the date starts also depends on its digits' width: LibreOffice and the PDF may use two faces)
    for a, b in zip(edges["word"], edges["pdf"]):
        assert abs(a - b) < 0.5 * em, (edges, em * MM_PER_PT)


# -- page breaks, titles and numbers, measured on the rendered pages ---------------------------------------

@pytest.fixture(scope="module")
def blank(tmp_path_factory) -> dict[str, dict[str, Path]]:
    return _render(tmp_path_factory.mktemp("blank"), filled=False)


def _texts(path: Path) -> list:
    """The lines of a rendered letter without the page numbers, blanks (＿) taken out."""
    return [line for line in text_lines(path) if "—" not in line.text and line.text.replace("＿", "")]


@pytest.mark.parametrize("filled", [True, False], ids=["filled", "blank"])
@pytest.mark.parametrize("form", LETTERS)
def test_word_and_pdf_letters_break_pages_alike(rendered, blank, registry, form, filled):
    """Every line of text stands on the same page in Word and in the PDF (each text that stands on one line
    only in both: pdftotext cuts a PDF line at its blanks, which are drawn lines, not text, so a piece of the
    first line of the appeal reads as its 署名 申诉人：); no page ends with a label (words before a ：) whose value
    would stand on the next page (in Word, where a blank is text, ＿); the 署名 never opens a page."""
    paths = (rendered if filled else blank)[form]
    pages, seen, last = {}, {}, {}
    for kind, path in paths.items():
        lines = _texts(path)
        pages[kind], seen[kind], last[kind] = {}, Counter(), max(line.page for line in lines)
        for line in lines:
            pages[kind].setdefault(line.text.replace("＿", ""), line.page)
            seen[kind][line.text.replace("＿", "")] += 1
        for line, after in zip(lines, lines[1:]):
            label = line.text.replace("＿", "")
            if after.page != line.page and (filled or kind == "word"):
                assert not (line.text.endswith("：") and len(label) > 1), (kind, line)
    common = {text for text in pages["word"].keys() & pages["pdf"].keys()
              if seen["word"][text] == seen["pdf"][text] == 1}
    assert len(common) >= 5
    assert {t: pages["word"][t] for t in common} == {t: pages["pdf"][t] for t in common}
    assert last["word"] == last["pdf"]
    if filled:
        signature = next(b["text"] for b in registry.get(form).ann["letter"] if b["style"] == "signature")
        name = re.sub(r"\{(\w+)\}", lambda m: example(form)[m[1]], signature)
        for kind, path in paths.items():
            lines = _texts(path)
            at = max(i for i, line in enumerate(lines) if line.text == name)  # (the issuer's mark may read alike)
            assert at > 0 and lines[at - 1].page == lines[at].page, (kind, "the 署名 opens a page")


def _blank_rows_per_page(pdf: Path, page) -> dict[int, int]:
    """The ruled lines of the PDF's blank multi-line fields on each page, from the heights of their boxes (one box
    of a field on each page its lines stand on)."""
    rows: dict[int, int] = {}
    for number, sheet in enumerate(PdfReader(pdf).pages, 1):
        for annot in sheet.get("/Annots", []):
            widget = annot.get_object()
            if widget.get("/FT") == "/Tx" and int(widget.get("/Ff", 0)) & MULTILINE and "/V" not in widget:
                x0, y0, x1, y1 = (float(v) for v in widget["/Rect"])
                rows[number] = rows.get(number, 0) + round((y1 - y0 - 1.25 * page.body_pt) / page.pitch_pt) + 1
    return rows


@pytest.mark.parametrize("form", LETTERS)
def test_a_blank_body_breaks_across_pages_alike_in_word_and_pdf(blank, registry, form):
    """The ruled lines of a blank letter's multi-line fields fill the page they start on and go on on the next,
    at least two on each side of a break (the notice letter's 12 lines of 正文 went whole to page 2, leaving
    page 1 with the head alone), on the same pages in Word (its lines of ＿) and in the PDF (its fields' boxes)."""
    page = page_of(registry.get(form))
    word: dict[int, int] = {}
    for line in text_lines(blank[form]["word"]):
        if len(line.text) >= 20 and set(line.text) == {"＿"}:
            word[line.page] = word.get(line.page, 0) + 1
    assert word == _blank_rows_per_page(blank[form]["pdf"], page)
    if form == "notice-letter":
        assert word == {1: 10, 2: 2}
    if form == "review-decision":  # its 复查意见, four lines: two at the foot of page 1, two on page 2
        assert word == {1: 8, 2: 2}


def test_the_notice_title_breaks_between_words_alike_in_word_and_pdf(rendered, registry):
    page = page_of(registry.get("notice-letter"))
    lines = title_lines(example("notice-letter")["title"], page.width_pt / page.title_pt)
    assert lines == ["教育部办公厅关于印发《防范中小学生", "欺凌专项治理行动工作方案》的通知"]
    for path in rendered["notice-letter"].values():
        texts = [line.text for line in text_lines(path) if line.page == 1]
        at = texts.index(lines[0])
        assert texts[at:at + 2] == lines


def _lowest_rule_mm(pdf: Path, page: int, folder: Path) -> float:
    """The lowest row (mm from the top) of a 100 dpi rendering of the page with dark ink across more than half
    the page: the last rule of a 版记."""
    stem = folder / f"{pdf.stem}-rule"
    subprocess.run(["pdftoppm", "-r", "100", "-png", "-f", str(page), "-l", str(page), "-singlefile", str(pdf),
                    str(stem)], check=True)
    image = Image.open(stem.with_suffix(".png")).convert("L")
    px = image.load()
    rows = [y for y in range(image.height) if sum(px[x, y] < 110 for x in range(image.width)) > image.width / 2]
    return (rows[-1] + 0.5) * 25.4 / 100


@pytest.mark.parametrize("filled", [True, False], ids=["filled", "blank"])
def test_the_record_stands_at_the_foot_of_the_last_page_in_word_and_pdf(rendered, blank, registry, filled,
                                                                          tmp_path):
    """GB/T 9704 §9: the 版记 (部内发送 and 印发 between their rules) at the foot of the last page, its last rule
    on the text block's bottom edge, in Word as in the PDF (LibreOffice once set it right after the body)."""
    page = page_of(registry.get("notice-letter"))
    foot = A4_MM[1] - page.bottom
    printed = {}
    for kind, path in (rendered if filled else blank)["notice-letter"].items():
        lines = text_lines(path)
        last = max(line.page for line in lines)
        assert abs(_lowest_rule_mm(path, last, tmp_path) - foot) < 0.5, kind
        printed[kind] = next(line for line in lines if line.text.replace("＿", "").endswith("印发"))
        assert printed[kind].page == last, kind
    # the 印发 line on the same baseline (the bottoms of the word boxes: the faces' descents differ a little)
    assert abs(printed["word"].y1 - printed["pdf"].y1) < 1


@pytest.mark.parametrize("form", FORMS)
def test_no_line_of_a_letter_breaks_inside_a_number(rendered, form):
    for kind, path in rendered[form].items():
        lines = _texts(path)
        for line, after in zip(lines, lines[1:]):
            assert not (re.search(r"[0-9][-/]?$", line.text) and re.match(r"[0-9]", after.text)), (kind, line, after)
    if form == "parent-notice":
        assert any(example(form)["contact_phone"] in line.text for line in text_lines(rendered[form]["word"]))


def test_word_forms_keep_codes_whole(tmp_path):
    """The division codes of the statistics table, each on one line of its cell (was 21030|2)."""
    record = example("basic-stats")
    data = tmp_path / "data.json"
    data.write_text(json.dumps(record, ensure_ascii=False), "utf-8")
    docx = tmp_path / "basic-stats.docx"
    result = run_cli("generate", "basic-stats", "--format", "docx", "-o", str(docx), "--data", str(data))
    assert result.exit_code == 0, result.output
    words = {line.text for line in text_lines(convert(docx, "pdf", tmp_path))}
    codes = [row["division_code"] for row in record["divisions"]]
    assert codes and all(code in words for code in codes)
