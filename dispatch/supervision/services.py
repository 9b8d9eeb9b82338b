"""Problems and their supervision (问题督办): writes, the transitions table, and the reads of the pages.

A problem is a tracked item (``core.tracking``). It goes assigned (交办) → handling (办理中) →
answered (已反馈) → closed (办结); the office may send an answer back to handling. While the unit
holds it, the unit may ask for a later deadline (申请延期) or say it is not theirs (退回申请); an
approved return hands it back to the office (已退回), which assigns it again (重新交办). Every step
checks its policy rule, the state it starts from and the ``version`` the user saw, so two people
acting at once cannot overwrite each other, and writes a ProblemStep and an audit entry.

Escalation is not stored: it follows from the deadline and today (``core.tracking.escalation``), so
a problem's badge is always the one today's date gives, and an approved extension moves it.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, cast

from django.db import transaction
from django.db.models import Case, Exists, IntegerField, OuterRef, Q, QuerySet, Value, When
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from audit.services import audit_record
from core import clock
from core.district import district
from core.models import Period
from core.policies import can, require
from core.tracking import escalation as tracked_escalation
from core.tracking import requests as tracked_requests
from core.tracking.errors import StaleVersion, TrackingError
from core.tracking.transitions import NOT_AUDITED, Transition, TransitionTable, transition
from dispatch import rules
from dispatch.access import problems_visible_to
from dispatch.models import ExtensionRequest, Problem, ProblemStep, ReturnRequest
from dispatch.notify import notify_office, notify_unit, notify_users
from dispatch.periods.services import ConcurrentChange, DispatchError
from org.models import Unit, User
from projects.models import ProgressReport, Project

LEVELS = (rules.NONE, rules.BLUE, rules.YELLOW, rules.RED)
OPEN_STATES = frozenset(
    {Problem.State.ASSIGNED, Problem.State.HANDLING, Problem.State.ANSWERED, Problem.State.RETURNED}
)
# A unit asks for more time, or hands a problem back, while it is working on it, not after answering.
EXTENSIBLE_STATES = frozenset({Problem.State.ASSIGNED, Problem.State.HANDLING})
RETURNABLE_STATES = EXTENSIBLE_STATES

S, A = Problem.State, ProblemStep.Action
TRANSITIONS = TransitionTable(
    Transition("accept", frozenset({S.ASSIGNED}), S.HANDLING, rule="dispatch.accept_problem", step=A.ACCEPT),
    Transition(
        "answer", frozenset({S.HANDLING}), S.ANSWERED, rule="dispatch.answer_problem", step=A.ANSWER,
        needs_text=True, missing_text=gettext_lazy("请填写办理情况。"),
    ),
    Transition("close", frozenset({S.ANSWERED}), S.CLOSED, rule="dispatch.close_problem", step=A.CLOSE),
    Transition(
        "send_back", frozenset({S.ANSWERED}), S.HANDLING, rule="dispatch.send_back_problem", step=A.SEND_BACK,
        needs_text=True, missing_text=gettext_lazy("退回重办时必须写明原因。"),
    ),
    Transition("reassign", frozenset({S.RETURNED}), S.ASSIGNED, rule="dispatch.reassign_problem", step=A.REASSIGN),
)
# The actions of the "办理" forms; reassigning has its own form (a unit and a deadline).
ACT_ACTIONS = ("accept", "answer", "close", "send_back")


# The district's clock, under the name the problem pages have always called.
today = clock.today


@contextmanager
def _as_dispatch_errors() -> Iterator[None]:
    """core.tracking refuses in its own words and classes; dispatch's callers catch DispatchError."""
    try:
        yield
    except DispatchError:
        raise
    except StaleVersion as error:
        raise ConcurrentChange(str(error)) from error
    except TrackingError as error:
        raise DispatchError(str(error)) from error


# --- escalation -----------------------------------------------------------------------------

def escalation(problem: Problem, on: dt.date | None = None) -> rules.Escalation:
    return tracked_escalation.escalation(
        deadline=problem.deadline, today=on or today(), closed=problem.is_closed,
        remind_days=district().problem_remind_days, red_days=district().problem_red_days,
    )


def escalation_rule_in_words() -> list[str]:
    return tracked_escalation.escalation_in_words(
        remind_days=district().problem_remind_days, red_days=district().problem_red_days
    )


def level_q(level: str, on: dt.date) -> Q:
    """The problems at ``level`` on day ``on``, as a filter derived from the rule's bands, so the list
    filters and counts in the database (dispatch/tests/test_one_overdue_rule.py holds it to the rule)."""
    return tracked_escalation.level_q(
        level, on=on, closed=Q(state=Problem.State.CLOSED),
        remind_days=district().problem_remind_days, red_days=district().problem_red_days,
    )


