"""Corrections to published periods (更正申请).

A published period is frozen: ``progress_save`` refuses its reports. A unit that finds a
mistake afterwards files a request with the new values and a reason; the project office
approves or rejects it. Approval writes the live ProgressReport (recorded in the project's
history with source "correction") and refreshes the project's light, but leaves the
period's ProjectSnapshot as published, so that month's bulletin can be reproduced unchanged.
"""
from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.urls import reverse
from django.utils.translation import gettext as _

from audit.services import audit_record, audit_snapshot
from core.tracking.decisions import decide
from core.tracking.errors import StaleVersion
from dispatch.models import CorrectionRequest
from dispatch.notify import notify_office, notify_users
from dispatch.periods.services import ConcurrentChange, DispatchError
from dispatch.reporting import checks
from projects import rules
from projects.models import ProgressReport
from projects.services import progress_before, project_light_refresh, year_figures_refresh

# The fields of a monthly report a correction may change, in the form's order.
FIELDS = ("invested", "progress_percent", "physical_progress", "problems")
NUMBERS = frozenset({"invested", "progress_percent"})
SOURCE = "correction"


def field_label(name: str) -> str:
    return str(getattr(ProgressReport._meta.get_field(name), "verbose_name", name))


def current_values(report: ProgressReport) -> dict[str, str]:
    """The report's correctable values as the texts a request stores, for comparing and showing."""
    return {
        "invested": str(report.invested.quantize(Decimal("0.01"))),
        "progress_percent": str(report.progress_percent),
        "physical_progress": report.physical_progress,
        "problems": report.problems,
    }


def _parse(name: str, text: str) -> Any:
    """A stored text back to the field's value; whether the value is allowed is :func:`_check`'s question."""
    if name == "invested":
        try:
            value = Decimal(text).quantize(Decimal("0.01"))
        except InvalidOperation as exc:
            raise DispatchError(_("更正后的完成投资“%(value)s”不是数字。") % {"value": text}) from exc
        return value
    if name == "progress_percent":
        try:
            return int(text)
        except ValueError as exc:
            raise DispatchError(_("更正后的形象进度应为 0–100 的整数，实际为“%(value)s”。") % {"value": text}) from exc
    return text


def _check(report: ProgressReport, values: dict[str, Any]) -> None:
    """The corrected report under the rules every way of entering progress shares (projects.rules)."""
    before = progress_before(
        project=report.project, year=report.year, month=report.month, half=report.half, exclude_pk=report.pk
    )
    invested = values.get("invested", report.invested)
    percent = values.get("progress_percent", report.progress_percent)
    problems = rules.progress_problems(invested=invested, percent=percent, before=before)
    if problems:
        raise DispatchError(
            "；".join(
                _("「%(label)s」%(text)s") % {"label": checks.LABELS.get(p.field, p.field), "text": p.text}
                for p in problems
            )
        )


def _ensure_published(report: ProgressReport) -> None:
    period = report.period
    if period is None or not period.is_frozen:
        raise DispatchError(_("该月报所属调度期尚未发布，可直接修改，不需要更正申请。"))


@transaction.atomic
def correction_request(*, report: ProgressReport, changes: dict[str, Any], reason: str, by: Any) -> CorrectionRequest:
    """File a request to change a published report; only fields whose value differs are kept."""
    _ensure_published(report)
    if not reason.strip():
        raise DispatchError(_("请写明更正理由。"))
    unknown = set(changes) - set(FIELDS)
    if unknown:
        raise DispatchError(_("不能更正这些内容：%(fields)s") % {"fields": "、".join(sorted(unknown))})
    current = current_values(report)
    kept: dict[str, str] = {}
    for name in FIELDS:
        if name not in changes or changes[name] is None:
            continue
        raw = str(changes[name])
        text = str(_parse(name, raw.strip() if name in NUMBERS else raw))
        if text != current[name]:
            kept[name] = text
    if not kept:
        raise DispatchError(_("更正内容与现有数据相同，没有需要更正的内容。"))
    _check(report, {name: _parse(name, text) for name, text in kept.items()})
    request = CorrectionRequest.objects.create(report=report, changes=kept, reason=reason.strip(), requested_by=by)
    audit_record(by=by, instance=request, before={}, subject=report.project, source=SOURCE)
    notify_office(
        _("%(who)s提交了%(project)s %(period)s的更正申请，请审批。")
        % {"who": by, "project": report.project.name, "period": report.period.label if report.period else ""},
        reverse("dispatch:corrections") + "?state=pending",
    )
    return request


def decision_text(request: CorrectionRequest) -> str:
    """What the requester is told about the office's decision (and the office sees as confirmation)."""
    report = request.report
    values = {"project": report.project.name, "period": report.period.label if report.period else ""}
    if request.state == CorrectionRequest.State.APPROVED:
        return _("%(project)s %(period)s的更正申请已批准，数据已更正。") % values
    return _("%(project)s %(period)s的更正申请被驳回：%(note)s") % {**values, "note": request.decision_note}


def _tell_requester(request: CorrectionRequest) -> None:
    notify_users([request.requested_by], decision_text(request), reverse("dispatch:corrections"))


def _decide(*, request: CorrectionRequest, by: Any, approve: bool, note: str) -> CorrectionRequest:
    # The shared decide: a conditional update, so two office members deciding at once cannot both apply it.
    try:
        return decide(request, by=by, approve=approve, note=note, subject=request.report.project, source=SOURCE)
    except StaleVersion as error:
        raise ConcurrentChange(str(error)) from error


@transaction.atomic
def correction_approve(*, request: CorrectionRequest, by: Any, note: str = "") -> CorrectionRequest:
    """Apply the requested values to the live report. The published snapshot is left as it was."""
    report = (
        ProgressReport.objects.select_for_update(of=("self",)).select_related("project", "period")
        .get(pk=request.report_id)
    )
    _ensure_published(report)
    request = _decide(request=request, by=by, approve=True, note=note)
    values = {name: _parse(name, str(text)) for name, text in request.changes.items() if name in FIELDS}
    # Checked again: the reports around this one may have changed since the request was filed.
    _check(report, values)
    before = audit_snapshot(report)
    for name, value in values.items():
        setattr(report, name, value)
    # The office decided these values: they are reviewed figures from now on.
    report.approved = True
    # Not progress_save: it refuses frozen periods, which is exactly what an approved correction overrides.
    report.save(update_fields=[*(n for n in request.changes if n in FIELDS), "approved", "updated_at"])
    year_figures_refresh(project_ids=[report.project_id], years=[report.year])
    audit_record(by=by, instance=report, before=before, subject=report.project, source=SOURCE)
    project_light_refresh(report.project)
    _tell_requester(request)
    return request


@transaction.atomic
def correction_reject(*, request: CorrectionRequest, by: Any, note: str) -> CorrectionRequest:
    if not note.strip():
        raise DispatchError(_("驳回时请写明意见。"))
    request = _decide(request=request, by=by, approve=False, note=note)
    _tell_requester(request)
    return request
