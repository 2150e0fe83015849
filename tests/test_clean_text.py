"""Text from a file is cleaned before it is kept or shown: control characters typed into values (NUL, BEL,
ESC) are removed, Excel's _x0007_ escapes decoded and cleaned, and a form id repeated by FG104 has no
right-to-left override, control character or excess length."""

from __future__ import annotations

import io

import pytest
from pypdf import PdfReader, PdfWriter

from formgen.coerce import clean_text
from formgen.issues import shown
from formgen.pipeline import process
from tests import hostile
from tests.conftest import example

SCHOOL = "沈阳市第八十二中学"


@pytest.fixture(scope="module")
def base(registry, tmp_path_factory) -> dict[str, bytes]:
    return hostile.make_base(registry, example(hostile.FORM), tmp_path_factory.mktemp("base"))


def test_control_characters_typed_into_a_pdf_are_removed(registry, base):
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(base["pdf"])))
    writer.update_page_form_field_values(None, {"school_name": "沈阳市\x00第八\x07十二\x1b中学\u202e",
                                                "harm": "无\r\n伤害\x08"}, auto_regenerate=False)
    out = io.BytesIO()
    writer.write(out)
    result = process("typed.pdf", registry, out.getvalue())
    assert result.valid, [i.to_dict() for i in result.issues]
    assert result.data["school_name"] == SCHOOL and result.data["harm"] == "无\n伤害"


def test_excel_escapes_are_decoded_and_cleaned(registry, base):
    data = hostile.edit(base["xlsx"], hostile.SHEET, lambda xml: xml.replace(
        f"<t>{SCHOOL}</t>", "<t>沈阳市_x0007_第八十二_x001B_中学</t>").replace("<t>2021-031</t>", "<t>a_x005F_b</t>"))
    result = process("escaped.xlsx", registry, data)
    assert result.data["school_name"] == SCHOOL
    assert result.data["report_no"] == "a_b"


def test_an_unknown_form_id_is_repeated_cleaned_and_cut(registry, base):
    rtl = hostile.meta_value(base, hostile.FORM, "evil\u202etxt.exe_x0007__x0000_" + "x" * 300)
    for name, data in (("rtl.xlsx", rtl),
                       ("nul.pdf", hostile.pdf_info(base["pdf"], lambda i: i.update(
                           {"/FormgenForm": "evil\u0000\u202etxt.exe\u0007" + "y" * 300})))):
        result = process(name, registry, data)
        (issue,) = result.issues
        assert issue.code.id == "FG104"
        message = issue.message("zh_CN")
        assert issue.params["form"].startswith("eviltxt.exe") and len(issue.params["form"]) == 40
        assert not any(ch in message for ch in "\u202e\x00\x07")
        assert result.form == issue.params["form"]


def test_cleaning_keeps_what_people_type():
    assert clean_text("第一行\r\n第二行\t〇喆堃\x00", keep_newlines=True) == "第一行\n第二行\t〇喆堃"
    assert shown("a\u200bb\nc", 40) == "ab c"
