"""A form definition as an authoring workbook in the XLSForm convention, and back.

``export_workbook`` writes every part of a definition into the workbook and ``import_workbook`` reads it back
to the same definition: the survey rows carry the fields (types as XLSForm names them, the JSON-Schema limits
as XLSForm constraints such as ``. >= 0 and . <= 100``), the choices sheet the choice lists, the settings
sheet the form's identity, and formgen's own sheets its rules, letter and pre-printed rows.  Anything a
column cannot hold goes into the ``json`` column of its row (or of the settings), so nothing is lost.

Workbooks are read with openpyxl by header name, row by row; a blank row is skipped (its row number still
counts), so a blank line left between two questions does not end the form.
"""

from __future__ import annotations

import copy
import io
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from openpyxl import Workbook, load_workbook
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from formgen.author import columns as C
from formgen.issues import Code, Issue, Text
from formgen.spec.model import is_multi

SCHEMA_URI = "https://json-schema.org/draft/2020-12/schema"
ROOT_ANN = ("id", "version", "title_en", "kind", "issuer", "orientation", "unit", "deadline", "header", "footer",
            "letter", "page")
PROPERTY_ANN = ("title_en", "help", "help_en", "labels", "labels_en", "widget", "section", "section_en", "pii",
                "readonly", "rows", "lines", "width", "placeholder", "key", "fixed_rows", "relevant", "relevant_label",
                "relevant_label_en")
_DEADLINE_KEYS = ("kind", "date", "days", "hours", "from", "to")
_FLAG_ANN = ("pii", "readonly")
_NUMBER_ANN = ("rows", "lines", "width")
_TEXT_ANN = ("placeholder", "key")
#: JSON-Schema limits as XLSForm constraint parts: keyword -> (template, pattern that reads it back).
_LIMITS = {
    "minimum": ". >= {}", "maximum": ". <= {}", "exclusiveMinimum": ". > {}", "exclusiveMaximum": ". < {}",
    "minLength": "string-length(.) >= {}", "maxLength": "string-length(.) <= {}",
}
_NUMBER = r"(-?\d+(?:\.\d+)?)"
_LIMIT_PATTERNS = [
    (re.compile(r"^string-length\(\s*\.\s*\)\s*>=\s*" + _NUMBER + "$"), "minLength"),
    (re.compile(r"^string-length\(\s*\.\s*\)\s*<=\s*" + _NUMBER + "$"), "maxLength"),
    (re.compile(r"^\.\s*>=\s*" + _NUMBER + "$"), "minimum"),
    (re.compile(r"^\.\s*<=\s*" + _NUMBER + "$"), "maximum"),
    (re.compile(r"^\.\s*>\s*" + _NUMBER + "$"), "exclusiveMinimum"),
    (re.compile(r"^\.\s*<\s*" + _NUMBER + "$"), "exclusiveMaximum"),
]
_REGEX = re.compile(r"""^regex\(\s*\.\s*,\s*(?:'(?P<a>[^']*)'|"(?P<b>[^"]*)")\s*\)$""")


# -- export ------------------------------------------------------------------------------------------------


def export_workbook(definition: dict, all_columns: bool = False) -> Workbook:
    """The authoring workbook of a definition (lossless: ``import_workbook`` gives the definition back).

    Only the columns the definition uses are written, unless ``all_columns`` (for a template)."""
    book = _Book()
    root_extra: dict = {}
    ann = definition.get("x-formgen", {})
    book.walk(definition, (), root_extra)
    for line in ann.get("footer", []):
        book.survey.append({"type": "note", "name": f"note_{len(book.survey) + 1}", "label::zh": line})
    wb = Workbook()
    survey = wb.active
    survey.title = "survey"
    _write(survey, C.SURVEY, book.survey, all_columns)
    _write(wb.create_sheet("choices"), C.CHOICES, book.choices, all_columns)
    settings = _settings_row(definition, root_extra)
    _write(wb.create_sheet("settings"), C.SETTINGS, [settings], all_columns)
    rules = definition.get("x-formgen-rules")
    if isinstance(rules, list) and rules:
        _write(wb.create_sheet("rules"), C.RULES, [_rule_row(r) for r in rules], all_columns)
    if ann.get("letter"):
        _write(wb.create_sheet("letter"), C.LETTER, [dict(b) for b in ann["letter"]])
    for address, rows in book.fixed_rows:
        headers: list[str] = []
        for row in rows:
            headers += [k for k in row if k not in headers]
        _write(wb.create_sheet(C.FIXED_ROWS_PREFIX + address), headers, rows)
    return wb


