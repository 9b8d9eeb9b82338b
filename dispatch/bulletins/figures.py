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
- 总投资 is the sum of the projects' total investment as published; the year's cumulative
  investment (本年累计完成投资) and its share of the annual plan are those of 年度投资完成率 above,
  ahead of (超) or behind (落后) the schedule by ``schedule − rate`` points.
- 去年同期 (the same period last year): the period of the year before with the same month and half,
  if it was published, and published before this one (so a year published later cannot change this
  bulletin). Its rate is computed the same way from its own snapshots; this one is "高于/低于去年同期
  x 个百分点" (this rate minus that one, both rounded first). Without such a period, or without a
  plan in either, the bulletin says nothing of last year.
- Splits: by 建设性质 (新开工/续建, the project's ``construction``), by 项目类别 (the category's name
  at publication, "未分类" for none) and by 资金来源 ("未填" for none), each with the counts, total
  investment, plan, cumulative investment and rate of its projects. Snapshots written before the
  category and funding source were recorded (ProjectFigures version 2 and before) count under
  未分类 / 未填, and the split says how many.
- 滞后项目 (projects behind schedule), each tagged:
  投资滞后 when the project has a positive annual plan, the schedule is above 0 and its light at
  publication carries, in yellow or red, the investment rule's "落后" reason for its own figures
  (projects.rules rule 2: its rate trails the schedule by the district's yellow gap or more, the
  gap in force at publication; the snapshot keeps the reasons that gap produced, not the gap);
  开工滞后 when it should have started (planned start on or before ``as_of``) and has not (the
  start rate's 应开工 less 已开工). A project with both tags counts once; the share is 滞后项目数 ÷
  本期项目总数.
- 形象进度分布: each project by the percent of its report of the period: 0, 1–25, 26–50, 51–75,
  76–99, 100, and 未填报 (no report, or no percent in it).
- 新开工 / 新竣工 are the projects that started (actual start within the period, up to ``as_of``)
  or were completed (竣工 or 投产 now, not at the previous publication) in the period; 提前开工 are
  those started in the period before their planned start, 提前竣工 those completed in the period
  with a planned completion after ``as_of``.
- The office's words (存在的主要问题, 下步工作安排) are those frozen with the period
  (dispatch.periods.snapshots.BulletinText); a period published without them has no such sections.
- Sections: those the bulletin template frozen with the period lists (Letterhead.sections, every one
  in the usual order for a period published before the template), in its order; the office's words
  only when written. Level-1 headings are numbered 一、二、… in the printed order (:func:`numbered`),
  the same in every output; the "（一）/（二）" within a section do not change.
- Other modules' sections (core.hooks.bulletin_parts; 招商引资 from the investment module, read from what
  was frozen with the period): printed where the frozen template lists their key, and only when a module
  answers with a part for the period; otherwise not printed at all and the sections after are numbered
  on without them (a period whose template predates them never asks). Their headings "（一）（二）…"
  are numbered here, in order, as every output prints them (:class:`PrintedPart`).
- Names (Header): the issuing body (发文机关), the red header (红头文字), the 文号 prefix, the signature
  (落款), 抄送 and 印发机关 are the template's as frozen with the period; a text it left blank prints
  what bulletins printed before the template existed, from the frozen district name
  (:func:`printed_names`).
