"""Names with characters beyond GB 2312 (〇 喆 堃) typed into the incident report by a real PDF filler, and the
check that the filled file reads back exactly and that poppler draws every one of them on its page."""

from __future__ import annotations

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
