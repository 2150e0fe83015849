"""Read a returned Word form with zip + lxml (no DTDs, no entities, size caps).

Identity comes from the custom document properties.  Each single field's value
cell is found by the content-control tag (its address) where the tag survived
(Word, WPS), else by the compiled layout (table, row, cell, checked against
the label text): LibreOffice drops every tag on save.  Any change of layout
that makes a field's cell uncertain is reported as LAYOUT_CHANGED, never
guessed around.  A cell's value is all the text in it, so text typed beside a
control counts too; a control still showing its placeholder counts as empty.
Tracked insertions count and tracked deletions do not; comments live in
another part and are ignored; a checkbox is ticked when ``w14:checked`` says
so, whatever glyph it shows.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, BinaryIO, Callable
from zipfile import ZipFile

from lxml import etree

from formgen.coerce import Context, is_empty
from formgen.layout.docx import CHECKBOX, REQUIRED_MARK, Cell, Row, Table, layout, placeholder, widget
from formgen.layout.ooxml import (
    PROP_FORM,
    PROP_HASH,
    PROP_UNIT,
    PROP_VERSION,
    NSMAP,
    W,
    properties_of,
    qn,
    safe_parser,
    without_joiners,
)
from formgen.i18n import N_
from formgen.issues import Code, Issue
from formgen.read.guard import check_package
from formgen.record import Identity, RawValue
from formgen.spec.letter import is_letter
from formgen.spec.model import Field, FormSpec, Group

if TYPE_CHECKING:  # a letter's layout is loaded only to read a letter
    from formgen.layout.docx_letter import Part

_T, _TAB, _BR, _CR = qn("w:t"), qn("w:tab"), qn("w:br"), qn("w:cr")
_P, _SDT, _TC, _TR, _TBL = qn("w:p"), qn("w:sdt"), qn("w:tc"), qn("w:tr"), qn("w:tbl")
#: elements whose text is not the cell's: deletions, properties, field codes, the fallback of new content
_SKIPPED = ("w:del", "w:moveFrom", "w:sdtPr", "w:rPr", "w:pPr", "w:tcPr", "w:trPr", "w:instrText", "w:delText",
            "mc:Fallback")
_SKIP = {qn(n) for n in _SKIPPED}
_TC_PR, _V_MERGE, _H_MERGE = qn("w:tcPr"), qn("w:vMerge"), qn("w:hMerge")
_CHECKBOX, _CHECKED = qn("w14:checkbox"), qn("w14:checked")
_ALT_CHUNK = qn("w:altChunk")
_SDT_PR, _TAG, _VAL = qn("w:sdtPr"), qn("w:tag"), qn("w:val")
_TRUE = {"1", "true", "on"}
_BOXES = "☐☒☑■□✓✔√"


@dataclass
class Document:
    body: etree._Element
    properties: dict[str, str]
    #: whether its tables' cells may be read in one pass (:func:`_plain`)
    plain: bool = False


def _label_key(text: str) -> str:
    return "".join(text.split())


class DocxReader:
    format = "docx"

    def open(self, stream: BinaryIO, package: ZipFile | None = None) -> Document:
        """``package``: the stream's zip directory, when the format sniffer read it (see ``check_package``)."""
        package = check_package(stream, "Word (.docx)", package=package)
        xml = package["word/document.xml"]
        root = etree.fromstring(xml, safe_parser())
        properties = properties_of(package.get("docProps/custom.xml"))
        body = root.find(qn("w:body"))
        if body is None:
            raise ValueError("word/document.xml has no body")
        return Document(body, properties, _plain(xml, root))

    def identity(self, doc: Document) -> Identity | None:
        form, version = doc.properties.get(PROP_FORM), doc.properties.get(PROP_VERSION)
        if not form or not version:
            return None
        return Identity(form, version, doc.properties.get(PROP_HASH), doc.properties.get(PROP_UNIT) or None)

    def context(self, doc: Document) -> Context:
        return Context()

    def values(self, doc: Document, spec: FormSpec) -> tuple[list[RawValue], list[Issue]]:
        if is_letter(spec):
            values, issues = _LetterReading(doc.body, spec, doc.plain).run()
        else:
            values, issues = _Reading(doc.body, spec, doc.plain).run()
        # a document pasted in whole (w:altChunk) is another file inside this one: it is not read
        chunks = [Issue(Code.EXTRA_CONTENT, location=f"altChunk {n}") for n, _chunk in
                  enumerate(doc.body.iter(_ALT_CHUNK), start=1)]
        return values, issues + chunks