"""
from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from bisect import bisect_right
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.conf import settings
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import pgettext_lazy

from core import hooks
from core.hooks import BulletinBlock, BulletinPart
from core.models import Period
from dispatch.bulletins.docx_style import copy_to, office_name
from dispatch.models import PART_SECTIONS, BulletinSection, PeriodSnapshot, ProjectSnapshot
from dispatch.periods.snapshots import (
    BulletinText,
    Letterhead,
    PeriodFigures,
    ProjectFigures,
    SnapshotProblem,
    bulletin_words,
    letterhead,
)
from projects import rules as light_rules
from projects.models import Construction, Level, ProjectType, Stage
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
    total: Decimal = ZERO  # 总投资 of the projects, 万元

    @property
    def plan_yi(self) -> Decimal:
        return yi(self.plan)

    @property
    def total_yi(self) -> Decimal:
        return yi(self.total)

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
    tags: tuple[str, ...] = ()  # 投资滞后, 开工滞后 (see the module's docstring)


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
    planned: dt.date | None = None  # planned start (a started project) or completion (a completed one)
    early: bool = False  # 提前开工 / 提前竣工


@dataclass(frozen=True)
class YearOnYear:
    """This period's 年度投资完成率 against that of the same period last year."""

    period_label: str  # last year's period, e.g. 2025年4月
    rate: Decimal  # last year's rate, %
    difference: Decimal  # this year's rate minus last year's, in points; positive is higher
    explain: str

    def in_words(self) -> str:
        """"高于去年同期（2025年4月 20.0%）2.2 个百分点", or 低于, or 与去年同期持平."""
        values = {"period": self.period_label, "rate": self.rate, "points": abs(self.difference)}
        if self.difference > 0:
            return _("高于去年同期（%(period)s %(rate)s%%）%(points)s 个百分点") % values
        if self.difference < 0:
            return _("低于去年同期（%(period)s %(rate)s%%）%(points)s 个百分点") % values
        return _("与去年同期（%(period)s %(rate)s%%）持平") % values


@dataclass(frozen=True)
class Split:
    """The projects by one property (建设性质, 项目类别, 资金来源), each group's investment."""

    key: str  # construction, category, funding
    title: str
    rows: tuple[InvestmentRow, ...]
    # Projects whose snapshot did not record the property (an older release), counted under 未分类/未填.
    unrecorded: int
    note: str  # the sentence saying so, "" when every snapshot recorded it


@dataclass(frozen=True)
class LaggingProject:
    project_id: int | None
    code: str
    name: str
    lead_unit: str
    light: str
    tags: tuple[str, ...]  # 投资滞后, 开工滞后


@dataclass(frozen=True)
class Behind:
    """The projects behind schedule (滞后项目), tagged; see the module's docstring."""

    projects: tuple[LaggingProject, ...]
    investment: int  # tagged 投资滞后
    start: int  # tagged 开工滞后
    share: Rate  # 滞后项目数 ÷ 本期项目总数


@dataclass(frozen=True)
class NarrativeSection:
    """One of the office's sections as the bulletin prints it: the numbered heading and its paragraphs."""

    key: str  # "problems" or "next_steps"
    heading: str  # e.g. 八、存在的主要问题
    paragraphs: tuple[str, ...]


# A cell of figures in another module's table: "12", "1,234.50", "45.6%", "-3.2".
_FIGURE = re.compile(r"[+\-−]?[\d,]*\d(?:\.\d+)?%?")
_NO_VALUE = frozenset({"", "—", "-"})


@dataclass(frozen=True)
class PrintedBlock:
    """A block of another module's section as printed: a level-2 heading (numbered), a paragraph or a table.

    ``numeric`` marks the table's columns of figures (every filled cell a number, an amount or a
    percentage): right-aligned and never wrapped in the Word document, right-aligned on the page.
    """

    kind: str  # "heading", "text" or "table"
    text: str = ""
    headers: tuple[str, ...] = ()
    rows: tuple[tuple[str, ...], ...] = ()
    numeric: tuple[int, ...] = ()

    @property
    def head(self) -> tuple[tuple[str, bool], ...]:
        """The headers with whether each heads a column of figures (for the templates)."""
        return tuple((text, i in self.numeric) for i, text in enumerate(self.headers))

    @property
    def body(self) -> tuple[tuple[tuple[str, bool], ...], ...]:
        """The rows, each cell with whether its column is of figures (for the templates)."""
        return tuple(tuple((text, i in self.numeric) for i, text in enumerate(row)) for row in self.rows)


