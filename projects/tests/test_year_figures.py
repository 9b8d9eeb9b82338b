"""The ledger's year figures (ProjectYear) against the live sums, after every kind of write.

The ledger sorts, filters and totals from ProjectYear; the live computation is
``Project.objects.with_figures`` (what the ledger summed before). After each write below, the two
must agree for every project and year.
"""
from __future__ import annotations

import datetime as dt
import importlib
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

import pytest
from django.apps import apps
from django.core.management import CommandError, call_command
from django.db import connection
from django.urls import reverse

from conftest import client_for, district_time
from dispatch.periods import services as dispatch_services
from dispatch.reporting import grid as reporting
from org.models import Unit, User
from projects import services
from projects.models import AnnualPlan, ProgressReport, Project, ProjectYear

YEARS = (2025, 2026, 2027)


@pytest.fixture
def clock_at() -> dt.datetime:
    """October's reporting, as in the dispatch tests: the grid of 2026-10 is open."""
    return district_time(2026, 10, 20, 10, 0)


pytestmark = pytest.mark.usefixtures("clock")


def assert_agrees(years: tuple[int, ...] = YEARS) -> None:
    """ProjectYear read as the ledger reads it equals the live sums, project by project and year by year."""
    for year in years:
        live = {p.pk: (p.plan_amount, p.invested_ytd) for p in Project.objects.with_figures(year)}
        kept = {p.pk: (p.plan_amount, p.invested_ytd) for p in Project.objects.with_year_figures(year)}
        assert kept == live, year
    assert services.year_figures_differences() == []


@pytest.fixture
def project(personas: dict[str, User], units: dict[str, Unit], make_project: Any) -> Project:
    """A project of 东城街道 with plans for 2026 and 2027 and two months reported, all through the services."""
    project = make_project(lead_unit=units["town_a"])
    services.project_save(by=personas["office"], project=project,
                          plans={2026: Decimal("1200"), 2027: Decimal("800")})
    for month, invested in [(8, "100"), (9, "50.5")]:
        services.progress_save(by=personas["office"], report=ProgressReport(
            project=project, year=2026, month=month, invested=Decimal(invested), progress_percent=10 * month))
    return project


def test_the_services_keep_the_figures_from_the_start(project: Project) -> None:
    assert list(ProjectYear.objects.filter(project=project).values_list("year", "invested_ytd", "plan")) == [
        (2026, Decimal("150.50"), Decimal("1200.00")), (2027, Decimal("0.00"), Decimal("800.00"))
    ]
    assert_agrees()


def test_the_project_form_with_plans(personas: dict[str, User], units: dict[str, Unit]) -> None:
    client = client_for(personas["office"])
    data = {
        "code": "2026-N-001", "name": "新能源电池项目", "level": "city", "project_type": "industry",
        "stage": "building", "construction": "new", "total_investment": "5000", "invested_before": "0",
        "planned_start": "2026-03-01", "actual_start": "2026-03-15", "planned_completion": "2027-12-31",
        "lead_unit": str(units["gxj"].pk), "town": str(units["town_a"].pk), "plan_this_year": "1200",
        "plan_next_year": "300",
    }
    assert client.post(reverse("projects:create"), data).status_code == 302
    assert_agrees()
    created = Project.objects.get(code="2026-N-001")
    # Changing one plan and clearing the other.
    response = client.post(reverse("projects:edit", args=[created.pk]),
                           {**data, "plan_this_year": "1500", "plan_next_year": ""})
    assert response.status_code == 302
    assert list(ProjectYear.objects.filter(project=created).values_list("year", "plan")) == [
        (2026, Decimal("1500.00"))
    ]
    assert_agrees()


def test_the_progress_form_add_edit_and_move_to_another_year(personas: dict[str, User], project: Project) -> None:
    client = client_for(personas["office"])
    add = reverse("projects:progress_new", args=[project.pk])
    response = client.post(add, {"year": 2026, "month": 7, "invested": "20", "progress_percent": "60"})
    assert response.status_code == 302
    assert_agrees()
    report = project.reports.get(year=2026, month=7)
    edit = reverse("projects:progress_edit", args=[project.pk, report.pk])
    response = client.post(edit, {"year": 2025, "month": 12, "invested": "25", "progress_percent": "60"})
    assert response.status_code == 302, response.content.decode()
    # The report left 2026 for 2025: both years are rewritten.
    assert ProjectYear.objects.get(project=project, year=2026).invested_ytd == Decimal("150.50")
    assert ProjectYear.objects.get(project=project, year=2025).invested_ytd == Decimal("25.00")
    assert_agrees()


