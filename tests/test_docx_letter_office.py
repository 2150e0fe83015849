"""Letters through a real LibreOffice: fill a blank letter as a person would, re-save pre-filled letters, and
render them to PDF, measuring the notice against GB/T 9704-2012."""

from __future__ import annotations

import json
import subprocess
import zipfile
from pathlib import Path

import pytest
from lxml import etree

from formgen.layout.ooxml import qn
from tests.conftest import example, run_cli
from tests.office import convert
from tests.test_docx_letter import LETTERS, generate

pytestmark = pytest.mark.office

MM_PER_PT = 25.4 / 72
#: pdftotext's word box is the font's ascent + descent: 1.3 em for the CJK fonts used (UMing, Noto CJK).
BOX_EM = 1.3


def controls(path: Path) -> list[tuple[str, str]]:
    """(tag, alias) of each control in the paragraphs outside tables, in the order the UNO driver counts."""
    with zipfile.ZipFile(path) as zf:
        body = etree.fromstring(zf.read("word/document.xml")).find(qn("w:body"))
    out = []
    for p in body.findall(qn("w:p")):
        for sdt in p.findall(qn("w:sdt")):
            tag = sdt.find(f"{qn('w:sdtPr')}/{qn('w:tag')}")
            out.append(tag.get(qn("w:val")))
    return out


def index(tags: list[str], address: str, nth: int = 0) -> int:
    return [i for i, tag in enumerate(tags) if tag == address][nth]


def _extract(path: Path) -> dict:
    result = run_cli("extract", str(path))
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)["data"]


TYPED = {
    "notice_no": "八十二中告〔2021〕7号",
    "parent_name": "王&<芳>",
    "student_name": "王小明",
    "grade_class": "初一（2）班",
    "occurred_at": "2021年3月8日 16时40分",
    "place": "操场《东侧》看台",
    "summary": "课间在看台被推倒；\n膝盖擦伤。",
    "investigation_started_on": "2021年3月9日",
    "contact_person": "赵老师",
    "contact_phone": "024-86123456",
    "school_name": "沈阳市第八十二中学",
    "issued_on": "2021年3月9日",
}
EXPECTED = {**TYPED, "occurred_at": "2021-03-08T16:40:00+08:00", "investigation_started_on": "2021-03-09",
            "issued_on": "2021-03-09", "student_role": "witness"}


def test_libreoffice_fills_a_blank_letter_and_it_reads_back_exactly(office, tmp_path):
    blank = generate(tmp_path, "parent-notice")
    tags = controls(blank)
    ops = [{"op": "open", "path": str(blank)}]
    ops += [{"op": "fill", "control": index(tags, address), "text": text} for address, text in TYPED.items()]
    ops.append({"op": "pick", "control": index(tags, "student_role"), "item": "知情学生"})
    filled = tmp_path / "filled.docx"
    ops += [{"op": "save", "path": str(filled)}, {"op": "close"}]

    determination = generate(tmp_path, "committee-determination")
    det_tags = controls(determination)
    ticked = tmp_path / "ticked.docx"
    ops += [{"op": "open", "path": str(determination)},
            {"op": "tick", "control": index(det_tags, "is_bullying", 0)},
            {"op": "tick", "control": index(det_tags, "type_online", 1)},
            {"op": "pick", "control": index(det_tags, "severity"), "item": "严重欺凌"},
            {"op": "save", "path": str(ticked)}, {"op": "close"}]
    office.run(ops)

    assert _extract(filled) == EXPECTED
    assert _extract(ticked) == {"is_bullying": True, "type_online": False, "severity": "serious"}


def test_prefilled_letters_saved_by_libreoffice_still_read_back(office, tmp_path):
    ops, saved = [], {}
    for form in LETTERS:
        filled = generate(tmp_path, form, example(form))
        saved[form] = tmp_path / f"{form}-saved.docx"
        ops += [{"op": "open", "path": str(filled)}, {"op": "save", "path": str(saved[form])}, {"op": "close"}]
    office.run(ops)
    for form in LETTERS:
        assert _extract(saved[form]) == example(form), form


