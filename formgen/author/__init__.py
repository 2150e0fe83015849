"""Authoring forms in a workbook (the XLSForm convention): export, import, template and lint."""

from formgen.author.workbook import export_workbook, import_workbook, write_workbook

__all__ = ["export_workbook", "import_workbook", "write_workbook"]
