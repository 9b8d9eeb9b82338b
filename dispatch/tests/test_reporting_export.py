"""Who has reported: the period board's last reminder per unit and the .xlsx of every unit (issue 8 §4)."""
from __future__ import annotations

import datetime as dt
import io
from typing import Any
from urllib.parse import unquote

import pytest
import time_machine
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from conftest import client_for, district_time, make_user
from core.models import Period
from dispatch.models import ReminderLog, UnitReport
from dispatch.periods import reminders, services
from dispatch.review import excel as reporting_excel
from org.models import Unit, User
from projects.models import ProgressReport, Project

HEADERS = ["单位", "类型", "填报员", "状态", "报送时间", "审核通过时间", "最近催报时间", "项目数", "已填报项目数"]


@pytest.fixture
def cycle(personas: dict[str, User], units: dict[str, Unit], make_project: Any) -> dict[str, Any]:
    """March 2026, due Wednesday the 25th: 工信局 never reports, 东城街道 is approved, 西山镇 returned,
    发改局 (a unit named like a formula) submitted; the reminders ran on the 23rd and the 25th."""
    Unit.objects.filter(pk=units["fgj"].pk).update(short_name="=HYPERLINK(\"x\")")
    for unit in ("gxj", "town_a", "town_a", "town_b", "fgj"):
        make_project(lead_unit=units[unit], town=units["town_a"])
    make_user("dc2", User.Role.REPORTER, units["town_a"], full_name="李填报")
    make_user("dc_gone", User.Role.REPORTER, units["town_a"], full_name="已停用", is_active=False)
    office = personas["office"]
    with override_settings(DIAODU_REPORT_DEADLINE="day:25", DIAODU_REMINDER_DAYS_BEFORE=2):
        period = services.period_open(year=2026, month=3, by=office)
        with time_machine.travel(district_time(2026, 3, 23, 8, 0), tick=False):
            reminders.reminders_send(today=dt.date(2026, 3, 23))
        reports = {r.unit_id: r for r in period.unit_reports.all()}
        town_a = reports[units["town_a"].pk]
        project = Project.objects.filter(lead_unit=units["town_a"]).order_by("code").first()
        ProgressReport.objects.create(project=project, year=2026, month=3, invested=10, progress_percent=10,
                                      physical_progress="施工")
        with time_machine.travel(district_time(2026, 3, 24, 9, 30), tick=False):
            town_a = services.unit_report_submit(unit_report=town_a, version=1, by=personas["reporter"])
        with time_machine.travel(district_time(2026, 3, 24, 16, 5), tick=False):
            services.unit_report_approve(unit_report=town_a, version=town_a.version, by=office)
        town_b = reports[units["town_b"].pk]
        with time_machine.travel(district_time(2026, 3, 24, 10, 0), tick=False):
            town_b = services.unit_report_submit(unit_report=town_b, version=1, by=personas["other_reporter"])
            services.unit_report_return(unit_report=town_b, version=town_b.version, by=office, reason="重填")
        fgj = reports[units["fgj"].pk]
        with time_machine.travel(district_time(2026, 3, 25, 7, 0), tick=False):
            services.unit_report_submit(unit_report=fgj, version=1, by=office)
        with time_machine.travel(district_time(2026, 3, 25, 8, 0), tick=False):
            reminders.reminders_send(today=dt.date(2026, 3, 25))
    return {"period": period}


def _download(user: User, period: Period) -> Any:
    response = client_for(user).get(reverse("dispatch:period_reporting_xlsx", args=[period.pk]))
    assert response.status_code == 200
    return response


def _sheet(response: Any) -> Any:
    return load_workbook(io.BytesIO(b"".join(response.streaming_content)))


