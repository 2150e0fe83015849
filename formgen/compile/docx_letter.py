"""Letters in Word: a form whose ``x-formgen.kind`` is ``letter`` printed as a finished document.

This renderer translates the letter model (``formgen.layout.letter``: the page, the
block styles, how values print, where 署名 and 成文日期 stand) into WordprocessingML;
the PDF renderer translates the same model.  The blocks of the letter become paragraphs in one
paragraph style per block style (``LetterBody``, ``LetterTitle``, ...): a text
block is one paragraph whose inline fields are inline content controls tagged
with the field's address (rich text, a dropdown for a choice, a date picker
showing ``2021年1月20日``, and a pair of 是/否 checkboxes for a yes/no field); a
multi-line field is one paragraph per line, each line a rich-text control; a
group is a bordered table with a header row, or, in the ``attachment`` style,
one ``附件：1.××××`` paragraph per row (``附件：××××`` for a single one).  An empty field shows an underlined
blank (``＿＿＿＿``) to write on.

The page follows ``x-formgen.page``: the line pitch is a line grid (``w:docGrid``),
the characters per line a character spacing; with ``GB/T 9704-2012`` the 版记 (the
trailing ``cc``/``printed`` paragraphs and their rules) sits in a floating table at
the foot of the last page (a frame in LibreOffice), and page numbers ``— 1 —``
alternate right and left.

The reader (``formgen.read.docx``) recomputes the parts (``formgen.layout.docx_letter``) from the definition.
"""

from __future__ import annotations

import copy
import datetime as dt
import math

from lxml import etree

from formgen.compile.docx_template import (
    BOX_OFF,
    BOX_ON,
    FONT_LATIN,
    _cell,
    _checkbox,
    _control,
    _font_table,
    _label_cell,
    _row,
    _settings,
    _table,
    footer_rel_id,
    package,
)
from formgen.compile.docx_template import _style as _paragraph_style
from formgen.layout.docx import DATE, DROPDOWN, TEXT, Table
from formgen.layout.docx_letter import (
    TWIPS_PER_MM,
    Part,
    Piece,
    blank,
    letter_widget,
    parts,
    style_id,
    text_width,
)
from formgen.layout.letter import (
    A4_MM,
    ISSUER_PT,
    PT_PER_MM,
    LINES_BELOW_RULE,
    RECORD_PT,
    RED_RULE_MM,
    STYLES,
    XINHAN_HEAD,
    XINHAN_RULE_MM,
    LetterPage,
    attachment_prefix,
    blank_keeps_next,
    blank_lines,
    keeps_with_signature,
    letter_head,
    letter_text,
    lines_after,
    page_of,
    signature_indents,
    style,
    text_chars,
    title_lines,
)
from formgen.layout.ooxml import JOINED, NO_BREAK, NSMAP, clean, el, qn, unbroken, whole
from formgen.paths import get_path
from formgen.present import native
from formgen.spec.model import Field, FormSpec, Group

A4_WIDTH, A4_HEIGHT = 11906, 16838

#: Fonts named the way Word users have them; LibreOffice finds the free substitutes through
#: fontconfig aliases (scripts/fontconfig/65-formgen-gbt9704.conf).
FONT_FANGSONG, FONT_XIAOBIAOSONG, FONT_HEITI, FONT_KAITI = "仿宋_GB2312", "方正小标宋简体", "黑体", "楷体_GB2312"
ROLE_FONTS = {"body": FONT_FANGSONG, "title": FONT_XIAOBIAOSONG, "heading": FONT_HEITI}
RED = "FF0000"
DATE_FORMAT = "yyyy年M月d日"
RULES = {"red-rule": ("12", RED), "thick-rule": ("8", "000000"), "thin-rule": ("4", "000000")}
JC = {"left": "both", "center": "center", "right": "right"}
#: The language of a run that word joiners hold together (zxx, no linguistic content): LibreOffice breaks text
#: in Chinese between any two characters its forbidden-character rules allow and passes over joiners there
#: (024-8612|3456 stays whole, 2021年3|月 does not); text in another language it breaks by the Unicode
#: line-breaking rules, which keep joined characters together.
JOINED_LANG = "zxx"


