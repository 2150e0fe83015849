"""Formats registered on jsonschema's FormatChecker, with display names, reasons and normalisers.

A checker takes a string and returns True, or raises :class:`FormatProblem`
whose ``reason`` (a message id) says what is wrong without repeating the
value; jsonschema keeps it as the error's ``cause``.  Other types pass (the
``type`` keyword reports them).

A format may also have a *normaliser*: coercion applies it to the compacted
text (half-width, no spaces) of an identifier before validation, so that
``138-0405-1234`` or ``+86 13804051234`` is stored as ``13804051234``.

==================  ========================================================
``school-code``     学校标识码: 2-digit school type, 2-digit province, 6-digit serial
``cn-ric``          居民身份证号码, GB 11643 (check digit, birth date, place)
``cn-uscc``         统一社会信用代码, GB 32100 (check character)
``mobile``          mainland mobile number, 11 digits ``1[3-9]…``
``landline``        mainland landline with area code, ``024-23456789``
``phone``           either of the two
``division-code``   GB/T 2260 administrative division code in use
``email``, ``date``, ``date-time``
==================  ========================================================
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Callable

from jsonschema import FormatChecker
from stdnum.cn import ric, uscc
from stdnum.exceptions import InvalidChecksum, InvalidLength, ValidationError

from formgen.i18n import N_
from formgen.validate.divisions import division_name

FORMAT_CHECKER = FormatChecker()

#: Display names for BAD_FORMAT messages (message ids, translated when shown).
FORMAT_NAMES: dict[str, str] = {}
#: Normalisers of identifier formats, applied by coercion.
NORMALISERS: dict[str, Callable[[str], str]] = {}


class FormatProblem(ValueError):
    """Why a value is not of its format; ``reason`` is a message id that never includes the value."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def register(name: str, display: str, normalise: Callable[[str], str] | None = None):
    """Register a checker (returns True or raises FormatProblem) on FORMAT_CHECKER under ``name``."""

    def decorate(func: Callable[[str], bool]):
        FORMAT_NAMES[name] = display
        if normalise is not None:
            NORMALISERS[name] = normalise
        FORMAT_CHECKER.checks(name, raises=FormatProblem)(lambda value: not isinstance(value, str) or func(value))
        return func

    return decorate


def normaliser(fmt: str | None) -> Callable[[str], str] | None:
    """The normaliser of an identifier format, or None for other formats and plain text."""
    return NORMALISERS.get(fmt) if fmt else None


def reason_of(cause: BaseException | None) -> str:
    """The reason a format check gave, or a general one."""
    return cause.reason if isinstance(cause, FormatProblem) else N_("it is not in the expected form")


def _identity(text: str) -> str:
    return text


def _upper(text: str) -> str:
    return text.upper()


# -- 学校标识码 --------------------------------------------------------------------

SCHOOL_TYPES = {"11", "21", "22", "31", "32", "33", "34", "35", "36", "37", "41", "42", "51", "91", "92", "93"}
PROVINCE_CODES = {"11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34", "35", "36", "37",
                  "41", "42", "43", "44", "45", "46", "50", "51", "52", "53", "54", "61", "62", "63", "64", "65"}


@register("school-code", N_("school identification code (学校标识码, 10 digits)"), _identity)
def is_school_code(value: str) -> bool:
    """2-digit school type (DOMAIN.md list), 2-digit mainland province code, 6-digit serial."""
    if not re.fullmatch(r"\d{10}", value):
        raise FormatProblem(N_("it must be exactly 10 digits"))
    if value[:2] not in SCHOOL_TYPES:
        raise FormatProblem(N_("the first two digits are the school type and must be one of "
                               "11, 21, 22, 31-37, 41, 42, 51, 91-93"))
    if value[2:4] not in PROVINCE_CODES:
        raise FormatProblem(N_("digits 3-4 are the province and must be a province code, such as 21 for Liaoning"))
    return True


# -- 居民身份证号码 and 统一社会信用代码 (python-stdnum) -------------------------------

@register("cn-ric", N_("resident identity card number (居民身份证号码)"), _upper)
def is_cn_ric(value: str) -> bool:
    if len(value) == 18 and not re.fullmatch(r"\d{17}[\dX]", value):
        raise FormatProblem(N_("the first 17 characters must be digits and the last a digit or X"))
    try:
        ric.validate(value)
    except InvalidLength:
        raise FormatProblem(N_("it must be 18 characters")) from None
    except InvalidChecksum:
        raise FormatProblem(N_("the check digit (the last character) does not match the other digits")) from None
    except ValidationError:  # InvalidComponent: stdnum found no such birth date or GB/T 2260 place
        raise FormatProblem(N_("the birth date or the place code in it does not exist")) from None
    return True


