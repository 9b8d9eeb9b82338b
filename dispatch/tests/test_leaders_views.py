"""Leaders' pages: the site's root for a leader, the leader's home page (领导首页: projects red first, problems
open and overdue first, this month's changes, a fixed number of queries), and the instructions section (批示)
on a problem's and a project's page (who reads it, who writes it, escaping, errors, HTMX and plain forms)."""
from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from conftest import client_for, district_time, make_user
from core.models import Notification, Period
from dispatch.leaders import services
from dispatch.models import Instruction, Problem, ProjectSnapshot
from dispatch.periods.snapshots import ProjectFigures
from org.models import Unit, User
from projects.models import LedgerState, ProgressReport, Project, ProjectChange, ProjectYear

pytestmark = pytest.mark.usefixtures("clock")  # 15 May 2026, 10:00 in the district

TODAY = dt.date(2026, 5, 15)
HOME = reverse("dispatch:leader_home")
HX = {"HTTP_HX_REQUEST": "true"}
SCRIPT = '<script>alert("批示")</script>'
ESCAPED = "&lt;script&gt;alert(&quot;批示&quot;)&lt;/script&gt;"


def _lit(project: Project, light: str, *reasons: tuple[str, str]) -> Project:
    """The stored light and its reasons, as the daily light refresh leaves them."""
    Project.objects.filter(pk=project.pk).update(light=light, light_reasons=[list(r) for r in reasons])
    project.refresh_from_db()
    return project


def _published(period: Period, project: Project, light: str) -> None:
    """The project's snapshot in a published period, with the light the bulletin printed."""
    figures = ProjectFigures.from_data({"name": project.name, "light": light}, version=1, period=period)
    ProjectSnapshot.objects.create(period=period, project=project, code=project.code, data=figures.to_data(),
                                   schema_version=ProjectFigures.VERSION)


def _at(model: Any, pk: int, **moments: dt.datetime) -> None:
    """Move an automatic time stamp (updated_at, requested_at) to another moment."""
    model.objects.filter(pk=pk).update(**moments)


def rows(response: Any, attribute: str) -> list[int]:
    return [int(pk) for pk in re.findall(rf'<tr {attribute}="(\d+)"', response.content.decode())]


@pytest.fixture
def district(personas: dict[str, User], units: dict[str, Unit], make_project: Any) -> dict[str, Any]:
    """张区长 is responsible for three projects in the ledger (green, red, yellow by code) and one withdrawn;
    another leader for one more. Problems, April's published lights, this month's reports and requests."""
    leader, other_leader = personas["leader"], make_user("leader2", User.Role.LEADER, full_name="李副区长")
    green = _lit(make_project(name="绿色项目", responsible_leader=leader), "green", ("green", "进度正常"))
    red = _lit(make_project(name="红色项目", responsible_leader=leader), "red",
               ("red", "年度投资完成率 10.0%，落后序时进度 31.7 个百分点"), ("yellow", "含未审核数据"))
    yellow = _lit(make_project(name="黄色项目", responsible_leader=leader), "yellow", ("yellow", "开工节点逾期 5 天"))
    withdrawn = _lit(make_project(name="已退库项目", responsible_leader=leader, ledger_state=LedgerState.WITHDRAWN),
                     "red", ("red", "旧原因"))
    others = _lit(make_project(name="他人项目", responsible_leader=other_leader), "red", ("red", "他人原因"))
    ProjectYear.objects.create(project=red, year=2026, plan=Decimal("4000"), invested_ytd=Decimal("400"))
    ProjectYear.objects.create(project=green, year=2026, plan=Decimal("1000"), invested_ytd=Decimal("450.5"))
    ProjectYear.objects.create(project=red, year=2025, plan=Decimal("9999"), invested_ytd=Decimal("9999"))

    town_a, gxj = units["town_a"], units["gxj"]
    problems = {
        # Overdue 20 days: red slip.
        "overdue": Problem.objects.create(project=red, description="征地拆迁未完成", responsible_unit=town_a,
                                          deadline=TODAY - dt.timedelta(days=20)),
        "soon": Problem.objects.create(project=yellow, description="施工许可待办", responsible_unit=gxj,
                                       deadline=TODAY + dt.timedelta(days=10)),
        "closed": Problem.objects.create(project=green, description="已解决的问题", responsible_unit=gxj,
                                         deadline=TODAY - dt.timedelta(days=40), state=Problem.State.CLOSED),
        # Naming him as the responsible leader, on another leader's project.
        "named": Problem.objects.create(project=others, description="他任责任领导的问题", responsible_unit=town_a,
                                        responsible_leader=leader, deadline=TODAY + dt.timedelta(days=2)),
        # Neither his project nor naming him.
        "foreign": Problem.objects.create(project=others, description="与他无关的问题", responsible_unit=town_a,
                                          deadline=TODAY - dt.timedelta(days=30)),
    }
    april = Period.objects.create(year=2026, month=4, opens_on=dt.date(2026, 4, 1), deadline=dt.date(2026, 4, 25),
                                  state=Period.State.PUBLISHED)
    Period.objects.create(year=2026, month=5, opens_on=dt.date(2026, 5, 1), deadline=dt.date(2026, 5, 25))
    _published(april, red, "yellow")  # yellow in April's bulletin, red now
    _published(april, yellow, "yellow")  # unchanged
    _published(april, green, "red")  # red then, green now
    _published(april, others, "green")  # not his
    may = ProgressReport.objects.create(project=red, year=2026, month=5, invested=Decimal("120"), progress_percent=30)
    april_row = ProgressReport.objects.create(project=green, year=2026, month=4, invested=Decimal("80"))
    _at(ProgressReport, april_row.pk, updated_at=district_time(2026, 4, 28))
    ProgressReport.objects.create(project=others, year=2026, month=5, invested=Decimal("1"))
    adjust = ProjectChange.objects.create(project=yellow, kind=ProjectChange.Kind.ADJUST, reason="调整总投资",
                                          requested_by=personas["reporter"])
    old = ProjectChange.objects.create(project=green, kind=ProjectChange.Kind.WITHDRAW, reason="三月的申请",
                                       requested_by=personas["reporter"])
    _at(ProjectChange, old.pk, requested_at=district_time(2026, 3, 3))
    return {"leader": leader, "red": red, "yellow": yellow, "green": green, "withdrawn": withdrawn,
            "others": others, "problems": problems, "april": april, "may_report": may, "adjust": adjust,
            "old_change": old}


