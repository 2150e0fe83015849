"""The checks a returned file passes before any parser sees it, so that every file costs bounded time and
memory (the limits are ``formgen.limits``).

A Word or Excel file is a zip package.  Before openpyxl or lxml reads a part, :func:`check_package` looks at
the package's directory and at every XML part as it unpacks it, a chunk at a time: too many parts, a part or
the whole unpacking to more than its cap or compressed suspiciously well (a zip bomb), two parts of the same
name (the reader would take one and another program the other: a forged value could hide there), parts that
overlap one another, a document type declaration (DTD; the way to entity expansion and external entities),
or a sheet with more cells than any form has.  A zip's directory states each part's unpacked size and
Python's zipfile never unpacks more than that, so a lying size ends in a damaged-file error, not in memory.

A PDF must end with its cross-reference pointer (``startxref``) and its cross-reference table may name
only so many objects (:func:`check_pdf`), so that a parser never searches a huge file for structure.
Every refusal is :class:`Unreadable` with FILE_UNREADABLE and a reason the sender can understand.
"""

from __future__ import annotations

import re
import struct
import zipfile
from typing import BinaryIO

from formgen.i18n import N_
from formgen.issues import Code, Issue, Text, Unreadable, shown
from formgen.limits import LIMITS, MIB, Limits

CHUNK = MIB
#: a cell element of a sheet, with or without a namespace prefix
_CELL = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?c[\s/>]")
#: the same cells in text where no prefix can be (text without ":c"), found three times as fast
_UNPREFIXED_CELL = re.compile(rb"<c[\s/>]")
_DTD = (b"<!DOCTYPE", b"<!ENTITY")
_DTD_UTF16 = tuple(m.encode(enc) for m in ("<!DOCTYPE", "<!ENTITY") for enc in ("utf-16-le", "utf-16-be"))
_LOCAL_HEADER = struct.Struct("<4s22xHH")
INCOMPLETE = N_("the file is incomplete: it was cut off, perhaps while it was copied, downloaded or sent")


def refuse(fmt_name: str, reason: str, **params: object) -> Unreadable:
    """FILE_UNREADABLE for a file of format ``fmt_name``, the ``reason`` a message id with its ``params``."""
    return Unreadable(Issue(Code.FILE_UNREADABLE, params={"format": fmt_name, "reason": Text(reason, params)}))


def check_size(stream: BinaryIO, fmt_name: str, limits: Limits = LIMITS) -> None:
    """Refuse a file larger than the file size limit, before reading it."""
    size = stream.seek(0, 2)
    stream.seek(0)
    if size > limits.file_bytes:
        raise too_large(fmt_name, limits)


