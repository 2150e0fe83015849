"""Reading and writing a record by field address (``persons.2.name``)."""

from __future__ import annotations

from typing import Any


def set_path(record: dict, address: str, value: Any) -> None:
    parts = address.split(".")
    node: Any = record
    for i, part in enumerate(parts[:-1]):
        nxt = parts[i + 1]
        key: Any = int(part) if isinstance(node, list) else part
        if isinstance(node, list):
            while len(node) <= key:
                node.append({})
            node = node[key]
        else:
            node = node.setdefault(key, [] if nxt.isdigit() else {})
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
