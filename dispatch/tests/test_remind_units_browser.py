"""In Chromium: the office presses 催报 on the period board, confirms, reads whom it reached, and the board
shows the time in 最近催报."""
from __future__ import annotations

from typing import Any

import pytest
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from conftest import make_user
from core.models import Notification
from dispatch.models import ReminderLog
from dispatch.periods import services
from org.models import Unit, User
from projects.tests.browser import Tab
from projects.tests.browser import browser as browser
from projects.tests.browser import tab as tab

pytestmark = pytest.mark.browser


@override_settings(EMAIL_HOST="", DIAODU_WEBHOOK_URL="")
def test_the_office_reminds_the_units_that_have_not_reported(
    tab: Tab, personas: dict[str, User], units: dict[str, Unit], make_project: Any
) -> None:
    make_project(lead_unit=units["gxj"], town=units["town_a"])
    make_project(lead_unit=units["town_a"], town=units["town_a"])
    make_project(lead_unit=units["town_b"], town=units["town_b"])
    make_user("gxj", User.Role.REPORTER, units["gxj"])
    today = timezone.localdate()
    period = services.period_open(year=today.year, month=today.month, by=personas["office"])
    town_a = period.unit_reports.get(unit=units["town_a"])
    services.unit_report_submit(unit_report=town_a, version=town_a.version, by=personas["reporter"])

    page = tab.page
    asked: list[str] = []
    answers = [False, True]

    def answer(dialog: Any) -> None:
        asked.append(dialog.message)
        dialog.accept() if answers.pop(0) else dialog.dismiss()

    page.on("dialog", answer)
    tab.login(personas["office"])
    tab.goto(reverse("dispatch:period_board", args=[period.pk]))
    remind = page.get_by_role("button", name="催报", exact=True)
    remind.click()  # answered "cancel": nothing is sent
    page.wait_for_timeout(300)
    assert not ReminderLog.objects.exists()
    remind.click()
    expect(page.locator(".messages .success")).to_contain_text("已向 2 个尚未报送的单位发送催报（工信局、西山镇）")
    assert asked == ["向 2 个尚未报送的单位发送催报？"] * 2

    logs = {log.unit_id: log for log in ReminderLog.objects.all()}
    assert set(logs) == {units["gxj"].pk, units["town_b"].pk}
    assert {log.kind for log in logs.values()} == {ReminderLog.Kind.MANUAL}
    sent_at = timezone.localtime(logs[units["gxj"].pk].sent_at).strftime("%Y-%m-%d %H:%M")
    expect(page.locator("tbody tr", has_text="工信局").locator("td.reminded")).to_have_text(sent_at)
    expect(page.locator("tbody tr", has_text="东城街道").locator("td.reminded")).to_have_text("—")
    reminded = Notification.objects.filter(text__startswith="项目办催报")
    assert set(reminded.values_list("user__username", flat=True)) == {"gxj", "other"}
    tab.assert_no_js_errors()
