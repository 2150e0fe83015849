"""Versions side by side: a return is read by the version it was made from, and migrated to the newest.

tests/data/versions/incident-report.json is a real 1.1.0 of the installed incident report (1.0.0): it renames
reporter_phone to contact_phone and the column persons.grade_class to persons.class_name, merges the severity
choices minor and repeated into general, adds the required report_channel (default: written) and removes harm.
"""

from __future__ import annotations

import copy
import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook

from formgen.cli import cli
from formgen.issues import Code
from formgen.spec import Registry
from formgen.spec.lint import lint_definition
from formgen.spec.migrate import bring_up, lint_sources
from formgen.spec.model import FormSpec
from tests.conftest import FORMS, NO_LANGUAGE, ROOT, example

V11 = ROOT / "tests" / "data" / "versions"
FORM = "incident-report"


def invoke(*args: str, lang: str | None = None, env: dict | None = None):
    """The CLI with the 1.1.0 folder added to the installed forms (which hold 1.0.0)."""
    argv = (["--lang", lang] if lang else []) + ["--forms", str(V11), *args]
    return CliRunner(env={**NO_LANGUAGE, **(env or {})}).invoke(cli, argv, catch_exceptions=False)


@pytest.fixture(scope="module")
def both() -> Registry:
    return Registry(extra=[V11])


def _definition_11() -> dict:
    return json.loads((V11 / f"{FORM}.json").read_text("utf-8"))


def _record_10() -> dict:
    record = example(FORM)
    record.update(severity="repeated", harm="脸部轻微擦伤")
    return record


def _record_11(code: str) -> dict:
    record = example(FORM)
    record["contact_phone"] = record.pop("reporter_phone")
    record.pop("harm", None)
    for person in record["persons"]:
        person["class_name"] = person.pop("grade_class")
    record.update(severity="general", report_channel="phone", school_code=code, school_name="沈阳市第二十中学")
    return record


# -- where versions live, and which is used -------------------------------------------------------

def test_an_earlier_version_lives_in_the_versions_subfolder(tmp_path):
    folder = tmp_path / "forms"
    (folder / "versions").mkdir(parents=True)
    shutil.copy(V11 / f"{FORM}.json", folder / f"{FORM}.json")
    shutil.copy(FORMS / f"{FORM}.json", folder / "versions" / f"{FORM}@1.0.0.json")
    registry = Registry(folder)
    assert [s.version for s in registry.versions(FORM)] == ["1.0.0", "1.1.0"]
    assert registry.get(FORM).version == "1.1.0"
    assert registry.get(FORM, "1.0.0").source.endswith(f"versions/{FORM}@1.0.0.json")
    assert [s.version for s in registry.all() if s.id == FORM] == ["1.1.0"]
    assert registry.check() == []


def test_forms_lists_every_version_newest_first():
    listed = [(f["version"], f["current"]) for f in json.loads(invoke("forms", "--json").stdout) if f["id"] == FORM]
    assert listed == [("1.1.0", True), ("1.0.0", False)]
    lines = [line.split(None, 2) for line in invoke("forms").stdout.splitlines() if line.startswith(FORM + " ")]
    assert lines == [[FORM, "1.1.0", "学生欺凌事件报告表"],
                     [FORM, "1.0.0", "学生欺凌事件报告表 （早期版本：按它生成的表交回时仍按此版本读取）"]]


def test_generate_writes_the_newest_unless_version_says_otherwise(tmp_path):
    for version, name in ((None, "new.xlsx"), ("1.0.0", "old.xlsx")):
        args = ["generate", FORM, "-o", str(tmp_path / name)] + (["--version", version] if version else [])
        assert invoke(*args).exit_code == 0
    assert json.loads(invoke("extract", str(tmp_path / "new.xlsx")).stdout)["version"] == "1.1.0"
    assert json.loads(invoke("extract", str(tmp_path / "old.xlsx")).stdout)["version"] == "1.0.0"
    missing = invoke("generate", FORM, "--version", "0.9.0", "-o", str(tmp_path / "x.xlsx"), lang="en")
    assert missing.exit_code == 2
    assert "has no installed version 0.9.0. The installed versions are: 1.0.0, 1.1.0." in missing.output


