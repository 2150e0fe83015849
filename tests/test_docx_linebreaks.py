"""Where Word documents may break a line, without an office suite: numbers, dates, codes, fill-in blanks and
words written apart are kept whole the way LibreOffice honours it, column titles and the statistics table get
the room their words need.  (tests/test_print_all.py checks the printed pages.)"""

from __future__ import annotations

import zipfile

from lxml import etree

from formgen.layout.docx import BODY_SIZE, PRINTED_SIZE, landscape, layout, spaced_lines, title_size
from formgen.layout.ooxml import NO_BREAK, qn, unbroken, without_joiners
from tests.conftest import example
from tests.test_docx_letter import generate


def test_words_written_apart_get_joiners_inside_and_keep_their_spaces():
    assert unbroken("法院 检察院 公安厅") == f"法{NO_BREAK}院 检{NO_BREAK}察{NO_BREAK}院 公{NO_BREAK}安{NO_BREAK}厅"
    assert unbroken("张三 李四") == f"张{NO_BREAK}三 李{NO_BREAK}四"
    sentence = "2021年3月8日 16时40分，在教学楼三楼东侧卫生间"  # a long word is Chinese text, not a name
    assert NO_BREAK not in unbroken(sentence).split(" ")[1].split("分")[1]
    assert unbroken("单独一个词") == "单独一个词"
    for text in ("法院 检察院 公安厅", sentence, "电话：024-86123456"):
        assert without_joiners(unbroken(text)) == text


def test_a_list_of_names_breaks_into_lines_between_names_that_fit_the_cell():
    names = "法院 检察院 公安厅 民政厅 妇联 残联"
    lines = spaced_lines(names, 1300, PRINTED_SIZE).split("\n")
    assert " ".join(lines) == names and len(lines) > 1
    room = (1300 - 170) / 180  # characters of 9 pt in the cell
    assert all(sum(1 if ord(ch) > 0x2E7F else 0.5 for ch in line) <= room for line in lines)
    assert spaced_lines(names, 864, PRINTED_SIZE).split("\n") == names.split()
    measure = "1. 中小学生欺凌是发生在校园内外、学生之间的事件"  # a word longer than a name: left to wrap
    assert spaced_lines(measure, 864, PRINTED_SIZE) == measure


def test_the_statistics_table_turns_landscape_and_sets_count_titles_small(registry):
    stats = registry.get("basic-stats")
    assert landscape(stats) and not landscape(registry.get("incident-report"))
    table = next(t for t in layout(stats).tables if t.group is not None)
    sizes = {cell.label: title_size(cell.label, width) for cell, width in zip(table.rows[0].cells, table.widths)}
    assert sizes["学校总数（所） *"] == PRINTED_SIZE  # 学校总数 fits a line in 9 pt, not in 10.5 pt
    assert sizes["县（市、区） *"] is None and sizes["区划代码 *"] is None
    assert title_size("教育系统责任单位", 1123) is None  # too long for a line either way: left as it was
    assert PRINTED_SIZE < BODY_SIZE


def _runs(path):
    with zipfile.ZipFile(path) as z:
        root = etree.fromstring(z.read("word/document.xml"))
        styles = etree.fromstring(z.read("word/styles.xml"))
    return root, styles


def test_a_letter_holds_each_joined_stretch_in_a_run_of_no_language(tmp_path):
    root, styles = _runs(generate(tmp_path, "committee-determination", example("committee-determination")))
    joined = [r for r in root.iter(qn("w:r")) if NO_BREAK in "".join(t.text or "" for t in r.iter(qn("w:t")))]
    assert joined
    for run in joined:
        lang = run.find(f"{qn('w:rPr')}/{qn('w:lang')}")
        assert lang is not None and lang.get(qn("w:eastAsia")) == "zxx"
        text = "".join(t.text for t in run.iter(qn("w:t")))
        assert not text.startswith(NO_BREAK) and not text.endswith(NO_BREAK)
    assert any("".join(t.text for t in r.iter(qn("w:t"))) == f"2021{NO_BREAK}年{NO_BREAK}3{NO_BREAK}月{NO_BREAK}16"
               f"{NO_BREAK}日" for r in joined)
    # no punctuation hanging in the margin: LibreOffice reads w:overflowPunct inverted, so on means "do not hang"
    normal = next(s for s in styles.iter(qn("w:style")) if s.get(qn("w:styleId")) == "Normal")
    assert normal.find(f"{qn('w:pPr')}/{qn('w:overflowPunct')}").get(qn("w:val")) == "1"


def test_a_blank_letter_keeps_each_fill_in_blank_whole(tmp_path):
    root, _styles = _runs(generate(tmp_path, "parent-notice"))
    blanks = ["".join(t.text for t in sdt.iter(qn("w:t"))) for sdt in root.iter(qn("w:sdt"))]
    inline = [b for b in blanks if without_joiners(b) == "＿" * 6]
    assert inline and all(b == NO_BREAK.join("＿" * 6) for b in inline)
