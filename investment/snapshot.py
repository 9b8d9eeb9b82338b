"""What a published month freezes of investment attraction (招商引资): the month's figures for the bulletin and
the ranking of units, one :class:`Attraction` per monthly period in the shared store (core.publication).

The ``investment.attraction`` builder (registered in InvestmentConfig.ready) writes it when the period is
published; a published month's ranking page and its bulletin section read it, never the live data. Before
publication the same figures are computed from the data as it stands (:func:`attraction_live`, the preview).
Only whole months are described (a half month, a quarter or a year has no such section); a district with
neither leads nor targets has nothing to freeze.

The month's figures, all as of the snapshot's ``as_of`` (the period's last day, or the day published if
earlier): new leads entered in the month; leads signed (count, amount, 亿元以上) and started (count,
amount) in the month and money arrived, each lead once, as the ranking's rules count it (a lead closed by
a collision ruling, or dropped, counts nothing); collisions ruled in the month and still open; and the
yellow and red leads (days without contact, ``rules.lead_light``) as they stood that day.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Count, Max, Q
from django.db.models.functions import Coalesce, TruncDate
from django.utils.translation import gettext_lazy

from core import clock
from core import publication as pub
from core.models import Period
from investment import rules, services
from investment import targets as tg
from investment.models import Collision, Contact, Lead, Target


def _money(value: Any) -> Decimal:
    parsed = pub.money_value(value)
    if parsed is None:
        raise ValueError("amount is required")
    return parsed


def _figure_data(f: tg.MetricFigure) -> pub.JSON:
    return {"metric": f.metric, "target": pub.money_text(f.target), "actual": pub.money_text(f.actual),
            "rate": None if f.rate is None else str(f.rate)}


def _figure(data: Mapping[str, Any]) -> tg.MetricFigure:
    metric = pub.text(data["metric"])
    if metric not in tg.METRICS:
        raise ValueError(f"unknown metric {metric!r}")
    rate = data["rate"]
    return tg.MetricFigure(metric, pub.money_value(data["target"]), _money(data["actual"]),
                           None if rate is None else Decimal(pub.text(rate)))


def _contribution_data(c: tg.Contribution) -> pub.JSON:
    return {"lead": c.lead_id, "enterprise": c.enterprise, "share": pub.money_text(c.share), "pending": c.pending,
            "figures": {m: pub.money_text(v) for m, v in c.figures.items()}}


def _contribution(data: Mapping[str, Any]) -> tg.Contribution:
    return tg.Contribution(
        lead_id=pub.integer(data["lead"]), enterprise=pub.text(data["enterprise"]), share=_money(data["share"]),
        pending=pub.flag(data["pending"]), figures={pub.text(m): _money(v) for m, v in dict(data["figures"]).items()},
    )


def _row_data(row: tg.RankRow) -> pub.JSON:
    return {"unit": row.unit_id, "name": row.unit_name, "rank": row.rank,
            "score": None if row.score is None else str(row.score),
            "figures": [_figure_data(f) for f in row.figures],
            "contributions": [_contribution_data(c) for c in row.contributions]}


def _row(data: Mapping[str, Any]) -> tg.RankRow:
    score = data["score"]
    return tg.RankRow(
        unit_id=pub.integer(data["unit"]), unit_name=pub.text(data["name"]), rank=pub.optional_integer(data["rank"]),
        score=None if score is None else Decimal(pub.text(score)),
        figures=tuple(_figure(f) for f in data["figures"]),
        contributions=tuple(_contribution(c) for c in data["contributions"]),
    )


@dataclass(frozen=True)
class MonthFigures:
    """The month's figures the bulletin says in words (see the module docstring)."""

    new_leads: int
    signed_count: int
    big_count: int
    signed_amount: Decimal
    signed_pending: int  # of the signed: leads in a collision not yet ruled
    started_count: int
    started_amount: Decimal
    funds_amount: Decimal
    collisions_resolved: int
    collisions_open: int
    stale_yellow: int
    stale_red: int
    yellow_days: int
    red_days: int


_INTS = ("new_leads", "signed_count", "big_count", "signed_pending", "started_count", "collisions_resolved",
         "collisions_open", "stale_yellow", "stale_red", "yellow_days", "red_days")
_MONEY = ("signed_amount", "started_amount", "funds_amount")


