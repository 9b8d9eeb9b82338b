"""The office's 催报 button on the period board (issue 8 §4): one click reminds every unit that has not
reported, through every channel, records it, leaves out a unit reminded in the last ten minutes, and
leaves the scheduled reminders as they were.
"""
from __future__ import annotations

import datetime as dt
import smtplib
import socket
import threading
from io import StringIO
from typing import Any

import pytest
import time_machine
from django.contrib.messages import get_messages
from django.core import mail
from django.core.mail.backends.base import BaseEmailBackend
from django.core.management import call_command
from django.db import connection, connections
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from conftest import client_for, district_time, make_user
from core.models import Notification, Period
from dispatch.models import ReminderLog, UnitReport
from dispatch.periods import reminders, services
from dispatch.review import excel as reporting_excel
from org.models import Unit, User

MANUAL, BEFORE, DEADLINE = ReminderLog.Kind.MANUAL, ReminderLog.Kind.BEFORE, ReminderLog.Kind.DEADLINE
NO_CHANNELS = {"EMAIL_HOST": "", "DIAODU_WEBHOOK_URL": ""}


@pytest.fixture
def clock_at() -> dt.datetime:
    """Tuesday 24 March 2026, the day before the deadline."""
    return district_time(2026, 3, 24, 8, 0)


@pytest.fixture
def cycle(
    clock: time_machine.Traveller, personas: dict[str, User], units: dict[str, Unit], make_project: Any
) -> dict[str, Any]:
    """March 2026, due Wednesday the 25th: 工信局 draft (two active reporters, one with an address, and an
    inactive one), 发改局 draft without any reporter, 东城街道 submitted, 西山镇 returned."""
    for unit in ("gxj", "fgj", "town_a", "town_b"):
        make_project(lead_unit=units[unit])
    make_user("gxj", User.Role.REPORTER, units["gxj"], email="gxj@example.gov.cn")
    make_user("gxj_no_mail", User.Role.REPORTER, units["gxj"])
    make_user("gxj_gone", User.Role.REPORTER, units["gxj"], email="gone@example.gov.cn", is_active=False)
    User.objects.filter(pk=personas["other_reporter"].pk).update(email="xs@example.gov.cn")
    with override_settings(DIAODU_REPORT_DEADLINE="day:25"):
        period = services.period_open(year=2026, month=3, by=personas["office"])
    town_a = period.unit_reports.get(unit=units["town_a"])
    services.unit_report_submit(unit_report=town_a, version=1, by=personas["reporter"])
    town_b = period.unit_reports.get(unit=units["town_b"])
    town_b = services.unit_report_submit(unit_report=town_b, version=1, by=personas["other_reporter"])
    services.unit_report_return(unit_report=town_b, version=town_b.version, by=personas["office"], reason="重填")
    Notification.objects.all().delete()
    return {"period": period}


def _click(period: Period, by: User, capture: Any) -> reminders.NowResult:
    """The service as the view calls it: the e-mail and the robot go out when the transaction commits."""
    with capture(execute=True):
        return reminders.reminders_send_now(period=period, by=by)


def _logs() -> dict[str, str]:
    """Unit -> channels of the manual reminders."""
    return {str(log.unit): log.channels for log in ReminderLog.objects.filter(kind=MANUAL).select_related("unit")}


# --- who, and through which channels ----------------------------------------------------------------

@override_settings(**NO_CHANNELS)
def test_only_units_that_have_not_reported_are_reminded(
    cycle: dict[str, Any], personas: dict[str, User], units: dict[str, Unit],
    django_capture_on_commit_callbacks: Any,
) -> None:
    result = _click(cycle["period"], personas["office"], django_capture_on_commit_callbacks)
    assert {str(sent.unit_report.unit) for sent in result.reminded} == {"工信局", "发改局", "西山镇"}
    assert result.skipped == []
    # The active reporters of the draft and returned units; not the unit that submitted, not an inactive account.
    told = {n.user.username: n for n in Notification.objects.select_related("user")}
    assert set(told) == {"gxj", "gxj_no_mail", "other"}
    assert "项目办催报" in told["gxj"].text and "尚未报送" in told["gxj"].text and "2026-03-25" in told["gxj"].text
    assert "已被退回" in told["other"].text
    town_b = UnitReport.objects.get(period=cycle["period"], unit=units["town_b"])
    assert told["other"].url == reverse("dispatch:report_grid", args=[town_b.pk])
    # Recorded, with who pressed the button; a unit without reporters is recorded but reached by nothing.
    assert _logs() == {"工信局": "app", "西山镇": "app", "发改局": ""}
    assert set(ReminderLog.objects.values_list("by", flat=True)) == {personas["office"].pk}
    assert [str(sent.unit_report.unit) for sent in result.unreached] == ["发改局"]
    assert mail.outbox == [] and result.emails == 0 and not result.robot


