"""The figures of a bulletin (调度通报), computed only from a published period's snapshots.

Nothing here reads the live ledger: every number comes from the period's ProjectSnapshot rows
and its PeriodSnapshot, so the bulletin of March reads the same in December, whatever was
corrected since. The Word document, the Excel annex, the web page and the meeting view all
render the one :class:`BulletinFigures` tree built here, so they cannot disagree.

Definitions (printed in the bulletin, see :func:`definitions`):

- Every figure is as of one date, ``as_of`` (stored in the PeriodSnapshot): the day the
  snapshot was taken, or the period's last day if that comes first, never a later day. Old
  snapshots without it fall back to the period's last day (dispatch.periods.snapshots reads them).
  "截至" in every output is that date.
- 开工率 (start rate) = 已开工项目数 ÷ 应开工项目数. A project should have started (应开工)
  when its planned start is on or before ``as_of``, or when it has started anyway; it has
  started (已开工) when the snapshot says so (actual start by ``as_of``, or a stage of
  在建/竣工/投产). A planned start on that day counts; the day after does not.
- 投产率 (production rate) = 已投产项目数 ÷ 应投产项目数. A project should be producing
  (应投产) when its planned completion is on or before ``as_of``, or when it is
  producing anyway; it is producing (已投产) when its stage is 投产.
- 年度投资完成率 = 本年累计完成投资 ÷ 年度计划投资, both summed over the projects counted.
  Compared with the time-elapsed schedule (序时进度, projects.rules.schedule_percent of
  ``as_of``).
- Reporting (报送情况): a unit reported on time (按时报送) when it submitted on or before the
  deadline; late (迟报) when it submitted after it; not reported (未报送) when its report was
  still a draft or returned at publication. "均按时报送" is said only when every unit reported
  on time. A period published before its deadline or with units not approved carries the
  office's reason (Period.publish_reason), printed with the figures.
- Rates are percentages rounded half-up to one decimal; a rate whose denominator is zero is
  not computed ("—") and its unit takes no rank.
- Rankings order units by the rounded rate, highest first; equal rates share a rank and the
  next rank skips (1, 2, 2, 4). A town's projects are those located in it (属地镇街); a
  department's are those it leads (牵头单位).
- Money is 万元 in tables and 亿元 (万元 ÷ 10000, two decimals) in the text.
"""
from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from bisect import bisect_right
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from core.models import Period
from dispatch.bulletins.docx_style import office_name
from dispatch.models import PeriodSnapshot, ProjectSnapshot
from dispatch.periods.snapshots import Letterhead, PeriodFigures, ProjectFigures, SnapshotProblem, letterhead
from projects import rules as light_rules
from projects.models import Level, ProjectType, Stage
from projects.templatetags.diaodu_format import format_money, format_rate

ZERO = Decimal("0.00")
TEN_THOUSAND = Decimal(10000)
CENT = Decimal("0.01")


# --- small number helpers -------------------------------------------------------------------

def money(value: Decimal | None) -> Decimal:
    """A snapshot's amount (万元) to two decimals; missing (no plan) is zero."""
    if value is None:
        return ZERO
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def yi(wan: Decimal) -> Decimal:
    """万元 → 亿元, two decimals, half-up, as the bulletin text writes it."""
    return (wan / TEN_THOUSAND).quantize(CENT, rounding=ROUND_HALF_UP)


# Rates are computed and rounded by the ledger's one rule, and written by the one formatter the
# pages use, so the bulletin cannot round 73.25 differently from the ledger.
percent = light_rules.rate_percent
fmt_money = format_money
fmt_rate = format_rate


# --- the figures tree -----------------------------------------------------------------------

@dataclass(frozen=True)
class Rate:
    """A count rate with what it was computed from and the sentence that says so."""

    numerator: int
    denominator: int
    rate: Decimal | None
    explain: str


@dataclass(frozen=True)
class CountRow:
    code: str
    label: str
    count: int


