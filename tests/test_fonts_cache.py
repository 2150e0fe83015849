"""Font subsets cut by fontTools and kept on disk; outputs written atomically with normal permissions."""

from __future__ import annotations

import io
import os
import stat
import subprocess
from pathlib import Path

import pikepdf
import pytest
from fontTools.ttLib import TTFont

from formgen.compile import pdffonts
from formgen.fsutil import atomic_write_bytes
from tests.conftest import example

CHARS = "防范中小学生欺凌0123456789（），。"


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv(pdffonts.CACHE_ENV, str(tmp_path / "cache"))
    pdffonts.cached_subset.cache_clear()
    yield tmp_path / "cache"
    pdffonts.cached_subset.cache_clear()


def test_subset_maps_every_character_to_a_glyph_with_its_width():
    font = pdffonts.field_font()
    cut = pdffonts.subset(font, CHARS, truetype=True)
    assert set(cut.codes) == set(CHARS) and not cut.cff
    assert cut.width("欺") == 1000 and 400 < cut.width("1") < 700
    assert len(set(cut.codes.values())) == len(CHARS)  # one glyph each: codes are the subset's glyph ids
    assert cut.length < 20_000


def test_cff_subset_codes_are_the_cids():
    font = pdffonts.letter_font("title")
    if "Serif" not in font.family:
        pytest.skip("Noto Serif CJK is not installed")
    cut = pdffonts.subset(font, "通知")
    assert cut.cff and cut.width("通") == 1000
    assert min(cut.codes.values()) > 1000  # CIDs of the full font, not renumbered glyph ids


def test_cached_subset_is_written_once_and_read_back(cache, monkeypatch):
    font = pdffonts.field_font()
    made = pdffonts.cached_subset(font, CHARS, True)
    path = pdffonts.cache_file(font, CHARS, True)
    assert path.parent == cache and path.exists()
    pdffonts.cached_subset.cache_clear()
    monkeypatch.setattr(pdffonts, "subset", lambda *args: pytest.fail("cut again despite the cache"))
    assert pdffonts.cached_subset(font, CHARS, True) == made


def test_damaged_cache_file_is_rebuilt(cache):
    font = pdffonts.field_font()
    made = pdffonts.cached_subset(font, CHARS, True)
    path = pdffonts.cache_file(font, CHARS, True)
    data = bytearray(path.read_bytes())
    data[-100] ^= 0xFF
    path.write_bytes(bytes(data))
    pdffonts.cached_subset.cache_clear()
    assert pdffonts.cached_subset(font, CHARS, True) == made
    path.write_bytes(b"not a cache file")
    pdffonts.cached_subset.cache_clear()
    assert pdffonts.cached_subset(font, CHARS, True) == made
    assert path.read_bytes().split(b"\n", 1)[1] == made.data


def test_cache_key_changes_with_the_font_file(tmp_path, cache):
    copy = tmp_path / "font.ttc"
    copy.write_bytes(open(pdffonts.field_font().path, "rb").read())
    font = pdffonts.FontFile(str(copy))
    before = pdffonts.cache_file(font, CHARS, True)
    os.utime(copy, ns=(0, 0))
    assert pdffonts.cache_file(font, CHARS, True) != before
    assert pdffonts.cache_file(font, CHARS + "。", True) != pdffonts.cache_file(font, CHARS, True)


