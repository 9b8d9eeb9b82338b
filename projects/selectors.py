"""Reads of the ledger: the list with its filters, sorts and totals, and one project's page.

The ledger's per-year figures (plan, year-to-date) come from ``ProjectYear``, one row per project
and year kept by the services, so that sorting and totalling a province does not sum its reports.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core.paginator import Page, Paginator
from django.db.models import Case, Count, F, IntegerField, Q, QuerySet, Sum, Value, When
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils.html import format_html_join
from django.utils.translation import pgettext

from org.models import User
from projects import rules, services
from projects.forms import NO, UNSET, YES, LedgerFilterForm
from projects.importing.values import fold
from projects.models import (
    ZERO,
    AnnualPlan,
    LedgerState,
    Level,
    Light,
    Milestone,
    OpeningBalance,
    Project,
    ProjectCategory,
    ProjectChange,
    ProjectType,
    Stage,
)
from projects.templatetags.diaodu_format import format_rate, money_filter

PAGE_SIZE = 50

# ?sort= → what the ledger orders by (annotations of ``ledger_queryset`` or of ``ledger_sorted``).
SORTS = {
    "code": "code",
    "name": "initials",
    "total": "total_investment",
    "plan": "plan_amount",
    "ytd": "invested_ytd",
    "start": "planned_start",
    "light": "light_rank",
    "stage": "stage_rank",
    "rate": "year_rate",
}

# Sorts by a yearly figure, served by walking ``ProjectYear``'s (year, figure) indexes; see ``_page_ids``.
FROM_INDEX = {"ytd": "year_row__invested_ytd", "plan": "year_row__plan", "rate": "year_row__rate"}
# How far into the projects with a positive figure a page is found by walking the index, from either end;
# between the two, the page is found by sorting every listed project.
INDEX_WALK_ROWS = 25_000


@dataclass(frozen=True)
class IndexBlock:
    """Where the projects with a figure above zero sit in the ledger's order by that figure.

    By year-to-date ascending the others (nothing invested, no row) come first; by plan ascending
    the zero plans come first and the projects without a plan last; descending, they come first.
    Counted with the totals, so that a page wholly inside the block is read from the index.
    """

    before: int  # rows listed before the block
    count: int  # projects with a figure above zero


def ledger_filters(form: LedgerFilterForm) -> dict[str, Any]:
    """The filters whose values are valid. One bad value (an old bookmark naming a unit since
    deactivated, a mistyped year) drops that filter only, not all of them; the form says why."""
    form.is_valid()
    return getattr(form, "cleaned_data", {})


def ledger_year(form: LedgerFilterForm) -> int:
    """The year the ledger's figures are for: the filter's, else this year. Shared with the Excel export."""
    year = ledger_filters(form).get("year")
    return int(year) if year else services.today().year


def ledger_queryset(user: User, form: LedgerFilterForm, year: int) -> QuerySet[Project]:
    """The user's projects filtered by the ledger form, with the year's ``plan_amount`` and
    ``invested_ytd`` from ``ProjectYear``; shared by the page and the Excel export."""
    qs = Project.objects.visible_to(user)
    data = ledger_filters(form)
    state = data.get("ledger_state")
    if state == LedgerState.WITHDRAWN:
        qs = qs.filter(ledger_state=LedgerState.WITHDRAWN)
    elif state == "all":
        qs = qs.filter(ledger_state__in=[LedgerState.ACTIVE, LedgerState.WITHDRAWN])
    else:
        qs = qs.in_ledger()
    if q := (data.get("q") or "").strip():
        qs = qs.filter(
            Q(name__icontains=q) | Q(code__icontains=q) | Q(initials__contains=q.lower())
            | Q(search_name__contains=fold(q))
        )
    for name in ("level", "project_type", "stage", "light"):
        if data.get(name):
            qs = qs.filter(**{name: data[name]})
    if data.get("lead_unit"):
        qs = qs.filter(lead_unit=data["lead_unit"])
    if data.get("town"):
        qs = qs.filter(town=data["town"])
    if data.get("leader"):
        qs = qs.filter(responsible_leader=data["leader"])
    for name, field in (("category", "category"), ("funding", "funding_source")):
        # The form checked the value against its list: UNSET (未分类 / 未填) or the id of a row.
        if value := data.get(name):
            qs = qs.filter(**{f"{field}__isnull": True}) if value == UNSET else qs.filter(**{f"{field}_id": int(value)})
    if data.get("livelihood") == YES:
        qs = qs.filter(livelihood_q())
    elif data.get("livelihood") == NO:
        qs = qs.exclude(livelihood_q())
    return qs.with_year_figures(year)


def livelihood_q() -> Q:
    """民生实事 projects: flagged themselves (a list's 民生实事 column, the form's box) or in a category that counts
    as 民生实事. The category is read through a subquery, not a join, so the ledger's aggregate and index walk
    read the same rows as without the filter."""
    return Q(livelihood=True) | Q(category__in=ProjectCategory.objects.filter(livelihood=True).values("pk"))


@dataclass(frozen=True)
class LedgerTotals:
    count: int
    total: Decimal | None
    plan: Decimal
    ytd: Decimal
    light_counts: dict[str, int]
    block: IndexBlock | None = None  # for a sort by plan or year-to-date

    @property
    def rate(self) -> Decimal | None:
        """Rounded as the light rule rounds, so the totals and a project's reasons agree."""
        return rules.investment_rate(self.ytd, self.plan) if self.plan else None

    def as_context(self) -> dict[str, Any]:
        return {"total": self.total, "plan": self.plan, "ytd": self.ytd, "rate": self.rate}


