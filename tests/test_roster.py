"""The roster: reading it as clerks save it, matching returns to units, and who returned what."""

from __future__ import annotations

import pytest
from openpyxl import Workbook

from formgen.batch.roster import Roster, RosterError, Unit, identify_unit, load_roster, submission_table

HEADER_ZH = "单位代码,单位名称,联系人,联系电话,应报表单\n"
ROWS = ("2101010001,沈阳市第一中学,张老师,13800000001,学生欺凌事件报告表、hazard-ledger\n"
        "2102010001,大连市第一中学,李老师,13800000002,\"incident-report, 排查台账和整改措施\"\n"
        "2101020003,沈阳市和平区实验小学,王老师,13800000003,\n")
EXPECTED = [
    Unit("2101010001", "沈阳市第一中学", "张老师", "13800000001", ("incident-report", "hazard-ledger")),
    Unit("2102010001", "大连市第一中学", "李老师", "13800000002", ("incident-report", "hazard-ledger")),
    Unit("2101020003", "沈阳市和平区实验小学", "王老师", "13800000003", ()),
]


@pytest.mark.parametrize("encoding, delimiter", [("utf-8", ","), ("utf-8-sig", ","), ("gb18030", ","),
                                                 ("utf-16", "\t")])
def test_csv_in_every_encoding_excel_saves(tmp_path, registry, encoding, delimiter):
    path = tmp_path / "名单.csv"
    text = HEADER_ZH + ROWS.replace('"incident-report, 排查台账和整改措施"', "incident-report，排查台账和整改措施")
    path.write_bytes(text.replace(",", delimiter).replace("\n", "\r\n").encode(encoding))
    assert load_roster(path, registry).units == EXPECTED


def test_english_headers_and_forms_separated_by_semicolons(tmp_path, registry):
    path = tmp_path / "roster.csv"
    path.write_text("Unit_Code,Unit_Name,Contact,Phone,Forms\n"
                    "2101010001,沈阳市第一中学,张老师,13800000001,incident-report;hazard-ledger\n", "utf-8")
    assert load_roster(path, registry).units == [EXPECTED[0]]


def test_xlsx_with_a_title_row_numbers_as_numbers_and_full_width_text(tmp_path, registry):
    wb = Workbook()
    ws = wb.active
    ws.append(["2021年防范学生欺凌专项治理报送名单"])
    ws.append(["单位代码", "单位名称（全称）", "联系人", "联系电话", "应报表单"])
    ws.append([2101010001, "沈阳市第一中学", "张老师", 13800000001, "《学生欺凌事件报告表》，hazard-ledger"])
    ws.append([])
    ws.append(["２１０２０１０００１", " 大连市第一中学 ", None, None, None])
    path = tmp_path / "名单.xlsx"
    wb.save(path)
    roster = load_roster(path, registry)
    assert roster.units == [EXPECTED[0], Unit("2102010001", "大连市第一中学")]


def _broken(tmp_path, registry, text: str, lang: str = "en") -> str:
    path = tmp_path / "roster.csv"
    path.write_text(text, "utf-8")
    with pytest.raises(RosterError) as err:
        load_roster(path, registry)
    return err.value.message(lang).replace(str(path), "roster.csv")


def test_missing_column_says_which_and_how_to_fix(tmp_path, registry):
    message = _broken(tmp_path, registry, "单位代码,学校\n2101010001,沈阳市第一中学\n")
    assert message == (
        "The roster roster.csv cannot be used (1 problem(s)):\n"
        "  roster.csv: no column headed 单位名称 was found in the first 10 rows. Add a header row with 单位代码 and "
        "单位名称 (or unit_code and unit_name) above the units.")


def test_every_broken_row_is_listed_with_row_and_column(tmp_path, registry):
    message = _broken(tmp_path, registry, HEADER_ZH + "2101010001,沈阳市第一中学,,,incident-report\n"
                      "2101010001,沈阳市第二中学,,,incident-reprot\n"
                      ",沈阳市第三中学,,,\n", lang="zh_CN")
    lines = message.splitlines()
    assert lines[0] == "报送名单 roster.csv 无法使用（共 3 处问题）："
    assert len(lines) == 4
    assert lines[1] == "  roster.csv 第 3 行 A (单位代码) 列：单位代码 2101010001 与第 2 行重复。每个单位只列一行。"
    assert lines[2].startswith("  roster.csv 第 3 行 E (应报表单) 列：“incident-reprot”不是已安装的表单。")
    assert "'incident-report'" in lines[2]
    assert lines[3] == "  roster.csv 第 4 行 A (单位代码) 列：单位代码为空。请填写，或删除该行。"