@override_settings(EMAIL_HOST="smtp.example.gov.cn", DIAODU_DISTRICT_NAME="示范区")
def test_every_channel_after_the_commit_one_mail_connection_one_robot_post(
    cycle: dict[str, Any], personas: dict[str, User], robot: dict[str, Any],
    django_capture_on_commit_callbacks: Any, monkeypatch: pytest.MonkeyPatch,
) -> None:
    opened: list[Any] = []
    original = mail.get_connection

    def counting(*args: Any, **kwargs: Any) -> Any:
        opened.append(args)
        return original(*args, **kwargs)

    monkeypatch.setattr(mail, "get_connection", counting)
    with override_settings(DIAODU_WEBHOOK_URL=robot["url"]):
        with django_capture_on_commit_callbacks() as callbacks:
            result = reminders.reminders_send_now(period=cycle["period"], by=personas["office"])
        # Nothing has left the building before the commit: only the in-app rows are written.
        assert mail.outbox == [] and robot["received"] == []
        assert Notification.objects.count() == 3
        for callback in callbacks:
            callback()
    assert sorted(m.to[0] for m in mail.outbox) == ["gxj@example.gov.cn", "xs@example.gov.cn"]
    assert len(opened) == 1
    assert all(m.subject == "【催报】2026年3月月报手动催报" for m in mail.outbox)
    assert all("项目办催报" in m.body for m in mail.outbox)
    assert len(robot["received"]) == 1
    content = robot["received"][0]["body"]["text"]["content"]
    assert "示范区" in content and "手动催报" in content
    assert "工信局" in content and "发改局" in content and "西山镇" in content and "东城街道" not in content
    assert result.emails == 2 and result.robot and result.errors == []
    assert _logs() == {"工信局": "app,email,webhook", "西山镇": "app,email,webhook", "发改局": "webhook"}


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@override_settings(EMAIL_HOST="smtp.example.gov.cn")
def test_a_failing_mail_server_or_robot_is_reported_and_the_reminders_stay(
    cycle: dict[str, Any], personas: dict[str, User], django_capture_on_commit_callbacks: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    class Refusing(BaseEmailBackend):
        def send_messages(self, email_messages: Any) -> int:
            raise smtplib.SMTPServerDisconnected("连接被关闭")

    monkeypatch.setattr(mail, "get_connection", lambda *args, **kwargs: Refusing())
    with override_settings(DIAODU_WEBHOOK_URL=f"http://127.0.0.1:{_closed_port()}/robot"):
        result = _click(cycle["period"], personas["office"], django_capture_on_commit_callbacks)
    assert len(result.reminded) == 3
    assert any("催报邮件发送失败" in error and "连接被关闭" in error for error in result.errors)
    assert any("Webhook 发送失败" in error for error in result.errors)
    assert Notification.objects.count() == 3
    assert _logs() == {"工信局": "app", "西山镇": "app", "发改局": ""}


@override_settings(**NO_CHANNELS)
def test_one_insert_of_notifications_per_unit_and_one_of_the_log(
    cycle: dict[str, Any], personas: dict[str, User], django_capture_on_commit_callbacks: Any
) -> None:
    with CaptureQueriesContext(connection) as queries:
        _click(cycle["period"], personas["office"], django_capture_on_commit_callbacks)
    inserts = [q["sql"] for q in queries.captured_queries if q["sql"].lstrip().upper().startswith("INSERT")]
    notification_table = Notification._meta.db_table
    log_table = ReminderLog._meta.db_table
    # 工信局 and 西山镇 have reporters; 发改局 has none and costs no insert.
    assert sum(1 for sql in inserts if notification_table in sql) == 2
    assert sum(1 for sql in inserts if log_table in sql) == 1
    assert len(inserts) == 3


# --- the ten minutes ------------------------------------------------------------------------------------

@override_settings(**NO_CHANNELS)
def test_a_unit_reminded_in_the_last_ten_minutes_is_skipped_and_named(
    cycle: dict[str, Any], personas: dict[str, User], units: dict[str, Unit], clock: time_machine.Traveller,
    django_capture_on_commit_callbacks: Any,
) -> None:
    period = cycle["period"]
    ReminderLog.objects.create(period=period, unit=units["gxj"], kind=BEFORE)  # the schedule, at 08:00
    clock.move_to(district_time(2026, 3, 24, 8, 5))
    first = _click(period, personas["office"], django_capture_on_commit_callbacks)
    assert {str(sent.unit_report.unit) for sent in first.reminded} == {"发改局", "西山镇"}
    assert [(str(s.unit_report.unit), s.at) for s in first.skipped] == [("工信局", district_time(2026, 3, 24, 8, 0))]
    assert not Notification.objects.filter(user__username="gxj").exists()
    # Seven minutes after the click and ten after the schedule: the other way round.
    clock.move_to(district_time(2026, 3, 24, 8, 12))
    second = _click(period, personas["office"], django_capture_on_commit_callbacks)
    assert [str(sent.unit_report.unit) for sent in second.reminded] == ["工信局"]
    assert {str(s.unit_report.unit) for s in second.skipped} == {"发改局", "西山镇"}
    # Exactly ten minutes after the last click is no longer "in the last ten minutes".
    clock.move_to(district_time(2026, 3, 24, 8, 15))
    third = _click(period, personas["office"], django_capture_on_commit_callbacks)
    assert {str(sent.unit_report.unit) for sent in third.reminded} == {"发改局", "西山镇"}
    assert Notification.objects.filter(user__username="other").count() == 2
    assert ReminderLog.objects.filter(kind=MANUAL).count() == 5


@override_settings(**NO_CHANNELS)
def test_a_unit_that_reports_meanwhile_is_not_reminded(
    cycle: dict[str, Any], personas: dict[str, User], units: dict[str, Unit],
    django_capture_on_commit_callbacks: Any,
) -> None:
    report = UnitReport.objects.get(period=cycle["period"], unit=units["town_b"])
    services.unit_report_submit(unit_report=report, version=report.version, by=personas["other_reporter"])
    result = _click(cycle["period"], personas["office"], django_capture_on_commit_callbacks)
    assert {str(sent.unit_report.unit) for sent in result.reminded} == {"工信局", "发改局"}
    assert not Notification.objects.filter(user__username="other").exists()


# --- a period nobody reports in any more ----------------------------------------------------------------

@pytest.mark.parametrize(("state", "shown"), [(Period.State.CLOSED, "已截止"), (Period.State.PUBLISHED, "已发布")])
@override_settings(**NO_CHANNELS)
def test_a_closed_or_published_period_is_refused(
    cycle: dict[str, Any], personas: dict[str, User], state: str, shown: str,
    django_capture_on_commit_callbacks: Any,
) -> None:
    period = cycle["period"]
    Period.objects.filter(pk=period.pk).update(state=state)
    with pytest.raises(services.DispatchError, match=f"2026年3月当前状态为“{shown}”.*无需催报"):
        _click(period, personas["office"], django_capture_on_commit_callbacks)
    response = client_for(personas["office"]).post(reverse("dispatch:period_remind", args=[period.pk]))
    assert response.status_code == 302
    assert [str(m) for m in get_messages(response.wsgi_request)] == [
        f"2026年3月当前状态为“{shown}”，各单位已不能再报送，无需催报。"
    ]
    assert not ReminderLog.objects.exists() and not Notification.objects.exists()


# --- the page ---------------------------------------------------------------------------------------------

@override_settings(**NO_CHANNELS)
def test_the_office_clicks_and_reads_whom_it_reached(
    cycle: dict[str, Any], personas: dict[str, User], units: dict[str, Unit], clock: time_machine.Traveller,
    django_capture_on_commit_callbacks: Any,
) -> None:
    period = cycle["period"]
    client = client_for(personas["office"])
    board = reverse("dispatch:period_board", args=[period.pk])
    page = client.get(board).content.decode()
    assert 'data-confirm="向 3 个尚未报送的单位发送催报？"' in page
    assert reverse("dispatch:period_remind", args=[period.pk]) in page
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("dispatch:period_remind", args=[period.pk]), follow=True)
    assert response.redirect_chain == [(board, 302)]
    shown = [str(m) for m in response.context["messages"]]
    assert shown[0].startswith("已向 3 个尚未报送的单位发送催报（") and "站内消息 3 人，邮件 0 封。" in shown[0]
    assert "以下单位没有已启用的填报员账号" in shown[1] and "发改局" in shown[1]
    reminded = {row.report.unit_id: row.last_reminded for row in response.context["rows"]}
    assert reminded[units["gxj"].pk] == district_time(2026, 3, 24, 8, 0)
    assert reminded[units["town_a"].pk] is None
    # A second click within ten minutes says which units it left out, and when they were reminded.
    clock.move_to(district_time(2026, 3, 24, 8, 3))
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("dispatch:period_remind", args=[period.pk]), follow=True)
    shown = [str(m) for m in response.context["messages"]]
    assert len(shown) == 1 and shown[0].startswith("3 个单位在 10 分钟内已催报过，本次跳过：")
    assert "工信局（08:00 已催报）" in shown[0]
    assert ReminderLog.objects.filter(kind=MANUAL).count() == 3


