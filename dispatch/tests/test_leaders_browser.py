"""End-to-end in Chromium: a district leader on a phone (390×844) opens the site, lands on the leader's home
page, opens a red project, writes an instruction (批示), and the lead unit's reporter reads it in the messages.

The leader opens the site's address, as from a bookmark: the login page sends him back there after signing in,
and the address is the leader's home page for a leader. The instruction carries markup, which must stay text.
"""
from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from conftest import PASSWORD, make_user
from dispatch.models import Instruction
from org.models import Unit, User
from projects.models import Project, ProjectYear
from projects.tests.browser import Tab
from projects.tests.browser import browser as browser
from projects.tests.browser import tab as tab

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1400, "height": 900}
TEXT = '请工信局本周内协调设备进场<img src=x onerror=alert(1)>'
# Elements the instruction would create if a page took it as HTML.
INJECTED_JS = "() => document.querySelectorAll(\"img[src='x'], [onerror]\").length"


@pytest.fixture
def leader_district(personas: dict[str, User], units: dict[str, Unit], make_project: Any) -> dict[str, Any]:
    """张区长 is responsible for a green and a red project; 工信局 leads the red one with 西山镇 as co-unit."""
    leader = personas["leader"]
    year = timezone.localdate().year
    green = make_project(name="西山智慧农业园", responsible_leader=leader, lead_unit=units["town_b"])
    red = make_project(name="东城智能制造产业园", responsible_leader=leader, lead_unit=units["gxj"])
    red.co_units.set([units["town_b"]])
    Project.objects.filter(pk=green.pk).update(light="green", light_reasons=[["green", "进度正常"]])
    Project.objects.filter(pk=red.pk).update(
        light="red", light_reasons=[["red", "年度投资完成率 5.0%，落后序时进度 35.0 个百分点"]]
    )
    ProjectYear.objects.create(project=red, year=year, plan=Decimal("4000"), invested_ytd=Decimal("200"))
    return {
        "leader": leader, "red": red, "green": green,
        "gxj_reporter": make_user("gxj_reporter", User.Role.REPORTER, units["gxj"], full_name="工信局填报员"),
    }


def _page_width(tab: Tab) -> int:
    return int(tab.page.evaluate("document.documentElement.scrollWidth"))


def _sign_in_here(tab: Tab, username: str) -> None:
    """Fill in the login page the browser is on."""
    page = tab.page
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()


def test_a_leader_instructs_on_a_red_project_from_a_phone_and_the_unit_reads_it(
    tab: Tab, leader_district: dict[str, Any]
) -> None:
    page = tab.page
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    red = leader_district["red"]
    page.set_viewport_size(PHONE)

    # --- the site's address, signed out: the login page, then the leader's home page ---------------------
    tab.goto("/")
    expect(page).to_have_url(re.compile(r"/login/\?next=/$"))
    _sign_in_here(tab, "leader")
    expect(page).to_have_url(tab.base_url + reverse("dispatch:leader_home"))
    expect(page.locator("h1")).to_contain_text("领导首页")
    page.wait_for_load_state("load")
    assert _page_width(tab) <= PHONE["width"], f"the home page is {_page_width(tab)} px wide"
    # Red first, each row a card: headings hidden, every cell named by its column.
    cards = page.locator("#projects tbody tr")
    expect(cards).to_have_count(2)
    expect(cards.first).to_have_attribute("data-light", "red")
    expect(page.locator("#projects thead")).to_be_hidden()
    expect(cards.first.locator("td[data-label='灯色原因']")).to_contain_text("落后序时进度 35.0 个百分点")
    box = cards.first.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], box
    # The folded menu holds the way back here.
    page.locator("[data-menu-toggle]").click()
    expect(page.locator("#topbar-menu").get_by_role("link", name="领导首页")).to_be_visible()
    page.locator("[data-menu-toggle]").click()

    # --- the red project: the instructions section comes in with the page; he writes one ----------------
    cards.first.locator("td.card-title a").click()
    expect(page).to_have_url(tab.base_url + reverse("projects:detail", args=[red.pk]))
    section = page.locator("#instructions")
    expect(section).to_contain_text("暂无领导批示。")
    section.get_by_label("批示内容").fill(TEXT)
    section.get_by_role("button", name="提交批示").click()
    expect(page.locator("#instructions [data-saved]")).to_contain_text("批示已保存，已通知责任单位和项目办。")
    first = page.locator("#instructions tbody tr").first
    expect(first).to_contain_text(TEXT)  # as text, markup and all
    expect(first).to_contain_text("张区长")
    expect(page.locator("#instructions textarea")).to_have_value("")
    assert page.evaluate(INJECTED_JS) == 0 and dialogs == []
    assert _page_width(tab) <= PHONE["width"], f"the project page is {_page_width(tab)} px wide"
    instruction = Instruction.objects.get()
    assert (instruction.project_id, instruction.by_id, instruction.text) == (red.pk, leader_district["leader"].pk, TEXT)

    # --- 工信局's reporter sees the message and follows it to the project ------------------------------------
    page.set_viewport_size(DESKTOP)
    page.context.clear_cookies()
    tab.goto(reverse("login"))
    _sign_in_here(tab, "gxj_reporter")
    expect(page.locator(".who")).to_contain_text("工信局填报员")
    expect(page.locator("#unread-count")).to_have_text("1")
    page.locator(".who").get_by_role("link", name="消息").click()
    row = page.locator("tbody tr.unread").first
    expect(row).to_contain_text(f"张区长对项目“{red.name}”作出批示：{TEXT}")
    row.get_by_role("button", name="查看").click()
    expect(page).to_have_url(tab.base_url + reverse("projects:detail", args=[red.pk]) + "#instructions")
    expect(page.locator("#instructions tbody tr").first).to_contain_text(TEXT)
    # A reporter reads the instructions; writing them is a leader's.
    expect(page.locator("#instructions form")).to_have_count(0)
    assert page.evaluate(INJECTED_JS) == 0 and dialogs == []
    tab.assert_no_js_errors()
