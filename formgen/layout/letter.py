"""The letter model both letter renderers translate: the page, the block styles and how values read.

A letter (``x-formgen.kind`` ``letter`` with ``x-formgen.letter`` blocks, see
``formgen.spec.letter``) is set once here and printed by the Word renderer
(``formgen.compile.docx_letter``) and the PDF renderer
(``formgen.compile.pdfletter``), so both give the same margins, line pitch and
characters per line, the same space around blocks and the same placement of
署名 and 成文日期.  The Word reader recomputes the document's shape from the same
model (``formgen.layout.docx_letter``).

With ``x-formgen.page.standard`` ``GB/T 9704-2012`` the page is the standard's:
A4, margins 37/35/28/26 mm, 3号 (16 pt) text, 22 lines of 28 characters.  Other
letters use 25 mm margins and 四号 (14 pt) text at 1.7 times its size.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from dataclasses import dataclass
from typing import Any

from formgen.present import native
from formgen.spec.letter import GBT_9704, XINHAN
from formgen.spec.model import FormSpec

A4_MM = (210.0, 297.0)
PT_PER_MM = 72 / 25.4
RECORD_PT = 14.0  # 4号: 版记 and page numbers
ISSUER_PT = 42.0  # 初号: the issuing authority's mark

#: GB/T 9704 §7.2.5 and §7.3.1: the red rule 4 mm below the line of the 发文字号, the title two empty lines
#: below the rule.
RED_RULE_MM = 4.0
LINES_BELOW_RULE = 2

#: The head blocks a 信函 sets at their fixed places, in any order in the definition.
XINHAN_HEAD = ("issuer", "doc-number", "red-rule")


@dataclass(frozen=True)
class DoubleRule:
    """A red double rule 170 mm long, centred on the page: its lines' centres (mm from the page top) and
    widths (pt), the upper line first."""

    left_mm: float
    right_mm: float
    lines: tuple[tuple[float, float], tuple[float, float]]


@dataclass(frozen=True)
class LetterHead:
    """Where a 信函's head stands, in mm from the page top: the mark's top (30 mm), the double rule below it
    (thick over thin, 4 mm under the mark), the 发文字号's top (7/8 of a 3号 character under the rule, flush
    right), the title's line two empty lines under the 发文字号, and the double rule (thin over thick) 20 mm
    above the page's foot; page 1 has no page number.  The rules' widths and their gap are this project's
    (the standard names the lines, not their widths): 2 pt and 0.75 pt, 1.5 pt apart."""

    mark_top: float
    top_rule: DoubleRule
    number_top: float
    title_top: float
    foot_rule: DoubleRule


XINHAN_RULE_MM = 170.0
THICK_PT, THIN_PT, RULE_GAP_PT = 2.0, 0.75, 1.5


def _double(centre_mm: float, thick_first: bool) -> DoubleRule:
    widths = (THICK_PT, THIN_PT) if thick_first else (THIN_PT, THICK_PT)
    first = centre_mm
    second = first + (widths[0] / 2 + RULE_GAP_PT + widths[1] / 2) / PT_PER_MM
    left = (A4_MM[0] - XINHAN_RULE_MM) / 2
    return DoubleRule(left, left + XINHAN_RULE_MM, ((first, widths[0]), (second, widths[1])))


def letter_head(page: LetterPage, issuer_pt: float = 42.0) -> LetterHead:
    """The head of a 信函 on ``page`` whose mark is set in ``issuer_pt``."""
    mark_top = 30.0
    rule = mark_top + issuer_pt / PT_PER_MM + RED_RULE_MM
    top_rule = _double(rule, True)
    number_top = top_rule.lines[1][0] + (top_rule.lines[1][1] / 2 + page.body_pt * 7 / 8) / PT_PER_MM
    title_top = number_top + (1 + LINES_BELOW_RULE) * page.pitch_pt / PT_PER_MM
    bottom = A4_MM[1] - 20.0 - (THICK_PT / 2 + RULE_GAP_PT + THIN_PT / 2) / PT_PER_MM
    return LetterHead(mark_top, top_rule, number_top, title_top, _double(bottom, False))


#: Trailing blocks in these styles are the 版记, set at the foot of the last page.
FOOT_STYLES = ("cc", "printed", "thin-rule", "thick-rule")


def letter_text(field, value: Any) -> str:
    """A value as a letter prints it: dates as 2021年1月20日, times as 2021年3月8日 16时05分 (seconds, when
    there are any, as 05秒), choices and yes/no by label.  Coercion reads each of these back."""
    shown = native(field, value)
    if shown is None:
        return ""
    if isinstance(shown, dt.datetime):
        text = f"{shown.year}年{shown.month}月{shown.day}日 {shown.hour}时{shown.minute:02d}分"
        return text + (f"{shown.second:02d}秒" if shown.second else "")
    if isinstance(shown, dt.date):
        return f"{shown.year}年{shown.month}月{shown.day}日"
    return str(shown)


# -- the page ------------------------------------------------------------------------

@dataclass(frozen=True)
class LetterPage:
    """Margins in mm, sizes and the line pitch in pt, and the characters a line holds."""

    top: float
    bottom: float
    left: float
    right: float
    body_pt: float
    title_pt: float
    pitch_pt: float
    official: bool
    xinhan: bool = False  # 信函格式 (GB/T 9704 §10.1), x-formgen.page.format "信函"

    @property
    def width_mm(self) -> float:
        return A4_MM[0] - self.left - self.right

    @property
    def width_pt(self) -> float:
        return self.width_mm * PT_PER_MM

    @property
    def lines_per_page(self) -> int:
        """The lines of body text a page holds: Word sets them on a line grid of the page's pitch, and the
        text block holds the whole lines of the grid (22 on a GB/T 9704 page)."""
        return int((A4_MM[1] - self.top - self.bottom) * PT_PER_MM / self.pitch_pt + 1e-6)

    @property
    def chars_per_line(self) -> int:
        return 28 if self.official else int(self.width_pt // self.body_pt)

    @property
    def em_pt(self) -> float:
        """One character of body text as the line spaces it: the text width over the characters per line."""
        return self.width_pt / self.chars_per_line

    @property
    def tracking_pt(self) -> float:
        """The space added after every body character so that ``chars_per_line`` fill a line."""
        return self.em_pt - self.body_pt

    def size(self, key: str) -> float:
        return {"body": self.body_pt, "title": self.title_pt, "issuer": ISSUER_PT, "record": RECORD_PT}[key]

    def line_pt(self, size: float) -> float:
        """The line pitch of text of ``size`` pt: the page's, or 1.25 times a larger size (mark, title);
        版记 lines at 1.6 times their size."""
        if size == RECORD_PT and size < self.body_pt:
            return RECORD_PT * 1.6
        return max(self.pitch_pt, size * 1.25)


def page_of(spec: FormSpec) -> LetterPage:
    ann = spec.ann.get("page", {})
    official = ann.get("standard") == GBT_9704
    default = {"top": 37, "bottom": 35, "left": 28, "right": 26} if official else dict.fromkeys(
        ("top", "bottom", "left", "right"), 25)
    margins = {**default, **ann.get("margins_mm", {})}
    body = float(ann.get("body_pt", 16 if official else 14))
    return LetterPage(*(float(margins[side]) for side in ("top", "bottom", "left", "right")), body_pt=body,
                      title_pt=float(ann.get("title_pt", 22 if official else body + 6)),
                      pitch_pt=float(ann.get("line_pitch_pt", 28.95 if official else round(body * 1.7, 2))),
                      official=official, xinhan=official and ann.get("format") == XINHAN)


# -- the block styles ------------------------------------------------------------------

@dataclass(frozen=True)
class Style:
    """How a block style prints: its font role (body 仿宋, title 小标宋, heading 黑体), its size (``body``,
    ``title``, ``issuer`` or ``record``), alignment, first-line indent and right indent in characters, and
    the empty lines before it.  ``keep_next`` keeps it on the page of the block after it."""

    role: str = "body"
    size: str = "body"
    align: str = "left"
    indent: int = 0
    right: int = 0
    before: int = 0
    keep_next: bool = False


STYLES = {
    "issuer": Style("title", "issuer", "center"),
    "doc-number": Style(align="center"),
    "title": Style("title", "title", "center", keep_next=True),
    "recipients": Style(),
    "salutation": Style(),
    "body": Style(indent=2),
    "heading": Style("heading", indent=2, keep_next=True),
    "attachment": Style(indent=2, before=1),
    "signature": Style(align="right", right=2, before=1, keep_next=True),
    "date": Style(align="right", right=2),
    "annotation": Style(indent=2),
    "cut-line": Style("heading", align="center", before=1, keep_next=True),
    "plain": Style(),
    "right": Style(align="right", right=2),
    "cc": Style(size="record"),
    "printed": Style(size="record"),
}


def style(name: str, page: LetterPage) -> Style:
    """The style of a block; on a GB/T 9704 page the 发文字号 stands two lines below the mark, in a 信函 flush
    right under the rule."""
    found = STYLES.get(name, Style())
    if name == "doc-number" and page.xinhan:
        return Style(found.role, found.size, "right")
    if name == "doc-number" and page.official:
        return Style(found.role, found.size, found.align, before=2)
    return found


def lines_after(previous: str, name: str) -> int:
    """Empty lines between a block in style ``previous`` and the next in style ``name``: one after the
    head of the letter (mark, 发文字号, title) before what follows it."""
    if previous in ("issuer", "doc-number", "title") and name not in ("title", "doc-number") \
            and not name.endswith("rule"):
        return 1
    return 0


def blank_lines(field) -> int:
    """The lines a blank multi-line field gives to write on (``x-formgen.lines``)."""
    return int(field.ann.get("lines", 3))


def blank_keeps_next(index: int, count: int) -> bool:
    """Whether line ``index`` of the ``count`` ruled lines of a blank multi-line field stays on the page of the
    line after it: the first line and the one before the last do, so that a page break in the blank leaves at
    least two lines on each side of it, as widow and orphan control leaves a paragraph's lines (three lines or
    fewer stay together)."""
    return index + 1 < count and index in (0, count - 2)


def blank_head_lines(count: int) -> int:
    """The ruled lines of a blank multi-line field that the block before it (a heading) stays with: those the
    first line's keep holds together."""
    return next(i + 1 for i in range(count) if not blank_keeps_next(i, count))


