"""End-to-end in Chromium: the bulletin page's generation with its progress fragment, and the meeting view's keys."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.urls import reverse
from playwright.sync_api import expect

# Shared fixtures; "as" marks the re-exports, so the test arguments do not read as redefinitions.
from dispatch.tests.test_bulletin_figures import april as april
from org.models import User
from projects.tests.browser import Tab
from projects.tests.browser import browser as browser
from projects.tests.browser import tab as tab

pytestmark = pytest.mark.browser


@pytest.fixture(autouse=True)
def media(settings: Any, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def test_office_generates_the_bulletin_and_downloads_it(tab: Tab, april: dict[str, Any],
                                                        personas: dict[str, User]) -> None:
    tab.login(personas["office"])
    tab.goto(reverse("dispatch:bulletin", args=[april["period"].pk]))
    page = tab.page
    expect(page.locator("h1")).to_have_text("关于2026年4月全区重点项目建设情况的通报")
    start_rate = page.locator("span.num[title^='开工率 =']").first
    expect(start_rate).to_have_text("60.0%")
    expect(start_rate).to_have_attribute("title", "开工率 = 已开工 3 个 ÷ 应开工 5 个 = 60.0%")
    page.get_by_role("button", name="生成通报").click()
    link = page.get_by_role("link", name="下载 Word 通报")
    expect(link).to_be_visible()
    with page.expect_download() as download:
        link.click()
    assert download.value.suggested_filename == "2026年4月调度通报.docx"
    tab.assert_no_js_errors()


def test_meeting_view_moves_with_the_keyboard(tab: Tab, april: dict[str, Any], personas: dict[str, User]) -> None:
    tab.login(personas["leader"])
    tab.goto(reverse("dispatch:meeting", args=[april["period"].pk]))
    page = tab.page
    counter = page.locator("#counter")
    visible = page.locator("section.slide:visible")
    expect(counter).to_have_text("1 / 14")
    expect(visible).to_have_count(1)
    page.keyboard.press("ArrowRight")
    expect(counter).to_have_text("2 / 14")
    expect(visible.locator("h2")).to_have_text("一、总体情况")
    page.keyboard.press("PageDown")
    page.keyboard.press("PageUp")
    page.keyboard.press("ArrowLeft")
    expect(counter).to_have_text("1 / 14")
    page.keyboard.press("End")
    expect(counter).to_have_text("14 / 14")
    expect(visible.locator("h2")).to_have_text("七、报送情况")
    page.keyboard.press("ArrowRight")  # stays on the last slide
    expect(counter).to_have_text("14 / 14")
    page.keyboard.press("Home")
    for _ in range(6):
        page.keyboard.press("ArrowRight")
    expect(visible.locator("h1.project")).to_have_text("二号项目")
    assert page.url.endswith("#7")
    # A reload stays on the slide.
    page.reload()
    expect(counter).to_have_text("7 / 14")
    page.keyboard.press("f")
    page.wait_for_function("document.fullscreenElement !== null || document.fullscreenEnabled === false")
    tab.assert_no_js_errors()
