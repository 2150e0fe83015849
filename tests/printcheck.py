"""What a printed form shows, measured on the rendered PDF: pdftotext's word boxes (``-bbox-layout``), the
ruled lines and the glyph sizes the page draws (``mutool trace``), and the page's text block (the margins the
file itself sets: Word's section, Excel's page setup, formgen's PDF page).  Each check returns the faults it
finds as short readable strings, so a failing test names the word and the page."""

from __future__ import annotations

import bisect
import re
import shutil
import subprocess
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from lxml import etree

from formgen.compile.pdf import MARGIN
from formgen.layout.linebreak import NO_LINE_START
from formgen.layout.letter import letter_text, page_of
from formgen.present import display
from formgen.spec.letter import is_letter
from formgen.spec.model import FormSpec, Group

PT_PER_MM = 72 / 25.4
PT_PER_TWIP = 1 / 20
PT_PER_INCH = 72
MIN_PT = 7.0
#: A running header or footer line (page number, form number) may stand in the top or bottom margin, but
#: no closer to the paper's edge than a printer prints.
EDGE_PT = 5 * PT_PER_MM
#: How far a box may reach over an edge or a rule before it counts: rounding of the word boxes.
SLACK_PT = 1.0


@dataclass(frozen=True)
class Word:
    text: str
    x0: float
    y0: float
    x1: float
    y1: float
    size: float = 0.0  # the smallest glyph size in the word, in pt
    base: float = 0.0  # the baseline of its glyphs

    @property
    def mid(self) -> tuple[float, float]:
        return (self.x0 + self.x1) / 2, (self.y0 + self.y1) / 2

    @property
    def em(self) -> tuple[float, float]:
        """The word's top and bottom as its type size sets them, the ideographic em box of a CJK face
        (pdftotext's box adds the font's ascent and descent, a third more than the size)."""
        if not self.size:
            return self.y0, self.y1
        return self.base - 0.88 * self.size, self.base + 0.12 * self.size


@dataclass(frozen=True)
class Line:
    words: tuple[Word, ...]

    @property
    def text(self) -> str:
        return "".join(w.text for w in self.words)

    @property
    def y0(self) -> float:
        return min(w.y0 for w in self.words)

    @property
    def y1(self) -> float:
        return max(w.y1 for w in self.words)


@dataclass
class Page:
    number: int
    width: float
    height: float
    lines: list[Line] = field(default_factory=list)
    rules: list[tuple[float, float, float, float]] = field(default_factory=list)  # x0, y0, x1, y1 (axis-aligned)

    @property
    def words(self) -> list[Word]:
        return [w for line in self.lines for w in line.words]

    @property
    def text(self) -> str:
        return "".join(line.text for line in self.lines)


@dataclass(frozen=True)
class Block:
    """The page's text block in pt from the top left: body text stays inside it."""
    left: float
    top: float
    right: float
    bottom: float


# -- rendering ------------------------------------------------------------------------

def to_pdf(sources: list[Path], outdir: Path, timeout: float = 600) -> dict[Path, Path]:
    """Convert Word and Excel files to PDF in one LibreOffice run (one start for all; the stems must differ)."""
    assert len({src.stem for src in sources}) == len(sources), "two sources would give the same PDF"
    profile = Path(tempfile.mkdtemp(prefix="formgen-print-"))
    try:
        if sources:
            subprocess.run(["soffice", f"-env:UserInstallation={profile.as_uri()}", "--headless", "--convert-to",
                            "pdf", "--outdir", str(outdir), *map(str, sources)],
                           check=True, capture_output=True, timeout=timeout)
    finally:
        shutil.rmtree(profile, ignore_errors=True)
    out = {src: outdir / f"{src.stem}.pdf" for src in sources}
    missing = [src.name for src, pdf in out.items() if not pdf.exists()]
    assert not missing, f"LibreOffice did not convert {missing}"
    return out


# -- reading the rendered pages -------------------------------------------------------

def _matrix(text: str) -> tuple[float, ...]:
    return tuple(float(v) for v in text.split())


def _apply(m: tuple[float, ...], x: float, y: float) -> tuple[float, float]:
    return m[0] * x + m[2] * y + m[4], m[1] * x + m[3] * y + m[5]


