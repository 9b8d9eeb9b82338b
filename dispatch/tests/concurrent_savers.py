"""Deadline day on a database of its own: many reporters save grid rows at the same moment.

Run by ``test_concurrency.py`` in a subprocess on a SQLite file, because pytest-django's SQLite
test database lives in memory, where no two connections ever compete for the file lock that failed
in production. This script builds its own database with the project's own DATABASES options
(whatever settings module the environment names), then saves rows through the real view from many
threads, each with its own connection, and prints what happened as JSON on its last line. It runs
on an empty PostgreSQL database too, for the figures in docs/security.md.

    DATABASE_URL=sqlite:////tmp/x.sqlite3 python dispatch/tests/concurrent_savers.py --savers 30 --rounds 2
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
import threading
import traceback
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "diaodu.test_settings")

OWN_ROWS = 2  # each saver's own projects; the unit's third project is shared by its two savers


def build(savers: int) -> dict[str, Any]:
    """Units of two reporters each; every reporter has two projects of its own and one shared with the other."""
    from django.core.management import call_command

    from dispatch.periods import services
    from org.models import Unit, User
    from projects.models import Project
    from projects.services import name_initials

    call_command("migrate", verbosity=0, interactive=False)
    office = User.objects.create_user(username="office", password="x", role=User.Role.OFFICE)
    plan: list[dict[str, Any]] = []
    units = (savers + 1) // 2
    for u in range(units):
        unit = Unit.objects.create(name=f"第{u}街道", kind=Unit.Kind.TOWN)

        def project(code: str, unit: Unit = unit) -> int:
            name = f"并发项目{code}"
            return Project.objects.create(
                code=code, name=name, initials=name_initials(name), level="district", project_type="industry",
                stage="building", total_investment=Decimal("100000"), planned_start=dt.date(2026, 3, 1),
                actual_start=dt.date(2026, 3, 10), lead_unit=unit, town=unit,
            ).pk

        shared = project(f"2026-C-{u:02d}9")
        for r in range(2):
            index = u * 2 + r
            if index >= savers:
                break
            user = User.objects.create_user(username=f"rep{index}", password="x", role=User.Role.REPORTER, unit=unit)
            own = [project(f"2026-C-{u:02d}{r}{k}") for k in range(OWN_ROWS)]
            plan.append({"user": user.pk, "unit": unit.pk, "own": own, "shared": shared})
    period = services.period_open(year=2026, month=10, by=office)
    for entry in plan:
        entry["report"] = period.unit_reports.get(unit_id=entry["unit"]).pk
    return {"plan": plan}


def amount(saver: int, round_: int) -> str:
    """A value only this saver writes in this round, so the database shows whose write survived."""
    return f"{100 + round_}.{saver:02d}"


def run(savers: int, rounds: int) -> dict[str, Any]:
    import django

    django.setup()
    import time_machine
    from django.conf import settings
    from django.db import connection, connections
    from django.test import Client
    from django.urls import reverse

    from org.models import User
    from projects.models import ProgressReport

    # In memory there is no file lock to compete for (PostgreSQL works too, on an empty database).
    assert connection.vendor != "sqlite" or settings.DATABASES["default"]["NAME"] not in ("", ":memory:")
    with time_machine.travel(dt.datetime(2026, 10, 20, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))):
        plan = build(savers)["plan"]
        connections.close_all()
        barrier = threading.Barrier(savers)
        outcomes: list[dict[str, Any]] = []
        lock = threading.Lock()

        def saver(index: int) -> None:
            entry = plan[index]
            client = Client(raise_request_exception=False)
            try:
                client.force_login(User.objects.get(pk=entry["user"]))
                for round_ in range(rounds):
                    barrier.wait(timeout=60)
                    for project_pk in [entry["shared"], *entry["own"]]:
                        data = {
                            f"p{project_pk}-invested": amount(index, round_),
                            f"p{project_pk}-progress_percent": "50",
                            f"p{project_pk}-physical_progress": f"第{round_}轮 {index}",
                            f"p{project_pk}-problems": "",
                        }
                        url = reverse("dispatch:report_row", args=[entry["report"], project_pk])
                        response = client.post(url, data, HTTP_HX_REQUEST="true")
                        body = response.content.decode()
                        ok = response.status_code == 200 and 'data-status="saved"' in body
                        with lock:
                            outcomes.append({"saver": index, "round": round_, "project": project_pk,
                                             "status": response.status_code, "ok": ok,
                                             "error": "" if ok else body[:300]})
            except Exception:  # the outcome is reported, never lost in a thread
                with lock:
                    outcomes.append({"saver": index, "ok": False, "status": 0, "error": traceback.format_exc()})
            finally:
                connections.close_all()

        threads = [threading.Thread(target=saver, args=(i,)) for i in range(savers)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

        last = rounds - 1
        stored = {r.project_id: str(r.invested) for r in ProgressReport.objects.filter(year=2026, month=10)}
        lost = []
        for index, entry in enumerate(plan):
            for project_pk in entry["own"]:
                if stored.get(project_pk) != amount(index, last):
                    lost.append(
                        {"project": project_pk, "expected": amount(index, last), "stored": stored.get(project_pk)}
                    )
            sharers = [i for i, other in enumerate(plan) if other["shared"] == entry["shared"]]
            if stored.get(entry["shared"]) not in {amount(i, last) for i in sharers}:
                lost.append({"project": entry["shared"], "expected": [amount(i, last) for i in sharers],
                             "stored": stored.get(entry["shared"])})
        return {
            "saves": len(outcomes),
            "errors": [o for o in outcomes if not o["ok"]],
            "lost": lost,
            "options": {k: str(v) for k, v in settings.DATABASES["default"].get("OPTIONS", {}).items()},
        }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--savers", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    print(json.dumps(run(args.savers, args.rounds), ensure_ascii=False))


if __name__ == "__main__":
    main()
