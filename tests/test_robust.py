"""Every input file gets a result and no exception escapes: what a file is when formgen cannot read it,
workbooks whose ranges were broken, faults inside formgen, folders walked with their litter, and
`validate` on folders and missing paths."""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import tempfile
import zipfile
from pathlib import Path

import pytest
from docx import Document
from lxml import etree
from msoffcrypto.format.ooxml import OOXMLFile
from openpyxl import Workbook
from PIL import Image

from formgen import pipeline
from formgen.batch.walk import (BROKEN_LINK, LINK_OUTSIDE, LINK_TO_FOLDER, LOCK_FILE, SYSTEM_FILE,
                                UNREADABLE_FOLDER, walk)
from formgen.compile import COMPILERS
from formgen.pipeline import process
from tests.conftest import ROOT, example, run_cli
from tests.office import convert
from tests.returns import pdftk_fill

FORM = "incident-report"
M = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"


@pytest.fixture(scope="module")
def made(registry, tmp_path_factory) -> dict[str, bytes]:
    """A filled workbook and document of the form, and LibreOffice's .xls and .doc of them."""
    folder = tmp_path_factory.mktemp("made")
    out = {}
    for fmt in ("xlsx", "docx"):
        path = folder / f"filled.{fmt}"
        COMPILERS[fmt].compile(registry.get(FORM), example(FORM), path)
        out[fmt] = path.read_bytes()
    out["xls"] = convert(folder / "filled.xlsx", "xls", folder).read_bytes()
    out["doc"] = convert(folder / "filled.docx", "doc", folder).read_bytes()
    return out


def _issues(registry, name: str, data: bytes) -> list:
    result = process(name, registry, data)
    assert result.data is None
    return result.issues


def _image(fmt: str) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (8, 8), "white").save(out, fmt)
    return out.getvalue()


def _zip(*names: str) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zf:
        for name in names:
            zf.writestr(name, "<x/>")
    return out.getvalue()


def _opendocument(mimetype: str) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zf:
        zf.writestr("mimetype", mimetype, compress_type=zipfile.ZIP_STORED)
        zf.writestr("content.xml", "<office:document-content xmlns:office='urn:oasis:names:tc:opendocument:xmlns:office:1.0'/>")
    return out.getvalue()


KINDS = {  # name -> (how to make it from `made`, expected kind, words of the Chinese todo)
    "old.xls": (lambda m: m["xls"], "an Excel 97–2003 workbook (.xls)", "另存为 .xlsx"),
    "wps.et": (lambda m: m["xls"], "a WPS Spreadsheets workbook (.et)", "另存为 .xlsx"),
    "cut.xls": (lambda m: m["xls"][:2048], "an Office 97–2003 or WPS file", "另存为 .xlsx 或 .docx"),
    "old.doc": (lambda m: m["doc"], "a Word 97–2003 document (.doc)", "另存为 .docx"),
    "wps.wps": (lambda m: m["doc"], "a WPS Writer document (.wps)", "另存为 .docx"),
    "calc.ods": (lambda m: _opendocument("application/vnd.oasis.opendocument.spreadsheet"),
                 "an OpenDocument spreadsheet (.ods)", "另存为 .xlsx"),
    "writer.odt": (lambda m: _opendocument("application/vnd.oasis.opendocument.text"),
                   "an OpenDocument text document (.odt)", "另存为 .docx"),
    "photo.jpg": (lambda m: _image("JPEG"), "a photo or scan (an image)", "不要拍照或扫描"),
    "scan.png": (lambda m: _image("PNG"), "a photo or scan (an image)", "不要拍照或扫描"),
    "scan.gif": (lambda m: _image("GIF"), "a photo or scan (an image)", "不要拍照或扫描"),
    "scan.bmp": (lambda m: _image("BMP"), "a photo or scan (an image)", "不要拍照或扫描"),
    "scan.tif": (lambda m: _image("TIFF"), "a photo or scan (an image)", "不要拍照或扫描"),
    "iphone.heic": (lambda m: b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic" + bytes(64),
                    "a photo or scan (an image)", "不要拍照或扫描"),
    "export.csv": (lambda m: "学校名称,事件\n一中,欺凌\n".encode("utf-8"), "a text or CSV file", "提交该文件本身"),
    "gbk.csv": (lambda m: "学校名称,事件\n一中,欺凌\n".encode("gbk"), "a text or CSV file", "提交该文件本身"),
    "unicode.txt": (lambda m: "学校名称\t事件\r\n".encode("utf-16"), "a text or CSV file", "提交该文件本身"),
    "empty.xlsx": (lambda m: b"", "an empty file (0 bytes)", "重新保存"),
    "archive.zip": (lambda m: _zip("沈阳/一中.xlsx"), "a zip archive", "提交该文件本身"),
    "binary.xlsb": (lambda m: _zip("[Content_Types].xml", "xl/workbook.bin"), "an Excel binary workbook (.xlsb)",
                    "另存为 .xlsx"),
    "slides.pptx": (lambda m: _zip("[Content_Types].xml", "ppt/presentation.xml"), "a PowerPoint presentation",
                    "提交该文件本身"),
}


