"""Reading and writing a record by field address (``persons.2.name``)."""

from __future__ import annotations

from typing import Any


def set_path(record: dict, address: str, value: Any) -> None:
    set_parts(record, address.split("."), value)


def set_parts(record: dict, parts: list[str], value: Any) -> None:
    """:func:`set_path` with the address already split at its dots."""
    node: Any = record
    for i in range(len(parts) - 1):
        part = parts[i]
        if isinstance(node, list):
            key = int(part)
            while len(node) <= key:
                node.append({})
            node = node[key]
        else:
            node = node.setdefault(part, [] if parts[i + 1].isdigit() else {})
    last = parts[-1]
    if isinstance(node, list):
        idx = int(last)
        while len(node) <= idx:
            node.append({})
        node[idx] = value
    else:
        node[last] = value


def get_path(record: Any, address: str) -> Any:
    node = record
    for part in address.split(".") if address else []:
        if isinstance(node, list):
            idx = int(part)
            if idx >= len(node):
                return None
            node = node[idx]
        elif isinstance(node, dict):
            node = node.get(part)
        else:
            return None
        if node is None:
            return None
    return node


def json_path(parts) -> str:
    """A place in a definition or record as a JSON path: ``$.persons[2].role``."""
    out = "$"
    for p in parts:
        out += f"[{p}]" if isinstance(p, int) else f".{p}"
    return out
