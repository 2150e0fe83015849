"""Multi-select fields and relevance ("fill only if"), end to end in the three formats (issue 12).

A small inline form with a multi-select (发现途径) and fields filled in only for a 续报: generated, filled by
LibreOffice (Word, Excel) and pdftk (PDF), read back exactly; the separators a cell accepts; the relevance
warning and error; lint; the authoring workbook's round trip; consolidation.
"""

from __future__ import annotations

import json
import subprocess
import zipfile

import openpyxl
import pytest
from openpyxl import Workbook
from pypdf import PdfReader

from formgen.author.lint import lint_book
from formgen.author.workbook import export_workbook
from formgen.batch.consolidate import Entry, consolidate
from formgen.coerce import CoerceError, coerce
from formgen.compile import COMPILERS
from formgen.issues import Code
from formgen.layout.docx import layout
from formgen.layout.labels import printed_label
from formgen.layout.pdf import multi_box
from formgen.layout.xlsx import defined_name
from formgen.pipeline import process
from formgen.spec import Registry
from formgen.spec.lint import lint_definition
from formgen.spec.model import FormSpec
from formgen.validate import validate
from tests.inline import form
from tests.returns import pdftk_fill

CHANNELS = {"type": "array", "uniqueItems": True, "items": {"enum": ["teacher", "student", "parent", "camera"]},
            "x": {"labels": ["教师发现", "学生报告", "家长反映", "监控"],
                  "labels_en": ["teacher", "student", "parent", "camera"]}}
FORM = form([
    ("kind", "choice:first=首报,next=续报", "报告类型"),
    ("channels", "multi", "发现途径", CHANNELS),
    ("first_no", "text", "首报编号", {"x": {"relevant": 'kind = "续报"', "relevant_label": "续报填写"}}),
    ("place", "text", "发生地点"),
    ("first_note", "text", "首报说明", {"x": {"relevant": 'kind = "首报"'}}),
], form_id="t-multi", title="多选与填写条件测试表", required=("kind", "channels", "first_no"))
FULL = {"kind": "next", "channels": ["student", "camera"], "first_no": "2021-031", "place": "操场"}


@pytest.fixture
def registry(tmp_path) -> Registry:
    folder = tmp_path / "forms"
    folder.mkdir()
    (folder / "t-multi.json").write_text(json.dumps(FORM, ensure_ascii=False), "utf-8")
    return Registry(folder)


def _spec() -> FormSpec:
    return FormSpec.from_definition(FORM)


def _found(result) -> set[tuple[str, str]]:
    return {(i.code.id, i.path) for i in result.issues}


# -- typing several choices into one cell ----------------------------------------------------------------

@pytest.mark.parametrize("typed, codes", [
    ("学生报告、监控", ["student", "camera"]),
    ("监控，教师发现", ["teacher", "camera"]),            # read in the definition's order
    ("监控,家长反映;学生报告；教师发现", ["teacher", "student", "parent", "camera"]),
    (" 监控 、 监控 ", ["camera"]),                        # a choice named twice counts once
    ("camera、学生报告", ["student", "camera"]),           # by code as well as by label
    ("家长反映、", ["parent"]),
    (["学生报告", "教师发现"], ["teacher", "student"]),      # ticked boxes
])
def test_a_cell_takes_the_labels_separated_by_any_of_the_separators(typed, codes):
    assert coerce(typed, _spec().lookup("channels")) == codes


def test_an_unknown_label_is_an_error_listing_the_allowed_labels():
    with pytest.raises(CoerceError) as err:
        coerce("监控、火星", _spec().lookup("channels"))
    assert err.value.code is Code.NOT_CHOICES
    assert err.value.params == {"count": 1, "choices": "教师发现、学生报告、家长反映、监控"}


# -- relevance on return ------------------------------------------------------------------------------------

