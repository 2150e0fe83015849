"""Raw cell and field values -> typed JSON values, tolerant of how people type.

Each coercer takes what a reader found (a str, int, float, bool, date or
datetime) and returns the typed value, or raises :class:`CoerceError` with the
issue code to report.  Accepted: full-width digits and letters, thousands
separators, Chinese dates and times, Excel serial dates (1900 and 1904
systems), 是/否/√/✓/×/☑/☒/有/无, enum values by label or code, surrounding
ASCII and full-width spaces.  What is ambiguous is reported, never guessed.

Times carry China Standard Time (+08:00) unless the text gives an offset:
the forms are filled in China and office suites store no time zone.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass
from typing import Any, Callable

from formgen.issues import Code
from formgen.spec.model import Field

CST = dt.timezone(dt.timedelta(hours=8))
EXPECTED_DATE = "YYYY-MM-DD / 2021年3月5日"
EXPECTED_DATETIME = "YYYY-MM-DD HH:MM / 2021年3月5日 14时30分"

TRUE_WORDS = {"是", "√", "✓", "✔", "☑", "☒", "有", "yes", "y", "true", "t", "1", "对", "已"}
FALSE_WORDS = {"否", "×", "✗", "✘", "☐", "无", "no", "n", "false", "f", "0", "没有", "未"}


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
    """Strip surrounding spaces (ASCII, full-width, no-break) and unify line breaks."""
    text = value.replace("\r\n", "\n").replace("\r", "\n").replace("\u00a0", " ")
    if keep_newlines:
        lines = [line.rstrip(" \t\u3000") for line in text.split("\n")]
        return "\n".join(lines).strip("\n").strip(" \t\u3000")
    return " ".join(part.strip(" \t\u3000") for part in text.split("\n")).strip(" \t\u3000")


def halfwidth(text: str) -> str:
    """Full-width digits, letters and punctuation to ASCII (NFKC), leaving CJK text alone."""
    return "".join(unicodedata.normalize("NFKC", ch) if "\uff01" <= ch <= "\uff5e" or ch == "\u3000" else ch
                   for ch in text)


def is_empty(value: Any) -> bool:
    return value is None or (isinstance(value, str) and clean_text(value, True) == "")


# -- numbers -----------------------------------------------------------------

_NUMBER = re.compile(r"^[+-]?(\d+|\d{1,3}(,\d{3})+)(\.\d+)?$")


def _parse_number(value: Any) -> float | int:
    if isinstance(value, bool):
        raise CoerceError(Code.NOT_A_NUMBER)
    if isinstance(value, (int, float)):
        return value
    text = halfwidth(clean_text(str(value))).replace(" ", "").replace("，", ",")
    if not _NUMBER.match(text):
        raise CoerceError(Code.NOT_A_NUMBER)
    text = text.replace(",", "")
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
    if isinstance(number, float) and number.is_integer() and field.type == "integer":
        return int(number)
    return number


# -- dates and times -----------------------------------------------------------

_DATE_PATTERNS = [
    re.compile(r"^(?P<y>\d{4})[-/.](?P<m>\d{1,2})[-/.](?P<d>\d{1,2})$"),
    re.compile(r"^(?P<y>\d{4})年(?P<m>\d{1,2})月(?P<d>\d{1,2})[日号]?$"),
    re.compile(r"^(?P<y>\d{4})(?P<m>\d{2})(?P<d>\d{2})$"),
]
_TIME = re.compile(r"^(?P<H>\d{1,2})(?:[:：时点](?P<M>\d{1,2})?(?:[:：分](?P<S>\d{1,2})?秒?)?)?分?$")
_PERIOD = re.compile(r"^(上午|中午|下午|晚上)?(.*)$")
_ISO_DT = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$")

_EPOCH_1900 = dt.datetime(1899, 12, 30)
_EPOCH_1904 = dt.datetime(1904, 1, 1)


def from_serial(serial: float, ctx: Context) -> dt.datetime:
    """An Excel serial date, in the workbook's date system."""
    if serial < 0 or serial > 2958465:
        raise CoerceError(Code.NOT_A_DATE, expected=EXPECTED_DATE)
    epoch = _EPOCH_1904 if ctx.date1904 else _EPOCH_1900
    return epoch + dt.timedelta(days=float(serial))


