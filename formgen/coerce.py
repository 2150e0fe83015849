"""Raw cell and field values -> typed JSON values, tolerant of how people type.

Each coercer takes what a reader found (a str, int, float, bool, date or
datetime) and returns the typed value, or raises :class:`CoerceError` with the
issue code to report.  The original is never lost: ``formgen.record`` keeps
what was typed beside the value.

Accepted, because it is unambiguous:

- full-width digits, letters and punctuation (１２, ＡＢ, ：) in numbers, dates,
  choices and identifiers; in single-line text only full-width digits and
  letters become ASCII (初二（３）班 -> 初二（3）班: the brackets stay), and
  multi-line text stays as typed; surrounding ASCII, full-width and no-break
  spaces go, and zero-width spaces are dropped;
- numbers with thousands separators (1,234 / 1，234 / 1 234, consistently);
- dates as 2021-03-05, 2021/3/5, 2021.3.5, 2021年3月5日, 20210305, and Excel
  serial numbers in the workbook's date system (1900 or 1904);
- times as 14:30, 14时30分, 14点30, 14点半, 下午4点40;
- yes/no as 是/否, √/✓/☑/✅ and ×/✗/☐/❌, 有/无, 对, 已/未, yes/no;
- a choice by its code, its Chinese label or its English label;
- several choices (a multi-select field) as ticked boxes, or typed in one cell with the labels separated
  by 、 ， , ; or ；, in any order, read in the definition's order, a choice named twice counted once;
- line breaks inside multi-line fields (single-line fields join lines);
- identifiers (formats such as cn-ric, school-code, mobile) lose inner spaces
  and are normalised by their format (``formgen.validate.formats``).

Reported as AMBIGUOUS_VALUE with the expected form, never guessed:

- two-digit years (21/3/5, 21年3月5日, 210305) and a date without a year (3月5日);
- day and month before the year (3/5/2021: 5 March or 3 May?);
- ☒, ⊠ and a lone x: a box with a cross is Word's "checked" glyph, yet in
  Chinese forms × means 否, so it can mean either answer;
- a text that names two different choices (a label of one equal to the code
  of another).

Reported as DIGITS_LOST: a long number (a 身份证号 typed into a number cell)
that the spreadsheet already rounded to 15 significant digits.

Times carry China Standard Time (+08:00) unless the text gives an offset:
the forms are filled in China and office suites store no time zone.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
import unicodedata
from dataclasses import dataclass
from typing import Any, Callable

from formgen.issues import Code
from formgen.spec.model import MULTI_SEPARATORS, Field
from formgen.validate.formats import normaliser

CST = dt.timezone(dt.timedelta(hours=8))
EXPECTED_DATE = "YYYY-MM-DD / 2021年3月5日"
EXPECTED_DATETIME = "YYYY-MM-DD HH:MM / 2021年3月5日 14时30分"
EXPECTED_BOOLEAN = "是 / 否"

TRUE_WORDS = {"是", "√", "✓", "✔", "☑", "✅", "有", "对", "已", "yes", "y", "true", "1"}
FALSE_WORDS = {"否", "×", "✗", "✘", "☐", "❌", "无", "没有", "不是", "未", "no", "n", "false", "0"}
AMBIGUOUS_WORDS = {"☒", "⊠", "x"}

_SPACES = " \t\u3000\u00a0"
#: dropped from typed text: zero-width marks; control characters no one types on purpose (NUL, BEL, ESC …,
#: all but tab, line feed and carriage return); bidirectional embeddings, overrides and isolates
_INVISIBLE = dict.fromkeys([*map(ord, "\u200b\ufeff\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"),
                            *(c for c in [*range(0x20), *range(0x7f, 0xa0)] if chr(c) not in "\t\n\r")])
_LINE_BREAKS = ("\r\n", "\r", "\u2028", "\u2029")
#: the characters clean_text may remove from either end of a text
_VANISHING = frozenset(_SPACES + "\n\r\u2028\u2029" + "".join(map(chr, _INVISIBLE)))


class CoerceError(Exception):
    def __init__(self, code: Code, **params: Any):
        super().__init__(code.name)
        self.code = code
        self.params = params


@dataclass(frozen=True)
class Context:
    """What a coercer may need to know about the file it came from."""

    date1904: bool = False


def clean_text(value: str, keep_newlines: bool = False) -> str:
    """Strip surrounding spaces (ASCII, full-width, no-break), drop zero-width ones, control characters and
    bidirectional overrides, unify line breaks.

    With ``keep_newlines`` the lines stay (each loses its trailing spaces);
    otherwise they are joined with one space.
    """
    if value.isprintable():  # no control, invisible or line-breaking character, no space but ASCII's
        return value.strip(" ")
    text = value.translate(_INVISIBLE).replace("\u00a0", " ")
    for brk in _LINE_BREAKS:
        text = text.replace(brk, "\n")
    if keep_newlines:
        lines = [line.rstrip(_SPACES) for line in text.split("\n")]
        return "\n".join(lines).strip("\n").strip(_SPACES)
    return " ".join(part.strip(_SPACES) for part in text.split("\n") if part.strip(_SPACES)).strip(_SPACES)


#: each full-width digit, letter and punctuation mark (and the ideographic space) as NFKC makes it
_HALFWIDTH = {c: unicodedata.normalize("NFKC", chr(c)) for c in [*range(0xFF01, 0xFF5F), 0x3000]}


def halfwidth(text: str) -> str:
    """Full-width digits, letters and punctuation to ASCII (NFKC), leaving CJK text alone."""
    return text if text.isascii() else text.translate(_HALFWIDTH)


_ALNUM = re.compile(r"[\uff10-\uff19\uff21-\uff3a\uff41-\uff5a]")


def halfwidth_alnum(text: str) -> str:
    """Full-width digits and Latin letters to ASCII, leaving full-width punctuation such as （） alone."""
    return text if text.isascii() else _ALNUM.sub(lambda m: chr(ord(m.group()) - 0xFEE0), text)


def is_empty(value: Any) -> bool:
    if isinstance(value, str) and value[:1] and value[0] not in _VANISHING:
        return False  # its first character survives cleaning
    return value is None or (isinstance(value, str) and clean_text(value, True) == "")


_WHITESPACE = re.compile(r"\s+")


def _compact(value: Any) -> str:
    """Half-width text without any spaces: the form in which numbers, dates and codes are parsed."""
    return _WHITESPACE.sub("", halfwidth(clean_text(str(value))))


# -- numbers -----------------------------------------------------------------

_NUMBER = re.compile(r"[+-]?(?:\d+|\d{1,3}(?P<sep>[, ])\d{3}(?:(?P=sep)\d{3})*)(?:\.\d+)?")


def _parse_number(value: Any) -> float | int:
    if isinstance(value, bool):
        raise CoerceError(Code.NOT_A_NUMBER)
    if isinstance(value, (int, float)):
        return value
    text = halfwidth(clean_text(str(value))).replace("\u2212", "-").replace("\u2009", " ").replace("\u202f", " ")
    if not _NUMBER.fullmatch(text):
        raise CoerceError(Code.NOT_A_NUMBER)
    text = text.replace(",", "").replace(" ", "")
    return float(text) if "." in text else int(text)


def to_integer(value: Any, field: Field, ctx: Context) -> int:
    number = _parse_number(value)
    if isinstance(number, float):
        if not number.is_integer():
            raise CoerceError(Code.NOT_AN_INTEGER)
        number = int(number)
    return number


def to_number(value: Any, field: Field, ctx: Context) -> int | float:
    number = _parse_number(value)
    if isinstance(number, float) and number.is_integer():
        return int(number)
    return number


# -- dates and times -----------------------------------------------------------

_DATE_FORMS = [
    re.compile(r"(?P<y>\d{4})(?P<sep>[-/.])(?P<m>\d{1,2})(?P=sep)(?P<d>\d{1,2})"),
    re.compile(r"(?P<y>\d{4})年(?P<m>\d{1,2})月(?P<d>\d{1,2})[日号]?"),
    re.compile(r"(?P<y>\d{4})(?P<m>\d{2})(?P<d>\d{2})"),
]
_AMBIGUOUS_DATES = [
    re.compile(r"\d{2}(?P<sep>[-/.])\d{1,2}(?P=sep)\d{1,2}"),   # 21/3/5: which century, which order?
    re.compile(r"\d{2}年\d{1,2}月\d{1,2}[日号]?"),              # 21年3月5日
    re.compile(r"\d{6}"),                                      # 210305
    re.compile(r"\d{1,2}(?P<sep>[-/.])\d{1,2}(?P=sep)\d{2,4}"),  # 3/5/2021: 5 March or 3 May?
    re.compile(r"\d{1,2}月\d{1,2}[日号]?"),                     # 3月5日: which year?
]
# A date, then a time after a space or T (or straight after 日/号).
_DATE_TIME = re.compile(r"(?P<date>[\d/.-]+|\d+年\d+月\d+[日号]|\d+月\d+[日号]|\d+年\d+月\d+)"
                        r"(?:(?<=[日号]) ?|[ T]|$)(?P<time>.*)")
_TIME = re.compile(r"(?P<H>\d{1,2})(?::(?P<M>\d{2})(?::(?P<S>\d{2}))?"
                   r"|[时点](?:(?P<half>半)|(?P<M2>\d{1,2})分?(?:(?P<S2>\d{1,2})秒)?)?)")
_MORNING = ("凌晨", "早上", "早晨", "上午")
_AFTERNOON = ("下午", "傍晚", "晚上")
_NOON = "中午"
_ISO_DT = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?")

_EPOCH_1900 = dt.datetime(1899, 12, 30)  # serial 61 = 1900-03-01; Excel counts a 1900-02-29 that never was
_EPOCH_1900_EARLY = dt.datetime(1899, 12, 31)  # serials 1-59 = 1900-01-01 .. 1900-02-28
_EPOCH_1904 = dt.datetime(1904, 1, 1)


def from_serial(serial: float, ctx: Context, code: Code = Code.NOT_A_DATE, expected: str = EXPECTED_DATE) -> dt.datetime:
    """An Excel serial date, in the workbook's date system, to the nearest second."""
    if ctx.date1904:
        epoch, lowest = _EPOCH_1904, 0
    else:
        if 60 <= serial < 61:  # 1900-02-29, Lotus 1-2-3's leap-year bug kept by Excel
            raise CoerceError(code, expected=expected)
        epoch, lowest = (_EPOCH_1900_EARLY if serial < 60 else _EPOCH_1900), 1
    if serial < lowest:  # 0 is "no date" (a time of day only)
        raise CoerceError(code, expected=expected)
    try:
        return epoch + dt.timedelta(seconds=round(serial * 86400))
    except OverflowError:
        raise CoerceError(code, expected=expected) from None


