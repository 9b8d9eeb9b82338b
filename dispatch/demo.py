"""The demo district's dispatch history, built in time order: every closed month published, the
current month open, problems supervised along the way.

Built after `projects.demo` has loaded the ledger. Month by month, as it would have happened:
the units submit (a few late, a few returned and resubmitted) and the office approves, the
problems of the month are assigned (from the month's reports and its dispatch meeting), every
step of every problem that falls before the publication is taken, and the month is published a
few days after its deadline with ``period_publish(now=…)``. So each month's snapshot and bulletin
show the problems that existed then, in the state they were in then, and the projects at the
stage they had reached then. The current month is open with some units submitted, one returned
and the rest drafting; problems are in every state, some overdue.

Rows are written directly with their historical dates (the services stamp "now" and refuse past
deadlines); publication goes through the service, so the snapshots are the real ones.
"""
from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from audit.models import AuditEntry
from core.demo import DemoPart
from core.models import Notification, Period
from dispatch import rules
from dispatch.models import (
    Bulletin,
    CorrectionRequest,
    ExtensionRequest,
    Problem,
    ProblemStep,
    ReminderLog,
    UnitReport,
    UnitReportEvent,
)
from dispatch.periods.services import deadline_rule, period_publish
from dispatch.supervision.services import TRANSITIONS
from org.models import User
from org.workdays import WorkCalendar
from projects.models import ZERO, ProgressReport, Project, Stage
from projects.services import lights_refresh_all, work_calendar, year_figures_refresh

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
    "施工图审查意见未回复，影响开工手续办理。",
]

# The problems of the demo: (months before the current one, source, fate, deadline).
# A deadline ("after", n) is n days after the problem was assigned; ("today", n) is n days from the
# demo's date, so that on any date the list has long overdue (red), recently overdue (yellow) and
# due-soon (blue) problems, and problems in every state.
ProblemSpec = tuple[int, str, str, tuple[str, int]]
PROBLEM_SPECS: list[ProblemSpec] = [
    (5, Problem.Source.MEETING, "closed", ("after", 20)),
    (4, Problem.Source.MEETING, "late", ("after", 20)),
    (3, Problem.Source.REPORT, "closed", ("after", 20)),
    (3, Problem.Source.MEETING, "sent_back", ("after", 30)),
    (3, Problem.Source.REPORT, "stalled", ("after", 25)),  # red
    (2, Problem.Source.REPORT, "late", ("after", 15)),
    (2, Problem.Source.MEETING, "ignored", ("today", -20)),  # red, never even accepted
    (2, Problem.Source.REPORT, "extended", ("after", 20)),
    (2, Problem.Source.REPORT, "stalled", ("today", -6)),  # yellow
    (2, Problem.Source.REPORT, "closed", ("after", 20)),
    (1, Problem.Source.MEETING, "answered", ("today", 6)),
    (1, Problem.Source.REPORT, "extension_pending", ("today", 9)),
    (1, Problem.Source.MEETING, "closed", ("after", 15)),
    (1, Problem.Source.REPORT, "stalled", ("today", 1)),  # blue
    (0, Problem.Source.MEETING, "ignored", ("today", 2)),  # blue
    (0, Problem.Source.MEETING, "stalled", ("today", 12)),
]
ACCEPTED = "已签收，正在协调相关部门办理。"
ANSWERED = "已协调相关部门，问题基本解决。"
ANSWERED_AGAIN = "已按要求补充落实，问题已解决。"
CLOSED = "经核实已解决，予以办结。"
SENT_BACK = "反馈内容未说明完成时间，请补充后重新反馈。"
EXTENSION_REASON = "涉及多部门会签，需延长办理时限。"


def _at(day: dt.date, hour: int = 10) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, 0)))


