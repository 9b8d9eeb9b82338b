"""Writes of the dispatch cycle: periods (open → closed → published) and the review of unit reports.

Every state change checks the state it starts from and, for unit reports and problems, the
version the user saw, so two people acting at once cannot overwrite each other: the second
gets a ``ConcurrentChange`` with a message saying what happened.
"""
from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Count, F, Q, Sum
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from audit.services import audit_record, audit_snapshot
from core import clock, publication
from core.district import district
from core.models import Period
from core.tracking.errors import StaleVersion, TrackingError
from dispatch import rules
from dispatch.models import PeriodSnapshot, Problem, ProjectSnapshot, UnitReport, UnitReportEvent
from dispatch.notify import notify_office, notify_unit
from dispatch.periods.snapshots import (
    Letterhead,
    PeriodFigures,
    ProjectFigures,
    SnapshotMilestone,
    SnapshotProblem,
    SnapshotReason,
    SnapshotUnit,
    letterhead_now,
    read_letterheads,
    read_period,
    read_projects,
)
from org.models import Unit
from projects import rules as light_rules
from projects.models import ZERO, AnnualPlan, OpeningBalance, ProgressReport, Project
from projects.services import light_thresholds, lights_refresh_all, opening_words, work_calendar


class DispatchError(TrackingError):
    """A step that is not allowed now; the message says why, in the user's language."""


class ConcurrentChange(DispatchError, StaleVersion):
    """Someone else changed the record since the user loaded it."""


def deadline_rule() -> rules.DeadlineRule:
    """The district's rule (core.district; the settings page validated it with the same parser)."""
    return rules.DeadlineRule.parse(district().report_deadline)


def reportable_projects() -> Any:
    """Every project in the ledger is reported each period by its lead unit; proposals not yet
    approved and withdrawn projects are not (a withdrawn one keeps its earlier reports)."""
    return Project.objects.in_ledger()


def period_months_before(period: Period) -> Q:
    """Reports of the period's year up to and including the period."""
    return Q(year=period.year) & (Q(month__lt=period.month) | Q(month=period.month, half__lte=period.half))


# --- periods ------------------------------------------------------------------------------

@transaction.atomic
def period_open(*, year: int, month: int, half: int = 0, by: Any) -> Period:
    """Open a reporting period and a draft report for every unit that leads a project."""
    if half not in (0, 1, 2):
        raise DispatchError(_("半月应为 0（整月）、1（上半月）或 2（下半月）。"))
    clash = Period.objects.filter(year=year, month=month)
    if half:
        # Halves clash with the same half and with a whole-month period, not with each other.
        clash = clash.filter(half__in=(0, half))
    if clash.exists():
        raise DispatchError(_("%(year)d年%(month)d月的调度期已存在。") % {"year": year, "month": month})
    first, _last = rules.period_bounds(year, month, half)
    period = Period.objects.create(
        year=year,
        month=month,
        half=half,
        opens_on=first,
        deadline=rules.period_deadline(year, month, half, deadline_rule(), work_calendar()),
    )
    unit_ids = reportable_projects().values_list("lead_unit_id", flat=True).distinct()
    UnitReport.objects.bulk_create([UnitReport(period=period, unit_id=uid) for uid in set(unit_ids)])
    audit_record(by=by, instance=period, before={})
    return period


def _set_period_state(*, period: Period, by: Any, expected: str, new: str, **fields: Any) -> Period:
    before = audit_snapshot(period)
    changed = Period.objects.filter(pk=period.pk, state=expected).update(state=new, **fields)
    if not changed:
        period.refresh_from_db()
        raise ConcurrentChange(
            _("调度期“%(period)s”当前状态为“%(state)s”，不能执行此操作，请刷新页面。")
            % {"period": period.label, "state": period.get_state_display()}
        )
    period.refresh_from_db()
    audit_record(by=by, instance=period, before=before)
    return period


@transaction.atomic
def period_close(*, period: Period, by: Any) -> Period:
    return _set_period_state(
        period=period, by=by, expected=Period.State.OPEN, new=Period.State.CLOSED, closed_at=timezone.now()
    )


@transaction.atomic
def period_reopen(*, period: Period, by: Any) -> Period:
    return _set_period_state(period=period, by=by, expected=Period.State.CLOSED, new=Period.State.OPEN, closed_at=None)