# --- the site's root and the menu -------------------------------------------------------------

def test_the_root_opens_a_leaders_home_and_the_ledger_for_everybody_else(personas: dict[str, User]) -> None:
    assert client_for(personas["leader"]).get("/")["Location"] == HOME
    for role in ("admin", "office", "viewer", "reporter"):
        assert client_for(personas[role]).get("/")["Location"] == reverse("projects:ledger"), role


def test_the_menu_links_the_home_for_leaders_only(personas: dict[str, User]) -> None:
    link = f'<a href="{HOME}">领导首页</a>'
    assert link in client_for(personas["leader"]).get(reverse("projects:ledger")).content.decode()
    for role in ("office", "viewer", "reporter"):
        assert link not in client_for(personas[role]).get(reverse("projects:ledger")).content.decode(), role


@pytest.mark.parametrize("role", ["admin", "office", "viewer", "reporter"])
def test_the_home_page_is_a_leaders(personas: dict[str, User], role: str) -> None:
    assert client_for(personas[role]).get(HOME).status_code == 403


# --- the home page --------------------------------------------------------------------------

def test_his_projects_red_and_yellow_first_with_reasons_and_the_year(district: dict[str, Any]) -> None:
    response = client_for(district["leader"]).get(HOME)
    assert response.status_code == 200
    assert rows(response, "data-project") == [district[key].pk for key in ("red", "yellow", "green")]
    html = response.content.decode()
    summary = html.split('id="summary"')[1].split("</p>")[0]
    assert "包靠项目 3 个" in summary
    assert re.search(r"红灯 1<", summary) and re.search(r"黄灯 1<", summary) and re.search(r"绿灯 1<", summary)
    assert "督办问题未办结 3 个，其中红牌 1 个" in summary
    red = html.split(f'data-project="{district["red"].pk}"')[1].split("</tr>")[0]
    # The year's plan and year-to-date from ProjectYear (not 2025's), the rate as the light rounds it.
    assert "4000.00" in red and "400.00" in red and "10.0%" in red
    assert '<span class="reason-red">年度投资完成率 10.0%，落后序时进度 31.7 个百分点</span>' in red
    assert '<span class="reason-yellow">含未审核数据</span>' in red
    assert f'href="/projects/{district["red"].pk}/#problems">1</a>' in red
    green = html.split(f'data-project="{district["green"].pk}"')[1].split("</tr>")[0]
    assert "进度正常" in green and "450.50" in green and "45.1%" in green
    yellow = html.split(f'data-project="{district["yellow"].pk}"')[1].split("</tr>")[0]
    assert "—" in yellow  # no plan, no rate
    # Not the withdrawn project, nor another leader's (whose problem naming him is listed below).
    assert "已退库项目" not in html