def dispatch_demo_delete() -> None:
    """Remove dispatch data before the demo ledger is removed (periods protect their reports)."""
    with transaction.atomic():
        for bulletin in Bulletin.objects.all():
            for file in (bulletin.docx, bulletin.xlsx, bulletin.pdf):
                if file:
                    file.delete(save=False)
        Bulletin.objects.all().delete()
        ExtensionRequest.objects.all().delete()
        ProblemStep.objects.all().delete()
        Problem.objects.all().delete()
        CorrectionRequest.objects.all().delete()
        Notification.objects.all().delete()
        ReminderLog.objects.all().delete()
        ProgressReport.objects.update(period=None)
        AuditEntry.objects.filter(subject_model="core.period").delete()
        Period.objects.all().delete()


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


def publication_day(period: Period, as_of: dt.date, calendar: WorkCalendar) -> dt.date:
    """When the office publishes a closed month: on one of the first working days after both the
    deadline and the month's end (so the bulletin covers the whole month), before the demo's date."""
    after = max(period.deadline, period.last_day)
    return min(calendar.add_workdays(after, 1), as_of - dt.timedelta(days=1))


# --- projects at the stage they had reached ---------------------------------------------------

class _Stages:
    """Completed and producing projects were building before they finished: while the past is
    published, their stage is set to the one they had at the end of each month, then restored."""

    def __init__(self) -> None:
        self.now: dict[int, str] = {}
        self.finished: dict[int, tuple[dt.date | None, dt.date | None, dt.date | None]] = {}
        finished = (Stage.COMPLETED.value, Stage.PRODUCING.value)
        for project in Project.objects.filter(stage__in=finished).prefetch_related("milestones"):
            milestones = list(project.milestones.all())
            done = [m.actual_date for m in milestones if "竣工" in m.name] or [m.actual_date for m in milestones]
            producing = milestones[-1].actual_date if milestones and project.stage == Stage.PRODUCING else None
            self.now[project.pk] = project.stage
            self.finished[project.pk] = (project.actual_start, done[-1] if done else None, producing)

    def stage_on(self, pk: int, day: dt.date) -> str:
        start, completed, producing = self.finished[pk]
        if producing is not None and producing <= day:
            return Stage.PRODUCING
        if completed is not None and completed <= day:
            return Stage.COMPLETED
        if start is not None and start <= day:
            return Stage.BUILDING
        return Stage.PREPARING

    def set_on(self, day: dt.date) -> None:
        groups: dict[str, list[int]] = defaultdict(list)
        for pk in self.now:
            groups[self.stage_on(pk, day)].append(pk)
        for stage, pks in groups.items():
            Project.objects.filter(pk__in=pks).exclude(stage=stage).update(stage=stage)

    def restore(self) -> None:
        groups: dict[str, list[int]] = defaultdict(list)
        for pk, stage in self.now.items():
            groups[stage].append(pk)
        for stage, pks in groups.items():
            Project.objects.filter(pk__in=pks).exclude(stage=stage).update(stage=stage)


# --- problems, step by step -------------------------------------------------------------------

@dataclass(order=True)
class _Step:
    at: dt.datetime
    order: int
    problem_id: int = field(compare=False)
    action: str = field(compare=False)
    by: User = field(compare=False)
    text: str = field(compare=False, default="")
    new_deadline: dt.date | None = field(compare=False, default=None)


