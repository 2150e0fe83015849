"""`formgen batch` end to end: a round of 60+ returns of all ten forms in all three formats, distributed to a roster
with `generate --roster`, filled in LibreOffice and pdftk, some invalid, broken, sent twice or corrected; then
every file must have exactly its result, the report must count what the results say, the missing and late units
must be named, the province's statistics must be the sum of the cities' rows, and each unit's 退回修改通知 must
list its own problems and nobody else's."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import json
import shutil
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pytest
from docx import Document
from openpyxl import load_workbook

from tests.conftest import FORMS, run_cli
from tests.office import convert
from tests.returns import (ISSUER, LATE, MISSING, STAT_COLUMNS, STATS_DEADLINE, SUFFIX, UNITS, Expect, Round,
                           build_round, letter_tags, unit)

pytestmark = pytest.mark.office

STATUS_ZH = {"valid": "合格", "invalid": "不合格"}


@dataclass
class Batch:
    out: Path
    proc: subprocess.CompletedProcess
    results: list[dict]


def batch(folder: Path, out: Path, *args: str) -> Batch:
    """`formgen batch` as a user runs it: its own process, the worktree's formgen."""
    proc = subprocess.run([sys.executable, "-m", "formgen", "--forms", str(FORMS), "batch", str(folder), "-o", str(out),
                           "--received-from", "mtime", *args], capture_output=True, text=True, timeout=600)
    lines = (out / "results.jsonl").read_text("utf-8").splitlines() if (out / "results.jsonl").exists() else []
    return Batch(out, proc, [json.loads(line) for line in lines])


@pytest.fixture(scope="module")
def rnd(office, registry, tmp_path_factory) -> Round:
    return build_round(tmp_path_factory.mktemp("round"), office, registry)


@pytest.fixture(scope="module")
def run(rnd, tmp_path_factory) -> Batch:
    out = tmp_path_factory.mktemp("out") / "batch"
    return batch(rnd.folder, out, "--roster", str(rnd.roster), "--deadline", STATS_DEADLINE, "--issuer", ISSUER,
                 "--jobs", "2")


@pytest.fixture(scope="module")
def by_path(run) -> dict[str, dict]:
    return {line["path"]: line for line in run.results}


def test_the_round_is_what_the_issue_asks_for(rnd):
    files = rnd.expect
    assert len(files) >= 60
    forms = {e.form for e in files.values() if e.form}
    assert len(forms) == 10
    formats = {Path(rel).suffix for rel, e in files.items() if e.status in ("valid", "invalid")}
    assert formats == set(SUFFIX.values())
    assert len(UNITS) >= 20
    returned = {e.unit for e in files.values() if e.unit}
    assert {u.code for u in UNITS} - returned == {unit(name).code for name in MISSING}
    assert {e.status for e in files.values()} == {"valid", "invalid", "unreadable", "duplicate", "superseded",
                                                   "skipped"}


def test_the_batch_ends_with_exit_1_and_a_summary(run):
    assert run.proc.returncode == 1, run.proc.stderr[-3000:]
    assert "Traceback" not in run.proc.stderr
    assert run.proc.stdout.strip()


def test_one_result_per_file_sorted_by_path(rnd, run):
    paths = [line["path"] for line in run.results]
    assert paths == sorted(rnd.expect)


@pytest.mark.parametrize("status", ["valid", "invalid", "unreadable", "duplicate", "superseded", "skipped"])
def test_each_file_has_its_status_codes_and_unit(rnd, by_path, status):
    wrong = {}
    for rel, exp in rnd.expect.items():
        if exp.status != status:
            continue
        got = by_path.get(rel)
        problems = _mismatches(rnd, rel, exp, got) if got else ["no result"]
        if problems:
            wrong[rel] = problems
    assert not wrong