def _parse_date_text(text: str) -> dt.date | None:
    for pattern in _DATE_PATTERNS:
        m = pattern.match(text)
        if m:
            try:
                return dt.date(int(m["y"]), int(m["m"]), int(m["d"]))
            except ValueError:
                return None
    return None


def to_date(value: Any, field: Field, ctx: Context) -> str:
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return from_serial(value, ctx).date().isoformat()
    text = halfwidth(clean_text(str(value))).replace(" ", "")
    if _ISO_DT.match(text) and text[11:19] in ("00:00:00", "00:00"):
        text = text[:10]
    parsed = _parse_date_text(text)
    if parsed is None:
        raise CoerceError(Code.NOT_A_DATE, expected=EXPECTED_DATE)
    return parsed.isoformat()


def _iso(moment: dt.datetime) -> str:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=CST)
    return moment.replace(microsecond=0).isoformat()


def to_datetime(value: Any, field: Field, ctx: Context) -> str:
    if isinstance(value, dt.datetime):
        return _iso(value)
    if isinstance(value, dt.date):
        return _iso(dt.datetime(value.year, value.month, value.day))
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        moment = from_serial(value, ctx)
        return _iso(moment.replace(second=round(moment.second + moment.microsecond / 1e6) % 60, microsecond=0))
    text = halfwidth(clean_text(str(value)))
    if _ISO_DT.match(text):
        try:
            return _iso(dt.datetime.fromisoformat(text.replace("Z", "+00:00")))
        except ValueError:
            raise CoerceError(Code.NOT_A_DATETIME, expected=EXPECTED_DATETIME) from None
    m = re.match(r"^(?P<date>\d{4}\D\d{1,2}\D\d{1,2}[日号]?|\d{8})\s*(?P<time>.*)$", text)
    if not m:
        raise CoerceError(Code.NOT_A_DATETIME, expected=EXPECTED_DATETIME)
    day = _parse_date_text(m["date"])
    period, time_text = _PERIOD.match(m["time"].replace(" ", "")).groups()
    afternoon = period in ("下午", "晚上")
    tm = _TIME.match(time_text) if time_text else None
    if day is None or (time_text and tm is None):
        raise CoerceError(Code.NOT_A_DATETIME, expected=EXPECTED_DATETIME)
    if not time_text:
        raise CoerceError(Code.AMBIGUOUS_VALUE, expected=EXPECTED_DATETIME)
    hour, minute, second = int(tm["H"]), int(tm["M"] or 0), int(tm["S"] or 0)
    if afternoon and hour < 12:
        hour += 12
    try:
        return _iso(dt.datetime(day.year, day.month, day.day, hour, minute, second))
    except ValueError:
        raise CoerceError(Code.NOT_A_DATETIME, expected=EXPECTED_DATETIME) from None


# -- choices and booleans ------------------------------------------------------

def _choice_key(text: str) -> str:
    return halfwidth(clean_text(text)).replace(" ", "").casefold()


def to_choice(value: Any, field: Field, ctx: Context) -> Any:
    if isinstance(value, str):
        key = _choice_key(value)
        labels_en = field.ann.get("labels_en") or []
        for i, code in enumerate(field.choices):
            names = [str(code), field.choice_labels[i]] + ([labels_en[i]] if i < len(labels_en) else [])
            if key in {_choice_key(n) for n in names}:
                return code
    else:
        for code in field.choices:
            if code == value and not isinstance(value, bool):
                return code
            if isinstance(code, (int, float)) and isinstance(value, float) and value.is_integer() and int(value) == code:
                return code
    raise CoerceError(Code.NOT_A_CHOICE, choices="、".join(field.choice_labels))


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
    raise CoerceError(Code.NOT_A_BOOLEAN)


# -- text ----------------------------------------------------------------------

def to_string(value: Any, field: Field, ctx: Context) -> str:
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M") if value.time() != dt.time() else value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return clean_text(str(value))


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
    "boolean": to_boolean,
}


def coerce(value: Any, field: Field, ctx: Context = Context()) -> Any:
    """The typed value of one raw value; raises CoerceError.  Empty input is None."""
    if is_empty(value):
        return None
    return COERCERS[field.kind](value, field, ctx)
