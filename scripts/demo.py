"""The main job, end to end, in one process: every installed form, blank and pre-filled from its example
record, in every format; then the pre-filled files are read back and validated.

One process, not one per file: the libraries, definitions, fonts and page layouts are loaded once
(``make demo`` ran 62 processes before, and starting them was most of its time).  Exit 1 when a
pre-filled form does not read back valid.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from formgen.compile import COMPILERS
from formgen.i18n import set_language
from formgen.pipeline import process
from formgen.report import REPORTERS
from formgen.spec import Registry

ROOT = Path(__file__).resolve().parents[1]
FORMATS = ("xlsx", "docx", "pdf")


def _shown(path: Path) -> str:
    return str(path.relative_to(ROOT) if path.is_relative_to(ROOT) else path)


def main(out: Path = ROOT / "output") -> int:
    set_language("zh_CN")
    registry = Registry(ROOT / "forms")
    out.mkdir(parents=True, exist_ok=True)
    filled = []
    for spec in registry.all():
        example = ROOT / "forms" / "examples" / f"{spec.id}.json"
        data = json.loads(example.read_text("utf-8")) if example.is_file() else None
        for fmt in FORMATS:
            jobs = [(out / f"{spec.id}-blank.{fmt}", None)]
            if data is not None:
                jobs.append((out / f"{spec.id}-filled.{fmt}", data))
                filled.append(jobs[-1][0])
            for path, record in jobs:
                COMPILERS[fmt].compile(spec, record, path)
                print(f"Wrote {_shown(path)}", file=sys.stderr)
    print("\n== formgen validate " + " ".join(_shown(p) for p in filled))
    results = [process(path, registry) for path in filled]
    REPORTERS["text"](sys.stdout, results)
    if not all(r.valid for r in results):
        return 1
    print(f"\nDemo done: blank and pre-filled forms are in {out}/, and every pre-filled form read back valid.")
    return 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "output"))
