"""The province-size benchmark dataset (``manage.py bench``): 16 cities of units and leaders and any number of
projects with plans, milestones and monthly reports, drawn from the demo district's catalogue with a seed.

Rows are written with ``bulk_create`` in chunks, around the services, so the ledger's year figures
(``ProjectYear``) are rebuilt once at the end and the lights refreshed.
"""
from __future__ import annotations

import datetime as dt
import random
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction

from audit.models import AuditEntry
from org.models import Unit, User
from projects import rules, services
from projects.demo import CATALOGUE, TOWNS, _person, _reverse, _templates, _wan
from projects.models import AnnualPlan, Construction, Level, Milestone, ProgressReport, Project, Stage

BENCH_CODE_PREFIX = "BENCH-"
CITIES = ["济南", "青岛", "淄博", "枣庄", "东营", "烟台", "潍坊", "济宁", "泰安", "威海", "日照", "临沂", "德州",
          "聊城", "滨州", "菏泽"]
BENCH_DEPARTMENTS = ["发改委", "工信局", "商务局", "住建局", "交通运输局", "水利局"]
BENCH_LEVELS = [(Level.PROVINCE.value, 0.05), (Level.CITY.value, 0.25), (Level.DISTRICT.value, 0.70)]
BENCH_STAGES = [Stage.PLANNING, Stage.PREPARING, Stage.BUILDING, Stage.BUILDING, Stage.BUILDING, Stage.BUILDING,
                Stage.COMPLETED, Stage.PRODUCING]


@dataclass
class BenchUsers:
    office: User
    reporter: User


def _chunks(count: int, size: int) -> Iterator[range]:
    for start in range(0, count, size):
        yield range(start, min(count, start + size))


def bench_months(as_of: dt.date, months: int) -> list[tuple[int, int]]:
    """The ``months`` calendar months up to the last closed one, oldest first."""
    last = rules.add_months(dt.date(as_of.year, as_of.month, 1), -1)
    return [((day := rules.add_months(last, -back)).year, day.month) for back in range(months - 1, -1, -1)]