@dataclass(frozen=True)
class PublishCheck:
    """What publishing now would leave out: the office must decide on these, with a reason.

    ``early`` when the reporting deadline has not passed yet; ``units`` are the unit reports not
    approved (draft, returned, or submitted and waiting for review), in the board's order.
    """

    early: bool
    deadline: dt.date
    units: tuple[UnitReport, ...]

    @property
    def needs_reason(self) -> bool:
        return self.early or bool(self.units)

    def in_words(self) -> str:
        parts = []
        if self.early:
            parts.append(_("报送截止日期（%(deadline)s）尚未到") % {"deadline": self.deadline.isoformat()})
        if self.units:
            parts.append(
                _("以下单位的月报未审核通过：%(units)s")
                % {"units": "、".join(f"{r.unit}（{r.get_state_display()}）" for r in self.units)}
            )
        return "；".join(parts)


def period_publish_check(*, period: Period, now: dt.datetime | None = None) -> PublishCheck:
    today = timezone.localdate(now or timezone.now())
    waiting = (
        period.unit_reports.exclude(state=UnitReport.State.APPROVED)
        .select_related("unit").order_by("unit__kind", "unit__order", "unit__name")
    )
    return PublishCheck(early=today <= period.deadline, deadline=period.deadline, units=tuple(waiting))


def snapshot_as_of(*, period: Period, now: dt.datetime) -> dt.date:
    """The date every figure of a snapshot taken at ``now`` is "as of": never after the moment taken."""
    return publication.as_of(period=period, now=now)


@transaction.atomic
def period_publish(
    *, period: Period, by: Any, reason: str = "", now: dt.datetime | None = None,
    progress: publication.Progress | None = None,
) -> Period:
    """Freeze the period: run every registered snapshot builder (core.publication), then mark it published.

    Publishing on or before the deadline, or with units whose report is not approved, is the
    office's explicit decision: it needs a reason, which is recorded on the period (audited) and
    printed in the bulletin. Without one the service refuses and names what is missing. ``now``
    is the publication moment and the snapshot's moment (the demo builds history with it);
    ``progress`` is told before each builder runs (the publishing job shows the step).
    """
    now = now or timezone.now()
    if period.state != Period.State.CLOSED:
        raise DispatchError(_("只有已截止的调度期才能发布。"))
    reason = reason.strip()
    check = period_publish_check(period=period, now=now)
    if check.needs_reason and not reason:
        raise DispatchError(
            _("%(period)s不能直接发布：%(why)s。如确需现在发布，请填写发布说明，说明将印在通报中。")
            % {"period": period.label, "why": check.in_words()}
        )
    publication.build_all(period=period, now=now, progress=progress)
    return _set_period_state(
        period=period, by=by, expected=Period.State.CLOSED, new=Period.State.PUBLISHED,
        published_at=now, published_by=by, publish_reason=reason,
    )


def ensure_not_frozen(period: Period | None) -> None:
    if period is not None and period.is_frozen:
        raise DispatchError(period.frozen_message())


# --- review of unit reports ---------------------------------------------------------------

def _transition(
    *, unit_report: UnitReport, version: int, by: Any, sources: set[str], target: str, action: str, note: str = "",
    **fields: Any,
) -> UnitReport:
    ensure_not_frozen(unit_report.period)
    changed = UnitReport.objects.filter(pk=unit_report.pk, version=version, state__in=sources).update(
        state=target, version=F("version") + 1, **fields
    )
    if not changed:
        current = UnitReport.objects.select_related("reviewed_by", "submitted_by").get(pk=unit_report.pk)
        who = current.reviewed_by or current.submitted_by
        raise ConcurrentChange(
            _("%(unit)s的月报刚被%(who)s处理，当前状态为“%(state)s”，您的操作未保存，请刷新后再看。")
            % {"unit": current.unit, "who": who or _("他人"), "state": current.get_state_display()}
        )
    UnitReportEvent.objects.create(unit_report=unit_report, action=action, by=by, note=note)
    unit_report.refresh_from_db()
    return unit_report


