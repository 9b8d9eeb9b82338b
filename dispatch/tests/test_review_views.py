"""Pages of the office's side of the cycle: periods, the period board, reviewing a unit's report, notifications."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
import time_machine
from django.db import connection
from django.test import RequestFactory, override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from conftest import client_for, make_user
from core.models import Notification, Period
from dispatch.models import UnitReport
from dispatch.periods import services
from dispatch.reporting.grid import unit_report_issues
from org.models import Unit, User
from projects.models import ProgressReport, Project

DRAFT, SUBMITTED, APPROVED, RETURNED = (
    UnitReport.State.DRAFT, UnitReport.State.SUBMITTED, UnitReport.State.APPROVED, UnitReport.State.RETURNED
)


def first_message(response: Any) -> str:
    return str(next(iter(response.context["messages"])))


@pytest.fixture
def period(personas: dict[str, User], units: dict[str, Unit], make_project: Any) -> Period:
    """March 2026 (deadline Wednesday the 25th) with reports of 工信局 and 东城街道."""
    make_project(lead_unit=units["gxj"], town=units["town_b"])
    make_project(lead_unit=units["town_a"], town=units["town_a"])
    make_project(lead_unit=units["town_a"], town=units["town_a"])
    with override_settings(DIAODU_REPORT_DEADLINE="day:25"):
        return services.period_open(year=2026, month=3, by=personas["office"])


def _report(period: Period, unit: Unit) -> UnitReport:
    return period.unit_reports.get(unit=unit)


def _submit(report: UnitReport, by: User) -> UnitReport:
    report.refresh_from_db()
    return services.unit_report_submit(unit_report=report, version=report.version, by=by)


# --- periods page -------------------------------------------------------------------------------

def test_the_periods_page_lists_counts_and_the_rule(period: Period, personas: dict[str, User],
                                                     units: dict[str, Unit]) -> None:
    _submit(_report(period, units["town_a"]), personas["reporter"])
    response = client_for(personas["office"]).get(reverse("dispatch:periods"))
    assert response.status_code == 200
    row = next(p for p in response.context["periods"] if p.pk == period.pk)
    assert (row.n_draft, row.n_submitted, row.n_approved, row.n_returned) == (1, 1, 0, 0)
    html = response.content.decode()
    assert "2026年3月" in html and "2026-03-25" in html
    assert "每月 25 日前报送" in html
    # The next period is proposed.
    assert response.context["form"].initial == {"year": 2026, "month": 4, "half": 0}
    assert reverse("dispatch:period_open") in html


def test_others_see_the_periods_without_the_form(period: Period, personas: dict[str, User]) -> None:
    for role in ("leader", "viewer", "reporter"):
        html = client_for(personas[role]).get(reverse("dispatch:periods")).content.decode()
        assert "2026年3月" in html
        assert reverse("dispatch:period_open") not in html, role


def test_the_office_opens_a_period(personas: dict[str, User], units: dict[str, Unit], make_project: Any) -> None:
    make_project(lead_unit=units["town_a"])
    client = client_for(personas["office"])
    response = client.post(reverse("dispatch:period_open"), {"year": "2026", "month": "4", "half": "0"}, follow=True)
    period = Period.objects.get(year=2026, month=4)
    assert response.redirect_chain[-1][0] == reverse("dispatch:period_board", args=[period.pk])
    assert "2026-04-24" in first_message(response)  # the 25th is a Saturday
    # Twice is refused, with the reason.
    response = client.post(reverse("dispatch:period_open"), {"year": "2026", "month": "4", "half": "0"}, follow=True)
    assert "已存在" in first_message(response)
    assert Period.objects.count() == 1


def test_a_half_month_needs_the_setting(personas: dict[str, User], units: dict[str, Unit],
                                        make_project: Any) -> None:
    make_project(lead_unit=units["town_a"])
    client = client_for(personas["office"])
    response = client.post(reverse("dispatch:period_open"), {"year": "2026", "month": "5", "half": "1"}, follow=True)
    assert [m.level_tag for m in response.context["messages"]] == ["error"]
    assert not Period.objects.exists()
    with override_settings(DIAODU_REPORT_HALF_MONTH=True):
        assert "上半月" in client.get(reverse("dispatch:periods")).content.decode()
        client.post(reverse("dispatch:period_open"), {"year": "2026", "month": "5", "half": "1"})
    assert Period.objects.get().label == "2026年5月上半月"


def test_the_open_form_refuses_nonsense(personas: dict[str, User]) -> None:
    response = client_for(personas["office"]).post(
        reverse("dispatch:period_open"), {"year": "2026", "month": "13"}, follow=True
    )
    assert "月份" in first_message(response)
    assert not Period.objects.exists()


# --- period board ---------------------------------------------------------------------------------

def test_the_board_shows_states_lateness_and_reasons(
    period: Period, personas: dict[str, User], units: dict[str, Unit]
) -> None:
    town = _report(period, units["town_a"])
    with time_machine.travel(dt.datetime(2026, 3, 27, 9, 0, tzinfo=dt.UTC), tick=False):
        _submit(town, personas["reporter"])
    town.refresh_from_db()
    services.unit_report_return(unit_report=town, version=town.version, by=personas["office"], reason="数字有误")
    with time_machine.travel(dt.datetime(2026, 3, 30, 9, 0, tzinfo=dt.UTC), tick=False):
        response = client_for(personas["office"]).get(reverse("dispatch:period_board", args=[period.pk]))
    rows = {row.report.unit_id: row for row in response.context["rows"]}
    assert rows[units["town_a"].pk].report.state == RETURNED
    # Returned: owed again, late until today (30th − 25th).
    assert rows[units["town_a"].pk].late == 5
    assert rows[units["town_a"].pk].project_count == 2
    assert rows[units["gxj"].pk].late == 5
    summary = response.context["summary"]
    assert (summary["total"], summary["late"], summary["returned"], summary["draft"]) == (2, 2, 1, 1)
    html = response.content.decode()
    assert "数字有误" in html and "逾期 5 天" in html


def test_a_report_submitted_late_stays_late_by_the_days_it_was(
    period: Period, personas: dict[str, User], units: dict[str, Unit]
) -> None:
    with time_machine.travel(dt.datetime(2026, 3, 27, 9, 0, tzinfo=dt.UTC), tick=False):
        _submit(_report(period, units["town_a"]), personas["reporter"])
    with time_machine.travel(dt.datetime(2026, 4, 20, 9, 0, tzinfo=dt.UTC), tick=False):
        rows = client_for(personas["office"]).get(reverse("dispatch:period_board", args=[period.pk])).context["rows"]
    late = {row.report.unit_id: row.late for row in rows}
    assert late == {units["town_a"].pk: 2, units["gxj"].pk: 26}


def test_on_time_is_not_late(period: Period, personas: dict[str, User], units: dict[str, Unit]) -> None:
    # Submitted at 23:30 on the deadline, Beijing time (15:30 UTC): on time.
    with time_machine.travel(dt.datetime(2026, 3, 25, 15, 30, tzinfo=dt.UTC), tick=False):
        _submit(_report(period, units["town_a"]), personas["reporter"])
        rows = client_for(personas["office"]).get(reverse("dispatch:period_board", args=[period.pk])).context["rows"]
    assert {row.report.unit_id: row.late for row in rows} == {units["town_a"].pk: 0, units["gxj"].pk: 0}


def test_the_board_filters_by_state(period: Period, personas: dict[str, User], units: dict[str, Unit]) -> None:
    _submit(_report(period, units["town_a"]), personas["reporter"])
    client = client_for(personas["office"])
    url = reverse("dispatch:period_board", args=[period.pk])
    assert [r.report.unit_id for r in client.get(url, {"state": SUBMITTED}).context["rows"]] == [units["town_a"].pk]
    assert [r.report.unit_id for r in client.get(url, {"state": DRAFT}).context["rows"]] == [units["gxj"].pk]
    assert len(client.get(url, {"state": "nonsense"}).context["rows"]) == 2
    # The summary counts all rows whatever the filter.
    assert client.get(url, {"state": DRAFT}).context["summary"]["total"] == 2


def test_a_reporter_sees_only_the_units_row(period: Period, personas: dict[str, User], units: dict[str, Unit]) -> None:
    url = reverse("dispatch:period_board", args=[period.pk])
    rows = client_for(personas["reporter"]).get(url).context["rows"]
    assert [r.report.unit_id for r in rows] == [units["town_a"].pk]
    assert client_for(personas["other_reporter"]).get(url).context["rows"] == []
    loose = make_user("loose", User.Role.REPORTER)
    assert client_for(loose).get(url).context["rows"] == []
    for role in ("leader", "viewer"):
        assert len(client_for(personas[role]).get(url).context["rows"]) == 2
    html = client_for(personas["leader"]).get(url).content.decode()
    assert reverse("dispatch:period_close", args=[period.pk]) not in html


def test_the_board_counts_rows_with_issues_on_request(
    period: Period, personas: dict[str, User], units: dict[str, Unit]
) -> None:
    project = Project.objects.filter(lead_unit=units["town_a"]).order_by("code").first()
    ProgressReport.objects.create(project=project, year=2026, month=3, invested=Decimal("10"), progress_percent=10,
                                  physical_progress="开工")
    client = client_for(personas["office"])
    url = reverse("dispatch:period_board", args=[period.pk])
    assert all(row.issue_counts is None for row in client.get(url).context["rows"])
    rows = {row.report.unit_id: row for row in client.get(url, {"checks": "1"}).context["rows"]}
    expected = unit_report_issues(_report(period, units["town_a"]))
    assert rows[units["town_a"].pk].issue_counts["rows"] == sum(1 for found in expected.values() if found)
    # The unreported second project is at least an error row.
    assert rows[units["town_a"].pk].issue_counts["errors"] >= 1


def test_the_board_query_count_does_not_grow_with_units(
    period: Period, personas: dict[str, User], make_project: Any
) -> None:
    client = client_for(personas["office"])
    url = reverse("dispatch:period_board", args=[period.pk])
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        assert client.get(url).status_code == 200
    for n in range(8):
        unit = Unit.objects.create(name=f"新单位{n}", kind=Unit.Kind.DEPARTMENT)
        make_project(lead_unit=unit)
        report = UnitReport.objects.create(period=period, unit=unit)
        if n % 2:
            services.unit_report_submit(unit_report=report, version=1, by=personas["office"])
    with CaptureQueriesContext(connection) as many:
        response = client.get(url)
    assert len(response.context["rows"]) == 10
    assert len(many) == len(few), [q["sql"] for q in many.captured_queries]


def test_the_periods_page_query_count_does_not_grow_with_periods(
    period: Period, personas: dict[str, User]
) -> None:
    client = client_for(personas["office"])
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("dispatch:periods"))
    for month in (4, 5, 6):
        services.period_open(year=2026, month=month, by=personas["office"])
    with CaptureQueriesContext(connection) as many:
        client.get(reverse("dispatch:periods"))
    assert len(many) == len(few)


# --- review -----------------------------------------------------------------------------------------

@pytest.fixture
def submitted(period: Period, personas: dict[str, User], units: dict[str, Unit]) -> UnitReport:
    first, _second = Project.objects.filter(lead_unit=units["town_a"]).order_by("code")
    ProgressReport.objects.create(project=first, year=2026, month=1, invested=Decimal("20"))
    ProgressReport.objects.create(project=first, year=2026, month=3, invested=Decimal("30.5"), progress_percent=35,
                                  physical_progress="主体结构施工", problems="缺少用工")
    return _submit(_report(period, units["town_a"]), personas["reporter"])


def test_the_review_page_shows_rows_issues_and_history(submitted: UnitReport, personas: dict[str, User]) -> None:
    response = client_for(personas["office"]).get(reverse("dispatch:review", args=[submitted.pk]))
    assert response.status_code == 200
    first, second = response.context["rows"]
    assert first["report"].invested == Decimal("30.50") and first["ytd"] == Decimal("50.50")
    assert second["report"] is None
    html = response.content.decode()
    assert "主体结构施工" in html and "缺少用工" in html and "本期未填报" in html
    assert [e.action for e in response.context["events"]] == ["submit"]
    assert f'name="version" value="{submitted.version}"' in html
    assert response.context["can_approve"] and response.context["can_return"]
    issues = unit_report_issues(submitted)
    assert second["issues"] == issues[second["project"].pk]
    assert "本期尚未填报" in html


def test_others_read_the_review_page_without_buttons(submitted: UnitReport, personas: dict[str, User]) -> None:
    for role in ("leader", "viewer", "reporter"):
        response = client_for(personas[role]).get(reverse("dispatch:review", args=[submitted.pk]))
        assert response.status_code == 200
        assert reverse("dispatch:review_approve", args=[submitted.pk]) not in response.content.decode(), role
    assert client_for(personas["other_reporter"]).get(reverse("dispatch:review", args=[submitted.pk])).status_code \
        == 404


def test_approve(submitted: UnitReport, personas: dict[str, User]) -> None:
    response = client_for(personas["office"]).post(
        reverse("dispatch:review_approve", args=[submitted.pk]), {"version": submitted.version, "note": "可以"},
        follow=True,
    )
    submitted.refresh_from_db()
    assert submitted.state == APPROVED and submitted.reviewed_by == personas["office"]
    assert [m.level_tag for m in response.context["messages"]] == ["success"]
    assert submitted.events.last().note == "可以"


def test_return_tells_the_unit_and_the_reporter_sees_the_reason(
    submitted: UnitReport, personas: dict[str, User], units: dict[str, Unit]
) -> None:
    second_reporter = make_user("reporter2", User.Role.REPORTER, units["town_a"])
    client = client_for(personas["office"])
    url = reverse("dispatch:review_return", args=[submitted.pk])
    response = client.post(url, {"version": submitted.version, "reason": "  "}, follow=True)
    assert "原因" in first_message(response)
    submitted.refresh_from_db()
    assert submitted.state == SUBMITTED
    client.post(url, {"version": submitted.version, "reason": "第1行投资与形象进度不符"})
    submitted.refresh_from_db()
    assert submitted.state == RETURNED
    for user in (personas["reporter"], second_reporter):
        note = Notification.objects.get(user=user)
        assert "第1行投资与形象进度不符" in note.text
        assert note.url == reverse("dispatch:report_grid", args=[submitted.pk])
    # Nobody else hears of the return: not another unit, not the office who returned it (the office was told of
    # the submission, which is another notification).
    assert not Notification.objects.filter(user=personas["other_reporter"]).exists()
    assert not Notification.objects.filter(user=personas["office"], text__contains="第1行投资与形象进度不符").exists()
    html = client_for(personas["reporter"]).get(reverse("dispatch:review", args=[submitted.pk])).content.decode()
    assert "退回原因：第1行投资与形象进度不符" in html
    assert reverse("dispatch:report_grid", args=[submitted.pk]) in html


def test_two_reviewers_at_once_through_the_pages(submitted: UnitReport, personas: dict[str, User]) -> None:
    first = client_for(personas["office"])
    second = client_for(personas["admin"])
    url = reverse("dispatch:review", args=[submitted.pk])
    version_first = first.get(url).context["unit_report"].version
    version_second = second.get(url).context["unit_report"].version
    assert version_first == version_second
    first.post(reverse("dispatch:review_return", args=[submitted.pk]), {"version": version_first, "reason": "重填"})
    response = second.post(reverse("dispatch:review_approve", args=[submitted.pk]), {"version": version_second},
                           follow=True)
    message = first_message(response)
    assert "office" in message and "已退回" in message and "未保存" in message
    submitted.refresh_from_db()
    assert (submitted.state, submitted.return_reason, submitted.reviewed_by) == (RETURNED, "重填", personas["office"])
    assert [e.action for e in submitted.events.all()] == ["submit", "return"]


def test_a_missing_version_is_refused(submitted: UnitReport, personas: dict[str, User]) -> None:
    response = client_for(personas["office"]).post(
        reverse("dispatch:review_approve", args=[submitted.pk]), {}, follow=True
    )
    assert "刷新" in first_message(response)
    submitted.refresh_from_db()
    assert submitted.state == SUBMITTED


def test_reviewers_only(submitted: UnitReport, personas: dict[str, User]) -> None:
    for role in ("leader", "viewer", "reporter"):
        response = client_for(personas[role]).post(
            reverse("dispatch:review_approve", args=[submitted.pk]), {"version": submitted.version}
        )
        assert response.status_code == 403, role
    submitted.refresh_from_db()
    assert submitted.state == SUBMITTED


# --- notifications ----------------------------------------------------------------------------------

def test_notifications_page_and_bell(personas: dict[str, User]) -> None:
    user = personas["reporter"]
    old = Notification.objects.create(user=user, text="旧消息", read_at=timezone.now())
    first = Notification.objects.create(user=user, text="第一条", url="/dispatch/")
    second = Notification.objects.create(user=user, text="第二条")
    Notification.objects.create(user=personas["other_reporter"], text="别人的消息")
    client = client_for(user)
    response = client.get(reverse("dispatch:notifications"))
    assert [n.text for n in response.context["page"]] == ["第二条", "第一条", "旧消息"]
    assert "别人的消息" not in response.content.decode()
    assert response.context["unread"] == 2
    assert '<span class="badge" id="unread-count">2</span>' in response.content.decode()
    # Opening one marks it read and follows its link.
    response = client.post(reverse("dispatch:notification_read"), {"id": first.pk, "next": first.url})
    assert response["Location"] == "/dispatch/"
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.read_at is not None and second.read_at is None
    # Somebody else's id changes nothing; an outside "next" is not followed.
    other = Notification.objects.get(text="别人的消息")
    response = client.post(reverse("dispatch:notification_read"), {"id": other.pk, "next": "https://evil.example/"})
    assert response["Location"] == reverse("dispatch:notifications")
    other.refresh_from_db()
    assert other.read_at is None
    client.post(reverse("dispatch:notification_read"))
    assert not Notification.objects.filter(user=user, read_at__isnull=True).exists()
    assert old.read_at is not None
    assert 'id="unread-count"' not in client.get(reverse("dispatch:notifications")).content.decode()


def test_the_bell_costs_one_query(personas: dict[str, User]) -> None:
    from dispatch.context_processors import notifications

    Notification.objects.create(user=personas["leader"], text="x")
    request = RequestFactory().get("/")
    request.user = personas["leader"]
    context = notifications(request)
    with CaptureQueriesContext(connection) as queries:
        assert int(str(context["unread_notifications"])) == 1
        assert context["unread_notifications"]
    assert len(queries) == 1


def test_no_bell_for_anonymous() -> None:
    from django.contrib.auth.models import AnonymousUser

    from dispatch.context_processors import notifications

    request = RequestFactory().get("/")
    request.user = AnonymousUser()
    # No database in this test: any query would raise.
    assert notifications(request) == {}
