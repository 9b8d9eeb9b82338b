"""Problems and their supervision (问题督办): writes, who may do them, and the reads of the pages.

A problem goes assigned (交办) → handling (办理中) → answered (已反馈) → closed (办结); the office
may send an answer back to handling. Every step checks the state it starts from and the
``version`` the user saw, so two people acting at once cannot overwrite each other, and writes
a ProblemStep (time, person, text) and an audit entry.

Escalation is not stored: it follows from the deadline and today (``dispatch.rules``), so a
problem's badge is always the one today's date gives, and an approved extension moves it.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import models, transaction
from django.db.models import Case, Exists, F, IntegerField, OuterRef, Q, QuerySet, Value, When
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.services import audit_record, audit_snapshot
from core import clock
from core.models import Period
from dispatch import rules
from dispatch.access import problems_visible_to
from dispatch.models import ExtensionRequest, Problem, ProblemStep
from dispatch.notify import notify_office, notify_unit, notify_users
from dispatch.services import ConcurrentChange, DispatchError
from org.models import Unit, User
from projects.models import ProgressReport, Project

# The version is bookkeeping, not a change anybody made.
NOT_AUDITED = frozenset({"version"})
LEVELS = (rules.NONE, rules.BLUE, rules.YELLOW, rules.RED)
OPEN_STATES = frozenset({Problem.State.ASSIGNED, Problem.State.HANDLING, Problem.State.ANSWERED})
# A unit asks for more time while it is working on the problem, not after answering.
EXTENSIBLE_STATES = frozenset({Problem.State.ASSIGNED, Problem.State.HANDLING})


# The district's clock, under the name the problem pages have always called.
today = clock.today


# --- escalation -----------------------------------------------------------------------------

def escalation(problem: Problem, on: dt.date | None = None) -> rules.Escalation:
    return rules.problem_escalation(
        deadline=problem.deadline,
        today=on or today(),
        closed=problem.state == Problem.State.CLOSED,
        remind_days=settings.DIAODU_PROBLEM_REMIND_DAYS,
        red_days=settings.DIAODU_PROBLEM_RED_DAYS,
    )


def escalation_rule_in_words() -> list[str]:
    return rules.escalation_in_words(
        remind_days=settings.DIAODU_PROBLEM_REMIND_DAYS, red_days=settings.DIAODU_PROBLEM_RED_DAYS
    )


def level_q(level: str, on: dt.date) -> Q:
    """The problems at ``level`` on day ``on``, as a filter: the rule of ``rules.problem_escalation``
    turned into deadline bounds, so the list filters and counts in the database.

    A twin of the rule; dispatch/tests/test_one_overdue_rule.py holds it to the rule for every
    level, a range of days and of thresholds."""
    remind = dt.timedelta(days=settings.DIAODU_PROBLEM_REMIND_DAYS)
    red = dt.timedelta(days=settings.DIAODU_PROBLEM_RED_DAYS)
    still_open = ~Q(state=Problem.State.CLOSED)
    if level == rules.BLUE:
        return still_open & Q(deadline__gte=on, deadline__lte=on + remind)
    if level == rules.YELLOW:
        return still_open & Q(deadline__lt=on, deadline__gte=on - red)
    if level == rules.RED:
        return still_open & Q(deadline__lt=on - red)
    return Q(state=Problem.State.CLOSED) | Q(deadline__gt=on + remind)


def overdue_first(qs: QuerySet[Problem]) -> QuerySet[Problem]:
    """Open problems by deadline (so the most overdue come first, then those due soonest), closed last."""
    return qs.annotate(
        closed_rank=Case(When(state=Problem.State.CLOSED, then=Value(1)), default=Value(0), output_field=IntegerField())
    ).order_by("closed_rank", "deadline", "pk")


def for_list(qs: QuerySet[Problem]) -> QuerySet[Problem]:
    """What a row shows, in the one query of the page."""
    pending = ExtensionRequest.objects.filter(problem=OuterRef("pk"), state=ExtensionRequest.State.PENDING)
    return overdue_first(
        qs.select_related("project", "responsible_unit", "responsible_leader").annotate(
            has_pending_extension=Exists(pending)
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


# --- who may do what ------------------------------------------------------------------------

@dataclass(frozen=True)
class Transition:
    sources: frozenset[str]
    target: str
    step: str
    office: bool  # the project office (and administrators) may take it
    unit: bool  # the responsible unit's reporters may take it
    needs_text: bool


TRANSITIONS: dict[str, Transition] = {
    "accept": Transition(
        frozenset({Problem.State.ASSIGNED}), Problem.State.HANDLING, ProblemStep.Action.ACCEPT,
        office=True, unit=True, needs_text=False,
    ),
    "answer": Transition(
        frozenset({Problem.State.HANDLING}), Problem.State.ANSWERED, ProblemStep.Action.ANSWER,
        office=False, unit=True, needs_text=True,
    ),
    "close": Transition(
        frozenset({Problem.State.ANSWERED}), Problem.State.CLOSED, ProblemStep.Action.CLOSE,
        office=True, unit=False, needs_text=False,
    ),
    "send_back": Transition(
        frozenset({Problem.State.ANSWERED}), Problem.State.HANDLING, ProblemStep.Action.SEND_BACK,
        office=True, unit=False, needs_text=True,
    ),
}


def acts_for_unit(user: User, problem: Problem) -> bool:
    """The responsible unit acts through its reporters."""
    return (
        user.role == User.Role.REPORTER and user.unit_id is not None and user.unit_id == problem.responsible_unit_id
    )


def may_take(user: User, problem: Problem, action: str) -> bool:
    """Whether the user's role allows the action on this problem, whatever its state."""
    transition = TRANSITIONS[action]
    return (transition.office and user.is_office) or (transition.unit and acts_for_unit(user, problem))