@dataclass(frozen=True)
class StageLevelRow:
    """One level's projects by stage (the last row is all levels)."""

    label: str
    by_stage: tuple[int, ...]
    total: int


@dataclass(frozen=True)
class InvestmentRow:
    label: str
    projects: int
    plan: Decimal  # 万元
    done: Decimal  # 万元
    rate: Decimal | None
    gap: Decimal | None  # schedule minus rate, in points; positive is behind
    explain: str

    @property
    def plan_yi(self) -> Decimal:
        return yi(self.plan)

    @property
    def done_yi(self) -> Decimal:
        return yi(self.done)

    @property
    def ahead(self) -> Decimal | None:
        """Points ahead of the schedule, when ahead."""
        return -self.gap if self.gap is not None and self.gap < 0 else None


@dataclass(frozen=True)
class InvestmentRank:
    rank: int | None
    unit: str
    projects: int
    plan: Decimal
    done: Decimal
    rate: Decimal | None
    explain: str


@dataclass(frozen=True)
class StartRank:
    rank: int | None
    unit: str
    projects: int
    started: int
    due: int
    rate: Decimal | None
    explain: str


@dataclass(frozen=True)
class Ranking:
    """Towns or departments, ranked two ways."""

    title: str
    by_investment: tuple[InvestmentRank, ...]
    by_start: tuple[StartRank, ...]


@dataclass(frozen=True)
class MilestoneBehind:
    name: str
    planned: dt.date
    days: int


@dataclass(frozen=True)
class LightProject:
    project_id: int | None
    code: str
    name: str
    light: str
    level: str
    level_label: str
    stage_label: str
    lead_unit: str
    town: str
    leader: str
    plan: Decimal
    done: Decimal
    rate: Decimal | None
    reasons: tuple[str, ...]  # the non-green reasons, worst first
    milestones_behind: tuple[MilestoneBehind, ...]
    physical_progress: str
    problems: str


@dataclass(frozen=True)
class ProjectLine:
    project_id: int | None
    code: str
    name: str
    level_label: str
    lead_unit: str
    town: str
    leader: str
    date: dt.date | None  # actual start, for a newly started project
    total_investment: Decimal


@dataclass(frozen=True)
class ProblemLine:
    id: int
    project: str
    description: str
    unit: str
    leader: str
    deadline: dt.date
    state_label: str
    overdue_days: int
    escalation: str
    escalation_text: str
    closed: bool
    closed_on: dt.date | None


@dataclass(frozen=True)
class UnitLine:
    unit: str
    kind: str
    state_label: str
    submitted_at: dt.datetime | None

    def in_words(self) -> str:
        """The unit with what it did: "X（12月27日 10:00报送）" or "X（草稿）"."""
        if self.submitted_at is None:
            return f"{self.unit}（{self.state_label}）"
        local = timezone.localtime(self.submitted_at) if timezone.is_aware(self.submitted_at) else self.submitted_at
        when = _("%(m)d月%(d)d日 %(time)s报送") % {"m": local.month, "d": local.day, "time": local.strftime("%H:%M")}
        return f"{self.unit}（{when}）"


@dataclass(frozen=True)
class Header:
    district: str
    office: str
    number: str  # 文号, e.g. 示调度〔2026〕3号
    title: str
    period_label: str
    first_day: dt.date
    last_day: dt.date
    published_on: dt.date
    # The date every figure is "截至": the snapshot's day or the period's last day, whichever is first.
    as_of: dt.date


