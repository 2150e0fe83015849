"""Excel page breaks of a sheet with cells merged down over rows: formgen places them, so that no merged range
crosses a page (LibreOffice would centre its text over the break, across the margin), cutting a run at a break
with its text repeated on the next page, and every row tall enough for the text merged over it."""

from __future__ import annotations

import pytest
from openpyxl import load_workbook

from formgen.compile.xlsx import LINE_HEIGHT, Run, paginate, text_lines
from formgen.pipeline import process
from tests.conftest import EXAMPLES, example, run_cli


def test_rows_fill_a_page_and_the_next_starts_with_the_repeated_title_rows():
    breaks, parts, heights = paginate([40.0] * 10, [], page=100, repeat=30, keep=set())
    assert breaks == [3, 4, 5, 6, 7, 8, 9, 10]  # 2 rows on the first page, then 30 + 40 on each
    assert parts == [] and heights == [40.0] * 10
    assert paginate([40.0] * 5, [], page=100, repeat=0, keep=set())[0] == [3, 5]


def test_a_heading_goes_onto_the_page_of_the_row_under_it():
    assert paginate([30.0, 30.0, 20.0, 30.0], [], page=100, repeat=0, keep={3})[0] == [3]


def test_a_run_crossed_by_a_break_is_cut_there_and_each_part_holds_its_text():
    run = Run(2, 2, 5, "有效预防", 50.0)
    breaks, parts, heights = paginate([20.0, 20.0, 20.0, 20.0, 20.0], [run], page=70, repeat=10, keep=set())
    assert breaks == [4]
    assert parts == [Run(2, 2, 3, "有效预防", 50.0), Run(2, 4, 5, "有效预防", 50.0)]
    assert heights == [20.0, 20.0, 30.0, 20.0, 30.0]  # each part's last row takes what its rows lack


def test_a_break_moves_up_to_the_start_of_a_run_whose_part_above_it_could_not_hold_its_text():
    run = Run(1, 2, 4, "加强学生思想道德教育", 60.0)
    breaks, parts, heights = paginate([20.0] * 4, [run], page=70, repeat=0, keep=set())
    assert breaks == [2]  # cut at row 3 or 4, the part above would grow past the page's foot
    assert parts == [run] and heights == [20.0] * 4


def test_a_row_taller_than_a_page_has_a_page_of_its_own():
    breaks, _parts, heights = paginate([20.0, 150.0, 20.0], [], page=100, repeat=0, keep=set())
    assert breaks == [2, 3] and heights == [20.0, 150.0, 20.0]


@pytest.fixture(scope="module")
def checklists(tmp_path_factory):
    folder = tmp_path_factory.mktemp("pages")
    out = {}
    for kind, data in (("blank", []), ("filled", ["--data", str(EXAMPLES / "policy-checklist.json")])):
        path = folder / f"{kind}.xlsx"
        assert run_cli("generate", "policy-checklist", "--format", "xlsx", "-o", str(path), *data).exit_code == 0
        out[kind] = path
    return out


@pytest.mark.parametrize("kind", ["blank", "filled"])
def test_the_checklist_breaks_its_pages_between_merged_ranges_and_repeats_their_labels(checklists, kind):
    ws = load_workbook(checklists[kind])["表单"]
    breaks = [b.id for b in ws.row_breaks.brk]  # the last row of each page but the last
    assert len(breaks) >= 3 and all(b.man for b in ws.row_breaks.brk)
    merged = [m for m in ws.merged_cells.ranges if m.min_col == m.max_col]
    assert merged and not [m.coord for m in merged for b in breaks if m.min_row <= b < m.max_row]
    widths = {c: ws.column_dimensions[c].width for c in "ABCDEFGHIJ"}
    for m in merged:
        text = ws.cell(m.min_row, m.min_col).value
        lines = text_lines(text, widths[ws.cell(m.min_row, m.min_col).column_letter])
        height = sum(ws.row_dimensions[r].height for r in range(m.min_row, m.max_row + 1))
        assert height >= LINE_HEIGHT * lines + 5 - 0.01, (m.coord, text)
    group = {b + 1: ws.cell(b + 1, 2).value for b in breaks}  # 项目 repeated at the top of each page
    assert all(group.values()), group


def test_the_cut_checklist_reads_back_exactly(checklists, registry):
    result = process(checklists["filled"], registry)
    assert result.data == example("policy-checklist")
    assert not result.issues