def _mismatches(rnd: Round, rel: str, exp: Expect, got: dict) -> list[str]:
    out = []
    data = (rnd.folder / rel).read_bytes()
    codes = {i["code"] for i in got["issues"]}
    paths = {i["path"] for i in got["issues"]}
    checks = [
        ("status", got["status"], exp.status),
        ("size", got["size"], len(data)),
        ("received_at", dt.datetime.fromisoformat(got["received_at"]), rnd.received[rel]),
        ("late", got["late"], exp.late),
    ]
    if exp.status != "skipped":  # litter is listed, not read
        checks.append(("sha256", got["sha256"], hashlib.sha256(data).hexdigest()))
    if exp.status in ("valid", "invalid", "duplicate", "superseded"):
        checks += [("format", got["format"], Path(rel).suffix[1:]), ("form", got["form"], exp.form),
                   ("version", got["version"], "1.0.0"),
                   ("unit", (got["unit"] or {}).get("code"), exp.unit),
                   ("matched_by", (got["unit"] or {}).get("matched_by"), "stamp")]
    if exp.status == "duplicate":
        checks.append(("duplicate_of", got["duplicate_of"], exp.other))
    if exp.status == "superseded":
        checks.append(("superseded_by", got["superseded_by"], exp.other))
    for name, value, wanted in checks:
        if value != wanted:
            out.append(f"{name}: {value!r} != {wanted!r}")
    if not exp.codes <= codes:
        out.append(f"codes {sorted(codes)} lack {sorted(exp.codes - codes)}")
    if not exp.paths <= paths:
        out.append(f"paths {sorted(paths)} lack {sorted(exp.paths - paths)}")
    errors = [i for i in got["issues"] if i["severity"] == "error"]
    if exp.status == "valid" and errors:
        out.append(f"errors {errors}")
    if any("typed" in i or not i["message"] for i in got["issues"]):
        out.append("an issue with what was typed, or without a message")
    return out


def test_results_never_show_personal_data(rnd, registry, run):
    text = (run.out / "results.jsonl").read_text("utf-8")
    leaked = {value for rel, record in rnd.records.items()
              for value in _pii(registry.get(rnd.expect[rel].form), record) if value in text}
    assert not leaked


def _pii(spec, record: dict) -> set[str]:
    values = {str(record[f.address]) for f in spec.fields() if f.pii and record.get(f.address)}
    for group in spec.groups():
        for row in record.get(group.address) or []:
            values |= {str(row[c.name]) for c in group.columns if c.pii and row.get(c.name)}
    return values


# -- report.xlsx -----------------------------------------------------------------------------------------------

STATUS_LABELS = {"valid": "合格", "invalid": "不合格", "unreadable": "无法读取", "duplicate": "重复",
                 "superseded": "已被替换", "skipped": "已跳过"}
UNKNOWN_FORM, UNKNOWN_UNIT = "（未识别表单）", "（未识别单位）"


def _rows(ws) -> list[list]:
    return [list(row) for row in ws.iter_rows(values_only=True)]


def _table(ws, first_header: str, start: int = 0) -> tuple[list, list[list]]:
    """The first header row from row ``start`` on whose first cell is ``first_header``, and the rows below it up to
    an empty row."""
    rows = _rows(ws)
    for i in range(start, len(rows)):
        if rows[i] and rows[i][0] == first_header:
            body = []
            for row in rows[i + 1:]:
                if all(v in (None, "") for v in row):
                    break
                body.append(row)
            return rows[i], body
    raise AssertionError(f"no header {first_header!r} on sheet {ws.title}: {rows[:6]}")


@pytest.fixture(scope="module")
def report(run):
    return load_workbook(run.out / "report.xlsx")


def test_report_has_the_sheets_a_clerk_needs(report):
    assert report.sheetnames[:4] == ["汇总", "问题清单", "报送情况", "文件清单"]
    assert report["汇总"]._charts, "汇总 carries a native chart of the status per unit"
    for name in ("问题清单", "报送情况", "文件清单"):
        assert report[name].auto_filter.ref and report[name].freeze_panes, name


def _counts(header: list, rows: list[list], key: int) -> dict:
    """{row key: {status: count}} of a counts table, and its 合计 row under the key "合计"."""
    return {(row[key] if row[key] is not None else row[key + 1]): {s: row[header.index(label)]
                                                                   for s, label in STATUS_LABELS.items()}
            for row in rows}


def test_report_counts_per_form_and_per_unit_equal_the_results(run, report):
    ws = report["汇总"]
    by_form, by_unit, total = Counter(), Counter(), Counter()
    for line in run.results:
        by_form[(line["form"] or UNKNOWN_FORM, line["status"])] += 1
        by_unit[((line["unit"] or {}).get("code") or UNKNOWN_UNIT, line["status"])] += 1
        total[line["status"]] += 1

    def expected(counter: Counter) -> dict:
        out = {key: dict.fromkeys(STATUS_LABELS, 0) for key, _s in counter}
        for (key, status), n in counter.items():
            out[key][status] = n
        out["合计"] = {status: total[status] for status in STATUS_LABELS}
        return out

    header, rows = _table(ws, "表单")
    assert _counts(header, rows, 0) == expected(by_form)
    header, rows = _table(ws, "单位代码")
    assert _counts(header, rows, 0) == expected(by_unit)
    late = header.index("其中逾期")
    assert rows[-1][late] == sum(line["late"] for line in run.results) == 1


