"""How a project's light (红黄绿灯) is decided, and reverse scheduling (倒排工期).

Pure functions over plain data so the rules can be tested exhaustively and
shown to users verbatim; the ORM layer turns model rows into
:class:`ProjectFacts` and stores the :class:`LightResult`.

How the light is decided (the UI shows :func:`rules_in_words`, which says the
same in Chinese with the configured thresholds filled in):

1. Time-elapsed schedule (序时进度) is the share of the year's whole months
   that have passed: the months completed before the assessment date, divided
   by 12, as a percentage with one decimal. The last day of a month counts that
   month as completed. On 23 November it is 83.3% (10 months), on 31 October
   also 83.3%, on 15 January 0.0%.
2. Investment is assessed only when the project has a positive planned
   investment for this year and the schedule is above 0%. The completion rate
   is invested-this-year / annual plan, a percentage with one decimal; the gap
   is schedule minus rate. A gap below ``yellow_gap`` points (default 10) is
   green, a gap from ``yellow_gap`` up to and including ``red_gap`` (default 30)
   is yellow, a larger gap is red. Without an annual plan investment is not
   assessed.
3. Start: a project that has not started (no actual start date and stage is
   still planning or preparing) with a planned start date is yellow once the
   planned start has arrived or falls in the current calendar month, and red
   once ``start_red_months`` (default 3) whole calendar months have passed
   since the planned start.
4. Milestones: a milestone whose planned date has passed without an actual
   completion date is overdue; 1 to ``milestone_red_days`` (default 30) days
   overdue is yellow, more is red. A milestone completed late no longer lights
   anything. Milestones without a planned date are ignored.
   The planned completion (计划竣工日期) is held to the same thresholds: a
   project whose planned completion has passed while its stage is neither
   completed nor producing is overdue; 1 to ``milestone_red_days`` days
   overdue is yellow, more is red. It is the date the whole project answers
   for, so it lights even when no milestone says so (a project due in 2016
   that was never given milestones would otherwise stay green). A completed or
   producing project is never overdue, whenever it finished.
5. The project's light is the worst of all the above. Its reasons are listed
   worst first, in the order completion, milestones, start, investment within
   one colour; a green project still lists why it is green.
6. Unreviewed figures (未审核数据): the light is computed from the live
   figures, including monthly progress a unit has entered that the project
   office has not yet approved. Such figures do not change how the light is
   decided, but the light says so: a last reason, carrying the project's own
   light, names the months whose progress is still unreviewed. Progress the
   office entered itself counts as reviewed. (docs/rules.md records why.)

Reverse scheduling works back from a target date: the last step is due on the
target (or the working day before it, if the target is not a working day), and
each earlier step is due the next step's duration, in working days, earlier.
:func:`schedule_conflicts` says where milestones contradict the project's
planned dates or each other; the pages warn with it and save anyway.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import TYPE_CHECKING, Final

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from core.tracking.escalation import days_overdue  # the one count of "逾期 N 天"; re-exported here

if TYPE_CHECKING:
    from org.workdays import WorkCalendar

__all__ = [
    "COMPLETED_STAGES",
    "DEFAULT_THRESHOLDS",
    "GREEN",
    "RED",
    "SEVERITY",
    "STAGES",
    "STARTED_STAGES",
    "YELLOW",
    "LightResult",
    "LightThresholds",
    "MilestoneFact",
    "ProgressBefore",
    "ProgressProblem",
    "ProjectFacts",
    "Reason",
    "ScheduleConflict",
    "add_months",
    "compute_light",
    "days_overdue",
    "investment_rate",
    "is_start_milestone",
    "money_text",
    "progress_problems",
    "rate_percent",
    "reverse_schedule",
    "rules_in_words",
    "schedule_conflicts",
    "schedule_percent",
    "unreviewed_text",
]

GREEN: Final = "green"
YELLOW: Final = "yellow"
RED: Final = "red"
SEVERITY: Final[Mapping[str, int]] = {GREEN: 0, YELLOW: 1, RED: 2}

STAGES: Final = ("planning", "preparing", "building", "completed", "producing")
STARTED_STAGES: Final = frozenset({"building", "completed", "producing"})
COMPLETED_STAGES: Final = frozenset({"completed", "producing"})

RULE_COMPLETION_OVERDUE: Final = "completion_overdue"  # planned completion has passed
RULE_MILESTONE_OVERDUE: Final = "milestone_overdue"
RULE_MILESTONES_ON_TIME: Final = "milestones_on_time"
RULE_START_LATE: Final = "start_late"  # planned start has passed
RULE_START_DUE: Final = "start_due"  # planned start later this month
RULE_INVESTMENT_BEHIND: Final = "investment_behind"
RULE_INVESTMENT_ON_TRACK: Final = "investment_on_track"
RULE_INVESTMENT_NOT_DUE: Final = "investment_not_due"  # schedule still 0%
RULE_NO_PLAN: Final = "no_plan"
RULE_UNREVIEWED: Final = "unreviewed"  # a note on the figures, not a rule that lights anything

_ONE_DECIMAL = Decimal("0.1")
_CENT = Decimal("0.01")
_HUNDRED = Decimal(100)
_TWELVE = Decimal(12)


def _round1(value: Decimal) -> Decimal:
    # Half-up because that is how the figures are rounded in the reports people
    # compare us with; banker's rounding would turn 73.25 into 73.2.
    return value.quantize(_ONE_DECIMAL, rounding=ROUND_HALF_UP)


def money_text(value: Decimal) -> str:
    """万元 in messages and documents: two decimals half-up with thousands separators, "1,234.50"."""
    return f"{value.quantize(_CENT, rounding=ROUND_HALF_UP):,}"


def _fmt_number(value: Decimal) -> str:
    """Threshold for display: 10 and 10.5, never 1E+1 or 10.00."""
    text = format(value, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


@dataclass(frozen=True)
class LightThresholds:
    """Where yellow and red start; configurable per deployment in settings."""

    yellow_gap: Decimal = Decimal(10)
    red_gap: Decimal = Decimal(30)
    start_red_months: int = 3
    milestone_red_days: int = 30

    def __post_init__(self) -> None:
        # Catch misconfigured settings at startup rather than silently
        # producing lights nobody can explain.
        if self.yellow_gap < 0 or self.red_gap < self.yellow_gap:
            raise ValueError(
                _("投资进度亮灯阈值无效：需 0 ≤ 黄灯阈值（%(yellow)s）≤ 红灯阈值（%(red)s）")
                % {"yellow": self.yellow_gap, "red": self.red_gap}
            )
        if self.start_red_months < 0 or self.milestone_red_days < 0:
            raise ValueError(_("开工及节点亮灯阈值不能为负数"))

    @classmethod
    def from_mapping(cls, data: Mapping[str, object]) -> LightThresholds:
        """Build from a settings dict; unknown keys are ignored, values coerced.

        Keys match the field names, case-insensitively, so both
        ``{"yellow_gap": 10}`` and ``{"YELLOW_GAP": "10"}`` work.
        """
        by_name = {f.name: f for f in fields(cls)}
        kwargs: dict[str, Decimal | int] = {}
        for key, raw in data.items():
            name = key.lower()
            if name not in by_name:
                continue
            number = _to_decimal(name, raw)
            if isinstance(by_name[name].default, int):
                if number != number.to_integral_value():
                    raise ValueError(_("阈值 %(name)s 必须是整数，实际为 %(value)s") % {"name": name, "value": raw})
                kwargs[name] = int(number)
            else:
                kwargs[name] = number
        return cls(**kwargs)  # type: ignore[arg-type]


def _to_decimal(name: str, raw: object) -> Decimal:
    number: Decimal | None = None
    # bool is an int subclass, but True as a threshold is always a config mistake.
    if isinstance(raw, (int, float, str, Decimal)) and not isinstance(raw, bool):
        try:
            # Through str() so a float 10.1 becomes exactly 10.1, not its
            # binary approximation.
            number = Decimal(str(raw).strip())
        except InvalidOperation:
            number = None
    if number is None or not number.is_finite():
        raise ValueError(_("阈值 %(name)s 不是数字：%(value)r") % {"name": name, "value": raw})
    return number


DEFAULT_THRESHOLDS: Final = LightThresholds()


@dataclass(frozen=True)
class MilestoneFact:
    name: str
    planned: date | None
    actual: date | None


@dataclass(frozen=True)
class ProjectFacts:
    stage: str
    planned_start: date | None
    actual_start: date | None
    milestones: Sequence[MilestoneFact]
    annual_plan: Decimal | None  # this year's planned investment, 万元
    invested_ytd: Decimal  # invested this year through the last reported month, 万元
    # Labels of the months (e.g. "2026年11月") whose progress fed invested_ytd but the project
    # office has not approved yet; empty when every figure used was reviewed.
    unreviewed: Sequence[str] = ()
    # 计划竣工日期. A default, not a required field, so that facts built without it (published
    # snapshots' lights, dispatch.periods.services) keep working; such a light simply does not
    # assess the completion date.
    planned_completion: date | None = None
    # The year's opening balance (开账) counted in invested_ytd, in words ("2026年1—10月开账 3,000.00 万元"),
    # so the investment reason says the cumulative is not only the monthly reports; empty without one.
    opening: str = ""


@dataclass(frozen=True)
class Reason:
    rule: str
    light: str  # the light this reason alone would give
    text: str


@dataclass(frozen=True)
class LightResult:
    light: str
    reasons: tuple[Reason, ...]  # worst first, never empty


def add_months(day: date, months: int) -> date:
    """Calendar month arithmetic; the day is clamped to the target month's end.

    31 January + 1 month is 28/29 February, which is how people count "three
    months after the planned start".
    """
    index = day.year * 12 + (day.month - 1) + months
    year, month0 = divmod(index, 12)
    return date(year, month0 + 1, min(day.day, _days_in_month(year, month0 + 1)))


def _days_in_month(year: int, month: int) -> int:
    if month == 12:
        return 31
    return (date(year, month + 1, 1) - date(year, month, 1)).days


def _whole_months_between(start: date, end: date) -> int:
    """Largest m >= 0 with add_months(start, m) <= end (0 if end < start)."""
    if end < start:
        return 0
    months = (end.year - start.year) * 12 + end.month - start.month
    if add_months(start, months) > end:
        months -= 1
    return months


def _month_completed(day: date) -> bool:
    return day.day == _days_in_month(day.year, day.month)


def rate_percent(part: Decimal | int, whole: Decimal | int | None) -> Decimal | None:
    """``part`` / ``whole`` in %, one decimal, half-up; None (no rate, shown "—") when ``whole`` is zero or missing.

    The one place a rate is computed and rounded: the light, the ledger, the project page, the
    ledger's Excel export and every figure of the bulletin call it, so 73.25 reads 73.3 everywhere.
    """
    if not whole:
        return None
    return _round1(Decimal(part) / Decimal(whole) * _HUNDRED)


def schedule_percent(as_of: date) -> Decimal:
    """Time-elapsed schedule (序时进度): whole months passed this year / 12, in %."""
    months = as_of.month - 1 + (1 if _month_completed(as_of) else 0)
    rate = rate_percent(months, _TWELVE)
    assert rate is not None  # twelve is never zero
    return rate


def investment_rate(invested_ytd: Decimal, annual_plan: Decimal | None) -> Decimal | None:
    """Annual investment completion rate (年度投资完成率) in %; None without an annual plan."""
    return rate_percent(invested_ytd, annual_plan)


def _milestone_reasons(facts: ProjectFacts, as_of: date, thresholds: LightThresholds) -> list[Reason]:
    reasons: list[Reason] = []
    assessed = 0
    for milestone in facts.milestones:
        if milestone.planned is None:
            continue
        assessed += 1
        # A milestone done late is history, not a current risk: no light.
        days = days_overdue(milestone.planned, as_of)
        if milestone.actual is not None or not days:
            continue
        light = RED if days > thresholds.milestone_red_days else YELLOW
        reasons.append(
            Reason(
                RULE_MILESTONE_OVERDUE,
                light,
                ngettext("%(name)s节点逾期 %(days)d 天", "%(name)s节点逾期 %(days)d 天", days)
                % {"name": milestone.name, "days": days},
            )
        )
    if assessed and not reasons:
        reasons.append(Reason(RULE_MILESTONES_ON_TIME, GREEN, _("各节点均按期推进")))
    return reasons


def _completion_reasons(facts: ProjectFacts, as_of: date, thresholds: LightThresholds) -> list[Reason]:
    planned = facts.planned_completion
    if planned is None or facts.stage in COMPLETED_STAGES:
        return []
    days = days_overdue(planned, as_of)
    if not days:
        return []
    # The milestones' threshold: the planned completion is the project's last milestone in all
    # but name, and a district tunes "how late is red" for dates once, not per kind of date.
    light = RED if days > thresholds.milestone_red_days else YELLOW
    return [
        Reason(
            RULE_COMPLETION_OVERDUE,
            light,
            ngettext(
                "计划 %(date)s 竣工，已逾期 %(days)d 天仍未竣工",
                "计划 %(date)s 竣工，已逾期 %(days)d 天仍未竣工",
                days,
            )
            % {"date": planned.isoformat(), "days": days},
        )
    ]


def _start_reasons(facts: ProjectFacts, as_of: date, thresholds: LightThresholds) -> list[Reason]:
    planned = facts.planned_start
    if planned is None or facts.actual_start is not None or facts.stage in STARTED_STAGES:
        return []
    planned_text = planned.isoformat()
    if as_of >= add_months(planned, thresholds.start_red_months):
        months = _whole_months_between(planned, as_of)
        return [
            Reason(
                RULE_START_LATE,
                RED,
                ngettext(
                    "计划 %(date)s 开工，已逾期 %(months)d 个月未开工",
                    "计划 %(date)s 开工，已逾期 %(months)d 个月未开工",
                    months,
                )
                % {"date": planned_text, "months": months},
            )
        ]
    days = days_overdue(planned, as_of)
    if days:
        return [
            Reason(
                RULE_START_LATE,
                YELLOW,
                ngettext(
                    "计划 %(date)s 开工，逾期 %(days)d 天未开工",
                    "计划 %(date)s 开工，逾期 %(days)d 天未开工",
                    days,
                )
                % {"date": planned_text, "days": days},
            )
        ]
    if (planned.year, planned.month) == (as_of.year, as_of.month):
        # Warn ahead within the month: monthly dispatch meetings act on
        # "due this month", not on the exact day.
        return [
            Reason(
                RULE_START_DUE,
                YELLOW,
                _("计划 %(date)s 开工，本月应开工尚未开工") % {"date": planned_text},
            )
        ]
    return []


def _investment_reasons(facts: ProjectFacts, as_of: date, thresholds: LightThresholds) -> list[Reason]:
    plan = facts.annual_plan
    if plan is None or plan <= 0:
        return [Reason(RULE_NO_PLAN, GREEN, _("未安排年度计划投资，不考核投资进度"))]
    schedule = schedule_percent(as_of)
    if schedule <= 0:
        return [
            Reason(
                RULE_INVESTMENT_NOT_DUE,
                GREEN,
                _("序时进度为 %(schedule)s%%，暂不考核投资进度") % {"schedule": schedule},
            )
        ]
    rate = investment_rate(facts.invested_ytd, plan)
    assert rate is not None  # the plan is positive
    gap = schedule - rate
    values = {"rate": rate, "schedule": schedule, "gap": gap}
    suffix = _("（累计含%(opening)s）") % {"opening": facts.opening} if facts.opening else ""
    if gap < thresholds.yellow_gap:
        if gap <= 0:
            text = _("年度投资完成 %(rate)s%%，序时进度 %(schedule)s%%，未落后") % values
        else:
            text = _(
                "年度投资完成 %(rate)s%%，序时进度 %(schedule)s%%，落后 %(gap)s 个百分点，未超过 %(yellow)s 个百分点"
            ) % {**values, "yellow": _fmt_number(thresholds.yellow_gap)}
        return [Reason(RULE_INVESTMENT_ON_TRACK, GREEN, text + suffix)]
    light = RED if gap > thresholds.red_gap else YELLOW
    return [
        Reason(
            RULE_INVESTMENT_BEHIND,
            light,
            _("年度投资完成 %(rate)s%%，序时进度 %(schedule)s%%，落后 %(gap)s 个百分点") % values + suffix,
        )
    ]


def compute_light(
    facts: ProjectFacts,
    *,
    as_of: date,
    thresholds: LightThresholds = DEFAULT_THRESHOLDS,
) -> LightResult:
    reasons = (
        _completion_reasons(facts, as_of, thresholds)
        + _milestone_reasons(facts, as_of, thresholds)
        + _start_reasons(facts, as_of, thresholds)
        + _investment_reasons(facts, as_of, thresholds)
    )
    # sorted() is stable, so within one colour the rule order above survives.
    reasons.sort(key=lambda reason: -SEVERITY[reason.light])
    # The investment rule always yields a reason, so reasons is never empty.
    light = reasons[0].light
    if facts.unreviewed:
        # Last, and in the project's own colour, so that wherever the light's reasons are shown
        # (a red project's page in the bulletin included) the reader learns the light stands on
        # figures nobody has reviewed yet.
        reasons.append(Reason(RULE_UNREVIEWED, light, unreviewed_text(facts.unreviewed)))
    return LightResult(light=light, reasons=tuple(reasons))


def unreviewed_text(months: Sequence[str]) -> str:
    """The note for a light computed from progress the project office has not approved."""
    return _("含未审核数据：%(months)s进度由单位填报，项目办尚未审核") % {"months": "、".join(months)}


def rules_in_words(thresholds: LightThresholds = DEFAULT_THRESHOLDS) -> list[str]:
    """The lighting rules as Chinese sentences, thresholds filled in, for the UI."""
    values = {
        "yellow": _fmt_number(thresholds.yellow_gap),
        "red": _fmt_number(thresholds.red_gap),
        "months": thresholds.start_red_months,
        "days": thresholds.milestone_red_days,
    }
    return [
        _("序时进度 = 本年已过完的整月数 ÷ 12，以百分比表示并保留 1 位小数；当天为月末最后一天时，当月计为已过完。"),
        _(
            "投资进度：年度投资完成率 = 本年累计完成投资 ÷ 年度计划投资，保留 1 位小数。"
            "完成率落后序时进度不足 %(yellow)s 个百分点为绿灯，"
            "落后 %(yellow)s 至 %(red)s 个百分点（含）为黄灯，"
            "落后超过 %(red)s 个百分点为红灯。"
            "未安排年度计划投资或序时进度为 0 时，不考核投资进度。"
        )
        % values,
        _(
            "开工：尚未开工的项目，计划开工日期已到或在本月内的为黄灯；"
            "超过计划开工日期满 %(months)d 个月仍未开工的为红灯。"
        )
        % values,
        _(
            "节点：计划完成日期已过仍未完成的节点，逾期 1 至 %(days)d 天为黄灯，"
            "逾期超过 %(days)d 天为红灯；已完成的节点（即使晚于计划）不再亮灯，"
            "未填计划日期的节点不考核。"
        )
        % values,
        _(
            "竣工：计划竣工日期已过、项目阶段仍未到竣工或投产的，逾期 1 至 %(days)d 天为黄灯，"
            "逾期超过 %(days)d 天为红灯。"
        )
        % values,
        _("项目灯色取以上各项中最严重的一项：红灯重于黄灯，黄灯重于绿灯。"),
        _(
            "灯色按当前数据计算，包括单位已填报、项目办尚未审核的月度进度；"
            "用到未审核数据时，灯色说明中注明“含未审核数据”及所涉月份。"
            "项目办自行录入的进度视为已审核。"
        ),
    ]


def reverse_schedule(steps: Sequence[tuple[str, int]], target: date, calendar: WorkCalendar) -> list[tuple[str, date]]:
    """Plan dates backwards from ``target`` (倒排工期).

    Each step's duration is the working days it needs after the previous
    step's date, so the first step's duration only documents the step. The
    last step lands on the target, rolled back to a working day because a
    deadline on a holiday must be met before the holiday.
    """
    if not steps:
        raise ValueError(_("倒排工期至少需要一个步骤"))
    for name, duration in steps:
        if duration < 0:
            raise ValueError(
                _("步骤“%(name)s”的工期不能为负数（%(days)d 个工作日）") % {"name": name, "days": duration}
            )
    dates: list[date] = [calendar.previous_or_same_workday(target)]
    for index in range(len(steps) - 1, 0, -1):
        next_duration = steps[index][1]
        dates.append(calendar.add_workdays(dates[-1], -next_duration))
    dates.reverse()
    return [(name, day) for (name, _duration), day in zip(steps, dates, strict=True)]


CONFLICT_START: Final = "start_after_planned_start"
CONFLICT_COMPLETION: Final = "after_planned_completion"
CONFLICT_ORDER: Final = "out_of_order"


@dataclass(frozen=True)
class ScheduleConflict:
    rule: str  # CONFLICT_START, CONFLICT_COMPLETION or CONFLICT_ORDER
    position: int  # the milestone's place in the list, from 1: the row the page shows it in
    text: str


def is_start_milestone(name: str) -> bool:
    """Whether a milestone stands for the start of construction (开工, 项目开工, 开工建设).

    By name, because a template step or a milestone has no kind; the demo district finds its
    开工 step the same way (``"开工" in name``).
    """
    return "开工" in name


def schedule_conflicts(
    milestones: Sequence[MilestoneFact], *, planned_start: date | None, planned_completion: date | None
) -> list[ScheduleConflict]:
    """Where the milestones' planned dates contradict the project's planned dates or each other.

    ``milestones`` in the order the project lists them. Three contradictions, each worded with the
    milestone's place in the list:

    - a 开工 milestone (:func:`is_start_milestone`) planned after the project's planned start;
    - any milestone planned after the project's planned completion;
    - a milestone planned before the milestone listed before it (the nearest earlier one with a
      planned date), so the order and the dates disagree. Two milestones on one day are in order.

    Only warnings: the planned dates may be the ones that are out of date, and a user may know
    better, so the pages show these and save anyway. Milestones without a planned date are skipped.
    """
    conflicts: list[ScheduleConflict] = []
    previous: tuple[str, date] | None = None
    for position, milestone in enumerate(milestones, start=1):
        planned = milestone.planned
        if planned is None:
            continue
        values = {"position": position, "name": milestone.name, "date": planned.isoformat()}
        if planned_start is not None and planned > planned_start and is_start_milestone(milestone.name):
            conflicts.append(
                ScheduleConflict(
                    CONFLICT_START,
                    position,
                    _("第 %(position)d 个节点“%(name)s”计划 %(date)s，晚于项目计划开工日期 %(start)s")
                    % {**values, "start": planned_start.isoformat()},
                )
            )
        if planned_completion is not None and planned > planned_completion:
            conflicts.append(
                ScheduleConflict(
                    CONFLICT_COMPLETION,
                    position,
                    _("第 %(position)d 个节点“%(name)s”计划 %(date)s，晚于项目计划竣工日期 %(end)s")
                    % {**values, "end": planned_completion.isoformat()},
                )
            )
        if previous is not None and planned < previous[1]:
            conflicts.append(
                ScheduleConflict(
                    CONFLICT_ORDER,
                    position,
                    _(
                        "第 %(position)d 个节点“%(name)s”计划 %(date)s，"
                        "早于排在它前面的“%(previous)s”（%(previous_date)s），节点顺序与计划日期不一致"
                    )
                    % {**values, "previous": previous[0], "previous_date": previous[1].isoformat()},
                )
            )
        previous = (milestone.name, planned)
    return conflicts


# --- monthly progress -----------------------------------------------------------------------
# One validation of a month's (or half-month's) figures, used by the project page's form, the
# unit's report grid and Excel sheet (dispatch.reporting.checks) and corrections to published periods, so
# that none of them accepts what another refuses. The messages quote the numbers and carry no
# field label: each screen shows them next to its own field or column.

PROGRESS_INVESTED: Final = "invested"
PROGRESS_PERCENT: Final = "progress_percent"
PROGRESS_SINCE_START: Final = "since_start"


@dataclass(frozen=True)
class ProgressBefore:
    """What the database says about a project before the period being reported."""

    total_investment: Decimal
    # Invested since the start up to the end of the previous period (including invested_before).
    invested_before_period: Decimal
    # The percent of the last report before this period, of any year; None without one.
    last_percent: int | None


@dataclass(frozen=True)
class ProgressProblem:
    field: str  # PROGRESS_INVESTED, PROGRESS_PERCENT or PROGRESS_SINCE_START
    text: str


def progress_problems(
    *, invested: Decimal | None, percent: int | None, before: ProgressBefore
) -> list[ProgressProblem]:
    """Why a period's figures cannot be saved, in words; empty when they can.

    Investment is required (0 when there was none) and not negative; the percent is required,
    within 0–100, and never lower than the last period's (progress cannot go backwards); the
    cumulative investment since the start may not exceed the total investment.
    """
    problems: list[ProgressProblem] = []
    if invested is None:
        problems.append(ProgressProblem(PROGRESS_INVESTED, _("必须填写（没有投资填 0）")))
    elif invested < 0:
        problems.append(
            ProgressProblem(PROGRESS_INVESTED, _("不能为负数，实际为 %(value)s") % {"value": money_text(invested)})
        )
    if percent is None:
        problems.append(ProgressProblem(PROGRESS_PERCENT, _("必须填写 0 至 100 的整数")))
    elif not 0 <= percent <= 100:
        problems.append(
            ProgressProblem(PROGRESS_PERCENT, _("应在 0 至 100 之间，实际为 %(value)d") % {"value": percent})
        )
    elif before.last_percent is not None and percent < before.last_percent:
        problems.append(
            ProgressProblem(
                PROGRESS_PERCENT,
                _("形象进度 %(value)d%% 低于上期的 %(last)d%%，形象进度不能倒退")
                % {"value": percent, "last": before.last_percent},
            )
        )
    if invested is not None and invested >= 0:
        total = before.invested_before_period + invested
        if total > before.total_investment:
            problems.append(
                ProgressProblem(
                    PROGRESS_SINCE_START,
                    _("开工以来累计 %(total)s 万元超过总投资 %(limit)s 万元（此前累计 %(before)s + 本期 %(month)s）")
                    % {
                        "total": money_text(total), "limit": money_text(before.total_investment),
                        "before": money_text(before.invested_before_period), "month": money_text(invested),
                    },
                )
            )
    return problems