def overdue_first(qs: QuerySet[Problem]) -> QuerySet[Problem]:
    """Open problems by deadline (so the most overdue come first, then those due soonest), closed last."""
    return qs.annotate(
        closed_rank=Case(When(state=Problem.State.CLOSED, then=Value(1)), default=Value(0), output_field=IntegerField())
    ).order_by("closed_rank", "deadline", "pk")


def for_list(qs: QuerySet[Problem]) -> QuerySet[Problem]:
    """What a row shows, in the one query of the page."""
    pending = ExtensionRequest.objects.filter(problem=OuterRef("pk"), state=ExtensionRequest.State.PENDING)
    pending_return = ReturnRequest.objects.filter(problem=OuterRef("pk"), state=ReturnRequest.State.PENDING)
    return overdue_first(
        qs.select_related("project", "responsible_unit", "responsible_leader").annotate(
            has_pending_extension=Exists(pending), has_pending_return=Exists(pending_return)
        )
    )


def with_escalation(problems: Any, on: dt.date | None = None) -> list[Problem]:
    """The problems as a list, each with ``escalation`` set (no query per row)."""
    day = on or today()
    rows = list(problems)
    for problem in rows:
        problem.escalation = escalation(problem, day)
    return rows


def problems_for_project(project: Project, user: User, limit: int = 50) -> list[Problem]:
    """The project's problems the user may see, overdue first, for the project page."""
    qs = problems_visible_to(user).filter(project=project).select_related("responsible_unit", "responsible_leader")
    return with_escalation(overdue_first(qs)[:limit])


# --- who may do what now ---------------------------------------------------------------------

def available_actions(user: User, problem: Problem) -> list[str]:
    """The actions of the "办理" forms the user may take now: the rule of each and the current state."""
    return TRANSITIONS.available(user, problem, ACT_ACTIONS)


def _url(problem: Problem) -> str:
    return reverse("dispatch:problem_detail", args=[problem.pk])


def _check_leader(leader: User | None) -> None:
    if leader is not None and not can(leader, "dispatch.be_responsible_leader"):
        raise DispatchError(_("责任领导应为区领导。"))


def _check_deadline(deadline: dt.date) -> None:
    if deadline < today():
        raise DispatchError(_("办结时限不能早于今天（%(today)s）。") % {"today": today().isoformat()})


# --- writes ---------------------------------------------------------------------------------

@transaction.atomic
def problem_create(
    *,
    by: User,
    project: Project | None,
    description: str,
    responsible_unit: Unit,
    responsible_leader: User | None,
    deadline: dt.date,
    source: str,
    period: Period | None = None,
    report: ProgressReport | None = None,
) -> Problem:
    """Assign a problem to a unit (office only); the unit's reporters and the leader are told."""
    require(by, "dispatch.create_problem")
    description = description.strip()
    if not description:
        raise DispatchError(_("请填写问题描述。"))
    _check_deadline(deadline)
    if source not in Problem.Source.values:
        raise DispatchError(_("问题来源无效。"))
    _check_leader(responsible_leader)
    if report is not None:
        if project is None:
            project = report.project
        elif report.project_id != project.pk:
            raise DispatchError(_("来源月报不属于所选项目。"))
        period = period or report.period
    problem = Problem.objects.create(
        project=project,
        period=period,
        source=source,
        report=report,
        description=description,
        responsible_unit=responsible_unit,
        responsible_leader=responsible_leader,
        deadline=deadline,
        created_by=by,
    )
    problem.record(
        action=ProblemStep.Action.ASSIGN,
        by=by,
        text=_("交办%(unit)s办理，办结时限 %(deadline)s。")
        % {"unit": responsible_unit, "deadline": deadline.isoformat()},
    )
    audit_record(by=by, instance=problem, before={}, subject=problem.audit_subject(), exclude=NOT_AUDITED)
    text = _("督办交办：%(description)s（办结时限 %(deadline)s）") % {
        "description": description[:120], "deadline": deadline.isoformat()
    }
    notify_unit(responsible_unit, text, _url(problem))
    if responsible_leader is not None:
        notify_users([responsible_leader], text, _url(problem))
    return problem


def _transition(*, problem: Problem, version: int, by: User, action: str, text: str = "", **fields: Any) -> Problem:
    with _as_dispatch_errors():
        current = transition(problem, table=TRANSITIONS, action=action, version=version, by=by, text=text, **fields)
    problem.refresh_from_db()
    return current


@transaction.atomic
def problem_accept(*, problem: Problem, version: int, by: User, text: str = "") -> Problem:
    """Assigned → handling: the unit has taken the problem in hand (or the office records that it has)."""
    return _transition(problem=problem, version=version, by=by, action="accept", text=text)


@transaction.atomic
def problem_answer(*, problem: Problem, version: int, by: User, text: str) -> Problem:
    """Handling → answered: the unit reports what it has done."""
    result = _transition(problem=problem, version=version, by=by, action="answer", text=text)
    notify_office(
        _("%(unit)s反馈了督办问题：%(description)s") % {"unit": result.responsible_unit, "description": result},
        _url(result),
    )
    return result


