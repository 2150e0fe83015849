"""The policy checklist (附件2) and the task list as the seed lays them, measured on the rendered pages of all three
formats (LibreOffice renders Word and Excel): the seed's column order, 项目 and 工作阶段 merged over their rows
(printed once, not on every row), dates never broken; and the returns read back exactly, also after LibreOffice
and Gnumeric saved them again, and from files of the previous layout of the same form and version."""

from __future__ import annotations

import copy
import json
import shutil
import subprocess
from pathlib import Path

import pytest
from lxml import etree

from formgen.compile import COMPILERS
from formgen.issues import Code, Severity
from formgen.pipeline import process
from formgen.spec.lint import lint_definition
from formgen.spec.model import FormSpec
from tests.conftest import example
from tests.office import convert

FORMATS = ("pdf", "docx", "xlsx")
CHECKLIST_COLUMNS = ["序号", "项目", "内容", "工作措施", "教育系统责任单位", "省教育厅责任处室", "省直有关部门",
                     "落实情况", "说明", "佐证材料"]
TASK_COLUMNS = ["序号", "工作阶段", "工作任务", "完成时限", "报送时限", "完成情况", "完成日期", "已报送材料"]
GROUPS = {"policy-checklist": ("有效预防", "妥善处置", "健全机制"), "task-list": ("部署摸底", "集中整治", "督导检查")}


@pytest.fixture(scope="module")
def rendered(registry, tmp_path_factory) -> dict[tuple[str, str, str], Path]:
    """(form, format, blank or filled) -> the PDF a person prints."""
    folder = tmp_path_factory.mktemp("seed")
    out = {}
    for form_id in GROUPS:
        spec = registry.get(form_id)
        for fmt in FORMATS:
            for kind, data in (("blank", None), ("filled", example(form_id))):
                path = folder / f"{form_id}-{kind}.{fmt}"
                COMPILERS[fmt].compile(spec, data, path)
                if fmt == "pdf":
                    out[form_id, fmt, kind] = path
                elif kind == "filled":
                    pdf_dir = folder / fmt
                    pdf_dir.mkdir(exist_ok=True)
                    out[form_id, fmt, kind] = convert(path, "pdf", pdf_dir)
                out[form_id, fmt, kind + "-source"] = path
    return out


def _pages(pdf: Path) -> list[list[dict]]:
    """The word boxes of each page (pdftotext -bbox-layout)."""
    xml = subprocess.run(["pdftotext", "-bbox-layout", str(pdf), "-"], capture_output=True, check=True).stdout
    root = etree.fromstring(xml, etree.XMLParser(recover=True))
    return [[{"text": w.text or "", **{k: float(w.get(k)) for k in ("xMin", "yMin", "xMax", "yMax")}}
             for w in page.iter("{*}word")] for page in root.iter("{*}page")]


def _header(words: list[dict], anchor: str) -> list[str]:
    """The column titles of the table whose header holds the word ``anchor``: the words of the header band
    (around the anchor's middle), joined per column, the columns in their order from left to right."""
    at = next(w for w in words if w["text"] == anchor)
    middle = (at["yMin"] + at["yMax"]) / 2
    band = [w for w in words if abs((w["yMin"] + w["yMax"]) / 2 - middle) < 16]
    columns: list[list[dict]] = []
    for word in sorted(band, key=lambda w: w["xMin"]):
        if columns and word["xMin"] < max(w["xMax"] for w in columns[-1]) - 1:
            columns[-1].append(word)
        else:
            columns.append([word])
    titles = ["".join(w["text"] for w in sorted(col, key=lambda w: (w["yMin"], w["xMin"]))).replace("*", "")
              for col in columns]
    return [title for title in titles if title]  # a required mark printed apart is no column


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("form_id, anchor, titles", [("policy-checklist", "工作措施", CHECKLIST_COLUMNS),
                                                     ("task-list", "工作任务", TASK_COLUMNS)])
def test_columns_print_in_the_seed_order(rendered, fmt, form_id, anchor, titles):
    pages = _pages(rendered[form_id, fmt, "filled"])
    table_page = next(words for words in pages if any(w["text"] == anchor for w in words))
    assert _header(table_page, anchor) == titles


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("form_id", list(GROUPS))
def test_a_group_name_is_printed_once_over_its_rows(rendered, registry, fmt, form_id):
    """Merged, each 项目 / 工作阶段 prints once (PDF repeats it at the top of a page its rows reach, as the seed
    does), not once per row."""
    group = registry.get(form_id).groups()[0]
    pages = _pages(rendered[form_id, fmt, "filled"])
    for name in GROUPS[form_id]:
        rows = sum(1 for row in group.fixed_rows if name in row.values())
        per_page = [sum(1 for w in words if w["text"] == name) for words in pages]
        assert sum(per_page) >= 1 and max(per_page) == 1, (name, per_page)
        assert rows > 1


