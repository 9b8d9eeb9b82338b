"""The demo district: loaded into the test database as of 2026-11-23, checked for shape, sums and lights."""
from __future__ import annotations

import datetime as dt
import importlib
from collections import Counter
from io import StringIO
from typing import Any

import pytest
import time_machine
from django.contrib.auth import authenticate
from django.core.management import CommandError, call_command
from django.db.models import Sum
from django.test import Client
from django.urls import reverse

from audit.models import AuditEntry
from conftest import district_time
from core.models import Period
from dispatch.models import PeriodSnapshot, Problem, ProblemStep
from org.demo import DEMO_LOGINS, DEMO_PASSWORD
from org.models import Holiday, Unit, User
from projects import rules, services
from projects.bench import bench_months
from projects.demo import CATEGORIES, DEMO_CODE_PREFIX, FUNDING_SOURCES, LEADERS
from projects.models import (
    AnnualPlan,
    FundingSource,
    Milestone,
    MilestoneTemplate,
    ProgressReport,
    Project,
    ProjectCategory,
)

TODAY = dt.date(2026, 11, 23)


@pytest.fixture
def clock_at() -> dt.datetime:
    return district_time(2026, 11, 23)


@pytest.fixture
def demo(demo_district: str, clock: time_machine.Traveller) -> str:
    """The district of 23 November (built once for the session, see conftest.py) and what load_demo printed."""
    return demo_district


def snapshot() -> dict[str, Any]:
    """Everything the demo writes, in a comparable form."""
    return {
        "projects": list(Project.objects.order_by("code").values_list("code", "name", "light", "total_investment")),
        "plans": list(AnnualPlan.objects.order_by("project__code", "year").values_list("project__code", "amount")),
        "milestones": list(
            Milestone.objects.order_by("project__code", "order")
            .values_list("project__code", "planned_date", "actual_date")
        ),
        "reports": list(
            ProgressReport.objects.order_by("project__code", "year", "month").values_list("project__code", "invested")
        ),
        "users": sorted(User.objects.values_list("username", "role")),
        "units": sorted(Unit.objects.values_list("name", "kind")),
        "audit": AuditEntry.objects.count(),
        # The dispatch history: the same problems at the same moments, the same bulletins' problem lists.
        "periods": list(Period.objects.order_by("year", "month").values_list("month", "state", "published_at")),
        "problems": list(
            Problem.objects.order_by("created_at", "description")
            .values_list("description", "created_at", "deadline", "state", "closed_at")
        ),
        "steps": list(ProblemStep.objects.order_by("at", "action").values_list("at", "action", "state_after")),
        "published_problems": [
            (s.period.month, sorted((item["description"], item["state"]) for item in s.data["problems"]))
            for s in PeriodSnapshot.objects.select_related("period").order_by("period__month")
        ],
    }


def test_the_district_has_towns_departments_leaders_and_about_80_projects(demo: str) -> None:
    towns = Unit.objects.filter(kind=Unit.Kind.TOWN)
    assert 10 <= towns.count() <= 15
    assert set(towns.values_list("category", flat=True)) == {"城区街道", "工业镇", "农业镇"}
    assert not towns.filter(population__isnull=True).exists()
    assert 18 <= Unit.objects.filter(kind=Unit.Kind.DEPARTMENT).count() <= 25
    assert Unit.objects.filter(kind=Unit.Kind.DISTRICT).count() == 1
    leaders = User.objects.filter(role=User.Role.LEADER)
    assert leaders.count() == 5
    assert all(leader.full_name and leader.title for leader in leaders)
    assert leaders.filter(title__contains="区长").count() == 5

    projects = Project.objects.all()
    # About 80 of the ledger's own and the 10 started investment leads the office made key projects.
    assert 80 <= projects.count() <= 100
    levels = Counter(projects.values_list("level", flat=True))
    assert 2 <= levels["province"] < levels["city"] < levels["district"]
    assert set(projects.values_list("stage", flat=True)) == set(rules.STAGES)
    assert set(projects.values_list("project_type", flat=True)) == {"industry", "infrastructure", "livelihood", "other"}
    assert not projects.exclude(code__startswith=DEMO_CODE_PREFIX).exists()
    assert not projects.filter(responsible_leader__isnull=True).exists()
    assert projects.filter(town__isnull=False).count() >= 70
    for project in projects:
        assert project.initials == services.name_initials(project.name)
        assert project.content and project.owner and project.location
        assert project.latitude is not None and project.longitude is not None
        # Within about 20 km of the map centre (36.70, 119.16).
        assert abs(float(project.latitude) - 36.70) < 0.2 and abs(float(project.longitude) - 119.16) < 0.25
    assert "80 projects" in demo and "lights: red" in demo