def write_workbook(definition: dict, out) -> None:
    export_workbook(definition).save(out)


class _Book:
    def __init__(self):
        self.survey: list[dict] = []
        self.choices: list[dict] = []
        self.lists: set[str] = {C.YES_NO_LIST}
        self.fixed_rows: list[tuple[str, list[dict]]] = []
        self.yes_no = False

    def walk(self, container: dict, prefix: tuple[str, ...], extra: dict) -> None:
        """Rows for the properties of ``container``; what they cannot say goes into ``extra``."""
        props = container.get("properties", {})
        required = container.get("required", [])
        if [k for k in props if k in required] != list(required) or any(r not in props for r in required):
            extra["required"] = list(required)
        for name, sub in props.items():
            self.row(name, sub, name in required, prefix)

    def row(self, name: str, schema: dict, required: bool, prefix: tuple[str, ...]) -> None:
        schema = copy.deepcopy(schema)
        ann = schema.pop("x-formgen", None)
        row: dict[str, Any] = {"name": name}
        if required:
            row["required"] = "yes"
        if "title" in schema:
            row["label::zh"] = schema.pop("title")
        extra: dict = {}
        repeat = schema.get("type") == "array" and not is_multi(schema)
        ann_rest = _property_ann(ann, row, repeat) if isinstance(ann, dict) else None
        if ann is not None and not isinstance(ann, dict):
            extra["x-formgen"] = ann
        kind = schema.get("type")
        if kind == "object" and isinstance(schema.get("properties"), dict):
            row["type"] = "begin_group"
            schema.pop("type")
            inner = {"properties": schema.pop("properties"), "required": schema.pop("required", [])}
            self.survey.append(row)
            group_extra: dict = {}
            self.walk(inner, prefix + (name,), group_extra)
            extra.update(group_extra)
            self.finish(row, schema, extra, ann_rest, ann)
            self.survey.append({"type": "end_group", "name": name})
            return
        if kind == "array" and isinstance(schema.get("items"), dict) and schema["items"].get("type") == "object":
            row["type"] = "begin_repeat"
            schema.pop("type")
            items = schema.pop("items")
            items.pop("type")
            inner = {"properties": items.pop("properties", {}), "required": items.pop("required", [])}
            for key, column in (("minItems", "min_rows"), ("maxItems", "max_rows")):
                if isinstance(schema.get(key), int) and not isinstance(schema[key], bool):
                    row[column] = schema.pop(key)
            if ann_rest and "fixed_rows" in ann_rest:
                self.fixed_rows.append((".".join(prefix + (name,)), ann_rest.pop("fixed_rows")))
            self.survey.append(row)
            group_extra = {}
            self.walk(inner, prefix + (name,), group_extra)
            if group_extra or items:
                extra["items"] = {**items, **group_extra}
            self.finish(row, schema, extra, ann_rest, ann)
            self.survey.append({"type": "end_repeat", "name": name})
            return
        row["type"] = self.scalar_type(name, schema, ann_rest, prefix)
        if row["type"] == "text" and isinstance(schema.get("format"), str):
            row["format"] = schema.pop("format")
        constraint = _constraint(schema)
        if constraint:
            row["constraint"] = constraint
        if "default" in schema and isinstance(schema["default"], (str, int, float, bool)):
            row["default"] = schema.pop("default")
        self.survey.append(row)
        self.finish(row, schema, extra, ann_rest, ann)

    def finish(self, row: dict, schema: dict, extra: dict, ann_rest: dict | None, ann) -> None:
        extra.update(schema)
        if ann_rest:
            extra["x-formgen"] = ann_rest
        elif ann == {}:
            extra["x-formgen"] = {}
        if extra:
            row["json"] = json.dumps(extra, ensure_ascii=False)

    def scalar_type(self, name: str, schema: dict, ann: dict | None, prefix: tuple[str, ...]) -> str:
        multi = (is_multi(schema) and schema["items"].keys() == {"enum"} and schema.get("uniqueItems") is True)
        enum = schema["items"]["enum"] if multi else schema.get("enum")
        if isinstance(enum, list) and enum and all(isinstance(v, str) for v in enum) and len(set(enum)) == len(enum):
            labels = (ann or {}).get("labels")
            labels_en = (ann or {}).get("labels_en")
            if _labels_fit(labels, enum) and _labels_fit(labels_en, enum):
                for key in ("type", "items", "uniqueItems") if multi else ("enum",):
                    schema.pop(key)
                for key in ("labels", "labels_en"):
                    (ann or {}).pop(key, None)
                list_name = self.list_name(name, prefix)
                for i, value in enumerate(enum):
                    choice = {"list_name": list_name, "name": value}
                    if labels:
                        choice["label::zh"] = labels[i]
                    if labels_en:
                        choice["label::en"] = labels_en[i]
                    self.choices.append(choice)
                return f"select_multiple {list_name}" if multi else f"select_one {list_name}"
        kind = schema.get("type")
        if kind == "boolean":
            schema.pop("type")
            if not self.yes_no:
                self.yes_no = True
                self.choices += [{"list_name": C.YES_NO_LIST, "name": "yes", "label::zh": "是", "label::en": "Yes"},
                                 {"list_name": C.YES_NO_LIST, "name": "no", "label::zh": "否", "label::en": "No"}]
            return f"select_one {C.YES_NO_LIST}"
        if kind == "integer":
            schema.pop("type")
            return "integer"
        if kind == "number":
            schema.pop("type")
            return "decimal"
        if kind == "string":
            schema.pop("type")
            fmt = schema.get("format")
            if fmt == "date":
                schema.pop("format")
                return "date"
            if fmt == "date-time":
                schema.pop("format")
                return "datetime"
            return "text"
        return "text"

    def list_name(self, name: str, prefix: tuple[str, ...]) -> str:
        candidates = [name, "_".join(prefix + (name,))]
        for candidate in candidates:
            if candidate not in self.lists:
                self.lists.add(candidate)
                return candidate
        n = 2
        while f"{candidates[-1]}_{n}" in self.lists:
            n += 1
        self.lists.add(f"{candidates[-1]}_{n}")
        return f"{candidates[-1]}_{n}"