@pub.register
@dataclass(frozen=True)
class Attraction(pub.Snapshot):
    """A month of investment attraction as published: the month's figures, the district's year to date
    against the sum of the units' targets, and the ranking."""

    KIND = "investment.attraction"
    VERSION = 1

    year: int
    month: int
    as_of: dt.date
    schedule: Decimal  # 序时进度 on as_of, in %
    figures: MonthFigures
    totals: tuple[tg.MetricFigure, ...]  # the district, 1 January to as_of; target: the units' targets summed
    rows: tuple[tg.RankRow, ...]

    @property
    def ranking(self) -> tg.Ranking:
        return tg.Ranking(self.year, self.as_of, self.schedule, self.rows)

    def to_data(self) -> pub.JSON:
        figures = {name: getattr(self.figures, name) for name in _INTS}
        figures.update({name: pub.money_text(getattr(self.figures, name)) for name in _MONEY})
        return {
            "year": self.year, "month": self.month, "as_of": pub.date_text(self.as_of), "schedule": str(self.schedule),
            "figures": figures, "totals": [_figure_data(f) for f in self.totals],
            "rows": [_row_data(r) for r in self.rows],
        }

    @classmethod
    def parse(cls, data: Mapping[str, Any]) -> Attraction:
        raw = data["figures"]
        values: dict[str, Any] = {name: pub.integer(raw[name]) for name in _INTS}
        values.update({name: _money(raw[name]) for name in _MONEY})
        as_of = pub.date_value(data["as_of"])
        if as_of is None:
            raise ValueError("as_of is required")
        return cls(
            year=pub.integer(data["year"]), month=pub.integer(data["month"]), as_of=as_of,
            schedule=Decimal(pub.text(data["schedule"])), figures=MonthFigures(**values),
            totals=tuple(_figure(f) for f in data["totals"]), rows=tuple(_row(r) for r in data["rows"]),
        )


# --- computing it from the data ----------------------------------------------------------------------

def is_monthly(period: Period) -> bool:
    return period.kind == Period.Kind.MONTH and period.half == 0


def has_data() -> bool:
    """Whether the district has anything to say: a lead or a target."""
    return Lead.objects.exists() or Target.objects.exists()


def _stale(as_of: dt.date) -> tuple[int, int, rules.StaleThresholds]:
    """The yellow and red leads on ``as_of``: the leads entered by then, in the stage they were in then, by
    their last contact on or before that day. Today (a preview) the leads' own stage and last contact say it,
    counted in the database; a day past is rebuilt from the steps and the contacts."""
    thresholds = services.stale_thresholds()
    if as_of >= clock.today():
        return (*_stale_now(as_of, thresholds), thresholds)
    leads = list(Lead.objects.filter(created_at__date__lte=as_of).values_list("pk", "stage", "created_at"))
    stages = tg.stages_on([pk for pk, _s, _c in leads], as_of, {pk: stage for pk, stage, _c in leads})
    contacts = dict(Contact.objects.filter(date__lte=as_of).values("lead_id").annotate(last=Max("date"))
                    .values_list("lead_id", "last"))
    yellow = red = 0
    for pk, _stage, created_at in leads:
        light = rules.lead_light(stages[pk], last_contact_on=contacts.get(pk), entered_on=clock.local_date(created_at),
                                 as_of=as_of, thresholds=thresholds).light
        yellow += light == rules.YELLOW
        red += light == rules.RED
    return yellow, red, thresholds


def _stale_now(as_of: dt.date, thresholds: rules.StaleThresholds) -> tuple[int, int]:
    """``rules.lead_light`` in SQL for the leads as they stand: days since the last contact (or the entry)."""
    since = Coalesce("last_contact_on", TruncDate("created_at"))
    red_before = as_of - dt.timedelta(days=thresholds.red_days)
    yellow_before = as_of - dt.timedelta(days=thresholds.yellow_days)
    counts = (Lead.objects.filter(stage__in=rules.ASSESSED, created_at__date__lte=as_of).annotate(since=since)
              .aggregate(red=Count("pk", filter=Q(since__lte=red_before)),
                         yellow=Count("pk", filter=Q(since__lte=yellow_before, since__gt=red_before))))
    return counts["yellow"], counts["red"]


