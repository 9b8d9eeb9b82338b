"""Problem services: who may take each step from which state, versions, extensions, records."""
from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import PermissionDenied

from audit.models import AuditEntry
from core.models import Notification
from core.policies import can
from dispatch.models import ExtensionRequest, Problem, ProblemStep, ReturnRequest
from dispatch.periods.services import ConcurrentChange, DispatchError
from dispatch.supervision import services as problems
from org.models import Unit, User

TODAY = dt.date(2026, 5, 15)
DEADLINE = dt.date(2026, 5, 29)


def travel(day: dt.date) -> time_machine.travel:
    return time_machine.travel(dt.datetime(day.year, day.month, day.day, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai")),
                               tick=False)


# Every test starts with the district clock stopped at TODAY, 10:00 (conftest's clock_at).
pytestmark = pytest.mark.usefixtures("clock")


@pytest.fixture
def new_problem(personas: dict[str, User], units: dict[str, Unit], make_project: Any) -> Callable[..., Problem]:
    project = make_project(lead_unit=units["town_a"], responsible_leader=personas["leader"])

    def make(state: str = Problem.State.ASSIGNED, deadline: dt.date = DEADLINE) -> Problem:
        problem = problems.problem_create(
            by=personas["office"], project=project, description="征地补偿未到位", responsible_unit=units["town_a"],
            responsible_leader=personas["leader"], deadline=deadline, source=Problem.Source.DIRECT,
        )
        if state == Problem.State.RETURNED:
            problems.return_request(
                problem=problem, version=problem.version, by=personas["reporter"], reason="非本单位"
            )
            request = ReturnRequest.objects.get(problem=problem, state=ReturnRequest.State.PENDING)
            problems.return_decide(request=request, version=problem.version, by=personas["office"], approve=True)
        path = [Problem.State.HANDLING, Problem.State.ANSWERED, Problem.State.CLOSED]
        for step in path[: path.index(state) + 1] if state in path else []:
            if step == Problem.State.HANDLING:
                problems.problem_accept(problem=problem, version=problem.version, by=personas["reporter"])
            elif step == Problem.State.ANSWERED:
                problems.problem_answer(problem=problem, version=problem.version, by=personas["reporter"], text="已办")
            else:
                problems.problem_close(problem=problem, version=problem.version, by=personas["office"])
        problem.refresh_from_db()
        assert problem.state == state
        return problem

    return make


def _take(action: str, problem: Problem, user: User) -> Any:
    """Each step with valid arguments, so only the role or the state can refuse it."""
    version = problem.version
    if action == "extension_request":
        return problems.extension_request(
            problem=problem, version=version, by=user, new_deadline=DEADLINE + dt.timedelta(days=10), reason="拆迁"
        )
    if action == "extension_decide":
        extension = ExtensionRequest.objects.get(problem=problem, state=ExtensionRequest.State.PENDING)
        return problems.extension_decide(extension=extension, version=version, by=user, approve=True)
    if action == "return_request":
        return problems.return_request(problem=problem, version=version, by=user, reason="非本单位职责")
    if action == "return_decide":
        request = ReturnRequest.objects.get(problem=problem, state=ReturnRequest.State.PENDING)
        return problems.return_decide(request=request, version=version, by=user, approve=True)
    if action == "reassign":
        return problems.problem_reassign(
            problem=problem, version=version, by=user, deadline=DEADLINE, text="说明", responsible_leader=None,
            responsible_unit=Unit.objects.exclude(pk=problem.responsible_unit_id).first(),
        )
    service = {"accept": problems.problem_accept, "answer": problems.problem_answer,
               "close": problems.problem_close, "send_back": problems.problem_send_back}[action]
    return service(problem=problem, version=version, by=user, text="说明")


# action -> (state it starts from, roles allowed); every other role is refused.
ALLOWED: dict[str, tuple[str, set[str]]] = {
    "accept": (Problem.State.ASSIGNED, {"admin", "office", "reporter"}),
    "answer": (Problem.State.HANDLING, {"reporter"}),
    "close": (Problem.State.ANSWERED, {"admin", "office"}),
    "send_back": (Problem.State.ANSWERED, {"admin", "office"}),
    "extension_request": (Problem.State.HANDLING, {"reporter"}),
    "extension_decide": (Problem.State.HANDLING, {"admin", "office"}),
    "return_request": (Problem.State.HANDLING, {"reporter"}),
    "return_decide": (Problem.State.ASSIGNED, {"admin", "office"}),
    "reassign": (Problem.State.RETURNED, {"admin", "office"}),
}
ROLES = ("admin", "office", "leader", "viewer", "reporter", "other_reporter")
TARGET = {
    "accept": Problem.State.HANDLING, "answer": Problem.State.ANSWERED, "close": Problem.State.CLOSED,
    "send_back": Problem.State.HANDLING, "extension_request": Problem.State.HANDLING,
    "extension_decide": Problem.State.HANDLING, "return_request": Problem.State.HANDLING,
    "return_decide": Problem.State.RETURNED, "reassign": Problem.State.ASSIGNED,
}


@pytest.mark.parametrize(("action", "role"), [(a, r) for a in ALLOWED for r in ROLES])
def test_each_step_by_each_role(
    action: str, role: str, personas: dict[str, User], new_problem: Callable[..., Problem]
) -> None:
    start, allowed = ALLOWED[action]
    problem = new_problem(start)
    if action in ("extension_decide", "return_decide"):
        _take(action.replace("decide", "request"), problem, personas["reporter"])
        problem.refresh_from_db()
    steps = problem.steps.count()
    if role in allowed:
        _take(action, problem, personas[role])
        problem.refresh_from_db()
        assert problem.state == TARGET[action]
        assert problem.steps.count() == steps + 1
        assert problem.steps.last().by == personas[role]  # type: ignore[union-attr]
    else:
        before = (problem.state, problem.version, problem.deadline)
        with pytest.raises(PermissionDenied):
            _take(action, problem, personas[role])
        problem.refresh_from_db()
        assert (problem.state, problem.version, problem.deadline) == before
        assert problem.steps.count() == steps


TRANSITION_STATES = [
    (action, state)
    for action, t in problems.TRANSITIONS.items()
    for state in Problem.State.values
    if state not in t.sources
]


@pytest.mark.parametrize(("action", "state"), TRANSITION_STATES)
def test_a_step_from_the_wrong_state_is_refused(
    action: str, state: str, personas: dict[str, User], new_problem: Callable[..., Problem]
) -> None:
    problem = new_problem(state)
    # Whoever the action's rule allows, so only the state can refuse it.
    reporter = personas["reporter"]
    user = reporter if can(reporter, problems.TRANSITIONS[action].rule, problem) else personas["office"]
    with pytest.raises(DispatchError) as raised:
        _take(action, problem, user)
    assert not isinstance(raised.value, ConcurrentChange)
    assert "当前状态" in str(raised.value)
    problem.refresh_from_db()
    assert problem.state == state


def test_the_full_cycle_records_every_step(personas: dict[str, User], new_problem: Callable[..., Problem]) -> None:
    problem = new_problem()
    office, reporter = personas["office"], personas["reporter"]
    problems.problem_accept(problem=problem, version=problem.version, by=reporter)
    problems.problem_answer(problem=problem, version=problem.version, by=reporter, text="已协调补偿款")
    problems.problem_send_back(problem=problem, version=problem.version, by=office, text="未附凭证")
    problems.problem_answer(problem=problem, version=problem.version, by=reporter, text="已补凭证")
    problems.problem_close(problem=problem, version=problem.version, by=office)
    problem.refresh_from_db()
    assert problem.state == Problem.State.CLOSED and problem.closed_at is not None
    assert problem.version == 6
    steps = list(problem.steps.values_list("action", "by__username", "text", "state_after"))
    assert steps == [
        ("assign", "office", "交办东城街道办理，办结时限 2026-05-29。", "assigned"),
        ("accept", "reporter", "", "handling"),
        ("answer", "reporter", "已协调补偿款", "answered"),
        ("send_back", "office", "未附凭证", "handling"),
        ("answer", "reporter", "已补凭证", "answered"),
        ("close", "office", "", "closed"),
    ]
    # The history is on the project's page, state by state, without the version.
    entries = AuditEntry.objects.filter(subject_model="projects.project", subject_id=str(problem.project_id))
    states = [e.changes.get("状态") for e in entries.filter(model="dispatch.problem").order_by("pk")]
    assert states == [
        ["", "已交办"], ["已交办", "办理中"], ["办理中", "已反馈"], ["已反馈", "办理中"], ["办理中", "已反馈"],
        ["已反馈", "已办结"],
    ]
    assert all("version" not in e.changes for e in entries)


def test_answer_and_send_back_need_text(personas: dict[str, User], new_problem: Callable[..., Problem]) -> None:
    problem = new_problem(Problem.State.HANDLING)
    with pytest.raises(DispatchError, match="办理情况"):
        problems.problem_answer(problem=problem, version=problem.version, by=personas["reporter"], text="  ")
    problem = new_problem(Problem.State.ANSWERED)
    with pytest.raises(DispatchError, match="原因"):
        problems.problem_send_back(problem=problem, version=problem.version, by=personas["office"], text="")


def test_a_stale_version_is_refused(personas: dict[str, User], new_problem: Callable[..., Problem]) -> None:
    problem = new_problem()
    seen = problem.version
    problems.problem_accept(problem=problem, version=seen, by=personas["office"])
    # The reporter's page still showed "assigned": the state has moved on, so it is a concurrent change.
    with pytest.raises(ConcurrentChange, match="刚被"):
        problems.problem_accept(problem=problem, version=seen, by=personas["reporter"])
    # Same state, newer version (an extension was approved meanwhile): still refused.
    problem.refresh_from_db()
    seen = problem.version
    problems.extension_request(problem=problem, version=seen, by=personas["reporter"],
                               new_deadline=DEADLINE + dt.timedelta(days=5), reason="天气")
    with pytest.raises(ConcurrentChange):
        problems.problem_answer(problem=problem, version=seen, by=personas["reporter"], text="已办")
    problem.refresh_from_db()
    assert problem.state == Problem.State.HANDLING
    assert not problem.steps.filter(action=ProblemStep.Action.ANSWER).exists()


class TestExtensions:
    def _ask(self, problem: Problem, user: User, new: dt.date = DEADLINE + dt.timedelta(days=10)) -> ExtensionRequest:
        problem.refresh_from_db()
        return problems.extension_request(problem=problem, version=problem.version, by=user, new_deadline=new,
                                          reason="材料未到")

    def test_the_day_before_the_deadline_is_accepted(
        self, personas: dict[str, User], new_problem: Callable[..., Problem]
    ) -> None:
        problem = new_problem(deadline=DEADLINE)
        with travel(DEADLINE - dt.timedelta(days=1)):
            extension = self._ask(problem, personas["reporter"])
        assert extension.state == ExtensionRequest.State.PENDING
        assert problem.steps.filter(action=ProblemStep.Action.EXTEND_REQUEST).count() == 1
        assert Notification.objects.filter(user=personas["office"], text__contains="申请督办问题延期").exists()

    @pytest.mark.parametrize("days_after", [0, 1, 20])
    def test_on_or_after_the_deadline_it_is_refused(
        self, days_after: int, personas: dict[str, User], new_problem: Callable[..., Problem]
    ) -> None:
        problem = new_problem(deadline=DEADLINE)
        with travel(DEADLINE + dt.timedelta(days=days_after)), pytest.raises(DispatchError, match="之前申请"):
            self._ask(problem, personas["reporter"])
        assert not problem.extensions.exists()

    def test_the_new_date_must_be_later(self, personas: dict[str, User], new_problem: Callable[..., Problem]) -> None:
        problem = new_problem()
        with pytest.raises(DispatchError, match="晚于"):
            self._ask(problem, personas["reporter"], new=DEADLINE)

    def test_one_pending_request_at_a_time(
        self, personas: dict[str, User], new_problem: Callable[..., Problem]
    ) -> None:
        problem = new_problem()
        self._ask(problem, personas["reporter"])
        with pytest.raises(DispatchError, match="待审批"):
            self._ask(problem, personas["reporter"], new=DEADLINE + dt.timedelta(days=20))

    def test_approval_moves_the_deadline(self, personas: dict[str, User], new_problem: Callable[..., Problem]) -> None:
        problem = new_problem()
        extension = self._ask(problem, personas["reporter"])
        problem.refresh_from_db()
        problems.extension_decide(extension=extension, version=problem.version, by=personas["office"], approve=True,
                                  note="同意")
        problem.refresh_from_db()
        extension.refresh_from_db()
        assert problem.deadline == DEADLINE + dt.timedelta(days=10)
        assert extension.state == ExtensionRequest.State.APPROVED and extension.decided_by == personas["office"]
        step = problem.steps.last()
        assert step is not None and step.action == ProblemStep.Action.EXTEND_APPROVE
        assert "2026-05-29" in step.text and "2026-06-08" in step.text and "同意" in step.text
        audit = AuditEntry.objects.filter(model="dispatch.problem").order_by("pk").last()
        assert audit is not None and audit.changes["办结时限"] == ["2026-05-29", "2026-06-08"]
        # Deciding twice is refused and changes nothing.
        with pytest.raises(ConcurrentChange):
            problems.extension_decide(extension=extension, version=problem.version, by=personas["office"],
                                      approve=False, note="不同意")
        problem.refresh_from_db()
        assert problem.deadline == DEADLINE + dt.timedelta(days=10)

    def test_rejection_needs_a_reason_and_keeps_the_deadline(
        self, personas: dict[str, User], new_problem: Callable[..., Problem]
    ) -> None:
        problem = new_problem()
        extension = self._ask(problem, personas["reporter"])
        problem.refresh_from_db()
        with pytest.raises(DispatchError, match="原因"):
            problems.extension_decide(extension=extension, version=problem.version, by=personas["office"],
                                      approve=False)
        problems.extension_decide(extension=extension, version=problem.version, by=personas["office"],
                                  approve=False, note="理由不充分")
        problem.refresh_from_db()
        extension.refresh_from_db()
        assert problem.deadline == DEADLINE
        assert extension.state == ExtensionRequest.State.REJECTED
        assert problem.steps.last().text.endswith("理由不充分")  # type: ignore[union-attr]
        assert Notification.objects.filter(user=personas["reporter"], text__contains="驳回延期").exists()

    def test_a_stale_version_rolls_the_decision_back(
        self, personas: dict[str, User], new_problem: Callable[..., Problem]
    ) -> None:
        problem = new_problem()
        extension = self._ask(problem, personas["reporter"])
        with pytest.raises(ConcurrentChange):
            problems.extension_decide(extension=extension, version=1, by=personas["office"], approve=True)
        extension.refresh_from_db()
        assert extension.state == ExtensionRequest.State.PENDING


class TestCreate:
    def _create(self, by: User, units: dict[str, Unit], **extra: Any) -> Problem:
        values: dict[str, Any] = {
            "project": None, "description": "道路未接通", "responsible_unit": units["town_a"],
            "responsible_leader": None, "deadline": TODAY, "source": Problem.Source.DIRECT,
        }
        values.update(extra)
        return problems.problem_create(by=by, **values)

    def test_it_assigns_and_tells_the_unit_and_leader(self, personas: dict[str, User], units: dict[str, Unit]) -> None:
        problem = self._create(personas["office"], units, responsible_leader=personas["leader"])
        assert problem.state == Problem.State.ASSIGNED and problem.created_by == personas["office"]
        for user in (personas["reporter"], personas["leader"]):
            note = Notification.objects.get(user=user)
            assert "道路未接通" in note.text and note.url == f"/dispatch/problems/{problem.pk}/"
        assert not Notification.objects.filter(user=personas["other_reporter"]).exists()
        # Without a project, the history is the problem's own.
        assert AuditEntry.objects.filter(subject_model="dispatch.problem", subject_id=str(problem.pk)).count() == 1

    def test_a_deadline_in_the_past_is_refused(self, personas: dict[str, User], units: dict[str, Unit]) -> None:
        with pytest.raises(DispatchError, match="不能早于今天"):
            self._create(personas["office"], units, deadline=TODAY - dt.timedelta(days=1))
        assert not Problem.objects.exists()

    @pytest.mark.parametrize("role", ["leader", "viewer", "reporter"])
    def test_only_the_office_assigns(self, role: str, personas: dict[str, User], units: dict[str, Unit]) -> None:
        with pytest.raises(PermissionDenied):
            self._create(personas[role], units)

    def test_from_a_report_it_takes_the_project_and_period(
        self, personas: dict[str, User], units: dict[str, Unit], make_project: Any
    ) -> None:
        from projects.models import ProgressReport

        project, other = make_project(), make_project()
        report = ProgressReport.objects.create(project=project, year=2026, month=4, invested=0, problems="缺电")
        problem = self._create(personas["office"], units, report=report, source=Problem.Source.REPORT)
        assert problem.project == project and problem.report == report
        with pytest.raises(DispatchError, match="不属于"):
            self._create(personas["office"], units, report=report, project=other)


def test_problems_ask_the_policies_not_the_role() -> None:
    """Who may act is a policy rule (dispatch/policies.py); the problem services and forms never compare roles."""
    role_check = re.compile(
        r"\.role\s*[!=]=|==\s*[\w.]*\.role\b|Role\.(ADMIN|OFFICE|LEADER|REPORTER|VIEWER)\b|\.is_office\b"
    )
    root = Path(problems.__file__).parent
    found = [
        f"{name}:{number}: {line.strip()}"
        for name in ("services.py", "forms.py")
        for number, line in enumerate((root / name).read_text(encoding="utf-8").splitlines(), 1)
        if role_check.search(line)
    ]
    assert not found, "\n".join(found)
