"""Reminders to units whose report is missing (催报), in-app, by e-mail and to a group robot.

For each open period, a unit whose report is still a draft or was returned gets:
  - a "before" reminder the district's reminder days (区县设置) working days before the deadline (or on
    any later day before the deadline, if the command did not run that day);
  - a "deadline" reminder on the deadline day.

Each (period, unit, kind) is sent once: the ReminderLog row is created first, in its own
transaction, and a second run finds it and skips, so the command is safe to run twice (or
from two cron hosts at once). E-mail and the webhook are best effort: a failure is logged and
reported, never fatal, because the in-app notification has already been stored. The channels
are core.notify's; the command calls the mail and robot senders itself, at once rather than after
a commit, because each unit's log records which channels reached it.
"""
from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field

from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from core.district import district
from core.models import Period
from core.notify import robot_post, send_email
from dispatch.models import ReminderLog, UnitReport
from dispatch.notify import notify_unit, unit_reporters
from org.workdays import WorkCalendar
from projects.services import work_calendar

logger = logging.getLogger(__name__)

MISSING = (UnitReport.State.DRAFT, UnitReport.State.RETURNED)
APP, EMAIL, WEBHOOK = "app", "email", "webhook"


@dataclass
class Sent:
    """One reminder to one unit, as the command reports it."""

    period: Period
    unit_report: UnitReport
    kind: str
    in_app: int = 0
    emails: int = 0
    channels: list[str] = field(default_factory=list)


@dataclass
class RunResult:
    sent: list[Sent] = field(default_factory=list)
    skipped: int = 0  # already sent by an earlier run
    errors: list[str] = field(default_factory=list)


def before_day(deadline: dt.date, calendar: WorkCalendar, days_before: int) -> dt.date | None:
    """The day of the "before" reminder, or None when the district sends none."""
    if days_before <= 0:
        return None
    return calendar.add_workdays(deadline, -days_before)


def reminder_kind(*, deadline: dt.date, today: dt.date, calendar: WorkCalendar, days_before: int) -> str | None:
    """Which reminder is due today for a period with this deadline, if any."""
    if today == deadline:
        return ReminderLog.Kind.DEADLINE
    day = before_day(deadline, calendar, days_before)
    if day is not None and day <= today < deadline:
        return ReminderLog.Kind.BEFORE
    return None


def reminder_text(*, period: Period, unit_report: UnitReport, kind: str) -> str:
    values = {"unit": unit_report.unit, "period": period.label, "deadline": period.deadline.isoformat()}
    returned = unit_report.state == UnitReport.State.RETURNED
    if kind == ReminderLog.Kind.DEADLINE:
        if returned:
            return _(
                "今天（%(deadline)s）是%(period)s月报截止日，%(unit)s的月报已被退回，请今天内修改后重新报送。"
            ) % values
        return _("今天（%(deadline)s）是%(period)s月报截止日，%(unit)s尚未报送，请今天内报送。") % values
    if returned:
        return _("%(period)s月报将于 %(deadline)s 截止，%(unit)s的月报已被退回，请及时修改后重新报送。") % values
    return _("%(period)s月报将于 %(deadline)s 截止，%(unit)s尚未报送，请及时填报。") % values


def _claim(period: Period, unit_report: UnitReport, kind: str) -> ReminderLog | None:
    """Create the log row first; None if an earlier (or concurrent) run already sent this reminder."""
    try:
        with transaction.atomic():
            return ReminderLog.objects.create(period=period, unit_id=unit_report.unit_id, kind=kind)
    except IntegrityError:
        return None


def _link(unit_report: UnitReport) -> str:
    return reverse("dispatch:report_grid", args=[unit_report.pk])


# Reminders are read by the units in the district's language, whoever runs the command.
@translation.override(settings.LANGUAGE_CODE)
def reminders_send(*, today: dt.date) -> RunResult:
    result = RunResult()
    calendar = work_calendar()
    days_before = district().reminder_days_before
    for period in Period.objects.filter(state=Period.State.OPEN).order_by("year", "month", "half"):
        kind = reminder_kind(deadline=period.deadline, today=today, calendar=calendar, days_before=days_before)
        if kind is None:
            continue
        kind_label = ReminderLog.Kind(kind).label
        subject = _("【催报】%(period)s月报%(kind)s") % {"period": period.label, "kind": kind_label}
        missing = period.unit_reports.filter(state__in=MISSING).select_related("unit")
        sent_now: list[tuple[Sent, ReminderLog]] = []
        for unit_report in missing:
            log = _claim(period, unit_report, kind)
            if log is None:
                result.skipped += 1
                continue
            text = reminder_text(period=period, unit_report=unit_report, kind=kind)
            sent = Sent(period=period, unit_report=unit_report, kind=kind)
            sent.in_app = notify_unit(unit_report.unit_id, text, _link(unit_report))
            sent.channels.append(APP)
            if settings.EMAIL_HOST:
                try:
                    sent.emails = send_email(unit_reporters(unit_report.unit_id), subject, text)
                    if sent.emails:
                        sent.channels.append(EMAIL)
                except Exception as exc:  # any mail failure must not stop the other units
                    logger.exception("reminder e-mail to %s failed", unit_report.unit)
                    result.errors.append(
                        _("%(unit)s的邮件发送失败：%(error)s") % {"unit": unit_report.unit, "error": exc}
                    )
            sent_now.append((sent, log))
        if sent_now and settings.DIAODU_WEBHOOK_URL:
            names = "、".join(str(sent.unit_report.unit) for sent, _log in sent_now)
            content = _("【%(district)s】%(subject)s：截止日期 %(deadline)s，尚未报送的单位：%(units)s。") % {
                "district": district().district_name, "subject": subject,
                "deadline": period.deadline.isoformat(), "units": names,
            }
            try:
                robot_post(settings.DIAODU_WEBHOOK_URL, content)
            except Exception as exc:  # an unreachable robot must not lose the other channels
                logger.warning("reminder webhook failed: %s", exc)
                result.errors.append(_("群机器人 Webhook 发送失败：%(error)s") % {"error": exc})
            else:
                for sent, _log in sent_now:
                    sent.channels.append(WEBHOOK)
        for sent, log in sent_now:
            ReminderLog.objects.filter(pk=log.pk).update(channels=",".join(sent.channels))
            result.sent.append(sent)
    return result


def describe(result: RunResult) -> list[str]:
    """The lines the command prints: what was sent, what was skipped, what failed."""
    lines = []
    for sent in result.sent:
        lines.append(
            _("%(period)s %(kind)s → %(unit)s：站内消息 %(app)d 人，邮件 %(email)d 封，渠道 %(channels)s")
            % {
                "period": sent.period.label, "kind": ReminderLog.Kind(sent.kind).label, "unit": sent.unit_report.unit,
                "app": sent.in_app, "email": sent.emails, "channels": ",".join(sent.channels),
            }
        )
    if result.skipped:
        lines.append(_("已提醒过、本次跳过：%(n)d 个单位") % {"n": result.skipped})
    if not result.sent and not result.skipped:
        lines.append(_("今天没有需要发送的提醒。"))
    lines.extend(_("错误：%(error)s") % {"error": error} for error in result.errors)
    return lines