def _labels_fit(labels, enum) -> bool:
    return labels is None or (isinstance(labels, list) and len(labels) == len(enum)
                              and all(isinstance(x, str) and x for x in labels))


def _property_ann(ann: dict, row: dict, repeat: bool) -> dict:
    """Put a property's annotations into its row; returns what is left for the json column."""
    rest = dict(ann)

    def take(key: str, column: str, ok) -> None:
        if key in rest and ok(rest[key]):
            row[column] = rest.pop(key)

    take("title_en", "label::en", _is_text)
    take("help", "hint::zh", _is_text)
    take("help_en", "hint::en", _is_text)
    take("section", "section::zh", _is_text)
    take("section_en", "section::en", _is_text)
    take("relevant", "relevant", _is_text)
    take("relevant_label", "relevant_label::zh", _is_text)
    take("relevant_label_en", "relevant_label::en", _is_text)
    if rest.get("widget") in ("text", "textarea", "select", "radio", "checkbox", "date", "datetime", "number"):
        widget = rest.pop("widget")
        row["appearance"] = "multiline" if widget == "textarea" else widget
    for key in _FLAG_ANN:
        if isinstance(rest.get(key), bool):
            row[key] = "yes" if rest.pop(key) else "no"
    for key in _NUMBER_ANN:
        if key == "rows" and not repeat:  # on any other row, the rows column is XLSForm's text-box height
            continue
        if isinstance(rest.get(key), (int, float)) and not isinstance(rest[key], bool):
            row[key] = rest.pop(key)
    for key in _TEXT_ANN:
        take(key, key, _is_text)
    return rest


