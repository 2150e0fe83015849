"""Fonts for the PDF form: finding them, and cutting TrueType subsets fast.

Two fonts are used.  The *page font* draws the static page (title, labels,
grid text) through fpdf2, which subsets it itself; any CJK font works, OTF/CFF
included (Noto Serif CJK SC preferred).  The *field font* is the font of the
form fields: it sits in ``/AcroForm /DR`` and every ``/DA``, so viewers type
with it, and formgen draws the pre-filled values with it.  It must have
TrueType outlines (``glyf``): viewers reject CFF fonts as field fonts and the
standard fonts show Chinese as "????".

Both are found through fontconfig (``fc-list :lang=zh``) or configured with
``FORMGEN_PDF_FONT`` / ``FORMGEN_PDF_FIELD_FONT`` (a font file, ``file.ttc#N``
for face N of a collection, or a fontconfig family name).

The field font is embedded as a subset.  :class:`TrueType` copies the glyphs
of the wanted characters (and the components of composite glyphs) into a new,
compact font with renumbered glyphs, in a few milliseconds: fontTools'
subsetter takes 0.5 s for a handful of characters of WenQuanYi Micro Hei and
1.8 s for GB 2312, which would dominate every generated file.
"""

from __future__ import annotations

import os
import shutil
import struct
import subprocess
import sys
from array import array
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from formgen.i18n import N_
from formgen.issues import EnvironmentProblem

PAGE_FONT_ENV = "FORMGEN_PDF_FONT"
FIELD_FONT_ENV = "FORMGEN_PDF_FIELD_FONT"
PAGE_FAMILIES = ("Noto Serif CJK SC", "Source Han Serif SC", "Noto Sans CJK SC", "Source Han Sans SC",
                 "SimSun", "Songti SC")
FIELD_FAMILIES = ("WenQuanYi Micro Hei", "SimSun", "NSimSun", "Microsoft YaHei", "AR PL UMing CN",
                  "Droid Sans Fallback")


@dataclass(frozen=True)
class FontFile:
    path: str
    index: int = 0
    family: str = ""

    def __str__(self) -> str:
        return f"{self.path}#{self.index}" if self.index else self.path


# -- finding fonts -------------------------------------------------------------

@lru_cache(maxsize=1)
def _fontconfig_cjk() -> tuple[tuple[str, int, str, str], ...]:
    """(file, index, family, format) of every font fontconfig says covers Chinese, regular styles first."""
    if shutil.which("fc-list") is None:
        return ()
    out = subprocess.run(["fc-list", ":lang=zh", "-f", "%{file}|%{index}|%{family}|%{fontformat}|%{style[0]}\n"],
                         capture_output=True, text=True, check=False).stdout
    fonts = []
    for line in out.splitlines():
        parts = line.split("|")
        if len(parts) == 5 and parts[1].isdigit():
            fonts.append((parts[4] not in ("Regular", "Book", "Medium"), parts[0], int(parts[1]), parts[2], parts[3]))
    return tuple(font[1:] for font in sorted(fonts))


def _by_family(name: str, truetype: bool) -> FontFile | None:
    for path, index, families, fmt in _fontconfig_cjk():
        if truetype and fmt != "TrueType":
            continue
        if name.casefold() in (f.strip().casefold() for f in families.split(",")):
            return FontFile(path, index, name)
    return None


def _configured(value: str, env: str) -> FontFile:
    path, _, face = value.rpartition("#") if "#" in value else (value, "", "0")
    if os.path.isfile(path) and face.isdigit():
        return FontFile(path, int(face), Path(path).stem)
    found = _by_family(value, truetype=env == FIELD_FONT_ENV)
    if found is None:
        raise EnvironmentProblem(N_("The font '{font}' set in {env} was not found: give a font file, "
                                    "file.ttc#N for face N of a collection, or a family name listed by "
                                    "`fc-list :lang=zh family`."), font=value, env=env)
    return found


