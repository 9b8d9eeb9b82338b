"""Excel pages of the ledger: the blank template, the filtered export and the import.

An upload with errors is kept for its uploader (``projects.tasks.ERROR_UPLOADS``, by a token in the
session) so that the page offers the error report: the file with every problem cell marked and the
list of every error, while the page lists the first ``MAX_ERRORS_SHOWN``.
"""
from __future__ import annotations

import tempfile
from collections import defaultdict
from collections.abc import Callable
from decimal import Decimal
from typing import IO, Any

from django.conf import settings
from django.contrib import messages
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from core.models import Job
from core.policies import can, require
from org.access import current_user
from org.models import User
from projects import excel, services
from projects import tasks as project_tasks
from projects.forms import LedgerFilterForm
from projects.models import AnnualPlan
from projects.views import ledger_queryset, ledger_year


def _xlsx_response(build: Callable[[IO[bytes]], object], filename: str) -> FileResponse:
    # Written to a temporary file, then streamed: a province's ledger is tens of megabytes.
    target = tempfile.TemporaryFile()  # noqa: SIM115 - FileResponse closes it
    build(target)
    target.seek(0)
    return FileResponse(target, as_attachment=True, filename=filename, content_type=excel.XLSX_CONTENT_TYPE)


@require_GET
def excel_template(request: HttpRequest) -> FileResponse:
    year = services.today().year
    lookups = excel.Lookups()
    return _xlsx_response(
        lambda target: excel.write_ledger(
            target, projects=[], plans={}, plan_years=[year, year + 1], lookups=lookups
        ),
        _("重点项目导入模板.xlsx"),
    )


@require_GET
def excel_export(request: HttpRequest) -> FileResponse:
    """Every project of the ledger's current filter (not one page), in the import layout."""
    user = current_user(request)
    form = LedgerFilterForm(request.GET or None)
    year = ledger_year(form)
    plan_years = [year, year + 1]
    projects = (
        ledger_queryset(user, form, year)
        .select_related("lead_unit", "town", "responsible_leader", "category", "funding_source")
        .prefetch_related("co_units")
    )
    plans: dict[int, dict[int, Decimal]] = defaultdict(dict)
    rows = AnnualPlan.objects.filter(project__in=projects.values("pk"), year__in=plan_years)
    for project_id, plan_year, amount in rows.values_list("project_id", "year", "amount"):
        plans[project_id][plan_year] = amount
    lookups = excel.Lookups()
    filename = _("重点项目库-%(day)s.xlsx") % {"day": services.today().strftime("%Y%m%d")}
    return _xlsx_response(
        lambda target: excel.write_ledger(
            target,
            projects=projects.order_by("code").iterator(chunk_size=2000),
            plans=plans,
            plan_years=plan_years,
            lookups=lookups,
            derived_year=year,
        ),
        filename,
    )


@require_http_methods(["GET", "POST"])
def excel_import(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    require(user, "projects.import")
    report = None
    token = None
    if request.method == "POST":
        upload = request.FILES.get("file")
        if upload is None:
            report = excel.ImportReport(errors=[excel.Issue(None, "", _("请选择要上传的 Excel 文件。"))])
        elif project_tasks.upload_is_large(upload):
            # Thousands of rows take seconds to check and save: the worker imports them, and this page
            # shows the progress, then the outcome (all rows or none, as here).
            queued = project_tasks.ledger_import_start(upload=upload, by=user)
            return redirect(f"{reverse('projects:excel_import')}?job={queued.pk}")
        else:
            report = excel.ledger_import(by=user, upload=upload)
            if not report.ok:
                token = project_tasks.ERROR_UPLOADS.keep_for(
                    request, upload, sheet=excel.SHEET, errors=report.errors, scope=project_tasks.error_scope(user.pk)
                )
        if report.ok:
            counts = {"created": report.created, "updated": report.updated, "unchanged": report.unchanged}
            if can(user, "projects.decide_changes"):
                text = _("导入成功：新增 %(created)d 个，更新 %(updated)d 个，未变化 %(unchanged)d 个") % counts
            else:
                # A unit's new rows are proposals (入库申请): not in the ledger until the office approves them.
                text = _(
                    "导入成功：提交入库申请 %(created)d 个（项目办审核通过后进入项目库），更新 %(updated)d 个，"
                    "未变化 %(unchanged)d 个"
                ) % counts
            messages.success(request, text)
            for warning in report.warnings:
                messages.warning(request, warning)
            return redirect("projects:ledger")
    errors: list[Any] = report.sorted_errors() if report else []
    error_count = len(errors)
    job = _import_job(request, user)
    if job is not None and job.state == Job.State.DONE and job.result:
        # A background import's outcome, kept on its job (the first errors; the count of all).
        done = job.result
        errors, report = done["errors"], excel.ImportReport(warnings=done["warnings"])
        error_count = done.get("error_count", len(errors))
        if not done["ok"]:
            report.errors = [excel.Issue(None, "", "")]  # not ok: the page lists the kept errors
            token = done.get("error_report") or None
            if token and project_tasks.ERROR_UPLOADS.exists(token):
                # The job is this user's own (``_import_job``): its kept file is too.
                project_tasks.ERROR_UPLOADS.remember(request, token)
            else:
                token = None  # none kept (a whole-file error), or removed since
    errors = errors[: excel.MAX_ERRORS_SHOWN]
    context = {
        "job": job,
        "job_result": job.result if job is not None else None,
        "report": report,
        "errors": errors,
        "error_count": error_count,
        "errors_cut": error_count > len(errors),
        "report_url": reverse("projects:excel_import_errors", args=[token]) if token else "",
        "max_rows": excel.MAX_ROWS,
        "max_mb": settings.DIAODU_MAX_UPLOAD_BYTES // (1024 * 1024),
        "sheet": excel.SHEET,
    }
    return render(request, "projects/import.html", context)


@require_GET
def excel_import_errors(request: HttpRequest, token: str) -> HttpResponse:
    """The error report (.xlsx) of this user's upload ``token``: the file with every problem cell marked."""
    user = current_user(request)
    require(user, "projects.import")
    return project_tasks.ERROR_UPLOADS.response(request, token, scope=project_tasks.error_scope(user.pk))


def _import_job(request: HttpRequest, user: User) -> Job | None:
    """The background import named by ?job=, if it is this user's own (others' are not shown)."""
    pk = request.GET.get("job", "")
    if not pk.isdigit():
        return None
    return Job.objects.filter(pk=int(pk), kind="import", requested_by=user).first()
