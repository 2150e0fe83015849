"""Build the docxtpl template of a form: a complete .docx whose value controls hold Jinja expressions.

The template is generated once per layout (``make templates`` writes
``templates/<form>-<version>.docx``) and can be opened in Word to restyle it;
the compiler renders it with the values of a record (or blanks).  The Jinja
context is ``f`` (scalar fields by address) and ``g`` (rows of each group by
address); each value is a :class:`formgen.compile.docx.Shown`.

Every value is entered in a table cell: a rich-text content control, a date
picker, a dropdown, or one checkbox per choice, each tagged with the field's
address; cells of repeating rows are plain text (rows people add have no
controls either) except dropdowns and date pickers.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

from lxml import etree

from formgen import __version__
from formgen.layout.docx import (
    BODY_SIZE,
    CHECKBOX,
    DATE,
    DROPDOWN,
    PAGE_LONG,
    PAGE_SHORT,
    PRINTED_SIZE,
    SIDE_MARGIN,
    TEXT,
    Cell,
    Heading,
    Layout,
    Row,
    Table,
    box_lines,
    group_row_height,
    landscape,
    merged_columns,
    layout,
    title_size,
    widget,
)
from formgen.layout.ooxml import (
    CUSTOM,
    NSMAP,
    PROP_FORM,
    PROP_HASH,
    PROP_VERSION,
    VT,
    el,
)
from formgen.spec import Registry
from formgen.spec.model import Field, FormSpec, Group

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"

FONT_LATIN = "Times New Roman"
FONT_SONG = "宋体"
FONT_HEI = "黑体"
FONT_BOX = "MS Gothic"
BOX_ON, BOX_OFF = "☑", "☐"  # a ticked box: ☒ reads as 否 on Chinese forms
LABEL_FILL = "F2F2F2"
DATE_FORMAT = "yyyy-MM-dd"


def _expr(var: str, address: str, attr: str) -> str:
    return "{{ %s[%r].%s }}" % (var, address, attr)


class TemplateBuilder:
    def __init__(self, spec: FormSpec):
        self.spec = spec
        self.layout: Layout = layout(spec)

    # -- the package ---------------------------------------------------------
    def build(self) -> bytes:
        return package(self.spec, self._document(), _styles(), _settings(),
                       _font_table((FONT_SONG, "SimSun", "roman"), (FONT_HEI, "SimHei", "modern")))

    # -- the body --------------------------------------------------------------
    def _document(self) -> etree._Element:
        body = el("w:body")
        for line in self.spec.ann.get("header", []):  # e.g. 附件2, at the top left as on the paper
            body.append(_para(line, "Heading1"))
        body.append(_para(self.spec.title, "Title"))
        body.append(_para(f"表单编号：{self.spec.id}　版本：{self.spec.version}", "FormMeta"))
        for block in self.layout.blocks:
            if isinstance(block, Heading):
                body.append(_para(block.text, "Heading1"))
            elif block.group is None:
                body.append(self._field_table(block))
            else:
                body.append(self._group_table(block))
        for line in self.spec.ann.get("footer", []):
            body.append(_para(line, "Note"))
        body.append(_section(landscape(self.spec)))
        return el("w:document", {"mc:Ignorable": "w14"}, body, nsmap=NSMAP)

    def _field_table(self, table: Table) -> etree._Element:
        tbl = _table(table.widths)
        for row in table.rows:
            tr = _row(row.height)
            for cell in row.cells:
                width = _span_width(table, row, cell)
                if cell.field is None:
                    tr.append(_label_cell(cell.label, width, cell.span))
                else:
                    tr.append(_cell(width, cell.span, self._value(cell.field, width)))
            tbl.append(tr)
        return tbl

    def _group_table(self, table: Table) -> etree._Element:
        group = table.group
        tbl = _table(table.widths)
        header = _row(table.rows[0].height, header=True)
        for cell, width in zip(table.rows[0].cells, table.widths):
            header.append(_title_cell(cell.label, width))
        tbl.append(header)
        tbl.append(_loop_row("{%%tr for row in g[%r] %%}" % group.address, table.widths))
        data = _row(group_row_height(group))
        merged = {col.name for col in merged_columns(group)}
        for col, width in zip(group.shown_columns, table.widths):
            cell = _cell(width, 1, self._row_value(group, col))
            if col.name in merged:  # the run's first cell or one under it, as the row's values say
                cell[0].insert(1, el("w:vMerge", {"w:val": "{{ row[%r].merge }}" % col.name}))
            data.append(cell)
        tbl.append(data)
        tbl.append(_loop_row("{%tr endfor %}", table.widths))
        if table.total is not None:
            tr = _row(group_row_height(group))
            for cell in table.total.cells:
                width = _span_width(table, table.total, cell)
                tr.append(_label_cell(cell.label, width, cell.span) if cell.field is None
                          else _cell(width, 1, self._value(cell.field, width)))
            tbl.append(tr)
        return tbl

    def _value(self, field: Field, width: int) -> etree._Element:
        kind = widget(field)
        address = field.address
        if kind == CHECKBOX:
            p = el("w:p", None, _ppr())
            lines = box_lines(field, width)
            for n, line in enumerate(lines):
                if n:
                    p.append(el("w:r", None, el("w:br")))
                for i in line:
                    p.append(_checkbox(address, "{{ '1' if f[%r].on[%d] else '0' }}" % (address, i),
                                       "{{ %r if f[%r].on[%d] else %r }}" % (BOX_ON, address, i, BOX_OFF)))
                    p.append(_run(f" {field.choice_labels[i]}" + ("　" if i != line[-1] else "")))
            return p
        return el("w:p", None, _ppr(), _control(field, kind, address, _expr("f", address, "text"),
                                                _expr("f", address, "ph")))

    def _row_value(self, group: Group, col: Field) -> etree._Element:
        kind = widget(col, in_row=True)
        expr = "{{ row[%r].text }}" % col.name
        if kind in (DROPDOWN, DATE):
            tag = f"{group.address}.{{{{ loop.index0 }}}}.{col.name}"
            return el("w:p", None, _ppr(), _control(col, kind, tag, expr,
                                                    "{{ row[%r].ph }}" % col.name))
        if group.printed_only(col):  # pre-printed text of a row in 小五, as the seed's dense tables
            return el("w:p", None, _ppr(align="center" if col.ann.get("span") else None),
                      _run(expr, *_size(PRINTED_SIZE)))
        return el("w:p", None, _ppr(), _run(expr))


def build_template(spec: FormSpec) -> bytes:
    return TemplateBuilder(spec).build()


def template_path(spec: FormSpec, folder: Path = TEMPLATES) -> Path:
    return folder / f"{spec.id}-{spec.version}.docx"


def write_templates(forms_dir: str | None = None) -> None:
    """(Re)write the template of every installed form (``make templates``); letters are built directly
    (``formgen.compile.docx_letter``) and have none."""
    for spec in Registry(forms_dir).all():
        if spec.ann.get("kind") == "letter":
            continue
        path = template_path(spec)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(build_template(spec))
        print(path)


# -- elements -------------------------------------------------------------------

def _span_width(table: Table, row: Row, cell: Cell) -> int:
    start = sum(c.span for c in row.cells[:row.cells.index(cell)])
    return sum(table.widths[start:start + cell.span])


def _fonts(east_asia: str = FONT_SONG, latin: str = FONT_LATIN) -> etree._Element:
    return el("w:rFonts", {"w:ascii": latin, "w:hAnsi": latin, "w:eastAsia": east_asia, "w:cs": latin,
                           "w:hint": "eastAsia"})


def _run(text: str, *props: etree._Element) -> etree._Element:
    t = el("w:t", {"xml:space": "preserve"}, text=text)
    return el("w:r", None, el("w:rPr", None, *props), t) if props else el("w:r", None, t)


def _ppr(style: str | None = None, align: str | None = None) -> etree._Element:
    ppr = el("w:pPr")
    if style:
        ppr.append(el("w:pStyle", {"w:val": style}))
    if align:
        ppr.append(el("w:jc", {"w:val": align}))
    return ppr


def _para(text: str, style: str) -> etree._Element:
    return el("w:p", None, _ppr(style), _run(text))


def _table(widths: list[int]) -> etree._Element:
    borders = el("w:tblBorders", None, *(el(f"w:{side}", {"w:val": "single", "w:sz": "4", "w:space": "0",
                                                           "w:color": "000000"})
                                          for side in ("top", "left", "bottom", "right", "insideH", "insideV")))
    margins = el("w:tblCellMar", None, el("w:left", {"w:w": "85", "w:type": "dxa"}),
                 el("w:right", {"w:w": "85", "w:type": "dxa"}))
    tblpr = el("w:tblPr", None, el("w:tblW", {"w:w": str(sum(widths)), "w:type": "dxa"}),
               el("w:jc", {"w:val": "center"}), borders, el("w:tblLayout", {"w:type": "fixed"}), margins,
               el("w:tblLook", {"w:val": "0000", "w:firstRow": "0", "w:lastRow": "0", "w:firstColumn": "0",
                                "w:lastColumn": "0", "w:noHBand": "1", "w:noVBand": "1"}))
    grid = el("w:tblGrid", None, *(el("w:gridCol", {"w:w": str(w)}) for w in widths))
    return el("w:tbl", None, tblpr, grid)


def _row(height: int, header: bool = False) -> etree._Element:
    """A table row at least ``height`` tall, kept on one page: a row split by a page break prints each value
    in two halves, which a reader no longer takes for one (a pre-printed row too: the checklist's cells merged
    over a group's rows continue on the next page, as Word continues a merge)."""
    trpr = el("w:trPr", None, el("w:cantSplit"), el("w:trHeight", {"w:val": str(height), "w:hRule": "atLeast"}))
    if header:
        trpr.append(el("w:tblHeader"))
    return el("w:tr", None, trpr)


def _tcpr(width: int, span: int, fill: str | None = None) -> etree._Element:
    tcpr = el("w:tcPr", None, el("w:tcW", {"w:w": str(width), "w:type": "dxa"}))
    if span > 1:
        tcpr.append(el("w:gridSpan", {"w:val": str(span)}))
    if fill:
        tcpr.append(el("w:shd", {"w:val": "clear", "w:color": "auto", "w:fill": fill}))
    tcpr.append(el("w:vAlign", {"w:val": "center"}))
    return tcpr


def _cell(width: int, span: int, paragraph: etree._Element) -> etree._Element:
    return el("w:tc", None, _tcpr(width, span), paragraph)


def _label_cell(text: str, width: int, span: int) -> etree._Element:
    return el("w:tc", None, _tcpr(width, span, LABEL_FILL),
              el("w:p", None, _ppr(align="center"), _run(text, el("w:b"))))


def _title_cell(title: str, width: int) -> etree._Element:
    """A group column's title, bold, smaller where its name would otherwise break (``title_size``)."""
    size = title_size(title, width)
    return el("w:tc", None, _tcpr(width, 1, LABEL_FILL),
              el("w:p", None, _ppr(align="center"), _run(title, el("w:b"), *(_size(size) if size else ()))))


def _size(half_points: int) -> tuple[etree._Element, etree._Element]:
    return el("w:sz", {"w:val": str(half_points)}), el("w:szCs", {"w:val": str(half_points)})


def _loop_row(tag: str, widths: list[int]) -> etree._Element:
    return el("w:tr", None, el("w:tc", None, _tcpr(sum(widths), len(widths)), el("w:p", None, _run(tag))))


def _sdt(props: list[etree._Element], content: etree._Element) -> etree._Element:
    return el("w:sdt", None, el("w:sdtPr", None, *props), el("w:sdtContent", None, content))


def _control(field: Field, kind: str, tag: str, text_expr: str, ph_expr: str,
             content: etree._Element | None = None, date_format: str = DATE_FORMAT,
             full_date: str | None = None) -> etree._Element:
    """An inline rich-text control, date picker or dropdown showing ``text_expr`` (or the run ``content``)."""
    props = [el("w:alias", {"w:val": field.title}), el("w:tag", {"w:val": tag}),
             el("w:showingPlcHdr", {"w:val": ph_expr})]
    if kind == TEXT:
        props.insert(2, el("w:lock", {"w:val": "sdtLocked"}))
    elif kind == DATE:
        date = el("w:date", {"w:fullDate": full_date} if full_date else None,
                  el("w:dateFormat", {"w:val": date_format}), el("w:lid", {"w:val": "zh-CN"}),
                  el("w:storeMappedDataAs", {"w:val": "dateTime"}), el("w:calendar", {"w:val": "gregorian"}))
        props.append(date)
    elif kind == DROPDOWN:
        props.append(el("w:dropDownList", None, *(el("w:listItem", {"w:displayText": label, "w:value": label})
                                                  for label in field.choice_labels)))
    return _sdt(props, content if content is not None else _run(text_expr))


def _checkbox(tag: str, checked_expr: str, glyph_expr: str) -> etree._Element:
    box_font = el("w:rFonts", {"w:ascii": FONT_BOX, "w:hAnsi": FONT_BOX, "w:eastAsia": FONT_BOX,
                               "w:hint": "eastAsia"})
    check = el("w14:checkbox", None, el("w14:checked", {"w14:val": checked_expr}),
               el("w14:checkedState", {"w14:val": f"{ord(BOX_ON):04X}", "w14:font": FONT_BOX}),
               el("w14:uncheckedState", {"w14:val": f"{ord(BOX_OFF):04X}", "w14:font": FONT_BOX}))
    return _sdt([el("w:rPr", None, box_font), el("w:tag", {"w:val": tag}), check], _run(glyph_expr, box_font))


def _section(wide: bool) -> etree._Element:
    size = ({"w:w": str(PAGE_LONG), "w:h": str(PAGE_SHORT), "w:orient": "landscape"} if wide
            else {"w:w": str(PAGE_SHORT), "w:h": str(PAGE_LONG)})
    margin = str(SIDE_MARGIN)
    return el("w:sectPr", None, el("w:pgSz", size),
              el("w:pgMar", {"w:top": "720", "w:right": margin, "w:bottom": "720", "w:left": margin,
                             "w:header": "567", "w:footer": "567", "w:gutter": "0"}))


# -- the package ---------------------------------------------------------------------

def package(spec: FormSpec, document: etree._Element, styles: etree._Element, settings: etree._Element,
            fonts: etree._Element, footers: tuple[etree._Element, ...] = ()) -> bytes:
    """The .docx of a form: its parts, and the identity as custom document properties.  The document
    refers to the i-th of ``footers`` by the relationship id ``footer_rel_id(i)``."""
    targets = [("styles", "styles.xml"), ("settings", "settings.xml"), ("fontTable", "fontTable.xml")]
    targets += [("footer", f"footer{i}.xml") for i in range(1, len(footers) + 1)]
    parts = {
        "[Content_Types].xml": _content_types(len(footers)),
        "_rels/.rels": _rels([
            ("officeDocument", "word/document.xml"),
            ("package/2006/relationships/metadata/core-properties", "docProps/core.xml"),
            ("extended-properties", "docProps/app.xml"),
            ("custom-properties", "docProps/custom.xml")]),
        "word/_rels/document.xml.rels": _rels(targets),
        "word/document.xml": document,
        "word/styles.xml": styles,
        "word/settings.xml": settings,
        "word/fontTable.xml": fonts,
        "docProps/core.xml": _core(spec),
        "docProps/app.xml": _app(),
        "docProps/custom.xml": _custom(spec),
    }
    for i, footer in enumerate(footers, start=1):
        parts[f"word/footer{i}.xml"] = footer
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, root in parts.items():
            info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True))
    return buf.getvalue()


