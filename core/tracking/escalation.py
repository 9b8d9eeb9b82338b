"""Escalation of a tracked item not yet closed (督办升级), by its deadline and today.

  - more than ``remind_days`` days before the deadline: none;
  - within ``remind_days`` days of it, deadline day included: blue reminder (提醒);
  - overdue by 1 to ``red_days`` days: yellow warning (预警);
  - overdue by more than ``red_days`` days: red supervision slip, leader interview (红牌督办).

One statement of the thresholds, :func:`bands`, gives both the rule (:func:`escalation`, pure) and
its SQL twin (:func:`level_q`), so a list filtered in the database shows the levels the rule gives
(dispatch/tests/test_one_overdue_rule.py holds them together for random days and thresholds).
The thresholds are arguments: callers read them from the settings.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Q
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

NONE, BLUE, YELLOW, RED = "none", "blue", "yellow", "red"
LEVELS = (NONE, BLUE, YELLOW, RED)
SEVERITY = {NONE: 0, BLUE: 1, YELLOW: 2, RED: 3}


@dataclass(frozen=True)
class Escalation:
    level: str
    text: str


def bands(*, remind_days: int, red_days: int) -> dict[str, tuple[int | None, int | None]]:
    """Each level of an open item as the days left to its deadline, inclusive (None: no bound).

    Negative days left are days overdue. The bands do not overlap and cover every day.
    """
    return {
        NONE: (remind_days + 1, None),
        BLUE: (0, remind_days),
        YELLOW: (-red_days, -1),
        RED: (None, -red_days - 1),
    }


def _in_band(days_left: int, band: tuple[int | None, int | None]) -> bool:
    low, high = band
    return (low is None or days_left >= low) and (high is None or days_left <= high)


def days_overdue(due: dt.date | None, on: dt.date) -> int:
    """Whole days ``on`` is past ``due``: 0 on the due day itself, before it, or without a due date.

    The one count of "逾期 N 天"; ``projects.rules`` re-exports it for milestones and the bulletin.
    """
    if due is None or on <= due:
        return 0
    return (on - due).days


def escalation(
    *, deadline: dt.date, today: dt.date, closed: bool, remind_days: int = 3, red_days: int = 15
) -> Escalation:
    """The level of an item today and why, in words."""
    if closed:
        return Escalation(NONE, _("已办结"))
    days_left = (deadline - today).days
    level = next(
        name for name, band in bands(remind_days=remind_days, red_days=red_days).items() if _in_band(days_left, band)
    )
    if level == NONE:
        return Escalation(NONE, _("距办结时限还有 %(days)d 天") % {"days": days_left})
    if level == BLUE:
        if days_left == 0:
            return Escalation(BLUE, _("今天到期，请抓紧办结"))
        return Escalation(BLUE, _("距办结时限还有 %(days)d 天，请抓紧办结") % {"days": days_left})
    overdue = days_overdue(deadline, today)
    if level == YELLOW:
        text = ngettext("已逾期 %(days)d 天，预警", "已逾期 %(days)d 天，预警", overdue) % {"days": overdue}
        return Escalation(YELLOW, text)
    text = ngettext(
        "已逾期 %(days)d 天，红牌督办并约谈责任领导", "已逾期 %(days)d 天，红牌督办并约谈责任领导", overdue
    ) % {"days": overdue}
    return Escalation(RED, text)


def level_q(level: str, *, on: dt.date, closed: Q, remind_days: int, red_days: int, deadline: str = "deadline") -> Q:
    """The items at ``level`` on day ``on`` as a filter: :func:`bands` turned into deadline bounds.

    ``closed`` says which rows are closed (``Q(state="closed")``); closed items are at level none.
    """
    low, high = bands(remind_days=remind_days, red_days=red_days)[level]
    bounds = Q()
    if low is not None:
        bounds &= Q(**{f"{deadline}__gte": on + dt.timedelta(days=low)})
    if high is not None:
        bounds &= Q(**{f"{deadline}__lte": on + dt.timedelta(days=high)})
    if level == NONE:
        return closed | bounds
    return ~closed & bounds


def escalation_in_words(*, remind_days: int, red_days: int) -> list[str]:
    """:func:`escalation` in words, with the district's numbers, for the pages."""
    return [
        _("距办结时限 %(days)d 天以内（含到期当日）：蓝色提醒。") % {"days": remind_days},
        _("逾期 1 至 %(days)d 天：黄色预警。") % {"days": red_days},
        _("逾期超过 %(days)d 天：红牌督办，约谈责任领导。") % {"days": red_days},
        _("已办结的问题不再督办。延期须在办结时限之前申请，经项目办批准后按新的时限计算。"),
    ]
