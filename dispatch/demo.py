"""The demo district's dispatch history: ten published months, the current month open, problems.

Built after `projects.demo` has loaded the ledger. The months before the current one are
published with snapshots and bulletins (so the bulletin of any month can be opened), a few
reports were returned and resubmitted, some units were late; the current month is open with
some units submitted, one returned and the rest still drafting; problems are in every state,
some overdue.

Snapshots of past months are taken from today's ledger (stage and milestones as they are now,
investment up to each month), which is what a district adopting diaodu mid-year would see.
"""
from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone

from audit.models import AuditEntry
from dispatch import rules
from dispatch.models import (
    Bulletin,
    CorrectionRequest,
    ExtensionRequest,
    Notification,
    Period,
    Problem,
    ProblemStep,
    ReminderLog,
    UnitReport,
    UnitReportEvent,
)
from dispatch.services import deadline_rule, snapshot_take
from org.models import User
from projects.models import ZERO, ProgressReport, Project
from projects.services import lights_refresh_all, work_calendar

RETURN_REASONS = [
    "本月完成投资与形象进度不匹配，请核实后重新报送。",
    "部分项目“存在问题”未填写具体内容，请补充。",
    "在建项目本月投资为 0，请说明原因或更正。",
]
MEETING_PROBLEMS = [
    "项目用地指标未落实，需自然资源部门协调。",
    "施工用电线路迁改进度滞后，影响主体施工。",
    "项目融资未到位，需金融部门对接银行。",
    "环评批复未取得，需生态环境部门加快审批。",
    "周边群众阻工，需属地镇街做好协调。",
]


def _at(day: dt.date, hour: int = 10) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, 0)))


def dispatch_demo_delete() -> None:
    """Remove dispatch data before the demo ledger is removed (periods protect their reports)."""
    with transaction.atomic():
        for bulletin in Bulletin.objects.all():
            for field in (bulletin.docx, bulletin.xlsx):
                if field:
                    field.delete(save=False)
        Bulletin.objects.all().delete()
        ExtensionRequest.objects.all().delete()
        ProblemStep.objects.all().delete()
        Problem.objects.all().delete()
        CorrectionRequest.objects.all().delete()
        Notification.objects.all().delete()
        ReminderLog.objects.all().delete()
        ProgressReport.objects.update(period=None)
        AuditEntry.objects.filter(subject_model="dispatch.period").delete()
        Period.objects.all().delete()


def _office(users: Any) -> User:
    return users.filter(role=User.Role.OFFICE).order_by("pk").first()


def _create_period(year: int, month: int) -> Period:
    first, _last = rules.period_bounds(year, month, 0)
    return Period.objects.create(
        year=year, month=month, half=0, opens_on=first,
        deadline=rules.period_deadline(year, month, 0, deadline_rule(), work_calendar()),
    )


def _unit_reports(period: Period, unit_ids: list[int]) -> dict[int, UnitReport]:
    UnitReport.objects.bulk_create([UnitReport(period=period, unit_id=uid) for uid in unit_ids])
    return {r.unit_id: r for r in period.unit_reports.all()}


def _event(report: UnitReport, action: str, by: User | None, at: dt.datetime, note: str = "") -> None:
    event = UnitReportEvent.objects.create(unit_report=report, action=action, by=by, note=note)
    UnitReportEvent.objects.filter(pk=event.pk).update(at=at)


