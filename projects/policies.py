"""Who may do what in the project ledger (registered in ProjectsConfig.ready).

Scoping a list stays on the QuerySet (``Project.objects.visible_to`` / ``editable_by``); these
rules answer for one user, and for one project where they take one.
"""
from __future__ import annotations

from typing import Any

from core.policies import rule
from org.models import User
from projects.models import LedgerState, Project


def is_unit_reporter(user: User) -> bool:
    """A reporter acting for a unit (a reporter without a unit acts for nobody)."""
    return user.role == User.Role.REPORTER and user.unit_id is not None


def _in_scope(user: User, project: Project, scope: str) -> bool:
    """Whether ``Project.objects.<scope>(user)`` holds the project: the QuerySet stays the one definition.

    Remembered on the instance for the request, because one page asks several rules of one project
    (edit, report, request) and each answer would otherwise cost a query.
    """
    memo: dict[tuple[str, int], bool] = project.__dict__.setdefault("_policy_scope", {})
    key = (scope, user.pk)
    if key not in memo:
        memo[key] = getattr(Project.objects, scope)(user).filter(pk=project.pk).exists()
    return memo[key]


@rule("projects.unit_scoped")
def unit_scoped(user: User, obj: Any = None) -> bool:
    """A reporter works for one unit: he or she sees and changes only the projects the unit leads or that lie in
    its town (none without a unit), and files only those. Everybody else sees the whole ledger."""
    return user.role == User.Role.REPORTER


@rule("projects.view")
def view(user: User, project: Project | None = None) -> bool:
    """Everybody logged in reads the ledger; a unit's reporter only the projects led by or located in the unit."""
    if project is None:
        return True
    return _in_scope(user, project, "visible_to")


@rule("projects.create")
def create(user: User, obj: Any = None) -> bool:
    """The office adds projects straight into the ledger; a unit's reporter proposes them (入库申请), by form or
    Excel import, and follows the unit's requests to the office. Leaders and viewers add nothing."""
    return user.is_office or is_unit_reporter(user)


@rule("projects.import")
def excel_import(user: User, obj: Any = None) -> bool:
    """Importing the ledger from Excel is adding and changing projects: whoever may add projects may import."""
    return create(user)


@rule("projects.import_lists")
def import_lists(user: User, obj: Any = None) -> bool:
    """A district's own lists (any layout, thousands of rows, units and categories created on the way) are
    imported by the office, who decides how their columns and names map; units use the ledger's template."""
    return user.is_office


@rule("projects.edit")
def edit(user: User, project: Project | None = None) -> bool:
    """The office edits every project at any time; a unit's reporter the unit's projects while they are in the
    ledger or proposed (not once withdrawn or rejected). Leaders and viewers edit nothing."""
    if project is None:
        return user.is_office or is_unit_reporter(user)
    if not _in_scope(user, project, "editable_by"):
        return False
    return user.is_office or project.ledger_state in {LedgerState.ACTIVE, LedgerState.PROPOSED}


@rule("projects.report_progress")
def report_progress(user: User, project: Project | None = None) -> bool:
    """Monthly progress is reported by whoever may edit the project, and only while it is in the ledger."""
    return edit(user, project) and (project is None or project.in_ledger)


@rule("projects.request_change")
def request_change(user: User, project: Project | None = None) -> bool:
    """A unit asks the office to adjust (level, total investment, planned dates) or withdraw a project it may edit
    in the ledger; the office makes those changes itself and asks nobody."""
    return not user.is_office and report_progress(user, project)


@rule("projects.decide_changes")
def decide_changes(user: User, obj: Any = None) -> bool:
    """The office decides the units' requests (入库, 调整, 退库) and makes those changes itself without asking:
    its new projects go straight into the ledger, it adjusts and withdraws directly, it sees every request."""
    return user.is_office


@rule("projects.withdraw")
def withdraw(user: User, project: Project | None = None) -> bool:
    """The office withdraws a project in the ledger (退库); the history stays."""
    return user.is_office and (project is None or project.in_ledger)


@rule("projects.delete")
def delete(user: User, project: Project | None = None) -> bool:
    """Only the office deletes a project (the service still refuses one with reported or published data)."""
    return user.is_office


@rule("projects.follow_own")
def follow_own(user: User, obj: Any = None) -> bool:
    """A leader (包靠领导) can narrow the ledger to the projects he or she is responsible for."""
    return user.role == User.Role.LEADER


@rule("projects.reviewed_entry")
def reviewed_entry(user: User, obj: Any = None) -> bool:
    """A month's progress the office enters itself counts as reviewed, and the office may still change a month
    whose unit report was handed in (until the period is published); a unit's entry waits for the office's review
    and its handed-in month is closed to it until the office returns the report."""
    return user.is_office


@rule("projects.enter_opening")
def enter_opening(user: User, project: Project | None = None) -> bool:
    """The office enters a year's opening balance (年初累计，开账) of a project that joined mid-year: it changes
    the year's cumulative without a monthly report, so no unit enters it for itself."""
    return user.is_office and (project is None or project.in_ledger)


@rule("projects.be_leader")
def be_leader(user: User, obj: Any = None) -> bool:
    """Only an active district leader can be named a project's responsible leader (包靠领导), in a form or a file;
    a former leader still named on old projects is recognised but cannot be chosen again."""
    return user.is_active and user.role == User.Role.LEADER
