"""Authoring forms in a workbook (the XLSForm convention): export and import (``formgen.author.workbook``),
lint (``formgen.author.lint``), the blank template and the diff of two versions.

Nothing is imported here, so the command line can register ``formgen author`` without loading openpyxl.
"""
