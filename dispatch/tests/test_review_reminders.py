"""Reminders to units with missing reports: when they are due, their channels, and running the command twice."""
from __future__ import annotations

import datetime as dt
import socket
from io import StringIO
from typing import Any

import pytest
from django.core import mail
from django.core.management import CommandError, call_command
from django.test import override_settings

from conftest import make_user
from core.models import Notification, Period
from dispatch.models import ReminderLog, UnitReport
from dispatch.periods import reminders, services
from org.models import Unit, User
from org.workdays import WorkCalendar

BEFORE, DEADLINE = ReminderLog.Kind.BEFORE, ReminderLog.Kind.DEADLINE
D = dt.date


# --- when -------------------------------------------------------------------------------------------

CAL = WorkCalendar()


@pytest.mark.parametrize(
    ("today", "kind"),
    [
        (D(2026, 3, 20), None),  # Friday: three working days before
        (D(2026, 3, 23), BEFORE),  # Monday: two working days before Wednesday the 25th
        (D(2026, 3, 24), BEFORE),  # missed on Monday: still sent before the deadline
        (D(2026, 3, 25), DEADLINE),
        (D(2026, 3, 26), None),  # after the deadline the board shows lateness; no more reminders
    ],
)
def test_reminder_days(today: dt.date, kind: str | None) -> None:
    assert reminders.reminder_kind(deadline=D(2026, 3, 25), today=today, calendar=CAL, days_before=2) == kind


def test_reminder_days_count_working_days_across_holidays() -> None:
    # September 2026 under workdays:5 is due Tuesday 13 October; two working days before is
    # Saturday the 10th, worked for National Day (调休), not Friday the 9th.
    assert reminders.before_day(D(2026, 10, 13), CAL, 2) == D(2026, 10, 10)
    # Due Thursday 8 October, the first day back: two working days before is 29 September.
    assert reminders.before_day(D(2026, 10, 8), CAL, 2) == D(2026, 9, 29)
    assert reminders.reminder_kind(deadline=D(2026, 10, 8), today=D(2026, 10, 3), calendar=CAL,
                                   days_before=2) == BEFORE
    assert reminders.before_day(D(2026, 10, 8), CAL, 0) is None
    assert reminders.reminder_kind(deadline=D(2026, 10, 8), today=D(2026, 10, 7), calendar=CAL, days_before=0) is None


# --- fixtures -----------------------------------------------------------------------------------------

@pytest.fixture
def cycle(personas: dict[str, User], units: dict[str, Unit], make_project: Any) -> dict[str, Any]:
    """March 2026, due Wednesday the 25th: 工信局 draft, 东城街道 submitted, 西山镇 returned."""
    for unit in ("gxj", "town_a", "town_b"):
        make_project(lead_unit=units[unit])
    gxj_reporter = make_user("gxj", User.Role.REPORTER, units["gxj"], email="gxj@example.gov.cn")
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
    return {"period": period, "gxj_reporter": gxj_reporter}


def run(day: dt.date) -> str:
    out = StringIO()
    call_command("send_reminders", "--date", day.isoformat(), stdout=out, stderr=out)
    return out.getvalue()


# --- sending ------------------------------------------------------------------------------------------

@override_settings(DIAODU_REMINDER_DAYS_BEFORE=2, EMAIL_HOST="", DIAODU_WEBHOOK_URL="")
def test_before_and_on_the_deadline_to_missing_units_only(
    cycle: dict[str, Any], personas: dict[str, User], units: dict[str, Unit]
) -> None:
    assert "没有需要发送" in run(D(2026, 3, 20))
    assert not Notification.objects.exists()
    output = run(D(2026, 3, 23))
    assert "工信局" in output and "西山镇" in output and "东城街道" not in output
    texts = {n.user.username: n.text for n in Notification.objects.select_related("user")}
    # Active reporters of the units with a draft or returned report; not the unit that submitted.
    assert set(texts) == {"gxj", "gxj_no_mail", "other"}
    assert "2026-03-25" in texts["gxj"] and "尚未报送" in texts["gxj"]
    assert "已被退回" in texts["other"]
    logs = {(log.unit_id, log.kind): log.channels for log in ReminderLog.objects.all()}
    assert logs == {(units["gxj"].pk, BEFORE): "app", (units["town_b"].pk, BEFORE): "app"}
    assert mail.outbox == []
    run(D(2026, 3, 25))
    assert ReminderLog.objects.filter(kind=DEADLINE).count() == 2
    assert Notification.objects.filter(text__contains="截止日").count() == 3
    assert "没有需要发送" in run(D(2026, 3, 26))