def _parse_date_text(text: str, code: Code, expected: str) -> dt.date:
    """A date from compact text; raises ``code`` when unreadable, AMBIGUOUS_VALUE when unclear."""
    for pattern in _DATE_FORMS:
        m = pattern.fullmatch(text)
        if m:
            try:
                return dt.date(int(m["y"]), int(m["m"]), int(m["d"]))
            except ValueError:
                raise CoerceError(code, expected=expected) from None
    if any(p.fullmatch(text) for p in _AMBIGUOUS_DATES):
        raise CoerceError(Code.AMBIGUOUS_VALUE, expected=expected)
    raise CoerceError(code, expected=expected)


def _parse_time_text(text: str) -> dt.time:
    """A time of day from compact text; ValueError when unreadable."""
    period = next((p for p in _MORNING + _AFTERNOON + (_NOON,) if text.startswith(p)), "")
    m = _TIME.fullmatch(text[len(period):])
    if m is None:
        raise ValueError(text)
    hour = int(m["H"])
    minute = 30 if m["half"] else int(m["M"] or m["M2"] or 0)
    second = int(m["S"] or m["S2"] or 0)
    if period in _MORNING and hour > 12:
        raise ValueError(text)
    if (period in _AFTERNOON and hour < 12) or (period == _NOON and hour < 4):
        hour += 12
    return dt.time(hour, minute, second)