def keeps_with_signature(previous, following) -> bool:
    """Whether block ``previous`` goes to the next page with ``following`` when that is the 署名 and the
    署名 with its 成文日期 do not fit on the page: then the 署名 never stands alone on a page (GB/T 9704 §7.3.5
    keeps it with the text it signs).  A paragraph or a 附件说明 goes with it whole; a multi-line field
    or a table stays."""
    return following.style == "signature" and previous.field is None and not previous.is_rule and (
        previous.table is None or previous.style == "attachment")


def text_chars(text: str) -> float:
    """The width of text in body characters: half-width characters count one half."""
    return sum(0.5 if ord(ch) < 0x2E80 else 1.0 for ch in text)


def signature_indents(signature: float, date: float, chars_per_line: int) -> tuple[float, float]:
    """The right indents (in characters) of 署名 and 成文日期 without a seal, GB/T 9704 §7.3.5.2: the name
    two characters in from the right, the date below it starting two characters further right; when the
    date is the longer, it ends two characters in and the name starts two characters before it."""
    sig_start = chars_per_line - 2 - signature
    date_start = sig_start + 2
    if date_start + date > chars_per_line - 2:
        date_start = chars_per_line - 2 - date
        sig_start = date_start - 2
    return chars_per_line - sig_start - signature, chars_per_line - date_start - date