def twips(mm: float) -> int:
    return round(mm * TWIPS_PER_MM)


# -- the document ---------------------------------------------------------------------

def _fonts(east_asia: str) -> etree._Element:
    """Digits and Latin letters in the style's Chinese face too, as the PDF letter sets them (and as 公文 set
    in 仿宋_GB2312 usually are): a Latin face would make 2021年1月20日 wider than the PDF's."""
    return el("w:rFonts", {"w:ascii": east_asia, "w:hAnsi": east_asia, "w:eastAsia": east_asia, "w:cs": FONT_LATIN})


def _size(pt: float) -> list[etree._Element]:
    return [el("w:sz", {"w:val": str(round(pt * 2))}), el("w:szCs", {"w:val": str(round(pt * 2))})]


def _runs(text: str) -> list[etree._Element]:
    """Runs showing text, with line breaks and tabs as Word writes them."""
    run = el("w:r")
    for i, line in enumerate(text.split("\n")):
        if i:
            run.append(el("w:br"))
        for j, chunk in enumerate(line.split("\t")):
            if j:
                run.append(el("w:tab"))
            if chunk:
                run.append(el("w:t", {"xml:space": "preserve"}, text=chunk))
    return [run]


class LetterBuilder:
    def __init__(self, spec: FormSpec, data: dict | None, finished: bool | None = None):
        self.spec = spec
        self.data = data or {}
        self.filled = data is not None if finished is None else finished
        self.page = page_of(spec)
        self.pitch = round(self.page.pitch_pt * 20)
        self.em = self.page.em_pt * 20
        self.width = text_width(self.page)

    def build(self) -> bytes:
        fonts = _font_table((FONT_FANGSONG, "FangSong_GB2312", "modern"),
                            (FONT_XIAOBIAOSONG, "FZXiaoBiaoSong-B05S", "script"), (FONT_HEITI, "SimHei", "modern"),
                            (FONT_KAITI, "KaiTi_GB2312", "modern"))
        return package(self.spec, self._document(), self._styles(), _settings(el("w:evenAndOddHeaders")), fonts,
                       (self._footer("right"), self._footer("left"))
                       + ((el("w:ftr", None, el("w:p"), nsmap=NSMAP),) if self.page.xinhan else ()))

    # -- body ----------------------------------------------------------------------
    def _document(self) -> etree._Element:
        body = el("w:body")
        foot = []
        all_parts = parts(self.spec, self.page)
        indents = self._signature_indents(all_parts)
        previous = ""
        for n, part in enumerate(all_parts):
            elements = self._part(part)
            if n + 1 < len(all_parts) and part.kind in ("text", "list") \
                    and keeps_with_signature(part.block, all_parts[n + 1].block):
                for p in elements:
                    ppr = p.find("w:pPr", NSMAP)
                    ppr[0].addnext(el("w:keepLines"))
                    ppr[0].addnext(el("w:keepNext"))
            name = part.block.style
            before = max(style(name, self.page).before, lines_after(previous, name))
            if self.page.xinhan and name in XINHAN_HEAD:
                elements = self._xinhan_head(name, elements)
            elif self.page.xinhan and previous in XINHAN_HEAD and elements[0].tag == el("w:p").tag:
                _paragraph_layout(elements[0], twips(letter_head(self.page).title_top - self.page.top), None,
                                  self.em)
            elif elements and elements[0].tag == el("w:p").tag:
                _paragraph_layout(elements[0], before * self.pitch if before else None,
                                  indents.get(id(part)), self.em)
            previous = name
            (foot if part.foot else body).extend(elements)
        if foot:
            body.append(self._foot(foot))
            body.append(self._para("LetterAnchor"))
        body.append(self._section())
        _keep_joined(body)
        return el("w:document", {"mc:Ignorable": "w14"}, body, nsmap=NSMAP)

    def _xinhan_head(self, name: str, elements: list[etree._Element]) -> list[etree._Element]:
        """A 信函's mark, 发文字号 and double rules (``letter_head``) in frames at their places on page 1,
        170 mm wide and centred on the page; text runs through them."""
        head = letter_head(self.page)

        def framed(p: etree._Element, top_mm: float) -> etree._Element:
            p.find("w:pPr", NSMAP)[0].addnext(el("w:framePr", {
                "w:w": str(twips(XINHAN_RULE_MM)), "w:wrap": "through",
                "w:hAnchor": "page", "w:vAnchor": "page", "w:x": str(twips(head.top_rule.left_mm)),
                "w:y": str(twips(top_mm))}))
            return p

        if name == "issuer":  # its line as tall as the mark, so that the mark's top is the frame's
            p = framed(elements[0], head.mark_top)
            p.find("w:pPr", NSMAP).append(_exact(ISSUER_PT))
            return [p]
        if name == "doc-number":
            p = framed(elements[0], head.number_top)
            ppr = p.find("w:pPr", NSMAP)
            ppr.append(el("w:ind", {"w:right": str(twips(head.top_rule.right_mm - (A4_MM[0] - self.page.right)))}))
            ppr.append(el("w:jc", {"w:val": "right"}))
            return [p]
        out = []
        for rule in (head.top_rule, head.foot_rule):
            for centre, width in rule.lines:
                p = el("w:p", None, el("w:pPr", None, el("w:pStyle", {"w:val": style_id("red-rule")}),
                                       _border("bottom", "single", str(round(width * 8)), RED, space="0"),
                                       _exact(1)))
                out.append(framed(p, centre - (1 + width / 2) / PT_PER_MM))
        return out

    def _shown(self, part: Part) -> str:
        """The text a paragraph shows: its literal text and its values, or their blanks."""
        out = []
        for piece in part.pieces:
            if piece.field is None:
                out.append(piece.text)
            elif piece.box is None:
                out.append(letter_text(piece.field, self._value(piece.field)) or blank(piece.field))
            else:
                out.append("☐")
        return "".join(out)

    def _signature_indents(self, all_parts: list[Part]) -> dict[int, int]:
        """Right indents (twips) of a 署名 and the 成文日期 below it, placed as the letter model says."""
        out = {}
        for part, after in zip(all_parts, all_parts[1:]):
            if part.block.style == "signature" and after.block.style == "date" and part.kind == after.kind == "text":
                sig, date = signature_indents(text_chars(self._shown(part)), text_chars(self._shown(after)),
                                              self.page.chars_per_line)
                out[id(part)], out[id(after)] = round(sig * self.em), round(date * self.em)
        return out

    def _part(self, part: Part) -> list[etree._Element]:
        block = part.block
        if part.kind == "rule":
            return [self._para(part.style)]
        if part.kind == "text":
            p = self._para(part.style)
            for piece in self._title(part) if part.broken else part.pieces:
                p.extend(self._piece(piece, part.broken))
            return [p]
        if part.kind == "lines":
            return self._lines(part.style, block.field)
        if part.kind == "list":
            return self._list(part.style, block.table)
        return [self._table(part.table)]

    def _para(self, style: str) -> etree._Element:
        return el("w:p", None, el("w:pPr", None, el("w:pStyle", {"w:val": style})))

    def _foot(self, paragraphs: list[etree._Element]) -> etree._Element:
        """The 版记: a borderless one-cell table as wide as the text block, floating at the foot of the text
        block, its last rule on the block's bottom edge.  Placed from the page's left edge: LibreOffice keeps
        a floating table placed within the margins in the text flow (after the body) unless it is about 5 mm
        narrower than the text block, but floats one placed on the page."""
        width = str(self.width)
        tblpr = el("w:tblPr", None,
                   el("w:tblpPr", {"w:leftFromText": "0", "w:rightFromText": "0", "w:vertAnchor": "margin",
                                   "w:horzAnchor": "page", "w:tblpX": str(twips(self.page.left)),
                                   "w:tblpYSpec": "bottom"}),
                   el("w:tblW", {"w:w": width, "w:type": "dxa"}), el("w:tblLayout", {"w:type": "fixed"}),
                   el("w:tblCellMar", None, el("w:left", {"w:w": "0", "w:type": "dxa"}),
                      el("w:right", {"w:w": "0", "w:type": "dxa"})))
        cell = el("w:tc", None, el("w:tcPr", None, el("w:tcW", {"w:w": width, "w:type": "dxa"})), *paragraphs)
        return el("w:tbl", None, tblpr, el("w:tblGrid", None, el("w:gridCol", {"w:w": width})), el("w:tr", None, cell))

    def _value(self, field: Field):
        return get_path(self.data, field.address)

    def _title(self, part: Part) -> tuple[Piece, ...]:
        """A title of literal text with its lines broken between words, as the PDF letter breaks them."""
        if any(piece.field for piece in part.pieces):
            return part.pieces
        text = "".join(piece.text for piece in part.pieces)
        return (Piece("\n".join(title_lines(text, self.page.width_pt / self.page.title_pt))),)

    def _piece(self, piece: Piece, title: bool = False) -> list[etree._Element]:
        if piece.field is None:
            return _runs(unbroken(piece.text))
        field = piece.field
        value = self._value(field)
        if piece.box is not None:
            code = field.choices[piece.box]
            on = value is not None and value == code and type(value) is type(code)
            return [_checkbox(field.address, "1" if on else "0", BOX_ON if on else BOX_OFF)]
        return [self._control(field, field.address, value, title=title)]

    def _control(self, field: Field, tag: str, value, line: bool = False, in_row: bool = False,
                 title: bool = False) -> etree._Element:
        """An inline control showing the value, or the blank when there is none (kept whole on its line in
        running text; a blank ``line`` and a table cell's blank may break to fit); a yes/no field in a table
        row is a dropdown; a ``title``'s lines break between words (line breaks the reader takes out)."""
        kind = DROPDOWN if in_row and field.kind == "boolean" else letter_widget(field)
        text = clean(letter_text(field, value))
        if title and text:
            text = "\n".join(title_lines(text, self.page.width_pt / self.page.title_pt))
        shown = unbroken(text) or (blank(field, line) if line or in_row else whole(blank(field)))
        full_date = f"{native(field, value).isoformat()}T00:00:00Z" if kind == DATE and text and isinstance(
            native(field, value), dt.date) else None
        sdt = _control(field, kind, tag, shown, "1", content=_runs(shown)[0], date_format=DATE_FORMAT,
                       full_date=full_date)
        if text:
            flag = sdt.find(".//w:showingPlcHdr", NSMAP)
            flag.getparent().remove(flag)
        return sdt

    def _lines(self, style: str, field: Field) -> list[etree._Element]:
        text = clean(str(self._value(field) or ""))
        if not text:
            if self.filled:
                return _kept([self._line(style, field, "")])
            count = blank_lines(field)
            return _breakable([self._line(style, field, "") for _ in range(count)])
        return _kept([self._line(style, field, line) for line in text.split("\n")])

    def _line(self, style: str, field: Field, line: str) -> etree._Element:
        p = self._para(style)
        if line or not self.filled:
            p.append(self._control(field, field.address, line or None, line=True))
        return p

    def _list(self, style: str, group: Group) -> list[etree._Element]:
        rows = get_path(self.data, group.address) or []
        count = max(len(rows) if self.filled else group.blank_rows, 1)
        out = []
        for i in range(count):
            row = rows[i] if i < len(rows) and isinstance(rows[i], dict) else {}
            p = self._para(style)
            p.extend(_runs(attachment_prefix(i, count)))
            for j, col in enumerate(group.columns):
                if j:
                    p.extend(_runs("　"))
                p.append(self._control(col, f"{group.address}.{i}.{col.name}", row.get(col.name)))
            out.append(p)
        return out

    def _table(self, table: Table) -> etree._Element:
        group = table.group
        tbl = _table(table.widths)
        header = _row(self.pitch, header=True)
        for cell, width in zip(table.rows[0].cells, table.widths):
            label = _label_cell(cell.label, width, 1)
            label.find(".//w:pPr", NSMAP).insert(0, el("w:pStyle", {"w:val": "LetterCell"}))
            header.append(label)
        tbl.append(header)
        rows = get_path(self.data, group.address) or []
        count = len(rows) if self.filled and rows else max(group.blank_rows, 1)
        for i in range(count):
            row = rows[i] if i < len(rows) and isinstance(rows[i], dict) else {}
            tr = _row(self.pitch)
            for col, width in zip(group.columns, table.widths):
                p = self._para("LetterCell")
                value = row.get(col.name)
                if letter_widget(col) == TEXT:
                    p.extend(_runs(unbroken(clean(letter_text(col, value)))))
                else:
                    p.append(self._control(col, f"{group.address}.{i}.{col.name}", value, in_row=True))
                tr.append(_cell(width, 1, p))
            tbl.append(tr)
        return tbl

    # -- page ----------------------------------------------------------------------
    def _section(self) -> etree._Element:
        page = self.page
        bottom = twips(page.bottom)
        footer_at = max(bottom - twips(7) - round(RECORD_PT * 20 * 1.3), 400)
        return el("w:sectPr", None,
                  el("w:footerReference", {"w:type": "default", "r:id": footer_rel_id(0)}),
                  el("w:footerReference", {"w:type": "even", "r:id": footer_rel_id(1)}),
                  *([el("w:footerReference", {"w:type": "first", "r:id": footer_rel_id(2)})] if page.xinhan else []),
                  el("w:pgSz", {"w:w": str(A4_WIDTH), "w:h": str(A4_HEIGHT)}),
                  el("w:pgMar", {"w:top": str(twips(page.top)), "w:right": str(A4_WIDTH - twips(page.left) - self.width),
                                 "w:bottom": str(bottom), "w:left": str(twips(page.left)), "w:header": "851",
                                 "w:footer": str(footer_at), "w:gutter": "0"}),
                  el("w:cols", {"w:space": "425"}),
                  *([el("w:titlePg")] if page.xinhan else []),
                  el("w:docGrid", {"w:type": "lines", "w:linePitch": str(self.pitch)}))

    def _footer(self, side: str) -> etree._Element:
        """``— 1 —`` in 14 pt, one character in from the side."""
        indent = {"w:right" if side == "right" else "w:left": str(round(14 * 20))}
        ppr = el("w:pPr", None, el("w:pStyle", {"w:val": "LetterPageNumber"}), el("w:ind", indent),
                 el("w:jc", {"w:val": side}))
        field = [el("w:r", None, el("w:fldChar", {"w:fldCharType": "begin"})),
                 el("w:r", None, el("w:instrText", {"xml:space": "preserve"}, text=" PAGE ")),
                 el("w:r", None, el("w:fldChar", {"w:fldCharType": "separate"})),
                 el("w:r", None, el("w:t", text="1")),
                 el("w:r", None, el("w:fldChar", {"w:fldCharType": "end"}))]
        p = el("w:p", None, ppr, *_runs("— "), *field, *_runs(" —"))
        return el("w:ftr", None, p, nsmap=NSMAP)

    # -- styles ----------------------------------------------------------------------
    def _issuer_pt(self) -> float:
        """The mark in 初号, smaller when its text would not fit on one line."""
        for part in parts(self.spec, self.page):
            if part.block.style == "issuer" and part.kind == "text":
                chars = text_chars(self._shown(part))
                return min(ISSUER_PT, math.floor(self.page.width_pt / max(chars, 1)))
        return ISSUER_PT

    def _styles(self) -> etree._Element:
        page = self.page
        line = self.pitch
        em = self.em
        defaults = el("w:docDefaults", None,
                      el("w:rPrDefault", None, el("w:rPr", None, _fonts(FONT_FANGSONG), _condensed(page),
                                                  *_size(page.body_pt),
                                                  el("w:lang", {"w:val": "en-US", "w:eastAsia": "zh-CN"}))),
                      el("w:pPrDefault", None, el("w:pPr", None, el("w:widowControl"), *_no_auto_space(),
                                                  el("w:spacing", {
                          "w:before": "0", "w:after": "0", "w:line": str(line), "w:lineRule": "exact"}))))
        issuer_pt = self._issuer_pt()
        extra = {
            "issuer": ([_exact(page.line_pt(issuer_pt)), el("w:snapToGrid", {"w:val": "0"})],
                       [el("w:color", {"w:val": RED}), *_size(issuer_pt), _tracking(0)]),
            "title": ([_spacing(before=LINES_BELOW_RULE * line if page.official else 0, exact=page.line_pt(page.title_pt)),
                       el("w:snapToGrid", {"w:val": "0"})], [*_size(page.title_pt), _tracking(0)]),
            "attachment": ([el("w:contextualSpacing"),
                            el("w:ind", {"w:left": str(round(5 * em)), "w:hanging": str(round(3 * em))})], []),
            "cut-line": ([_border("top", "dashed", "6", "000000", space="12")], []),
            "cc": ([_exact(page.line_pt(RECORD_PT)), el("w:snapToGrid", {"w:val": "0"})], [*_size(RECORD_PT), _tracking(0)]),
            "printed": ([el("w:tabs", None, el("w:tab", {"w:val": "right",
                                                          "w:pos": str(self.width - round(RECORD_PT * 20))})),
                         el("w:ind", {"w:left": str(round(RECORD_PT * 20)), "w:right": str(round(RECORD_PT * 20))}),
                         _exact(page.line_pt(RECORD_PT)), el("w:snapToGrid", {"w:val": "0"})], [*_size(RECORD_PT), _tracking(0)]),
        }
        styles = [_style("Normal", "Normal", [_no_hanging()],
                         [_fonts(FONT_FANGSONG), _condensed(page), *_size(page.body_pt)], default=True)]
        for name, spec in STYLES.items():
            ppr, rpr = extra.get(name, ([], []))
            ppr = list(ppr)
            if spec.keep_next:
                ppr.append(el("w:keepNext"))
            if spec.indent and name != "attachment":
                ppr.append(el("w:ind", {"w:firstLineChars": str(spec.indent * 100),
                                        "w:firstLine": str(round(spec.indent * em))}))
            if spec.right:
                ppr.append(el("w:ind", {"w:right": str(round(spec.right * em))}))
            if name == "cc":
                ppr.append(self._cc_indent())
            ppr.append(el("w:jc", {"w:val": JC[spec.align]}))
            if spec.role != "body":
                rpr = [_fonts(ROLE_FONTS[spec.role]), *rpr]
            styles.append(_style(style_id(name), style_id(name), ppr, rpr))
        for name, (size, color) in RULES.items():
            gap = twips(RED_RULE_MM) if name == "red-rule" else 40
            styles.append(_style(style_id(name), style_id(name),
                                 [_border("bottom", "single", size, color), _exact(gap / 20),
                                  el("w:snapToGrid", {"w:val": "0"})], _size(1)))
        styles.append(_style("LetterAnchor", "LetterAnchor", [_exact(1), el("w:snapToGrid", {"w:val": "0"})],
                             _size(1)))
        styles.append(_style("LetterCell", "LetterCell", [_exact((page.body_pt - 2) * 1.3),
                                                          el("w:snapToGrid", {"w:val": "0"})],
                             [*_size(page.body_pt - 2), _tracking(0)]))
        styles.append(_style("LetterPageNumber", "LetterPageNumber", [_exact(RECORD_PT * 1.3),
                                                                      el("w:snapToGrid", {"w:val": "0"})],
                             [_fonts(FONT_FANGSONG), *_size(RECORD_PT), _tracking(0)]))
        return el("w:styles", None, defaults, *styles, nsmap=NSMAP)

    def _cc_indent(self) -> etree._Element:
        """The 抄送 (or 部内发送) line: one character in, wrapped lines aligned after its label."""
        label = next((p.text for p in self._cc_part().pieces if p.field is None), "") if self._cc_part() else ""
        hang = round(len(label) * RECORD_PT * 20)
        one = round(RECORD_PT * 20)
        return el("w:ind", {"w:left": str(one + hang), "w:right": str(one), "w:hanging": str(hang)})

    def _cc_part(self) -> Part | None:
        return next((p for p in parts(self.spec, self.page) if p.block.style == "cc" and p.kind == "text"), None)


