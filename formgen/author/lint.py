"""Lint of an authoring workbook: the workbook's own problems, then the finished definition's.

A problem the definition's lint finds (``formgen.spec.lint``) names a JSON path; here it is also given the
sheet and row it came from, so the author knows which row of the workbook to correct.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

from formgen.author.reader import build
from formgen.author.workbook import Problems, read_sheets
from formgen.issues import Issue
from formgen.spec.lint import lint_definition


def lint_book(path: str | Path, data: bytes | None = None) -> tuple[dict | None, list[Issue]]:
    """Read and check a workbook.  Returns (definition or None if unreadable, every problem found)."""
    path = Path(path)
    problems = Problems(str(path))
    if data is None:
        data = path.read_bytes()
    sheets = read_sheets(data, problems)
    if sheets is None:
        return None, problems.issues
    builders: list = []
    definition = build(sheets, problems, builders)
    origin = builders[0].origin
    issues = list(problems.issues)
    if not any(i.severity.value == "error" for i in issues):
        for issue in lint_definition(definition, str(path)):
            issues.append(_locate(issue, origin))
    return definition, issues


def _locate(issue: Issue, origin: dict) -> Issue:
    """The issue with the location of the workbook row its JSON path came from (the longest matching prefix)."""
    best = ""
    for prefix in origin:
        if (issue.path == prefix or issue.path.startswith(prefix + ".") or issue.path.startswith(prefix + "[")) \
                and len(prefix) > len(best):
            best = prefix
    if not best:
        return issue
    return dataclasses.replace(issue, location=origin[best].location)