def _trace(pdf: Path) -> dict[int, tuple[list[tuple[float, float, float, float]], list[tuple[float, float, float]]]]:
    """Per page: the axis-aligned segments of every stroked path, and every glyph's (x, y, size) in device
    space (pt from the top left, as pdftotext's boxes)."""
    xml = subprocess.run(["mutool", "trace", str(pdf)], capture_output=True, check=True).stdout
    root = etree.fromstring(xml, etree.XMLParser(recover=True, huge_tree=True))
    out = {}
    for page in root.iter("page"):
        rules, glyphs = [], []
        for path in page.iter("stroke_path"):
            m = _matrix(path.get("transform", "1 0 0 1 0 0"))
            start = last = None
            for op in path:
                if op.tag == "moveto":
                    start = last = _apply(m, float(op.get("x")), float(op.get("y")))
                    continue
                if op.tag == "lineto":
                    point = _apply(m, float(op.get("x")), float(op.get("y")))
                elif op.tag == "closepath" and start is not None:
                    point = start
                else:
                    last = None
                    continue
                if last is not None and (abs(last[0] - point[0]) < 0.5 or abs(last[1] - point[1]) < 0.5):
                    rules.append((min(last[0], point[0]), min(last[1], point[1]),
                                  max(last[0], point[0]), max(last[1], point[1])))
                last = point
        for text in page.iter("fill_text", "stroke_text", "clip_text"):
            m = _matrix(text.get("transform", "1 0 0 1 0 0"))
            scale = (abs(m[0] * m[3] - m[1] * m[2])) ** 0.5
            for span in text.iter("span"):
                trm = _matrix(span.get("trm"))
                size = (abs(trm[0] * trm[3] - trm[1] * trm[2])) ** 0.5 * scale
                for g in span.iter("g"):
                    if (g.get("unicode") or " ").strip():
                        glyphs.append((*_apply(m, float(g.get("x")), float(g.get("y"))), size))
        out[int(page.get("number"))] = rules, glyphs
    return out


def pages(pdf: Path) -> list[Page]:
    """The rendered pages: lines of words (with their glyph sizes) and ruled lines."""
    xml = subprocess.run(["pdftotext", "-bbox-layout", str(pdf), "-"], capture_output=True, check=True).stdout
    root = etree.fromstring(xml, etree.XMLParser(recover=True, huge_tree=True))
    traced = _trace(pdf)
    out = []
    for n, node in enumerate(root.iter("{*}page"), start=1):
        rules, glyphs = traced.get(n, ([], []))
        glyphs.sort()
        xs = [g[0] for g in glyphs]
        page = Page(n, float(node.get("width")), float(node.get("height")), rules=rules)
        for line in node.iter("{*}line"):
            words = []
            for w in line.iter("{*}word"):
                x0, y0, x1, y1 = (float(w.get(k)) for k in ("xMin", "yMin", "xMax", "yMax"))
                near = glyphs[bisect.bisect_left(xs, x0 - 0.5):bisect.bisect_right(xs, x1)]
                inside = [(gy, s) for _gx, gy, s in near if y0 - 0.5 <= gy <= y1 + 0.5]
                words.append(Word(w.text or "", x0, y0, x1, y1, min((s for _y, s in inside), default=0.0),
                                  max((y for y, _s in inside), default=0.0)))
            if words:
                page.lines.append(Line(tuple(words)))
        out.append(page)
    return out


# -- the text block each format sets --------------------------------------------------

def block(spec: FormSpec, fmt: str, source: Path, page: Page) -> Block:
    """The text block of ``page``, from the margins the generated file sets."""
    if fmt == "pdf":
        if is_letter(spec):
            geo = page_of(spec)
            left, top, right, bottom = (v * PT_PER_MM for v in (geo.left, geo.top, geo.right, geo.bottom))
        else:
            left = top = right = bottom = MARGIN * PT_PER_MM
    elif fmt == "docx":
        with zipfile.ZipFile(source) as z:
            doc = etree.fromstring(z.read("word/document.xml"))
        mar = doc.find(".//{*}sectPr/{*}pgMar")
        get = {k.split("}")[-1]: float(v) * PT_PER_TWIP for k, v in mar.attrib.items()}
        left, top, right, bottom = get["left"], get["top"], get["right"], get["bottom"]
    else:
        with zipfile.ZipFile(source) as z:
            sheet = etree.fromstring(z.read("xl/worksheets/sheet1.xml"))
        mar = sheet.find("{*}pageMargins")
        get = {k: float(v) * PT_PER_INCH for k, v in mar.attrib.items()}
        left, top, right, bottom = get["left"], get["top"], get["right"], get["bottom"]
    return Block(left, top, page.width - right, page.height - bottom)