@dataclass(frozen=True)
class PrintedPart:
    """Another module's section as the bulletin prints it: the numbered heading and its blocks, the
    "heading" blocks numbered （一）（二）… in order; the same in the Word document, the page and the meeting."""

    key: str
    heading: str  # e.g. 八、招商引资
    blocks: tuple[PrintedBlock, ...]

    @property
    def tables(self) -> tuple[tuple[str, PrintedBlock], ...]:
        """Each table with the heading it stands under ("" before the first): the Excel annex's sheets."""
        found: list[tuple[str, PrintedBlock]] = []
        under = ""
        for block in self.blocks:
            if block.kind == "heading":
                under = block.text
            elif block.kind == "table":
                found.append((under, block))
        return tuple(found)


@dataclass(frozen=True)
class PrintedSection:
    """A level-1 section the bulletin prints, in order: its key (dispatch.models.BulletinSection) and heading."""

    key: str
    heading: str  # e.g. 一、总体情况
    index: int  # its place among those printed, from 0: numbered(index, title) numbers a slide of it alike
    words: NarrativeSection | None = None  # the office's text, for its two sections
    part: PrintedPart | None = None  # another module's section (core.hooks.bulletin_parts)


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
    office: str  # the issuing body (发文机关), also the files' author
    number: str  # 文号, e.g. 示调度〔2026〕3号
    title: str
    period_label: str
    first_day: dt.date
    last_day: dt.date
    published_on: dt.date
    # The date every figure is "截至": the snapshot's day or the period's last day, whichever is first.
    as_of: dt.date
    red_header: str  # 红头文字, the red mark above the 文号
    signature: str  # 落款, above the date at the end of the text
    copy_to: str  # 抄送 recipients, in the 版记
    issued_by: str  # 印发机关, in the 版记


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
    last_year: YearOnYear | None = None  # None: no published period of the same month last year
    splits: tuple[Split, ...] = ()  # 建设性质, 项目类别, 资金来源, in this order
    behind: Behind | None = None
    progress_spread: tuple[CountRow, ...] = ()  # 形象进度 buckets, 未填报 last
    lights: tuple[CountRow, ...] = ()  # red, yellow, green (and 未亮灯 for old rows without a light)
    early_starts: tuple[ProjectLine, ...] = ()
    early_completions: tuple[ProjectLine, ...] = ()
    narrative: tuple[NarrativeSection, ...] = ()  # the office's words frozen with the period, numbered
    # The level-1 sections printed, in order, numbered (the office's words among them where written).
    sections: tuple[PrintedSection, ...] = ()

    @property
    def light_projects(self) -> tuple[LightProject, ...]:
        return self.red + self.yellow

    def heading(self, key: str) -> str:
        """The numbered heading of a printed section, e.g. "三、镇街和部门排名"."""
        return next(section.heading for section in self.sections if section.key == key)

    @property
    def parts(self) -> tuple[PrintedPart, ...]:
        """Other modules' sections printed, in order."""
        return tuple(section.part for section in self.sections if section.part is not None)

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
        _("滞后项目：投资滞后或开工滞后的项目（两者皆有的计一次），占比 = 滞后项目数 ÷ 本期项目总数。"
          "投资滞后：安排了年度计划投资、序时进度大于 0，发布时亮灯原因中有年度投资完成率落后序时进度"
          "（落后达到黄灯阈值，黄灯或红灯）的项目；开工滞后：计划开工日期在%(day)s（含）以前、"
          "截至当日尚未开工的项目。") % {"day": day},
        _("形象进度分布：按本期月报填报的形象进度百分比分为 0%、1%–25%、26%–50%、51%–75%、76%–99%、"
          "100% 六档；本期没有月报或月报未填百分比的计为“未填报”。"),
        _("去年同期：上一年同一月份（半月）已发布、且发布早于本期的调度期，其年度投资完成率按该期快照"
          "同样计算；本期完成率与之相减为高于或低于去年同期的百分点数。没有去年同期数据时不作比较。"),
        _("新开工：实际开工日期在本期内的项目，其中实际开工早于计划开工日期的为提前开工；"
          "新竣工（投产）：本期为竣工或投产阶段、上一发布期尚未竣工的项目，其中计划竣工日期在%(day)s"
          "以后的为提前竣工。") % {"day": day},
        _("按建设性质（新开工、续建）、项目类别、资金来源分组统计；项目类别、资金来源取发布时项目的登记，"
          "未登记的计入“未分类”“未填”。"),
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