def month_figures(*, start: dt.date, end: dt.date) -> MonthFigures:
    leads = tg.lead_facts(start=start, end=end)
    collisions = tg.collisions_on(end)
    ids = {lead.id for lead in leads}
    credits = tg.lead_credits(leads, [c for c in collisions if c.lead_id in ids or c.existing_id in ids])
    counted = [lead for lead in leads if credits.get(lead.id)]
    pending = {lead.id for lead in counted if any(c.pending for c in credits[lead.id])}
    whole = {lead.id: tg.lead_figures(lead, start=start, end=end) for lead in counted}
    signed = [lead for lead in counted if whole[lead.id][tg.SIGNED_COUNT]]
    started = [lead for lead in counted if lead.started_on is not None and start <= lead.started_on <= end]
    resolved = Collision.objects.filter(state=Collision.State.RESOLVED, decided_at__date__gte=start,
                                        decided_at__date__lte=end).count()
    yellow, red, thresholds = _stale(end)
    return MonthFigures(
        new_leads=Lead.objects.filter(created_at__date__gte=start, created_at__date__lte=end).count(),
        signed_count=len(signed),
        big_count=sum(1 for lead in signed if whole[lead.id][tg.BIG_COUNT]),
        signed_amount=sum((whole[lead.id][tg.SIGNED_AMOUNT] for lead in signed), tg.ZERO),
        signed_pending=sum(1 for lead in signed if lead.id in pending),
        started_count=len(started),
        started_amount=sum((whole[lead.id][tg.STARTED_AMOUNT] for lead in started), tg.ZERO),
        funds_amount=sum((whole[lead.id][tg.FUNDS_AMOUNT] for lead in counted), tg.ZERO),
        collisions_resolved=resolved,
        collisions_open=sum(1 for c in collisions if not c.ruled),
        stale_yellow=yellow, stale_red=red, yellow_days=thresholds.yellow_days, red_days=thresholds.red_days,
    )


def district_totals(rows: Sequence[tg.RankRow]) -> tuple[tg.MetricFigure, ...]:
    """The district's year to date: the units' actuals summed, against the units' set targets summed."""
    result = []
    for index, metric in enumerate(tg.METRICS):
        actual = sum((row.figures[index].actual for row in rows), tg.ZERO)
        set_targets = [row.figures[index].target for row in rows if row.figures[index].target is not None]
        target = sum((t for t in set_targets if t is not None), tg.ZERO) if set_targets else None
        result.append(tg.metric_figure(metric, target, actual))
    return tuple(result)


def attraction_live(*, year: int, month: int, as_of: dt.date) -> Attraction:
    """The month ``year``-``month`` as of ``as_of`` from the data as it stands."""
    start = dt.date(year, month, 1)
    ranking = tg.ranking_live(as_of=as_of)
    return Attraction(
        year=year, month=month, as_of=as_of, schedule=ranking.schedule,
        figures=month_figures(start=start, end=as_of), totals=district_totals(ranking.rows), rows=ranking.rows,
    )


# --- the builder ------------------------------------------------------------------------------------------

def attraction_take(*, period: Period, as_of: dt.date, now: dt.datetime) -> int:
    """The ``investment.attraction`` builder: the month's :class:`Attraction` into the shared store (1), or
    nothing for a period that is not a whole month or a district with neither leads nor targets (0)."""
    with transaction.atomic():  # publishing holds one; a lone run (a test, a rebuild) gets its own
        pub.records_clear(period=period, schema=Attraction)
        if not is_monthly(period) or not has_data():
            return 0
        pub.record_write(period=period, snapshot=attraction_live(year=period.year, month=period.month, as_of=as_of))
        return 1


def read_attraction(period: Period) -> list[Attraction]:
    return [snapshot for _key, snapshot in pub.records_read(period, Attraction)]


BUILDER = pub.Builder(
    name="investment.attraction", schema=Attraction, build=attraction_take, read=read_attraction,
    step=gettext_lazy("正在冻结招商引资月度数据和单位排名"), order=60,
)


def attraction_for(period: Period) -> Attraction | None:
    """What a month of investment attraction says: for a published month its snapshot only (None when it
    froze nothing); before publication, computed from the data as it stands up to today or the month's end
    (None when the district has neither leads nor targets). None for a period that is not a whole month."""
    if not is_monthly(period):
        return None
    if period.is_frozen:
        stored = read_attraction(period)
        return stored[0] if stored else None
    if not has_data():
        return None
    as_of = min(clock.today(), period.last_day)
    return attraction_live(year=period.year, month=period.month, as_of=as_of)
