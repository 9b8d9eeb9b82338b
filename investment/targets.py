"""Investment targets and the monthly ranking of units (招商引资目标任务与月度排名).

The rules (pure functions, no ORM: tested on plain values) and the reads and the one write that feed them.

Actuals of a unit for a year, up to a date ``as_of`` (the window: 1 January to ``as_of``):

- 签约项目数: the leads signed in the window (``signed_on``); 亿元以上项目数 those of them signed for at least
  1 亿元 (10,000 万元); 签约额 the sum of their signed amounts.
- 开工额: the leads started in the window (``started_on``), each with its signed amount, or its intended
  investment when it has none.
- 到位资金: the money of the district's leads that arrived in the window (``Funds.on``).

A lead counts as it stood on ``as_of``: a lead dropped (终止) on or before that day counts nothing.

Credit and collisions (撞单). A lead counts for its source unit. When the office has ruled a collision
(``services.collision_rule``) the lead it kept is split between the two units by the ruling's shares (the
later lead's unit ``lead_share`` %, the first lead's unit ``existing_share`` %) and the other lead counts
nothing (it is closed), so a project is never counted twice. A collision not yet ruled on ``as_of`` leaves
each lead counted for its own unit, and the explanation says so. Shared credit makes counts fractional
(0.6 个): that is the share, not a rounding.

Progress. A target's completion rate is actual / target (``projects.rules.rate_percent``), compared with the
time-elapsed schedule (序时进度, ``projects.rules.schedule_percent``: whole months passed / 12). A blank target
is not set: the unit is not measured on it; a target of 0 gives no rate.

Score and rank. A unit's score is the mean of the completion rates of its set targets (above 0), each capped
at ``RATE_CAP`` (150%) so one overshoot cannot hide the rest. Units are ranked by score, highest first;
equal scores share a rank and are listed by name. A unit without a target set is listed as 未下达目标 and
not ranked.
"""
from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Final

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from audit.services import audit_record, audit_snapshot
from core import clock
from core.policies import can
from investment import rules
from investment.models import Collision, Funds, Lead, StageChange, Target
from org.models import Unit
from projects.rules import rate_percent, schedule_percent

SIGNED_COUNT: Final = "signed_count"
BIG_COUNT: Final = "big_count"
SIGNED_AMOUNT: Final = "signed_amount"
STARTED_AMOUNT: Final = "started_amount"
FUNDS_AMOUNT: Final = "funds_amount"
# In the order pages, tables and explanations show them.
METRICS: Final = (SIGNED_COUNT, BIG_COUNT, SIGNED_AMOUNT, STARTED_AMOUNT, FUNDS_AMOUNT)
COUNTS: Final = frozenset({SIGNED_COUNT, BIG_COUNT})
_LABELS: Final = {
    SIGNED_COUNT: gettext_noop("签约项目数"), BIG_COUNT: gettext_noop("亿元以上项目数"),
    SIGNED_AMOUNT: gettext_noop("签约额"), STARTED_AMOUNT: gettext_noop("开工额"),
    FUNDS_AMOUNT: gettext_noop("到位资金"),
}

BIG_PROJECT: Final = Decimal(10000)  # 万元: 1 亿元
RATE_CAP: Final = Decimal(150)
HUNDRED: Final = Decimal(100)
ZERO: Final = Decimal(0)
_TENTH: Final = Decimal("0.1")
_CENT: Final = Decimal("0.01")


def label(metric: str) -> str:
    return _(_LABELS[metric])


# --- pure: the facts ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class LeadFacts:
    """A lead as it stood on the day measured."""

    id: int
    enterprise: str
    unit_id: int
    stage: str
    signed_on: dt.date | None = None
    signed_amount: Decimal | None = None
    intended_investment: Decimal | None = None
    started_on: dt.date | None = None
    funds: Decimal = ZERO  # arrived in the window


@dataclass(frozen=True)
class CollisionFacts:
    """A collision as it stood on the day measured: ``ruled`` when the office had ruled it by then."""

    lead_id: int
    existing_id: int
    lead_unit_id: int
    existing_unit_id: int
    ruled: bool
    keeper_id: int | None = None
    lead_share: Decimal | None = None
    existing_share: Decimal | None = None


@dataclass(frozen=True)
class Credit:
    """The part of a lead's figures a unit is credited with: ``share`` in %; ``pending`` when the lead is in a
    collision not yet ruled (counted for its own unit meanwhile)."""

    lead_id: int
    unit_id: int
    share: Decimal
    pending: bool = False


