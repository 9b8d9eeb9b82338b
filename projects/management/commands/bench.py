"""Province-size benchmark: generate 20,000 projects in a separate database and time the ledger and project pages.

Without ``--run-one`` the command orchestrates: for each database (an SQLite file
``bench.sqlite3`` and the PostgreSQL database ``diaodu_bench`` on 127.0.0.1:5432, or the
one ``--database-url`` names) it runs itself again with ``--run-one`` and ``DATABASE_URL``
set, because the settings read the database from the environment at import. Each child
migrates its database, loads the dataset, and prints one JSON line of timings; the parent
prints them side by side as a Markdown table (the one in docs/benchmarks.md).

Times are server time as django.test.Client sees it: middleware, view, queries,
template, session save; no network and no WSGI server.
"""
from __future__ import annotations

import json
import math
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import dj_database_url
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection
from django.db.models import Count
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

RESULT_PREFIX = "BENCH-RESULT "
DEFAULT_SQLITE = f"sqlite:///{Path(settings.BASE_DIR) / 'bench.sqlite3'}"
DEFAULT_POSTGRES = "postgres://postgres@127.0.0.1:5432/diaodu_bench"
AIMS_MS = {"ledger": 150, "project": 100}


class Command(BaseCommand):
    help = "生成全省规模数据并测量台账与项目页的响应时间 / Province-size dataset and page timings"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--projects", type=int, default=20_000)
        parser.add_argument("--months", type=int, default=12, help="monthly reports per project")
        parser.add_argument("--repeat", type=int, default=30, help="timed requests per page")
        parser.add_argument("--database-url", default=None, help="one database to use instead of the two defaults")
        parser.add_argument("--reuse", action="store_true", help="keep a dataset of the same size from an earlier run")
        parser.add_argument("--seed", type=int, default=1)
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
            try:
                _prepare(url, fresh=not options["reuse"], default=not options["database_url"])
            except _Unavailable as error:
                self.stderr.write(f"  skipped: {error}")
                continue
            results.append(self._child(url, options))
        if not results:
            raise CommandError("no database could be measured")
        self.stdout.write(_table(results))

    def _child(self, url: str, options: dict[str, Any]) -> dict[str, Any]:
        command = [
            sys.executable, str(Path(settings.BASE_DIR) / "manage.py"), "bench", "--run-one",
            "--projects", str(options["projects"]), "--months", str(options["months"]),
            "--repeat", str(options["repeat"]), "--seed", str(options["seed"]),
        ]
        if options["reuse"]:
            command.append("--reuse")
        env = {**os.environ, "DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": settings.SETTINGS_MODULE}
        # stderr (progress) goes straight through; stdout carries the result line.
        done = subprocess.run(command, env=env, cwd=settings.BASE_DIR, stdout=subprocess.PIPE, text=True, check=False)
        lines = [line for line in done.stdout.splitlines() if line.startswith(RESULT_PREFIX)]
        if done.returncode or not lines:
            raise CommandError(f"benchmark on {url} failed (exit {done.returncode}):\n{done.stdout}")
        result: dict[str, Any] = json.loads(lines[-1][len(RESULT_PREFIX):])
        return result


class _Unavailable(Exception):
    pass