@transaction.atomic
def problem_close(*, problem: Problem, version: int, by: User, text: str = "") -> Problem:
    """Answered → closed (办结); the office accepts the answer."""
    result = _transition(problem=problem, version=version, by=by, action="close", text=text, closed_at=timezone.now())
    message = _("督办问题已办结：%(description)s") % {"description": result}
    notify_unit(result.responsible_unit_id, message, _url(result))
    return result


@transaction.atomic
def problem_send_back(*, problem: Problem, version: int, by: User, text: str) -> Problem:
    """Answered → handling: the office does not accept the answer and says why."""
    result = _transition(problem=problem, version=version, by=by, action="send_back", text=text)
    notify_unit(
        result.responsible_unit_id,
        _("督办问题被退回重办：%(description)s。原因：%(reason)s") % {"description": result, "reason": text.strip()},
        _url(result),
    )
    return result


@transaction.atomic
def problem_reassign(
    *, problem: Problem, version: int, by: User, responsible_unit: Unit, responsible_leader: User | None,
    deadline: dt.date, text: str = "",
) -> Problem:
    """Returned → assigned: the office assigns a problem handed back to it to a unit, with a deadline."""
    require(by, "dispatch.reassign_problem", problem)
    _check_deadline(deadline)
    _check_leader(responsible_leader)
    words = _("改交%(unit)s办理，办结时限 %(deadline)s。") % {
        "unit": responsible_unit, "deadline": deadline.isoformat()
    }
    result = _transition(
        problem=problem, version=version, by=by, action="reassign", text=f"{words}{text.strip()}",
        responsible_unit=responsible_unit, responsible_leader=responsible_leader, deadline=deadline,
    )
    message = _("督办交办：%(description)s（办结时限 %(deadline)s）") % {
        "description": result.description[:120], "deadline": deadline.isoformat()
    }
    notify_unit(responsible_unit, message, _url(result))
    if responsible_leader is not None:
        notify_users([responsible_leader], message, _url(result))
    return result


@transaction.atomic
def extension_request(
    *, problem: Problem, version: int, by: User, new_deadline: dt.date, reason: str
) -> ExtensionRequest:
    """The unit asks for a later deadline; only before the deadline, one request at a time."""
    with _as_dispatch_errors():
        extension = tracked_requests.extension_request(
            problem, version=version, by=by, new_deadline=new_deadline, reason=reason,
            rule="dispatch.request_extension", states=EXTENSIBLE_STATES,
        )
    problem.refresh_from_db()
    notify_office(
        _("%(unit)s申请督办问题延期至 %(new)s：%(description)s")
        % {"unit": problem.responsible_unit, "new": new_deadline.isoformat(), "description": problem},
        _url(problem),
    )
    return cast(ExtensionRequest, extension)


@transaction.atomic
def extension_decide(
    *, extension: ExtensionRequest, version: int, by: User, approve: bool, note: str = ""
) -> ExtensionRequest:
    """The office approves (the deadline becomes the requested date) or rejects (with the reason)."""
    problem = extension.problem
    with _as_dispatch_errors():
        text = tracked_requests.extension_decide(
            extension, item=problem, version=version, by=by, approve=approve, note=note,
            rule="dispatch.decide_extension",
        )
    problem.refresh_from_db()
    notify_unit(problem.responsible_unit_id, f"{text} {problem}", _url(problem))
    return extension


@transaction.atomic
def return_request(*, problem: Problem, version: int, by: User, reason: str) -> ReturnRequest:
    """The unit says the problem is not theirs, and why; the office decides."""
    with _as_dispatch_errors():
        request = tracked_requests.return_request(
            problem, version=version, by=by, reason=reason, rule="dispatch.request_return", states=RETURNABLE_STATES
        )
    problem.refresh_from_db()
    notify_office(
        _("%(unit)s申请退回督办问题：%(description)s。理由：%(reason)s")
        % {"unit": problem.responsible_unit, "description": problem, "reason": request.reason},
        _url(problem),
    )
    return cast(ReturnRequest, request)


@transaction.atomic
def return_decide(*, request: ReturnRequest, version: int, by: User, approve: bool, note: str = "") -> ReturnRequest:
    """The office approves (the problem comes back to the office, to be assigned again) or rejects (the
    unit keeps it, and is told why)."""
    problem = request.problem
    with _as_dispatch_errors():
        text = tracked_requests.return_decide(
            request, item=problem, version=version, by=by, approve=approve, note=note,
            rule="dispatch.decide_return", states=RETURNABLE_STATES, target=Problem.State.RETURNED,
        )
    problem.refresh_from_db()
    notify_unit(problem.responsible_unit_id, f"{text} {problem}", _url(problem))
    return request
