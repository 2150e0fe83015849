"""`formgen batch` on many small distinct returns: files per second and peak memory.

Makes N distinct valid incident reports (one generated xlsx, its school code varied: every copy is a
different school's return), then runs `formgen batch` on them twice (the second run re-uses the ledger),
sampling the memory of the batch process and of its whole process tree (workers included).
Run: python -m tests.bench_batch [N ...]   (default 1000 10000; files are kept under /tmp/formgen-bench)
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import psutil

from formgen.spec import Registry
from tests.batch_files import returned, variants
from tests.conftest import FORMS, ROOT

WORK = Path(os.environ.get("FORMGEN_BENCH_DIR", "/tmp/formgen-bench"))


def make(n: int) -> Path:
    folder = WORK / f"returns-{n}"
    if not folder.is_dir():
        source = returned(Registry(FORMS), "incident-report", "xlsx", WORK / "source.xlsx", school_code="3121000001")
        variants(source, folder, n, old="3121000001", keep=4)
    return folder


def checks(ledger: Path) -> int:
    try:
        with sqlite3.connect(f"file:{ledger}?mode=ro", uri=True) as db:
            return db.execute("SELECT COUNT(*) FROM checks").fetchone()[0]
    except sqlite3.Error:
        return 0


def measure(folder: Path, out: Path, n: int) -> dict[str, float]:
    """Run the batch; wall seconds (in all, and until every file was checked), peak RSS (MiB) of the batch
    process and of its whole process tree, and the CPU seconds of the tree (sampled: each process's last
    sample, so up to 0.1 s of each is missed)."""
    command = [sys.executable, "-m", "formgen", "--forms", str(FORMS), "batch", str(folder), "-o", str(out)]
    start = time.monotonic()
    proc = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    main = psutil.Process(proc.pid)
    peak_main = peak_tree = 0
    cpu: dict[int, float] = {}
    checked = None
    while proc.poll() is None:
        if checked is None and checks(out / "ledger.sqlite") >= n:
            checked = time.monotonic() - start
        try:
            tree = [main, *main.children(recursive=True)]
            rss = [p.memory_info().rss for p in tree]
            for p in tree:
                times = p.cpu_times()
                cpu[p.pid] = times.user + times.system
        except psutil.Error:
            continue
        peak_main = max(peak_main, rss[0])
        peak_tree = max(peak_tree, sum(rss))
        time.sleep(0.1)
    seconds = time.monotonic() - start
    stdout, stderr = proc.communicate()
    if proc.returncode not in (0, 1):
        raise SystemExit(stderr.decode())
    return {"seconds": seconds, "checked": checked or seconds, "main": peak_main / 2**20, "tree": peak_tree / 2**20,
            "cpu": sum(cpu.values()), "cpu_main": cpu.get(proc.pid, 0.0), "summary": stdout.decode().strip()}


def main(sizes: list[int]) -> None:
    print(f"cores: {os.cpu_count()}, load average: {os.getloadavg()[0]:.1f}")
    for n in sizes:
        folder = make(n)
        out = WORK / f"out-{n}"
        shutil.rmtree(out, ignore_errors=True)
        for run in ("first", "re-run"):
            m = measure(folder, out, n)
            checked = f" (all checked after {m['checked']:.1f} s: {n / m['checked']:.1f} files/s)" if run == "first" else ""
            print(f"{n:>6} files, {run:<7}: {m['seconds']:7.1f} s, {n / m['seconds']:6.1f} files/s{checked}, "
                  f"CPU {m['cpu']:.1f} s (batch process {m['cpu_main']:.1f} s; {n / m['cpu']:.0f} files per CPU s), "
                  f"peak RSS batch process {m['main']:.0f} MiB, whole tree {m['tree']:.0f} MiB")
            print("        " + m["summary"])


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or [1000, 10000])
