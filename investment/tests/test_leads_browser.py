"""A lead's way in Chromium, on a desk (1440 px) and on a phone (390 px): a town's reporter enters an investor,
records a talk and takes it 线索 → 在谈 → 签约 → 开工 with the evidence of each step; another town's reporter
enters the same investor under another name and is told it was reported first (撞单); the office then takes the
started lead into the ledger (入库) and the ledger lists it. No page is wider than the screen."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from core import clock
from investment.models import Collision, Lead, Stage, StageChange
from org.models import User
from projects.tests.browser import Tab
from projects.tests.browser import browser as browser
from projects.tests.browser import tab as tab

pytestmark = pytest.mark.browser

DESK = {"width": 1440, "height": 900}
PHONE = {"width": 390, "height": 844}


def fits(tab: Tab, width: int) -> None:
    assert tab.page.evaluate("document.documentElement.scrollWidth") <= width


def test_a_lead_goes_from_entry_to_start_and_into_the_ledger_and_a_second_unit_meets_the_collision(
    tab: Tab, personas: dict[str, User]
) -> None:
    today = clock.today().isoformat()
    page = tab.page
    for size in (DESK, PHONE):
        page.set_viewport_size(size)
        tab.login(personas["reporter"])
        if size is DESK:
            tab.goto("/investment/leads/new/")
            fits(tab, size["width"])
            page.get_by_label("企业名称").fill("江苏恒瑞医药股份有限公司")
            page.get_by_label("意向投资额").fill("5")
            page.get_by_label("原始金额单位").select_option("yi")
            page.get_by_label("项目内容").fill("创新药生产基地")
            page.get_by_role("button", name="保存").click()
            expect(page.locator("ul.messages")).to_contain_text("已保存线索“江苏恒瑞医药股份有限公司”")
            expect(page.locator("#facts")).to_contain_text(re.compile(r"50,?000\.00 万元 （原始金额 5 亿元 CNY）"))
            lead = Lead.objects.get()

            # A talk with the investor.
            contact = page.locator("#contact-form")
            contact.get_by_label("洽谈日期").fill(today)
            contact.get_by_label("洽谈方式").select_option("visit")
            contact.get_by_label("洽谈结果").fill("企业有意在我区设立生产基地")
            contact.get_by_role("button", name="保存洽谈记录").click()
            expect(page.locator("ul.messages")).to_contain_text("已记录洽谈")
            expect(page.locator("#contacts")).to_contain_text("企业有意在我区设立生产基地")

            # 线索 → 在谈: no evidence needed.
            page.locator("#stage-form").get_by_role("button", name="推进").click()
            expect(page.locator("#stage")).to_have_text("在谈")
            # 在谈 → 签约: without the evidence the page says what is missing.
            page.locator("#stage-form").get_by_role("button", name="推进").click()
            expect(page.locator("#stage-form")).to_contain_text("签约须填写签约日期。")
            expect(page.locator("#stage")).to_have_text("在谈")
            stage = page.locator("#stage-form")
            stage.get_by_label("签约日期").fill(today)
            stage.get_by_label("签约金额(万元)").fill("48000")
            stage.get_by_label("签约主体").fill("恒瑞医药(潍坊)有限公司")
            stage.get_by_role("button", name="推进").click()
            expect(page.locator("#stage")).to_have_text("签约")
            # 签约 → 开工.
            page.locator("#stage-form").get_by_label("开工日期").fill(today)
            page.locator("#stage-form").get_by_role("button", name="推进").click()
            expect(page.locator("#stage")).to_have_text("开工")
            expect(page.locator("#stage-changes")).to_contain_text("签约 → 开工")
            fits(tab, size["width"])
            lead.refresh_from_db()
            assert (lead.stage, lead.counterpart) == (Stage.STARTED, "恒瑞医药(潍坊)有限公司")
            assert StageChange.objects.filter(lead=lead).count() == 3
            tab.goto("/investment/leads/")
            expect(page.locator("#leads")).to_contain_text("江苏恒瑞医药股份有限公司")
            fits(tab, size["width"])
        else:
            # The same lead's pages fit a phone.
            for path in (f"/investment/leads/{lead.pk}/", "/investment/leads/"):
                tab.goto(path)
                fits(tab, size["width"])

    # Another town's reporter, on a phone, enters the investor under another name.
    page.context.clear_cookies()
    tab.login(personas["other_reporter"])
    tab.goto("/investment/leads/new/")
    fits(tab, PHONE["width"])
    page.get_by_label("企业名称").fill("恒瑞医药(南京)有限公司")
    page.get_by_role("button", name="保存").click()
    messages = page.locator("ul.messages")
    expect(messages).to_contain_text("该企业可能已由东城街道于")
    expect(messages).to_contain_text("首报（撞单）")
    expect(page.locator("body")).not_to_contain_text("江苏恒瑞医药股份有限公司")
    expect(page.locator("#collisions")).to_contain_text("东城街道")
    fits(tab, PHONE["width"])
    assert Collision.objects.get().existing == lead

    # The office, on a desk, takes the started lead into the ledger (入库), and the ledger lists it.
    page.context.clear_cookies()
    page.set_viewport_size(DESK)
    tab.login(personas["office"])
    tab.goto(f"/investment/leads/{lead.pk}/")
    page.locator("#convert").click()
    expect(page.get_by_label("总投资(万元)")).to_have_value("48000.00")  # the signed amount
    page.get_by_label("项目编号").fill("2026-ZS-001")
    page.get_by_role("button", name="转入项目库").click()
    expect(page.locator("#lineage-state")).to_have_text("在库")
    tab.goto("/projects/")
    expect(page.locator("body")).to_contain_text("2026-ZS-001")
    lead.refresh_from_db()
    assert lead.project is not None and lead.project.code == "2026-ZS-001"
    tab.assert_no_js_errors()
