"""Pure rules of the dispatch cycle: report deadlines and the escalation of overdue problems.

No ORM here: the services turn rows into these arguments, and the pages quote the texts.

Deadlines. A district sets one rule: either a day of the reported month ("day:25": the
October report is due on 25 October; a deadline on a holiday or weekend moves back to the
working day before it, so nobody is late because the office was closed) or a number of
working days after the period ends ("workdays:5": the October report is due on the fifth
working day of November, skipping the National Day holidays).

Escalation of a problem not yet closed (督办升级), by its deadline and today:
  - more than ``remind_days`` days before the deadline: none;
  - within ``remind_days`` days of it, deadline day included: blue reminder (提醒);
  - overdue by 1 to ``red_days`` days: yellow warning (预警);
  - overdue by more than ``red_days`` days: red supervision slip, leader interview (红牌督办).
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from org.workdays import WorkCalendar
from projects.rules import days_overdue

NONE, BLUE, YELLOW, RED = "none", "blue", "yellow", "red"
ESCALATION_SEVERITY = {NONE: 0, BLUE: 1, YELLOW: 2, RED: 3}


@dataclass(frozen=True)
class DeadlineRule:
    kind: str  # "day" or "workdays"
    value: int

    @classmethod
    def parse(cls, text: str) -> DeadlineRule:
        kind, _sep, number = text.strip().partition(":")
        if kind not in {"day", "workdays"} or not number.strip().isdigit():
            raise ValueError(_("截止规则应写成 day:25 或 workdays:5，实际为“%(text)s”") % {"text": text})
        value = int(number)
        if (kind == "day" and not 1 <= value <= 31) or (kind == "workdays" and not 0 <= value <= 30):
            raise ValueError(_("截止规则的数字超出范围：“%(text)s”") % {"text": text})
        return cls(kind, value)

    def in_words(self) -> str:
        if self.kind == "day":
            return _("每月 %(day)d 日前报送（逢节假日提前到前一个工作日）") % {"day": self.value}
        return _("期末后第 %(n)d 个工作日前报送") % {"n": self.value}


def period_bounds(year: int, month: int, half: int) -> tuple[dt.date, dt.date]:
    """First and last day of a period; ``half`` 0 is the whole month."""
    following = dt.date(year + month // 12, month % 12 + 1, 1)
    month_end = following - dt.timedelta(days=1)
    if half == 1:
        return dt.date(year, month, 1), dt.date(year, month, 15)
    if half == 2:
        return dt.date(year, month, 16), month_end
    return dt.date(year, month, 1), month_end


def period_deadline(year: int, month: int, half: int, rule: DeadlineRule, calendar: WorkCalendar) -> dt.date:
    first, last = period_bounds(year, month, half)
    if rule.kind == "day":
        if half == 1:
            # The first half is due by its own last day.
            return calendar.previous_or_same_workday(last)
        day = min(rule.value, last.day)
        # A day before the second half begins cannot be its deadline: the half's last working day is.
        return calendar.previous_or_same_workday(dt.date(year, month, day) if day >= first.day else last)
    if rule.value == 0:
        return calendar.previous_or_same_workday(last)
    return calendar.add_workdays(last, rule.value)


@dataclass(frozen=True)
class Escalation:
    level: str
    text: str


def problem_escalation(
    *, deadline: dt.date, today: dt.date, closed: bool, remind_days: int = 3, red_days: int = 15
) -> Escalation:
    if closed:
        return Escalation(NONE, _("已办结"))
    days_left = (deadline - today).days
    if days_left > remind_days:
        return Escalation(NONE, _("距办结时限还有 %(days)d 天") % {"days": days_left})
    if days_left >= 0:
        if days_left == 0:
            return Escalation(BLUE, _("今天到期，请抓紧办结"))
        return Escalation(BLUE, _("距办结时限还有 %(days)d 天，请抓紧办结") % {"days": days_left})
    overdue = days_overdue(deadline, today)
    if overdue <= red_days:
        text = ngettext("已逾期 %(days)d 天，预警", "已逾期 %(days)d 天，预警", overdue) % {"days": overdue}
        return Escalation(YELLOW, text)
    text = ngettext(
        "已逾期 %(days)d 天，红牌督办并约谈责任领导", "已逾期 %(days)d 天，红牌督办并约谈责任领导", overdue
    ) % {"days": overdue}
    return Escalation(RED, text)


def escalation_in_words(*, remind_days: int, red_days: int) -> list[str]:
    """:func:`problem_escalation` in words, with the district's numbers, for the problem pages."""
    return [
        _("距办结时限 %(days)d 天以内（含到期当日）：蓝色提醒。") % {"days": remind_days},
        _("逾期 1 至 %(days)d 天：黄色预警。") % {"days": red_days},
        _("逾期超过 %(days)d 天：红牌督办，约谈责任领导。") % {"days": red_days},
        _("已办结的问题不再督办。延期须在办结时限之前申请，经项目办批准后按新的时限计算。"),
    ]
