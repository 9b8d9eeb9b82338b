"""The unit's reporting page: the grid, saving rows (HTMX and all at once), submitting, scope."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from audit.models import AuditEntry
from conftest import client_for, district_time
from core.models import Period
from dispatch.models import UnitReport, UnitReportEvent
from dispatch.periods import services
from dispatch.reporting import grid as reporting
from org.models import Unit, User
from projects.models import ProgressReport, Project

DRAFT, SUBMITTED, RETURNED = UnitReport.State.DRAFT, UnitReport.State.SUBMITTED, UnitReport.State.RETURNED
HX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def clock_at() -> dt.datetime:
    """October's reporting, before its deadline: the district clock of every test here."""
    return district_time(2026, 10, 20, 10, 32)


pytestmark = pytest.mark.usefixtures("clock")


@pytest.fixture
def projects(units: dict[str, Unit], make_project: Any) -> list[Project]:
    """Two projects led by 东城街道 (the reporter's unit) with September reported, one of 西山镇."""
    mine = [
        make_project(code="2026-A-001", lead_unit=units["town_a"], town=units["town_a"]),
        make_project(code="2026-A-002", lead_unit=units["town_a"], town=units["town_a"]),
    ]
    make_project(code="2026-B-001", lead_unit=units["town_b"], town=units["town_b"])
    for project in mine:
        ProgressReport.objects.create(project=project, year=2026, month=9, invested=Decimal("500"),
                                      progress_percent=40, physical_progress="基础施工")
    return mine


@pytest.fixture
def period(personas: dict[str, User], projects: list[Project]) -> Period:
    return services.period_open(year=2026, month=10, by=personas["office"])


@pytest.fixture
def unit_report(period: Period, units: dict[str, Unit]) -> UnitReport:
    return period.unit_reports.get(unit=units["town_a"])


def row_data(project: Project, **values: str) -> dict[str, str]:
    data = {"invested": "300", "progress_percent": "45", "physical_progress": "主体施工", "problems": ""}
    data.update(values)
    return {f"p{project.pk}-{key}": value for key, value in data.items()}


def row_url(unit_report: UnitReport, project: Project) -> str:
    return reverse("dispatch:report_row", args=[unit_report.pk, project.pk])


def fill(unit_report: UnitReport, projects: list[Project], user: User) -> None:
    client = client_for(user)
    for project in projects:
        response = client.post(row_url(unit_report, project), row_data(project), **HX)
        assert "已保存" in response.content.decode(), response.content.decode()


# --- the grid -----------------------------------------------------------------------------------

def test_the_grid_shows_every_project_of_the_unit(
    unit_report: UnitReport, projects: list[Project], personas: dict[str, User]
) -> None:
    response = client_for(personas["reporter"]).get(reverse("dispatch:report_grid", args=[unit_report.pk]))
    assert response.status_code == 200
    assert [row.project.code for row in response.context["rows"]] == ["2026-A-001", "2026-A-002"]
    page = response.content.decode()
    assert "2026-B-001" not in page
    assert (response.context["filled"], response.context["missing"]) == (0, 2)
    assert "上期 40%" in page
    assert "还剩 3 天" in page  # 23 October, the Friday before the 25th
    assert f'name="p{projects[0].pk}-invested"' in page
    # Last period's year-to-date is the row's starting point.
    assert response.context["rows"][0].context.ytd_before == Decimal("500")