# -- migrating a record --------------------------------------------------------------------------

def test_a_record_is_brought_up_with_renames_merged_choices_defaults(both):
    old, new = both.get(FORM, "1.0.0"), both.get(FORM)
    record = _record_10()
    migration = bring_up(both.versions(FORM), old, record, new)
    assert migration.spec is new
    got = migration.record
    assert got["contact_phone"] == record["reporter_phone"] and "reporter_phone" not in got
    assert got["severity"] == "general"
    assert got["report_channel"] == "written"
    assert "harm" not in got
    assert [p["class_name"] for p in got["persons"]] == [p["grade_class"] for p in record["persons"]]
    assert all("grade_class" not in p for p in got["persons"])
    assert [(i.code, i.path) for i in migration.issues] == [(Code.MIGRATED, ""), (Code.MIGRATION_DROPPED, "harm")]
    assert "脸部轻微擦伤" not in " ".join(i.message() for i in migration.issues)
    assert record["severity"] == "repeated"  # the record read from the file is left as it was


def test_a_choice_without_a_place_leaves_the_field_empty(both, tmp_path):
    definition = _definition_11()
    definition["x-formgen"]["migrate"]["choices"]["severity"]["repeated"] = None
    new = FormSpec.from_definition(definition)
    old = both.get(FORM, "1.0.0")
    migration = bring_up([old, new], old, _record_10(), new)
    assert "severity" not in migration.record
    issue = next(i for i in migration.issues if i.code is Code.MIGRATION_CHOICE)
    assert issue.path == "severity"
    assert issue.message("zh_CN") == ("“情节程度”（severity）：1.0.0 版的选项“反复发生的一般欺凌”在 1.1.0 版中没有对应，"
                                      "该项留空。请从以下选项中选择：待认定、一般欺凌、严重欺凌、屡教不改或情节恶劣、涉嫌违法犯罪。")


def test_without_a_migration_the_record_stays_in_its_version(both):
    definition = _definition_11()
    del definition["x-formgen"]["migrate"]
    new, old = FormSpec.from_definition(definition), both.get(FORM, "1.0.0")
    migration = bring_up([old, new], old, _record_10(), new)
    assert migration.spec is old and migration.record == _record_10()
    assert [i.code for i in migration.issues] == [Code.MIGRATION_NO_ROUTE]


# -- lint of the migration -----------------------------------------------------------------------

def _lint(definition: dict, both: Registry) -> set[tuple[str, str]]:
    spec = FormSpec.from_definition(definition)
    issues = [*lint_definition(definition, "f.json"), *lint_sources(spec, both.versions(), "f.json")]
    return {(i.code.id, i.path) for i in issues}


def test_lint_accepts_the_real_migration(both):
    assert _lint(_definition_11(), both) == set()
    assert invoke("lint", str(V11 / f"{FORM}.json")).exit_code == 0


@pytest.mark.parametrize("change, expected", [
    (lambda m: m["rename"].update(reporter_phon=m["rename"].pop("reporter_phone")),
     {("FG448", "$.x-formgen.migrate.rename.reporter_phon"), ("FG448", "$.x-formgen.migrate"),
      ("FG448", "$.x-formgen.migrate.defaults")}),
    (lambda m: m["rename"].update(reporter="contact_phone"), {("FG448", "$.x-formgen.migrate.rename.reporter"),
                                                               ("FG448", "$.x-formgen.migrate"),
                                                               ("FG448", "$.x-formgen.migrate.defaults")}),
    (lambda m: m["rename"].update(reporter_phone="contact_phon"), {("FG448", "$.x-formgen.migrate.rename.reporter_phone"),
                                                                    ("FG448", "$.x-formgen.migrate"),
                                                                    ("FG448", "$.x-formgen.migrate.defaults")}),
    (lambda m: m.pop("remove"), {("FG448", "$.x-formgen.migrate")}),
    (lambda m: m.pop("defaults"), {("FG448", "$.x-formgen.migrate.defaults")}),
    (lambda m: m["choices"]["severity"].update(minor="genral"), {("FG449", "$.x-formgen.migrate.choices.severity.minor")}),
    (lambda m: m["choices"]["severity"].update(minr="general"), {("FG449", "$.x-formgen.migrate.choices.severity.minr")}),
    (lambda m: m["choices"]["severity"].pop("minor"), {("FG449", "$.x-formgen.migrate.choices")}),
    (lambda m: m.update({"from": "1.1.0"}), {("FG447", "$.x-formgen.migrate.from")}),
    (lambda m: m.update({"from": "0.9.0"}), {("FG447", "$.x-formgen.migrate.from")}),
], ids=["unknown-old-field", "renamed-twice", "unknown-new-field", "vanished-field", "new-required-field", "unknown-new-choice",
        "unknown-old-choice", "unmapped-old-choice", "circular", "missing-source"])
