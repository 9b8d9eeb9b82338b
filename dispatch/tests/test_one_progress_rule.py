"""One validation of a period's progress: the project page's form, the unit's grid and Excel sheet
and corrections apply the same rules (projects.rules.progress_problems) with the same words, and
a district that reports twice a month keeps both halves whichever way they were entered.
"""
from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterator
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client, override_settings
from django.urls import reverse
from openpyxl import load_workbook

from dispatch.periods import services
from dispatch.periods.services import DispatchError
from dispatch.reporting import checks
from dispatch.reporting import excel as unit_excel
from dispatch.reporting import grid as reporting
from dispatch.review import corrections
from org.models import Unit, User
from projects import rules
from projects import services as project_services
from projects.forms import ProgressForm
from projects.models import ProgressReport, Project

TZ = ZoneInfo("Asia/Shanghai")


@pytest.fixture(autouse=True)
def clock() -> Iterator[time_machine.Traveller]:
    with time_machine.travel(dt.datetime(2026, 10, 20, 10, 0, tzinfo=TZ), tick=False) as traveller:
        yield traveller


@pytest.fixture
def project(units: dict[str, Unit], make_project: Any) -> Project:
    project = make_project(code="2026-A-001", lead_unit=units["town_a"], total_investment=Decimal("10000"))
    ProgressReport.objects.create(project=project, year=2026, month=9, invested=Decimal("500"),
                                  progress_percent=40, physical_progress="基础施工")
    return project


def _form(project: Project, user: User, **values: Any) -> ProgressForm:
    data = {"year": 2026, "month": 10, "invested": "100", "progress_percent": "45", "physical_progress": "主体施工",
            "problems": "", **values}
    return ProgressForm(data, project=project, user=user)


def _grid_issues(personas: dict[str, User], units: dict[str, Unit], project: Project, **values: str) -> list[Any]:
    period = services.period_open(year=2026, month=10, by=personas["office"])
    unit_report = period.unit_reports.get(unit=units["town_a"])
    inputs = {checks.INVESTED: "100", checks.PERCENT: "45", checks.PHYSICAL: "主体施工", **values}
    result = reporting.unit_report_rows_save(by=personas["reporter"], unit_report=unit_report,
                                             inputs={project.pk: inputs})
    assert not result.saved
    return [issue for row in result.rows for issue in row.issues if issue.is_error]


def test_the_form_refuses_progress_going_backwards_with_the_grids_words(
    personas: dict[str, User], units: dict[str, Unit], project: Project
) -> None:
    form = _form(project, personas["office"], progress_percent="30")
    assert not form.is_valid()
    [grid] = _grid_issues(personas, units, project, **{checks.PERCENT: "30"})
    assert grid.column == checks.PERCENT
    assert form.errors["progress_percent"] == [grid.text] == ["形象进度 30% 低于上期的 40%，形象进度不能倒退"]


def test_the_form_refuses_a_cumulative_above_the_total_with_the_grids_words(
    personas: dict[str, User], units: dict[str, Unit], project: Project
) -> None:
    form = _form(project, personas["office"], invested="9600")
    assert not form.is_valid()
    [grid] = _grid_issues(personas, units, project, **{checks.INVESTED: "9600"})
    assert grid.column == checks.SINCE_START
    assert form.errors["invested"] == [grid.text]
    assert "开工以来累计 10,100.00 万元超过总投资 10,000.00 万元" in grid.text
    # Exactly the total is allowed.
    assert _form(project, personas["office"], invested="9500").is_valid()


def test_a_correction_is_held_to_the_same_rules(
    personas: dict[str, User], units: dict[str, Unit], project: Project
) -> None:
    office = personas["office"]
    period = services.period_open(year=2026, month=10, by=office)
    report = project_services.progress_save(by=office, report=ProgressReport(
        project=project, year=2026, month=10, invested=Decimal("100"), progress_percent=45, physical_progress="x"))
    services.period_close(period=period, by=office)
    services.period_publish(period=period, by=office, reason="测试")
    report.refresh_from_db()
    with pytest.raises(DispatchError, match="形象进度 30% 低于上期的 40%，形象进度不能倒退"):
        corrections.correction_request(report=report, changes={"progress_percent": "30"}, reason="填错", by=office)
    with pytest.raises(DispatchError, match="超过总投资"):
        corrections.correction_request(report=report, changes={"invested": "9600"}, reason="填错", by=office)
    with pytest.raises(DispatchError, match="不能为负数"):
        corrections.correction_request(report=report, changes={"invested": "-1"}, reason="填错", by=office)
    request = corrections.correction_request(report=report, changes={"progress_percent": "50"}, reason="填错",
                                             by=office)
    corrections.correction_approve(request=request, by=office)
    report.refresh_from_db()
    assert report.progress_percent == 50