# -- the checks -----------------------------------------------------------------------

def _where(page: Page, word: Word) -> str:
    return f"p{page.number} {word.text!r} at ({word.x0:.0f},{word.y0:.0f})-({word.x1:.0f},{word.y1:.0f})"


def outside_block(page: Page, box: Block) -> list[str]:
    """Words over the text block's edges.  A line wholly above or below the block is a running header or
    footer and may stand there, but not within EDGE_PT of the paper's edge."""
    faults = []
    for line in page.lines:
        running = line.y1 <= box.top + SLACK_PT or line.y0 >= box.bottom - SLACK_PT
        for w in line.words:
            if w.x0 < box.left - SLACK_PT or w.x1 > box.right + SLACK_PT:
                faults.append(f"{_where(page, w)} over the side margin")
            elif running and (w.y0 < EDGE_PT or w.y1 > page.height - EDGE_PT):
                faults.append(f"{_where(page, w)} at the paper's edge")
            elif not running and (w.em[0] < box.top - SLACK_PT or w.em[1] > box.bottom + SLACK_PT):
                faults.append(f"{_where(page, w)} over the top or bottom margin")
    return faults


def across_rules(page: Page) -> list[str]:
    """Words a ruled line runs through: text that left its cell (a rule crosses its middle)."""
    faults = []
    for w in page.words:
        mx, my = w.mid
        h = w.y1 - w.y0
        for x0, y0, x1, y1 in page.rules:
            vertical = x1 - x0 < 0.5
            if vertical and w.x0 + SLACK_PT < x0 < w.x1 - SLACK_PT and y0 < my < y1:
                faults.append(f"{_where(page, w)} crossed by a column rule at x={x0:.0f}")
                break
            if not vertical and w.y0 + 0.3 * h < y0 < w.y1 - 0.3 * h and x0 < mx < x1:
                faults.append(f"{_where(page, w)} crossed by a row rule at y={y0:.0f}")
                break
    return faults


def too_small(page: Page) -> list[str]:
    return [f"{_where(page, w)} set in {w.size:.1f} pt" for w in page.words if 0 < w.size < MIN_PT - 0.05]


#: A page number as GB/T 9704 §7.5 sets it (— 1 —): a dash that opens a line by design.
PAGE_NUMBER = re.compile(r"^—\s*\d+\s*—$")


def _after_blank(page: Page, word: Word) -> bool:
    """Whether ``word`` goes on from a fill-in blank on its printed line: an underline under its baseline ends
    where the word starts.  pdftotext starts a new line after the blank's gap; the printed line does not."""
    size = word.size or (word.y1 - word.y0) / 1.33
    base = word.base or word.y1 - 0.12 * size
    return any(y1 - y0 < 0.5 and x1 - x0 > size and abs(x1 - word.x0) <= SLACK_PT
               and base - 0.1 * size <= y0 <= base + 0.4 * size for x0, y0, x1, y1 in page.rules)


def closing_starts(page: Page) -> list[str]:
    return [f"p{page.number} line {line.text[:20]!r} starts with {line.text[0]!r}"
            for line in page.lines if line.text[0] in NO_LINE_START and not PAGE_NUMBER.match(line.text)
            and not _after_blank(page, line.words[0])]


@dataclass(frozen=True)
class Value:
    address: str
    label: str  # the field's printed label
    text: str  # one paragraph of the value as printed


