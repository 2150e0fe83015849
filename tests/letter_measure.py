"""Measure a rendered letter from pdftotext's word boxes: the text block's edges, the body line pitch, the
characters per line, and where lines of a given text stand."""

from __future__ import annotations

import statistics
import subprocess
from dataclasses import dataclass
from pathlib import Path

from lxml import etree

MM_PER_PT = 25.4 / 72
@dataclass(frozen=True)
class TextLine:
    page: int
    text: str
    x0: float
    y0: float
    x1: float
    y1: float


def text_lines(pdf: Path) -> list[TextLine]:
    xml = subprocess.run(["pdftotext", "-bbox-layout", str(pdf), "-"], capture_output=True, check=True).stdout
    root = etree.fromstring(xml, etree.XMLParser(recover=True))
    out = []
    for n, page in enumerate(root.iter("{*}page"), start=1):
        for line in page.iter("{*}line"):
            words = list(line.iter("{*}word"))
            if not words:
                continue
            box = [float(line.get(k)) for k in ("xMin", "yMin", "xMax", "yMax")]
            out.append(TextLine(n, "".join(w.text or "" for w in words), *box))
    return out


@dataclass(frozen=True)
class Measures:
    left_mm: float
    right_mm: float  # from the page's left edge to the text block's right edge
    pitch_pt: float
    chars_per_line: int


def measure(pdf: Path, body_pt: float) -> Measures:
    """The body text's block (the lines of the most common height): the leftmost and rightmost edge of its
    lines, the median step between consecutive lines, and the characters of the longest line of full-width
    characters only."""
    every = text_lines(pdf)
    height = statistics.mode(round(line.y1 - line.y0, 1) for line in every)
    lines = [line for line in every if round(line.y1 - line.y0, 1) == height and "—" not in line.text]
    steps = [b.y0 - a.y0 for a, b in zip(lines, lines[1:])
             if a.page == b.page and body_pt < b.y0 - a.y0 < 2.2 * body_pt]
    full = [len(line.text) for line in lines if all(ord(ch) >= 0x2E80 for ch in line.text)]
    return Measures(min(line.x0 for line in lines) * MM_PER_PT, max(line.x1 for line in lines) * MM_PER_PT,
                    statistics.median(steps), max(full))