def lead_credits(leads: Iterable[LeadFacts], collisions: Iterable[CollisionFacts]) -> dict[int, list[Credit]]:
    """Which units each lead counts for, and how much (see the module docstring). A lead that counts nothing
    (dropped, or closed by a ruling) is absent."""
    by_id = {lead.id: lead for lead in leads}
    given: dict[int, dict[int, Decimal]] = defaultdict(dict)  # keeper lead -> other unit -> share given away
    closed: set[int] = set()
    pending: set[int] = set()
    for collision in collisions:
        if not collision.ruled:
            pending.update((collision.lead_id, collision.existing_id))
            continue
        if collision.keeper_id not in (collision.lead_id, collision.existing_id):
            continue
        keeper_is_later = collision.keeper_id == collision.lead_id
        closed.add(collision.existing_id if keeper_is_later else collision.lead_id)
        other_unit = collision.existing_unit_id if keeper_is_later else collision.lead_unit_id
        other_share = (collision.existing_share if keeper_is_later else collision.lead_share) or ZERO
        shares = given[collision.keeper_id]
        shares[other_unit] = shares.get(other_unit, ZERO) + other_share
    result: dict[int, list[Credit]] = {}
    for lead in by_id.values():
        if lead.stage == rules.DROPPED or lead.id in closed:
            continue
        away = given.get(lead.id, {})
        # A ruling between two leads of the same unit gives nothing away.
        away = {unit: share for unit, share in away.items() if unit != lead.unit_id and share > 0}
        own = max(ZERO, HUNDRED - sum(away.values(), ZERO))
        credits: list[Credit] = []
        if own > 0:
            credits.append(Credit(lead.id, lead.unit_id, own, pending=lead.id in pending))
        credits.extend(Credit(lead.id, unit, min(share, HUNDRED), pending=lead.id in pending)
                       for unit, share in sorted(away.items()))
        result[lead.id] = credits
    return result


def lead_figures(lead: LeadFacts, *, start: dt.date, end: dt.date) -> dict[str, Decimal]:
    """What a whole lead adds to each metric in the window ``start``–``end`` (before any share)."""
    figures = dict.fromkeys(METRICS, ZERO)
    if lead.signed_on is not None and start <= lead.signed_on <= end:
        amount = lead.signed_amount or ZERO
        figures[SIGNED_COUNT] = Decimal(1)
        figures[BIG_COUNT] = Decimal(1) if amount >= BIG_PROJECT else ZERO
        figures[SIGNED_AMOUNT] = amount
    if lead.started_on is not None and start <= lead.started_on <= end:
        figures[STARTED_AMOUNT] = lead.signed_amount or lead.intended_investment or ZERO
    figures[FUNDS_AMOUNT] = lead.funds
    return figures


@dataclass(frozen=True)
class Contribution:
    """One lead's part in a unit's actuals: the figures credited (after the share)."""

    lead_id: int
    enterprise: str
    share: Decimal
    pending: bool
    figures: Mapping[str, Decimal]


@dataclass
class Actuals:
    unit_id: int
    values: dict[str, Decimal] = field(default_factory=lambda: dict.fromkeys(METRICS, ZERO))
    contributions: list[Contribution] = field(default_factory=list)


def unit_actuals(
    leads: Sequence[LeadFacts], collisions: Iterable[CollisionFacts], *, start: dt.date, end: dt.date
) -> dict[int, Actuals]:
    """Each unit's actuals in the window, with the leads that make them up."""
    credits = lead_credits(leads, collisions)
    result: dict[int, Actuals] = {}
    for lead in leads:
        whole = lead_figures(lead, start=start, end=end)
        if not any(whole.values()):
            continue
        for credit in credits.get(lead.id, ()):
            part = {metric: value * credit.share / HUNDRED for metric, value in whole.items() if value}
            actuals = result.setdefault(credit.unit_id, Actuals(credit.unit_id))
            for metric, value in part.items():
                actuals.values[metric] += value
            actuals.contributions.append(Contribution(lead.id, lead.enterprise, credit.share, credit.pending, part))
    for actuals in result.values():
        actuals.values = {metric: value.quantize(_CENT, rounding=ROUND_HALF_UP)
                          for metric, value in actuals.values.items()}
        actuals.contributions.sort(key=lambda c: (c.enterprise, c.lead_id))
    return result


# --- pure: progress, score and rank ------------------------------------------------------------------

def number_words(value: Decimal) -> str:
    """A count or a rate without trailing zeros: 3, 2.6."""
    value = value.quantize(_CENT, rounding=ROUND_HALF_UP)
    text = format(value.normalize(), "f")
    return text


