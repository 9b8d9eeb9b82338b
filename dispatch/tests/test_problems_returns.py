"""Return requests (退回申请) on a problem, reassigning it, and the decide every request shares.

The responsible unit says a problem is not theirs; the office approves (the problem comes back to the
office, 已退回, and is assigned again) or rejects (the unit keeps it). A reporter of another unit can
neither ask nor see. Corrections, extensions and returns are decided by one helper, once.
"""
from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from audit.models import AuditEntry
from conftest import client_for
from core.models import Notification
from core.tracking.decisions import DecisionRequest, decide
from core.tracking.errors import StaleVersion
from dispatch.models import CorrectionRequest, ExtensionRequest, Problem, ProblemStep, ReturnRequest
from dispatch.periods.services import ConcurrentChange, DispatchError
from dispatch.supervision import services as problems
from org.models import Unit, User
from projects.models import ProgressReport

DEADLINE = dt.date(2026, 5, 29)

# The district clock stands at 15 May 2026, 10:00 (conftest's clock_at).
pytestmark = pytest.mark.usefixtures("clock")


@pytest.fixture
def problem(personas: dict[str, User], units: dict[str, Unit], make_project: Any) -> Problem:
    """A problem of town_a's, taken in hand by its reporter."""
    made = problems.problem_create(
        by=personas["office"], project=make_project(lead_unit=units["town_a"]), description="河道清淤",
        responsible_unit=units["town_a"], responsible_leader=None, deadline=DEADLINE, source=Problem.Source.DIRECT,
    )
    problems.problem_accept(problem=made, version=made.version, by=personas["reporter"])
    return made


def _ask(problem: Problem, user: User, reason: str = "河道属水务局管理") -> ReturnRequest:
    problem.refresh_from_db()
    return problems.return_request(problem=problem, version=problem.version, by=user, reason=reason)


def _decide(request: ReturnRequest, user: User, *, approve: bool, note: str = "") -> ReturnRequest:
    request.problem.refresh_from_db()
    return problems.return_decide(
        request=request, version=request.problem.version, by=user, approve=approve, note=note
    )


# --- services --------------------------------------------------------------------------------------

def test_approved_the_problem_goes_back_to_the_office_and_is_assigned_again(
    personas: dict[str, User], units: dict[str, Unit], problem: Problem
) -> None:
    request = _ask(problem, personas["reporter"])
    assert request.state == ReturnRequest.State.PENDING and request.requested_by == personas["reporter"]
    assert Notification.objects.filter(user=personas["office"], text__contains="申请退回督办问题").exists()
    _decide(request, personas["office"], approve=True, note="改由西山镇办理")
    problem.refresh_from_db()
    request.refresh_from_db()
    assert problem.state == Problem.State.RETURNED
    assert (request.state, request.decided_by, request.decision_note) == (
        ReturnRequest.State.APPROVED, personas["office"], "改由西山镇办理"
    )
    assert Notification.objects.filter(user=personas["reporter"], text__contains="同意退回").exists()
    # Back with the office: nobody acts on it but the office, which assigns it again.
    assert problems.available_actions(personas["reporter"], problem) == []
    problems.problem_reassign(
        problem=problem, version=problem.version, by=personas["office"], responsible_unit=units["town_b"],
        responsible_leader=personas["leader"], deadline=dt.date(2026, 6, 15),
    )
    problem.refresh_from_db()
    assert (problem.state, problem.responsible_unit, problem.deadline) == (
        Problem.State.ASSIGNED, units["town_b"], dt.date(2026, 6, 15)
    )
    steps = list(problem.steps.values_list("action", "state_after"))
    assert steps[-3:] == [("ret_req", "handling"), ("ret_ok", "returned"), ("reassign", "assigned")]
    assert "改交西山镇办理，办结时限 2026-06-15。" in problem.steps.last().text  # type: ignore[union-attr]
    assert Notification.objects.filter(user=personas["other_reporter"], text__contains="河道清淤").exists()
    # The history on the project page says where it went.
    entry = AuditEntry.objects.filter(model="dispatch.problem").order_by("pk").last()
    assert entry is not None and entry.changes["责任单位"] == ["东城街道", "西山镇"]
    # The old unit no longer sees it; the new one does.
    detail = reverse("dispatch:problem_detail", args=[problem.pk])
    assert client_for(personas["reporter"]).get(detail).status_code == 404
    assert client_for(personas["other_reporter"]).get(detail).status_code == 200


def test_an_approved_return_lapses_the_units_pending_extension(personas: dict[str, User], problem: Problem) -> None:
    """The unit no longer holds the problem, so nothing it asked for stays pending with the office."""
    problem.refresh_from_db()
    extension = problems.extension_request(
        problem=problem, version=problem.version, by=personas["reporter"],
        new_deadline=DEADLINE + dt.timedelta(days=30), reason="雨季无法施工",
    )
    _decide(_ask(problem, personas["reporter"]), personas["office"], approve=True)
    extension.refresh_from_db()
    assert extension.state == ExtensionRequest.State.REJECTED
    assert extension.decided_by == personas["office"] and "已退回" in extension.decision_note
    problem.refresh_from_db()
    assert problem.deadline == DEADLINE


