"""Readers: one per format, chosen by sniffing the bytes, not the file name.

:func:`sniff` names the format a reader exists for; :func:`refusal` says, for
any other bytes, what the file is and what the person should do instead (an
old Office or WPS file, an OpenDocument file, a photo, a text file, an empty
or cut-off file, a password-protected one).  The file name's extension is only
a hint, used where the bytes of two programs' files are alike (WPS's .et and
.wps are Excel's and Word's 97–2003 formats).
"""

from __future__ import annotations

import codecs
import io
import zipfile

from pathlib import PurePath


from formgen.i18n import N_
from formgen.issues import Code, Issue
from formgen.lazy import LazyRegistry
from formgen.read.guard import INCOMPLETE

#: one reader per format, its module (and so its format's libraries) imported when that format is first read
READERS = LazyRegistry({
    "docx": "formgen.read.docx:DocxReader",
    "pdf": "formgen.read.pdf:PdfReader",
    "xlsx": "formgen.read.xlsx:XlsxReader",
})

FORMAT_NAMES = {"xlsx": "Excel (.xlsx)", "docx": "Word (.docx)", "pdf": "PDF"}
EXTENSIONS = {".xlsx": "xlsx", ".xlsm": "xlsx", ".docx": "docx", ".docm": "docx", ".pdf": "pdf"}

SAVE_AS_XLSX = N_("Open it in Excel or WPS, save it as .xlsx (Excel workbook), and submit that file again.")
SAVE_AS_DOCX = N_("Open it in Word or WPS, save it as .docx (Word document), and submit that file again.")
SUBMIT_THE_FORM = N_("Fill in the form file (.xlsx, .docx or .pdf) you were sent and submit that file itself.")
NOT_A_PHOTO = N_("Submit the filled-in form file itself; do not photograph or scan it.")
SAVE_AS_NEW = N_("Open it in Excel, Word or WPS, save it as .xlsx or .docx, and submit that file again.")
RESAVE = N_("Open the filled-in form, save it again, and submit the saved file.")
NOT_STRICT_XLSX = N_("Open it in Excel or WPS, save it as an ordinary Excel workbook (.xlsx), not as "
                     "“Strict Open XML”, and submit that file again.")
NOT_STRICT_DOCX = N_("Open it in Word or WPS, save it as an ordinary Word document (.docx), not as "
                     "“Strict Open XML”, and submit that file again.")

#: the magic bytes of an OLE compound file (``olefile.MAGIC``): Office 97–2003, WPS, an encrypted Office file
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
#: magic bytes at the start of an image file
IMAGE_MAGIC = (b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n", b"GIF87a", b"GIF89a", b"BM", b"II*\x00", b"MM\x00*")
#: ISO base media brands of HEIF/HEIC (phone photos) and AVIF images
HEIF_BRANDS = {b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"mif1", b"msf1", b"avif"}
POWERPOINT = N_("a PowerPoint presentation")
DAMAGED = N_("the file is damaged, or was changed by a program that does not keep its structure")
#: the main part of a Word or Excel package, its Strict Open XML namespace, and what to say of such a file
STRICT = {
    "xl/workbook.xml": (b"http://purl.oclc.org/ooxml/spreadsheetml/main",
                        N_("a Strict Open XML workbook (.xlsx)"), NOT_STRICT_XLSX),
    "word/document.xml": (b"http://purl.oclc.org/ooxml/wordprocessingml/main",
                          N_("a Strict Open XML document (.docx)"), NOT_STRICT_DOCX),
}
#: how much of a main part is read to find its root element's namespace
STRICT_HEAD = 4096


def sniff(data: bytes) -> str | None:
    """'xlsx', 'docx', 'pdf', or None when the bytes are none of these."""
    fmt, package = identify(data)
    if package is not None:
        package.close()
    return fmt


def identify(data: bytes) -> tuple[str | None, zipfile.ZipFile | None]:
    """The format, as :func:`sniff` names it, and for a Word or Excel package its zip directory, read once
    here: the hostile-file guard (:func:`formgen.read.guard.check_package`) checks the package through it
    and closes it, so that a package's directory is read once per file."""
    head = data[:1024]
    if b"%PDF-" in head:
        return "pdf", None
    if not head.startswith(b"PK\x03\x04"):
        return None, None
    package = _zip(data)
    if package is None:
        return None, None
    names = set(package.namelist())
    fmt = None if _strict(package, names) is not None else \
        "xlsx" if "xl/workbook.xml" in names else "docx" if "word/document.xml" in names else None
    if fmt is None:
        package.close()
        return None, None
    return fmt, package


def refusal(data: bytes, name: str = "") -> Issue:
    """Why bytes that :func:`sniff` does not know cannot be read, in words the sender can act on.

    ``name`` is the file's name, used only to tell files of the same bytes apart (WPS from Microsoft).
    """
    ext = PurePath(name).suffix.lower()
    if not data:
        return _unknown(N_("an empty file (0 bytes)"), RESAVE)
    if data.startswith(OLE_MAGIC):
        return _compound(data, ext)
    if data.startswith(b"PK\x03\x04"):
        return _package(data, ext)
    if data.startswith(IMAGE_MAGIC) or data[:4] == b"RIFF" and data[8:12] == b"WEBP" \
            or data[4:8] == b"ftyp" and data[8:12] in HEIF_BRANDS:
        return _unknown(N_("a photo or scan (an image)"), NOT_A_PHOTO)
    if _is_text(data[:4096]):
        return _unknown(N_("a text or CSV file"), SUBMIT_THE_FORM)
    return _unknown(N_("a file of a kind formgen does not know"), SUBMIT_THE_FORM)


def unreadable_reason(fmt: str, data: bytes) -> str:
    """Why a file of a known format failed to parse, as a message id (never an exception's name)."""
    if fmt == "pdf" and b"%%EOF" not in data[-2048:]:
        return INCOMPLETE
    return DAMAGED


def _unknown(kind: str, todo: str) -> Issue:
    return Issue(Code.FILE_FORMAT_UNKNOWN, params={"kind": kind, "todo": todo})


def _zip(data: bytes) -> zipfile.ZipFile | None:
    try:
        return zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, ValueError, OSError):
        return None


