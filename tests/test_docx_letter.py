"""Letters in Word without an office suite: every letter form round-trips, tags are not needed, and changes
people make are read or reported (edited here with lxml the way LibreOffice or Word would save them)."""

from __future__ import annotations

import json
import os
import zipfile
from pathlib import Path

import pytest
from lxml import etree

from formgen.layout.letter import page_of
from formgen.layout.ooxml import qn
from tests.conftest import example, run_cli
from tests.docx_dump import dump
from tests.test_docx import drop_tags, edit, extract, issues, run

LETTERS = ["notice-letter", "parent-notice", "committee-determination", "appeal", "review-decision"]
GOLDEN = Path(__file__).parent / "golden" / "parent-notice.docx.txt"


def generate(tmp_path: Path, form: str, data: dict | None = None) -> Path:
    out = tmp_path / f"{form}{'-filled' if data is not None else ''}.docx"
    args = ["generate", form, "--format", "docx", "-o", str(out)]
    if data is not None:
        (tmp_path / "data.json").write_text(json.dumps(data, ensure_ascii=False), "utf-8")
        args += ["--data", str(tmp_path / "data.json")]
    result = run_cli(*args)
    assert result.exit_code == 0, result.output
    return out


def control(body, address: str, nth: int = 0):
    return [s for s in body.iter(qn("w:sdt")) if (t := s.find(f"{qn('w:sdtPr')}/{qn('w:tag')}")) is not None
            and t.get(qn("w:val")) == address][nth]


@pytest.mark.parametrize("form", LETTERS)
def test_letters_read_back_blank_and_prefilled(tmp_path, form):
    assert extract(generate(tmp_path, form)) == {}
    record = example(form)
    filled = generate(tmp_path, form, record)
    assert extract(filled) == record
    assert extract(edit(filled, drop_tags, "untagged.docx")) == record  # as LibreOffice saves it


def test_a_prefilled_letter_reads_as_a_letter_not_a_grid(tmp_path):
    text = dump(generate(tmp_path, "notice-letter", example("notice-letter")))
    assert "table\n" not in text.split("[LetterAttachment]")[0]  # no label/value grid before the 版记
    assert "[LetterTitle] {text tag=title: 教育部办公厅关于印发《防范中小学生⏎欺凌专项治理行动工作方案》的通知}" in text
    assert "[LetterRecipients] {text tag=recipients: 各省、自治区、直辖市教育厅（教委），新疆生产建设兵团教育局}：" in text
    assert "[LetterDate] {date yyyy年M月d日 tag=issued_on: 2021年1月20日}" in text
    assert "[LetterAttachment] 附件：{text tag=attachments.0.name: 防范中小学生欺凌专项治理行动工作方案}" in text  # one: no 1.
    assert "[LetterBody] {text tag=body: 各地落实情况请及时报告教育部（基础教育司）。}" in text


def test_notice_letter_page_follows_gbt_9704(tmp_path, registry):
    page = page_of(registry.get("notice-letter"))
    assert (page.top, page.left, page.right, page.bottom) == (37, 28, 26, 35)
    assert page.width_mm == 156 and page.chars_per_line == 28 and page.pitch_pt == 28.95
    with zipfile.ZipFile(generate(tmp_path, "notice-letter", example("notice-letter"))) as zf:
        document = etree.fromstring(zf.read("word/document.xml"))
        styles = etree.fromstring(zf.read("word/styles.xml"))
        footers = [zf.read(f"word/footer{i}.xml").decode() for i in (1, 2)]
    grid = document.find(f".//{qn('w:docGrid')}")
    assert (grid.get(qn("w:type")), grid.get(qn("w:linePitch"))) == ("lines", "579")

    def style(name):
        return next(s for s in styles.iter(qn("w:style")) if s.get(qn("w:styleId")) == name)

    title = style("LetterTitle")
    assert title.find(f".//{qn('w:sz')}").get(qn("w:val")) == "44"
    assert title.find(f".//{qn('w:rFonts')}").get(qn("w:eastAsia")) == "方正小标宋简体"
    assert style("Normal").find(f".//{qn('w:sz')}").get(qn("w:val")) == "32"
    assert style("Normal").find(f".//{qn('w:rFonts')}").get(qn("w:eastAsia")) == "仿宋_GB2312"
    assert style("LetterHeading").find(f".//{qn('w:rFonts')}").get(qn("w:eastAsia")) == "黑体"
    assert style("LetterIssuer").find(f".//{qn('w:color')}").get(qn("w:val")) == "FF0000"
    assert style("LetterCc").find(f".//{qn('w:sz')}").get(qn("w:val")) == "28"
    assert all("— " in f and "PAGE" in f for f in footers)