def _date_value(value: Any, ctx: Context) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return from_serial(value, ctx).date()
    try:
        return _parse_date_text(_compact(value), Code.NOT_A_DATE, EXPECTED_DATE)
    except CoerceError as date_error:
        try:
            moment = _datetime_value(value, ctx)  # a date and a time: the date is what is asked for
        except CoerceError:
            raise date_error from None
        return (moment.astimezone(CST) if moment.tzinfo else moment).date()


def to_date(value: Any, field: Field, ctx: Context) -> str:
    return _date_value(value, ctx).isoformat()


def _iso(moment: dt.datetime) -> str:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=CST)
    return moment.replace(microsecond=0).isoformat()


def _datetime_value(value: Any, ctx: Context) -> dt.datetime:
    bad = {"expected": EXPECTED_DATETIME}
    if isinstance(value, dt.datetime):
        return value
    if isinstance(value, dt.date):
        return dt.datetime(value.year, value.month, value.day)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return from_serial(value, ctx, Code.NOT_A_DATETIME, EXPECTED_DATETIME)
    text = re.sub(r"\s+", " ", halfwidth(clean_text(str(value))))
    if _ISO_DT.fullmatch(text):
        try:
            return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            raise CoerceError(Code.NOT_A_DATETIME, **bad) from None
    m = _DATE_TIME.fullmatch(text)
    if m is None:
        raise CoerceError(Code.NOT_A_DATETIME, **bad)
    day = _parse_date_text(m["date"], Code.NOT_A_DATETIME, EXPECTED_DATETIME)
    if not m["time"]:
        raise CoerceError(Code.NOT_A_DATETIME, **bad)  # a date alone: the time is missing, not midnight
    try:
        return dt.datetime.combine(day, _parse_time_text(m["time"].replace(" ", "")))
    except ValueError:
        raise CoerceError(Code.NOT_A_DATETIME, **bad) from None


