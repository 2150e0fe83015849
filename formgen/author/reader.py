"""Build a form definition from the sheets of an authoring workbook, finding every problem in one pass.

Each problem names its sheet, row and column and says how to fix it (codes FG420–FG423).  Problems of the
definition that only the finished definition shows (rules naming unknown fields, …) are found afterwards by
``formgen.author.lint`` and mapped back to the row they came from.
"""

from __future__ import annotations

import difflib
import json
import re
from typing import Any

from formgen.author import columns as C
from formgen.author.workbook import SCHEMA_URI, Cell, Problems, Row, Sheet, limits_of
from formgen.i18n import N_
from formgen.issues import Code, Issue, Text
from formgen.spec.explain import paren_hint

#: What happens on paper to each XLSForm type formgen cannot print.
_FATES = {
    "calculate": N_("formgen does not compute values; the row is left out, write the result as a rule if it is a check"),
    "geopoint": N_("the row is left out; add a text question for the place if the paper form needs it"),
    "geotrace": N_("the row is left out; add a text question for the place if the paper form needs it"),
    "geoshape": N_("the row is left out; add a text question for the place if the paper form needs it"),
    "image": N_("the row is left out; paper cannot hold a photo, recording or file, so ask for it separately"),
    "audio": N_("the row is left out; paper cannot hold a photo, recording or file, so ask for it separately"),
    "video": N_("the row is left out; paper cannot hold a photo, recording or file, so ask for it separately"),
    "file": N_("the row is left out; paper cannot hold a photo, recording or file, so ask for it separately"),
    "barcode": N_("the row is left out; add a text question where the code is written by hand"),
    "hidden": N_("a hidden value has no place on paper; the row is left out"),
    "time": N_("it is imported as a text field where the time is written by hand"),
    "range": N_("it is imported as a number field"),
    "acknowledge": N_("it is imported as a yes/no field"),
    "trigger": N_("it is imported as a yes/no field"),
}
_DEFAULT_FATE = N_("the row is left out of the paper form")
#: Types imported as another type: XLSForm type -> formgen workbook type.
_STAND_INS = {"time": "text", "range": "decimal", "acknowledge": "boolean", "trigger": "boolean",
              "string": "text", "int": "integer", "select1": "select_one"}
#: Metadata types that collect nothing from the person: left out with a note, not a warning per type.
_METADATA = {"start", "end", "today", "deviceid", "phonenumber", "username", "email", "simserialid",
             "subscriberid", "audit", "background-audio", "start-geopoint"}


def _suggest(word: str, options) -> Text | str:
    close = difflib.get_close_matches(word, list(options), n=1, cutoff=0.6)
    return Text(N_(" Did you mean '{suggestion}'?"), {"suggestion": close[0]}) if close else ""


def flag(row: Row, key: str, problems: Problems) -> bool | None:
    value = row.get(key)
    if value is None:
        return None
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in C.YES:
        return True
    if text in C.NO:
        return False
    if key == "required" and text.startswith(("${", "selected(")):
        problems.bad(row.cell(key), Text(N_("'{value}' is a condition; formgen's required column takes yes or no. "
                                            "Write the condition as a rule on the rules sheet"), {"value": value}),
                     Code.BOOK_NOTE)
        return None
    problems.bad(row.cell(key), Text(N_("'{value}' is not yes or no; write yes (是) or leave the cell empty"),
                                     {"value": value}))
    return None


def _number(row: Row, key: str, problems: Problems, integer: bool = True):
    value = row.get(key)
    if value is None:
        return None
    if isinstance(value, bool):
        value = str(value)
    if isinstance(value, float) and value.is_integer() and integer:
        value = int(value)
    if isinstance(value, str):
        try:
            value = int(value) if integer else (float(value) if "." in value else int(value))
        except ValueError:
            pass
    if isinstance(value, int) or (isinstance(value, float) and not integer):
        return value
    problems.bad(row.cell(key), Text(N_("'{value}' is not a whole number; type digits only, for example 5")
                                     if integer else N_("'{value}' is not a number; type digits, for example 12.5"),
                                     {"value": value}))
    return None


def _text(value) -> str:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value)


