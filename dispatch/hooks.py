"""dispatch's answers to the questions lower layers ask (core.hooks), registered in DispatchConfig.ready."""
from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from core import hooks
from core.hooks import HandedIn, Section
from core.models import Period
from dispatch.models import UnitReport


def handed_in(*, unit_ids: Iterable[int], period: Period | None) -> HandedIn | None:
    reports = UnitReport.objects.filter(
        unit_id__in=list(unit_ids), state__in=[UnitReport.State.SUBMITTED, UnitReport.State.APPROVED]
    )
    reports = reports.filter(period=period) if period is not None else reports.exclude(
        period__state=Period.State.PUBLISHED
    )
    report = (
        reports.select_related("unit", "period").order_by("period__year", "period__month", "period__half").first()
    )
    if report is None:
        return None
    return HandedIn(unit=str(report.unit), period=report.period, state_label=report.get_state_display())


def project_problems(*, project: Any, user: Any) -> Section:
    from dispatch.supervision.services import problems_for_project

    return Section("dispatch/_problem_list_for_project.html", {"problems": problems_for_project(project, user)})


def project_instructions(*, project: Any, user: Any) -> Section:
    """The leaders' instructions (批示) on the project, newest first, and a leader's form to write one."""
    from dispatch.leaders.section import instruction_section

    return instruction_section(user, project=project)


# Registered as this module is imported (in DispatchConfig.ready, before the answers registered there), so the
# project page shows the leaders' instructions before the project's problems.
hooks.project_sections.register(project_instructions)
