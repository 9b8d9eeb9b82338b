"""Dispatch's recipients: a unit's reporters and the project office, told through core.notify.

Only services call these (never views): see core.notify for the channels and when they go out.
``exclude`` leaves out the person who acted (the office user who submits a unit's report for it is
not told that it was submitted); ``everywhere`` adds the e-mail and the group robot to the in-app
notification, each when the district has configured it, after the caller's transaction commits.
"""
from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db.models import QuerySet

from core.notify import notify
from org.models import Unit, User


def notify_users(
    users: Iterable[User], text: str, url: str = "", *, exclude: Any = None, everywhere: bool = False,
    subject: str = "",
) -> int:
    """Tell ``users`` (but not ``exclude``); the number of in-app notifications written."""
    excluded = getattr(exclude, "pk", None)
    recipients = [user for user in users if excluded is None or user.pk != excluded]
    return notify(recipients, text, url, email=everywhere, subject=subject, robot=everywhere).in_app


def reporters_of_units(unit_ids: Iterable[int]) -> QuerySet[User]:
    """The people who act for these units in diaodu: their active reporters."""
    return User.objects.filter(unit_id__in=list(unit_ids), role=User.Role.REPORTER, is_active=True)


def unit_reporters(unit: Unit | int) -> QuerySet[User]:
    return reporters_of_units([unit if isinstance(unit, int) else unit.pk])


def notify_unit(
    unit: Unit | int, text: str, url: str = "", *, exclude: Any = None, everywhere: bool = False, subject: str = ""
) -> int:
    """Tell the unit's reporters (the people who act for the unit in diaodu)."""
    return notify_users(unit_reporters(unit), text, url, exclude=exclude, everywhere=everywhere, subject=subject)


def office_users() -> Iterable[User]:
    return User.objects.filter(role=User.Role.OFFICE, is_active=True)


def notify_office(text: str, url: str = "", *, exclude: Any = None, everywhere: bool = False, subject: str = "") -> int:
    return notify_users(office_users(), text, url, exclude=exclude, everywhere=everywhere, subject=subject)
