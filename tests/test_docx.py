"""The Word form without an office suite: pre-fill round trip, golden layout, and returned files that were
changed the ways people change them (edited here with lxml, as Word or WPS would save them)."""

from __future__ import annotations

import copy
import hashlib
import io
import json
import os
import zipfile
from pathlib import Path

import pytest
from lxml import etree

from formgen.compile.docx import template_bytes
from formgen.layout.docx import layout
from formgen.compile.docx_template import build_template, template_path
from formgen.layout.ooxml import qn
from tests.conftest import example, run_cli
from tests.docx_dump import dump

GOLDEN = Path(__file__).parent / "golden" / "incident-report.docx.txt"


def generate(tmp_path: Path, data: dict | None = None, name: str = "form.docx") -> Path:
    out = tmp_path / name
    args = ["generate", "incident-report", "--format", "docx", "-o", str(out)]
    if data is not None:
        data_file = tmp_path / "data.json"
        data_file.write_text(json.dumps(data, ensure_ascii=False), "utf-8")
        args += ["--data", str(data_file)]
    result = run_cli(*args)
    assert result.exit_code == 0, result.output
    return out


def edit(src: Path, change, name: str = "edited.docx") -> Path:
    """Apply change(body) to word/document.xml and write the result beside src."""
    dst = src.with_name(name)
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
        for item in zin.infolist():
            data = zin.read(item)
            if item.filename == "word/document.xml":
                root = etree.fromstring(data)
                change(root.find(qn("w:body")))
                data = etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)
            zout.writestr(item, data)
    return dst


def extract(path: Path, exit_code: int = 0) -> dict:
    result = run_cli("extract", str(path))
    assert result.exit_code == exit_code, result.output
    return json.loads(result.stdout)["data"]


def issues(path: Path) -> set[tuple[str, str]]:
    result = run_cli("validate", str(path), "--json")
    return {(i["code"], i["path"]) for i in json.loads(result.stdout)[0]["issues"]}


def drop_tags(body) -> None:
    """What LibreOffice does on save: every content-control tag is lost."""
    for tag in list(body.iter(qn("w:tag"))):
        tag.getparent().remove(tag)


def tables(body):
    return body.findall(qn("w:tbl"))


def rows(tbl):
    return tbl.findall(qn("w:tr"))


def run(text: str):
    r = etree.Element(qn("w:r"))
    etree.SubElement(r, qn("w:t")).text = text
    return r


def test_prefilled_form_reads_back_the_example_record_unchanged(tmp_path):
    record = example("incident-report")
    assert extract(generate(tmp_path, record)) == record
    assert run_cli("validate", str(generate(tmp_path, record))).exit_code == 0


def test_a_prefilled_form_prints_clean(tmp_path):
    """No placeholder where the record has no value (it prints as an empty box and reads back as empty), and a
    ticked box shows ☑, not ☒ (which reads as 否 on a Chinese form)."""
    record = example("incident-report")
    filled = generate(tmp_path, record)
    text = dump(filled)
    assert "| <3>{text tag=initial_report_no} |" in text  # empty in the example
    assert "{date yyyy-MM-dd tag=determined_on}" in text
    assert "{text tag=school_name: 沈阳市第八十二中学}" in text
    assert "{dropdown 待认定/情节轻微的一般欺凌/反复发生的一般欺凌/严重欺凌/屡教不改或情节恶劣/涉嫌违法犯罪 tag=severity: 待认定}" in text
    assert "placeholder" not in text and "［" not in text
    assert "☑" in text and "☒" not in text
    assert extract(filled) == record


def test_a_blank_form_shows_its_placeholders(tmp_path):
    text = dump(generate(tmp_path))
    assert "{text tag=initial_report_no placeholder: ［请填写］}" in text


def test_markup_characters_and_control_characters_survive_prefill(tmp_path):
    record = example("incident-report")
    record["school_name"] = "A&B <x> 《第八十二》中学 {{ f }}"
    record["persons"][0]["name"] = "A&B <x>"
    record["process"] = "第一行 & <b>\n第二行\x07\x0b《完》"
    got = extract(generate(tmp_path, record))
    assert got["school_name"] == "A&B <x> 《第八十二》中学 {{ f }}"
    assert got["persons"][0]["name"] == "A&B <x>"
    assert got["process"] == "第一行 & <b>\n第二行《完》"


