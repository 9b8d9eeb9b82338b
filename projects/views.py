"""Ledger pages. Every view scopes its queryset to the user before using it."""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import ProtectedError
from django.forms import BaseModelFormSet, modelformset_factory
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from audit.services import history_for
from core import hooks
from core.policies import can, require
from org.access import current_user
from projects import rules, selectors, services
from projects.forms import (
    AdjustRequestForm,
    BaseMilestoneFormSet,
    ChangeDecisionForm,
    LedgerFilterForm,
    MilestoneForm,
    OpeningForm,
    ProgressForm,
    ProjectForm,
    ScheduleForm,
    WithdrawForm,
)
from projects.models import Level, Milestone, OpeningBalance, ProgressReport, Project, ProjectChange
from projects.selectors import PAGE_SIZE, SORTS, ledger_queryset, ledger_year

__all__ = ["PAGE_SIZE", "SORTS", "ledger_queryset", "ledger_year"]  # ledger_* also serve the Excel export


def _get_project(request: HttpRequest, pk: int, *, write: bool = False) -> Project:
    """The project if the user may see (or, with ``write``, change) it.

    Out of scope is 404, so a reporter learns nothing about other units' projects;
    in scope but read-only is 403.
    """
    user = current_user(request)
    scoped = Project.objects.editable_by(user) if write else Project.objects.visible_to(user)
    project = (
        scoped.select_related("lead_unit", "town", "responsible_leader", "category", "funding_source")
        .filter(pk=pk).first()
    )
    if project is not None:
        return project
    if write and Project.objects.visible_to(user).filter(pk=pk).exists():
        raise PermissionDenied
    raise Http404


# --- the ledger -----------------------------------------------------------------------------

