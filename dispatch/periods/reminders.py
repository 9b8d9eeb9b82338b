"""Reminders to units whose report is missing (催报), in-app, by e-mail and to a group robot.

For each open period, a unit whose report is still a draft or was returned gets:
  - a "before" reminder the district's reminder days (区县设置) working days before the deadline (or on
    any later day before the deadline, if the command did not run that day);
  - a "deadline" reminder on the deadline day.

Each (period, unit, kind) is sent once: the ReminderLog row is created first, in its own
transaction, and a second run finds it and skips, so the command is safe to run twice (or
from two cron hosts at once). E-mail and the webhook are best effort: a failure is logged and
reported, never fatal, because the in-app notification has already been stored. The channels
are core.notify's: each period's reminders are one ``notify_many`` batch (the units' e-mails over
one connection, one robot message naming the units), sent at once rather than after a commit,
because each unit's log records which channels reached it.

The office's 催报 button (``reminders_send_now``) reminds every unit still owing its report at
once, as often as the office presses it, but not a unit reminded in the last ten minutes (by the
schedule or by a click): two clicks, or two office users, do not send twice.
"""
from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from core.district import district
from core.models import Period
from core.notify import Batch, Delivery, Message, notify_many
from dispatch.models import ReminderLog, UnitReport
from dispatch.notify import reporters_of_units
from dispatch.periods.services import DispatchError
from org.workdays import WorkCalendar
from projects.services import work_calendar

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


def _reporters_by_unit(unit_ids: Iterable[int]) -> dict[int, list[Any]]:
    """Each unit's active reporters, in one query; a unit without any maps to an empty list."""
    people: dict[int, list[Any]] = defaultdict(list)
    for person in reporters_of_units(unit_ids):
        if person.unit_id is not None:
            people[person.unit_id].append(person)
    return people


def _robot_text(*, district_name: str, subject: str, period: Period, unit_reports: Iterable[UnitReport]) -> str:
    """The group robot's one message for a batch of reminders: the units still owing, by name."""
    return _("【%(district)s】%(subject)s：截止日期 %(deadline)s，尚未报送的单位：%(units)s。") % {
        "district": district_name, "subject": subject, "deadline": period.deadline.isoformat(),
        "units": "、".join(str(report.unit) for report in unit_reports),
    }


def _record_channels(sent: Sent, delivery: Delivery) -> None:
    """The e-mail and robot channels that reached a unit, once its batch has gone."""
    sent.emails = delivery.emails
    if sent.emails:
        sent.channels.append(EMAIL)
    if delivery.robot:
        sent.channels.append(WEBHOOK)


def _save_channels(items: Iterable[tuple[Sent, ReminderLog]]) -> None:
    """Write each log row's channels: one update per combination of channels (a few), not one per unit."""
    by_channels: dict[str, list[int]] = defaultdict(list)
    for sent, log in items:
        channels = ",".join(sent.channels)
        if channels != log.channels:
            by_channels[channels].append(log.pk)
    for channels, pks in by_channels.items():
        ReminderLog.objects.filter(pk__in=pks).update(channels=channels)


