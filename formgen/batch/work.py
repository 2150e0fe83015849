"""The per-file work of a batch: one file's bytes and the definitions in, its result out.

:func:`check` is a pure function of its arguments, so the same code runs in a local worker process or on a
Dask worker.  Its output is plain data (JSON-able): the per-file parts of a results.jsonl line, the typed
record for the ledger and consolidation, and the unit code stamped into the file.
"""

from __future__ import annotations

from typing import Any

from formgen.issues import Code, Issue, Severity
from formgen.pipeline import process
from formgen.spec import Registry
from formgen.spec.model import FormSpec


def check(data: bytes, relpath: str, registry: Registry, expected_form: str | None, lang: str) -> dict[str, Any]:
    """Read and validate one returned file from its bytes.

    Returns ``{"format", "form", "version", "issues", "readable", "record", "unit"}``: ``issues`` as
    results.jsonl shows them (messages in ``lang``, never what was typed), ``record`` the typed record
    (None when unreadable), ``unit`` the unit code stamped into the file's identity (or None).
    A file of another form than ``expected_form`` keeps its record but has the one error FG110.
    """
    result = process(relpath, registry, data=data)
    spec = registry.find(result.form, result.version) if result.form and result.version else None
    issues = result.issues
    if expected_form and result.form and result.form != expected_form:
        issues = [wrong_form(registry, result.form, expected_form)]
    return {
        "format": result.format,
        "form": result.form,
        "version": result.version,
        "issues": [issue_dict(issue, spec, lang) for issue in issues],
        "readable": result.readable,
        "record": result.data,
        "unit": result.identity.unit if result.identity else None,
    }


def wrong_form(registry: Registry, form: str, expected: str) -> Issue:
    return Issue(Code.WRONG_FORM, params={"form": form_name(registry, form), "expected": form_name(registry, expected)})


def form_name(registry: Registry, form_id: str) -> dict[str, str] | str:
    """A form as a person knows it, per language: its title with its id (just the id when not installed)."""
    try:
        spec = registry.get(form_id)
    except Exception:  # an unknown or broken definition: the id is all there is to show
        return form_id
    return {lang: f"{spec.label(lang)} ({form_id})" for lang in ("zh_CN", "en")}


def issue_dict(issue: Issue, spec: FormSpec | None, lang: str) -> dict[str, str]:
    """An issue as results.jsonl holds it: code, severity, path, label, location, message; never ``typed``."""
    label = ""
    if issue.path and spec is not None:
        label = spec.label_of(issue.path, lang)
    elif isinstance(issue.params.get("label"), dict):
        label = issue.params["label"].get(lang) or issue.params["label"].get("zh_CN", "")
    return {"code": issue.code.id, "severity": issue.severity.value, "path": issue.path, "label": label,
            "location": issue.location, "message": issue.message(lang)}


def failure(code: Code, lang: str, **params: Any) -> dict[str, Any]:
    """The result of a file that was not read to its end (too large, too slow, its reader died)."""
    return {"format": None, "form": None, "version": None, "readable": False, "record": None, "unit": None,
            "issues": [issue_dict(Issue(code, params=params), None, lang)]}


def has_error(issues: list[dict]) -> bool:
    return any(i["severity"] == Severity.ERROR.value for i in issues)
