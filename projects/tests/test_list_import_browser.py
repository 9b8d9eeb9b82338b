"""End-to-end in Chromium: the office imports a county's own list through the mapping page.

A list with a merged title, amounts in 亿元, a unit written the county's way (教体局) and a category
the district has not configured: the page guesses the columns, the office maps the two unknown
values, checks the preview, saves the mapping as a profile and imports; the worker's job reports
the outcome, and the ledger has the projects.
"""
from __future__ import annotations

import io
import os
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.urls import reverse
from openpyxl import Workbook
from playwright.sync_api import expect

from org.models import Unit, User
from projects.models import ImportProfile, Project, ProjectCategory
from projects.tests.browser import Tab
from projects.tests.browser import browser as browser
from projects.tests.browser import tab as tab

pytestmark = pytest.mark.browser


@pytest.fixture(autouse=True)
def media(settings: Any, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def _list(path: Path) -> Path:
    book = Workbook()
    ws = book.active
    ws.title = "附件1"
    ws.append(["2026年县级重点项目计划表"])
    ws.merge_cells("A1:F1")
    ws.append(["单位：亿元"])
    ws.append(["序号", "项目名称", "总投资", "2026年计划投资", "责任单位", "项目类别"])
    ws.append([1, "滨河湿地公园", 1.5, 0.5, "教体局", "生态环保"])
    ws.append([2, "縣第一中學擴建", 0.8, 0.3, "工信局", "民生实事"])
    ws.append(["合计", None, 2.3, 0.8])
    out = io.BytesIO()
    book.save(out)
    path.write_bytes(out.getvalue())
    return path


def test_the_office_maps_a_county_list_and_imports_it(
    tab: Tab, personas: dict[str, User], units: dict[str, Unit], tmp_path: Path
) -> None:
    education = Unit.objects.create(name="教育和体育局", kind=Unit.Kind.DEPARTMENT)
    # Seeded by a migration, but a live-server test may run after another has emptied the tables.
    ProjectCategory.objects.get_or_create(name="民生实事", defaults={"livelihood": True})
    tab.login(personas["office"])
    tab.goto(reverse("projects:list_upload"))
    page = tab.page
    page.set_input_files("#list-file", str(_list(tmp_path / "清单.xlsx")))
    with page.expect_navigation():  # the whole list is read and checked: seconds on a busy machine
        page.get_by_role("button", name="上传并识别").click()
    expect(page.locator("#list-summary")).to_contain_text("工作表“附件1”，表头在第 3 行，读到 2 行项目")
    expect(page.locator("#list-summary")).to_contain_text("总投资合计 23000.00 万元")
    # The guessed mapping, shown for each column.
    expect(page.locator("select[name='map:总投资']")).to_have_value("total_investment")
    expect(page.locator("select[name='map:责任单位']")).to_have_value("lead_unit")
    # Two values the district does not know: the import cannot start yet.
    expect(page.locator("#list-errors")).to_contain_text("找不到单位“教体局”")
    expect(page.get_by_role("button", name="导入", exact=True)).to_be_disabled()
    page.get_by_label("教体局").select_option(str(education.pk))
    page.get_by_label("生态环保").select_option("new")
    with page.expect_navigation():
        page.get_by_role("button", name="按以上选择重新检查").click()
    errors = page.locator("#list-errors")
    assert errors.count() == 0, errors.inner_text()
    preview = page.locator("#list-preview tbody tr")
    expect(preview).to_have_count(2)
    expect(preview.first).to_contain_text("滨河湿地公园")
    expect(preview.first).to_contain_text("15000.00")
    expect(preview.first).to_contain_text("教育和体育局")
    expect(preview.nth(1)).to_contain_text("縣第一中學擴建")  # stored as typed
    if shots := os.environ.get("DIAODU_SCREENSHOTS"):  # for a person to look at
        Path(shots).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(shots) / "list-import-desktop.png"), full_page=True)
        page.set_viewport_size({"width": 390, "height": 844})
        page.screenshot(path=str(Path(shots) / "list-import-phone.png"), full_page=True)
        page.set_viewport_size({"width": 1400, "height": 900})
    page.fill("input[name='profile_name']", "县发改局清单")
    with page.expect_navigation():
        page.get_by_role("button", name="保存方案").click()
    expect(page.locator(".messages")).to_contain_text("已保存导入方案“县发改局清单”")
    errors = page.locator("#list-errors")
    assert errors.count() == 0, errors.inner_text()  # the profile keeps the values mapped
    page.get_by_role("button", name="导入", exact=True).click()
    expect(page.locator("#list-done")).to_contain_text("导入成功：新增 2 个")
    tab.assert_no_js_errors()
    park = Project.objects.get(name="滨河湿地公园")
    assert (park.lead_unit, park.category.name, park.total_investment) == (
        education, "生态环保", Decimal("15000.00"))
    assert ImportProfile.objects.get(name="县发改局清单").values["unit"]
    # The ledger finds the school by its simplified name.
    tab.goto(reverse("projects:ledger") + "?q=第一中学")
    expect(page.locator("table.ledger tbody tr")).to_have_count(1)