@transaction.atomic
def unit_report_submit(*, unit_report: UnitReport, version: int, by: Any) -> UnitReport:
    """Draft or returned → submitted, and the office is told to review it (not the office user who
    submitted it for the unit). The reporting page runs the checks before calling this."""
    unit_report = _transition(
        unit_report=unit_report, version=version, by=by,
        sources={UnitReport.State.DRAFT, UnitReport.State.RETURNED}, target=UnitReport.State.SUBMITTED,
        action=UnitReportEvent.Action.SUBMIT, submitted_at=timezone.now(), submitted_by=by,
    )
    values = {"unit": unit_report.unit, "period": unit_report.period.label, "reason": unit_report.return_reason}
    # The reason of the last return stays on the report until it is approved: a report submitted
    # with one is a resubmission, and the office reads what it had asked to be changed.
    if unit_report.return_reason:
        text = _("%(unit)s已修改并重新报送%(period)s的月报（此前退回原因：%(reason)s），请审核。") % values
        subject = _("【重新报送】%(unit)s%(period)s月报") % values
    else:
        text = _("%(unit)s已报送%(period)s的月报，请审核。") % values
        subject = _("【报送】%(unit)s%(period)s月报") % values
    notify_office(
        text, reverse("dispatch:review", args=[unit_report.pk]), exclude=by, everywhere=True, subject=subject
    )
    return unit_report


def _unit_rows(unit_report: UnitReport) -> Any:
    """The progress rows of the unit's report: its projects' rows of the period."""
    period = unit_report.period
    return ProgressReport.objects.filter(
        project__lead_unit_id=unit_report.unit_id, year=period.year, month=period.month, half=period.half
    )


def _rows_reviewed(unit_report: UnitReport, *, approved: bool) -> None:
    # The flag the light reads to say "含未审核数据" (projects.rules rule 6), then the lights
    # themselves, so the ledger's reasons follow the review at once.
    rows = _unit_rows(unit_report)
    project_ids = list(rows.values_list("project_id", flat=True))
    rows.update(approved=approved)
    lights_refresh_all(project_ids=project_ids)


@transaction.atomic
def unit_report_approve(*, unit_report: UnitReport, version: int, by: Any, note: str = "") -> UnitReport:
    unit_report = _transition(
        unit_report=unit_report, version=version, by=by, sources={UnitReport.State.SUBMITTED},
        target=UnitReport.State.APPROVED, action=UnitReportEvent.Action.APPROVE, note=note,
        reviewed_at=timezone.now(), reviewed_by=by, return_reason="",
    )
    _rows_reviewed(unit_report, approved=True)
    values = {"unit": unit_report.unit, "period": unit_report.period.label, "note": note.strip()}
    text = _("%(unit)s%(period)s的月报已审核通过。") % values
    if note.strip():
        text += _("审核意见：%(note)s") % values
    notify_unit(
        unit_report.unit_id, text, reverse("dispatch:report_grid", args=[unit_report.pk]), exclude=by,
        everywhere=True, subject=_("【审核通过】%(unit)s%(period)s月报") % values,
    )
    return unit_report


@transaction.atomic
def unit_report_return(*, unit_report: UnitReport, version: int, by: Any, reason: str) -> UnitReport:
    """Submitted (or approved, before publication) → returned, with the reason the reporter sees."""
    if not reason.strip():
        raise DispatchError(_("退回时必须写明原因。"))
    unit_report = _transition(
        unit_report=unit_report, version=version, by=by,
        sources={UnitReport.State.SUBMITTED, UnitReport.State.APPROVED}, target=UnitReport.State.RETURNED,
        action=UnitReportEvent.Action.RETURN, note=reason.strip(),
        reviewed_at=timezone.now(), reviewed_by=by, return_reason=reason.strip(),
    )
    # Returned figures are the unit's to change again: no longer reviewed, even if approved before.
    _rows_reviewed(unit_report, approved=False)
    values = {"unit": unit_report.unit, "period": unit_report.period.label, "reason": unit_report.return_reason}
    notify_unit(
        unit_report.unit_id,
        _("%(unit)s%(period)s的月报被退回：%(reason)s") % values,
        reverse("dispatch:report_grid", args=[unit_report.pk]),
        exclude=by, everywhere=True, subject=_("【退回】%(unit)s%(period)s月报") % values,
    )
    return unit_report


@dataclass(frozen=True)
class ProjectCounts:
    """Per unit: the ledger's projects it leads and how many of them have a row in the period."""

    projects: dict[int, int]
    reported: dict[int, int]


