"""Working-day calendar for the mainland Chinese government schedule.

Deadlines in this project are counted in working days, and Chinese working
days are not simply Monday to Friday: the State Council moves weekends around
public holidays every year (调休), so some Saturdays and Sundays are working
days and some weekdays are holidays.

The ``chinesecalendar`` package knows the official schedule only for the
years it was released with, while the next year's schedule is published each
November. Administrators therefore keep a holiday table in the database; its
rows reach this module as a plain ``date -> is_working_day`` mapping, which
always wins. For years neither source knows we fall back to Monday to Friday
and let the UI warn through :meth:`WorkCalendar.is_known`.

This module is pure Python on purpose: it is called in tight loops (reverse
scheduling thousands of projects) and must not touch the ORM.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from datetime import date, timedelta

import chinese_calendar

__all__ = ["WorkCalendar"]

_ONE_DAY = timedelta(days=1)


@functools.cache
def _official_workdays(year: int) -> frozenset[date] | None:
    """Working days of ``year`` per chinese_calendar, or None if it lacks the year.

    The official schedule never changes for a given package version, so one
    process-wide cache serves every WorkCalendar instance (a fresh instance is
    built per request with that request's overrides).
    """
    first = date(year, 1, 1)
    try:
        chinese_calendar.is_workday(first)
    except NotImplementedError:
        return None
    days: set[date] = set()
    day = first
    while day.year == year:
        if chinese_calendar.is_workday(day):
            days.add(day)
        day += _ONE_DAY
    return frozenset(days)


class WorkCalendar:
    """Answers "is this a working day" and does working-day arithmetic.

    ``overrides`` maps a date to True (a working day, e.g. a 调休 Saturday) or
    False (a holiday). Overrides beat the packaged official schedule, so an
    administrator can both fill in future years and correct the package.
    """

    def __init__(self, overrides: Mapping[date, bool] | None = None) -> None:
        # Snapshot so later changes to the caller's mapping cannot make one
        # calculation see two different calendars.
        self._overrides: dict[date, bool] = dict(overrides or {})

    def __repr__(self) -> str:
        return f"WorkCalendar(overrides={len(self._overrides)})"

    def is_workday(self, day: date) -> bool:
        override = self._overrides.get(day)
        if override is not None:
            return override
        official = _official_workdays(day.year)
        if official is not None:
            return day in official
        return day.weekday() < 5

    def is_known(self, day: date) -> bool:
        """True when the answer for ``day`` is authoritative, not the Mon-Fri guess."""
        return day in self._overrides or _official_workdays(day.year) is not None

    def previous_or_same_workday(self, day: date) -> date:
        while not self.is_workday(day):
            day -= _ONE_DAY
        return day

    def add_workdays(self, day: date, n: int) -> date:
        """Move ``n`` working days forward (n > 0) or backward (n < 0).

        The start day itself never counts, whether or not it is a working day,
        so ``add_workdays(friday, 1)`` is the next working Monday and
        ``add_workdays(sunday, 1)`` is also that Monday. ``n == 0`` rolls back
        to the nearest working day on or before ``day``: a deadline that falls
        on a holiday has to be met before the holiday, not after it.
        """
        if n == 0:
            return self.previous_or_same_workday(day)
        step = _ONE_DAY if n > 0 else -_ONE_DAY
        remaining = abs(n)
        while remaining:
            day += step
            if self.is_workday(day):
                remaining -= 1
        return day

    def workdays_between(self, start: date, end: date) -> int:
        """Working days in the half-open interval (start, end]; negative if end < start.

        Half-open so that ``workdays_between(d, add_workdays(d, n)) == n`` for
        any working day ``d``, which is what reverse scheduling relies on.
        """
        if end < start:
            return -self.workdays_between(end, start)
        count = 0
        day = start + _ONE_DAY
        while day <= end:
            if self.is_workday(day):
                count += 1
            day += _ONE_DAY
        return count
