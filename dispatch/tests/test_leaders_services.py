"""Instructions (批示) through the service: who may write one, what is refused and why, the audit entry, and
who is told (the unit responsible's reporters and the office; in-app at once, e-mail and robot after the commit)."""
from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied
from django.test import override_settings

from audit.models import AuditEntry
from conftest import make_user
from core.models import Notification
from dispatch.leaders import services
from dispatch.models import Instruction, Problem
from dispatch.periods.services import DispatchError
from org.models import Unit, User
from projects.models import LedgerState, Project

pytestmark = pytest.mark.usefixtures("clock")

SCRIPT = '<script>alert("批示")</script>'


@pytest.fixture
def people(personas: dict[str, User], units: dict[str, Unit]) -> dict[str, User]:
    """The personas, a reporter of 工信局 (the project's lead unit) with an address, and a second office user."""
    return {
        **personas,
        "gxj_reporter": make_user("gxj_reporter", User.Role.REPORTER, units["gxj"], email="gxj@example.gov.cn"),
        "office2": make_user("office2", User.Role.OFFICE, units["fgj"]),
        "inactive": make_user("gone", User.Role.REPORTER, units["gxj"], is_active=False),
        "leader2": make_user("leader2", User.Role.LEADER, full_name="李副区长"),
    }


@pytest.fixture
def project(make_project: Any, units: dict[str, Unit], people: dict[str, User]) -> Project:
    """Led by 工信局 with 西山镇 as co-unit (配合单位), located in 东城街道, 张区长 responsible."""
    project = make_project(name="智能制造产业园", lead_unit=units["gxj"], town=units["town_a"],
                           responsible_leader=people["leader"])
    project.co_units.set([units["town_b"]])
    return project


@pytest.fixture
def problem(project: Project, units: dict[str, Unit]) -> Problem:
    return Problem.objects.create(
        project=project, description="土地指标未落实", responsible_unit=units["town_a"],
        deadline=dt.date(2026, 6, 1),
    )


def told() -> set[str]:
    return set(Notification.objects.values_list("user__username", flat=True))


def test_a_leader_instructs_on_a_problem_and_the_unit_and_office_are_told(
    people: dict[str, User], problem: Problem
) -> None:
    leader = people["leader"]
    instruction = services.instruction_create(by=leader, text="  请东城街道本周内协调解决。 ", problem=problem)
    assert (instruction.problem_id, instruction.project_id, instruction.by_id) == (problem.pk, None, leader.pk)
    assert instruction.text == "请东城街道本周内协调解决。"
    # The responsible unit's active reporters and every office user; not the leader, other units or viewers.
    assert told() == {"reporter", "office", "office2"}
    notification = Notification.objects.get(user=people["reporter"])
    assert notification.text == "张区长对督办问题“土地指标未落实”作出批示：请东城街道本周内协调解决。"
    assert notification.url == f"/dispatch/problems/{problem.pk}/#instructions"
    # A problem is not moved by an instruction: same state, same version, no step.
    problem.refresh_from_db()
    assert (problem.state, problem.version, problem.steps.count()) == (Problem.State.ASSIGNED, 1, 0)


def test_an_instruction_on_a_project_tells_the_lead_and_co_units_and_the_office(
    people: dict[str, User], project: Project
) -> None:
    services.instruction_create(by=people["leader"], text="加快设备进场。", project=project)
    # 工信局 leads, 西山镇 co-operates; 东城街道 is only where the project lies. The inactive reporter is not told.
    assert told() == {"gxj_reporter", "other", "office", "office2"}
    assert Notification.objects.get(user=people["office"]).url == f"/projects/{project.pk}/#instructions"


def test_it_is_audited_on_the_history_of_the_item(people: dict[str, User], project: Project, problem: Problem) -> None:
    on_problem = services.instruction_create(by=people["leader"], text="抓紧办理。", problem=problem)
    on_project = services.instruction_create(by=people["leader"], text="倒排工期。", project=project)
    entries = AuditEntry.objects.filter(model="dispatch.instruction").order_by("pk")
    assert [(e.object_id, e.subject_model, e.subject_id, e.action, e.user_id) for e in entries] == [
        # A problem of a project is read on the project's page, like its other changes.
        (str(on_problem.pk), "projects.project", str(project.pk), "create", people["leader"].pk),
        (str(on_project.pk), "projects.project", str(project.pk), "create", people["leader"].pk),
    ]
    assert entries[0].changes["批示内容"] == ["", "抓紧办理。"]
    assert entries[0].changes["批示领导"] == ["", "张区长"]
    # A problem without a project keeps its own history.
    alone = Problem.objects.create(description="无项目问题", responsible_unit=problem.responsible_unit,
                                   deadline=problem.deadline)
    third = services.instruction_create(by=people["leader"], text="研究解决。", problem=alone)
    entry = AuditEntry.objects.get(model="dispatch.instruction", object_id=str(third.pk))
    assert (entry.subject_model, entry.subject_id) == ("dispatch.problem", str(alone.pk))