def ledger(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    form = LedgerFilterForm(request.GET or None)
    year = ledger_year(form)
    qs = ledger_queryset(user, form, year)
    # One pass over the listed projects and their year figures for the header and the totals row;
    # proposals and withdrawn projects are not listed, so not counted.
    sort = request.GET.get("sort", "code")
    totals = selectors.ledger_totals(qs, sort=sort)
    page = selectors.ledger_page(qs, year=year, sort=sort, number=request.GET.get("page"), count=totals.count,
                                 block=totals.block)
    rows = selectors.ledger_rows(list(page), user=user)
    partial = bool(request.headers.get("HX-Request"))
    params = request.GET.copy()
    params.pop("page", None)
    context = {
        "form": form,
        "year": year,
        "page": page,
        "rows": rows,
        "totals": totals.as_context(),
        "count": page.paginator.count,
        "light_counts": totals.light_counts,
        "sort": sort,
        "query": params.urlencode(),
        "query_without_sort": urlencode([(k, v) for k, v in params.items() if k != "sort"]),
        "can_create": can(user, "projects.create"),
        # Only the whole page shows the toolbar's badge; the table alone does not count the requests.
        "pending_changes": selectors.pending_changes() if not partial and can(user, "projects.decide_changes") else 0,
        "as_of": services.today(),
    }
    template = "projects/_ledger_table.html" if partial else "projects/ledger.html"
    return render(request, template, context)


# --- one project ----------------------------------------------------------------------------

def _year_param(request: HttpRequest, *, default: int) -> int:
    """``?year=`` from a link someone may have edited by hand: anything unusable means ``default``."""
    raw = request.GET.get("year", "")
    return int(raw) if raw.isdigit() and 2000 <= int(raw) <= 2100 else default


def project_detail(request: HttpRequest, pk: int) -> HttpResponse:
    project = _get_project(request, pk)
    user = current_user(request)
    can_edit = can(user, "projects.edit", project)
    changes = list(project.changes.select_related("requested_by", "decided_by")[:50])
    for change in changes:
        change.rows = _change_rows(change)  # type: ignore[attr-defined]
    as_of = services.today()
    year = _year_param(request, default=as_of.year)
    figures = selectors.project_figures(project, year=year, as_of=as_of)
    milestones, table, plan, ytd = figures.milestones, figures.progress_rows, figures.plan, figures.ytd
    gantt = [
        {
            "id": f"m{m.pk}",
            "name": m.name,
            "planned": m.planned_date.isoformat() if m.planned_date else None,
            "actual": m.actual_date.isoformat() if m.actual_date else None,
        }
        for m in milestones
    ]
    chart = {
        "months": [_("%(month)s月") % {"month": row["month"]} for row in table],
        "invested": [str(row["report"].invested) if row["report"] else None for row in table],
        "ytd": [str(row["ytd"]) if row["ytd"] is not None else None for row in table],
        "plan": [str(row["plan_share"]) if row["plan_share"] is not None else None for row in table],
    }
    context = {
        "project": project,
        "co_units": list(project.co_units.all()),
        "result": figures.light,
        "rules_in_words": rules.rules_in_words(services.light_thresholds()),
        "milestones": [(m, m.overdue_days(as_of)) for m in milestones],
        "progress_rows": table,
        "year": year,
        "plan": plan,
        "ytd": ytd,
        # The light's own rounding (half up), so the page and the light's reason show one number.
        "rate": rules.investment_rate(ytd, plan) if plan else None,
        "since_start": figures.since_start,
        "opening": figures.opening,
        "openings_total": sum((o.invested for o in figures.openings), Decimal(0)),
        "can_enter_opening": can(user, "projects.enter_opening", project),
        "plans": figures.plans,
        "history": history_for(project)[:200],
        "gantt": gantt,
        "chart": chart,
        "can_edit": can_edit,
        "can_report": can(user, "projects.report_progress", project),
        "can_request": can(user, "projects.request_change", project),
        "can_withdraw": can(user, "projects.withdraw", project),
        "can_delete": can(user, "projects.delete", project)
        and services.project_delete_refusal(project, reported=figures.reported) is None,
        "changes": changes,
        "as_of": as_of,
        # Parts other modules add (the project's supervised problems), rendered here so that
        # projects does not import them (core.hooks).
        "sections": [
            render_to_string(section.template, {**section.context, "project": project}, request=request)
            for section in hooks.project_sections.all(project=project, user=user)
        ],
    }
    return render(request, "projects/detail.html", context)


def _get_changeable(request: HttpRequest, pk: int) -> Project:
    project = _get_project(request, pk, write=True)
    require(current_user(request), "projects.edit", project)
    return project


def _save_form(request: HttpRequest, form: ProjectForm, **extra: Any) -> Project | None:
    """Save through the service; a refusal it gives (a lock, a field only the office sets) goes on the form."""
    try:
        if "co_units" in form.fields:
            extra["co_units"] = form.cleaned_data["co_units"]
        return services.project_save(
            by=current_user(request), project=form.save(commit=False), plans=form.plans(), **extra
        )
    except ValidationError as error:
        for message in error.messages:
            form.add_error(None, message)
        return None


@require_http_methods(["GET", "POST"])
def project_create(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    require(user, "projects.create")
    year = services.today().year
    form = ProjectForm(request.POST or None, user=user, year=year, ask_reason=True)
    if request.method == "POST" and form.is_valid():
        project = _save_form(request, form, reason=form.cleaned_data.get("reason", ""))
        if project is not None:
            if project.in_ledger:
                messages.success(request, _("已新增项目 %(name)s。") % {"name": project.name})
            else:
                messages.success(request, _("已提交项目 %(name)s 的入库申请，项目办审核通过后纳入项目库。")
                                 % {"name": project.name})
            return redirect("projects:detail", pk=project.pk)
    return render(request, "projects/form.html", {"form": form, "project": None, "map_config": _picker_map()})


@require_http_methods(["GET", "POST"])
def project_edit(request: HttpRequest, pk: int) -> HttpResponse:
    project = _get_changeable(request, pk)
    user = current_user(request)
    form = ProjectForm(request.POST or None, instance=project, user=user, year=services.today().year)
    if request.method == "POST" and form.is_valid() and _save_form(request, form) is not None:
        messages.success(request, _("已保存。"))
        return redirect("projects:detail", pk=project.pk)
    return render(request, "projects/form.html", {"form": form, "project": project, "map_config": _picker_map()})


@require_POST
def project_delete(request: HttpRequest, pk: int) -> HttpResponse:
    project = _get_project(request, pk, write=True)
    user = current_user(request)
    require(user, "projects.delete", project)
    name = project.name
    try:
        services.project_delete(by=user, project=project)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("projects:detail", pk=project.pk)
    except ProtectedError:
        # Supervised problems and published snapshots are evidence; a project that has them stays.
        text = _("项目 %(name)s 已有督办问题或已发布的调度数据，不能删除；如项目不再调度，请办理退库。")
        messages.error(request, text % {"name": name})
        return redirect("projects:detail", pk=project.pk)
    messages.success(request, _("已删除项目 %(name)s，删除记录已留存。") % {"name": name})
    return redirect("projects:ledger")


# --- changes to the ledger: 入库, 调整, 退库 -------------------------------------------------------

@require_http_methods(["GET", "POST"])
def project_adjust(request: HttpRequest, pk: int) -> HttpResponse:
    """A unit asks to change what the office controls (level, total investment, planned dates)."""
    project = _get_changeable(request, pk)
    user = current_user(request)
    if can(user, "projects.decide_changes"):
        return redirect("projects:edit", pk=project.pk)  # the office changes them directly
    form = AdjustRequestForm(request.POST or None, project=project)
    if request.method == "POST" and form.is_valid():
        try:
            services.project_change_request(
                by=user, project=project, kind=ProjectChange.Kind.ADJUST,
                reason=form.cleaned_data["reason"], values=form.cleaned_data,
            )
        except ValidationError as error:
            for message in error.messages:
                form.add_error(None, message)
        else:
            messages.success(request, _("调整申请已提交，等待项目办审核。"))
            return redirect("projects:detail", pk=project.pk)
    return render(request, "projects/change_request.html",
                  {"project": project, "form": form, "kind": ProjectChange.Kind.ADJUST})


@require_http_methods(["GET", "POST"])
def project_withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    """退库: the office withdraws the project; a unit asks the office to."""
    project = _get_changeable(request, pk)
    user = current_user(request)
    form = WithdrawForm(request.POST or None)
    lock = services.project_withdraw_lock_reason(project=project)
    if request.method == "POST" and form.is_valid():
        reason = form.cleaned_data["reason"]
        try:
            if can(user, "projects.decide_changes"):
                services.project_withdraw(by=user, project=project, reason=reason)
                messages.success(request, _("项目 %(name)s 已退库，历史数据全部保留。") % {"name": project.name})
            else:
                services.project_change_request(
                    by=user, project=project, kind=ProjectChange.Kind.WITHDRAW, reason=reason
                )
                messages.success(request, _("退库申请已提交，等待项目办审核。"))
        except ValidationError as error:
            for message in error.messages:
                form.add_error(None, message)
        else:
            return redirect("projects:detail", pk=project.pk)
    return render(request, "projects/change_request.html",
                  {"project": project, "form": form, "kind": ProjectChange.Kind.WITHDRAW, "lock": lock})


def changes(request: HttpRequest) -> HttpResponse:
    """Requests to the office: the office decides them all; a unit follows its own."""
    user = current_user(request)
    require(user, "projects.create")
    qs = ProjectChange.objects.select_related("project", "project__lead_unit", "requested_by", "decided_by")
    if not can(user, "projects.decide_changes"):
        qs = qs.filter(project__in=Project.objects.visible_to(user))
    pending = list(qs.filter(state=ProjectChange.State.PENDING).order_by("requested_at", "id"))
    decided = list(qs.exclude(state=ProjectChange.State.PENDING).order_by("-decided_at", "-id")[:100])
    for change in [*pending, *decided]:
        change.rows = _change_rows(change)  # type: ignore[attr-defined]
    return render(request, "projects/changes.html", {"pending": pending, "decided": decided})


def _change_rows(change: ProjectChange) -> list[tuple[str, str, str]]:
    """(field label, value when asked, value asked for), with levels in words."""
    levels = dict(Level.choices)
    rows = []
    for name, value in change.proposed.items():
        label = str(getattr(Project._meta.get_field(name), "verbose_name", name))
        old = change.current.get(name, "")
        if name == "level":
            old, value = str(levels.get(old, old)), str(levels.get(value, value))
        rows.append((label, old or "—", value or "—"))
    return rows


@require_POST
def change_decide(request: HttpRequest, pk: int) -> HttpResponse:
    user = current_user(request)
    require(user, "projects.decide_changes")
    change = get_object_or_404(ProjectChange.objects.select_related("project"), pk=pk)
    form = ChangeDecisionForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            for message in errors:
                messages.error(request, str(message))
        return redirect("projects:changes")
    data = form.cleaned_data
    try:
        if data["decision"] == "approve":
            services.project_change_approve(by=user, change=change, version=data["version"], note=data["note"])
            messages.success(request, _("已批准 %(project)s 的%(kind)s申请。")
                             % {"project": change.project, "kind": change.get_kind_display()})
        else:
            services.project_change_reject(by=user, change=change, version=data["version"], note=data["note"])
            messages.success(request, _("已驳回 %(project)s 的%(kind)s申请。")
                             % {"project": change.project, "kind": change.get_kind_display()})
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    return redirect("projects:changes")


MilestoneFormSet = modelformset_factory(
    Milestone, form=MilestoneForm, formset=BaseMilestoneFormSet, extra=1, can_delete=True
)


def _schedule_conflicts(
    project: Project, planned: Iterable[tuple[str, dt.date | None]]
) -> list[rules.ScheduleConflict]:
    """Where these (name, planned date) pairs, in their order, contradict the project's planned dates."""
    return rules.schedule_conflicts(
        [rules.MilestoneFact(name, day, None) for name, day in planned],
        planned_start=project.planned_start,
        planned_completion=project.planned_completion,
    )


def _milestones_page(
    request: HttpRequest, project: Project, *, formset: BaseModelFormSet[Milestone, MilestoneForm],
    schedule_form: ScheduleForm, preview: list[tuple[str, dt.date, bool]] | None = None,
) -> HttpResponse:
    milestones = formset.get_queryset()  # the rows the formset shows, read once for both
    context = {
        "project": project,
        "formset": formset,
        "schedule_form": schedule_form,
        "preview": preview,
        # Warnings, never refusals: the page says where the plan contradicts itself and saves anyway.
        "preview_conflicts": _schedule_conflicts(project, [(name, day) for name, day, _known in preview or []]),
        "conflicts": _schedule_conflicts(project, [(m.name, m.planned_date) for m in milestones]),
    }
    return render(request, "projects/milestones.html", context)


@require_http_methods(["GET", "POST"])
def milestones_edit(request: HttpRequest, pk: int) -> HttpResponse:
    project = _get_changeable(request, pk)
    user = current_user(request)
    formset = MilestoneFormSet(request.POST or None, queryset=project.milestones.all(), prefix="m")
    if request.method == "POST" and formset.is_valid():
        for form in formset.forms:
            if not form.has_changed() and not form.instance.pk:
                continue
            if form in formset.deleted_forms:
                if form.instance.pk:
                    services.milestone_delete(by=user, milestone=form.instance)
                continue
            if form.has_changed():
                milestone = form.save(commit=False)
                milestone.project = project
                services.milestone_save(by=user, milestone=milestone)
        messages.success(request, _("节点已保存。"))
        for conflict in _schedule_conflicts(project, project.milestones.values_list("name", "planned_date")):
            messages.warning(request, conflict.text)
        return redirect("projects:detail", pk=project.pk)
    return _milestones_page(request, project, formset=formset, schedule_form=ScheduleForm(project=project))


@require_POST
def schedule(request: HttpRequest, pk: int) -> HttpResponse:
    """Reverse scheduling: preview the generated dates, then apply them on confirmation.

    The preview warns where the dates contradict the project's planned start or completion or
    run out of order; applying them is still the user's call.
    """
    project = _get_changeable(request, pk)
    form = ScheduleForm(request.POST, project=project)
    preview = None
    if form.is_valid():
        template, target = form.cleaned_data["template"], form.cleaned_data["target"]
        if request.POST.get("confirm"):
            services.schedule_apply(by=current_user(request), project=project, template=template, target=target)
            messages.success(request, _("已按模板倒排生成节点计划日期，可逐个调整。"))
            return redirect("projects:milestones", pk=project.pk)
        calendar = services.work_calendar()
        planned = services.schedule_preview(template=template, target=target)
        preview = [(name, day, calendar.is_known(day)) for name, day in planned]
    formset = MilestoneFormSet(queryset=project.milestones.all(), prefix="m")
    return _milestones_page(request, project, formset=formset, schedule_form=form, preview=preview)


@require_http_methods(["GET", "POST"])
def progress_edit(request: HttpRequest, pk: int, report_pk: int | None = None) -> HttpResponse:
    project = _get_changeable(request, pk)
    # Only projects in the ledger report progress.
    require(current_user(request), "projects.report_progress", project)
    report = get_object_or_404(ProgressReport, pk=report_pk, project=project) if report_pk else None
    initial: dict[str, Any] = {}
    if report is None:
        last_month = services.today().replace(day=1) - dt.timedelta(days=1)
        initial = {"year": last_month.year, "month": last_month.month}
    user = current_user(request)
    form = ProgressForm(request.POST or None, instance=report, initial=initial, project=project, user=user)
    if request.method == "POST" and form.is_valid():
        saved = form.save(commit=False)
        saved.project = project
        try:
            services.progress_save(by=user, report=saved)
        except ValidationError as error:
            # The month was published or handed in after the form checked it: say so on the form.
            for message in error.messages:
                form.add_error(None, message)
        else:
            messages.success(request, _("月度进度已保存。"))
            return redirect(reverse("projects:detail", args=[project.pk]) + f"?year={saved.year}#progress")
    return render(request, "projects/progress_form.html", {"project": project, "form": form, "report": report})


# --- the year's opening balance (开账) ---------------------------------------------------------------

def _get_for_opening(request: HttpRequest, pk: int) -> Project:
    project = _get_project(request, pk)
    require(current_user(request), "projects.enter_opening", project)
    return project


def opening_edit(request: HttpRequest, pk: int, opening_pk: int | None = None) -> HttpResponse:
    """The office enters (or corrects) a year's cumulative up to a month for a project that joined mid-year."""
    project = _get_for_opening(request, pk)
    opening = get_object_or_404(OpeningBalance, pk=opening_pk, project=project) if opening_pk else None
    initial: dict[str, Any] = {}
    if opening is None:
        last_month = services.today().replace(day=1) - dt.timedelta(days=1)
        initial = {"year": last_month.year, "through_month": last_month.month}
        asked = request.GET.get("year", "")
        if asked.isdigit() and int(asked) < last_month.year:
            initial = {"year": int(asked), "through_month": 12}
    form = OpeningForm(request.POST or None, instance=opening, initial=initial, project=project)
    if request.method == "POST" and form.is_valid():
        saved = form.save(commit=False)
        try:
            services.opening_save(by=current_user(request), opening=saved)
        except ValidationError as error:
            for message in error.messages:
                form.add_error(None, message)
        else:
            messages.success(request, _("年初累计（开账）已保存，年度累计和红黄绿灯已随之更新。"))
            return redirect(reverse("projects:detail", args=[project.pk]) + f"?year={saved.year}#progress")
    return render(request, "projects/opening_form.html", {"project": project, "form": form, "opening": opening})


@require_POST
def opening_delete(request: HttpRequest, pk: int, opening_pk: int) -> HttpResponse:
    project = _get_for_opening(request, pk)
    opening = get_object_or_404(OpeningBalance, pk=opening_pk, project=project)
    year = opening.year
    services.opening_delete(by=current_user(request), opening=opening)
    messages.success(request, _("已删除%(year)d年的开账数；删除前的数值保留在审计记录中。") % {"year": year})
    return redirect(reverse("projects:detail", args=[project.pk]) + f"?year={year}#progress")


# --- map ------------------------------------------------------------------------------------

def _picker_map() -> dict[str, Any]:
    """The form's location picker draws the configured tiles, if any (static/js/location_picker.js)."""
    return {"tiles": settings.DIAODU_MAP_TILE_URL, "attribution": settings.DIAODU_MAP_ATTRIBUTION,
            "center": list(settings.DIAODU_MAP_CENTER)}


def project_map(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "projects/map.html",
        {
            "tile_url": settings.DIAODU_MAP_TILE_URL,
            "center": list(settings.DIAODU_MAP_CENTER),
            # For map.js through json_script, which escapes it for the page whatever the text holds.
            "map_config": {
                "points": reverse("projects:map_points"),
                "tiles": settings.DIAODU_MAP_TILE_URL,
                "attribution": settings.DIAODU_MAP_ATTRIBUTION,
                "counted": _("个项目有坐标"),
            },
        },
    )


def map_points(request: HttpRequest) -> JsonResponse:
    rows = (
        Project.objects.visible_to(current_user(request))
        .in_ledger()
        .filter(latitude__isnull=False, longitude__isnull=False)
        .values_list("pk", "code", "name", "light", "light_reasons", "latitude", "longitude")
    )
    # One reverse for the pattern, not one per point: a province map has 20,000 of them.
    detail_url = reverse("projects:detail", args=[0]).replace("/0/", "/{pk}/")
    points = [
        {
            "url": detail_url.format(pk=pk),
            "code": code,
            "name": name,
            "light": light,
            "reasons": [text for _light, text in reasons],
            "lat": float(lat or 0),
            "lng": float(lng or 0),
        }
        for pk, code, name, light, reasons, lat, lng in rows
    ]
    return JsonResponse({"points": points})
