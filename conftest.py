"""Shared personas and data for the tests: one user per role, two units, projects in and out of scope."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from org.models import Unit, User

PASSWORD = "test-password-123"  # noqa: S105


@pytest.fixture
def units(db: Any) -> dict[str, Unit]:
    return {
        "fgj": Unit.objects.create(name="发展和改革局", short_name="发改局", kind=Unit.Kind.DEPARTMENT),
        "gxj": Unit.objects.create(name="工业和信息化局", short_name="工信局", kind=Unit.Kind.DEPARTMENT),
        "town_a": Unit.objects.create(name="东城街道", kind=Unit.Kind.TOWN, category="城区街道", population=80000),
        "town_b": Unit.objects.create(name="西山镇", kind=Unit.Kind.TOWN, category="农业镇", population=40000),
    }


def make_user(username: str, role: str, unit: Unit | None = None, **extra: Any) -> User:
    user = User.objects.create_user(username=username, password=PASSWORD, role=role, unit=unit, **extra)
    return user


@pytest.fixture
def personas(units: dict[str, Unit]) -> dict[str, User]:
    return {
        "admin": make_user("admin", User.Role.ADMIN, is_staff=True, is_superuser=True),
        "office": make_user("office", User.Role.OFFICE, units["fgj"]),
        "leader": make_user("leader", User.Role.LEADER, full_name="张区长"),
        "reporter": make_user("reporter", User.Role.REPORTER, units["town_a"]),
        "other_reporter": make_user("other", User.Role.REPORTER, units["town_b"]),
        "viewer": make_user("viewer", User.Role.VIEWER),
    }


@pytest.fixture
def make_project(units: dict[str, Unit]) -> Any:
    from projects.models import Project
    from projects.services import name_initials

    counter = {"n": 0}

    def make(**fields: Any) -> Project:
        counter["n"] += 1
        values: dict[str, Any] = {
            "code": f"2026-T-{counter['n']:03d}",
            "name": f"测试项目{counter['n']}",
            "level": "district",
            "project_type": "industry",
            "stage": "building",
            "total_investment": Decimal("10000"),
            "planned_start": dt.date(2026, 3, 1),
            "actual_start": dt.date(2026, 3, 10),
            "lead_unit": units["gxj"],
            "town": units["town_a"],
        }
        values.update(fields)
        values["initials"] = name_initials(values["name"])
        return Project.objects.create(**values)

    return make
