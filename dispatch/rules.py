"""Pure rules of the dispatch cycle: report deadlines and the escalation of overdue problems.

No ORM here: the services turn rows into these arguments, and the pages quote the texts.

Deadlines. A district sets one rule: either a day of the reported month ("day:25": the
October report is due on 25 October; a deadline on a holiday or weekend moves back to the
working day before it, so nobody is late because the office was closed) or a number of
working days after the period ends ("workdays:5": the October report is due on the fifth
working day of November, skipping the National Day holidays).

Escalation of a problem (督办升级) is the tracked item's rule, ``core.tracking.escalation``; it is
re-exported here under the names the bulletin, the snapshots and the pages have always used.
"""
from __future__ import annotations

import datetime as dt

from core.rules import DeadlineRule
from core.tracking.escalation import BLUE, NONE, RED, YELLOW, Escalation, escalation_in_words
from core.tracking.escalation import SEVERITY as ESCALATION_SEVERITY
from core.tracking.escalation import escalation as problem_escalation
from org.workdays import WorkCalendar

__all__ = [
    "BLUE", "ESCALATION_SEVERITY", "NONE", "RED", "YELLOW", "DeadlineRule", "Escalation", "escalation_in_words",
    "period_bounds", "period_deadline", "problem_escalation",
]


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
