"""End-to-end in Chromium: the office drafts, edits and saves the bulletin's words, the period is published, and
the bulletin page prints the frozen words with its charts drawn (and their numbers in words); the meeting view
draws a slide's chart when the slide is shown."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from core.models import Period
from dispatch.bulletins.figures import bulletin_figures
from dispatch.models import BulletinNarrative
from dispatch.periods import services

# Shared fixtures; "as" marks the re-exports, so the test arguments do not read as redefinitions.
from dispatch.tests.test_bulletin_figures import april as april
from org.models import User
from projects.tests.browser import Tab
from projects.tests.browser import browser as browser
from projects.tests.browser import tab as tab

pytestmark = pytest.mark.browser

ADDED = "请各牵头单位于6月10日前报送整改方案。"


@pytest.fixture(autouse=True)
def media(settings: Any, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def _series(tab: Tab, key: str) -> Any:
    return tab.page.evaluate(
        "(key) => echarts.getInstanceByDom(document.querySelector(`[data-chart='${key}']`)).getOption().series", key
    )


def test_office_drafts_edits_saves_and_the_bulletin_prints_it(tab: Tab, april: dict[str, Any],
                                                            personas: dict[str, User]) -> None:
    office = personas["office"]
    may = services.period_close(period=services.period_open(year=2026, month=5, by=office), by=office)
    tab.login(office)
    page = tab.page
    tab.goto(reverse("dispatch:period_board", args=[may.pk]))
    page.locator("#narrative-link a").click()
    expect(page.locator("h1")).to_contain_text("2026年5月通报正文")
    problems, steps = page.get_by_label("存在的主要问题"), page.get_by_label("下步工作安排")
    expect(problems).to_have_value("")
    page.get_by_role("button", name="起草").click()
    expect(page.locator("body")).to_contain_text("尚未保存")
    expect(problems).not_to_have_value("")
    drafted = problems.input_value()
    assert drafted.startswith("一是投资进度滞后。") and "二号项目（年度投资完成 0.0%" in drafted
    assert "征地未完成（东城街道，逾期" in drafted
    assert steps.input_value().startswith("一是加快投资进度。")
    assert not BulletinNarrative.objects.exists()  # a draft is not saved
    steps.fill(steps.input_value() + "\n" + ADDED)
    page.get_by_role("button", name="保存").click()
    expect(page.locator("body")).to_contain_text("2026年5月的通报正文已保存。")
    saved = BulletinNarrative.objects.get(period=may)
    assert saved.version == 1 and saved.next_steps.endswith(ADDED) and saved.problems == drafted

    services.period_publish(period=may, by=office, reason="东城街道逾期未报，按时发布")
    tab.goto(reverse("dispatch:bulletin", args=[may.pk]))
    section = page.locator("#narrative-problems")
    expect(section.locator("h2")).to_have_text("八、存在的主要问题")
    expect(section).to_contain_text("二号项目（年度投资完成 0.0%")
    expect(page.locator("#narrative-next_steps h2")).to_have_text("九、下步工作安排")
    expect(page.locator("#narrative-next_steps p").last).to_have_text(ADDED)
    # The charts are drawn from the bulletin's figures, and each has its numbers in words beside it.
    f = bulletin_figures(Period.objects.get(pk=may.pk))
    page.wait_for_function("document.querySelectorAll('[data-chart][data-drawn]').length >= 5")
    lights = _series(tab, "lights")[0]["data"]
    assert [(d["name"], d["value"]) for d in lights] == [(row.label, row.count) for row in f.lights]
    expect(page.locator("#chart-lights-text")).to_have_text("红黄绿灯：" + "、".join(
        f"{row.label} {row.count} 个" for row in f.lights) + f"，共 {f.projects} 个项目。")
    assert _series(tab, "towns")[0]["data"] == [float(r.rate) if r.rate is not None else None
                                                for r in f.towns.by_investment]
    first = f.towns.by_investment[0]
    expect(page.locator("#chart-towns-text")).to_contain_text(
        f"{first.unit} {first.rate}%（累计完成 {first.done:,.2f} 万元 ÷ 年度计划 {first.plan:,.2f} 万元）"
    )
    assert _series(tab, "progress")[0]["data"] == [row.count for row in f.progress_spread]
    # Editing after publication is refused, and the page says why.
    tab.goto(reverse("dispatch:bulletin_narrative", args=[may.pk]))
    expect(page.locator("#narrative-frozen")).to_contain_text("已发布，以下为随本期冻结的正文，不能再修改")
    expect(page.locator("#narrative-form")).to_have_count(0)
    assert Period.objects.get(pk=may.pk).state == Period.State.PUBLISHED
    tab.assert_no_js_errors()


def test_the_meeting_draws_a_slides_chart_when_it_is_shown(tab: Tab, april: dict[str, Any],
                                                          personas: dict[str, User]) -> None:
    tab.login(personas["leader"])
    tab.goto(reverse("dispatch:meeting", args=[april["period"].pk]) + "#6")
    page = tab.page
    visible = page.locator("section.slide:visible")
    expect(visible.locator("h2")).to_have_text("四、红黄灯项目")
    page.wait_for_function("document.querySelector(\"[data-chart='lights']\").dataset.drawn === '1'")
    # The ranking slides were hidden at load: their charts are drawn on the way past.
    assert page.evaluate("document.querySelector(\"[data-chart='towns']\").dataset.drawn") is None
    page.keyboard.press("Home")
    for _ in range(3):
        page.keyboard.press("ArrowRight")
    expect(visible.locator("h2")).to_have_text("三、镇街排名")
    page.wait_for_function("document.querySelector(\"[data-chart='towns']\").dataset.drawn === '1'")
    assert _series(tab, "towns")[0]["data"] == [30.0, 16.0]
    tab.assert_no_js_errors()
