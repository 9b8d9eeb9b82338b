"""Checks of one project's row in a unit's report, before it is saved and before the report is submitted.

Pure: the reporting services turn the database into ``RowContext`` and the form or the Excel
cell into ``RowInput``; these functions say what is wrong (errors, which block saving and
submitting) and what the reviewer should look at (warnings), quoting the numbers.

Errors:
  - shared with the project page's form and corrections (projects.rules.progress_problems, so
    every way of entering progress refuses the same things in the same words): 本期完成投资
    and 形象进度(%) are required, money is not negative, 形象进度(%) is within 0–100 and not
    lower than the last reported percent, 开工以来累计 does not exceed the total investment;
  - 形象进度描述 is required;
  - 年度累计 is not lower than the year-to-date published for the previous period (an
    earlier month corrected downwards would otherwise make the year's total go back);
  - a project not yet started that reports investment or progress needs its start date,
    not in the future.
Warnings:
  - the month is more than three times the mean of the project's non-zero earlier months of
    the year (no history, no warning);
  - a project under construction reports no investment;
  - no investment and no change of the percent for three periods in a row.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop as N_

from projects import rules

ERROR, WARNING = "error", "warning"
BUILDING = "building"
SPIKE_FACTOR = Decimal(3)
STILL_PERIODS = 3  # this period and the two before it

# Column keys; the labels are the grid's and the Excel sheet's headers (the same in every
# UI language, since files travel between offices).
CODE, INVESTED, YTD, SINCE_START = "code", "invested", "ytd", "since_start"
PERCENT, PHYSICAL, PROBLEMS, ACTUAL_START = "progress_percent", "physical_progress", "problems", "actual_start"
LABELS: dict[str, str] = {
    CODE: N_("项目编号"),
    INVESTED: N_("本期完成投资(万元)"),
    YTD: N_("年度累计(万元)"),
    SINCE_START: N_("开工以来累计(万元)"),
    PERCENT: N_("形象进度(%)"),
    PHYSICAL: N_("形象进度描述"),
    PROBLEMS: N_("存在问题"),
    ACTUAL_START: N_("实际开工日期"),
}


@dataclass(frozen=True)
class Issue:
    column: str
    text: str
    severity: str = ERROR

    @property
    def label(self) -> str:
        return LABELS.get(self.column, self.column)

    @property
    def is_error(self) -> bool:
        return self.severity == ERROR

    def __str__(self) -> str:
        return f"「{self.label}」{self.text}" if self.column else self.text


@dataclass(frozen=True)
class RowInput:
    """What the reporter typed, parsed; None is a blank cell."""

    invested: Decimal | None
    progress_percent: int | None
    physical_progress: str = ""
    problems: str = ""
    actual_start: dt.date | None = None


@dataclass(frozen=True)
class RowContext:
    """What the database says about the project before this period."""

    total_investment: Decimal
    # Invested since the start up to the end of the previous period (including invested_before).
    invested_before_period: Decimal
    # Year-to-date at the end of the previous period (上期末年度累计).
    ytd_before: Decimal
    stage: str
    started: bool
    # Amounts of the earlier periods of this year, in order.
    year_amounts: Sequence[Decimal] = field(default_factory=tuple)
    # The percent of the last report before this period, of any year.
    last_percent: int | None = None
    # (invested, percent) of the reports right before this period, newest first.
    recent: Sequence[tuple[Decimal, int]] = field(default_factory=tuple)
    # Year-to-date published for the previous period of the same year, if it was published.
    published_ytd: Decimal | None = None
    actual_start: dt.date | None = None


# The bulletin's and the messages' way of writing 万元 ("1,234.50").
money = rules.money_text


def ytd(row: RowInput, context: RowContext) -> Decimal:
    return context.ytd_before + (row.invested or Decimal(0))


def since_start(row: RowInput, context: RowContext) -> Decimal:
    return context.invested_before_period + (row.invested or Decimal(0))


def needs_start_date(row: RowInput, context: RowContext) -> bool:
    """A project not yet started that reports investment or progress has started: when?"""
    return not context.started and ((row.invested or 0) > 0 or (row.progress_percent or 0) > 0)


def shared_before(context: RowContext) -> rules.ProgressBefore:
    return rules.ProgressBefore(
        total_investment=context.total_investment,
        invested_before_period=context.invested_before_period,
        last_percent=context.last_percent,
    )


def row_errors(row: RowInput, context: RowContext, *, today: dt.date) -> list[Issue]:
    # The rules every way of entering progress shares (the project page's form and corrections
    # too) come from projects.rules; the grid adds its own around them.
    shared = [
        Issue(problem.field, problem.text)
        for problem in rules.progress_problems(
            invested=row.invested, percent=row.progress_percent, before=shared_before(context)
        )
    ]
    issues = [issue for issue in shared if issue.column != SINCE_START]
    if not row.physical_progress.strip():
        issues.append(Issue(PHYSICAL, _("必须填写本期形象进度")))
    issues += [issue for issue in shared if issue.column == SINCE_START]
    if row.invested is not None and row.invested >= 0:
        year_total = ytd(row, context)
        if context.published_ytd is not None and year_total < context.published_ytd:
            issues.append(
                Issue(
                    YTD,
                    _("年度累计 %(total)s 万元低于上期已发布的 %(published)s 万元，年度累计不能减少；"
                      "请核对此前各期的数据")
                    % {"total": money(year_total), "published": money(context.published_ytd)},
                )
            )
    if needs_start_date(row, context):
        if row.actual_start is None:
            issues.append(Issue(ACTUAL_START, _("项目尚未开工，本期填报了投资或形象进度，须填写实际开工日期")))
        elif row.actual_start > today:
            issues.append(
                Issue(
                    ACTUAL_START,
                    _("实际开工日期 %(day)s 晚于今天") % {"day": row.actual_start.isoformat()},
                )
            )
    return issues


def row_warnings(row: RowInput, context: RowContext) -> list[Issue]:
    issues: list[Issue] = []
    if row.invested is None or row.invested < 0:
        return issues
    earlier = [amount for amount in context.year_amounts if amount > 0]
    # Compared as sums, exactly: invested > 3 × mean  ⇔  invested × n > 3 × sum.
    if earlier and row.invested * len(earlier) > SPIKE_FACTOR * sum(earlier, Decimal(0)):
        mean = sum(earlier, Decimal(0)) / len(earlier)
        ratio = row.invested / mean
        shown = ratio.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
        if shown <= SPIKE_FACTOR:  # 3.01 would read "3.0 倍": show why it is above three
            shown = ratio.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
        issues.append(
            Issue(
                INVESTED,
                _("本期完成 %(month)s 万元，是此前月均 %(mean)s 万元的 %(ratio)s 倍，请核实")
                % {"month": money(row.invested), "mean": money(mean), "ratio": shown},
                WARNING,
            )
        )
    if row.invested == 0 and context.stage == BUILDING:
        issues.append(Issue(INVESTED, _("在建项目本期完成投资为 0"), WARNING))
    recent = list(context.recent)[: STILL_PERIODS - 1]
    if (
        row.invested == 0
        and row.progress_percent is not None
        and len(recent) == STILL_PERIODS - 1
        and all(amount == 0 and percent == row.progress_percent for amount, percent in recent)
    ):
        issues.append(Issue(PERCENT, _("连续三期投资为 0 且形象进度无变化"), WARNING))
    return issues


def row_issues(row: RowInput, context: RowContext, *, today: dt.date) -> list[Issue]:
    """Errors first, then warnings."""
    return row_errors(row, context, today=today) + row_warnings(row, context)


def missing_row() -> Issue:
    return Issue(INVESTED, _("本期尚未填报"))


def has_errors(issues: Sequence[Issue]) -> bool:
    return any(issue.is_error for issue in issues)
