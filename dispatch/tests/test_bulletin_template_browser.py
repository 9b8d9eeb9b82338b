"""In Chromium, without any script of the page's own: the office opens the bulletin template from the bulletin,
moves a section up, leaves one out, downloads a sample of the unsaved template and saves it."""
from __future__ import annotations

import io
from typing import Any

import docx
import pytest
from django.urls import reverse
from playwright.sync_api import expect

from dispatch.models import BulletinTemplate

# Shared fixtures; "as" marks the re-exports, so the test arguments do not read as redefinitions.
from dispatch.tests.test_bulletin_figures import april as april
from org.models import User
from projects.tests.browser import Tab
from projects.tests.browser import browser as browser
from projects.tests.browser import tab as tab

pytestmark = pytest.mark.browser


def test_office_shapes_the_bulletin_and_downloads_a_sample(tab: Tab, april: dict[str, Any],
                                                           personas: dict[str, User]) -> None:
    tab.login(personas["office"])
    page = tab.page
    tab.goto(reverse("dispatch:bulletin", args=[april["period"].pk]))
    page.locator("#template-link").click()
    expect(page.locator("h1")).to_have_text("通报模板")
    # On a phone the sections' table fits the screen (it ran 25 px over at 390 px).
    page.set_viewport_size({"width": 390, "height": 844})
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.set_viewport_size({"width": 1440, "height": 900})
    page.get_by_label("上移“报送情况”").click()
    expect(page.locator("body")).to_contain_text("章节顺序已调整，尚未保存")
    expect(page.locator("#template-sections tbody tr").nth(5)).to_have_id("section-reporting")
    page.get_by_label("投资完成情况", exact=True).uncheck()
    page.get_by_label("红头文字").fill("重点项目建设调度通报")
    with page.expect_download() as download_info:
        page.get_by_role("button", name="下载样张").click()
    document = docx.Document(io.BytesIO(download_info.value.path().read_bytes()))
    texts = [p.text for p in document.paragraphs]
    assert texts[0] == "重点项目建设调度通报"
    assert "五、报送情况" in texts and "二、镇街和部门排名" in texts and "六、问题督办情况" in texts
    assert not BulletinTemplate.objects.exists()  # a sample saves nothing
    page.get_by_role("button", name="保存").click()
    expect(page.locator("body")).to_contain_text("通报模板已保存")
    expect(page.get_by_label("红头文字")).to_have_value("重点项目建设调度通报")
    expect(page.get_by_label("投资完成情况", exact=True)).not_to_be_checked()
    assert BulletinTemplate.objects.get().sections == [
        "overview", "rankings", "lights", "started", "reporting", "supervision", "attraction", "narrative_problems",
        "narrative_next_steps",
    ]
    # Chromium reports the form's POST that turned into a download as an aborted navigation: not an error.
    tab.errors = [e for e in tab.errors if not (e.startswith("request failed") and "/sample/ (net::ERR_ABORTED)" in e)]
    tab.assert_no_js_errors()
