"""A corpus of broken and hostile returned files, built from a filled form of each format.

``CASES`` maps a file name to (how to build its bytes from the filled ``base`` files, the expected result):
an issue code, or ``"valid"``.  Bombs are built from deflate blocks compressed once and repeated (each block
ends with a full flush, so copies can follow one another), so a 1.5 GiB sheet costs a few MB to build.
``SECRET`` is planted in a file an XXE case points at; it must appear in no output.
"""

from __future__ import annotations

import io
import re
import struct
import subprocess
import tempfile
import zipfile
import zlib
from pathlib import Path
from typing import Callable

from formgen.compile import COMPILERS
from formgen.spec import Registry

FORM = "incident-report"
SECRET = "HOSTILE-SECRET-7f3a9c"
SHEET = "xl/worksheets/sheet1.xml"
NS = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
MIB = 1 << 20


def make_base(registry: Registry, record: dict, folder: Path) -> dict[str, bytes]:
    """A filled form of each format, as bytes."""
    out = {}
    for fmt in ("xlsx", "docx", "pdf"):
        path = folder / f"base.{fmt}"
        COMPILERS[fmt].compile(registry.get(FORM), record, path)
        out[fmt] = path.read_bytes()
    return out


# -- zip packages, built entry by entry ---------------------------------------------------------

def _deflate(piece: bytes, final: bool) -> bytes:
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    return c.compress(piece) + c.flush(zlib.Z_FINISH if final else zlib.Z_FULL_FLUSH)


def repeated(head: bytes, body: bytes, times: int, tail: bytes) -> tuple[bytes, int]:
    """A raw deflate stream of ``head + body * times + tail`` and its unpacked size."""
    block = _deflate(body, False)
    return _deflate(head, False) + block * times + _deflate(tail, True), len(head) + len(body) * times + len(tail)


class Entry:
    """One zip entry: its packed bytes, its CRC and the sizes its headers state."""

    def __init__(self, name: str, data: bytes | None = None, packed: bytes | None = None, size: int = 0,
                 declared: int | None = None, offset_of: str | None = None):
        self.name = name
        if data is not None:
            packed, size = _deflate(data, True), len(data)
        self.packed = packed or b""
        self.crc = zlib.crc32(data) if data is not None else 0
        self.size = size if declared is None else declared
        self.offset_of = offset_of  # share another entry's data (overlapping entries)


def write_zip(entries: list[Entry]) -> bytes:
    out = io.BytesIO()
    offsets: dict[str, int] = {}
    central = []
    for e in entries:
        name = e.name.encode("utf-8")
        if e.offset_of is not None:
            offset = offsets[e.offset_of]
        else:
            offset = out.tell()
            out.write(struct.pack("<4sHHHHHIIIHH", b"PK\x03\x04", 20, 0x800, 8, 0, 0x21, e.crc, len(e.packed),
                                  e.size, len(name), 0) + name + e.packed)
        offsets.setdefault(e.name, offset)
        central.append(struct.pack("<4sHHHHHHIIIHHHHHII", b"PK\x01\x02", 20, 20, 0x800, 8, 0, 0x21, e.crc,
                                   len(e.packed), e.size, len(name), 0, 0, 0, 0, 0, offset) + name)
    start = out.tell()
    for record in central:
        out.write(record)
    out.write(struct.pack("<4sHHHHIIH", b"PK\x05\x06", 0, 0, len(central), len(central), out.tell() - start,
                          start, 0))
    return out.getvalue()


def parts(data: bytes) -> list[tuple[str, bytes]]:
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        return [(i.filename, zf.read(i)) for i in zf.infolist()]


def repack(data: bytes, replace: dict[str, Entry | bytes] | None = None, add: list[Entry] = ()) -> bytes:
    """The package with some entries replaced (bytes, or an Entry of its own) and others added."""
    replace = replace or {}
    entries = []
    for name, content in parts(data):
        new = replace.get(name, content)
        entries.append(new if isinstance(new, Entry) else Entry(name, new))
    return write_zip(entries + list(add))


def edit(data: bytes, name: str, change: Callable[[str], str]) -> bytes:
    return repack(data, {name: change(dict(parts(data))[name].decode("utf-8")).encode("utf-8")})


def _content_types_with(data: bytes, part: str, kind: str) -> bytes:
    types = dict(parts(data))["[Content_Types].xml"].decode()
    return types.replace("</Types>", f'<Override PartName="/{part}" ContentType="{kind}"/></Types>').encode()


