"""The reads of a leader's home page (领导首页), each a fixed number of queries whatever the number of projects.

What "this month's changes" are, chosen because each is one query and says something a leader acts on:

- lights against the last published bulletin (上期通报): each of the leader's projects whose light now differs
  from the light published for it in the latest published period, read from that period's snapshots;
- months reported this month: progress rows of the leader's projects saved since the first of the month
  (the district's month), with whether the office has reviewed them;
- requests to the office this month (入库, 调整, 退库) on the leader's projects, asked or decided since then.

The audit log is not read: it holds every field of every write (a month's grid saves dozens of rows), so it
is large and says less than the three lists above.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Case, Count, IntegerField, OuterRef, Q, QuerySet, Subquery, Value, When
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from core.models import Period
from dispatch import rules as dispatch_rules
from dispatch.access import problems_visible_to
from dispatch.models import Instruction, Problem, ProjectSnapshot
from dispatch.periods.snapshots import ProjectFigures
from dispatch.supervision import services as problems
from org.models import User
from projects import rules
from projects.models import Light, ProgressReport, Project, ProjectChange

# The most rows each list of the home page shows; the problem list links to the full list beyond it.
LIST_LIMIT = 50
# Red first, then yellow, then green: the order a leader reads the projects in.
LIGHT_ORDER = {rules.RED: 0, rules.YELLOW: 1, rules.GREEN: 2}


@dataclass(frozen=True)
class ProjectRow:
    """One of the leader's projects as the home page shows it."""

    project: Project
    light_label: str
    reasons: list[tuple[str, str]]  # (light, words), the light's reasons that are not green, else all of them
    plan: Decimal | None
    ytd: Decimal
    rate: Decimal | None
    open_problems: int


@dataclass(frozen=True)
class LightChange:
    """A project whose light is not the one published for it in the last bulletin."""

    project: Project
    before: str
    before_label: str
    after: str
    after_label: str


@dataclass(frozen=True)
class ReportedMonth:
    """A progress row of one of the leader's projects saved this month."""

    report: ProgressReport
    label: str


@dataclass(frozen=True)
class LeaderHome:
    year: int
    month_start: dt.date
    projects: list[ProjectRow]
    light_counts: dict[str, int]
    problems: list[Problem]
    problem_counts: dict[str, int]  # total, open, red
    compared_with: Period | None  # the last published period, whose lights the changes are against
    light_changes: list[LightChange]
    reported: list[ReportedMonth]
    requests: list[ProjectChange]

    @property
    def more_problems(self) -> bool:
        return self.problem_counts["total"] > len(self.problems)


def leader_projects(user: User, year: int) -> QuerySet[Project]:
    """The projects in the ledger the user is responsible for (包靠), red and yellow first, with the year's plan
    and year-to-date (``ProjectYear``, as the ledger reads them) and the number of open problems: one query."""
    open_problems = (
        Problem.objects.filter(project=OuterRef("pk")).exclude(state=Problem.State.CLOSED)
        .order_by().values("project").annotate(n=Count("pk")).values("n")
    )
    return (
        Project.objects.in_ledger().filter(responsible_leader=user)
        .with_year_figures(year)
        .select_related("lead_unit", "town")
        .annotate(
            light_rank=Case(
                *[When(light=code, then=Value(rank)) for code, rank in LIGHT_ORDER.items()],
                default=Value(len(LIGHT_ORDER)), output_field=IntegerField(),
            ),
            open_problems=Coalesce(Subquery(open_problems, output_field=IntegerField()), Value(0)),
        )
        .order_by("light_rank", "code")
    )


def leader_problems(user: User) -> QuerySet[Problem]:
    """Problems the user leads: those of the projects he or she is responsible for, and those naming him or her
    their responsible leader (责任领导, the leader a red slip calls to an interview, 约谈), whatever the project."""
    return problems_visible_to(user).filter(Q(project__responsible_leader=user) | Q(responsible_leader=user))


def _month_label(year: int, month: int, half: int) -> str:
    values = {"year": year, "month": month}
    if half == 1:
        return _("%(year)d年%(month)d月上半月") % values
    if half == 2:
        return _("%(year)d年%(month)d月下半月") % values
    return _("%(year)d年%(month)d月") % values


def _last_published() -> Period | None:
    return (
        Period.objects.filter(state=Period.State.PUBLISHED, kind__in=[Period.Kind.MONTH, Period.Kind.HALF])
        .order_by("-year", "-month", "-half").first()
    )