def test_the_shared_rule_in_words() -> None:
    before = rules.ProgressBefore(total_investment=Decimal(100), invested_before_period=Decimal(60), last_percent=40)
    assert rules.progress_problems(invested=Decimal(40), percent=40, before=before) == []
    found = rules.progress_problems(invested=Decimal("-1"), percent=101, before=before)
    assert [(p.field, p.text) for p in found] == [
        ("invested", "不能为负数，实际为 -1.00"), ("progress_percent", "应在 0 至 100 之间，实际为 101"),
    ]
    found = rules.progress_problems(invested=None, percent=None, before=before)
    assert [p.field for p in found] == ["invested", "progress_percent"]


# --- half-month districts -----------------------------------------------------------------------

def _upload(client: Client, unit_report: Any, project: Project, **cells: Any) -> None:
    response = client.get(reverse("dispatch:report_excel", args=[unit_report.pk]))
    assert response.status_code == 200
    wb = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    ws = wb[unit_excel.SHEET]
    header = {cell.value: cell.column for cell in ws[1]}
    row = next(r for r in range(2, ws.max_row + 1) if ws.cell(r, 1).value == project.code)
    for label, value in cells.items():
        ws.cell(row, header[label]).value = value
    buffer = io.BytesIO()
    wb.save(buffer)
    response = client.post(reverse("dispatch:report_excel_upload", args=[unit_report.pk]),
                           {"file": SimpleUploadedFile("填报.xlsx", buffer.getvalue())})
    assert response.status_code == 302, response.context and response.context["errors"]


@override_settings(DIAODU_REPORT_HALF_MONTH=True)
def test_a_half_month_district_keeps_both_halves_through_form_grid_and_sheet(
    personas: dict[str, User], units: dict[str, Unit], project: Project
) -> None:
    office, reporter = personas["office"], personas["reporter"]
    # The project page's form: both halves of August.
    for half, invested, percent in ((1, "10", "20"), (2, "20", "30")):
        form = _form(project, office, month=8, half=str(half), invested=invested, progress_percent=percent)
        assert form.is_valid(), form.errors
        saved = form.save(commit=False)
        saved.project = project
        project_services.progress_save(by=office, report=saved)
    # A second first half of August is the same period, not a new one.
    clash = _form(project, office, month=8, half="1", invested="1", progress_percent="30")
    assert not clash.is_valid() and "month" in clash.errors
    # The half is asked for, and a whole month is not offered.
    assert not _form(project, office, month=7).is_valid()

    # The unit's grid: the first half of October.
    first = services.period_open(year=2026, month=10, half=1, by=office)
    result = reporting.unit_report_rows_save(
        by=reporter, unit_report=first.unit_reports.get(unit=units["town_a"]),
        inputs={project.pk: {checks.INVESTED: "30", checks.PERCENT: "45", checks.PHYSICAL: "主体施工"}},
    )
    assert result.saved, [row.issues for row in result.rows]
    # The unit's Excel sheet: the second half of October.
    second = services.period_open(year=2026, month=10, half=2, by=office)
    client = Client()
    client.force_login(reporter)
    _upload(client, second.unit_reports.get(unit=units["town_a"]), project,
            **{"本期完成投资(万元)": 40, "形象进度(%)": 50, "形象进度描述": "封顶"})

    stored = {(r.month, r.half): (r.invested, r.progress_percent) for r in project.reports.filter(year=2026)}
    assert stored == {
        (8, 1): (Decimal("10.00"), 20), (8, 2): (Decimal("20.00"), 30), (9, 0): (Decimal("500.00"), 40),
        (10, 1): (Decimal("30.00"), 45), (10, 2): (Decimal("40.00"), 50),
    }
    table = project_services.progress_table(project, 2026)
    shown = [(row["month"], row["half"], row["report"].invested, row["ytd"]) for row in table if row["report"]]
    assert shown == [
        (8, 1, Decimal("10.00"), Decimal("10.00")), (8, 2, Decimal("20.00"), Decimal("30.00")),
        (9, 0, Decimal("500.00"), Decimal("530.00")),
        (10, 1, Decimal("30.00"), Decimal("560.00")), (10, 2, Decimal("40.00"), Decimal("600.00")),
    ]
    # Months nobody reported show both halves in such a district.
    assert [(row["month"], row["half"]) for row in table if row["month"] == 11] == [(11, 1), (11, 2)]
    # The project page lists every half.
    page = Client()
    page.force_login(office)
    html = page.get(reverse("projects:detail", args=[project.pk]) + "?year=2026").content.decode()
    assert "8月上半月" in html and "8月下半月" in html and "10月上半月" in html and "10月下半月" in html