def test_the_export_lists_every_unit_with_its_state_times_and_counts(
    cycle: dict[str, Any], personas: dict[str, User]
) -> None:
    response = _download(personas["office"], cycle["period"])
    assert "2026年3月月报报送情况.xlsx" in unquote(response["Content-Disposition"])
    workbook = _sheet(response)
    ws = workbook["报送情况"]
    values = [list(row) for row in ws.iter_rows(values_only=True)]
    assert values[0] == HEADERS
    by_unit = {row[0]: row for row in values[1:]}
    assert len(values) == 5 and set(by_unit) == {"工信局", "=HYPERLINK(\"x\")", "东城街道", "西山镇"}
    # Departments first, then towns, as on the board.
    assert [row[1] for row in values[1:]] == ["部门", "部门", "镇街", "镇街"]
    gxj, town_a, town_b, fgj = by_unit["工信局"], by_unit["东城街道"], by_unit["西山镇"], by_unit["=HYPERLINK(\"x\")"]
    assert gxj[2:] == [None, "未报", None, None, dt.datetime(2026, 3, 25, 8, 0), 1, 0]
    # Active reporters only, by name; approved with both times; reminded on the 23rd, before it submitted.
    assert town_a[2] == "reporter、李填报"
    assert town_a[3:] == ["已审核", dt.datetime(2026, 3, 24, 9, 30), dt.datetime(2026, 3, 24, 16, 5),
                          dt.datetime(2026, 3, 23, 8, 0), 2, 1]
    # A return is not an approval: no approval time; returned reports are reminded on the deadline.
    assert town_b[2:] == ["other", "已退回", dt.datetime(2026, 3, 24, 10, 0), None, dt.datetime(2026, 3, 25, 8, 0),
                          1, 0]
    # Submitted before the deadline reminder went out: only the reminder of the 23rd.
    assert fgj[3:5] == ["已报送", dt.datetime(2026, 3, 25, 7, 0)] and fgj[6] == dt.datetime(2026, 3, 23, 8, 0)
    # A unit's name is text, never a formula.
    cell = next(c for c in ws["A"] if c.value == "=HYPERLINK(\"x\")")
    assert cell.data_type == "s"
    notes = [list(row) for row in workbook["说明"].iter_rows(values_only=True)]
    assert notes[0] == ["调度期", "2026年3月"] and notes[1][0] == "截止日期" and notes[3] == ["单位数", "4"]
    assert any("未报＝尚未报送" in str(row[1]) for row in notes)


def test_leaders_download_it_and_the_board_links_it_for_them_only(
    cycle: dict[str, Any], personas: dict[str, User]
) -> None:
    period = cycle["period"]
    url = reverse("dispatch:period_reporting_xlsx", args=[period.pk])
    assert _sheet(_download(personas["leader"], period))["报送情况"].max_row == 5
    board = reverse("dispatch:period_board", args=[period.pk])
    for role in ("office", "admin", "leader"):
        assert url in client_for(personas[role]).get(board).content.decode(), role
    for role in ("viewer", "reporter"):
        assert url not in client_for(personas[role]).get(board).content.decode(), role
        assert client_for(personas[role]).get(url).status_code == 403, role


def test_the_board_shows_when_each_unit_was_last_reminded(
    cycle: dict[str, Any], personas: dict[str, User], units: dict[str, Unit]
) -> None:
    response = client_for(personas["office"]).get(reverse("dispatch:period_board", args=[cycle["period"].pk]))
    reminded = {row.report.unit_id: row.last_reminded for row in response.context["rows"]}
    assert reminded[units["gxj"].pk] == district_time(2026, 3, 25, 8, 0)
    assert reminded[units["town_a"].pk] == district_time(2026, 3, 23, 8, 0)
    html = response.content.decode()
    assert "最近催报" in html and "2026-03-25 08:00" in html and "2026-03-23 08:00" in html


def test_a_unit_never_reminded_shows_a_dash(
    personas: dict[str, User], units: dict[str, Unit], make_project: Any
) -> None:
    make_project(lead_unit=units["gxj"])
    period = services.period_open(year=2026, month=3, by=personas["office"])
    response = client_for(personas["office"]).get(reverse("dispatch:period_board", args=[period.pk]))
    assert [row.last_reminded for row in response.context["rows"]] == [None]
    assert '<td class="reminded">—</td>' in response.content.decode()


def test_the_export_query_count_does_not_grow_with_units(
    cycle: dict[str, Any], personas: dict[str, User], make_project: Any
) -> None:
    period = cycle["period"]
    client = client_for(personas["office"])
    url = reverse("dispatch:period_reporting_xlsx", args=[period.pk])
    b"".join(client.get(url).streaming_content)
    with CaptureQueriesContext(connection) as few:
        b"".join(client.get(url).streaming_content)
    for n in range(6):
        unit = Unit.objects.create(name=f"新单位{n}", kind=Unit.Kind.DEPARTMENT)
        make_project(lead_unit=unit)
        make_user(f"new{n}", User.Role.REPORTER, unit)
        UnitReport.objects.create(period=period, unit=unit)
        ReminderLog.objects.create(period=period, unit=unit, kind=ReminderLog.Kind.BEFORE)
    with CaptureQueriesContext(connection) as many:
        response = client.get(url)
        assert _sheet(response)["报送情况"].max_row == 11
    assert len(many) == len(few), [q["sql"] for q in many.captured_queries]


def test_rows_name_the_states_a_reader_expects(cycle: dict[str, Any]) -> None:
    states = {row.report.state: row.state for row in reporting_excel.rows(cycle["period"])}
    assert states == {
        UnitReport.State.DRAFT: "未报", UnitReport.State.SUBMITTED: "已报送",
        UnitReport.State.RETURNED: "已退回", UnitReport.State.APPROVED: "已审核",
    }