def field_font() -> FontFile:
    """The TrueType CJK font for the form fields."""
    value = os.environ.get(FIELD_FONT_ENV)
    font = _configured(value, FIELD_FONT_ENV) if value else None
    if font is None:
        font = next((f for f in map(lambda n: _by_family(n, True), FIELD_FAMILIES) if f), None)
    if font is None:
        font = next((FontFile(p, i, fam.split(",")[0]) for p, i, fam, fmt in _fontconfig_cjk() if fmt == "TrueType"),
                    None)
    if font is None:
        raise EnvironmentProblem(N_("No Chinese TrueType font for the PDF form fields was found (looked for {fonts}). "
                                    "Install fonts-wqy-microhei, or set {env} to a TrueType (.ttf/.ttc) font file."),
                                 fonts=", ".join(FIELD_FAMILIES), env=FIELD_FONT_ENV)
    return font


def page_font() -> FontFile:
    """The CJK font for the static page; the field font when no other is found."""
    value = os.environ.get(PAGE_FONT_ENV)
    if value:
        return _configured(value, PAGE_FONT_ENV)
    for name in PAGE_FAMILIES:
        found = _by_family(name, truetype=False)
        if found:
            return found
    return field_font()


# -- TrueType ------------------------------------------------------------------

def _u16(data: bytes, at: int) -> int:
    return struct.unpack_from(">H", data, at)[0]


def _i16(data: bytes, at: int) -> int:
    return struct.unpack_from(">h", data, at)[0]


def _u32(data: bytes, at: int) -> int:
    return struct.unpack_from(">L", data, at)[0]


U32 = "I" if array("I").itemsize == 4 else "L"


def _array(code: str, data: bytes = b"") -> array:
    """An array of big-endian unsigned integers read from ``data``."""
    out = array(code, data)
    if sys.byteorder == "little":
        out.byteswap()
    return out


def _checksum(data: bytes) -> int:
    return sum(_array(U32, data + b"\0" * (-len(data) % 4))) & 0xFFFFFFFF


ARG_WORDS, HAVE_SCALE, MORE_COMPONENTS, XY_SCALE, TWO_BY_TWO = 0x1, 0x8, 0x20, 0x40, 0x80
COPIED_TABLES = (b"OS/2", b"cvt ", b"fpgm", b"gasp", b"name", b"prep")


