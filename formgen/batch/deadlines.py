"""The deadlines of a batch: a form's date deadline (a return received after it is late, FG502), and the
record-level deadline relative to a field (FG330, checked by ``formgen.validate`` for every file).

A date deadline means the end of that day, China time.  ``--deadline [FORM=]YYYY-MM-DD[THH:MM]`` overrides it
for one form, or for every form without ``FORM=``.
"""

from __future__ import annotations

import datetime as dt

from formgen.coerce import CST
from formgen.i18n import N_
from formgen.issues import Code, FormgenError, Issue
from formgen.spec.model import FormSpec
from formgen.validate.deadlines import record_deadline_issues

__all__ = ["ALL_FORMS", "date_deadline", "late_issue", "parse_deadline", "record_deadline_issues", "shown"]

#: The key of an override given without ``FORM=``: it applies to every form.
ALL_FORMS = ""


def end_of_day(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time.max, CST)


def date_deadline(spec: FormSpec, overrides: dict[str, dt.datetime]) -> dt.datetime | None:
    """When returns of this form are due: an override for the form, else one for all forms, else the end of
    the definition's ``date`` deadline; None for a form without a date deadline."""
    if spec.id in overrides:
        return overrides[spec.id]
    if ALL_FORMS in overrides:
        return overrides[ALL_FORMS]
    deadline = spec.ann.get("deadline")
    if isinstance(deadline, dict) and deadline.get("kind") == "date" and deadline.get("date"):
        return end_of_day(dt.date.fromisoformat(deadline["date"]))
    return None


def parse_deadline(text: str) -> tuple[str, dt.datetime]:
    """``[FORM=]YYYY-MM-DD[THH:MM]`` as (form id or ALL_FORMS, moment); a date alone is the end of that day."""
    form, _, when = text.rpartition("=")
    try:
        if "T" in when or " " in when.strip():
            moment = dt.datetime.fromisoformat(when.strip().replace(" ", "T"))
            moment = moment if moment.tzinfo else moment.replace(tzinfo=CST)
        else:
            moment = end_of_day(dt.date.fromisoformat(when.strip()))
    except ValueError:
        raise FormgenError(N_("--deadline {value} cannot be read. Write it as FORM=YYYY-MM-DD or "
                              "FORM=YYYY-MM-DDTHH:MM (China time), or without FORM= for every form."),
                           value=text) from None
    return form.strip() or ALL_FORMS, moment


def shown(moment: dt.datetime) -> str:
    """A moment as a clerk reads it: China time, to the minute."""
    return moment.astimezone(CST).strftime("%Y-%m-%d %H:%M")


def late_issue(received_at: dt.datetime, deadline: dt.datetime | None) -> Issue | None:
    """FG502 when a return was received after its deadline, else None."""
    if deadline is None or received_at <= deadline:
        return None
    return Issue(Code.LATE, params={"received": shown(received_at), "deadline": shown(deadline)})
