"""The district's clock and work calendar: one ``today`` for every module.

``today`` is the date in the district's time zone (``DIAODU_TIME_ZONE``), never the server's
``date.today()``; working days follow the State Council schedule with the administrator's
holiday table winning (org.workdays).
"""
from __future__ import annotations

import datetime as dt

from django.utils import timezone

from org.models import holiday_overrides
from org.workdays import WorkCalendar


def today() -> dt.date:
    return timezone.localdate()


def local_date(moment: dt.datetime) -> dt.date:
    """The district's date of ``moment`` (a stored time, aware or naive)."""
    return timezone.localtime(moment).date() if timezone.is_aware(moment) else moment.date()


def work_calendar() -> WorkCalendar:
    return WorkCalendar(holiday_overrides())
