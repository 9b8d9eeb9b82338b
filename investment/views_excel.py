"""Excel pages of the leads (招商线索): the lead sheet's template, export and import, and the same for the list
of signed projects (签约项目清单). Every download is watermarked with who made it and when; every export holds
only the leads the user may see, with the lead list's filters, and is recorded in the audit log.

An upload with errors is kept for its uploader (``ERROR_UPLOADS``, by a token in the session) so that the
page offers the error report: the file with every problem cell marked and the list of every error.
"""
from __future__ import annotations

import datetime as dt
import tempfile
from collections.abc import Callable
from typing import IO, Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.db.models import QuerySet
from django.http import FileResponse, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods
from openpyxl.utils import column_index_from_string

from core import clock
from core.excel import guard
from core.excel.reader import MAX_ERRORS_SHOWN, ImportReport, Issue
from core.models import Job
from core.policies import require
from investment import excel, rules
from investment.forms import DATE_WIDGET, LeadFilterForm
from investment.models import Lead
from org.access import current_user
from org.models import User

ERROR_UPLOADS = excel.ERROR_UPLOADS
SIGNED_ERROR_UPLOADS = excel.SIGNED_ERROR_UPLOADS


def _scope(user_pk: int) -> str:
    return excel.error_scope(user_pk)


def _xlsx_response(build: Callable[[IO[bytes]], int], filename: str) -> tuple[FileResponse, int]:
    target = tempfile.TemporaryFile()  # noqa: SIM115 - FileResponse closes it
    count = build(target)
    target.seek(0)
    response = FileResponse(target, as_attachment=True, filename=filename, content_type=excel.XLSX_CONTENT_TYPE)
    # A secret is not kept by a shared cache.
    response["Cache-Control"] = "private, no-store"
    return response, count


def filtered_leads(request: HttpRequest, user: User) -> tuple[QuerySet[Lead], dict[str, Any]]:
    """The leads ``user`` may see, narrowed by the lead list's filters of the request (``LeadFilterForm.apply``,
    the list's own); and the filters as chosen, in words (for the export's audit record)."""
    every_unit = rules.sees_every_lead(user.role, is_superuser=user.is_superuser)
    form = LeadFilterForm(request.GET or None, every_unit=every_unit)
    qs = form.apply(Lead.objects.visible_to(user))
    chosen: dict[str, Any] = {}
    if form.is_bound and form.is_valid():
        for name, value in form.cleaned_data.items():
            if name == "sort" or value in (None, "") or (isinstance(value, str) and not value.strip()):
                continue
            shown = dict(getattr(form.fields[name], "choices", None) or ()) if isinstance(value, str) else {}
            chosen[str(form.fields[name].label or name)] = shown.get(value, value)
    return qs, chosen


# --- the lead sheet ----------------------------------------------------------------------------

@require_GET
def excel_template(request: HttpRequest) -> FileResponse:
    user = current_user(request)
    require(user, "investment.excel_import")
    mark = excel.Watermark.of(user)
    response, _count = _xlsx_response(lambda target: excel.write_leads(target, leads=[], mark=mark),
                                      _("线索台账导入模板.xlsx"))
    return response


@require_GET
def excel_export(request: HttpRequest) -> FileResponse:
    """Every lead of the lead list's current filter (not one page) the user may see, in the import layout."""
    user = current_user(request)
    require(user, "investment.excel_export")
    qs, chosen = filtered_leads(request, user)
    leads = qs.select_related("source_unit", "chain_node__chain").order_by("-created_at", "-pk")
    mark = excel.Watermark.of(user)
    response, count = _xlsx_response(
        lambda target: excel.write_leads(target, leads=leads.iterator(chunk_size=2000), mark=mark),
        _("线索台账-%(day)s.xlsx") % {"day": mark.at.strftime("%Y%m%d%H%M")},
    )
    excel.export_record(by=user, what=_("线索台账"), count=count, filters=_filters_text(chosen))
    return response