def same_period_last_year(period: Period) -> Period:
    """The period of the year before with the same kind, month and half (unsaved: its label and the
    upgrades of its rows need no more)."""
    return Period(kind=period.kind, year=period.year - 1, month=period.month, half=period.half)


Rows = list[tuple[int | None, str, ProjectFigures]]


def _load(period: Period) -> tuple[Rows, PeriodFigures, list[ProjectFigures]]:
    """The projects of ``period`` by code, its own figures, and the projects of the same period last year
    if that was published before this one (else none)."""
    previous = same_period_last_year(period)
    columns = ("period_id", "project_id", "code", "schema_version", "data")
    # No ordering in the parts (the model's own would refuse the union); the whole is ordered by code.
    this = ProjectSnapshot.objects.filter(period=period).order_by().values_list(*columns)
    if period.published_at is not None:
        before = ProjectSnapshot.objects.filter(
            period__kind=previous.kind, period__year=previous.year, period__month=previous.month,
            period__half=previous.half, period__state=Period.State.PUBLISHED,
            period__published_at__lte=period.published_at,
        ).order_by().values_list(*columns)
        # One query for this period's projects and last year's: the bulletin of 2,000 projects must not
        # query per project, nor add a round trip for a comparison.
        found = this.union(before, all=True).order_by("code")
    else:
        found = this.order_by("code")
    rows: Rows = []
    last: list[ProjectFigures] = []
    for period_id, project_id, code, version, data in found:
        if period_id == period.pk:
            rows.append((project_id, code, ProjectFigures.from_data(data, version=version, period=period)))
        else:
            last.append(ProjectFigures.from_data(data, version=version, period=previous))
    stored = PeriodSnapshot.objects.filter(period=period).values_list("schema_version", "data").first()
    # A period published without its snapshot row reads as an old, empty one: no units, no problems.
    version, data = stored or (1, {})
    return rows, PeriodFigures.from_data(data, version=version, period=period), last


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
    total: Decimal = ZERO
    started: int = 0
    due_start: int = 0
    producing: int = 0
    due_production: int = 0

    def add(self, row: _Row) -> None:
        self.projects += 1
        self.plan += row.plan
        self.done += row.done
        self.total += row.total
        self.started += row.started
        self.due_start += row.due_start
        self.producing += row.producing
        self.due_production += row.due_production


@dataclass(frozen=True)
class _Row:
    plan: Decimal
    done: Decimal
    total: Decimal
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
        total=money(data.total_investment),
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
        total=tally.total,
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


def _light_project(
    project_id: int | None, code: str, data: ProjectFigures, tags: tuple[str, ...] = ()
) -> LightProject:
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
        physical_progress=data.physical_progress, problems=data.problems, tags=tags,
    )


def _project_line(
    project_id: int | None, code: str, data: ProjectFigures, *, with_start: bool, as_of: dt.date | None = None
) -> ProjectLine:
    if with_start:
        planned = data.planned_start
        early = data.actual_start is not None and planned is not None and data.actual_start < planned
    else:
        planned = data.planned_completion
        early = planned is not None and as_of is not None and planned > as_of
    return ProjectLine(
        project_id=project_id, code=code, name=data.name, level_label=data.level_label,
        lead_unit=data.lead_unit, town=data.town, leader=data.leader,
        date=data.actual_start if with_start else None,
        total_investment=money(data.total_investment), planned=planned, early=early,
    )


# --- 滞后项目, 形象进度, splits, last year, the office's words (see the module's docstring) -----------

# Thresholds at which any gap at all gives the investment rule's "落后" reason: the probe below asks the
# rule itself for its words, so the bulletin recognises the reason without copying its sentence.
_ANY_GAP = light_rules.LightThresholds(yellow_gap=Decimal(0), red_gap=Decimal(0))


