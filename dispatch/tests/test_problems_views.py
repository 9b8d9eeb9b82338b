"""Problem pages: the list (escalation, filters, order, counts, queries), new, detail and its actions, scope."""
from __future__ import annotations

import datetime as dt
import re
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext, override_settings
from django.urls import reverse

from conftest import client_for
from core.models import Period
from dispatch.models import ExtensionRequest, Problem, ProblemStep
from org.models import Unit, User
from projects.models import ProgressReport, Project

TODAY = dt.date(2026, 5, 15)
LIST = reverse("dispatch:problems")


# Every test runs with the district clock stopped at 15 May 2026, 10:00 (conftest's clock_at).
pytestmark = pytest.mark.usefixtures("clock")


def add(unit: Unit, deadline: dt.date, state: str = Problem.State.ASSIGNED, **fields: Any) -> Problem:
    """A problem as the database holds it (the service refuses deadlines in the past, the list must show them)."""
    return Problem.objects.create(
        description=fields.pop("description", f"问题 {deadline}"), responsible_unit=unit, deadline=deadline,
        state=state, **fields,
    )


def shown(response: Any) -> list[int]:
    return [int(pk) for pk in re.findall(r'<tr data-problem="(\d+)"', response.content.decode())]


def levels(response: Any) -> dict[int, str]:
    html = response.content.decode()
    rows = re.findall(r'<tr data-problem="(\d+)">(.*?)</tr>', html, re.S)
    return {int(pk): re.search(r'data-level="(\w+)"', row).group(1) for pk, row in rows}  # type: ignore[union-attr]


# --- escalation on the list -------------------------------------------------------------------

# Days from today to the deadline -> level, with the default thresholds (remind 3 days, red after 15).
BOUNDARIES = [(4, "none"), (3, "blue"), (0, "blue"), (-1, "yellow"), (-15, "yellow"), (-16, "red")]


def test_escalation_levels_at_their_boundaries(personas: dict[str, User], units: dict[str, Unit]) -> None:
    made = {add(units["town_a"], TODAY + dt.timedelta(days=days)).pk: level for days, level in BOUNDARIES}
    closed = add(units["town_a"], TODAY - dt.timedelta(days=40), Problem.State.CLOSED)
    response = client_for(personas["office"]).get(LIST)
    assert levels(response) == {**made, closed.pk: "none"}
    html = response.content.decode()
    assert "已逾期 16 天，红牌督办并约谈责任领导" in html
    assert "已逾期 15 天，预警" in html
    assert "今天到期，请抓紧办结" in html
    assert "距办结时限还有 3 天，请抓紧办结" in html
    # The counts agree with the rows, and each level filter finds the same problems.
    counts = {c["level"]: c["count"] for c in response.context["level_counts"]}
    assert counts == {"red": 1, "yellow": 2, "blue": 2}
    for level in ("none", "blue", "yellow", "red"):
        filtered = client_for(personas["office"]).get(LIST, {"level": level})
        expected = {pk for pk, lv in levels(response).items() if lv == level}
        assert set(shown(filtered)) == expected, level


@override_settings(DIAODU_PROBLEM_REMIND_DAYS=5, DIAODU_PROBLEM_RED_DAYS=30)
def test_thresholds_come_from_settings_and_are_explained(personas: dict[str, User], units: dict[str, Unit]) -> None:
    five, sixteen = add(units["town_a"], TODAY + dt.timedelta(days=5)), add(units["town_a"], TODAY - dt.timedelta(16))
    response = client_for(personas["viewer"]).get(LIST)
    assert levels(response) == {sixteen.pk: "yellow", five.pk: "blue"}
    rule = response.content.decode().split('id="rule"')[1]
    assert "5 天以内" in rule and "逾期 1 至 30 天" in rule and "逾期超过 30 天" in rule


