"""Letters in PDF: a finished letter that reads back exactly, fillable by other tools, and the notice letter
measured on the page against GB/T 9704-2012."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest
from pypdf import PdfReader
from PIL import Image

from formgen.compile.pdf import DO_NOT_SCROLL, MULTILINE, REQUIRED
from tests.conftest import EXAMPLES, run_cli
from tests.returns import pdftk_fill

MM = 72 / 25.4
LETTERS = ["notice-letter", "parent-notice", "committee-determination", "appeal", "review-decision"]
# What the printed text of each pre-filled letter shows: its title, values (dates in Chinese), choice labels.
SHOWN = {
    "notice-letter": ["教育部办公厅", "教基厅函〔2021〕5号", "项治理行动工作方案》的通知",
                      "2021年1月20日", "（此件主动公开）", "部内发送：有关部领导，办公厅", "2021年1月21日印发"],
    "parent-notice": ["学生欺凌事件家校告知书", "李建国（李某某同学家长）：", "2021年3月8日 16时40分", "被欺凌学生",
                      "回　执", "2021年3月10日"],
    "committee-determination": ["学生欺凌治理委员会调查认定书", "八十二中欺认〔2021〕1号", "反复发生的一般欺凌",
                                "被欺凌方", "初二（5）班", "2021年3月17日"],
    "appeal": ["申　诉　书", "申诉人：张建华，系张某某", "的父亲", "2021年3月20日"],
    "review-decision": ["学生欺凌事件复查决定书", "和教欺复〔2021〕1号", "维持", "校外专家", "直接送达", "2021年4月8日"],
}


def _generate(tmp_path: Path, form: str, data: bool = True) -> Path:
    out = tmp_path / f"{form}{'' if data else '-blank'}.pdf"
    args = ["generate", form, "--format", "pdf", "-o", str(out)]
    result = run_cli(*args, *(["--data", str(EXAMPLES / f"{form}.json")] if data else []))
    assert result.exit_code == 0, result.output
    return out


def _text(path: Path) -> str:
    return subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout


@pytest.mark.parametrize("form", LETTERS)
def test_prefilled_letter_prints_its_values_and_reads_back_exactly(tmp_path, form):
    out = _generate(tmp_path, form)
    text = re.sub(r"\s", "", _text(out))
    assert [value for value in SHOWN[form] if re.sub(r"\s", "", value) not in text] == []
    assert "格式：" not in text  # a letter, not the grid with its hints
    result = run_cli("extract", str(out))
    assert json.loads(result.stdout)["data"] == json.loads((EXAMPLES / f"{form}.json").read_text("utf-8"))
    blank = _generate(tmp_path, form, data=False)
    unticked = json.loads(run_cli("extract", str(blank)).stdout)["data"]
    assert set(unticked.values()) <= {False}  # a blank letter has nothing but its unticked check boxes


def _words(path: Path) -> list[list[tuple[float, float, float, float, str]]]:
    """Per page, the word boxes (xMin, yMin, xMax, yMax in pt from the top left) and texts pdftotext finds."""
    xml = subprocess.run(["pdftotext", "-bbox", str(path), "-"], capture_output=True, text=True, check=True).stdout
    pages = []
    for page in xml.split("<page ")[1:]:
        pages.append([(float(a), float(b), float(c), float(d), w) for a, b, c, d, w in re.findall(
            r'xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)<', page)])
    return pages


def _ink_rows(png: Path, red: bool, columns: tuple[float, float] = (0, 210)) -> list[float]:
    """The rows (mm from the top) of a 100 dpi rendering that have red, or dark, ink between ``columns`` (mm)."""
    image = Image.open(png).convert("RGB")
    px = image.load()
    test = (lambda p: p[0] > 180 and p[1] < 90 and p[2] < 90) if red else (lambda p: max(p) < 110)
    xs = range(round(columns[0] / 25.4 * 100), min(image.width, round(columns[1] / 25.4 * 100)))
    return [y * 25.4 / 100 for y in range(image.height) if any(test(px[x, y]) for x in xs)]


def test_notice_letter_follows_gbt_9704_on_the_page(tmp_path):
    out = _generate(tmp_path, "notice-letter")
    pages = _words(out)
    first, last = pages[0], pages[-1]
    word = {w[4]: w for w in first}
    body = [w for w in first if len(w[4]) == 28]  # the full lines of the body: 28 characters each
    assert len(body) >= 4
    # Text block: left edge 28 mm, 156 mm wide; lines 28.95 pt apart (22 lines in 225 mm).
    assert {round(w[0] / MM, 1) for w in body} == {28.0}
    assert {round(w[2] / MM, 1) for w in body} == {184.1}
    pitches = {round((b[1] - a[1]) / 28.95, 3) for a, b in zip(body, body[1:])}
    assert min(pitches) == 1 and all(p.is_integer() for p in pitches)
    # Title 22 pt (its field's size) and body 16 pt (the page's text), not by their word boxes: the faces
    # differ (仿宋 and 小标宋); the title centred.
    page = PdfReader(out).pages[0]
    sizes = {str(a.get_object().get("/T")): str(a.get_object().get("/DA")) for a in page["/Annots"]}
    assert " 22 Tf" in sizes["title"] and b"/FB 16.00 Tf" in page.get_contents().get_data()
    # the title broken between words, both lines centred
    title, second = word["教育部办公厅关于印发《防范中小学生"], word["欺凌专项治理行动工作方案》的通知"]
    assert abs((title[0] + title[2]) / 2 - (28 + 78) * MM) < 1 and abs((second[0] + second[2]) / 2 - (28 + 78) * MM) < 1
    # Order of the parts: issuer mark, 发文字号, title, 主送机关, body; the 附件说明 goes to the last page with the
    # 署名 it would otherwise leave alone there.
    order = ["教育部办公厅", "教基厅函〔2021〕5号", title[4], "各省、自治区、直辖市教育厅（教委），新疆生产建设兵团教育"]
    assert [word[w][1] for w in order] == sorted(word[w][1] for w in order)
    attachment = next(w for w in last if w[4] == "附件：")
    assert round(attachment[0] / MM - 28, 1) == 11.1  # indented two characters of the grid (2 × 5.57 mm)
    # 署名 and 成文日期 right-indented: the date ends two characters in, the name starts two characters before it.
    signature, date = (next(w for w in last if w[4] == text) for text in ("教育部办公厅", "2021年1月20日"))
    assert round(184 - date[2] / MM, 0) == 11
    assert round((date[0] - signature[0]) / MM, 1) == 11.1
    # 版记 at the foot of the last page in 14 pt, the 印发 line ending one character in; page numbers in 14 pt
    # below the text block, odd pages right and even pages left.
    printed = next(w for w in last if w[4] == "印发")
    # (the bottom of a word box is the face's descent below the baseline: about 1 mm, by the face)
    assert abs(printed[3] / MM - 262) <= 1.5
    assert b"/FB 14.00 Tf" in PdfReader(out).pages[-1].get_contents().get_data()
    assert round(184 - printed[2] / MM) == 5
    numbers = [[w for w in page if w[4] == "—"] for page in pages]
    assert [round(n[-1][2] / MM) for n in numbers[::2]] == [178] * len(numbers[::2])
    assert [round(n[0][0] / MM) for n in numbers[1::2]] == [34] * len(numbers[1::2])
    # On the rendered page: the red issuer mark starts at the top of the text block (37 mm), the red rule under
    # the 发文字号; the last rule of the 版记 sits on the foot of the text block (262 mm) and the page number's
    # dashes 7 mm below it.
    subprocess.run(["pdftoppm", "-r", "100", "-png", str(out), str(tmp_path / "page")], check=True)
    red = _ink_rows(tmp_path / "page-1.png", red=True)
    assert round(red[0]) == 37 and word["教基厅函〔2021〕5号"][3] / MM < red[-1] < title[1] / MM
    dark = _ink_rows(tmp_path / f"page-{len(pages)}.png", red=False)
    assert round(max(y for y in dark if 255 < y < 264)) == 262
    dash = numbers[-1][0]
    below = [y for y in _ink_rows(tmp_path / f"page-{len(pages)}.png", False, (dash[0] / MM, dash[2] / MM)) if y > 263]
    assert round(below[0] - 262) == 7


def test_blank_letter_filled_by_pdftk_reads_back(tmp_path):
    blank = _generate(tmp_path, "committee-determination", data=False)
    typed = {"school_name": "沈阳市第八十二中学", "addressee": "李某某同学及其家长", "occurred_at": "2021年3月8日 16时40分",
             "investigation_started_on": "2021年3月9日", "students.0.role": "被欺凌方", "students.0.name": "李喆玥",
             "facts": "推搡、拉扯；\n抢走饭卡。", "is_bullying": "Yes", "type_property": "Yes",
             "type_physical": "No", "type_verbal": "No", "severity": "严重欺凌",
             "determined_on": "2021-03-17"}
    filled = tmp_path / "filled.pdf"
    pdftk_fill(blank, filled, typed)
    data = json.loads(run_cli("extract", str(filled)).stdout)["data"]
    assert data == {"school_name": "沈阳市第八十二中学", "addressee": "李某某同学及其家长",
                    "occurred_at": "2021-03-08T16:40:00+08:00", "investigation_started_on": "2021-03-09",
                    "students": [{"role": "victim", "name": "李喆玥"}], "facts": "推搡、拉扯；\n抢走饭卡。",
                    "is_bullying": True, "type_physical": False, "type_verbal": False, "type_property": True,
                    "severity": "serious",
                    "determined_on": "2021-03-17"}


def _line_texts(lines) -> list[str]:
    return ["".join(p.atom.text or "[" + p.atom.address + "]" for p in line) for line in lines]


def test_a_closing_mark_stays_on_the_line_of_the_blank_or_value_before_it(registry):
    """A blank that ends a line gives up a little of its width so that the ，after it stays on its line; a
    value that cannot shrink goes down to the next line with the ，."""
    from formgen.compile.pdfletter import Letter
    from formgen.spec.letter import split

    spec = registry.get("appeal")
    segments = split("申诉人：{appellant_name}，系", spec)
    for data in ({}, {"appellant_name": "张建华"}):
        letter = Letter(spec, data)
        size = letter.geo.body
        atoms = letter.atoms(segments, "body", size, False)
        width = sum(a.width for a in atoms[:5]) + 0.4 * atoms[5].width  # the ，overflows by 0.6 of its width
        lines = letter.layout(atoms, width, 0.0, "body", size)
        texts = _line_texts(lines)
        if data:
            assert texts == ["申诉人：", "[appellant_name]，系"]
        else:
            assert texts == ["申诉人：[appellant_name]，", "系"]
            blank = lines[0][4]
            assert blank.atom.width == pytest.approx(atoms[4].width - 0.6 * atoms[5].width)
            assert blank.x + blank.atom.width + atoms[5].width == pytest.approx(width)


def _fill(tmp_path: Path, blank: Path, typed: dict[str, str]) -> dict:
    filled = tmp_path / "typed.pdf"
    pdftk_fill(blank, filled, typed)
    report = json.loads(run_cli("validate", "--json", str(filled)).stdout)[0]
    return {"data": json.loads(run_cli("extract", str(filled)).stdout)["data"], "issues": report["issues"]}


def test_a_blank_body_broken_across_pages_is_one_field_continued_on_the_next_page(tmp_path):
    """The notice letter's 12 ruled lines of 正文: ten at the foot of page 1 in the field ``body``, two on page 2 in
    its continuation ``body~2``; what is typed in the two boxes reads back as one value, a line break between
    them, and the blank as nothing."""
    blank = _generate(tmp_path, "notice-letter", data=False)
    boxes, flags = {}, {}
    for number, page in enumerate(PdfReader(blank).pages, 1):
        for annot in page.get("/Annots", []):
            widget = annot.get_object()
            if str(widget.get("/T", "")).startswith("body"):
                boxes[str(widget["/T"])], flags[str(widget["/T"])] = number, int(widget["/Ff"])
    assert boxes == {"body": 1, "body~2": 2}
    # the first box takes no more text than it shows (the rest goes on page 2); only the field is required
    assert flags == {"body": REQUIRED | MULTILINE | DO_NOT_SCROLL, "body~2": MULTILINE}
    assert "body" not in json.loads(run_cli("extract", str(blank)).stdout)["data"]
    both = _fill(tmp_path, blank, {"body": "为深入贯彻落实有关要求。", "body~2": "现将方案印发给你们。"})
    assert both["data"]["body"] == "为深入贯彻落实有关要求。\n现将方案印发给你们。"
    assert not [i for i in both["issues"] if i["code"] == "FG108"]  # the continuation is no added field
    assert _fill(tmp_path, blank, {"body": "为深入贯彻落实有关要求。"})["data"]["body"] == "为深入贯彻落实有关要求。"
    assert _fill(tmp_path, blank, {"body~2": "现将方案印发给你们。"})["data"]["body"] == "现将方案印发给你们。"


def test_a_blank_letter_without_its_identity_is_named_by_its_fields_and_their_continuations(registry, tmp_path):
    from formgen.pipeline import process
    from tests import hostile

    blank = _generate(tmp_path, "notice-letter", data=False).read_bytes()
    result = process("stripped.pdf", registry, hostile.pdf_without_identity_field(hostile.pdf_pages(blank)))
    assert [(i.code.id, i.params.get("form")) for i in result.issues] == [("FG123", "notice-letter")]