def may_act(user: User, problem: Problem) -> bool:
    return any(may_take(user, problem, action) for action in TRANSITIONS)


def available_actions(user: User, problem: Problem) -> list[str]:
    """The actions the user may take now: role and current state."""
    return [
        action for action, t in TRANSITIONS.items() if problem.state in t.sources and may_take(user, problem, action)
    ]


def may_request_extension(user: User, problem: Problem) -> bool:
    return acts_for_unit(user, problem)


def _subject(problem: Problem) -> models.Model:
    """History is read on the project page when there is a project."""
    return problem.project if problem.project_id else problem  # type: ignore[return-value]


def _url(problem: Problem) -> str:
    return reverse("dispatch:problem_detail", args=[problem.pk])


def _conflict(problem_pk: int) -> ConcurrentChange:
    current = Problem.objects.get(pk=problem_pk)
    last = current.steps.select_related("by").order_by("-at", "-id").first()
    who = (last.by if last and last.by else None) or _("他人")
    return ConcurrentChange(
        _("该问题刚被%(who)s处理，当前状态为“%(state)s”，您的操作未保存，请刷新后再看。")
        % {"who": who, "state": current.get_state_display()}
    )


def _bump(*, problem: Problem, version: int, states: frozenset[str], **fields: Any) -> None:
    """The conditional update every write goes through: refused when the version moved on."""
    changed = Problem.objects.filter(pk=problem.pk, version=version, state__in=states).update(
        version=F("version") + 1, **fields
    )
    if not changed:
        raise _conflict(problem.pk)


def _reload(problem: Problem) -> Problem:
    return Problem.objects.select_related("project", "responsible_unit").get(pk=problem.pk)


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
    if not by.is_office:
        raise PermissionDenied
    description = description.strip()
    if not description:
        raise DispatchError(_("请填写问题描述。"))
    if deadline < today():
        raise DispatchError(_("办结时限不能早于今天（%(today)s）。") % {"today": today().isoformat()})
    if source not in Problem.Source.values:
        raise DispatchError(_("问题来源无效。"))
    if responsible_leader is not None and responsible_leader.role != User.Role.LEADER:
        raise DispatchError(_("责任领导应为区领导。"))
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
    ProblemStep.objects.create(
        problem=problem,
        action=ProblemStep.Action.ASSIGN,
        by=by,
        text=_("交办%(unit)s办理，办结时限 %(deadline)s。")
        % {"unit": responsible_unit, "deadline": deadline.isoformat()},
        state_after=problem.state,
    )
    audit_record(by=by, instance=problem, before={}, subject=_subject(problem), exclude=NOT_AUDITED)
    text = _("督办交办：%(description)s（办结时限 %(deadline)s）") % {
        "description": description[:120], "deadline": deadline.isoformat()
    }
    notify_unit(responsible_unit, text, _url(problem))
    if responsible_leader is not None:
        notify_users([responsible_leader], text, _url(problem))
    return problem