# -- workbooks ---------------------------------------------------------------------------------

def sheet_bomb(base: dict[str, bytes], declared: int | None = None) -> bytes:
    """sheet1.xml unpacking to 1.5 GiB of rows (its real size declared, or a smaller lie)."""
    packed, size = repeated(f'<?xml version="1.0"?><worksheet {NS}><sheetData>'.encode(),
                            b"<row>" + b"<c><v>1</v></c>" * 4000 + b"</row>", 1536 * MIB // 60010,
                            b"</sheetData></worksheet>")
    return repack(base["xlsx"], {SHEET: Entry(SHEET, packed=packed, size=size, declared=declared)})


def shared_strings_bomb(base: dict[str, bytes]) -> bytes:
    """A sharedStrings part holding one string of 1.1 GiB."""
    name = "xl/sharedStrings.xml"
    packed, size = repeated(f'<?xml version="1.0"?><sst {NS} count="1" uniqueCount="1"><si><t>'.encode(),
                            b"A" * MIB, 1126, b"</t></si></sst>")
    data = repack(base["xlsx"], {"[Content_Types].xml": _content_types_with(
        base["xlsx"], name, "application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml")},
        [Entry(name, packed=packed, size=size)])
    return data


def far_cell(base: dict[str, bytes]) -> bytes:
    """A sheet declaring A1:XFD1048576 with a value typed in XFD1048576."""
    def change(xml: str) -> str:
        xml = _replace_dimension(xml, "A1:XFD1048576")
        return xml.replace("</sheetData>", '<row r="1048576"><c r="XFD1048576" t="inlineStr"><is><t>远处</t></is>'
                                           '</c></row></sheetData>')
    return edit(base["xlsx"], SHEET, change)


def _replace_dimension(xml: str, ref: str) -> str:
    start = xml.find("<dimension ")
    if start < 0:
        return xml.replace("<sheetViews>", f'<dimension ref="{ref}"/><sheetViews>', 1)
    end = xml.find("/>", start)
    return xml[:start] + f'<dimension ref="{ref}"' + xml[end:]


def forged_duplicate(base: dict[str, bytes], fmt: str, name: str, lower: bool = False) -> bytes:
    """A second entry of the same name (or of the same name in other letter case) with a forged value."""
    content = dict(parts(base[fmt]))[name].decode()
    forged = content.replace("沈阳市", "伪造市") if "沈阳市" in content else content + " "
    other = name.replace("sheet1", "Sheet1").replace("document", "Document") if lower else name
    return repack(base[fmt], add=[Entry(other, forged.encode())])


def overlapping(base: dict[str, bytes]) -> bytes:
    """A second directory entry whose data is the first entry's (the overlapping-file zip bomb)."""
    entries = [Entry(n, c) for n, c in parts(base["xlsx"])]
    entries.append(Entry("xl/media/image1.png", packed=entries[3].packed, size=entries[3].size,
                         offset_of=entries[3].name))
    entries[-1].crc = entries[3].crc
    return write_zip(entries)


def many_entries(base: dict[str, bytes], fmt: str) -> bytes:
    return repack(base[fmt], add=[Entry(f"customXml/item{i}.bin", b"x") for i in range(6000)])


def ratio_bomb(base: dict[str, bytes]) -> bytes:
    """A 30 MiB picture of zeros, packed 1000 times smaller: within the size cap, over the ratio cap."""
    packed, size = repeated(b"", bytes(MIB), 30, b"")
    return repack(base["xlsx"], add=[Entry("xl/media/image1.png", packed=packed, size=size)])


def xxe(base: dict[str, bytes], fmt: str, secret_path: Path) -> bytes:
    """The main part declares an external entity pointing at a file with a secret, and uses it."""
    name = SHEET if fmt == "xlsx" else "word/document.xml"
    def change(xml: str) -> str:
        body = _body(xml)
        root = body.lstrip()[1:].split()[0]
        doctype = f'<!DOCTYPE {root} [<!ENTITY xxe SYSTEM "file://{secret_path}">]>'
        body = body.replace("沈阳市", "&xxe;沈阳市", 1) if "沈阳市" in body else body.replace("</w:t>", "&xxe;</w:t>", 1)
        return '<?xml version="1.0" encoding="UTF-8"?>' + doctype + body
    return edit(base[fmt], name, change)


def _body(xml: str) -> str:
    """An XML part without its XML declaration."""
    return xml.split("?>", 1)[1] if xml.startswith("<?xml") else xml