def footer_rel_id(index: int) -> str:
    """The relationship id of the index-th (0-based) footer given to :func:`package`."""
    return f"rId{4 + index}"


def _custom(spec: FormSpec) -> etree._Element:
    root = etree.Element(f"{{{CUSTOM}}}Properties", nsmap={None: CUSTOM, "vt": VT})
    for pid, (name, value) in enumerate([(PROP_FORM, spec.id), (PROP_VERSION, spec.version),
                                         (PROP_HASH, spec.hash)], start=2):
        prop = etree.SubElement(root, f"{{{CUSTOM}}}property", fmtid="{D5CDD505-2E9C-101B-9397-08002B2CF9AE}",
                                pid=str(pid), name=name)
        etree.SubElement(prop, f"{{{VT}}}lpwstr").text = value
    return root


def _core(spec: FormSpec) -> etree._Element:
    cp = "http://schemas.openxmlformats.org/package/2006/metadata/core-properties"
    dc = "http://purl.org/dc/elements/1.1/"
    root = etree.Element(f"{{{cp}}}coreProperties", nsmap={"cp": cp, "dc": dc})
    etree.SubElement(root, f"{{{dc}}}title").text = spec.title
    etree.SubElement(root, f"{{{dc}}}creator").text = f"formgen {__version__}"
    return root


