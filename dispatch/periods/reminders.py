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

The office's 催报 button (``reminders_send_now``) reminds every unit still owing its report at
once, as often as the office presses it, but not a unit reminded in the last ten minutes (by the
schedule or by a click): two clicks, or two office users, do not send twice.
"""
from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.mail import send_mass_mail
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from core.district import district
from core.models import Period
from core.notify import robot_post, send_email
from dispatch.models import ReminderLog, UnitReport
from dispatch.notify import notify_unit, notify_users, reporters_of_units, unit_reporters
from dispatch.periods.services import DispatchError
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


def last_reminded(*, period: Period, unit_ids: Iterable[int]) -> dict[int, dt.datetime]:
    """When each unit was last reminded for ``period`` (any reminder in the log), in one grouped query."""
    rows = (
        ReminderLog.objects.filter(period=period, unit_id__in=list(unit_ids)).order_by().values("unit_id")
        .annotate(at=Max("sent_at")).values_list("unit_id", "at")
    )
    return dict(rows)


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


# --- the office's 催报 ---------------------------------------------------------------------------------

# A unit reminded this recently, by the schedule or by a click, is left out of a click: the office
# pressing twice, or two office users at once, must not send a unit the same reminder twice.
RECENT = dt.timedelta(minutes=10)


@dataclass
class Skipped:
    """A unit a click left out: it was last reminded at ``at``, less than ``RECENT`` before."""

    unit_report: UnitReport
    at: dt.datetime


@dataclass
class NowResult:
    """What one click of 催报 did.

    ``reminded`` and ``skipped`` are known when the service returns. The e-mails, the robot and
    their errors go out after the transaction commits, so they are filled in then: at once when the
    service runs outside any transaction (a request), later when the caller's transaction commits.
    """

    period: Period
    reminded: list[Sent] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    emails: int = 0
    robot: bool = False
    errors: list[str] = field(default_factory=list)

    @property
    def unreached(self) -> list[Sent]:
        """Units reminded that have no active reporter: nobody got the in-app message or an e-mail."""
        return [sent for sent in self.reminded if not sent.in_app]


@dataclass
class _Outgoing:
    """One unit's reminder between the transaction and the sending after it."""

    sent: Sent
    log: ReminderLog
    text: str
    reporters: list[Any]


def manual_text(*, period: Period, unit_report: UnitReport) -> str:
    """What the unit's reporters read when the office presses 催报 (before or after the deadline)."""
    values = {"unit": unit_report.unit, "period": period.label, "deadline": period.deadline.isoformat()}
    if unit_report.state == UnitReport.State.RETURNED:
        return _(
            "项目办催报：%(period)s月报截止日期为 %(deadline)s，%(unit)s的月报已被退回，请尽快修改后重新报送。"
        ) % values
    return _("项目办催报：%(period)s月报截止日期为 %(deadline)s，%(unit)s尚未报送，请尽快报送。") % values