@dataclass(frozen=True)
class BulletinFigures:
    header: Header
    projects: int
    by_level: tuple[CountRow, ...]
    by_stage: tuple[CountRow, ...]
    by_type: tuple[CountRow, ...]
    stage_labels: tuple[str, ...]
    stage_level: tuple[StageLevelRow, ...]
    start_rate: Rate
    production_rate: Rate
    schedule: Decimal  # 序时进度, %
    investment: InvestmentRow
    investment_by_level: tuple[InvestmentRow, ...]
    towns: Ranking
    departments: Ranking
    red: tuple[LightProject, ...]
    yellow: tuple[LightProject, ...]
    started: tuple[ProjectLine, ...]
    completed: tuple[ProjectLine, ...]
    problems_open: tuple[ProblemLine, ...]
    problems_closed: tuple[ProblemLine, ...]
    units: int
    late_units: tuple[UnitLine, ...]  # submitted after the deadline (迟报)
    unreported_units: tuple[UnitLine, ...] = ()  # not submitted at publication (未报送)
    unreviewed_projects: int = 0  # projects whose figures include progress the office had not approved
    # The reporting section's sentences and the publication decision, in words, as every output prints them.
    reporting: tuple[str, ...] = ()
    publication_note: str = ""
    definitions: tuple[str, ...] = field(default=())

    @property
    def light_projects(self) -> tuple[LightProject, ...]:
        return self.red + self.yellow

    @property
    def rankings(self) -> tuple[Ranking, Ranking]:
        return (self.towns, self.departments)


# --- building it ----------------------------------------------------------------------------

class NotPublished(Exception):
    """Only a published period has frozen figures to report."""


def document_number(period: Period, head: Letterhead | None = None) -> str:
    """文号: the district's first character, 调度, the year in 〔〕 and the period's sequence number.

    The number is the month (a half-month district numbers its halves 1–24), so it follows
    from the period alone and never changes when another period is published later.
    The prefix is the one stored with the period at publication (the district's settings then), so
    renaming the district later does not renumber March's bulletin.
    """
    prefix = (head or letterhead(period)).document_prefix
    number = period.month if not period.half else (period.month - 1) * 2 + period.half
    return f"{prefix}〔{period.year}〕{number}号"


def _day(day: dt.date) -> str:
    return _("%(y)d年%(m)d月%(d)d日") % {"y": day.year, "m": day.month, "d": day.day}


def definitions(schedule: Decimal, as_of: dt.date) -> tuple[str, ...]:
    """The definitions in words, with the snapshot's own date, as printed in every output."""
    day = _day(as_of)
    return (
        _("开工率 = 已开工项目数 ÷ 应开工项目数。"
          "应开工项目：计划开工日期在%(day)s（含）以前的项目，以及已提前开工的项目；"
          "已开工项目：截至%(day)s已有实际开工日期或处于在建、竣工、投产阶段的项目。") % {"day": day},
        _("投产率 = 已投产项目数 ÷ 应投产项目数。"
          "应投产项目：计划竣工日期在%(day)s（含）以前的项目，以及已提前投产的项目；"
          "已投产项目：处于投产阶段的项目。") % {"day": day},
        _("年度投资完成率 = 本年累计完成投资 ÷ 年度计划投资（所列项目合计）；"
          "序时进度 = 截至%(day)s本年已过完整月数 ÷ 12 = %(s)s%%。") % {"s": schedule, "day": day},
        _("比率按四舍五入保留一位小数；分母为零的不计算比率，不参与排名。"),
        _("排名按比率从高到低，比率相同的名次并列，其后名次顺延（如 1、2、2、4）。"
          "镇街按属地统计项目，部门按牵头单位统计项目。"),
        _("金额单位：表格为万元，正文为亿元（万元 ÷ 10000，保留两位小数）。"),
        _("所有数字取自本期发布时的快照，截至%(day)s（发布当日与本期最后一天中较早的一天），"
          "发布后的更正不改变本通报。") % {"day": day},
        _("报送情况：截止日期（含）前报送的为按时报送；截止日期后报送的为迟报；"
          "发布时月报仍为草稿或已退回的为未报送。"),
        _("灯色按发布时的数据计算，包括单位已填报、项目办尚未审核的月度进度（未审核数据），"
          "用到未审核数据的项目在灯色说明中注明。"),
    )