def _merge(target: dict, extra: dict) -> None:
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(target.get(key), dict):
            _merge(target[key], value)
        elif value is None:
            target.pop(key, None)
        else:
            target[key] = value


def _json_column(row: Row, problems: Problems) -> dict:
    raw = row.get("json")
    if raw is None:
        return {}
    try:
        value = json.loads(str(raw))
    except ValueError as exc:
        problems.bad(row.cell("json"), Text(N_("the extra settings are not valid JSON ({reason}); correct them "
                                              "or empty the cell"), {"reason": exc.msg}))
        return {}
    if not isinstance(value, dict):
        problems.bad(row.cell("json"), N_("the extra settings must be a JSON object, written in braces"))
        return {}
    return value


class Builder:
    def __init__(self, sheets: dict[str, Sheet], problems: Problems):
        self.sheets = sheets
        self.p = problems
        self.lists = self._lists()
        self.used_lists: set[str] = set()
        self.footer: list[str] = []
        #: The row each JSON path of the definition came from, for lint of the finished definition.
        self.origin: dict[str, Cell] = {}
        #: The annotations of the questions with a condition (relevant), translated once the survey is read.
        self.conditions: list[dict] = []
        #: The survey row where each (container path, name) was first used, for "used twice" messages.
        self._rows: dict[tuple[str, str], int] = {}

    # -- choices ---------------------------------------------------------------------------------------

    def _lists(self) -> dict[str, list[Row]]:
        lists: dict[str, list[Row]] = {}
        sheet = self.sheets.get("choices")
        if sheet is None:
            return lists
        for row in sheet.rows:
            name = row.get("list_name")
            if name is None:
                self.p.bad(row.cell("list_name"), N_("the choice has no list name; write the list name used "
                                                    "after select_one in the survey sheet"))
                continue
            lists.setdefault(_text(name).strip(), []).append(row)
        for name, rows in lists.items():
            seen: dict[str, int] = {}
            for row in rows:
                value = row.get("name")
                if value is None:
                    self.p.bad(row.cell("name"), Text(N_("the choice of list '{list}' has no name (the value stored "
                                                         "in the record); write one, for example 1 or yes"),
                                                      {"list": name}))
                    continue
                value = _text(value)
                if value in seen:
                    self.p.bad(row.cell("name"), Text(N_("list '{list}' has the choice '{name}' twice (also in row "
                                                         "{other}); give each choice its own name"),
                                                      {"list": name, "name": value, "other": seen[value]}))
                seen[value] = row.number
                if _label(row, "label") is None:
                    self.p.bad(row.cell("label::zh"), Text(N_("the choice '{name}' of list '{list}' has no label, so "
                                                              "its name is printed beside its box; write the label"),
                                                           {"name": value, "list": name}), Code.BOOK_NOTE)
        return lists

    def choices(self, row: Row, list_name: str) -> tuple[list[str], list[str] | None, list[str] | None] | None:
        rows = self.lists.get(list_name)
        if rows is None:
            self.p.bad(row.cell("type"), Text(N_("there is no choice list '{list}' on the choices sheet.{hint} "
                                                 "Add its choices there, or correct the list name"),
                                              {"list": list_name, "hint": _suggest(list_name, self.lists)}))
            return None
        self.used_lists.add(list_name)
        rows = [r for r in rows if r.get("name") is not None]
        values = [_text(r.get("name")) for r in rows]
        zh = [_text(_label(r, "label") if _label(r, "label") is not None else r.get("name")) for r in rows]
        en = [_text(r.get("label::en")) for r in rows if r.get("label::en") is not None]
        has_zh = any(_label(r, "label") is not None for r in rows)
        return values, (zh if has_zh else None), (en if len(en) == len(rows) and en else None)

    # -- survey ----------------------------------------------------------------------------------------

    def survey(self) -> dict:
        root: dict = {"properties": {}, "required": []}
        sheet = self.sheets.get("survey")
        if sheet is None:
            self.p.bad(Cell("survey", 1), N_("the workbook has no survey sheet; add a sheet named survey (or 题目) "
                                             "with one row per question"))
            return root
        for text, letter in sheet.unknown:
            if C.parse_header(text)[0] in C.XLSFORM_ONLY:
                self.p.bad(Cell(sheet.title, 1, text, letter), Text(
                    N_("the XLSForm column '{column}' means nothing on paper and is ignored"), {"column": text}),
                    Code.BOOK_NOTE)
                continue
            self.p.bad(Cell(sheet.title, 1, text, letter), Text(
                N_("the column '{column}' is not known to formgen{hint} and is ignored"),
                {"column": text, "hint": paren_hint(C.parse_header(text)[0], C.KNOWN_COLUMNS)}), Code.BOOK_NOTE)
        stack: list[list] = [["root", root, None, "$", None]]
        for row in sheet.rows:
            self.survey_row(row, stack)
        for kind, _container, opener, _path, _override in reversed(stack[1:]):
            self.p.bad(opener.cell("type"), Text(N_("the {kind} '{name}' is never closed; add an {end} row after "
                                                    "its last question"),
                                                 {"kind": kind, "name": opener.get("name", ""),
                                                  "end": "end_group" if kind == "begin_group" else "end_repeat"}))
        return root

    def survey_row(self, row: Row, stack: list) -> None:
        raw = row.get("type")
        if raw is None:
            if any(k in row.values for k in ("name", "label::zh", "label::en")):
                self.p.bad(row.cell("type"), N_("the question has no type; write one of text, integer, decimal, "
                                                "date, datetime, select_one LIST, note, begin_group, begin_repeat"))
            return
        words = str(raw).strip().removeprefix("uri:").split()
        for n in (3, 2, 1):
            base = C.TYPE_ALIASES.get(" ".join(words[:n]).lower()) if len(words) >= n else None
            if base:
                words = [base] + words[n:]
                break
        else:
            words = [words[0].lower()] + words[1:]
        phone = str(raw).strip().lower().startswith("phone number")
        if words[-1] == "or_other" and len(words) > 2:
            words = words[:-1]
            self.p.bad(row.cell("type"), N_("'or_other' is not printed: add an 'other' choice to the list and a text "
                                            "question for it if you need one"), Code.BOOK_NOTE)
        kind = words[0]
        kind = _STAND_INS.get(kind, kind)
        name = row.get("name")
        name = _text(name).strip() if name is not None else None
        container, cpath = stack[-1][1], stack[-1][3]
        outer = stack[-1][0]
        if kind == "begin_group" and stack[-1][0] in ("begin_repeat", "flat"):
            self.p.bad(row.cell("type"), N_("a group inside a repeat cannot be printed as a group; its questions "
                                            "become columns of the repeat"), Code.BOOK_NOTE)
            stack.append(["flat", container, row, cpath, None])
            return
        if kind == "begin_repeat" and stack[-1][0] in ("begin_repeat", "flat"):
            self.p.bad(row.cell("type"), N_("a repeat inside a repeat cannot be printed inside its table; it is "
                                            "printed as a table of its own after it. Add a column that names the "
                                            "row of the outer table each row belongs to"), Code.BOOK_NOTE)
            container, cpath = stack[0][1], stack[0][3]
        if kind in ("end_group", "end_repeat"):
            want = "begin_group" if kind == "end_group" else "begin_repeat"
            if len(stack) == 1 or stack[-1][0] not in (want, "flat" if kind == "end_group" else want):
                self.p.bad(row.cell("type"), Text(N_("{kind} has no matching {begin} above it; remove the row or add "
                                                     "the {begin} row"), {"kind": kind, "begin": want}))
                return
            closed = stack.pop()
            if closed[4] is not None:
                closed[1]["required"] = closed[4]
            return
        if kind in C.UNPRINTABLE and kind not in _STAND_INS:
            if kind not in _METADATA:
                self.p.issues.append(_unprintable(self.p.name, row, name or "", kind,
                                                  _FATES.get(kind, _DEFAULT_FATE)))
            return
        if kind == "note":
            label = _label(row, "label")
            if label is not None and len(stack) == 1:
                self.footer.append(_text(label))
            elif label is not None:
                self.p.bad(row.cell("type"), N_("a note inside a group cannot be printed there; it is moved to "
                                                "the notes under the form"), Code.BOOK_NOTE)
                self.footer.append(_text(label))
            return
        if kind not in C.TYPES and kind != "boolean":
            self.p.bad(row.cell("type"), Text(N_("'{type}' is not a question type.{hint} Use one of: {types}"),
                                              {"type": words[0], "hint": _suggest(words[0], C.TYPES),
                                               "types": ", ".join(C.TYPES)}))
            return
        if name is None:
            self.p.bad(row.cell("name"), N_("the question has no name; write a short English name such as "
                                            "school_name (letters, digits and _)"))
            return
        if not _valid_name(name):
            self.p.bad(row.cell("name"), Text(N_("'{name}' cannot be a field name; use lower-case English letters, "
                                                 "digits and _, starting with a letter, for example school_name"),
                                              {"name": name}))
        props = container["properties"]
        if name in props:
            self.p.bad(row.cell("name"), Text(N_("the name '{name}' is used twice in the same group (first in row "
                                                 "{other}); give each question its own name"),
                                              {"name": name, "other": self._rows.get((cpath, name), "?")}))
            flag(row, "required", self.p)  # the row's other cells are still checked
            self.annotations(row, {}, kind)
            return
        self._rows[(cpath, name)] = row.number
        path = f"{cpath}.properties.{name}"
        self.origin[path] = row.cell("name")
        schema: dict[str, Any] = {}
        label = _label(row, "label")
        if label is None and kind in ("begin_group", "begin_repeat"):
            self.p.bad(row.cell("label::zh"), Text(N_("the {kind} '{name}' has no label, so its name is printed as "
                                                      "its title; write the label"), {"kind": kind, "name": name}),
                       Code.BOOK_NOTE)
            label = name
        if label is not None:
            schema["title"] = _text(label)
        ann: dict[str, Any] = {}
        if row.get("label::en") is not None:
            ann["title_en"] = _text(row.get("label::en"))
        if kind in ("begin_group", "begin_repeat"):
            inner: dict = {"properties": {}, "required": []}
            if kind == "begin_group":
                schema.update({"type": "object", "required": inner["required"], "properties": inner["properties"]})
                inner = schema
                child_path = path
            else:
                items = {"type": "object", "required": inner["required"], "properties": inner["properties"]}
                schema.update({"type": "array", "items": items})
                for column, key in (("min_rows", "minItems"), ("max_rows", "maxItems")):
                    value = _number(row, column, self.p)
                    if value is not None:
                        schema[key] = value
                inner = items
                child_path = f"{path}.items"
            stack.append([kind, inner, row, child_path, None])
        else:
            self.scalar(row, kind, words, schema, ann)
            if phone and "format" not in schema:
                schema["format"] = "phone"
        self.annotations(row, ann, kind)
        self.relevance(row, ann, kind in ("begin_group", "begin_repeat") or outer in ("begin_repeat", "flat"), path)
        if kind == "begin_repeat":
            fixed = self.sheets.get(C.FIXED_ROWS_PREFIX + self._address(stack[:-1], name))
            if fixed is not None:
                ann["fixed_rows"] = [dict(r.values) for r in fixed.rows]
        if ann:
            schema["x-formgen"] = ann
        extra = _json_column(row, self.p)
        if kind == "begin_group":
            stack[-1][4] = extra.pop("required", None)
        elif kind == "begin_repeat" and isinstance(extra.get("items"), dict):
            stack[-1][4] = extra["items"].pop("required", None)
        _merge(schema, extra)
        props[name] = schema
        if flag(row, "required", self.p):
            container["required"].append(name)

    def _address(self, stack, name: str) -> str:
        parts = [entry[2].get("name") for entry in stack[1:] if entry[2] is not None]
        return ".".join([_text(p) for p in parts] + [name])

    def scalar(self, row: Row, kind: str, words: list[str], schema: dict, ann: dict) -> None:
        if kind in ("select_one", "select_multiple"):
            if len(words) < 2:
                self.p.bad(row.cell("type"), N_("select_one needs the name of its choice list, for example "
                                                "select_one severity"))
                return
            list_name = words[1]
            found = self.choices(row, list_name)
            if found is None:
                return
            values, zh, en = found
            if kind == "select_multiple":
                schema.update({"type": "array", "uniqueItems": True, "items": {"enum": values}})
            elif list_name == C.YES_NO_LIST and values == ["yes", "no"]:
                schema["type"] = "boolean"
                return
            else:
                schema["enum"] = values
            if zh is not None:
                ann["labels"] = zh
            if en is not None:
                ann["labels_en"] = en
        elif kind == "boolean":
            schema["type"] = "boolean"
        elif kind == "integer":
            schema["type"] = "integer"
        elif kind == "decimal":
            schema["type"] = "number"
        elif kind == "date":
            schema.update({"type": "string", "format": "date"})
        elif kind == "datetime":
            schema.update({"type": "string", "format": "date-time"})
        else:
            schema["type"] = "string"
            if row.get("format") is not None:
                schema["format"] = _text(row.get("format"))
        constraint = row.get("constraint")
        if constraint is not None:
            limits, rest = limits_of(_text(constraint))
            schema.update(limits)
            for part in rest:
                self.p.bad(row.cell("constraint"), Text(N_("the constraint part '{part}' cannot be checked by formgen "
                                                           "and is left out; write it as a rule on the rules sheet"),
                                                        {"part": part}), Code.BOOK_NOTE)
        default = row.get("default")
        if default is not None:
            schema["default"] = default

    def annotations(self, row: Row, ann: dict, kind: str) -> None:
        for column, key in (("hint::zh", "help"), ("hint::en", "help_en"), ("section::zh", "section"),
                            ("section::en", "section_en"), ("placeholder", "placeholder"), ("key", "key")):
            if row.get(column) is not None:
                ann[key] = _text(row.get(column))
        appearance = row.get("appearance")
        if appearance is not None:
            widget = _text(appearance).strip()
            widget = "textarea" if widget == "multiline" else widget
            if widget in ("text", "textarea", "select", "radio", "checkbox", "date", "datetime", "number"):
                ann["widget"] = widget
            else:
                self.p.bad(row.cell("appearance"), Text(N_("the appearance '{value}' means nothing on paper and is "
                                                           "ignored"), {"value": appearance}), Code.BOOK_NOTE)
        for key in ("pii", "readonly"):
            value = flag(row, key, self.p)
            if value is not None:
                ann[key] = value
        for key in ("rows", "lines"):
            value = _number(row, key, self.p)
            if value is not None and key == "rows" and kind != "begin_repeat":
                if "lines" not in row.values and 1 <= value <= 40:  # XLSForm's rows: the height of a text box
                    ann["lines"] = value
            elif value is not None:
                ann[key] = value
        width = _number(row, "width", self.p, integer=False)
        if width is not None:
            ann["width"] = width

    def relevance(self, row: Row, ann: dict, unprintable: bool, path: str) -> None:
        """The relevant column: an XLSForm condition (``${kind} = 'follow-up'``) in the rule language, and the
        short text printed beside the label; a group, a repeat and a repeat's column take none."""
        for lang, key in (("zh", "relevant_label"), ("en", "relevant_label_en")):
            if row.get(f"relevant_label::{lang}") is not None:
                ann[key] = _text(row.get(f"relevant_label::{lang}"))
        if row.get("relevant") is None:
            return
        if unprintable:
            self.p.bad(row.cell("relevant"), N_("a group, a repeat or a column of a repeat is printed for everyone; "
                                                "its condition is left out. Say the condition in the hint"),
                       Code.BOOK_NOTE)
            return
        ann["relevant"] = _text(row.get("relevant"))
        self.conditions.append(ann)
        self.origin[f"{path}.x-formgen.relevant"] = row.cell("relevant")

    def translate_conditions(self, root: dict) -> None:
        """The relevant columns in the rule language, now that every question's address is known: an XLSForm
        names a question of a group by its name alone (``${leader_name}``), the rule language by its address
        (``info.leader_name``)."""
        addresses = _addresses(root)
        for ann in self.conditions:
            ann["relevant"] = rule_of_condition(ann["relevant"], addresses)

    # -- settings, rules, letter -------------------------------------------------------------------------

    def settings(self, definition: dict) -> dict:
        sheet = self.sheets.get("settings")
        row = sheet.rows[0] if sheet and sheet.rows else Row("settings", 2, {}, {}, {})
        ann: dict[str, Any] = {}
        for column, key in (("form_id", "id"), ("version", "version"), ("form_title::en", "title_en"),
                            ("kind", "kind"), ("issuer", "issuer"), ("orientation", "orientation")):
            if row.get(column) is not None:
                ann[key] = _text(row.get(column)).strip()
        ann["id"] = self._form_id(row, ann.get("id"))
        ann["version"] = self._version(row, row.get("version"))
        if _label(row, "form_title") is None:
            self.p.bad(row.cell("form_title::zh"), Text(N_("the settings give no form_title; the form is called "
                                                           "'{id}' until you write its title"), {"id": ann["id"]}),
                       Code.BOOK_NOTE)
        unit = {k: _text(row.get(f"unit_{k}")) for k in ("code", "name") if row.get(f"unit_{k}") is not None}
        if unit:
            ann["unit"] = unit
        deadline: dict[str, Any] = {}
        for key in ("kind", "date", "from", "to"):
            if row.get(f"deadline_{key}") is not None:
                value = row.get(f"deadline_{key}")
                deadline[key] = value.date().isoformat() if hasattr(value, "date") else _text(value)
        for key in ("days", "hours"):
            value = _number(row, f"deadline_{key}", self.p)
            if value is not None:
                deadline[key] = value
        if deadline:
            ann["deadline"] = deadline
        if row.get("header") is not None:
            ann["header"] = _text(row.get("header")).split("\n")
        if self.footer:
            ann["footer"] = self.footer
        letter = self.letter()
        if letter:
            ann["letter"] = letter
        if row.get("page") is not None:
            try:
                ann["page"] = json.loads(_text(row.get("page")))
            except ValueError as exc:
                self.p.bad(row.cell("page"), Text(N_("the page settings are not valid JSON ({reason})"),
                                                  {"reason": exc.msg}))
        form_id, version = ann.get("id"), ann.get("version")
        out: dict[str, Any] = {"$schema": SCHEMA_URI, "$id": f"urn:formgen:{form_id}:{version}"}
        out["title"] = _text(_label(row, "form_title") or ann["id"])
        if row.get("description") is not None:
            out["description"] = _text(row.get("description"))
        out["x-formgen"] = ann
        out["type"] = "object"
        out.update(definition)
        rules = self.rules()
        if rules:
            out["x-formgen-rules"] = rules
        _merge(out, _json_column(row, self.p))
        return out

    def _form_id(self, row: Row, given: str | None) -> str:
        from pathlib import Path

        raw = given if given is not None else Path(self.p.name).stem
        form_id = re.sub(r"[^a-z0-9]+", "-", raw.lower()).strip("-")
        if not form_id or not form_id[0].isalpha():
            form_id = f"form-{form_id}".strip("-")
        if given is None:
            self.p.bad(row.cell("form_id"), Text(N_("the settings give no form_id; '{id}' (from the file name) is "
                                                    "used"), {"id": form_id}), Code.BOOK_NOTE)
        elif form_id != given:
            self.p.bad(row.cell("form_id"), Text(N_("'{value}' cannot be a form id (lower-case English letters, "
                                                    "digits and -); '{id}' is used"), {"value": given, "id": form_id}),
                       Code.BOOK_NOTE)
        return form_id

    def _version(self, row: Row, given) -> str:
        text = _text(given).strip() if given is not None else ""
        if re.fullmatch(r"[0-9]+\.[0-9]+\.[0-9]+", text):
            return text
        version = (text + ".0.0" if re.fullmatch(r"[0-9]+", text) and len(text) < 4 else
                   text + ".0" if re.fullmatch(r"[0-9]+\.[0-9]+", text) else "1.0.0")
        if given is None:
            self.p.bad(row.cell("version"), N_("the settings give no version; 1.0.0 is used"), Code.BOOK_NOTE)
        else:
            self.p.bad(row.cell("version"), Text(N_("'{value}' is not a version number of three parts such as "
                                                    "1.0.0; {version} is used"), {"value": text, "version": version}),
                       Code.BOOK_NOTE)
        return version

    def rules(self) -> list[dict]:
        sheet = self.sheets.get("rules")
        out = []
        for row in sheet.rows if sheet else []:
            rule: dict[str, Any] = {}
            for key in ("id", "description", "if", "assert", "severity"):
                if row.get(key) is not None:
                    rule[key] = _text(row.get(key))
            if row.get("fields") is not None:
                rule["fields"] = [f.strip() for f in _text(row.get("fields")).replace("，", ",").split(",")
                                  if f.strip()]
            message = {lang: _text(row.get(f"message::{code}")) for code, lang in C.LANGUAGES.items()
                       if row.get(f"message::{code}") is not None}
            if message:
                rule["message"] = message
            self.origin[f"$.x-formgen-rules[{len(out)}]"] = row.cell("assert")
            out.append(rule)
        return out

    def letter(self) -> list[dict]:
        sheet = self.sheets.get("letter")
        out = []
        for row in sheet.rows if sheet else []:
            block: dict[str, Any] = {k: _text(row.get(k)) for k in ("style", "text", "field", "table")
                                     if row.get(k) is not None}
            page = flag(row, "new_page", self.p)
            if page is not None:
                block["new_page"] = page
            self.origin[f"$.x-formgen.letter[{len(out)}]"] = row.cell("style")
            out.append(block)
        return out