#: the layouts of the forms last read, by definition (a definition is not changed once loaded; the entry
#: holds it, so that its id is not reused while the entry lasts)
_LAYOUTS: dict[tuple[int, str], tuple[FormSpec, Any]] = {}


def _cached(make: Callable[[FormSpec], Any], spec: FormSpec) -> Any:
    """``make(spec)`` (``layout`` or ``parts``), computed once per definition for the last few definitions."""
    key = (id(spec), make.__name__)
    entry = _LAYOUTS.get(key)
    if entry is None or entry[0] is not spec:
        if len(_LAYOUTS) >= 64:
            del _LAYOUTS[next(iter(_LAYOUTS))]
        entry = _LAYOUTS[key] = (spec, make(spec))
    return entry[1]


class _Tagged:
    """The content controls of a body by their tag (a field's address), each list in document order.  The
    tags are found in one pass; the controls of an address are resolved when it is first asked for."""

    def __init__(self, body: etree._Element):
        self.body = body
        self.tags: dict[str, list[etree._Element]] = {}
        for tag in body.iter(_TAG):
            value = tag.get(_VAL)
            if value:
                self.tags.setdefault(value, []).append(tag)
        self.controls: dict[str, list[etree._Element]] = {}
        self.order: dict[etree._Element, int] | None = None

    def get(self, address: str) -> list[etree._Element]:
        """The controls whose tag (their first ``w:sdtPr/w:tag``) is ``address``."""
        if address not in self.controls:
            found = []
            for tag in self.tags.get(address, ()):
                pr = tag.getparent()
                sdt = pr.getparent() if pr.tag == _SDT_PR else None
                if sdt is not None and sdt.tag == _SDT and _first_tag(sdt) is tag:
                    found.append(sdt)
            if len(found) > 1:  # a control may hold another before its own properties: order them as found
                if self.order is None:
                    self.order = {sdt: i for i, sdt in enumerate(self.body.iter(_SDT))}
                found.sort(key=self.order.__getitem__)
            self.controls[address] = found
        return self.controls[address]


def _first_tag(sdt: etree._Element) -> etree._Element | None:
    """``sdt.find("w:sdtPr/w:tag")``: the first tag of the first properties that have one."""
    for pr in sdt.iterchildren(_SDT_PR):
        for tag in pr.iterchildren(_TAG):
            return tag
    return None


