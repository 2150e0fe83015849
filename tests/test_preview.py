"""`formgen preview`: the generated files and a PNG of every page, or a message naming what to install."""

from __future__ import annotations

import os
import shutil

import pytest
from PIL import Image
from pypdf import PdfReader

from tests.conftest import EXAMPLES, run_cli


def _pages(out, stem: str) -> list[str]:
    return sorted(p.name for p in out.glob(f"{stem}-*.png"))


@pytest.mark.office
def test_preview_writes_every_format_and_a_png_of_every_page(tmp_path):
    out = tmp_path / "预览"
    result = run_cli("preview", "incident-report", "-o", str(out), "--data", str(EXAMPLES / "incident-report.json"))
    assert result.exit_code == 0, result.output
    assert {p.name for p in out.glob("incident-report.*")} == {"incident-report.xlsx", "incident-report.docx",
                                                                "incident-report.pdf"}
    pdf_pages = len(PdfReader(out / "incident-report.pdf").pages)
    assert _pages(out, "incident-report-pdf") == [f"incident-report-pdf-{n}.png" for n in range(1, pdf_pages + 1)]
    for fmt in ("xlsx", "docx"):
        assert _pages(out, f"incident-report-{fmt}") == [f"incident-report-{fmt}-1.png"]
    for image in out.glob("*.png"):
        width, height = Image.open(image).size
        assert abs(height / width - 297 / 210) < 0.02  # an A4 page, portrait
    lines = result.stdout.splitlines()
    assert f"{out / 'incident-report.pdf'}：共 {pdf_pages} 页：incident-report-pdf-1.png" in lines[1]


def test_preview_of_a_pdf_only_needs_pdftoppm_and_replaces_old_pages(tmp_path):
    out = tmp_path / "preview"
    out.mkdir()
    (out / "task-list-pdf-9.png").write_bytes(b"an old page")
    result = run_cli("preview", "task-list", "--format", "pdf", "-o", str(out), env={"PATH": _only(tmp_path, "pdftoppm")})
    assert result.exit_code == 0, result.output
    count = len(PdfReader(out / "task-list.pdf").pages)
    assert _pages(out, "task-list-pdf") == sorted(f"task-list-pdf-{n}.png" for n in range(1, count + 1))
    assert not (out / "task-list.xlsx").exists()


def test_a_missing_libreoffice_is_named_with_what_to_install(tmp_path):
    result = run_cli("preview", "incident-report", "-o", str(tmp_path / "p"), env={"PATH": _only(tmp_path, "pdftoppm")})
    assert result.exit_code == 2
    assert "需要 LibreOffice（程序 soffice），但本机没有安装" in result.stderr
    assert "sudo apt-get install libreoffice-calc libreoffice-writer" in result.stderr
    assert not (tmp_path / "p").exists()  # nothing written before the check


def test_a_missing_pdftoppm_is_named_with_what_to_install(tmp_path):
    result = run_cli("preview", "incident-report", "--format", "pdf", "-o", str(tmp_path / "p"), lang="en",
                     env={"PATH": _only(tmp_path, "soffice")})
    assert result.exit_code == 2
    assert "pdftoppm is needed to draw the pages as PNG images" in result.stderr
    assert "sudo apt-get install poppler-utils" in result.stderr


def _only(tmp_path, program: str) -> str:
    """A PATH holding only ``program``."""
    folder = tmp_path / f"only-{program}"
    folder.mkdir()
    os.symlink(shutil.which(program), folder / program)
    return str(folder)