def _reporting_sentences(
    units: int, late: Sequence[UnitLine], unreported: Sequence[UnitLine], unreviewed_projects: int
) -> tuple[str, ...]:
    """The reporting section in words; "均按时报送" only when every unit reported on time."""
    if not late and not unreported:
        sentences = [_("本期应报送单位 %(n)d 个，均按时报送。") % {"n": units}]
    else:
        parts = [
            _("本期应报送单位 %(n)d 个，按时报送 %(ontime)d 个")
            % {"n": units, "ontime": units - len(late) - len(unreported)}
        ]
        if late:
            parts.append(
                _("迟报 %(n)d 个：%(names)s") % {"n": len(late), "names": "、".join(u.in_words() for u in late)}
            )
        if unreported:
            parts.append(
                _("截至发布时未报送 %(n)d 个：%(names)s")
                % {"n": len(unreported), "names": "、".join(u.in_words() for u in unreported)}
            )
        sentences = ["；".join(parts) + "。"]
    if unreviewed_projects:
        sentences.append(
            _("发布时有 %(n)d 个项目的数据含单位填报、项目办尚未审核的月度进度（未审核数据），其灯色说明中已注明。")
            % {"n": unreviewed_projects}
        )
    return tuple(sentences)


def _publication_note(period: Period, published_on: dt.date) -> str:
    """The office's decision to publish early or incomplete, with its reason; empty otherwise."""
    reason = (period.publish_reason or "").strip()
    early = published_on <= period.deadline
    if not reason and not early:
        return ""
    text = _("本期于%(day)s发布") % {"day": _day(published_on)}
    if early:
        text += _("，早于报送截止日期（%(deadline)s）") % {"deadline": _day(period.deadline)}
    text += "。"
    if reason:
        text += _("发布说明：%(reason)s") % {"reason": reason}
    return text


def _load(period: Period) -> tuple[list[tuple[int | None, str, ProjectFigures]], PeriodFigures]:
    # One query for all the projects: the bulletin of 2,000 projects must not query per project.
    rows: list[tuple[int | None, str, ProjectFigures]] = [
        (project_id, code, ProjectFigures.from_data(data, version=version, period=period))
        for project_id, code, version, data in ProjectSnapshot.objects.filter(period=period)
        .order_by("code").values_list("project_id", "code", "schema_version", "data")
    ]
    stored = PeriodSnapshot.objects.filter(period=period).values_list("schema_version", "data").first()
    # A period published without its snapshot row reads as an old, empty one: no units, no problems.
    version, data = stored or (1, {})
    return rows, PeriodFigures.from_data(data, version=version, period=period)


def _competition_ranks(rates: Sequence[Decimal | None]) -> list[int | None]:
    """Rank 1 for the highest rate, equal rates equal ranks, the next rank skipping (1, 2, 2, 4)."""
    ranked = sorted(r for r in rates if r is not None)
    result: list[int | None] = []
    for rate in rates:
        if rate is None:
            result.append(None)
            continue
        # Units above this one: those with a strictly higher rate.
        higher = len(ranked) - bisect_right(ranked, rate)
        result.append(higher + 1)
    return result


@dataclass
class _Tally:
    """Running sums for one group of projects."""

    name: str = ""
    projects: int = 0
    plan: Decimal = ZERO
    done: Decimal = ZERO
    started: int = 0
    due_start: int = 0
    producing: int = 0
    due_production: int = 0

    def add(self, row: _Row) -> None:
        self.projects += 1
        self.plan += row.plan
        self.done += row.done
        self.started += row.started
        self.due_start += row.due_start
        self.producing += row.producing
        self.due_production += row.due_production


@dataclass(frozen=True)
class _Row:
    plan: Decimal
    done: Decimal
    started: bool
    due_start: bool
    producing: bool
    due_production: bool


def _classify(data: ProjectFigures, as_of: dt.date) -> _Row:
    started = data.started
    planned_start = data.planned_start
    producing = data.stage == Stage.PRODUCING
    planned_completion = data.planned_completion
    return _Row(
        plan=money(data.annual_plan),
        done=money(data.invested_ytd),
        started=started,
        due_start=started or (planned_start is not None and planned_start <= as_of),
        producing=producing,
        due_production=producing or (planned_completion is not None and planned_completion <= as_of),
    )


