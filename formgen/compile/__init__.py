"""Compilers: one per format behind one interface ``compile(spec, data, out, lang)``."""

from __future__ import annotations

from formgen.compile.docx import DocxCompiler
from formgen.compile.pdf import PdfCompiler
from formgen.compile.xlsx import XlsxCompiler

COMPILERS = {
    "docx": DocxCompiler(),
    "pdf": PdfCompiler(),
    "xlsx": XlsxCompiler(),
}