def test_a_code_excel_shortened_to_a_number_is_refused(tmp_path, registry):
    message = _broken(tmp_path, registry, "单位代码,单位名称\n1.2210100E+17,沈阳市第一中学\n")
    assert message.splitlines()[1] == ("  roster.csv row 2, column A (单位代码): the unit code 1.2210100E+17 is a number "
                                       "Excel shortened. Format the column as text, type the codes again and save.")


def test_an_xls_or_undecodable_file_says_what_to_save_it_as(tmp_path, registry):
    xls = tmp_path / "名单.xls"
    xls.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 512)
    with pytest.raises(RosterError) as err:
        load_roster(xls, registry)
    assert "is an Excel 97-2003 (.xls) or WPS workbook. Save it as .xlsx or as CSV" in err.value.message("en")
    binary = tmp_path / "名单.csv"
    binary.write_bytes(b"\xff\xff\xff" * 10)
    with pytest.raises(RosterError) as err:
        load_roster(binary, registry)
    assert "the text is neither UTF-8 nor GB18030. Save the roster again as CSV UTF-8" in err.value.message("en")


# -- matching ------------------------------------------------------------------------------------------------

ROSTER = Roster([
    Unit("3121000321", "辽宁省沈阳市第八十二中学"),
    Unit("2101010001", "沈阳市第一中学"),
    Unit("2102010001", "大连市第一中学"),
    Unit("2101020003", "沈阳市和平区实验小学"),
    Unit("2112010005", "铁岭市实验小学"),
    Unit("2112020006", "铁岭市实验小学"),
])


def _report(name: str | None = None, code: str | None = None) -> dict:
    return {k: v for k, v in {"school_name": name, "school_code": code}.items() if v is not None}


def test_the_stamp_wins_over_a_retyped_name_and_code(registry):
    spec = registry.get("incident-report")
    unit, by = ROSTER.match("2101010001", spec, _report("大连市第一中学", "2102010001"))
    assert (unit.code, by) == ("2101010001", "stamp")


def test_the_typed_code_comes_before_the_name(registry):
    spec = registry.get("incident-report")
    unit, by = ROSTER.match(None, spec, _report("大连市第一中学", "２１０１０１０００１"))
    assert (unit.code, by) == ("2101010001", "code")


@pytest.mark.parametrize("typed, code", [
    ("沈阳市第一中学", "2101010001"),
    (" 沈阳市 第一中学 ", "2101010001"),
    ("沈阳第一中学", "2101010001"),            # 市 left out
    ("沈阳市一中", "2101010001"),              # 第一中学 as 一中, the city says which
    ("辽宁省大连市第一中学", "2102010001"),     # a province the roster does not write
    ("和平区实验小学", "2101020003"),
    ("沈阳市实验小学", "2101020003"),          # the district left out
    ("沈阳市第八十二中学", "3121000321"),
    ("沈阳八十二中", "3121000321"),
])
def test_names_as_people_retype_them(registry, typed, code):
    unit, by = ROSTER.match(None, registry.get("incident-report"), _report(typed))
    assert (unit and unit.code, by) == (code, "name")


@pytest.mark.parametrize("typed, reason", [
    ("第一中学", "fits several units of the roster (沈阳市第一中学（2101010001）、大连市第一中学（2102010001）)"),
    ("一中", "fits several units"),
    ("铁岭市实验小学", "fits several units"),  # two units share the name: never a guess
    ("实验小学", "fits several units"),
    ("沈阳市第一中学（高中部）", "no unit of the roster is named 沈阳市第一中学（高中部）"),
    ("沈阳市第二中学", "no unit of the roster is named"),
])
def test_ambiguous_or_unknown_names_are_fg501_never_a_guess(registry, typed, reason):
    spec = registry.get("incident-report")
    assert ROSTER.match(None, spec, _report(typed)) == (None, "")
    unit, issues = identify_unit(spec, _report(typed), None, ROSTER)
    assert unit is None
    assert [(i.code.id, i.path, i.severity.value) for i in issues] == [("FG501", "school_name", "error")]
    assert reason in issues[0].message("en")


