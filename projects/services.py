"""Writes to the ledger. Each one is atomic, records its changes and refreshes the light."""
from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.db.models import Sum
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from pypinyin import Style, lazy_pinyin

from audit.services import audit_delete, audit_record, audit_snapshot
from core import clock, hooks
from core import district as district_settings
from core.hooks import HandedIn
from core.models import Period
from core.policies import can
from projects import rules
from projects.importing.values import fold
from projects.models import (
    ZERO,
    AnnualPlan,
    LedgerState,
    Milestone,
    MilestoneTemplate,
    OpeningBalance,
    ProgressReport,
    Project,
    ProjectChange,
    ProjectYear,
)

# The district's clock and calendar live in core; these names stay for the callers in projects.
today = clock.today
work_calendar = clock.work_calendar


def light_thresholds() -> rules.LightThresholds:
    return rules.LightThresholds.from_mapping(district_settings.light_thresholds_mapping())


def search_name(name: str) -> str:
    """What the ledger's search and a list import match, besides the name as typed: the name folded
    (``projects.importing.values.fold``: traditional to simplified, full-width to half-width)."""
    return fold(name)[:100]


def name_initials(name: str) -> str:
    """Pinyin initials for search; punctuation and spaces dropped, so "cyyyq" finds 产业园（一期）."""
    letters = "".join(lazy_pinyin(name, style=Style.FIRST_LETTER, errors="default")).lower()
    return "".join(ch for ch in letters if ch.isalnum())[:100]


# --- lights -------------------------------------------------------------------------------
#
# Which figures feed the light (docs/rules.md): the live ones, reviewed or not. The months of
# the year up to the assessment date count; a month whose progress the project office has not
# approved yet is named in the light's reasons ("含未审核数据"), so nobody takes it as reviewed.

def _month_label(year: int, month: int, half: int) -> str:
    if half == 1:
        return _("%(year)d年%(month)d月上半月") % {"year": year, "month": month}
    if half == 2:
        return _("%(year)d年%(month)d月下半月") % {"year": year, "month": month}
    return _("%(year)d年%(month)d月") % {"year": year, "month": month}


def _reports_used(as_of: dt.date) -> Any:
    """Progress rows a light as of ``as_of`` adds up: the year's months up to that date's month."""
    return ProgressReport.objects.filter(year=as_of.year, month__lte=as_of.month)


def _openings_used(as_of: dt.date) -> Any:
    """Openings (开账) a light as of ``as_of`` adds: the year's, when they end by that date's month."""
    return OpeningBalance.objects.filter(year=as_of.year, through_month__lte=as_of.month)


def opening_words(opening: OpeningBalance | None) -> str:
    """An opening in the words a light's reason and the project page use: "2026年1—10月开账 3,000.00 万元"."""
    if opening is None:
        return ""
    return _("%(months)s开账 %(amount)s 万元") % {
        "months": opening.months_text, "amount": rules.money_text(opening.invested),
    }


def _unreviewed_months(project_ids: Iterable[int], as_of: dt.date) -> dict[int, list[str]]:
    months: dict[int, list[str]] = defaultdict(list)
    rows = (
        _reports_used(as_of).filter(project_id__in=list(project_ids), approved=False)
        .order_by("project_id", "month", "half").values_list("project_id", "year", "month", "half")
    )
    for project_id, year, month, half in rows:
        months[project_id].append(_month_label(year, month, half))
    return months


def _facts(
    project: Project, milestones: Iterable[Milestone], plan: Decimal | None, ytd: Decimal,
    unreviewed: Iterable[str] = (), opening: OpeningBalance | None = None,
) -> rules.ProjectFacts:
    return rules.ProjectFacts(
        stage=project.stage,
        planned_start=project.planned_start,
        actual_start=project.actual_start,
        milestones=[rules.MilestoneFact(m.name, m.planned_date, m.actual_date) for m in milestones],
        annual_plan=plan,
        invested_ytd=ytd,
        unreviewed=tuple(unreviewed),
        planned_completion=project.planned_completion,
        opening=opening_words(opening),
    )