def test_blank_form_reads_as_empty_and_reports_required_fields(tmp_path):
    blank = generate(tmp_path)
    assert extract(blank) == {}
    found = issues(blank)
    assert ("FG301", "school_name") in found and ("FG301", "persons") in found
    assert all(code == "FG301" for code, _path in found)


def test_golden_dump_of_the_blank_form(tmp_path):
    text = dump(generate(tmp_path))
    if os.environ.get("FORMGEN_UPDATE_GOLDEN"):
        GOLDEN.parent.mkdir(exist_ok=True)
        GOLDEN.write_text(text, "utf-8")
    assert text == GOLDEN.read_text("utf-8")


def test_stored_template_is_current(registry):
    spec = registry.get("incident-report")
    assert template_path(spec).read_bytes() == build_template(spec), "run `make templates`"
    assert template_bytes(spec) == template_path(spec).read_bytes()


def test_extract_never_changes_the_file(tmp_path):
    filled = generate(tmp_path, example("incident-report"))
    before = hashlib.sha256(filled.read_bytes()).hexdigest()
    extract(filled)
    run_cli("validate", str(filled))
    assert hashlib.sha256(filled.read_bytes()).hexdigest() == before


def test_tags_find_fields_even_when_a_table_was_moved(tmp_path):
    filled = generate(tmp_path, example("incident-report"))

    def swap_first_tables(body):
        first, second = tables(body)[:2]
        first.addprevious(second)  # the incident table now comes before the report table

    moved = edit(filled, swap_first_tables)
    data = extract(moved)
    assert data["school_name"] == "沈阳市第八十二中学" and data["place"] == "教学楼三楼东侧卫生间"
    assert not {i for i in issues(moved) if i[0] == "FG105"}

    untagged = edit(moved, drop_tags, "untagged.docx")
    found = issues(untagged)
    assert {("FG105", "school_name"), ("FG105", "place"), ("FG105", "report_kind")} <= found


def test_a_deleted_row_is_reported_not_guessed(tmp_path):
    filled = generate(tmp_path, example("incident-report"))

    def delete_second_row(body):
        drop_tags(body)
        table = tables(body)[0]
        table.remove(rows(table)[1])

    found = issues(edit(filled, delete_second_row))
    layout_changed = {path for code, path in found if code == "FG105"}
    assert layout_changed == {"initial_report_no", "school_name", "school_code", "reporter", "reporter_phone",
                              "reported_at"}


def test_a_merged_cell_is_reported(tmp_path, registry):
    filled = generate(tmp_path, example("incident-report"))
    persons = next(t.number for t in layout(registry.get("incident-report")).tables if t.group is not None)

    def merge_name_and_gender(body):
        drop_tags(body)
        row = rows(tables(body)[persons - 1])[2]
        cells = row.findall(qn("w:tc"))
        etree.SubElement(cells[1].find(qn("w:tcPr")), qn("w:gridSpan")).set(qn("w:val"), "2")
        row.remove(cells[2])

        scalar = rows(tables(body)[0])[2]
        value = scalar.findall(qn("w:tc"))[1]
        etree.SubElement(value.find(qn("w:tcPr")), qn("w:vMerge"))

    merged = edit(filled, merge_name_and_gender)
    found = issues(merged)
    assert ("FG105", "persons") in found and ("FG105", "school_name") in found
    result = json.loads(run_cli("validate", str(merged), "--json").stdout)[0]
    by_path = {i["path"]: i for i in result["issues"] if i["code"] == "FG105"}
    assert by_path["persons"]["location"] == f"表{persons}!R3"
    assert "单元格被合并或拆分" in by_path["persons"]["message"] and "涉及人员" in by_path["persons"]["message"]
    data = extract(merged, exit_code=1)  # printed, but a value could not be read: exit 1
    assert [p["name"] for p in data["persons"]] == ["张某某", "李某某", "刘某某"]  # the merged row is not guessed


