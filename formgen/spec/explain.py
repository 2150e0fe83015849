"""What a JSON or JSON-Schema error means, in words an author can act on (never the library's own message).

``schema_error`` turns a jsonschema ``ValidationError`` into a :class:`~formgen.issues.Text`; ``json_error``
does the same for a JSON syntax error, recognising the usual slips: Chinese quotation marks, a full-width
comma or colon, a comma before a closing bracket.
"""

from __future__ import annotations

import difflib
import json

from jsonschema.exceptions import ValidationError

from formgen.i18n import N_
from formgen.issues import Text

JSON_TYPES = ("string", "integer", "number", "boolean", "object", "array", "null")
#: Type names authors write by habit (XLSForm, Python, Excel) and the JSON-Schema type they mean.
TYPE_HABITS = {"text": "string", "str": "string", "int": "integer", "decimal": "number", "float": "number",
               "double": "number", "bool": "boolean", "date": "string", "datetime": "string", "list": "array",
               "dict": "object", "textarea": "string", "select_one": "string", "choice": "string"}
_KIND_WORDS = {"string": N_("text in quotation marks"), "integer": N_("a whole number"), "number": N_("a number"),
               "boolean": N_("true or false"), "object": N_("an object in braces"),
               "array": N_("a list in square brackets"), "null": N_("null")}
#: Patterns of formgen's meta-schema, said in words.
_PATTERNS = {
    "^[a-z][a-z0-9-]*$": N_("'{value}' cannot be an id: use lower-case English letters, digits and -, starting "
                            "with a letter, for example incident-report"),
    "^[0-9]+\\.[0-9]+\\.[0-9]+$": N_("'{value}' is not a version number: write three numbers separated by dots, "
                                      "for example 1.0.0 (1.1.0 for a revision)"),
}
_CHINESE_MARKS = {"“": "\"", "”": "\"", "‘": "'", "’": "'", "，": ",", "：": ":", "［": "[", "］": "]",
                  "｛": "{", "｝": "}"}


def hint(word: str, options) -> Text | str:
    close = difflib.get_close_matches(str(word), [str(o) for o in options], n=1, cutoff=0.6)
    return Text(N_(" Did you mean '{suggestion}'?"), {"suggestion": close[0]}) if close else ""


def paren_hint(word: str, options) -> Text | str:
    """A "did you mean" to put inside a sentence: `` (did you mean 'signed_on'?)``."""
    close = difflib.get_close_matches(str(word), [str(o) for o in options], n=1, cutoff=0.6)
    return Text(N_(" (did you mean '{suggestion}'?)"), {"suggestion": close[0]}) if close else ""


def _short(value) -> str:
    text = json.dumps(value, ensure_ascii=False) if not isinstance(value, str) else value
    return text if len(text) <= 40 else text[:37] + "…"


