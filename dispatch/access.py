"""The dispatch cycle's object lookups; every dispatch view starts with one of these or a policy rule."""
from __future__ import annotations

from django.db.models import QuerySet
from django.http import Http404, HttpRequest

from core.policies import can, require
from dispatch.models import Problem, UnitReport
from org.access import current_user
from org.models import User

__all__ = ["current_user", "problems_visible_to", "unit_report_for"]


def unit_report_for(request: HttpRequest, pk: int, *, write: bool = False) -> UnitReport:
    """A unit report the user may see: the office and leaders all, viewers all, a reporter the unit's own.

    Out of scope is 404; in scope but read-only is 403 for ``write``.
    """
    user = current_user(request)
    report = UnitReport.objects.select_related("period", "unit").filter(pk=pk).first()
    if report is None or not can(user, "dispatch.view_report", report):
        raise Http404
    if write:
        require(user, "dispatch.report", report)
    return report


def problems_visible_to(user: User) -> QuerySet[Problem]:
    """Problems the user may see: a reporter those assigned to the unit; everybody else all."""
    qs = Problem.objects.all()
    if not can(user, "dispatch.see_all_units"):
        return qs.filter(responsible_unit_id=user.unit_id) if user.unit_id else qs.none()
    return qs