# Reminders are read by the units in the district's language, whoever runs the command.
@translation.override(settings.LANGUAGE_CODE)
def reminders_send(*, today: dt.date) -> RunResult:
    result = RunResult()
    calendar = work_calendar()
    settings_now = district()
    for period in Period.objects.filter(state=Period.State.OPEN).order_by("year", "month", "half"):
        kind = reminder_kind(
            deadline=period.deadline, today=today, calendar=calendar, days_before=settings_now.reminder_days_before
        )
        if kind is None:
            continue
        kind_label = ReminderLog.Kind(kind).label
        subject = _("【催报】%(period)s月报%(kind)s") % {"period": period.label, "kind": kind_label}
        claimed: list[tuple[UnitReport, ReminderLog]] = []
        for unit_report in period.unit_reports.filter(state__in=MISSING).select_related("unit"):
            log = _claim(period, unit_report, kind)
            if log is None:
                result.skipped += 1
            else:
                claimed.append((unit_report, log))
        if not claimed:
            continue
        people = _reporters_by_unit([unit_report.unit_id for unit_report, _log in claimed])
        batch = notify_many(
            [
                Message(
                    people[unit_report.unit_id], reminder_text(period=period, unit_report=unit_report, kind=kind),
                    _link(unit_report), subject,
                )
                for unit_report, _log in claimed
            ],
            email=True, robot=True, at_once=True,
            robot_text=_robot_text(
                district_name=settings_now.district_name, subject=subject, period=period,
                unit_reports=[unit_report for unit_report, _log in claimed],
            ),
        )
        sent_now: list[tuple[Sent, ReminderLog]] = []
        for (unit_report, log), delivery in zip(claimed, batch.deliveries, strict=True):
            sent = Sent(period=period, unit_report=unit_report, kind=kind, in_app=delivery.in_app, channels=[APP])
            _record_channels(sent, delivery)
            if delivery.mail_error is not None:  # a failure for one unit does not stop the others
                result.errors.append(
                    _("%(unit)s的邮件发送失败：%(error)s") % {"unit": unit_report.unit, "error": delivery.mail_error}
                )
            sent_now.append((sent, log))
        if batch.robot_error is not None:  # an unreachable robot does not lose the other channels
            result.errors.append(_("群机器人 Webhook 发送失败：%(error)s") % {"error": batch.robot_error})
        _save_channels(sent_now)
        result.sent.extend(sent for sent, _log in sent_now)
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
    written in the transaction; the units' reminders are one ``core.notify.notify_many`` batch, so
    after the commit the e-mails of every unit go out over one connection and the group robot gets
    one message naming them all, and then the log rows are updated with the channels that reached
    each unit. A closed or published period is refused: nobody may report in it any more, so there
    is nothing to chase.

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
        people = _reporters_by_unit([report.unit_id for report in due])
        with translation.override(settings.LANGUAGE_CODE):
            subject = _("【催报】%(period)s月报%(kind)s") % {
                "period": locked.label, "kind": ReminderLog.Kind.MANUAL.label,
            }
            messages = [
                Message(people[report.unit_id], manual_text(period=locked, unit_report=report), _link(report), subject)
                for report in due
            ]
            robot_text = _robot_text(
                district_name=district().district_name, subject=subject, period=locked, unit_reports=due
            )
        batch = notify_many(messages, email=True, robot=True, robot_text=robot_text)
        sent_now: list[tuple[Sent, ReminderLog]] = []
        for unit_report, delivery in zip(due, batch.deliveries, strict=True):
            sent = Sent(period=locked, unit_report=unit_report, kind=ReminderLog.Kind.MANUAL, in_app=delivery.in_app)
            if sent.in_app:
                sent.channels.append(APP)
            log = ReminderLog(
                period=locked, unit_id=unit_report.unit_id, kind=ReminderLog.Kind.MANUAL, by=by,
                channels=",".join(sent.channels),
            )
            sent_now.append((sent, log))
            result.reminded.append(sent)
        ReminderLog.objects.bulk_create([log for _sent, log in sent_now])
        # Registered after notify_many's sending, so it runs once the batch has gone.
        transaction.on_commit(lambda: _record_after_commit(result, batch, sent_now), robust=True)
    return result


def _record_after_commit(result: NowResult, batch: Batch, sent_now: list[tuple[Sent, ReminderLog]]) -> None:
    """What the batch reached, once it has gone: the click's totals and errors, each unit's channels in its log."""
    result.emails = batch.emails
    result.robot = batch.robot
    if batch.mail_errors:
        result.errors.append(_("催报邮件发送失败：%(error)s") % {"error": batch.mail_errors[0]})
    if batch.robot_error is not None:
        result.errors.append(_("群机器人 Webhook 发送失败：%(error)s") % {"error": batch.robot_error})
    for (sent, _log), delivery in zip(sent_now, batch.deliveries, strict=True):
        _record_channels(sent, delivery)
    _save_channels(sent_now)


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