def test_his_problems_open_and_overdue_first_then_closed(district: dict[str, Any]) -> None:
    response = client_for(district["leader"]).get(HOME)
    p = district["problems"]
    assert rows(response, "data-problem") == [p["overdue"].pk, p["named"].pk, p["soon"].pk, p["closed"].pk]
    html = response.content.decode()
    assert "已逾期 20 天，红牌督办并约谈责任领导" in html
    assert "与他无关的问题" not in html


def test_this_months_changes(district: dict[str, Any]) -> None:
    response = client_for(district["leader"]).get(HOME)
    html = response.content.decode()
    assert "与上期通报（2026年4月）发布时的灯色相比" in html
    # Red first: the red project went from yellow to red, the green one from red to green; yellow stayed.
    assert rows(response, "data-light-change") == [district["red"].pk, district["green"].pk]
    change = html.split(f'data-light-change="{district["red"].pk}"')[1].split("</tr>")[0]
    assert re.search(r"light-yellow.*黄灯.*light-red.*红灯", change, re.S)
    # Saved this month: May's row of his red project (not April's row saved in April, nor another leader's).
    assert rows(response, "data-report") == [district["may_report"].pk]
    assert "2026年5月" in html.split('id="reported"')[1]
    # Requests asked or decided this month.
    assert rows(response, "data-change") == [district["adjust"].pk]
    ProjectChange.objects.filter(pk=district["old_change"].pk).update(
        state=ProjectChange.State.APPROVED, decided_at=timezone.now()
    )
    again = client_for(district["leader"]).get(HOME)
    assert rows(again, "data-change") == [district["adjust"].pk, district["old_change"].pk]


def test_without_a_published_period_there_is_nothing_to_compare(
    personas: dict[str, User], make_project: Any
) -> None:
    make_project(responsible_leader=personas["leader"])
    html = client_for(personas["leader"]).get(HOME).content.decode()
    assert "还没有发布过的调度期，暂无可比较的灯色。" in html
    assert "本月还没有填报进度。" in html and "本月没有申请。" in html


def test_a_leader_without_projects_is_told_so(personas: dict[str, User]) -> None:
    html = client_for(personas["leader"]).get(HOME).content.decode()
    assert "项目库中没有您包靠的项目。" in html and "暂无督办问题。" in html


def _more(district: dict[str, Any], make_project: Any, units: dict[str, Unit], n: int) -> None:
    """``n`` more of his projects, each with a problem, a row reported this month, a published light, a request."""
    leader, april = district["leader"], district["april"]
    for i in range(n):
        project = _lit(make_project(name=f"批量项目{i}", responsible_leader=leader), "yellow", ("yellow", "慢"))
        project.co_units.set([units["town_b"]])
        ProjectYear.objects.create(project=project, year=2026, plan=Decimal("100"), invested_ytd=Decimal(i))
        Problem.objects.create(project=project, description=f"问题{i}", responsible_unit=units["gxj"],
                               deadline=TODAY - dt.timedelta(days=i))
        ProgressReport.objects.create(project=project, year=2026, month=5, invested=Decimal("1"))
        _published(april, project, "green")
        ProjectChange.objects.create(project=project, kind=ProjectChange.Kind.ADJUST, reason="理由",
                                     requested_by=district["leader"])


def test_the_home_page_takes_a_fixed_number_of_queries(
    district: dict[str, Any], make_project: Any, units: dict[str, Unit], django_assert_max_num_queries: Any
) -> None:
    client = client_for(district["leader"])
    client.get(HOME)  # warm up per-process caches
    with CaptureQueriesContext(connection) as few:
        client.get(HOME)
    _more(district, make_project, units, 20)
    # session, user, projects, the district's settings (escalation thresholds), problem counts, problems,
    # last published period, its snapshots, reports, requests, unread notifications (the menu), session save
    # (3 with its savepoint)
    with django_assert_max_num_queries(14):
        response = client.get(HOME)
    with CaptureQueriesContext(connection) as many:
        client.get(HOME)
    assert len(rows(response, "data-project")) == 23
    assert len(rows(response, "data-light-change")) == 22
    assert len(many) == len(few), [q["sql"] for q in many.captured_queries]


