"""Readers: one per format, chosen by sniffing the bytes, not the file name."""

from __future__ import annotations

import io
import zipfile

from formgen.read.docx import DocxReader
from formgen.read.pdf import PdfReader
from formgen.read.xlsx import XlsxReader

READERS = {
    "docx": DocxReader(),
    "pdf": PdfReader(),
    "xlsx": XlsxReader(),
}


def sniff(data: bytes) -> str | None:
    """'xlsx', 'docx', 'pdf', or None when the bytes are none of these."""
    head = data[:1024]
    if b"%PDF-" in head:
        return "pdf"
    if head.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as zf:
                names = set(zf.namelist())
        except zipfile.BadZipFile:
            return None
        if "xl/workbook.xml" in names:
            return "xlsx"
        if "word/document.xml" in names:
            return "docx"
    return None