def test_most_projects_have_a_plausible_category_and_funding_source(demo: str) -> None:
    projects = list(Project.objects.select_related("category", "funding_source"))
    categorised = [p for p in projects if p.category is not None]
    funded = [p for p in projects if p.funding_source is not None]
    # Most, not all: a few rows of a real list are left 未分类 / 未填.
    assert 0.9 * len(projects) <= len(categorised) < len(projects)
    assert 0.85 * len(projects) <= len(funded) < len(projects)
    assert len({p.category.name for p in categorised}) >= 6
    assert len({p.funding_source.name for p in funded}) >= 4
    allowed = {"industry": {"工业", "文旅", "现代农业", "商贸物流"}, "infrastructure": {"基础设施", "现代农业"},
               "livelihood": {"民生实事", "社会事业"}, "other": {"基础设施", "社会事业"}}
    for project in categorised:
        assert project.category.name in allowed[project.project_type], (project.code, project.category.name)
        # As the list import sets it: a project of a 民生实事 category is one.
        assert project.livelihood or not project.category.livelihood, project.code
    # Schools and hospitals are 民生实事; a few works of other categories are on the year's list too.
    assert all(p.livelihood for p in projects if any(word in p.name for word in ("学校", "医院", "卫生院")))
    assert any(p.livelihood and p.category is not None and not p.category.livelihood for p in projects)
    for project in funded:
        if project.is_special_bond:
            assert project.funding_source.name == "专项债", project.code
        elif "公司" not in project.owner:
            assert project.funding_source.name == "政府投资", project.code
    # Left blank: private investors' projects not started yet, whose financing is still open.
    assert all(p.stage in {"planning", "preparing"} and "公司" in p.owner for p in projects if p.funding_source is None)


def test_the_demo_uses_the_categories_and_funding_sources_the_migrations_seed(demo: str) -> None:
    seeded = importlib.import_module("projects.migrations.0010_categories_funding_co_units_import_profiles")
    assert [(name, livelihood) for name, livelihood, _order in CATEGORIES] == seeded.CATEGORIES
    assert [name for name, _order in FUNDING_SOURCES] == seeded.FUNDING
    assert set(Project.objects.values_list("category__name", flat=True)) - {None} <= {n for n, *_r in CATEGORIES}


def test_the_ledger_filters_the_demo_by_category_funding_and_livelihood(demo: str) -> None:
    client = Client()
    client.force_login(User.objects.get(username="office"))
    url = reverse("projects:ledger")
    livelihood = client.get(url, {"livelihood": "yes"}).context["count"]
    assert livelihood == Project.objects.filter(livelihood=True).count() >= 10
    industry = ProjectCategory.objects.get(name="工业")
    assert client.get(url, {"category": industry.pk}).context["count"] == industry.projects.count() >= 20
    assert client.get(url, {"funding": "none"}).context["count"] == Project.objects.filter(
        funding_source__isnull=True).count()


def test_the_printed_lights_are_the_stored_ones(demo: str) -> None:
    counts = Counter(Project.objects.values_list("light", flat=True))
    assert f"lights: red {counts['red']}, yellow {counts['yellow']}, green {counts['green']}" in demo


def test_every_role_login_exists_and_authenticates(demo: str) -> None:
    for username, role, _label in DEMO_LOGINS:
        user = User.objects.get(username=username)
        assert user.role == role
        assert authenticate(username=username, password=DEMO_PASSWORD) == user
        assert authenticate(username=username, password="wrong-password-123") is None
    admin = User.objects.get(username="admin")
    assert admin.is_staff and admin.is_superuser
    assert User.objects.get(username="office").unit.short_name == "发改局"
    assert User.objects.get(username="reporter").unit.name == "高新区街道"
    leader = User.objects.get(username="leader")
    assert (leader.full_name, leader.title) in {(name, title) for _u, name, title in LEADERS}
    assert Project.objects.filter(responsible_leader=leader).count() >= 5
    assert not User.objects.filter(role=User.Role.ADMIN).exclude(username="admin").exists()