def laughs(base: dict[str, bytes], fmt: str) -> bytes:
    name = SHEET if fmt == "xlsx" else "word/document.xml"
    entities = '<!ENTITY a0 "ha">' + "".join(f'<!ENTITY a{i} "{f"&a{i - 1};" * 10}">' for i in range(1, 10))
    def change(xml: str) -> str:
        body = _body(xml)
        root = body.lstrip()[1:].split()[0]
        return f'<?xml version="1.0"?><!DOCTYPE {root} [{entities}]>' + body.replace("沈阳市", "&a9;沈阳市", 1)
    return edit(base[fmt], name, change)


def utf16_dtd(base: dict[str, bytes]) -> bytes:
    body = _body(dict(parts(base["xlsx"]))[SHEET].decode())
    text = '<?xml version="1.0" encoding="UTF-16"?><!DOCTYPE worksheet [<!ENTITY e "x">]>' + body
    return repack(base["xlsx"], {SHEET: b"\xff\xfe" + text.encode("utf-16-le")})


def many_cells(base: dict[str, bytes]) -> bytes:
    """600,000 empty styled cells: a few MB unpacked, more cells than any form."""
    packed, size = repeated(f'<?xml version="1.0"?><worksheet {NS}><sheetData>'.encode(),
                            b"<row>" + b'<c s="1"/>' * 1000 + b"</row>", 600, b"</sheetData></worksheet>")
    return repack(base["xlsx"], {"xl/worksheets/sheet1.xml": Entry(SHEET, packed=packed, size=size)})


def long_text(base: dict[str, bytes]) -> bytes:
    return edit(base["xlsx"], SHEET, lambda xml: xml.replace(
        "</sheetData>",
        '<row r="900"><c r="A900" t="inlineStr"><is><t>' + "长" * 40000 + "</t></is></c></row></sheetData>"))


def deep_nesting(base: dict[str, bytes], fmt: str) -> bytes:
    name = SHEET if fmt == "xlsx" else "word/document.xml"
    tag = "x" if fmt == "xlsx" else "w:r"
    return edit(base[fmt], name, lambda xml: xml.replace(
        "</sheetData>" if fmt == "xlsx" else "</w:body>",
        f"<{tag}>" * 100000 + f"</{tag}>" * 100000 + ("</sheetData>" if fmt == "xlsx" else "</w:body>"), 1))


def defined_name(base: dict[str, bytes], name: str, text: str) -> bytes:
    def change(xml: str) -> str:
        start = xml.index(f'name="{name}"')
        open_end = xml.index(">", start) + 1
        close = xml.index("</definedName>", open_end)
        return xml[:open_end] + text + xml[close:]
    return edit(base["xlsx"], "xl/workbook.xml", change)


def table_ref(base: dict[str, bytes], ref: str) -> bytes:
    def change(xml: str) -> str:
        return re.sub(r' ref="[^"]*"', f' ref="{ref}"', xml)
    return edit(base["xlsx"], "xl/tables/table1.xml", change)


def meta_value(base: dict[str, bytes], old: str, new: str) -> bytes:
    """The identity sheet with one value changed (the form id, say)."""
    name = "xl/worksheets/sheet2.xml"
    return edit(base["xlsx"], name, lambda xml: xml.replace(f">{old}<", f">{new}<", 1))


def zip_slip(base: dict[str, bytes]) -> bytes:
    return repack(base["xlsx"], add=[Entry("../../../../tmp/formgen-zip-slip.txt", b"pwned"),
                                     Entry("/etc/formgen-zip-slip.txt", b"pwned")])


def encrypted(data: bytes) -> bytes:
    from msoffcrypto.format.ooxml import OOXMLFile
    out = io.BytesIO()
    OOXMLFile(io.BytesIO(data)).encrypt("secret", out)
    return out.getvalue()


# -- Word documents ------------------------------------------------------------------------------

def docx_bomb(base: dict[str, bytes]) -> bytes:
    name = "word/document.xml"
    packed, size = repeated(b'<?xml version="1.0"?><w:document xmlns:w="http://schemas.openxmlformats.org/'
                            b'wordprocessingml/2006/main"><w:body>', b"<w:p/>" * 100000, 2000,
                            b"</w:body></w:document>")
    return repack(base["docx"], {name: Entry(name, packed=packed, size=size)})


# -- PDFs --------------------------------------------------------------------------------------

def pdf_zeros(size: int) -> bytes:
    return b"%PDF-1.7\n" + bytes(size)


