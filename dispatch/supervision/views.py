"""Dispatch views: problems and their supervision (问题督办).

Everybody logged in reads problems (a reporter only the unit's own, others are 404); the office
assigns, closes, sends back and assigns again; the responsible unit accepts, answers, asks for more
time or asks to hand the problem back (退回申请).
Each action posts the version the user saw; a refusal comes back in words.
"""
from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Count, Q, QuerySet
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from core.policies import can, require
from dispatch import rules
from dispatch.access import current_user, problems_visible_to
from dispatch.models import ExtensionRequest, Problem, ReturnRequest
from dispatch.periods.services import ConcurrentChange, DispatchError
from dispatch.supervision import services as problems
from dispatch.supervision import slip
from dispatch.supervision.forms import (
    LEVEL_CHOICES,
    PROJECT_SEARCH_LIMIT,
    ExtensionDecideForm,
    ExtensionRequestForm,
    ProblemActionForm,
    ProblemFilterForm,
    ProblemForm,
    ReassignForm,
    ReturnDecideForm,
    ReturnRequestForm,
    project_label,
    project_search,
)
from projects.models import ProgressReport, Project

PAGE_SIZE = 50
SERVICES = {
    "accept": problems.problem_accept,
    "answer": problems.problem_answer,
    "close": problems.problem_close,
    "send_back": problems.problem_send_back,
}
ACTION_LABELS = {
    "accept": gettext_lazy("签收办理"),
    "answer": gettext_lazy("提交反馈"),
    "close": gettext_lazy("办结"),
    "send_back": gettext_lazy("退回重办"),
}


def _problem_for(request: HttpRequest, pk: int) -> Problem:
    """A problem the user may see; out of scope is 404, so a reporter learns nothing of other units'."""
    problem = (
        problems_visible_to(current_user(request))
        .select_related("project", "period", "report", "responsible_unit", "responsible_leader", "created_by")
        .filter(pk=pk)
        .first()
    )
    if problem is None:
        raise Http404
    return problem


# --- the list -------------------------------------------------------------------------------

def _link(params: dict[str, Any], **changes: str) -> str:
    query = {key: value for key, value in {**params, **changes}.items() if value not in ("", None) and key != "page"}
    return "?" + urlencode(query) if query else "?"


