"""Phones (390×844) in Chromium: the pages read on the way fit the screen, the menu folds, rows are cards.

The demo office user and the demo reporter sign in through the login page and read the ledger, a
project, the unit's reporting grid (open and published), the problems and a problem. On every page the
document is no wider than the screen (a table may scroll inside its own box, the page may not), the
top bar's menu is folded until its button opens it, and a screenshot is saved in a temporary folder
(or in $DIAODU_SCREENSHOTS) for a person to look at. The same site then shows the reporting grid on a
1440 px screen, its submit confirmation, and the print stylesheet.

The site is its own process on the demo district, as people try it out (``demo_site`` in this folder's
conftest.py says why it is not pytest's live server).
"""
from __future__ import annotations

import json
import os
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from diaodu.tests.conftest import DemoSite
from org.demo import DEMO_PASSWORD
from projects.tests.browser import IGNORED_URL_SUFFIXES
from projects.tests.browser import browser as browser
from projects.tests.test_gantt_browser import GANTT_JS, assert_bounded_by_the_span

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1440, "height": 900}

# What the tests need to know of the demo district, asked of the site's own database.
FACTS = """
import json
from django.db.models import Count
from dispatch.models import Problem, UnitReport
from dispatch.periods.services import unit_report_editable
from dispatch.reporting.grid import unit_rows
from org.models import User
from projects.models import Project
counted = Project.objects.annotate(n=Count("milestones"))
most = max(p.n for p in counted)
def dates(p):
    return sorted(d for pair in p.milestones.values_list("planned_date", "actual_date") for d in pair if d)
spans = [(dates(p), p.pk) for p in counted if p.n == most]
longest = max(spans, key=lambda s: (s[0][-1] - s[0][0], -s[1]))
reporter = User.objects.get(username="reporter")
reports = UnitReport.objects.filter(unit=reporter.unit).order_by("-period__year", "-period__month", "-period__half")
current = reports.exclude(period__state="published").first()
published = reports.filter(period__state="published").first()
problem = Problem.objects.filter(state="answered").first() or Problem.objects.first()
print(json.dumps({
    "project": longest[1], "project_dates": [str(d) for d in longest[0]],
    "grid": current.pk, "grid_editable": unit_report_editable(current),
    "published_grid": published.pk, "published_reports": sum(1 for row in unit_rows(published) if row.report),
    "problem": problem.pk,
}))
"""


@pytest.fixture(scope="module")
def site(demo_site: DemoSite) -> dict[str, Any]:
    """The demo district served by runserver: its address and the facts the tests look for."""
    return {"base": demo_site.base, **json.loads(demo_site.shell(FACTS))}


@pytest.fixture(scope="module")
def shots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    named = os.environ.get("DIAODU_SCREENSHOTS")
    if named:
        Path(named).mkdir(parents=True, exist_ok=True)
        return Path(named)
    return tmp_path_factory.mktemp("phone-screenshots")


class Visit:
    """One person's browser context on the site, with what went wrong on its pages."""

    def __init__(self, browser: Any, base: str, viewport: dict[str, int]) -> None:
        self.base = base
        self.errors: list[str] = []
        self.context = browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai", viewport=viewport)
        self.context.set_default_timeout(10_000)
        self.page = self.context.new_page()
        self.page.on("pageerror", lambda error: self.errors.append(f"uncaught exception: {error}"))
        self.page.on("console", self._console)
        self.page.on("response", self._response)

    def _console(self, message: Any) -> None:
        if message.type == "error" and not message.location.get("url", "").endswith(IGNORED_URL_SUFFIXES):
            self.errors.append(f"console error: {message.text}")

    def _response(self, response: Any) -> None:
        if response.status >= 400 and not response.url.endswith(IGNORED_URL_SUFFIXES):
            self.errors.append(f"HTTP {response.status}: {response.url}")

    def sign_in(self, username: str) -> None:
        page = self.page
        page.goto(self.base + "/login/")
        page.get_by_label("用户名").fill(username)
        page.get_by_label("密码").fill(DEMO_PASSWORD)
        page.get_by_role("button", name="登录").click()
        expect(page.locator("[data-menu-toggle]")).to_be_attached()

    def open(self, path: str) -> None:
        response = self.page.goto(self.base + path)
        assert response is not None and response.ok, f"GET {path}: {response.status if response else 'no response'}"

    def close(self) -> None:
        self.context.close()
        assert not self.errors, "errors in the browser:\n" + "\n".join(self.errors)


