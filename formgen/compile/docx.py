"""Compile a FormSpec to a fillable Word document (docxtpl over a generated template).

The template (``formgen.compile.docx_template``) holds the layout, styles and
content controls; rendering fills in what each control shows.  Rendering runs
in a sandboxed Jinja environment with autoescaping (without it docxtpl turns
``A&B`` into ``A``), on values stripped of control characters.  The form id,
version and definition hash are custom document properties of the template.
"""

from __future__ import annotations

import io
import zipfile

from lxml import etree
from dataclasses import dataclass
from dataclasses import field as dc_field
from dataclasses import fields as dc_fields
from pathlib import Path

from docx.opc.exceptions import PackageNotFoundError
from docxtpl import DocxTemplate
from jinja2 import StrictUndefined, nodes
from jinja2.exceptions import SecurityError, TemplateSyntaxError
from jinja2 import sandbox
from jinja2.sandbox import SandboxedEnvironment

from formgen.layout.docx import (
    CELL,
    CHECKBOX,
    MERGE_UNDER,
    PRINTED_SIZE,
    layout,
    merge_of,
    merged_columns,
    placeholder,
    spaced_lines,
    widget,
)
from formgen.compile.docx_letter import build_letter
from formgen.compile.docx_template import build_template, template_path
from formgen.spec.letter import is_letter
from formgen.layout.ooxml import (
    CUSTOM,
    PROP_HASH,
    PROP_UNIT,
    VT,
    clean,
    custom_properties,
    qn,
    safe_parser,
    unbroken,
    without_joiners,
)
from formgen.fsutil import PRIVATE, atomic_path
from formgen.i18n import N_
from formgen.issues import Code, DefinitionError, Issue, Text
from formgen.paths import get_path
from formgen.present import display
from formgen.spec.model import Field, FormSpec


@dataclass
class Shown:
    """What one control shows: its text, "1" when that is the placeholder (``w:showingPlcHdr``), and which
    checkboxes are ticked."""

    text: str
    ph: str = "0"
    on: list[bool] = dc_field(default_factory=list)
    merge: str = ""  # the w:vMerge of a cell of a merged column (formgen.layout.docx.merge_of)


class _Control:
    """What one field's control shows, with what it takes from the definition (its widget, choices and
    placeholder) worked out once per definition rather than once per cell."""

    def __init__(self, field: Field, in_row: bool = False):
        self.field = field
        self.widget = widget(field, in_row)
        self.multi = field.kind == "multi"
        self.choices = field.choices
        self.placeholder = placeholder(field)

    def show(self, value, filled: bool, texts: dict) -> Shown:
        """What the control shows for ``value``; in a pre-filled form (``filled``) an empty value shows nothing,
        so the form prints clean, and still reads back as empty.  Numbers, dates and codes in it do not break
        across lines.  ``texts`` remembers, for one document, the text of each value already shown."""
        if self.widget == CHECKBOX and self.multi:
            chosen = value if isinstance(value, list) else []
            return Shown("", on=[any(v == code and type(v) is type(code) for v in chosen) for code in self.choices])
        if self.widget == CHECKBOX:
            return Shown("", on=[value is not None and value == code and type(value) is type(code)
                                 for code in self.choices])
        key = (self, type(value), value) if type(value) in _REMEMBERED else None
        text = texts.get(key) if key else None
        if text is None:
            text = unbroken(clean(display(self.field, value)))
            if key:
                texts[key] = text
        if text or self.widget == CELL or filled:
            return Shown(text)
        return Shown(self.placeholder, "1")


#: the types of value whose shown text a document remembers: hashable, told apart by type (1 is not True), and
#: equal only when shown alike (not float: -0.0 == 0.0)
_REMEMBERED = {str, int, bool, type(None)}


@dataclass
class _Column:
    name: str
    control: _Control
    printed_width: int | None  # the cell's width for a pre-printed column, whose words are written apart
    spans: list[int] | None  # a merged column's spans (Group.spans)


@dataclass
class _Table:
    """What a group's rows take from the definition."""

    columns: list[_Column]
    fixed: list[dict]
    blank_rows: int


@dataclass
class _Plan:
    fields: list[tuple[str, _Control]]
    tables: dict[str, _Table]


_PLANS: dict[str, _Plan] = {}


def _plan(spec: FormSpec) -> _Plan:
    """The controls and tables of a definition, once per definition."""
    if spec.hash not in _PLANS:
        widths = {t.group.address: t.widths for t in layout(spec).tables if t.group is not None}
        tables = {}
        for group in spec.groups():
            merged = {col.name for col in merged_columns(group)}
            width = dict(zip((col.name for col in group.shown_columns), widths[group.address]))
            tables[group.address] = _Table(
                [_Column(col.name, _Control(col, in_row=True), width[col.name] if group.printed_only(col) else None,
                         group.spans(col) if col.name in merged else None) for col in group.shown_columns],
                group.fixed_rows, group.blank_rows)
        _PLANS[spec.hash] = _Plan([(f.address, _Control(f)) for f in spec.fields()], tables)
    return _PLANS[spec.hash]