def test_the_unit_report_grid(personas: dict[str, User], project: Project, make_project: Any) -> None:
    not_started = make_project(lead_unit=project.lead_unit, stage="preparing", actual_start=None)
    period = dispatch_services.period_open(year=2026, month=10, by=personas["office"])
    unit_report = period.unit_reports.get(unit=project.lead_unit)
    reporter = User.objects.create(username="tb_dc", role=User.Role.REPORTER, unit=project.lead_unit)
    inputs = {
        project.pk: {"invested": "70", "progress_percent": "95", "physical_progress": "主体施工"},
        not_started.pk: {"invested": "12.5", "progress_percent": "5", "physical_progress": "开工",
                         "actual_start": "2026-10-08"},
    }
    result = reporting.unit_report_rows_save(by=reporter, unit_report=unit_report, inputs=inputs)
    assert result.saved and result.changed == 2, result.errors
    assert ProjectYear.objects.get(project=not_started, year=2026).invested_ytd == Decimal("12.50")
    assert_agrees()
    # Saved again with another amount: the row is rewritten, not added to.
    inputs[project.pk]["invested"] = "7"
    assert reporting.unit_report_rows_save(by=reporter, unit_report=unit_report, inputs=inputs).saved
    assert ProjectYear.objects.get(project=project, year=2026).invested_ytd == Decimal("157.50")
    assert_agrees()


def test_a_plan_change_and_a_plan_removed(personas: dict[str, User], project: Project) -> None:
    services.project_save(by=personas["office"], project=Project.objects.get(pk=project.pk),
                          plans={2026: Decimal("1300"), 2027: None})
    assert_agrees()
    assert not ProjectYear.objects.filter(project=project, year=2027).exists()


def test_withdraw_and_delete(personas: dict[str, User], project: Project, make_project: Any) -> None:
    services.project_withdraw(by=personas["office"], project=project, reason="项目终止")
    assert_agrees()
    never_reported = make_project()
    services.project_save(by=personas["office"], project=never_reported, plans={2026: Decimal("10")})
    assert ProjectYear.objects.filter(project=never_reported).exists()
    services.project_delete(by=personas["office"], project=never_reported)
    assert not ProjectYear.objects.filter(project_id=never_reported.pk).exists()
    assert_agrees()


def test_a_correction_written_outside_the_services_is_refreshed_by_the_exposed_function(project: Project) -> None:
    """What dispatch.review.corrections.correction_approve does: it saves the report itself (a frozen period),
    then calls year_figures_refresh."""
    report = project.reports.get(month=9)
    report.invested = Decimal("80")
    report.save(update_fields=["invested", "updated_at"])
    assert services.year_figures_differences() != []  # the write alone leaves the copy behind
    services.year_figures_refresh(project_ids=[report.project_id], years=[report.year])
    assert_agrees()


def test_the_excel_import_path(personas: dict[str, User], units: dict[str, Unit]) -> None:
    """The import saves each row through project_save with the row's plans (source "excel")."""
    imported = Project(code="2026-X-001", name="导入项目", level="district", project_type="industry",
                       stage="planning", total_investment=Decimal("900"), lead_unit=units["gxj"])
    services.project_save(by=personas["office"], project=imported, plans={2026: Decimal("90"), 2027: Decimal("9")},
                          source="excel")
    assert ProjectYear.objects.filter(project=imported).count() == 2
    assert_agrees()


def test_the_demo_and_the_benchmark_data(db: Any) -> None:
    from projects.bench import bench_load
    from projects.demo import demo_load

    demo_load(as_of=dt.date(2026, 10, 20))
    assert ProjectYear.objects.exists()
    assert_agrees()
    bench_load(projects=40, months=14, as_of=dt.date(2026, 10, 20))
    assert_agrees()


def test_the_command_rebuilds_and_checks(project: Project) -> None:
    ProjectYear.objects.filter(project=project, year=2026).update(invested_ytd=Decimal("1"))
    ProjectYear.objects.filter(project=project, year=2027).delete()
    with pytest.raises(CommandError, match="2 project years differ"):
        call_command("rebuild_year_figures", "--check")
    call_command("rebuild_year_figures")
    assert_agrees()
    call_command("rebuild_year_figures", "--check")


def test_the_migration_fills_the_table_from_existing_data(project: Project) -> None:
    ProjectYear.objects.all().delete()
    migration = importlib.import_module("projects.migrations.0007_project_year_figures")
    migration.fill(apps, SimpleNamespace(connection=connection))
    # 0012 adds the rate (derived from the two figures) and fills it in.
    rate = importlib.import_module("projects.migrations.0012_project_year_rate")
    rate.fill(apps, SimpleNamespace(connection=connection))
    assert_agrees()


def test_the_ledger_totals_come_from_the_table(personas: dict[str, User], project: Project) -> None:
    """One aggregate gives the header and the totals row; they follow the table, not the reports."""
    response = client_for(personas["office"]).get(reverse("projects:ledger"))
    assert response.context["totals"]["ytd"] == Decimal("150.50")
    assert response.context["totals"]["plan"] == Decimal("1200.00")
    ProjectYear.objects.filter(project=project, year=2026).update(invested_ytd=Decimal("1"))
    response = client_for(personas["office"]).get(reverse("projects:ledger"), {"sort": "-ytd"})
    assert response.context["totals"]["ytd"] == Decimal("1")
    assert [row.invested_ytd for row in response.context["page"]] == [Decimal("1")]
    assert AnnualPlan.objects.filter(project=project).count() == 2