class _Reading:
    def __init__(self, body: etree._Element, spec: FormSpec, plain: bool = False):
        self.spec = spec
        self.body = body
        self.plain = plain
        self.tables: list[etree._Element] = list(body.iterchildren(_TBL))
        self._rows: dict[int, list[tuple[etree._Element, list[etree._Element]]]] = {}
        self.merged = _merged_cells(body)
        self.tagged = _Tagged(body)
        self._texts: list[str] | None = None
        self._places: dict[etree._Element | None, str | None] = {}
        self.values: list[RawValue] = []
        self.issues: list[Issue] = []

    def rows(self, t: int) -> list[tuple[etree._Element, list[etree._Element]]]:
        """The rows of the body's table ``t`` (from 0), each with its cells."""
        if t not in self._rows:
            self._rows[t] = [(tr, list(tr.iterchildren(_TC))) for tr in self.tables[t].iterchildren(_TR)]
        return self._rows[t]

    def texts(self, t: int) -> list[list[str]] | None:
        """The texts of the cells of table ``t`` (from 0), row by row, to be read by :func:`_shown`; None when
        the document is not :func:`_plain` or the table is small (its cells are read one by one)."""
        if not self.plain or sum(len(cells) for _tr, cells in self.rows(t)) < _ONE_PASS_CELLS:
            return None
        if self._texts is None:
            self._texts = _cell_texts(self.body)
        start = sum(len(cells) for n in range(t) for _tr, cells in self.rows(n))
        out = []
        for _tr, cells in self.rows(t):
            out.append(self._texts[start:start + len(cells)])
            start += len(cells)
        return out

    def where(self, tc: etree._Element | None) -> str | None:
        """Where a cell of one of the body's tables is (表2!R3C2); None for any other element."""
        if tc not in self._places:
            self._places[tc] = self._place(tc)
        return self._places[tc]

    def _place(self, tc: etree._Element | None) -> str | None:
        tr = tc.getparent() if tc is not None else None
        tbl = tr.getparent() if tr is not None and tr.tag == _TR else None
        if tbl is None or tbl.getparent() is not self.body or tbl.tag != _TBL:
            return None
        t = self.tables.index(tbl)
        for r, (row, cells) in enumerate(self.rows(t), start=1):
            if row is tr:
                return f"表{t + 1}!R{r}C{cells.index(tc) + 1}"
        return None

    def run(self) -> tuple[list[RawValue], list[Issue]]:
        for table in _cached(layout, self.spec).tables:
            if table.group is None:
                self._field_table(table)
            else:
                self._group_table(table)
        return self.values, self.issues

    def _changed(self, address: str, location: str, reason: str) -> None:
        self.issues.append(Issue(Code.LAYOUT_CHANGED, address, location,
                                 {"label": self.spec.labels_of(address), "reason": reason}))

    # -- single fields ---------------------------------------------------------
    def _field_table(self, table: Table) -> None:
        present = table.number <= len(self.tables)
        rows = self.rows(table.number - 1) if present else []
        for r, row in enumerate(table.rows, start=1):
            cells = rows[r - 1][1] if r <= len(rows) else None
            problem = _row_problem(cells, row.cells, self.merged) if present else N_("the table is missing")
            self._read_row(table.number, r, row, cells, problem)
        for r, (tr, _cells) in enumerate(rows[len(table.rows):], start=len(table.rows) + 1):
            if not is_empty(_cell_text(tr)):
                self.issues.append(Issue(Code.EXTRA_CONTENT, location=f"表{table.number}!R{r}"))

    def _tagged_cell(self, field: Field) -> etree._Element | None:
        """The one cell holding the controls tagged with the field's address, if the tags survived."""
        cells = {_ancestor(sdt, _TC) for sdt in self.tagged.get(field.address)}
        if len(cells) != 1:
            return None
        cell = cells.pop()
        return cell if self.where(cell) is not None else None

    def _read_field(self, field: Field, tc: etree._Element, location: str) -> None:
        if widget(field) == CHECKBOX:
            ticked = self._ticked(field, tc, location)
            if ticked is not None:
                self.values.append(RawValue(field.address, "、".join(ticked), location))
            return
        self.values.append(RawValue(field.address, _cell_text(tc, placeholder(field)), location))

    def _ticked(self, field: Field, tc: etree._Element, location: str) -> list[str] | None:
        """Labels of the ticked checkboxes; LAYOUT_CHANGED when the boxes no longer match the choices."""
        labels = field.choice_labels
        boxes, between = _checkboxes(tc)
        if len(boxes) != len(labels) or [_label_key(t.strip(_BOXES)) for t in between] != [
                _label_key(label) for label in labels]:
            self._changed(field.address, location, N_("the checkboxes were changed"))
            return None
        return [label for label, on in zip(labels, boxes) if on]

    # -- repeating rows ----------------------------------------------------------
    def _group_table(self, table: Table, blank_of=placeholder) -> None:
        group: Group = table.group
        location = f"表{table.number}!R1"
        if table.number > len(self.tables):
            self._changed(group.address, location, N_("the table is missing"))
            return
        rows = self.rows(table.number - 1)
        header = rows[0][1] if rows else None
        places = _header_places(group, header, table.rows[0].cells, self.merged)
        if places is None:
            self._changed(group.address, location, N_("the header row of the table was changed"))
            return
        self.values.append(RawValue(group.address, None, location))
        for col, c in places:
            self.values.append(RawValue(f"{group.address}.{col.name}", None, f"表{table.number}!R1C{c + 1}"))
        if table.total is not None:
            rows = rows[:-1] if rows[1:] and self._total_row(table, rows[-1][1], len(rows)) else rows
        merged = self.merged
        may_merge = {c for col, c in places if col.ann.get("span") and group.printed_only(col)}
        blanks = [(c, blank_of(col)) for col, c in places]
        names = [(c, f".{col.name}") for col, c in places]
        shown = self.texts(table.number - 1)
        index = 0
        for r, (_tr, cells) in enumerate(rows[1:], start=2):
            raw = shown[r - 1] if shown is not None else [None] * len(cells)
            texts = [_text_of(cells[c], raw[c], blank) if c < len(cells) else "" for c, blank in blanks]
            empty = [is_empty(t) for t in texts]
            if all(empty) and all(is_empty(_text_of(tc, text)) for tc, text in zip(cells, raw)):
                continue
            if len(cells) != len(header) or not merged.isdisjoint(cells) and any(
                    tc in merged and not (c in may_merge and _merged_down(tc)) for c, tc in enumerate(cells)):
                self._changed(group.address, f"表{table.number}!R{r}", N_("a cell was merged or split"))
                continue
            prefix, where = f"{group.address}.{index}", f"表{table.number}!R{r}C"
            for (c, name), text, blank in zip(names, texts, empty):
                if not blank:
                    self.values.append(RawValue(prefix + name, text, f"{where}{c + 1}"))
            index += 1

    def _total_row(self, table: Table, cells: list[etree._Element], r: int) -> bool:
        """Read the 合计 row when the table's last row is it; otherwise its fields are LAYOUT_CHANGED."""
        problem = _row_problem(cells, table.total.cells, self.merged)
        self._read_row(table.number, r, table.total, cells, problem)
        return problem is None

    def _read_row(self, number: int, r: int, row: Row, cells: list | None, problem: str | None) -> None:
        """The fields of a laid-out row: by tag where tags survived, else by cell when the row still matches
        its layout; otherwise each field is LAYOUT_CHANGED at its cell."""
        for c, cell in enumerate(row.cells):
            if cell.field is None:
                continue
            tc = self._tagged_cell(cell.field)
            if tc is None and problem:
                self._changed(cell.field.address, f"表{number}!R{r}C{c + 1}", problem)
                continue
            if tc is None:
                self._read_field(cell.field, cells[c], f"表{number}!R{r}C{c + 1}")
            else:
                self._read_field(cell.field, tc, self.where(tc))