def reminders_send_now(*, period: Period, by: Any) -> NowResult:
    """The office's 催报: remind now every unit whose report of the open ``period`` is still owed
    (a draft, or returned and not yet handed in again), through every channel the district has.

    The period's row is locked (``select_for_update``; on SQLite the IMMEDIATE transaction does the
    same) while the units are chosen and the log is written, so two clicks run one after the other
    and the second finds the first one's rows: a unit reminded in the last ``RECENT`` minutes, by
    the schedule or by a click, is skipped and said so. For each of the others a ``MANUAL``
    ReminderLog row (with ``by``) and an in-app notification to each of its active reporters are
    written in the transaction; after the commit, the e-mails of every unit go out over one SMTP
    connection and the group robot gets one message naming them all, and the log rows are updated
    with the channels that reached each unit. A closed or published period is refused: nobody may
    report in it any more, so there is nothing to chase.

    The texts are in the district's language, whoever presses the button; refusals and errors in
    the caller's.
    """
    with transaction.atomic():
        locked = Period.objects.select_for_update().get(pk=period.pk)
        if locked.state != Period.State.OPEN:
            raise DispatchError(
                _("%(period)s当前状态为“%(state)s”，各单位已不能再报送，无需催报。")
                % {"period": locked.label, "state": locked.get_state_display()}
            )
        result = NowResult(period=locked)
        owing = list(
            locked.unit_reports.filter(state__in=MISSING).select_related("unit")
            .order_by("unit__kind", "unit__order", "unit__name")
        )
        now = timezone.now()
        last = last_reminded(period=locked, unit_ids=[report.unit_id for report in owing])
        due = []
        for unit_report in owing:
            at = last.get(unit_report.unit_id)
            if at is not None and now - at < RECENT:
                result.skipped.append(Skipped(unit_report=unit_report, at=at))
            else:
                due.append(unit_report)
        if not due:
            return result
        people: dict[int, list[Any]] = defaultdict(list)
        for person in reporters_of_units([report.unit_id for report in due]):
            if person.unit_id is not None:
                people[person.unit_id].append(person)
        outgoing: list[_Outgoing] = []
        with translation.override(settings.LANGUAGE_CODE):
            subject = _("【催报】%(period)s月报%(kind)s") % {
                "period": locked.label, "kind": ReminderLog.Kind.MANUAL.label,
            }
            for unit_report in due:
                text = manual_text(period=locked, unit_report=unit_report)
                sent = Sent(period=locked, unit_report=unit_report, kind=ReminderLog.Kind.MANUAL)
                sent.in_app = notify_users(people[unit_report.unit_id], text, _link(unit_report))
                if sent.in_app:
                    sent.channels.append(APP)
                log = ReminderLog(
                    period=locked, unit_id=unit_report.unit_id, kind=ReminderLog.Kind.MANUAL, by=by,
                    channels=",".join(sent.channels),
                )
                outgoing.append(_Outgoing(sent=sent, log=log, text=text, reporters=people[unit_report.unit_id]))
                result.reminded.append(sent)
            robot_text = _("【%(district)s】%(subject)s：截止日期 %(deadline)s，尚未报送的单位：%(units)s。") % {
                "district": district().district_name, "subject": subject,
                "deadline": locked.deadline.isoformat(), "units": "、".join(str(report.unit) for report in due),
            }
        ReminderLog.objects.bulk_create([item.log for item in outgoing])
        transaction.on_commit(lambda: _send_after_commit(result, outgoing, subject, robot_text), robust=True)
    return result


def _send_after_commit(result: NowResult, outgoing: list[_Outgoing], subject: str, robot_text: str) -> None:
    """E-mail (one connection for the whole batch) and one robot message; then the channels that reached each unit.

    ``core.notify.send_email`` opens a connection per call, one per unit here, so the batch is built
    in the same way (an address each, ``DEFAULT_FROM_EMAIL``) and handed to Django in one go.
    """
    if settings.EMAIL_HOST:
        mails = [
            (subject, item.text, settings.DEFAULT_FROM_EMAIL, [person.email])
            for item in outgoing for person in item.reporters if person.email
        ]
        if mails:
            try:
                result.emails = send_mass_mail(mails, fail_silently=False)
            except Exception as exc:  # any mail failure: logged and reported, the in-app reminders stay
                logger.warning("manual reminder e-mail failed: %s", exc, exc_info=True)
                result.errors.append(_("催报邮件发送失败：%(error)s") % {"error": exc})
            else:
                for item in outgoing:
                    item.sent.emails = sum(1 for person in item.reporters if person.email)
                    if item.sent.emails:
                        item.sent.channels.append(EMAIL)
    if settings.DIAODU_WEBHOOK_URL:
        try:
            robot_post(settings.DIAODU_WEBHOOK_URL, robot_text)
        except Exception as exc:  # an unreachable robot must not lose the other channels
            logger.warning("manual reminder webhook failed: %s", exc)
            result.errors.append(_("群机器人 Webhook 发送失败：%(error)s") % {"error": exc})
        else:
            result.robot = True
            for item in outgoing:
                item.sent.channels.append(WEBHOOK)
    # One update per combination of channels (at most a few), not one per unit.
    by_channels: dict[str, list[int]] = defaultdict(list)
    for item in outgoing:
        channels = ",".join(item.sent.channels)
        if channels != item.log.channels:
            by_channels[channels].append(item.log.pk)
    for channels, pks in by_channels.items():
        ReminderLog.objects.filter(pk__in=pks).update(channels=channels)


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