def test_the_deadline_passed_is_shown_in_days(unit_report: UnitReport, personas: dict[str, User],
                                              clock: time_machine.Traveller) -> None:
    clock.move_to(dt.datetime(2026, 10, 26, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai")))
    response = client_for(personas["reporter"]).get(reverse("dispatch:report_grid", args=[unit_report.pk]))
    assert "已逾期 3 天" in response.content.decode()


def test_a_row_saves_as_a_draft_through_htmx(
    unit_report: UnitReport, projects: list[Project], personas: dict[str, User]
) -> None:
    project = projects[0]
    response = client_for(personas["reporter"]).post(row_url(unit_report, project), row_data(project), **HX)
    assert response.status_code == 200
    html = response.content.decode()
    assert html.lstrip().startswith(f'<tr id="row-{project.pk}"')
    assert "已保存 10:32" in html
    assert "800.00" in html  # year-to-date: 500 + 300
    report = ProgressReport.objects.get(project=project, year=2026, month=10)
    assert (report.invested, report.progress_percent, report.physical_progress) == (Decimal("300"), 45, "主体施工")
    assert report.period == unit_report.period
    assert report.reported_by == personas["reporter"]
    assert AuditEntry.objects.filter(source="grid").exists()
    unit_report.refresh_from_db()
    assert unit_report.state == DRAFT


def test_invalid_input_is_not_saved_and_stays_in_the_row(
    unit_report: UnitReport, projects: list[Project], personas: dict[str, User]
) -> None:
    project = projects[0]
    data = row_data(project, invested="三百", progress_percent="30", physical_progress="我写的描述")
    response = client_for(personas["reporter"]).post(row_url(unit_report, project), data, **HX)
    html = response.content.decode()
    assert response.status_code == 200
    assert 'value="三百"' in html and "我写的描述" in html and 'value="30"' in html
    assert "应为数字，实际为“三百”" in html
    assert "形象进度 30% 低于上期的 40%" in html
    assert "2 处错误，未保存" in html
    assert not ProgressReport.objects.filter(project=project, year=2026, month=10).exists()


def test_a_frozen_period_refuses_rows(
    unit_report: UnitReport, projects: list[Project], personas: dict[str, User]
) -> None:
    Period.objects.filter(pk=unit_report.period_id).update(state=Period.State.PUBLISHED)
    for role in ("reporter", "office"):
        response = client_for(personas[role]).post(row_url(unit_report, projects[0]), row_data(projects[0]), **HX)
        html = response.content.decode()
        assert "未保存" in html and "已发布，数据已冻结" in html
        assert 'value="300"' in html  # what was typed is still there
    assert not ProgressReport.objects.filter(year=2026, month=10).exists()
    page = client_for(personas["reporter"]).get(reverse("dispatch:report_grid", args=[unit_report.pk]))
    assert not page.context["editing"]
    assert f'name="p{projects[0].pk}-invested"' not in page.content.decode()


def test_a_submitted_report_refuses_the_reporters_rows(
    unit_report: UnitReport, projects: list[Project], personas: dict[str, User]
) -> None:
    fill(unit_report, projects, personas["reporter"])
    services.unit_report_submit(unit_report=unit_report, version=unit_report.version, by=personas["reporter"])
    data = row_data(projects[0], invested="999")
    response = client_for(personas["reporter"]).post(row_url(unit_report, projects[0]), data, **HX)
    assert "已报送" in response.content.decode()
    assert ProgressReport.objects.get(project=projects[0], month=10).invested == Decimal("300")


def test_a_project_not_yet_started_gets_its_start_date_and_stage(
    unit_report: UnitReport, units: dict[str, Unit], make_project: Any, personas: dict[str, User]
) -> None:
    project = make_project(lead_unit=units["town_a"], stage="preparing", actual_start=None)
    client = client_for(personas["reporter"])
    response = client.post(row_url(unit_report, project), row_data(project), **HX)
    assert "须填写实际开工日期" in response.content.decode()
    response = client.post(row_url(unit_report, project), row_data(project, actual_start="2026-10-21"), **HX)
    assert "晚于今天" in response.content.decode()
    response = client.post(row_url(unit_report, project), row_data(project, actual_start="2026-10-08"), **HX)
    assert "已保存" in response.content.decode()
    project.refresh_from_db()
    assert (project.actual_start, project.stage) == (dt.date(2026, 10, 8), "building")
    assert ProgressReport.objects.filter(project=project, month=10).exists()


def test_a_blank_row_changes_nothing(
    unit_report: UnitReport, projects: list[Project], personas: dict[str, User]
) -> None:
    data = row_data(projects[0], invested="", progress_percent="", physical_progress="")
    response = client_for(personas["reporter"]).post(row_url(unit_report, projects[0]), data, **HX)
    assert "未填报" in response.content.decode()
    assert not ProgressReport.objects.filter(month=10).exists()


def test_save_all_is_all_or_nothing(
    unit_report: UnitReport, projects: list[Project], personas: dict[str, User]
) -> None:
    client = client_for(personas["reporter"])
    url = reverse("dispatch:report_save_all", args=[unit_report.pk])
    data = {**row_data(projects[0]), **row_data(projects[1], progress_percent="101", physical_progress="第二行")}
    response = client.post(url, data)
    assert response.status_code == 200
    html = response.content.decode()
    assert "应在 0 至 100 之间，实际为 101" in html and "第二行" in html
    assert not ProgressReport.objects.filter(month=10).exists()
    data = {**row_data(projects[0]), **row_data(projects[1], invested="0", physical_progress="第二行")}
    response = client.post(url, data)
    assert response.status_code == 302
    assert ProgressReport.objects.filter(month=10).count() == 2


# --- submitting -------------------------------------------------------------------------------

def submit(client: Client, unit_report: UnitReport, version: int) -> Any:
    return client.post(reverse("dispatch:report_submit", args=[unit_report.pk]), {"version": str(version)})


def test_submit_with_errors_changes_nothing(
    unit_report: UnitReport, projects: list[Project], personas: dict[str, User]
) -> None:
    fill(unit_report, projects[:1], personas["reporter"])
    response = submit(client_for(personas["reporter"]), unit_report, unit_report.version)
    assert response.status_code == 200
    html = response.content.decode()
    assert "未通过检查" in html and "2026-A-002" in html and "本期尚未填报" in html
    assert [p.code for p, _issues in response.context["blocking"]] == ["2026-A-002"]
    unit_report.refresh_from_db()
    assert (unit_report.state, unit_report.version) == (DRAFT, 1)
    assert not unit_report.events.exists()


def test_submit_and_resubmit_after_return_keeps_the_history(
    unit_report: UnitReport, projects: list[Project], personas: dict[str, User]
) -> None:
    reporter = client_for(personas["reporter"])
    fill(unit_report, projects, personas["reporter"])
    response = submit(reporter, unit_report, 1)
    assert response.status_code == 302
    unit_report.refresh_from_db()
    assert unit_report.state == SUBMITTED and unit_report.submitted_by == personas["reporter"]
    services.unit_report_return(unit_report=unit_report, version=unit_report.version, by=personas["office"],
                                reason="二号项目形象进度描述过于简单")
    page = reporter.get(reverse("dispatch:report_grid", args=[unit_report.pk]))
    assert "二号项目形象进度描述过于简单" in page.content.decode()
    assert page.context["editing"]
    response = reporter.post(row_url(unit_report, projects[1]),
                             row_data(projects[1], physical_progress="主体结构封顶，开始内部装修"), **HX)
    assert "已保存" in response.content.decode()
    response = submit(reporter, unit_report, page.context["unit_report"].version)
    assert response.status_code == 302
    unit_report.refresh_from_db()
    assert unit_report.state == SUBMITTED
    actions = list(unit_report.events.values_list("action", flat=True))
    assert actions == [UnitReportEvent.Action.SUBMIT, UnitReportEvent.Action.RETURN, UnitReportEvent.Action.SUBMIT]
    history = reporter.get(reverse("dispatch:report_grid", args=[unit_report.pk])).content.decode()
    assert history.count("报送</td>") == 2 and "退回</td>" in history


def test_a_stale_page_cannot_submit(
    unit_report: UnitReport, projects: list[Project], personas: dict[str, User]
) -> None:
    fill(unit_report, projects, personas["reporter"])
    stale = unit_report.version
    # A colleague submitted meanwhile and the office returned it: the state allows submitting again,
    # but not from a page that has not seen the return.
    services.unit_report_submit(unit_report=unit_report, version=stale, by=personas["reporter"])
    services.unit_report_return(unit_report=unit_report, version=unit_report.version, by=personas["office"],
                                reason="请补充")
    response = submit(client_for(personas["reporter"]), unit_report, stale)
    assert response.status_code == 302
    unit_report.refresh_from_db()
    assert unit_report.state == RETURNED
    messages = [str(m) for m in response.wsgi_request._messages]
    assert any("刚被" in m for m in messages), messages


# --- scope ------------------------------------------------------------------------------------

def test_scope(unit_report: UnitReport, projects: list[Project], personas: dict[str, User]) -> None:
    grid = reverse("dispatch:report_grid", args=[unit_report.pk])
    other = client_for(personas["other_reporter"])
    assert other.get(grid).status_code == 404
    assert other.post(row_url(unit_report, projects[0]), row_data(projects[0])).status_code == 404
    for role in ("viewer", "leader"):
        client = client_for(personas[role])
        assert client.get(grid).status_code == 200
        assert not client.get(grid).context["editing"]
        assert client.post(row_url(unit_report, projects[0]), row_data(projects[0])).status_code == 403
        assert submit(client, unit_report, 1).status_code == 403
    assert not ProgressReport.objects.filter(month=10).exists()
    # A project of another unit is not a row of this report.
    foreign = Project.objects.get(code="2026-B-001")
    response = client_for(personas["office"]).post(row_url(unit_report, foreign), row_data(foreign))
    assert response.status_code == 404


def test_home_sends_a_reporter_to_the_units_report(
    unit_report: UnitReport, personas: dict[str, User], units: dict[str, Unit]
) -> None:
    response = client_for(personas["reporter"]).get(reverse("dispatch:report_home"))
    assert response.status_code == 302
    assert response["Location"] == reverse("dispatch:report_grid", args=[unit_report.pk])
    office = client_for(personas["office"]).get(reverse("dispatch:report_home"))
    assert office.status_code == 200
    assert reverse("dispatch:report_grid", args=[unit_report.pk]) in office.content.decode()
    # A unit without projects has no report to fill.
    loose = User.objects.create_user(username="fgj-rep", password="x-long-password-1", role=User.Role.REPORTER,
                                     unit=units["fgj"])
    response = client_for(loose).get(reverse("dispatch:report_home"))
    assert response.status_code == 200
    assert "目前没有需要" in response.content.decode()


def test_unit_report_issues_for_the_review_page(
    unit_report: UnitReport, projects: list[Project], personas: dict[str, User]
) -> None:
    fill(unit_report, projects[:1], personas["reporter"])
    issues = reporting.unit_report_issues(unit_report)
    assert set(issues) == {projects[0].pk, projects[1].pk}
    assert [i.text for i in issues[projects[1].pk]] == ["本期尚未填报"]
    assert not any(i.is_error for i in issues[projects[0].pk])


# --- queries ----------------------------------------------------------------------------------

def _grid_queries(client: Client, unit_report: UnitReport) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("dispatch:report_grid", args=[unit_report.pk]))
    assert response.status_code == 200
    return len(queries)


def test_the_grid_does_not_query_per_row(
    personas: dict[str, User], units: dict[str, Unit], make_project: Any
) -> None:
    def add(count: int) -> None:
        for _n in range(count):
            project = make_project(lead_unit=units["town_a"])
            ProgressReport.objects.create(project=project, year=2026, month=9, invested=Decimal("100"),
                                          progress_percent=10, physical_progress="施工")
            ProgressReport.objects.create(project=project, year=2026, month=10, invested=Decimal("100"),
                                          progress_percent=20, physical_progress="施工")

    add(10)
    period = services.period_open(year=2026, month=10, by=personas["office"])
    unit_report = period.unit_reports.get(unit=units["town_a"])
    client = client_for(personas["reporter"])
    few = _grid_queries(client, unit_report)
    add(50)
    many = _grid_queries(client, unit_report)
    assert len(client.get(reverse("dispatch:report_grid", args=[unit_report.pk])).context["rows"]) == 60
    assert many == few, (few, many)


def test_stored_figures_that_break_a_rule_block_submission(
    unit_report: UnitReport, projects: list[Project], personas: dict[str, User]
) -> None:
    # Saved through another page before the checks: the percent went back from 40 to 30.
    fill(unit_report, projects[1:], personas["reporter"])
    ProgressReport.objects.create(project=projects[0], year=2026, month=10, invested=Decimal("100"),
                                  progress_percent=30, physical_progress="施工")
    client = client_for(personas["reporter"])
    page = client.get(reverse("dispatch:report_grid", args=[unit_report.pk])).content.decode()
    assert "已填报，有 1 处错误，报送前须修改" in page
    response = submit(client, unit_report, unit_report.version)
    assert response.status_code == 200
    assert [(p.code, [i.column for i in issues if i.is_error]) for p, issues in response.context["blocking"]] == [
        ("2026-A-001", ["progress_percent"])
    ]
    unit_report.refresh_from_db()
    assert unit_report.state == DRAFT