def money_words(wan: Decimal) -> str:
    """Money as a bulletin says it: 亿元 from 1 亿元 up (two decimals at most), 万元 below."""
    if abs(wan) >= BIG_PROJECT:
        return _("%(amount)s 亿元") % {"amount": number_words(wan / BIG_PROJECT)}
    return _("%(amount)s 万元") % {"amount": number_words(wan)}


def amount_words(metric: str, value: Decimal) -> str:
    if metric in COUNTS:
        return _("%(count)s 个") % {"count": number_words(value)}
    return money_words(value)


@dataclass(frozen=True)
class MetricFigure:
    """One metric of a unit: the target (None: not set), the actual and the completion rate in % (None: no
    target above 0)."""

    metric: str
    target: Decimal | None
    actual: Decimal
    rate: Decimal | None


def metric_figure(metric: str, target: Decimal | None, actual: Decimal) -> MetricFigure:
    return MetricFigure(metric, target, actual, rate_percent(actual, target) if target else None)


def progress_words(figure: MetricFigure, schedule: Decimal) -> str:
    """The figure in a sentence: "签约额 3.2 亿元，完成年度目标 5 亿元的 64.0%，序时进度 83.3%，落后 19.3 个百分点"."""
    values = {"label": label(figure.metric), "actual": amount_words(figure.metric, figure.actual),
              "schedule": schedule}
    if figure.target is None:
        return _("%(label)s %(actual)s，未下达年度目标") % values
    values["target"] = amount_words(figure.metric, figure.target)
    if figure.rate is None:
        return _("%(label)s %(actual)s，年度目标为 %(target)s，不计完成率") % values
    values["rate"] = figure.rate
    gap = figure.rate - schedule
    if gap > 0:
        values["gap"] = gap
        return _("%(label)s %(actual)s，完成年度目标 %(target)s的 %(rate)s%%，序时进度 %(schedule)s%%，"
                 "超前 %(gap)s 个百分点") % values
    if gap < 0:
        values["gap"] = -gap
        return _("%(label)s %(actual)s，完成年度目标 %(target)s的 %(rate)s%%，序时进度 %(schedule)s%%，"
                 "落后 %(gap)s 个百分点") % values
    return _("%(label)s %(actual)s，完成年度目标 %(target)s的 %(rate)s%%，与序时进度 %(schedule)s%% 持平") % values