@register("cn-uscc", N_("unified social credit code (统一社会信用代码)"), _upper)
def is_cn_uscc(value: str) -> bool:
    try:
        uscc.validate(value)
    except InvalidLength:
        raise FormatProblem(N_("it must be 18 characters")) from None
    except InvalidChecksum:
        raise FormatProblem(N_("the check character (the last one) does not match the other characters")) from None
    except ValidationError:
        raise FormatProblem(N_("characters 1-8 must be digits, the rest digits or capital letters "
                               "other than I, O, S, V and Z")) from None
    return True


# -- telephone numbers -----------------------------------------------------------

_MOBILE = re.compile(r"1[3-9]\d{9}")
_LANDLINE = re.compile(r"0(?:10|2\d|[3-9]\d{2})-?[2-9]\d{6,7}(?:-\d{1,6})?")


def normalise_mobile(text: str) -> str:
    """``+86 138-0405-1234`` -> ``13804051234``."""
    digits = re.sub(r"^(?:\+86|0086|86)(?=1\d{10}$)", "", text.replace("-", ""))
    return digits if _MOBILE.fullmatch(digits) else text


def normalise_landline(text: str) -> str:
    """``(024)23456789转123`` -> ``024-23456789-123``."""
    text = re.sub(r"^\((0\d{2,3})\)-?", r"\1-", text)
    return re.sub(r"(?:转|ext\.?|x)(\d{1,6})$", r"-\1", text, flags=re.IGNORECASE)


def normalise_phone(text: str) -> str:
    mobile = normalise_mobile(text)
    return mobile if _MOBILE.fullmatch(mobile) else normalise_landline(text)


@register("mobile", N_("mobile phone number"), normalise_mobile)
def is_mobile(value: str) -> bool:
    if not _MOBILE.fullmatch(value):
        raise FormatProblem(N_("a mobile number has 11 digits and starts with 13 to 19, such as 13804051234"))
    return True


@register("landline", N_("landline phone number"), normalise_landline)
def is_landline(value: str) -> bool:
    if not _LANDLINE.fullmatch(value):
        raise FormatProblem(N_("a landline number is the area code and a 7- or 8-digit number, such as 024-23456789"))
    return True


@register("phone", N_("phone number"), normalise_phone)
def is_phone(value: str) -> bool:
    if not (_MOBILE.fullmatch(value) or _LANDLINE.fullmatch(value)):
        raise FormatProblem(N_("type a mobile number (11 digits, such as 13804051234) "
                               "or a landline number with its area code (such as 024-23456789)"))
    return True


# -- GB/T 2260, email, dates ---------------------------------------------------------

@register("division-code", N_("administrative division code (行政区划代码, GB/T 2260)"), _identity)
def is_division_code(value: str) -> bool:
    if not re.fullmatch(r"\d{6}", value):
        raise FormatProblem(N_("it must be exactly 6 digits, such as 210100 for Shenyang"))
    if division_name(value) is None:
        raise FormatProblem(N_("it is not a GB/T 2260 administrative division code in use"))
    return True


_EMAIL = re.compile(r"[A-Za-z0-9_%+-]+(?:\.[A-Za-z0-9_%+-]+)*@(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?\.)+"
                    r"[A-Za-z]{2,}")


@register("email", N_("email address"), _identity)
def is_email(value: str) -> bool:
    if not _EMAIL.fullmatch(value):
        raise FormatProblem(N_("an email address looks like name@example.com"))
    return True


@register("date", N_("date"))
def is_date(value: str) -> bool:
    try:
        dt.date.fromisoformat(value)
    except ValueError:
        raise FormatProblem(N_("type it as YYYY-MM-DD, such as 2021-03-05")) from None
    if len(value) != 10:
        raise FormatProblem(N_("type it as YYYY-MM-DD, such as 2021-03-05"))
    return True


@register("date-time", N_("date and time"))
def is_datetime(value: str) -> bool:
    try:
        moment = dt.datetime.fromisoformat(value)
    except ValueError:
        raise FormatProblem(N_("type it as YYYY-MM-DD HH:MM, such as 2021-03-05 14:30")) from None
    if moment.tzinfo is None:
        raise FormatProblem(N_("type it as YYYY-MM-DD HH:MM, such as 2021-03-05 14:30"))
    return True
