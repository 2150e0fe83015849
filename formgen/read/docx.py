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

import zipfile
from dataclasses import dataclass
from pathlib import Path

from lxml import etree

from formgen.coerce import Context, is_empty
from formgen.compile.docx_layout import CHECKBOX, Cell, Table, layout, placeholder, widget
from formgen.compile.ooxml import PROP_FORM, PROP_HASH, PROP_VERSION, custom_properties, qn, safe_parser
from formgen.i18n import N_
from formgen.issues import Code, Issue
from formgen.record import Identity, RawValue
from formgen.spec.model import Field, FormSpec, Group

MAX_DOCUMENT_BYTES = 64 * 1024 * 1024
MAX_RATIO = 200

_T, _TAB, _BR, _CR = qn("w:t"), qn("w:tab"), qn("w:br"), qn("w:cr")
_P, _SDT, _TC, _TR, _TBL = qn("w:p"), qn("w:sdt"), qn("w:tc"), qn("w:tr"), qn("w:tbl")
_SKIP = {qn(n) for n in ("w:del", "w:moveFrom", "w:sdtPr", "w:rPr", "w:pPr", "w:tcPr", "w:trPr", "w:instrText",
                         "w:delText", "mc:Fallback")}
_CHECKBOX, _CHECKED = qn("w14:checkbox"), qn("w14:checked")
_TRUE = {"1", "true", "on"}
_BOXES = "☐☒☑■□✓✔√"


class DocumentTooLarge(Exception):
    """The main part is too big, or compressed suspiciously well: not read."""


@dataclass
class Document:
    body: etree._Element
    properties: dict[str, str]


def _label_key(text: str) -> str:
    return "".join(text.split())


class DocxReader:
    format = "docx"

    def open(self, path: Path) -> Document:
        with zipfile.ZipFile(path) as zf:
            info = zf.getinfo("word/document.xml")
            if info.file_size > MAX_DOCUMENT_BYTES or info.file_size > MAX_RATIO * max(info.compress_size, 1024):
                raise DocumentTooLarge(info.file_size)
            root = etree.fromstring(zf.read(info), safe_parser())
            properties = custom_properties(zf)
        body = root.find(qn("w:body"))
        if body is None:
            raise ValueError("word/document.xml has no body")
        return Document(body, properties)

    def identity(self, doc: Document) -> Identity | None:
        form, version = doc.properties.get(PROP_FORM), doc.properties.get(PROP_VERSION)
        if not form or not version:
            return None
        return Identity(form, version, doc.properties.get(PROP_HASH))

    def context(self, doc: Document) -> Context:
        return Context()

    def values(self, doc: Document, spec: FormSpec) -> tuple[list[RawValue], list[Issue]]:
        return _Reading(doc.body, spec).run()


