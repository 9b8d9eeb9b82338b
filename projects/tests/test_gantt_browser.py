"""The project page's timeline in Chromium: as wide as the project's milestones, never decades of columns.

frappe-gantt's defaults pad the bars by 30 columns on each side and shade every weekend day of that
range; a six-year project drew 1990–2059, an 8,160 px SVG of some 7,300 elements, and the page took
seconds (docs/benchmarks.md). static/js/project.js limits the range to the milestones' span plus one
column on each side, in months up to two years, in quarters up to ten, in years beyond. What is checked
here is the drawing's size against the span, never a time; diaodu/tests/test_phone_browser.py checks the
demo project with the most milestones the same way.
"""
from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from playwright.sync_api import expect

from org.models import User
from projects.models import Milestone, Project
from projects.tests.browser import Tab
from projects.tests.browser import browser as browser
from projects.tests.browser import tab as tab

pytestmark = pytest.mark.browser

# What the page drew: the view mode, the columns (one header label each), the column width the
# library was given, the SVG's width and number of elements, and each bar's x and width.
GANTT_JS = """
() => {
  const gantt = document.getElementById("gantt");
  const container = gantt.querySelector(".gantt-container");
  const svg = container.querySelector("svg");
  return {
    mode: gantt.dataset.viewMode,
    columns: Array.from(container.querySelectorAll(".lower-text")).map((el) => el.textContent),
    years: Array.from(container.querySelectorAll(".upper-text")).map((el) => el.textContent),
    column: parseFloat(container.style.getPropertyValue("--gv-column-width")),
    width: parseFloat(svg.getAttribute("width")),
    elements: svg.querySelectorAll("*").length,
    bars: Array.from(svg.querySelectorAll(".bar-wrapper .bar")).map((bar) => ({
      x: parseFloat(bar.getAttribute("x")), width: parseFloat(bar.getAttribute("width")),
    })),
  };
}
"""


def _month(day: dt.date) -> int:
    return day.year * 12 + day.month - 1


def expected_columns(dates: list[dt.date]) -> tuple[str, int]:
    """The view mode and the number of columns for milestones on ``dates``, as static/js/project.js draws them.

    The bars run from the first date to the day after the last; the columns cover the months (quarters,
    years) they touch, plus one column before and one after.
    """
    first, last = min(dates), max(dates) + dt.timedelta(days=1)
    months = _month(last) - _month(first) + 1
    if months <= 24:
        return "Month", months + 2
    if months <= 120:
        return "Quarter", _month(last) // 3 - _month(first) // 3 + 1 + 2
    return "Year", last.year - first.year + 1 + 2


def assert_bounded_by_the_span(drawn: dict[str, Any], dates: list[dt.date]) -> None:
    mode, columns = expected_columns(dates)
    column = drawn["column"]
    assert drawn["mode"] == mode, drawn["mode"]
    assert len(drawn["columns"]) == columns, drawn["columns"]
    assert drawn["width"] == columns * column
    # Every bar lies between the first padding column and the last one.
    assert drawn["bars"], "no bars drawn"
    start = min(bar["x"] for bar in drawn["bars"])
    end = max(bar["x"] + bar["width"] for bar in drawn["bars"])
    assert column <= start < 2 * column, (start, column)
    assert drawn["width"] - 2 * column < end <= drawn["width"] - column + 1, (end, drawn["width"], column)
    # A handful of elements per bar and per column: no weekend shading, no decades of empty grid.
    assert drawn["elements"] <= 10 * len(drawn["bars"]) + 3 * columns + 50, drawn["elements"]


def _project_with(make_project: Any, planned: list[dt.date], actual: list[dt.date | None]) -> Project:
    project = make_project(name="东城智能制造产业园", planned_start=planned[0], actual_start=actual[0])
    for order, (plan, done) in enumerate(zip(planned, actual, strict=True), 1):
        Milestone.objects.create(project=project, order=order, name=f"节点{order}", planned_date=plan, actual_date=done)
    return project


SPANS = {
    # 14 months: month columns, from the month before the first milestone to the month after the last.
    "month": (
        [dt.date(2025, 3, 10), dt.date(2025, 9, 12), dt.date(2026, 4, 20)],
        [dt.date(2025, 3, 14), dt.date(2025, 10, 8), None],
    ),
    # Six and a half years, like the demo's longest project: quarter columns.
    "quarter": (
        [dt.date(2022, 9, 21), dt.date(2024, 5, 29), dt.date(2027, 4, 29), dt.date(2029, 4, 4)],
        [dt.date(2022, 9, 19), dt.date(2024, 6, 3), None, None],
    ),
    # Twenty years (the library draws no single bar longer than ten): a column a year.
    "year": (
        [dt.date(2026, 2, 10), dt.date(2033, 6, 14), dt.date(2040, 1, 9), dt.date(2046, 8, 14)],
        [dt.date(2026, 2, 12), None, None, None],
    ),
}


@pytest.mark.parametrize("span", list(SPANS))
def test_the_timeline_covers_the_milestones_and_one_column_either_side(
    tab: Tab, personas: dict[str, User], make_project: Any, span: str
) -> None:
    planned, actual = SPANS[span]
    project = _project_with(make_project, planned, actual)
    tab.login(personas["office"])
    tab.goto(f"/projects/{project.pk}/")
    expect(tab.page.locator("#gantt svg .bar-wrapper")).to_have_count(len(planned) + sum(1 for d in actual if d))
    drawn = tab.page.evaluate(GANTT_JS)
    assert_bounded_by_the_span(drawn, [d for d in planned + actual if d])
    if span == "quarter":
        # 2022-09 is in the third quarter; the padding column before it is the second.
        assert drawn["columns"][:3] == ["二季度", "三季度", "四季度"]
        assert drawn["years"][:2] == ["2022年", "2023年"]
    if span == "month":
        assert drawn["columns"][0] == "二月" and drawn["columns"][-1] == "五月"
    tab.assert_no_js_errors()
