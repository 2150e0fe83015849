"""Deadlines: a form's date deadline (late returns, FG502) and a deadline relative to a field (FG330)."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from formgen.batch.deadlines import ALL_FORMS, date_deadline, late_issue, parse_deadline, record_deadline_issues
from formgen.issues import FormgenError
from formgen.validate import validate
from tests.conftest import example, run_cli

CST = dt.timezone(dt.timedelta(hours=8))


def _warnings(registry, form_id: str, **changes) -> list[tuple[str, str]]:
    record = dict(example(form_id), **changes)
    return [(i.code.id, i.path) for i in validate(registry.get(form_id), record) if i.severity.value == "warning"]


@pytest.mark.parametrize("reported_at, expected", [
    ("2021-03-09T10:20:00+08:00", []),                                # the example: 17 h 40 min after
    ("2021-03-09T16:40:00+08:00", []),                                # exactly 24 hours
    ("2021-03-09T16:41:00+08:00", [("FG330", "reported_at")]),
    ("2021-03-09T08:41:00Z", [("FG330", "reported_at")]),             # the same moment in UTC
    ("2021-03-12T09:00:00+08:00", [("FG330", "reported_at")]),
])
def test_incident_reported_more_than_24_hours_after_it_occurred(registry, reported_at, expected):
    assert _warnings(registry, "incident-report", reported_at=reported_at) == expected


def test_the_warning_names_both_fields_and_the_limit(registry):
    record = dict(example("incident-report"), reported_at="2021-03-10T09:00:00+08:00")
    issues = record_deadline_issues(registry.get("incident-report"), record)
    assert [(i.code.id, i.path, i.severity.value) for i in issues] == [("FG330", "reported_at", "warning")]
    assert issues[0].message("en").startswith(
        "Time of report (reported_at) is more than 24 hours after Time of the incident (occurred_at), but the form "
        "asks for it within 24 hours.")
    assert issues[0].message("zh_CN").startswith(
        "“报告时间”（reported_at）比“发生时间”（occurred_at）晚了 24 小时 以上")


@pytest.mark.parametrize("issued_on, expected", [
    ("2021-03-09", []),                       # a date: it may have been issued before 16:40 the next day
    ("2021-03-10", [("FG330", "issued_on")]),  # the start of that day is already more than 24 h after
])
def test_a_date_counts_only_when_certainly_late(registry, issued_on, expected):
    record = dict(example("parent-notice"), occurred_at="2021-03-08T16:40:00+08:00", issued_on=issued_on)
    found = [(i.code.id, i.path) for i in record_deadline_issues(registry.get("parent-notice"), record)]
    assert found == expected


def test_a_deadline_a_rule_already_checks_is_not_reported_twice(registry):
    # committee-determination: 10 days from investigation_started_on, the rule within-10-days says it (FG321)
    started = example("committee-determination")["investigation_started_on"]
    late = (dt.date.fromisoformat(started) + dt.timedelta(days=11)).isoformat()
    record = dict(example("committee-determination"), determined_on=late)
    spec = registry.get("committee-determination")
    assert record_deadline_issues(spec, record) == []
    assert [i.code.id for i in validate(spec, record)] == ["FG321"]  # the rule's warning, and no FG330
    # review-decision: 15 days from accepted_on, the rule within-15-days says it
    review = registry.get("review-decision")
    record = dict(example("review-decision"))
    record["decided_on"] = (dt.date.fromisoformat(record["accepted_on"]) + dt.timedelta(days=20)).isoformat()
    assert record_deadline_issues(review, record) == []


def test_unreadable_or_missing_dates_give_no_warning(registry):
    spec = registry.get("incident-report")
    record = dict(example("incident-report"), reported_at="下周一")
    assert record_deadline_issues(spec, record) == []
    assert record_deadline_issues(spec, {k: v for k, v in record.items() if k != "reported_at"}) == []
    late = dict(example("incident-report"), reported_at="2021-03-12T09:00:00+08:00")
    assert record_deadline_issues(spec, late, skip={"reported_at"}) == []


def test_formgen_validate_reports_fg330(registry, tmp_path):
    data = tmp_path / "late.json"
    data.write_text(json.dumps(dict(example("incident-report"), reported_at="2021-03-10T09:00:00+08:00")), "utf-8")
    form = tmp_path / "late.xlsx"
    written = run_cli("generate", "incident-report", "--format", "xlsx", "--data", str(data), "-o", str(form))
    assert written.exit_code == 0
    result = run_cli("validate", str(form), "--json")
    assert result.exit_code == 0  # a warning only
    issues = json.loads(result.stdout)[0]["issues"]
    assert [(i["code"], i["path"], i["severity"]) for i in issues] == [("FG330", "reported_at", "warning")]


def test_date_deadline_is_the_end_of_that_day_china_time(registry):
    end = date_deadline(registry.get("basic-stats"), {})
    assert end == dt.datetime(2021, 3, 10, 23, 59, 59, 999999, CST)
    assert date_deadline(registry.get("policy-checklist"), {}) is None
    assert date_deadline(registry.get("incident-report"), {}) is None  # relative: no date
    assert late_issue(dt.datetime(2021, 3, 10, 23, 59, 59, tzinfo=CST), end) is None
    issue = late_issue(dt.datetime(2021, 3, 10, 16, 0, 1, tzinfo=dt.timezone.utc), end)
    assert (issue.code.id, issue.severity.value) == ("FG502", "warning")
    assert issue.message("en") == "The return was received at 2021-03-11 00:00, after the deadline 2021-03-10 23:59."


def test_deadline_overrides_for_one_form_or_all(registry):
    ledger, stats = registry.get("hazard-ledger"), registry.get("basic-stats")
    overrides = dict([parse_deadline("hazard-ledger=2021-03-25"), parse_deadline("2021-04-01T12:00")])
    assert overrides[ALL_FORMS] == dt.datetime(2021, 4, 1, 12, 0, tzinfo=CST)
    assert date_deadline(ledger, overrides) == dt.datetime(2021, 3, 25, 23, 59, 59, 999999, CST)
    assert date_deadline(stats, overrides) == dt.datetime(2021, 4, 1, 12, 0, tzinfo=CST)
    assert date_deadline(registry.get("policy-checklist"), overrides) == overrides[ALL_FORMS]
    with pytest.raises(FormgenError) as err:
        parse_deadline("hazard-ledger=3月20日")
    assert "--deadline hazard-ledger=3月20日 cannot be read" in err.value.message("en")