def _transition(*, problem: Problem, version: int, by: User, action: str, text: str = "", **fields: Any) -> Problem:
    transition = TRANSITIONS[action]
    current = _reload(problem)
    if not may_take(by, current, action):
        raise PermissionDenied
    text = text.strip()
    if transition.needs_text and not text:
        if action == "send_back":
            raise DispatchError(_("退回重办时必须写明原因。"))
        raise DispatchError(_("请填写办理情况。"))
    if current.state not in transition.sources:
        if current.version != version:
            raise _conflict(current.pk)
        raise DispatchError(
            _("该问题当前状态为“%(state)s”，不能执行“%(action)s”。")
            % {"state": current.get_state_display(), "action": ProblemStep.Action(transition.step).label}
        )
    before = audit_snapshot(current, exclude=NOT_AUDITED)
    _bump(problem=current, version=version, states=transition.sources, state=transition.target, **fields)
    ProblemStep.objects.create(
        problem=current, action=transition.step, by=by, text=text, state_after=transition.target
    )
    current.refresh_from_db()
    audit_record(by=by, instance=current, before=before, subject=_subject(current), exclude=NOT_AUDITED)
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
def extension_request(
    *, problem: Problem, version: int, by: User, new_deadline: dt.date, reason: str
) -> ExtensionRequest:
    """The unit asks for a later deadline; only before the deadline, one request at a time."""
    current = _reload(problem)
    if not may_request_extension(by, current):
        raise PermissionDenied
    reason = reason.strip()
    if not reason:
        raise DispatchError(_("请写明延期理由。"))
    if current.state not in EXTENSIBLE_STATES:
        if current.version != version:
            raise _conflict(current.pk)
        raise DispatchError(
            _("该问题当前状态为“%(state)s”，不能申请延期。") % {"state": current.get_state_display()}
        )
    if today() >= current.deadline:
        raise DispatchError(
            _("延期须在办结时限（%(deadline)s）之前申请；已到或超过时限，不能再申请延期，请尽快办结。")
            % {"deadline": current.deadline.isoformat()}
        )
    if new_deadline <= current.deadline:
        raise DispatchError(
            _("申请延至的日期应晚于当前办结时限（%(deadline)s）。") % {"deadline": current.deadline.isoformat()}
        )
    if current.extensions.filter(state=ExtensionRequest.State.PENDING).exists():
        raise DispatchError(_("已有一项延期申请待审批，请等待项目办审批后再申请。"))
    # The version moves on even though the state does not, so two requests at once cannot both pass.
    _bump(problem=current, version=version, states=EXTENSIBLE_STATES)
    extension = ExtensionRequest.objects.create(
        problem=current, new_deadline=new_deadline, reason=reason, requested_by=by
    )
    ProblemStep.objects.create(
        problem=current,
        action=ProblemStep.Action.EXTEND_REQUEST,
        by=by,
        text=_("申请将办结时限由 %(old)s 延至 %(new)s。理由：%(reason)s")
        % {"old": current.deadline.isoformat(), "new": new_deadline.isoformat(), "reason": reason},
        state_after=current.state,
    )
    audit_record(by=by, instance=extension, before={}, subject=_subject(current))
    notify_office(
        _("%(unit)s申请督办问题延期至 %(new)s：%(description)s")
        % {"unit": current.responsible_unit, "new": new_deadline.isoformat(), "description": current},
        _url(current),
    )
    problem.refresh_from_db()
    return extension


@transaction.atomic
def extension_decide(
    *, extension: ExtensionRequest, version: int, by: User, approve: bool, note: str = ""
) -> ExtensionRequest:
    """The office approves (the deadline becomes the requested date) or rejects (with the reason)."""
    if not by.is_office:
        raise PermissionDenied
    note = note.strip()
    if not approve and not note:
        raise DispatchError(_("驳回延期时必须写明原因。"))
    problem = _reload(extension.problem)
    if approve and problem.state == Problem.State.CLOSED:
        raise DispatchError(_("问题已办结，不能再批准延期。"))
    ext_before = audit_snapshot(extension)
    decided = ExtensionRequest.objects.filter(pk=extension.pk, state=ExtensionRequest.State.PENDING).update(
        state=ExtensionRequest.State.APPROVED if approve else ExtensionRequest.State.REJECTED,
        decided_by=by,
        decided_at=timezone.now(),
    )
    if not decided:
        extension.refresh_from_db()
        raise ConcurrentChange(
            _("该延期申请已被处理（%(state)s），您的操作未保存。") % {"state": extension.get_state_display()}
        )
    before = audit_snapshot(problem, exclude=NOT_AUDITED)
    old_deadline = problem.deadline
    fields = {"deadline": extension.new_deadline} if approve else {}
    _bump(problem=problem, version=version, states=frozenset(Problem.State.values), **fields)
    if approve:
        text = _("批准延期：办结时限由 %(old)s 延至 %(new)s。") % {
            "old": old_deadline.isoformat(), "new": extension.new_deadline.isoformat()
        }
        action = ProblemStep.Action.EXTEND_APPROVE
    else:
        text = _("驳回延期申请（申请延至 %(new)s）。") % {"new": extension.new_deadline.isoformat()}
        action = ProblemStep.Action.EXTEND_REJECT
    if note:
        text = f"{text}{note}"
    problem.refresh_from_db()
    ProblemStep.objects.create(problem=problem, action=action, by=by, text=text, state_after=problem.state)
    extension.refresh_from_db()
    audit_record(by=by, instance=extension, before=ext_before, subject=_subject(problem))
    audit_record(by=by, instance=problem, before=before, subject=_subject(problem), exclude=NOT_AUDITED)
    notify_unit(problem.responsible_unit_id, f"{text} {problem}", _url(problem))
    return extension