def test_rejected_the_unit_keeps_it_and_is_told_why(personas: dict[str, User], problem: Problem) -> None:
    request = _ask(problem, personas["reporter"])
    with pytest.raises(DispatchError, match="必须写明原因"):
        _decide(request, personas["office"], approve=False)
    _decide(request, personas["office"], approve=False, note="属地管理，仍由东城街道办理")
    problem.refresh_from_db()
    request.refresh_from_db()
    assert problem.state == Problem.State.HANDLING and problem.responsible_unit.name == "东城街道"
    assert request.state == ReturnRequest.State.REJECTED
    step = problem.steps.last()
    assert step is not None and step.action == ProblemStep.Action.RETURN_REJECT
    assert step.text == "驳回退回申请：属地管理，仍由东城街道办理"
    assert Notification.objects.filter(user=personas["reporter"], text__contains="驳回退回申请").exists()
    # The unit may ask again, with a better reason.
    assert _ask(problem, personas["reporter"], "补充：已有区政府会议纪要").state == ReturnRequest.State.PENDING


@pytest.mark.parametrize("role", ["office", "leader", "viewer", "other_reporter"])
def test_only_the_units_reporter_asks(role: str, personas: dict[str, User], problem: Problem) -> None:
    version = Problem.objects.get(pk=problem.pk).version
    with pytest.raises(PermissionDenied):
        _ask(problem, personas[role])
    problem.refresh_from_db()
    assert problem.version == version and not problem.returns.exists()


@pytest.mark.parametrize("role", ["reporter", "leader", "viewer"])
def test_only_the_office_decides(role: str, personas: dict[str, User], problem: Problem) -> None:
    request = _ask(problem, personas["reporter"])
    with pytest.raises(PermissionDenied):
        _decide(request, personas[role], approve=True)
    request.refresh_from_db()
    assert request.state == ReturnRequest.State.PENDING


def test_only_while_the_unit_holds_it_and_one_at_a_time(personas: dict[str, User], problem: Problem) -> None:
    _ask(problem, personas["reporter"])
    with pytest.raises(DispatchError, match="待审批"):
        _ask(problem, personas["reporter"])
    problem.refresh_from_db()
    problems.problem_answer(problem=problem, version=problem.version, by=personas["reporter"], text="已清淤")
    other = Problem.objects.create(
        description="已反馈的问题", responsible_unit=problem.responsible_unit, deadline=DEADLINE,
        state=Problem.State.ANSWERED,
    )
    with pytest.raises(DispatchError, match="当前状态为“已反馈”，不能申请退回"):
        _ask(other, personas["reporter"])


def test_approving_after_the_unit_answered_is_refused(personas: dict[str, User], problem: Problem) -> None:
    request = _ask(problem, personas["reporter"])
    problem.refresh_from_db()
    seen = problem.version
    problems.problem_answer(problem=problem, version=seen, by=personas["reporter"], text="已清淤")
    with pytest.raises(ConcurrentChange, match="刚被reporter处理"):
        problems.return_decide(request=request, version=seen, by=personas["office"], approve=True)
    request.refresh_from_db()
    problem.refresh_from_db()
    # The decision is rolled back with the refused move.
    assert request.state == ReturnRequest.State.PENDING and problem.state == Problem.State.ANSWERED


def test_reassigning_needs_a_returned_problem_and_a_future_deadline(
    personas: dict[str, User], units: dict[str, Unit], problem: Problem
) -> None:
    problem.refresh_from_db()
    with pytest.raises(DispatchError, match="当前状态为“办理中”"):
        problems.problem_reassign(problem=problem, version=problem.version, by=personas["office"],
                                  responsible_unit=units["town_b"], responsible_leader=None, deadline=DEADLINE)
    _decide(_ask(problem, personas["reporter"]), personas["office"], approve=True)
    problem.refresh_from_db()
    with pytest.raises(DispatchError, match="不能早于今天"):
        problems.problem_reassign(problem=problem, version=problem.version, by=personas["office"],
                                  responsible_unit=units["town_b"], responsible_leader=None,
                                  deadline=dt.date(2026, 5, 14))
    with pytest.raises(DispatchError, match="区领导"):
        problems.problem_reassign(problem=problem, version=problem.version, by=personas["office"],
                                  responsible_unit=units["town_b"], responsible_leader=personas["viewer"],
                                  deadline=DEADLINE)
    with pytest.raises(PermissionDenied):
        problems.problem_reassign(problem=problem, version=problem.version, by=personas["reporter"],
                                  responsible_unit=units["town_b"], responsible_leader=None, deadline=DEADLINE)
    problem.refresh_from_db()
    assert problem.state == Problem.State.RETURNED


# --- the page ----------------------------------------------------------------------------------------