@pytest.mark.parametrize("changes, expected", [
    ({}, set()),
    ({"first_no": None}, {("FG351", "first_no")}),                               # required where it applies
    ({"kind": "first", "first_no": None}, set()),                                # required, not applying, empty
    ({"kind": "first"}, {("FG350", "first_no")}),                                # a value where it does not apply
    ({"first_note": "补充"}, {("FG350", "first_note")}),
    ({"kind": None, "first_no": None}, {("FG301", "kind")}),                      # unknown: the cause is reported
    ({"channels": ["camera", "camera"]}, {("FG209", "channels")}),                # a record typed by hand
])
def test_relevance_is_checked_on_return(changes, expected):
    record = {k: v for k, v in {**FULL, **changes}.items() if v is not None}
    issues = validate(_spec(), record)
    assert {(i.code.id, i.path) for i in issues} == expected
    severities = {i.code.id: i.severity.value for i in issues}
    assert severities.get("FG350", "warning") == "warning" and severities.get("FG351", "error") == "error"


def test_relevance_messages_name_the_condition_in_chinese():
    record = dict(FULL, kind="first")
    issue = next(i for i in validate(_spec(), record) if i.code is Code.NOT_RELEVANT)
    assert issue.message("zh_CN") == ("首报编号（first_no）已填写，但表上注明（续报填写），本次不属于这种情况。"
                                      "请核对报告类型；如无误，首报编号应留空。")
    missing = next(i for i in validate(_spec(), {**FULL, "first_no": ""}) if i.code is Code.RELEVANT_REQUIRED)
    assert "为必填项，请补填" in missing.message("zh_CN") and missing.path == "first_no"


# -- lint ---------------------------------------------------------------------------------------------------

def _lint(definition: dict) -> set[tuple[str, str]]:
    return {(i.code.id, i.path) for i in lint_definition(definition)}


def test_the_form_lints_clean():
    assert _lint(FORM) == set()


def test_relevance_naming_an_unknown_field_says_did_you_mean():
    broken = json.loads(json.dumps(FORM))
    broken["properties"]["first_no"]["x-formgen"]["relevant"] = 'knd = "续报"'
    issues = list(lint_definition(broken))
    assert [(i.code.id, i.path) for i in issues] == [("FG410", "$.properties.first_no.x-formgen.relevant")]
    assert "'kind'" in issues[0].message("en") and "Did you mean" in issues[0].message("en")


@pytest.mark.parametrize("change, expected", [
    (lambda d: d["properties"]["first_no"]["x-formgen"].update(relevant='kind = "续报'),
     ("FG409", "$.properties.first_no.x-formgen.relevant")),
    (lambda d: d["properties"]["first_no"]["x-formgen"].update(relevant='kind = "再报"'),
     ("FG411", "$.properties.first_no.x-formgen.relevant")),
    (lambda d: d["properties"]["first_no"]["x-formgen"].update(relevant='channels = "监控"'),   # use selected()
     ("FG411", "$.properties.first_no.x-formgen.relevant")),
    (lambda d: d["properties"]["first_no"]["x-formgen"].update(relevant='selected(channels, "火星")'),
     ("FG411", "$.properties.first_no.x-formgen.relevant")),
    (lambda d: d["properties"]["channels"].pop("uniqueItems"), ("FG407", "$.properties.channels")),
    (lambda d: d["properties"]["channels"]["x-formgen"]["labels"].__setitem__(3, "监控、录像"),
     ("FG404", "$.properties.channels.x-formgen.labels[3]")),
    (lambda d: d["properties"]["channels"]["x-formgen"]["labels"].pop(),
     ("FG405", "$.properties.channels.x-formgen.labels")),
])
def test_lint_finds_broken_conditions_and_choices(change, expected):
    broken = json.loads(json.dumps(FORM))
    change(broken)
    assert expected in _lint(broken)


def test_a_column_of_a_repeating_group_takes_no_condition():
    definition = form([("people", "rows", "人员", [("name", "text", "姓名"),
                                                  ("note", "text", "备注", {"x": {"relevant": "filled(name)"}})])])
    assert _lint(definition) == {("FG407", "$.properties.people.items.properties.note.x-formgen.relevant")}


