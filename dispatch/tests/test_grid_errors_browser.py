"""End-to-end in Chromium: a row save that fails never looks saved, and what was typed stays.

The server is made to fail from the browser's side (Playwright answers or drops the request), so
each way a save can fail is met: an error status, no response at all, a response that is not the
row (the login page after the session ended). Then a save that does go through clears the message.
Any other HTMX request that fails says so at the top of the page instead of doing nothing.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from core.models import Period
from dispatch.models import UnitReport
from dispatch.periods import services
from org.models import Unit, User
from projects.models import ProgressReport, Project
from projects.tests.browser import Tab
from projects.tests.browser import browser as browser
from projects.tests.browser import tab as tab

pytestmark = pytest.mark.browser

UNSAVED = "未保存，请重试"


@pytest.fixture
def grid(units: dict[str, Unit], personas: dict[str, User], make_project: Any) -> dict[str, Any]:
    """The reporter's unit with one project already reported this period ("已填报 hh:mm")."""
    town_a = units["town_a"]
    project = make_project(name="东城智能制造产业园", lead_unit=town_a, town=town_a)
    today = timezone.localdate()
    period = services.period_open(year=today.year, month=today.month, by=personas["office"])
    if period.deadline <= today:
        Period.objects.filter(pk=period.pk).update(deadline=today + dt.timedelta(days=5))
    ProgressReport.objects.create(project=project, year=today.year, month=today.month, invested=Decimal("100"),
                                  progress_percent=20, physical_progress="基础施工", period=period)
    unit_report = UnitReport.objects.get(period=period, unit=town_a)
    return {"project": project, "unit_report": unit_report, "today": today}


def _type_row(tab: Tab, project: Project, *, invested: str, percent: str, text: str) -> None:
    row = tab.page.locator(f"#row-{project.pk}")
    row.locator(f"[name='p{project.pk}-invested']").fill(invested)
    row.locator(f"[name='p{project.pk}-progress_percent']").fill(percent)
    row.locator(f"[name='p{project.pk}-physical_progress']").fill(text)


def _assert_kept(tab: Tab, project: Project, *, invested: str, percent: str, text: str) -> None:
    row = tab.page.locator(f"#row-{project.pk}")
    expect(row.locator(f"[name='p{project.pk}-invested']")).to_have_value(invested)
    expect(row.locator(f"[name='p{project.pk}-progress_percent']")).to_have_value(percent)
    expect(row.locator(f"[name='p{project.pk}-physical_progress']")).to_have_value(text)


FAILURES: dict[str, Callable[[Any], None]] = {
    "server error": lambda route: route.fulfill(status=500, content_type="text/html", body="<h1>系统出错</h1>"),
    "refused": lambda route: route.fulfill(status=403, content_type="text/html", body="<h1>403</h1>"),
    "no response": lambda route: route.abort("connectionreset"),
    "not the row": lambda route: route.fulfill(
        status=200, content_type="text/html", body="<!doctype html><html><body><form>登录</form></body></html>"
    ),
}


@pytest.mark.parametrize("failure", list(FAILURES))
def test_a_failed_row_save_says_unsaved_and_keeps_the_typed_values(
    tab: Tab, grid: dict[str, Any], personas: dict[str, User], failure: str
) -> None:
    project, unit_report = grid["project"], grid["unit_report"]
    page = tab.page
    tab.login(personas["reporter"])
    tab.goto(reverse("dispatch:report_grid", args=[unit_report.pk]))
    row = page.locator(f"#row-{project.pk}")
    expect(row.locator("[data-status='saved']")).to_contain_text("已填报")
    tab.assert_no_js_errors()  # the grid's script loads under the Content-Security-Policy

    row_url = reverse("dispatch:report_row", args=[unit_report.pk, project.pk])
    page.route(f"**{row_url}", FAILURES[failure])
    _type_row(tab, project, invested="321.5", percent="35", text="主体封顶")
    row.get_by_role("button", name="保存").click()

    expect(row.locator("[data-status='unsaved']")).to_have_text(UNSAVED)
    expect(row.locator("[data-status='saved']")).to_have_count(0)  # "已填报 07:31" is gone
    expect(row).not_to_contain_text("已填报")
    _assert_kept(tab, project, invested="321.5", percent="35", text="主体封顶")
    assert ProgressReport.objects.get(project=project).invested == Decimal("100")
    # The page-wide message is left to other requests: the row says it where the user looks.
    expect(page.locator("#htmx-error")).to_have_count(0)
    assert not [error for error in tab.errors if error.startswith("uncaught exception")], tab.errors

    # The server is back: the retry saves, and the message goes.
    page.unroute(f"**{row_url}")
    row.get_by_role("button", name="保存").click()
    expect(row.locator("[data-status='saved']")).to_contain_text("已保存")
    expect(row.locator("[data-status='unsaved']")).to_have_count(0)
    assert ProgressReport.objects.get(project=project).invested == Decimal("321.5")


def test_any_other_failed_htmx_request_is_reported_on_the_page(
    tab: Tab, grid: dict[str, Any], personas: dict[str, User]
) -> None:
    """The ledger's filters load with HTMX: a failure there says so in Chinese instead of nothing."""
    page = tab.page
    tab.login(personas["office"])
    tab.goto(reverse("projects:ledger"))
    expect(page.locator("#ledger")).to_contain_text(grid["project"].name)
    ledger_query = "/projects/?"

    def is_ledger_query(url: str) -> bool:
        return ledger_query in url

    page.route(is_ledger_query, lambda route: route.fulfill(status=500, body="x"))
    filter_button = page.locator("form.filters").get_by_role("button", name="筛选")
    filter_button.click()
    expect(page.locator("#htmx-error")).to_contain_text("请求没有完成")
    expect(page.locator("#htmx-error")).to_contain_text("500")
    expect(page.locator("#ledger")).to_contain_text(grid["project"].name)  # nothing was swapped away

    page.unroute(is_ledger_query)
    page.route(is_ledger_query, lambda route: route.abort("internetdisconnected"))
    filter_button.click()
    expect(page.locator("#htmx-error")).to_contain_text("网络")
    expect(page.locator("#htmx-error")).to_have_count(1)
    assert not [error for error in tab.errors if error.startswith("uncaught exception")], tab.errors
