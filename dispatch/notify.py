"""Dispatch's recipients: a unit's reporters and the project office, told through core.notify.

Only services call these (never views): see core.notify for the channels and when they go out.
"""
from __future__ import annotations

from collections.abc import Iterable

from core.notify import notify
from org.models import Unit, User


def notify_users(users: Iterable[User], text: str, url: str = "") -> int:
    return notify(users, text, url).in_app


def unit_reporters(unit: Unit | int) -> Iterable[User]:
    unit_id = unit if isinstance(unit, int) else unit.pk
    return User.objects.filter(unit_id=unit_id, role=User.Role.REPORTER, is_active=True)


def notify_unit(unit: Unit | int, text: str, url: str = "") -> int:
    """Tell the unit's reporters (the people who act for the unit in diaodu)."""
    return notify_users(unit_reporters(unit), text, url)


def notify_office(text: str, url: str = "") -> int:
    return notify_users(User.objects.filter(role=User.Role.OFFICE, is_active=True), text, url)