# -- cells and text ---------------------------------------------------------------

def _ancestor(node: etree._Element, tag: str) -> etree._Element | None:
    node = node.getparent()
    while node is not None and node.tag != tag:
        node = node.getparent()
    return node


def _merged_cells(body: etree._Element) -> set[etree._Element]:
    """The cells merged with another (``w:tcPr/w:vMerge`` or ``w:hMerge``): the few merge marks are found in
    one pass, not each of the many cells searched."""
    merged = set()
    for mark in body.iter(_V_MERGE, _H_MERGE):
        pr = mark.getparent()
        if pr.tag == _TC_PR and pr.getparent().tag == _TC:
            merged.add(pr.getparent())
    return merged


def _merged_down(tc: etree._Element) -> bool:
    """A cell merged only with the cells above or below it (``w:vMerge``), as a column that spans rows prints."""
    return tc.find(f"{_TC_PR}/{_H_MERGE}") is None and tc.find(
        f"{qn('w:tcPr')}/{qn('w:gridSpan')}") is None


def _header_places(group: Group, header: list[etree._Element] | None, expected: list[Cell],
                   merged: set[etree._Element]) -> list[tuple[Field, int]] | None:
    """Each printed column of a group table and the index of its cell in a row: by place when the header is as
    laid out; else, for a table of an earlier layout of the form (its columns in another order), by the column
    titles, when every column filled in is found once (a pre-printed column may be missing); else None."""
    columns = group.shown_columns
    if not _row_problem(header, expected, merged):
        return [(col, c) for c, col in enumerate(columns)]
    if not header or not merged.isdisjoint(header):
        return None
    titles = [_label_key(_cell_text(tc)).removesuffix(REQUIRED_MARK.strip()) for tc in header]
    places = []
    for col in columns:
        found = [c for c, title in enumerate(titles) if title == _label_key(col.title)]
        if len(found) == 1:
            places.append((col, found[0]))
        elif not group.printed_only(col):
            return None
    return places