def _investment_behind(data: ProjectFigures, as_of: dt.date, schedule: Decimal) -> bool:
    """投资滞后: the project's light at publication carries, in yellow or red, the investment rule's
    "落后" reason for the project's own plan and year-to-date. Call in the district's language (the
    language the reasons were stored in)."""
    plan, done = money(data.annual_plan), money(data.invested_ytd)
    rate = percent(done, plan)
    if plan <= 0 or schedule <= 0 or rate is None or rate >= schedule:
        return False
    probe = light_rules.compute_light(
        light_rules.ProjectFacts(stage=Stage.BUILDING, planned_start=None, actual_start=None, milestones=(),
                                 annual_plan=plan, invested_ytd=done),
        as_of=as_of, thresholds=_ANY_GAP,
    )
    words = {r.text for r in probe.reasons if r.rule == light_rules.RULE_INVESTMENT_BEHIND}
    return any(r.light != light_rules.GREEN and r.text in words for r in data.reasons)


def _start_behind(data: ProjectFigures, as_of: dt.date) -> bool:
    """开工滞后: should have started by ``as_of`` (the start rate's 应开工) and has not."""
    return not data.started and data.planned_start is not None and data.planned_start <= as_of


# 形象进度 buckets, percent from and to (both included).
PROGRESS_BUCKETS = ((0, 0), (1, 25), (26, 50), (51, 75), (76, 99), (100, 100))


def _bucket_code(low: int, high: int) -> str:
    return f"{low}" if low == high else f"{low}-{high}"


def _bucket(percent_done: int | None) -> str:
    """The bucket's code ("0", "1-25", …, "100"), or "none" without a percent."""
    if percent_done is None:
        return "none"
    value = min(max(percent_done, 0), 100)
    return next(_bucket_code(low, high) for low, high in PROGRESS_BUCKETS if low <= value <= high)


def _progress_spread(counts: dict[str, int]) -> tuple[CountRow, ...]:
    rows = [
        CountRow(_bucket_code(low, high), f"{low}%" if low == high else f"{low}%–{high}%",
                 counts.get(_bucket_code(low, high), 0))
        for low, high in PROGRESS_BUCKETS
    ]
    rows.append(CountRow("none", _("未填报"), counts.get("none", 0)))
    return tuple(rows)


@dataclass
class _Grouping:
    """One split being counted: a tally per group, and how many snapshots did not record the property."""

    tallies: dict[str, _Tally] = field(default_factory=dict)
    unrecorded: int = 0

    def add(self, key: str, label: str, row: _Row) -> None:
        self.tallies.setdefault(key, _Tally(name=label)).add(row)


def _split(
    key: str, title: str, grouping: _Grouping, schedule: Decimal, *, note: str,
    fixed: Sequence[tuple[str, str]] = (),
) -> Split:
    """The rows of ``fixed`` (key, label) first, shown even when empty; then the other groups by name;
    the group of key "" (未分类, 未填, 未记录) last."""
    rows = [_investment_row(label, grouping.tallies.get(key) or _Tally(name=label), schedule) for key, label in fixed]
    shown = {key for key, _label in fixed}
    named = sorted((k for k in grouping.tallies if k and k not in shown), key=lambda k: grouping.tallies[k].name)
    rows += [_investment_row(grouping.tallies[k].name, grouping.tallies[k], schedule) for k in named]
    if "" in grouping.tallies:
        rows.append(_investment_row(grouping.tallies[""].name, grouping.tallies[""], schedule))
    return Split(key=key, title=title, rows=tuple(rows), unrecorded=grouping.unrecorded,
                 note=note % {"n": grouping.unrecorded} if grouping.unrecorded else "")


def _last_year(period: Period, rate: Decimal | None, last: Sequence[ProjectFigures]) -> YearOnYear | None:
    """This rate against that of ``last``, the projects of the same period last year; None without them,
    or without a plan in either year."""
    plan = sum((money(figures.annual_plan) for figures in last), ZERO)
    done = sum((money(figures.invested_ytd) for figures in last), ZERO)
    before = percent(done, plan)
    if rate is None or before is None:
        return None
    label = same_period_last_year(period).label
    explain = _("去年同期（%(period)s）年度投资完成率 = 累计完成 %(done)s 万元 ÷ 年度计划 %(plan)s 万元 = %(rate)s%%；"
                "本期 %(now)s%% − 去年同期 %(rate)s%% = %(points)s 个百分点") % {
        "period": label, "done": fmt_money(done), "plan": fmt_money(plan), "rate": before, "now": rate,
        "points": rate - before,
    }
    return YearOnYear(period_label=label, rate=before, difference=rate - before, explain=explain)


