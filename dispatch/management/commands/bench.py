"""Province-size benchmark: generate 20,000 projects in a separate database and time the ledger and project pages;
then, in a second, smaller database, time the dispatch cycle's bulletin and a unit's reporting grid.

Without ``--run-one`` the command orchestrates: for each database (an SQLite file
``bench.sqlite3`` and the PostgreSQL database ``diaodu_bench`` on 127.0.0.1:5432, or the
one ``--database-url`` names) it runs itself again with ``--run-one`` and ``DATABASE_URL``
set, because the settings read the database from the environment at import. Each child
migrates its database, loads the dataset, and prints one JSON line of timings; the parent
prints them side by side as a Markdown table (the one in docs/benchmarks.md).

``--size all`` (or sizes separated by commas, e.g. ``--size 2000,20000``) measures the ledger and the
project page at each size instead, each in a database of its own (the PostgreSQL ``diaodu_bench`` or
the ``--database-url`` one, with ``_<size>`` appended), and prints one table with a row per size.

The dispatch measurements (``--bulletin-projects``, 2,000 by default, 0 to skip) run in a
database of their own, recreated every run (``bench_dispatch.sqlite3``, ``diaodu_bench_dispatch``,
or the ``--database-url`` one's name with ``_dispatch`` appended): they open, close and publish
periods, which the reused 20,000-project dataset must not keep.

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
import tempfile
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
from django.db.models import Count
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

RESULT_PREFIX = "BENCH-RESULT "
DEFAULT_SQLITE = f"sqlite:///{Path(settings.BASE_DIR) / 'bench.sqlite3'}"
DEFAULT_POSTGRES = "postgres://postgres@127.0.0.1:5432/diaodu_bench"
AIMS_MS = {"ledger": 150, "project": 100}
AIMS_LINE = f"aims: p95 under {AIMS_MS['ledger']} ms for the ledger, {AIMS_MS['project']} ms for a project page"
SIZES = (2_000, 20_000, 100_000)  # --size all
# The size table's columns: (heading, page label in _run_one, user role).
SIZE_COLUMNS = [
    ("ledger, first page", "ledger, first page", "office"),
    ("ledger, all sorted by ytd", "ledger, all projects sorted by ytd", "office"),
    ("ledger, filtered + sorted by ytd", "ledger, filtered + sorted by ytd", "office"),
    ("ledger, HTMX partial sorted by plan", "ledger, HTMX partial (page 3, sorted by plan)", "office"),
    ("ledger, ytd ascending", "ledger, sorted by ytd ascending", "office"),
    ("ledger, middle page by ytd", "ledger, middle page sorted by ytd", "office"),
    ("project page", "project page (8 milestones, 12 reports)", "office"),
]
# The dispatch measurements: the bulletin's aim is on the median of its runs, the grid's on the p95.
DISPATCH_AIMS_MS = {"bulletin": 5000, "grid": 300, "list_import": 15000}
LIST_ROWS = 10_000  # a province's list imported in one go (issue: under 15 s)
GRID_PROJECTS = 200
BULLETIN_RUNS = 3


class Command(BaseCommand):
    help = "生成全省规模数据并测量台账与项目页的响应时间 / Province-size dataset and page timings"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--projects", type=int, default=20_000)
        parser.add_argument("--months", type=int, default=12, help="monthly reports per project")
        parser.add_argument("--repeat", type=int, default=30, help="timed requests per page")
        parser.add_argument("--database-url", default=None, help="one database to use instead of the two defaults")
        parser.add_argument("--reuse", action="store_true", help="keep a dataset of the same size from an earlier run")
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument(
            "--bulletin-projects", type=int, default=2000,
            help="projects in the dispatch database (bulletin and reporting grid); 0 skips these measurements",
        )
        parser.add_argument("--dispatch-only", action="store_true", help="skip the 20,000-project page timings")
        parser.add_argument(
            "--size", default=None,
            help="'all' (2000,20000,100000) or sizes separated by commas: the pages at each size in one table, "
                 "each size in its own database (PostgreSQL unless --database-url); no dispatch measurements",
        )
        parser.add_argument("--run-one", action="store_true", help="internal: measure the database in DATABASE_URL")
        parser.add_argument("--dispatch", action="store_true", help="internal: with --run-one, the dispatch cycle")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["run_one"]:
            run = _run_dispatch if options["dispatch"] else _run_one
            result = run(options, log=lambda line: self.stderr.write(f"  {line}"))
            self.stdout.write(RESULT_PREFIX + json.dumps(result, ensure_ascii=False))
            return
        if options["size"]:
            self._sizes(options)
            return
        urls = [options["database_url"]] if options["database_url"] else [DEFAULT_SQLITE, DEFAULT_POSTGRES]
        results = []
        dispatch_results = []
        for url in urls:
            if not options["dispatch_only"]:
                self.stderr.write(f"== {url}")
                try:
                    _prepare(url, fresh=not options["reuse"], default=not options["database_url"])
                except _Unavailable as error:
                    self.stderr.write(f"  skipped: {error}")
                    continue
                results.append(self._child(url, options))
            if options["bulletin_projects"]:
                dispatch_url = _dispatch_url(url)
                self.stderr.write(f"== {dispatch_url}")
                try:
                    # Always a fresh dataset: the measurement opens and publishes periods in it.
                    _prepare(dispatch_url, fresh=True, default=True)
                except _Unavailable as error:
                    self.stderr.write(f"  skipped: {error}")
                    continue
                dispatch_results.append(self._child(dispatch_url, options, dispatch=True))
        if not results and not dispatch_results:
            raise CommandError("no database could be measured")
        tables = []
        if results:
            tables.append(_table(results))
        if dispatch_results:
            tables.append(_dispatch_table(dispatch_results))
        self.stdout.write("\n\n".join(tables))

    def _sizes(self, options: dict[str, Any]) -> None:
        """The page timings at each ``--size``, one database per size, printed as one table."""
        sizes = _parse_sizes(options["size"])
        url = options["database_url"] or DEFAULT_POSTGRES
        results = []
        for size in sizes:
            sized = _sized_url(url, size)
            self.stderr.write(f"== {sized}")
            try:
                # Named after the size: the benchmark's own database, even under a --database-url.
                _prepare(sized, fresh=not options["reuse"], default=True)
            except _Unavailable as error:
                self.stderr.write(f"  skipped: {error}")
                continue
            results.append(self._child(sized, {**options, "projects": size}))
        if not results:
            raise CommandError("no database could be measured")
        self.stdout.write(_size_table(results))

    def _child(self, url: str, options: dict[str, Any], *, dispatch: bool = False) -> dict[str, Any]:
        command = [
            sys.executable, str(Path(settings.BASE_DIR) / "manage.py"), "bench", "--run-one",
            "--projects", str(options["projects"]), "--months", str(options["months"]),
            "--repeat", str(options["repeat"]), "--seed", str(options["seed"]),
            "--bulletin-projects", str(options["bulletin_projects"]),
        ]
        if dispatch:
            command.append("--dispatch")
        elif options["reuse"]:
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


def _parse_sizes(text: str) -> list[int]:
    if text.strip() == "all":
        return list(SIZES)
    try:
        sizes = [int(part.replace("_", "")) for part in text.split(",") if part.strip()]
    except ValueError as error:
        raise CommandError(f"--size: 'all' or numbers separated by commas, not {text!r}") from error
    if not sizes or min(sizes) < 100:
        raise CommandError("--size: at least 100 projects (the pages need a reporter's town with a full project)")
    return sizes


def _sized_url(url: str, size: int) -> str:
    """The database of one size beside ``url``: ``<file>_<size>.sqlite3`` or ``<database>_<size>``."""
    config = dj_database_url.parse(url)
    if config["ENGINE"] == "django.db.backends.sqlite3":
        path = Path(config["NAME"])
        return f"sqlite:///{path.with_name(f'{path.stem}_{size}{path.suffix}')}"
    name = config["NAME"]
    return url[: url.rindex(name)] + f"{name}_{size}" + url[url.rindex(name) + len(name):]


def _dispatch_url(url: str) -> str:
    """The dispatch database beside ``url``: ``<file>_dispatch.sqlite3`` or ``<database>_dispatch``."""
    config = dj_database_url.parse(url)
    if config["ENGINE"] == "django.db.backends.sqlite3":
        path = Path(config["NAME"])
        return f"sqlite:///{path.with_name(f'{path.stem}_dispatch{path.suffix}')}"
    name = config["NAME"]
    return url[: url.rindex(name)] + f"{name}_dispatch" + url[url.rindex(name) + len(name):]


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
    from projects.bench import BENCH_CODE_PREFIX, bench_load
    from projects.models import Milestone, ProgressReport, Project
    from projects.selectors import PAGE_SIZE

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
    # The page in the middle of the office's ledger: as deep as a page can be from both ends.
    middle = max(1, -(-Project.objects.in_ledger().count() // PAGE_SIZE) // 2)
    detail = reverse("projects:detail", args=[project.pk])
    pages: list[tuple[str, str, User, str, dict[str, str]]] = [
        ("ledger", "ledger, first page", office, ledger, {}),
        ("ledger", "ledger, filtered + sorted by ytd", office, f"{ledger}?level=city&project_type=industry&sort=-ytd",
         {}),
        ("ledger", "ledger, all projects sorted by ytd", office, f"{ledger}?sort=-ytd", {}),
        ("ledger", "ledger, HTMX partial (page 3, sorted by plan)", office,
         f"{ledger}?stage=building&sort=-plan&page=3", {"HX-Request": "true"}),
        ("ledger", "ledger, sorted by ytd ascending", office, f"{ledger}?sort=ytd", {}),
        ("ledger", "ledger, sorted by plan ascending", office, f"{ledger}?sort=plan", {}),
        ("ledger", "ledger, middle page sorted by ytd", office, f"{ledger}?sort=ytd&page={middle}", {}),
        ("ledger", "ledger, last page sorted by ytd descending", office, f"{ledger}?sort=-ytd&page=last", {}),
        ("ledger", "ledger, sorted by total investment", office, f"{ledger}?sort=-total", {}),
        ("ledger", "ledger, first page", reporter, ledger, {}),
        ("project", "project page (8 milestones, 12 reports)", office, detail, {}),
        ("project", "project page (8 milestones, 12 reports)", reporter, detail, {}),
    ]
    rows = []
    for kind, label, user, url, headers in pages:
        rows.append({"kind": kind, "page": label, "user": user.role, "url": url,
                     **_time_page(user, url, headers, options["repeat"])})
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


def _time_page(user: Any, url: str, headers: dict[str, str], repeat: int) -> dict[str, Any]:
    """2 warm-up requests, ``repeat`` timed ones (median, nearest-rank p95), one more to count the queries."""
    client = Client()
    client.force_login(user)
    for _warm_up in range(2):
        response = client.get(url, headers=headers)
        if response.status_code != 200:
            raise CommandError(f"{url} answered {response.status_code}")
    samples = []
    for _run in range(repeat):
        start = time.perf_counter()
        client.get(url, headers=headers)
        samples.append((time.perf_counter() - start) * 1000)
    with CaptureQueriesContext(connection) as queries:
        client.get(url, headers=headers)
    samples.sort()
    return {
        "median": round(statistics.median(samples), 1),
        "p95": round(samples[math.ceil(0.95 * len(samples)) - 1], 1),  # nearest rank
        "queries": len(queries),
    }


def _timed(func: Callable[[], Any]) -> tuple[Any, float, int]:
    """Run ``func`` once: its result, the milliseconds it took and the queries it made."""
    with CaptureQueriesContext(connection) as queries:
        start = time.perf_counter()
        result = func()
        elapsed = (time.perf_counter() - start) * 1000
    return result, round(elapsed, 1), len(queries)


def _run_dispatch(options: dict[str, Any], *, log: Any) -> dict[str, Any]:
    """The dispatch cycle on ``--bulletin-projects`` projects: publish, the bulletin, a unit's grid of 200 projects.

    Last month (the dataset's reports end there) is opened, every unit's report submitted and
    approved, closed and published; the bulletin is generated end to end (figures, .docx,
    .xlsx, files kept) ``BULLETIN_RUNS`` times. Then one unit is made to lead 200 projects,
    this month's period opened, and its reporter's grid timed empty and with every row filled.
    """
    from dispatch.bulletins import jobs
    from dispatch.models import Bulletin
    from dispatch.periods import services as dispatch_services
    from dispatch.reporting import grid as reporting
    from org.models import Unit, User
    from projects.bench import bench_load
    from projects.models import ProgressReport, Project
    from projects.services import today

    count = options["bulletin_projects"]
    call_command("migrate", verbosity=0)
    if Project.objects.exists():
        raise CommandError("the dispatch benchmark needs an empty database")
    began = time.perf_counter()
    bench_load(projects=count, months=options["months"], seed=options["seed"], log=log)
    generated = round(time.perf_counter() - began, 1)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")
    office = User.objects.get(username="bench_office")
    on = today()
    year, month = (on.year - 1, 12) if on.month == 1 else (on.year, on.month - 1)
    rows: list[dict[str, Any]] = []

    period = dispatch_services.period_open(year=year, month=month, by=office)
    for unit_report in period.unit_reports.all():
        unit_report = dispatch_services.unit_report_submit(unit_report=unit_report, version=unit_report.version,
                                                           by=office)
        dispatch_services.unit_report_approve(unit_report=unit_report, version=unit_report.version, by=office)
    dispatch_services.period_close(period=period, by=office)
    period, elapsed, queries = _timed(lambda: dispatch_services.period_publish(
        period=period, by=office, reason="基准测试：发布时间不受截止日期约束"
    ))
    rows.append({"kind": "publish", "label": f"publish {period.label}: snapshots of {count:,} projects",
                 "median": elapsed, "p95": None, "queries": queries, "runs": 1})
    log(f"publish: {elapsed} ms, {queries} queries")

    with tempfile.TemporaryDirectory() as media, override_settings(
        MEDIA_ROOT=media, TASKS={"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    ):
        samples = []
        for run in range(BULLETIN_RUNS + 1):
            bulletin, elapsed, queries = _timed(
                partial(jobs.bulletin_generate, period=period, by=office, regenerate=run > 0)
            )
            if bulletin.state != Bulletin.State.DONE:
                raise CommandError(f"bulletin {bulletin.state}: {bulletin.error}")
            samples.append(elapsed)
            log(f"bulletin run {run + 1}: {elapsed} ms, {queries} queries")
        # The first run is a warm-up, as for the pages; the aim is on the median of the others.
        timed = sorted(samples[1:])
        figures, figures_ms, figures_queries = _timed(lambda: jobs.build_figures(period))
        _docx, docx_ms, _q = _timed(lambda: jobs.build_docx(figures, period.published_at))
        _xlsx, xlsx_ms, _q = _timed(lambda: jobs.build_xlsx(figures, period.published_at))
    rows.append({"kind": "bulletin", "label": f"bulletin for {count:,} projects (figures + .docx + .xlsx, kept)",
                 "median": round(statistics.median(timed), 1), "p95": timed[-1], "queries": queries,
                 "runs": len(timed), "first": samples[0],
                 "steps": {"figures": figures_ms, "docx": docx_ms, "xlsx": xlsx_ms,
                           "figures_queries": figures_queries}})
    log(f"bulletin steps: figures {figures_ms} ms ({figures_queries} queries), docx {docx_ms} ms, xlsx {xlsx_ms} ms")

    # One unit leading GRID_PROJECTS projects, each with last month's report (the dataset has it).
    unit = Unit.objects.create(name="基准测试局", kind=Unit.Kind.DEPARTMENT, order=999)
    ids = list(Project.objects.order_by("code").values_list("pk", flat=True)[:GRID_PROJECTS])
    Project.objects.filter(pk__in=ids).update(lead_unit=unit)
    if ProgressReport.objects.filter(project_id__in=ids, year=year, month=month).count() != len(ids):
        raise CommandError("every project of the grid should have last month's report")
    reporter = User(username="bench_grid_reporter", role=User.Role.REPORTER, full_name="填报员", unit=unit)
    reporter.set_unusable_password()
    reporter.save()
    current = dispatch_services.period_open(year=on.year, month=on.month, by=office)
    unit_report = current.unit_reports.get(unit=unit)
    grid = reverse("dispatch:report_grid", args=[unit_report.pk])
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    label = f"reporting grid, {len(ids)} projects, none filled yet"
    rows.append({"kind": "grid", "label": label, **_time_page(reporter, grid, {}, options["repeat"])})
    log(f"{label}: {rows[-1]}")
    # A project not started yet reports its start date with its first investment.
    not_started = {p.pk for p in Project.objects.filter(pk__in=ids) if not p.has_started}
    inputs = {
        pk: {"invested": "120.5", "progress_percent": "100", "physical_progress": "按计划推进，主体工程施工",
             **({"actual_start": on.isoformat()} if pk in not_started else {})}
        for pk in ids
    }
    saved = reporting.unit_report_rows_save(by=reporter, unit_report=unit_report, inputs=inputs)
    if not saved.saved:
        raise CommandError(f"the grid's rows were not saved: {saved.errors[:3]}")
    label = f"reporting grid, {len(ids)} projects, all filled"
    rows.append({"kind": "grid", "label": label, **_time_page(reporter, grid, {}, options["repeat"])})
    log(f"{label}: {rows[-1]}")
    rows.append(_list_import(office, LIST_ROWS, log=log))
    return {
        "database": _database_name(),
        "generated_seconds": generated,
        "projects": Project.objects.count(),
        "reports": ProgressReport.objects.count(),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
        "rows": rows,
    }


def _list_import(office: Any, count: int, *, log: Any) -> dict[str, Any]:
    """A district's own list of ``count`` new projects (a title row, 亿元, year ranges, two units in some
    cells), read, checked and saved by ``projects.importing.run`` as the worker does: one run, timed whole."""
    import io
    import random

    from django.core.files.uploadedfile import SimpleUploadedFile
    from openpyxl import Workbook

    from org.models import Unit
    from projects.importing.run import Choices, analyse, save

    rng = random.Random(7)
    units = list(Unit.objects.filter(kind=Unit.Kind.DEPARTMENT).values_list("name", flat=True)[:30])
    workbook = Workbook()
    ws = workbook.active
    ws.append(["2026年重点项目计划表（单位：亿元）"])
    ws.merge_cells("A1:G1")
    ws.append(["序号", "项目名称", "建设内容", "总投资", "2026年计划投资", "责任单位", "建设年限"])
    for n in range(1, count + 1):
        lead = rng.choice(units)
        cell_units = f"{lead}、{rng.choice(units)}" if n % 4 == 0 else lead
        start = rng.randint(2024, 2026)
        ws.append([n, f"清单导入基准项目{n:05d}", "新建厂房及配套设施", rng.randint(50, 5000) / 100,
                   rng.randint(5, 40) / 100, cell_units, f"{start}-{start + rng.randint(1, 3)}"])
    data = io.BytesIO()
    workbook.save(data)
    upload = SimpleUploadedFile("list.xlsx", data.getvalue())

    def run() -> Any:
        analysis = analyse(upload, Choices(code_pattern="QD{year}{seq:05d}"))
        if not analysis.ok:
            raise CommandError(f"the benchmark list has errors: {[str(e) for e in analysis.errors[:3]]}")
        return analysis, save(analysis, by=office)

    (_analysis, saved), elapsed, queries = _timed(run)
    if saved.created != count:
        raise CommandError(f"the list import created {saved.created} projects, not {count}")
    label = f"list import, {count:,} new projects (read, check, save, yearly figures, lights)"
    log(f"{label}: {elapsed} ms, {queries} queries")
    return {"kind": "list_import", "label": label, "median": elapsed, "p95": None, "queries": queries, "runs": 1}


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
            cells.append(f"{other['median']} | {other['p95']}{_over(other)} | {other['queries']}")
        lines.append(f"| {row['page']} | {row['user']} | " + " | ".join(cells) + " |")
    lines.append("")
    for result in results:
        generated = f"generated in {result['generated_seconds']} s" if result["generated_seconds"] else "reused"
        lines.append(
            f"{result['database']}: {result['projects']} projects, {result['milestones']} milestones, "
            f"{result['reports']} monthly reports ({generated}); {result['machine']}"
        )
    lines.append(AIMS_LINE)
    return "\n".join(lines)


def _over(row: dict[str, Any]) -> str:
    """" ✗" after a p95 over its page's aim."""
    return "" if row["p95"] < AIMS_MS[row["kind"]] else " ✗"


