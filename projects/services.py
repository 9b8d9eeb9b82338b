"""Writes to the ledger. Each one is atomic, records its changes and refreshes the light."""
from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from pypinyin import Style, lazy_pinyin

from audit.models import AuditEntry
from audit.services import audit_record, audit_snapshot
from org.models import holiday_overrides
from org.workdays import WorkCalendar
from projects import rules
from projects.models import (
    ZERO,
    AnnualPlan,
    Milestone,
    MilestoneTemplate,
    ProgressReport,
    Project,
)


def today() -> dt.date:
    return timezone.localdate()


def work_calendar() -> WorkCalendar:
    return WorkCalendar(holiday_overrides())


def light_thresholds() -> rules.LightThresholds:
    return rules.LightThresholds.from_mapping(settings.DIAODU_LIGHT_THRESHOLDS)


def name_initials(name: str) -> str:
    """Pinyin initials for search; punctuation and spaces dropped, so "cyyyq" finds 产业园（一期）."""
    letters = "".join(lazy_pinyin(name, style=Style.FIRST_LETTER, errors="default")).lower()
    return "".join(ch for ch in letters if ch.isalnum())[:100]


# --- lights -------------------------------------------------------------------------------

def _facts(
    project: Project, milestones: Iterable[Milestone], plan: Decimal | None, ytd: Decimal
) -> rules.ProjectFacts:
    return rules.ProjectFacts(
        stage=project.stage,
        planned_start=project.planned_start,
        actual_start=project.actual_start,
        milestones=[rules.MilestoneFact(m.name, m.planned_date, m.actual_date) for m in milestones],
        annual_plan=plan,
        invested_ytd=ytd,
    )


def project_light(project: Project, *, as_of: dt.date | None = None) -> rules.LightResult:
    """The light of one project computed now from the database, with its reasons."""
    as_of = as_of or today()
    plan = project.plans.filter(year=as_of.year).values_list("amount", flat=True).first()
    return rules.compute_light(
        _facts(project, project.milestones.all(), plan, project.invested_in_year(as_of.year)),
        as_of=as_of,
        thresholds=light_thresholds(),
    )


def _store_light(project: Project, result: rules.LightResult, as_of: dt.date) -> None:
    reasons = [[r.light, r.text] for r in result.reasons]
    Project.objects.filter(pk=project.pk).update(light=result.light, light_reasons=reasons, light_as_of=as_of)
    project.light, project.light_reasons, project.light_as_of = result.light, reasons, as_of


# Stored reasons are read by everyone, so they are written in the district's language, not in
# the language of whoever happened to trigger the refresh.
@translation.override(settings.LANGUAGE_CODE)
def project_light_refresh(project: Project, *, as_of: dt.date | None = None) -> rules.LightResult:
    as_of = as_of or today()
    result = project_light(project, as_of=as_of)
    _store_light(project, result, as_of)
    return result


@translation.override(settings.LANGUAGE_CODE)
def lights_refresh_all(*, as_of: dt.date | None = None, batch: int = 2000) -> dict[str, int]:
    """Recompute every project's light in batches, a fixed number of queries per batch."""
    as_of = as_of or today()
    thresholds = light_thresholds()
    counts: dict[str, int] = defaultdict(int)
    ids = list(Project.objects.order_by("pk").values_list("pk", flat=True))
    for start in range(0, len(ids), batch):
        chunk = ids[start : start + batch]
        projects = list(Project.objects.filter(pk__in=chunk).prefetch_related("milestones"))
        plans = dict(
            AnnualPlan.objects.filter(project_id__in=chunk, year=as_of.year).values_list("project_id", "amount")
        )
        ytd = dict(
            ProgressReport.objects.filter(project_id__in=chunk, year=as_of.year)
            .values("project_id").annotate(total=Sum("invested")).values_list("project_id", "total")
        )
        changed = []
        for project in projects:
            result = rules.compute_light(
                _facts(project, project.milestones.all(), plans.get(project.pk), ytd.get(project.pk) or ZERO),
                as_of=as_of,
                thresholds=thresholds,
            )
            project.light = result.light
            project.light_reasons = [[r.light, r.text] for r in result.reasons]
            project.light_as_of = as_of
            changed.append(project)
            counts[result.light] += 1
        Project.objects.bulk_update(changed, ["light", "light_reasons", "light_as_of"], batch_size=500)
    return dict(counts)


# --- projects -----------------------------------------------------------------------------

def _save_plans(*, by: Any, project: Project, plans: Mapping[int, Decimal | None], source: str) -> None:
    existing = {p.year: p for p in project.plans.all()}
    for year, amount in plans.items():
        plan = existing.get(year)
        if amount is None:
            if plan is not None:
                before, pk = audit_snapshot(plan), plan.pk
                plan.delete()
                plan.pk = pk
                audit_record(
                    by=by, instance=plan, before=before, subject=project, action=AuditEntry.Action.DELETE, source=source
                )
            continue
        before = audit_snapshot(plan)
        if plan is None:
            plan = AnnualPlan(project=project, year=year, amount=amount)
        elif plan.amount == amount:
            continue
        plan.amount = amount
        plan.save()
        audit_record(by=by, instance=plan, before=before, subject=project, source=source)