def test_the_reporter_sees_the_projects_of_the_town(demo: str) -> None:
    reporter = User.objects.get(username="reporter")
    visible = Project.objects.visible_to(reporter)
    assert visible.count() >= 3
    assert visible.count() < Project.objects.count()
    client = Client()
    client.force_login(reporter)
    response = client.get(reverse("projects:ledger"))
    assert response.status_code == 200
    assert response.context["count"] == visible.count()


def test_year_to_date_is_the_sum_of_the_months_for_every_project(demo: str) -> None:
    sums = dict(
        ProgressReport.objects.filter(year=2026).values("project").annotate(total=Sum("invested"))
        .values_list("project", "total")
    )
    plans = dict(AnnualPlan.objects.filter(year=2026).values_list("project", "amount"))
    assert sums and plans
    for project in Project.objects.with_figures(2026):
        assert project.invested_ytd == sums.get(project.pk, 0), project.code
        assert project.plan_amount == plans.get(project.pk), project.code
        assert project.invested_before + project.invested_ytd <= project.total_investment, project.code


def test_reports_cover_the_closed_months_of_started_projects_only(demo: str) -> None:
    # November is the open period: only units that already submitted have rows (see dispatch's demo test).
    closed = ProgressReport.objects.filter(month__lte=10)
    assert set(ProgressReport.objects.values_list("year", "month")) == {(2026, m) for m in range(1, 12)}
    assert set(ProgressReport.objects.filter(month=11).values_list("period__state", flat=True)) == {"open"}
    assert not closed.filter(project__actual_start__isnull=True).exists()
    assert closed.filter(problems__gt="").exists()
    for project in ledger_own().filter(actual_start__isnull=False):
        reports = list(project.reports.filter(month__lte=10).order_by("month"))
        assert reports, project.code
        months = [r.month for r in reports]
        assert months == list(range(months[0], 11)), project.code
        percents = [r.progress_percent for r in reports]
        # Physical progress rises month by month until the project is done.
        assert percents == sorted(percents), project.code
        assert len(percents) == 1 or percents[-1] > percents[0] or percents[0] == 100, project.code
        assert all(r.physical_progress and r.reported_by_id for r in reports), project.code


def test_slow_projects_report_their_problems_in_each_of_the_last_three_closed_months(demo: str) -> None:
    # The dispatch demo takes up problems from each recent month's reports, in that month.
    months = set(ProgressReport.objects.filter(month__lte=10).exclude(problems="").values_list("month", flat=True))
    assert {8, 9, 10} <= months
    for month in (8, 9, 10):
        slow = ProgressReport.objects.filter(month=month, project__stage="building").exclude(problems="")
        assert slow.count() >= 3, month


def test_all_three_lights_are_present_with_reasons_in_a_realistic_mix(demo: str) -> None:
    projects = list(Project.objects.all())
    counts = Counter(p.light for p in projects)
    total = len(projects)
    assert 0.50 <= counts["green"] / total <= 0.70
    assert 0.15 <= counts["yellow"] / total <= 0.35
    assert 0.08 <= counts["red"] / total <= 0.22
    for project in projects:
        assert project.light_as_of == TODAY
        assert project.light_reasons and all(text for _light, text in project.light_reasons)
        assert project.light_reasons[0][0] == project.light  # worst reason first
    reasons = " ".join(text for p in projects for light, text in p.light_reasons if light != "green")
    # Varied reasons: investment behind, milestone overdue, not started.
    for words in ("个百分点", "节点逾期", "未开工"):
        assert words in reasons
    # The stored lights are what the rules give today.
    for project in projects:
        assert services.project_light(project, as_of=TODAY).light == project.light


def ledger_own() -> Any:
    """The projects of the ledger's own part of the demo: not the started investment leads the office made key
    projects (investment/demo.py), which come with no milestones yet, as a newly converted project does."""
    return Project.objects.filter(leads__isnull=True)


def test_started_projects_have_an_actual_start_that_is_the_start_milestone(demo: str) -> None:
    started = ledger_own().filter(stage__in=rules.STARTED_STAGES)
    assert started.count() >= 40
    for project in started:
        assert project.actual_start is not None and project.actual_start < TODAY, project.code
        start = project.milestones.get(name="开工")
        assert start.actual_date == project.actual_start
        assert start.planned_date == project.planned_start
    assert not Project.objects.exclude(stage__in=rules.STARTED_STAGES).filter(actual_start__isnull=False).exists()


