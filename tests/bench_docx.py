"""Per-file time of the Word form: generate, and extract + validate, against a floor measured in the same run.

``python -m tests.bench_docx [N]`` (default 200 files).  The floor is what any reader must pay: unzip the
file and parse word/document.xml and docProps/custom.xml with lxml.  Prints medians and ratios; asserts nothing.
"""

from __future__ import annotations

import json
import statistics
import sys
import tempfile
import time
import zipfile
from pathlib import Path

from lxml import etree

from formgen.compile.docx import DocxCompiler
from formgen.layout.ooxml import safe_parser
from formgen.pipeline import process
from formgen.spec import Registry

ROOT = Path(__file__).resolve().parents[1]


def _timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return (time.perf_counter() - start) * 1000


def _floor(path: Path) -> None:
    with zipfile.ZipFile(path) as zf:
        etree.fromstring(zf.read("word/document.xml"), safe_parser())
        etree.fromstring(zf.read("docProps/custom.xml"), safe_parser())


def main(count: int = 200) -> dict[str, float]:
    registry = Registry(ROOT / "forms")
    spec = registry.get("incident-report")
    record = json.loads((ROOT / "forms" / "examples" / "incident-report.json").read_text("utf-8"))
    compiler = DocxCompiler()
    compiler.compile(spec, record, Path(tempfile.gettempdir()) / "formgen-bench-warmup.docx")
    with tempfile.TemporaryDirectory(prefix="formgen-bench-") as tmp:
        files = [Path(tmp) / f"report-{i:03d}.docx" for i in range(count)]
        generate, read, floor = [], [], []
        for i, path in enumerate(files):
            data = dict(record, report_no=f"2021-{i:03d}", persons=record["persons"][: 3 + i % 2])  # the victim is 3rd
            generate.append(_timed(lambda: compiler.compile(spec, data, path)))
        for path in files:
            results = []
            read.append(_timed(lambda: results.append(process(path, registry))))
            assert results[0].valid, results[0].issues
            floor.append(_timed(lambda: _floor(path)))
    medians = {"generate": statistics.median(generate), "extract+validate": statistics.median(read),
               "floor (unzip + lxml parse)": statistics.median(floor)}
    base = medians["floor (unzip + lxml parse)"]
    print(f"Word form, incident report, median of {count} files:")
    for name, ms in medians.items():
        print(f"  {name:<28} {ms:8.2f} ms   {ms / base:7.1f} x floor")
    return medians


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 200)