def page_width(visit: Visit) -> int:
    return int(visit.page.evaluate("document.documentElement.scrollWidth"))


def check_phone_page(visit: Visit, name: str, shots: Path) -> None:
    """No wider than the screen, the menu folded, opened by its button (and still no wider), closed again."""
    page = visit.page
    page.wait_for_load_state("load")
    assert page_width(visit) <= PHONE["width"], f"{name}: the page is {page_width(visit)} px wide"
    page.screenshot(path=str(shots / f"{name}.png"))
    page.screenshot(path=str(shots / f"{name}-full.png"), full_page=True)
    menu = page.locator("#topbar-menu")
    toggle = page.locator("[data-menu-toggle]")
    expect(menu).to_be_hidden()
    expect(toggle).to_be_visible()
    expect(toggle).to_have_attribute("aria-expanded", "false")
    toggle.click()
    expect(menu.get_by_role("link", name="重点项目库")).to_be_visible()
    expect(menu.get_by_role("link", name="问题督办")).to_be_visible()
    expect(toggle).to_have_attribute("aria-expanded", "true")
    assert page_width(visit) <= PHONE["width"], f"{name} with the menu open: {page_width(visit)} px wide"
    page.screenshot(path=str(shots / f"{name}-menu.png"))
    toggle.click()
    expect(menu).to_be_hidden()
    expect(toggle).to_have_attribute("aria-expanded", "false")


def check_cards(visit: Visit, table: str, label: str) -> None:
    """The table's rows are cards: headings hidden, each cell named by its column, inside the screen."""
    page = visit.page
    row = page.locator(f"{table} tbody tr").first
    expect(row.locator(f"td[data-label='{label}']")).to_have_count(1)
    expect(page.locator(f"{table} thead th").filter(has_not=page.locator("a")).first).to_be_hidden()
    box = row.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], box


def test_the_office_and_a_reporter_read_their_pages_on_a_phone(browser: Any, site: dict[str, Any], shots: Path) -> None:
    office = Visit(browser, site["base"], PHONE)
    office.open("/login/")
    assert page_width(office) <= PHONE["width"]
    office.sign_in("office")

    office.open("/projects/")
    check_phone_page(office, "office-ledger", shots)
    check_cards(office, "table.ledger", "项目编号")
    # The sortable headings stay, as chips above the cards.
    expect(office.page.locator("table.ledger thead th a", has_text="项目编号")).to_be_visible()

    # The demo project with the most milestones (the longest of them), as docs/benchmarks.md measures it.
    office.open(f"/projects/{site['project']}/")
    check_phone_page(office, "office-project", shots)
    check_cards(office, "#milestones table", "计划完成")
    expect(office.page.locator("#gantt svg .bar-wrapper").first).to_be_attached()
    assert_bounded_by_the_span(office.page.evaluate(GANTT_JS), [date.fromisoformat(d) for d in site["project_dates"]])
    gantt = office.page.locator("#gantt .gantt-container").bounding_box()
    assert gantt is not None and gantt["x"] + gantt["width"] <= PHONE["width"], gantt

    office.open(f"/dispatch/report/{site['grid']}/")
    check_phone_page(office, "office-grid", shots)
    check_cards(office, "table.report-grid", "阶段")

    office.open("/dispatch/problems/")
    check_phone_page(office, "office-problems", shots)
    check_cards(office, "table.problems", "责任单位")

    office.open(f"/dispatch/problems/{site['problem']}/")
    check_phone_page(office, "office-problem", shots)
    check_cards(office, "#steps table", "操作人")
    office.close()

    reporter = Visit(browser, site["base"], PHONE)
    reporter.sign_in("reporter")
    reporter.open("/projects/")
    check_phone_page(reporter, "reporter-ledger", shots)
    check_cards(reporter, "table.ledger", "项目编号")
    reporter.page.locator("table.ledger tbody tr td.card-title a").first.click()
    expect(reporter.page.locator("#milestones")).to_be_visible()
    check_phone_page(reporter, "reporter-project", shots)

    reporter.open("/dispatch/report/")  # the unit's open month
    expect(reporter.page).to_have_url(f"{site['base']}/dispatch/report/{site['grid']}/")
    check_phone_page(reporter, "reporter-grid", shots)
    check_cards(reporter, "table.report-grid", "本期完成投资(万元)")
    if site["grid_editable"]:
        for field in reporter.page.locator("table.report-grid input, table.report-grid textarea").all():
            box = field.bounding_box()
            assert box is not None and box["x"] + box["width"] <= PHONE["width"], box

    # A published month: read-only cards, each reported row with its correction request.
    reporter.open(f"/dispatch/report/{site['published_grid']}/")
    check_phone_page(reporter, "reporter-published-grid", shots)
    corrections = reporter.page.locator("table.report-grid a.correction")
    expect(corrections).to_have_count(site["published_reports"])
    assert site["published_reports"] > 0
    assert "/dispatch/corrections/new/" in (corrections.first.get_attribute("href") or "")
    expect(reporter.page.locator("#read-only").get_by_role("link", name="查看更正申请")).to_be_visible()

    reporter.open("/dispatch/problems/")
    check_phone_page(reporter, "reporter-problems", shots)
    reporter.close()