def test_milestones_are_reverse_scheduled_from_the_type_template(demo: str) -> None:
    calendar = services.work_calendar()
    templates = {t.project_type: t for t in MilestoneTemplate.objects.prefetch_related("steps").order_by("name")}
    matched = 0
    for project in ledger_own().prefetch_related("milestones"):
        milestones = list(project.milestones.all())
        template = templates[project.project_type]
        assert [m.name for m in milestones] == [name for name, _days in template.step_pairs()]
        planned = [m.planned_date for m in milestones]
        assert planned == sorted(planned)
        # Projects that started before this year span more than the standard durations
        # and have them stretched; the others are exactly the template applied in the UI.
        if project.construction == "new":
            expected = rules.reverse_schedule(template.step_pairs(), planned[-1], calendar)
            assert planned == [day for _name, day in expected], project.code
            matched += 1
        for m in milestones:
            assert m.actual_date is None or m.actual_date < TODAY
    assert matched >= 40


def test_one_demo_audit_entry_per_project_and_a_holiday_example(demo: str) -> None:
    project_ids = {str(pk) for pk in ledger_own().values_list("pk", flat=True)}
    entries = AuditEntry.objects.filter(source="demo", subject_model="projects.project", subject_id__in=project_ids)
    assert entries.count() == len(project_ids)
    assert set(entries.values_list("subject_id", flat=True)) == project_ids
    holiday = Holiday.objects.get(date=dt.date(2027, 1, 1))
    assert not holiday.is_workday


def test_if_empty_a_second_time_changes_nothing(demo: str) -> None:
    before = snapshot()
    out = StringIO()
    call_command("load_demo", "--if-empty", stdout=out)
    assert "未载入" in out.getvalue()
    assert snapshot() == before


def test_loading_twice_without_reset_is_refused(demo: str) -> None:
    before = snapshot()
    with pytest.raises(CommandError, match="--reset"):
        call_command("load_demo", stdout=StringIO())
    assert snapshot() == before


def test_reset_reloads_the_same_data(demo: str) -> None:
    before = snapshot()
    call_command("load_demo", "--reset", stdout=StringIO())
    after = snapshot()
    assert after == before
    other = StringIO()
    call_command("load_demo", "--reset", "--seed", "7", stdout=other)
    assert snapshot()["projects"] != before["projects"]  # a different seed, different figures


def test_reset_refuses_a_database_with_real_projects(demo: str) -> None:
    unit = Unit.objects.get(name="高新区街道")
    Project.objects.create(code="2026-001", name="真实项目", level="district", project_type="industry",
                           total_investment=100, lead_unit=unit)
    before = snapshot()
    with pytest.raises(CommandError, match="非演示项目"):
        call_command("load_demo", "--reset", stdout=StringIO())
    assert snapshot() == before


def test_if_empty_loads_into_an_empty_database(db: Any, clock: time_machine.Traveller) -> None:
    # Its own build, not the session's: what is tested is load_demo itself on an empty database.
    # Emptied as a live-server test's flush leaves it: the seeded categories and funding sources are gone too.
    ProjectCategory.objects.all().delete()
    FundingSource.objects.all().delete()
    out = StringIO()
    call_command("load_demo", "--if-empty", stdout=out)
    # The ledger's 80 and the 10 started investment leads made key projects (investment/demo.py).
    assert Project.objects.count() == 90
    assert "lights: red" in out.getvalue()
    assert sorted(ProjectCategory.objects.values_list("name", "livelihood")) == sorted(
        (name, livelihood) for name, livelihood, _order in CATEGORIES
    )
    assert FundingSource.objects.count() == len(FUNDING_SOURCES)
    assert Project.objects.filter(category__isnull=False, funding_source__isnull=False).count() >= 60


def test_bench_months_are_the_closed_months_oldest_first() -> None:
    assert bench_months(TODAY, 12) == [(2025, 11), (2025, 12)] + [(2026, m) for m in range(1, 11)]
    assert bench_months(dt.date(2026, 1, 5), 2) == [(2025, 11), (2025, 12)]