# Level-1 headings are numbered with these, in the order printed: at most ten sections (BulletinSection).
# Translatable, comma-separated: Chinese documents number 一、二、, English ones 1. 2.
NUMERALS = pgettext_lazy("bulletin section numerals, comma-separated", "一,二,三,四,五,六,七,八,九,十")
# The office's sections, by the key of their text in BulletinText.
NARRATIVE_KEYS = {
    BulletinSection.NARRATIVE_PROBLEMS.value: "problems", BulletinSection.NARRATIVE_NEXT_STEPS.value: "next_steps",
}


def numbered(index: int, title: str) -> str:
    """The heading of the section printed ``index``-th (from 0): "一、总体情况". The one place headings are numbered."""
    return _("%(numeral)s、%(title)s") % {"numeral": str(NUMERALS).split(",")[index], "title": title}


# Level-2 headings of other modules' sections: （一）（二）… in order, as the bulletin's own are written.
_DIGITS = "零一二三四五六七八九"


def chinese_number(n: int) -> str:
    """1 → 一, 10 → 十, 12 → 十二, 20 → 二十, 99 → 九十九; beyond 99 the digits as they are."""
    if not 0 < n < 100:
        return str(n)
    tens, ones = divmod(n, 10)
    head = "" if tens == 0 else "十" if tens == 1 else _DIGITS[tens] + "十"
    return head + (_DIGITS[ones] if ones else "")


def subheading(index: int, title: str) -> str:
    """The level-2 heading numbered ``index``-th (from 0): "（一）新增线索"."""
    return _("（%(numeral)s）%(title)s") % {"numeral": chinese_number(index + 1), "title": title}


def _table(block: BulletinBlock) -> PrintedBlock:
    """A table with every row as wide as the widest (headers included), blank cells added so no cell is
    lost, and its columns of figures found."""
    width = max((len(row) for row in (block.headers, *block.rows)), default=0)
    rows = tuple(tuple(str(cell) for cell in row) + ("",) * (width - len(row)) for row in block.rows)
    numeric = tuple(
        i for i in range(width)
        if (values := [row[i].strip() for row in rows if row[i].strip() not in _NO_VALUE])
        and all(_FIGURE.fullmatch(value) for value in values)
    )
    headers = tuple(str(cell) for cell in block.headers) + ("",) * (width - len(block.headers))
    return PrintedBlock(kind="table", headers=headers, rows=rows, numeric=numeric)


def printed_part(part: BulletinPart, heading: str) -> PrintedPart:
    """``part`` under its numbered level-1 ``heading``, its "heading" blocks numbered in order; a block of
    another kind is not printed, nor a table without a cell."""
    blocks: list[PrintedBlock] = []
    for block in part.blocks:
        if block.kind == "heading":
            count = sum(1 for done in blocks if done.kind == "heading")
            blocks.append(PrintedBlock(kind="heading", text=subheading(count, block.text)))
        elif block.kind == "text":
            blocks.append(PrintedBlock(kind="text", text=block.text))
        elif block.kind == "table" and (block.headers or block.rows):
            blocks.append(_table(block))
    return PrintedPart(key=part.key, heading=heading, blocks=tuple(blocks))


def bulletin_parts(period: Period, order: Sequence[str]) -> dict[str, BulletinPart]:
    """Other modules' sections of ``period`` that ``order`` prints, by key (the first answer for a key).

    Asked only when ``order`` lists such a section: a template without one (every period published
    before they existed) never asks, so its bulletin is what it always was.
    """
    wanted = PART_SECTIONS & set(order)
    if not wanted:
        return {}
    found: dict[str, BulletinPart] = {}
    for part in hooks.bulletin_parts.all(period=period):
        if part.key in wanted:
            found.setdefault(part.key, part)
    return found