def test_report_issue_list_has_one_row_per_issue(run, report):
    header, rows = _table(report["问题清单"], "单位代码")
    col = {name: header.index(name) for name in ("文件", "代码", "地址", "单元格或页")}
    listed = Counter((r[col["文件"]], r[col["代码"]], r[col["地址"]] or "", r[col["单元格或页"]] or "") for r in rows)
    assert listed == Counter((line["path"], i["code"], i["path"] or "", i["location"] or "")
                             for line in run.results for i in line["issues"])


def test_report_file_list_has_every_file_with_its_status(run, report):
    header, rows = _table(report["文件清单"], "文件")
    assert {r[0]: r[header.index("状态")] for r in rows} == {
        line["path"]: STATUS_LABELS[line["status"]] for line in run.results}


def _submissions(rnd: Round) -> dict[tuple[str, str], str]:
    """What 报送情况 must say for each unit and form it owes."""
    counted = {(e.unit, e.form): e for e in rnd.expect.values()
               if e.unit and e.status in ("valid", "invalid") and not e.other}
    duplicated = {(e.unit, e.form) for e in rnd.expect.values() if e.status == "duplicate"}
    out = {}
    for u in UNITS:
        for form in u.forms:
            e = counted.get((u.code, form))
            out[(u.code, form)] = ("未报送" if e is None else "重复" if (u.code, form) in duplicated
                                   else "逾期" if e.late else STATUS_ZH[e.status])
    return out


def test_report_submissions_name_the_missing_and_late_units(rnd, report):
    header, rows = _table(report["报送情况"], "单位代码")
    state = {(r[0], r[header.index("表单")]): r[header.index("报送状态")] for r in rows}
    assert state == _submissions(rnd)
    assert {r[1] for r in rows if r[header.index("报送状态")] == "未报送"} == set(MISSING)
    assert {r[1] for r in rows if r[header.index("报送状态")] == "逾期"} == {LATE}


def test_reminder_list_has_the_missing_and_late_units_with_their_contacts(registry, run):
    with (run.out / "催报名单.csv").open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    def titles(forms) -> str:
        return "、".join(registry.get(form).title for form in forms)

    owed = sorted((u for u in UNITS if u.name in (*MISSING, LATE)), key=lambda u: u.code)
    expected = [{"单位代码": u.code, "单位名称": u.name, "联系人": u.contact, "联系电话": u.phone,
                 "未报送表单": titles(u.forms) if u.name in MISSING else "",
                 "逾期表单": titles(["basic-stats"]) if u.name == LATE else ""} for u in owed]
    assert rows == expected


# -- consolidation ---------------------------------------------------------------------------------------------

def test_the_provinces_statistics_are_the_sum_of_the_returned_rows(rnd, registry, run, tmp_path):
    """汇总/basic-stats.xlsx, recalculated by LibreOffice as a clerk opens it: one row per city with its rows
    summed, and the 合计 row the province's numbers."""
    spec = registry.get("basic-stats")
    counted = {rel: rnd.records[rel] for rel, e in rnd.expect.items() if e.form == "basic-stats" and e.status == "valid"}
    assert len(counted) >= 8
    per_unit = {}
    for rel, record in counted.items():
        per_unit[rnd.expect[rel].unit] = {c: sum(row[c] for row in record["divisions"]) for c in STAT_COLUMNS}
    province = {c: sum(u[c] for u in per_unit.values()) for c in STAT_COLUMNS}

    shown = convert(run.out / "汇总" / "basic-stats.xlsx", "xlsx", tmp_path)
    ws = load_workbook(shown, data_only=True)["汇总表"]
    header, rows = _table(ws, "序号")
    titles = {c: spec.lookup(f"divisions.0.{c}").label() for c in STAT_COLUMNS}
    col = {c: header.index(titles[c]) for c in STAT_COLUMNS}
    code = header.index("单位代码")
    got_units = {str(r[code]): {c: r[col[c]] for c in STAT_COLUMNS} for r in rows if r[code] not in (None, "")}
    assert got_units == per_unit
    total = next(r for r in rows if "合计" in r)
    assert {c: total[col[c]] for c in STAT_COLUMNS} == province