def test_rows_added_by_a_person_are_read(tmp_path, registry):
    record = example("incident-report")
    record["persons"] = record["persons"][:1]
    filled = generate(tmp_path, record)
    persons = next(t.number for t in layout(registry.get("incident-report")).tables if t.group is not None)

    def add_rows(body):
        drop_tags(body)
        table = tables(body)[persons - 1]
        last = rows(table)[-1]
        for values in (("被欺凌方", "李四", "女", "初一（1）班", "12"), ("知情人", "王五", "男", "初一（2）班", "13")):
            new = copy.deepcopy(last)
            for tc, text in zip(new.findall(qn("w:tc")), values):
                for p in tc.findall(qn("w:p")):
                    tc.remove(p)
                etree.SubElement(tc, qn("w:p")).append(run(text))
            table.append(new)

    data = extract(edit(filled, add_rows))
    assert data["persons"][1:] == [
        {"role": "victim", "name": "李四", "gender": "female", "grade_class": "初一（1）班", "age": 12},
        {"role": "witness", "name": "王五", "gender": "male", "grade_class": "初一（2）班", "age": 13}]


def test_tracked_insertions_count_deletions_and_comments_do_not(tmp_path):
    filled = generate(tmp_path, example("incident-report"))

    def track(body):
        sdt = next(s for s in body.iter(qn("w:sdt")) if s.find(f"{qn('w:sdtPr')}/{qn('w:tag')}").get(qn("w:val"))
                   == "place")
        content = sdt.find(qn("w:sdtContent"))
        deleted = etree.SubElement(content, qn("w:del"))
        gone = etree.SubElement(deleted, qn("w:r"))
        etree.SubElement(gone, qn("w:delText")).text = "（已删除）"
        deleted.append(run("（也已删除）"))  # some programs keep w:t inside w:del
        inserted = etree.SubElement(content, qn("w:ins"))
        inserted.append(run("北侧"))
        content.append(etree.Element(qn("w:commentRangeStart")))
        comment = etree.SubElement(content, qn("w:r"))
        etree.SubElement(comment, qn("w:commentReference")).set(qn("w:id"), "0")

    assert extract(edit(filled, track))["place"] == "教学楼三楼东侧卫生间北侧"


def test_checkbox_state_is_trusted_over_its_glyph(tmp_path):
    filled = generate(tmp_path, example("incident-report"))  # police_notified: 否 ticked

    def disagree(body):
        boxes = [s for s in body.iter(qn("w:sdt"))
                 if s.find(f"{qn('w:sdtPr')}/{qn('w:tag')}").get(qn("w:val")) == "police_notified"]
        yes, no = (b.find(f"{qn('w:sdtPr')}/{qn('w14:checkbox')}/{qn('w14:checked')}") for b in boxes)
        yes.set(qn("w14:val"), "1")  # ticked, but still showing ☐
        no.set(qn("w14:val"), "0")   # unticked, but still showing ☒

    assert extract(edit(filled, disagree))["police_notified"] is True


def test_text_typed_beside_a_control_counts(tmp_path):
    blank = generate(tmp_path)

    def type_after(body):
        drop_tags(body)
        sdt = next(s for s in body.iter(qn("w:sdt")) if s.find(f"{qn('w:sdtPr')}/{qn('w:alias')}") is not None
                   and s.find(f"{qn('w:sdtPr')}/{qn('w:alias')}").get(qn("w:val")) == "报告人")
        sdt.addnext(run("王立新"))

    assert extract(edit(blank, type_after)) == {"reporter": "王立新"}


def _rewrite(src: Path, dst: Path, document=None, drop: str | None = None) -> Path:
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w") as zout:
        for item in zin.infolist():
            if item.filename == drop:
                continue
            data = zin.read(item)
            zout.writestr(item, document(data) if document and item.filename == "word/document.xml" else data)
    return dst


def test_a_document_type_declaration_is_refused_and_its_entities_are_never_expanded(tmp_path):
    def declare_entity(data: bytes) -> bytes:
        data = data.replace(b"<?xml version='1.0' encoding='UTF-8' standalone='yes'?>",
                            b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY x "SECRET">]>', 1)
        return data.replace("［请填写］".encode(), b"&x;", 1)

    hostile = _rewrite(generate(tmp_path), tmp_path / "hostile.docx", declare_entity)
    result = run_cli("validate", "--json", str(hostile))
    assert result.exit_code == 1 and "SECRET" not in result.stdout
    assert [i["code"] for i in json.loads(result.stdout)[0]["issues"]] == ["FG101"]


def test_a_file_without_identity_is_reported(tmp_path):
    anonymous = _rewrite(generate(tmp_path), tmp_path / "anonymous.docx", drop="docProps/custom.xml")
    result = run_cli("validate", str(anonymous), "--json")
    assert result.exit_code == 1
    assert [i["code"] for i in json.loads(result.stdout)[0]["issues"]] == ["FG103"]