def dispatch_demo_load(*, as_of: dt.date, seed: int, with_bulletins: bool = True) -> dict[str, int]:
    """Create the dispatch history up to ``as_of``; returns counts for the loader's summary line."""
    from dispatch.jobs import bulletin_build, bulletin_request

    rng = random.Random(seed + 7)
    users = User.objects.all()
    office = _office(users)
    reporters = {u.unit_id: u for u in users.filter(role=User.Role.REPORTER).order_by("pk") if u.unit_id}
    unit_ids = sorted(set(Project.objects.values_list("lead_unit_id", flat=True)))
    published = 0
    with transaction.atomic():
        for month in range(1, as_of.month):
            period = _create_period(as_of.year, month)
            reports = _unit_reports(period, unit_ids)
            ProgressReport.objects.filter(year=as_of.year, month=month, half=0).update(period=period)
            late_units = set(rng.sample(unit_ids, k=min(2, len(unit_ids))))
            returned_units = set(rng.sample(unit_ids, k=min(2, len(unit_ids))))
            for unit_id, report in reports.items():
                reporter = reporters.get(unit_id)
                submitted = period.deadline + dt.timedelta(days=rng.randint(1, 3)) if unit_id in late_units else (
                    period.deadline - dt.timedelta(days=rng.randint(0, 4))
                )
                if unit_id in returned_units:
                    first = submitted - dt.timedelta(days=2)
                    _event(report, UnitReportEvent.Action.SUBMIT, reporter, _at(first, 9))
                    _event(report, UnitReportEvent.Action.RETURN, office, _at(first, 15), rng.choice(RETURN_REASONS))
                _event(report, UnitReportEvent.Action.SUBMIT, reporter, _at(submitted, 9))
                reviewed = submitted + dt.timedelta(days=1)
                _event(report, UnitReportEvent.Action.APPROVE, office, _at(reviewed, 11))
                UnitReport.objects.filter(pk=report.pk).update(
                    state=UnitReport.State.APPROVED, version=4 if unit_id in returned_units else 2,
                    submitted_at=_at(submitted, 9), submitted_by=reporter,
                    reviewed_at=_at(reviewed, 11), reviewed_by=office,
                )
            published_on = period.deadline + dt.timedelta(days=5)
            Period.objects.filter(pk=period.pk).update(
                state=Period.State.CLOSED, closed_at=_at(period.deadline, 18)
            )
            period.refresh_from_db()
            snapshot_take(period=period)
            Period.objects.filter(pk=period.pk).update(
                state=Period.State.PUBLISHED, published_at=_at(published_on, 16), published_by=office
            )
            published += 1
        current = _current_month(as_of=as_of, unit_ids=unit_ids, reporters=reporters, office=office, rng=rng)
        problems = _problems(as_of=as_of, office=office, reporters=reporters, rng=rng)
    lights_refresh_all(as_of=as_of)
    bulletins = 0
    if with_bulletins:
        for period in Period.objects.filter(state=Period.State.PUBLISHED).order_by("year", "month"):
            with transaction.atomic():
                bulletin = bulletin_request(period=period, by=office)
            # In the loader's own process: `make run` should end with every bulletin ready.
            bulletin_build(bulletin.pk, office.pk if office else None)
            bulletins += 1
    return {"published": published, "current_reports": current, "problems": problems, "bulletins": bulletins}


