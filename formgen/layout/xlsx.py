"""The names a workbook carries: its sheets, and the defined name or table of each address."""

from __future__ import annotations

META_SHEET = "formgen"
#: The row keys (column A) of the identity on the meta sheet; "unit" only in a form distributed to a unit.
META_FORM, META_VERSION, META_HASH, META_UNIT = "form", "version", "hash", "unit"
FORM_SHEET = "表单"
NAME_PREFIX = "fg."
TABLE_PREFIX = "tbl."


def defined_name(address: str) -> str:
    return NAME_PREFIX + address


def table_name(address: str) -> str:
    return TABLE_PREFIX + address
