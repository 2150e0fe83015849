"""Reporters, chosen by name: each writes a list of Results to a stream."""

from __future__ import annotations

import json
from typing import Callable, TextIO

from formgen.i18n import current_language
from formgen.i18n import gettext as _
from formgen.pipeline import Result


def text_reporter(out: TextIO, results: list[Result]) -> None:
    for result in results:
        status = {"valid": _("valid"), "invalid": _("invalid"), "unreadable": _("unreadable"),
                  "skipped": _("skipped")}[result.status]
        form = f"{result.form} {result.version}" if result.form else ""
        errors = sum(1 for i in result.issues if i.severity.value == "error")
        out.write(_("{file}: {status} {form} ({count} problem(s))").format(
            file=result.file, status=status, form=form, count=errors).replace("  ", " ") + "\n")
        for issue in result.issues:
            where = f" [{issue.location}]" if issue.location else ""
            out.write(f"  {issue.code.id} {issue.severity.value:<7} {issue.path or '-'}{where}\n"
                      f"      {issue.message()}\n")
            if issue.typed is not None:
                out.write("      " + _("Typed: {typed}").format(typed=issue.typed) + "\n")
    valid = sum(r.valid for r in results)
    out.write(_("{valid} of {total} file(s) valid.").format(valid=valid, total=len(results)) + "\n")


def json_reporter(out: TextIO, results: list[Result]) -> None:
    lang = current_language()
    out.write(json.dumps([r.to_dict(lang) for r in results], ensure_ascii=False, indent=2) + "\n")


REPORTERS: dict[str, Callable[[TextIO, list[Result]], None]] = {
    "text": text_reporter,
    "json": json_reporter,
}