def problem_list(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    on = problems.today()
    form = ProblemFilterForm(request.GET or None, user=user)
    data = form.cleaned_data if form.is_valid() else {}
    base: QuerySet[Problem] = problems_visible_to(user)
    if data.get("unit"):
        base = base.filter(responsible_unit=data["unit"])
    if data.get("leader"):
        base = base.filter(responsible_leader=data["leader"])
    if data.get("mine"):
        base = base.filter(responsible_leader=user)
    # The counts are of the unit/leader selection, so each count is also a link that narrows it.
    counts = base.aggregate(
        total=Count("pk"),
        **{f"state_{state}": Count("pk", filter=Q(state=state)) for state in Problem.State.values},
        **{f"level_{level}": Count("pk", filter=problems.level_q(level, on)) for level in problems.LEVELS},
    )
    qs = base
    if data.get("state"):
        qs = qs.filter(state=data["state"])
    if data.get("level"):
        qs = qs.filter(problems.level_q(data["level"], on))
    page = Paginator(problems.for_list(qs), PAGE_SIZE).get_page(request.GET.get("page"))
    params = {key: request.GET.get(key, "") for key in ("unit", "leader", "state", "level", "mine")}
    level_labels = dict(LEVEL_CHOICES)
    context = {
        "form": form,
        "page": page,
        "rows": problems.with_escalation(page.object_list, on),
        "total": counts["total"],
        "state_counts": [
            {"label": label, "count": counts[f"state_{value}"], "url": _link(params, state=value),
             "active": params["state"] == value}
            for value, label in Problem.State.choices
        ],
        "level_counts": [
            {"level": level, "label": level_labels[level], "count": counts[f"level_{level}"],
             "url": _link(params, level=level), "active": params["level"] == level}
            for level in (rules.RED, rules.YELLOW, rules.BLUE)
        ],
        "query": _link(params)[1:],
        "rule_in_words": problems.escalation_rule_in_words(),
        "can_create": can(user, "dispatch.create_problem"),
        "as_of": on,
    }
    return render(request, "dispatch/problem_list.html", context)


# --- a new problem --------------------------------------------------------------------------

def _initial(request: HttpRequest) -> dict[str, Any]:
    """Prefill from a report row (``?report=``) or a project (``?project=``)."""
    initial: dict[str, Any] = {"source": Problem.Source.DIRECT}
    report_id, project_id = request.GET.get("report", ""), request.GET.get("project", "")
    project = None
    if report_id.isdigit():
        report = (
            ProgressReport.objects.select_related("project__lead_unit", "project__responsible_leader", "period")
            .filter(pk=int(report_id))
            .first()
        )
        if report is None:
            raise Http404
        project = report.project
        initial.update(
            source=Problem.Source.REPORT, report=report.pk, description=report.problems, period=report.period_id
        )
    elif project_id.isdigit():
        project = Project.objects.select_related("lead_unit", "responsible_leader").filter(pk=int(project_id)).first()
        if project is None:
            raise Http404
    if project is not None:
        initial.update(
            project=project.pk, responsible_unit=project.lead_unit_id, responsible_leader=project.responsible_leader_id
        )
    return initial


@require_http_methods(["GET", "POST"])
def problem_new(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    require(user, "dispatch.create_problem")
    initial = _initial(request) if request.method == "GET" else None
    form = ProblemForm(request.POST or None, initial=initial, user=user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            problem = problems.problem_create(
                by=user,
                project=data.get("project"),
                description=data["description"],
                responsible_unit=data["responsible_unit"],
                responsible_leader=data.get("responsible_leader"),
                deadline=data["deadline"],
                source=data["source"],
                period=data.get("period"),
                report=data.get("report"),
            )
        except DispatchError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _("已交办督办问题，并通知了%(unit)s。") % {"unit": problem.responsible_unit})
            return redirect("dispatch:problem_detail", pk=problem.pk)
    return render(request, "dispatch/problem_form.html", {"form": form, "search_limit": PROJECT_SEARCH_LIMIT})


@require_GET
def problem_projects(request: HttpRequest) -> JsonResponse:
    """The new-problem form's project search (static/js/problem_form.js): the first 20 of the user's
    ledger projects matching ``q``, each with the lead unit and leader the form fills in from it.
    A province holds 20,000 projects, too many for a drop-down list."""
    user = current_user(request)
    require(user, "dispatch.create_problem")
    text = request.GET.get("q", "").strip()[:100]
    if not text:
        return JsonResponse({"results": [], "more": False})
    found = list(
        project_search(user, text).select_related("lead_unit", "responsible_leader")[: PROJECT_SEARCH_LIMIT + 1]
    )
    results = [
        {
            "id": project.pk,
            "label": project_label(project),
            "code": project.code,
            "name": project.name,
            "unit": project.lead_unit_id,
            "unit_name": str(project.lead_unit),
            "leader": project.responsible_leader_id,
            "leader_name": str(project.responsible_leader) if project.responsible_leader else "",
        }
        for project in found[:PROJECT_SEARCH_LIMIT]
    ]
    return JsonResponse({"results": results, "more": len(found) > PROJECT_SEARCH_LIMIT})


# --- one problem ----------------------------------------------------------------------------

def _detail(
    request: HttpRequest,
    problem: Problem,
    *,
    act_form: ProblemActionForm | None = None,
    extension_form: ExtensionRequestForm | None = None,
    decide_form: ExtensionDecideForm | None = None,
    return_form: ReturnRequestForm | None = None,
    return_decide_form: ReturnDecideForm | None = None,
    reassign_form: ReassignForm | None = None,
) -> HttpResponse:
    user = current_user(request)
    on = problems.today()
    extensions = list(problem.extensions.select_related("requested_by", "decided_by"))
    pending = next((e for e in extensions if e.state == ExtensionRequest.State.PENDING), None)
    returns = list(problem.returns.select_related("requested_by", "decided_by"))
    pending_return = next((r for r in returns if r.state == ReturnRequest.State.PENDING), None)
    actions = problems.available_actions(user, problem)
    can_extend = (
        can(user, "dispatch.request_extension", problem)
        and problem.state in problems.EXTENSIBLE_STATES
        and pending is None
    )
    version = {"version": problem.version}
    context = {
        "problem": problem,
        "escalation": problems.escalation(problem, on),
        "rule_in_words": problems.escalation_rule_in_words(),
        "steps": problem.steps.select_related("by"),
        "extensions": extensions,
        "pending": pending,
        "actions": [(action, ACTION_LABELS[action], problems.TRANSITIONS[action].needs_text) for action in actions],
        "act_form": act_form,
        "can_extend": can_extend,
        # Asking on or after the deadline is refused; the page says so instead of offering the form.
        "extension_closed": can_extend and on >= problem.deadline,
        "extension_form": extension_form or ExtensionRequestForm(initial=version),
        "can_decide": can(user, "dispatch.decide_extension", problem) and pending is not None,
        "decide_form": decide_form or ExtensionDecideForm(initial=version),
        "returns": returns,
        "pending_return": pending_return,
        "can_return": (
            can(user, "dispatch.request_return", problem)
            and problem.state in problems.RETURNABLE_STATES
            and pending_return is None
        ),
        "return_form": return_form or ReturnRequestForm(initial=version),
        "can_decide_return": can(user, "dispatch.decide_return", problem) and pending_return is not None,
        "return_decide_form": return_decide_form or ReturnDecideForm(initial=version),
        "can_reassign": bool(problems.TRANSITIONS.available(user, problem, ("reassign",))),
        "reassign_form": reassign_form or ReassignForm(initial={
            **version, "responsible_leader": problem.responsible_leader_id, "deadline": max(problem.deadline, on),
        }),
        "as_of": on,
    }
    return render(request, "dispatch/problem_detail.html", context)


@require_GET
def problem_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _detail(request, _problem_for(request, pk))


def _refused(request: HttpRequest, problem: Problem, error: DispatchError) -> HttpResponse | None:
    """A concurrent change reloads the page so the user sees what happened; others stay on the form."""
    if isinstance(error, ConcurrentChange):
        messages.error(request, str(error))
        return redirect("dispatch:problem_detail", pk=problem.pk)
    return None


def _submit(
    request: HttpRequest, problem: Problem, form: forms.Form, form_name: str, run: Callable[[dict[str, Any]], str]
) -> HttpResponse:
    """One handling for every form of the problem page: a valid form runs its service, which returns the
    success message; a refusal stays on the page with its reason (or reloads it after a concurrent change)."""
    if form.is_valid():
        try:
            done = run(form.cleaned_data)
        except DispatchError as error:
            if response := _refused(request, problem, error):
                return response
            form.add_error(None, str(error))
        else:
            messages.success(request, done)
            return redirect("dispatch:problem_detail", pk=problem.pk)
    return _detail(request, _problem_for(request, problem.pk), **{form_name: form})  # type: ignore[arg-type]


def _request_for(request: HttpRequest, model: type[ExtensionRequest] | type[ReturnRequest], pk: int) -> Any:
    """A request on a problem the user may see, or 404."""
    found = model.objects.select_related("problem").filter(
        pk=pk, problem__in=problems_visible_to(current_user(request))
    ).first()
    if found is None:
        raise Http404
    return found


@require_POST
def problem_act(request: HttpRequest, pk: int) -> HttpResponse:
    problem = _problem_for(request, pk)
    user = current_user(request)
    require(user, "dispatch.act_on_problem", problem)

    def run(data: dict[str, Any]) -> str:
        SERVICES[data["action"]](problem=problem, version=data["version"], by=user, text=data["text"])
        return _("已%(action)s。") % {"action": ACTION_LABELS[data["action"]]}

    return _submit(request, problem, ProblemActionForm(request.POST), "act_form", run)


@require_POST
def problem_extension(request: HttpRequest, pk: int) -> HttpResponse:
    problem = _problem_for(request, pk)
    user = current_user(request)
    require(user, "dispatch.request_extension", problem)

    def run(data: dict[str, Any]) -> str:
        problems.extension_request(
            problem=problem, version=data["version"], by=user, new_deadline=data["new_deadline"],
            reason=data["reason"],
        )
        return _("延期申请已提交，等待项目办审批。")

    return _submit(request, problem, ExtensionRequestForm(request.POST), "extension_form", run)


@require_POST
def problem_extension_decide(request: HttpRequest, pk: int) -> HttpResponse:
    extension = _request_for(request, ExtensionRequest, pk)
    user = current_user(request)
    require(user, "dispatch.decide_extension", extension.problem)

    def run(data: dict[str, Any]) -> str:
        approve = data["decision"] == "approve"
        problems.extension_decide(
            extension=extension, version=data["version"], by=user, approve=approve, note=data["note"]
        )
        return _("已批准延期。") if approve else _("已驳回延期申请。")

    return _submit(request, extension.problem, ExtensionDecideForm(request.POST), "decide_form", run)


@require_POST
def problem_return(request: HttpRequest, pk: int) -> HttpResponse:
    problem = _problem_for(request, pk)
    user = current_user(request)
    require(user, "dispatch.request_return", problem)

    def run(data: dict[str, Any]) -> str:
        problems.return_request(problem=problem, version=data["version"], by=user, reason=data["reason"])
        return _("退回申请已提交，等待项目办审批。")

    return _submit(request, problem, ReturnRequestForm(request.POST), "return_form", run)


@require_POST
def problem_return_decide(request: HttpRequest, pk: int) -> HttpResponse:
    item = _request_for(request, ReturnRequest, pk)
    user = current_user(request)
    require(user, "dispatch.decide_return", item.problem)

    def run(data: dict[str, Any]) -> str:
        approve = data["decision"] == "approve"
        problems.return_decide(request=item, version=data["version"], by=user, approve=approve, note=data["note"])
        return _("已同意退回，请重新交办。") if approve else _("已驳回退回申请。")

    return _submit(request, item.problem, ReturnDecideForm(request.POST), "return_decide_form", run)


@require_POST
def problem_reassign(request: HttpRequest, pk: int) -> HttpResponse:
    problem = _problem_for(request, pk)
    user = current_user(request)
    require(user, "dispatch.reassign_problem", problem)

    def run(data: dict[str, Any]) -> str:
        result = problems.problem_reassign(
            problem=problem, version=data["version"], by=user, responsible_unit=data["responsible_unit"],
            responsible_leader=data.get("responsible_leader"), deadline=data["deadline"], text=data["text"],
        )
        return _("已重新交办%(unit)s。") % {"unit": result.responsible_unit}

    return _submit(request, problem, ReassignForm(request.POST), "reassign_form", run)


@require_GET
def problem_slip(request: HttpRequest, pk: int) -> FileResponse:
    problem = _problem_for(request, pk)
    content = slip.slip_docx(problem)
    return FileResponse(
        io.BytesIO(content),
        as_attachment=True,
        filename=slip.slip_filename(problem),
        content_type="application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    )


urlpatterns: list[URLPattern] = [
    path("problems/", problem_list, name="problems"),
    path("problems/new/", problem_new, name="problem_new"),
    path("problems/new/projects.json", problem_projects, name="problem_projects"),
    path("problems/<int:pk>/", problem_detail, name="problem_detail"),
    path("problems/<int:pk>/act/", problem_act, name="problem_act"),
    path("problems/<int:pk>/extension/", problem_extension, name="problem_extension"),
    path("problems/extensions/<int:pk>/decide/", problem_extension_decide, name="problem_extension_decide"),
    path("problems/<int:pk>/return/", problem_return, name="problem_return"),
    path("problems/returns/<int:pk>/decide/", problem_return_decide, name="problem_return_decide"),
    path("problems/<int:pk>/reassign/", problem_reassign, name="problem_reassign"),
    path("problems/<int:pk>/slip.docx", problem_slip, name="problem_slip"),
]
