"""The demo district's dispatch history, built in time order, checked against its own rows.

The demo is built once per date for the whole session (it takes seconds, see conftest.py) and
installed once per date for this module: on 23 November, when
November is still being reported, and on 2 December, when November has just been published (the
date the issue "November's bulletin says 本期督办问题 0 个" was found).
"""
from __future__ import annotations

import datetime as dt
import hashlib
import itertools
from collections import Counter
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import docx
import pytest
import time_machine
from django.db import transaction
from django.db.models import Sum
from django.test import override_settings
from django.utils import timezone

from conftest import DemoBuilds, demo_media, district_time
from core.models import Period
from dispatch import rules
from dispatch.bulletins.docx import bulletin_docx
from dispatch.bulletins.figures import bulletin_figures
from dispatch.bulletins.xlsx import bulletin_xlsx
from dispatch.models import Bulletin, Problem, ProblemStep, ProjectSnapshot, UnitReport
from dispatch.supervision.services import TRANSITIONS
from org.models import User
from projects import rules as light_rules
from projects.models import AnnualPlan, ProgressReport, Project
from projects.services import light_thresholds

DATES = [dt.date(2026, 11, 23), dt.date(2026, 12, 2)]


@pytest.fixture(scope="module", params=DATES, ids=[d.isoformat() for d in DATES])
def demo_once(request: Any, demo_builds: DemoBuilds, django_db_blocker: Any,
              tmp_path_factory: pytest.TempPathFactory) -> Iterator[dt.date]:
    """Install the demo once per date into a transaction that is rolled back after the module.

    The district of 23 November is the session's build that projects/tests/test_demo.py uses too; the one
    of 2 December is built for this module only (nothing else needs that date), once for the session.
    """
    today: dt.date = request.param
    moment = district_time(today.year, today.month, today.day)
    build = demo_builds.at(moment)
    media = demo_media(build, tmp_path_factory.mktemp(f"demo-{today.isoformat()}"))
    with (
        django_db_blocker.unblock(), time_machine.travel(moment, tick=False), override_settings(MEDIA_ROOT=media),
        transaction.atomic(),
    ):
        build.install()
        yield today
        transaction.set_rollback(True)


@pytest.fixture
def today(demo_once: dt.date, db: Any) -> dt.date:
    return demo_once


def published() -> list[Period]:
    return list(Period.objects.filter(state=Period.State.PUBLISHED).order_by("year", "month", "half"))


def as_of(period: Period) -> dt.date:
    """The documented rule: a snapshot is as of its moment, or of the period's end if that comes first."""
    assert period.published_at is not None
    return min(timezone.localdate(period.published_at), period.last_day)


def state_at(problem: Problem, moment: dt.datetime) -> str | None:
    """The problem's state at ``moment`` from its own steps, or None if it did not exist yet."""
    steps = [s for s in problem.steps.all() if s.at <= moment]
    return steps[-1].state_after if steps else None


# --- periods and unit reports -------------------------------------------------------------------

def test_closed_months_are_published_after_their_deadline_with_snapshots_and_bulletins(today: dt.date) -> None:
    periods = published()
    assert [p.month for p in periods] == list(range(1, today.month))
    projects = Project.objects.count()
    previous: dt.datetime | None = None
    for period in periods:
        assert period.published_at is not None
        # A few days after the deadline and after the month's end, before today, in month order.
        published_on = timezone.localdate(period.published_at)
        assert period.deadline < published_on < today and period.last_day < published_on
        assert (published_on - max(period.deadline, period.last_day)).days <= 10
        assert previous is None or previous < period.published_at
        previous = period.published_at
        assert not period.publish_reason
        assert ProjectSnapshot.objects.filter(period=period).count() == projects
        assert period.bulletin.state == Bulletin.State.DONE and period.bulletin.docx and period.bulletin.xlsx
        assert not period.unit_reports.exclude(state=UnitReport.State.APPROVED).exists()
        # Every unit was approved before publication.
        assert not period.unit_reports.filter(reviewed_at__gt=period.published_at).exists()
        # Each snapshot's year-to-date is the sum of the months up to the period.
        snapshot = ProjectSnapshot.objects.filter(period=period).order_by("code").first()
        assert snapshot is not None
        months = ProgressReport.objects.filter(project__code=snapshot.code, year=2026, month__lte=period.month)
        assert Decimal(snapshot.data["invested_ytd"]) == (months.aggregate(s=Sum("invested"))["s"] or 0)
    # Published months' rows are reviewed, so no light stands on unreviewed figures.
    assert not ProgressReport.objects.filter(period__state=Period.State.PUBLISHED, approved=False).exists()


def test_some_past_reports_were_returned_and_some_units_late(today: dt.date) -> None:
    assert UnitReport.objects.filter(period__state="published", events__action="return").exists()
    reports = UnitReport.objects.filter(period__state="published").select_related("period")
    assert [r for r in reports if r.late_days(today)]