def schema_error(err: ValidationError) -> Text:
    """The error in words: what is wrong with the value and what to write instead."""
    value, want, kind = err.instance, err.validator_value, err.validator
    path = list(err.absolute_path)
    if path and path[-1] == "type" and kind in ("anyOf", "enum", "type") and isinstance(value, str):
        meant = TYPE_HABITS.get(value)
        tip = Text(N_(" Did you mean '{suggestion}'?"), {"suggestion": meant}) if meant else hint(value, JSON_TYPES)
        return Text(N_("'{value}' is not a type of JSON Schema.{hint} Use one of: {types} (a date is \"string\" "
                       "with \"format\": \"date\")"), {"value": value, "hint": tip, "types": ", ".join(JSON_TYPES)})
    if kind == "type":
        wants = [w for w in (want if isinstance(want, list) else [want]) if w != "null"] or ["null"]
        return Text(N_("{value} should be {expected}"), {"value": _short(value),
                                                         "expected": Text(_KIND_WORDS.get(wants[0], wants[0]))})
    if kind == "enum":
        return Text(N_("'{value}' is not allowed here.{hint} Use one of: {choices}"), {
            "value": _short(value), "hint": hint(value, want), "choices": ", ".join(_short(w) for w in want)})
    if kind == "const":
        return Text(N_("the value must be {expected}"), {"expected": _short(want)})
    if kind == "pattern":
        return Text(_PATTERNS.get(want, N_("'{value}' is not written in the expected form")), {"value": _short(value)})
    if kind == "required":
        missing = [k for k in want if isinstance(value, dict) and k not in value]
        return Text(N_("\"{key}\" is missing; add it"), {"key": ", ".join(missing) or _short(want)})
    if kind in ("minimum", "exclusiveMinimum"):
        return Text(N_("{value} is too small: it must be at least {limit}") if kind == "minimum"
                    else N_("{value} is too small: it must be more than {limit}"), {"value": _short(value), "limit": want})
    if kind in ("maximum", "exclusiveMaximum"):
        return Text(N_("{value} is too large: it must be at most {limit}") if kind == "maximum"
                    else N_("{value} is too large: it must be less than {limit}"), {"value": _short(value), "limit": want})
    if kind == "minLength":
        return Text(N_("the text must not be empty") if want == 1 else N_("the text needs at least {limit} characters"),
                    {"limit": want})
    if kind == "maxLength":
        return Text(N_("the text is too long: at most {limit} characters"), {"limit": want})
    if kind in ("minItems", "minProperties"):
        return Text(N_("the list must not be empty") if want == 1 else N_("the list needs at least {limit} entries"),
                    {"limit": want})
    if kind in ("maxItems", "maxProperties"):
        return Text(N_("the list is too long: at most {limit} entries"), {"limit": want})
    if kind == "uniqueItems":
        return Text(N_("the list has the same entry twice; keep each once"))
    if kind == "format":
        return Text(N_("'{value}' is not a valid {format}"), {"value": _short(value), "format": want})
    if kind == "oneOf" and isinstance(value, dict) and "style" in value:
        return Text(N_("a block of the letter needs exactly one of \"text\", \"field\" or \"table\""))
    if kind == "not" and isinstance(value, dict) and "style" in value:
        return Text(N_("a rule line of the letter takes no \"text\", \"field\" or \"table\"; remove them"))
    if kind == "additionalProperties":
        extra = [k for k in value if k not in err.schema.get("properties", {})] if isinstance(value, dict) else []
        return Text(N_("\"{key}\" is not allowed here; remove it"), {"key": ", ".join(extra)})
    return Text(N_("the value does not meet the condition \"{keyword}\" of the definition"), {"keyword": kind})


def json_error(text: str, exc: json.JSONDecodeError) -> tuple[Text, int, int]:
    """A JSON syntax error in words, with the line and column of the mistake (1-based)."""
    pos = min(exc.pos, len(text))
    line, column = exc.lineno, exc.colno
    window = text[max(0, pos - 2):pos + 1]
    for mark, plain in _CHINESE_MARKS.items():
        if mark in window:
            at = text.index(mark, max(0, pos - 2))
            line, column = text.count("\n", 0, at) + 1, at - (text.rfind("\n", 0, at) + 1) + 1
            return (Text(N_("the Chinese mark {mark} is used where JSON needs {plain}; switch the input method to "
                            "English and type {plain}"), {"mark": mark, "plain": plain}), line, column)
    if not text[pos:].strip():
        return Text(N_("the definition ends too early: a closing brace or bracket is missing at the end")), line, column
    before = text[:pos].rstrip()
    if before.endswith(",") and text[pos:pos + 1] in ("}", "]", ""):
        at = len(before) - 1
        line, column = text.count("\n", 0, at) + 1, at - (text.rfind("\n", 0, at) + 1) + 1
        return Text(N_("there is a comma after the last entry; remove it")), line, column
    if before.endswith(",") and exc.msg.startswith("Expecting"):
        at = len(before) - 1
        return (Text(N_("there is a comma with nothing after it; remove it or add the missing entry")),
                text.count("\n", 0, at) + 1, at - (text.rfind("\n", 0, at) + 1) + 1)
    words = {
        "Expecting value": N_("a value is missing here (text in \"quotation marks\", a number, true, false, a list "
                              "or an object)"),
        "Expecting ',' delimiter": N_("a comma is missing between two entries"),
        "Expecting ':' delimiter": N_("a colon is missing between a name and its value"),
        "Expecting property name enclosed in double quotes": N_("a name must be in straight double quotation marks, "
                                                                "like \"title\""),
        "Extra data": N_("there is more text after the end of the definition; remove it"),
        "Unterminated string starting at": N_("a text is not closed; add the closing quotation mark \""),
        "Invalid control character at": N_("a text contains a line break or tab; write \\n for a line break"),
        "Invalid \\escape": N_("a backslash \\ must be written twice (\\\\) inside a text"),
    }
    for start, message in words.items():
        if exc.msg.startswith(start):
            return Text(message), line, column
    return Text(N_("the JSON cannot be read here")), line, column
