"""Compilers: one per format behind one interface ``compile(spec, data, out, lang)``."""

from __future__ import annotations

from formgen.compile.xlsx import XlsxCompiler

COMPILERS = {
    "xlsx": XlsxCompiler(),
}