_CT = "http://schemas.openxmlformats.org/package/2006/content-types"
_WML = "application/vnd.openxmlformats-officedocument.wordprocessingml"


def _content_types(footers: int = 0) -> etree._Element:
    root = etree.Element(f"{{{_CT}}}Types", nsmap={None: _CT})
    for ext, ctype in (("rels", "application/vnd.openxmlformats-package.relationships+xml"),
                       ("xml", "application/xml")):
        etree.SubElement(root, f"{{{_CT}}}Default", Extension=ext, ContentType=ctype)
    for part, ctype in (("/word/document.xml", f"{_WML}.document.main+xml"),
                        ("/word/styles.xml", f"{_WML}.styles+xml"),
                        ("/word/settings.xml", f"{_WML}.settings+xml"),
                        ("/word/fontTable.xml", f"{_WML}.fontTable+xml"),
                        ("/docProps/core.xml", "application/vnd.openxmlformats-package.core-properties+xml"),
                        ("/docProps/app.xml", "application/vnd.openxmlformats-officedocument.extended-properties+xml"),
                        ("/docProps/custom.xml", "application/vnd.openxmlformats-officedocument.custom-properties+xml")):
        etree.SubElement(root, f"{{{_CT}}}Override", PartName=part, ContentType=ctype)
    for i in range(1, footers + 1):
        etree.SubElement(root, f"{{{_CT}}}Override", PartName=f"/word/footer{i}.xml",
                         ContentType=f"{_WML}.footer+xml")
    return root