@pytest.mark.parametrize("fmt", FORMATS)
def test_the_measures_keep_their_numbers_and_dates_stay_whole(rendered, fmt):
    words = [w["text"] for page in _pages(rendered["policy-checklist", fmt, "filled"]) for w in page]
    text = "".join(words)
    assert all(f"{n}." in text for n in range(1, 51))
    task_words = [w["text"] for page in _pages(rendered["task-list", fmt, "filled"]) for w in page]
    for deadline in ("2021-03-15", "2021-06-15", "2021-07-10"):
        assert any(deadline in w for w in task_words), deadline
    assert not [w for w in task_words if w.startswith("2021-0") and len(w) < len("2021-03-15")]


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("form_id", list(GROUPS))
def test_pre_filled_forms_read_back_exactly(rendered, registry, fmt, form_id):
    result = process(rendered[form_id, fmt, "filled-source"], registry)
    assert result.data == example(form_id)
    assert not [i for i in result.issues if i.severity == Severity.ERROR]


@pytest.mark.parametrize("form_id", list(GROUPS))
def test_returns_saved_again_by_libreoffice_and_gnumeric_read_back_exactly(rendered, registry, form_id,
                                                                          tmp_path):
    if shutil.which("ssconvert") is None:
        pytest.fail("ssconvert is missing: run scripts/bootstrap-system.sh test (Debian package gnumeric)")
    saved = [convert(rendered[form_id, "xlsx", "filled-source"], "xlsx:Calc MS Excel 2007 XML", tmp_path),
             convert(rendered[form_id, "docx", "filled-source"], "docx:MS Word 2007 XML", tmp_path)]
    gnumeric = tmp_path / "gnumeric.xlsx"
    subprocess.run(["ssconvert", str(rendered[form_id, "xlsx", "filled-source"]), str(gnumeric)], check=True,
                   capture_output=True)
    for path in [*saved, gnumeric]:
        result = process(path, registry)
        assert result.data == example(form_id), path.name
        assert not [i.code for i in result.issues if i.severity == Severity.ERROR], path.name


def _previous_layout(definition: dict) -> dict:
    """The definition as the previous layout had it: the key printed as a column after 内容 / 工作阶段, no
    group number, no merged cells."""
    old = copy.deepcopy(definition)
    group = next(p for p in old["properties"].values() if p.get("type") == "array")
    columns = group["items"]["properties"]
    number = next(name for name in columns if name.endswith("_no"))
    del columns[number]
    key = columns.pop("no")
    key["x-formgen"].pop("printed")
    for column in columns.values():
        column["x-formgen"].pop("span", None)
    names = list(columns)
    names.insert(2 if "content" in columns else 1, "no")
    group["items"]["properties"] = {name: key if name == "no" else columns[name] for name in names}
    for row in group["x-formgen"]["fixed_rows"]:
        del row[number]
    return old


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("form_id", list(GROUPS))
def test_a_file_of_the_previous_layout_reads_back_exactly(registry, tmp_path, fmt, form_id):
    """Same form id and version, the earlier layout: read as it is, with the warning that the form was edited."""
    spec = registry.get(form_id)
    old = FormSpec.from_definition(_previous_layout(spec.definition))
    assert [c.name for c in old.groups()[0].shown_columns][:3] != [c.name for c in spec.groups()[0].shown_columns][:3]
    path = tmp_path / f"old.{fmt}"
    COMPILERS[fmt].compile(old, example(form_id), path)
    result = process(path, registry)
    assert result.data == example(form_id)
    assert Code.DEFINITION_CHANGED in [i.code for i in result.issues]
    assert not [i.code for i in result.issues if i.severity == Severity.ERROR]


def test_lint_checks_span_and_printed(tmp_path):
    definition = json.loads(Path("forms/task-list.json").read_text("utf-8"))
    columns = definition["properties"]["tasks"]["items"]["properties"]
    columns["status"]["x-formgen"]["span"] = True  # filled in, not pre-printed
    columns["task"]["x-formgen"]["printed"] = False  # not the key
    columns["stage"]["x-formgen"]["spann"] = True
    definition["properties"]["unit"]["x-formgen"]["span"] = True  # a single field
    found = {(i.code, i.path) for i in lint_definition(definition)}
    base = "$.properties.tasks.items.properties"
    assert (Code.DEF_BAD_VALUE, f"{base}.status.x-formgen.span") in found
    assert (Code.DEF_BAD_VALUE, f"{base}.task.x-formgen.printed") in found
    assert (Code.DEF_BAD_VALUE, "$.properties.unit.x-formgen.span") in found
    assert (Code.DEF_UNKNOWN_KEY, f"{base}.stage.x-formgen.spann") in found
    assert len(found) == 4


def test_the_two_forms_merge_cells_and_leave_their_key_unprinted(registry):
    for form_id in GROUPS:
        group = registry.get(form_id).groups()[0]
        assert group.spanned and not any(c.name == group.key for c in group.shown_columns)