def to_datetime(value: Any, field: Field, ctx: Context) -> str:
    return _iso(_datetime_value(value, ctx))


# -- choices and booleans ------------------------------------------------------

@functools.lru_cache(maxsize=4096)
def _choice_key(text: str) -> str:
    """The form in which a typed value and a choice's code or label are compared; kept, since every choice's
    names are compared again for every value typed."""
    return _compact(text).casefold()


_CHOICE_INDEXES: dict[int, tuple[Field, dict[str, list], str]] = {}


def _choice_index(field: Field) -> tuple[dict[str, list], str]:
    """The field's codes by the key of each of their names (code, label, English label), each name's codes in
    the definition's order, and its labels joined for a message; made once per field (it holds the field, so
    its id is not reused while it is remembered)."""
    entry = _CHOICE_INDEXES.get(id(field))
    if entry is None or entry[0] is not field:
        if len(_CHOICE_INDEXES) >= 4096:
            _CHOICE_INDEXES.clear()
        labels_en = field.ann.get("labels_en") or []
        index: dict[str, list] = {}
        for i, code in enumerate(field.choices):
            names = [str(code), field.choice_labels[i]] + ([labels_en[i]] if i < len(labels_en) else [])
            for key in {_choice_key(n) for n in names}:
                index.setdefault(key, []).append(code)
        entry = _CHOICE_INDEXES[id(field)] = (field, index, "、".join(field.choice_labels))
    return entry[1], entry[2]


def to_choice(value: Any, field: Field, ctx: Context) -> Any:
    index, choices = _choice_index(field)
    if not isinstance(value, str):
        for code in field.choices:
            if isinstance(value, bool) or isinstance(code, bool):
                continue
            if isinstance(code, (int, float)) and isinstance(value, (int, float)) and code == value:
                return code
        value = str(int(value) if isinstance(value, float) and value.is_integer() else value)
    found = index.get(_choice_key(value), [])
    if len(found) > 1:
        raise CoerceError(Code.AMBIGUOUS_VALUE, expected=choices)
    if found:
        return found[0]
    raise CoerceError(Code.NOT_A_CHOICE, choices=choices)


_MULTI_SPLIT = re.compile(f"[{MULTI_SEPARATORS}]")


def to_multi(value: Any, field: Field, ctx: Context) -> list:
    """Several choices, as the codes in the definition's order (a choice typed twice counts once): a list of
    labels or codes (ticked boxes), or text with the labels separated by 、 ， , ; or ；."""
    parts = value if isinstance(value, (list, tuple)) else _MULTI_SPLIT.split(str(value))
    chosen, unknown = set(), 0
    for part in parts:
        if is_empty(part):
            continue
        try:
            chosen.add(field.choices.index(to_choice(part, field, ctx)))
        except CoerceError as err:
            if err.code is Code.AMBIGUOUS_VALUE:
                raise
            unknown += 1
    if unknown:
        raise CoerceError(Code.NOT_CHOICES, count=unknown, choices="、".join(field.choice_labels))
    return [field.choices[i] for i in sorted(chosen)] or None


