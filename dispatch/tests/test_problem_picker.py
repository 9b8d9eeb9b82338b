"""The new-problem form's project picker: the search behind it, and the form without the script."""
from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from conftest import client_for, make_user
from dispatch.models import Problem
from org.models import Unit, User
from projects.models import LedgerState, Project

pytestmark = pytest.mark.usefixtures("clock")  # 15 May 2026
SEARCH = reverse("dispatch:problem_projects")
NEW = reverse("dispatch:problem_new")
DEADLINE = "2026-06-01"


@pytest.fixture
def ledger(personas: dict[str, User], units: dict[str, Unit], make_project: Any) -> dict[str, Project]:
    return {
        "sewage": make_project(code="XS-2026-007", name="东城污水处理厂扩建", lead_unit=units["town_a"],
                               responsible_leader=personas["leader"]),
        "park": make_project(code="XS-2026-012", name="西山智能制造产业园", lead_unit=units["gxj"]),
        "road": make_project(code="XS-2026-001", name="东城大道改造（二期）", lead_unit=units["fgj"],
                             responsible_leader=personas["leader"]),
        "withdrawn": make_project(code="XS-2025-099", name="东城旧厂房改造", lead_unit=units["town_a"],
                                  ledger_state=LedgerState.WITHDRAWN),
    }


def search(user: User, q: str) -> dict[str, Any]:
    response = client_for(user).get(SEARCH, {"q": q})
    assert response.status_code == 200
    return response.json()  # type: ignore[no-any-return]


# --- the search -------------------------------------------------------------------------------

def test_it_finds_by_name_code_and_initials(personas: dict[str, User], ledger: dict[str, Project]) -> None:
    office = personas["office"]
    assert [r["code"] for r in search(office, "东城")["results"]] == ["XS-2026-001", "XS-2026-007"]
    assert [r["code"] for r in search(office, "2026-012")["results"]] == ["XS-2026-012"]
    assert [r["code"] for r in search(office, "xszn")["results"]] == ["XS-2026-012"]  # 西山智能…
    assert search(office, "  ")["results"] == []
    assert search(office, "不存在的项目") == {"results": [], "more": False}


def test_each_result_carries_what_the_form_fills_in(personas: dict[str, User], units: dict[str, Unit],
                                                    ledger: dict[str, Project]) -> None:
    (result,) = search(personas["office"], "污水")["results"]
    assert result == {
        "id": ledger["sewage"].pk, "label": "XS-2026-007 东城污水处理厂扩建", "code": "XS-2026-007",
        "name": "东城污水处理厂扩建", "unit": units["town_a"].pk, "unit_name": "东城街道",
        "leader": personas["leader"].pk, "leader_name": "张区长",
    }
    (park,) = search(personas["office"], "产业园")["results"]
    assert (park["leader"], park["leader_name"]) == (None, "")


def test_an_exact_code_comes_first(personas: dict[str, User], units: dict[str, Unit], make_project: Any) -> None:
    make_project(code="A-10", name="项目甲")
    make_project(code="B-1", name="含A-1的名称")
    make_project(code="A-1", name="项目乙")
    assert [r["code"] for r in search(personas["office"], "a-1")["results"]] == ["A-1", "A-10", "B-1"]


def test_only_ledger_projects_are_offered(personas: dict[str, User], ledger: dict[str, Project]) -> None:
    assert "XS-2025-099" not in [r["code"] for r in search(personas["office"], "改造")["results"]]


def test_twenty_at_most_in_one_query(personas: dict[str, User], units: dict[str, Unit], make_project: Any) -> None:
    for n in range(25):
        make_project(code=f"HT-{n:03d}", name=f"寒亭项目{n}", lead_unit=units["gxj"],
                     responsible_leader=personas["leader"])
    client = client_for(personas["office"])
    client.get(SEARCH, {"q": "寒亭"})  # the session and user, read once
    with CaptureQueriesContext(connection) as many:
        data = client.get(SEARCH, {"q": "寒亭"}).json()
    assert len(data["results"]) == 20 and data["more"] is True
    assert [r["code"] for r in data["results"]] == [f"HT-{n:03d}" for n in range(20)]
    with CaptureQueriesContext(connection) as one:
        data = client.get(SEARCH, {"q": "寒亭项目7"}).json()
    assert len(data["results"]) == 1 and data["more"] is False
    assert len(many) == len(one)


def test_only_the_office_may_search(personas: dict[str, User], ledger: dict[str, Project]) -> None:
    for role in ("leader", "viewer", "reporter"):
        assert client_for(personas[role]).get(SEARCH, {"q": "东城"}).status_code == 403


# --- the form ---------------------------------------------------------------------------------

def test_the_page_lists_no_projects_however_many(personas: dict[str, User], units: dict[str, Unit],
                                                 make_project: Any) -> None:
    client = client_for(personas["office"])
    make_project(code="ONE-1", name="唯一项目")
    client.get(NEW)
    with CaptureQueriesContext(connection) as few:
        page = client.get(NEW).content.decode()
    for n in range(30):
        make_project(code=f"MANY-{n}", name=f"项目{n}")
    with CaptureQueriesContext(connection) as more:
        page = client.get(NEW).content.decode()
    assert len(few) == len(more)
    assert "MANY-" not in page and "ONE-1" not in page
    assert 'type="hidden" name="project"' in page and 'name="project_text"' in page
    assert f'data-search-url="{SEARCH}"' in page and "js/problem_form.js" in page