class TrueType:
    """One face of a .ttf/.ttc file: character map, advance widths, glyph data, subsets."""

    def __init__(self, font: FontFile):
        self.file = font
        data = Path(font.path).read_bytes()
        self.data = data
        start = 0
        if data[:4] == b"ttcf":
            count = _u32(data, 8)
            if font.index >= count:
                raise EnvironmentProblem(N_("The font file {font} has no face {index}."),
                                         font=font.path, index=font.index)
            start = _u32(data, 12 + 4 * font.index)
        self.tables: dict[bytes, tuple[int, int]] = {}
        for i in range(_u16(data, start + 4)):
            rec = start + 12 + 16 * i
            self.tables[data[rec:rec + 4]] = (_u32(data, rec + 8), _u32(data, rec + 12))
        if b"glyf" not in self.tables or b"loca" not in self.tables:
            raise EnvironmentProblem(N_("The font {font} has no TrueType outlines (it is an OpenType/CFF font); "
                                        "PDF form fields need a TrueType font such as WenQuanYi Micro Hei."),
                                     font=str(font))
        head = self.table(b"head")
        self.units = _u16(head, 18)
        self.bbox = [round(_i16(head, 36 + 2 * i) * 1000 / self.units) for i in range(4)]
        long_loca = _i16(head, 50) == 1
        hhea = self.table(b"hhea")
        self.ascent = round(_i16(hhea, 4) * 1000 / self.units)
        self.descent = round(_i16(hhea, 6) * 1000 / self.units)
        self.num_glyphs = _u16(self.table(b"maxp"), 4)
        loca = _array(U32 if long_loca else "H", self.table(b"loca"))
        self.loca = loca if long_loca else array(U32, (x * 2 for x in loca))
        hmtx = _array("H", self.table(b"hmtx")[:4 * _u16(hhea, 34)])
        self.advances = hmtx[0::2]
        self.lsbs = [x - 0x10000 if x >= 0x8000 else x for x in hmtx[1::2]]
        self.cmap = self._read_cmap()
        self.name = "".join(ch for ch in (font.family or Path(font.path).stem) if ch.isalnum()) or "Font"

    def table(self, tag: bytes) -> bytes:
        offset, length = self.tables[tag]
        return self.data[offset:offset + length]

    def advance(self, gid: int) -> int:
        return self.advances[min(gid, len(self.advances) - 1)]

    def lsb(self, gid: int) -> int:
        return self.lsbs[gid] if gid < len(self.lsbs) else 0

    def glyph(self, gid: int) -> bytes:
        offset = self.tables[b"glyf"][0]
        return self.data[offset + self.loca[gid]:offset + self.loca[gid + 1]]

    def _read_cmap(self) -> dict[int, int]:
        cmap = self.table(b"cmap")
        subtables = {}
        for i in range(_u16(cmap, 2)):
            platform, encoding, offset = struct.unpack_from(">HHL", cmap, 4 + 8 * i)
            subtables[(platform, encoding)] = offset
        for key in ((3, 10), (0, 4), (0, 6), (3, 1), (0, 3), (0, 1), (0, 0)):
            if key not in subtables:
                continue
            at = subtables[key]
            fmt = _u16(cmap, at)
            if fmt == 12:
                return self._cmap12(cmap, at)
            if fmt == 4:
                return self._cmap4(cmap, at)
        return {}

    @staticmethod
    def _cmap12(cmap: bytes, at: int) -> dict[int, int]:
        out = {}
        for i in range(_u32(cmap, at + 12)):
            first, last, gid = struct.unpack_from(">LLL", cmap, at + 16 + 12 * i)
            for code in range(first, last + 1):
                out[code] = gid + code - first
        return out

    @staticmethod
    def _cmap4(cmap: bytes, at: int) -> dict[int, int]:
        segs = _u16(cmap, at + 6) // 2
        ends, starts = at + 14, at + 16 + 2 * segs
        deltas, ranges = starts + 2 * segs, starts + 4 * segs
        out = {}
        for s in range(segs):
            end, first = _u16(cmap, ends + 2 * s), _u16(cmap, starts + 2 * s)
            delta, range_offset = _i16(cmap, deltas + 2 * s), _u16(cmap, ranges + 2 * s)
            for code in range(first, min(end, 0xFFFE) + 1):
                if range_offset == 0:
                    gid = (code + delta) & 0xFFFF
                else:
                    gid = _u16(cmap, ranges + 2 * s + range_offset + 2 * (code - first))
                    gid = (gid + delta) & 0xFFFF if gid else 0
                if gid:
                    out[code] = gid
        return out

    def _components(self, gid: int) -> list[tuple[int, int]]:
        """(offset in the glyph, component glyph id) of a composite glyph; [] for a simple one."""
        data = self.glyph(gid)
        if len(data) < 10 or _i16(data, 0) >= 0:
            return []
        out, at = [], 10
        while True:
            flags, component = _u16(data, at), _u16(data, at + 2)
            out.append((at + 2, component))
            at += 4 + (4 if flags & ARG_WORDS else 2)
            at += 2 if flags & HAVE_SCALE else 4 if flags & XY_SCALE else 8 if flags & TWO_BY_TWO else 0
            if not flags & MORE_COMPONENTS:
                return out

    def subset(self, chars: str) -> "Subset":
        """A compact font holding the glyphs of ``chars`` (those the font has)."""
        codes = sorted({ord(ch) for ch in chars if ord(ch) in self.cmap})
        order = [0]
        new_id = {0: 0}
        todo = [self.cmap[c] for c in codes]
        while todo:
            gid = todo.pop(0)
            if gid in new_id or gid >= self.num_glyphs:
                continue
            new_id[gid] = len(order)
            order.append(gid)
            todo.extend(component for _at, component in self._components(gid))
        cid = {chr(c): new_id[self.cmap[c]] for c in codes if self.cmap[c] in new_id}
        widths = [round(self.advance(g) * 1000 / self.units) for g in order]
        return Subset(self, cid, widths, self._write(order, new_id, cid))

    def _write(self, order: list[int], new_id: dict[int, int], cid: dict[str, int]) -> bytes:
        glyf = bytearray()
        loca = array(U32)
        for gid in order:
            loca.append(len(glyf))
            data = bytearray(self.glyph(gid))
            for at, component in self._components(gid):
                struct.pack_into(">H", data, at, new_id[component])
            glyf += data + b"\0" * (-len(data) % 4)
        loca.append(len(glyf))
        if sys.byteorder == "little":
            loca.byteswap()
        hmtx = b"".join(struct.pack(">Hh", self.advance(g), self.lsb(g)) for g in order)
        head = bytearray(self.table(b"head"))
        struct.pack_into(">L", head, 8, 0)
        struct.pack_into(">h", head, 50, 1)
        hhea = bytearray(self.table(b"hhea"))
        struct.pack_into(">H", hhea, 34, len(order))
        maxp = bytearray(self.table(b"maxp"))
        struct.pack_into(">H", maxp, 4, len(order))
        post = bytearray(self.table(b"post")[:32]) if b"post" in self.tables else bytearray(32)
        struct.pack_into(">L", post, 0, 0x00030000)
        groups = sorted((ord(ch), gid) for ch, gid in cid.items())
        cmap12 = struct.pack(">HHLLL", 12, 0, 16 + 12 * len(groups), 0, len(groups)) + b"".join(
            struct.pack(">LLL", code, code, gid) for code, gid in groups)
        cmap = struct.pack(">HHHHL", 0, 1, 3, 10, 12) + cmap12
        tables = {b"cmap": cmap, b"glyf": bytes(glyf), b"head": bytes(head), b"hhea": bytes(hhea),
                  b"hmtx": hmtx, b"loca": loca.tobytes(), b"maxp": bytes(maxp), b"post": bytes(post)}
        tables.update({tag: self.table(tag) for tag in COPIED_TABLES if tag in self.tables})
        return _sfnt(tables)