def to_boolean(value: Any, field: Field, ctx: Context) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)) and value in (0, 1):
        return bool(value)
    key = _choice_key(str(value))
    if key in TRUE_WORDS:
        return True
    if key in FALSE_WORDS:
        return False
    if key in AMBIGUOUS_WORDS:
        raise CoerceError(Code.AMBIGUOUS_VALUE, expected=EXPECTED_BOOLEAN)
    raise CoerceError(Code.NOT_A_BOOLEAN)


# -- text ----------------------------------------------------------------------

_SCIENTIFIC = re.compile(r"\d(?:\.\d+)?E\+?\d+", re.IGNORECASE)
MAX_EXACT_DIGITS = 15  # what a spreadsheet keeps of a number


def _digits_lost(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and abs(value) >= 10 ** MAX_EXACT_DIGITS


def to_string(value: Any, field: Field, ctx: Context) -> str:
    if _digits_lost(value):
        raise CoerceError(Code.DIGITS_LOST)
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M") if value.time() != dt.time() else value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    text = clean_text(str(value))
    normalise = normaliser(field.schema.get("format"))
    if normalise is None:
        return halfwidth_alnum(text)
    if _SCIENTIFIC.fullmatch(_compact(text)):  # what a spreadsheet shows of a long number: the digits are gone
        raise CoerceError(Code.DIGITS_LOST)
    return normalise(_compact(text))


def to_text(value: Any, field: Field, ctx: Context) -> str:
    if not isinstance(value, str):
        return to_string(value, field, ctx)
    return clean_text(value, keep_newlines=True)


COERCERS: dict[str, Callable[[Any, Field, Context], Any]] = {
    "string": to_string,
    "text": to_text,
    "integer": to_integer,
    "number": to_number,
    "date": to_date,
    "datetime": to_datetime,
    "choice": to_choice,
    "multi": to_multi,
    "boolean": to_boolean,
}


def coerce(value: Any, field: Field, ctx: Context = Context()) -> Any:
    """The typed value of one raw value; raises CoerceError.  Empty input is None."""
    if is_empty(value):
        return None
    return COERCERS[field.kind](value, field, ctx)


#: how many texts a field's coercer remembers the outcome of, and how long a text it remembers
_MEMO, _MEMO_TEXT = 1024, 64


def coercer(field: Field) -> Callable[[Any, Context], Any]:
    """:func:`coerce` for one field, with its kind worked out once: plain text is cleaned on the spot, and what
    other texts come to (the value, or the issue) is remembered, since the dates, choices and codes of a column
    repeat from row to row and what a text comes to depends on the text alone."""
    kind = field.kind
    if kind == "text":
        def text(value: Any, ctx: Context) -> Any:
            if type(value) is str and value.isprintable():  # clean_text keeps all of it but the ASCII spaces
                return value.strip(" ") or None
            return coerce(value, field, ctx)
        return text
    if kind == "string" and normaliser(field.schema.get("format")) is None:
        def string(value: Any, ctx: Context) -> Any:
            if type(value) is str and value.isprintable():
                value = value.strip(" ")
                return (value if value.isascii() else halfwidth_alnum(value)) or None
            return coerce(value, field, ctx)
        return string
    convert = COERCERS[kind]
    memo: dict[str, tuple[bool, Any]] = {}

    def remembered(value: Any, ctx: Context) -> Any:
        if type(value) is not str:
            if value is None:
                return None
            return coerce(value, field, ctx) if isinstance(value, str) else convert(value, field, ctx)
        if len(value) > _MEMO_TEXT:
            return coerce(value, field, ctx)
        try:
            ok, out = memo[value]
        except KeyError:
            if len(memo) >= _MEMO:
                memo.clear()
            try:
                ok, out = True, coerce(value, field, ctx)
            except CoerceError as err:
                ok, out = False, (err.code, err.params)
            memo[value] = ok, out
        if ok:
            return list(out) if type(out) is list else out  # a record's list is its own
        raise CoerceError(out[0], **out[1])
    return remembered