def _row_problem(cells: list[etree._Element] | None, expected: list[Cell],
                 merged: set[etree._Element]) -> str | None:
    """Why a row does not match its compiled layout, or None (``merged``: the merged cells of the body's tables).
    Grid spans are not compared: LibreOffice rebuilds the grid of a table whose rows all span the same columns."""
    if cells is None:
        return N_("the row is missing")
    if len(cells) != len(expected) or not merged.isdisjoint(cells):
        return N_("a cell was merged or split")
    for tc, cell in zip(cells, expected):
        if cell.field is None and _label_key(_cell_text(tc)) != _label_key(cell.label):
            return N_("the label next to it was changed")
    return None


def _cell_text(node: etree._Element, placeholder_text: str | None = None) -> str:
    """The text a person sees in a cell: paragraphs joined by line breaks, tracked deletions left out,
    and controls that still show ``placeholder_text`` counted as empty."""
    return "\n".join("".join(_text(p, placeholder_text)) for p in node.iter(_P))


def _text(node: etree._Element, placeholder_text: str | None, pieces: list[str] | None = None) -> list[str]:
    """The pieces of text below ``node``, in order (appended to ``pieces``; a list, not a generator: the
    cells of a long table are walked element by element)."""
    pieces = [] if pieces is None else pieces
    for child in node:
        tag = child.tag
        if tag in _SKIP or tag == _P:
            continue
        if tag == _T:
            pieces.append(without_joiners(child.text or ""))
        elif tag == _TAB:
            pieces.append("\t")
        elif tag == _BR or tag == _CR:
            pieces.append("\n")
        elif tag == _SDT and placeholder_text is not None:
            inner = "".join(_text(child, None))
            if inner != placeholder_text:
                pieces.append(inner)
        else:
            _text(child, placeholder_text, pieces)
    return pieces


def _checkboxes(tc: etree._Element) -> tuple[list[bool], list[str]]:
    """The states of the checkbox controls in a cell, and the text after each one."""
    states: list[bool] = []
    after: list[str] = []
    for p in tc.iter(_P):
        for child in p.iter(_SDT, qn("w:r")):
            if child.tag == _SDT:
                box = child.find(f"{qn('w:sdtPr')}/{_CHECKBOX}")
                if box is not None:
                    checked = box.find(_CHECKED)
                    states.append(checked is not None and checked.get(qn("w14:val"), "1").lower() in _TRUE)
                    after.append("")
            elif after and _ancestor(child, _SDT) is None and _ancestor(child, qn("w:del")) is None:
                after[-1] += "".join(_text(child, None))
    return states, after


# -- the text of every cell of the body's tables, in one pass ------------------------------------------------------

#: marks between the cells, the paragraphs of a cell and around each control of a paragraph, in the text of
#: :data:`_CELL_TEXTS_XSL` (private-use characters: a document that holds any is read cell by cell instead)
_CELL_END, _PARA, _OPEN, _CLOSE = "\ue000", "\ue001", "\ue002", "\ue003"
_STOPS = "|".join((*_SKIPPED, "w:p"))
#: :func:`_cell_text` as XSLT, run in C over every cell of the body's tables at once (libxslt through lxml): each
#: cell's paragraphs, each paragraph its pieces of text with its controls' text marked, so that a control that
#: still shows its placeholder can be left out afterwards; a ``w:t``'s text is lxml's ``.text`` (its leading text)
_CELL_TEXTS_XSL = f"""<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform"
    xmlns:w="{W}" xmlns:mc="{NSMAP['mc']}">
  <xsl:output method="text" encoding="UTF-8"/>
  <xsl:template match="/">
    <xsl:for-each select="*/w:tbl/w:tr/w:tc">
      <xsl:for-each select="descendant::w:p">
        <xsl:if test="position() != 1">{_PARA}</xsl:if>
        <xsl:apply-templates mode="top"/>
      </xsl:for-each>
      <xsl:text>{_CELL_END}</xsl:text>
    </xsl:for-each>
  </xsl:template>
  <xsl:template match="{_STOPS}" mode="top"/>
  <xsl:template match="{_STOPS}" mode="inner"/>
  <xsl:template match="w:t" mode="top"><xsl:call-template name="t"/></xsl:template>
  <xsl:template match="w:t" mode="inner"><xsl:call-template name="t"/></xsl:template>
  <xsl:template name="t">
    <xsl:for-each select="text()[not(preceding-sibling::node()[not(self::text())])]">
      <xsl:value-of select="."/>
    </xsl:for-each>
  </xsl:template>
  <xsl:template match="w:tab" mode="top"><xsl:text>&#9;</xsl:text></xsl:template>
  <xsl:template match="w:tab" mode="inner"><xsl:text>&#9;</xsl:text></xsl:template>
  <xsl:template match="w:br|w:cr" mode="top"><xsl:text>&#10;</xsl:text></xsl:template>
  <xsl:template match="w:br|w:cr" mode="inner"><xsl:text>&#10;</xsl:text></xsl:template>
  <xsl:template match="w:sdt" mode="top">
    <xsl:text>{_OPEN}</xsl:text><xsl:apply-templates mode="inner"/><xsl:text>{_CLOSE}</xsl:text>
  </xsl:template>
  <xsl:template match="*" mode="top"><xsl:apply-templates mode="top"/></xsl:template>
  <xsl:template match="*" mode="inner"><xsl:apply-templates mode="inner"/></xsl:template>
  <xsl:template match="text()|comment()|processing-instruction()" mode="top"/>
  <xsl:template match="text()|comment()|processing-instruction()" mode="inner"/>
</xsl:stylesheet>"""
_cell_texts_xslt: etree.XSLT | None = None
#: from how many cells a table is read in one pass: below, reading cell by cell costs less than the pass
_ONE_PASS_CELLS = 40


