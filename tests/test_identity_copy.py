"""A PDF carries its identity twice (document information, and a hidden read-only field), so page tools
that drop the document information (`qpdf --pages`, `pdftk cat`) keep it; when no copy is left but the
fields are exactly a known form's, the message says so instead of "a copy made by hand"."""

from __future__ import annotations

import io
import subprocess

import pytest
from pypdf import PdfReader

from formgen.layout.pdf import IDENTITY_FIELD
from formgen.pipeline import process
from tests import hostile
from tests.conftest import example


@pytest.fixture(scope="module")
def base(registry, tmp_path_factory) -> dict[str, bytes]:
    return hostile.make_base(registry, example(hostile.FORM), tmp_path_factory.mktemp("base"))


def _pdftk_cat(data: bytes, tmp_path) -> bytes:
    src, dst = tmp_path / "in.pdf", tmp_path / "cat.pdf"
    src.write_bytes(data)
    subprocess.run(["pdftk", str(src), "cat", "output", str(dst)], check=True, capture_output=True)
    return dst.read_bytes()


@pytest.mark.parametrize("tool", ["qpdf --pages", "pdftk cat"])
def test_page_tools_keep_the_identity_in_the_hidden_field(registry, base, tmp_path, tool):
    data = hostile.pdf_pages(base["pdf"]) if tool == "qpdf --pages" else _pdftk_cat(base["pdf"], tmp_path)
    assert "/FormgenForm" not in (PdfReader(io.BytesIO(data)).metadata or {})  # the tool dropped it
    result = process("copy.pdf", registry, data)
    assert result.valid and (result.form, result.version) == (hostile.FORM, "1.0.0")
    assert result.data == example(hostile.FORM)


def test_with_no_copy_left_a_form_whose_fields_match_is_named(registry, base):
    result = process("stripped.pdf", registry, hostile.pdf_without_identity_field(hostile.pdf_pages(base["pdf"])))
    (issue,) = result.issues
    assert (issue.code.id, issue.params["form"]) == ("FG123", hostile.FORM)
    assert "字段与表单 'incident-report' 的 1.0.0 版完全一致" in issue.message("zh_CN")


def test_a_workbook_without_its_identity_sheet_values_is_named_by_its_fields(registry, base):
    result = process("stripped.xlsx", registry, hostile.meta_value(base, hostile.FORM, ""))
    assert [(i.code.id, i.params.get("form")) for i in result.issues] == [("FG123", hostile.FORM)]


def test_the_hidden_field_is_not_printed_and_cannot_be_typed_in(base):
    (field,) = [a.get_object() for a in PdfReader(io.BytesIO(base["pdf"])).pages[0]["/Annots"]
                if a.get_object().get("/T") == IDENTITY_FIELD]
    assert int(field["/Ff"]) & 1 and int(field["/F"]) & 2 and not int(field["/F"]) & 4
