"""Reverse scheduling (倒排工期) against the project's planned dates.

It once put 开工 on 2028-03-10 for a project planned to start on 2027-04-01 without a word. The target
now starts at the planned completion, and the page warns (never refuses) where milestones contradict
the planned start, the planned completion or each other (projects.rules.schedule_conflicts).
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
from django.urls import reverse
from django.utils import translation

from conftest import client_for
from org.models import User
from projects.models import Milestone, MilestoneTemplate, MilestoneTemplateStep, Project
from projects.rules import (
    CONFLICT_COMPLETION,
    CONFLICT_ORDER,
    CONFLICT_START,
    MilestoneFact,
    ScheduleConflict,
    is_start_milestone,
    schedule_conflicts,
)

START = dt.date(2027, 4, 1)
END = dt.date(2028, 6, 30)


@pytest.fixture(autouse=True)
def chinese() -> Iterator[None]:
    with translation.override("zh-hans"):
        yield


def m(name: str, planned: dt.date | None) -> MilestoneFact:
    return MilestoneFact(name, planned, None)


# --- the rule ---------------------------------------------------------------------------------

def test_a_plan_that_fits_has_no_conflicts() -> None:
    plan = [m("立项", dt.date(2027, 1, 5)), m("施工许可", dt.date(2027, 3, 20)), m("开工", START),
            m("主体完工", dt.date(2028, 1, 10)), m("竣工验收", END)]
    assert schedule_conflicts(plan, planned_start=START, planned_completion=END) == []


def test_the_start_milestone_after_the_planned_start() -> None:
    plan = [m("立项", dt.date(2027, 1, 5)), m("开工", dt.date(2028, 3, 10))]
    assert schedule_conflicts(plan, planned_start=START, planned_completion=END) == [
        ScheduleConflict(CONFLICT_START, 2, "第 2 个节点“开工”计划 2028-03-10，晚于项目计划开工日期 2027-04-01")
    ]
    # A day later is later; the same day and earlier are not.
    one_day = [m("项目开工", START + dt.timedelta(days=1))]
    assert [c.rule for c in schedule_conflicts(one_day, planned_start=START, planned_completion=None)] == [
        CONFLICT_START
    ]
    for day in (START, START - dt.timedelta(days=30)):
        assert schedule_conflicts([m("开工", day)], planned_start=START, planned_completion=None) == []


def test_only_a_start_milestone_is_held_to_the_planned_start() -> None:
    # Steps after the start naturally come after it.
    plan = [m("开工", START), m("主体完工", dt.date(2028, 1, 10))]
    assert schedule_conflicts(plan, planned_start=START, planned_completion=None) == []
    assert is_start_milestone("开工") and is_start_milestone("开工建设") and is_start_milestone("项目开工")
    assert not is_start_milestone("施工许可") and not is_start_milestone("竣工验收")


def test_any_milestone_after_the_planned_completion() -> None:
    plan = [m("开工", START), m("竣工验收", END), m("投产", END + dt.timedelta(days=1))]
    assert schedule_conflicts(plan, planned_start=START, planned_completion=END) == [
        ScheduleConflict(CONFLICT_COMPLETION, 3, "第 3 个节点“投产”计划 2028-07-01，晚于项目计划竣工日期 2028-06-30")
    ]


def test_milestones_out_of_order_name_the_one_before() -> None:
    plan = [m("立项", dt.date(2027, 1, 5)), m("规划许可", dt.date(2027, 3, 1)), m("未定", None),
            m("土地摘牌", dt.date(2027, 2, 1)), m("施工许可", dt.date(2027, 2, 1)), m("开工", dt.date(2027, 3, 20))]
    assert schedule_conflicts(plan, planned_start=None, planned_completion=None) == [
        ScheduleConflict(
            CONFLICT_ORDER, 4,
            "第 4 个节点“土地摘牌”计划 2027-02-01，早于排在它前面的“规划许可”（2027-03-01），节点顺序与计划日期不一致",
        )
    ]  # the undated row is skipped; two on one day are in order; one late row gives one warning


def test_without_planned_dates_only_the_order_is_checked() -> None:
    plan = [m("开工", dt.date(2030, 1, 1)), m("竣工验收", dt.date(2029, 1, 1))]
    assert [c.rule for c in schedule_conflicts(plan, planned_start=None, planned_completion=None)] == [CONFLICT_ORDER]
    assert [c.rule for c in schedule_conflicts(plan, planned_start=START, planned_completion=END)] == [
        CONFLICT_START, CONFLICT_COMPLETION, CONFLICT_COMPLETION, CONFLICT_ORDER
    ]
    assert schedule_conflicts([], planned_start=START, planned_completion=END) == []


# --- the pages --------------------------------------------------------------------------------

on_15_may_2026 = pytest.mark.usefixtures("clock")


@pytest.fixture
def template(db: Any) -> MilestoneTemplate:
    template = MilestoneTemplate.objects.create(name="产业项目标准流程（测试）", project_type="industry")
    steps = [("立项", 0), ("施工许可", 15), ("开工", 10), ("主体完工", 120), ("竣工验收", 60)]
    for order, (name, days) in enumerate(steps, 1):
        MilestoneTemplateStep.objects.create(template=template, order=order, name=name, duration_workdays=days)
    return template


@pytest.fixture
def project(make_project: Any) -> Project:
    return make_project(stage="preparing", actual_start=None, planned_start=START, planned_completion=END)


@on_15_may_2026
def test_the_target_starts_at_the_planned_completion(personas: dict[str, User], project: Project) -> None:
    response = client_for(personas["reporter"]).get(reverse("projects:milestones", args=[project.pk]))
    assert response.context["schedule_form"]["target"].value() == END
    body = response.content.decode()
    assert 'name="target" value="2028-06-30"' in body
    assert "默认为项目计划竣工日期 2028-06-30" in body
    assert 'id="schedule-conflicts"' not in body  # no milestones, nothing to warn about


@on_15_may_2026
def test_without_a_planned_completion_the_target_is_empty(personas: dict[str, User], make_project: Any) -> None:
    project = make_project(planned_completion=None)
    response = client_for(personas["office"]).get(reverse("projects:milestones", args=[project.pk]))
    assert response.context["schedule_form"]["target"].value() is None


@on_15_may_2026
def test_the_preview_warns_and_confirming_still_writes(
    personas: dict[str, User], project: Project, template: MilestoneTemplate
) -> None:
    client = client_for(personas["reporter"])
    url = reverse("projects:schedule", args=[project.pk])
    # A target three months past the planned completion: 开工 lands well after 1 April 2027, and the
    # last two steps after 30 June 2028.
    params = {"template": template.pk, "target": "2028-09-29"}
    response = client.post(url, {**params, "preview": "1"})
    assert response.status_code == 200
    day = {name: day for name, day, _known in response.context["preview"]}
    assert day["开工"] > START and day["施工许可"] <= END < day["主体完工"]
    assert [(c.rule, c.position) for c in response.context["preview_conflicts"]] == [
        (CONFLICT_START, 3), (CONFLICT_COMPLETION, 4), (CONFLICT_COMPLETION, 5)
    ]
    body = response.content.decode()
    warning = body.split('id="preview-conflicts"')[1].split("</div>")[0]
    assert f"第 3 个节点“开工”计划 {day['开工'].isoformat()}，晚于项目计划开工日期 2027-04-01" in warning
    assert f"第 5 个节点“竣工验收”计划 {day['竣工验收'].isoformat()}，晚于项目计划竣工日期 2028-06-30" in warning
    assert "仍可确认写入" in warning and 'name="confirm"' in body
    assert not project.milestones.exists()

    response = client.post(url, {**params, "confirm": "1"}, follow=True)
    assert [m.name for m in project.milestones.all()] == ["立项", "施工许可", "开工", "主体完工", "竣工验收"]
    page = response.content.decode()
    assert 'id="schedule-conflicts"' in page
    assert "晚于项目计划开工日期 2027-04-01" in page.split('id="schedule-conflicts"')[1].split("</div>")[0]


@on_15_may_2026
def test_a_schedule_from_the_planned_completion_only_warns_where_the_template_does_not_fit(
    personas: dict[str, User], project: Project, template: MilestoneTemplate
) -> None:
    response = client_for(personas["reporter"]).post(
        reverse("projects:schedule", args=[project.pk]),
        {"template": template.pk, "target": END.isoformat(), "preview": "1"},
    )
    preview = response.context["preview"]
    assert preview[-1][1] == END  # 30 June 2028 is a working day
    # 190 working days back from 30 June 2028 is after 1 April 2027: the template's durations do not fit.
    assert [c.rule for c in response.context["preview_conflicts"]] == [CONFLICT_START]


@on_15_may_2026
def test_saving_contradicting_milestones_warns_and_saves(personas: dict[str, User], project: Project) -> None:
    Milestone.objects.create(project=project, order=1, name="施工许可", planned_date=dt.date(2027, 3, 1))
    Milestone.objects.create(project=project, order=2, name="开工", planned_date=dt.date(2027, 3, 20))
    milestones = list(project.milestones.all())
    data = {
        "m-TOTAL_FORMS": "3", "m-INITIAL_FORMS": "2", "m-MIN_NUM_FORMS": "0", "m-MAX_NUM_FORMS": "1000",
        "m-2-order": "0", "m-2-name": "", "m-2-planned_date": "", "m-2-actual_date": "", "m-2-note": "",
    }
    for i, milestone in enumerate(milestones):
        data.update({f"m-{i}-id": str(milestone.pk), f"m-{i}-order": str(milestone.order),
                     f"m-{i}-name": milestone.name, f"m-{i}-planned_date": milestone.planned_date.isoformat(),
                     f"m-{i}-actual_date": "", f"m-{i}-note": ""})
    data["m-1-planned_date"] = "2027-02-01"  # 开工 before 施工许可
    client = client_for(personas["reporter"])
    url = reverse("projects:milestones", args=[project.pk])
    response = client.post(url, data, follow=True)
    assert response.redirect_chain == [(reverse("projects:detail", args=[project.pk]), 302)]
    assert project.milestones.get(name="开工").planned_date == dt.date(2027, 2, 1)  # saved all the same
    messages = [(m.level_tag, str(m)) for m in response.context["messages"]]
    order = "第 2 个节点“开工”计划 2027-02-01，早于排在它前面的“施工许可”（2027-03-01），节点顺序与计划日期不一致"
    assert ("warning", order) in messages
    assert order in response.content.decode()
    # And the milestones page says it too, for as long as it is so.
    body = client.get(url).content.decode()
    assert order in body.split('id="schedule-conflicts"')[1].split("</div>")[0]
