"""Check the fields filled in only under a condition (``x-formgen.relevant``, see ``formgen.spec.relevance``).

The condition is evaluated on the record with the rule language's three-valued logic.  Where it is false, a
value is NOT_RELEVANT (a warning: the fact may be right and the condition's field wrong); where it is true, a
required field left empty is RELEVANT_REQUIRED.  Where it is unknown (the fields it reads are empty or
unreadable) nothing is reported: those fields have their own issues.  A required field whose condition is
false may stay empty, so the schema's ``required`` is not reported for fields with a condition; this module
reports it instead.
"""

from __future__ import annotations

from formgen.issues import Code, Issue
from formgen.paths import get_path
from formgen.spec.model import FormSpec
from formgen.spec.relevance import conditions
from formgen.validate.rules import _Evaluator, _labels


def conditional(spec: FormSpec) -> set[str]:
    """The addresses of the fields whose being required depends on their condition."""
    return set(conditions(spec))


def check_relevance(spec: FormSpec, record: dict, failed: set[str] = frozenset()) -> list[Issue]:
    issues = []
    for address, condition in conditions(spec).items():
        field = spec.lookup(address)
        applies = _Evaluator(spec, record, set(failed)).evaluate(condition.node)
        filled = address in failed or get_path(record, address) not in (None, "", [])
        params = {"label": spec.labels_of(address),
                  "condition": {lang: spec.relevance_note(field, lang).strip() for lang in ("zh_CN", "en")}}
        where = "$.properties." + ".properties.".join(field.path) + ".x-formgen.relevant"
        if applies is False and filled:
            involved = [a for a in condition.fields if a != address]
            issues.append(Issue(Code.NOT_RELEVANT, address, params={**params, "fields": _labels(spec, involved)},
                                schema_location=where))
        elif applies is True and not filled and field.required:
            issues.append(Issue(Code.RELEVANT_REQUIRED, address, params=params, schema_location=where))
    return issues