def test_lint_finds_what_the_migration_gets_wrong(both, change, expected):
    definition = _definition_11()
    change(definition["x-formgen"]["migrate"])
    assert _lint(definition, both) == expected


def test_lint_says_it_in_chinese_with_a_did_you_mean(both, tmp_path):
    definition = _definition_11()
    definition["x-formgen"]["migrate"]["rename"]["reporter_phon"] = definition["x-formgen"]["migrate"]["rename"].pop(
        "reporter_phone")
    path = tmp_path / f"{FORM}.json"
    path.write_text(json.dumps(definition, ensure_ascii=False), "utf-8")
    result = invoke("lint", str(path))
    assert result.exit_code == 2
    assert (f"FG448 {path} $.x-formgen.migrate.rename.reporter_phon：“reporter_phon”不是 1.0.0 版的字段"
            "（是不是要写 'reporter_phone'？）。") in result.stdout


# -- extract, validate --------------------------------------------------------------------------

def _returns_of_both(tmp_path: Path) -> Path:
    """Pre-filled returns: two units on 1.0.0 (Excel and PDF) and one on 1.1.0."""
    folder = tmp_path / "returns"
    folder.mkdir()
    data = tmp_path / "data"
    data.mkdir()
    old = _record_10()
    (data / "old.json").write_text(json.dumps(old, ensure_ascii=False), "utf-8")
    other = dict(copy.deepcopy(old), school_code="3121000323", school_name="沈阳市第七中学", severity="minor")
    (data / "other.json").write_text(json.dumps(other, ensure_ascii=False), "utf-8")
    (data / "new.json").write_text(json.dumps(_record_11("3121000322"), ensure_ascii=False), "utf-8")
    for name, version, fmt in (("old", "1.0.0", "xlsx"), ("other", "1.0.0", "pdf"), ("new", None, "xlsx")):
        args = ["generate", FORM, "--data", str(data / f"{name}.json"), "-o", str(folder / f"{name}.{fmt}")]
        assert invoke(*args, *(["--version", version] if version else [])).exit_code == 0
    return folder


def test_extract_reads_by_its_own_version_and_migrate_brings_it_up(tmp_path):
    returns = _returns_of_both(tmp_path)
    plain = json.loads(invoke("extract", str(returns / "old.xlsx")).stdout)
    assert plain["version"] == "1.0.0" and plain["data"]["severity"] == "repeated"
    assert plain["data"]["harm"] == "脸部轻微擦伤" and "migrated_from" not in plain
    result = invoke("extract", "--migrate", str(returns / "old.xlsx"))
    migrated = json.loads(result.stdout)
    assert (migrated["version"], migrated["migrated_from"]) == ("1.1.0", "1.0.0")
    assert migrated["data"]["severity"] == "general" and migrated["data"]["contact_phone"] == "13804051234"
    assert "FG360" in result.stderr and "FG361" in result.stderr and "脸部轻微擦伤" not in result.stderr


def test_validate_checks_against_the_files_version_and_after_migration(tmp_path):
    returns = _returns_of_both(tmp_path)
    plain = json.loads(invoke("validate", "--json", str(returns)).stdout)
    assert {(r["file"].rsplit("/", 1)[1], r["version"], r["valid"]) for r in plain} == {
        ("old.xlsx", "1.0.0", True), ("other.pdf", "1.0.0", True), ("new.xlsx", "1.1.0", True)}
    migrated = {r["file"].rsplit("/", 1)[1]: r for r in json.loads(invoke("validate", "--migrate", "--json",
                                                                           str(returns)).stdout)}
    assert migrated["other.pdf"]["version"] == "1.1.0" and migrated["other.pdf"]["migrated_from"] == "1.0.0"
    assert migrated["other.pdf"]["valid"] is True
    assert [i["code"] for i in migrated["other.pdf"]["issues"]] == ["FG360", "FG361"]
    assert "migrated_from" not in migrated["new.xlsx"] and migrated["new.xlsx"]["issues"] == []