@override_settings(**NO_CHANNELS)
def test_the_button_is_the_offices_while_the_period_is_open_and_someone_owes(
    cycle: dict[str, Any], personas: dict[str, User], units: dict[str, Unit]
) -> None:
    period = cycle["period"]
    board = reverse("dispatch:period_board", args=[period.pk])
    action = reverse("dispatch:period_remind", args=[period.pk])
    assert action in client_for(personas["admin"]).get(board).content.decode()
    for role in ("leader", "viewer", "reporter"):
        assert action not in client_for(personas[role]).get(board).content.decode(), role
    services.period_close(period=period, by=personas["office"])
    assert action not in client_for(personas["office"]).get(board).content.decode()
    services.period_reopen(period=period, by=personas["office"])
    for unit in ("gxj", "fgj", "town_b"):
        report = UnitReport.objects.get(period=period, unit=units[unit])
        services.unit_report_submit(unit_report=report, version=report.version, by=personas["office"])
    assert action not in client_for(personas["office"]).get(board).content.decode()
    # Pressed anyway (a page left open): nothing to do, and it says so.
    response = client_for(personas["office"]).post(action)
    assert [str(m) for m in get_messages(response.wsgi_request)] == ["2026年3月各单位均已报送，无需催报。"]


@pytest.mark.parametrize("role", ["leader", "viewer", "reporter", "other_reporter"])
def test_only_the_office_may_remind(cycle: dict[str, Any], personas: dict[str, User], role: str) -> None:
    url = reverse("dispatch:period_remind", args=[cycle["period"].pk])
    assert client_for(personas[role]).post(url).status_code == 403
    assert Client().post(url).status_code == 302  # to the login page
    assert not ReminderLog.objects.exists() and not Notification.objects.exists()