def _label(row: Row, base: str):
    """A translated column's Chinese text; without one, another language's (an XLSForm from elsewhere)."""
    value = row.get(f"{base}::zh")
    if value is not None:
        return value
    others = [v for k, v in row.values.items() if k.startswith(base + "::") and k != f"{base}::en"]
    return others[0] if others else row.get(f"{base}::en")


_XLS_NAME = r"\$\{\s*([A-Za-z_][A-Za-z0-9_.]*)\s*\}"
_EMPTY_TEST = re.compile(_XLS_NAME + r"\s*(!=|=)\s*(''|\"\")")
_REFERENCE = re.compile(_XLS_NAME)


def rule_of_condition(text: str, addresses: dict[str, str]) -> str:
    """An XLSForm condition in formgen's rule language: ``${x}`` is x's address (``addresses``: name ->
    address), so ``selected(${x}, 'a')`` is ``selected(x, 'a')``; ``${x} != ''`` is ``filled(x)`` and
    ``${x} = ''`` is ``empty(x)``; text already in the rule language stays as it is."""
    def name(m: re.Match) -> str:
        return addresses.get(m[1], m[1])

    text = _EMPTY_TEST.sub(lambda m: f"{'filled' if m[2] == '!=' else 'empty'}({name(m)})", text)
    return _REFERENCE.sub(name, text).strip()