def test_the_current_month_is_open_with_every_state_and_complete_submissions(today: dt.date) -> None:
    current = Period.objects.get(year=today.year, month=today.month)
    assert current.state == Period.State.OPEN
    assert set(current.unit_reports.values_list("state", flat=True)) == {"draft", "submitted", "approved", "returned"}
    returned = current.unit_reports.get(state="returned")
    assert returned.return_reason
    for report in current.unit_reports.filter(state__in=["submitted", "approved"]):
        led = Project.objects.filter(lead_unit=report.unit).count()
        assert ProgressReport.objects.filter(period=current, project__lead_unit=report.unit).count() == led
        # Nothing this month happened before it began or after today began.
        assert report.submitted_at is not None
        assert current.first_day <= timezone.localdate(report.submitted_at) < today
    reporter = User.objects.get(username="reporter")
    own = current.unit_reports.get(unit=reporter.unit)
    assert own.state == UnitReport.State.DRAFT
    assert Project.objects.filter(lead_unit=reporter.unit).exists()


# --- problems -----------------------------------------------------------------------------------

def test_problems_are_in_every_state_and_some_escalate(today: dt.date) -> None:
    assert set(Problem.objects.values_list("state", flat=True)) == {"assigned", "handling", "answered", "closed"}
    assert set(Problem.objects.values_list("source", flat=True)) >= {"report", "meeting"}
    levels = {
        rules.problem_escalation(deadline=p.deadline, today=today, closed=p.state == "closed").level
        for p in Problem.objects.all()
    }
    assert {rules.RED, rules.YELLOW, rules.BLUE} <= levels
    for problem in Problem.objects.all():
        assert problem.steps.exists()
        assert problem.steps.order_by("at", "id").last().state_after == problem.state  # type: ignore[union-attr]


def test_no_problem_is_assigned_outside_its_source_period_or_acted_on_before_it_exists(today: dt.date) -> None:
    now = timezone.make_aware(dt.datetime.combine(today, dt.time(0)))
    for problem in Problem.objects.select_related("period", "report").prefetch_related("steps"):
        assigned = timezone.localdate(problem.created_at)
        assert problem.period is not None
        assert problem.period.first_day <= assigned <= problem.period.last_day, problem.description
        if problem.report is not None:
            assert (problem.report.year, problem.report.month) == (problem.period.year, problem.period.month)
        steps = list(problem.steps.all())
        assert steps[0].action == ProblemStep.Action.ASSIGN and steps[0].at == problem.created_at
        assert all(problem.created_at <= s.at < now for s in steps)
        closes = [s.at for s in steps if s.action == ProblemStep.Action.CLOSE]
        assert problem.closed_at == (closes[-1] if closes else None)
        # Each step starts from the state the one before left.
        for before, step in itertools.pairwise(steps):
            if step.action in TRANSITIONS:
                assert before.state_after in TRANSITIONS[step.action].sources, problem.description
        # A published month's problems were assigned before it was published.
        if problem.period.state == Period.State.PUBLISHED:
            assert problem.period.published_at is not None and problem.created_at < problem.period.published_at


def test_every_published_snapshot_lists_the_problems_of_its_time_in_their_state_then(today: dt.date) -> None:
    problems = list(Problem.objects.prefetch_related("steps"))
    listed_somewhere = 0
    for period in published():
        moment = period.published_at
        assert moment is not None
        day = as_of(period)
        # Open or closed during the period: assigned by publication, not closed before the period began.
        expected = {
            p.pk for p in problems
            if p.created_at <= moment and (p.closed_at is None or timezone.localdate(p.closed_at) >= period.first_day)
        }
        items = {item["id"]: item for item in period.snapshot.data["problems"]}
        assert set(items) == expected, period.label
        for pk, item in items.items():
            problem = next(p for p in problems if p.pk == pk)
            state = state_at(problem, moment)
            assert item["state"] == state, (period.label, problem.description)
            closed = state == Problem.State.CLOSED
            assert item["escalation"] == rules.problem_escalation(
                deadline=dt.date.fromisoformat(item["deadline"]), today=day, closed=closed
            ).level
        listed_somewhere += len(items)
    recent = published()[-3:]
    assert all(period.snapshot.data["problems"] for period in recent)
    assert listed_somewhere >= 10


def test_the_last_published_bulletin_names_its_problems(today: dt.date) -> None:
    period = published()[-1]
    if today == dt.date(2026, 12, 2):
        assert period.label == "2026年11月"
    figures = bulletin_figures(period)
    lines = [*figures.problems_open, *figures.problems_closed]
    assert lines and all(line.description and line.unit for line in lines)
    assert {line.id for line in lines} == {item["id"] for item in period.snapshot.data["problems"]}
    assert {line.description for line in lines} <= set(Problem.objects.values_list("description", flat=True))
    with period.bulletin.docx.open("rb") as handle:
        text = "\n".join(p.text for p in docx.Document(handle).paragraphs)
    closed = len(figures.problems_closed)
    assert f"本期督办问题 {len(lines)} 个，已办结 {closed} 个，未办结 {len(lines) - closed} 个" in text