def test_the_whole_return_through_the_page(personas: dict[str, User], units: dict[str, Unit],
                                           problem: Problem) -> None:
    detail = reverse("dispatch:problem_detail", args=[problem.pk])
    ask = reverse("dispatch:problem_return", args=[problem.pk])
    reporter, office = client_for(personas["reporter"]), client_for(personas["office"])
    problem.refresh_from_db()
    assert 'id="return-form"' in reporter.get(detail).content.decode()
    assert 'id="return-form"' not in office.get(detail).content.decode()
    response = reporter.post(ask, {"version": problem.version, "reason": " "})
    assert response.status_code == 200 and not problem.returns.exists()
    assert reporter.post(ask, {"version": problem.version, "reason": "不属本单位职责"}).status_code == 302
    request = problem.returns.get()
    html = reporter.get(detail).content.decode()
    assert 'id="return-form"' not in html and "退回申请待项目办审批" in html and "不属本单位职责" in html
    assert "退回待批" in office.get(reverse("dispatch:problems")).content.decode()
    decide_url = reverse("dispatch:problem_return_decide", args=[request.pk])
    assert 'id="return-decide-form"' in office.get(detail).content.decode()
    assert reporter.post(decide_url, {"version": 3, "decision": "approve"}).status_code == 403
    response = office.post(decide_url, {"version": 3, "decision": "reject"})
    assert response.status_code == 200 and "驳回退回申请时必须写明原因" in response.content.decode()
    assert office.post(decide_url, {"version": 3, "decision": "approve"}).status_code == 302
    html = office.get(detail).content.decode()
    assert 'data-state="returned"' in html and 'id="reassign-form"' in html
    assert 'id="reassign-form"' not in reporter.get(detail).content.decode()
    reassign = reverse("dispatch:problem_reassign", args=[problem.pk])
    response = office.post(reassign, {"version": 4, "responsible_unit": units["town_b"].pk, "deadline": "2026-06-20"})
    assert response.status_code == 302
    problem.refresh_from_db()
    assert (problem.state, problem.responsible_unit) == (Problem.State.ASSIGNED, units["town_b"])
    # A page still showing the returned problem is told it moved on.
    response = office.post(reassign, {"version": 4, "responsible_unit": units["gxj"].pk, "deadline": "2026-06-20"},
                           follow=True)
    assert "刚被office处理" in response.content.decode()


def test_a_reporter_of_another_unit_neither_asks_nor_sees(personas: dict[str, User], problem: Problem) -> None:
    other = client_for(personas["other_reporter"])
    problem.refresh_from_db()
    assert other.post(reverse("dispatch:problem_return", args=[problem.pk]),
                      {"version": problem.version, "reason": "不是我们的"}).status_code == 404
    request = _ask(problem, personas["reporter"])
    assert other.post(reverse("dispatch:problem_return_decide", args=[request.pk]),
                      {"version": problem.version, "decision": "approve"}).status_code == 404
    assert other.get(reverse("dispatch:problems")).content.decode().count("河道清淤") == 0
    request.refresh_from_db()
    assert request.state == ReturnRequest.State.PENDING and problem.returns.count() == 1


# --- one decide for every request ----------------------------------------------------------------------

@pytest.fixture
def pending(personas: dict[str, User], problem: Problem, make_project: Any) -> dict[str, DecisionRequest]:
    report = ProgressReport.objects.create(project=make_project(), year=2026, month=4, invested=Decimal("1"))
    return {
        "correction": CorrectionRequest.objects.create(report=report, changes={"invested": "2"}, reason="笔误",
                                                       requested_by=personas["reporter"]),
        "extension": ExtensionRequest.objects.create(problem=problem, new_deadline=dt.date(2026, 6, 30),
                                                     reason="雨季", requested_by=personas["reporter"]),
        "return": ReturnRequest.objects.create(problem=problem, reason="非本单位", requested_by=personas["reporter"]),
    }


@pytest.mark.parametrize("kind", ["correction", "extension", "return"])
def test_every_request_is_decided_once(kind: str, personas: dict[str, User],
                                       pending: dict[str, DecisionRequest]) -> None:
    request = pending[kind]
    decide(request, by=personas["office"], approve=True, note="同意")
    assert (request.state, request.decided_by, request.decision_note) == ("approved", personas["office"], "同意")
    assert request.decided_at is not None
    stale = type(request).objects.get(pk=request.pk)
    stale.state = "pending"  # what a second office member's page still shows
    with pytest.raises(StaleVersion, match="已由office处理（已批准），您的操作未保存"):
        decide(stale, by=personas["admin"], approve=False, note="不同意")
    request.refresh_from_db()
    assert (request.state, request.decided_by, request.decision_note) == ("approved", personas["office"], "同意")


def test_deciding_a_problems_requests_twice_through_the_services_is_refused(
    personas: dict[str, User], problem: Problem
) -> None:
    request = _ask(problem, personas["reporter"])
    _decide(request, personas["office"], approve=False, note="仍由本单位办理")
    with pytest.raises(ConcurrentChange, match="该退回申请已由office处理（已驳回）"):
        _decide(request, personas["admin"], approve=True)
    problem.refresh_from_db()
    assert problem.state == Problem.State.HANDLING