def context(spec: FormSpec, data: dict | None, finished: bool | None = None) -> dict:
    """The template's values.  A ``finished`` form (by default: one pre-filled with data) prints clean; one that
    is still to be filled in keeps a placeholder in every empty field."""
    filled = data is not None if finished is None else finished
    data = data or {}
    plan, texts = _plan(spec), {}
    fields = {address: control.show(get_path(data, address), filled, texts) for address, control in plan.fields}
    groups = {address: _rows(table, get_path(data, address) or [], filled, texts)
              for address, table in plan.tables.items()}
    return {"f": fields, "g": groups}


def _rows(table: _Table, rows: list, filled: bool, texts: dict) -> list[dict[str, Shown]]:
    fixed = table.fixed
    out = []
    for i in range(max(table.blank_rows, len(rows))):
        row = rows[i] if i < len(rows) and isinstance(rows[i], dict) else {}
        fixed_row = fixed[i] if i < len(fixed) else {}
        cells = {}
        for col in table.columns:
            cell = cells[col.name] = col.control.show(row.get(col.name, fixed_row.get(col.name)), filled, texts)
            if col.printed_width is not None:  # pre-printed words written apart break between words
                cell.text = unbroken(spaced_lines(without_joiners(cell.text), col.printed_width, PRINTED_SIZE))
            if col.spans is not None:
                cell.merge = merge_of(col.spans, i)
                if cell.merge == MERGE_UNDER:
                    cell.text = ""  # printed once, in the first cell of the run
        out.append(cells)
    return out


_TEMPLATE_CACHE: dict[str, bytes] = {}


def template_bytes(spec: FormSpec) -> bytes:
    """The stored template when it was made from this very definition, else one built now."""
    if spec.hash not in _TEMPLATE_CACHE:
        path = template_path(spec)
        stored = path.read_bytes() if path.is_file() else None
        if stored is not None:
            with zipfile.ZipFile(io.BytesIO(stored)) as zf:
                if custom_properties(zf).get(PROP_HASH) != spec.hash:
                    stored = None
        _TEMPLATE_CACHE[spec.hash] = stored or build_template(spec)
    return _TEMPLATE_CACHE[spec.hash]


def _line_breaks(body) -> None:
    """A line break (``\n``) in a value's text as Word writes one (``w:br``); the reader reads it back as
    ``\n``."""
    text_tag, break_tag = qn("w:t"), qn("w:br")
    for node in [t for t in body.iter(text_tag) if "\n" in (t.text or "")]:
        first, *rest = node.text.split("\n")
        node.text = first
        at = node
        for line in rest:
            br = node.makeelement(break_tag, {})
            t = node.makeelement(text_tag, dict(node.attrib))
            t.text = line
            at.addnext(br)
            br.addnext(t)
            at = t


#: The flag of a filled control as rendering writes it (``formgen.compile.docx_template`` writes it so).
_FILLED_FLAG = '<w:showingPlcHdr w:val="0"/>'


class _Template(DocxTemplate):
    """docxtpl's template, its rendered body finished as text before docxtpl parses it (walking the parsed body of
    a thousand-row table took 25-40 ms of CPU): ``w:showingPlcHdr w:val="0"`` removed
    (LibreOffice ignores the value and would show a filled control as a placeholder, Word would select it all on
    a click), and ``broken`` set when a value's text holds a line break, which ``_line_breaks`` then writes."""

    broken = False

    def build_xml(self, context, jinja_env=None):
        xml = super().build_xml(context, jinja_env).replace(_FILLED_FLAG, "")
        self.broken = "\n" in xml
        return xml


#: what a template may read of a Shown
_SHOWN_FIELDS = frozenset(f.name for f in dc_fields(Shown))


class _Sandbox(SandboxedEnvironment):
    """The sandbox, reading a Shown's own fields (plain data) without asking each time whether the attribute is
    safe: a table of a thousand rows reads two of them in every cell."""

    def getattr(self, obj, attribute):
        if type(obj) is Shown and attribute in _SHOWN_FIELDS:
            return getattr(obj, attribute)
        return super().getattr(obj, attribute)


class DocxCompiler:
    format = "docx"
    suffix = ".docx"

    def compile(self, spec: FormSpec, data: dict | None, out: str | Path, lang: str = "zh_CN",
                unit: str | None = None) -> None:
        """Write the form to ``out``; ``unit`` is the code of the unit it is made for, stamped as a custom
        property of the written document (the cached template, and so its key, stay as they are).  A form made
        for a unit is still to be filled in there: its empty fields keep their controls and placeholders."""
        finished = data is not None and not unit
        if is_letter(spec):
            document = build_letter(spec, data, finished)
        else:
            tpl = _Template(io.BytesIO(template_bytes(spec)))
            env = _Sandbox(autoescape=True, undefined=StrictUndefined)
            try:
                tpl.render(context(spec, data, finished), env, autoescape=True)
            except SecurityError:
                raise DefinitionError(N_("The Word template {file} holds an expression that reaches into Python, "
                                         "which formgen does not run. Rebuild the templates with `make templates`."),
                                      file=template_path(spec).name) from None
            if tpl.broken:
                _line_breaks(tpl.docx.element.body)
            buf = io.BytesIO()
            tpl.save(buf)
            document = buf.getvalue()
        if unit:
            document = stamp_unit(document, unit)
        with atomic_path(out, PRIVATE if spec.holds_pii(data) else None) as tmp:
            Path(tmp).write_bytes(document)


