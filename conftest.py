"""Shared personas and data for the tests: one user per role, two units, projects in and out of scope.

Also, once for every test module: the district clock (``clock``, moved with ``clock_at``), clients
logged in as a persona (``client_for``, ``login``), and the demo district, built once per date for the
whole session and copied into each test that asks for it (``demo_district``).
"""
from __future__ import annotations

import datetime as dt
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from io import StringIO
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.apps import apps
from django.core.management import call_command
from django.db import connection, models, transaction
from django.test import Client, override_settings

from diaodu.tests.fakes import group_robot
from org.models import Unit, User

PASSWORD = "test-password-123"  # noqa: S105
DISTRICT_TZ = ZoneInfo("Asia/Shanghai")


# --- the district clock ---------------------------------------------------------------------------

def district_time(year: int, month: int, day: int, hour: int = 10, minute: int = 0) -> dt.datetime:
    """A moment on the district's wall clock (the tests' dates are the district's, not the server's)."""
    return dt.datetime(year, month, day, hour, minute, tzinfo=DISTRICT_TZ)


@pytest.fixture
def clock_at() -> dt.datetime:
    """Where ``clock`` stops: a module (or a test) that needs another moment overrides this fixture."""
    return district_time(2026, 5, 15)


@pytest.fixture
def clock(clock_at: dt.datetime) -> Iterator[time_machine.Traveller]:
    """Time stands still at ``clock_at``; modules that always need it say ``pytestmark = usefixtures("clock")``."""
    with time_machine.travel(clock_at, tick=False) as traveller:
        yield traveller


# --- clients --------------------------------------------------------------------------------------

def client_for(user: User) -> Client:
    """A client with a session for ``user``, without the login page (which has its own tests)."""
    client = Client()
    client.force_login(user)
    return client


def login(username: str) -> Client:
    """A client logged in through the authentication backend with the personas' password."""
    client = Client()
    assert client.login(username=username, password=PASSWORD)
    return client


@pytest.fixture
def units(db: Any) -> dict[str, Unit]:
    return {
        "fgj": Unit.objects.create(name="发展和改革局", short_name="发改局", kind=Unit.Kind.DEPARTMENT),
        "gxj": Unit.objects.create(name="工业和信息化局", short_name="工信局", kind=Unit.Kind.DEPARTMENT),
        "town_a": Unit.objects.create(name="东城街道", kind=Unit.Kind.TOWN, category="城区街道", population=80000),
        "town_b": Unit.objects.create(name="西山镇", kind=Unit.Kind.TOWN, category="农业镇", population=40000),
    }


@pytest.fixture
def robot() -> Iterator[dict[str, Any]]:
    """A DingTalk/WeCom-style group robot on localhost (diaodu/tests/fakes.py)."""
    with group_robot() as fake:
        yield fake


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
    from projects.services import name_initials, search_name

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
        values["search_name"] = search_name(values["name"])
        return Project.objects.create(**values)

    return make


# --- the demo district, built once per date for the session ---------------------------------------

def _tables() -> list[type[models.Model]]:
    """Every table of the project (MTI children and m2m tables each have their own), in a stable order."""
    found = [m for m in apps.get_models(include_auto_created=True) if m._meta.managed and not m._meta.proxy]
    return sorted(found, key=lambda m: m._meta.db_table)


def _rows(model: type[models.Model]) -> dict[Any, tuple[Any, ...]]:
    names = [f.attname for f in model._meta.local_concrete_fields]
    at = names.index(model._meta.pk.attname)
    return {row[at]: row for row in model._base_manager.values_list(*names)}


