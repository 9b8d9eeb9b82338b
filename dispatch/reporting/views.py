"""Unit reporting for a period (月度填报): the grid, row saves (HTMX), save all, submit, the unit's Excel sheet.

An uploaded sheet with errors is kept for its uploader (``ERROR_UPLOADS``, by a token in the session)
so that the grid offers its error report: the file with every problem cell marked and the list of every
error, while the page lists the first ``MAX_ERRORS_SHOWN``.
"""
from __future__ import annotations

import tempfile
from collections import defaultdict
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, URLPattern, path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from core import excel
from core.excel.report import KeptUploads
from core.models import Period
from core.policies import can
from dispatch.access import current_user, unit_report_for
from dispatch.models import UnitReport
from dispatch.periods.services import DispatchError, unit_report_editable
from dispatch.reporting import excel as unit_excel
from dispatch.reporting import grid as reporting
from dispatch.reporting.grid import INPUTS

HOME_PERIODS = 6
# Uploaded sheets with errors, kept for their uploader's error report.
ERROR_UPLOADS = KeptUploads("unit_report")


def _grid_url(unit_report: UnitReport) -> str:
    return reverse("dispatch:report_grid", args=[unit_report.pk])


def _row_raw(data: QueryDict, project_pk: int) -> dict[str, str] | None:
    """The row's cells as posted (inputs are named ``p<project pk>-<column>``); None if the row was not posted."""
    prefix = f"p{project_pk}-"
    if not any(f"{prefix}{key}" in data for key in INPUTS):
        return None
    return {key: data.get(f"{prefix}{key}", "") for key in INPUTS if f"{prefix}{key}" in data}


def _deadline_text(unit_report: UnitReport) -> str:
    period = unit_report.period
    if unit_report.submitted_at is not None:
        when = timezone.localtime(unit_report.submitted_at).strftime("%Y-%m-%d %H:%M")
        if unit_report.late_days(timezone.localdate()):
            return _("已于 %(when)s 报送（逾期报送）") % {"when": when}
        return _("已于 %(when)s 报送") % {"when": when}
    days = (period.deadline - timezone.localdate()).days
    if days > 0:
        return _("还剩 %(days)d 天") % {"days": days}
    if days == 0:
        return _("今天截止")
    return _("已逾期 %(days)d 天") % {"days": -days}


def _render_grid(
    request: HttpRequest, unit_report: UnitReport, rows: list[reporting.Row], *, status: int = 200, **extra: Any
) -> HttpResponse:
    user = current_user(request)
    editable = unit_report_editable(unit_report)
    may_write = can(user, "dispatch.report", unit_report)
    filled = sum(1 for row in rows if row.report is not None)
    context = {
        "unit_report": unit_report,
        "period": unit_report.period,
        "rows": rows,
        "editing": editable and may_write,
        "may_write": may_write,
        "editable": editable,
        "not_editable_reason": "" if editable else reporting.not_editable_reason(unit_report),
        "deadline_text": _deadline_text(unit_report),
        "events": reporting.unit_report_events(unit_report),
        "filled": filled,
        "missing": len(rows) - filled,
        "error_rows": sum(1 for row in rows if row.errors),
        "warning_rows": sum(1 for row in rows if row.warnings),
        "max_mb": settings.DIAODU_MAX_UPLOAD_BYTES // (1024 * 1024),
        **extra,
    }
    return render(request, "dispatch/report_grid.html", context, status=status)


# --- pages --------------------------------------------------------------------------------