@pytest.mark.office
@pytest.mark.parametrize("name", sorted(KINDS))
def test_a_file_formgen_cannot_read_is_named_with_what_to_do(registry, made, name):
    make, kind, todo = KINDS[name]
    issues = _issues(registry, name, make(made))
    assert [(i.code.id, i.params["kind"]) for i in issues] == [("FG102", kind)]
    chinese = issues[0].message("zh_CN")
    assert todo in chinese and "{" not in chinese
    assert kind in issues[0].message("en")


def test_an_encrypted_workbook_is_password_protected(registry, tmp_path):
    plain = tmp_path / "plain.xlsx"
    COMPILERS["xlsx"].compile(registry.get(FORM), example(FORM), plain)
    locked = io.BytesIO()
    with plain.open("rb") as fh:
        OOXMLFile(fh).encrypt("secret", locked)
    assert [i.code.id for i in _issues(registry, "locked.xlsx", locked.getvalue())] == ["FG107"]


@pytest.mark.parametrize("fmt", ["xlsx", "docx", "pdf"])
def test_a_cut_off_file_says_it_is_incomplete_in_words(registry, tmp_path, fmt):
    path = tmp_path / f"cut.{fmt}"
    COMPILERS[fmt].compile(registry.get(FORM), example(FORM), path)
    data = path.read_bytes()
    issues = _issues(registry, path.name, data[:len(data) // 2])
    assert [i.code.id for i in issues] == ["FG101"]
    for lang, words in (("zh_CN", "不完整"), ("en", "incomplete")):
        message = issues[0].message(lang)
        assert words in message and "Error" not in message and "Exception" not in message


@pytest.mark.parametrize("fmt", ["xlsx", "docx"])
def test_an_unrelated_workbook_or_document_is_not_made_from_the_form(registry, tmp_path, fmt):
    path = tmp_path / f"own.{fmt}"
    if fmt == "xlsx":
        wb = Workbook()
        wb.active["A1"] = "自制表格"
        wb.save(path)
    else:
        doc = Document()
        doc.add_paragraph("自制的事件报告")
        doc.save(path)
    assert [i.code.id for i in process(path, registry).issues] == ["FG103"]


# -- workbooks whose ranges were broken by editing ------------------------------------------------

def _edit(data: bytes, part: str, edit) -> bytes:
    """The package with its XML part `part` changed by `edit(root)`."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as zin, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            content = zin.read(info)
            if info.filename == part:
                root = etree.fromstring(content)
                edit(root)
                content = etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)
            zout.writestr(info, content)
    return out.getvalue()


def _defined(name: str, text: str):
    def edit(root):
        (found,) = [d for d in root.iter(f"{{{M}}}definedName") if d.get("name") == name]
        found.text = text
    return edit


def _table_ref(ref: str | None):
    def edit(root):
        for node in (root, root.find(f"{{{M}}}autoFilter")):
            if ref is None:
                node.attrib.pop("ref")
            else:
                node.set("ref", ref)
    return edit


BROKEN = {  # case -> (part, edit, expected (code, path) issues among the result's)
    "defined name #REF!": ("xl/workbook.xml", _defined("fg.school_name", "#REF!"), ("FG105", "school_name")),
    "defined name on a sheet, #REF!": ("xl/workbook.xml", _defined("fg.school_name", "'表单'!#REF!"),
                                       ("FG105", "school_name")),
    "defined name a column": ("xl/workbook.xml", _defined("fg.school_name", "'表单'!$B:$B"),
                              ("FG105", "school_name")),
    "print area of whole columns": ("xl/workbook.xml", _defined("_xlnm.Print_Area", "'表单'!$A:$H"), None),
    "print area of whole rows": ("xl/workbook.xml", _defined("_xlnm.Print_Area", "'表单'!$1:$40"), None),
    "table of whole rows": ("xl/tables/table1.xml", _table_ref("20:30"), ("FG105", "persons")),
    "table of whole columns": ("xl/tables/table1.xml", _table_ref("A:H"), ("FG105", "persons")),
    "table #REF!": ("xl/tables/table1.xml", _table_ref("#REF!"), ("FG105", "persons")),
    "table without a range": ("xl/tables/table1.xml", _table_ref(None), ("FG105", "persons")),
}


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_a_broken_range_in_a_workbook_is_a_result_not_a_crash(registry, tmp_path, case):
    path = tmp_path / "filled.xlsx"
    COMPILERS["xlsx"].compile(registry.get(FORM), example(FORM), path)
    part, edit, expected = BROKEN[case]
    result = process("edited.xlsx", registry, _edit(path.read_bytes(), part, edit))
    found = [(i.code.id, i.path) for i in result.issues]
    assert "FG190" not in {code for code, _path in found}
    if expected is None:  # a print area of whole rows or columns still bounds the form: nothing is outside it
        assert result.valid, found
    else:
        assert expected in found and not result.valid


# -- a fault inside formgen -----------------------------------------------------------------------

def test_a_fault_inside_formgen_is_internal_without_traceback_or_personal_data(registry, tmp_path, monkeypatch):
    good = tmp_path / "good.xlsx"
    COMPILERS["xlsx"].compile(registry.get(FORM), example(FORM), good)
    secret = example(FORM)["persons"][0]["name"]

    def broken_rules(spec, record, skip=()):
        raise KeyError(f"a fault that names {secret}")

    monkeypatch.setattr(pipeline, "validate", broken_rules)
    result = process(good, registry)
    assert [i.code.id for i in result.issues] == ["FG190"] and result.status == "unreadable"
    assert result.form == FORM
    cli = run_cli("validate", "--json", str(good), str(good))
    assert cli.exit_code == 1
    assert [[i["code"] for i in r["issues"]] for r in json.loads(cli.stdout)] == [["FG190"], ["FG190"]]
    text = run_cli("validate", str(good))
    for out in (cli.stdout, text.stdout, text.stderr):
        assert secret not in out and "Traceback" not in out and "KeyError" not in out
    assert "发布单位" in result.issues[0].message("zh_CN")


# -- walking a folder -----------------------------------------------------------------------------

def _touch(folder: Path, *names: str) -> None:
    for name in names:
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"x")


def test_walk_yields_every_file_sorted_with_litter_marked(tmp_path):
    folder = tmp_path / "returns"
    _touch(folder, "沈阳/一中/台账.xlsx", "沈阳/一中/~$台账.xlsx", "沈阳/一中/.~lock.台账.xlsx#", "沈阳-二中.pdf",
           "Thumbs.db", "沈阳/.DS_Store", "desktop.ini", "__MACOSX/沈阳/._台账.xlsx", "._报告.docx", "报告.docx")
    (tmp_path / "outside.xlsx").write_bytes(b"x")
    (folder / "外部.xlsx").symlink_to(tmp_path / "outside.xlsx")
    (folder / "同一个.xlsx").symlink_to(folder / "报告.docx")
    (folder / "别处").symlink_to(folder / "沈阳")
    (folder / "断开.xlsx").symlink_to(tmp_path / "gone.xlsx")
    found = [(f.relpath, f.skip) for f in walk(folder)]
    assert dict(found) == {
        "沈阳/一中/台账.xlsx": None, "沈阳-二中.pdf": None, "报告.docx": None, "同一个.xlsx": None,
        "沈阳/一中/~$台账.xlsx": LOCK_FILE, "沈阳/一中/.~lock.台账.xlsx#": LOCK_FILE,
        "Thumbs.db": SYSTEM_FILE, "沈阳/.DS_Store": SYSTEM_FILE, "desktop.ini": SYSTEM_FILE,
        "__MACOSX/沈阳/._台账.xlsx": SYSTEM_FILE, "._报告.docx": SYSTEM_FILE,
        "外部.xlsx": LINK_OUTSIDE, "别处": LINK_TO_FOLDER, "断开.xlsx": BROKEN_LINK,
    }
    assert [f.path for f in walk(folder)][:2] == [folder / "._报告.docx", folder / "Thumbs.db"]
    assert [r for r, _ in found] == sorted(r for r, _ in found)


def test_walk_reports_a_folder_it_cannot_open_and_goes_on():
    with tempfile.TemporaryDirectory() as tmp:  # not under pytest's tmp_path, which only its owner may enter
        os.chmod(tmp, 0o755)
        folder = Path(tmp) / "returns"
        _touch(folder, "a.xlsx", "locked/b.xlsx", "z.xlsx")
        (folder / "locked").chmod(0)
        # the ordinary user may not enter the clone's folder (a clone under a 0700 temporary folder): a copy
        # of the package beside the returns
        shutil.copytree(ROOT / "formgen", Path(tmp) / "src" / "formgen", ignore=shutil.ignore_patterns("__pycache__"))
        code = ("import json, sys; from formgen.batch.walk import walk; "
                "print(json.dumps([(f.relpath, f.skip, f.unreadable) for f in walk(sys.argv[1])]))")
        try:  # root opens any folder: walk as an ordinary user then, with the system's Python
            out = subprocess.run(["/usr/bin/python3", "-c", code, str(folder)], capture_output=True, text=True,
                                 check=True, env={"PYTHONPATH": str(Path(tmp) / "src")},
                                 user=65534 if os.geteuid() == 0 else None).stdout
        finally:
            (folder / "locked").chmod(0o755)
    assert json.loads(out) == [["a.xlsx", None, False], ["locked", UNREADABLE_FOLDER, True], ["z.xlsx", None, False]]


# -- validate on folders and missing paths --------------------------------------------------------

def test_validate_checks_folders_and_reports_a_missing_path_as_its_own_result(registry, tmp_path):
    folder = tmp_path / "returns"
    (folder / "一中").mkdir(parents=True)
    COMPILERS["xlsx"].compile(registry.get(FORM), example(FORM), folder / "一中" / "report.xlsx")
    _touch(folder, "一中/~$report.xlsx", "Thumbs.db")
    (folder / "photo.jpg").write_bytes(_image("JPEG"))
    missing = tmp_path / "missing.xlsx"
    result = run_cli("validate", "--json", str(folder), str(missing))
    assert result.exit_code == 1
    report = {Path(r["file"]).relative_to(tmp_path).as_posix(): (r["status"], [i["code"] for i in r["issues"]])
              for r in json.loads(result.stdout)}
    assert report == {
        "returns/Thumbs.db": ("skipped", ["FG111"]),
        "returns/photo.jpg": ("unreadable", ["FG102"]),
        "returns/一中/report.xlsx": ("valid", []),
        "returns/一中/~$report.xlsx": ("skipped", ["FG111"]),
        "missing.xlsx": ("unreadable", ["FG101"]),
    }
    text = run_cli("validate", str(missing), lang="en")
    assert text.exit_code == 1 and "there is no file at this path" in text.stdout
    only_litter = tmp_path / "litter"
    _touch(only_litter, ".DS_Store")
    assert run_cli("validate", str(only_litter), str(folder / "一中" / "report.xlsx")).exit_code == 0


# -- a PDF yes/no field nobody touched ---------------------------------------------------------------

def test_an_untouched_pdf_yes_no_field_is_not_filled_as_in_excel_and_word(registry, tmp_path):
    for form, required, formats in ((FORM, {"police_notified", "authority_notified"}, ("xlsx", "docx", "pdf")),
                                    ("committee-determination", {"is_bullying"}, ("docx", "pdf"))):  # a letter
        for fmt in formats:
            blank = tmp_path / f"{form}.{fmt}"
            COMPILERS[fmt].compile(registry.get(form), None, blank)
            found = {i.path for i in process(blank, registry).issues if i.code.id == "FG301"}
            assert required <= found, (form, fmt)
    filled = tmp_path / "filled.pdf"
    pdftk_fill(tmp_path / f"{FORM}.pdf", filled, {"school_name": "沈阳市第一中学", "authority_notified": "No"})
    result = process(filled, registry)
    issues = {(i.code.id, i.path) for i in result.issues}
    assert ("FG301", "police_notified") in issues and ("FG301", "authority_notified") not in issues
    assert result.data["authority_notified"] is False and "police_notified" not in result.data
    pdftk_fill(tmp_path / f"{FORM}.pdf", filled, {"police_notified": "Yes", "authority_notified": "No"})
    data = process(filled, registry).data
    assert (data["police_notified"], data["authority_notified"]) == (True, False)