def _cell_texts(body: etree._Element) -> list[str]:
    """The text of every cell of the body's tables, as :func:`_shown` reads it, in order (table by table, row by
    row), for a body whose document :func:`_plain` says may be read so."""
    global _cell_texts_xslt
    if _cell_texts_xslt is None:  # compiled when a form with a table is first read
        _cell_texts_xslt = etree.XSLT(etree.fromstring(_CELL_TEXTS_XSL))
    return without_joiners(str(_cell_texts_xslt(body))).split(_CELL_END)  # the joiners are only in w:t's text


#: one of the marks of :data:`_CELL_TEXTS_XSL` in UTF-8 or as a character reference
_MARK = re.compile(rb"\xee\x80[\x80-\x83]|&#(?:[xX]0*[eE]00[0-3]|0*5734[4-7]);")


def _plain(xml: bytes, root: etree._Element) -> bool:
    """Whether the cells of a document (its bytes, parsed) may be read by :func:`_cell_texts`: UTF-8 without
    a document type (so without entity references, which XPath does not see and which end an element's
    ``.text``) whose text holds none of the marks."""
    info = root.getroottree().docinfo
    if not xml.startswith(b"<") or xml[1:2] == b"\0" or info.doctype or (info.encoding or "").upper() != "UTF-8":
        return False
    # a byte is searched fastest (\xee leads only U+E000-U+EFFF, which Chinese text does not use); only a
    # document with either that or a character reference is searched for the marks themselves
    return (b"\xee" not in xml and (b"&" not in xml or b"&#" not in xml)) or _MARK.search(xml) is None


def _text_of(tc: etree._Element, text: str | None, placeholder_text: str | None = None) -> str:
    """A cell's text: from its text in :func:`_cell_texts` when there is one, else from the cell itself."""
    return _cell_text(tc, placeholder_text) if text is None else _shown(text, placeholder_text)


def _shown(text: str, placeholder_text: str | None = None) -> str:
    """A cell's text from :func:`_cell_texts`, as :func:`_cell_text` gives it."""
    if _OPEN not in text:
        return text.replace(_PARA, "\n")
    paragraphs = []
    for paragraph in text.split(_PARA):
        first, *controls = paragraph.split(_OPEN)
        pieces = [first]
        for control in controls:
            inner, _close, after = control.partition(_CLOSE)
            if inner != placeholder_text:
                pieces.append(inner)
            pieces.append(after)
        paragraphs.append("".join(pieces))
    return "\n".join(paragraphs)


# -- letters ------------------------------------------------------------------------------

_LIST_PREFIX = re.compile(r"^附件[：:]\s*(\d+[.．、])?|^\s*\d+[.．、]")


@dataclass
class _Token:
    """A piece of a paragraph as found: literal text, or a control (its text, or its checkbox state)."""

    text: str
    control: etree._Element | None = None
    checked: bool | None = None


