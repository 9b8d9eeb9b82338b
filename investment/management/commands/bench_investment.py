"""``manage.py bench_investment``: the lead list and the collision check (撞单) at 50,000 leads.

Without ``--run-one`` it runs itself once per database (an SQLite file ``bench_investment.sqlite3`` and the
PostgreSQL database ``diaodu_bench_investment`` on 127.0.0.1:5432, or the one ``--database-url`` names),
each recreated, because the settings read the database from the environment at import; each child migrates,
stores the leads (``investment.bench.bench_leads``) and prints one JSON line; the parent prints the Markdown
table in docs/benchmarks.md.

Times are server time as django.test.Client sees it for pages (middleware, view, queries, template), and the
service's own time for the collision check (``services.collision_candidates`` and ``lead_save``), after the
web process has built the name index at start (diaodu/wsgi.py); the build itself is printed too.
"""
from __future__ import annotations

import json
import os
import random
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

import dj_database_url
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

RESULT_PREFIX = "BENCH-RESULT "
DEFAULT_SQLITE = f"sqlite:///{Path(settings.BASE_DIR) / 'bench_investment.sqlite3'}"
DEFAULT_POSTGRES = "postgres://postgres@127.0.0.1:5432/diaodu_bench_investment"
AIMS_MS = {"list": 150, "collision": 100}


def _p95(times: list[float]) -> float:
    ordered = sorted(times)
    return ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]


def _measure(call: Callable[[], object], repeat: int) -> dict[str, Any]:
    times, queries = [], []
    for _ in range(repeat):
        with CaptureQueriesContext(connection) as captured:
            start = time.perf_counter()
            call()
            times.append((time.perf_counter() - start) * 1000)
        queries.append(len(captured))
    return {"median": statistics.median(times), "p95": _p95(times), "max": max(times), "queries": max(queries)}


class Command(BaseCommand):
    help = "招商线索列表与撞单检查的基准测试 / Lead list and collision check at 50,000 leads"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--leads", type=int, default=50_000)
        parser.add_argument("--repeat", type=int, default=30, help="timed requests per page")
        parser.add_argument("--database-url", default=None, help="one database to use instead of the two defaults")
        parser.add_argument("--run-one", action="store_true", help="internal: measure the database in DATABASE_URL")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["run_one"]:
            result = _run_one(options, log=lambda line: self.stderr.write(f"  {line}"))
            self.stdout.write(RESULT_PREFIX + json.dumps(result, ensure_ascii=False))
            return
        urls = [options["database_url"]] if options["database_url"] else [DEFAULT_SQLITE, DEFAULT_POSTGRES]
        results = []
        for url in urls:
            self.stderr.write(f"== {url}")
            if not _prepare(url, recreate=not options["database_url"], log=self.stderr.write):
                continue
            command = [sys.executable, str(Path(settings.BASE_DIR) / "manage.py"), "bench_investment", "--run-one",
                       "--leads", str(options["leads"]), "--repeat", str(options["repeat"])]
            env = {**os.environ, "DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": settings.SETTINGS_MODULE}
            done = subprocess.run(command, env=env, cwd=settings.BASE_DIR, stdout=subprocess.PIPE, text=True,
                                  check=False)
            lines = [line for line in done.stdout.splitlines() if line.startswith(RESULT_PREFIX)]
            if done.returncode or not lines:
                raise CommandError(f"benchmark on {url} failed (exit {done.returncode}):\n{done.stdout}")
            results.append(json.loads(lines[-1][len(RESULT_PREFIX):]))
        if not results:
            raise CommandError("no database could be measured")
        self.stdout.write(_table(results))


def _prepare(url: str, *, recreate: bool, log: Callable[[str], Any]) -> bool:
    """The benchmark's own database, empty (only the default ones are dropped, never one named on the
    command line); False when PostgreSQL cannot be reached."""
    config = dj_database_url.parse(url)
    if config["ENGINE"] == "django.db.backends.sqlite3":
        if recreate:
            for suffix in ("", "-wal", "-shm"):
                Path(f"{config['NAME']}{suffix}").unlink(missing_ok=True)
        return True
    import psycopg
    from psycopg import sql

    try:
        admin = psycopg.connect(host=config["HOST"] or None, port=config["PORT"] or None,
                                user=config["USER"] or None, password=config["PASSWORD"] or None,
                                dbname="postgres", autocommit=True, connect_timeout=5)
    except psycopg.OperationalError as error:
        log(f"  skipped: PostgreSQL not reachable ({error})")
        return False
    with admin:
        name = config["NAME"]
        if recreate:
            admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        if not admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    return True