def test_overdue_first_order(personas: dict[str, User], units: dict[str, Unit]) -> None:
    late_5 = add(units["town_a"], TODAY - dt.timedelta(days=5))
    closed = add(units["town_a"], TODAY - dt.timedelta(days=50), Problem.State.CLOSED)
    later = add(units["town_a"], TODAY + dt.timedelta(days=30))
    late_20 = add(units["town_a"], TODAY - dt.timedelta(days=20), Problem.State.ANSWERED)
    soon = add(units["town_a"], TODAY + dt.timedelta(days=1), Problem.State.HANDLING)
    response = client_for(personas["office"]).get(LIST)
    assert shown(response) == [late_20.pk, late_5.pk, soon.pk, later.pk, closed.pk]


# --- filters ----------------------------------------------------------------------------------

@pytest.fixture
def spread(personas: dict[str, User], units: dict[str, Unit]) -> dict[str, Problem]:
    other_leader = User.objects.create_user(username="li", password="x-long-password-1", role=User.Role.LEADER)
    day = TODAY + dt.timedelta(days=10)
    return {
        "a_mine": add(units["town_a"], day, responsible_leader=personas["leader"]),
        "a_other": add(units["town_a"], day, Problem.State.HANDLING, responsible_leader=other_leader),
        "b_mine": add(units["town_b"], day, Problem.State.CLOSED, responsible_leader=personas["leader"]),
        "gxj": add(units["gxj"], day, Problem.State.ANSWERED),
    }


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"unit": "town_a"}, {"a_mine", "a_other"}),
        ({"leader": "leader"}, {"a_mine", "b_mine"}),
        ({"state": "answered"}, {"gxj"}),
        ({"state": "closed"}, {"b_mine"}),
        ({"unit": "town_a", "state": "handling"}, {"a_other"}),
        ({}, {"a_mine", "a_other", "b_mine", "gxj"}),
    ],
)
def test_filters(
    params: dict[str, str], expected: set[str], personas: dict[str, User], units: dict[str, Unit],
    spread: dict[str, Problem],
) -> None:
    query = {key: str(units[v].pk if key == "unit" else personas[v].pk if key == "leader" else v)
             for key, v in params.items()}
    response = client_for(personas["office"]).get(LIST, query)
    assert set(shown(response)) == {spread[name].pk for name in expected}


def test_counts_follow_the_unit_filter(personas: dict[str, User], units: dict[str, Unit],
                                       spread: dict[str, Problem]) -> None:
    response = client_for(personas["office"]).get(LIST, {"unit": units["town_a"].pk, "state": "assigned"})
    counts = {c["label"]: c["count"] for c in response.context["state_counts"]}
    assert counts == {"已交办": 1, "办理中": 1, "已反馈": 0, "已办结": 0, "已退回": 0}
    assert response.context["total"] == 2


def test_a_leader_filters_own_problems(personas: dict[str, User], spread: dict[str, Problem]) -> None:
    client = client_for(personas["leader"])
    response = client.get(LIST)
    assert "我负责的" in response.content.decode()
    assert set(shown(client.get(LIST, {"mine": "on"}))) == {spread["a_mine"].pk, spread["b_mine"].pk}
    # Other roles have no "mine" filter: the parameter is ignored.
    assert len(shown(client_for(personas["office"]).get(LIST, {"mine": "on"}))) == 4


def test_a_reporter_sees_only_the_units_problems(personas: dict[str, User], units: dict[str, Unit],
                                                 spread: dict[str, Problem]) -> None:
    client = client_for(personas["reporter"])
    assert set(shown(client.get(LIST))) == {spread["a_mine"].pk, spread["a_other"].pk}
    # A filter cannot widen the scope.
    assert shown(client.get(LIST, {"unit": units["town_b"].pk})) == []
    for name in ("b_mine", "gxj"):
        pk = spread[name].pk
        assert client.get(reverse("dispatch:problem_detail", args=[pk])).status_code == 404
        assert client.get(reverse("dispatch:problem_slip", args=[pk])).status_code == 404
        assert client.post(reverse("dispatch:problem_act", args=[pk]), {"action": "accept"}).status_code == 404


