"""The procedure's rules in every form, each shown failing and passing on a returned workbook.

Each case changes the form's example record, generates the pre-filled Excel form,
reads it back and pins the (code, path) of what formgen reports.
"""

from __future__ import annotations

import copy

import pytest

from formgen.compile import COMPILERS
from formgen.pipeline import process
from tests.conftest import example


def _set(record: dict, path: str, value) -> None:
    *parents, last = path.split(".")
    node = record
    for part in parents:
        node = node[int(part)] if isinstance(node, list) else node[part]
    if value is None:
        node.pop(last, None)
    elif isinstance(node, list):
        node[int(last)] = value
    else:
        node[last] = value


#: A 续报: the determination date is filled in only there (x-formgen.relevant), with the initial report's number.
FOLLOW_UP = {"report_kind": "follow-up", "initial_report_no": "2021-031"}

CASES = [
    # (form, changes {path: value or None to delete}, expected [(code, path)])
    ("incident-report", {**FOLLOW_UP, "investigation_started_on": "2021-03-09", "determined_on": "2021-03-19"}, []),
    ("incident-report", {**FOLLOW_UP, "determined_on": "2021-03-22"}, [("FG321", "investigation_started_on")]),
    ("incident-report", {**FOLLOW_UP, "determined_on": "2021-03-08"}, [("FG320", "determined_on")]),
    ("incident-report", {**FOLLOW_UP, "investigation_started_on": None, "determined_on": "2021-03-12"},
     [("FG320", "investigation_started_on")]),
    ("incident-report", {"determined_on": "2021-03-19"}, [("FG350", "determined_on")]),  # 续报填写, in a 首报
    ("committee-determination", {"determined_on": "2021-03-19"}, []),  # day 10: still in time
    ("committee-determination", {"determined_on": "2021-03-20"}, [("FG321", "investigation_started_on")]),
    ("committee-determination", {"committee_meeting_on": "2021-03-08"}, [("FG320", "committee_meeting_on")]),
    ("committee-determination", {"type_physical": False, "type_verbal": False, "type_property": False},
     [("FG320", "type_physical")]),
    ("committee-determination", {"is_bullying": False, "type_physical": False, "type_verbal": False,
                                 "type_property": False, "severity": None}, []),
    ("review-decision", {"decided_on": "2021-04-08"},  # day 16, and after two parties were notified
     [("FG320", "accepted_on"), ("FG320", "notified.0.notified_on"), ("FG320", "notified.1.notified_on")]),
    ("review-decision", {"decided_on": "2021-04-07"}, []),
    ("review-decision", {"review_group.1": {"role": "school", "name": "周丽", "unit": "家委会"}},
     [("FG320", "review_group.role")]),
    ("review-decision", {"notified.2": {"party": "parents", "notified_on": "2021-04-08"}},
     [("FG320", "notified.party"), ("FG320", "notified.2.party")]),
    ("review-decision", {"notified.0.notified_on": "2021-04-05"}, [("FG320", "notified.0.notified_on")]),
    ("appeal", {"signed_on": "2021-03-17"}, [("FG320", "signed_on")]),
    ("basic-stats", {"divisions.0.schools_checked": 60}, [("FG320", "divisions.0.schools_checked")]),
    ("hazard-ledger", {"hazards.1.status": "in-progress"}, [("FG320", "hazards.1.completed_on")]),
    ("hazard-ledger", {"hazards.1.completed_on": "2021-03-26", "filled_on": "2021-03-27"},
     [("FG321", "hazards.1.completed_on")]),
    ("hazard-ledger", {"filled_on": "2021-04-01"}, [("FG321", "hazards.4.status")]),  # due 3月31日, still in progress
    ("task-list", {"tasks.5.completed_on": "2021-06-14"}, []),
    ("task-list", {"tasks.8.completed_on": "2021-07-12"}, [("FG321", "tasks.5.completed_on"),
                                                         ("FG321", "tasks.8.completed_on")]),
    ("task-list", {"tasks.9.completed_on": "2021-07-09"}, [("FG320", "tasks.9.completed_on"),
                                                         ("FG321", "tasks.5.completed_on")]),
    ("policy-checklist", {"measures.0.status": "partly", "measures.0.note": None},
     [("FG320", "measures.0.status")]),
    ("parent-notice", {"receipt_signed_on": "2021-03-08"}, [("FG320", "receipt_signed_on")]),
    ("notice-letter", {"printed_on": "2021-01-19"}, [("FG320", "printed_on")]),
]


@pytest.mark.parametrize("form_id, changes, expected", CASES)
def test_rule(form_id, changes, expected, registry, tmp_path):
    record = copy.deepcopy(example(form_id))
    for path, value in changes.items():
        _set(record, path, value)
    out = tmp_path / f"{form_id}.xlsx"
    COMPILERS["xlsx"].compile(registry.get(form_id), record, out)
    result = process(out, registry)
    found = sorted((i.code.id, i.path) for i in result.issues if i.code.id in ("FG320", "FG321", "FG350", "FG351"))
    assert found == sorted(expected)


#: A total that disagrees with its rows, in the formats where totals are typed.  In Excel the 合计 row is =SUM
#: of the rows, so it always agrees (the record's own total is not written there).
TOTAL_CASES = [
    ({"totals.hazards_found": 100}, {"docx": [("FG320", "totals.hazards_found")],
                                     "pdf": [("FG320", "totals.hazards_found")], "xlsx": []}),
    ({"divisions.0.schools_checked": 60}, {
        "docx": [("FG320", "divisions.0.schools_checked"), ("FG320", "totals.schools_checked")],
        "pdf": [("FG320", "divisions.0.schools_checked"), ("FG320", "totals.schools_checked")],
        "xlsx": [("FG320", "divisions.0.schools_checked")]}),
]


@pytest.mark.parametrize("fmt", ["docx", "pdf", "xlsx"])
@pytest.mark.parametrize("changes, expected", TOTAL_CASES)
def test_total_rules(changes, expected, fmt, registry, tmp_path):
    record = copy.deepcopy(example("basic-stats"))
    for path, value in changes.items():
        _set(record, path, value)
    out = tmp_path / f"basic-stats.{fmt}"
    COMPILERS[fmt].compile(registry.get("basic-stats"), record, out)
    result = process(out, registry)
    found = sorted((i.code.id, i.path) for i in result.issues if i.code.id in ("FG320", "FG321", "FG350", "FG351"))
    assert found == sorted(expected[fmt])