def _run_one(options: dict[str, Any], *, log: Callable[[str], Any]) -> dict[str, Any]:
    from investment import names, services
    from investment.bench import bench_leads, generated_names, variant
    from investment.models import Lead
    from org.models import Unit, User

    count, repeat = options["leads"], options["repeat"]
    call_command("migrate", verbosity=0)
    if Lead.objects.exists():
        raise CommandError("the benchmark database is not empty")
    began = time.perf_counter()
    stored = bench_leads(count)
    log(f"stored {count} leads in {time.perf_counter() - began:.1f} s")
    office = User.objects.create_user(username="bench_office", password="x-bench-123456", role=User.Role.OFFICE)
    unit = Unit.objects.filter(name__startswith="基准招商单位").order_by("pk").first()
    reporter = User.objects.create_user(username="bench_reporter", password="x-bench-123456",
                                        role=User.Role.REPORTER, unit=unit)
    pages: dict[str, dict[str, Any]] = {}
    with override_settings(ALLOWED_HOSTS=["testserver"], DEBUG=False):
        leads_url = reverse("investment:leads")
        for label, user, params in (
            ("list, first page (office, all leads)", office, {}),
            ("list, filtered by stage + sorted by amount", office, {"stage": "negotiating", "sort": "investment"}),
            ("list, sorted by light", office, {"sort": "light"}),
            ("list, page 200", office, {"page": "200"}),
            ("list, a unit's reporter", reporter, {}),
        ):
            client = Client()
            client.force_login(user)
            assert client.get(leads_url, params).status_code == 200  # warm the session and caches
            pages[label] = _measure(partial(client.get, leads_url, params), repeat)
            log(f"{label}: p95 {pages[label]['p95']:.0f} ms")

    services.name_index_forget()
    began = time.perf_counter()
    services.name_index_warm()
    build_ms = (time.perf_counter() - began) * 1000
    rng = random.Random(3)
    checks: dict[str, dict[str, Any]] = {}
    variants = [variant(rng.choice(stored), rng) for _ in range(repeat * 5)]
    fresh = generated_names(count + repeat * 5, seed=10)[-repeat * 5:]
    for label, queries in (("collision check, a variant of a stored name", variants),
                           ("collision check, a new name", fresh)):
        iterator = iter(queries)

        def check(it: Any = iterator) -> object:
            names.analyse_name.cache_clear()
            return services.collision_candidates(next(it))

        checks[label] = _measure(check, len(queries))
    saves = iter(f"{variant(rng.choice(stored), rng)}{number}" for number in range(repeat))

    def save() -> object:
        return services.lead_save(by=office, lead=Lead(enterprise=next(saves), source_unit=unit))

    checks["lead_save with its collision check"] = _measure(save, repeat)
    return {"database": connection.vendor, "leads": count, "pages": pages, "checks": checks, "build_ms": build_ms}


def _table(results: list[dict[str, Any]]) -> str:
    lines = [f"aims: p95 under {AIMS_MS['list']} ms for the lead list, under {AIMS_MS['collision']} ms for the "
             f"collision check at {results[0]['leads']:,} leads", "",
             "| measurement | " + " | ".join(r["database"] for r in results) + " |",
             "|---|" + "---|" * len(results)]
    rows = list(results[0]["pages"]) + list(results[0]["checks"])
    for row in rows:
        cells = []
        for result in results:
            figures = result["pages"].get(row) or result["checks"][row]
            aim = AIMS_MS["list"] if row in result["pages"] else AIMS_MS["collision"]
            mark = "" if figures["p95"] < aim else " ✗"
            cells.append(f"median {figures['median']:.1f} ms, p95 {figures['p95']:.1f} ms{mark}, "
                         f"{figures['queries']} queries")
        lines.append(f"| {row} | " + " | ".join(cells) + " |")
    lines.append("| name index built at start | " + " | ".join(f"{r['build_ms']:.0f} ms" for r in results) + " |")
    return "\n".join(lines)