def bulletin_sections(
    order: Sequence[str], text: BulletinText | None, parts: Mapping[str, BulletinPart] | None = None,
) -> tuple[tuple[PrintedSection, ...], tuple[NarrativeSection, ...]]:
    """The sections printed in ``order`` (BulletinSection keys), numbered as printed, and the office's words
    among them; an office's section left empty (or a period published without the words), or another
    module's section without a part in ``parts``, is not printed, and the sections after it are numbered
    on without it."""
    parts = parts or {}
    printed: list[PrintedSection] = []
    narrative: list[NarrativeSection] = []
    for key in order:
        title = str(BulletinSection(key).label)
        paragraphs: tuple[str, ...] = ()
        if key in NARRATIVE_KEYS:
            written: str = "" if text is None else getattr(text, NARRATIVE_KEYS[key])
            paragraphs = tuple(line.strip() for line in written.splitlines() if line.strip())
            if not paragraphs:
                continue
        if key in PART_SECTIONS and key not in parts:
            continue
        heading = numbered(len(printed), title)
        words = NarrativeSection(NARRATIVE_KEYS[key], heading, paragraphs) if key in NARRATIVE_KEYS else None
        part = printed_part(parts[key], heading) if key in PART_SECTIONS else None
        printed.append(PrintedSection(key=key, heading=heading, index=len(printed), words=words, part=part))
        if words is not None:
            narrative.append(words)
    return tuple(printed), tuple(narrative)


@dataclass(frozen=True)
class PrintedNames:
    """What a letterhead prints, its blank texts filled with what bulletins printed before the template."""

    office: str
    red_header: str
    signature: str
    copy_to: str
    issued_by: str


def printed_names(head: Letterhead) -> PrintedNames:
    """The issuing body (the office's name from the district's when blank) and the texts that default to it."""
    office = head.issuing_body or office_name(head.district_name)
    return PrintedNames(
        office=office, red_header=head.header_text or office, signature=head.signature or office,
        copy_to=head.copy_to or copy_to(head.district_name), issued_by=head.issued_by or office,
    )


def _problem_line(item: SnapshotProblem) -> ProblemLine:
    return ProblemLine(
        id=item.id, project=item.project, description=item.description,
        unit=item.unit, leader=item.leader, deadline=item.deadline,
        state_label=item.state_label, overdue_days=item.overdue_days,
        escalation=item.escalation, escalation_text=item.escalation_text,
        closed=item.state == "closed", closed_on=item.closed_at.date() if item.closed_at else None,
    )