@pytest.mark.parametrize("role", ["admin", "office", "viewer", "reporter", "other_reporter"])
def test_only_a_leader_may_write_one(people: dict[str, User], problem: Problem, project: Project, role: str) -> None:
    with pytest.raises(PermissionDenied):
        services.instruction_create(by=people[role], text="批示", problem=problem)
    with pytest.raises(PermissionDenied):
        services.instruction_create(by=people[role], text="批示", project=project)
    assert not Instruction.objects.exists() and not Notification.objects.exists()


def test_any_leader_may_write_one_not_only_the_responsible_one(people: dict[str, User], project: Project) -> None:
    instruction = services.instruction_create(by=people["leader2"], text="请项目办跟踪。", project=project)
    assert instruction.by == people["leader2"]
    assert Notification.objects.filter(text__startswith="李副区长对项目“智能制造产业园”作出批示").count() == 4


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "请填写批示内容。"),
        ("  \n ", "请填写批示内容。"),
        ("批" * 1001, "批示内容不能超过 1000 个字（现有 1001 个字）。"),
    ],
)
def test_the_text_is_required_and_has_a_limit(
    people: dict[str, User], problem: Problem, text: str, message: str
) -> None:
    with pytest.raises(DispatchError) as refused:
        services.instruction_create(by=people["leader"], text=text, problem=problem)
    assert str(refused.value) == message
    assert not Instruction.objects.exists() and not Notification.objects.exists() and not AuditEntry.objects.exists()


def test_the_longest_text_is_kept_whole(people: dict[str, User], problem: Problem) -> None:
    instruction = services.instruction_create(by=people["leader"], text="批" * 1000, problem=problem)
    instruction.refresh_from_db()
    assert len(instruction.text) == 1000


def test_a_closed_problem_and_a_proposed_project_take_one_too(
    people: dict[str, User], problem: Problem, project: Project
) -> None:
    """A leader comments on how a problem was closed, or on a unit's proposal to enter the ledger (入库申请)."""
    Problem.objects.filter(pk=problem.pk).update(state=Problem.State.CLOSED)
    problem.refresh_from_db()
    services.instruction_create(by=people["leader"], text="举一反三。", problem=problem)
    Project.objects.filter(pk=project.pk).update(ledger_state=LedgerState.PROPOSED)
    project.refresh_from_db()
    services.instruction_create(by=people["leader"], text="同意入库。", project=project)
    assert list(Instruction.objects.order_by("pk").values_list("text", flat=True)) == ["举一反三。", "同意入库。"]


def test_one_item_exactly(people: dict[str, User], problem: Problem, project: Project) -> None:
    with pytest.raises(ValueError):
        services.instruction_create(by=people["leader"], text="批示", problem=problem, project=project)
    with pytest.raises(ValueError):
        services.instruction_create(by=people["leader"], text="批示")


def test_the_text_is_stored_as_typed(people: dict[str, User], problem: Problem) -> None:
    """Escaping is the page's job (test_leaders_views.py); the record keeps what the leader wrote."""
    instruction = services.instruction_create(by=people["leader"], text=SCRIPT, problem=problem)
    instruction.refresh_from_db()
    assert instruction.text == SCRIPT


@override_settings(EMAIL_HOST="smtp.example.gov.cn", DIAODU_DISTRICT_NAME="示范区")
def test_mail_and_robot_go_out_after_the_commit_once(
    people: dict[str, User], project: Project, robot: dict[str, Any], django_capture_on_commit_callbacks: Any
) -> None:
    with override_settings(DIAODU_WEBHOOK_URL=robot["url"]):
        with django_capture_on_commit_callbacks() as callbacks:
            services.instruction_create(by=people["leader"], text="加快设备进场。", project=project)
        # In-app at once; nothing leaves before the commit.
        assert Notification.objects.count() == 4
        assert mail.outbox == [] and robot["received"] == []
        for callback in callbacks:
            callback()
    # Only 工信局's reporter has an address; the robot gets one post for everybody, not one per unit.
    assert [m.to for m in mail.outbox] == [["gxj@example.gov.cn"]]
    assert mail.outbox[0].subject == "领导批示：智能制造产业园"
    assert "加快设备进场。" in mail.outbox[0].body
    assert len(robot["received"]) == 1
    assert "示范区" in robot["received"][0]["body"]["text"]["content"]
    assert "张区长对项目“智能制造产业园”作出批示" in robot["received"][0]["body"]["text"]["content"]