def _sfnt(tables: dict[bytes, bytes]) -> bytes:
    tags = sorted(tables)
    count = len(tags)
    power = 1 << (count.bit_length() - 1)
    header = struct.pack(">LHHHH", 0x00010000, count, power * 16, power.bit_length() - 1, count * 16 - power * 16)
    offset = 12 + 16 * count
    records, body = b"", b""
    for tag in tags:
        data = tables[tag]
        records += struct.pack(">4sLLL", tag, _checksum(data), offset + len(body), len(data))
        body += data + b"\0" * (-len(data) % 4)
    font = bytearray(header + records + body)
    head_at = offset + sum(len(tables[t]) + (-len(tables[t]) % 4) for t in tags[:tags.index(b"head")])
    struct.pack_into(">L", font, head_at + 8, (0xB1B0AFBA - _checksum(bytes(font))) & 0xFFFFFFFF)
    return bytes(font)


@dataclass
class Subset:
    """A subset font: which character is which glyph (CID), glyph widths in 1/1000 em, and the font file."""

    source: TrueType
    cid: dict[str, int]
    widths: list[int]
    data: bytes

    def width(self, ch: str) -> int:
        return self.widths[self.cid.get(ch, 0)]


@lru_cache(maxsize=4)
def load(font: FontFile) -> TrueType:
    return TrueType(font)
