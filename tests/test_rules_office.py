"""The incident report's rules on xlsx files that a real LibreOffice filled: each rule failing, then passing.

The base is the skeleton's fill (tests/test_xlsx_office.py), which keeps every rule; each case changes
what is typed into a few cells, as a person would.
"""

from __future__ import annotations

import json

import pytest

from tests.conftest import run_cli
from tests.test_xlsx_office import MULTILINE, PEOPLE, SCALARS, fill

pytestmark = pytest.mark.office

NO_VICTIM = [p for p in PEOPLE if p[0] != "被欺凌方"]
# rule id -> (path reported, changes that break it, changes that keep it): (scalars, people)
CASES = {
    "follow-up-names-initial": (
        "initial_report_no",
        ({"report_kind": "续报", "initial_report_no": None}, PEOPLE),
        ({"report_kind": "续报", "initial_report_no": "２０２１-031"}, PEOPLE)),
    "serious-police-notified": (
        "police_notified",
        ({"severity": "严重欺凌", "police_notified": "×", "authority_notified": "是"}, PEOPLE),
        ({"severity": "严重欺凌", "police_notified": "√", "authority_notified": "是"}, PEOPLE)),
    "serious-authority-notified": (
        "authority_notified",
        ({"severity": "涉嫌违法犯罪", "police_notified": "是", "authority_notified": "否"}, PEOPLE),
        ({"severity": "criminal", "police_notified": "是", "authority_notified": "有"}, PEOPLE)),
    "victim-listed": (
        "persons.role",
        ({}, NO_VICTIM),
        ({}, NO_VICTIM + [("被欺凌方", "孙某某", "女", "初一（2）班", "１２")])),
}


def scalars_with(changes: dict) -> dict:
    out = dict(SCALARS)
    for name, typed in changes.items():
        if typed is None:
            out.pop(name)
        else:
            out[name] = (typed, None)
    return out


@pytest.fixture(scope="module")
def filled(office, tmp_path_factory):
    """{(rule id, 'fail' | 'pass'): path of the xlsx LibreOffice saved}."""
    folder = tmp_path_factory.mktemp("rules")
    blank = folder / "blank.xlsx"
    assert run_cli("generate", "incident-report", "--format", "xlsx", "-o", str(blank)).exit_code == 0
    files = {}
    for rule_id, (_path, breaking, keeping) in CASES.items():
        for outcome, (changes, people) in (("fail", breaking), ("pass", keeping)):
            out = folder / f"{rule_id}-{outcome}.xlsx"
            fill(office, blank, out, scalars_with(changes), MULTILINE, people)
            files[(rule_id, outcome)] = out
    return files


@pytest.mark.parametrize("rule_id", sorted(CASES))
def test_rule_fails_in_a_libreoffice_filled_form(filled, rule_id):
    result = run_cli("validate", str(filled[(rule_id, "fail")]), "--json")
    assert result.exit_code == 1
    [report] = json.loads(result.stdout)
    assert [(i["code"], i["path"]) for i in report["issues"]] == [("FG320", CASES[rule_id][0])]
    message = report["issues"][0]["message"]
    assert "涉及栏目" in message
    assert "李某某" not in result.stdout and "张某某" not in result.stdout

    english = run_cli("validate", str(filled[(rule_id, "fail")]), "--json", lang="en")
    assert "(fields: " in json.loads(english.stdout)[0]["issues"][0]["message"]


@pytest.mark.parametrize("rule_id", sorted(CASES))
def test_rule_passes_in_a_libreoffice_filled_form(filled, rule_id):
    result = run_cli("validate", str(filled[(rule_id, "pass")]), "--json")
    assert result.exit_code == 0, result.stdout
    assert json.loads(result.stdout)[0]["issues"] == []


def test_full_width_digits_typed_in_libreoffice_are_read_as_digits(filled):
    got = json.loads(run_cli("extract", str(filled[("follow-up-names-initial", "pass")])).stdout)["data"]
    assert got["initial_report_no"] == "2021-031"
    got = json.loads(run_cli("extract", str(filled[("victim-listed", "pass")])).stdout)["data"]
    assert got["persons"][-1]["age"] == 12


def test_messages_name_the_rule_and_the_fields(filled):
    result = run_cli("validate", str(filled[("serious-police-notified", "fail")]))
    assert "严重欺凌、屡教不改或情节恶劣、涉嫌违法犯罪的事件，必须立即报告公安机关。" \
           "（涉及栏目：是否已报告公安机关、情节程度）" in result.stdout
    assert "填写内容：×" in result.stdout
    english = run_cli("validate", str(filled[("serious-police-notified", "fail")]), lang="en")
    assert "must be reported to the police at once. (fields: Police informed, Severity)" in english.stdout
    assert "Typed: ×" in english.stdout