def _rels(targets: list[tuple[str, str]]) -> etree._Element:
    ns = "http://schemas.openxmlformats.org/package/2006/relationships"
    root = etree.Element(f"{{{ns}}}Relationships", nsmap={None: ns})
    for i, (kind, target) in enumerate(targets, start=1):
        rel_type = (f"http://schemas.openxmlformats.org/{kind}" if kind.startswith("package/")
                    else f"http://schemas.openxmlformats.org/officeDocument/2006/relationships/{kind}")
        etree.SubElement(root, f"{{{ns}}}Relationship", Id=f"rId{i}", Type=rel_type, Target=target)
    return root


def _app() -> etree._Element:
    ns = "http://schemas.openxmlformats.org/officeDocument/2006/extended-properties"
    root = etree.Element(f"{{{ns}}}Properties", nsmap={None: ns})
    etree.SubElement(root, f"{{{ns}}}Application").text = f"formgen {__version__}"
    return root


def _settings(*extra: etree._Element) -> etree._Element:
    compat = el("w:compat", None, el("w:compatSetting", {"w:name": "compatibilityMode",
                                                          "w:uri": "http://schemas.microsoft.com/office/word",
                                                          "w:val": "15"}))
    return el("w:settings", None, el("w:defaultTabStop", {"w:val": "420"}), *extra, compat, nsmap=NSMAP)