# --- instructions on a project --------------------------------------------------------------

@pytest.fixture
def project(district: dict[str, Any]) -> Project:
    """The red project: led by 工信局, located in 东城街道 (where the personas' reporter works)."""
    project: Project = district["red"]
    return project


def _section(response: Any) -> str:
    html = response.content.decode()
    assert 'id="instructions"' in html
    return html.split('id="instructions"')[1].split("</section>")[0]


def _page(client: Any, project: Project) -> Any:
    return client.get(reverse("projects:detail", args=[project.pk]))


def test_a_leader_writes_one_on_the_project_page_through_htmx(
    district: dict[str, Any], project: Project, units: dict[str, Unit]
) -> None:
    gxj_reporter = make_user("gxj_reporter", User.Role.REPORTER, units["gxj"])
    client = client_for(district["leader"])
    url = reverse("dispatch:project_instructions", args=[project.pk])
    page = _section(_page(client, project))
    assert f'hx-post="{url}"' in page and "暂无领导批示。" in page
    response = client.post(url, {"text": "倒排工期，月底前完成征地。"}, **HX)
    assert response.status_code == 200
    section = _section(response)
    assert "批示已保存，已通知责任单位和项目办。" in section
    assert "倒排工期，月底前完成征地。" in section and "张区长" in section
    assert re.search(r'<textarea id="instruction-text" name="text" rows="4" required></textarea>', section)
    assert set(Notification.objects.values_list("user__username", flat=True)) == {"gxj_reporter", "office"}
    assert Notification.objects.get(user=gxj_reporter).url == f"/projects/{project.pk}/#instructions"
    assert "倒排工期，月底前完成征地。" in _section(_page(client, project))


def test_the_list_is_newest_first_and_read_by_whoever_sees_the_project(
    district: dict[str, Any], project: Project, personas: dict[str, User]
) -> None:
    first = services.instruction_create(by=district["leader"], text="第一条批示", project=project)
    second = services.instruction_create(by=district["leader"], text="第二条批示", project=project)
    Instruction.objects.filter(pk=first.pk).update(at=timezone.now() - dt.timedelta(days=1))
    for role in ("office", "viewer", "reporter", "admin"):
        response = _page(client_for(personas[role]), project)
        assert rows(response, "data-instruction") == [second.pk, first.pk], role
        assert "<form" not in _section(response), role
        assert "张区长" in _section(response)
    assert rows(_page(client_for(district["leader"]), project), "data-instruction") == [second.pk, first.pk]


@pytest.mark.parametrize("role", ["admin", "office", "viewer", "reporter"])
def test_nobody_but_a_leader_writes_one(
    district: dict[str, Any], project: Project, personas: dict[str, User], role: str
) -> None:
    url = reverse("dispatch:project_instructions", args=[project.pk])
    assert client_for(personas[role]).post(url, {"text": "批示"}, **HX).status_code == 403
    problem = district["problems"]["overdue"]
    url = reverse("dispatch:problem_instructions", args=[problem.pk])
    assert client_for(personas[role]).post(url, {"text": "批示"}, **HX).status_code == 403
    assert not Instruction.objects.exists() and not Notification.objects.exists()


def test_what_a_leader_typed_is_escaped(district: dict[str, Any], project: Project) -> None:
    client = client_for(district["leader"])
    response = client.post(reverse("dispatch:project_instructions", args=[project.pk]), {"text": SCRIPT}, **HX)
    assert ESCAPED in response.content.decode() and SCRIPT not in response.content.decode()
    page = _page(client, project).content.decode()
    assert ESCAPED in page and SCRIPT not in page
    assert Instruction.objects.get().text == SCRIPT


def test_a_refused_text_comes_back_with_its_error_and_the_text_kept(district: dict[str, Any], project: Project) -> None:
    client = client_for(district["leader"])
    url = reverse("dispatch:project_instructions", args=[project.pk])
    long = "征" * 1000 + "<b>"
    section = _section(client.post(url, {"text": long}, **HX))
    assert "批示内容不能超过 1000 个字（现有 1003 个字）。" in section
    assert "征" * 1000 + "&lt;b&gt;</textarea>" in section  # still in the textarea, escaped
    section = _section(client.post(url, {"text": "   "}, **HX))
    assert "请填写批示内容。" in section
    assert not Instruction.objects.exists() and not Notification.objects.exists()