def ledger_totals(qs: QuerySet[Project], *, sort: str = "") -> LedgerTotals:
    """Count, total investment, light counts, plan and year-to-date of every listed project: one
    aggregate over the projects and their ``ProjectYear`` rows, under the ledger's own filters.
    Sorted by plan or year-to-date, the same aggregate places the block ``_page_ids`` walks."""
    column = FROM_INDEX.get(sort.lstrip("-"))
    extra: dict[str, Any] = {}
    if column is not None:
        extra["positive"] = Count("pk", filter=Q(**{f"{column}__gt": 0}))
        if sort in {"plan", "rate"}:
            extra["zero"] = Count("pk", filter=Q(**{f"{column}__lte": 0}))
    figures = qs.aggregate(
        count=Count("pk"),
        total=Sum("total_investment"),
        plan=Coalesce(Sum("year_row__plan"), Value(ZERO)),
        ytd=Coalesce(Sum("year_row__invested_ytd"), Value(ZERO)),
        **{f"light_{code}": Count("pk", filter=Q(light=code)) for code in rules.SEVERITY},
        **extra,
    )
    block = None
    if column is not None:
        positive = figures["positive"]
        before = {"ytd": figures["count"] - positive, "plan": figures.get("zero", 0),
                  "rate": figures.get("zero", 0)}.get(sort, 0)
        block = IndexBlock(before=before, count=positive)
    return LedgerTotals(
        count=figures["count"],
        total=figures["total"],
        plan=figures["plan"],
        ytd=figures["ytd"],
        light_counts={code: figures[f"light_{code}"] for code in rules.SEVERITY if figures[f"light_{code}"]},
        block=block,
    )


def ledger_sorted(qs: QuerySet[Project], sort: str) -> QuerySet[Project]:
    """``qs`` in the order ``?sort=`` asks (a leading ``-`` for descending), then by code; empty
    values last either way, on SQLite as on PostgreSQL. An unknown sort is by code."""
    key = SORTS.get(sort.lstrip("-"), "code")
    if key == "light_rank":
        qs = qs.annotate(
            light_rank=Case(
                *[When(light=code, then=Value(rank)) for code, rank in rules.SEVERITY.items()],
                output_field=IntegerField(),
            )
        )
    elif key == "stage_rank":
        # The stages' own order (谋划 → 投产), not the alphabetical order of their codes.
        qs = qs.annotate(
            stage_rank=Case(
                *[When(stage=code, then=Value(rank)) for rank, code in enumerate(rules.STAGES)],
                output_field=IntegerField(),
            )
        )
    elif key == "year_rate":
        # 完成率, kept unrounded in ProjectYear (none without a plan above zero, so those sort last).
        qs = qs.alias(year_rate=F("year_row__rate"))
    order = F(key).desc(nulls_last=True) if sort.startswith("-") else F(key).asc(nulls_last=True)
    return qs.order_by(order, "code")