def test_a_get_does_nothing(cycle: dict[str, Any], personas: dict[str, User]) -> None:
    url = reverse("dispatch:period_remind", args=[cycle["period"].pk])
    assert client_for(personas["office"]).get(url).status_code == 405
    assert not ReminderLog.objects.exists()


@override_settings(DIAODU_REMINDER_DAYS_BEFORE=2, **NO_CHANNELS)
def test_the_export_shows_the_manual_reminder(
    cycle: dict[str, Any], personas: dict[str, User], clock: time_machine.Traveller,
    django_capture_on_commit_callbacks: Any,
) -> None:
    period = cycle["period"]
    clock.move_to(district_time(2026, 3, 24, 7, 0))
    reminders.reminders_send(today=dt.date(2026, 3, 24))  # the schedule's "before" reminder at 07:00
    clock.move_to(district_time(2026, 3, 24, 9, 30))
    _click(period, personas["office"], django_capture_on_commit_callbacks)
    reminded = {str(row.report.unit): row.reminded_at for row in reporting_excel.rows(period)}
    assert reminded == {
        "工信局": district_time(2026, 3, 24, 9, 30), "发改局": district_time(2026, 3, 24, 9, 30),
        "西山镇": district_time(2026, 3, 24, 9, 30), "东城街道": None,
    }


# --- the schedule is unaffected -------------------------------------------------------------------------