def bulletin_figures(period: Period, *, head: Letterhead | None = None) -> BulletinFigures:
    """Every figure of the bulletin of a published period, from its snapshots only.

    ``head`` prints another letterhead than the one frozen with the period: the template page's sample
    (样张) of a template not yet in force. A bulletin of the period never passes it.
    """
    if period.state != Period.State.PUBLISHED:
        raise NotPublished(_("%(period)s尚未发布，不能生成通报。") % {"period": period.label})
    rows, period_data, last_year_rows = _load(period)
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
    lagging: list[LaggingProject] = []
    lag_investment = lag_start = 0
    spread: dict[str, int] = defaultdict(int)
    light_count: dict[str, int] = defaultdict(int)
    construction, category, funding = _Grouping(), _Grouping(), _Grouping()
    construction_labels = dict(Construction.choices)
    # The reasons were stored in the district's language: they are recognised in it.
    with translation.override(settings.LANGUAGE_CODE):
        behind_investment = {
            index for index, (_pid, _code, data) in enumerate(rows) if _investment_behind(data, as_of, schedule)
        }
    tag_investment, tag_start = _("投资滞后"), _("开工滞后")

    for index, (project_id, code, data) in enumerate(rows):
        row = _classify(data, as_of)
        total.add(row)
        tags = tuple(
            tag for tag, on in ((tag_investment, index in behind_investment), (tag_start, _start_behind(data, as_of)))
            if on
        )
        if tags:
            lagging.append(LaggingProject(project_id, code, data.name, data.lead_unit, data.light, tags))
            lag_investment += tag_investment in tags
            lag_start += tag_start in tags
        spread[_bucket(data.progress_percent)] += 1
        light_count[data.light] += 1
        if data.construction in construction_labels:
            construction.add(data.construction, str(construction_labels[data.construction]), row)
        else:
            # Rows of the first release, which did not record it (an unknown code is named as stored).
            construction.unrecorded += not data.construction
            construction.add(data.construction, data.construction or _("未记录"), row)
        category.unrecorded += data.category is None
        category.add(data.category or "", data.category or _("未分类"), row)
        funding.unrecorded += data.funding_source is None
        funding.add(data.funding_source or "", data.funding_source or _("未填"), row)
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
            red.append(_light_project(project_id, code, data, tags))
        elif data.light == light_rules.YELLOW:
            yellow.append(_light_project(project_id, code, data, tags))
        if data.started_in_period:
            started.append(_project_line(project_id, code, data, with_start=True))
        if data.completed_in_period:
            completed.append(_project_line(project_id, code, data, with_start=False, as_of=as_of))

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

    investment = _investment_row(_("全部项目"), total, schedule)
    published_at = period.published_at or timezone.now()
    frozen, text = bulletin_words(period)
    head = head or frozen
    names = printed_names(head)
    sections, narrative = bulletin_sections(head.sections, text, bulletin_parts(period, head.sections))
    header = Header(
        district=head.district_name,
        office=names.office,
        number=document_number(period, head),
        title=_("关于%(period)s全区重点项目建设情况的通报") % {"period": period.label},
        period_label=period.label,
        first_day=first_day,
        last_day=last_day,
        published_on=timezone.localdate(published_at),
        as_of=as_of,
        red_header=names.red_header,
        signature=names.signature,
        copy_to=names.copy_to,
        issued_by=names.issued_by,
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
        investment=investment,
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
        last_year=_last_year(period, investment.rate, last_year_rows),
        splits=(
            _split("construction", _("建设性质"), construction, schedule, fixed=tuple(
                (c, str(label)) for c, label in Construction.choices
            ), note=_("其中 %(n)d 个项目的快照发布时未记录建设性质，计入“未记录”。")),
            _split("category", _("项目类别"), category, schedule,
                   note=_("其中 %(n)d 个项目的快照发布时未记录项目类别，计入“未分类”。")),
            _split("funding", _("资金来源"), funding, schedule,
                   note=_("其中 %(n)d 个项目的快照发布时未记录资金来源，计入“未填”。")),
        ),
        behind=Behind(
            projects=tuple(lagging), investment=lag_investment, start=lag_start,
            share=Rate(len(lagging), total.projects, (b := percent(len(lagging), total.projects)),
                       _behind_explain(len(lagging), total.projects, b, lag_investment, lag_start)),
        ),
        progress_spread=_progress_spread(spread),
        lights=(
            CountRow(light_rules.RED, _("红灯"), light_count.get(light_rules.RED, 0)),
            CountRow(light_rules.YELLOW, _("黄灯"), light_count.get(light_rules.YELLOW, 0)),
            CountRow(light_rules.GREEN, _("绿灯"), light_count.get(light_rules.GREEN, 0)),
            *(
                (CountRow("", _("未亮灯"), unlit),)
                if (unlit := total.projects - sum(light_count.get(c, 0) for c in light_rules.SEVERITY)) else ()
            ),
        ),
        early_starts=tuple(p for p in started if p.early),
        early_completions=tuple(p for p in completed if p.early),
        narrative=narrative,
        sections=sections,
    )


def _behind_explain(lagging: int, projects: int, rate: Decimal | None, investment: int, start: int) -> str:
    if rate is None:
        return _("本期没有项目，不计算滞后项目占比")
    return _("滞后项目占比 = 滞后项目 %(n)d 个 ÷ 项目总数 %(total)d 个 = %(rate)s%%"
             "（投资滞后 %(investment)d 个、开工滞后 %(start)d 个，两者皆有的计一次）") % {
        "n": lagging, "total": projects, "rate": rate, "investment": investment, "start": start,
    }


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