KEY_TEXT = {
    "notice-letter": ["教育部办公厅", "教基厅函〔2021〕5号", "防范中小学生欺凌专项治理行动工作方案", "2021年1月20日",
                      "（此件主动公开）", "部内发送：有关部领导，办公厅", "2021年1月21日印发"],
    "parent-notice": ["学生欺凌事件家校告知书", "李建国（李某某同学家长）：", "2021年3月8日 16时40分", "回　执",
                      "家长签名：李建国"],
    "committee-determination": ["学生欺凌治理委员会调查认定书", "八十二中欺认〔2021〕1号", "反复发生的一般欺凌", "张某某",
                                "2021年3月17日"],
    "appeal": ["申　诉　书", "申诉人：张建华", "沈阳市和平区防治学生欺凌工作办公室", "2021年3月20日"],
    "review-decision": ["学生欺凌事件复查决定书", "和教欺复〔2021〕1号", "孙立平", "直接送达", "2021年4月6日"],
}


@pytest.fixture(scope="module")
def pdfs(tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("letters")
    return {form: convert(generate(folder, form, example(form)), "pdf", folder) for form in LETTERS}


@pytest.mark.parametrize("form", LETTERS)
def test_letters_render_as_letters_with_their_values(pdfs, form):
    pdf = pdfs[form]
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    assert "(A4)" in info
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    flat = "".join(text.split())
    for expected in KEY_TEXT[form]:
        assert "".join(expected.split()) in flat, expected
    assert "＿" not in text  # nothing left blank in a pre-filled letter


def _words(pdf: Path) -> list[dict]:
    xml = subprocess.run(["pdftotext", "-bbox", str(pdf), "-"], capture_output=True, check=True).stdout
    root = etree.fromstring(xml, etree.XMLParser(recover=True))
    out = []
    for n, page in enumerate(root.iter("{*}page"), start=1):
        for word in page.iter("{*}word"):
            out.append({"page": n, "text": word.text or "", **{k: float(word.get(k)) for k in
                                                               ("xMin", "yMin", "xMax", "yMax")}})
    return out


def test_notice_letter_measures_to_gbt_9704(pdfs):
    words = _words(pdfs["notice-letter"])
    body = [w for w in words if w["page"] == 1 and abs((w["yMax"] - w["yMin"]) / BOX_EM - 16) < 1]
    # the left edge of the text block: 28 mm (pdftotext -bbox gives points from the top left corner)
    assert abs(min(w["xMin"] for w in body) * MM_PER_PT - 28) < 1.5
    # the top of the first line (the issuing authority mark) at 37 mm
    first = min(w["yMin"] for w in words if w["page"] == 1)
    assert abs(first * MM_PER_PT - 37) < 3
    # title 22 pt, body 16 pt: the height of the word boxes
    title = [w for w in words if w["text"] == "教育部办公厅关于印发《防范中小学生" and w["page"] == 1]  # broken between words
    assert title and abs((title[0]["yMax"] - title[0]["yMin"]) / BOX_EM - 22) < 0.5
    assert len(body) >= 8  # the body lines, 16 pt
    # the line pitch of the body: 28.95 pt
    lines = sorted({round(w["yMin"], 1) for w in body if w["xMin"] * MM_PER_PT < 40})
    steps = [b - a for a, b in zip(lines, lines[1:]) if 25 < b - a < 33]
    assert steps and all(abs(s - 28.95) < 0.6 for s in steps)
    # 版记 on the last page, below the date
    last = max(w["page"] for w in words)
    printed = [w for w in words if w["page"] == last and "印发" in w["text"]]
    dated = [w for w in words if w["page"] == last and w["text"].startswith("2021年1月20日")]
    assert printed and (not dated or printed[0]["yMin"] > dated[0]["yMin"])