def unit_project_counts(*, period: Period, unit_ids: list[int]) -> ProjectCounts:
    """The period board's and the reporting export's counts, one grouped query each whatever the number of units."""
    projects = (
        Project.objects.in_ledger().filter(lead_unit_id__in=unit_ids).order_by().values("lead_unit_id")
        .annotate(n=Count("pk")).values_list("lead_unit_id", "n")
    )
    reported = (
        ProgressReport.objects.filter(
            project__lead_unit_id__in=unit_ids, year=period.year, month=period.month, half=period.half
        ).order_by().values("project__lead_unit_id").annotate(n=Count("pk")).values_list("project__lead_unit_id", "n")
    )
    return ProjectCounts(projects=dict(projects), reported=dict(reported))


def unit_report_late_days(unit_report: UnitReport, today: dt.date) -> int:
    return unit_report.late_days(today)


def unit_report_editable(unit_report: UnitReport) -> bool:
    """Rows may be changed while the report is a draft or has been returned, and the period is not frozen."""
    return not unit_report.period.is_frozen and unit_report.state in {
        UnitReport.State.DRAFT, UnitReport.State.RETURNED
    }


# --- snapshots ----------------------------------------------------------------------------

def _money(value: Decimal | None) -> Decimal | None:
    return None if value is None else value.quantize(Decimal("0.01"))


def snapshot_take(*, period: Period, now: dt.datetime | None = None) -> int:
    """Run every registered snapshot builder for ``period`` (as publishing does); the rows written."""
    return sum(publication.build_all(period=period, now=now or timezone.now()).values())