def _font_table(*fonts: tuple[str, str, str]) -> etree._Element:
    """The font table: East Asian ``fonts`` as (name, alternative name, family), then the Latin font."""
    def font(name: str, alt: str, family: str) -> etree._Element:
        return el("w:font", {"w:name": name}, el("w:altName", {"w:val": alt}), el("w:charset", {"w:val": "86"}),
                  el("w:family", {"w:val": family}), el("w:pitch", {"w:val": "variable"}))
    return el("w:fonts", None, *(font(*f) for f in fonts),
              el("w:font", {"w:name": FONT_LATIN}, el("w:family", {"w:val": "roman"})), nsmap=NSMAP)


def _style(style_id: str, name: str, ppr: list[etree._Element], rpr: list[etree._Element],
           kind: str = "paragraph", default: bool = False) -> etree._Element:
    attrs = {"w:type": kind, "w:styleId": style_id}
    if default:
        attrs["w:default"] = "1"
    node = el("w:style", attrs, el("w:name", {"w:val": name}))
    if not default:
        node.append(el("w:basedOn", {"w:val": "Normal"}))
    node.append(el("w:qFormat"))
    if ppr:
        node.append(el("w:pPr", None, *ppr))
    if rpr:
        node.append(el("w:rPr", None, *rpr))
    return node


def _styles() -> etree._Element:
    defaults = el("w:docDefaults", None,
                  el("w:rPrDefault", None, el("w:rPr", None, _fonts(), *_size(BODY_SIZE),
                                              el("w:lang", {"w:val": "en-US", "w:eastAsia": "zh-CN"}))),
                  el("w:pPrDefault", None, el("w:pPr", None, el("w:spacing", {"w:after": "0", "w:line": "240",
                                                                             "w:lineRule": "auto"}))))
    return el("w:styles", None, defaults,
              _style("Normal", "Normal", [], [], default=True),
              _style("Title", "Title", [el("w:spacing", {"w:before": "0", "w:after": "60"}),
                                        el("w:jc", {"w:val": "center"})],
                     [_fonts(FONT_HEI), el("w:b"), el("w:sz", {"w:val": "36"}), el("w:szCs", {"w:val": "36"})]),
              _style("FormMeta", "Form number", [el("w:spacing", {"w:after": "60"}), el("w:jc", {"w:val": "right"})],
                     [el("w:color", {"w:val": "666666"}), el("w:sz", {"w:val": "16"})]),
              _style("Heading1", "heading 1", [el("w:keepNext"), el("w:spacing", {"w:before": "120", "w:after": "40"}),
                                               el("w:outlineLvl", {"w:val": "0"})],
                     [_fonts(FONT_HEI), el("w:b"), el("w:sz", {"w:val": "24"}), el("w:szCs", {"w:val": "24"})]),
              _style("Note", "Note", [el("w:spacing", {"w:before": "120"})], [el("w:sz", {"w:val": "18"})]),
              nsmap=NSMAP)
