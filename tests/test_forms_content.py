"""The special action's forms carry the seed's content, and their examples keep the cross-field rules they will get."""

from __future__ import annotations

from itertools import groupby

from tests.conftest import example


def test_policy_checklist_prints_the_50_measures_in_their_3_groups(registry):
    group = registry.get("policy-checklist").lookup("measures")
    rows = group.fixed_rows
    assert [r["no"] for r in rows] == list(range(1, 51))
    assert [(g, len(list(rs))) for g, rs in groupby(rows, key=lambda r: r["group"])] == [
        ("有效预防", 29), ("妥善处置", 17), ("健全机制", 4)]
    assert all(r["content"] and r["measure"] and r["edu_units"] for r in rows)
    assert rows[29]["measure"].endswith("原则上学校应在启动调查处理程序10日内完成调查，根据有关规定处置。")
    assert rows[44]["content"] == "申诉处理" and "复查工作应在15日内完成" in rows[44]["measure"]
    printed = [c.name for c in group.shown_columns if group.printed_only(c)]
    assert printed == ["group_no", "group", "content", "measure", "edu_units", "dept_offices", "provincial_depts"]
    assert [r["group_no"] for r in rows] == [1] * 29 + [2] * 17 + [3] * 4  # the seed's 序号 is the group's
    assert all(r["measure"].startswith(f"{r['no']}. ") for r in rows)  # the measure keeps its number, as the seed
    assert [c.name for c in group.shown_columns if c.ann.get("span")] == [
        "group_no", "group", "content", "edu_units", "dept_offices", "provincial_depts"]


def test_task_list_prints_the_3_stages_with_their_deadlines(registry):
    rows = registry.get("task-list").lookup("tasks").fixed_rows
    stages = [(stage, [r["no"] for r in rs], {r["deadline"] for r in rs}, {r["report_by"] for r in rs})
              for stage, rs in ((s, list(g)) for s, g in groupby(rows, key=lambda r: r["stage"]))]
    assert stages == [
        ("部署摸底", [1, 2, 3], {"2021-03-15"}, {"3月20日报送排查台账和整改措施"}),
        ("集中整治", [4, 5, 6, 7, 8], {"2021-06-15"}, {"6月20日前报送情况"}),
        ("督导检查", [9, 10], {"2021-07-10"}, {"7月15日前报送专项治理行动总体情况"}),
    ]
    assert [r["stage_no"] for r in rows] == [1, 1, 1, 2, 2, 2, 2, 2, 3, 3]
    assert all(r["task"].startswith(f"{r['no']}. ") for r in rows)


def test_basic_stats_example_totals_are_the_sums_and_counts_are_consistent():
    record = example("basic-stats")
    rows = record["divisions"]
    assert record["totals"] == {key: sum(r[key] for r in rows) for key in record["totals"]}
    for r in rows:
        assert r["schools_checked"] <= r["schools"] and r["committees"] <= r["schools"]
        assert r["hazards_fixed"] <= r["hazards_found"]
        assert r["incidents_handled"] <= r["incidents_found"] and r["incidents_police"] <= r["incidents_found"]
        assert r["division_code"].startswith("21")


def test_dated_examples_keep_done_rows_dated_and_before_the_report():
    tasks = example("task-list")
    hazards = example("hazard-ledger")
    for record, rows in ((tasks, tasks["tasks"]), (hazards, hazards["hazards"])):
        for row in rows:
            assert ("completed_on" in row) == (row["status"] == "done")
            assert row.get("completed_on", "") <= record["filled_on"]