@pytest.mark.parametrize("kind", ["date", "boolean-row"])
def test_date_pickers_and_row_dropdowns_round_trip(tmp_path, kind):
    forms = tmp_path / "forms"
    forms.mkdir()
    definition = {
        "$schema": "https://json-schema.org/draft/2020-12/schema", "title": "测试表",
        "x-formgen": {"id": "tiny", "version": "1.0.0"}, "type": "object",
        "properties": {
            "day": {"title": "日期", "type": "string", "format": "date"},
            "rows": {"title": "明细", "type": "array", "items": {"type": "object", "properties": {
                "done": {"title": "完成", "type": "boolean"},
                "on": {"title": "日期", "type": "string", "format": "date"}}}}}}
    (forms / "tiny.json").write_text(json.dumps(definition, ensure_ascii=False), "utf-8")
    record = {"day": "2021-03-05"} if kind == "date" else {"rows": [{"done": False, "on": "2021-03-06"},
                                                                    {"done": True}]}
    (tmp_path / "r.json").write_text(json.dumps(record), "utf-8")
    out = tmp_path / "tiny.docx"
    from click.testing import CliRunner

    from formgen.cli import cli
    runner = CliRunner()
    assert runner.invoke(cli, ["--forms", str(forms), "generate", "tiny", "--format", "docx", "--data",
                               str(tmp_path / "r.json"), "-o", str(out)]).exit_code == 0
    text = dump(out)
    assert "{date yyyy-MM-dd tag=day" in text and "{dropdown 是/否 tag=rows.1.done" in text
    result = runner.invoke(cli, ["--forms", str(forms), "extract", str(out)])
    assert json.loads(result.stdout)["data"] == record


def test_text_in_a_row_added_to_a_field_table_is_reported_as_extra(tmp_path):
    filled = generate(tmp_path, example("incident-report"))

    def add_note_row(body):
        table = tables(body)[0]
        extra = copy.deepcopy(rows(table)[1])
        for t in extra.iter(qn("w:t")):
            t.text = "备注"
        table.append(extra)

    result = json.loads(run_cli("validate", str(edit(filled, add_note_row)), "--json").stdout)[0]
    assert [(i["code"], i["location"]) for i in result["issues"]] == [("FG108", "表1!R6")]
    assert result["valid"] is True  # a warning: the form's own fields all read


def test_a_suspiciously_compressible_document_is_not_parsed(tmp_path):
    def inflate(data: bytes) -> bytes:
        return data.replace(b"<w:body>", b"<w:body>" + b" " * 4_000_000, 1)

    bomb = _rewrite(generate(tmp_path), tmp_path / "bomb.docx", inflate)
    result = json.loads(run_cli("validate", str(bomb), "--json").stdout)[0]
    assert [i["code"] for i in result["issues"]] == ["FG101"]


def test_a_template_that_reaches_into_python_is_refused(tmp_path, registry, monkeypatch):
    from formgen.compile import docx as compiler
    from formgen.issues import DefinitionError

    spec = registry.get("incident-report")
    template = compiler.template_bytes(spec)
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(template)) as zin, zipfile.ZipFile(out, "w") as zout:
        for item in zin.infolist():
            data = zin.read(item)
            if item.filename == "word/document.xml":
                data = data.replace(b"{{ '1' if f['report_kind'].on[0] else '0' }}",
                                    b"{{ cycler.__init__.__globals__.os.popen('id').read() }}", 1)
            zout.writestr(item, data)
    monkeypatch.setitem(compiler._TEMPLATE_CACHE, spec.hash, out.getvalue())
    with pytest.raises(DefinitionError) as refused:
        compiler.DocxCompiler().compile(spec, None, tmp_path / "evil.docx")
    assert "make templates" in refused.value.message("zh_CN") and not (tmp_path / "evil.docx").exists()


def test_a_table_reads_the_same_when_the_text_holds_a_private_use_character(tmp_path):
    """The cells of the tables are read in one pass with private-use characters as marks, unless the
    document's text holds one of them: then cell by cell, to the same values."""
    record = example("incident-report")
    plain = generate(tmp_path, record, "plain.docx")
    record["place"] += "\ue001"
    marked = generate(tmp_path, record, "marked.docx")
    assert extract(marked)["persons"] == extract(plain)["persons"] == json.loads(
        json.dumps(example("incident-report")["persons"]))