# -- what each format prints ------------------------------------------------------------------------------------

def test_the_condition_is_printed_beside_the_label():
    spec = _spec()
    assert printed_label(spec, spec.lookup("first_no")) == "首报编号（续报填写） *"
    assert printed_label(spec, spec.lookup("first_note")) == "首报说明（报告类型为首报时填写）"
    assert printed_label(spec, spec.lookup("first_note"), "en") == "首报说明 (only if 报告类型 is 首报)"
    labels = [cell.label for table in layout(spec).tables for row in table.rows for cell in row.cells]
    assert "首报编号（续报填写） *" in labels and "首报说明（报告类型为首报时填写）" in labels


def test_every_format_prints_the_conditions_and_the_choices(registry, tmp_path):
    spec = registry.get("t-multi")
    COMPILERS["xlsx"].compile(spec, None, tmp_path / "b.xlsx")
    ws = openpyxl.load_workbook(tmp_path / "b.xlsx")["表单"]
    labels = [c.value for row in ws.iter_rows() for c in row if isinstance(c.value, str)]
    assert "首报编号（续报填写） *" in labels and "首报说明（报告类型为首报时填写）" in labels
    prompts = [dv.prompt for dv in ws.data_validations.dataValidation if dv.prompt]
    assert "可多选，用“、”分隔：教师发现、学生报告、家长反映、监控" in prompts
    assert not [dv for dv in ws.data_validations.dataValidation if dv.type == "list" and "channels" in str(dv.sqref)]

    COMPILERS["pdf"].compile(spec, None, tmp_path / "b.pdf")
    text = subprocess.run(["pdftotext", "-layout", str(tmp_path / "b.pdf"), "-"], capture_output=True, text=True,
                          check=True).stdout
    assert all(label in text for label in ("教师发现", "学生报告", "家长反映", "监控", "（续报填写）"))
    fields = {name: f.get("/FT") for name, f in PdfReader(tmp_path / "b.pdf").get_fields().items()}
    assert {multi_box("channels", i): "/Btn" for i in range(4)}.items() <= fields.items()


@pytest.mark.parametrize("fmt", ["xlsx", "docx", "pdf"])
def test_a_prefilled_form_reads_back_exactly(registry, tmp_path, fmt):
    out = tmp_path / f"full.{fmt}"
    COMPILERS[fmt].compile(registry.get("t-multi"), FULL, out)
    result = process(out, registry)
    assert result.data == FULL and _found(result) == set()


def test_word_ticks_the_chosen_boxes(registry, tmp_path):
    out = tmp_path / "full.docx"
    COMPILERS["docx"].compile(registry.get("t-multi"), FULL, out)
    xml = zipfile.ZipFile(out).read("word/document.xml").decode("utf-8")
    row = xml[xml.index("发现途径"): xml.index(" 监控")]
    assert row.count("☑") == 2 and row.count("☐") == 2


# -- filled by real programs ----------------------------------------------------------------------------------------

def _label(registry, address: str) -> str:
    spec = registry.get("t-multi")
    return printed_label(spec, spec.lookup(address))


@pytest.mark.office
def test_word_filled_in_libreoffice_reads_back_exactly(office, registry, tmp_path):
    blank, filled = tmp_path / "blank.docx", tmp_path / "filled.docx"
    COMPILERS["docx"].compile(registry.get("t-multi"), None, blank)
    office.run([{"op": "open", "path": str(blank)},
                {"op": "tick", "label": _label(registry, "kind"), "choice": "续报"},
                {"op": "tick", "label": _label(registry, "channels"), "choice": "学生报告"},
                {"op": "tick", "label": _label(registry, "channels"), "choice": "监控"},
                {"op": "fill", "label": _label(registry, "first_no"), "text": "2021-031"},
                {"op": "fill", "label": _label(registry, "place"), "text": "操场"},
                {"op": "save", "path": str(filled)}, {"op": "close"}])
    result = process(filled, registry)
    assert result.data == FULL and _found(result) == set()


