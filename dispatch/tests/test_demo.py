"""The demo district's dispatch history: ten published months with bulletins, November open, problems."""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from decimal import Decimal
from io import StringIO
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.management import call_command
from django.db.models import Sum

from dispatch import rules
from dispatch.models import Bulletin, Period, Problem, ProjectSnapshot, UnitReport
from org.models import User
from projects.models import ProgressReport, Project

TODAY = dt.date(2026, 11, 23)


@pytest.fixture
def demo(db: Any) -> Iterator[None]:
    with time_machine.travel(dt.datetime(2026, 11, 23, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai")), tick=False):
        call_command("load_demo", stdout=StringIO())
        yield


def test_ten_months_are_published_with_snapshots_and_bulletins(demo: None) -> None:
    published = Period.objects.filter(state=Period.State.PUBLISHED).order_by("month")
    assert [p.month for p in published] == list(range(1, 11))
    projects = Project.objects.count()
    for period in published:
        assert ProjectSnapshot.objects.filter(period=period).count() == projects
        assert period.bulletin.state == Bulletin.State.DONE and period.bulletin.docx and period.bulletin.xlsx
        assert not period.unit_reports.exclude(state=UnitReport.State.APPROVED).exists()
        # Each snapshot's year-to-date is the sum of the months up to the period.
        snapshot = ProjectSnapshot.objects.filter(period=period).order_by("code").first()
        assert snapshot is not None
        months = ProgressReport.objects.filter(project__code=snapshot.code, year=2026, month__lte=period.month)
        assert Decimal(snapshot.data["invested_ytd"]) == (months.aggregate(s=Sum("invested"))["s"] or 0)


def test_some_past_reports_were_returned_and_some_units_late(demo: None) -> None:
    assert UnitReport.objects.filter(period__state="published", events__action="return").exists()
    published = UnitReport.objects.filter(period__state="published").select_related("period")
    assert [r for r in published if r.late_days(TODAY)]


def test_november_is_open_with_every_state_and_complete_submissions(demo: None) -> None:
    november = Period.objects.get(year=2026, month=11)
    assert november.state == Period.State.OPEN
    states = set(november.unit_reports.values_list("state", flat=True))
    assert states == {"draft", "submitted", "approved", "returned"}
    returned = november.unit_reports.get(state="returned")
    assert returned.return_reason
    for report in november.unit_reports.filter(state__in=["submitted", "approved"]):
        led = Project.objects.filter(lead_unit=report.unit).count()
        assert ProgressReport.objects.filter(period=november, project__lead_unit=report.unit).count() == led
    reporter = User.objects.get(username="reporter")
    own = november.unit_reports.get(unit=reporter.unit)
    assert own.state == UnitReport.State.DRAFT
    assert Project.objects.filter(lead_unit=reporter.unit).exists()


def test_problems_are_in_every_state_and_some_escalate(demo: None) -> None:
    assert set(Problem.objects.values_list("state", flat=True)) == {"assigned", "handling", "answered", "closed"}
    assert set(Problem.objects.values_list("source", flat=True)) >= {"report", "meeting"}
    levels = {
        rules.problem_escalation(deadline=p.deadline, today=TODAY, closed=p.state == "closed").level
        for p in Problem.objects.all()
    }
    assert {rules.RED, rules.YELLOW, rules.BLUE} <= levels
    for problem in Problem.objects.all():
        assert problem.steps.exists()
        assert problem.steps.order_by("at", "id").last().state_after == problem.state  # type: ignore[union-attr]