def _keep_joined(root: etree._Element) -> None:
    """Give every stretch of text that word joiners hold together (``formgen.layout.ooxml.unbroken``) a run of
    its own in the language ``JOINED_LANG``, with the properties of the run it was in, so that LibreOffice
    keeps it on one line as Word does.  The letter's fonts are the same in any language (fontconfig aliases
    them, scripts/fontconfig); the forms' 宋体 is not, so forms keep their runs as they are."""
    run_tag, text_tag, props_tag = qn("w:r"), qn("w:t"), qn("w:rPr")
    for run in [r for r in root.iter(run_tag)
                if any(NO_BREAK in (t.text or "") for t in r.iterchildren(text_tag))]:
        props = run.find(props_tag)
        out: list[etree._Element] = []

        def start(joined: bool) -> etree._Element:
            new = run.makeelement(run_tag, dict(run.attrib))
            if props is not None or joined:
                own = copy.deepcopy(props) if props is not None else run.makeelement(props_tag, {})
                if joined:
                    lang = own.find(qn("w:lang"))
                    if lang is None:
                        lang = own.makeelement(qn("w:lang"), {})
                        own.append(lang)
                    lang.set(qn("w:eastAsia"), JOINED_LANG)
                new.append(own)
            out.append(new)
            return new

        plain = None
        for child in list(run):
            if child.tag == props_tag:
                continue
            if child.tag != text_tag or NO_BREAK not in (child.text or ""):
                plain = plain if plain is not None else start(False)
                plain.append(child)
                continue
            text, at = child.text, 0
            for piece in [*JOINED.finditer(text), None]:
                before = text[at:piece.start() if piece else len(text)]
                if before:
                    plain = plain if plain is not None else start(False)
                    plain.append(_text(run, before))
                if piece:
                    start(True).append(_text(run, piece[0]))
                    plain, at = None, piece.end()
        parent = run.getparent()
        at = parent.index(run)
        parent[at:at + 1] = out


