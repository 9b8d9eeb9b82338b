"""A started lead into the ledger, in Chromium: the town's reporter converts it on a phone (390 px) with the
ledger's form filled from the lead, and enters money that arrived; the office approves the 入库 proposal on the
ledger's own page (1440 px); the project is in the ledger list, its page says where it came from, and the lead
shows its project in the ledger with its light. No page is wider than the screen."""
from __future__ import annotations

from decimal import Decimal

import pytest
from playwright.sync_api import expect

from core import clock
from investment.models import Lead, Stage
from investment.services import lead_save, stage_advance
from org.models import User
from projects.models import LedgerState, ProjectChange
from projects.tests.browser import Tab
from projects.tests.browser import browser as browser
from projects.tests.browser import tab as tab

pytestmark = pytest.mark.browser

DESK = {"width": 1440, "height": 900}
PHONE = {"width": 390, "height": 844}


def fits(tab: Tab, width: int) -> None:
    assert tab.page.evaluate("document.documentElement.scrollWidth") <= width


def test_a_started_lead_goes_into_the_ledger(tab: Tab, personas: dict[str, User]) -> None:
    today = clock.today()
    reporter, office = personas["reporter"], personas["office"]
    lead = lead_save(by=reporter, lead=Lead(enterprise="山东华鲁新材料有限公司", source_unit_id=reporter.unit_id,
                                            content="高端聚酰胺新材料项目", industry="新材料")).lead
    lead = stage_advance(by=office, lead=lead, to=Stage.STARTED, signed_on=today, signed_amount=Decimal("32000"),
                         counterpart="华鲁新材料(潍坊)有限公司", started_on=today, skip_decision="展会现场签约并开工")
    page = tab.page

    # The reporter, on a phone: the convert page is the ledger's form, filled from the lead.
    page.set_viewport_size(PHONE)
    tab.login(reporter)
    tab.goto(f"/investment/leads/{lead.pk}/")
    fits(tab, PHONE["width"])
    page.locator("#convert").click()
    expect(page.get_by_label("项目名称")).to_have_value("山东华鲁新材料有限公司高端聚酰胺新材料项目")
    expect(page.get_by_label("总投资(万元)")).to_have_value("32000.00")
    expect(page.get_by_label("实际开工日期")).to_have_value(today.isoformat())
    expect(page.get_by_label("入库申请理由")).to_contain_text("东城街道引进山东华鲁新材料有限公司")
    fits(tab, PHONE["width"])
    # Without a code the form says so and keeps what was typed.
    page.get_by_role("button", name="提交入库申请").click()
    expect(page.locator("[data-field=code]")).to_be_visible()
    page.get_by_label("项目编号").fill("2026-ZS-101")
    page.get_by_role("button", name="提交入库申请").click()
    expect(page.locator("ul.messages")).to_contain_text("已提交入库申请")
    expect(page.locator("#lineage-state")).to_have_text("待审核入库")
    expect(page.locator("#convert")).to_have_count(0)
    fits(tab, PHONE["width"])

    # The money that arrived, on the same page.
    funds = page.locator("#funds-form")
    funds.get_by_label("到位日期").fill(today.isoformat())
    funds.get_by_label("到位资金(万元)").fill("5000")
    funds.get_by_role("button", name="保存到位资金").click()
    expect(page.locator("ul.messages")).to_contain_text("已录入到位资金")
    expect(page.locator("#funds-total")).to_have_text("5000.00")
    fits(tab, PHONE["width"])

    # The office approves the proposal on the ledger's page of requests.
    page.context.clear_cookies()
    page.set_viewport_size(DESK)
    tab.login(office)
    tab.goto("/projects/changes/")
    change = ProjectChange.objects.get(project__code="2026-ZS-101")
    row = page.locator(f"tr[data-change='{change.pk}']")
    expect(row).to_contain_text("入库")
    row.get_by_role("button", name="批准").click()
    expect(page.locator("ul.messages")).to_contain_text("已批准")
    lead.refresh_from_db()
    assert lead.project is not None and lead.project.ledger_state == LedgerState.ACTIVE

    # The project is in the ledger list, and its page says where it came from.
    tab.goto("/projects/")
    expect(page.locator("body")).to_contain_text("2026-ZS-101")
    tab.goto(f"/projects/{lead.project.pk}/")
    origin = page.locator("#investment-origin")
    expect(origin).to_contain_text("来自招商线索")
    expect(origin).to_contain_text("山东华鲁新材料有限公司")
    origin.get_by_role("link", name="山东华鲁新材料有限公司").click()
    # Back on the lead: the project is in the ledger, with its light.
    expect(page.locator("#lineage-state")).to_have_text("在库")
    expect(page.locator("#lineage .light")).to_have_count(1)
    fits(tab, DESK["width"])

    # The share of signed amounts that started, on a phone.
    page.set_viewport_size(PHONE)
    tab.goto("/investment/signed-to-started/")
    expect(page.locator("#share-6")).to_be_visible()
    fits(tab, PHONE["width"])
    tab.assert_no_js_errors()
