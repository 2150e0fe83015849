"""Compilers: one per format behind one interface ``compile(spec, data, out, lang)``.

Each compiler's module (and so its format's libraries) is imported when that format is first used.
"""

from __future__ import annotations

from formgen.lazy import LazyRegistry

COMPILERS = LazyRegistry({
    "docx": "formgen.compile.docx:DocxCompiler",
    "pdf": "formgen.compile.pdf:PdfCompiler",
    "xlsx": "formgen.compile.xlsx:XlsxCompiler",
})
