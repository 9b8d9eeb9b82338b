"""The new-problem form's project picker in Chromium: type, choose, and the unit and leader follow."""
from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from dispatch.models import Problem
from org.models import Unit, User
from projects.models import Project
from projects.tests.browser import Tab
from projects.tests.browser import browser as browser
from projects.tests.browser import tab as tab

pytestmark = pytest.mark.browser


@pytest.fixture
def ledger(personas: dict[str, User], units: dict[str, Unit], make_project: Any) -> dict[str, Project]:
    return {
        "sewage": make_project(code="XS-2026-007", name="东城污水处理厂扩建", lead_unit=units["town_a"],
                               responsible_leader=personas["leader"]),
        "road": make_project(code="XS-2026-001", name="东城大道改造", lead_unit=units["fgj"]),
        # A user's text: shown as text in the list, never run.
        "odd": make_project(code="XS-2026-666", name='东城<img src=x id="injected">项目', lead_unit=units["gxj"]),
    }


def test_typing_lists_projects_and_choosing_one_fills_the_unit_and_leader(
    tab: Tab, personas: dict[str, User], units: dict[str, Unit], ledger: dict[str, Project]
) -> None:
    page = tab.page
    tab.login(personas["office"])
    tab.goto(reverse("dispatch:problem_new"))
    box = page.locator("#id_project_text")
    options = page.locator("#project-results li[role=option]")

    box.fill("东城")
    expect(options).to_have_count(3)
    expect(box).to_have_attribute("aria-expanded", "true")
    expect(options.nth(0)).to_contain_text("XS-2026-001 东城大道改造")
    expect(options.nth(2)).to_contain_text('XS-2026-666 东城<img src=x id="injected">项目')
    expect(page.locator("#injected")).to_have_count(0)

    # Keys: down twice to the sewage works, Enter chooses it and does not submit the form.
    box.press("ArrowDown")
    box.press("ArrowDown")
    expect(options.nth(1)).to_have_attribute("aria-selected", "true")
    box.press("Enter")
    expect(page.locator("#project-results")).to_be_hidden()
    expect(box).to_have_value("XS-2026-007 东城污水处理厂扩建")
    expect(page.locator("#id_project")).to_have_value(str(ledger["sewage"].pk))
    expect(page.locator("#id_responsible_unit")).to_have_value(str(units["town_a"].pk))
    expect(page.locator("#id_responsible_leader")).to_have_value(str(personas["leader"].pk))
    expect(page.locator("#project-status")).to_have_text("已按所选项目填入责任单位和责任领导，可修改。")
    assert not Problem.objects.exists()

    # Another project by mouse: its unit, and no leader (the road has none).
    box.fill("大道")
    expect(page.locator("#id_project")).to_have_value("")
    options.first.click()
    expect(page.locator("#id_project")).to_have_value(str(ledger["road"].pk))
    expect(page.locator("#id_responsible_unit")).to_have_value(str(units["fgj"].pk))
    expect(page.locator("#id_responsible_leader")).to_have_value("")

    page.locator("#id_description").fill("征地拆迁未完成")
    page.locator("#id_deadline").fill((timezone.localdate() + dt.timedelta(days=10)).isoformat())
    page.get_by_role("button", name="交办").click()
    expect(page.locator("[data-state]")).to_have_text("已交办")
    problem = Problem.objects.get()
    assert (problem.project, problem.responsible_unit, problem.responsible_leader) == (
        ledger["road"], units["fgj"], None)
    tab.assert_no_js_errors()


def test_nothing_found_and_too_many_are_said(tab: Tab, personas: dict[str, User], units: dict[str, Unit],
                                             make_project: Any) -> None:
    for n in range(21):
        make_project(code=f"HT-{n:03d}", name=f"寒亭项目{n}", lead_unit=units["gxj"])
    page = tab.page
    tab.login(personas["office"])
    tab.goto(reverse("dispatch:problem_new"))
    box = page.locator("#id_project_text")
    box.fill("寒亭")
    expect(page.locator("#project-results li[role=option]")).to_have_count(20)
    expect(page.locator("#project-results li.note")).to_have_text("只列出前 20 个，请输入更多字缩小范围。")
    box.fill("没有这个项目")
    expect(page.locator("#project-results li.note")).to_have_text("没有找到匹配的项目。")
    expect(page.locator("#project-results li[role=option]")).to_have_count(0)
    box.press("Escape")
    expect(page.locator("#project-results")).to_be_hidden()
    tab.assert_no_js_errors()