@transaction.atomic
def project_save(
    *, by: Any, project: Project, plans: Mapping[int, Decimal | None] | None = None, source: str = "form"
) -> Project:
    """Create or update ``project`` (an instance carrying the new values) and its annual plans.

    Returns the saved project; an update that changes nothing writes nothing.
    """
    before: dict[str, tuple[str, str]] = {}
    if project.pk:
        before = audit_snapshot(Project.objects.get(pk=project.pk))
    project.initials = name_initials(project.name)
    after = audit_snapshot(project)
    if not project.pk or before != after:
        project.save()
        audit_record(by=by, instance=project, before=before, source=source)
    if plans:
        _save_plans(by=by, project=project, plans=plans, source=source)
    project_light_refresh(project)
    return project


@transaction.atomic
def project_delete(*, by: Any, project: Project) -> None:
    before = audit_snapshot(project)
    pk = project.pk
    project.delete()
    project.pk = pk
    audit_record(by=by, instance=project, before=before, action=AuditEntry.Action.DELETE)


# --- milestones ---------------------------------------------------------------------------

@transaction.atomic
def milestone_save(*, by: Any, milestone: Milestone, source: str = "form") -> Milestone:
    before = audit_snapshot(Milestone.objects.get(pk=milestone.pk)) if milestone.pk else {}
    if before and before == audit_snapshot(milestone):
        return milestone
    milestone.save()
    audit_record(by=by, instance=milestone, before=before, subject=milestone.project, source=source)
    project_light_refresh(milestone.project)
    return milestone


@transaction.atomic
def milestone_delete(*, by: Any, milestone: Milestone) -> None:
    project = milestone.project
    before = audit_snapshot(milestone)
    pk = milestone.pk
    milestone.delete()
    milestone.pk = pk
    audit_record(by=by, instance=milestone, before=before, subject=project, action=AuditEntry.Action.DELETE)
    project_light_refresh(project)


def schedule_preview(*, template: MilestoneTemplate, target: dt.date) -> list[tuple[str, dt.date]]:
    return rules.reverse_schedule(template.step_pairs(), target, work_calendar())


@transaction.atomic
def schedule_apply(*, by: Any, project: Project, template: MilestoneTemplate, target: dt.date) -> list[Milestone]:
    """Reverse-schedule the project's milestones from ``target`` with the template's durations.

    Milestones of the same name keep their actual dates and get the new planned date;
    the template's missing ones are added; others the project has are kept unchanged.
    """
    planned = schedule_preview(template=template, target=target)
    existing = {m.name: m for m in project.milestones.all()}
    saved = []
    for order, (name, day) in enumerate(planned, start=1):
        milestone = existing.get(name) or Milestone(project=project, name=name)
        milestone.order = order
        milestone.planned_date = day
        before = audit_snapshot(Milestone.objects.get(pk=milestone.pk)) if milestone.pk else {}
        milestone.save()
        audit_record(by=by, instance=milestone, before=before, subject=project, source="schedule")
        saved.append(milestone)
    project_light_refresh(project)
    return saved


# --- monthly progress ---------------------------------------------------------------------

def progress_lock_reason(*, project: Project, year: int, month: int, half: int, user: Any) -> str | None:
    """Why this month's report of the project cannot be changed now, or None.

    A published period is frozen for everybody (a correction request is the way); a unit's
    report that has been submitted or approved is closed to its reporters until it is returned.
    """
    from dispatch.models import Period, UnitReport

    period = Period.objects.filter(year=year, month=month, half=half).first()
    if period is None:
        return None
    if period.is_frozen:
        return _("%(period)s已发布，数据已冻结；如需更正，请提交更正申请，由项目办审批。") % {"period": period.label}
    if getattr(user, "is_office", False):
        return None
    unit_report = UnitReport.objects.filter(period=period, unit_id=project.lead_unit_id).first()
    if unit_report is not None and unit_report.state in {UnitReport.State.SUBMITTED, UnitReport.State.APPROVED}:
        return _("%(unit)s%(period)s的月报%(state)s，不能再修改；如需修改请联系项目办退回。") % {
            "unit": unit_report.unit, "period": period.label, "state": unit_report.get_state_display()
        }
    return None


@transaction.atomic
def progress_save(*, by: Any, report: ProgressReport, source: str = "form") -> ProgressReport:
    """Save one month's progress, attached to its reporting period when the district has opened one."""
    from dispatch.models import Period

    reason = progress_lock_reason(
        project=report.project, year=report.year, month=report.month, half=report.half, user=by
    )
    if reason:
        raise ValidationError(reason)
    report.period = Period.objects.filter(year=report.year, month=report.month, half=report.half).first()
    before = audit_snapshot(ProgressReport.objects.get(pk=report.pk)) if report.pk else {}
    if before and before == audit_snapshot(report):
        return report
    report.reported_by = by if getattr(by, "pk", None) else None
    report.save()
    audit_record(by=by, instance=report, before=before, subject=report.project, source=source)
    project_light_refresh(report.project)
    return report


def progress_table(project: Project, year: int) -> list[dict[str, Any]]:
    """The year's months with month, year-to-date and since-start investment derived from the reports."""
    reports = {r.month: r for r in project.reports.filter(year=year)}
    before_year = project.invested_before + (
        project.reports.filter(year__lt=year).aggregate(total=Sum("invested"))["total"] or ZERO
    )
    plan = project.plans.filter(year=year).values_list("amount", flat=True).first()
    rows = []
    ytd = ZERO
    for month in range(1, 13):
        report = reports.get(month)
        if report is not None:
            ytd += report.invested
        rows.append(
            {
                "month": month,
                "report": report,
                "ytd": ytd if report is not None or month < max(reports, default=0) else None,
                "since_start": before_year + ytd if report is not None else None,
                "plan_share": (plan * month / 12).quantize(Decimal("0.01")) if plan else None,
            }
        )
    return rows
