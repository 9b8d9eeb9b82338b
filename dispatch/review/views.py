"""Dispatch views: periods, the office's period board and review, corrections, notifications.

Everybody logged in may look at periods and boards (a reporter sees only the unit's own row);
only the project office acts. Every action is a POST that calls a service and reports its
refusal (DispatchError) as a message, so the office reads why in words.
"""
from __future__ import annotations

import datetime as dt
import tempfile
from collections import Counter
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, cast

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Count, Q, Sum
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import URLPattern, path
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext
from django.views.decorators.http import require_GET, require_POST

from core.district import district
from core.excel import XLSX_CONTENT_TYPE
from core.models import Notification, Period
from core.policies import can, require
from dispatch import tasks as dispatch_tasks
from dispatch.access import current_user, unit_report_for
from dispatch.models import CorrectionRequest, UnitReport
from dispatch.periods import reminders, services
from dispatch.reporting.grid import unit_report_issues
from dispatch.review import corrections
from dispatch.review import excel as reporting_excel
from projects.models import ZERO, OpeningBalance, ProgressReport, Project

PAGE_SIZE = 50


# --- forms ----------------------------------------------------------------------------------

class PeriodOpenForm(forms.Form):
    year = forms.IntegerField(label=gettext_lazy("年度"), min_value=2000, max_value=2100)
    month = forms.IntegerField(label=gettext_lazy("月份"), min_value=1, max_value=12)
    half = forms.TypedChoiceField(
        label=gettext_lazy("半月"), coerce=int, initial=0,
        choices=[(0, gettext_lazy("整月")), (1, gettext_lazy("上半月")), (2, gettext_lazy("下半月"))],
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not district().report_half_month:
            # Monthly districts never see the half; a hand-made POST cannot open a half either.
            cast(forms.ChoiceField, self.fields["half"]).choices = [(0, _("整月"))]
            self.fields["half"].widget = forms.HiddenInput()


class CorrectionForm(forms.Form):
    invested = forms.DecimalField(
        label=gettext_lazy("本月完成投资(万元)"), max_digits=14, decimal_places=2, min_value=Decimal(0)
    )
    progress_percent = forms.IntegerField(label=gettext_lazy("形象进度(%)"), min_value=0, max_value=100)
    physical_progress = forms.CharField(
        label=gettext_lazy("形象进度"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    problems = forms.CharField(label=gettext_lazy("存在问题"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    reason = forms.CharField(label=gettext_lazy("更正理由"), widget=forms.Textarea(attrs={"rows": 3}))


def _next_period(latest: Period | None, today: dt.date) -> dict[str, int]:
    """The period the office most likely opens next: after the latest one, or this month."""
    half_month = district().report_half_month
    if latest is None:
        return {"year": today.year, "month": today.month, "half": (1 if today.day <= 15 else 2) if half_month else 0}
    if half_month and latest.half == 1:
        return {"year": latest.year, "month": latest.month, "half": 2}
    year, month = (latest.year + 1, 1) if latest.month == 12 else (latest.year, latest.month + 1)
    return {"year": year, "month": month, "half": 1 if half_month else 0}


# --- periods ----------------------------------------------------------------------------------

def periods(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    states = UnitReport.State
    # Newest first, said here: a query with aggregates (GROUP BY) does not take Period's Meta.ordering.
    rows = Period.objects.annotate(
        **{f"n_{state}": Count("unit_reports", filter=Q(unit_reports__state=state)) for state in states.values}
    ).select_related("published_by").order_by("-year", "-month", "-half")
    latest = Period.objects.order_by("-year", "-month", "-half").first()
    context = {
        "periods": rows,
        "can_act": can(user, "dispatch.manage_periods"),
        "form": PeriodOpenForm(initial=_next_period(latest, services.today())),
        "rule_in_words": services.deadline_rule().in_words(),
        "half_month": district().report_half_month,
    }
    return render(request, "dispatch/period_list.html", context)


@require_POST
def period_open(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    require(user, "dispatch.manage_periods")
    form = PeriodOpenForm(request.POST)
    if not form.is_valid():
        colon = pgettext("after a label", "：")
        errors = pgettext("list separator", "；").join(
            f"{form.fields[name].label}{colon}{' '.join(str(e) for e in errs)}" for name, errs in form.errors.items()
        )
        messages.error(request, _("未能开启调度期：%(errors)s") % {"errors": errors})
        return redirect("dispatch:periods")
    try:
        period = services.period_open(by=user, **form.cleaned_data)
    except services.DispatchError as exc:
        messages.error(request, str(exc))
        return redirect("dispatch:periods")
    messages.success(
        request,
        _("已开启%(period)s，截止日期 %(deadline)s，已为 %(n)d 个单位建立月报。")
        % {"period": period.label, "deadline": period.deadline.isoformat(), "n": period.unit_reports.count()},
    )
    return redirect("dispatch:period_board", pk=period.pk)


def _period_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    user = current_user(request)
    require(user, "dispatch.manage_periods")
    period = get_object_or_404(Period, pk=pk)
    step = {"close": services.period_close, "reopen": services.period_reopen}
    done = {
        "close": _("%(period)s已截止填报。"),
        "reopen": _("%(period)s已重新开放填报。"),
    }
    try:
        period = step[action](period=period, by=user)
    except services.DispatchError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, done[action] % {"period": period.label})
    return redirect("dispatch:period_board", pk=pk)


@require_POST
def period_close(request: HttpRequest, pk: int) -> HttpResponse:
    return _period_action(request, pk, "close")


@require_POST
def period_reopen(request: HttpRequest, pk: int) -> HttpResponse:
    return _period_action(request, pk, "reopen")


@require_POST
def period_publish(request: HttpRequest, pk: int) -> HttpResponse:
    """Publish in the background; early or incomplete publication needs the dialog's reason (see the service).

    The snapshots of a large district take seconds, so the request only checks and queues: the
    board shows "发布中" with the progress until the worker has published the period.
    """
    user = current_user(request)
    require(user, "dispatch.publish")
    period = get_object_or_404(Period, pk=pk)
    try:
        job = dispatch_tasks.period_publish_start(period=period, by=user, reason=request.POST.get("reason", ""))
    except services.DispatchError as exc:
        messages.error(request, str(exc))
    else:
        if job.state == job.State.DONE:
            messages.success(request, _("%(period)s已发布，数据已冻结并生成快照。") % {"period": period.label})
        elif job.state == job.State.FAILED:
            messages.error(request, _("%(period)s发布失败：%(error)s") % {"period": period.label, "error": job.error})
        else:
            messages.info(request, _("%(period)s正在后台发布，完成后数据冻结并生成快照。") % {"period": period.label})
    return redirect("dispatch:period_board", pk=pk)


@require_POST
def period_remind(request: HttpRequest, pk: int) -> HttpResponse:
    """催报: remind every unit that has not reported yet, at once (dispatch.periods.reminders.reminders_send_now).

    Done in the request rather than as a background job: a county has 10–100 units, and a click
    costs one insert of in-app notifications per unit, one insert of the log rows, one SMTP
    connection for all the e-mails and one robot post, so the office reads at once whom it reached.
    """
    user = current_user(request)
    require(user, "dispatch.remind_units")
    period = get_object_or_404(Period, pk=pk)
    try:
        result = reminders.reminders_send_now(period=period, by=user)
    except services.DispatchError as exc:
        messages.error(request, str(exc))
        return redirect("dispatch:period_board", pk=pk)
    _remind_messages(request, result)
    return redirect("dispatch:period_board", pk=pk)


def _remind_messages(request: HttpRequest, result: reminders.NowResult) -> None:
    """Whom the click reached, whom it left out and why, and what failed, in the office's words."""
    def names(reports: list[UnitReport]) -> str:
        return "、".join(str(report.unit) for report in reports)

    if result.reminded:
        text = _("已向 %(n)d 个尚未报送的单位发送催报（%(units)s）：站内消息 %(app)d 人，邮件 %(email)d 封。") % {
            "n": len(result.reminded), "units": names([sent.unit_report for sent in result.reminded]),
            "app": sum(sent.in_app for sent in result.reminded), "email": result.emails,
        }
        if result.robot:
            text += _("已在工作群通知。")
        messages.success(request, text)
    if result.skipped:
        left_out = "、".join(
            _("%(unit)s（%(at)s 已催报）")
            % {"unit": item.unit_report.unit, "at": timezone.localtime(item.at).strftime("%H:%M")}
            for item in result.skipped
        )
        messages.info(
            request,
            _("%(n)d 个单位在 %(minutes)d 分钟内已催报过，本次跳过：%(units)s。")
            % {"n": len(result.skipped), "minutes": reminders.RECENT.seconds // 60, "units": left_out},
        )
    if result.unreached:
        messages.warning(
            request,
            _("以下单位没有已启用的填报员账号，站内消息和邮件无人接收，请为其添加填报员账号：%(units)s。")
            % {"units": names([sent.unit_report for sent in result.unreached])},
        )
    for error in result.errors:
        messages.warning(request, error)
    if not result.reminded and not result.skipped:
        messages.info(request, _("%(period)s各单位均已报送，无需催报。") % {"period": result.period.label})


@dataclass
class BoardRow:
    report: UnitReport
    late: int
    project_count: int
    reported_count: int
    issue_counts: dict[str, int] | None = None
    last_reminded: dt.datetime | None = None


def _issue_counts(unit_report: UnitReport) -> dict[str, int]:
    """How many of the report's rows carry issues, and how many of those an error."""
    issues = unit_report_issues(unit_report)
    return {
        "rows": sum(1 for found in issues.values() if found),
        "errors": sum(1 for found in issues.values() if any(i.severity == "error" for i in found)),
    }


def period_board(request: HttpRequest, pk: int) -> HttpResponse:
    user = current_user(request)
    period = get_object_or_404(Period.objects.select_related("published_by"), pk=pk)
    reports = period.unit_reports.select_related("unit", "submitted_by", "reviewed_by")
    if not can(user, "dispatch.see_all_units"):
        reports = reports.filter(unit_id=user.unit_id) if user.unit_id else reports.none()
    reports_list = list(reports)
    today = services.today()
    unit_ids = [r.unit_id for r in reports_list]
    projects = services.unit_project_counts(period=period, unit_ids=unit_ids)
    reminded = reminders.last_reminded(period=period, unit_ids=unit_ids)
    # The checks load each unit's history (a few queries per unit), so the board counts the rows
    # with issues only on request; the review page always shows them row by row.
    show_checks = request.GET.get("checks") == "1"
    rows = [
        BoardRow(
            report=report,
            late=services.unit_report_late_days(report, today),
            project_count=projects.projects.get(report.unit_id, 0),
            reported_count=projects.reported.get(report.unit_id, 0),
            issue_counts=_issue_counts(report) if show_checks else None,
            last_reminded=reminded.get(report.unit_id),
        )
        for report in reports_list
    ]
    counts = Counter(row.report.state for row in rows)
    summary = {
        "total": len(rows),
        "late": sum(1 for row in rows if row.late),
        **{state: counts.get(state, 0) for state in UnitReport.State.values},
    }
    state = request.GET.get("state", "")
    if state == "late":
        rows = [row for row in rows if row.late]
    elif state in UnitReport.State.values:
        rows = [row for row in rows if row.report.state == state]
    else:
        state = ""
    publish_job = dispatch_tasks.publish_job(period)
    context = {
        "period": period,
        "rows": rows,
        "summary": summary,
        "state": state,
        "states": UnitReport.State.choices,
        # Closing, reopening and publishing the period, and reviewing its reports.
        "can_act": can(user, "dispatch.manage_periods"),
        "show_checks": show_checks,
        "today": today,
        "can_export": can(user, "dispatch.export_reporting", period),
        # 催报: the office, while the period is open and some unit still owes its report (draft or returned).
        "remind_count": (
            summary[UnitReport.State.DRAFT.value] + summary[UnitReport.State.RETURNED.value]
            if can(user, "dispatch.remind_units", period) and period.state == Period.State.OPEN
            else 0
        ),
        # What publishing now would leave out, for the publish dialog (the office only, while closed
        # and not being published).
        "publish_check": (
            services.period_publish_check(period=period)
            if can(user, "dispatch.publish", period) and period.state == Period.State.CLOSED
            and not (publish_job and publish_job.active)
            else None
        ),
        # The latest publication job while the period is not yet published: "发布中" with its progress,
        # or its failure with a retry button.
        "publish_job": publish_job if period.state == Period.State.CLOSED else None,
    }
    return render(request, "dispatch/period_board.html", context)


@require_GET
def period_reporting_xlsx(request: HttpRequest, pk: int) -> FileResponse:
    """Who has reported in the period, every unit, as an .xlsx (dispatch.review.excel)."""
    user = current_user(request)
    period = get_object_or_404(Period, pk=pk)
    require(user, "dispatch.export_reporting", period)
    # Written to a temporary file, then streamed, as the other exports are.
    target = tempfile.TemporaryFile()  # noqa: SIM115 - FileResponse closes it
    reporting_excel.write_reporting(target, period=period)
    target.seek(0)
    return FileResponse(
        target, as_attachment=True, filename=reporting_excel.filename(period), content_type=XLSX_CONTENT_TYPE
    )


# --- review of one unit report ------------------------------------------------------------------

def review(request: HttpRequest, pk: int) -> HttpResponse:
    unit_report = unit_report_for(request, pk)
    user = current_user(request)
    period = unit_report.period
    projects = list(Project.objects.in_ledger().filter(lead_unit_id=unit_report.unit_id).order_by("code"))
    ids = [p.pk for p in projects]
    rows_now = ProgressReport.objects.filter(project_id__in=ids, year=period.year, month=period.month, half=period.half)
    this = {r.project_id: r for r in rows_now}
    ytd = dict(
        ProgressReport.objects.filter(services.period_months_before(period), project_id__in=ids)
        .order_by().values("project_id").annotate(total=Sum("invested")).values_list("project_id", "total")
    )
    # The year's opening (开账) counts once its months have ended by the period, as in the period's snapshot.
    for project_id, invested in OpeningBalance.objects.filter(
        project_id__in=ids, year=period.year, through_month__lte=period.month
    ).values_list("project_id", "invested"):
        ytd[project_id] = (ytd.get(project_id) or ZERO) + invested
    issues = unit_report_issues(unit_report)
    rows = [
        {
            "project": project,
            "report": this.get(project.pk),
            "ytd": ytd.get(project.pk) or ZERO,
            "issues": issues.get(project.pk, []),
        }
        for project in projects
    ]
    context = {
        "unit_report": unit_report,
        "period": period,
        "rows": rows,
        "events": unit_report.events.select_related("by"),
        "late": services.unit_report_late_days(unit_report, services.today()),
        "can_approve": can(user, "dispatch.review", unit_report) and not period.is_frozen
        and unit_report.state == UnitReport.State.SUBMITTED,
        "can_return": can(user, "dispatch.review", unit_report) and not period.is_frozen
        and unit_report.state in {UnitReport.State.SUBMITTED, UnitReport.State.APPROVED},
        "warning_rows": sum(1 for row in rows if row["issues"]),
        "can_fill": can(user, "dispatch.fill_own", unit_report) and services.unit_report_editable(unit_report),
    }
    return render(request, "dispatch/review_detail.html", context)


def _posted_version(request: HttpRequest) -> int | None:
    raw = request.POST.get("version", "")
    return int(raw) if raw.isdigit() else None


def _review_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    unit_report = unit_report_for(request, pk)
    user = current_user(request)
    require(user, "dispatch.review", unit_report)
    version = _posted_version(request)
    if version is None:
        messages.error(request, _("页面已过期，请刷新后再操作。"))
        return redirect("dispatch:review", pk=pk)
    try:
        if action == "approve":
            services.unit_report_approve(
                unit_report=unit_report, version=version, by=user, note=request.POST.get("note", "")
            )
        else:
            services.unit_report_return(
                unit_report=unit_report, version=version, by=user, reason=request.POST.get("reason", "")
            )
    except services.DispatchError as exc:
        messages.error(request, str(exc))
        return redirect("dispatch:review", pk=pk)
    values = {"unit": unit_report.unit, "period": unit_report.period.label}
    if action == "approve":
        messages.success(request, _("已审核通过%(unit)s%(period)s的月报。") % values)
    else:
        messages.success(request, _("已退回%(unit)s%(period)s的月报，并通知该单位填报员。") % values)
    return redirect("dispatch:review", pk=pk)


@require_POST
def review_approve(request: HttpRequest, pk: int) -> HttpResponse:
    return _review_action(request, pk, "approve")


@require_POST
def review_return(request: HttpRequest, pk: int) -> HttpResponse:
    return _review_action(request, pk, "return")


# --- corrections --------------------------------------------------------------------------------

def corrections_list(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    qs = CorrectionRequest.objects.select_related(
        "report__project", "report__period", "requested_by", "decided_by"
    )
    if not can(user, "dispatch.see_all_units"):
        qs = qs.filter(report__project__in=Project.objects.visible_to(user))
    state = request.GET.get("state", "")
    if state in CorrectionRequest.State.values:
        qs = qs.filter(state=state)
    else:
        state = ""
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    items = []
    for item in page:
        current = corrections.current_values(item.report)
        items.append(
            {
                "request": item,
                "changes": [
                    (corrections.field_label(name), current.get(name, ""), new)
                    for name, new in item.changes.items() if name in corrections.FIELDS
                ],
            }
        )
    context = {
        "page": page,
        "items": items,
        "state": state,
        "states": CorrectionRequest.State.choices,
        "can_decide": can(user, "dispatch.decide_corrections"),
    }
    return render(request, "dispatch/correction_list.html", context)


def correction_new(request: HttpRequest, report_pk: int) -> HttpResponse:
    user = current_user(request)
    report = (
        ProgressReport.objects.select_related("project", "period")
        .filter(pk=report_pk, project__in=Project.objects.visible_to(user)).first()
    )
    if report is None:
        raise Http404
    require(user, "dispatch.request_correction", report)
    period = report.period
    published = period is not None and period.is_frozen
    current = corrections.current_values(report)
    form = CorrectionForm(request.POST or None, initial={**current, "reason": ""})
    if published and request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        reason = data.pop("reason")
        try:
            item = corrections.correction_request(report=report, changes=data, reason=reason, by=user)
        except services.DispatchError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("更正申请已提交，待项目办审批（编号 %(id)d）。") % {"id": item.pk})
            return redirect("dispatch:corrections")
    context = {
        "report": report,
        "project": report.project,
        "published": published,
        "form": form,
        "pending": report.corrections.filter(state=CorrectionRequest.State.PENDING).count(),
    }
    return render(request, "dispatch/correction_form.html", context)


@require_POST
def correction_decide(request: HttpRequest, pk: int) -> HttpResponse:
    user = current_user(request)
    require(user, "dispatch.decide_corrections")
    item = get_object_or_404(CorrectionRequest.objects.select_related("report__project", "report__period"), pk=pk)
    decision = request.POST.get("decision", "")
    note = request.POST.get("note", "")
    if decision not in {"approve", "reject"}:
        messages.error(request, _("请选择批准或驳回。"))
        return redirect("dispatch:corrections")
    try:
        if decision == "approve":
            item = corrections.correction_approve(request=item, by=user, note=note)
        else:
            item = corrections.correction_reject(request=item, by=user, note=note)
    except services.DispatchError as exc:
        messages.error(request, str(exc))
        return redirect("dispatch:corrections")
    messages.success(request, corrections.decision_text(item))
    return redirect("dispatch:corrections")


# --- notifications ------------------------------------------------------------------------------

def notifications(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    qs = Notification.objects.filter(user=user)
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    unread = qs.filter(read_at__isnull=True).count()
    return render(request, "dispatch/notification_list.html", {"page": page, "unread": unread})


@require_POST
def notification_read(request: HttpRequest) -> HttpResponse:
    """Mark one notification (``id``) or all of the user's notifications read; then go to ``next``."""
    user = current_user(request)
    qs = Notification.objects.filter(user=user, read_at__isnull=True)
    raw = request.POST.get("id", "")
    if raw:
        if not raw.isdigit():
            raise Http404
        qs = qs.filter(pk=int(raw))
    qs.update(read_at=timezone.now())
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return redirect(target)
    return redirect("dispatch:notifications")


urlpatterns: list[URLPattern] = [
    path("", periods, name="periods"),
    path("periods/open/", period_open, name="period_open"),
    path("periods/<int:pk>/", period_board, name="period_board"),
    path("periods/<int:pk>/close/", period_close, name="period_close"),
    path("periods/<int:pk>/reopen/", period_reopen, name="period_reopen"),
    path("periods/<int:pk>/publish/", period_publish, name="period_publish"),
    path("periods/<int:pk>/reporting.xlsx", period_reporting_xlsx, name="period_reporting_xlsx"),
    path("periods/<int:pk>/remind/", period_remind, name="period_remind"),
    path("unit-reports/<int:pk>/review/", review, name="review"),
    path("unit-reports/<int:pk>/approve/", review_approve, name="review_approve"),
    path("unit-reports/<int:pk>/return/", review_return, name="review_return"),
    path("corrections/", corrections_list, name="corrections"),
    path("corrections/new/<int:report_pk>/", correction_new, name="correction_new"),
    path("corrections/<int:pk>/decide/", correction_decide, name="correction_decide"),
    path("notifications/", notifications, name="notifications"),
    path("notifications/read/", notification_read, name="notification_read"),
]