def test_list_queries_do_not_grow_with_problems(personas: dict[str, User], units: dict[str, Unit],
                                                make_project: Any) -> None:
    def count() -> int:
        client = client_for(personas["office"])
        client.get(LIST)  # warm the session and caches
        with CaptureQueriesContext(connection) as queries:
            assert client.get(LIST).status_code == 200
        return len(queries)

    def grow(n: int) -> None:
        for i in range(n):
            project = make_project()
            problem = add(units[("town_a", "gxj")[i % 2]], TODAY + dt.timedelta(days=i - 10), project=project,
                          responsible_leader=personas["leader"])
            ExtensionRequest.objects.create(problem=problem, new_deadline=TODAY + dt.timedelta(days=60),
                                            reason="r", requested_by=personas["reporter"])

    grow(2)
    small = count()
    grow(15)
    assert count() == small


# --- new problem ------------------------------------------------------------------------------

def test_a_problem_from_a_report_row_is_prefilled(personas: dict[str, User], units: dict[str, Unit],
                                                  make_project: Any) -> None:
    project = make_project(lead_unit=units["town_a"], responsible_leader=personas["leader"])
    period = Period.objects.create(year=2026, month=4, opens_on=dt.date(2026, 4, 1), deadline=dt.date(2026, 4, 25))
    report = ProgressReport.objects.create(project=project, year=2026, month=4, invested=0, period=period,
                                           problems="施工用电未接入")
    client = client_for(personas["office"])
    url = reverse("dispatch:problem_new")
    form = client.get(url, {"report": report.pk}).context["form"]
    assert form.initial == {
        "source": "report", "report": report.pk, "description": "施工用电未接入", "period": period.pk,
        "project": project.pk, "responsible_unit": units["town_a"].pk, "responsible_leader": personas["leader"].pk,
    }
    response = client.post(url, {**form.initial, "deadline": "2026-06-01"})
    problem = Problem.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("dispatch:problem_detail", args=[problem.pk])
    assert (problem.source, problem.report, problem.period, problem.project) == ("report", report, period, project)
    assert client.get(url, {"report": 999999}).status_code == 404


def test_a_meeting_problem_needs_its_period_and_a_future_deadline(personas: dict[str, User],
                                                                  units: dict[str, Unit]) -> None:
    client = client_for(personas["office"])
    data = {"source": "meeting", "description": "土地指标", "responsible_unit": units["gxj"].pk,
            "deadline": "2026-05-14"}
    response = client.post(reverse("dispatch:problem_new"), data)
    assert response.status_code == 200
    assert set(response.context["form"].errors) == {"period", "deadline"}
    period = Period.objects.create(year=2026, month=5, opens_on=dt.date(2026, 5, 1), deadline=dt.date(2026, 5, 25))
    response = client.post(reverse("dispatch:problem_new"), {**data, "period": period.pk, "deadline": "2026-05-15"})
    assert response.status_code == 302
    assert Problem.objects.get().period == period


# --- the detail page and its actions ----------------------------------------------------------

@pytest.fixture
def problem(personas: dict[str, User], units: dict[str, Unit], make_project: Any) -> Problem:
    project = make_project(lead_unit=units["town_a"])
    return add(units["town_a"], TODAY + dt.timedelta(days=10), project=project, description="环评未批复")


def test_the_detail_shows_what_each_role_may_do(personas: dict[str, User], problem: Problem) -> None:
    url = reverse("dispatch:problem_detail", args=[problem.pk])
    forms = {role: re.findall(r'data-action="(\w+)"', client_for(personas[role]).get(url).content.decode())
             for role in ("office", "reporter", "leader", "viewer")}
    assert forms == {"office": ["accept"], "reporter": ["accept"], "leader": [], "viewer": []}
    html = client_for(personas["reporter"]).get(url).content.decode()
    assert 'id="extension-form"' in html and f'name="version" value="{problem.version}"' in html
    assert 'id="extension-form"' not in client_for(personas["office"]).get(url).content.decode()