def template_problems(data: bytes, name: str) -> list[Issue]:
    """What `formgen lint` finds in a stored Word template before anyone fills it: FG441 when it is no Word
    document or its Jinja markup does not parse; FG440 for each expression that reaches into Python (an
    attribute the sandbox refuses, such as ``cycler.__init__.__globals__``), found in the markup itself,
    so also in a branch that a blank form never renders.  Rendering refuses these too (sandboxed), but only
    when the form is first written."""
    try:
        tpl = DocxTemplate(io.BytesIO(data))
        tpl.init_docx()
        parts = [("word/document.xml", tpl.patch_xml(tpl.get_xml()))]
        for uri in (tpl.HEADER_URI, tpl.FOOTER_URI):
            parts += [(str(part.partname).lstrip("/"), tpl.patch_xml(tpl.get_part_xml(part)))
                      for _key, part in tpl.get_headers_footers(uri)]
        parts += [(str(part.partname).lstrip("/"), tpl.patch_xml(part.blob.decode("utf-8")))
                  for part in tpl.docx.part.package.parts if part.partname.endswith("/footnotes.xml")]
        props = tpl.docx.core_properties
        parts += [("docProps/core.xml", "\n".join(str(getattr(props, p) or "") for p in
                                                  ("author", "comments", "identifier", "language", "subject", "title")))]
    except (PackageNotFoundError, zipfile.BadZipFile, KeyError, ValueError, UnicodeDecodeError, etree.XMLSyntaxError):
        return [Issue(Code.TEMPLATE_BROKEN, params={"file": name, "reason": N_("it is not a Word document")})]
    env = SandboxedEnvironment(autoescape=True)
    found: list[Issue] = []
    for part, source in parts:
        try:
            tree = env.parse(source)
        except TemplateSyntaxError as err:
            return [Issue(Code.TEMPLATE_BROKEN, location=part, params={"file": name, "reason": Text(
                N_("its template markup in {part} does not parse ({error})"), {"part": part, "error": err.message})})]
        reached = _reached(tree)
        if reached:
            found.append(Issue(Code.TEMPLATE_UNSAFE, location=part, params={
                "file": name, "name": ", ".join(dict.fromkeys(reversed(reached))), "part": part}))
    return found


#: Attributes of Python objects that the sandbox never lets a template read (beside any starting with _).
_UNSAFE = {"mro", *sandbox.UNSAFE_FUNCTION_ATTRIBUTES, *sandbox.UNSAFE_METHOD_ATTRIBUTES,
           *sandbox.UNSAFE_GENERATOR_ATTRIBUTES, *sandbox.UNSAFE_COROUTINE_ATTRIBUTES,
           *sandbox.UNSAFE_ASYNC_GENERATOR_ATTRIBUTES}


def _reached(tree: nodes.Template) -> list[str]:
    """The unsafe attributes a template names: ``x.__class__``, ``x['__class__']`` and ``x|attr('__class__')``."""
    names = []
    for node in tree.find_all((nodes.Getattr, nodes.Getitem, nodes.Filter)):
        if isinstance(node, nodes.Getattr):
            name = node.attr
        elif isinstance(node, nodes.Getitem):
            name = node.arg.value if isinstance(node.arg, nodes.Const) else None
        else:
            name = node.args[0].value if node.name == "attr" and node.args and isinstance(node.args[0], nodes.Const) \
                else None
        if isinstance(name, str) and (name.startswith("_") or name in _UNSAFE):
            names.append(name)
    return names


CUSTOM_PART = "docProps/custom.xml"


def stamp_unit(document: bytes, unit: str) -> bytes:
    """The document with the custom property ``formgen.unit`` set to ``unit`` (other parts copied as they are)."""
    src = zipfile.ZipFile(io.BytesIO(document))
    root = etree.fromstring(src.read(CUSTOM_PART), safe_parser())
    for prop in root.findall(f"{{{CUSTOM}}}property"):
        if prop.get("name") == PROP_UNIT:
            root.remove(prop)
    pids = [int(p.get("pid", "1")) for p in root.findall(f"{{{CUSTOM}}}property")]
    prop = etree.SubElement(root, f"{{{CUSTOM}}}property", fmtid="{D5CDD505-2E9C-101B-9397-08002B2CF9AE}",
                            pid=str(max(pids, default=1) + 1), name=PROP_UNIT)
    etree.SubElement(prop, f"{{{VT}}}lpwstr").text = clean(unit)
    out = io.BytesIO()
    with src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info)
            if info.filename == CUSTOM_PART:
                data = etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)
            dst.writestr(info, data)
    return out.getvalue()