@require_GET
def report_home(request: HttpRequest) -> HttpResponse:
    """A reporter goes to the unit's report of the latest period not yet published; others choose."""
    user = current_user(request)
    if can(user, "dispatch.fill_own"):
        mine = (
            UnitReport.objects.filter(unit_id=user.unit_id)
            .exclude(period__state=Period.State.PUBLISHED)
            .order_by("-period__year", "-period__month", "-period__half")
            .first()
        ) if user.unit_id else None
        if mine is not None:
            return redirect(_grid_url(mine))
        return render(request, "dispatch/report_home.html", {"reporter": True})
    periods = list(Period.objects.order_by("-year", "-month", "-half")[:HOME_PERIODS])
    by_period: dict[int, list[UnitReport]] = defaultdict(list)
    for unit_report in UnitReport.objects.filter(period__in=periods).select_related("unit").order_by(
        "unit__kind", "unit__order", "unit__name"
    ):
        by_period[unit_report.period_id].append(unit_report)
    try:
        board_url = reverse("dispatch:periods")
    except NoReverseMatch:
        board_url = ""
    return render(
        request,
        "dispatch/report_home.html",
        {"periods": [(period, by_period[period.pk]) for period in periods], "board_url": board_url},
    )


@require_GET
def report_grid(request: HttpRequest, pk: int) -> HttpResponse:
    unit_report = unit_report_for(request, pk)
    return _render_grid(request, unit_report, reporting.unit_rows(unit_report))


@require_POST
def report_row(request: HttpRequest, pk: int, project_pk: int) -> HttpResponse:
    """Save one row's draft (HTMX); invalid input is not saved and comes back in the row with its errors."""
    user = current_user(request)
    unit_report = unit_report_for(request, pk, write=True)
    if not reporting.unit_projects(unit_report).filter(pk=project_pk).exists():
        raise Http404
    raw = _row_raw(request.POST, project_pk) or {}
    message = ""
    try:
        result = reporting.unit_report_rows_save(by=user, unit_report=unit_report, inputs={project_pk: raw})
        row = result.rows[0]
    except (DispatchError, ValidationError) as error:
        message = str(error) if isinstance(error, DispatchError) else " ".join(error.messages)
        # Nothing was saved; what was typed stays in the row.
        row = reporting.unit_report_rows_check(unit_report=unit_report, inputs={project_pk: raw})[0]
    context = {"row": row, "editing": True, "unit_report": unit_report, "row_message": message}
    return render(request, "dispatch/_report_row.html", context)


@require_POST
def report_save_all(request: HttpRequest, pk: int) -> HttpResponse:
    """The form fallback without JavaScript: every posted row, all or nothing."""
    user = current_user(request)
    unit_report = unit_report_for(request, pk, write=True)
    inputs = {}
    for project_pk in reporting.unit_projects(unit_report).values_list("pk", flat=True):
        raw = _row_raw(request.POST, project_pk)
        if raw is not None:
            inputs[project_pk] = raw
    try:
        result = reporting.unit_report_rows_save(by=user, unit_report=unit_report, inputs=inputs)
    except (DispatchError, ValidationError) as error:
        messages.error(request, str(error) if isinstance(error, DispatchError) else " ".join(error.messages))
        return redirect(_grid_url(unit_report))
    if result.saved:
        messages.success(
            request,
            _("已保存：修改 %(changed)d 行，未变化 %(unchanged)d 行。")
            % {"changed": result.changed, "unchanged": result.unchanged},
        )
        return redirect(_grid_url(unit_report))
    posted = {row.project.pk: row for row in result.rows}
    rows = [posted.get(row.project.pk, row) for row in reporting.unit_rows(unit_report)]
    messages.error(
        request,
        _("%(count)d 行有错误，没有保存任何一行；请按提示修改后再保存。")
        % {"count": sum(1 for row in result.rows if row.errors)},
    )
    return _render_grid(request, unit_report, rows)