@override_settings(DIAODU_REMINDER_DAYS_BEFORE=2)
def test_running_twice_sends_once(cycle: dict[str, Any]) -> None:
    run(D(2026, 3, 24))
    count = Notification.objects.count()
    output = run(D(2026, 3, 24))
    assert Notification.objects.count() == count == 3
    assert "跳过：2" in output
    # The deadline day sends the deadline reminder, not the "before" one again.
    run(D(2026, 3, 25))
    assert ReminderLog.objects.filter(kind=BEFORE).count() == 2
    assert ReminderLog.objects.filter(kind=DEADLINE).count() == 2


@override_settings(DIAODU_REMINDER_DAYS_BEFORE=2)
def test_closed_and_published_periods_get_no_reminders(cycle: dict[str, Any], personas: dict[str, User]) -> None:
    services.period_close(period=cycle["period"], by=personas["office"])
    run(D(2026, 3, 25))
    assert not Notification.objects.exists() and not ReminderLog.objects.exists()


@override_settings(DIAODU_REMINDER_DAYS_BEFORE=2, EMAIL_HOST="smtp.example.gov.cn")
def test_email_goes_to_reporters_with_an_address(cycle: dict[str, Any], units: dict[str, Unit]) -> None:
    output = run(D(2026, 3, 25))
    assert sorted(m.to[0] for m in mail.outbox) == ["gxj@example.gov.cn", "xs@example.gov.cn"]
    assert all("催报" in m.subject and "截止日" in m.body for m in mail.outbox)
    assert ReminderLog.objects.get(unit=units["gxj"]).channels == "app,email"
    assert "邮件 1 封" in output


@override_settings(DIAODU_REMINDER_DAYS_BEFORE=2, DIAODU_DISTRICT_NAME="示范区")
def test_the_group_robot_gets_one_message_per_period(cycle: dict[str, Any], robot: dict[str, Any]) -> None:
    with override_settings(DIAODU_WEBHOOK_URL=robot["url"]):
        run(D(2026, 3, 23))
        run(D(2026, 3, 23))
    assert len(robot["received"]) == 1
    body = robot["received"][0]["body"]
    assert body["msgtype"] == "text"
    content = body["text"]["content"]
    assert "示范区" in content and "工信局" in content and "西山镇" in content and "东城街道" not in content
    assert robot["received"][0]["type"].startswith("application/json")
    assert set(ReminderLog.objects.values_list("channels", flat=True)) == {"app,webhook"}


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@override_settings(DIAODU_REMINDER_DAYS_BEFORE=2)
def test_an_unreachable_robot_is_reported_not_fatal(cycle: dict[str, Any]) -> None:
    with override_settings(DIAODU_WEBHOOK_URL=f"http://127.0.0.1:{_closed_port()}/robot"):
        output = run(D(2026, 3, 23))
    assert "Webhook 发送失败" in output
    assert Notification.objects.count() == 3
    assert set(ReminderLog.objects.values_list("channels", flat=True)) == {"app"}
    with override_settings(DIAODU_WEBHOOK_URL="ftp://example/robot"):
        output = run(D(2026, 3, 25))
    assert "http://" in output
    assert ReminderLog.objects.filter(kind=DEADLINE).count() == 2


def test_a_bad_date_is_refused() -> None:
    with pytest.raises(CommandError, match="YYYY-MM-DD"):
        call_command("send_reminders", "--date", "2026-13-01")


@override_settings(DIAODU_REMINDER_DAYS_BEFORE=2)
def test_a_unit_that_submits_meanwhile_is_not_reminded(cycle: dict[str, Any], personas: dict[str, User],
                                                       units: dict[str, Unit]) -> None:
    report = UnitReport.objects.get(period=cycle["period"], unit=units["town_b"])
    services.unit_report_submit(unit_report=report, version=report.version, by=personas["other_reporter"])
    run(D(2026, 3, 25))
    assert list(ReminderLog.objects.values_list("unit_id", flat=True)) == [units["gxj"].pk]
    assert Period.objects.get().state == Period.State.OPEN