@translation.override(settings.LANGUAGE_CODE)
def project_snapshots_take(*, period: Period, as_of: dt.date, now: dt.datetime) -> int:
    """The ``dispatch.projects`` builder: every project's figures into ProjectSnapshot, in batches.

    ``as_of`` is the snapshot's moment, or the period's last day if that comes first
    (core.publication.as_of): a period published early is never described as of a day still to
    come. Lights, schedule and overdue milestones are all computed as of it, from the reports up
    to the period, so the frozen figures are those the period gave at publication, whatever
    happens later.
    """
    first, _last = rules.period_bounds(period.year, period.month, period.half)
    last = as_of
    thresholds = light_thresholds()
    previous = (
        Period.objects.filter(state=Period.State.PUBLISHED)
        .filter(Q(year__lt=period.year) | Q(year=period.year, month__lt=period.month)
                | Q(year=period.year, month=period.month, half__lt=period.half))
        .order_by("-year", "-month", "-half")
        .first()
    )
    previous_stage = (
        {
            s.code: ProjectFigures.from_data(s.data, version=s.schema_version, period=previous).stage
            for s in ProjectSnapshot.objects.filter(period=previous).only("code", "data", "schema_version")
        }
        if previous else {}
    )
    unit_reports = {r.unit_id: r for r in period.unit_reports.all()}
    reviewed = _reviewed_rows(period)
    ProjectSnapshot.objects.filter(period=period).delete()
    count = 0
    ids = list(reportable_projects().order_by("pk").values_list("pk", flat=True))
    for start in range(0, len(ids), 1000):
        chunk = ids[start : start + 1000]
        projects = (
            Project.objects.filter(pk__in=chunk)
            .select_related("lead_unit", "town", "responsible_leader", "category", "funding_source")
            .prefetch_related("milestones")
        )
        plans = dict(
            AnnualPlan.objects.filter(project_id__in=chunk, year=period.year).values_list("project_id", "amount")
        )
        ytd = dict(
            ProgressReport.objects.filter(period_months_before(period), project_id__in=chunk)
            .values("project_id").annotate(total=Sum("invested")).values_list("project_id", "total")
        )
        before_year = dict(
            ProgressReport.objects.filter(project_id__in=chunk, year__lt=period.year)
            .values("project_id").annotate(total=Sum("invested")).values_list("project_id", "total")
        )
        # Openings (开账): the period's year's counts once its months have ended by the period; earlier years' always.
        openings = {
            o.project_id: o
            for o in OpeningBalance.objects.filter(
                project_id__in=chunk, year=period.year, through_month__lte=period.month
            )
        }
        for project_id, total in (
            OpeningBalance.objects.filter(project_id__in=chunk, year__lt=period.year)
            .values("project_id").annotate(total=Sum("invested")).values_list("project_id", "total")
        ):
            before_year[project_id] = (before_year.get(project_id) or ZERO) + total
        this = {
            r.project_id: r
            for r in ProgressReport.objects.filter(
                project_id__in=chunk, year=period.year, month=period.month, half=period.half
            )
        }
        rows = []
        for project in projects:
            plan = plans.get(project.pk)
            opening = openings.get(project.pk)
            done = (ytd.get(project.pk) or ZERO) + (opening.invested if opening else ZERO)
            # A milestone done after the period ended was still open at its end.
            milestones = [
                light_rules.MilestoneFact(
                    m.name, m.planned_date, m.actual_date if m.actual_date and m.actual_date <= last else None
                )
                for m in project.milestones.all()
            ]
            started_by_end = project.actual_start is not None and project.actual_start <= last
            result = light_rules.compute_light(
                light_rules.ProjectFacts(
                    stage=project.stage if started_by_end or project.actual_start is None else "preparing",
                    planned_start=project.planned_start,
                    actual_start=project.actual_start if started_by_end else None,
                    # Judged by the project's stage now: the ledger keeps no date of completion.
                    planned_completion=project.planned_completion,
                    milestones=milestones,
                    annual_plan=plan,
                    invested_ytd=done,
                    unreviewed=reviewed.unreviewed_labels(project.pk),
                    opening=opening_words(opening),
                ),
                as_of=last,
                thresholds=thresholds,
            )
            report = this.get(project.pk)
            unit_report = unit_reports.get(project.lead_unit_id)
            completed = project.stage in {"completed", "producing"}
            figures = ProjectFigures(
                name=project.name,
                level=project.level,
                level_label=str(project.get_level_display()),
                project_type=project.project_type,
                type_label=str(project.get_project_type_display()),
                industry=project.industry,
                stage=project.stage,
                stage_label=str(project.get_stage_display()),
                construction=project.construction,
                category=project.category.name if project.category else "",
                funding_source=project.funding_source.name if project.funding_source else "",
                is_special_bond=project.is_special_bond,
                lead_unit_id=project.lead_unit_id,
                lead_unit=str(project.lead_unit),
                lead_unit_kind=project.lead_unit.kind,
                town_id=project.town_id,
                town=str(project.town) if project.town else "",
                leader=str(project.responsible_leader) if project.responsible_leader else "",
                total_investment=_money(project.total_investment),
                annual_plan=_money(plan),
                invested_period=_money(report.invested) if report else None,
                invested_ytd=done.quantize(Decimal("0.01")),
                invested_since_start=_money(project.invested_before + (before_year.get(project.pk) or ZERO) + done),
                planned_start=project.planned_start,
                actual_start=project.actual_start,
                planned_completion=project.planned_completion,
                started=started_by_end or project.stage in light_rules.STARTED_STAGES,
                started_in_period=bool(project.actual_start and first <= project.actual_start <= last),
                completed=completed,
                completed_in_period=completed
                and previous is not None
                and previous_stage.get(project.code) not in {None, "completed", "producing"},
                light=result.light,
                reasons=tuple(SnapshotReason(r.light, r.text) for r in result.reasons),
                # As of the period's end, for the bulletin's red-project pages.
                milestones_behind=tuple(
                    SnapshotMilestone(m.name, m.planned, light_rules.days_overdue(m.planned, last))
                    for m in milestones
                    if m.planned is not None and m.actual is None and m.planned < last
                ),
                progress_percent=report.progress_percent if report else None,
                physical_progress=report.physical_progress if report else "",
                problems=report.problems if report else "",
                reported=report is not None,
                unit_report_state=unit_report.state if unit_report else None,
                # Months whose progress fed these figures without the office's review (rule 6).
                unreviewed=reviewed.unreviewed_labels(project.pk),
            )
            rows.append(
                ProjectSnapshot(
                    period=period, project=project, code=project.code, data=figures.to_data(),
                    schema_version=ProjectFigures.VERSION,
                )
            )
        ProjectSnapshot.objects.bulk_create(rows, batch_size=500)
        count += len(rows)
    return count


@dataclass
class _Reviewed:
    """Per project, the labels of the year's months (up to the period) with unreviewed progress."""

    labels: dict[int, list[str]]

    def unreviewed_labels(self, project_id: int) -> tuple[str, ...]:
        return tuple(self.labels.get(project_id, ()))


def _reviewed_rows(period: Period) -> _Reviewed:
    labels: dict[int, list[str]] = defaultdict(list)
    rows = (
        ProgressReport.objects.filter(period_months_before(period), approved=False)
        .order_by("project_id", "month", "half").values_list("project_id", "year", "month", "half")
    )
    for project_id, year, month, half in rows:
        labels[project_id].append(Period(year=year, month=month, half=half).label)
    return _Reviewed(dict(labels))


