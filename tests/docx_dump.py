"""A normalised, readable dump of a .docx for golden files: text, tables, controls, custom properties."""

from __future__ import annotations

import zipfile
from pathlib import Path

from lxml import etree

from formgen.layout.ooxml import custom_properties, qn, without_joiners


def _control(sdt) -> str:
    pr = sdt.find(qn("w:sdtPr"))
    tag = pr.find(qn("w:tag"))
    parts = []
    box = pr.find(qn("w14:checkbox"))
    if box is not None:
        parts.append("checkbox " + ("on" if box.find(qn("w14:checked")).get(qn("w14:val")) == "1" else "off"))
    elif pr.find(qn("w:dropDownList")) is not None:
        items = [i.get(qn("w:displayText")) for i in pr.find(qn("w:dropDownList"))]
        parts.append("dropdown " + "/".join(items))
    elif pr.find(qn("w:date")) is not None:
        parts.append("date " + pr.find(f"{qn('w:date')}/{qn('w:dateFormat')}").get(qn("w:val")))
    else:
        parts.append("text")
    if tag is not None:
        parts.append(f"tag={tag.get(qn('w:val'))}")
    flag = pr.find(qn("w:showingPlcHdr"))
    if flag is not None:
        value = flag.get(qn("w:val"))
        parts.append("placeholder" if value is None or value == "1" else f"placeholder={value!r}")
    text = "".join("⏎" if x.tag == qn("w:br") else x.text or "" for x in sdt.iter(qn("w:t"), qn("w:br")))
    text = without_joiners(text)
    return "{" + " ".join(parts) + (f": {text}" if text else "") + "}"


def _inline(node) -> str:
    out = []
    for child in node:
        if child.tag == qn("w:sdt"):
            out.append(_control(child))
        elif child.tag == qn("w:r"):
            out.append(without_joiners("".join("\n" if x.tag == qn("w:br") else (x.text or "") for x in child
                                               if x.tag in (qn("w:t"), qn("w:br")))))
        elif child.tag == qn("w:p"):
            out.append(("\n" if out else "") + _inline(child))
    return "".join(out)


def dump(path: str | Path) -> str:
    with zipfile.ZipFile(path) as zf:
        body = etree.fromstring(zf.read("word/document.xml")).find(qn("w:body"))
        props = custom_properties(zf)
        styles = etree.fromstring(zf.read("word/styles.xml"))
    fonts = styles.find(f"{qn('w:docDefaults')}/{qn('w:rPrDefault')}/{qn('w:rPr')}/{qn('w:rFonts')}")
    props = {name: "<normalised>" if name.endswith(".hash") else value for name, value in props.items()}
    lines = [f"property {name} = {value}" for name, value in sorted(props.items())]  # the hash changes with every edit
    lines.append(f"default fonts: latin {fonts.get(qn('w:ascii'))}, east asian {fonts.get(qn('w:eastAsia'))}")
    for block in body:
        if block.tag == qn("w:p"):
            style = block.find(f"{qn('w:pPr')}/{qn('w:pStyle')}")
            lines.append(f"[{style.get(qn('w:val')) if style is not None else 'Normal'}] {_inline(block)}")
        elif block.tag == qn("w:tbl"):
            lines.append("table")
            for tr in block.findall(qn("w:tr")):
                cells = []
                for tc in tr.findall(qn("w:tc")):
                    span = tc.find(f"{qn('w:tcPr')}/{qn('w:gridSpan')}")
                    prefix = f"<{span.get(qn('w:val'))}>" if span is not None else ""
                    cells.append(prefix + _inline(tc).replace("\n", "⏎"))
                lines.append("  | " + " | ".join(cells) + " |")
        elif block.tag == qn("w:sectPr"):
            size = block.find(qn("w:pgSz"))
            lines.append(f"page {size.get(qn('w:w'))}x{size.get(qn('w:h'))}")
    return "\n".join(lines) + "\n"