def test_acting_through_the_page(personas: dict[str, User], problem: Problem) -> None:
    client = client_for(personas["reporter"])
    act = reverse("dispatch:problem_act", args=[problem.pk])
    response = client.post(act, {"action": "accept", "version": 1})
    assert response.status_code == 302
    # Answering without text shows the form with the error, and changes nothing.
    response = client.post(act, {"action": "answer", "version": 2, "text": " "})
    assert response.status_code == 200 and "请填写办理情况" in response.content.decode()
    # A role the action is not for is refused even though the user may act on the problem.
    assert client.post(act, {"action": "close", "version": 2}).status_code == 403
    response = client.post(act, {"action": "answer", "version": 2, "text": "已批复"})
    assert response.status_code == 302
    problem.refresh_from_db()
    assert problem.state == Problem.State.ANSWERED
    html = client.get(reverse("dispatch:problem_detail", args=[problem.pk])).content.decode()
    steps = html.split('id="steps"')[1]
    assert "签收办理" in steps and "已批复" in steps and "已反馈" in steps and "reporter" in steps


def test_a_stale_page_reloads_with_the_news(personas: dict[str, User], problem: Problem) -> None:
    client_for(personas["office"]).post(reverse("dispatch:problem_act", args=[problem.pk]),
                                        {"action": "accept", "version": 1})
    client = client_for(personas["reporter"])
    response = client.post(reverse("dispatch:problem_act", args=[problem.pk]), {"action": "accept", "version": 1},
                           follow=True)
    assert "刚被office处理" in response.content.decode()
    assert ProblemStep.objects.filter(problem=problem, action="accept").count() == 1


def test_extension_through_the_page(personas: dict[str, User], problem: Problem,
                                    clock: time_machine.Traveller) -> None:
    url = reverse("dispatch:problem_extension", args=[problem.pk])
    detail = reverse("dispatch:problem_detail", args=[problem.pk])
    clock.move_to(dt.datetime(2026, 5, 25, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai")))  # the deadline day
    reporter = client_for(personas["reporter"])
    html = reporter.get(detail).content.decode()
    assert 'id="extension-form"' not in html and "之前申请" in html
    response = reporter.post(url, {"version": 1, "new_deadline": "2026-06-10", "reason": "雨季"})
    assert response.status_code == 200 and "之前申请" in response.content.decode()
    assert not problem.extensions.exists()
    clock.move_to(dt.datetime(2026, 5, 24, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai")))  # the day before
    reporter, office = client_for(personas["reporter"]), client_for(personas["office"])
    assert reporter.post(url, {"version": 1, "new_deadline": "2026-06-10", "reason": "雨季"}).status_code == 302
    extension = problem.extensions.get()
    html = office.get(detail).content.decode()
    assert 'id="decide-form"' in html and "延期待批" in office.get(LIST).content.decode()
    decide = reverse("dispatch:problem_extension_decide", args=[extension.pk])
    assert reporter.post(decide, {"version": 2, "decision": "approve"}).status_code == 403
    response = office.post(decide, {"version": 2, "decision": "reject"})
    assert response.status_code == 200 and "驳回延期时必须写明原因" in response.content.decode()
    assert office.post(decide, {"version": 2, "decision": "approve"}).status_code == 302
    problem.refresh_from_db()
    assert problem.deadline == dt.date(2026, 6, 10)


def test_the_project_page_lists_its_problems(personas: dict[str, User], units: dict[str, Unit],
                                             problem: Problem) -> None:
    project = problem.project
    assert isinstance(project, Project)
    url = reverse("projects:detail", args=[project.pk])

    def count() -> tuple[int, str]:
        client = client_for(personas["office"])
        client.get(url)
        with CaptureQueriesContext(connection) as queries:
            html = client.get(url).content.decode()
        return len(queries), html

    add(units["gxj"], TODAY - dt.timedelta(days=20), project=project, description="资金未拨付")
    few, html = count()
    section = html.split('id="problems"')[1].split("</section>")[0]
    assert "环评未批复" in section and "资金未拨付" in section and 'data-level="red"' in section
    assert section.index("资金未拨付") < section.index("环评未批复")  # overdue first
    for i in range(6):
        add(units["gxj"], TODAY + dt.timedelta(days=i), project=project)
    assert count()[0] == few
    # The town_a reporter sees the project but only the unit's own problems on it.
    html = client_for(personas["reporter"]).get(url).content.decode()
    section = html.split('id="problems"')[1].split("</section>")[0]
    assert "环评未批复" in section and "资金未拨付" not in section