def _strict(package: zipfile.ZipFile, names: set[str]) -> str | None:
    """The main part of a Strict Open XML package (ISO/IEC 29500 Strict, which formgen's readers do not read)."""
    for part, (namespace, _kind, _todo) in STRICT.items():
        if part in names:
            try:
                with package.open(part) as stream:
                    head = stream.read(STRICT_HEAD)
            except Exception:  # a damaged entry: the reader that opens it says so
                return None
            return part if namespace in head else None
    return None


def _compound(data: bytes, ext: str) -> Issue:
    """An OLE compound file: Office 97–2003, WPS, or an encrypted Office 2007+ file."""
    import olefile  # here, not at the top: only a file that is not a form needs it

    try:
        with olefile.OleFileIO(data) as ole:
            streams = {"/".join(entry) for entry in ole.listdir(streams=True, storages=False)}
    except Exception:  # a damaged compound file: olefile's errors are of many kinds
        return _unknown(N_("an Office 97–2003 or WPS file"), SAVE_AS_NEW)
    if {"EncryptionInfo", "EncryptedPackage"} <= streams:
        return Issue(Code.FILE_ENCRYPTED)
    if "Workbook" in streams or "Book" in streams:
        if ext == ".et":
            return _unknown(N_("a WPS Spreadsheets workbook (.et)"), SAVE_AS_XLSX)
        return _unknown(N_("an Excel 97–2003 workbook (.xls)"), SAVE_AS_XLSX)
    if "WordDocument" in streams:
        if ext == ".wps":
            return _unknown(N_("a WPS Writer document (.wps)"), SAVE_AS_DOCX)
        return _unknown(N_("a Word 97–2003 document (.doc)"), SAVE_AS_DOCX)
    if "PowerPoint Document" in streams:
        return _unknown(POWERPOINT, SUBMIT_THE_FORM)
    return _unknown(N_("an old-style Office file that is neither a workbook nor a document"), SUBMIT_THE_FORM)


def _package(data: bytes, ext: str) -> Issue:
    """A zip that is no Word or Excel document: OpenDocument, another package, or a cut-off file."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            names = set(zf.namelist())
            mimetype = zf.read("mimetype")[:100].decode("ascii", "replace").strip() if "mimetype" in names else ""
            strict = _strict(zf, names)
    except Exception:  # cut off (no central directory) or damaged: zipfile's and zlib's errors are of many kinds
        head = data[:4096]  # the first entries' local headers name the kind of package
        fmt = "xlsx" if b"xl/" in head else "docx" if b"word/" in head else EXTENSIONS.get(ext)
        return Issue(Code.FILE_UNREADABLE, params={
            "format": FORMAT_NAMES[fmt] if fmt in ("xlsx", "docx") else N_("a Word or Excel document"),
            "reason": INCOMPLETE})
    if strict is not None:
        _namespace, kind, todo = STRICT[strict]
        return _unknown(kind, todo)
    if mimetype == "application/vnd.oasis.opendocument.spreadsheet":
        return _unknown(N_("an OpenDocument spreadsheet (.ods)"), SAVE_AS_XLSX)
    if mimetype == "application/vnd.oasis.opendocument.text":
        return _unknown(N_("an OpenDocument text document (.odt)"), SAVE_AS_DOCX)
    if "xl/workbook.bin" in names:
        return _unknown(N_("an Excel binary workbook (.xlsb)"), SAVE_AS_XLSX)
    if "ppt/presentation.xml" in names:
        return _unknown(POWERPOINT, SUBMIT_THE_FORM)
    if mimetype.startswith("application/vnd.oasis.opendocument"):
        return _unknown(N_("an OpenDocument file that is neither a spreadsheet nor a text document"), SUBMIT_THE_FORM)
    return _unknown(N_("a zip archive"), SUBMIT_THE_FORM)


def _is_text(head: bytes) -> bool:
    """Plain text (UTF-8, GB 18030 or UTF-16 with its byte-order mark), such as a CSV export."""
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return True
    if b"\x00" in head:
        return False
    for encoding in ("utf-8-sig", "gb18030"):
        try:  # incremental: the sample may end inside a character
            text = codecs.getincrementaldecoder(encoding)().decode(head, final=False)
        except UnicodeDecodeError:
            continue
        return all(ch.isprintable() or ch in "\t\r\n\f" for ch in text)
    return False
