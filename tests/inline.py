"""Forms written inline in tests as small tables (one row per field)."""

from __future__ import annotations

from typing import Any

TYPES = {
    "text": {"type": "string"},
    "textarea": {"type": "string", "x-formgen": {"widget": "textarea"}},
    "int": {"type": "integer"},
    "number": {"type": "number"},
    "date": {"type": "string", "format": "date"},
    "datetime": {"type": "string", "format": "date-time"},
    "bool": {"type": "boolean"},
}


def field(kind: str, title: str, **extra: Any) -> dict:
    schema = {"title": title, **{k: (dict(v) if isinstance(v, dict) else v) for k, v in TYPES.get(kind, {}).items()}}
    if kind.startswith("choice:"):
        pairs = [p.split("=") for p in kind[len("choice:"):].split(",")]
        schema["enum"] = [code for code, _label in pairs]
        schema["x-formgen"] = {"labels": [label for _code, label in pairs]}
    ann = extra.pop("x", None)
    if ann:
        schema.setdefault("x-formgen", {}).update(ann)
    schema.update(extra)
    return schema


def form(rows: list[tuple], form_id: str = "t-form", version: str = "1.0.0", title: str = "测试表",
         required: tuple[str, ...] = (), **root: Any) -> dict:
    """rows: (name, kind, title[, extra]) where kind is text|textarea|int|number|date|datetime|bool|
    choice:code=label,... or rows:<n> followed by a list of column rows as the extra element."""
    properties = {}
    for row in rows:
        name, kind, label = row[:3]
        extra = row[3] if len(row) > 3 else {}
        if kind == "rows":
            columns = {c[0]: field(c[1], c[2], **(c[3] if len(c) > 3 else {})) for c in extra}
            properties[name] = {"title": label, "type": "array",
                                "items": {"type": "object", "properties": columns}}
        else:
            properties[name] = field(kind, label, **extra)
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", "title": title,
            "x-formgen": {"id": form_id, "version": version, **root}, "type": "object",
            "required": list(required), "properties": properties}