def _filters_text(chosen: dict[str, Any]) -> str:
    return "；".join(f"{label}={value}" for label, value in chosen.items())


def _page_context(report: ImportReport | None, token: str | None, errors_url: str) -> dict[str, Any]:
    errors: list[Issue] = report.sorted_errors() if report is not None else []
    return {
        "report": report,
        "errors": errors[:MAX_ERRORS_SHOWN],
        "error_count": len(errors),
        "errors_cut": len(errors) > MAX_ERRORS_SHOWN,
        "report_url": reverse(errors_url, args=[token]) if token else "",
        "max_rows": guard.MAX_ROWS,
        "max_mb": settings.DIAODU_MAX_UPLOAD_BYTES // (1024 * 1024),
        "range_form": SignedRangeForm(initial=SignedRangeForm.defaults()),
    }


def _tell(request: HttpRequest, report: ImportReport, collisions: list[Any], user: User, text: str) -> None:
    messages.success(request, text)
    for line in excel.collision_texts(collisions, user):
        messages.warning(request, line)
    for warning in report.warnings:
        messages.warning(request, warning)


@require_http_methods(["GET", "POST"])
def excel_import(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    require(user, "investment.excel_import")
    report: ImportReport | None = None
    token = None
    if request.method == "POST":
        upload = request.FILES.get("file")
        if upload is None:
            report = ImportReport(errors=[Issue(None, "", _("请选择要上传的 Excel 文件。"))])
        elif excel.upload_is_large(upload):
            # Hundreds of rows take a while to check and save: the worker imports them, and this page shows the
            # progress, then the outcome (all rows or none, as here).
            queued = excel.lead_import_start(upload=upload, by=user)
            return redirect(f"{reverse('investment:excel_import')}?job={queued.pk}")
        else:
            report, collisions = excel.lead_import(by=user, upload=upload)
            if report.ok:
                counts = {"created": report.created, "updated": report.updated, "unchanged": report.unchanged}
                _tell(request, report, collisions, user,
                      _("导入成功：新增 %(created)d 条，更新 %(updated)d 条，未变化 %(unchanged)d 条。") % counts)
                return redirect("investment:excel_import")
            token = ERROR_UPLOADS.keep_for(request, upload, sheet=excel.SHEET, errors=report.errors,
                                           scope=_scope(user.pk))
    job = _import_job(request, user)
    if job is not None and job.state == Job.State.DONE and job.result and not job.result["ok"]:
        # A background import's errors, kept on its job (the first ones; the count of all).
        done = job.result
        report = ImportReport(errors=[Issue(row=e["row"], column=e["column"], message=e["message"],
                                            position=column_index_from_string(e["letter"]) if e["letter"] else 0)
                                      for e in done["errors"]], warnings=done["warnings"])
        token = done.get("error_report") or None
        if token and ERROR_UPLOADS.exists(token):
            ERROR_UPLOADS.remember(request, token)  # the job is this user's own (``_import_job``): its file too
        else:
            token = None
    context = _page_context(report, token, "investment:excel_import_errors")
    if job is not None and job.result and not job.result["ok"]:
        context.update(error_count=job.result["error_count"], errors_cut=job.result["error_count"] > len(
            context["errors"]))
    context.update(sheet=excel.SHEET, signed=False, job=job, job_result=job.result if job is not None else None)
    return render(request, "investment/excel_import.html", context)


def _import_job(request: HttpRequest, user: User) -> Job | None:
    """The background import named by ?job=, if it is this user's own (others' are not shown)."""
    pk = request.GET.get("job", "")
    if not pk.isdigit():
        return None
    return Job.objects.filter(pk=int(pk), kind=excel.JOB_KIND, requested_by=user).first()


@require_GET
def excel_import_errors(request: HttpRequest, token: str) -> HttpResponse:
    """The error report (.xlsx) of this user's upload ``token``: the file with every problem cell marked."""
    user = current_user(request)
    require(user, "investment.excel_import")
    return ERROR_UPLOADS.response(request, token, scope=_scope(user.pk))


# --- the signed list ---------------------------------------------------------------------------

class SignedRangeForm(forms.Form):
    start = forms.DateField(label=gettext_lazy("签约时间自"), required=False, widget=DATE_WIDGET)
    end = forms.DateField(label=gettext_lazy("至"), required=False, widget=DATE_WIDGET)

    @staticmethod
    def defaults() -> dict[str, dt.date]:
        """This year so far."""
        today = clock.today()
        return {"start": today.replace(month=1, day=1), "end": today}

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("start") and data.get("end") and data["start"] > data["end"]:
            self.add_error("end", _("结束日期不能早于开始日期。"))
        return data


@require_GET
def signed_template(request: HttpRequest) -> FileResponse:
    user = current_user(request)
    require(user, "investment.excel_import_signed")
    mark = excel.Watermark.of(user)
    response, _count = _xlsx_response(lambda target: excel.write_signed(target, leads=[], mark=mark),
                                      _("签约项目清单导入模板.xlsx"))
    return response


@require_GET
def signed_export(request: HttpRequest) -> HttpResponseBase:
    """The leads signed (or later) in the chosen range that the user may see, with the lead list's filters."""
    user = current_user(request)
    require(user, "investment.excel_export")
    dates = SignedRangeForm({key: request.GET.get(key, "") for key in ("start", "end")})
    if not dates.is_valid():
        for errors in dates.errors.values():
            for error in errors:
                messages.error(request, str(error))
        return redirect("investment:leads")
    start, end = dates.cleaned_data["start"], dates.cleaned_data["end"]
    if start is None and end is None:
        start, end = SignedRangeForm.defaults()["start"], SignedRangeForm.defaults()["end"]
    qs, chosen = filtered_leads(request, user)
    leads = excel.signed_leads(qs, start=start, end=end)
    period = f"{start.isoformat() if start else '…'} — {end.isoformat() if end else '…'}"
    mark = excel.Watermark.of(user)
    response, count = _xlsx_response(
        lambda target: excel.write_signed(target, leads=leads.iterator(chunk_size=2000), mark=mark, period=period),
        _("签约项目清单-%(day)s.xlsx") % {"day": mark.at.strftime("%Y%m%d%H%M")},
    )
    chosen[_("签约时间")] = period
    excel.export_record(by=user, what=_("签约项目清单"), count=count, filters=_filters_text(chosen))
    return response


@require_http_methods(["GET", "POST"])
def signed_import(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    require(user, "investment.excel_import_signed")
    report: ImportReport | None = None
    token = None
    if request.method == "POST":
        upload = request.FILES.get("file")
        if upload is None:
            report = ImportReport(errors=[Issue(None, "", _("请选择要上传的 Excel 文件。"))])
        else:
            report, collisions = excel.signed_import(by=user, upload=upload)
            if report.ok:
                counts = {"signed": report.created + report.updated, "created": report.created,
                          "unchanged": report.unchanged}
                _tell(request, report, collisions, user,
                      _("导入成功：记为签约 %(signed)d 条（其中新增线索 %(created)d 条），"
                        "已签约未变化 %(unchanged)d 条。") % counts)
                return redirect("investment:signed_import")
            token = SIGNED_ERROR_UPLOADS.keep_for(request, upload, sheet=excel.SIGNED_SHEET, errors=report.errors,
                                                  scope=_scope(user.pk))
    context = _page_context(report, token, "investment:signed_import_errors")
    context.update(sheet=excel.SIGNED_SHEET, signed=True)
    return render(request, "investment/excel_import.html", context)


@require_GET
def signed_import_errors(request: HttpRequest, token: str) -> HttpResponse:
    user = current_user(request)
    require(user, "investment.excel_import_signed")
    return SIGNED_ERROR_UPLOADS.response(request, token, scope=_scope(user.pk))
