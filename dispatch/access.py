"""Who may do what in the dispatch cycle; every dispatch view starts with one of these."""
from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404, HttpRequest

from dispatch.models import Problem, UnitReport
from org.access import current_user, require_office
from org.models import User

__all__ = ["current_user", "problems_visible_to", "require_office", "unit_report_for"]


def unit_report_for(request: HttpRequest, pk: int, *, write: bool = False) -> UnitReport:
    """A unit report the user may see: the office and leaders all, viewers all, a reporter the unit's own.

    Out of scope is 404; in scope but read-only is 403 for ``write``.
    """
    user = current_user(request)
    report = UnitReport.objects.select_related("period", "unit").filter(pk=pk).first()
    if report is None:
        raise Http404
    if user.role == User.Role.REPORTER and report.unit_id != user.unit_id:
        raise Http404
    if write and not (user.is_office or (user.role == User.Role.REPORTER and report.unit_id == user.unit_id)):
        raise PermissionDenied
    return report


def problems_visible_to(user: User) -> QuerySet[Problem]:
    """Problems the user may see: a reporter those assigned to the unit; everybody else all."""
    qs = Problem.objects.all()
    if user.role == User.Role.REPORTER:
        return qs.filter(responsible_unit_id=user.unit_id) if user.unit_id else qs.none()
    return qs
