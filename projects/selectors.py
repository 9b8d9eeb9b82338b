"""Reads of the ledger: the list with its filters, sorts and totals, and one project's page.

The ledger's per-year figures (plan, year-to-date) come from ``ProjectYear``, one row per project
and year kept by the services, so that sorting and totalling a province does not sum its reports.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
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
from projects.forms import LedgerFilterForm
from projects.models import (
    ZERO,
    AnnualPlan,
    LedgerState,
    Level,
    Light,
    Milestone,
    Project,
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
}

# Descending sorts served by walking ``ProjectYear``'s (year, figure) indexes; see ``_page_ids``.
DESCENDING_FROM_INDEX = {"ytd": "year_row__invested_ytd", "plan": "year_row__plan"}
INDEX_WALK_ROWS = 1000  # deeper than this (page 20), the page is found by sorting every project


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
        qs = qs.filter(Q(name__icontains=q) | Q(code__icontains=q) | Q(initials__contains=q.lower()))
    for name in ("level", "project_type", "stage", "light"):
        if data.get(name):
            qs = qs.filter(**{name: data[name]})
    if data.get("lead_unit"):
        qs = qs.filter(lead_unit=data["lead_unit"])
    if data.get("town"):
        qs = qs.filter(town=data["town"])
    if data.get("leader"):
        qs = qs.filter(responsible_leader=data["leader"])
    return qs.with_year_figures(year)


@dataclass(frozen=True)
class LedgerTotals:
    count: int
    total: Decimal | None
    plan: Decimal
    ytd: Decimal
    light_counts: dict[str, int]
    positive: dict[str, int] = field(default_factory=dict)  # sort name → projects with a figure above 0

    @property
    def rate(self) -> Decimal | None:
        """Rounded as the light rule rounds, so the totals and a project's reasons agree."""
        return rules.investment_rate(self.ytd, self.plan) if self.plan else None

    def as_context(self) -> dict[str, Any]:
        return {"total": self.total, "plan": self.plan, "ytd": self.ytd, "rate": self.rate}


def ledger_totals(qs: QuerySet[Project], *, sort: str = "") -> LedgerTotals:
    """Count, total investment, light counts, plan and year-to-date of every listed project: one
    aggregate over the projects and their ``ProjectYear`` rows, under the ledger's own filters."""
    figures = qs.aggregate(
        count=Count("pk"),
        total=Sum("total_investment"),
        plan=Coalesce(Sum("year_row__plan"), Value(ZERO)),
        ytd=Coalesce(Sum("year_row__invested_ytd"), Value(ZERO)),
        **{f"light_{code}": Count("pk", filter=Q(light=code)) for code in rules.SEVERITY},
        # Sorted descending by a figure: how many have it above zero, where ``_page_ids`` may stop walking.
        **{f"positive_{name}": Count("pk", filter=Q(**{f"{column}__gt": 0}))
           for name, column in DESCENDING_FROM_INDEX.items() if sort == f"-{name}"},
    )
    return LedgerTotals(
        count=figures["count"],
        total=figures["total"],
        plan=figures["plan"],
        ytd=figures["ytd"],
        light_counts={code: figures[f"light_{code}"] for code in rules.SEVERITY if figures[f"light_{code}"]},
        positive={name: figures[f"positive_{name}"] for name in DESCENDING_FROM_INDEX if f"positive_{name}" in figures},
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
    order = F(key).desc(nulls_last=True) if sort.startswith("-") else F(key).asc(nulls_last=True)
    return qs.order_by(order, "code")


def ledger_page(
    qs: QuerySet[Project], *, year: int, sort: str, number: Any, count: int, positive: dict[str, int] | None = None
) -> Page[Any]:
    """Page ``number`` of ``qs`` in the ``sort`` order, ``count`` rows in all (from ``ledger_totals``,
    as ``positive``, the projects with a plan or year-to-date above zero).

    Two steps: the order is decided over the narrow columns it needs (PostgreSQL can read them from
    the covering indexes), then only the page's 50 projects are read whole, with their units and
    leader. Sorting whole rows of a province is what made the ledger slow.
    """
    paginator = Paginator(ledger_sorted(qs, sort).values_list("pk", flat=True), PAGE_SIZE)
    vars(paginator)["count"] = count  # a cached property; counted by the totals already
    page = paginator.get_page(number)
    ids = _page_ids(qs, sort, (page.number - 1) * PAGE_SIZE, positive or {})
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


def _page_ids(qs: QuerySet[Project], sort: str, offset: int, positive: dict[str, int]) -> list[Any]:
    """The ids of the page starting at ``offset`` in the ``sort`` order, in one query.

    Descending by plan or year-to-date, the first pages come from the ``(year, figure)`` index of
    ``ProjectYear``: walk the rows with a positive figure from the top and stop after the page,
    instead of joining and sorting every project. ``positive`` (counted with the totals) says
    how many there are; the projects without a positive figure (no row, nothing planned or
    invested) follow them in that order, so a page entirely among those reads only them. A page
    across the boundary, deeper pages and the other sorts sort every listed project.
    """
    end = offset + PAGE_SIZE
    column = DESCENDING_FROM_INDEX.get(sort[1:]) if sort.startswith("-") else None
    leading = positive.get(sort[1:]) if column else None
    if column is None or leading is None:
        return list(ledger_sorted(qs, sort).values_list("pk", flat=True)[offset:end])
    # Through an alias: a filter naming ``year_row__…`` itself would join ProjectYear a second time.
    qs = qs.alias(figure=F(column))
    if end <= min(leading, INDEX_WALK_ROWS):
        walk = qs.filter(figure__gt=0).order_by(F("figure").desc(), "code")
        return list(walk.values_list("pk", flat=True)[offset:end])
    if offset >= leading:
        rest = qs.filter(Q(figure__lte=0) | Q(figure__isnull=True))
        return list(ledger_sorted(rest, sort).values_list("pk", flat=True)[offset - leading : end - leading])
    return list(ledger_sorted(qs, sort).values_list("pk", flat=True)[offset:end])


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


def project_figures(project: Project, *, year: int, as_of: dt.date) -> ProjectFigures:
    """The light (as of ``as_of``), the year's progress table, plan and year-to-date, and since-start
    investment of one project, in three queries whatever the number of months and milestones."""
    milestones = list(project.milestones.all())
    plans = list(project.plans.order_by("year"))
    reports = list(project.reports.order_by("year", "month", "half"))
    light = services.project_light_of(project, milestones=milestones, plans=plans, reports=reports, as_of=as_of)
    plan = next((p.amount for p in plans if p.year == year), None)
    return ProjectFigures(
        milestones=milestones,
        plans=plans,
        light=light,
        progress_rows=services.progress_table(project, year, reports=reports, plans=plans),
        plan=plan,
        ytd=sum((r.invested for r in reports if r.year == year), ZERO),
        since_start=project.invested_before + sum((r.invested for r in reports), ZERO),
        reported=bool(reports),
    )


def pending_changes() -> int:
    """Requests waiting for the office's decision."""
    return ProjectChange.objects.filter(state=ProjectChange.State.PENDING).count()

