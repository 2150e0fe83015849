"""The limits every reader keeps (formgen/limits.py, docs/limits.md): bombs, duplicate and overlapping
parts, DTDs and external entities, huge declared sheets and PDFs without structure are refused, in words."""

from __future__ import annotations

import io

import openpyxl.xml
import pytest

from formgen.limits import MIB, Limits
from formgen.pipeline import process
from formgen.read import identify
from formgen.read.guard import check_package
from formgen.issues import Unreadable
from tests import hostile
from tests.conftest import example, run_cli


@pytest.fixture(scope="module")
def base(registry, tmp_path_factory) -> dict[str, bytes]:
    return hostile.make_base(registry, example(hostile.FORM), tmp_path_factory.mktemp("base"))


def _only(registry, name: str, data: bytes, code: str = "FG101"):
    result = process(name, registry, data)
    assert [i.code.id for i in result.issues] == [code]
    return result.issues[0]


@pytest.mark.parametrize("name, make, words", [
    ("sheet-bomb.xlsx", hostile.sheet_bomb, "sheet1.xml 解压后超过 32 MiB"),
    ("lying.xlsx", lambda b: hostile.sheet_bomb(b, declared=30000), "损坏"),
    ("strings.xlsx", hostile.shared_strings_bomb, "sharedStrings.xml 解压后超过 32 MiB"),
    ("ratio.xlsx", hostile.ratio_bomb, "200 倍"),
    ("cells.xlsx", hostile.many_cells, "单元格超过 500000 个"),
    ("text.xlsx", hostile.long_text, "超过 32767 个字符"),
    ("bomb.docx", hostile.docx_bomb, "document.xml 解压后超过 32 MiB"),
    ("parts.docx", lambda b: hostile.many_entries(b, "docx"), "超过 5000 个组成部分"),
])
def test_a_bomb_is_refused_before_it_unpacks(registry, base, name, make, words):
    message = _only(registry, name, make(base)).message("zh_CN")
    assert words in message and "Error" not in message


@pytest.mark.parametrize("fmt, part", [("xlsx", hostile.SHEET), ("docx", "word/document.xml")])
@pytest.mark.parametrize("lower", [False, True])
def test_two_parts_of_the_same_name_are_refused(registry, base, fmt, part, lower):
    """The forged second copy would be read by one program and not by another: refuse the file."""
    issue = _only(registry, f"twice.{fmt}", hostile.forged_duplicate(base, fmt, part, lower))
    assert "两个同名的部分" in issue.message("zh_CN")
    assert "two parts of the same name" in issue.message("en")


def test_overlapping_parts_are_refused(registry, base):
    assert "相互重叠" in _only(registry, "overlap.xlsx", hostile.overlapping(base)).message("zh_CN")


@pytest.mark.parametrize("fmt", ["xlsx", "docx"])
def test_no_dtd_or_entity_is_parsed_and_the_secret_appears_nowhere(registry, base, tmp_path, fmt):
    secret = tmp_path / "secret.txt"
    secret.write_text(hostile.SECRET)
    for data in (hostile.xxe(base, fmt, secret), hostile.laughs(base, fmt)):
        path = tmp_path / f"evil.{fmt}"
        path.write_bytes(data)
        assert "DTD" in _only(registry, path.name, data).message("zh_CN")
        for lang in ("zh_CN", "en"):
            out = run_cli("extract", str(path), lang=lang)
            assert hostile.SECRET not in out.stdout + out.stderr
            out = run_cli("validate", "--json", str(path), lang=lang)
            assert hostile.SECRET not in out.stdout + out.stderr


def test_a_dtd_in_utf16_is_refused_too(registry, base):
    assert "DTD" in _only(registry, "utf16.xlsx", hostile.utf16_dtd(base)).message("en")


def test_openpyxl_parses_through_defusedxml():
    assert openpyxl.xml.DEFUSEDXML


def test_a_value_in_the_last_cell_of_a_declared_whole_sheet_is_extra_content_not_a_hang(registry, base):
    result = process("far.xlsx", registry, hostile.far_cell(base))
    assert result.valid
    assert [(i.code.id, i.location) for i in result.issues] == [("FG108", "表单!XFD1048576")]


@pytest.mark.parametrize("size", [200 * MIB, 20 * MIB])
def test_a_pdf_of_zeros_is_refused_at_once(registry, size):
    message = _only(registry, "zeros.pdf", hostile.pdf_zeros(size)).message("zh_CN")
    assert ("大于 100 MiB" if size > 100 * MIB else "不完整") in message


def test_a_pdf_of_too_many_objects_is_refused(registry):
    assert "超过 100000 个对象" in _only(registry, "objects.pdf", hostile.pdf_many_objects(150_000)).message("zh_CN")


def test_a_pdf_of_too_many_objects_packed_in_object_streams_is_refused(registry):
    data = hostile.pdf_many_objects_in_streams(150_000)
    assert data.count(b"endobj") < 2_000  # the bytes' own count says little: the cross-reference stream is read
    assert "超过 100000 个对象" in _only(registry, "objects.pdf", data).message("zh_CN")


def test_a_file_over_the_size_limit_on_disk_is_not_read(registry, tmp_path, monkeypatch):
    path = tmp_path / "big.xlsx"
    path.write_bytes(b"PK\x03\x04" + bytes(2 * MIB))
    monkeypatch.setattr("formgen.pipeline.LIMITS", Limits(file_bytes=MIB))
    result = process(path, registry)
    assert [i.code.id for i in result.issues] == ["FG101"]
    assert "大于 1 MiB" in result.issues[0].message("zh_CN")


def test_limits_are_settings_from_the_environment():
    limits = Limits.from_env({"FORMGEN_LIMIT_CELLS": "1000", "FORMGEN_LIMIT_FILE_BYTES": "junk"})
    assert limits.cells == 1000 and limits.file_bytes == Limits().file_bytes


def test_a_form_within_the_limits_passes_them(base):
    for fmt in ("xlsx", "docx"):
        check_package(io.BytesIO(base[fmt]), fmt, sheets="xl/worksheets/")
    with pytest.raises(Unreadable):
        check_package(io.BytesIO(base["xlsx"]), "xlsx", Limits(cells=10), sheets="xl/worksheets/")


def test_the_guard_checks_through_the_directory_the_sniffer_read(base):
    """The format sniffer reads a package's zip directory once and the guard checks through it: the same
    parts come out, and a limit is kept the same way."""
    for fmt in ("xlsx", "docx"):
        found, package = identify(base[fmt])
        assert found == fmt and package is not None
        assert check_package(io.BytesIO(base[fmt]), fmt, sheets="xl/worksheets/", package=package) == \
            check_package(io.BytesIO(base[fmt]), fmt, sheets="xl/worksheets/")
    with pytest.raises(Unreadable) as refused:
        check_package(io.BytesIO(base["xlsx"]), "xlsx", Limits(cells=10), sheets="xl/worksheets/",
                      package=identify(base["xlsx"])[1])
    assert "10 cells" in refused.value.issue.message("en")