def test_a_projects_page_prefills_the_box_with_its_label(personas: dict[str, User],
                                                         ledger: dict[str, Project]) -> None:
    response = client_for(personas["office"]).get(NEW, {"project": ledger["sewage"].pk})
    form = response.context["form"]
    assert form.initial["project"] == ledger["sewage"].pk
    assert form["project_text"].value() == "XS-2026-007 东城污水处理厂扩建"
    assert 'value="XS-2026-007 东城污水处理厂扩建"' in response.content.decode()


def post(user: User, **data: Any) -> Any:
    return client_for(user).post(NEW, {"source": "direct", "description": "施工用电未接入", "deadline": DEADLINE,
                                       **data})


def test_the_picked_project_is_saved_with_the_chosen_unit(personas: dict[str, User], units: dict[str, Unit],
                                                          ledger: dict[str, Project]) -> None:
    sewage = ledger["sewage"]
    response = post(personas["office"], project=sewage.pk, project_text="XS-2026-007  东城污水处理厂扩建",
                    responsible_unit=units["gxj"].pk)
    assert response.status_code == 302
    problem = Problem.objects.get()
    assert (problem.project, problem.responsible_unit, problem.responsible_leader) == (sewage, units["gxj"], None)


def test_without_the_script_a_code_or_name_is_read_and_the_unit_and_leader_stand_in(
    personas: dict[str, User], units: dict[str, Unit], ledger: dict[str, Project]
) -> None:
    assert post(personas["office"], project_text="xs-2026-007").status_code == 302
    assert post(personas["office"], project_text="东城大道改造（二期）").status_code == 302
    first, second = Problem.objects.order_by("pk")
    assert (first.project, first.responsible_unit, first.responsible_leader) == (
        ledger["sewage"], units["town_a"], personas["leader"])
    assert (second.project, second.responsible_unit, second.responsible_leader) == (
        ledger["road"], units["fgj"], personas["leader"])


def test_a_box_changed_after_the_pick_names_the_project(personas: dict[str, User], units: dict[str, Unit],
                                                        ledger: dict[str, Project]) -> None:
    response = post(personas["office"], project=ledger["sewage"].pk, project_text="XS-2026-012",
                    responsible_unit=units["town_b"].pk)
    assert response.status_code == 302
    assert Problem.objects.get().project == ledger["park"]


def test_an_emptied_box_means_no_project(personas: dict[str, User], units: dict[str, Unit],
                                         ledger: dict[str, Project]) -> None:
    response = post(personas["office"], project=ledger["sewage"].pk, project_text="",
                    responsible_unit=units["town_b"].pk)
    assert response.status_code == 302
    assert Problem.objects.get().project is None


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("东城", "找不到项目“东城”：请输入完整的项目编号或名称，或从搜索结果中选择。"),
        ("XS-2025-099", "找不到项目“XS-2025-099”：请输入完整的项目编号或名称，或从搜索结果中选择。"),
        ("同名项目", "有多个项目名为“同名项目”，请输入项目编号。"),
    ],
)
def test_a_box_naming_no_single_project_says_so(text: str, error: str, personas: dict[str, User],
                                                units: dict[str, Unit], ledger: dict[str, Project],
                                                make_project: Any) -> None:
    make_project(code="SAME-1", name="同名项目")
    make_project(code="SAME-2", name="同名项目")
    response = post(personas["office"], project_text=text)
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert errors["project_text"] == [error]
    assert errors["responsible_unit"] == ["请选择责任单位。"]
    assert f'<span class="errors" data-field="project_text">{error}</span>' in response.content.decode()
    assert not Problem.objects.exists()


def test_a_hidden_project_out_of_reach_is_refused_at_the_box(personas: dict[str, User], units: dict[str, Unit],
                                                              ledger: dict[str, Project]) -> None:
    response = post(personas["office"], project=999999, project_text="XS-9 无", responsible_unit=units["gxj"].pk)
    assert response.status_code == 200
    assert response.context["form"].errors["project_text"] == ["所选项目不存在或您无权查看，请重新搜索选择。"]
    assert not Problem.objects.exists()


def test_an_inactive_lead_unit_or_leader_does_not_stand_in(personas: dict[str, User], units: dict[str, Unit],
                                                           ledger: dict[str, Project]) -> None:
    retired = make_user("retired", User.Role.LEADER, is_active=False)
    Project.objects.filter(pk=ledger["sewage"].pk).update(responsible_leader=retired)
    assert post(personas["office"], project_text="XS-2026-007").status_code == 302
    assert (Problem.objects.get().responsible_unit, Problem.objects.get().responsible_leader) == (units["town_a"], None)
    Unit.objects.filter(pk=units["town_a"].pk).update(is_active=False)
    response = post(personas["office"], project_text="XS-2026-007")
    assert response.context["form"].errors["responsible_unit"] == ["请选择责任单位。"]
    assert Problem.objects.count() == 1


def test_prefilled_from_a_report_it_still_saves_without_the_box(personas: dict[str, User], units: dict[str, Unit],
                                                                ledger: dict[str, Project]) -> None:
    """A post without the search box (a client that never rendered it) keeps the hidden project."""
    response = post(personas["office"], project=ledger["road"].pk, responsible_unit=units["fgj"].pk)
    assert response.status_code == 302
    assert Problem.objects.get().project == ledger["road"]
    assert Problem.objects.get().deadline == dt.date(2026, 6, 1)
