"""Formats registered on jsonschema's FormatChecker, with their display names.

Each checker returns True for a valid string and ignores other types (type
errors are reported by the ``type`` keyword).
"""

from __future__ import annotations

import datetime as dt
import re

from jsonschema import FormatChecker

from formgen.i18n import N_

FORMAT_CHECKER = FormatChecker()

#: Display names for BAD_FORMAT messages (message ids, translated when shown).
FORMAT_NAMES: dict[str, str] = {}


def register(name: str, display: str):
    """Register a format checker on FORMAT_CHECKER under ``name``."""

    def decorate(func):
        FORMAT_NAMES[name] = display
        FORMAT_CHECKER.checks(name)(lambda value: not isinstance(value, str) or func(value))
        return func

    return decorate


@register("school-code", N_("school identification code (10 digits)"))
def is_school_code(value: str) -> bool:
    """学校标识码: 2-digit school type, 2-digit province, 6-digit serial."""
    return re.fullmatch(r"(1[1-9]|[2-9]\d)(1[1-9]|[2-8]\d)\d{6}", value) is not None


@register("phone", N_("phone number (mobile 1xxxxxxxxxx or landline 0xx-xxxxxxxx)"))
def is_phone(value: str) -> bool:
    compact = value.replace(" ", "")
    return (re.fullmatch(r"1[3-9]\d{9}", compact) is not None
            or re.fullmatch(r"0\d{2,3}-?\d{7,8}(-\d{1,6})?", compact) is not None)


@register("date", N_("date (YYYY-MM-DD)"))
def is_date(value: str) -> bool:
    try:
        dt.date.fromisoformat(value)
    except ValueError:
        return False
    return len(value) == 10


@register("date-time", N_("date and time"))
def is_datetime(value: str) -> bool:
    try:
        moment = dt.datetime.fromisoformat(value)
    except ValueError:
        return False
    return moment.tzinfo is not None


@register("email", N_("email address"))
def is_email(value: str) -> bool:
    return re.fullmatch(r"[^@\s]+@[^@\s]+\.[A-Za-z]{2,}", value) is not None