def _text(run: etree._Element, text: str) -> etree._Element:
    node = run.makeelement(qn("w:t"), {qn("xml:space"): "preserve"})
    node.text = text
    return node


def _kept(paragraphs: list[etree._Element]) -> list[etree._Element]:
    """The paragraphs of a multi-line field kept on one page, as the PDF letter's one box of it."""
    for i, p in enumerate(paragraphs):
        ppr = p.find("w:pPr", NSMAP)
        ppr[0].addnext(el("w:keepLines"))
        if i + 1 < len(paragraphs):
            ppr[0].addnext(el("w:keepNext"))
    return paragraphs


def _breakable(paragraphs: list[etree._Element]) -> list[etree._Element]:
    """The ruled lines of a blank multi-line field, which may break across pages as the PDF letter breaks them:
    each line kept with the next where the letter model says (``blank_keeps_next``)."""
    for i, p in enumerate(paragraphs):
        if blank_keeps_next(i, len(paragraphs)):
            ppr = p.find("w:pPr", NSMAP)
            ppr[0].addnext(el("w:keepNext"))
    return paragraphs


def _paragraph_layout(p: etree._Element, before: int | None, right: int | None, em: float) -> None:
    """A paragraph's own space before (twips) and right indent (twips), over its style's."""
    ppr = p.find("w:pPr", NSMAP)
    if before is not None:
        ppr.append(el("w:spacing", {"w:before": str(before)}))
    if right is not None:
        ppr.append(el("w:ind", {"w:right": str(right)}))


