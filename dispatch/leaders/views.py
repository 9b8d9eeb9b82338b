"""Leaders' pages: the site's root (a leader opens on his or her home page), the leader's home page (领导首页),
and the instructions (批示) a leader writes on a problem or a project. The pages show the instructions section
(dispatch/leaders/section.py); a leader's form posts here and gets the section back with the new instruction
(or with the form's errors, the text kept).
"""
from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST, require_safe

from core import clock
from core.policies import can, require
from dispatch.access import current_user, problems_visible_to
from dispatch.leaders import selectors, services
from dispatch.leaders.forms import InstructionForm
from dispatch.leaders.section import instruction_section
from dispatch.models import Problem
from dispatch.periods.services import DispatchError
from projects.models import Project


@require_safe
def root(request: HttpRequest) -> HttpResponse:
    """The site's address: a leader's home page for a leader, the ledger for everybody else."""
    if can(current_user(request), "dispatch.leader_home"):
        return redirect("dispatch:leader_home")
    return redirect("projects:ledger")


@require_GET
def leader_home(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    require(user, "dispatch.leader_home")
    on = clock.today()
    return render(request, "dispatch/leader_home.html", {"home": selectors.leader_home(user, on=on), "as_of": on})


# --- instructions ---------------------------------------------------------------------------

def _problem_for(request: HttpRequest, pk: int) -> Problem:
    """A problem the user may see; out of scope is 404, as on the problem's page."""
    problem = problems_visible_to(current_user(request)).select_related("project").filter(pk=pk).first()
    if problem is None:
        raise Http404
    return problem


def _project_for(request: HttpRequest, pk: int) -> Project:
    """A project the user may see; out of scope is 404, as on the project's page."""
    project = Project.objects.visible_to(current_user(request)).filter(pk=pk).first()
    if project is None:
        raise Http404
    return project


def _instruct(
    request: HttpRequest, *, problem: Problem | None = None, project: Project | None = None
) -> HttpResponse:
    """A leader writes an instruction: the section comes back (HTMX) with it, or with the form's errors and the
    text kept; a form posted without HTMX goes back to the item's page with a message."""
    user = current_user(request)
    item: Problem | Project = problem if problem is not None else project  # type: ignore[assignment]
    require(user, "dispatch.instruct", item)
    form = InstructionForm(request.POST)
    saved = False
    if form.is_valid():
        try:
            services.instruction_create(by=user, text=form.cleaned_data["text"], problem=problem, project=project)
        except DispatchError as error:
            form.add_error(None, str(error))
        else:
            saved = True
    kept = None if saved else form  # a saved instruction leaves an empty form behind
    if not request.headers.get("HX-Request"):
        return _back(request, problem=problem, project=project, form=kept)
    section = instruction_section(user, problem=problem, project=project, form=kept, saved=saved)
    return render(request, section.template, section.context)


def _back(
    request: HttpRequest, *, problem: Problem | None, project: Project | None, form: InstructionForm | None
) -> HttpResponse:
    """Without HTMX: back to the item's page, at the section, with what happened as a message."""
    if form is None:
        messages.success(request, _("批示已保存，已通知责任单位和项目办。"))
    else:
        for field_errors in form.errors.values():
            for error in field_errors:
                messages.error(request, str(error))
    if problem is not None:
        return redirect(reverse("dispatch:problem_detail", args=[problem.pk]) + "#instructions")
    assert project is not None
    return redirect(reverse("projects:detail", args=[project.pk]) + "#instructions")


@require_POST
def problem_instructions(request: HttpRequest, pk: int) -> HttpResponse:
    return _instruct(request, problem=_problem_for(request, pk))


@require_POST
def project_instructions(request: HttpRequest, pk: int) -> HttpResponse:
    return _instruct(request, project=_project_for(request, pk))


urlpatterns: list[URLPattern] = [
    path("leader/", leader_home, name="leader_home"),
    path("problems/<int:pk>/instructions/", problem_instructions, name="problem_instructions"),
    path("projects/<int:pk>/instructions/", project_instructions, name="project_instructions"),
]