def _size_table(results: list[dict[str, Any]]) -> str:
    """One row per size: median / p95 ms of each page (✗ over the aim) and the query counts."""
    head = "| projects | database | " + " | ".join(f"{title} p50 / p95 ms" for title, _label, _user in SIZE_COLUMNS)
    lines = [head + " | queries (ledger / project) |", "|---:|---|" + "---:|" * (len(SIZE_COLUMNS) + 1)]
    for result in results:
        by_page = {(row["page"], row["user"]): row for row in result["rows"]}
        cells = []
        for _title, label, user in SIZE_COLUMNS:
            row = by_page[(label, user)]
            cells.append(f"{row['median']} / {row['p95']}{_over(row)}")
        ledger_queries = by_page[(SIZE_COLUMNS[0][1], "office")]["queries"]
        project_queries = by_page[(SIZE_COLUMNS[-1][1], "office")]["queries"]
        lines.append(f"| {result['projects']:,} | {result['database']} | " + " | ".join(cells)
                     + f" | {ledger_queries} / {project_queries} |")
    lines.append("")
    for result in results:
        generated = f"generated in {result['generated_seconds']} s" if result["generated_seconds"] else "reused"
        lines.append(
            f"{result['projects']:,} projects: {result['milestones']} milestones, {result['reports']} monthly reports "
            f"({generated}); {result['machine']}"
        )
    lines.append(AIMS_LINE)
    return "\n".join(lines)