class _Reading:
    def __init__(self, body: etree._Element, spec: FormSpec):
        self.spec = spec
        self.tables = body.findall(_TBL)
        self.where: dict[etree._Element, str] = {}
        for t, tbl in enumerate(self.tables, start=1):
            for r, tr in enumerate(tbl.findall(_TR), start=1):
                for c, tc in enumerate(tr.findall(_TC), start=1):
                    self.where[tc] = f"表{t}!R{r}C{c}"
        self.tagged: dict[str, list[etree._Element]] = {}
        for sdt in body.iter(_SDT):
            tag = sdt.find(f"{qn('w:sdtPr')}/{qn('w:tag')}")
            if tag is not None and tag.get(qn("w:val")):
                self.tagged.setdefault(tag.get(qn("w:val")), []).append(sdt)
        self.values: list[RawValue] = []
        self.issues: list[Issue] = []

    def run(self) -> tuple[list[RawValue], list[Issue]]:
        for table in layout(self.spec).tables:
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
        tbl = self.tables[table.number - 1] if table.number <= len(self.tables) else None
        rows = tbl.findall(_TR) if tbl is not None else []
        for r, row in enumerate(table.rows, start=1):
            cells = rows[r - 1].findall(_TC) if r <= len(rows) else None
            problem = _row_problem(cells, row.cells) if tbl is not None else N_("the table is missing")
            for c, cell in enumerate(row.cells):
                if cell.field is None:
                    continue
                tc = self._tagged_cell(cell.field)
                if tc is None and problem:
                    self._changed(cell.field.address, f"表{table.number}!R{r}C{c + 1}", problem)
                    continue
                self._read_field(cell.field, tc if tc is not None else cells[c])
        for r, tr in enumerate(rows[len(table.rows):], start=len(table.rows) + 1):
            if not is_empty(_cell_text(tr)):
                self.issues.append(Issue(Code.EXTRA_CONTENT, location=f"表{table.number}!R{r}"))

    def _tagged_cell(self, field: Field) -> etree._Element | None:
        """The one cell holding the controls tagged with the field's address, if the tags survived."""
        cells = {_ancestor(sdt, _TC) for sdt in self.tagged.get(field.address, [])}
        if len(cells) != 1:
            return None
        cell = cells.pop()
        return cell if cell in self.where else None

    def _read_field(self, field: Field, tc: etree._Element) -> None:
        location = self.where[tc]
        if widget(field) == CHECKBOX:
            ticked = self._ticked(field, tc, location)
            if ticked:
                self.values.append(RawValue(field.address, "、".join(ticked), location))
            return
        text = _cell_text(tc, placeholder(field))
        if not is_empty(text):
            self.values.append(RawValue(field.address, text, location))

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
    def _group_table(self, table: Table) -> None:
        group: Group = table.group
        location = f"表{table.number}!R1"
        if table.number > len(self.tables):
            self._changed(group.address, location, N_("the table is missing"))
            return
        rows = self.tables[table.number - 1].findall(_TR)
        header = rows[0].findall(_TC) if rows else None
        if _row_problem(header, table.rows[0].cells):
            self._changed(group.address, location, N_("the header row of the table was changed"))
            return
        index = 0
        for r, tr in enumerate(rows[1:], start=2):
            cells = tr.findall(_TC)
            texts = [_cell_text(tc, placeholder(col)) for tc, col in zip(cells, group.columns)]
            if all(is_empty(t) for t in texts) and all(is_empty(_cell_text(tc)) for tc in cells[len(texts):]):
                continue
            if len(cells) != len(group.columns) or any(_merged(tc) for tc in cells):
                self._changed(group.address, f"表{table.number}!R{r}", N_("a cell was merged or split"))
                continue
            for tc, col, text in zip(cells, group.columns, texts):
                if not is_empty(text):
                    self.values.append(RawValue(f"{group.address}.{index}.{col.name}", text, self.where[tc]))
            index += 1


# -- cells and text ---------------------------------------------------------------

def _ancestor(node: etree._Element, tag: str) -> etree._Element | None:
    node = node.getparent()
    while node is not None and node.tag != tag:
        node = node.getparent()
    return node


def _merged(tc: etree._Element) -> bool:
    return tc.find(f"{qn('w:tcPr')}/{qn('w:vMerge')}") is not None or tc.find(
        f"{qn('w:tcPr')}/{qn('w:hMerge')}") is not None


def _row_problem(cells: list[etree._Element] | None, expected: list[Cell]) -> str | None:
    """Why a row does not match its compiled layout, or None.  Grid spans are not compared: LibreOffice
    rebuilds the grid of a table whose rows all span the same columns."""
    if cells is None:
        return N_("the row is missing")
    if len(cells) != len(expected) or any(_merged(tc) for tc in cells):
        return N_("a cell was merged or split")
    for tc, cell in zip(cells, expected):
        if cell.field is None and _label_key(_cell_text(tc)) != _label_key(cell.label):
            return N_("the label next to it was changed")
    return None


def _cell_text(node: etree._Element, placeholder_text: str | None = None) -> str:
    """The text a person sees in a cell: paragraphs joined by line breaks, tracked deletions left out,
    and controls that still show ``placeholder_text`` counted as empty."""
    return "\n".join("".join(_text(p, placeholder_text)) for p in node.iter(_P))


def _text(node: etree._Element, placeholder_text: str | None):
    for child in node:
        tag = child.tag
        if tag in _SKIP or tag == _P:
            continue
        if tag == _T:
            yield child.text or ""
        elif tag == _TAB:
            yield "\t"
        elif tag in (_BR, _CR):
            yield "\n"
        elif tag == _SDT and placeholder_text is not None:
            inner = "".join(_text(child, None))
            if inner != placeholder_text:
                yield inner
        else:
            yield from _text(child, placeholder_text)


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