def _run_schedule(day: dt.date) -> str:
    out = StringIO()
    call_command("send_reminders", "--date", day.isoformat(), stdout=out, stderr=out)
    return out.getvalue()


@override_settings(DIAODU_REMINDER_DAYS_BEFORE=2, **NO_CHANNELS)
def test_the_scheduled_reminders_still_go_once_each(
    cycle: dict[str, Any], personas: dict[str, User], clock: time_machine.Traveller,
    django_capture_on_commit_callbacks: Any,
) -> None:
    period = cycle["period"]
    _click(period, personas["office"], django_capture_on_commit_callbacks)
    # A click just before the schedule does not stop it: the "before" reminder goes to every unit, once.
    clock.move_to(district_time(2026, 3, 24, 8, 30))
    assert "工信局" in _run_schedule(dt.date(2026, 3, 24))
    assert "跳过：3" in _run_schedule(dt.date(2026, 3, 24))
    clock.move_to(district_time(2026, 3, 25, 8, 30))
    _run_schedule(dt.date(2026, 3, 25))
    _run_schedule(dt.date(2026, 3, 25))
    kinds = list(ReminderLog.objects.values_list("kind", flat=True))
    assert sorted(kinds) == sorted([MANUAL] * 3 + [BEFORE] * 3 + [DEADLINE] * 3)
    # The schedule's reminders count for the ten minutes too; after them the office may press again.
    clock.move_to(district_time(2026, 3, 25, 8, 35))
    result = _click(period, personas["office"], django_capture_on_commit_callbacks)
    assert result.reminded == [] and len(result.skipped) == 3
    clock.move_to(district_time(2026, 3, 25, 8, 40))
    result = _click(period, personas["office"], django_capture_on_commit_callbacks)
    assert len(result.reminded) == 3
    assert ReminderLog.objects.filter(kind=MANUAL).count() == 6


# --- two clicks at once (PostgreSQL: the row lock) ---------------------------------------------------------

@pytest.mark.skipif(connection.vendor != "postgresql", reason="the row lock on the period needs PostgreSQL")
@pytest.mark.django_db(transaction=True)
@override_settings(**NO_CHANNELS)
def test_two_clicks_at_once_remind_each_unit_once(
    units: dict[str, Unit], monkeypatch: pytest.MonkeyPatch, make_project: Any
) -> None:
    office = make_user("office", User.Role.OFFICE)
    office2 = make_user("office2", User.Role.OFFICE)
    for key in ("gxj", "town_b"):
        make_project(lead_unit=units[key])
        make_user(f"rep_{key}", User.Role.REPORTER, units[key])
    period = services.period_open(year=2026, month=3, by=office)

    # The first click holds the period's lock until the second one is seen waiting for it.
    inside = threading.Event()
    go_on = threading.Event()
    first = threading.Lock()
    original = reminders.last_reminded

    def hold_the_first(**kwargs: Any) -> dict[int, dt.datetime]:
        found = original(**kwargs)
        if first.acquire(blocking=False):
            inside.set()
            go_on.wait(timeout=20)
        return found

    monkeypatch.setattr(reminders, "last_reminded", hold_the_first)
    results: list[reminders.NowResult] = []
    errors: list[BaseException] = []

    def click(by: User) -> None:
        try:
            results.append(reminders.reminders_send_now(period=Period.objects.get(pk=period.pk), by=by))
        except BaseException as error:  # reported below, never lost in a thread
            errors.append(error)
        finally:
            connections.close_all()

    one = threading.Thread(target=click, args=(office,))
    one.start()
    assert inside.wait(timeout=20)
    two = threading.Thread(target=click, args=(office2,))
    two.start()
    waiting = 0
    for _attempt in range(200):
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
            )
            waiting = cursor.fetchone()[0]
        if waiting:
            break
        threading.Event().wait(0.05)
    go_on.set()
    one.join(timeout=60)
    two.join(timeout=60)
    assert errors == []
    assert waiting, "the second click did not wait for the first one's lock"
    by_size = sorted(results, key=lambda r: len(r.reminded))
    assert [len(r.reminded) for r in by_size] == [0, 2]
    assert len(by_size[0].skipped) == 2
    assert ReminderLog.objects.filter(kind=MANUAL).count() == 2
    assert Notification.objects.count() == 2
