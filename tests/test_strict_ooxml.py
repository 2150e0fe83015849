"""Strict Open XML (ISO/IEC 29500 Strict) workbooks and documents are refused as such, with what to do
instead, not as "not made by formgen" (FG103)."""
from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from formgen.compile import COMPILERS
from formgen.issues import Code
from formgen.pipeline import process
from tests.conftest import example

#: Transitional namespaces and their Strict counterparts (ISO/IEC 29500-1 Annex A)
STRICT = {
    b"http://schemas.openxmlformats.org/spreadsheetml/2006/main": b"http://purl.oclc.org/ooxml/spreadsheetml/main",
    b"http://schemas.openxmlformats.org/wordprocessingml/2006/main":
        b"http://purl.oclc.org/ooxml/wordprocessingml/main",
    b"http://schemas.openxmlformats.org/officeDocument/2006/relationships":
        b"http://purl.oclc.org/ooxml/officeDocument/relationships",
}


def _strict_copy(source: Path, out: Path) -> None:
    """Rewrite every XML part's namespaces to Strict's, as Excel's and Word's "Strict Open XML" save does."""
    with zipfile.ZipFile(source) as zin, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zout:
        for item in zin.infolist():
            data = zin.read(item)
            if item.filename.endswith((".xml", ".rels")):
                for transitional, strict in STRICT.items():
                    data = data.replace(transitional, strict)
            zout.writestr(item, data)


@pytest.mark.parametrize("fmt, kind, todo", [
    ("xlsx", "a Strict Open XML workbook (.xlsx)", "另存为普通的 Excel 工作簿（.xlsx），不要选“Strict Open XML”"),
    ("docx", "a Strict Open XML document (.docx)", "另存为普通的 Word 文档（.docx），不要选“Strict Open XML”"),
])
def test_strict_open_xml_is_refused_as_such(tmp_path, registry, fmt, kind, todo):
    spec = registry.get("incident-report")
    generated = tmp_path / f"form.{fmt}"
    COMPILERS[fmt].compile(spec, example(spec.id), generated)
    strict = tmp_path / f"strict.{fmt}"
    _strict_copy(generated, strict)
    assert process(generated, registry).valid  # the same file before its namespaces were rewritten

    issues = process(strict, registry).issues
    assert [(i.code, i.params["kind"]) for i in issues] == [(Code.FILE_FORMAT_UNKNOWN, kind)]
    assert issues[0].code.id == "FG102"
    message = issues[0].message("zh_CN")
    assert todo in message and "Strict Open XML 格式的" in message