class _LetterReading(_Reading):
    """A letter is read paragraph by paragraph.  Each text block's paragraph is found by the tag of one of
    its controls (Word, WPS) or else, in order, by its paragraph style and literal text (LibreOffice drops
    tags); its values are its controls in order, checked against the literal text between them, or, when
    someone typed beside a control, the text between the literal parts when that is unambiguous.  A
    multi-line field or an attachment list is every paragraph of its style between the paragraphs found
    around it, so lines people add count.  Anything uncertain is LAYOUT_CHANGED."""

    def __init__(self, body: etree._Element, spec: FormSpec, plain: bool = False):
        from formgen.layout.docx_letter import parts

        super().__init__(body, spec, plain)
        self.parts = _cached(parts, spec)
        groups = sum(1 for part in self.parts if part.kind == "table")
        self.paragraphs: list[etree._Element] = body.findall(_P)
        for tbl in self.tables[groups:]:
            self.paragraphs.extend(tbl.iter(_P))
        self.index = {p: i for i, p in enumerate(self.paragraphs)}
        self.read: set[str] = set()  # a field printed twice (a name in the letter and its receipt) is read once

    def run(self) -> tuple[list[RawValue], list[Issue]]:
        from formgen.layout.docx_letter import blank

        anchors: dict[int, int] = {}
        cursor = 0
        for n, part in enumerate(self.parts):
            if part.kind != "text":
                continue
            found = self._find(part, cursor)
            if found is None:
                for field in part.fields:
                    self._changed(field.address, f"第{n + 1}块", N_("the paragraph was changed or removed"))
                continue
            anchors[n] = found
            cursor = found + 1
            self._read_text(part, found)
        for n, part in enumerate(self.parts):
            if part.kind == "table":
                self._group_table(part.table, blank)
            elif part.kind in ("lines", "list"):
                before = max((i for k, i in anchors.items() if k < n), default=-1)
                after = min((i for k, i in anchors.items() if k > n), default=len(self.paragraphs))
                region = [p for p in self.paragraphs[before + 1:after] if _style(p) == part.style]
                if part.kind == "lines":
                    self._read_lines(part, region)
                else:
                    self._read_list(part, region)
        return self.values, self.issues

    def _where(self, i: int) -> str:
        return f"第{i + 1}段"

    def _find(self, part: Part, start: int) -> int | None:
        for field in part.fields:
            for sdt in self.tagged.get(field.address):
                i = self.index.get(_ancestor(sdt, _P), -1)
                if i >= start and _style(self.paragraphs[i]) == part.style:
                    return i
        for i in range(start, len(self.paragraphs)):
            p = self.paragraphs[i]
            if _style(p) == part.style and _match(part, _tokens(p)) is not None:
                return i
        return None

    def _read_text(self, part: Part, i: int) -> None:
        values = _match(part, _tokens(self.paragraphs[i]))
        if values is None:
            for field in part.fields:
                self._changed(field.address, self._where(i), N_("the text around it was changed"))
            return
        for field in part.fields:
            text = values.get(field.address, "")
            if part.broken:
                text = text.replace("\n", "")
            if field.address in self.read:
                continue
            if not is_empty(text):
                self.read.add(field.address)
            self.values.append(RawValue(field.address, text, self._where(i)))

    def _read_lines(self, part: Part, region: list[etree._Element]) -> None:
        field = part.block.field
        lines = []
        for p in region:
            tokens = _tokens(p)
            if tokens and all(t.control is not None and _is_blank(field, t.text) for t in tokens):
                continue
            lines.append("".join("" if t.control is not None and _is_blank(field, t.text) else t.text
                                 for t in tokens))
        if region:
            self.values.append(RawValue(field.address, "\n".join(lines), self._where(self.index[region[0]])))

    def _read_list(self, part: Part, region: list[etree._Element]) -> None:
        group: Group = part.block.table
        if region:
            self.values.append(RawValue(group.address, None, self._where(self.index[region[0]])))
        index = 0
        for p in region:
            where = self._where(self.index[p])
            tokens = _tokens(p)
            controls = [t for t in tokens if t.control is not None]
            if len(controls) == len(group.columns):
                texts = [t.text for t in controls]
            elif len(group.columns) == 1:
                texts = [_LIST_PREFIX.sub("", "".join(t.text for t in tokens), count=1)]
            else:
                self._changed(group.address, where, N_("a cell was merged or split"))
                continue
            texts = ["" if _is_blank(col, text) else text for col, text in zip(group.columns, texts)]
            if all(is_empty(t) for t in texts):
                continue
            for col, text in zip(group.columns, texts):
                if not is_empty(text):
                    self.values.append(RawValue(f"{group.address}.{index}.{col.name}", text, where))
            index += 1