def values(spec: FormSpec, record: dict, fmt: str) -> list[Value]:
    """Each pre-filled value as the form prints it (a letter's Word and PDF pages write dates the letter's
    way), one entry per paragraph."""
    out = []
    shown = letter_text if is_letter(spec) and fmt != "xlsx" else display

    def add(address: str, label: str, field_, value) -> None:
        for paragraph in shown(field_, value).splitlines():
            if paragraph.strip():
                out.append(Value(address, label, paragraph.strip()))

    for item in spec.fields() + spec.groups():
        data = record
        for part in item.path:
            data = data.get(part) if isinstance(data, dict) else None
        if data is None:
            continue
        if isinstance(item, Group):
            for i, row in enumerate(data):
                for name, value in row.items():
                    column = item.column(name)
                    if column is not None and value is not None:
                        add(f"{item.address}.{i}.{name}", column.title, column, value)
        elif spec.in_total_row(item) is None:
            add(item.address, item.title, item, data)
    return out


#: A number, a date, a code or a Latin word: printed whole on one line.
WORD = re.compile(r"[0-9A-Za-z][0-9A-Za-z\-_./@:]*")


def _squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


def _fragments(page: Page) -> list[list[Word]]:
    """Each line cut where words stand more than a character apart or a column rule runs between them: the text
    of one cell of the line (a cell's text may fill it to the rule, so that the next cell's starts closer than a
    character)."""
    columns = [(x0, y0, y1) for x0, y0, x1, y1 in page.rules if x1 - x0 < 0.5]
    out = []
    for line in page.lines:
        words = sorted(line.words, key=lambda w: w.x0)
        out.append([words[0]])
        for w in words[1:]:
            before = out[-1][-1]
            middle = (w.y0 + w.y1) / 2
            ruled = any(before.x1 - SLACK_PT <= x <= w.x0 + SLACK_PT and y0 < middle < y1 for x, y0, y1 in columns)
            if ruled or w.x0 - before.x1 > max(0.6 * w.size, 3.0):
                out.append([w])
            else:
                out[-1].append(w)
    return out


def cell_texts(page: Page) -> list[str]:
    """The page's text read cell by cell: a fragment and the fragments under it that start at its left edge
    (a wrapped value), joined."""
    frags = sorted(_fragments(page), key=lambda f: (f[0].y0, f[0].x0))
    used: set[int] = set()
    texts = []
    for i, frag in enumerate(frags):
        if i in used:
            continue
        chain, last = [frag], frag
        for j in range(i + 1, len(frags)):
            nxt = frags[j]
            height = last[0].y1 - last[0].y0
            if nxt[0].y0 > last[0].y1 + height:
                break
            if j not in used and abs(nxt[0].x0 - last[0].x0) < 3 and last[0].y1 - 2 < nxt[0].y0 < last[0].y1 + height:
                chain.append(nxt)
                used.add(j)
                last = nxt
        texts.append("".join(w.text for f in chain for w in f))
    return texts


def missing_values(pages_: list[Page], expected: list[Value]) -> list[str]:
    """Values whose whole text is on no single page, read line by line or cell by cell (line breaks and
    spaces ignored)."""
    texts = [[_squash(p.text)] + [_squash(t) for t in cell_texts(p)] for p in pages_]
    faults = [f"{v.address} {v.text[:30]!r} not on any page" for v in expected
              if not any(_squash(v.text) in t for page in texts for t in page)]
    lines = [_squash(line.text) for p in pages_ for line in p.lines]
    return faults + [f"{v.address} {v.text!r} broken across lines" for v in expected
                     if WORD.fullmatch(v.text) and not any(v.text in line for line in lines)]


def label_apart(pages_: list[Page], expected: list[Value]) -> list[str]:
    """A label at the foot of a page whose value opens the next one (pre-filled forms), or a label ending
    with a colon as a page's last body line (any form)."""
    faults = []
    for page, following in zip(pages_, pages_[1:]):
        body = [line for line in page.lines if line.y1 < page.height - EDGE_PT * 3]
        if not body:
            continue
        last = _squash(body[-1].text)
        head = _squash("".join(line.text for line in following.lines[:6]))
        if last.endswith(("：", ":")):
            faults.append(f"p{page.number} ends with the label {last[-20:]!r}")
        for v in expected:
            if _squash(v.label) in last and _squash(v.text)[:8] in head and _squash(v.text) not in _squash(page.text):
                faults.append(f"p{page.number} ends with {v.label!r}, its value opens p{following.number}")
    return faults