def ledger_page(
    qs: QuerySet[Project], *, year: int, sort: str, number: Any, count: int, block: IndexBlock | None = None
) -> Page[Any]:
    """Page ``number`` of ``qs`` in the ``sort`` order, ``count`` rows in all (from ``ledger_totals``,
    as ``block``, where the projects with a plan or year-to-date above zero sit).

    Two steps: the order is decided over the narrow columns it needs (PostgreSQL can read them from
    the covering indexes), then only the page's 50 projects are read whole, with their units and
    leader. Sorting whole rows of a province is what made the ledger slow.
    """
    paginator = Paginator(ledger_sorted(qs, sort).values_list("pk", flat=True), PAGE_SIZE)
    vars(paginator)["count"] = count  # a cached property; counted by the totals already
    page = paginator.get_page(number)
    ids = _page_ids(qs, sort, (page.number - 1) * PAGE_SIZE, count, block)
    rows = {
        project.pk: project
        for project in Project.objects.filter(pk__in=ids).with_year_figures(year)
        .select_related("lead_unit", "town", "responsible_leader")
    }
    listed: list[Any] = [rows[pk] for pk in ids if pk in rows]
    page.object_list = listed
    return page


def ledger_rows(projects: list[Any], *, user: User) -> list[dict[str, Any]]:
    """The page's rows as the table shows them: labels, links and figures formatted once here.

    Each row also keeps its ``rate`` on the project (rounded as the light rule rounds it, so the
    ledger and a project's reasons agree). Rendering 50 rows through per-cell filters, ``{% url %}``
    and ``get_FOO_display`` took longer than reading them.
    """
    labels = {
        "level": {code: str(label) for code, label in Level.choices},
        "type": {code: str(label) for code, label in ProjectType.choices},
        "stage": {code: str(label) for code, label in Stage.choices},
        "light": {code: str(label) for code, label in Light.choices},
    }
    detail = reverse("projects:detail", args=[0])  # one reverse; each row swaps its own pk in
    head, tail = detail.rsplit("/0/", 1)
    separator = pgettext("list separator", "；")
    rows = []
    for p in projects:
        p.rate = rules.investment_rate(p.invested_ytd, p.plan_amount) if p.plan_amount else None
        leader = p.responsible_leader
        rows.append({
            "project": p,
            "pk": p.pk,
            "url": f"{head}/{p.pk}/{tail}",
            "code": p.code,
            "name": p.name,
            "withdrawn": p.ledger_state == LedgerState.WITHDRAWN,
            "light": p.light,
            "light_label": labels["light"].get(p.light, p.light),
            "level": labels["level"].get(p.level, p.level),
            "type": labels["type"].get(p.project_type, p.project_type),
            "stage": labels["stage"].get(p.stage, p.stage),
            "lead_unit": str(p.lead_unit),
            "town": str(p.town) if p.town else "",
            "leader": str(leader) if leader else "",
            "mine": leader is not None and leader.pk == user.pk,
            "total": money_filter(p.total_investment),
            "plan": money_filter(p.plan_amount),
            "ytd": money_filter(p.invested_ytd),
            "rate": format_rate(p.rate),
            "reasons": format_html_join(
                separator, '<span class="reason-{}">{}</span>', ((light, text) for light, text in p.alert_reasons)
            ),
        })
    return rows