def test_without_htmx_the_form_goes_back_to_the_page_with_a_message(district: dict[str, Any], project: Project) -> None:
    client = client_for(district["leader"])
    url = reverse("dispatch:project_instructions", args=[project.pk])
    response = client.post(url, {"text": "加快推进。"}, follow=True)
    assert response.redirect_chain[-1][0] == f"/projects/{project.pk}/#instructions"
    assert "批示已保存，已通知责任单位和项目办。" in response.content.decode()
    assert "加快推进。" in _section(response)
    response = client.post(url, {"text": ""}, follow=True)
    assert "请填写批示内容。" in response.content.decode()
    assert Instruction.objects.count() == 1


def test_the_project_page_reads_the_instructions_once_whatever_their_number(
    district: dict[str, Any], project: Project, personas: dict[str, User]
) -> None:
    client = client_for(personas["office"])
    _page(client, project)
    with CaptureQueriesContext(connection) as none_yet:
        _page(client, project)
    for i in range(5):
        services.instruction_create(by=district["leader"], text=f"批示{i}", project=project)
    with CaptureQueriesContext(connection) as five:
        response = _page(client, project)
    assert len(rows(response, "data-instruction")) == 5
    assert len(five) == len(none_yet)
    assert sum('FROM "dispatch_instruction"' in q["sql"] for q in five.captured_queries) == 1


# --- instructions on a problem --------------------------------------------------------------

def test_a_leader_writes_one_on_the_problem_page(district: dict[str, Any], personas: dict[str, User]) -> None:
    problem = district["problems"]["overdue"]
    page_url = reverse("dispatch:problem_detail", args=[problem.pk])
    url = reverse("dispatch:problem_instructions", args=[problem.pk])
    leader = client_for(district["leader"])
    page = _section(leader.get(page_url))
    assert f'hx-post="{url}"' in page and "暂无领导批示。" in page
    section = _section(leader.post(url, {"text": SCRIPT}, **HX))
    assert ESCAPED in section and SCRIPT not in section
    # 东城街道 (the responsible unit) and the office are told.
    assert set(Notification.objects.values_list("user__username", flat=True)) == {"reporter", "office"}
    instruction = Instruction.objects.get()
    for role in ("reporter", "office", "viewer"):
        response = client_for(personas[role]).get(page_url)
        assert rows(response, "data-instruction") == [instruction.pk], role
        assert "<form" not in _section(response) and ESCAPED in _section(response), role
    # A reporter of another unit does not see the problem, nor may post to it.
    assert client_for(personas["other_reporter"]).post(url, {"text": "批示"}, **HX).status_code == 404


def test_the_problem_page_reads_the_instructions_and_their_leaders_in_one_query(
    district: dict[str, Any], personas: dict[str, User]
) -> None:
    problem = district["problems"]["overdue"]
    client = client_for(personas["office"])
    url = reverse("dispatch:problem_detail", args=[problem.pk])
    client.get(url)
    with CaptureQueriesContext(connection) as none_yet:
        client.get(url)
    leaders = [district["leader"], make_user("leader3", User.Role.LEADER, full_name="王副区长")]
    for i in range(6):
        services.instruction_create(by=leaders[i % 2], text=f"批示{i}", problem=problem)
    with CaptureQueriesContext(connection) as six:
        response = client.get(url)
    assert len(rows(response, "data-instruction")) == 6
    assert "王副区长" in _section(response) and "张区长" in _section(response)
    assert len(six) == len(none_yet)
    assert sum('FROM "dispatch_instruction"' in q["sql"] for q in six.captured_queries) == 1


def test_a_closed_problem_still_takes_one(district: dict[str, Any]) -> None:
    """A leader comments on how a problem was closed (办结) as well; the unit and the office read it."""
    problem = district["problems"]["closed"]
    client = client_for(district["leader"])
    assert "<form" in _section(client.get(reverse("dispatch:problem_detail", args=[problem.pk])))
    response = client.post(reverse("dispatch:problem_instructions", args=[problem.pk]), {"text": "举一反三。"}, **HX)
    assert "举一反三。" in _section(response)
    assert Instruction.objects.get().problem_id == problem.pk