def attachment_prefix(index: int, count: int) -> str:
    """The literal text before the index-th (0-based) of ``count`` attachments: 附件：1. and 2. when there
    are several, 附件： alone for one (GB/T 9704 §7.3.4)."""
    number = f"{index + 1}." if count > 1 else ""
    return f"附件：{number}" if index == 0 else number


# -- titles ----------------------------------------------------------------------------

def _words(text: str) -> list[str]:
    """The words of a title as the segmenter finds them, opening marks (《“（) joined to the word after
    them and closing marks and other punctuation (》”）、) to the word before."""
    import rjieba  # loaded only for a title that needs more than one line

    words: list[str] = []
    opening = ""
    for word in rjieba.cut(text, hmm=False):
        kind = unicodedata.category(word[0]) if len(word) == 1 else ""
        if kind in ("Ps", "Pi"):
            opening += word
        elif kind in ("Pe", "Pf", "Po") and words and not opening:
            words[-1] += word
        else:
            words.append(opening + word)
            opening = ""
    if opening:
        words.append(opening)
    return words


def title_lines(text: str, chars: float) -> list[str]:
    """A title broken into lines of at most ``chars`` characters between words only (GB/T 9704 §7.3.1:
    whole words per line, lines of even length): the fewest lines, and of those the most even, the upper
    line the longer on a tie.  A word longer than a line is broken between its characters."""
    if text_chars(text) <= chars or not text.strip():
        return [text]
    words = [piece for word in _words(text) for piece in (word if text_chars(word) > chars else [word])]
    widths = [text_chars(word) for word in words]
    # best[i]: the key of the best breaking of the first i words: (lines, longest line, the line widths
    # negated so that longer upper lines sort first); cuts[i]: where its last line starts
    best: list[tuple | None] = [(0, 0.0, ())] + [None] * len(words)
    cuts = [0] * (len(words) + 1)
    for end in range(1, len(words) + 1):
        used = 0.0
        for start in range(end - 1, -1, -1):
            used += widths[start]
            if used > chars:
                break
            if best[start] is not None:
                lines, longest, shape = best[start]
                key = (lines + 1, max(longest, used), (*shape, -used))
                if best[end] is None or key < best[end]:
                    best[end], cuts[end] = key, start
    out: list[str] = []
    end = len(words)
    while end:
        out.insert(0, "".join(words[cuts[end]:end]))
        end = cuts[end]
    return out