def _prepare(url: str, *, fresh: bool, default: bool) -> None:
    """Make sure the database exists; the default ones are recreated unless ``--reuse``."""
    config = dj_database_url.parse(url)
    if config["ENGINE"] == "django.db.backends.sqlite3":
        path = Path(config["NAME"])
        if fresh and default:
            for suffix in ("", "-wal", "-shm"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)
        return
    import psycopg
    from psycopg import sql

    try:
        admin = psycopg.connect(
            host=config["HOST"] or None, port=config["PORT"] or None, user=config["USER"] or None,
            password=config["PASSWORD"] or None, dbname="postgres", autocommit=True, connect_timeout=5,
        )
    except psycopg.OperationalError as error:
        raise _Unavailable(f"PostgreSQL not reachable ({error})") from error
    with admin:
        name = config["NAME"]
        exists = admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if exists and fresh and default:
            # Only ever the benchmark's own database, never one named on the command line.
            admin.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(name)))
            exists = None
        if not exists:
            admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def _run_one(options: dict[str, Any], *, log: Any) -> dict[str, Any]:
    from projects.demo import BENCH_CODE_PREFIX, bench_load
    from projects.models import Milestone, ProgressReport, Project

    count, months = options["projects"], options["months"]
    call_command("migrate", verbosity=0)
    existing = Project.objects.count()
    began = time.perf_counter()
    generated = None
    ours = not Project.objects.exclude(code__startswith=BENCH_CODE_PREFIX).exists()
    if options["reuse"] and existing == count and ours:
        log(f"reusing {existing} projects")
    elif existing:
        raise CommandError("the benchmark needs an empty database (or --reuse of a dataset of the same size)")
    else:
        bench_load(projects=count, months=months, seed=options["seed"], log=log)
        generated = round(time.perf_counter() - began, 1)
    if connection.vendor == "postgresql":
        # The steady state autovacuum reaches on its own: statistics for the planner and
        # a visibility map; otherwise the planner guesses and autovacuum competes with
        # the timed requests for the two cores.
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")

    from org.models import User

    office = User.objects.get(username="bench_office")
    reporter = User.objects.get(username="bench_reporter")
    project = (
        Project.objects.visible_to(reporter).filter(project_type="industry")
        .annotate(milestone_count=Count("milestones", distinct=True), report_count=Count("reports", distinct=True))
        .filter(milestone_count=8, report_count=months).order_by("code").first()
    )
    if project is None:
        raise CommandError("no industry project with 8 milestones in the reporter's town")
    ledger = reverse("projects:ledger")
    detail = reverse("projects:detail", args=[project.pk])
    pages: list[tuple[str, str, User, str, dict[str, str]]] = [
        ("ledger", "ledger, first page", office, ledger, {}),
        ("ledger", "ledger, filtered + sorted by ytd", office, f"{ledger}?level=city&project_type=industry&sort=-ytd",
         {}),
        ("ledger", "ledger, all projects sorted by ytd", office, f"{ledger}?sort=-ytd", {}),
        ("ledger", "ledger, HTMX partial (page 3, sorted by plan)", office,
         f"{ledger}?stage=building&sort=-plan&page=3", {"HX-Request": "true"}),
        ("ledger", "ledger, first page", reporter, ledger, {}),
        ("project", "project page (8 milestones, 12 reports)", office, detail, {}),
        ("project", "project page (8 milestones, 12 reports)", reporter, detail, {}),
    ]
    rows = []
    for kind, label, user, url, headers in pages:
        client = Client()
        client.force_login(user)
        for _warm_up in range(2):
            response = client.get(url, headers=headers)
            if response.status_code != 200:
                raise CommandError(f"{url} answered {response.status_code}")
        samples = []
        for _run in range(options["repeat"]):
            start = time.perf_counter()
            client.get(url, headers=headers)
            samples.append((time.perf_counter() - start) * 1000)
        with CaptureQueriesContext(connection) as queries:
            client.get(url, headers=headers)
        samples.sort()
        rows.append({
            "kind": kind, "page": label, "user": user.role, "url": url,
            "median": round(statistics.median(samples), 1),
            "p95": round(samples[math.ceil(0.95 * len(samples)) - 1], 1),  # nearest rank
            "queries": len(queries),
        })
        log(f"{label} [{user.role}]: median {rows[-1]['median']} ms, p95 {rows[-1]['p95']} ms, "
            f"{rows[-1]['queries']} queries")
    return {
        "database": _database_name(),
        "generated_seconds": generated,
        "projects": Project.objects.count(),
        "milestones": Milestone.objects.count(),
        "reports": ProgressReport.objects.count(),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
        "rows": rows,
    }


def _database_name() -> str:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SHOW server_version")
            return f"PostgreSQL {cursor.fetchone()[0].split()[0]}"
        cursor.execute("SELECT sqlite_version()")
        return f"SQLite {cursor.fetchone()[0]}"


def _table(results: list[dict[str, Any]]) -> str:
    head = "| page | user | " + " | ".join(
        f"{r['database']} median ms | p95 ms | queries" for r in results
    ) + " |"
    rule = "|---|---|" + "---:|---:|---:|" * len(results)
    lines = [head, rule]
    for index, row in enumerate(results[0]["rows"]):
        cells = []
        for result in results:
            other = result["rows"][index]
            aim = AIMS_MS[other["kind"]]
            flag = "" if other["p95"] < aim else " ✗"
            cells.append(f"{other['median']} | {other['p95']}{flag} | {other['queries']}")
        lines.append(f"| {row['page']} | {row['user']} | " + " | ".join(cells) + " |")
    lines.append("")
    for result in results:
        generated = f"generated in {result['generated_seconds']} s" if result["generated_seconds"] else "reused"
        lines.append(
            f"{result['database']}: {result['projects']} projects, {result['milestones']} milestones, "
            f"{result['reports']} monthly reports ({generated}); {result['machine']}"
        )
    lines.append(f"aims: p95 under {AIMS_MS['ledger']} ms for the ledger, {AIMS_MS['project']} ms for a project page")
    return "\n".join(lines)
