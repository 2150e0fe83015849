"""`make bench`: per-file times, printed as ratios against a floor measured in the same run.

The floor for reading is the raw work any reader must do: unzip the file and
parse its XML parts with lxml (or, for PDF, pypdf's own field read).
Run: python -m tests.bench [N]
"""

from __future__ import annotations

import json
import statistics
import sys
import tempfile
import time
import zipfile
from pathlib import Path
from typing import Callable

from lxml import etree

from formgen.compile import COMPILERS
from formgen.pipeline import process
from formgen.spec import Registry
from tests import bench_docx, bench_pdf

ROOT = Path(__file__).resolve().parents[1]


def median_ms(func: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        func()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def unzip_and_parse(path: Path) -> None:
    parser = etree.XMLParser(resolve_entities=False, no_network=True)
    with zipfile.ZipFile(path) as zf:
        for name in zf.namelist():
            if name.endswith(".xml") or name.endswith(".rels"):
                etree.fromstring(zf.read(name), parser)


def bench_xlsx(registry: Registry, n: int, tmp: Path) -> list[tuple[str, float, str]]:
    spec = registry.get("incident-report")
    data = json.loads((ROOT / "forms/examples/incident-report.json").read_text("utf-8"))
    files = [tmp / f"f{i}.xlsx" for i in range(n)]
    it = iter(files)
    gen = median_ms(lambda: COMPILERS["xlsx"].compile(spec, data, next(it)), n)
    it = iter(files)
    read = median_ms(lambda: process(next(it), registry), n)
    it = iter(files)
    floor = median_ms(lambda: unzip_and_parse(next(it)), n)
    return [("xlsx generate (pre-filled)", gen, ""),
            ("xlsx extract+validate", read, f"{read / floor:.1f}x floor"),
            ("xlsx floor: unzip + lxml parse", floor, "1.0x")]


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    registry = Registry(ROOT / "forms")
    print(f"xlsx: median per file over {n} files")
    with tempfile.TemporaryDirectory() as tmp:
        for name, ms, ratio in bench_xlsx(registry, n, Path(tmp)):
            print(f"  {name:<36} {ms:8.2f} ms  {ratio}")
    bench_docx.main(n)
    bench_pdf.main(max(20, n // 10))


if __name__ == "__main__":
    main()