def _is_text(value) -> bool:
    return isinstance(value, str) and value != "" and value == value.strip()


def _constraint(schema: dict) -> str:
    parts = []
    for key, template in _LIMITS.items():
        value = schema.get(key)
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            parts.append(template.format(_number(value)))
            schema.pop(key)
    pattern = schema.get("pattern")
    if isinstance(pattern, str) and not ("'" in pattern and '"' in pattern) and " and " not in pattern:
        quote = '"' if "'" in pattern else "'"
        parts.append(f"regex(., {quote}{pattern}{quote})")
        schema.pop("pattern")
    return " and ".join(parts)


def _number(value) -> str:
    if isinstance(value, float) and value.is_integer():
        return repr(value)
    return str(value)


def _settings_row(definition: dict, extra: dict) -> dict:
    rest = copy.deepcopy(definition)
    row: dict[str, Any] = {}
    ann = rest.pop("x-formgen", None)
    ann_rest = dict(ann) if isinstance(ann, dict) else None
    if ann is not None and not isinstance(ann, dict):
        extra["x-formgen"] = ann
    if ann_rest is not None:
        for key, column in (("id", "form_id"), ("version", "version"), ("title_en", "form_title::en"),
                            ("kind", "kind"), ("issuer", "issuer"), ("orientation", "orientation")):
            if isinstance(ann_rest.get(key), str):
                row[column] = ann_rest.pop(key)
        unit = ann_rest.get("unit")
        if isinstance(unit, dict) and set(unit) <= {"code", "name"} and unit and all(
                isinstance(v, str) for v in unit.values()):
            for key, value in ann_rest.pop("unit").items():
                row[f"unit_{key}"] = value
        deadline = ann_rest.get("deadline")
        if isinstance(deadline, dict) and set(deadline) <= set(_DEADLINE_KEYS) and all(
                isinstance(v, (str, int)) and not isinstance(v, bool) for v in deadline.values()):
            for key, value in ann_rest.pop("deadline").items():
                row[f"deadline_{key}"] = value
        header = ann_rest.get("header")
        if isinstance(header, list) and header and all(isinstance(x, str) and "\n" not in x and x for x in header):
            row["header"] = "\n".join(ann_rest.pop("header"))
        if isinstance(ann_rest.get("page"), dict):
            row["page"] = json.dumps(ann_rest.pop("page"), ensure_ascii=False)
        footer = ann_rest.get("footer")
        if isinstance(footer, list) and footer and all(isinstance(x, str) and x for x in footer):
            ann_rest.pop("footer")
        letter = ann_rest.get("letter")
        if isinstance(letter, list) and letter and all(
                isinstance(b, dict) and set(b) <= set(C.LETTER) for b in letter):
            ann_rest.pop("letter")
        if ann_rest:
            extra["x-formgen"] = ann_rest
    if isinstance(rest.get("title"), str):
        row["form_title::zh"] = rest.pop("title")
    if isinstance(rest.get("description"), str):
        row["description"] = rest.pop("description")
    ident = (ann or {}).get("id") if isinstance(ann, dict) else None
    version = (ann or {}).get("version") if isinstance(ann, dict) else None
    if rest.get("$schema") == SCHEMA_URI:
        rest.pop("$schema")
    else:
        extra["$schema"] = rest.pop("$schema", None)
    if rest.get("$id") == f"urn:formgen:{ident}:{version}":
        rest.pop("$id")
    else:
        extra["$id"] = rest.pop("$id", None)
    if rest.get("type") == "object":
        rest.pop("type")
    else:
        extra["type"] = rest.pop("type", None)
    rules = rest.pop("x-formgen-rules", None)
    if not (isinstance(rules, list) and rules and all(_rule_fits(r) for r in rules)):
        extra["x-formgen-rules"] = rules
    rest.pop("properties", None)
    rest.pop("required", None)
    extra.update(rest)
    if extra:
        row["json"] = json.dumps(extra, ensure_ascii=False)
    return row