def test_the_checklists_make_a_matrix_of_units_and_measures_with_counts(rnd, registry, run):
    """汇总/policy-checklist.xlsx: per unit the label chosen for each of the 50 measures, per measure the count of
    units for each choice."""
    status = registry.get("policy-checklist").lookup("measures.0.status")
    returns = {e.unit: rnd.records[rel] for rel, e in rnd.expect.items()
               if e.form == "policy-checklist" and e.status == "valid"}
    ws = load_workbook(run.out / "汇总" / "policy-checklist.xlsx")["落实情况"]
    header, rows = _table(ws, "序号")
    first = header.index("1")
    shown = {r[1]: r[first:first + 50] for r in rows if r[1]}
    assert shown == {code: [status.label_for(m["status"]) for m in record["measures"]]
                     for code, record in returns.items()}
    counts = {r[0]: r[first:first + 50] for r in rows if r[0] in status.choice_labels}
    for choice, label in zip(status.choices, status.choice_labels):
        assert counts[label] == [sum(record["measures"][n]["status"] == choice for record in returns.values())
                                 for n in range(50)], label


# -- sending back ------------------------------------------------------------------------------------------------

def _docx_text(path: Path) -> str:
    doc = Document(str(path))
    parts = [p.text for p in doc.paragraphs]
    for table in doc.tables:
        for row in table.rows:
            parts += [cell.text for cell in row.cells]
    return "\n".join(parts)


def test_each_return_notice_lists_exactly_its_units_problems(rnd, run, by_path):
    folder = run.out / "退回"
    notices = {p: _docx_text(p) for p in folder.glob("*.docx")}
    problems: dict[str, list[tuple[str, dict]]] = {}
    for rel, line in by_path.items():
        if line["unit"] and line["status"] in ("invalid", "unreadable"):
            problems.setdefault(line["unit"]["code"], []).extend(
                (rel, i) for i in line["issues"] if i["severity"] == "error")
    assert len(problems) >= 3
    for code, found in problems.items():
        u = next(x for x in UNITS if x.code == code)
        mine = [p for p in notices if u.name in p.name or code in p.name]
        assert len(mine) == 1, (u.name, sorted(p.name for p in notices))
        text = notices[mine[0]]
        for rel, issue in found:
            assert Path(rel).name in text, (u.name, rel)
            assert (issue["label"] or issue["message"]) in text, (u.name, issue)
            if issue["location"]:
                assert issue["location"] in text, (u.name, issue)
        others = [x.name for x in UNITS if x.code != code and x.name in text]
        assert not others, (u.name, others)
        foreign = [rel for rel, line in by_path.items()
                   if (line["unit"] or {}).get("code") != code and Path(rel).name in text]
        assert not foreign, (u.name, foreign)


def test_the_expected_form_makes_another_form_a_wrong_form(rnd, tmp_path):
    """With --form, a file of another form, even one named after the expected form, is its own result."""
    folder = tmp_path / "stats"
    folder.mkdir()
    stats = sorted(rel for rel, e in rnd.expect.items() if e.form == "basic-stats" and e.status == "valid")[:3]
    for rel in stats:
        shutil.copy2(rnd.folder / rel, folder / Path(rel).name)
    ledger = next(rel for rel, e in rnd.expect.items() if e.form == "task-list" and e.status == "valid")
    named = f"{Path(ledger).parent.name}-基本情况统计表{Path(ledger).suffix}"
    shutil.copy2(rnd.folder / ledger, folder / named)
    got = {line["path"]: line for line in batch(folder, tmp_path / "out", "--form", "basic-stats").results}
    assert set(got) == {Path(rel).name for rel in stats} | {named}
    assert {got[Path(rel).name]["status"] for rel in stats} == {"valid"}
    assert got[named]["status"] == "invalid"
    assert [i["code"] for i in got[named]["issues"]] == ["FG110"]
    assert got[named]["form"] == "task-list"


def test_a_distributed_word_letter_can_still_be_filled_in(rnd, registry, tmp_path):
    """A letter pre-filled with its unit keeps a control for every field nobody has filled in yet, as the blank
    letter has, so the school can type its answers into it."""
    spec = registry.get("parent-notice")
    result = run_cli("generate", spec.id, "--roster", str(rnd.roster), "--format", "docx", "-o", str(tmp_path))
    assert result.exit_code == 0, result.output
    distributed = next(tmp_path.glob("*.docx"))
    assert {f.address for f in spec.fields()} - set(letter_tags(distributed)) == set()