def _page_ids(qs: QuerySet[Project], sort: str, offset: int, count: int, block: IndexBlock | None) -> list[Any]:
    """The ids of the page starting at ``offset`` in the ``sort`` order, in one query.

    By plan or year-to-date, a page inside the block of projects with a positive figure comes from
    the ``(year, figure)`` index of ``ProjectYear``: walk it from the block's nearer end (from the
    far end, the rows are read in reverse and turned round) and stop after the page, instead of
    joining and sorting every project. A page wholly outside the block sorts only the projects
    outside it. A page across the block's edge, one deeper than ``INDEX_WALK_ROWS`` from both ends,
    and the other sorts sort every listed project.
    """
    end = min(offset + PAGE_SIZE, count)
    column = FROM_INDEX.get(sort.lstrip("-"))
    if column is None or block is None or end <= offset:
        return _sorted_ids(qs, sort, offset, offset + PAGE_SIZE)
    # Through an alias: a filter naming ``year_row__…`` itself would join ProjectYear a second time.
    qs = qs.alias(figure=F(column))
    start, stop = block.before, block.before + block.count
    if end <= start or offset >= stop:
        rest = qs.filter(Q(figure__lte=0) | Q(figure__isnull=True))
        skip = offset if end <= start else offset - block.count
        return _sorted_ids(rest, sort, skip, skip + end - offset)
    if not (start <= offset and end <= stop):
        return _sorted_ids(qs, sort, offset, end)
    first, last = offset - start, end - start  # within the block
    positive = qs.filter(figure__gt=0)
    descending = sort.startswith("-")
    if last <= INDEX_WALK_ROWS:
        order: tuple[Any, ...] = (F("figure").desc() if descending else F("figure").asc(), "code")
        return list(positive.order_by(*order).values_list("pk", flat=True)[first:last])
    if block.count - first <= INDEX_WALK_ROWS:
        order = (F("figure").asc() if descending else F("figure").desc(), F("code").desc())
        ids = list(positive.order_by(*order).values_list("pk", flat=True)[block.count - last : block.count - first])
        return ids[::-1]
    return _sorted_ids(qs, sort, offset, end)


def _sorted_ids(qs: QuerySet[Project], sort: str, start: int, stop: int) -> list[Any]:
    return list(ledger_sorted(qs, sort).values_list("pk", flat=True)[start:stop])


# --- one project ----------------------------------------------------------------------------

@dataclass(frozen=True)
class ProjectFigures:
    """What the project page shows, from one read each of its milestones, plans and reports."""

    milestones: list[Milestone]
    plans: list[AnnualPlan]
    light: rules.LightResult
    progress_rows: list[dict[str, Any]]
    plan: Decimal | None
    ytd: Decimal
    since_start: Decimal
    reported: bool  # any month reported, in any year
    openings: list[OpeningBalance]  # every year's opening balance (开账), by year
    opening: OpeningBalance | None  # the shown year's


def project_figures(project: Project, *, year: int, as_of: dt.date) -> ProjectFigures:
    """The light (as of ``as_of``), the year's progress table, plan and year-to-date, and since-start
    investment of one project, in three queries whatever the number of months and milestones."""
    milestones = list(project.milestones.all())
    plans = list(project.plans.order_by("year"))
    reports = list(project.reports.order_by("year", "month", "half"))
    openings = list(project.openings.select_related("entered_by").order_by("year"))
    light = services.project_light_of(
        project, milestones=milestones, plans=plans, reports=reports, as_of=as_of, openings=openings
    )
    plan = next((p.amount for p in plans if p.year == year), None)
    opening = next((o for o in openings if o.year == year), None)
    return ProjectFigures(
        milestones=milestones,
        plans=plans,
        light=light,
        progress_rows=services.progress_table(project, year, reports=reports, plans=plans, openings=openings),
        plan=plan,
        ytd=sum((r.invested for r in reports if r.year == year), opening.invested if opening else ZERO),
        since_start=(
            project.invested_before + sum((r.invested for r in reports), ZERO)
            + sum((o.invested for o in openings), ZERO)
        ),
        reported=bool(reports),
        openings=openings,
        opening=opening,
    )


def pending_changes() -> int:
    """Requests waiting for the office's decision."""
    return ProjectChange.objects.filter(state=ProjectChange.State.PENDING).count()