@require_POST
def report_submit(request: HttpRequest, pk: int) -> HttpResponse:
    user = current_user(request)
    unit_report = unit_report_for(request, pk, write=True)
    try:
        version = int(request.POST.get("version", ""))
    except ValueError:
        messages.error(request, _("页面已过期，请刷新后再报送。"))
        return redirect(_grid_url(unit_report))
    try:
        result = reporting.unit_report_submit_checked(unit_report=unit_report, version=version, by=user)
    except DispatchError as error:  # ConcurrentChange included: someone acted on the report meanwhile
        messages.error(request, str(error))
        return redirect(_grid_url(unit_report))
    if result.submitted:
        messages.success(request, _("%(unit)s%(period)s的月报已报送，等待项目办审核。") % {
            "unit": unit_report.unit, "period": unit_report.period.label
        })
        return redirect(_grid_url(unit_report))
    messages.error(request, _("有 %(count)d 个项目未通过检查，没有报送。") % {"count": len(result.blocking)})
    return _render_grid(request, unit_report, reporting.unit_rows(unit_report), blocking=result.blocking)


# --- Excel --------------------------------------------------------------------------------

@require_GET
def report_excel(request: HttpRequest, pk: int) -> FileResponse:
    unit_report = unit_report_for(request, pk)
    target = tempfile.TemporaryFile()  # noqa: SIM115 - FileResponse closes it
    unit_excel.write_unit_sheet(target, unit_report=unit_report)
    target.seek(0)
    return FileResponse(
        target, as_attachment=True, filename=unit_excel.filename(unit_report), content_type=excel.XLSX_CONTENT_TYPE
    )


@require_POST
def report_excel_upload(request: HttpRequest, pk: int) -> HttpResponse:
    user = current_user(request)
    unit_report = unit_report_for(request, pk, write=True)
    upload = request.FILES.get("file")
    if upload is None:
        report = excel.ImportReport(errors=[excel.Issue(None, "", _("请选择要上传的 Excel 文件。"))])
    else:
        report = unit_excel.unit_sheet_import(by=user, unit_report=unit_report, upload=upload)
    if report.ok:
        messages.success(
            request,
            _("上传成功：修改 %(updated)d 个项目，未变化 %(unchanged)d 个。")
            % {"updated": report.updated, "unchanged": report.unchanged},
        )
        for warning in report.warnings:
            messages.warning(request, warning)
        return redirect(_grid_url(unit_report))
    errors = report.sorted_errors()
    token = None
    if upload is not None:
        token = ERROR_UPLOADS.keep_for(request, upload, sheet=unit_excel.SHEET, errors=report.errors,
                                       scope=_error_scope(unit_report, user))
    return _render_grid(
        request,
        unit_report,
        reporting.unit_rows(unit_report),
        report=report,
        errors=errors[: excel.MAX_ERRORS_SHOWN],
        error_count=len(errors),
        errors_cut=len(errors) > excel.MAX_ERRORS_SHOWN,
        report_url=reverse("dispatch:report_excel_errors", args=[unit_report.pk, token]) if token else "",
    )


def _error_scope(unit_report: UnitReport, user: Any) -> str:
    """A kept sheet is its uploader's, for the report it was uploaded to."""
    return f"unit_report:{unit_report.pk}:user:{user.pk}"


@require_GET
def report_excel_errors(request: HttpRequest, pk: int, token: str) -> HttpResponse:
    """The error report (.xlsx) of this user's uploaded sheet ``token``: every problem cell marked."""
    user = current_user(request)
    unit_report = unit_report_for(request, pk, write=True)
    return ERROR_UPLOADS.response(request, token, scope=_error_scope(unit_report, user))


urlpatterns: list[URLPattern] = [
    path("report/", report_home, name="report_home"),
    path("report/<int:pk>/", report_grid, name="report_grid"),
    path("report/<int:pk>/row/<int:project_pk>/", report_row, name="report_row"),
    path("report/<int:pk>/save/", report_save_all, name="report_save_all"),
    path("report/<int:pk>/submit/", report_submit, name="report_submit"),
    path("report/<int:pk>/excel/", report_excel, name="report_excel"),
    path("report/<int:pk>/excel/upload/", report_excel_upload, name="report_excel_upload"),
    path("report/<int:pk>/excel/<slug:token>/errors.xlsx", report_excel_errors, name="report_excel_errors"),
]