def _addresses(container: dict, prefix: str = "") -> dict[str, str]:
    """The address of each single question by its name (groups' questions included, repeats' left out)."""
    out: dict[str, str] = {}
    for name, sub in container.get("properties", {}).items():
        if sub.get("type") == "object":
            out.update(_addresses(sub, f"{prefix}{name}."))
        elif not (sub.get("type") == "array" and sub.get("items", {}).get("type") == "object"):
            out.setdefault(name, prefix + name)
    return out


def _valid_name(name: str) -> bool:
    return bool(name) and name[0].isascii() and (name[0].isalpha() or name[0] == "_") and all(
        ch.isascii() and (ch.isalnum() or ch in "_-") for ch in name)


def _unprintable(file: str, row: Row, name: str, kind: str, fate: str) -> Issue:
    return Issue(Code.BOOK_UNPRINTABLE, location=row.cell("type").location, params={
        "file": file, "sheet": row.sheet, "row": row.number, "name": name, "type": kind, "fate": Text(fate)})


def build(sheets: dict[str, Sheet], problems: Problems, builder_out: list | None = None) -> dict | None:
    builder = Builder(sheets, problems)
    root = builder.survey()
    builder.translate_conditions(root)
    definition = builder.settings({"required": root["required"], "properties": root["properties"]})
    for name, rows in builder.lists.items():
        if name not in builder.used_lists and name != C.YES_NO_LIST:
            problems.bad(rows[0].cell("list_name"), Text(N_("the choice list '{list}' is not used by any question"),
                                                         {"list": name}), Code.BOOK_NOTE)
    if builder_out is not None:
        builder_out.append(builder)
    return definition