def test_text_typed_beside_a_control_counts_and_a_changed_text_is_reported(tmp_path):
    filled = generate(tmp_path, "parent-notice", example("parent-notice"))

    def type_beside(body):
        drop_tags(body)
        place = next(s for s in body.iter(qn("w:sdt")) if "".join(s.itertext()) == "教学楼三楼东侧卫生间")
        place.addnext(run("门口"))

    assert extract(edit(filled, type_beside))["place"] == "教学楼三楼东侧卫生间门口"

    def reword(body):
        drop_tags(body)
        for t in body.iter(qn("w:t")):
            if t.text and t.text.startswith("，联系电话："):
                t.text = "，电话："

    found = issues(edit(filled, reword, "reworded.docx"))
    assert {("FG105", "contact_person"), ("FG105", "contact_phone")} <= found


def test_lines_added_to_a_multi_line_field_and_placeholders(tmp_path):
    blank = generate(tmp_path, "parent-notice")

    def fill_summary(body):
        drop_tags(body)
        first = next(s for s in body.iter(qn("w:sdt"))
                     if s.find(f"{qn('w:sdtPr')}/{qn('w:alias')}").get(qn("w:val")) == "事件简要情况")
        paragraph = first.getparent()
        for t in first.iter(qn("w:t")):
            t.text = "第一行 & <b>"
        added = etree.Element(qn("w:p"))
        added.append(etree.fromstring(etree.tostring(paragraph.find(qn("w:pPr")))))
        added.append(run("第二行"))
        paragraph.addnext(added)

    assert extract(edit(blank, fill_summary)) == {"summary": "第一行 & <b>\n第二行"}


def test_checkbox_pairs_and_table_rows_of_a_determination(tmp_path):
    record = example("committee-determination")
    filled = generate(tmp_path, "committee-determination", record)

    def untick_and_add(body):
        drop_tags(body)
        table = body.find(qn("w:tbl"))
        last = table.findall(qn("w:tr"))[-1]
        new = etree.fromstring(etree.tostring(last))
        for tc, text in zip(new.findall(qn("w:tc")), ("被欺凌方", "王某", "初二（1）班")):
            for p in tc.findall(qn("w:p")):
                tc.remove(p)
            etree.SubElement(tc, qn("w:p")).append(run(text))
        table.append(new)

    data = extract(edit(filled, untick_and_add))
    assert data["students"][-1] == {"role": "victim", "name": "王某", "grade_class": "初二（1）班"}
    assert data["type_physical"] is True and data["type_online"] is False


def test_golden_dump_of_the_prefilled_parent_notice(tmp_path):
    text = dump(generate(tmp_path, "parent-notice", example("parent-notice")))
    if os.environ.get("FORMGEN_UPDATE_GOLDEN"):
        GOLDEN.write_text(text, "utf-8")
    assert text == GOLDEN.read_text("utf-8")


def test_the_ruled_lines_of_a_blank_body_may_break_across_pages_two_on_each_side(tmp_path):
    """The notice letter's 12 ruled lines of 正文 are no longer kept on one page: only the first line and the one
    before the last keep with the next line, as the PDF letter breaks them (the blank still reads as empty)."""
    blank = generate(tmp_path, "notice-letter")
    with zipfile.ZipFile(blank) as z:
        body = etree.fromstring(z.read("word/document.xml")).find(qn("w:body"))
    lines = [p for p in body.iter(qn("w:p"))
             if any(t.get(qn("w:val")) == "body" for t in p.iter(qn("w:tag")))]
    assert len(lines) == 12
    kept = [i for i, p in enumerate(lines) if p.find(f"{qn('w:pPr')}/{qn('w:keepNext')}") is not None]
    assert kept == [0, 10]
    assert not [p for p in lines if p.find(f"{qn('w:pPr')}/{qn('w:keepLines')}") is not None]
    assert "body" not in extract(blank)
