"""The row checks of a unit's report, at their boundaries."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from dispatch.reporting import checks
from dispatch.reporting.checks import RowContext, RowInput

TODAY = dt.date(2026, 10, 20)
D = Decimal


def context(**fields: Any) -> RowContext:
    values: dict[str, Any] = {
        "total_investment": D("10000"),
        "invested_before_period": D("2000"),
        "ytd_before": D("1200"),
        "stage": "building",
        "started": True,
        "year_amounts": (D("400"), D("800")),
        "last_percent": 40,
        "recent": ((D("800"), 40), (D("400"), 30)),
    }
    values.update(fields)
    return RowContext(**values)


def row(**fields: Any) -> RowInput:
    values: dict[str, Any] = {"invested": D("500"), "progress_percent": 45, "physical_progress": "主体施工"}
    values.update(fields)
    return RowInput(**values)


def errors(r: RowInput, c: RowContext) -> list[tuple[str, str]]:
    return [(i.column, i.text) for i in checks.row_errors(r, c, today=TODAY)]


def warnings(r: RowInput, c: RowContext) -> list[tuple[str, str]]:
    return [(i.column, i.text) for i in checks.row_warnings(r, c)]


def test_a_plain_row_has_no_issue() -> None:
    assert checks.row_issues(row(), context(), today=TODAY) == []


def test_required_fields() -> None:
    found = errors(row(invested=None, progress_percent=None, physical_progress="  "), context())
    assert [column for column, _text in found] == ["invested", "progress_percent", "physical_progress"]


@pytest.mark.parametrize(("percent", "ok"), [(0, False), (40, True), (100, True), (101, False), (-1, False)])
def test_percent_range_and_not_lower_than_last(percent: int, ok: bool) -> None:
    found = errors(row(progress_percent=percent), context(last_percent=40))
    assert (found == []) is ok, found


def test_percent_zero_and_hundred_are_in_range_without_history() -> None:
    assert errors(row(progress_percent=0, invested=D(0)), context(last_percent=None)) == []
    assert errors(row(progress_percent=100), context(last_percent=None)) == []
    assert errors(row(progress_percent=101), context(last_percent=None)) == [
        ("progress_percent", "应在 0 至 100 之间，实际为 101")
    ]


def test_percent_lower_than_last_period_quotes_both() -> None:
    assert errors(row(progress_percent=39), context(last_percent=40)) == [
        ("progress_percent", "形象进度 39% 低于上期的 40%，形象进度不能倒退")
    ]


def test_since_start_may_equal_total_but_not_exceed_it() -> None:
    # 2,000 before + 8,000 = 10,000 = total.
    assert errors(row(invested=D("8000")), context()) == []
    found = errors(row(invested=D("8000.01")), context())
    assert found == [
        ("since_start", "开工以来累计 10,000.01 万元超过总投资 10,000.00 万元（此前累计 2,000.00 + 本期 8,000.01）")
    ]


def test_negative_money_is_an_error() -> None:
    assert errors(row(invested=D("-1")), context())[0][0] == "invested"


def test_year_to_date_below_the_published_one_is_an_error() -> None:
    # An earlier month corrected downwards: 1,200 + 0 < 1,300 published for last period.
    assert errors(row(invested=D("100")), context(published_ytd=D("1300"))) == []
    assert errors(row(invested=D("99.99")), context(published_ytd=D("1300"))) == [
        ("ytd", "年度累计 1,299.99 万元低于上期已发布的 1,300.00 万元，年度累计不能减少；请核对此前各期的数据")
    ]


def test_a_project_reported_as_started_needs_a_start_date_not_in_the_future() -> None:
    not_started = context(started=False, stage="preparing", last_percent=None)
    assert errors(row(invested=D("0"), progress_percent=0), not_started) == []
    assert [c for c, _t in errors(row(), not_started)] == ["actual_start"]
    assert [c for c, _t in errors(row(invested=D(0), progress_percent=5), not_started)] == ["actual_start"]
    assert errors(row(actual_start=TODAY), not_started) == []
    assert errors(row(actual_start=TODAY + dt.timedelta(days=1)), not_started) == [
        ("actual_start", "实际开工日期 2026-10-21 晚于今天")
    ]
    # A project already started needs nothing more.
    assert errors(row(), context()) == []


def test_spike_warning_at_three_times_the_mean() -> None:
    c = context(year_amounts=(D("400"), D("0"), D("1200")))  # mean of the non-zero months: 800
    assert warnings(row(invested=D("2400")), c) == []  # 3.0×
    assert warnings(row(invested=D("2408")), c) == [
        ("invested", "本期完成 2,408.00 万元，是此前月均 800.00 万元的 3.01 倍，请核实")
    ]
    assert warnings(row(invested=D("3200")), c) == [
        ("invested", "本期完成 3,200.00 万元，是此前月均 800.00 万元的 4.0 倍，请核实")
    ]


def test_no_spike_warning_without_history() -> None:
    assert warnings(row(invested=D("99999")), context(year_amounts=())) == []
    assert warnings(row(invested=D("99999")), context(year_amounts=(D(0), D(0)))) == []


def test_zero_investment_under_construction_is_a_warning_not_an_error() -> None:
    r = row(invested=D("0"), progress_percent=40)
    assert errors(r, context()) == []
    assert ("invested", "在建项目本期完成投资为 0") in warnings(r, context())
    assert warnings(r, context(stage="preparing", started=False)) == []


def test_three_still_periods() -> None:
    r = row(invested=D("0"), progress_percent=40)
    still = context(recent=((D(0), 40), (D(0), 40)))
    assert ("progress_percent", "连续三期投资为 0 且形象进度无变化") in warnings(r, still)
    # Only two still periods, or the percent moved, or money was spent: no warning.
    for recent in [((D(0), 40),), ((D(0), 40), (D(0), 35)), ((D(0), 40), (D("1"), 40))]:
        assert not any(column == "progress_percent" for column, _t in warnings(r, context(recent=recent)))


def test_issue_labels_and_text() -> None:
    issue = checks.Issue("invested", "必须填写")
    assert issue.label == "本期完成投资(万元)"
    assert str(issue) == "「本期完成投资(万元)」必须填写"
    assert issue.is_error and checks.has_errors([issue])
    assert not checks.has_errors([checks.Issue("invested", "x", checks.WARNING)])