# -- a batch over both versions -----------------------------------------------------------------

def _details(path: Path) -> list[dict]:
    ws = load_workbook(path)["明细"]
    rows = list(ws.iter_rows(values_only=True))
    header = rows[1]
    return [dict(zip(header, row)) for row in rows[2:]]


def test_a_batch_consolidates_both_versions_into_the_newest(tmp_path):
    returns = _returns_of_both(tmp_path)
    out = tmp_path / "out"
    result = invoke("batch", str(returns), "-o", str(out), "--form", FORM)
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in (out / "汇总").iterdir()) == [f"{FORM}.xlsx"]
    rows = _details(out / "汇总" / f"{FORM}.xlsx")
    assert {(r["学校标识码"], r["情节程度"], r["报告途径"]) for r in rows} == {
        ("3121000321", "一般欺凌", "书面"), ("3121000322", "一般欺凌", "电话"), ("3121000323", "一般欺凌", "书面")}
    assert "造成的伤害和后果" not in rows[0] and all(r["联系电话"] == "13804051234" for r in rows)
    assert {r["年级班级"] for r in rows} == {"初二（3）班", "初二（5）班"}
    assert "表单“incident-report”1.0.0 版的 2 份合格报表已转换为 1.1.0 版，汇总在 汇总/incident-report.xlsx 中。" \
        in result.stdout
    assert "1.0.0 版的“造成的伤害和后果”（harm）在 1.1.0 版中没有对应的位置" in result.stdout


def test_a_version_no_migration_reaches_gets_a_table_of_its_own(tmp_path):
    returns = _returns_of_both(tmp_path)
    plain = tmp_path / "plain"
    plain.mkdir()
    definition = _definition_11()
    del definition["x-formgen"]["migrate"]
    (plain / f"{FORM}.json").write_text(json.dumps(definition, ensure_ascii=False), "utf-8")
    out = tmp_path / "out"
    result = CliRunner(env=NO_LANGUAGE).invoke(cli, ["--forms", str(plain), "batch", str(returns), "-o", str(out)],
                                               catch_exceptions=False)
    assert result.exit_code == 0, result.output
    tables = out / "汇总"
    assert sorted(p.name for p in tables.iterdir()) == [f"{FORM}.xlsx", f"{FORM}@1.0.0.xlsx"]
    assert {r["情节程度"] for r in _details(tables / f"{FORM}.xlsx")} == {"一般欺凌"}
    old = _details(tables / f"{FORM}@1.0.0.xlsx")
    assert {r["情节程度"] for r in old} == {"反复发生的一般欺凌", "情节轻微的一般欺凌"} and "联系电话" in old[0]
    assert "记录保留为 1.0.0 版，单独汇总在 汇总/incident-report@1.0.0.xlsx 中。" in result.stdout


def test_diff_suggests_the_migration_and_says_what_is_left_to_decide():
    old, new = str(FORMS / f"{FORM}.json"), str(V11 / f"{FORM}.json")
    result = invoke("diff", old, new, "--migration")
    assert result.exit_code == 0
    suggested = json.loads(result.stdout)["migrate"]
    written = _definition_11()["x-formgen"]["migrate"]
    assert suggested == {k: v for k, v in written.items() if k != "defaults"}  # renames, merged choices, removal
    assert result.stderr.startswith(f"FG448 {new} $.x-formgen.migrate.defaults：“report_channel”是新增的必填字段")


def test_the_migration_survives_the_authoring_workbook(tmp_path):
    book, back = tmp_path / "修订.xlsx", tmp_path / "back.json"
    assert invoke("author", "export", str(V11 / f"{FORM}.json"), "-o", str(book)).exit_code == 0
    assert invoke("author", "import", str(book), "-o", str(back)).exit_code == 0
    assert json.loads(back.read_text("utf-8")) == _definition_11()