@translation.override(settings.LANGUAGE_CODE)
def period_snapshot_take(*, period: Period, as_of: dt.date, now: dt.datetime) -> int:
    """The ``dispatch.period`` builder: the units' reporting and the problems into PeriodSnapshot."""
    numbers = district()
    # A unit's lateness is counted to the publication day: a report still owed when the period
    # was published is 未报送, late by the days from the deadline to publication (if any).
    today = timezone.localdate(now)
    units = tuple(
        SnapshotUnit(
            unit_id=report.unit_id,
            unit=str(report.unit),
            kind=report.unit.kind,
            state=report.state,
            state_label=str(report.get_state_display()),
            submitted_at=timezone.localtime(report.submitted_at) if report.submitted_at else None,
            late=unit_report_late_days(report, today) > 0,
            late_days=unit_report_late_days(report, today),
            reported=report.state in {UnitReport.State.SUBMITTED, UnitReport.State.APPROVED},
        )
        for report in period.unit_reports.select_related("unit").order_by("unit__kind", "unit__order", "unit__name")
    )
    problems = []
    first, _last = rules.period_bounds(period.year, period.month, period.half)
    # Open problems, and those closed since the period began (the bulletin reports both).
    current = Q(closed_at__isnull=True) | Q(closed_at__date__gte=first)
    for problem in Problem.objects.select_related("project", "responsible_unit", "responsible_leader").filter(current):
        escalation = rules.problem_escalation(
            deadline=problem.deadline, today=as_of, closed=problem.state == Problem.State.CLOSED,
            remind_days=numbers.problem_remind_days, red_days=numbers.problem_red_days,
        )
        problems.append(
            SnapshotProblem(
                id=problem.pk,
                project=str(problem.project) if problem.project else "",
                description=problem.description,
                unit=str(problem.responsible_unit),
                leader=str(problem.responsible_leader) if problem.responsible_leader else "",
                deadline=problem.deadline,
                state=problem.state,
                state_label=str(problem.get_state_display()),
                overdue_days=light_rules.days_overdue(problem.deadline, as_of)
                if problem.state != Problem.State.CLOSED else 0,
                escalation=escalation.level,
                escalation_text=escalation.text,
                closed_at=timezone.localtime(problem.closed_at) if problem.closed_at else None,
            )
        )
    figures = PeriodFigures(units=units, problems=tuple(problems), taken_on=today, as_of=as_of)
    PeriodSnapshot.objects.update_or_create(
        period=period, defaults={"data": figures.to_data(), "schema_version": PeriodFigures.VERSION},
    )
    return 1


def letterhead_take(*, period: Period, as_of: dt.date, now: dt.datetime) -> int:
    """The ``dispatch.letterhead`` builder: the district's names and the office's bulletin template
    (dispatch.models.BulletinTemplate) as the period's documents print them."""
    publication.records_clear(period=period, schema=Letterhead)
    publication.record_write(period=period, snapshot=letterhead_now())
    return 1


# What dispatch freezes when a period is published, registered in DispatchConfig.ready. The projects
# come first: the period's figures are about the same moment, and nothing else reads them meanwhile.
SNAPSHOT_BUILDERS = (
    publication.Builder(
        name="dispatch.projects", schema=ProjectFigures, build=project_snapshots_take, read=read_projects,
        step=gettext_lazy("正在生成项目快照"), order=10,
    ),
    publication.Builder(
        name="dispatch.period", schema=PeriodFigures, build=period_snapshot_take, read=read_period,
        step=gettext_lazy("正在生成调度期快照（单位报送与督办问题）"), order=20,
    ),
    publication.Builder(
        name="dispatch.letterhead", schema=Letterhead, build=letterhead_take, read=read_letterheads,
        step=gettext_lazy("正在记录通报抬头"), order=30,
    ),
)


def unit_counts(period: Period) -> dict[str, int]:
    counts: dict[str, int] = defaultdict(int)
    for state in period.unit_reports.values_list("state", flat=True):
        counts[state] += 1
    return dict(counts)


def reporting_units() -> Any:
    return Unit.objects.filter(pk__in=reportable_projects().values("lead_unit_id"))


today = clock.today
