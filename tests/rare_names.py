"""Names with characters beyond GB 2312 (〇 喆 堃) typed into the incident report by a real PDF filler, and the
check that the filled file reads back exactly and that poppler and MuPDF draw every one of them on its page."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from formgen.pipeline import process
from tests.test_pdf import _expected

SCHOOL = "沈阳市第一二〇中学"
REPORTER = "王喆玥"
BULLY = "张堃"


def assert_read_back_and_drawn(filled: Path, registry) -> None:
    result = process(filled, registry)
    expected = _expected()
    expected["data"].update(school_name=SCHOOL, reporter=REPORTER)
    expected["data"]["persons"][0]["name"] = BULLY
    assert [i.code.id for i in result.issues] == []
    assert {"form": result.form, "version": result.version, "data": result.data} == expected
    text = subprocess.run(["pdftotext", str(filled), "-"], capture_output=True, text=True, check=True).stdout
    assert [value for value in (SCHOOL, REPORTER, BULLY) if value not in text] == []
    assert blank_characters(filled, (SCHOOL, REPORTER, BULLY)) == []


DPI = 100
_WORD = re.compile(r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)</word>')


def blank_characters(pdf: Path, words: tuple[str, ...]) -> list[tuple[str, str, str]]:
    """(renderer, word, character) for each character of ``words`` (whole words of the text, as pdftotext finds
    them, on whichever page each stands) in whose place poppler's or MuPDF's rendering of its page shows no ink: a
    glyph the font drawing it lacks. The text layer holds a typed character whether or not a glyph was drawn for
    it; the pixels do not."""
    layout = subprocess.run(["pdftotext", "-bbox", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    boxes = {m[5]: (page, tuple(float(v) for v in m.groups()[:4]))
             for page, body in enumerate(layout.split("<page ")[1:], start=1) for m in _WORD.finditer(body)}
    missing = []
    for renderer, draw in (("poppler", _poppler), ("mupdf", _mupdf)):
        images: dict[int, tuple[int, int, bytes]] = {}
        for word in words:
            page, box = boxes[word]
            if page not in images:
                images[page] = draw(pdf, page)
            image = images[page]
            x0, y0, x1, y1 = (v * DPI / 72 for v in box)
            step = (x1 - x0) / len(word)
            for i, ch in enumerate(word):
                if _ink(image, x0 + i * step, y0, x0 + (i + 1) * step, y1) < 5:
                    missing.append((renderer, word, ch))
    return missing


def _poppler(pdf: Path, page: int) -> tuple[int, int, bytes]:
    return _pgm(subprocess.run(["pdftoppm", "-r", str(DPI), "-f", str(page), "-l", str(page), "-gray", str(pdf)],
                               capture_output=True, check=True).stdout)


def _mupdf(pdf: Path, page: int) -> tuple[int, int, bytes]:
    return _pgm(subprocess.run(["mutool", "draw", "-q", "-r", str(DPI), "-c", "gray", "-F", "pgm", "-o", "-",
                                str(pdf), str(page)], capture_output=True, check=True).stdout)


def _pgm(data: bytes) -> tuple[int, int, bytes]:
    """(width, height, grey bytes) of a binary PGM."""
    magic, width, height, _maxval, pixels = data.split(maxsplit=4)
    assert magic == b"P5"
    return int(width), int(height), pixels


def _ink(image: tuple[int, int, bytes], x0: float, y0: float, x1: float, y1: float) -> int:
    """How many pixels of the box are inked (darker than light grey)."""
    width, _height, pixels = image
    return sum(1 for y in range(int(y0), int(y1) + 1) for x in range(int(x0) + 1, int(x1))
               if pixels[y * width + x] < 192)
