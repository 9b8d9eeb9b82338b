"""The office enters a project's opening balance (年初累计，开账) from the project page, on a phone (390 px)."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from playwright.sync_api import expect

from org.models import Unit, User
from projects import services
from projects.models import OpeningBalance, ProjectYear
from projects.tests.browser import Tab

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}


def test_the_office_enters_an_opening_on_a_phone(
    tab: Tab, personas: dict[str, User], units: dict[str, Unit], make_project: Any
) -> None:
    # The live server runs on today's date: the opening ends with last month.
    last = dt.date.today().replace(day=1) - dt.timedelta(days=1)
    project = make_project(name="年中入库的物流园项目", lead_unit=units["town_a"])
    services.project_save(by=personas["office"], project=project, plans={last.year: Decimal("2400")})
    page = tab.page
    page.set_viewport_size(PHONE)
    tab.login(personas["office"])
    tab.goto(f"/projects/{project.pk}/?year={last.year}")
    page.get_by_role("link", name="录入年初累计（开账）").click()
    expect(page.locator("h1")).to_contain_text("年初累计（开账）")
    page.get_by_label("年度").fill(str(last.year))
    page.get_by_label("截至月份").fill(str(last.month))
    page.get_by_label("年初至今累计完成投资(万元)").fill("1800")
    page.get_by_label("数据来源及说明").fill("据区统计局投资统计联网直报")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    page.get_by_role("button", name="保存").click()

    expect(page.locator("ul.messages")).to_contain_text("年初累计（开账）已保存")
    months = f"{last.year}年1月" if last.month == 1 else f"{last.year}年1—{last.month}月"
    expect(page.locator("#progress")).to_contain_text(f"{months}（开账）")
    expect(page.locator("#progress")).to_contain_text("据区统计局投资统计联网直报")
    expect(page.locator("body")).to_contain_text(f"= 开账 1800.00 万元（{months}）")
    expect(page.locator("body")).to_contain_text(f"累计含{months}开账 1,800.00 万元")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    assert OpeningBalance.objects.get(project=project).entered_by == personas["office"]
    assert ProjectYear.objects.get(project=project, year=last.year).invested_ytd == Decimal("1800.00")