@pytest.mark.office
def test_excel_filled_in_libreoffice_reads_back_and_reports_relevance(office, registry, tmp_path):
    blank = tmp_path / "blank.xlsx"
    COMPILERS["xlsx"].compile(registry.get("t-multi"), None, blank)
    cases = {  # file: (typed by name, expected record or None, expected issues)
        "full": ({"kind": "续报", "channels": "监控；学生报告，监控", "first_no": "2021-031", "place": "操场"},
                 FULL, set()),
        "first": ({"kind": "首报", "channels": "教师发现", "first_no": "2021-031"}, None,
                  {("FG350", "first_no")}),
        "missing": ({"kind": "续报", "channels": "教师发现,家长反映"}, None, {("FG351", "first_no")}),
        "unknown": ({"kind": "首报", "channels": "教师发现、火星"}, None, {("FG209", "channels")}),
    }
    ops = []
    for name, (typed, _record, _issues) in cases.items():
        ops.append({"op": "open", "path": str(blank)})
        ops += [{"op": "type", "name": defined_name(a), "text": text} for a, text in typed.items()]
        ops += [{"op": "save", "path": str(tmp_path / f"{name}.xlsx")}, {"op": "close"}]
    office.run(ops)
    for name, (_typed, record, issues) in cases.items():
        result = process(tmp_path / f"{name}.xlsx", registry)
        assert _found(result) == issues, name
        if record is not None:
            assert result.data == record
    missing = process(tmp_path / "missing.xlsx", registry)
    assert missing.data["channels"] == ["teacher", "parent"] and not missing.valid
    assert process(tmp_path / "first.xlsx", registry).valid  # a warning only


def test_pdf_filled_by_pdftk_reads_back_exactly(registry, tmp_path):
    blank, filled = tmp_path / "blank.pdf", tmp_path / "filled.pdf"
    COMPILERS["pdf"].compile(registry.get("t-multi"), None, blank)
    values = {"kind": "续报", multi_box("channels", 1): "Yes", multi_box("channels", 3): "Yes",
              "first_no": "2021-031", "place": "操场"}
    pdftk_fill(blank, filled, values)
    result = process(filled, registry)
    assert result.data == FULL and _found(result) == set()


# -- the authoring workbook and consolidation ------------------------------------------------------------------------

def test_the_authoring_workbook_goes_there_and_back_identically(tmp_path):
    book = tmp_path / "t-multi.xlsx"
    wb = export_workbook(FORM)
    wb.save(book)
    rows = {r[1]: r for r in wb["survey"].iter_rows(min_row=2, values_only=True)}
    header = [c.value for c in wb["survey"][1]]
    assert rows["channels"][0] == "select_multiple channels"
    assert rows["first_no"][header.index("relevant")] == 'kind = "续报"'
    definition, issues = lint_book(book)
    assert issues == [] and definition == FORM