def _no_hanging() -> etree._Element:
    """No punctuation hanging past the right margin: the PDF letter keeps every character inside the text
    block, breaking before the character a closing ，。： follows, where LibreOffice by default hangs the mark
    in the margin.  LibreOffice reads ``w:overflowPunct`` inverted (its DOCX import sets hanging punctuation
    when the value is off, its export writes the value as ECMA-376 means it), so the value that stops it
    hanging is on; to Word that value allows hanging, which Word does for Chinese text when the element is
    absent too."""
    return el("w:overflowPunct", {"w:val": "1"})


def _no_auto_space() -> list[etree._Element]:
    """No extra space between Chinese and Latin letters or digits: the PDF letter has none, and 2021年1月20日
    reads as one date."""
    return [el("w:autoSpaceDE", {"w:val": "0"}), el("w:autoSpaceDN", {"w:val": "0"})]


def _tracking(pt: float) -> etree._Element:
    return el("w:spacing", {"w:val": str(round(pt * 20))})


def _condensed(page: LetterPage) -> etree._Element:
    """Character spacing that fits ``chars_per_line`` characters of the body size on a line (GB/T 9704: 28 of
    16 pt on 156 mm need 0.25 pt less than the em).  A character grid (``linesAndChars``) does the same in
    Word, but LibreOffice then gives every character two grid cells."""
    return el("w:spacing", {"w:val": str(math.floor(page.tracking_pt * 20))})