def test_the_bulletin_splits_the_projects_by_category_and_funding_source(today: dt.date) -> None:
    """The demo's projects carry categories and funding sources, so the splits are not one 未分类 / 未填 row."""
    for period in published():
        figures = bulletin_figures(period)
        splits = {split.key: split for split in figures.splits}
        for key, unset in (("category", "未分类"), ("funding", "未填")):
            rows = {row.label: row.projects for row in splits[key].rows}
            assert sum(rows.values()) == figures.projects, (period.label, key)
            assert len(rows) >= 4, (period.label, key, rows)
            assert rows.get(unset, 0) <= figures.projects * 0.15, (period.label, key, rows)
            assert splits[key].unrecorded == 0 and splits[key].note == ""
        assert {"工业", "基础设施", "民生实事"} <= {row.label for row in splits["category"].rows}
    with published()[-1].bulletin.docx.open("rb") as handle:
        document = docx.Document(handle)
    text = "\n".join(cell.text for table in document.tables for row in table.rows for cell in row.cells)
    for label in ("民生实事", "基础设施", "政府投资", "社会投资"):
        assert label in text


# --- projects at the time -----------------------------------------------------------------------

def test_bulletin_light_counts_equal_lights_recomputed_as_of_the_snapshot_date(today: dt.date) -> None:
    period = published()[-1]
    day = as_of(period)
    plans = dict(AnnualPlan.objects.filter(year=day.year).values_list("project_id", "amount"))
    ytd = dict(
        ProgressReport.objects.filter(year=period.year, month__lte=period.month)
        .values("project_id").annotate(total=Sum("invested")).values_list("project_id", "total")
    )
    recomputed: Counter[str] = Counter()
    for project in Project.objects.prefetch_related("milestones"):
        started = project.actual_start if project.actual_start and project.actual_start <= day else None
        facts = light_rules.ProjectFacts(
            stage=project.stage if started or project.actual_start is None else "preparing",
            planned_start=project.planned_start,
            actual_start=started,
            planned_completion=project.planned_completion,
            milestones=[
                light_rules.MilestoneFact(
                    m.name, m.planned_date, m.actual_date if m.actual_date and m.actual_date <= day else None
                )
                for m in project.milestones.all()
            ],
            annual_plan=plans.get(project.pk),
            invested_ytd=ytd.get(project.pk) or Decimal(0),
        )
        recomputed[light_rules.compute_light(facts, as_of=day, thresholds=light_thresholds()).light] += 1
    figures = bulletin_figures(period)
    counts = {"red": len(figures.red), "yellow": len(figures.yellow),
              "green": figures.projects - len(figures.red) - len(figures.yellow)}
    assert counts == {light: recomputed[light] for light in ("red", "yellow", "green")}
    assert counts["red"] and counts["yellow"] and counts["green"]


def test_snapshots_show_each_project_at_the_stage_it_had_then(today: dt.date) -> None:
    finished = {
        p.code: [m.actual_date for m in p.milestones.all() if "竣工" in m.name][-1]
        for p in Project.objects.filter(stage__in=["completed", "producing"]).prefetch_related("milestones")
    }
    assert finished
    completed_later = 0
    for period in published():
        day = as_of(period)
        for snapshot in ProjectSnapshot.objects.filter(period=period, code__in=finished):
            done = finished[snapshot.code] is not None and finished[snapshot.code] <= day
            assert (snapshot.data["stage"] in {"completed", "producing"}) == done, (period.label, snapshot.code)
            completed_later += not done
            # Named as newly completed in the bulletin of the month it was completed in, and only then.
            if snapshot.data["completed_in_period"]:
                assert period.first_day <= finished[snapshot.code] <= day, (period.label, snapshot.code)
    assert completed_later
    # Today's ledger is as it is now.
    assert set(Project.objects.filter(code__in=finished).values_list("stage", flat=True)) <= {"completed", "producing"}


def test_every_published_month_rebuilds_into_the_same_files(today: dt.date) -> None:
    """The typed snapshots read back give the bulletin stored at publication, byte for byte."""
    for period in published():
        figures = bulletin_figures(period)
        rebuilt = (
            hashlib.sha256(bulletin_docx(figures, published_at=period.published_at)).hexdigest(),
            hashlib.sha256(bulletin_xlsx(figures, published_at=period.published_at)).hexdigest(),
        )
        assert rebuilt == (period.bulletin.docx_sha256, period.bulletin.xlsx_sha256), period.label