def score(figures: Iterable[MetricFigure]) -> Decimal | None:
    """The mean of the rates of the targets set above 0, each capped at RATE_CAP, one decimal; None without any."""
    rates = [min(f.rate, RATE_CAP) for f in figures if f.rate is not None]
    if not rates:
        return None
    return (sum(rates, ZERO) / len(rates)).quantize(_TENTH, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class RankRow:
    """A unit's line of the ranking. ``rank`` None: not ranked (no target set above 0)."""

    unit_id: int
    unit_name: str
    rank: int | None
    score: Decimal | None
    figures: tuple[MetricFigure, ...]
    contributions: tuple[Contribution, ...] = ()

    @property
    def ranked(self) -> bool:
        return self.rank is not None

    @property
    def pending(self) -> int:
        """Leads counted here while a collision of theirs waits for the office's ruling."""
        return sum(1 for c in self.contributions if c.pending)


@dataclass(frozen=True)
class UnitInput:
    unit_id: int
    name: str
    targets: Mapping[str, Decimal | None]
    actuals: Mapping[str, Decimal]
    contributions: tuple[Contribution, ...] = ()


def rank_units(units: Iterable[UnitInput]) -> list[RankRow]:
    """The ranking: ranked units by score (equal scores share a rank, listed by name), then the unranked by
    name."""
    rows = []
    for unit in units:
        figures = tuple(metric_figure(m, unit.targets.get(m), unit.actuals.get(m, ZERO)) for m in METRICS)
        rows.append((unit, figures, score(figures)))
    ranked = sorted((r for r in rows if r[2] is not None), key=lambda r: (-(r[2] or ZERO), r[0].name, r[0].unit_id))
    result: list[RankRow] = []
    previous: Decimal | None = None
    rank = 0
    for index, (unit, figures, value) in enumerate(ranked, start=1):
        if value != previous:
            rank, previous = index, value
        result.append(RankRow(unit.unit_id, unit.name, rank, value, figures, unit.contributions))
    for unit, figures, _value in sorted((r for r in rows if r[2] is None), key=lambda r: (r[0].name, r[0].unit_id)):
        result.append(RankRow(unit.unit_id, unit.name, None, None, figures, unit.contributions))
    return result


def row_words(row: RankRow, schedule: Decimal, *, count: int) -> list[str]:
    """Why the row stands where it stands, a sentence per line: the rank and the score, each metric, and the
    leads counted pending a collision ruling. ``count``: the units ranked."""
    lines: list[str] = []
    if row.rank is None:
        lines.append(_("未下达目标（或目标均为 0），不参与排名。"))
    else:
        rated = [f for f in row.figures if f.rate is not None]
        capped = [label(f.metric) for f in rated if f.rate is not None and f.rate > RATE_CAP]
        text = _("第 %(rank)s 名（共 %(count)s 个单位参与排名），得分 %(score)s：%(n)s 项已下达目标完成率的平均值"
                 "（单项最高按 %(cap)s%% 计）。") % {"rank": row.rank, "count": count, "score": row.score,
                                              "n": len(rated), "cap": RATE_CAP}
        if capped:
            text += _("其中%(metrics)s超过 %(cap)s%%，按 %(cap)s%% 计。") % {"metrics": "、".join(capped),
                                                                            "cap": RATE_CAP}
        lines.append(text)
    lines.extend(progress_words(f, schedule) + _("。") for f in row.figures)
    if row.pending:
        lines.append(_("其中 %(n)s 条线索涉及待裁定的撞单，暂计入本单位，裁定后按分成比例计算。") % {"n": row.pending})
    return lines


def rules_in_words() -> list[str]:
    """The rules of the targets and the ranking, as the pages show them."""
    return [
        _("签约项目数、亿元以上项目数（签约额 1 亿元及以上）、签约额按签约日期计入当年；开工额按开工日期计入当年，"
          "取签约额，未填签约额的取意向投资额；到位资金按到位日期计入。已终止的线索不计。"),
        _("撞单经项目办裁定后，保留线索的实绩按裁定的分成比例计入两个单位，另一条线索终止、不再计算，一个项目只计一次；"
          "待裁定的撞单暂按各自单位计算，并注明。"),
        _("完成率 = 实绩 ÷ 年度目标；序时进度 = 已过完整月数 ÷ 12。未填写的目标视为未下达，不考核该项。"),
        score_rule(),
    ]


def score_rule() -> str:
    """How the score and the rank are made, in words (the ranking page's rules and the bulletin's table)."""
    return _("得分 = 各项已下达目标（大于 0）完成率的平均值，单项完成率最高按 %(cap)s%% 计；按得分从高到低排名，"
             "得分相同的名次并列、按单位名称排列；未下达目标的单位不参与排名。") % {"cap": RATE_CAP}


# --- reads --------------------------------------------------------------------------------------------

def stages_on(lead_ids: Iterable[int], day: dt.date, current: Mapping[int, str]) -> dict[int, str]:
    """Each lead's stage as it stood on ``day``, from its steps (StageChange): the last step taken on or before
    the day, else the stage it started in; a lead without steps is in its current stage."""
    result = dict(current)
    first: dict[int, str] = {}
    last: dict[int, str] = {}
    steps = (StageChange.objects.filter(lead_id__in=list(lead_ids))
             .order_by("lead_id", "on", "created_at", "pk").values_list("lead_id", "from_stage", "to_stage", "on"))
    for lead_id, from_stage, to_stage, on in steps:
        first.setdefault(lead_id, from_stage)
        if on <= day:
            last[lead_id] = to_stage
    for lead_id, stage in first.items():
        result[lead_id] = last.get(lead_id, stage)
    return result


def collisions_on(day: dt.date, lead_ids: set[int] | None = None) -> list[CollisionFacts]:
    """The collisions entered by ``day`` and not dismissed by then, ruled or not as they stood that day."""
    rows = (Collision.objects.exclude(state=Collision.State.DISMISSED, decided_at__date__lte=day)
            .select_related("lead", "existing"))
    result = []
    for c in rows:
        if clock.local_date(c.created_at) > day:
            continue
        if c.state == Collision.State.DISMISSED and c.decided_at is not None and clock.local_date(c.decided_at) <= day:
            continue
        ruled = (c.state == Collision.State.RESOLVED and c.decided_at is not None
                 and clock.local_date(c.decided_at) <= day)
        if lead_ids is not None and c.lead_id not in lead_ids and c.existing_id not in lead_ids:
            continue
        result.append(CollisionFacts(
            lead_id=c.lead_id, existing_id=c.existing_id, lead_unit_id=c.lead.source_unit_id,
            existing_unit_id=c.existing.source_unit_id, ruled=ruled,
            keeper_id=c.keeper_id if ruled else None, lead_share=c.lead_share if ruled else None,
            existing_share=c.existing_share if ruled else None,
        ))
    return result


def lead_facts(*, start: dt.date, end: dt.date) -> list[LeadFacts]:
    """The district's leads that may count in ``start``–``end``, as they stood on ``end``."""
    funds: dict[int, Decimal] = defaultdict(lambda: ZERO)
    for lead_id, amount in Funds.objects.filter(on__gte=start, on__lte=end).values_list("lead_id", "amount"):
        funds[lead_id] += amount
    rows = list(
        Lead.objects.filter(Q(signed_on__gte=start, signed_on__lte=end) | Q(started_on__gte=start, started_on__lte=end)
                            | Q(pk__in=list(funds)))
        .values_list("pk", "enterprise", "source_unit_id", "stage", "signed_on", "signed_amount",
                     "intended_investment", "started_on")
    )
    stages = stages_on([r[0] for r in rows], end, {r[0]: r[3] for r in rows})
    return [
        LeadFacts(id=pk, enterprise=name, unit_id=unit_id, stage=stages[pk], signed_on=signed_on,
                  signed_amount=signed_amount, intended_investment=intended,
                  started_on=started_on if started_on is not None and started_on <= end else None,
                  funds=funds.get(pk, ZERO))
        for pk, name, unit_id, _stage, signed_on, signed_amount, intended, started_on in rows
    ]


def year_start(day: dt.date) -> dt.date:
    return dt.date(day.year, 1, 1)


def targets_of(year: int) -> dict[int, Target]:
    return {t.unit_id: t for t in Target.objects.filter(year=year).select_related("updated_by")}


def target_values(target: Target | None) -> dict[str, Decimal | None]:
    if target is None:
        return dict.fromkeys(METRICS)
    return {m: None if getattr(target, m) is None else Decimal(getattr(target, m)) for m in METRICS}


@dataclass(frozen=True)
class Ranking:
    year: int
    as_of: dt.date
    schedule: Decimal
    rows: tuple[RankRow, ...]

    @property
    def ranked_count(self) -> int:
        return sum(1 for r in self.rows if r.ranked)


def ranking_live(*, as_of: dt.date) -> Ranking:
    """The ranking of the year of ``as_of`` from the data as it stands: the units with a target for the year
    and the units credited anything in it."""
    start = year_start(as_of)
    leads = lead_facts(start=start, end=as_of)
    collisions = collisions_on(as_of, {lead.id for lead in leads})
    actuals = unit_actuals(leads, collisions, start=start, end=as_of)
    targets = targets_of(as_of.year)
    unit_ids = set(actuals) | {uid for uid, t in targets.items()
                               if any(v is not None for v in target_values(t).values())}
    units = {u.pk: u.name for u in Unit.objects.filter(pk__in=unit_ids)}
    inputs = [
        UnitInput(uid, units[uid], target_values(targets.get(uid)),
                  actuals[uid].values if uid in actuals else dict.fromkeys(METRICS, ZERO),
                  tuple(actuals[uid].contributions) if uid in actuals else ())
        for uid in units
    ]
    return Ranking(as_of.year, as_of, schedule_percent(as_of), tuple(rank_units(inputs)))


# --- the one write: a unit's targets ---------------------------------------------------------------------

@transaction.atomic
def target_save(
    *, by: Any, unit: Unit, year: int, values: Mapping[str, Decimal | int | None], version: int | None = None,
    source: str = "form",
) -> Target | None:
    """Set ``unit``'s targets for ``year`` (``values`` by metric; None: not set). ``version``: the one the page
    showed (0 for a unit that had none); a save over a newer change is refused. Audited; the saved target, or
    None when nothing changed."""
    if not can(by, "investment.targets_edit"):
        raise PermissionDenied
    stored = Target.objects.select_for_update().filter(year=year, unit=unit).first()
    stored_version = stored.version if stored is not None else 0
    if version is not None and version != stored_version:
        raise ValidationError(_("%(unit)s的目标刚被他人修改，您的修改未保存，请刷新页面后再改。") % {"unit": unit},
                              code="stale")
    target = stored or Target(year=year, unit=unit)
    before = audit_snapshot(stored)
    for metric in METRICS:
        setattr(target, metric, values.get(metric))
    target.full_clean(exclude=["updated_by"], validate_unique=False)
    if stored is not None and audit_snapshot(target) == before:
        return None
    if stored is None and all(values.get(m) is None for m in METRICS):
        return None
    if stored is not None:
        target.version = stored.version + 1
    target.updated_by = by if getattr(by, "pk", None) else None
    target.save()
    audit_record(by=by, instance=target, before=before, source=source)
    return target