def _style(p: etree._Element) -> str | None:
    style = p.find(f"{qn('w:pPr')}/{qn('w:pStyle')}")
    return style.get(qn("w:val")) if style is not None else None


def _is_blank(field: Field, text: str) -> bool:
    from formgen.layout.docx_letter import blank

    return text in (blank(field), blank(field, True))


def _tokens(p: etree._Element) -> list[_Token]:
    tokens: list[_Token] = []
    for child in p:
        if child.tag in _SKIP:
            continue
        if child.tag == _SDT:
            box = child.find(f"{qn('w:sdtPr')}/{_CHECKBOX}")
            checked = None
            if box is not None:
                state = box.find(_CHECKED)
                checked = state is not None and state.get(qn("w14:val"), "1").lower() in _TRUE
            content = child.find(qn("w:sdtContent"))
            text = "".join(_text(content, None)) if content is not None else ""
            tokens.append(_Token(text, child, checked))
        else:
            text = "".join(_text(child, None)) if child.tag != _T else without_joiners(child.text or "")
            if text:
                if tokens and tokens[-1].control is None:
                    tokens[-1].text += text
                else:
                    tokens.append(_Token(text))
    return tokens


def _match(part: Part, tokens: list[_Token]) -> dict[str, str] | None:
    """The values of a text block's fields in a paragraph, by address, or None when it does not match: the
    controls in order with the literal text between them, text typed beside a control counting with it."""
    expected: list = [""]  # literal gaps and pieces alternating: gap, piece, gap, ..., gap
    for piece in part.pieces:
        if piece.field is None:
            expected[-1] += piece.text
        else:
            expected += [piece, ""]
    found: list = [""]
    for token in tokens:
        if token.control is None:
            found[-1] += token.text
        else:
            found += [token, ""]
    if len(found) != len(expected):
        return None if any(piece.box is not None for piece in part.pieces) else _between(part, tokens)
    shown = ["" if _is_blank(e.field, t.text) or e.box is not None else t.text
             for t, e in zip(found[1::2], expected[1::2])]
    gaps = list(zip(found[0::2], expected[0::2]))
    for i, (got, want) in enumerate(gaps):
        if _label_key(got) == _label_key(want):
            continue
        if want.strip() and got.count(want) == 1:
            before, after = got.split(want)
        elif not want.strip() and (i == 0 or i == len(gaps) - 1):
            before, after = (got, "") if i else ("", got)
        else:
            return None
        if (before and i == 0) or (after and i == len(gaps) - 1):
            return None
        if before:
            shown[i - 1] += before
        if after:
            shown[i] = after + shown[i]
    values: dict[str, str] = {}
    for token, piece, text in zip(found[1::2], expected[1::2], shown):
        field = piece.field
        if piece.box is None:
            values[field.address] = text
        elif token.checked:
            label = field.choice_labels[piece.box]
            values[field.address] = "、".join(filter(None, [values.get(field.address, ""), label]))
    return values


def _between(part: Part, tokens: list[_Token]) -> dict[str, str] | None:
    """The values as the text between the literal parts, when only one reading is possible."""
    text = "".join("" if t.control is not None and any(_is_blank(f, t.text) for f in part.fields) else t.text
                   for t in tokens)
    def pattern(group: str) -> str:
        return "".join(re.escape(piece.text) if piece.field is None else group for piece in part.pieces)

    greedy = re.fullmatch(pattern("(.*)"), text, re.S)
    lazy = re.fullmatch(pattern("(.*?)"), text, re.S)
    if greedy is None or lazy is None or greedy.groups() != lazy.groups():
        return None
    return {piece.field.address: value for piece, value in
            zip([p for p in part.pieces if p.field is not None], greedy.groups())}