def _current_month(
    *, as_of: dt.date, unit_ids: list[int], reporters: dict[int, User], office: User, rng: random.Random
) -> int:
    """The current month: open, about half the units submitted, one returned, the rest drafting."""
    period = _create_period(as_of.year, as_of.month)
    reports = _unit_reports(period, unit_ids)
    # The demo's own reporter login finds the unit's report still to fill in.
    own = User.objects.filter(username="reporter").values_list("unit_id", flat=True).first()
    order = [uid for uid in unit_ids if uid != own]
    rng.shuffle(order)
    submitted = set(order[: len(order) // 2])
    returned = order[len(order) // 2] if len(order) > 2 else None
    approved = set(order[: len(order) // 4])
    previous = {
        r.project_id: r
        for r in ProgressReport.objects.filter(year=as_of.year, month=as_of.month - 1, half=0)
    }
    rows = []
    for project in Project.objects.filter(lead_unit_id__in=[*submitted, returned]):
        last = previous.get(project.pk)
        # A unit submits only when every project has a row, so projects without last month's
        # figures (still in preparation) report nothing invested.
        amount = (last.invested * Decimal(rng.uniform(0.7, 1.3))).quantize(Decimal("0.01")) if last else ZERO
        rows.append(
            ProgressReport(
                project=project, year=as_of.year, month=as_of.month, half=0, period=period, invested=amount,
                progress_percent=min(100, last.progress_percent + rng.randint(0, 3)) if last else 0,
                physical_progress=last.physical_progress if last else "项目前期手续办理中",
                problems=last.problems if last and rng.random() < 0.3 else "",
                reported_by=reporters.get(project.lead_unit_id),
            )
        )
    ProgressReport.objects.bulk_create(rows)
    for unit_id in submitted:
        report = reports[unit_id]
        reporter = reporters.get(unit_id)
        day = min(as_of, period.deadline) - dt.timedelta(days=rng.randint(0, 3))
        _event(report, UnitReportEvent.Action.SUBMIT, reporter, _at(day, 9))
        fields: dict[str, Any] = {"state": UnitReport.State.SUBMITTED, "version": 2,
                                  "submitted_at": _at(day, 9), "submitted_by": reporter}
        if unit_id in approved:
            _event(report, UnitReportEvent.Action.APPROVE, office, _at(day, 16))
            fields.update(state=UnitReport.State.APPROVED, version=3, reviewed_at=_at(day, 16), reviewed_by=office)
        UnitReport.objects.filter(pk=report.pk).update(**fields)
    if returned is not None:
        report = reports[returned]
        day = as_of - dt.timedelta(days=1)
        reason = RETURN_REASONS[0]
        _event(report, UnitReportEvent.Action.SUBMIT, reporters.get(returned), _at(day, 9))
        _event(report, UnitReportEvent.Action.RETURN, office, _at(day, 15), reason)
        UnitReport.objects.filter(pk=report.pk).update(
            state=UnitReport.State.RETURNED, version=3, submitted_at=_at(day, 9),
            submitted_by=reporters.get(returned), reviewed_at=_at(day, 15), reviewed_by=office, return_reason=reason,
        )
    return len(rows)


def _problems(*, as_of: dt.date, office: User, reporters: dict[int, User], rng: random.Random) -> int:
    """Problems in every state: from reports, from meetings and entered directly; some overdue."""
    with_problems = list(
        ProgressReport.objects.filter(year=as_of.year).exclude(problems="").select_related("project")
        .order_by("-month", "project__code")[:8]
    )
    periods = {p.month: p for p in Period.objects.filter(year=as_of.year)}
    specs: list[dict[str, Any]] = []
    for report in with_problems:
        specs.append({"project": report.project, "description": report.problems, "source": Problem.Source.REPORT,
                      "report": report, "period": periods.get(report.month)})
    projects = list(Project.objects.filter(stage__in=["building", "preparing"]).order_by("code"))
    for text in MEETING_PROBLEMS:
        specs.append({"project": rng.choice(projects), "description": text, "source": Problem.Source.MEETING,
                      "report": None, "period": periods.get(as_of.month - 1)})
    # Deadlines spread around today: long overdue (red), recently overdue (yellow), due soon (blue), later.
    offsets = [-40, -25, -9, -3, 1, 2, 6, 12, 20, -60, -18, 9, 30]
    states = [Problem.State.ASSIGNED, Problem.State.HANDLING, Problem.State.ANSWERED, Problem.State.CLOSED]
    count = 0
    for index, spec in enumerate(specs):
        project: Project = spec["project"]
        deadline = as_of + dt.timedelta(days=offsets[index % len(offsets)])
        created = min(deadline, as_of) - dt.timedelta(days=rng.randint(15, 30))
        state = states[index % len(states)]
        unit_id = project.lead_unit_id
        problem = Problem.objects.create(
            project=project, period=spec["period"], source=spec["source"], report=spec["report"],
            description=spec["description"], responsible_unit_id=unit_id,
            responsible_leader=project.responsible_leader, deadline=deadline, state=state,
            version=1 + states.index(state), created_by=office,
        )
        reporter = reporters.get(unit_id)
        steps: list[tuple[str, User | None, dt.date, str, str]] = [
            (ProblemStep.Action.ASSIGN, office, created, "请按时限办结并反馈。", Problem.State.ASSIGNED)
        ]
        if state != Problem.State.ASSIGNED:
            steps.append((ProblemStep.Action.ACCEPT, reporter, created + dt.timedelta(days=1), "已签收，正在协调。",
                          Problem.State.HANDLING))
        if state in {Problem.State.ANSWERED, Problem.State.CLOSED}:
            steps.append((ProblemStep.Action.ANSWER, reporter, created + dt.timedelta(days=10),
                          "已协调相关部门，问题基本解决。", Problem.State.ANSWERED))
        closed_at = None
        if state == Problem.State.CLOSED:
            closed_at = _at(created + dt.timedelta(days=12), 17)
            steps.append((ProblemStep.Action.CLOSE, office, created + dt.timedelta(days=12), "经核实已解决，予以办结。",
                          Problem.State.CLOSED))
        for action, by, day, text, after in steps:
            step = ProblemStep.objects.create(problem=problem, action=action, by=by, text=text, state_after=after)
            ProblemStep.objects.filter(pk=step.pk).update(at=_at(day, 10))
        Problem.objects.filter(pk=problem.pk).update(created_at=_at(created, 9), closed_at=closed_at)
        if state == Problem.State.HANDLING and deadline > as_of and reporter is not None:
            ExtensionRequest.objects.create(
                problem=problem, new_deadline=deadline + dt.timedelta(days=15),
                reason="涉及多部门会签，需延长办理时限。", requested_by=reporter,
            )
        count += 1
    return count
