"""The heat map in Chromium, with every request off this server refused (the maps come from static/vendor, never a
CDN): the China map and the home province's map draw, the measure switches, clicking Guangdong opens the lead
list filtered by it, and the town chart draws; on a desk (1440 px) and on a phone (390 px) no page is wider than
the screen, and nothing goes wrong in the browser."""
from __future__ import annotations

import re
from decimal import Decimal
from typing import Any
from urllib.parse import unquote, urlsplit

import pytest
from playwright.sync_api import expect

from core import district
from investment.heatmap import map_url
from investment.models import Lead, Stage
from investment.tests.conftest import MakeLead
from org.models import Unit, User
from projects.tests.browser import VENDOR, Tab
from projects.tests.browser import browser as browser
from projects.tests.browser import tab as tab

pytestmark = pytest.mark.browser

DESK = {"width": 1440, "height": 900}
PHONE = {"width": 390, "height": 844}
XSS = "<img src=x onerror=alert(1)>"


def fits(tab: Tab, width: int) -> None:
    assert tab.page.evaluate("document.documentElement.scrollWidth") <= width


def offline(tab: Tab) -> list[str]:
    """Refuse every request that is not to the live server; the refused ones are returned (there must be none)."""
    refused: list[str] = []
    own = urlsplit(tab.base_url).netloc

    def handle(route: Any) -> None:
        if urlsplit(route.request.url).netloc == own:
            route.continue_()
        else:
            refused.append(route.request.url)
            route.abort()

    tab.page.context.route("**/*", handle)
    return refused


def test_the_maps_draw_offline_and_a_click_opens_the_leads(
    tab: Tab, personas: dict[str, User], units: dict[str, Unit], make_lead: MakeLead, make_project: Any
) -> None:
    assert (VENDOR.parent / map_url()).is_file(), "run scripts/fetch_assets.py"
    row = district.current_row()
    district.district_settings_update(values={"province": "广东省"}, version=row.version, by=personas["admin"])
    for name, province, city in (("深圳甲科技有限公司", "广东省", "深圳"), ("广州乙有限公司", "广东", "广州市"),
                                 ("济南丙有限公司", "山东", "济南市"), ("外省丁有限公司", "火星", "")):
        lead = make_lead(name, origin_province=province, origin_city=city)
        Lead.objects.filter(pk=lead.pk).update(stage=Stage.SIGNED, signed_amount=Decimal("1000"))
    make_lead("东京株式会社", origin="foreign", origin_province="日本")
    project = make_project(name="落地项目", town=units["town_a"])
    Lead.objects.filter(enterprise="深圳甲科技有限公司").update(project=project)
    # A town's name is typed by people: the chart's tooltip (HTML) must show it as text.
    evil = Unit.objects.create(name=XSS, kind=Unit.Kind.TOWN)
    make_project(name="另一项目", town=evil)

    refused = offline(tab)
    page = tab.page
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    tab.login(personas["office"])
    for size in (DESK, PHONE):
        page.set_viewport_size(size)
        tab.goto("/investment/heatmap/")
        expect(page.locator("#map-china")).to_have_attribute("data-drawn", "1")
        expect(page.locator("#map-home")).to_have_attribute("data-drawn", "1")
        assert page.locator("#map-china canvas").count() >= 1
        expect(page.locator("#province-table")).to_contain_text("广东")
        expect(page.locator("#city-table")).to_contain_text("深圳市")
        expect(page.locator("#unplaced-provinces")).to_contain_text("外省丁有限公司")
        expect(page.locator("#foreign-table")).to_contain_text("日本")
        page.get_by_label("签约额（万元）").check()
        page.wait_for_timeout(300)
        fits(tab, size["width"])
        tab.goto("/investment/heatmap/towns/")
        expect(page.locator("#towns-chart")).to_have_attribute("data-drawn", "1")
        expect(page.locator("#lead-town-table")).to_contain_text("东城街道")
        page.get_by_label("总投资（万元）").check()
        chart = page.locator("#towns-chart")
        box = chart.bounding_box()
        assert box is not None
        shown = []
        for fraction in (0.3, 0.5, 0.7, 0.9):
            page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] * fraction)
            page.wait_for_timeout(150)
            shown.append(chart.inner_text())
        assert any(XSS in text for text in shown), shown  # the tooltip showed the name, as text
        assert page.locator("img[src='x']").count() == 0 and dialogs == []
        fits(tab, size["width"])

    # A click on Guangdong (at its provincial capital) opens the lead list filtered by the province.
    page.set_viewport_size(DESK)
    tab.goto("/investment/heatmap/")
    china = page.locator("#map-china")
    expect(china).to_have_attribute("data-drawn", "1")
    # A map of China shows the South China Sea islands (南海诸岛): ECharts adds its inset to the map named "china".
    assert page.evaluate("() => !!echarts.getInstanceByDom(document.getElementById('map-china')).getModel()"
                         ".getSeriesByIndex(0).coordinateSystem.getRegion('南海诸岛')")
    # The map's top at the window's: the whole map in view, whatever stands above it on the page.
    page.evaluate("() => window.scrollTo({top: document.getElementById('map-china').getBoundingClientRect().top"
                  " + window.scrollY, behavior: 'instant'})")
    page.wait_for_function("() => Math.abs(document.getElementById('map-china').getBoundingClientRect().top) < 2"
                           " || window.innerHeight + window.scrollY >= document.documentElement.scrollHeight - 1")
    x, y = page.evaluate(
        "() => echarts.getInstanceByDom(document.getElementById('map-china'))"
        ".convertToPixel({seriesIndex: 0}, [113.27, 23.13])"
    )
    box = china.bounding_box()
    assert box is not None
    page.mouse.click(box["x"] + x, box["y"] + y)
    page.wait_for_url(re.compile(r"/investment/leads/\?province="))
    assert unquote(page.url).endswith("/investment/leads/?province=广东")
    assert refused == []
    tab.assert_no_js_errors()