def _rule_fits(rule) -> bool:
    if not isinstance(rule, dict) or not set(rule) <= {"id", "description", "fields", "if", "assert", "message",
                                                        "severity"}:
        return False
    message = rule.get("message", {})
    fields = rule.get("fields", [])
    return (isinstance(message, dict) and set(message) <= {"zh_CN", "en"}
            and all(isinstance(v, str) for v in message.values())
            and isinstance(fields, list) and all(isinstance(f, str) and "," not in f for f in fields)
            and all(isinstance(rule.get(k, ""), str) for k in ("id", "description", "if", "assert", "severity")))


def _rule_row(rule: dict) -> dict:
    row = {k: v for k, v in rule.items() if k in ("id", "description", "if", "assert", "severity")}
    if "fields" in rule:
        row["fields"] = ", ".join(rule["fields"])
    for lang, key in (("zh_CN", "message::zh"), ("en", "message::en")):
        if lang in rule.get("message", {}):
            row[key] = rule["message"][lang]
    return row


def _write(ws: Worksheet, headers: list[str], rows: list[dict], all_columns: bool = False) -> None:
    used = [h for h in headers if any(h in r for r in rows)] if rows and not all_columns else list(headers)
    for required in headers[:2]:
        if required not in used:
            used.insert(headers.index(required), required)
    used = [h for h in headers if h in used]
    ws.append([C.header_name(h) for h in used])
    for row in rows:
        ws.append([None] * len(used))
        r = ws.max_row
        for c, header in enumerate(used, start=1):
            if header in row:
                cell = ws.cell(row=r, column=c, value=row[header])
                if isinstance(row[header], str) and row[header].startswith("="):
                    cell.data_type = "s"
    for c, header in enumerate(used, start=1):
        ws.column_dimensions[get_column_letter(c)].width = 28 if header.startswith(("label", "hint")) else 14
    ws.freeze_panes = "A2"


# -- import ------------------------------------------------------------------------------------------------


@dataclass
class Cell:
    """Where a value was read: for messages naming sheet, row and column."""

    sheet: str
    row: int
    column: str = ""
    letter: str = ""

    @property
    def location(self) -> str:
        return f"{self.sheet}!{self.letter}{self.row}"


@dataclass
class Row:
    sheet: str
    number: int
    values: dict[str, Any]
    letters: dict[str, str]
    headers: dict[str, str]

    def get(self, key: str, default=None):
        return self.values.get(key, default)

    def cell(self, key: str) -> Cell:
        return Cell(self.sheet, self.number, self.headers.get(key, key), self.letters.get(key, ""))


@dataclass
class Sheet:
    title: str
    rows: list[Row]
    headers: dict[str, str]   # canonical column -> header as written
    unknown: list[tuple[str, str]] = field(default_factory=list)   # (header as written, column letter)


