"""Deadline day: many reporters save grid rows at the same moment, with zero errors and zero lost writes.

On SQLite the savers run in a subprocess on a database file of their own (``concurrent_savers.py``),
with the project's own DATABASES options; before IMMEDIATE transactions, 40 of these 60 saves
failed with "database is locked". On PostgreSQL two connections save the same not-yet-filled row
at once: the loser of the insert race used to fail on ``report_one_per_period``.
"""
from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
import threading
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.db import connection, connections
from django.utils import timezone

from conftest import make_user
from dispatch.models import UnitReport
from dispatch.periods import services
from dispatch.reporting import grid as reporting
from org.models import Unit, User
from projects.models import ProgressReport, Project

SAVERS = 10
ROUNDS = 2
SCRIPT = Path(__file__).with_name("concurrent_savers.py")


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's file lock; PostgreSQL has the race test below")
def test_concurrent_savers_on_sqlite_all_succeed(tmp_path: Path) -> None:
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'deadline.sqlite3'}"}
    done = subprocess.run(
        [sys.executable, str(SCRIPT), "--savers", str(SAVERS), "--rounds", str(ROUNDS)],
        env=env, capture_output=True, text=True, timeout=180, check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    outcome = json.loads(done.stdout.strip().splitlines()[-1])
    # Each saver saves its own two rows and one shared with the unit's other saver, in each round.
    assert outcome["saves"] == SAVERS * ROUNDS * 3
    assert outcome["errors"] == []
    assert outcome["lost"] == []
    assert outcome["options"]["transaction_mode"] == "IMMEDIATE"  # the project's own options were used


# --- PostgreSQL: two reporters fill the same empty row at the same moment -------------------------

@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks and the insert race need PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_two_reporters_filling_one_empty_row_at_once_both_succeed(
    units: dict[str, Unit], monkeypatch: pytest.MonkeyPatch
) -> None:
    unit = units["town_a"]
    office = make_user("office", User.Role.OFFICE)
    reporters = [make_user(f"rep{i}", User.Role.REPORTER, unit) for i in range(2)]
    project = Project.objects.create(
        code="2026-R-001", name="竞争项目", initials="JZXM", level="district", project_type="industry",
        stage="building", total_investment=Decimal("10000"), planned_start=dt.date(2026, 3, 1),
        actual_start=dt.date(2026, 3, 10), lead_unit=unit, town=unit,
    )
    today = timezone.localdate()
    period = services.period_open(year=today.year, month=today.month, by=office)
    unit_report = UnitReport.objects.select_related("period").get(period=period, unit=unit)

    # Both rows are checked (and found empty) before either writes: the first one to insert holds
    # its transaction open until the second has tried to insert too.
    checked = threading.Barrier(2)
    original = reporting.unit_report_rows_check

    def check_then_wait(**kwargs: Any) -> list[reporting.Row]:
        rows = original(**kwargs)
        checked.wait(timeout=20)
        return rows

    errors: list[BaseException] = []

    def save(index: int) -> None:
        try:
            reporting.unit_report_rows_save(
                by=reporters[index], unit_report=UnitReport.objects.select_related("period").get(pk=unit_report.pk),
                inputs={project.pk: {"invested": f"{100 + index}", "progress_percent": "30",
                                     "physical_progress": f"第{index}人", "problems": ""}},
            )
        except BaseException as error:  # reported below, never lost in a thread
            errors.append(error)
        finally:
            connections.close_all()

    monkeypatch.setattr(reporting, "unit_report_rows_check", check_then_wait)
    threads = [threading.Thread(target=save, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    stored = ProgressReport.objects.get(project=project, year=today.year, month=today.month)
    assert str(stored.invested) in {"100.00", "101.00"}
    assert stored.physical_progress == {"100.00": "第0人", "101.00": "第1人"}[str(stored.invested)]