@transaction.atomic
def bench_load(
    *, projects: int = 20_000, months: int = 12, as_of: dt.date | None = None, seed: int = 1,
    log: Callable[[str], None] = lambda _line: None,
) -> BenchUsers:
    """A province-size dataset: 16 cities × 18 units, ``projects`` projects with ~8 milestones,
    ``months`` monthly reports and plans each, one audit entry per project; lights refreshed.

    Runs on an empty database (the benchmark's own); everything is written with
    ``bulk_create`` in chunks so memory stays flat.
    """
    as_of = as_of or services.today()
    year = as_of.year
    rng = random.Random(seed)
    calendar = services.work_calendar()
    templates = _templates()
    began = time.perf_counter()

    units = [Unit(name=f"{city}市{dept}", kind=Unit.Kind.DEPARTMENT, order=i)
             for i, (city, dept) in enumerate((c, d) for c in CITIES for d in BENCH_DEPARTMENTS)]
    units += [Unit(name=f"{city}{town[0]}", kind=Unit.Kind.TOWN, category=town[1], population=town[2], order=i)
              for i, (city, town) in enumerate((c, t) for c in CITIES for t in TOWNS)]
    Unit.objects.bulk_create(units)
    by_city = {city: ([u for u in units if u.name.startswith(city) and u.kind == Unit.Kind.DEPARTMENT],
                      [u for u in units if u.name.startswith(city) and u.kind == Unit.Kind.TOWN]) for city in CITIES}
    leaders = [User(username=f"leader{i:03d}", role=User.Role.LEADER, full_name=_person(rng), title="副市长")
               for i in range(len(CITIES) * 5)]
    office = User(username="bench_office", role=User.Role.OFFICE, full_name="省项目办", unit=units[0])
    reporter = User(username="bench_reporter", role=User.Role.REPORTER, full_name="填报员",
                    unit=by_city[CITIES[0]][1][0])
    for user in [*leaders, office, reporter]:
        user.set_unusable_password()
    User.objects.bulk_create([*leaders, office, reporter])
    log(f"units {len(units)}, users {len(leaders) + 2}")

    report_months = bench_months(as_of, months)
    years = sorted({y for y, _m in report_months} | {year, year + 1})
    initials: dict[str, str] = {}
    schedules: dict[tuple[str, dt.date], list[dt.date]] = {}

    def initials_of(text: str) -> str:
        if text not in initials:
            initials[text] = services.name_initials(text)
        return initials[text]

    created = 0
    for chunk in _chunks(projects, 2000):
        batch: list[Project] = []
        for n in chunk:
            city = CITIES[n % len(CITIES)]
            departments, towns = by_city[city]
            level = rng.choices([lv for lv, _w in BENCH_LEVELS], [w for _lv, w in BENCH_LEVELS])[0]
            _lv, ptype, industry, base, _lead, _town, owner = rng.choice(CATALOGUE)
            town = rng.choice(towns) if rng.random() < 0.9 else None
            prefix = town.name if town else f"{city}市"
            base = base.format(year=year)
            stage = rng.choice(BENCH_STAGES)
            started = stage in rules.STARTED_STAGES
            start = as_of + dt.timedelta(days=rng.randint(-500, -20) if started else rng.randint(-60, 300))
            batch.append(Project(
                code=f"{BENCH_CODE_PREFIX}{n + 1:06d}", name=f"{prefix}{base}",
                initials=(initials_of(prefix) + initials_of(base))[:100],
                search_name=services.search_name(f"{prefix}{base}"),
                level=level, project_type=ptype,
                industry=industry, stage=stage, owner=owner, content="", location=prefix,
                construction=Construction.CONTINUING if start.year < year else Construction.NEW,
                total_investment=_wan(rng.uniform(3_000, 300_000), 10), planned_start=start,
                actual_start=start if started else None, responsible_leader=rng.choice(leaders),
                lead_unit=rng.choice(departments), town=town,
                latitude=Decimal(str(round(rng.uniform(34.4, 38.2), 6))),
                longitude=Decimal(str(round(rng.uniform(115.5, 122.6), 6))),
            ))
        Project.objects.bulk_create(batch, batch_size=500)

        plans: list[AnnualPlan] = []
        milestones: list[Milestone] = []
        reports: list[ProgressReport] = []
        audits: list[AuditEntry] = []
        for project in batch:
            steps = templates.get(project.project_type)
            assert project.planned_start is not None
            if steps:
                key = (project.project_type, project.planned_start)
                if key not in schedules:
                    schedules[key] = _reverse(steps.names, steps.durations, steps.start, project.planned_start,
                                              calendar)
                for order, (name, day) in enumerate(zip(steps.names, schedules[key], strict=True), start=1):
                    done = day + dt.timedelta(days=rng.randint(-3, 10)) if day < as_of - dt.timedelta(days=10) else None
                    milestones.append(Milestone(project=project, order=order, name=name, planned_date=day,
                                                actual_date=done))
            amount = project.total_investment * Decimal(str(rng.uniform(0.15, 0.45)))
            for plan_year in years:
                if plan_year <= year or rng.random() < 0.5:
                    plans.append(AnnualPlan(project=project, year=plan_year, amount=_wan(float(amount))))
            monthly = float(amount) / 12
            percent = rng.randint(0, 30)
            for report_year, month in report_months:
                percent = min(100, percent + rng.randint(2, 9))
                reports.append(ProgressReport(
                    project=project, year=report_year, month=month,
                    invested=Decimal(str(round(monthly * rng.uniform(0.3, 1.5), 2))), progress_percent=percent,
                    physical_progress=f"主体工程施工，累计完成工程量约{percent}%", reported_by=reporter,
                ))
            audits.append(AuditEntry(action=AuditEntry.Action.CREATE, model="projects.project",
                                     object_id=str(project.pk), object_repr=str(project)[:200],
                                     subject_model="projects.project", subject_id=str(project.pk),
                                     changes={"项目名称": ["", project.name]}, source="bench"))
        AnnualPlan.objects.bulk_create(plans, batch_size=2000)
        Milestone.objects.bulk_create(milestones, batch_size=2000)
        ProgressReport.objects.bulk_create(reports, batch_size=2000)
        AuditEntry.objects.bulk_create(audits, batch_size=2000)
        created += len(batch)
        log(f"projects {created}/{projects} ({time.perf_counter() - began:.0f} s)")
    # Written around the services, so the ledger's year figures are built once, at the end.
    rows = services.year_figures_rebuild()
    log(f"year figures {rows} ({time.perf_counter() - began:.0f} s)")
    counts = services.lights_refresh_all(as_of=as_of)
    log(f"lights {counts} ({time.perf_counter() - began:.0f} s)")
    return BenchUsers(office=office, reporter=reporter)