def test_atomic_output_gets_normal_permissions(tmp_path):
    old = os.umask(0o022)
    try:
        atomic_write_bytes(tmp_path / "out.pdf", b"%PDF")
        os.umask(0o027)
        atomic_write_bytes(tmp_path / "other.pdf", b"%PDF")
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "out.pdf").stat().st_mode) == 0o644
    assert stat.S_IMODE((tmp_path / "other.pdf").stat().st_mode) == 0o640
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_page_font_file_is_a_truetype_cut_with_the_fonts_glyphs_and_widths(cache):
    font = pdffonts.page_font()
    cut = pdffonts.page_font_file(font, CHARS)
    assert Path(cut.path).parent == cache and cut.index == 0
    made, whole = TTFont(cut.path), TTFont(font.path, fontNumber=font.index, lazy=True)
    assert "glyf" in made and "CFF " not in made  # fpdf2 cuts TrueType outlines ten times faster
    cmap, whole_cmap = made.getBestCmap(), whole.getBestCmap()
    assert set(map(ord, CHARS)) <= set(cmap)
    scale = made["head"].unitsPerEm / whole["head"].unitsPerEm
    for ch in CHARS:
        assert made["hmtx"][cmap[ord(ch)]][0] == whole["hmtx"][whole_cmap[ord(ch)]][0] * scale
    assert made["name"].getBestFullName() == whole["name"].getBestFullName()
    written = Path(cut.path).stat().st_mtime_ns
    assert pdffonts.page_font_file(font, CHARS) == cut and Path(cut.path).stat().st_mtime_ns == written


def test_a_page_drawing_beyond_its_cut_is_laid_out_with_the_whole_font(registry, monkeypatch, tmp_path):
    from formgen.compile import pdf

    monkeypatch.setattr(pdf, "_PAGES", {})
    monkeypatch.setattr(pdf, "_read_page", lambda path, spec: None)  # laid out, not read from the disk
    monkeypatch.setattr(pdf, "_page_chars", lambda spec: "0123456789")  # no Chinese in the cut
    out = tmp_path / "incident.pdf"
    pdf.PdfCompiler().compile(registry.get("incident-report"), example("incident-report"), out)
    text = subprocess.run(["pdftotext", str(out), "-"], capture_output=True, text=True, check=True).stdout
    assert "学生欺凌事件报告表" in text and "报告类型" in text


FRESH_PROCESS = """
import json, sys
from pathlib import Path
from formgen.compile import COMPILERS
from formgen.spec import Registry
spec = Registry(Path(sys.argv[1])).get("incident-report")
COMPILERS["pdf"].compile(spec, json.loads(Path(sys.argv[2]).read_text("utf-8")), sys.argv[3])
print(json.dumps({"fpdf": "fpdf" in sys.modules, "subset": "fontTools.subset" in sys.modules}))
"""


def test_a_page_kept_on_disk_is_read_back_by_a_new_process_without_laying_it_out(registry, tmp_path):
    import json
    import sys

    from formgen.compile import pdf
    from tests.conftest import EXAMPLES, FORMS

    spec, data = registry.get("incident-report"), example("incident-report")
    pdf._PAGES.clear()  # through the disk, whatever earlier tests laid out in this process
    pdf.PdfCompiler().compile(spec, data, tmp_path / "here.pdf")
    rows = tuple(max(g.blank_rows, len(data.get(g.address) or [])) for g in spec.groups())
    kept = pdf._page_file((spec.id, spec.version, spec.hash, rows, pdffonts.page_font(), pdffonts.field_font()))
    assert kept.is_file()
    run = [sys.executable, "-c", FRESH_PROCESS, str(FORMS), str(EXAMPLES / "incident-report.json")]
    loaded = json.loads(subprocess.run([*run, str(tmp_path / "fresh.pdf")], capture_output=True, text=True,
                                       check=True).stdout)
    assert loaded == {"fpdf": False, "subset": False}  # neither fpdf2 nor the font subsetter was loaded
    assert _undated(tmp_path / "fresh.pdf") == _undated(tmp_path / "here.pdf")
    kept.write_bytes(kept.read_bytes()[:-100])  # damaged: laid out again, and kept again
    assert pdf._read_page(kept, spec) is None
    subprocess.run([*run, str(tmp_path / "again.pdf")], check=True)
    assert pdf._read_page(kept, spec) is not None
    text = subprocess.run(["pdftotext", str(tmp_path / "again.pdf"), "-"], capture_output=True, text=True).stdout
    assert "学生欺凌事件报告表" in text and "王立新" in text


def _undated(path: Path) -> bytes:
    """The file without its creation date (the time it was made) and its random document ID, written by qpdf."""
    with pikepdf.open(path) as pdf:
        del pdf.docinfo["/CreationDate"]
        out = io.BytesIO()
        pdf.save(out, static_id=True)
    return out.getvalue()