def _investment_explain(done: Decimal, plan: Decimal, rate: Decimal | None) -> str:
    if rate is None:
        return _("未安排年度计划投资，不计算完成率；本年累计完成 %(done)s 万元") % {"done": fmt_money(done)}
    return _("完成率 = 本年累计完成 %(done)s 万元 ÷ 年度计划 %(plan)s 万元 = %(rate)s%%") % {
        "done": fmt_money(done), "plan": fmt_money(plan), "rate": rate,
    }


def _start_explain(started: int, due: int, rate: Decimal | None) -> str:
    if rate is None:
        return _("没有应开工项目，不计算开工率")
    return _("开工率 = 已开工 %(started)d 个 ÷ 应开工 %(due)d 个 = %(rate)s%%") % {
        "started": started, "due": due, "rate": rate,
    }


def _production_explain(producing: int, due: int, rate: Decimal | None) -> str:
    if rate is None:
        return _("没有应投产项目，不计算投产率")
    return _("投产率 = 已投产 %(producing)d 个 ÷ 应投产 %(due)d 个 = %(rate)s%%") % {
        "producing": producing, "due": due, "rate": rate,
    }


def _investment_row(label: str, tally: _Tally, schedule: Decimal) -> InvestmentRow:
    rate = percent(tally.done, tally.plan)
    return InvestmentRow(
        label=label, projects=tally.projects, plan=tally.plan, done=tally.done, rate=rate,
        gap=None if rate is None else schedule - rate, explain=_investment_explain(tally.done, tally.plan, rate),
    )


def _ranking(title: str, tallies: Iterable[_Tally]) -> Ranking:
    groups = sorted(tallies, key=lambda t: t.name)
    invest_rates = [percent(t.done, t.plan) for t in groups]
    by_investment = [
        InvestmentRank(
            rank=rank, unit=t.name, projects=t.projects, plan=t.plan, done=t.done, rate=rate,
            explain=_investment_explain(t.done, t.plan, rate),
        )
        for t, rate, rank in zip(groups, invest_rates, _competition_ranks(invest_rates), strict=True)
    ]
    start_rates = [percent(t.started, t.due_start) for t in groups]
    by_start = [
        StartRank(
            rank=rank, unit=t.name, projects=t.projects, started=t.started, due=t.due_start, rate=rate,
            explain=_start_explain(t.started, t.due_start, rate),
        )
        for t, rate, rank in zip(groups, start_rates, _competition_ranks(start_rates), strict=True)
    ]

    def order(row: InvestmentRank | StartRank) -> tuple[int, int, str]:
        # Ranked units first by rank; units without a rate after them, by name.
        return (row.rank is None, row.rank or 0, row.unit)

    return Ranking(
        title=title,
        by_investment=tuple(sorted(by_investment, key=order)),
        by_start=tuple(sorted(by_start, key=order)),
    )


def _light_project(project_id: int | None, code: str, data: ProjectFigures) -> LightProject:
    plan, done = money(data.annual_plan), money(data.invested_ytd)
    return LightProject(
        project_id=project_id, code=code, name=data.name, light=data.light,
        level=data.level, level_label=data.level_label, stage_label=data.stage_label,
        lead_unit=data.lead_unit, town=data.town, leader=data.leader,
        plan=plan, done=done, rate=percent(done, plan),
        reasons=tuple(r.text for r in data.reasons if r.light != light_rules.GREEN),
        milestones_behind=tuple(
            MilestoneBehind(m.name, m.planned, m.days_overdue) for m in data.milestones_behind
        ),
        physical_progress=data.physical_progress, problems=data.problems,
    )


