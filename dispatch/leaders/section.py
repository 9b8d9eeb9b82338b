"""The instructions section (领导批示) of a problem's page and of a project's page: the list, newest first, and
for a leader the form (``dispatch/_instructions.html``).

The project page gets it through ``core.hooks.project_sections`` (dispatch/hooks.py) from
:func:`instruction_section`; the problem page includes the template itself with the problem's instructions;
a leader's form posts to the views, which answer with the section again (HTMX swaps it in place).
"""
from __future__ import annotations

from django.urls import reverse

from core.hooks import Section
from core.policies import can
from dispatch.leaders import selectors
from dispatch.leaders.forms import InstructionForm
from dispatch.models import Problem
from org.models import User
from projects.models import Project

TEMPLATE = "dispatch/_instructions.html"


def instructions_url(*, problem: Problem | None = None, project: Project | None = None) -> str:
    """Where a leader's instruction on a problem (or a project) is posted."""
    if problem is not None:
        return reverse("dispatch:problem_instructions", args=[problem.pk])
    assert project is not None
    return reverse("dispatch:project_instructions", args=[project.pk])


def instruction_section(
    user: User,
    *,
    problem: Problem | None = None,
    project: Project | None = None,
    form: InstructionForm | None = None,
    saved: bool = False,
) -> Section:
    """The section for one item (a problem or a project) as ``user`` sees it: one query, the list."""
    item: Problem | Project = problem if problem is not None else project  # type: ignore[assignment]
    return Section(TEMPLATE, {
        "instructions": selectors.instructions_of(problem=problem, project=project),
        "may_write": can(user, "dispatch.instruct", item),
        "instructions_url": instructions_url(problem=problem, project=project),
        # A form sent back with its errors keeps the text the leader typed.
        "instruction_form": form,
        "saved": saved,
    })
