"""In Chromium: the period board says when each unit was last reminded, and the office downloads who has reported."""
from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.test import override_settings
from django.urls import reverse
from openpyxl import load_workbook
from playwright.sync_api import expect

from conftest import district_time
from dispatch.periods import reminders, services
from org.models import Unit, User
from projects.tests.browser import Tab
from projects.tests.browser import browser as browser
from projects.tests.browser import tab as tab

pytestmark = pytest.mark.browser


def test_the_board_shows_the_last_reminder_and_the_export_downloads(
    tab: Tab, personas: dict[str, User], units: dict[str, Unit], make_project: Any, tmp_path: Path
) -> None:
    make_project(lead_unit=units["gxj"], town=units["town_a"])
    make_project(lead_unit=units["town_a"], town=units["town_a"])
    with override_settings(DIAODU_REPORT_DEADLINE="day:25", DIAODU_REMINDER_DAYS_BEFORE=2):
        period = services.period_open(year=2026, month=3, by=personas["office"])
        town_a = period.unit_reports.get(unit=units["town_a"])
        services.unit_report_submit(unit_report=town_a, version=town_a.version, by=personas["reporter"])
        with time_machine.travel(district_time(2026, 3, 25, 8, 0), tick=False):
            reminders.reminders_send(today=dt.date(2026, 3, 25))
    tab.login(personas["office"])
    tab.goto(reverse("dispatch:period_board", args=[period.pk]))
    page = tab.page
    expect(page.locator("thead")).to_contain_text("最近催报")
    expect(page.locator("tbody tr", has_text="工信局").locator("td.reminded")).to_have_text("2026-03-25 08:00")
    expect(page.locator("tbody tr", has_text="东城街道").locator("td.reminded")).to_have_text("—")
    with page.expect_download() as download_info:
        page.get_by_role("link", name="下载报送情况（Excel）").click()
    download = download_info.value
    assert download.suggested_filename == "2026年3月月报报送情况.xlsx"
    saved = tmp_path / download.suggested_filename
    download.save_as(saved)
    rows = list(load_workbook(saved)["报送情况"].iter_rows(values_only=True))
    assert [(row[0], row[3]) for row in rows[1:]] == [("工信局", "未报"), ("东城街道", "已报送")]
    tab.assert_no_js_errors()