def test_a_stamp_not_on_the_roster_falls_back_to_the_fields_and_says_so(registry):
    spec = registry.get("incident-report")
    unit, issues = identify_unit(spec, _report("大连市第一中学"), "9999999999", ROSTER)
    assert unit == {"code": "2102010001", "name": "大连市第一中学", "matched_by": "name"}
    unit, issues = identify_unit(spec, {}, "9999999999", ROSTER)
    assert unit is None and issues[0].code.id == "FG501"
    assert "the unit code 9999999999 stamped in the file is not on the roster" in issues[0].message("en")
    assert "文件内置的单位代码 9999999999 不在名单中" in issues[0].message("zh_CN")


def test_without_a_roster_the_unit_is_what_the_file_says(registry):
    spec = registry.get("incident-report")
    assert identify_unit(spec, _report("沈阳市第一中学", "2101010001"), None, None) == (
        {"code": "2101010001", "name": "沈阳市第一中学", "matched_by": "code"}, [])
    assert identify_unit(spec, _report("沈阳一中"), "2101010001", None) == (
        {"code": "2101010001", "name": "沈阳一中", "matched_by": "stamp"}, [])
    ledger = registry.get("hazard-ledger")  # a form naming only its unit's name
    assert identify_unit(ledger, {"unit": "沈阳市教育局"}, None, None) == (
        {"code": "", "name": "沈阳市教育局", "matched_by": "name"}, [])
    assert identify_unit(ledger, {}, None, None) == (None, [])
    unit, issues = identify_unit(ledger, {}, None, ROSTER)
    assert unit is None and [(i.code.id, i.path) for i in issues] == [("FG501", "unit")]


# -- who returned what -----------------------------------------------------------------------------------------

def _result(path, code, form="incident-report", status="valid", late=False, received="2021-03-09T10:00:00+08:00"):
    return {"path": path, "form": form, "status": status, "late": late, "received_at": received,
            "unit": {"code": code, "name": "", "matched_by": "stamp"} if code else None}


def test_submission_table_gives_each_unit_and_form_its_status(registry):
    roster = Roster([Unit("A1", "甲校", "张", "138", ("incident-report", "hazard-ledger")),
                     Unit("B2", "乙校"), Unit("C3", "丙校"), Unit("D4", "丁校"), Unit("E5", "戊校")])
    results = [
        _result("a/report.xlsx", "A1"),
        _result("a/ledger-old.xlsx", "A1", "hazard-ledger", "superseded"),
        _result("a/ledger.xlsx", "A1", "hazard-ledger", "invalid"),
        _result("b/report.docx", "B2", late=True),
        _result("c/report.pdf", "C3"),
        _result("c/report copy.pdf", "C3", status="duplicate"),
        _result("e/~$report.xlsx", None, None, "skipped"),
        _result("x/unknown.xlsx", None, status="invalid"),
    ]
    table = submission_table(roster, results, registry, forms=["incident-report"])
    got = [(r["unit_code"], r["form"], r["status"], r["files"]) for r in table]
    assert got == [
        ("A1", "incident-report", "valid", ["a/report.xlsx"]),
        ("A1", "hazard-ledger", "invalid", ["a/ledger.xlsx"]),
        ("B2", "incident-report", "late", ["b/report.docx"]),
        ("C3", "incident-report", "duplicate", ["c/report copy.pdf", "c/report.pdf"]),
        ("D4", "incident-report", "missing", []),
        ("E5", "incident-report", "missing", []),
    ]
    assert table[0] | {"files": []} == {"unit_code": "A1", "unit_name": "甲校", "contact": "张", "phone": "138",
                                       "form": "incident-report", "form_title": "学生欺凌事件报告表",
                                       "status": "valid", "files": []}
    # without the batch's forms, they are the forms the results name
    assert {r["form"] for r in submission_table(roster, results, registry)} == {"incident-report", "hazard-ledger"}