@dataclass
class DemoBuild:
    """What ``load_demo`` did to an empty test database at one moment: rows, printed lines, files."""

    moment: dt.datetime
    output: str
    media: Path
    # Per model: primary keys of rows the build changed or removed, and the rows it wrote.
    removed: dict[type[models.Model], list[Any]] = field(default_factory=dict)
    written: dict[type[models.Model], list[tuple[Any, ...]]] = field(default_factory=dict)

    def install(self) -> str:
        """Write the build into the current transaction (a few hundred ms instead of seconds of load_demo).

        Values go through each field's own preparation, so this works on SQLite and PostgreSQL alike.
        Sequences need no reset: PostgreSQL's are not rolled back after the build, and SQLite moves its
        AUTOINCREMENT counter past explicit ids by itself.
        """
        quote = connection.ops.quote_name
        # Table and column names come from the models' metadata, values are always parameters (hence noqa).
        with connection.cursor() as cursor:
            for model, pks in self.removed.items():
                table, pk = quote(model._meta.db_table), quote(model._meta.pk.column)
                for start in range(0, len(pks), 500):
                    chunk = pks[start:start + 500]
                    cursor.execute(f"DELETE FROM {table} WHERE {pk} IN ({', '.join(['%s'] * len(chunk))})", chunk)  # noqa: S608
            for model, rows in self.written.items():
                fields = model._meta.local_concrete_fields
                columns = ", ".join(quote(f.column) for f in fields)
                marks = ", ".join(["%s"] * len(fields))
                sql = f"INSERT INTO {quote(model._meta.db_table)} ({columns}) VALUES ({marks})"  # noqa: S608
                cursor.executemany(sql, [
                    [f.get_db_prep_save(value, connection=connection) for f, value in zip(fields, row, strict=True)]
                    for row in rows
                ])
        return self.output


class DemoBuilds:
    """``load_demo`` run once per moment for the whole session, each time rolled back after being recorded."""

    def __init__(self, blocker: Any, folder: Path) -> None:
        self._blocker = blocker
        self._folder = folder
        self._builds: dict[dt.datetime, DemoBuild] = {}

    def at(self, moment: dt.datetime) -> DemoBuild:
        if moment not in self._builds:
            self._builds[moment] = self._build(moment)
        return self._builds[moment]

    def _build(self, moment: dt.datetime) -> DemoBuild:
        media = self._folder / moment.strftime("%Y%m%d-%H%M")
        media.mkdir()
        out = StringIO()
        with (
            self._blocker.unblock(), time_machine.travel(moment, tick=False),
            override_settings(MEDIA_ROOT=media), transaction.atomic(),
        ):
            before = {model: _rows(model) for model in _tables()}
            call_command("load_demo", stdout=out)
            build = DemoBuild(moment=moment, output=out.getvalue(), media=media)
            for model, old in before.items():
                new = _rows(model)
                removed = [pk for pk, row in old.items() if new.get(pk) != row]
                written = [row for pk, row in new.items() if old.get(pk) != row]
                if removed:
                    build.removed[model] = removed
                if written:
                    build.written[model] = written
            transaction.set_rollback(True)
        return build


@pytest.fixture(scope="session")
def demo_builds(django_db_setup: Any, django_db_blocker: Any) -> Iterator[DemoBuilds]:
    folder = Path(tempfile.mkdtemp(prefix="diaodu-test-demo-"))
    try:
        yield DemoBuilds(django_db_blocker, folder)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def demo_media(build: DemoBuild, folder: Path) -> Path:
    """A private copy of the build's files (bulletins), so a test that deletes them harms no other test."""
    target = folder / "demo-media"
    shutil.copytree(build.media, target)
    return target


@pytest.fixture
def demo_district(db: Any, demo_builds: DemoBuilds, clock_at: dt.datetime, settings: Any, tmp_path: Path) -> str:
    """The demo district as ``load_demo`` leaves it at ``clock_at``, in this test's transaction; what it printed.

    Use it with ``clock`` so the test runs at the moment the district was built.
    """
    build = demo_builds.at(clock_at)
    settings.MEDIA_ROOT = demo_media(build, tmp_path)
    return build.install()