class Problems:
    """The issues of one workbook, in the order found."""

    def __init__(self, name: str):
        self.name = name
        self.issues: list[Issue] = []

    def bad(self, cell: Cell, reason: str | Text, code: Code = Code.BOOK_BAD_CELL) -> None:
        self.issues.append(Issue(code, location=cell.location, params={
            "file": self.name, "sheet": cell.sheet, "row": cell.row, "column": cell.column, "reason": reason}))


def read_sheets(data: bytes, problems: Problems) -> dict[str, Sheet] | None:
    """The workbook's sheets by kind (survey, choices, …; fixed rows as ``fixed_rows.NAME``)."""
    try:
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds on a file that is not a workbook
        problems.issues.append(Issue(Code.BOOK_UNREADABLE, params={"file": problems.name, "reason": str(exc) or
                                                                   type(exc).__name__}))
        return None
    sheets: dict[str, Sheet] = {}
    for ws in wb.worksheets:
        kind = C.sheet_kind(ws.title)
        if kind is None:
            continue
        key = kind
        if kind == "fixed_rows":
            key = C.FIXED_ROWS_PREFIX + ws.title.split(".", 1)[1]
        sheets[key] = _read_sheet(ws, kind != "fixed_rows")
    wb.close()
    return sheets


def _read_sheet(ws, canonical: bool) -> Sheet:
    rows_iter = ws.iter_rows(values_only=True)
    header_row = next(rows_iter, ())
    keys: list[str | None] = []
    headers: dict[str, str] = {}
    letters: dict[str, str] = {}
    unknown: list[tuple[str, str]] = []
    for i, text in enumerate(header_row):
        letter = get_column_letter(i + 1)
        if text is None or not str(text).strip():
            keys.append(None)
            continue
        if canonical:
            parsed = C.parse_header(str(text))
            base, lang = parsed
            key = f"{base}::{lang}" if lang else base
            if base not in C.KNOWN_COLUMNS:
                unknown.append((str(text).strip(), letter))
        else:
            key = str(text).strip()
        keys.append(key)
        headers.setdefault(key, str(text).strip())
        letters.setdefault(key, letter)
    rows: list[Row] = []
    for number, values in enumerate(rows_iter, start=2):
        row = {}
        for key, value in zip(keys, values):
            if key is None or value is None or (isinstance(value, str) and not value.strip()):
                continue
            row.setdefault(key, value.strip() if isinstance(value, str) and canonical else value)
        if row:
            rows.append(Row(ws.title, number, row, letters, headers))
    return Sheet(ws.title, rows, headers, unknown)


def import_workbook(path: str | Path, data: bytes | None = None) -> tuple[dict | None, list[Issue]]:
    """Read an authoring workbook into a definition.  Returns (definition or None, issues)."""
    from formgen.author.reader import build

    path = Path(path)
    problems = Problems(str(path))
    if data is None:
        try:
            data = path.read_bytes()
        except OSError as exc:
            problems.issues.append(Issue(Code.BOOK_UNREADABLE, params={"file": str(path), "reason": str(exc)}))
            return None, problems.issues
    sheets = read_sheets(data, problems)
    if sheets is None:
        return None, problems.issues
    return build(sheets, problems), problems.issues


def limits_of(text: str) -> tuple[dict, list[str]]:
    """An XLSForm constraint -> (JSON-Schema limits, parts formgen cannot express)."""
    out: dict = {}
    rest: list[str] = []
    for part in re.split(r"\s+and\s+", text.strip()):
        part = part.strip()
        if part.startswith("(") and part.endswith(")"):
            part = part[1:-1].strip()
        match = _REGEX.match(part)
        if match:
            out["pattern"] = match.group("a") if match.group("a") is not None else match.group("b")
            continue
        for pattern, key in _LIMIT_PATTERNS:
            m = pattern.match(part)
            if m:
                out[key] = float(m.group(1)) if "." in m.group(1) else int(m.group(1))
                break
        else:
            rest.append(part)
    return out, rest


__all__ = ["export_workbook", "import_workbook", "limits_of", "write_workbook"]
