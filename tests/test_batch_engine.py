"""The batch engine: one result per file, resubmissions, limits, the ledger across runs and kills, Dask."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import sqlite3
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest
from openpyxl import load_workbook

from formgen.batch import Settings, run_batch
from formgen.batch.pool import Job, run_local
from formgen.limits import WorkerLimits
from formgen.batch.work import check
from formgen.spec import Registry
from tests.batch_files import returned, variants
from tests.conftest import FORMS, ROOT, example, run_cli

SCHOOL = "31210003{:02d}"


def incident(registry: Registry, fmt: str, out: Path, n: int, **changes: object) -> Path:
    """An incident report of school n (its own code and name, so returns of different schools never supersede)."""
    return returned(registry, "incident-report", fmt, out, school_code=SCHOOL.format(n),
                    school_name=f"沈阳市第{n}中学", **changes)


def lines(outdir: Path) -> dict[str, dict]:
    text = (outdir / "results.jsonl").read_text("utf-8")
    rows = [json.loads(line) for line in text.splitlines()]
    assert [r["path"] for r in rows] == sorted(r["path"] for r in rows)
    return {r["path"]: r for r in rows}


def codes(row: dict) -> list[str]:
    return [i["code"] for i in row["issues"]]


def tree(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def returns(tmp_path_factory, registry) -> Path:
    """A folder of every kind of file a bureau receives."""
    folder = tmp_path_factory.mktemp("returns")
    incident(registry, "xlsx", folder / "一中/报告.xlsx", 1)
    incident(registry, "docx", folder / "二中/报告.docx", 2)
    incident(registry, "pdf", folder / "三中/报告.pdf", 3)
    incident(registry, "xlsx", folder / "四中/报告.xlsx", 4, reporter_phone="12345")
    returned(registry, "hazard-ledger", "xlsx", folder / "五中/台账.xlsx")
    (folder / "五中/报告-再发.xlsx").write_bytes((folder / "一中/报告.xlsx").read_bytes())
    (folder / "六中").mkdir()
    (folder / "六中/报告.xlsx").write_bytes((folder / "二中/报告.docx").read_bytes()[:2000])
    (folder / "六中/空.docx").write_bytes(b"")
    (folder / "六中/说明.txt").write_text("请查收", "utf-8")
    (folder / "六中/~$报告.xlsx").write_bytes(b"\x00" * 162)
    return folder


def test_every_file_gets_one_result_with_its_status(returns, registry, tmp_path):
    before = tree(returns)
    summary = run_batch(returns, tmp_path / "out", registry, form="incident-report",
                        settings=Settings(jobs=2), lang="en")
    rows = lines(tmp_path / "out")
    assert set(rows) == set(before)
    status = {path: row["status"] for path, row in rows.items()}
    assert status == {
        "一中/报告.xlsx": "valid", "二中/报告.docx": "valid", "三中/报告.pdf": "valid",
        "四中/报告.xlsx": "invalid", "五中/台账.xlsx": "invalid", "五中/报告-再发.xlsx": "duplicate",
        "六中/报告.xlsx": "unreadable", "六中/空.docx": "unreadable", "六中/说明.txt": "unreadable",
        "六中/~$报告.xlsx": "skipped"}
    assert summary.counts == {"valid": 3, "invalid": 2, "duplicate": 1, "unreadable": 3, "skipped": 1}
    assert summary.exit_code == 1
    assert [(i["code"], i["path"], i["label"]) for i in rows["四中/报告.xlsx"]["issues"]
            if i["severity"] == "error"] == [("FG307", "reporter_phone", "Phone")]
    assert codes(rows["五中/台账.xlsx"]) == ["FG110"] and rows["五中/台账.xlsx"]["form"] == "hazard-ledger"
    assert "hazard-ledger" in rows["五中/台账.xlsx"]["issues"][0]["message"]
    assert rows["五中/报告-再发.xlsx"]["duplicate_of"] == "一中/报告.xlsx" and codes(rows["五中/报告-再发.xlsx"]) == ["FG115"]
    assert codes(rows["六中/~$报告.xlsx"]) == ["FG111"]
    assert rows["二中/报告.docx"]["unit"] == {"code": SCHOOL.format(2), "name": "沈阳市第2中学", "matched_by": "code"}
    assert {r["format"] for r in rows.values()} == {"xlsx", "docx", "pdf", None}
    assert all(len(r["sha256"]) == 64 for r in rows.values() if r["status"] != "skipped")
    assert all("typed" not in i for r in rows.values() for i in r["issues"])
    assert tree(returns) == before  # the originals are only read
    assert stat.S_IMODE((tmp_path / "out/ledger.sqlite").stat().st_mode) == 0o600


def test_a_changed_return_of_the_same_unit_supersedes_the_earlier_one(registry, tmp_path):
    folder = tmp_path / "in"
    first = incident(registry, "xlsx", folder / "a/报告.xlsx", 7)
    second = incident(registry, "docx", folder / "b/报告-修改.docx", 7, report_no="2021-032")
    stamped = returned(registry, "incident-report", "xlsx", folder / "c/x.xlsx", unit="2101010001")
    later = returned(registry, "incident-report", "xlsx", folder / "c/y.xlsx", unit="2101010001", report_no="9")
    for path, when in ((first, 1_000), (second, 2_000), (stamped, 3_000), (later, 4_000)):
        os.utime(path, (when, when))
    run_batch(folder, tmp_path / "out", registry, settings=Settings(jobs=1, received_from="mtime"))
    rows = lines(tmp_path / "out")
    assert rows["a/报告.xlsx"]["status"] == "superseded"
    assert rows["a/报告.xlsx"]["superseded_by"] == "b/报告-修改.docx" and codes(rows["a/报告.xlsx"]) == ["FG116"]
    assert rows["b/报告-修改.docx"]["status"] == "valid"
    assert (rows["c/x.xlsx"]["status"], rows["c/x.xlsx"]["superseded_by"]) == ("superseded", "c/y.xlsx")
    assert rows["c/y.xlsx"]["unit"]["matched_by"] == "stamp"
    assert rows["a/报告.xlsx"]["received_at"] == "1970-01-01T08:16:40+08:00"

    # the school overwrites its file: the ledger keeps both versions of the path
    incident(registry, "xlsx", first, 7, report_no="2021-033")
    run_batch(folder, tmp_path / "out", registry, settings=Settings(jobs=1))
    with sqlite3.connect(tmp_path / "out/ledger.sqlite") as db:
        assert db.execute("SELECT COUNT(*) FROM files WHERE relpath='a/报告.xlsx'").fetchone() == (2,)
    rows = lines(tmp_path / "out")
    assert rows["a/报告.xlsx"]["status"] == "valid" and rows["b/报告-修改.docx"]["status"] == "superseded"

    # the clerk moves a file into another folder: it keeps its received time
    received = rows["b/报告-修改.docx"]["received_at"]
    (folder / "b/报告-修改.docx").rename(folder / "a/报告-修改.docx")
    run_batch(folder, tmp_path / "out", registry, settings=Settings(jobs=1))
    assert lines(tmp_path / "out")["a/报告-修改.docx"]["received_at"] == received


def test_a_rerun_reuses_results_and_a_changed_definition_rechecks(returns, registry, tmp_path):
    out = tmp_path / "out"
    first = run_batch(returns, out, registry, settings=Settings(jobs=2))
    assert (first.parsed, first.reused) == (8, 0)  # the duplicate and the lock file are not parsed
    results = (out / "results.jsonl").read_bytes()
    again = run_batch(returns, out, registry, settings=Settings(jobs=2))
    assert (again.parsed, again.reused) == (0, 8)
    assert (out / "results.jsonl").read_bytes() == results

    forms = tmp_path / "forms"
    forms.mkdir()
    for path in FORMS.glob("*.json"):
        text = path.read_text("utf-8")
        if path.name == "hazard-ledger.json":
            text = text.replace('"title": "填报人"', '"title": "填报人员"', 1)
            assert "填报人员" in text
        (forms / path.name).write_text(text, "utf-8")
    changed = run_batch(returns, out, Registry(forms), settings=Settings(jobs=2))
    assert (changed.parsed, changed.reused) == (8, 0)


# -- limits: a test-only per-file function, passed to the pool like the real one ------------------------

def hostile(data: bytes, relpath: str, registry, expected, lang) -> dict:
    """check(), except for the files named to sleep, to eat memory or to crash."""
    if "sleep" in relpath:
        time.sleep(60)
    if "greedy" in relpath:
        hoard = bytearray(2 << 30)
        return {"never": len(hoard)}
    if "crash" in relpath:
        os.kill(os.getpid(), signal.SIGSEGV)
    return check(data, relpath, registry, expected, lang)


def test_a_file_past_the_limits_gets_its_result_and_the_pool_goes_on(registry, tmp_path):
    good = incident(registry, "xlsx", tmp_path / "good.xlsx", 1).read_bytes()
    names = ["a", "sleep", "b", "greedy", "c", "crash", "d", "e"]
    jobs = [Job(name, f"{name}.xlsx", good) for name in names]
    limits = WorkerLimits(seconds=2, memory=768 << 20)
    got = dict(run_local(jobs, registry, None, "en", workers=2, limits=limits, check=hostile))
    assert sorted(got) == sorted(names)
    assert [i["code"] for i in got["sleep"]["issues"]] == ["FG113"]
    assert [i["code"] for i in got["greedy"]["issues"]] == ["FG114"]
    assert "memory" in got["greedy"]["issues"][0]["message"]
    assert [i["code"] for i in got["crash"]["issues"]] == ["FG114"]
    assert all(got[name]["readable"] and got[name]["form"] == "incident-report" for name in "abcde")



def test_the_files_queued_behind_a_failing_file_are_read_by_the_next_worker(registry, tmp_path):
    """One worker is given two files at once: when the first is too slow, eats its memory or crashes the worker,
    the file queued behind it is given to the worker that replaces it, and gets its own result, once."""
    good = incident(registry, "xlsx", tmp_path / "good.xlsx", 1).read_bytes()
    names = ["a", "sleep", "b", "greedy", "c", "crash", "d"]
    jobs = [Job(name, f"{name}.xlsx", good) for name in names]
    limits = WorkerLimits(seconds=2, memory=768 << 20)
    got = list(run_local(jobs, registry, None, "en", workers=1, limits=limits, check=hostile))
    assert [key for key, _out in got] == names  # one worker: its results in the order it was given the files
    out = dict(got)
    assert {name: [i["code"] for i in out[name]["issues"]] for name in ("sleep", "greedy", "crash")} == {
        "sleep": ["FG113"], "greedy": ["FG114"], "crash": ["FG114"]}
    assert all(out[name]["readable"] and out[name]["issues"] == [] for name in "abcd")

def test_the_batch_gives_slow_and_large_files_their_result(registry, tmp_path):
    folder = tmp_path / "in"
    incident(registry, "xlsx", folder / "ok.xlsx", 1)
    incident(registry, "xlsx", folder / "sleep.xlsx", 2)
    (folder / "big.pdf").write_bytes(b"%PDF-1.7\n" + b"0" * (2 << 20))
    settings = Settings(jobs=2, limits=WorkerLimits(seconds=2, size=1 << 20))
    summary = run_batch(folder, tmp_path / "out", registry, settings=settings, check=hostile)
    rows = lines(tmp_path / "out")
    assert {p: (r["status"], codes(r)) for p, r in rows.items()} == {
        "big.pdf": ("unreadable", ["FG112"]), "ok.xlsx": ("valid", []), "sleep.xlsx": ("unreadable", ["FG113"])}
    assert summary.parsed == 2  # the large file was never read


# -- killing the batch ----------------------------------------------------------------------------------

def test_a_killed_batch_loses_nothing_and_a_rerun_parses_only_the_rest(registry, tmp_path):
    folder = tmp_path / "in"
    source = incident(registry, "xlsx", tmp_path / "source.xlsx", 1)
    variants(source, folder, 40, old=SCHOOL.format(1), keep=4, per_folder=10)
    command = [sys.executable, "-m", "formgen", "--lang", "en", "--forms", str(FORMS), "batch", str(folder),
               "--jobs", "1", "--received-from", "mtime"]
    out = tmp_path / "out"
    run = subprocess.Popen([*command, "-o", str(out)], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    ledger = out / "ledger.sqlite"
    done = 0
    while done < 10 and run.poll() is None:
        time.sleep(0.02)
        if ledger.exists():
            with sqlite3.connect(ledger) as db:
                try:
                    done = db.execute("SELECT COUNT(*) FROM checks").fetchone()[0]
                except sqlite3.OperationalError:  # the batch is still creating its tables
                    done = 0
    run.send_signal(signal.SIGKILL)
    run.communicate()
    assert run.returncode == -signal.SIGKILL, "the batch finished before it could be killed"
    with sqlite3.connect(ledger) as db:
        kept = db.execute("SELECT COUNT(*) FROM checks").fetchone()[0]
    assert 10 <= kept < 40
    assert not (out / "results.jsonl").exists()

    rerun = subprocess.run([*command, "-o", str(out)], cwd=ROOT, capture_output=True, text=True)
    assert rerun.returncode == 0, rerun.stderr
    assert f"Checked {40 - kept} file(s) now, re-used {kept} earlier result(s)." in rerun.stdout
    assert rerun.stderr == ""
    clean = run_batch(folder, tmp_path / "clean", registry, settings=Settings(jobs=1, received_from="mtime"))
    assert (clean.parsed, clean.reused) == (40, 0)
    assert (out / "results.jsonl").read_bytes() == (tmp_path / "clean/results.jsonl").read_bytes()
    assert {r["status"] for r in lines(out).values()} == {"valid"} and len(lines(out)) == 40


# -- the same work on a Dask cluster ------------------------------------------------------------------------

def test_a_dask_cluster_gives_byte_identical_results(returns, registry, tmp_path):
    from distributed import LocalCluster

    local = Settings(jobs=2, received_from="mtime")
    run_batch(returns, tmp_path / "local", registry, form="incident-report", settings=local)
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        on_dask = Settings(scheduler=cluster.scheduler_address, received_from="mtime")
        summary = run_batch(returns, tmp_path / "dask", registry, form="incident-report", settings=on_dask)
    assert summary.parsed == 8
    assert (tmp_path / "dask/results.jsonl").read_bytes() == (tmp_path / "local/results.jsonl").read_bytes()


# -- the command ----------------------------------------------------------------------------------------------

def test_the_command_prints_a_summary_and_exits_by_what_it_found(returns, registry, tmp_path):
    result = run_cli("batch", str(returns), "-o", str(tmp_path / "out"), "--form", "incident-report", lang="en")
    assert result.exit_code == 1
    assert result.stdout.startswith("10 file(s): 3 valid, 2 invalid, 3 unreadable, 1 duplicate, 0 superseded, "
                                    "1 skipped. Checked 8 file(s) now, re-used 0 earlier result(s).")
    assert str(tmp_path / "out") in result.stdout
    assert result.stderr == ""  # no progress bar when stderr is not a terminal

    good = tmp_path / "good"
    incident(registry, "xlsx", good / "a.xlsx", 1)
    incident(registry, "docx", good / "b.docx", 2)
    chinese = run_cli("batch", str(good), "-o", str(tmp_path / "good-out"))
    assert chinese.exit_code == 0
    assert chinese.stdout.startswith("共 2 个文件：合格 2 个")

    not_a_ledger = tmp_path / "ledger.txt"
    not_a_ledger.write_text("这不是数据库", "utf-8")
    for args in (["--form", "no-such-form"], ["--deadline", "incident-report=tomorrow"],
                 ["--scheduler", "nonsense"], ["--db", str(not_a_ledger)]):
        usage = run_cli("batch", str(good), "-o", str(tmp_path / "x"), *args)
        assert usage.exit_code == 2 and "Traceback" not in usage.stdout + usage.stderr
    assert not (tmp_path / "x").exists()


def test_a_roster_names_the_missing_and_late_units(registry, tmp_path):
    folder = tmp_path / "in"
    returned(registry, "hazard-ledger", "xlsx", folder / "a.xlsx", unit="2101010001")
    returned(registry, "hazard-ledger", "docx", folder / "b.docx", unit="2101010002")
    roster = tmp_path / "roster.csv"
    roster.write_text("单位代码,单位名称,联系人,联系电话,应报表单\n"
                      "2101010001,沈阳市第一中学,王老师,024-23456789,hazard-ledger\n"
                      "2101010002,沈阳市第二中学,李老师,024-23456780,hazard-ledger\n"
                      "2101010003,沈阳市第三中学,张老师,024-23456781,hazard-ledger\n", "utf-8")
    os.utime(folder / "a.xlsx", (1_615_000_000, 1_615_000_000))  # 2021-03-06, before the deadline
    result = run_cli("batch", str(folder), "-o", str(tmp_path / "out"), "--roster", str(roster),
                     "--form", "hazard-ledger", "--received-from", "mtime", "--deadline", "hazard-ledger=2021-03-20",
                     lang="en")
    assert result.exit_code == 1
    assert "Not returned: 1 (沈阳市第三中学)." in result.stdout
    assert "Late: 1 (沈阳市第二中学)." in result.stdout
    rows = lines(tmp_path / "out")
    assert rows["a.xlsx"]["unit"] == {"code": "2101010001", "name": "沈阳市第一中学", "matched_by": "stamp"}
    assert (rows["a.xlsx"]["late"], rows["b.docx"]["late"]) == (False, True)
    assert codes(rows["b.docx"]) == ["FG502"]
    reminders = (tmp_path / "out/催报名单.csv").read_text("utf-8-sig")
    assert "沈阳市第三中学" in reminders and "沈阳市第二中学" in reminders and "沈阳市第一中学" not in reminders
    assert (tmp_path / "out/report.xlsx").exists() and (tmp_path / "out/汇总/hazard-ledger.xlsx").exists()


def test_the_command_suppresses_small_cells_of_the_consolidated_statistics(registry, tmp_path):
    returned(registry, "basic-stats", "xlsx", tmp_path / "in/统计表.xlsx")
    result = run_cli("batch", str(tmp_path / "in"), "-o", str(tmp_path / "out"), "--suppress-below", "5")
    assert result.exit_code == 0, result.stdout
    ws = load_workbook(tmp_path / "out/汇总/basic-stats.xlsx")["分县（市、区）情况"]
    head = next(r for r in range(1, 10) if ws.cell(r, 1).value == "单位代码")
    labels = {ws.cell(head, c).value: c for c in range(1, ws.max_column + 1)}
    first = example("basic-stats")["divisions"][0]
    assert ws.cell(head + 1, labels["学校总数（所）"]).value == first["schools"]
    small = [c for c in range(1, ws.max_column + 1) if ws.cell(head + 1, c).value == "<5"]
    assert len(small) == sum(1 for k, v in first.items() if isinstance(v, int) and 0 < v < 5)
    assert ws.cell(ws.max_row, 1).value == "合计" and ws.cell(ws.max_row, labels["学校总数（所）"]).value == 375

    usage = run_cli("batch", str(tmp_path / "in"), "-o", str(tmp_path / "x"), "--suppress-below", "-1")
    assert usage.exit_code == 2 and "--suppress-below" in usage.stderr
