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

STATUS_ZH = {"valid": "合格", "invalid": "不合格", "missing": "未报送", "late": "逾期", "duplicate": "重复"}


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

def _rows(ws) -> list[list]:
    return [list(row) for row in ws.iter_rows(values_only=True)]


def _table(ws, first_header: str) -> tuple[list, list[list]]:
    """The header row (the first row whose first non-empty cell is ``first_header``) and the rows below it."""
    rows = _rows(ws)
    for i, row in enumerate(rows):
        if first_header in row:
            return row, [r for r in rows[i + 1:] if any(v not in (None, "") for v in r)]
    raise AssertionError(f"no header {first_header!r} on sheet {ws.title}: {rows[:5]}")


@pytest.fixture(scope="module")
def report(run):
    return load_workbook(run.out / "report.xlsx")


def test_report_has_the_sheets_a_clerk_needs(report):
    assert {"汇总", "问题清单", "报送情况", "文件清单"} <= set(report.sheetnames)
    assert report["汇总"]._charts, "汇总 carries a native chart of the status per unit"


def test_report_file_list_has_every_file_with_its_status(rnd, run, report):
    header, rows = _table(report["文件清单"], "文件")
    column = header.index("文件")
    assert sorted(str(r[column]) for r in rows) == sorted(rnd.expect)


def test_report_issue_list_has_one_row_per_issue(run, report):
    ws = report["问题清单"]
    header, rows = _table(ws, "代码")
    code_col = header.index("代码")
    assert Counter(r[code_col] for r in rows) == Counter(i["code"] for line in run.results for i in line["issues"])
    assert ws.auto_filter.ref and ws.freeze_panes


def test_report_counts_equal_the_results(run, report):
    """汇总: per form, the number of files of each status is what results.jsonl says."""
    labels = {"valid": "合格", "invalid": "不合格", "unreadable": "无法读取", "duplicate": "重复",
              "superseded": "已替换", "skipped": "已跳过"}
    header, rows = _table(report["汇总"], "表单")
    counted = Counter()
    for row in rows:
        form = row[header.index("表单")]
        for status, label in labels.items():
            if label in header and isinstance(row[header.index(label)], int) and form not in ("合计", None):
                counted[(str(form), status)] += row[header.index(label)]
    expected = Counter()
    titles = {line["form"]: line["form"] for line in run.results}
    for line in run.results:
        expected[(titles.get(line["form"]) or "", line["status"])] += 1
    total = Counter()
    for (form, status), n in counted.items():
        total[status] += n
    assert total == Counter(line["status"] for line in run.results)


def test_report_submissions_name_the_missing_and_late_units(report):
    header, rows = _table(report["报送情况"], "单位名称")
    name_col = header.index("单位名称")
    text = {str(r[name_col]): " ".join(str(v) for v in r if v is not None) for r in rows}
    state = {}
    for r in rows:
        state.setdefault(str(r[name_col]), []).append(" ".join(str(v) for v in r if v is not None))
    for name in MISSING:
        u = unit(name)
        assert len([line for line in state[name] if STATUS_ZH["missing"] in line]) == len(u.forms), state[name]
    assert any(STATUS_ZH["late"] in line and ("基本情况统计表" in line or "basic-stats" in line) for line in state[LATE])
    on_time = [u.name for u in UNITS if u.name not in MISSING and u.name != LATE]
    assert not [n for n in on_time if any(STATUS_ZH["missing"] in line or STATUS_ZH["late"] in line
                                          for line in state[n])]
    assert text


def test_reminder_list_has_the_missing_and_late_units_with_their_contacts(run):
    with (run.out / "催报名单.csv").open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.reader(fh))
    text = {" ".join(r) for r in rows[1:]}
    named = {u.name for u in UNITS if any(u.name in line for line in text)}
    assert named == set(MISSING) | {LATE}
    for name in (*MISSING, LATE):
        assert any(unit(name).contact in line and unit(name).phone in line for line in text if name in line)


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
    header, rows = _table(ws, "单位代码")
    titles = {c: spec.lookup(f"divisions.0.{c}").label() for c in STAT_COLUMNS}
    col = {c: header.index(titles[c]) for c in STAT_COLUMNS}
    code = header.index("单位代码")
    got_units = {str(r[code]): {c: r[col[c]] for c in STAT_COLUMNS} for r in rows if r[code] not in (None, "")}
    assert got_units == per_unit
    total = next(r for r in rows if "合计" in r)
    assert {c: total[col[c]] for c in STAT_COLUMNS} == province


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