def _project_line(project_id: int | None, code: str, data: ProjectFigures, *, with_start: bool) -> ProjectLine:
    return ProjectLine(
        project_id=project_id, code=code, name=data.name, level_label=data.level_label,
        lead_unit=data.lead_unit, town=data.town, leader=data.leader,
        date=data.actual_start if with_start else None,
        total_investment=money(data.total_investment),
    )


def _problem_line(item: SnapshotProblem) -> ProblemLine:
    return ProblemLine(
        id=item.id, project=item.project, description=item.description,
        unit=item.unit, leader=item.leader, deadline=item.deadline,
        state_label=item.state_label, overdue_days=item.overdue_days,
        escalation=item.escalation, escalation_text=item.escalation_text,
        closed=item.state == "closed", closed_on=item.closed_at.date() if item.closed_at else None,
    )


def bulletin_figures(period: Period) -> BulletinFigures:
    """Every figure of the bulletin of a published period, from its snapshots only."""
    if period.state != Period.State.PUBLISHED:
        raise NotPublished(_("%(period)s尚未发布，不能生成通报。") % {"period": period.label})
    rows, period_data = _load(period)
    first_day, last_day = period.first_day, period.last_day
    # Never after the period's end, whatever the row says (old rows are as of its last day).
    as_of = min(period_data.as_of, last_day)
    schedule = light_rules.schedule_percent(as_of)

    level_codes = [code for code, _label in Level.choices]
    stage_codes = [code for code, _label in Stage.choices]
    labels = {**dict(Level.choices), **dict(Stage.choices), **dict(ProjectType.choices)}
    total = _Tally(name=_("合计"))
    by_level = {code: _Tally(name=str(labels[code])) for code in level_codes}
    stage_count: dict[str, int] = defaultdict(int)
    type_count: dict[str, int] = defaultdict(int)
    matrix: dict[tuple[str, str], int] = defaultdict(int)
    towns: dict[Any, _Tally] = {}
    departments: dict[Any, _Tally] = {}
    red: list[LightProject] = []
    yellow: list[LightProject] = []
    started: list[ProjectLine] = []
    completed: list[ProjectLine] = []

    for project_id, code, data in rows:
        row = _classify(data, as_of)
        total.add(row)
        level = data.level
        by_level.setdefault(level, _Tally(name=data.level_label or level)).add(row)
        stage_count[data.stage] += 1
        type_count[data.project_type] += 1
        matrix[(level, data.stage)] += 1
        if data.town_id:
            towns.setdefault(data.town_id, _Tally(name=data.town)).add(row)
        if data.lead_unit_kind == "department":
            departments.setdefault(data.lead_unit_id, _Tally(name=data.lead_unit)).add(row)
        if data.light == light_rules.RED:
            red.append(_light_project(project_id, code, data))
        elif data.light == light_rules.YELLOW:
            yellow.append(_light_project(project_id, code, data))
        if data.started_in_period:
            started.append(_project_line(project_id, code, data, with_start=True))
        if data.completed_in_period:
            completed.append(_project_line(project_id, code, data, with_start=False))

    level_order = {code: i for i, code in enumerate(level_codes)}
    red.sort(key=lambda p: (level_order.get(p.level, len(level_order)), p.code))
    yellow.sort(key=lambda p: (level_order.get(p.level, len(level_order)), p.code))
    started.sort(key=lambda p: (p.date or dt.date.max, p.code))

    problems = [_problem_line(item) for item in period_data.problems]
    # Overdue first, longest overdue at the top; then by deadline.
    problems_open = sorted((p for p in problems if not p.closed), key=lambda p: (-p.overdue_days, p.deadline, p.id))
    problems_closed = sorted((p for p in problems if p.closed), key=lambda p: (p.closed_on or p.deadline, p.id))
    units = period_data.units
    lines = [UnitLine(u.unit, u.kind, u.state_label, u.submitted_at) for u in units]
    late = tuple(line for line, u in zip(lines, units, strict=True) if u.reported and u.late)
    unreported = tuple(
        replace(line, submitted_at=None) for line, u in zip(lines, units, strict=True) if not u.reported
    )
    unreviewed_projects = sum(1 for _pid, _code, data in rows if data.unreviewed)
    # Few districts have national key projects: that row only when there are some.
    level_codes = [code for code in level_codes if code != Level.NATIONAL or by_level[code].projects]

    published_at = period.published_at or timezone.now()
    head = letterhead(period)
    header = Header(
        district=head.district_name,
        office=office_name(head.district_name),
        number=document_number(period, head),
        title=_("关于%(period)s全区重点项目建设情况的通报") % {"period": period.label},
        period_label=period.label,
        first_day=first_day,
        last_day=last_day,
        published_on=timezone.localdate(published_at),
        as_of=as_of,
    )
    return BulletinFigures(
        header=header,
        projects=total.projects,
        by_level=tuple(CountRow(c, str(labels[c]), by_level[c].projects) for c in level_codes),
        by_stage=tuple(CountRow(c, str(labels[c]), stage_count.get(c, 0)) for c in stage_codes),
        by_type=tuple(
            CountRow(c, str(label), type_count.get(c, 0)) for c, label in ProjectType.choices if type_count.get(c)
        ),
        stage_labels=tuple(str(labels[c]) for c in stage_codes),
        stage_level=(
            *(
                StageLevelRow(
                    str(labels[lv]), tuple(matrix.get((lv, st), 0) for st in stage_codes), by_level[lv].projects
                )
                for lv in level_codes
            ),
            StageLevelRow(
                _("合计"), tuple(stage_count.get(st, 0) for st in stage_codes), total.projects
            ),
        ),
        start_rate=Rate(
            total.started, total.due_start, (r := percent(total.started, total.due_start)),
            _start_explain(total.started, total.due_start, r),
        ),
        production_rate=Rate(
            total.producing, total.due_production, (p := percent(total.producing, total.due_production)),
            _production_explain(total.producing, total.due_production, p),
        ),
        schedule=schedule,
        investment=_investment_row(_("全部项目"), total, schedule),
        investment_by_level=tuple(_investment_row(by_level[lv].name, by_level[lv], schedule) for lv in level_codes),
        towns=Ranking(_("镇街"), (), ()) if not towns else _ranking(_("镇街"), towns.values()),
        departments=Ranking(_("部门"), (), ()) if not departments else _ranking(_("部门"), departments.values()),
        red=tuple(red),
        yellow=tuple(yellow),
        started=tuple(started),
        completed=tuple(completed),
        problems_open=tuple(problems_open),
        problems_closed=tuple(problems_closed),
        units=len(units),
        late_units=late,
        unreported_units=unreported,
        unreviewed_projects=unreviewed_projects,
        reporting=_reporting_sentences(len(units), late, unreported, unreviewed_projects),
        publication_note=_publication_note(period, header.published_on),
        definitions=definitions(schedule, as_of),
    )


# --- reproducible files ---------------------------------------------------------------------

_CORE_DATES = re.compile(rb"(<dcterms:(?:created|modified)[^>]*>)[^<]*(</dcterms:(?:created|modified)>)")


def reproducible_zip(data: bytes, when: dt.datetime) -> bytes:
    """Rewrite an Office file so the same content gives the same bytes.

    python-docx and openpyxl stamp the zip entries and the core properties with the time of
    saving; a regenerated bulletin would then differ from the first one byte for byte. Every
    entry gets the period's publication time instead, in a fixed order.
    """
    local = timezone.localtime(when) if timezone.is_aware(when) else when
    stamp = (max(local.year, 1980), local.month, local.day, local.hour, local.minute, local.second)
    iso = when.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ").encode() if timezone.is_aware(when) else b""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            blob = source.read(info.filename)
            if info.filename == "docProps/core.xml" and iso:
                blob = _CORE_DATES.sub(rb"\g<1>" + iso + rb"\g<2>", blob)
            entry = zipfile.ZipInfo(info.filename, date_time=stamp)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o600 << 16
            target.writestr(entry, blob)
    return out.getvalue()
