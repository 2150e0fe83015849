"""FG108 for a PDF: what a viewer added outside the form's fields (a text box, a note, a field the form never
had, a page) is a warning naming what and on which page; it is never read as data, nor shown in the message."""

from __future__ import annotations

import io
import subprocess

import pypdf
import pytest
from pypdf.annotations import FreeText, Text
from pypdf.generic import ArrayObject, DictionaryObject, FloatObject, NameObject, NumberObject, TextStringObject

from formgen.compile.pdf import render
from formgen.pipeline import process
from tests.conftest import example

SECRET = "张三打了李四"


@pytest.fixture()
def filled(registry):
    """A valid filled incident report (2 pages)."""
    data = render(registry.get("incident-report"), example("incident-report"))
    assert len(pypdf.PdfReader(io.BytesIO(data)).pages) == 2
    return data


def _outside(path, registry) -> list[tuple[str, str, str]]:
    result = process(path, registry)
    assert result.status == "valid", [i.code.id for i in result.issues]
    return [(i.location, i.message("zh_CN"), i.message("en")) for i in result.issues if i.code.id == "FG108"]


def _edited(filled: bytes, tmp_path, edit) -> object:
    writer = pypdf.PdfWriter(clone_from=pypdf.PdfReader(io.BytesIO(filled)))
    edit(writer)
    path = tmp_path / "edited.pdf"
    writer.write(path)
    return path


def test_an_untouched_form_has_nothing_outside(filled, tmp_path, registry):
    path = tmp_path / "form.pdf"
    path.write_bytes(filled)
    assert _outside(path, registry) == []


def test_a_text_box_and_a_note_added_by_a_viewer(filled, tmp_path, registry):
    def edit(writer):
        writer.add_annotation(1, FreeText(text=SECRET, rect=(50, 50, 250, 90)))
        writer.add_annotation(0, Text(text=SECRET, rect=(300, 700, 320, 720)))

    found = _outside(_edited(filled, tmp_path, edit), registry)
    assert sorted(f[0] for f in found) == ["第1页", "第2页"]
    by_page = dict((f[0], f) for f in found)
    assert "第2页上的文本框" in by_page["第2页"][1] and "a text box on page 2" in by_page["第2页"][2]
    assert "第1页上的批注" in by_page["第1页"][1] and "a note on page 1" in by_page["第1页"][2]
    assert not any(SECRET in text for f in found for text in f)


def _added_field(writer):
    """A text field 备注 holding SECRET, added as a widget of page 2 (not yet listed in the form)."""
    page = writer.pages[1]
    field = writer._add_object(DictionaryObject({
        NameObject("/Type"): NameObject("/Annot"), NameObject("/Subtype"): NameObject("/Widget"),
        NameObject("/FT"): NameObject("/Tx"), NameObject("/T"): TextStringObject("备注"),
        NameObject("/V"): TextStringObject(SECRET), NameObject("/F"): NumberObject(4),
        NameObject("/Rect"): ArrayObject([FloatObject(v) for v in (50, 50, 250, 70)]),
        NameObject("/P"): page.indirect_reference}))
    page[NameObject("/Annots")].append(field)
    return field


def test_a_field_the_form_never_had(filled, tmp_path, registry):
    def edit(writer):
        field = _added_field(writer)
        writer._root_object["/AcroForm"]["/Fields"].append(field)

    found = _outside(_edited(filled, tmp_path, edit), registry)
    assert [f[0] for f in found] == ["第2页"]
    assert "备注" in found[0][1] and "the added form field 备注 on page 2" in found[0][2]
    assert SECRET not in found[0][1]


def test_an_added_field_is_named_by_its_own_parents_not_by_where_it_is_listed(filled, tmp_path, registry):
    """A field listed among a group's kids but whose own /Parent says nothing is named as a viewer shows it
    (by its /Parent chain), though the field walk met it below the group (the reader's walk and the pages'
    widgets must agree on a field's name only where the file's links agree)."""
    def edit(writer):
        field = _added_field(writer)
        persons = next(f.get_object() for f in writer._root_object["/AcroForm"]["/Fields"]
                       if f.get_object().get("/T") == "persons")
        persons["/Kids"].append(field)

    found = _outside(_edited(filled, tmp_path, edit), registry)
    assert [f[0] for f in found] == ["第2页"]
    assert "the added form field 备注 on page 2" in found[0][2]
    assert SECRET not in found[0][1]


def test_a_field_widget_turned_into_a_text_box_is_named_as_one_and_the_field_still_read(filled, tmp_path, registry):
    """The field walk reads each widget's kind: a widget of the form's own field whose /Subtype a tool changed is
    no longer a widget on its page, but the field's value is still read."""
    def edit(writer):
        reporter = next(f.get_object() for f in writer._root_object["/AcroForm"]["/Fields"]
                        if f.get_object().get("/T") == "reporter")
        reporter[NameObject("/Subtype")] = NameObject("/FreeText")

    path = _edited(filled, tmp_path, edit)
    assert [(f[0], "at a text box on page 1" in f[2]) for f in _outside(path, registry)] == [("第1页", True)]
    assert process(path, registry).data["reporter"] == example("incident-report")["reporter"]


def test_a_page_added_at_the_end_or_between(filled, tmp_path, registry):
    at_end = _edited(filled, tmp_path, lambda writer: writer.add_blank_page())
    assert [(f[0], "第3页（表单没有这一页）" in f[1]) for f in _outside(at_end, registry)] == [("第3页", True)]
    between = tmp_path / "between.pdf"
    subprocess.run(["qpdf", "--empty", "--pages", str(at_end), "1,3,2", "--", str(between)], check=True)
    # qpdf drops the document information; the identity field still says how many pages formgen wrote
    assert pypdf.PdfReader(between).metadata is None or "/FormgenPages" not in pypdf.PdfReader(between).metadata
    assert [f[0] for f in _outside(between, registry)] == ["第2页"]


def test_page_tools_that_keep_the_pages_add_nothing(filled, tmp_path, registry):
    source, copy = tmp_path / "form.pdf", tmp_path / "copy.pdf"
    source.write_bytes(filled)
    subprocess.run(["qpdf", "--empty", "--pages", str(source), "--", str(copy)], check=True)
    assert _outside(copy, registry) == []