def too_large(fmt_name: str, limits: Limits = LIMITS) -> Unreadable:
    return refuse(fmt_name, N_("the file is larger than {limit} MiB, more than any filled form"),
                  limit=limits.file_bytes // MIB)


def check_package(stream: BinaryIO, fmt_name: str, limits: Limits = LIMITS, sheets: str = "",
                  package: zipfile.ZipFile | None = None) -> dict[str, bytes]:
    """Refuse a zip package that breaks a limit; ``sheets`` is the folder of parts whose cells are counted
    (``xl/worksheets/``).  Returns the XML parts it unpacked, by name, so that a reader parses these bytes
    instead of unpacking the parts again (their sizes are within the limits just checked).  ``package`` is
    the stream's zip directory when the format sniffer has read it already (:func:`formgen.read.identify`):
    it is not read again.  The stream is left at its start."""
    parts: dict[str, bytes] = {}
    try:
        check_size(stream, fmt_name, limits)
        with package if package is not None else zipfile.ZipFile(stream) as zf:
            infos = zf.infolist()
            _check_directory(stream, infos, fmt_name, limits)
            cells = 0
            for info in infos:
                if info.filename.endswith((".xml", ".rels", ".vml")):
                    count, parts[info.filename] = _check_part(zf, info, fmt_name, limits, sheets)
                    cells += count
                    if cells > limits.cells:
                        raise refuse(fmt_name, N_("its sheets hold more than {limit} cells, more than any form has"),
                                     limit=limits.cells)
    finally:
        stream.seek(0)
    return parts


def _check_directory(stream: BinaryIO, infos: list[zipfile.ZipInfo], fmt_name: str, limits: Limits) -> None:
    if len(infos) > limits.zip_entries:
        raise refuse(fmt_name, N_("it holds more than {limit} parts, more than any form has"), limit=limits.zip_entries)
    seen: set[str] = set()
    total = 0
    for info in infos:
        key = info.filename.replace("\\", "/").lstrip("/").casefold()  # part names are compared so in OOXML
        if key in seen:
            raise refuse(fmt_name, N_("the file holds two parts of the same name ({part}): it may have been "
                                      "changed to hide a false value"), part=_shown(info.filename))
        seen.add(key)
        if info.file_size > limits.entry_bytes:
            raise refuse(fmt_name, N_("a part of it ({part}) unpacks to more than {limit} MiB"),
                         part=_shown(info.filename), limit=limits.entry_bytes // MIB)
        if info.file_size > limits.ratio_floor and info.file_size > limits.ratio * max(info.compress_size, 1):
            raise refuse(fmt_name, N_("a part of it ({part}) unpacks to more than {ratio} times its packed size, "
                                      "as only files made to do harm do"), part=_shown(info.filename),
                         ratio=limits.ratio)
        total += info.file_size
    if total > limits.total_bytes:
        raise refuse(fmt_name, N_("its parts unpack to more than {limit} MiB in all"), limit=limits.total_bytes // MIB)
    end = 0
    for info in sorted(infos, key=lambda i: i.header_offset):
        stream.seek(info.header_offset)
        header = stream.read(_LOCAL_HEADER.size)
        if len(header) < _LOCAL_HEADER.size or header[:4] != b"PK\x03\x04" or info.header_offset < end:
            raise refuse(fmt_name, N_("its parts overlap one another or are not where its directory says"))
        _sig, name_length, extra_length = _LOCAL_HEADER.unpack(header)
        end = info.header_offset + _LOCAL_HEADER.size + name_length + extra_length + info.compress_size


def _check_part(zf: zipfile.ZipFile, info: zipfile.ZipInfo, fmt_name: str, limits: Limits,
                sheets: str) -> tuple[int, bytes]:
    """Unpack an XML part a chunk at a time, within its caps; refuse a DTD; count a sheet's cells.
    Returns the cells counted and the part's bytes."""
    count_cells = bool(sheets) and info.filename.startswith(sheets)
    cells = 0
    size = 0
    carry = b""
    chunks = []
    with zf.open(info) as part:
        while chunk := part.read(CHUNK):
            chunks.append(chunk)
            size += len(chunk)
            if size > limits.entry_bytes:
                raise refuse(fmt_name, N_("a part of it ({part}) unpacks to more than {limit} MiB"),
                             part=_shown(info.filename), limit=limits.entry_bytes // MIB)
            window = carry + chunk
            if any(m in window for m in _DTD + _DTD_UTF16):
                raise refuse(fmt_name, N_("a part of it ({part}) declares a document type (DTD), which no office "
                                          "program writes and formgen does not read"), part=_shown(info.filename))
            if count_cells:
                cells += _cells_in(window) - _cells_in(carry)
                if cells > limits.cells:
                    break
            carry = window[-32:]
    return cells, b"".join(chunks)


def _cells_in(data: bytes) -> int:
    """How many cell elements ``data`` holds (:data:`_CELL`'s matches)."""
    return len((_UNPREFIXED_CELL if b":c" not in data else _CELL).findall(data))


def _shown(name: str) -> str:
    """A part's name as it may be repeated in a message."""
    return shown(name, 60)


def check_pdf(stream: BinaryIO, limits: Limits = LIMITS) -> None:
    """Refuse a PDF over the size limit, one that does not end with its cross-reference pointer, or one
    with more objects than the limit, before a parser searches it for structure."""
    check_size(stream, "PDF", limits)
    data = stream.read()
    stream.seek(0)
    if b"startxref" not in data[-4096:]:
        raise refuse("PDF", INCOMPLETE)
    check_pdf_objects(data.count(b"endobj"), limits)


def check_pdf_objects(objects: int, limits: Limits = LIMITS) -> None:
    if objects > limits.pdf_objects:
        raise refuse("PDF", N_("it holds more than {limit} objects, more than any form has"), limit=limits.pdf_objects)
