"""Every form in every format, blank and pre-filled with its example, printed (LibreOffice for Word and Excel)
and checked page by page: words inside the text block and inside their cells, no text under 7 pt, every
pre-filled value whole on a page, no line starting with closing punctuation, no label parted from its value
by a page break."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from tests import printcheck
from tests.conftest import EXAMPLES, FORMS, example, run_cli

FORM_IDS = sorted(p.stem for p in FORMS.glob("*.json"))
FORMATS = ("pdf", "docx", "xlsx")
KINDS = ("blank", "filled")
CHECKS = ("text block", "cells", "size", "values", "line starts", "label and value")

_CHECKLIST = ("the Excel checklist's long 说明 of a measure is cut in its row: Calc does not grow a row of a "
              "merged range to its text (issue 10)")
_CALC_BREAKS = ("LibreOffice Calc wraps a cell's text without the Chinese rule against closing punctuation at a "
                "line start (Excel keeps it); no cell property of the workbook asks for it")
#: Cases that fail for a reason named here, each expected to fail (strict: a fix shows up as a pass to
#: re-enable).  Keys are (form, format, kind, check).
PENDING: dict[tuple[str, str, str, str], str] = {
    ("parent-notice", "docx", "blank", "text block"): (
        "the Word letter's lines with ＿＿＿ blanks run 14 pt past the right margin (联系人：＿＿＿＿＿＿，联系电话："
        "＿＿＿＿＿＿。): LibreOffice does not break inside a run of ＿; the letters branch rewrites the letter body"),
    **{(form_id, "xlsx", "filled", "line starts"): _CALC_BREAKS for form_id in ("hazard-ledger", "notice-letter")},
    ("committee-determination", "docx", "filled", "text block"): (
        "a Word body line (本委员会于2021年3月16日召开会议集体研究。是否认定为学生欺凌：) runs past the right margin "
        "in LibreOffice since the letters keep numbers and dates whole with word joiners (issue 10)"),
    ("policy-checklist", "docx", "filled", "values"): (
        "the Word checklist's long 说明 of measure 4 is cut in its row since the seed layout let rows split across "
        "pages (issue 10)"),
    **{("basic-stats", "docx", kind, "line starts"): (
        "the 12 count columns of the Word statistics table are two characters wide, so a header breaks as 发现/"
        "隐患/（个/）*: LibreOffice cannot keep （个） whole in a narrower column; not fixed here (it needs a "
        "landscape page or a narrower label column, a table-layout decision)") for kind in KINDS},
    **{("policy-checklist", "xlsx", kind, "line starts"): _CALC_BREAKS for kind in KINDS},
    **{("policy-checklist", "xlsx", kind, check): (
        "Calc centres the text of a cell merged down over rows that cross a page break, so 省直有关部门 and 项目 "
        "print across the page's top margin and through the row rules (issue 10)")
       for kind in KINDS for check in ("text block", "cells")},
    ("policy-checklist", "xlsx", "filled", "values"): _CHECKLIST,
    **{("task-list", "xlsx", kind, "line starts"): _CALC_BREAKS for kind in KINDS},
}


def _cases():
    for form_id in FORM_IDS:
        for fmt in FORMATS:
            for kind in KINDS:
                for check in CHECKS:
                    if kind == "blank" and check == "values":
                        continue
                    reason = PENDING.get((form_id, fmt, kind, check))
                    marks = [pytest.mark.xfail(reason=reason, strict=True)] if reason else []
                    yield pytest.param(form_id, fmt, kind, check, id=f"{form_id}-{fmt}-{kind}-{check}",
                                       marks=marks)


@pytest.fixture(scope="module")
def printed(tmp_path_factory, registry):
    """Each form, format and kind generated once and rendered once: its spec, file and pages.  LibreOffice
    converts the Word and Excel files in one run while the PDFs are generated."""
    folder = tmp_path_factory.mktemp("printall")
    sources = {(form_id, fmt, kind): folder / f"{form_id}-{kind}-{fmt}.{fmt}"
               for form_id in FORM_IDS for fmt in FORMATS for kind in KINDS}

    def generate(fmts: tuple[str, ...]) -> None:
        for (form_id, fmt, kind), out in sources.items():
            if fmt in fmts:
                data = ["--data", str(EXAMPLES / f"{form_id}.json")] if kind == "filled" else []
                result = run_cli("generate", form_id, "--format", fmt, "-o", str(out), *data)
                assert result.exit_code == 0, result.output

    generate(("docx", "xlsx"))
    with ThreadPoolExecutor(2) as pool:
        office = pool.submit(printcheck.to_pdf, [p for p in sources.values() if p.suffix != ".pdf"], folder / "pdf")
        generate(("pdf",))
        rendered = office.result()
        read = {key: pool.submit(printcheck.pages, rendered.get(src, src)) for key, src in sources.items()}
        return {key: (registry.get(key[0]), sources[key], job.result()) for key, job in read.items()}


@pytest.mark.office
@pytest.mark.parametrize("form_id,fmt,kind,check", list(_cases()))
def test_the_printed_form(printed, form_id, fmt, kind, check):
    spec, source, pages = printed[form_id, fmt, kind]
    expected = printcheck.values(spec, example(form_id), fmt) if kind == "filled" else []
    faults: list[str] = []
    if check == "text block":
        for page in pages:
            faults += printcheck.outside_block(page, printcheck.block(spec, fmt, source, page))
    elif check == "cells":
        for page in pages:
            faults += printcheck.across_rules(page)
    elif check == "size":
        for page in pages:
            faults += printcheck.too_small(page)
    elif check == "values":
        faults = printcheck.missing_values(pages, expected)
    elif check == "line starts":
        for page in pages:
            faults += printcheck.closing_starts(page)
    else:
        faults = printcheck.label_apart(pages, expected)
    assert not faults, "\n".join(faults[:30])


def test_the_checks_see_a_word_over_a_rule_a_margin_and_small_type():
    word = printcheck.Word("溢出的文字", 90, 100, 150, 112, size=6.5, base=110)
    page = printcheck.Page(1, 595, 842, [printcheck.Line((word,))], rules=[(120, 90, 120, 130)])
    box = printcheck.Block(100, 72, 495, 770)
    assert printcheck.across_rules(page) == ["p1 '溢出的文字' at (90,100)-(150,112) crossed by a column rule at x=120"]
    assert printcheck.outside_block(page, box) == ["p1 '溢出的文字' at (90,100)-(150,112) over the side margin"]
    assert printcheck.too_small(page) == ["p1 '溢出的文字' at (90,100)-(150,112) set in 6.5 pt"]


def test_a_closing_mark_after_a_fill_in_blank_does_not_start_a_line():
    """pdftotext starts a new line after a blank's gap (申诉人：______ / ，系); the underline that ends where the
    ，starts shows it goes on from the blank.  A ，at the left margin, or after a cell's rule, starts a line."""
    after = printcheck.Word("，系", 267.6, 119.7, 295.7, 133.7, size=14, base=132)
    alone = printcheck.Word("，系", 70.9, 143.5, 98.9, 157.5, size=14, base=156)
    underline = (127.4, 134.5, 267.6, 134.5)
    cell_rule = (70.9, 140, 70.9, 160)
    page = printcheck.Page(1, 595, 842, [printcheck.Line((after,)), printcheck.Line((alone,))],
                           rules=[underline, cell_rule])
    assert printcheck.closing_starts(page) == ["p1 line '，系' starts with '，'"]
    assert printcheck.closing_starts(printcheck.Page(1, 595, 842, [printcheck.Line((after,))])) == [
        "p1 line '，系' starts with '，'"]