class _Problems:
    """The problems' steps, kept in time order and taken only when the history reaches them."""

    def __init__(self, *, as_of: dt.date, office: User, reporters: dict[int, User], rng: random.Random) -> None:
        self.as_of = as_of
        self.office = office
        self.reporters = reporters
        self.rng = rng
        self.pending: list[_Step] = []
        self.used: set[int] = set()
        self.meetings = 0
        self.count = 0

    def _step(self, problem: Problem, day: dt.date, hour: int, action: str, by: User, text: str = "",
              new_deadline: dt.date | None = None) -> None:
        at = _at(day, hour)
        # Nothing happens on or after the demo's date: what would is simply still to come.
        if day < self.as_of:
            self.pending.append(_Step(at, len(self.pending), problem.pk, action, by, text, new_deadline))

    def assign(self, spec: ProblemSpec, period: Period, created: dt.datetime, unit_reports: dict[int, Any]) -> None:
        """Create one problem of ``period`` at ``created`` and plan its later steps by its fate."""
        _back, source, fate, (base, days) = spec
        report = self._report(period) if source == Problem.Source.REPORT else None
        if report is not None:
            project, description = report.project, report.problems
            # Picked up when the office reviewed the unit's report.
            reviewed = unit_reports.get(project.lead_unit_id)
            if reviewed is not None and reviewed.reviewed_at is not None:
                created = min(reviewed.reviewed_at + dt.timedelta(hours=2), _at(period.last_day, 17))
        else:
            source = Problem.Source.MEETING
            project = self.rng.choice(list(
                Project.objects.filter(stage__in=[Stage.BUILDING, Stage.PREPARING]).order_by("code")
            ))
            description = MEETING_PROBLEMS[self.meetings % len(MEETING_PROBLEMS)]
            self.meetings += 1
        day = timezone.localdate(created)
        deadline = day + dt.timedelta(days=days) if base == "after" else self.as_of + dt.timedelta(days=days)
        deadline = max(deadline, day + dt.timedelta(days=3))
        problem = Problem.objects.create(
            project=project, period=period, source=source, report=report, description=description,
            responsible_unit_id=project.lead_unit_id, responsible_leader=project.responsible_leader,
            deadline=deadline, created_by=self.office,
        )
        Problem.objects.filter(pk=problem.pk).update(created_at=created)
        step = ProblemStep.objects.create(
            problem=problem, action=ProblemStep.Action.ASSIGN, by=self.office, state_after=Problem.State.ASSIGNED,
            text=f"交办{project.lead_unit}办理，办结时限 {deadline.isoformat()}。",
        )
        ProblemStep.objects.filter(pk=step.pk).update(at=created)
        self.count += 1
        self._plan(problem, fate, day, deadline)

    def _report(self, period: Period) -> ProgressReport | None:
        """A report of the month that raised a problem the office has not taken up yet."""
        candidates = [
            r for r in ProgressReport.objects.filter(year=period.year, month=period.month, half=period.half)
            .exclude(problems="").select_related("project").order_by("project__code")
            if r.project_id not in self.used
        ]
        if not candidates:
            return None
        report = self.rng.choice(candidates)
        self.used.add(report.project_id)
        return report

    def _plan(self, problem: Problem, fate: str, created: dt.date, deadline: dt.date) -> None:
        unit = self.reporters.get(problem.responsible_unit_id) or self.office
        days = (deadline - created).days

        def on(n: int) -> dt.date:
            return created + dt.timedelta(days=n)

        if fate == "ignored":
            return
        self._step(problem, on(1 + self.rng.randint(0, 1)), 9, "accept", unit, ACCEPTED)
        if fate == "stalled":
            return
        if fate == "extension_pending":
            self._step(problem, self.as_of - dt.timedelta(days=1), 11, ProblemStep.Action.EXTEND_REQUEST, unit,
                       EXTENSION_REASON, deadline + dt.timedelta(days=15))
            return
        if fate == "answered":
            self._step(problem, max(on(3), self.as_of - dt.timedelta(days=2)), 15, "answer", unit, ANSWERED)
            return
        if fate == "extended":
            longer = deadline + dt.timedelta(days=15)
            self._step(problem, deadline - dt.timedelta(days=4), 11, ProblemStep.Action.EXTEND_REQUEST, unit,
                       EXTENSION_REASON, longer)
            self._step(problem, deadline - dt.timedelta(days=3), 10, ProblemStep.Action.EXTEND_APPROVE, self.office,
                       "", longer)
            answered = longer - dt.timedelta(days=4)
        elif fate == "late":
            answered = deadline + dt.timedelta(days=4)
        else:
            answered = on(max(2, days * 3 // 5))
        if fate == "sent_back":
            self._step(problem, answered, 15, "answer", unit, "已与相关单位对接，正在推进。")
            self._step(problem, answered + dt.timedelta(days=2), 10, "send_back", self.office, SENT_BACK)
            answered += dt.timedelta(days=7)
            self._step(problem, answered, 15, "answer", unit, ANSWERED_AGAIN)
        else:
            self._step(problem, answered, 15, "answer", unit, ANSWERED)
        self._step(problem, answered + dt.timedelta(days=2), 16, "close", self.office, CLOSED)

    def advance(self, until: dt.datetime) -> None:
        """Take, in time order, every planned step that happens before ``until``."""
        self.pending.sort()
        due = [s for s in self.pending if s.at < until]
        self.pending = [s for s in self.pending if s.at >= until]
        for step in due:
            self._take(step)

    def _take(self, step: _Step) -> None:
        problem = Problem.objects.get(pk=step.problem_id)
        fields: dict[str, Any] = {"version": problem.version + 1}
        action = step.action
        if action in TRANSITIONS:
            transition = TRANSITIONS[action]
            if problem.state not in transition.sources:
                return
            fields["state"] = transition.target
            action = transition.step
            if transition.target == Problem.State.CLOSED:
                fields["closed_at"] = step.at
        elif action == ProblemStep.Action.EXTEND_REQUEST:
            assert step.new_deadline is not None
            extension = ExtensionRequest.objects.create(
                problem=problem, new_deadline=step.new_deadline, reason=step.text, requested_by=step.by,
            )
            ExtensionRequest.objects.filter(pk=extension.pk).update(requested_at=step.at)
            old, new = problem.deadline.isoformat(), step.new_deadline.isoformat()
            step.text = f"申请将办结时限由 {old} 延至 {new}。理由：{step.text}"
        elif action == ProblemStep.Action.EXTEND_APPROVE:
            assert step.new_deadline is not None
            ExtensionRequest.objects.filter(problem=problem, state=ExtensionRequest.State.PENDING).update(
                state=ExtensionRequest.State.APPROVED, decided_by=step.by, decided_at=step.at,
            )
            step.text = f"批准延期：办结时限由 {problem.deadline.isoformat()} 延至 {step.new_deadline.isoformat()}。"
            fields["deadline"] = step.new_deadline
        Problem.objects.filter(pk=problem.pk).update(**fields)
        row = ProblemStep.objects.create(
            problem=problem, action=action, by=step.by, text=step.text,
            state_after=fields.get("state", problem.state),
        )
        ProblemStep.objects.filter(pk=row.pk).update(at=step.at)


# --- the months -------------------------------------------------------------------------------

def dispatch_demo_load(*, as_of: dt.date, seed: int, with_bulletins: bool = True) -> dict[str, int]:
    """Create the dispatch history up to ``as_of``; returns counts for the loader's summary line."""
    from dispatch.bulletins.jobs import bulletin_build, bulletin_request

    rng = random.Random(seed + 7)
    users = User.objects.all()
    office = users.filter(role=User.Role.OFFICE).order_by("pk").first()
    assert office is not None, "projects.demo creates the office login first"
    reporters = {u.unit_id: u for u in users.filter(role=User.Role.REPORTER).order_by("pk") if u.unit_id}
    unit_ids = sorted(set(Project.objects.values_list("lead_unit_id", flat=True)))
    calendar = work_calendar()
    problems = _Problems(as_of=as_of, office=office, reporters=reporters, rng=rng)
    published = 0
    last_published: dt.datetime | None = None
    with transaction.atomic():
        stages = _Stages()
        for month in range(1, as_of.month):
            period = _create_period(as_of.year, month)
            ProgressReport.objects.filter(year=as_of.year, month=month, half=0).update(period=period)
            # At the end of the working day, after every step of that day (none shares its moment).
            publish_at = _at(publication_day(period, as_of, calendar), 17)
            reviewed = _past_month(period=period, unit_ids=unit_ids, reporters=reporters, office=office,
                                   publish_at=publish_at, rng=rng)
            _month_problems(problems, period, back=as_of.month - month, reviewed=reviewed, rng=rng,
                            not_before=last_published, as_of=as_of)
            problems.advance(until=publish_at)
            Period.objects.filter(pk=period.pk).update(state=Period.State.CLOSED, closed_at=_at(period.deadline, 18))
            period.refresh_from_db()
            stages.set_on(period.last_day)
            period_publish(period=period, by=office, now=publish_at)
            AuditEntry.objects.filter(subject_model="core.period", object_id=str(period.pk)).update(at=publish_at)
            last_published = publish_at
            published += 1
        stages.restore()
        current = _current_month(as_of=as_of, unit_ids=unit_ids, reporters=reporters, office=office, rng=rng)
        period = Period.objects.get(year=as_of.year, month=as_of.month, half=0)
        _month_problems(problems, period, back=0, reviewed={}, rng=rng, not_before=last_published, as_of=as_of)
        problems.advance(until=_at(as_of, 0))
    lights_refresh_all(as_of=as_of)
    bulletins = 0
    if with_bulletins:
        published_periods = list(Period.objects.filter(state=Period.State.PUBLISHED).order_by("year", "month", "half"))
        for period in published_periods:
            with transaction.atomic():
                bulletin = bulletin_request(period=period, by=office)
            # In the loader's own process: `make run` should end with every bulletin ready; the PDF (seconds
            # of LibreOffice each) for the latest month only, the others get theirs when regenerated.
            bulletin_build(bulletin.pk, office.pk, pdf=period == published_periods[-1])
            bulletins += 1
    return {"published": published, "current_reports": current, "problems": problems.count, "bulletins": bulletins}


def _past_month(
    *, period: Period, unit_ids: list[int], reporters: dict[int, User], office: User, publish_at: dt.datetime,
    rng: random.Random,
) -> dict[int, UnitReport]:
    """Every unit submits and is approved before publication: most on time, two late, two returned once."""
    reports = _unit_reports(period, unit_ids)
    publish_day = timezone.localdate(publish_at)
    late_units = set(rng.sample(unit_ids, k=min(2, len(unit_ids))))
    returned_units = set(rng.sample(unit_ids, k=min(2, len(unit_ids))))
    latest_late = max(1, min(3, (publish_day - period.deadline).days - 1))
    for unit_id, report in reports.items():
        reporter = reporters.get(unit_id)
        if unit_id in late_units:
            submitted = period.deadline + dt.timedelta(days=rng.randint(1, latest_late))
        else:
            submitted = period.deadline - dt.timedelta(days=rng.randint(0, 4))
        if unit_id in returned_units:
            first = submitted - dt.timedelta(days=2)
            _event(report, UnitReportEvent.Action.SUBMIT, reporter, _at(first, 9))
            _event(report, UnitReportEvent.Action.RETURN, office, _at(first, 15), rng.choice(RETURN_REASONS))
        _event(report, UnitReportEvent.Action.SUBMIT, reporter, _at(submitted, 9))
        reviewed = min(submitted + dt.timedelta(days=1), publish_day)
        _event(report, UnitReportEvent.Action.APPROVE, office, _at(reviewed, 11))
        UnitReport.objects.filter(pk=report.pk).update(
            state=UnitReport.State.APPROVED, version=4 if unit_id in returned_units else 2,
            submitted_at=_at(submitted, 9), submitted_by=reporter,
            reviewed_at=_at(reviewed, 11), reviewed_by=office,
        )
    # Approval marks the unit's rows reviewed (services.unit_report_approve does the same).
    ProgressReport.objects.filter(period=period).update(approved=True)
    return {r.unit_id: r for r in period.unit_reports.all()}


def _month_problems(
    problems: _Problems, period: Period, *, back: int, reviewed: dict[int, UnitReport], rng: random.Random,
    not_before: dt.datetime | None, as_of: dt.date,
) -> None:
    """Assign the problems of the month: from its reports when reviewed, from its dispatch meeting."""
    specs = [spec for spec in PROBLEM_SPECS if spec[0] == back]
    if not specs:
        return
    # The month's dispatch meeting, after the previous bulletin and before the demo's date.
    meeting = min(_at(period.first_day + dt.timedelta(days=rng.randint(7, 17)), 15),
                  _at(as_of - dt.timedelta(days=1), 15))
    if not_before is not None:
        meeting = max(meeting, not_before + dt.timedelta(hours=1))
    # On the month's first day the meeting can only be that day.
    meeting = max(meeting, _at(period.first_day, 9))
    for spec in specs:
        problems.assign(spec, period, meeting, reviewed)


def _clamp(day: dt.date, first: dt.date, last: dt.date) -> dt.date:
    return max(first, min(day, last))


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
    so_far = dict(
        ProgressReport.objects.filter(year=as_of.year, month__lt=as_of.month)
        .values("project_id").annotate(total=Sum("invested")).values_list("project_id", "total")
    )
    rows = []
    for project in Project.objects.filter(lead_unit_id__in=[*submitted, returned]):
        last = previous.get(project.pk)
        # A unit submits only when every project has a row, so projects without last month's
        # figures (still in preparation) report nothing invested.
        amount = (last.invested * Decimal(rng.uniform(0.7, 1.3))).quantize(Decimal("0.01")) if last else ZERO
        # Never more than the project has left to invest.
        left = project.total_investment - project.invested_before - (so_far.get(project.pk) or ZERO)
        amount = max(ZERO, min(amount, left))
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
    # Written in bulk, past the services: the ledger's yearly figures follow here.
    year_figures_refresh(project_ids=[r.project_id for r in rows], years=[as_of.year])
    # Everything the units did this month happened between its first day and yesterday.
    yesterday = max(period.first_day, as_of - dt.timedelta(days=1))
    for unit_id in submitted:
        report = reports[unit_id]
        reporter = reporters.get(unit_id)
        day = _clamp(min(as_of, period.deadline) - dt.timedelta(days=rng.randint(1, 4)), period.first_day, yesterday)
        _event(report, UnitReportEvent.Action.SUBMIT, reporter, _at(day, 9))
        fields: dict[str, Any] = {"state": UnitReport.State.SUBMITTED, "version": 2,
                                  "submitted_at": _at(day, 9), "submitted_by": reporter}
        if unit_id in approved:
            _event(report, UnitReportEvent.Action.APPROVE, office, _at(day, 16))
            fields.update(state=UnitReport.State.APPROVED, version=3, reviewed_at=_at(day, 16), reviewed_by=office)
            ProgressReport.objects.filter(period=period, project__lead_unit_id=unit_id).update(approved=True)
        UnitReport.objects.filter(pk=report.pk).update(**fields)
    if returned is not None:
        report = reports[returned]
        reason = RETURN_REASONS[0]
        _event(report, UnitReportEvent.Action.SUBMIT, reporters.get(returned), _at(yesterday, 9))
        _event(report, UnitReportEvent.Action.RETURN, office, _at(yesterday, 15), reason)
        UnitReport.objects.filter(pk=report.pk).update(
            state=UnitReport.State.RETURNED, version=3, submitted_at=_at(yesterday, 9),
            submitted_by=reporters.get(returned), reviewed_at=_at(yesterday, 15), reviewed_by=office,
            return_reason=reason,
        )
    return len(rows)


# --- the dispatch part of the demo district (core.demo) ---------------------------------------

def _part_load(*, seed: int, as_of: dt.date, reset: bool) -> list[str]:
    done = dispatch_demo_load(as_of=as_of, seed=seed)
    return [
        f"调度 / dispatch: {done['published']} published months with {done['bulletins']} bulletins, "
        f"current month open ({done['current_reports']} rows reported), {done['problems']} problems"
    ]


DEMO_PART = DemoPart(name="dispatch", order=20, load=_part_load, delete=dispatch_demo_delete)