def _exact(pt: float) -> etree._Element:
    return el("w:spacing", {"w:line": str(round(pt * 20)), "w:lineRule": "exact"})


def _spacing(before: int = 0, after: int = 0, exact: float | None = None) -> etree._Element:
    attrs = {"w:before": str(before), "w:after": str(after)}
    if exact is not None:
        attrs.update({"w:line": str(round(exact * 20)), "w:lineRule": "exact"})
    return el("w:spacing", attrs)


def _border(side: str, kind: str, size: str, color: str, space: str = "1") -> etree._Element:
    return el("w:pBdr", None, el(f"w:{side}", {"w:val": kind, "w:sz": size, "w:space": space, "w:color": color}))


def _style(style_id_: str, name: str, ppr: list[etree._Element], rpr: list[etree._Element],
           default: bool = False) -> etree._Element:
    """A paragraph style, its properties in the order the WordprocessingML schema requires."""
    return _paragraph_style(style_id_, name, _ordered(ppr, _ORDER), _ordered(rpr, _RUN_ORDER), default=default)


_ORDER = ["keepNext", "pBdr", "tabs", "overflowPunct", "snapToGrid", "spacing", "ind", "contextualSpacing", "jc"]
_RUN_ORDER = ["rFonts", "b", "color", "spacing", "sz", "szCs"]


def _ordered(nodes: list[etree._Element], order: list[str]) -> list[etree._Element]:
    """Children in ``order`` of their local names."""
    return sorted(nodes, key=lambda n: order.index(etree.QName(n).localname))


def build_letter(spec: FormSpec, data: dict | None, finished: bool | None = None) -> bytes:
    """A letter's .docx: ``finished`` (by default, when pre-filled with data) prints clean; otherwise every empty
    field keeps its control to type into."""
    return LetterBuilder(spec, data, finished).build()
