"""PDF benchmark: `python -m tests.bench_pdf [N]`.

Prints, per installed form, the time to generate a blank and a pre-filled PDF
(first in the process, then the median of N), the file sizes, the time to
extract a pre-filled file (formgen's reader: open, identity, values), and the
ratio of that to the floor measured in the same run: bare pypdf
``PdfReader(path).get_fields()`` on the same file.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

import pypdf

from formgen.compile.pdf import render
from formgen.read import READERS
from formgen.spec import Registry
from tests.conftest import EXAMPLES, FORMS, example


def _timed(fn, runs: int) -> tuple[float, float]:
    """(first call, median of ``runs`` further calls) in milliseconds."""
    start = time.perf_counter()
    fn()
    first = (time.perf_counter() - start) * 1000
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return first, statistics.median(times)


def main(runs: int = 20) -> None:
    reader = READERS["pdf"]
    with tempfile.TemporaryDirectory() as tmp:
        for spec in Registry(FORMS).all():
            data = example(spec.id) if (EXAMPLES / f"{spec.id}.json").exists() else {}
            blank_first, blank = _timed(lambda: render(spec, {}), runs)
            filled_first, filled = _timed(lambda: render(spec, data), runs)
            blank_path, filled_path = Path(tmp, "blank.pdf"), Path(tmp, "filled.pdf")
            blank_path.write_bytes(render(spec, {}))
            filled_path.write_bytes(render(spec, data))

            def extract() -> None:
                doc = reader.open(filled_path)
                assert reader.identity(doc) is not None
                reader.values(doc, spec)

            _first, floor = _timed(lambda: pypdf.PdfReader(filled_path).get_fields(), runs)
            _first, read = _timed(extract, runs)
            print(f"{spec.id} {spec.version} ({runs} runs, median; first call in the process in brackets)")
            print(f"  blank      generate {blank:7.1f} ms  [{blank_first:6.0f} ms]  {blank_path.stat().st_size / 1024:7.0f} KiB")
            print(f"  pre-filled generate {filled:7.1f} ms  [{filled_first:6.0f} ms]  {filled_path.stat().st_size / 1024:7.0f} KiB")
            print(f"  extract {read:6.1f} ms   bare pypdf get_fields {floor:6.1f} ms   ratio {read / floor:4.2f}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 20)
