"""A chain's 产业招商图谱 in Chromium, on a desk (1440 px) and on a phone (390 px): the graph draws every link in
the colour of its status, a click on a link lands on the lead list filtered by that link, and the chain pages
(the graph, the chief's desk, the office's page for the links) are no wider than the screen."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from investment import chains
from investment.models import Chain, ChainNode, Position, Stage, TargetKind
from investment.tests.conftest import MakeLead
from org.models import User
from projects.tests.browser import Tab
from projects.tests.browser import browser as browser
from projects.tests.browser import tab as tab

pytestmark = pytest.mark.browser

DESK = {"width": 1440, "height": 900}
PHONE = {"width": 390, "height": 844}


def fits(tab: Tab, width: int) -> None:
    assert tab.page.evaluate("document.documentElement.scrollWidth") <= width


def test_the_graph_draws_and_a_link_opens_its_leads(
    tab: Tab, personas: dict[str, User], make_lead: MakeLead
) -> None:
    office = personas["office"]
    chain = chains.chain_save(by=office, chain=Chain(name="新能源汽车", chief=personas["leader"]))

    def link(name: str, position: str, **fields: object) -> ChainNode:
        return chains.chain_node_save(by=office, node=ChainNode(chain=chain, name=name, position=position, **fields))

    battery = link("动力电池", Position.UPSTREAM, target_kind=TargetKind.FILL)
    link("驱动电机", Position.UPSTREAM, target_kind=TargetKind.STRENGTHEN)
    link("整车制造", Position.MIDSTREAM, local_enterprises=["潍柴新能源"])
    charging = link("充电桩", Position.DOWNSTREAM)
    link("车规级芯片", Position.KEY, target_kind=TargetKind.EXTEND)
    make_lead("东城电池有限公司", chain_node=battery, stage=Stage.NEGOTIATING)
    make_lead("东城充电有限公司", chain_node=charging)

    page = tab.page
    tab.login(personas["reporter"])
    for size in (DESK, PHONE):
        page.set_viewport_size(size)
        tab.goto(f"/investment/chains/{chain.pk}/")
        graph = page.locator("#chain-graph")
        expect(graph.locator("svg")).to_be_visible()
        for name in ("新能源汽车", "上游", "中游", "下游", "关键环节", "动力电池", "车规级芯片"):
            expect(graph.locator("svg text", has_text=name).first).to_be_visible()
        # Each link in the colour of its status: the battery link in progress, the motor a gap.
        colours = page.evaluate(
            "() => { const o = echarts.getInstanceByDom(document.getElementById('chain-graph')).getOption();"
            " const out = {}; const walk = (n) => { if (n.kind === 'node') { out[n.name] = n.itemStyle.color; }"
            " (n.children || []).forEach(walk); }; walk(o.series[0].data[0]); return out; }")
        assert colours == {"动力电池": chains.COLOURS[chains.PROGRESS], "驱动电机": chains.COLOURS[chains.GAP],
                           "整车制造": chains.COLOURS[chains.PRESENT], "充电桩": chains.COLOURS[chains.PROGRESS],
                           "车规级芯片": chains.COLOURS[chains.GAP]}
        expect(page.locator("#chain-nodes")).to_contain_text("补链目标；1 条线索跟进中（在谈 1 条）")
        expect(page.locator("#scope-note").first).to_contain_text("只计本单位录入的线索")
        fits(tab, size["width"])

        graph.locator("svg text", has_text="动力电池").first.click()
        expect(page).to_have_url(re.compile(rf"/investment/leads/\?node={battery.pk}$"))
        expect(page.locator("h1")).to_have_text("招商线索")
        expect(page.locator("#leads")).to_contain_text("东城电池有限公司")
        expect(page.locator("#leads")).not_to_contain_text("东城充电有限公司")
        fits(tab, size["width"])

    # The chief's desk and the office's page of the links fit a phone too.
    page.context.clear_cookies()
    tab.login(personas["leader"])
    for path in ("/investment/chains/", f"/investment/chains/{chain.pk}/desk/"):
        tab.goto(path)
        fits(tab, PHONE["width"])
    expect(page.locator("#by-stage")).to_contain_text("东城电池有限公司")
    page.context.clear_cookies()
    tab.login(office)
    for path in (f"/investment/chains/{chain.pk}/edit/", f"/investment/chains/{chain.pk}/nodes/new/"):
        tab.goto(path)
        fits(tab, PHONE["width"])
    tab.assert_no_js_errors()