def light_changes(projects: list[Project], period: Period | None) -> list[LightChange]:
    """The projects whose light differs from the one published for them in ``period`` (one query), red first.

    A project the period did not publish (entered into the ledger since) has no light to compare with.
    """
    if period is None or not projects:
        return []
    by_pk = {project.pk: project for project in projects}
    labels = dict(Light.choices)
    changes = []
    for snapshot in ProjectSnapshot.objects.filter(period=period, project_id__in=list(by_pk)).only(
        "project_id", "data", "schema_version"
    ):
        published = ProjectFigures.from_data(snapshot.data, version=snapshot.schema_version, period=period)
        project = by_pk[snapshot.project_id]  # type: ignore[index]
        if published.light and published.light != project.light:
            changes.append(LightChange(
                project=project, before=published.light, before_label=str(labels.get(published.light, published.light)),
                after=project.light, after_label=str(labels.get(project.light, project.light)),
            ))
    changes.sort(key=lambda change: (LIGHT_ORDER.get(change.after, len(LIGHT_ORDER)), change.project.code))
    return changes


def month_start(on: dt.date) -> dt.datetime:
    """The first moment of ``on``'s month on the district's clock."""
    return timezone.make_aware(dt.datetime(on.year, on.month, 1))


def leader_home(user: User, *, on: dt.date) -> LeaderHome:
    """Everything the leader's home page shows, as of the district's day ``on``: seven queries whatever the
    number of projects, problems and reports."""
    year = on.year
    labels = dict(Light.choices)
    rows: list[ProjectRow] = []
    counts: dict[str, int] = {code: 0 for code in LIGHT_ORDER}
    projects = list(leader_projects(user, year))
    for project in projects:
        plan: Decimal | None = project.plan_amount  # type: ignore[attr-defined]
        ytd: Decimal = project.invested_ytd  # type: ignore[attr-defined]
        reasons = project.alert_reasons or project.light_reasons
        rows.append(ProjectRow(
            project=project,
            light_label=str(labels.get(project.light, project.light)),
            reasons=[(light, text) for light, text in reasons],
            plan=plan,
            ytd=ytd,
            rate=rules.investment_rate(ytd, plan) if plan else None,
            open_problems=project.open_problems,  # type: ignore[attr-defined]
        ))
        counts[project.light] = counts.get(project.light, 0) + 1

    mine = leader_problems(user)
    problem_counts: dict[str, int] = mine.aggregate(
        total=Count("pk"),
        open=Count("pk", filter=~Q(state=Problem.State.CLOSED)),
        red=Count("pk", filter=problems.level_q(dispatch_rules.RED, on)),
    )
    listed = problems.with_escalation(problems.for_list(mine)[:LIST_LIMIT], on)

    since = month_start(on)
    period = _last_published()
    reported = _reported(user, since)
    requests = list(
        ProjectChange.objects.filter(project__responsible_leader=user)
        .filter(Q(requested_at__gte=since) | Q(decided_at__gte=since))
        .select_related("project", "requested_by")
        .order_by("-requested_at", "-pk")[:LIST_LIMIT]
    )
    return LeaderHome(
        year=year,
        month_start=since.date(),
        projects=rows,
        light_counts=counts,
        problems=listed,
        problem_counts=problem_counts,
        compared_with=period,
        light_changes=light_changes(projects, period),
        reported=reported,
        requests=requests,
    )


def _reported(user: User, since: dt.datetime) -> list[ReportedMonth]:
    """Progress rows of the user's projects in the ledger saved since ``since``, latest first."""
    found = (
        ProgressReport.objects.filter(project__in=Project.objects.in_ledger().filter(responsible_leader=user))
        .filter(updated_at__gte=since)
        .select_related("project")
        .order_by("-updated_at", "-pk")[:LIST_LIMIT]
    )
    return [ReportedMonth(report=r, label=_month_label(r.year, r.month, r.half)) for r in found]


def instructions_of(*, problem: Problem | None = None, project: Project | None = None) -> list[Instruction]:
    """The instructions on one item, newest first, with their leaders: one query."""
    qs = Instruction.objects.select_related("by")
    qs = qs.filter(problem=problem) if problem is not None else qs.filter(project=project)
    return list(qs.order_by("-at", "-pk"))
