"""Reporters, chosen by name: each writes a list of Results to a stream."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Callable, TextIO

from formgen.i18n import N_, current_language
from formgen.i18n import gettext as _
from formgen.issues import Issue, Severity

if TYPE_CHECKING:  # the pipeline (and the validation libraries it loads) is not needed to list the reporters
    from formgen.pipeline import Result

SEVERITY_WORDS = {Severity.ERROR: N_("error"), Severity.WARNING: N_("warning")}


def severity_word(severity: Severity) -> str:
    """错误 / 警告 (error / warning) in the current language."""
    return _(SEVERITY_WORDS[severity])


def issue_lines(issue: Issue) -> list[str]:
    """An issue as the text report shows it: code, severity, field and where; the message; what was typed."""
    where = f" [{issue.location}]" if issue.location else ""
    lines = [f"  {issue.code.id} {severity_word(issue.severity)} {issue.path or '-'}{where}",
             f"      {issue.message()}"]
    if issue.typed is not None:
        lines.append("      " + _("Typed: {typed}").format(typed=issue.typed))
    return lines


def counts(issues: list[Issue]) -> str:
    """"2 errors, 1 warning" in the current language."""
    errors = sum(1 for i in issues if i.severity == Severity.ERROR)
    warnings = len(issues) - errors
    return _("{errors} error(s), {warnings} warning(s)").format(errors=errors, warnings=warnings)


def text_reporter(out: TextIO, results: list[Result]) -> None:
    for result in results:
        status = {"valid": _("valid"), "invalid": _("invalid"), "unreadable": _("unreadable"),
                  "skipped": _("skipped")}[result.status]
        form = f"{result.form} {result.version}" if result.form else ""
        out.write(_("{file}: {status} {form} ({counts})").format(
            file=result.file, status=status, form=form, counts=counts(result.issues)).replace("  ", " ") + "\n")
        for issue in result.issues:
            out.write("".join(line + "\n" for line in issue_lines(issue)))
    valid = sum(r.valid for r in results)
    every = [issue for result in results for issue in result.issues]
    out.write(_("{valid} of {total} file(s) valid ({counts} in all).").format(
        valid=valid, total=len(results), counts=counts(every)) + "\n")


def json_reporter(out: TextIO, results: list[Result]) -> None:
    lang = current_language()
    out.write(json.dumps([r.to_dict(lang) for r in results], ensure_ascii=False, indent=2) + "\n")


REPORTERS: dict[str, Callable[[TextIO, list[Result]], None]] = {
    "text": text_reporter,
    "json": json_reporter,
}
