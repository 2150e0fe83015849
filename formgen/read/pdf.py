"""Read a returned PDF form: identity from the document information, values from the AcroForm fields.

The file is opened with pikepdf (qpdf) and its AcroForm field tree walked
here (:func:`_walk`), as pypdf's ``get_fields()`` walked it, about ten times
faster: every field by its full name (the field addresses), with its type,
value, flags and whether a button is a 是/否 pair (the boxes of a multiple
choice are read by ``_read_multi``).  The pages' annotations are listed while the file
is open, for FG108 (``outside_fields``).  A yes/no field is a pair of 是/否 boxes (a radio
group with the states ``/Yes`` and ``/No``): ``/Yes`` is true, ``/No`` false,
and a pair nobody touched (``/Off``) is nothing, so a required yes/no field
left alone is reported as not filled, as in the Excel and Word forms.  A
single check box (a yes/no column of a repeating group, a letter's box) is on
when its value is anything but ``/Off``; unticked it is ``false`` for a
single field and nothing for a row, so an empty row stays empty.  Rows are numbered by their order among the
filled rows (see ``formgen.record``).

A file encrypted with an empty user password is opened; otherwise it is
FILE_ENCRYPTED.  A PDF without form fields (XFA-only, flattened, printed or
scanned) is NO_FILLABLE_FIELDS, never a form with all fields empty.
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass
from itertools import repeat
from typing import Any, BinaryIO, NamedTuple

import pikepdf

from formgen.coerce import Context, is_empty
from formgen.layout.pdf import (IDENTITY_FIELD, INFO_FORM, INFO_HASH, INFO_PAGES, INFO_UNIT, INFO_VERSION, NO,
                                continuation, continued, multi_box)
from formgen.i18n import N_
from formgen.issues import Code, Issue, Text, Unreadable, shown
from formgen.read.guard import check_pdf, check_pdf_objects
from formgen.record import Identity, RawValue
from formgen.spec.model import Field, FormSpec

# qpdf reports what it repairs in a damaged file; the sender is told by the file's issue, not by a log line
logging.getLogger("pikepdf").addHandler(logging.NullHandler())
logging.getLogger("pikepdf").propagate = False

#: how deep fields may nest, and how many a file may hold (pypdf's limits, kept when reading moved to qpdf)
FIELD_DEPTH, FIELD_ENTRIES = 100, 100_000
#: the field flag of a radio group (PDF 32000-1, 12.7.4.2.4)
RADIO = 1 << 15


class Mark(NamedTuple):
    """An annotation on a page: its kind (``/Widget``, ``/FreeText`` ...) and, for a widget, the full name of
    its field (page tools' renaming undone) and the field's value.  Immutable: the field walk's Mark of a
    widget is shared by every page that lists the widget."""

    kind: str
    name: str = ""
    value: Any = None


@dataclass
class PdfDoc:
    info: dict[str, str]  # the document information's entries, as text
    fields: dict[str, dict[str, Any]]  # full field name -> its "/FT", "/V" and whether a button is a pair, "/_Pair_"
    xfa: bool = False
    # each page's annotations, None for a page whose annotations cannot be read; None for a damaged page tree
    pages: list[list[Mark] | None] | None = None


class PdfReader:
    format = "pdf"

    def open(self, stream: BinaryIO, package: None = None) -> PdfDoc:
        """``package`` is a Word or Excel reader's (a PDF has none)."""
        check_pdf(stream)
        try:
            pdf = pikepdf.open(stream, inherit_page_attributes=False)
        except pikepdf.PasswordError:
            raise Unreadable(Issue(Code.FILE_ENCRYPTED)) from None
        with pdf:
            check_pdf_objects(len(pdf.get_xref_table()))
            acroform = pdf.Root.get("/AcroForm")
            acroform = acroform if isinstance(acroform, pikepdf.Dictionary) else None
            fields, widgets = _walk(acroform)
            doc = PdfDoc(_info(pdf), _page_tool_names(fields), acroform is not None and "/XFA" in acroform,
                         _marks(pdf, widgets))
        if not any("/FT" in f for f in doc.fields.values()):
            raise Unreadable(Issue(Code.NO_FILLABLE_FIELDS, params={
                "reason": N_("an XFA form, which formgen cannot read") if doc.xfa
                else N_("a flattened, printed or scanned PDF")}))
        return doc

    def identity(self, doc: PdfDoc) -> Identity | None:
        """From the document information, else from the hidden identity field (page tools drop the first)."""
        info = doc.info
        form, version = info.get(INFO_FORM), info.get(INFO_VERSION)
        if form and version:
            unit = info.get(INFO_UNIT, "").strip() or None
            return Identity(form, version, info.get(INFO_HASH) or None, unit)
        return _field_identity(doc.fields.get(IDENTITY_FIELD, {}).get("/V"))

    def field_names(self, doc: PdfDoc) -> set[str]:
        """The names of the file's fields (for recognising a form whose identity is gone)."""
        return {name for name, found in doc.fields.items() if "/FT" in found} - {IDENTITY_FIELD}

    def context(self, doc: PdfDoc) -> Context:
        return Context()

    def values(self, doc: PdfDoc, spec: FormSpec) -> tuple[list[RawValue], list[Issue]]:
        values: list[RawValue] = []
        issues: list[Issue] = []
        fields = doc.fields
        for field in spec.fields():
            if field.kind == "multi":
                _read_multi(field, spec, fields, values, issues)
                continue
            found = fields.get(field.address)
            if found is None or "/FT" not in found:
                issues.append(Issue(Code.LAYOUT_CHANGED, field.address, field.address, {
                    "label": spec.labels_of(field.address), "reason": N_("its PDF form field is missing")}))
                continue
            values.append(RawValue(field.address, _joined(field.address, _value(found, in_row=False), fields),
                                   field.address))
        cells = _cells(fields)
        for group in spec.groups():
            address, column = group.address, group.column
            first = next((name for name in (f"{address}.0.{c.name}" for c in group.columns) if name in fields), None)
            if first is not None:
                values.append(RawValue(address, None, first))
            rows: dict[int, list[tuple[str, str, Any]]] = {}
            for number, name_of_column, name in cells.get(address, ()):
                found = fields[name]
                if "/FT" in found and column(name_of_column) is not None:
                    value = _value(found, in_row=True)
                    if not is_empty(value):
                        rows.setdefault(int(number), []).append((name_of_column, name, value))
            # pre-printed rows keep their places (a row left empty is still that measure); other rows close up
            places = sorted(rows) if group.fixed_rows else range(len(rows))
            for index, row in zip(places, (rows[i] for i in sorted(rows))):
                for name, location, value in row:
                    values.append(RawValue(f"{address}.{index}.{name}", value, location))
        return values, issues + outside_fields(doc, spec)


def _cells(fields: dict[str, Any]) -> dict[str, list[tuple[str, str, str]]]:
    """The fields named as a row's cell (``persons.2.name``: a group's address, the row's number and a column's
    name), by the group's address, in the order of ``fields``: each row's number and column, and the field's name
    (tuples of text only, which the garbage collector stops following: a ledger has thousands)."""
    cells: dict[str, list[tuple[str, str, str]]] = {}
    for name in fields:
        row, _dot, name_of_column = name.rpartition(".")
        address, dot, number = row.rpartition(".")
        if dot and number.isdecimal() and name_of_column:  # what ``\d`` matches is what isdecimal() says
            cells.setdefault(address, []).append((number, name_of_column, name))
    return cells


def _joined(address: str, first: Any, fields: dict[str, Any]) -> Any:
    """The value of a field and its continuations on later pages (a letter's blank multi-line field broken
    across pages, ``formgen.layout.pdf.continuation``): what was typed in its boxes, a line break between
    two boxes' text."""
    parts, number = [first], 2
    while (found := fields.get(continuation(address, number))) is not None and "/FT" in found:
        parts.append(_value(found, in_row=False))
        number += 1
    typed = [str(part) for part in parts if not is_empty(part)]
    return "\n".join(typed) if len(parts) > 1 and typed else first


def _read_multi(field: Field, spec: FormSpec, fields: dict[str, Any], values: list[RawValue],
                issues: list[Issue]) -> None:
    """A multiple choice: one check box per choice (``formgen.layout.pdf.multi_box``); the labels of the
    ticked ones, joined by 、, as the Word reader gives them."""
    boxes = [fields.get(multi_box(field.address, i)) for i in range(len(field.choices))]
    if any(box is None or box.get("/FT") != "/Btn" for box in boxes):
        issues.append(Issue(Code.LAYOUT_CHANGED, field.address, field.address, {
            "label": spec.labels_of(field.address), "reason": N_("its PDF form field is missing")}))
        return
    ticked = [label for label, box in zip(field.choice_labels, boxes) if _value(box, in_row=True)]
    values.append(RawValue(field.address, "、".join(ticked), field.address))


def _info(pdf: pikepdf.Pdf) -> dict[str, str]:
    """The document information dictionary's entries as text."""
    info = pdf.trailer.get("/Info")
    if not isinstance(info, pikepdf.Dictionary):
        return {}
    return {key: str(value) for key, value in info.items()}


#: what a top field's parent gives the widgets below it: nothing (see ``_walk``)
_TOP = ((0, 0), (), None)


def _walk(acroform: pikepdf.Dictionary | None) -> tuple[dict[str, dict[str, Any]], dict[tuple[int, int], Mark]]:
    """Every field of the form's field tree by its full name (its ``/TM``, else its parents' names and its
    ``/T`` joined by dots), in the order a depth-first walk meets them; a dictionary without a name (a box's
    widget) is no field.  A field met twice is read once; a tree deeper or larger than any form's is refused.

    Also, by object, the :class:`Mark` each field and box widget met is on a page (its kind, and the name and
    value :func:`_widget_field` gives it), so that the pages' widgets are neither read nor walked up again for
    FG108: only where the walk's way down is the widget's way up (every ``/Parent`` is the field the walk came
    from, within ``_PARENT_LINKS``); the others are left to :func:`_page_marks`."""
    top = acroform.get("/Fields") if acroform is not None else None
    if not isinstance(top, pikepdf.Array):
        return {}, {}
    fields: dict[str, dict[str, Any]] = {}
    widgets: dict[tuple[int, int], Mark] = {}
    seen: set[tuple[int, int]] = set()
    # a node, its parent's full name, its depth, and what its parent gives a widget below (its object, the
    # names of the parents' chain with page tools' renaming undone, the first value up the chain), or None
    stack: list[tuple[Any, str | None, int, Any]] = [(node, None, 0, _TOP) for node in reversed(list(top))]
    if len(stack) > FIELD_ENTRIES:
        raise ValueError("too many form fields")
    entries = len(stack)
    dictionary, pop = pikepdf.Dictionary, stack.pop
    while stack:
        node, parent, depth, above = pop()
        # each read of the node is a call into qpdf: its keys once, then only the entries it has, each once
        if not isinstance(node, dictionary):
            continue
        keys = node.keys()
        if not keys:
            continue
        key = node.objgen
        if above is not None:
            if key == (0, 0) or depth >= _PARENT_LINKS:
                above = None
            elif above is _TOP:
                if "/Parent" in keys:
                    above = None
            elif "/Parent" not in keys:
                above = None
            else:
                try:  # a damaged parent is left to the page's own walk up, which says nothing of that page
                    up = node["/Parent"]
                    if not isinstance(up, dictionary) or up.objgen != above[0]:
                        above = None
                except _DAMAGED:
                    above = None
        titled = "/T" in keys
        if not titled and "/TM" not in keys:
            if above is not None and "/V" not in keys:  # a box's widget: its field's name and value
                widgets[key] = _mark(node, keys, ".".join(above[1]), above[2])
            continue
        if depth >= FIELD_DEPTH:
            raise ValueError("form fields nest too deep")
        title = str(node["/T"]) if titled else ""
        name = str(node["/TM"]) if "/TM" in keys else title if parent is None else f"{parent}.{title}"
        fields[name] = found = _field(node, keys)
        if above is not None:
            names = (*above[1], _RENAMED.sub("", title) if "+" in title else title) if titled else above[1]
            value = found.get("/V")
            above = (key, names, above[2] if value is None else value)
            widgets[key] = _mark(node, keys, ".".join(names), above[2])
        if key != (0, 0):
            if key in seen:
                continue
            seen.add(key)
        if "/Kids" in keys:
            kids = node["/Kids"]
            if isinstance(kids, pikepdf.Array):
                kids = list(kids)  # one pass through qpdf
                entries += len(kids)
                if entries > FIELD_ENTRIES:
                    raise ValueError("too many form fields")
                kids.reverse()
                stack.extend(zip(kids, repeat(name), repeat(depth + 1), repeat(above)))
    return fields, widgets


def _mark(annotation: pikepdf.Dictionary, keys: Any, name: str, value: Any) -> Mark:
    """What an annotation of the field tree is on a page (``keys``: its dictionary's keys): a widget of the field
    ``name`` holding ``value``, else an annotation of its kind."""
    kind = str(annotation["/Subtype"]) if "/Subtype" in keys else ""
    return Mark(kind, name, value) if kind == "/Widget" else Mark(kind)


def _field(node: pikepdf.Dictionary, keys: Any) -> dict[str, Any]:
    """A field's own type and value, and for a box or a radio group whether it is a 是/否 pair: whether one of
    its appearance states is ``/No`` (``keys``: the field dictionary's keys); a list's choices are not read (its
    value is the choice's text)."""
    field = {}
    if "/FT" in keys:
        field["/FT"] = _python(node["/FT"])
    if "/V" in keys:
        field["/V"] = _python(node["/V"])
    if field.get("/FT") == "/Btn":
        flags = _python(node["/Ff"]) if "/Ff" in keys else 0
        flags = flags if isinstance(flags, int) else 0
        if "/AP" in keys:
            field["/_Pair_"] = NO in _normal(node)
        elif flags & RADIO:
            # every box's appearance is checked (a box without one is damaged), the /No state only until found
            pair = False
            for kid in node.get("/Kids", []):
                normal = _normal(kid)
                pair = pair or NO in normal
            field["/_Pair_"] = pair
    return field


def _normal(widget: Any) -> pikepdf.Dictionary:
    """A box's normal appearance, by state (a box without one is damaged).  Its states are asked for one at a
    time (``NO in normal``): listing its keys would have qpdf read every state's appearance stream."""
    normal = widget.get("/AP", {}).get("/N") if isinstance(widget, pikepdf.Dictionary) else None
    if not isinstance(normal, pikepdf.Dictionary):
        raise ValueError("a box has no normal appearance")
    return normal


_TEXT = (pikepdf.String, pikepdf.Name)


def _python(value: Any) -> Any:
    """A PDF value as Python: text and names (``/Yes``) as str, arrays as lists, numbers as they are."""
    if isinstance(value, _TEXT):
        return str(value)
    if not isinstance(value, pikepdf.Object):  # numbers and booleans come as Python's
        return value
    if isinstance(value, pikepdf.Array):
        return [_python(v) for v in value]
    return str(value)  # a string, a name, or anything else read as its text


def _field_identity(value: Any) -> Identity | None:
    try:
        found = json.loads(str(value))
    except ValueError:
        return None
    if not isinstance(found, dict) or not all(isinstance(found.get(k), str) and found[k] for k in ("form", "version")):
        return None
    text = {k: found[k] if isinstance(found.get(k), str) and found[k] else None for k in ("hash", "unit")}
    return Identity(found["form"], found["version"], text["hash"], text["unit"])


_RENAMED = re.compile(r"\+\d+$")
#: a name with a part page tools renamed (a part matching ``_RENAMED``, ``$`` also before a final line break)
_RENAMED_PART = re.compile(r"\+\d+\n?(?:\.|\Z)")


def _page_tool_names(fields: dict[str, Any]) -> dict[str, Any]:
    """The fields by their addresses again after a page tool renamed them: ``qpdf --pages`` copies each page's
    fields on their own and renames a parent field met twice (the rows of a group that span two pages) to
    ``persons+1`` with a copy of all its kids; such a name counts as ``persons``, and of two copies of a field
    the one holding a value is read."""
    renamed = [name for name in fields if _RENAMED_PART.search(name)]
    if not renamed:
        return fields
    out = {name: found for name, found in fields.items() if not _RENAMED_PART.search(name)}
    for name in renamed:
        plain, found = ".".join(_RENAMED.sub("", part) for part in name.split(".")), fields[name]
        if plain not in out or "/V" not in out[plain] and "/V" in found:
            out[plain] = found
    return out


def _value(field: dict, in_row: bool) -> Any:
    """A field's value as text; a 是/否 pair as True/False, or nothing when untouched; a single check
    box as True/False (an unticked box in a row as nothing)."""
    value = field.get("/V")
    if field.get("/FT") == "/Btn":
        state = "" if value is None else str(value).lstrip("/")
        if field.get("/_Pair_"):
            return None if state in ("", "Off") else state != NO.lstrip("/")
        on = state not in ("Off", "")
        return True if on else (None if in_row else False)
    if isinstance(value, list):  # a multi-select list: not made by formgen, read as its text
        return ", ".join(str(v) for v in value)
    return None if value is None else str(value)


#: Annotations that are not content: the fields' widgets, a note's pop-up window, a link.
_NOT_CONTENT = {"/Widget", "/Popup", "/Link"}
#: What an annotation added by a viewer is, in the sender's words; any other kind is a comment or mark.
_ANNOTATIONS = {"/FreeText": N_("a text box"), "/Text": N_("a note"), "/Ink": N_("a drawing"),
                "/Stamp": N_("a stamp"), "/FileAttachment": N_("an attached file")}


#: What qpdf raises on a damaged page tree or annotation (the fields were read: FG108 is only left unsaid).
_DAMAGED = (pikepdf.PdfError, AttributeError, KeyError, TypeError, ValueError, RecursionError)


def _marks(pdf: pikepdf.Pdf, widgets: dict[tuple[int, int], Mark]) -> list[list[Mark] | None] | None:
    """Each page's annotations, while the file is open; ``widgets``: the field walk's marks (see ``_walk``)."""
    try:
        pages = list(pdf.pages)
    except _DAMAGED:
        return None
    out: list[list[Mark] | None] = []
    parents: dict[tuple[int, int], tuple[list[str], Any, int]] = {}
    for page in pages:
        try:
            out.append(_page_marks(page.obj, widgets, parents))
        except _DAMAGED:
            out.append(None)
    return out


def _page_marks(page: pikepdf.Dictionary, widgets: dict[tuple[int, int], Mark], parents: dict) -> list[Mark]:
    """A page's annotations; ``widgets``: the field walk's marks by object.  A page listing only widgets the walk
    met (a form's page) is read from its list's text, one call into qpdf instead of some for each widget."""
    listed = page.get("/Annots")
    if not isinstance(listed, pikepdf.Array):
        return []
    refs = _REFERENCES.fullmatch(listed.unparse(resolved=True))
    if refs is not None:
        known = [widgets.get((int(number), int(generation))) for number, generation in _REFERENCE.findall(refs[1])]
        if all(mark is not None for mark in known):
            return known
    marks = []
    for annotation in listed:
        if not isinstance(annotation, pikepdf.Dictionary):
            continue
        known = widgets.get(annotation.objgen)
        if known is not None:
            marks.append(known)
            continue
        kind = str(annotation.get("/Subtype", ""))
        marks.append(Mark(kind, *_widget_field(annotation, parents)) if kind == "/Widget" else Mark(kind))
    return marks


#: an array of references as qpdf writes it (``[ 12 0 R 13 0 R ]``), and one reference in it
_REFERENCES = re.compile(rb"\[ ((?:\d+ \d+ R )*)\]")
_REFERENCE = re.compile(rb"(\d+) (\d+) R")


def outside_fields(doc: PdfDoc, spec: FormSpec) -> list[Issue]:
    """FG108 for what was typed or added outside the form's fields, naming what and on which page: an annotation
    a viewer added (a text box, a note, a drawing ...), a form field the form does not have that holds a value,
    and a page beyond those formgen wrote (the pages holding none of the form's fields, else the last ones)."""
    if doc.pages is None:  # a damaged page tree: nothing can be named
        return []
    issues: list[Issue] = []
    without_fields = []
    for number, marks in enumerate(doc.pages, 1):
        if marks is None:
            continue
        found, form_fields = _on_page(number, marks, spec)
        issues += found
        if not form_fields:
            without_fields.append(number)
    written, count = _pages_written(doc), len(doc.pages)
    if written and count > written:
        added = count - written
        for number in without_fields if len(without_fields) == added else range(written + 1, count + 1):
            issues.append(_outside(number, where=Text(N_("page {page}, which the form does not have"),
                                                      {"page": number})))
    return issues


def _on_page(number: int, marks: list[Mark], spec: FormSpec) -> tuple[list[Issue], int]:
    """What was added on one page, and how many of the form's fields it holds."""
    issues, form_fields = [], 0
    for mark in marks:
        if mark.kind == "/Widget":
            if _of_form(mark.name, spec):
                form_fields += 1
            elif not is_empty(mark.value) and str(mark.value) != "/Off":
                issues.append(_outside(number, Text(N_("the added form field {name}"), {"name": shown(mark.name)})))
        elif mark.kind not in _NOT_CONTENT:
            issues.append(_outside(number, _ANNOTATIONS.get(mark.kind) or Text(
                N_("a comment or mark ({kind})"), {"kind": shown(mark.kind.lstrip("/"), 20)})))
    return issues, form_fields


def _outside(page: int, what: str | Text | None = None, where: Text | None = None) -> Issue:
    """FG108 on ``page``: ``what`` is there, or ``where`` says it all."""
    if where is None:
        where = Text(N_("{what} on page {page}"), {"what": what if isinstance(what, Text) else Text(what), "page": page})
    return Issue(Code.EXTRA_CONTENT, location=f"第{page}页", params={"location": where})


_PARENT_LINKS = 32  # a loop of /Parent links ends too


def _widget_field(widget: pikepdf.Dictionary, parents: dict) -> tuple[str, Any]:
    """The full name of the field a widget belongs to (page tools' renaming undone), and its value.

    ``parents`` remembers, by object, what a widget's parent and its own parents give (their names, the first
    value among them, how many they are): the widgets of one field or row share them."""
    parts, value, node, chain = [], None, widget, []
    for depth in range(_PARENT_LINKS):
        chain.append(node)
        if "/T" in node:
            parts.append(_RENAMED.sub("", str(node["/T"])))
        if value is None and "/V" in node:
            value = _python(node["/V"])
        parent = node.get("/Parent")
        if not isinstance(parent, pikepdf.Dictionary):
            break
        known = parents.get(parent.objgen) if depth == 0 else None
        if known is not None and known[2] < _PARENT_LINKS:  # the widget and its parents' chain end in the bound
            return ".".join(reversed(parts + known[0])), known[1] if value is None else value
        node = parent
    else:
        return ".".join(reversed(parts)), value
    if len(chain) > 1 and chain[1].objgen != (0, 0):  # the chain ended: what the parent gives is known
        above_value = value
        if "/V" in widget:  # the widget's own value came first: the parents' is the first among them
            above_value = None
            for node in chain[1:]:
                if above_value is None and "/V" in node:
                    above_value = _python(node["/V"])
        parents[chain[1].objgen] = (parts[1 if "/T" in widget else 0:], above_value, len(chain) - 1)
    return ".".join(reversed(parts)), value


def _of_form(name: str, spec: FormSpec) -> bool:
    """Whether a field is one formgen writes: a field's address, a cell of a row (``persons.2.name``), a box of a
    multiple choice (``formgen.layout.pdf.multi_box``), a continuation (``formgen.layout.pdf.continuation``),
    the identity."""
    if name == IDENTITY_FIELD:
        return True
    found = spec.lookup(name)
    if isinstance(found, Field) and (found.address == name or _ROW_CELL.search(name) is not None):
        return True
    part = continued(name)
    if part is not None and isinstance(spec.lookup(part[0]), Field):
        return True
    head, _dot, index = name.rpartition(".")
    if not index.isdigit():
        return False
    multi = spec.lookup(head)
    return isinstance(multi, Field) and multi.kind == "multi"


_ROW_CELL = re.compile(r"\.\d+\.[^.]+$")


def _pages_written(doc: PdfDoc) -> int | None:
    """How many pages formgen wrote: from the document information, else the identity field."""
    text = doc.info.get(INFO_PAGES, "")
    if not text:
        try:
            text = str(json.loads(str(doc.fields.get(IDENTITY_FIELD, {}).get("/V"))).get("pages", ""))
        except (ValueError, AttributeError):
            return None
    return int(text) if text.isdigit() and int(text) > 0 else None
