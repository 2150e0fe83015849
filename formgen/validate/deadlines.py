"""A deadline relative to a field of the record: "within 24 hours of occurred_at" (FG330 warnings).

A definition's ``deadline`` of kind ``within-hours`` or ``within-days`` names the field it runs ``from`` and
the field that must fall within it (``to``).  A warning is given only when the record shows the limit was
certainly passed: a date without a time counts as the end of that day when it starts the period and as the
start of that day when it ends it.  ``within-days`` counts calendar days, as the rules' ``days(from, to)``.

When a rule of the definition already compares the same two fields with ``days(from, to)``, the rule speaks
for this deadline and nothing more is reported.
"""

from __future__ import annotations

import datetime as dt
import re

from formgen.i18n import N_
from formgen.issues import Code, Issue, Text
from formgen.paths import get_path
from formgen.spec.model import FormSpec

RELATIVE_KINDS = ("within-days", "within-hours")
#: China Standard Time, as ``formgen.coerce`` reads times (not imported: coercion imports this package).
CST = dt.timezone(dt.timedelta(hours=8))


def relative_deadline(spec: FormSpec) -> dict | None:
    """The form's deadline when it is relative to a field and complete, else None."""
    deadline = spec.ann.get("deadline")
    if not isinstance(deadline, dict) or deadline.get("kind") not in RELATIVE_KINDS:
        return None
    if not all(isinstance(deadline.get(k), str) for k in ("from", "to")):
        return None
    return deadline


def covered_by_rule(spec: FormSpec, start: str, end: str) -> bool:
    """Whether a rule of the definition already checks the time from ``start`` to ``end``."""
    pattern = re.compile(rf"\bdays\(\s*{re.escape(start)}\s*,\s*{re.escape(end)}\s*\)")
    return any(isinstance(rule, dict) and pattern.search(str(rule.get("assert", "")))
               for rule in spec.definition.get("x-formgen-rules", []))


def _moment(value, is_start: bool) -> dt.datetime | None:
    """A record's date or date-time value as an aware moment (China time when none is given)."""
    if not isinstance(value, str):
        return None
    try:
        if "T" not in value and " " not in value.strip():
            day = dt.date.fromisoformat(value.strip())
            return dt.datetime.combine(day, dt.time.max if is_start else dt.time.min, CST)
        moment = dt.datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=CST)


def record_deadline_issues(spec: FormSpec, record: dict, skip: set[str] = frozenset()) -> list[Issue]:
    """FG330 when the record's ``to`` field is later than its ``from`` field plus the allowed time.

    Addresses in ``skip`` could not be read (they already have an issue) and are not compared."""
    deadline = relative_deadline(spec)
    if deadline is None:
        return []
    start, end = deadline["from"], deadline["to"]
    if start in skip or end in skip or covered_by_rule(spec, start, end):
        return []
    begin, finish = _moment(get_path(record, start), True), _moment(get_path(record, end), False)
    if begin is None or finish is None:
        return []
    if deadline["kind"] == "within-hours":
        hours = deadline.get("hours", 0)
        late = finish - begin > dt.timedelta(hours=hours)
        limit = Text(N_("{count} hours"), {"count": hours})
    else:
        days = deadline.get("days", 0)
        late = (finish.astimezone(CST).date() - begin.astimezone(CST).date()).days > days
        limit = Text(N_("{count} days"), {"count": days})
    if not late:
        return []
    return [Issue(Code.DEADLINE_RELATIVE, end, params={
        "label": spec.labels_of(end), "from_label": spec.labels_of(start), "from_path": start, "limit": limit})]
