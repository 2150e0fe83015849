"""How a typed value is shown in a document: the inverse of formgen.coerce.

Compilers pre-fill with these; readers get back text that coercion turns into
the same value, so generate -> extract returns the record unchanged.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from formgen.coerce import CST
from formgen.spec.model import Field


def parse_datetime(value: str) -> dt.datetime:
    """An ISO date-time as a naive local (China Standard Time) datetime."""
    moment = dt.datetime.fromisoformat(value)
    if moment.tzinfo is not None:
        moment = moment.astimezone(CST).replace(tzinfo=None)
    return moment


def native(field: Field, value: Any) -> Any:
    """The value as a spreadsheet cell holds it (date, datetime, number or text)."""
    if value is None:
        return None
    kind = field.kind
    if kind in ("choice", "boolean"):
        return field.label_for(value)
    if kind == "multi":
        return "、".join(field.label_for(v) for v in value) if isinstance(value, list) else str(value)
    if kind == "date" and isinstance(value, str):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            return value
    if kind == "datetime" and isinstance(value, str):
        try:
            return parse_datetime(value)
        except ValueError:
            return value
    return value


def display(field: Field, value: Any) -> str:
    """The value as text, as a person would write it on the paper form."""
    shown = native(field, value)
    if shown is None:
        return ""
    if isinstance(shown, dt.datetime):
        return shown.strftime("%Y-%m-%d %H:%M" if shown.second == 0 else "%Y-%m-%d %H:%M:%S")
    if isinstance(shown, dt.date):
        return shown.isoformat()
    return str(shown)
