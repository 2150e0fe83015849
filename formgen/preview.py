"""A form as pages to look at (`formgen preview`): the generated files, and a PNG of every page.

A PDF is drawn directly by ``pdftoppm`` (poppler-utils); an Excel or Word file is first printed to PDF by
LibreOffice (``soffice --headless --convert-to pdf``, with a profile of its own so that a LibreOffice the
person has open is not disturbed), as an office program would print it.  The programs are looked for before
any work starts, and a missing one is an :class:`~formgen.issues.EnvironmentProblem` naming what to install.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from formgen.i18n import N_
from formgen.issues import EnvironmentProblem

#: Dots per inch of the page images: a whole A4 page on a screen, its smallest print still legible.
DPI = 80
#: Seconds LibreOffice may take to print one file.
CONVERT_SECONDS = 180

NEEDS_SOFFICE = N_("LibreOffice (the program soffice) is needed to show Excel and Word files as pages, and it is "
                   "not installed. Install it (Debian or Ubuntu: sudo apt-get install libreoffice-calc "
                   "libreoffice-writer; Windows and macOS: from libreoffice.org), or preview only the PDF with "
                   "--format pdf.")
NEEDS_PDFTOPPM = N_("pdftoppm is needed to draw the pages as PNG images, and it is not installed. Install "
                    "poppler-utils (Debian or Ubuntu: sudo apt-get install poppler-utils; macOS: brew install "
                    "poppler).")


@dataclass
class Preview:
    """One format of a form: the file written and the image of each of its pages, in order."""

    format: str
    file: Path
    pages: list[Path]


def check_programs(formats: list[str]) -> None:
    """Stop before any work when a program the formats need is missing."""
    if shutil.which("pdftoppm") is None:
        raise EnvironmentProblem(NEEDS_PDFTOPPM)
    if any(fmt != "pdf" for fmt in formats) and shutil.which("soffice") is None:
        raise EnvironmentProblem(NEEDS_SOFFICE)


def convert(src: Path, fmt: str, outdir: Path, timeout: float = CONVERT_SECONDS) -> Path:
    """``src`` converted by LibreOffice to ``fmt`` (``pdf``, ``xlsx``, ``xls``…) in ``outdir``, with a
    LibreOffice profile of its own, removed afterwards."""
    soffice = shutil.which("soffice")
    if soffice is None:
        raise EnvironmentProblem(NEEDS_SOFFICE)
    profile = Path(tempfile.mkdtemp(prefix="formgen-conv-"))
    try:
        done = subprocess.run([soffice, f"-env:UserInstallation={profile.as_uri()}", "--headless", "--convert-to",
                               fmt, "--outdir", str(outdir), str(src)], capture_output=True, timeout=timeout,
                              check=False, start_new_session=True)
    except subprocess.TimeoutExpired:
        raise EnvironmentProblem(N_("LibreOffice took longer than {seconds} seconds to convert {file} and was "
                                    "stopped. Try again; if it happens again, check that LibreOffice starts."),
                                 seconds=timeout, file=str(src)) from None
    finally:
        shutil.rmtree(profile, ignore_errors=True)
    out = outdir / (src.stem + "." + fmt.split(":")[0])
    if done.returncode != 0 or not out.exists():
        raise EnvironmentProblem(N_("LibreOffice could not convert {file} (exit status {status}). Check that "
                                    "LibreOffice starts (soffice --version) and try again."),
                                 file=str(src), status=done.returncode)
    return out


def page_images(pdf: Path, folder: Path, stem: str, dpi: int = DPI) -> list[Path]:
    """A PNG of every page of ``pdf``, ``folder/<stem>-<n>.png``; images of an earlier preview with the same
    stem are replaced, each file as a whole."""
    pdftoppm = shutil.which("pdftoppm")
    if pdftoppm is None:
        raise EnvironmentProblem(NEEDS_PDFTOPPM)
    with tempfile.TemporaryDirectory(prefix="formgen-pages-", dir=folder) as work:
        done = subprocess.run([pdftoppm, "-r", str(dpi), "-png", str(pdf), str(Path(work) / stem)],
                              capture_output=True, check=False)
        if done.returncode != 0:
            raise EnvironmentProblem(N_("pdftoppm could not draw the pages of {file} (exit status {status})."),
                                     file=str(pdf), status=done.returncode)
        drawn = sorted(Path(work).glob(f"{stem}-*.png"), key=lambda p: int(p.stem.rpartition("-")[2]))
        for old in folder.glob(f"{stem}-*.png"):
            if old.stem.rpartition("-")[2].isdigit():
                old.unlink()
        pages = []
        for number, image in enumerate(drawn, start=1):
            target = folder / f"{stem}-{number}.png"
            os.replace(image, target)
            pages.append(target)
    return pages


def preview(file: Path, fmt: str, folder: Path, dpi: int = DPI) -> Preview:
    """The pages of the generated ``file`` (of format ``fmt``) as PNG images in ``folder``:
    ``<name>-<format>-<n>.png``."""
    stem = f"{file.stem}-{fmt}"
    if fmt == "pdf":
        return Preview(fmt, file, page_images(file, folder, stem, dpi))
    with tempfile.TemporaryDirectory(prefix="formgen-print-") as work:
        pdf = convert(file, "pdf", Path(work))
        return Preview(fmt, file, page_images(pdf, folder, stem, dpi))
