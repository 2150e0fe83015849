"""WordprocessingML names and a small lxml element builder, shared by the docx compiler and reader."""

from __future__ import annotations

import re
import unicodedata
import zipfile

from lxml import etree

from formgen.layout.linebreak import SPACED_WORD

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
W14 = "http://schemas.microsoft.com/office/word/2010/wordml"
R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
MC = "http://schemas.openxmlformats.org/markup-compatibility/2006"
CUSTOM = "http://schemas.openxmlformats.org/officeDocument/2006/custom-properties"
VT = "http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes"
XML = "http://www.w3.org/XML/1998/namespace"
NSMAP = {"w": W, "w14": W14, "r": R, "mc": MC}
_PREFIXES = {**NSMAP, "xml": XML}

#: Custom document properties that carry the form's identity.
PROP_FORM, PROP_VERSION, PROP_HASH = "formgen.form", "formgen.version", "formgen.hash"
#: The code of the unit a distributed form was made for (``formgen generate --roster``).
PROP_UNIT = "formgen.unit"


#: U+2060 WORD JOINER: no line break here.  Word and LibreOffice break a value where Chinese text may break
#: (024-|86123456, 2021年|3月, 〔2021〕|5号, 检|察院); WordprocessingML has no run property that keeps a run on
#: one line (w:noBreakHyphen covers hyphens only), so values get joiners and the reader takes them out.
#: LibreOffice honours a joiner next to a Chinese character only in a run of another language (the letters'
#: runs of joined text, ``formgen.compile.docx_letter.JOINED_LANG``).
NO_BREAK = "\u2060"
_UNBROKEN = re.compile(r"\d{4}年\d{1,2}月(?:\d{1,2}日)?|\d{1,2}月\d{1,2}日|\d{1,2}时\d{2}分(?:\d{2}秒)?"
                       r"|〔\d{4}〕\d+号|[0-9A-Za-z]+(?:[-/.:_@][0-9A-Za-z]+)+")
_ALNUM = re.compile(r"[0-9A-Za-z]")
#: A word of text written apart (法院 检察院 公安厅), as the PDF wraps it: kept whole up to SPACED_WORD long.
_SPACED = re.compile(r"(?<![^ ])[^ \n]{2,}(?![^ ])")
#: A stretch of text that joiners hold together: letters and digits run together, or single characters,
#: with a joiner between each two.
JOINED = re.compile(f"(?:[0-9A-Za-z]+|[^{NO_BREAK}])(?:{NO_BREAK}(?:[0-9A-Za-z]+|[^{NO_BREAK}]))+")


def _joined(word: str) -> str:
    return word[0] + "".join(("" if _ALNUM.match(a) and _ALNUM.match(b) else NO_BREAK) + b
                             for a, b in zip(word, word[1:]))


def unbroken(text: str) -> str:
    """Text with word joiners wherever Word or LibreOffice could break a number, a date, a time, a code or a
    phone number (between every two of its characters that are not both letters or digits, which neither
    breaks between), and inside each word of text written apart by spaces (法院 检察院 公安厅)."""
    if _ALNUM.search(text):  # every number, date, time and code holds a letter or digit
        text = _UNBROKEN.sub(lambda m: _joined(m[0]), text)
    if " " in text.strip(" "):
        text = _SPACED.sub(lambda m: _joined(without_joiners(m[0])) if len(without_joiners(m[0])) <= SPACED_WORD
                           else m[0], text)
    return text


def whole(text: str) -> str:
    """Text kept on one line: a word joiner between every two of its characters (a fill-in blank that
    moves to the next line whole, as the PDF letter's field does, rather than parting there)."""
    return NO_BREAK.join(text)


def without_joiners(text: str) -> str:
    """Text as it was before ``unbroken``."""
    return text.replace(NO_BREAK, "")


def qn(name: str) -> str:
    """'w:tbl' -> '{namespace}tbl'."""
    prefix, local = name.split(":")
    return f"{{{_PREFIXES[prefix]}}}{local}"


def el(name: str, attrs: dict[str, str] | None = None, *children: etree._Element, text: str | None = None,
       nsmap: dict[str, str] | None = None) -> etree._Element:
    """An element with prefixed attribute names (``{"w:val": "1"}``) and children."""
    node = etree.Element(qn(name), nsmap=nsmap)
    for key, value in (attrs or {}).items():
        node.set(qn(key) if ":" in key else key, value)
    node.extend(children)
    if text is not None:
        node.text = text
    return node


def safe_parser() -> etree.XMLParser:
    """A parser for untrusted XML: no DTDs, no entities, no network, no huge trees."""
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, dtd_validation=False,
                           huge_tree=False, remove_blank_text=False)


def custom_properties(zf: zipfile.ZipFile) -> dict[str, str]:
    """The custom document properties (docProps/custom.xml) as text, {} when there are none."""
    try:
        data = zf.read("docProps/custom.xml")
    except KeyError:
        return {}
    return properties_of(data)


def properties_of(data: bytes | None) -> dict[str, str]:
    """The custom document properties in the bytes of a docProps/custom.xml part (None: no such part)."""
    if data is None:
        return {}
    root = etree.fromstring(data, safe_parser())
    return {prop.get("name"): "".join(prop.itertext()).strip()
            for prop in root.iter(f"{{{CUSTOM}}}property") if prop.get("name")}


def clean(text: str) -> str:
    """Drop characters XML or Word cannot hold (control characters except tab and line break)."""
    if text.isprintable():  # no control, surrogate or non-character code point (nor line break)
        return text
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return "".join(ch for ch in text if ch in "\t\n" or unicodedata.category(ch) not in ("Cc", "Cs")
                   and ch not in "\ufffe\uffff")
