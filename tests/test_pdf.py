"""The PDF form: filled by other tools and read back exactly, rendered by poppler and mupdf, checked by qpdf,
and the files that cannot be read reported with their own issue codes."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from fpdf import FPDF
from pypdf import PdfReader, PdfWriter
from pypdf.generic import ArrayObject, DecodedStreamObject, DictionaryObject, NameObject

from formgen.compile import COMPILERS
from formgen.pipeline import process
from tests.conftest import EXAMPLES, example, run_cli
from tests.dump import check_golden, dump_pdf
from tests.returns import pdftk_fill
from tests.test_fixed_rows import _registry as checklist_registry

# field address -> (what the other tool fills in, what formgen extract must return)
SCALARS = {
    "report_kind": ("续报", "follow-up"),
    "report_no": ("2021-032", "2021-032"),
    "initial_report_no": ("2021-031", "2021-031"),
    "school_name": ("沈阳市（第八十二）中学；“实验”&<分校>", "沈阳市（第八十二）中学；“实验”&<分校>"),
    "school_code": ("3121000321", "3121000321"),
    "reporter": ("王喆玥", "王喆玥"),
    "reporter_phone": ("13804051234", "13804051234"),
    "reported_at": ("2021-03-09 10:20", "2021-03-09T10:20:00+08:00"),
    "occurred_at": ("2021年3月8日 16时40分", "2021-03-08T16:40:00+08:00"),
    "place": ("教学楼三楼东侧卫生间", "教学楼三楼东侧卫生间"),
    "cause": ("课间排队打水时发生口角；\n放学后在卫生间堵截。", "课间排队打水时发生口角；\n放学后在卫生间堵截。"),
    "process": ("16时40分，张某、赵某将李某堵在卫生间内，推搡拉扯。\n值周教师巡查发现并制止。",
                "16时40分，张某、赵某将李某堵在卫生间内，推搡拉扯。\n值周教师巡查发现并制止。"),
    "measures": ("1. 当场制止；\n2. 通知双方家长。", "1. 当场制止；\n2. 通知双方家长。"),
    "severity": ("反复发生的一般欺凌", "repeated"),
}
CHECKED = "police_notified"  # 是 ticked
DENIED = "authority_notified"  # 否 ticked (a yes/no field nobody touched reads as not filled)
# Rows 0 and 2 are filled, row 1 stays empty: the filled rows are numbered 0 and 1 on return.
ROWS = {
    0: {"role": ("实施方", "bully"), "name": ("张堃", "张堃"), "gender": ("男", "male"),
        "grade_class": ("初二（3）班", "初二（3）班"), "age": ("14", 14)},
    2: {"role": ("被欺凌方", "victim"), "name": ("李赟", "李赟"), "gender": ("女", "female"), "age": ("13", 13)},
}


def _filled() -> dict[str, str]:
    values = {name: typed for name, (typed, _expected) in SCALARS.items()}
    for row, columns in ROWS.items():
        values.update({f"persons.{row}.{col}": typed for col, (typed, _expected) in columns.items()})
    return values


def _expected() -> dict:
    data = {name: expected for name, (_typed, expected) in SCALARS.items()}
    data.update({CHECKED: True, DENIED: False})
    data["persons"] = [{col: expected for col, (_typed, expected) in ROWS[row].items()} for row in sorted(ROWS)]
    return {"form": "incident-report", "version": "1.0.0", "data": data}


def fill_pdftk(blank: Path, out: Path) -> None:
    """pdftk-java fill_form with a UTF-8 XFDF (a yes/no field's state: Yes for 是, No for 否)."""
    pdftk_fill(blank, out, {**_filled(), CHECKED: "Yes", DENIED: "No"})


def fill_pypdf(blank: Path, out: Path) -> None:
    """pypdf's own form filling, without regenerating appearances."""
    writer = PdfWriter(clone_from=PdfReader(blank))
    for page in writer.pages:
        writer.update_page_form_field_values(page, {**_filled(), CHECKED: "/Yes", DENIED: "/No"},
                                             auto_regenerate=False)
    writer.write(out)


@pytest.mark.parametrize("fill", [fill_pdftk, fill_pypdf], ids=["pdftk", "pypdf"])
def test_filled_by_another_tool_reads_back_exactly(tmp_path, fill):
    blank = tmp_path / "blank.pdf"
    assert run_cli("generate", "incident-report", "--format", "pdf", "-o", str(blank)).exit_code == 0
    filled = tmp_path / "filled.pdf"
    fill(blank, filled)

    result = run_cli("extract", str(filled))
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == _expected()
    valid = run_cli("validate", str(filled), "--json")
    assert json.loads(valid.stdout)[0]["valid"] is True, valid.stdout


def test_invalid_values_are_reported_by_field(tmp_path):
    blank = tmp_path / "blank.pdf"
    run_cli("generate", "incident-report", "--format", "pdf", "-o", str(blank))
    writer = PdfWriter(clone_from=PdfReader(blank))
    writer.update_page_form_field_values(None, {**_filled(), CHECKED: "/Yes", DENIED: "/No", "severity": "很严重",
                                                "persons.2.age": "十三岁"},
                                         auto_regenerate=False)
    filled = tmp_path / "invalid.pdf"
    writer.write(filled)
    report = json.loads(run_cli("validate", str(filled), "--json").stdout)[0]
    found = {(i["code"], i["path"], i.get("location")) for i in report["issues"]}
    assert found == {("FG205", "severity", "severity"), ("FG201", "persons.1.age", "persons.2.age")}


def _prefilled_data() -> dict:
    data = example("incident-report")
    data["persons"][0]["name"] = "张喆玥"
    data["persons"][1]["name"] = "王堃赟"
    data["place"] = "教学楼（三楼），东侧；“卫生间”"
    return data


def test_prefilled_values_render_in_poppler_and_mupdf(tmp_path):
    data = tmp_path / "data.json"
    data.write_text(json.dumps(_prefilled_data(), ensure_ascii=False), "utf-8")
    out = tmp_path / "filled.pdf"
    assert run_cli("generate", "incident-report", "--format", "pdf", "--data", str(data), "-o", str(out)).exit_code == 0
    poppler = subprocess.run(["pdftotext", str(out), "-"], capture_output=True, text=True, check=True).stdout
    mupdf = subprocess.run(["mutool", "draw", "-q", "-F", "txt", "-o", "-", str(out)], capture_output=True, text=True,
                           check=True).stdout
    # The multi-line value is wrapped inside its box: its first sentence continues on a second line.
    expected = ["张喆玥", "王堃赟", "教学楼（三楼），东侧；“卫生间”", "沈阳市第八十二中学", "初二（3）班", "待认定",
                "2021-03-08 16:40", "3月8日16时40分放学后", "值周教师巡查时发现并当场制止"]
    for text in (poppler, mupdf):
        missing = [value for value in expected if value not in text]
        assert missing == []
    subprocess.run(["pdftoppm", "-r", "60", "-f", "1", "-l", "1", "-png", str(out), str(tmp_path / "page")], check=True)
    assert (tmp_path / "page-1.png").stat().st_size > 10_000
    assert json.loads(run_cli("extract", str(out)).stdout)["data"] == _prefilled_data()


def _every_generated(registry, tmp_path) -> list[Path]:
    files = []
    for spec in registry.all():
        blank = tmp_path / f"{spec.id}-blank.pdf"
        COMPILERS["pdf"].compile(spec, None, blank)
        files.append(blank)
        if (EXAMPLES / f"{spec.id}.json").exists():
            filled = tmp_path / f"{spec.id}-filled.pdf"
            COMPILERS["pdf"].compile(spec, example(spec.id), filled)
            files.append(filled)
    return files


def test_qpdf_check_passes_on_every_generated_file(registry, tmp_path):
    files = _every_generated(registry, tmp_path)
    assert files
    for path in files:
        check = subprocess.run(["qpdf", "--check", str(path)], capture_output=True, text=True)
        assert check.returncode == 0, (path.name, check.stdout, check.stderr)
        assert "No syntax or stream encoding errors" in check.stdout


def test_blank_pdf_matches_golden(tmp_path):
    out = tmp_path / "blank.pdf"
    run_cli("generate", "incident-report", "--format", "pdf", "-o", str(out))
    dump = dump_pdf(out)
    assert dump["identity"] == ["incident-report", "1.0.0"]
    assert dump["fields"]["persons.5.name"] == {"type": "/Tx", "flags": 4098, "options": [], "max_length": 40,
                                               "states": []}
    assert dump["fields"]["police_notified"]["states"] == ["/No", "/Yes"]
    assert dump["fields"]["report_kind"]["options"] == ["", "首报", "续报"]
    check_golden("incident-report.pdf", dump)


def test_fixed_rows_print_their_text_and_read_back_by_key(tmp_path):
    registry = checklist_registry(tmp_path)
    spec = registry.get("t-checklist")
    record = {"unit": "某县教育局", "measures": [{"no": 1, "status": "done"}, {"no": 2},
                                            {"no": 3, "status": "partly", "note": "正在推进"}]}
    out = tmp_path / "c.pdf"
    COMPILERS["pdf"].compile(spec, record, out)
    fields = PdfReader(out).get_fields()
    assert "measures.0.measure" not in fields  # printed, not a field
    assert int(fields["measures.0.no"]["/Ff"]) & 1  # the key is read-only
    assert "明确界定" in subprocess.run(["pdftotext", str(out), "-"], capture_output=True, text=True).stdout
    result = process(out, registry)
    assert result.data == record and result.valid


# -- files that cannot be read ------------------------------------------------------

def _codes(path: Path, registry) -> list[str]:
    return [i.code.id for i in process(path, registry).issues]


def _generated(tmp_path, registry) -> Path:
    out = tmp_path / "filled.pdf"
    COMPILERS["pdf"].compile(registry.get("incident-report"), example("incident-report"), out)
    return out


def test_encrypted_with_empty_password_is_read(tmp_path, registry):
    locked = tmp_path / "locked.pdf"
    subprocess.run(["qpdf", "--encrypt", "", "owner-secret", "256", "--", str(_generated(tmp_path, registry)),
                    str(locked)], check=True)
    result = process(locked, registry)
    assert result.issues == [] and result.data == example("incident-report")


def test_encrypted_with_a_password_is_file_encrypted(tmp_path, registry):
    locked = tmp_path / "locked.pdf"
    subprocess.run(["qpdf", "--encrypt", "user-secret", "owner-secret", "256", "--",
                    str(_generated(tmp_path, registry)), str(locked)], check=True)
    assert _codes(locked, registry) == ["FG107"]


def test_flattened_form_has_no_fillable_fields(tmp_path, registry):
    flat = tmp_path / "flat.pdf"
    subprocess.run(["pdftk", str(_generated(tmp_path, registry)), "output", str(flat), "flatten"], check=True)
    result = process(flat, registry)
    assert [i.code.id for i in result.issues] == ["FG106"] and result.data is None
    assert "扫描" in result.issues[0].message("zh_CN")


def test_scanned_pdf_has_no_fillable_fields(tmp_path, registry):
    pdf = FPDF()
    pdf.add_page()
    pdf.rect(20, 20, 100, 50, style="F")
    scanned = tmp_path / "scan.pdf"
    pdf.output(str(scanned))
    assert _codes(scanned, registry) == ["FG106"]


def test_xfa_only_form_has_no_fillable_fields(tmp_path, registry):
    writer = PdfWriter()
    writer.add_blank_page(595, 842)
    xfa = DecodedStreamObject()
    xfa.set_data(b"<xdp:xdp xmlns:xdp='http://ns.adobe.com/xdp/'/>")
    writer._root_object[NameObject("/AcroForm")] = DictionaryObject({
        NameObject("/Fields"): ArrayObject(), NameObject("/XFA"): writer._add_object(xfa)})
    path = tmp_path / "xfa.pdf"
    writer.write(path)
    result = process(path, registry)
    assert [i.code.id for i in result.issues] == ["FG106"]
    assert "XFA" in result.issues[0].message("en")


def test_form_without_its_document_information_keeps_its_identity_in_the_hidden_field(tmp_path, registry):
    """(tests/test_identity_copy.py: page tools, and no copy left)"""
    writer = PdfWriter(clone_from=PdfReader(_generated(tmp_path, registry)))
    writer.metadata = None
    path = tmp_path / "copy.pdf"
    writer.write(path)
    assert _codes(path, registry) == []


NOTO_CFF = "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"


@pytest.mark.parametrize("setting, named", [
    ("No Such Font SC", ["No Such Font SC", "FORMGEN_PDF_FIELD_FONT"]),
    (NOTO_CFF + "#2", ["NotoSansCJK-Regular.ttc", "TrueType"]),
], ids=["missing", "cff"])
def test_unusable_field_font_is_named(tmp_path, monkeypatch, setting, named):
    if setting.startswith("/") and not Path(NOTO_CFF).exists():
        pytest.skip("Noto Sans CJK is not installed")
    monkeypatch.setenv("FORMGEN_PDF_FIELD_FONT", setting)
    result = run_cli("generate", "incident-report", "--format", "pdf", "-o", str(tmp_path / "x.pdf"))
    assert result.exit_code == 2
    assert [word for word in named if word not in result.stderr] == []
    assert not (tmp_path / "x.pdf").exists()


def _widget_places(path: Path) -> dict[str, tuple[int, float, float]]:
    """Each field's first widget: (page number, top, bottom) in pt from the page's top."""
    places: dict[str, tuple[int, float, float]] = {}
    for number, page in enumerate(PdfReader(path).pages, 1):
        height = float(page.mediabox.height)
        for annot in page.get("/Annots") or []:
            widget, names = annot.get_object(), []
            node = widget
            while node is not None:
                if "/T" in node:
                    names.insert(0, str(node["/T"]))
                node = node.get("/Parent")
                node = node.get_object() if node is not None else None
            x0, y0, x1, y1 = (float(v) for v in widget["/Rect"])
            places.setdefault(".".join(names), (number, height - y1, height - y0))
    return places


@pytest.mark.parametrize("data", [False, True])
def test_the_incident_report_fills_two_pages_breaking_between_its_sections(tmp_path, data):
    """Short fields share a row (as in Word); 涉及人员 and 处置情况 start page 2 whole, so that both pages are
    more than half used and the table of persons is not cut."""
    out = tmp_path / "report.pdf"
    args = ["--data", str(EXAMPLES / "incident-report.json")] if data else []
    assert run_cli("generate", "incident-report", "--format", "pdf", "-o", str(out), *args).exit_code == 0
    reader = PdfReader(out)
    assert len(reader.pages) == 2 and reader.metadata["/FormgenPages"] == "2"
    places = _widget_places(out)
    assert places["report_kind"][:2] == places["report_no"][:2]
    assert places["reported_at"][:2] == places["reporter_phone"][:2]
    first = ("report_kind", "school_name", "reported_at", "occurred_at", "place", "cause", "process")
    assert {places[name][0] for name in first} == {1}
    second = [name for name in places if name.startswith("persons.")] + ["harm", "measures", "severity",
                                                                          "authority_notified"]
    assert {places[name][0] for name in second} == {2}
    half = float(reader.pages[0].mediabox.height) / 2
    assert all(max(bottom for page, _top, bottom in places.values() if page == n) > half for n in (1, 2))
    page2 = subprocess.run(["pdftotext", "-f", "2", "-l", "2", str(out), "-"], capture_output=True, text=True,
                           check=True).stdout
    assert page2.split()[0] == "涉及人员"


def test_the_longest_values_of_a_grid_print_whole_at_7_pt_or_more(tmp_path, registry):
    """A text whose maxLength does not go on one line of its cell at 7 pt gets a box that wraps it: 100
    characters of 报告学校 and 200 of 发生地点 across the page, 40 of 报告人 beside 学校标识码."""
    from tests import printcheck

    record = example("incident-report")
    record.update(report_no="甲" * 40, reporter="乙" * 40, school_name="丙" * 99 + "丁", place="戊" * 199 + "己")
    data, out = tmp_path / "long.json", tmp_path / "long.pdf"
    data.write_text(json.dumps(record, ensure_ascii=False), "utf-8")
    assert run_cli("generate", "incident-report", "--format", "pdf", "-o", str(out), "--data", str(data)).exit_code == 0
    pages = printcheck.pages(out)
    assert printcheck.missing_values(pages, printcheck.values(registry.get("incident-report"), record, "pdf")) == []
    assert [fault for page in pages for fault in printcheck.too_small(page) + printcheck.across_rules(page)] == []
