"""The ledger's 项目类别, 资金来源 and 民生实事 filters in Chromium on a phone (390 px): the filter bar fits the
screen, each choice swaps the table through HTMX and stays in the address, the export link follows."""
from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from org.models import User
from projects.models import FundingSource, ProjectCategory
from projects.tests.browser import Tab

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}


def test_the_filters_fit_a_phone_and_narrow_the_ledger(
    tab: Tab, personas: dict[str, User], make_project: Any
) -> None:
    # A live-server test starts from a flushed database: the seeded lists may be gone.
    industry = ProjectCategory.objects.get_or_create(name="工业")[0]
    livelihood = ProjectCategory.objects.get_or_create(name="民生实事", defaults={"livelihood": True})[0]
    government = FundingSource.objects.get_or_create(name="政府投资")[0]
    FundingSource.objects.get_or_create(name="国有企业投资")
    make_project(name="东城智能制造产业园", category=industry)
    make_project(name="东城社区养老中心", category=livelihood, funding_source=government)
    make_project(name="东城污水处理厂扩建", funding_source=government, livelihood=True)
    page = tab.page
    page.set_viewport_size(PHONE)
    tab.login(personas["office"])
    tab.goto("/projects/")
    rows = page.locator("#ledger table.ledger tbody tr")
    expect(rows).to_have_count(3)

    width = "document.documentElement.scrollWidth"
    assert page.evaluate(width) <= PHONE["width"]
    for name in ("category", "funding", "livelihood"):
        box = page.locator(f'form.filters select[name="{name}"]').bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], (name, box)

    page.locator('select[name="livelihood"]').select_option(label="是")
    expect(rows).to_have_count(2)
    expect(page).to_have_url(re.compile(r"livelihood=yes"))
    page.locator('select[name="funding"]').select_option(label="政府投资")
    expect(rows).to_have_count(2)
    page.locator('select[name="category"]').select_option(label="民生实事")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("东城社区养老中心")
    expect(page).to_have_url(re.compile(rf"category={livelihood.pk}.*funding={government.pk}|"
                                        rf"funding={government.pk}.*category={livelihood.pk}"))
    page.locator('select[name="category"]').select_option(label="未分类")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("东城污水处理厂扩建")
    assert page.evaluate(width) <= PHONE["width"]

    # The export link takes the form's current values when clicked (static/js/ui.js), these filters included;
    # the download itself is stopped, as in test_xss_browser (test_ledger_filters.py checks its rows).
    page.evaluate("document.getElementById('excel-export').addEventListener('click', (e) => e.preventDefault())")
    page.locator("#excel-export").click()
    href = page.locator("#excel-export").get_attribute("href") or ""
    assert all(part in href for part in ("category=none", f"funding={government.pk}", "livelihood=yes")), href
    # Reloaded from the address, the page shows the same choices and rows.
    page.reload()
    expect(page.locator('select[name="category"]')).to_have_value("none")
    expect(page.locator('select[name="livelihood"]')).to_have_value("yes")
    expect(rows).to_have_count(1)
    tab.assert_no_js_errors()