def pdf_many_objects(count: int) -> bytes:
    out = io.BytesIO()
    out.write(b"%PDF-1.7\n")
    offsets = [0]
    out_objects = [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [] /Count 0 >>"]
    out_objects += [b"null"] * count
    for number, body in enumerate(out_objects, start=1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj %s endobj\n" % (number, body))
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % len(offsets))
    for offset in offsets[1:]:
        out.write(b"%010d 00000 n \n" % offset)
    out.write(b"trailer << /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(offsets), xref))
    return out.getvalue()


def pdf_many_objects_in_streams(count: int) -> bytes:
    """A PDF whose ``count`` objects are packed into object streams (100 to a stream), so that its bytes hold
    few ``endobj`` and only its cross-reference stream names them all."""
    import pikepdf
    pdf = pikepdf.new()
    pdf.Root.Junk = pikepdf.Array([pdf.make_indirect(pikepdf.Dictionary(N=n)) for n in range(count)])
    out = io.BytesIO()
    pdf.save(out, object_stream_mode=pikepdf.ObjectStreamMode.generate)
    return out.getvalue()


def pdf_tool(data: bytes, *args: str) -> bytes:
    """``data`` passed through qpdf with ``args`` ({in} is the input file), written to the last argument."""
    with tempfile.TemporaryDirectory() as tmp:
        src, dst = Path(tmp, "in.pdf"), Path(tmp, "out.pdf")
        src.write_bytes(data)
        subprocess.run(["qpdf", *[a.replace("{in}", str(src)) for a in args], str(dst)], check=True,
                       capture_output=True)
        return dst.read_bytes()


def pdf_pages(data: bytes) -> bytes:
    """The PDF's pages copied by ``qpdf --pages`` (which drops the document information)."""
    return pdf_tool(data, "--empty", "--pages", "{in}", "--")


def pdf_without_identity_field(data: bytes) -> bytes:
    """The PDF without its hidden identity field."""
    import pypdf
    from pypdf.generic import ArrayObject, NameObject
    from formgen.layout.pdf import IDENTITY_FIELD
    writer = pypdf.PdfWriter(clone_from=pypdf.PdfReader(io.BytesIO(data)))
    form = writer._root_object["/AcroForm"]
    form[NameObject("/Fields")] = ArrayObject(f for f in form["/Fields"] if f.get_object().get("/T") != IDENTITY_FIELD)
    for page in writer.pages:
        page[NameObject("/Annots")] = ArrayObject(a for a in page.get("/Annots", [])
                                                  if a.get_object().get("/T") != IDENTITY_FIELD)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def pdf_info(data: bytes, change: Callable[[dict], None]) -> bytes:
    """The PDF with its document information changed by ``change(info)``."""
    import pypdf
    from pypdf.generic import NameObject, TextStringObject
    reader = pypdf.PdfReader(io.BytesIO(data))
    writer = pypdf.PdfWriter(clone_from=reader)
    info = {str(k): str(v) for k, v in (reader.metadata or {}).items()}
    change(info)
    writer._info = None
    writer.add_metadata({NameObject(k): TextStringObject(v) for k, v in info.items()})
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def pdf_blank() -> bytes:
    import pypdf
    writer = pypdf.PdfWriter()
    writer.add_blank_page(595, 842)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def pdf_deep_array(depth: int) -> bytes:
    body = b"[" * depth + b"]" * depth
    return (b"%PDF-1.7\n1 0 obj << /Type /Catalog /Pages 2 0 R /AcroForm << /Fields " + body +
            b" >> >> endobj\n2 0 obj << /Type /Pages /Kids [] /Count 0 >> endobj\n"
            b"trailer << /Size 3 /Root 1 0 R >>\nstartxref\n0\n%%EOF\n")


def cases(secret_path: Path) -> dict[str, tuple[Callable[[dict[str, bytes]], bytes], str]]:
    return {
        # workbooks
        "sheet-bomb.xlsx": (lambda b: sheet_bomb(b), "FG101"),
        "sheet-bomb-lying-size.xlsx": (lambda b: sheet_bomb(b, declared=30000), "FG101"),
        "shared-strings-bomb.xlsx": (shared_strings_bomb, "FG101"),
        "far-cell.xlsx": (far_cell, "FG108"),
        "duplicate-sheet.xlsx": (lambda b: forged_duplicate(b, "xlsx", SHEET), "FG101"),
        "duplicate-sheet-case.xlsx": (lambda b: forged_duplicate(b, "xlsx", SHEET, lower=True), "FG101"),
        "overlapping-entries.xlsx": (overlapping, "FG101"),
        "many-entries.xlsx": (lambda b: many_entries(b, "xlsx"), "FG101"),
        "ratio-bomb.xlsx": (ratio_bomb, "FG101"),
        "xxe.xlsx": (lambda b: xxe(b, "xlsx", secret_path), "FG101"),
        "billion-laughs.xlsx": (lambda b: laughs(b, "xlsx"), "FG101"),
        "utf16-dtd.xlsx": (utf16_dtd, "FG101"),
        "many-cells.xlsx": (many_cells, "FG101"),
        "long-cell-text.xlsx": (long_text, "FG101"),
        "deep-nesting.xlsx": (lambda b: deep_nesting(b, "xlsx"), "FG101"),
        "truncated.xlsx": (lambda b: b["xlsx"][:len(b["xlsx"]) // 2], "FG101"),
        "encrypted.xlsx": (lambda b: encrypted(b["xlsx"]), "FG107"),
        "workbook-named.pdf": (lambda b: b["xlsx"], "valid"),
        "table-ref-broken.xlsx": (lambda b: table_ref(b, "#REF!"), "FG105"),
        "table-whole-columns.xlsx": (lambda b: table_ref(b, "A:H"), "FG105"),
        "print-area-columns.xlsx": (lambda b: defined_name(b, "_xlnm.Print_Area", "'表单'!$A:$H"), "valid"),
        "name-a-column.xlsx": (lambda b: defined_name(b, "fg.school_name", "'表单'!$B:$B"), "FG105"),
        "unknown-form-rtl.xlsx": (lambda b: meta_value(b, FORM, "evil\u202etxt.exe_x0007__x001B_" + "x" * 300),
                                  "FG104"),
        "no-identity.xlsx": (lambda b: meta_value(b, FORM, ""), "FG123"),
        "zip-slip.xlsx": (zip_slip, "valid"),
        "empty.xlsx": (lambda b: b"", "FG102"),
        "garbage.xlsx": (lambda b: b"PK\x03\x04" + bytes(range(256)) * 64, "FG101"),
        # Word documents
        "document-bomb.docx": (docx_bomb, "FG101"),
        "duplicate-document.docx": (lambda b: forged_duplicate(b, "docx", "word/document.xml"), "FG101"),
        "duplicate-document-case.docx": (lambda b: forged_duplicate(b, "docx", "word/document.xml", lower=True),
                                         "FG101"),
        "many-entries.docx": (lambda b: many_entries(b, "docx"), "FG101"),
        "xxe.docx": (lambda b: xxe(b, "docx", secret_path), "FG101"),
        "billion-laughs.docx": (lambda b: laughs(b, "docx"), "FG101"),
        "deep-nesting.docx": (lambda b: deep_nesting(b, "docx"), "FG101"),
        "truncated.docx": (lambda b: b["docx"][:len(b["docx"]) // 2], "FG101"),
        "encrypted.docx": (lambda b: encrypted(b["docx"]), "FG107"),
        "document-named.xlsx": (lambda b: b["docx"], "valid"),
        # PDFs
        "zeros-200mib.pdf": (lambda b: pdf_zeros(200 * MIB), "FG101"),
        "zeros-90mib.pdf": (lambda b: pdf_zeros(90 * MIB), "FG101"),
        "many-objects.pdf": (lambda b: pdf_many_objects(150_000), "FG101"),
        "deep-array.pdf": (lambda b: pdf_deep_array(50_000), "FG101"),  # qpdf refuses nesting past 500: damaged
        "truncated.pdf": (lambda b: b["pdf"][:len(b["pdf"]) // 2], "FG101"),
        "password.pdf": (lambda b: pdf_tool(b["pdf"], "{in}", "--encrypt", "user", "owner", "256", "--"), "FG107"),
        "flattened.pdf": (lambda b: pdf_blank(), "FG106"),
        "pages-tool.pdf": (lambda b: pdf_pages(b["pdf"]), "valid"),
        "pages-tool-no-identity.pdf": (lambda b: pdf_without_identity_field(pdf_pages(b["pdf"])), "FG123"),
        "unknown-form-nul.pdf": (lambda b: pdf_info(b["pdf"], lambda i: i.update(
            {"/FormgenForm": "evil\u0000\u202e" + "y" * 300})), "FG104"),
        # neither
        "random.pdf": (lambda b: bytes(range(256)) * 100, "FG102"),
    }