def _dispatch_table(results: list[dict[str, Any]]) -> str:
    head = "| measurement | " + " | ".join(
        f"{r['database']} median ms | p95 (max) ms | queries" for r in results
    ) + " |"
    lines = [head, "|---|" + "---:|---:|---:|" * len(results)]
    for index, row in enumerate(results[0]["rows"]):
        cells = []
        for result in results:
            other = result["rows"][index]
            aim = DISPATCH_AIMS_MS.get(other["kind"])
            by_median = other["kind"] == "bulletin" or other["p95"] is None
            measured = other["median"] if by_median else other["p95"]
            flag = " ✗" if aim is not None and measured >= aim else ""
            median_flag = flag if by_median else ""
            p95_flag = "" if by_median else flag
            p95 = "—" if other["p95"] is None else other["p95"]
            cells.append(f"{other['median']}{median_flag} | {p95}{p95_flag} | {other['queries']}")
        lines.append(f"| {row['label']} | " + " | ".join(cells) + " |")
    lines.append("")
    for result in results:
        bulletin = next(row for row in result["rows"] if row["kind"] == "bulletin")
        steps = bulletin["steps"]
        lines.append(
            f"{result['database']}: {result['projects']} projects, {result['reports']} monthly reports "
            f"(generated in {result['generated_seconds']} s); bulletin: first run {bulletin['first']} ms, then "
            f"{bulletin['runs']} timed; steps figures {steps['figures']} ms ({steps['figures_queries']} queries), "
            f".docx {steps['docx']} ms, .xlsx {steps['xlsx']} ms; {result['machine']}"
        )
    lines.append(
        f"aims: bulletin under {DISPATCH_AIMS_MS['bulletin']} ms (median), "
        f"reporting grid p95 under {DISPATCH_AIMS_MS['grid']} ms, "
        f"list import of {LIST_ROWS:,} rows under {DISPATCH_AIMS_MS['list_import']} ms"
    )
    return "\n".join(lines)
