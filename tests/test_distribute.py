"""generate --roster: one form per unit, pre-filled with its unit and stamped with its code, read back."""

from __future__ import annotations

import io
import zipfile

import pytest

from formgen.batch.distribute import safe_file_name
from formgen.batch.roster import identify_unit, load_roster
from formgen.compile.docx import template_bytes
from formgen.compile import COMPILERS
from formgen.pipeline import extract, process
from tests.conftest import run_cli

UNITS = [
    ("3121000321", "沈阳市第八十二中学", "incident-report、hazard-ledger"),
    ("3121000322", "沈阳市第一中学", "学生欺凌事件报告表"),
    ("3121000323", "大连市第一中学", "incident-report"),
    ("3121000324", "鞍山市实验中学（初中部）", "incident-report"),
    ("3121000325", "抚顺市第二中学", "hazard-ledger"),
]
TITLE = "学生欺凌事件报告表"


@pytest.fixture()
def roster_file(tmp_path):
    path = tmp_path / "名单.csv"
    lines = ["单位代码,单位名称,联系人,联系电话,应报表单"]
    lines += [f"{code},{name},联系人{i},1380000000{i},{forms}" for i, (code, name, forms) in enumerate(UNITS)]
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode("gb18030"))
    return path


@pytest.mark.parametrize("fmt", ["xlsx", "docx", "pdf"])
def test_one_stamped_prefilled_form_per_unit_that_must_return_it(tmp_path, registry, roster_file, fmt):
    out = tmp_path / "分发"
    result = run_cli("generate", "incident-report", "--roster", str(roster_file), "--format", fmt, "-o", str(out))
    assert result.exit_code == 0, result.output
    assert f"共 4 份，保存在 {out}" in result.stderr
    must = [u for u in UNITS if "incident" in u[2] or TITLE in u[2]]
    assert sorted(p.name for p in out.iterdir()) == sorted(f"{code}-{name}-{TITLE}.{fmt}" for code, name, _ in must)
    roster = load_roster(roster_file, registry)
    spec = registry.get("incident-report")
    for code, name, _forms in must:
        path = out / f"{code}-{name}-{TITLE}.{fmt}"
        extraction, _spec = extract(path, registry)
        assert extraction.identity.unit == code
        assert extraction.identity.hash == spec.hash
        record = process(path, registry).data
        assert (record["school_code"], record["school_name"]) == (code, name)
        unit, issues = identify_unit(spec, record, extraction.identity.unit, roster)
        assert (unit, issues) == ({"code": code, "name": name, "matched_by": "stamp"}, [])


def test_a_form_naming_only_its_unit_and_a_letter(tmp_path, registry, roster_file):
    out = tmp_path / "ledger"
    assert run_cli("generate", "hazard-ledger", "--roster", str(roster_file), "--format", "xlsx",
                   "-o", str(out)).exit_code == 0
    files = sorted(out.iterdir())
    assert [p.name for p in files] == ["3121000321-沈阳市第八十二中学-排查台账和整改措施.xlsx",
                                       "3121000325-抚顺市第二中学-排查台账和整改措施.xlsx"]
    assert process(files[1], registry).data["unit"] == "抚顺市第二中学"
    assert extract(files[1], registry)[0].identity.unit == "3121000325"
    letters = tmp_path / "letters"
    plain = tmp_path / "plain.csv"
    plain.write_text("unit_code,unit_name\n2101000001,沈阳市和平区教育局\n", "utf-8")  # no forms column: every unit
    for fmt in ("docx", "pdf"):
        assert run_cli("generate", "review-decision", "--roster", str(plain), "--format", fmt,
                       "-o", str(letters)).exit_code == 0
        path = letters / f"2101000001-沈阳市和平区教育局-学生欺凌事件复查决定书.{fmt}"
        assert extract(path, registry)[0].identity.unit == "2101000001"
        assert process(path, registry).data["department"] == "沈阳市和平区教育局"


def test_stamping_leaves_the_word_template_and_the_document_body_alone(tmp_path, registry):
    spec = registry.get("incident-report")
    before = template_bytes(spec)
    COMPILERS["docx"].compile(spec, None, tmp_path / "plain.docx")  # a form made for a unit is still to be filled
    COMPILERS["docx"].compile(spec, {}, tmp_path / "stamped.docx", unit="3121000321")
    assert template_bytes(spec) is before
    with zipfile.ZipFile(tmp_path / "plain.docx") as a, zipfile.ZipFile(tmp_path / "stamped.docx") as b:
        assert a.namelist() == b.namelist()
        assert [n for n in a.namelist() if a.read(n) != b.read(n)] == ["docProps/custom.xml"]
    with zipfile.ZipFile(io.BytesIO(before)) as zf:
        assert b"formgen.unit" not in zf.read("docProps/custom.xml")


def test_errors_are_messages_not_tracebacks(tmp_path, roster_file):
    nobody = run_cli("generate", "policy-checklist", "--roster", str(roster_file), "--format", "xlsx",
                     "-o", str(tmp_path / "x"), lang="en")
    assert nobody.exit_code == 2
    assert "No unit of the roster" in nobody.stderr and "'policy-checklist'" in nobody.stderr
    a_file = tmp_path / "a.xlsx"
    a_file.write_bytes(b"")
    into_file = run_cli("generate", "incident-report", "--roster", str(roster_file), "--format", "xlsx",
                        "-o", str(a_file), lang="en")
    assert into_file.exit_code == 2 and "with --roster, -o names the folder" in into_file.stderr
    folder = run_cli("generate", "incident-report", "--format", "xlsx", "-o", str(tmp_path), lang="en")
    assert folder.exit_code == 2 and "is a folder" in folder.stderr


@pytest.mark.parametrize("stem, expected", [
    ("2101-沈阳市第一中学-报告表", "2101-沈阳市第一中学-报告表.docx"),
    ('21/01-一中:"分校"<初中>|?*-表', "21_01-一中_分校_初中_-表.docx"),
    ("CON", "_CON.docx"),
    ("2101-一中-表. ", "2101-一中-表.docx"),
    ("2101-" + "很长的单位名称" * 30, "2101-" + ("很长的单位名称" * 30)[:110] + ".docx"),
])
def test_file_names_are_safe_on_windows(stem, expected):
    assert safe_file_name(stem, ".docx") == expected