def project_light(project: Project, *, as_of: dt.date | None = None) -> rules.LightResult:
    """The light of one project computed now from the database, with its reasons."""
    as_of = as_of or today()
    plan = project.plans.filter(year=as_of.year).values_list("amount", flat=True).first()
    ytd = _reports_used(as_of).filter(project=project).aggregate(total=Sum("invested"))["total"] or ZERO
    opening = _openings_used(as_of).filter(project=project).first()
    if opening is not None:
        ytd += opening.invested
    return rules.compute_light(
        _facts(
            project, project.milestones.all(), plan, ytd, _unreviewed_months([project.pk], as_of)[project.pk],
            opening,
        ),
        as_of=as_of,
        thresholds=light_thresholds(),
    )


def project_light_of(
    project: Project, *, milestones: Iterable[Milestone], plans: Iterable[AnnualPlan],
    reports: Iterable[ProgressReport], as_of: dt.date, openings: Iterable[OpeningBalance] = (),
) -> rules.LightResult:
    """``project_light`` from rows already read (the project page has them), without a query."""
    used = sorted(
        (r for r in reports if r.year == as_of.year and r.month <= as_of.month), key=lambda r: (r.month, r.half)
    )
    plan = next((p.amount for p in plans if p.year == as_of.year), None)
    unreviewed = [_month_label(r.year, r.month, r.half) for r in used if not r.approved]
    opening = next((o for o in openings if o.year == as_of.year and o.through_month <= as_of.month), None)
    ytd = sum((r.invested for r in used), opening.invested if opening else ZERO)
    return rules.compute_light(
        _facts(project, milestones, plan, ytd, unreviewed, opening),
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
def lights_refresh_all(
    *, as_of: dt.date | None = None, batch: int = 2000, project_ids: Iterable[int] | None = None
) -> dict[str, int]:
    """Recompute every project's light (or those of ``project_ids``), a fixed number of queries per batch."""
    as_of = as_of or today()
    thresholds = light_thresholds()
    counts: dict[str, int] = defaultdict(int)
    # Withdrawn and proposed projects are not in the ledger: their lights are not kept up to date.
    projects_all = (
        Project.objects.in_ledger() if project_ids is None else Project.objects.filter(pk__in=list(project_ids))
    )
    ids = list(projects_all.order_by("pk").values_list("pk", flat=True))
    for start in range(0, len(ids), batch):
        chunk = ids[start : start + batch]
        projects = list(Project.objects.filter(pk__in=chunk).prefetch_related("milestones"))
        plans = dict(
            AnnualPlan.objects.filter(project_id__in=chunk, year=as_of.year).values_list("project_id", "amount")
        )
        ytd = dict(
            _reports_used(as_of).filter(project_id__in=chunk)
            .values("project_id").annotate(total=Sum("invested")).values_list("project_id", "total")
        )
        unreviewed = _unreviewed_months(chunk, as_of)
        openings = {o.project_id: o for o in _openings_used(as_of).filter(project_id__in=chunk)}
        changed = []
        for project in projects:
            opening = openings.get(project.pk)
            result = rules.compute_light(
                _facts(
                    project, project.milestones.all(), plans.get(project.pk),
                    (ytd.get(project.pk) or ZERO) + (opening.invested if opening else ZERO),
                    unreviewed.get(project.pk, ()), opening,
                ),
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


# --- the ledger's year figures (ProjectYear) --------------------------------------------------

YearFigures = dict[tuple[int, int], tuple[Decimal, Decimal | None]]


def _year_sums(project_ids: Iterable[int] | None, years: Iterable[int] | None) -> YearFigures:
    """{(project, year): (invested year-to-date, plan)} as the reports, openings and plans give them, for the
    pairs that have a plan or something invested (the rows ``ProjectYear`` keeps)."""
    reports = ProgressReport.objects.order_by()
    plans = AnnualPlan.objects.order_by()
    openings = OpeningBalance.objects.order_by()
    if project_ids is not None:
        ids = list(project_ids)
        reports, plans = reports.filter(project_id__in=ids), plans.filter(project_id__in=ids)
        openings = openings.filter(project_id__in=ids)
    if years is not None:
        wanted = list(years)
        reports, plans = reports.filter(year__in=wanted), plans.filter(year__in=wanted)
        openings = openings.filter(year__in=wanted)
    ytd: dict[tuple[int, int], Decimal] = {
        (project_id, year): total
        for project_id, year, total in reports.values("project_id", "year").annotate(total=Sum("invested"))
        .values_list("project_id", "year", "total")
    }
    for project_id, year, invested in openings.values_list("project_id", "year", "invested"):
        ytd[(project_id, year)] = (ytd.get((project_id, year)) or ZERO) + invested
    amounts = {
        (project_id, year): amount for project_id, year, amount in plans.values_list("project_id", "year", "amount")
    }
    figures: YearFigures = {}
    for key in ytd.keys() | amounts.keys():
        invested, plan = ytd.get(key) or ZERO, amounts.get(key)
        if plan is not None or invested != ZERO:
            figures[key] = (invested, plan)
    return figures


def year_figures_refresh(*, project_ids: Iterable[int], years: Iterable[int]) -> None:
    """Rewrite the ledger's figures (``ProjectYear``) of these projects in these years from their
    reports and plans. Every service that changes a report's amount or year, or a plan, calls it in
    its own transaction; so does any other code that writes them (a correction's approval).
    """
    ids, wanted = sorted(set(project_ids)), sorted(set(years))
    if not ids or not wanted:
        return
    with transaction.atomic():
        # Make the rows exist, then lock them in a fixed order: a second writer of the same project
        # and year waits here until the first commits, and then sums the first one's report too.
        ProjectYear.objects.bulk_create(
            [ProjectYear(project_id=pk, year=year) for pk in ids for year in wanted], ignore_conflicts=True
        )
        rows = list(
            ProjectYear.objects.select_for_update().filter(project_id__in=ids, year__in=wanted)
            .order_by("project_id", "year")
        )
        figures = _year_sums(ids, wanted)
        empty, changed = [], []
        for row in rows:
            found = figures.get((row.project_id, row.year))
            if found is None:
                empty.append(row.pk)
            elif (row.invested_ytd, row.plan) != found or row.rate != ProjectYear.rate_of(*found):
                row.invested_ytd, row.plan = found
                row.rate = ProjectYear.rate_of(*found)
                changed.append(row)
        if empty:
            ProjectYear.objects.filter(pk__in=empty).delete()
        if changed:
            ProjectYear.objects.bulk_update(changed, ["invested_ytd", "plan", "rate"])


def year_figures_rebuild(*, project_ids: Iterable[int] | None = None, batch: int = 5000) -> int:
    """Rebuild ``ProjectYear`` from every report and plan (of ``project_ids``, or of every project), in
    batches of projects so memory stays flat. For bulk loads (demo, benchmark) and
    ``manage.py rebuild_year_figures``; returns the number of rows written."""
    scope = Project.objects.all() if project_ids is None else Project.objects.filter(pk__in=list(project_ids))
    ids = list(scope.order_by("pk").values_list("pk", flat=True))
    written = 0
    with transaction.atomic():
        if project_ids is None:
            ProjectYear.objects.all().delete()
        for start in range(0, len(ids), batch):
            chunk = ids[start : start + batch]
            if project_ids is not None:
                ProjectYear.objects.filter(project_id__in=chunk).delete()
            rows = [
                ProjectYear(project_id=pk, year=year, invested_ytd=invested, plan=plan,
                            rate=ProjectYear.rate_of(invested, plan))
                for (pk, year), (invested, plan) in sorted(_year_sums(chunk, None).items())
            ]
            ProjectYear.objects.bulk_create(rows, batch_size=2000)
            written += len(rows)
    return written


def year_figures_differences(*, project_ids: Iterable[int] | None = None) -> list[str]:
    """Where ``ProjectYear`` disagrees with the reports and plans, in words; empty when it agrees."""
    if project_ids is not None:
        project_ids = list(project_ids)
    rows = ProjectYear.objects.all() if project_ids is None else ProjectYear.objects.filter(project_id__in=project_ids)
    stored = {(r.project_id, r.year): (r.invested_ytd, r.plan, r.rate) for r in rows}
    sums = _year_sums(project_ids, None)
    live = {key: (ytd, plan, ProjectYear.rate_of(ytd, plan)) for key, (ytd, plan) in sums.items()}
    return [
        f"project {pk} year {year}: stored {stored.get((pk, year))}, computed {live.get((pk, year))}"
        for pk, year in sorted(stored.keys() | live.keys())
        if stored.get((pk, year)) != live.get((pk, year))
    ]


# --- projects -----------------------------------------------------------------------------

def _save_plans(*, by: Any, project: Project, plans: Mapping[int, Decimal | None], source: str) -> None:
    existing = {p.year: p for p in project.plans.all()}
    changed: set[int] = set()
    for year, amount in plans.items():
        plan = existing.get(year)
        if amount is None:
            if plan is not None:
                audit_delete(by=by, instance=plan, subject=project, source=source)
                changed.add(year)
            continue
        before = audit_snapshot(plan)
        if plan is None:
            plan = AnnualPlan(project=project, year=year, amount=amount)
        elif plan.amount == amount:
            continue
        plan.amount = amount
        plan.save()
        audit_record(by=by, instance=plan, before=before, subject=project, source=source)
        changed.add(year)
    year_figures_refresh(project_ids=[project.pk], years=changed)


# Fields of a project in the ledger that only the office changes. A unit asks for the adjustable
# ones through a 调整 request; the lead unit decides which unit's report carries the project
# (and who may write its progress), so only the office moves it, never a unit.
ADJUSTABLE_FIELDS = ("level", "total_investment", "planned_start", "planned_completion")
OFFICE_FIELDS = ("lead_unit", *ADJUSTABLE_FIELDS)


def _is_office(user: Any) -> bool:
    """Whether ``user`` acts as the office, who writes into the ledger directly (``by`` may be None: a script)."""
    return can(user, "projects.decide_changes")


def _closed_unit_report(unit_ids: Iterable[int | None]) -> HandedIn | None:
    """A unit report of these units that is submitted or approved in a period not yet published.

    Such a report covers every project its unit leads, as handed in: taking a project out of it
    (or adding one) would change a report behind the back of the unit and the reviewer. The
    reporting module answers (core.hooks.handed_in).
    """
    return hooks.handed_in.first(unit_ids=hooks.unit_ids_of(unit_ids), period=None)


def project_move_lock_reason(*, project: Project, to_unit_id: int | None = None) -> str | None:
    """Why the project cannot change its lead unit now, or None. The office is bound too."""
    closed = _closed_unit_report([project.lead_unit_id, to_unit_id])
    if closed is None:
        return None
    return _(
        "%(unit)s%(period)s的月报%(state)s，不能调入或调出项目；请先由项目办退回该月报，再调整牵头单位。"
    ) % {"unit": closed.unit, "period": closed.period.label, "state": closed.state_label}


def project_withdraw_lock_reason(*, project: Project) -> str | None:
    """Why the project cannot leave the ledger now, or None."""
    closed = _closed_unit_report([project.lead_unit_id])
    if closed is None:
        return None
    return _(
        "%(unit)s%(period)s的月报%(state)s，其中包含本项目，暂不能退库；请先由项目办退回该月报，或在该期发布后再办理。"
    ) % {"unit": closed.unit, "period": closed.period.label, "state": closed.state_label}


def _check_office_fields(*, by: Any, project: Project, stored: Project | None) -> None:
    """Refuse what a form cannot stop: a crafted request, an import, a script acting as a unit."""
    if stored is None:
        if not _is_office(by) and project.ledger_state != LedgerState.PROPOSED:
            raise ValidationError(_("只有项目办可以将项目直接纳入项目库；单位新增的项目须提交入库申请。"))
        return
    if project.ledger_state != stored.ledger_state and not _is_office(by):
        raise ValidationError(_("只有项目办可以将项目纳入或移出项目库。"))
    changed = [name for name in OFFICE_FIELDS if getattr(project, f"{name}_id" if name == "lead_unit" else name)
               != getattr(stored, f"{name}_id" if name == "lead_unit" else name)]
    if changed and not _is_office(by) and stored.ledger_state != LedgerState.PROPOSED:
        raise ValidationError(
            _("牵头单位、项目级别、总投资和计划日期只有项目办可以修改；如需调整，请提交调整申请。")
        )
    if project.lead_unit_id != stored.lead_unit_id and stored.ledger_state == LedgerState.ACTIVE:
        reason = project_move_lock_reason(project=stored, to_unit_id=project.lead_unit_id)
        if reason:
            raise ValidationError(reason)


@transaction.atomic
def project_save(
    *,
    by: Any,
    project: Project,
    plans: Mapping[int, Decimal | None] | None = None,
    source: str = "form",
    reason: str = "",
    co_units: Iterable[Any] | None = None,
) -> Project:
    """Create or update ``project`` (an instance carrying the new values) and its annual plans.

    The office writes straight into the ledger. Anyone else creates a proposal (入库申请, with
    ``reason``) that enters the ledger when the office approves it, and cannot change the fields
    the office controls. Returns the saved project; an update that changes nothing writes nothing.
    """
    before: dict[str, tuple[str, str]] = {}
    stored = Project.objects.select_for_update().get(pk=project.pk) if project.pk else None
    if stored is None and not _is_office(by):
        project.ledger_state = LedgerState.PROPOSED
    _check_office_fields(by=by, project=project, stored=stored)
    if stored is not None:
        before = audit_snapshot(stored)
    project.initials = name_initials(fold(project.name))
    project.search_name = search_name(project.name)
    after = audit_snapshot(project)
    co_unit_ids = None if co_units is None else {getattr(unit, "pk", unit) for unit in co_units}
    if co_unit_ids is not None and co_unit_ids and not _is_office(by):
        raise ValidationError(_("配合单位只有项目办可以设定。"))
    co_changed = co_unit_ids is not None and (
        stored is None or co_unit_ids != set(stored.co_units.values_list("pk", flat=True))
    )
    if not project.pk or before != after or co_changed:
        project.save()
        if co_changed:
            project.co_units.set(co_unit_ids or ())
        audit_record(by=by, instance=project, before=before, source=source)
    if plans:
        _save_plans(by=by, project=project, plans=plans, source=source)
    if stored is None and project.ledger_state == LedgerState.PROPOSED:
        if not reason.strip() and source == "excel":
            reason = _("通过 Excel 导入提交")
        _change_create(by=by, project=project, kind=ProjectChange.Kind.ENTER, proposed={}, reason=reason)
    project_light_refresh(project)
    return project


def project_delete_refusal(project: Project, *, reported: bool | None = None) -> str | None:
    """Why the project cannot be deleted, or None. Reported months are history: withdraw instead.
    ``reported``: whether it has reports, when the caller has read them already."""
    if project.reports.exists() if reported is None else reported:
        text = _("项目 %(name)s 已有月度进度记录，历史数据不能删除；如项目不再调度，请办理退库。")
        return text % {"name": project.name}
    return None


@transaction.atomic
def project_delete(*, by: Any, project: Project) -> None:
    """Delete a project that was never reported (a mistaken entry, a refused proposal). Office only."""
    if not can(by, "projects.delete", project):
        raise PermissionDenied
    refusal = project_delete_refusal(project)
    if refusal:
        raise ValidationError(refusal)
    audit_delete(by=by, instance=project)


@transaction.atomic
def project_withdraw(*, by: Any, project: Project, reason: str, on: dt.date | None = None) -> Project:
    """Take a project out of the ledger (退库). Everything it reported stays and keeps pointing to it;
    it is no longer listed, mapped or reported in new periods. Office only."""
    if not _is_office(by):
        raise PermissionDenied
    if not reason.strip():
        raise ValidationError(_("请填写退库原因。"))
    stored = Project.objects.select_for_update().get(pk=project.pk)
    if stored.ledger_state != LedgerState.ACTIVE:
        raise ValidationError(_("该项目不在项目库中，不能退库。"))
    lock = project_withdraw_lock_reason(project=stored)
    if lock:
        raise ValidationError(lock)
    before = audit_snapshot(stored)
    stored.ledger_state = LedgerState.WITHDRAWN
    stored.withdrawn_on = on or today()
    stored.withdrawn_by = by
    stored.withdrawal_reason = reason.strip()
    stored.save(update_fields=["ledger_state", "withdrawn_on", "withdrawn_by", "withdrawal_reason", "updated_at"])
    audit_record(by=by, instance=stored, before=before, source="withdraw")
    for name in ("ledger_state", "withdrawn_on", "withdrawn_by_id", "withdrawal_reason"):
        setattr(project, name, getattr(stored, name))
    return project


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
    audit_delete(by=by, instance=milestone, subject=project)
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
    opening = OpeningBalance.objects.filter(project=project, year=year, through_month__gte=month).first()
    if opening is not None:
        return _("%(months)s的投资已作为年初累计（开账）录入，不再逐月填报；如需更正，请项目办修改开账数。") % {
            "months": opening.months_text,
        }
    period = Period.objects.filter(
        year=year, month=month, half=half, kind__in=[Period.Kind.MONTH, Period.Kind.HALF]
    ).first()
    if period is None:
        return None
    if period.is_frozen:
        return period.frozen_message()
    if can(user, "projects.reviewed_entry"):
        return None
    handed_in = hooks.handed_in.first(unit_ids={project.lead_unit_id}, period=period)
    if handed_in is not None:
        return _("%(unit)s%(period)s的月报%(state)s，不能再修改；如需修改请联系项目办退回。") % {
            "unit": handed_in.unit, "period": period.label, "state": handed_in.state_label
        }
    return None


@transaction.atomic
def progress_save(*, by: Any, report: ProgressReport, source: str = "form") -> ProgressReport:
    """Save one month's progress, attached to its reporting period when the district has opened one."""
    reason = progress_lock_reason(
        project=report.project, year=report.year, month=report.month, half=report.half, user=by
    )
    if reason:
        raise ValidationError(reason)
    report.period = Period.objects.filter(
        year=report.year, month=report.month, half=report.half, kind__in=[Period.Kind.MONTH, Period.Kind.HALF]
    ).first()
    stored = ProgressReport.objects.get(pk=report.pk) if report.pk else None
    before = audit_snapshot(stored) if stored is not None else {}
    if before and before == audit_snapshot(report):
        return report
    report.reported_by = by if getattr(by, "pk", None) else None
    # A unit's change is unreviewed until the office approves its report; the office's own counts as reviewed.
    report.approved = can(by, "projects.reviewed_entry")
    report.save()
    audit_record(by=by, instance=report, before=before, subject=report.project, source=source)
    # The year the report was in too, when an edit moved it to another one.
    year_figures_refresh(
        project_ids={report.project_id, *([stored.project_id] if stored else [])},
        years={report.year, *([stored.year] if stored else [])},
    )
    project_light_refresh(report.project)
    return report


def progress_before(
    *, project: Project, year: int, month: int, half: int, exclude_pk: int | None = None
) -> rules.ProgressBefore:
    """What the shared progress rule compares a period's figures with: the reports before it."""
    earlier = project.reports.filter(
        models.Q(year__lt=year) | models.Q(year=year, month__lt=month) | models.Q(year=year, month=month, half__lt=half)
    )
    if exclude_pk is not None:
        earlier = earlier.exclude(pk=exclude_pk)
    total = earlier.aggregate(total=Sum("invested"))["total"] or ZERO
    openings = project.openings.filter(models.Q(year__lt=year) | models.Q(year=year, through_month__lt=month))
    total += openings.aggregate(total=Sum("invested"))["total"] or ZERO
    last_percent = earlier.order_by("-year", "-month", "-half").values_list("progress_percent", flat=True).first()
    return rules.ProgressBefore(
        total_investment=project.total_investment,
        invested_before_period=project.invested_before + total,
        last_percent=last_percent,
    )


def progress_table(
    project: Project, year: int, *, reports: Iterable[ProgressReport] | None = None,
    plans: Iterable[AnnualPlan] | None = None, openings: Iterable[OpeningBalance] | None = None,
) -> list[dict[str, Any]]:
    """The year's periods with period, year-to-date and since-start investment derived from the reports.

    One row a month (``half`` 0), or one a half-month (``half`` 1 and 2) where the district reports
    twice a month or a month's reports came in halves: every report has its row, none is lost.
    ``reports``, ``plans`` and ``openings``, when given, are all of the project's (read once by the
    caller). A year's opening balance (开账) counts at the end of its month: that row carries it
    (``opening``) and the months it covers have none.
    """
    if reports is None:
        reports = project.reports.filter(year__lte=year)
    if plans is None:
        plans = project.plans.filter(year=year)
    if openings is None:
        openings = project.openings.filter(year__lte=year)
    every = list(reports)
    every_opening = list(openings)
    opening = next((o for o in every_opening if o.year == year), None)
    before_year = (
        project.invested_before + sum((r.invested for r in every if r.year < year), ZERO)
        + sum((o.invested for o in every_opening if o.year < year), ZERO)
    )
    by_period = {(r.month, r.half): r for r in every if r.year == year}
    plan = next((p.amount for p in plans if p.year == year), None)
    default_halves = (1, 2) if district_settings.district().report_half_month else (0,)
    keys = []
    for month in range(1, 13):
        halves = sorted({half for (m, half) in by_period if m == month}) or default_halves
        keys += [(month, half) for half in halves]
    last_reported = max(by_period, default=(0, 0))
    # The opening sits on its month's last row (the second half where the month has halves).
    opening_key = max(key for key in keys if key[0] == opening.through_month) if opening is not None else None
    if opening_key is not None:
        last_reported = max(last_reported, opening_key)
    rows = []
    ytd = ZERO
    for month, half in keys:
        report = by_period.get((month, half))
        opened = opening if (month, half) == opening_key else None
        if report is not None:
            ytd += report.invested
        if opened is not None:
            ytd += opened.invested
        # The plan's share at the end of the period: the first half ends mid-month.
        elapsed = Decimal(month) - (Decimal("0.5") if half == 1 else 0)
        known = report is not None or opened is not None
        rows.append(
            {
                "month": month,
                "half": half,
                "report": report,
                "opening": opened,
                "ytd": ytd if known or (month, half) < last_reported else None,
                "since_start": before_year + ytd if known else None,
                "plan_share": (plan * elapsed / 12).quantize(Decimal("0.01")) if plan else None,
            }
        )
    return rows


# --- the year's opening balance (年初累计，开账) ----------------------------------------------------

def opening_refusal(opening: OpeningBalance, *, today_: dt.date | None = None) -> str | None:
    """Why this opening cannot be saved, in words, or None.

    It covers months that have ended, for which the project has no monthly report (the year's
    cumulative would count them twice) and whose reporting period, where the district opened one,
    is published: a month still open is reported month by month like any other.
    """
    now = today_ or today()
    if (opening.year, opening.through_month) >= (now.year, now.month):
        return _("开账只能录入已经结束的月份：%(months)s尚未结束，本月及以后请按月填报。") % {
            "months": opening.months_text,
        }
    reported = (
        ProgressReport.objects.filter(project_id=opening.project_id, year=opening.year,
                                      month__lte=opening.through_month)
        .order_by("month", "half").values_list("month", flat=True).first()
    )
    if reported is not None:
        return _("该项目已填报%(year)d年%(month)d月的月度进度，"
                 "开账只能覆盖没有月报的月份（1月至首次填报的前一个月）。") % {
            "year": opening.year, "month": reported,
        }
    unpublished = (
        Period.objects.filter(
            year=opening.year, month__lte=opening.through_month, kind__in=[Period.Kind.MONTH, Period.Kind.HALF]
        ).exclude(state=Period.State.PUBLISHED).order_by("month", "half").first()
    )
    if unpublished is not None:
        return _("%(period)s尚未发布，该月请按月填报；开账只能覆盖调度期已发布的月份。") % {"period": unpublished.label}
    return None


@transaction.atomic
def opening_save(*, by: Any, opening: OpeningBalance, source: str = "form") -> OpeningBalance:
    """Enter or change a year's opening balance: office only, audited, then the year's figures and the light."""
    if not can(by, "projects.enter_opening", opening.project):
        raise PermissionDenied
    # The project's row locked: a monthly report saved meanwhile waits, then sees the opening.
    Project.objects.select_for_update().filter(pk=opening.project_id).first()
    reason = opening_refusal(opening)
    if reason:
        raise ValidationError(reason)
    stored = OpeningBalance.objects.filter(pk=opening.pk).first() if opening.pk else None
    before = audit_snapshot(stored) if stored is not None else {}
    if before and before == audit_snapshot(opening):
        return opening
    opening.entered_by = by if getattr(by, "pk", None) else None
    opening.save()
    audit_record(by=by, instance=opening, before=before, subject=opening.project, source=source)
    year_figures_refresh(
        project_ids={opening.project_id}, years={opening.year, *([stored.year] if stored else [])}
    )
    project_light_refresh(opening.project)
    return opening


@transaction.atomic
def opening_delete(*, by: Any, opening: OpeningBalance) -> None:
    """Remove an opening entered by mistake; the audit keeps its values."""
    if not can(by, "projects.enter_opening", opening.project):
        raise PermissionDenied
    project, year = opening.project, opening.year
    audit_delete(by=by, instance=opening, subject=project)
    year_figures_refresh(project_ids={project.pk}, years={year})
    project_light_refresh(project)


# --- ledger changes (入库、调整、退库) ------------------------------------------------------

def _as_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return f"{value:.2f}"
    return str(value)


def _field_text(project: Project, name: str) -> str:
    """A field's value as a change request stores it (``proposed`` and ``current``)."""
    return _as_text(getattr(project, name))


def change_values(project: Project, values: Mapping[str, Any]) -> dict[str, str]:
    """The requested values that differ from the project's, as text."""
    proposed = {}
    for name in ADJUSTABLE_FIELDS:
        if name in values and values[name] != getattr(project, name):
            proposed[name] = _as_text(values[name])
    return proposed


def _change_create(
    *, by: Any, project: Project, kind: str, proposed: Mapping[str, str], reason: str
) -> ProjectChange:
    if ProjectChange.objects.filter(project=project, kind=kind, state=ProjectChange.State.PENDING).exists():
        raise ValidationError(_("该项目已有一个待审核的%(kind)s申请，请等项目办审核后再提交。") % {
            "kind": ProjectChange.Kind(kind).label
        })
    change = ProjectChange.objects.create(
        project=project,
        kind=kind,
        proposed=dict(proposed),
        current={name: _field_text(project, name) for name in proposed},
        reason=reason.strip(),
        requested_by=by,
    )
    audit_record(by=by, instance=change, before={}, subject=project, source="change")
    return change


@transaction.atomic
def project_change_request(
    *, by: Any, project: Project, kind: str, reason: str, values: Mapping[str, Any] | None = None
) -> ProjectChange:
    """A unit asks the office to adjust (调整) or withdraw (退库) a project in the ledger.

    (入库 requests are made by ``project_save`` when a unit creates a project.)
    """
    if not reason.strip():
        raise ValidationError(_("请填写申请理由。"))
    project = Project.objects.select_for_update().get(pk=project.pk)
    if project.ledger_state != LedgerState.ACTIVE:
        raise ValidationError(_("该项目不在项目库中，不能申请调整或退库。"))
    proposed: dict[str, str] = {}
    if kind == ProjectChange.Kind.ADJUST:
        proposed = change_values(project, values or {})
        if not proposed:
            raise ValidationError(_("申请的数值与现有数值相同，没有需要调整的内容。"))
    elif kind != ProjectChange.Kind.WITHDRAW:
        raise ValidationError(_("不支持的申请类型。"))
    return _change_create(by=by, project=project, kind=kind, proposed=proposed, reason=reason)


def _change_claim(*, by: Any, change: ProjectChange, version: int, state: str, note: str) -> ProjectChange:
    """Decide the change if nobody else has since: the version check is one UPDATE, so of two
    office users deciding at once exactly one wins and the other is told."""
    if not _is_office(by):
        raise PermissionDenied
    now = timezone.now()
    won = ProjectChange.objects.filter(
        pk=change.pk, version=version, state=ProjectChange.State.PENDING
    ).update(state=state, decided_by=by, decided_at=now, decision_note=note.strip(), version=version + 1)
    if not won:
        raise ValidationError(_("该申请刚刚已被他人处理，请刷新页面查看最新状态。"))
    before = audit_snapshot(change)
    change.refresh_from_db()
    audit_record(by=by, instance=change, before=before, subject=change.project, source="change")
    return change


@transaction.atomic
def project_change_approve(*, by: Any, change: ProjectChange, version: int, note: str = "") -> ProjectChange:
    """Approve a request and carry it out on the project, audited like the office's own edits."""
    change = _change_claim(by=by, change=change, version=version, state=ProjectChange.State.APPROVED, note=note)
    project = Project.objects.get(pk=change.project_id)
    if change.kind == ProjectChange.Kind.ENTER:
        if project.ledger_state != LedgerState.PROPOSED:
            raise ValidationError(_("该项目已不是待审核入库状态。"))
        project.ledger_state = LedgerState.ACTIVE
        project_save(by=by, project=project, source="change")
    elif change.kind == ProjectChange.Kind.ADJUST:
        for name, text in change.proposed.items():
            if name not in ADJUSTABLE_FIELDS:
                continue
            field = Project._meta.get_field(name)
            assert isinstance(field, models.Field)
            setattr(project, name, field.to_python(text or None))
        project.full_clean(exclude=["code"])
        project_save(by=by, project=project, source="change")
    else:
        project_withdraw(by=by, project=project, reason=change.reason)
    return change


@transaction.atomic
def project_change_reject(*, by: Any, change: ProjectChange, version: int, note: str) -> ProjectChange:
    """Refuse a request with the office's reasons; a refused proposal stays out of the ledger."""
    if not note.strip():
        raise ValidationError(_("驳回时请填写审核意见。"))
    change = _change_claim(by=by, change=change, version=version, state=ProjectChange.State.REJECTED, note=note)
    if change.kind == ProjectChange.Kind.ENTER:
        project = Project.objects.get(pk=change.project_id)
        if project.ledger_state == LedgerState.PROPOSED:
            project.ledger_state = LedgerState.REJECTED
            project_save(by=by, project=project, source="change")
    return change