def test_an_xlsform_select_multiple_and_relevant_import(tmp_path):
    wb = Workbook()
    survey = wb.active
    survey.title = "survey"
    for row in (["type", "name", "label", "relevant"],
                ["select_one kinds", "kind", "报告类型", None],
                ["select_multiple ways", "channels", "发现途径", None],
                ["text", "first_no", "首报编号", "${kind} = 'next'"],
                ["text", "other_way", "其他途径", "selected(${kind}, 'first') and ${channels} != ''"],
                ["text", "camera_no", "监控编号", "selected(${channels}, 'camera')"]):
        survey.append(row)
    choices = wb.create_sheet("choices")
    for row in (["list_name", "name", "label"], ["kinds", "first", "首报"], ["kinds", "next", "续报"],
                ["ways", "teacher", "教师发现"], ["ways", "camera", "监控"]):
        choices.append(row)
    wb.create_sheet("settings").append(["form_id"])
    wb["settings"].append(["t-xls"])
    book = tmp_path / "xls.xlsx"
    wb.save(book)
    definition, issues = lint_book(book)
    props = definition["properties"]
    assert props["channels"] == {"title": "发现途径", "type": "array", "uniqueItems": True,
                                 "items": {"enum": ["teacher", "camera"]}, "x-formgen": {"labels": ["教师发现", "监控"]}}
    assert props["first_no"]["x-formgen"]["relevant"] == "kind = 'next'"
    assert props["other_way"]["x-formgen"]["relevant"] == "selected(kind, 'first') and filled(channels)"
    assert props["camera_no"]["x-formgen"]["relevant"] == "selected(channels, 'camera')"
    assert [i for i in issues if i.severity.value == "error"] == []
    spec = FormSpec.from_definition(definition)
    assert spec.relevance_note(spec.lookup("camera_no")) == "（发现途径选了监控时填写）"
    record = {"kind": "first", "channels": ["teacher"], "camera_no": "3号"}
    assert [(i.code.id, i.path) for i in validate(spec, record)] == [("FG350", "camera_no")]
    assert validate(spec, {**record, "channels": ["teacher", "camera"]}) == []


def test_consolidation_writes_a_list_as_labels_joined_with_the_enumeration_comma(registry, tmp_path):
    spec = registry.get("t-multi")
    consolidate(spec, [Entry("3121000321", "第八十二中学", "a.xlsx", FULL)], tmp_path)
    wb = openpyxl.load_workbook(next((tmp_path / "汇总").glob("*.xlsx")))
    values = [c.value for ws in wb for row in ws.iter_rows() for c in row]
    assert "学生报告、监控" in values


@pytest.mark.parametrize("fmt", ["xlsx", "docx", "pdf"])
def test_a_multiple_choice_column_of_a_repeating_group_is_typed_and_read_back(tmp_path, fmt):
    ways = {"type": "array", "uniqueItems": True, "items": {"enum": ["push", "insult", "isolate"]},
            "x": {"labels": ["推搡", "辱骂", "孤立"]}}
    definition = form([("people", "rows", "人员", [("name", "text", "姓名"), ("ways", "multi", "方式", ways)])],
                      form_id="t-rows")
    folder = tmp_path / "forms"
    folder.mkdir()
    (folder / "t-rows.json").write_text(json.dumps(definition, ensure_ascii=False), "utf-8")
    registry = Registry(folder)
    record = {"people": [{"name": "甲", "ways": ["push", "isolate"]}, {"name": "乙", "ways": ["insult"]}]}
    COMPILERS[fmt].compile(registry.get("t-rows"), record, tmp_path / f"rows.{fmt}")
    result = process(tmp_path / f"rows.{fmt}", registry)
    assert result.data == record and _found(result) == set()


def test_word_breaks_a_long_row_of_boxes_between_choices_never_inside_a_label(tmp_path):
    labels = ["肢体欺凌（推搡/殴打）", "言语欺凌（辱骂/起绰号）", "财物欺凌", "社交排斥与孤立", "网络欺凌（发布/传播信息）",
              "性别相关欺凌", "其他"]
    ways = {"type": "array", "uniqueItems": True, "items": {"enum": [f"w{i}" for i in range(len(labels))]},
            "x": {"labels": labels}}
    folder = tmp_path / "forms"
    folder.mkdir()
    (folder / "t-long.json").write_text(json.dumps(form([("ways", "multi", "欺凌方式", ways)], form_id="t-long"),
                                                   ensure_ascii=False), "utf-8")
    registry = Registry(folder)
    out = tmp_path / "long.docx"
    COMPILERS["docx"].compile(registry.get("t-long"), {"ways": ["w1", "w4"]}, out)
    xml = zipfile.ZipFile(out).read("word/document.xml").decode("utf-8")
    cell = xml[xml.index("欺凌方式"): xml.index(labels[-1])]
    assert cell.count("<w:br/>") == 1 and cell.index("<w:br/>") < cell.index(labels[3])
    assert process(out, registry).data == {"ways": ["w1", "w4"]}