def test_the_reporting_grid_fits_a_1440_screen_and_asks_before_submitting(
    browser: Any, site: dict[str, Any], shots: Path
) -> None:
    reporter = Visit(browser, site["base"], DESKTOP)
    reporter.sign_in("reporter")
    page = reporter.page
    for name, pk in (("grid", site["grid"]), ("published-grid", site["published_grid"])):
        reporter.open(f"/dispatch/report/{pk}/")
        assert page_width(reporter) <= DESKTOP["width"], f"{name}: {page_width(reporter)} px wide"
        fits = page.evaluate(
            "() => { const box = document.querySelector('table.report-grid').parentElement;"
            " return box.scrollWidth <= box.clientWidth; }"
        )
        assert fits, f"{name}: the grid scrolls inside its box at 1440 px"
        expect(page.locator("#topbar-menu nav")).to_be_visible()
        expect(page.locator("[data-menu-toggle]")).to_be_hidden()
        # Narrower than the grid, the project column stays in view while the rest scrolls.
        position = page.evaluate("getComputedStyle(document.querySelector('table.report-grid td.project')).position")
        assert position == "sticky"
        page.screenshot(path=str(shots / f"desktop-{name}.png"), full_page=True)

    if site["grid_editable"]:
        asked: list[str] = []

        def answer(dialog: Any) -> None:
            if dialog.type == "beforeunload":
                dialog.accept()
                return
            asked.append(dialog.message)
            dialog.dismiss()

        page.on("dialog", answer)
        reporter.open(f"/dispatch/report/{site['grid']}/")
        state = page.locator("#report-state").inner_text()
        submit = page.locator("#submit-form button[type=submit]")
        submit.click()  # answered "cancel": nothing is sent
        page.wait_for_timeout(300)
        expect(page.locator("#report-state")).to_have_text(state)
        # With a row typed but not saved, the question says so.
        page.locator("table.report-grid input[data-invested]").first.fill("12.5")
        submit.click()
        page.wait_for_timeout(300)
        expect(page.locator("#report-state")).to_have_text(state)
        assert asked == [
            "确定报送？报送后不能再修改，除非项目办退回。",
            "有修改尚未保存：报送的是已保存的数据，未保存的修改将丢失。确定报送？",
        ], asked
    reporter.close()


def test_printing_leaves_out_the_menu_buttons_and_forms(browser: Any, site: dict[str, Any]) -> None:
    office = Visit(browser, site["base"], DESKTOP)
    office.sign_in("office")
    page = office.page
    office.open("/projects/")
    page.emulate_media(media="print")
    for hidden in ("#topbar-menu nav", ".who", "form.filters", ".toolbar", ".pager", "select[name=language]"):
        expect(page.locator(hidden).first).to_be_hidden()
    expect(page.locator(".brand")).to_be_visible()
    expect(page.locator("table.ledger thead th").first).to_be_visible()
    looks = page.evaluate(
        "() => { const table = document.querySelector('table.ledger'); const main = document.querySelector('main');"
        " return {table: table.getBoundingClientRect().width, main: main.clientWidth,"
        " display: getComputedStyle(table).display, color: getComputedStyle(document.body).color,"
        " rowBreak: getComputedStyle(table.querySelector('tbody tr')).breakInside}; }"
    )
    assert looks["display"] == "table" and looks["table"] >= looks["main"] - 1, looks
    assert looks["color"] == "rgb(0, 0, 0)" and looks["rowBreak"] == "avoid", looks
    office.close()
