"""End-to-end tests in Chromium: what a user sees on the ledger, project, milestone, import and map pages.

Data is made through the ORM and the services; everything asserted is what the page shows, in Chinese.
Dates are relative to ``timezone.localdate()`` because the lights are computed from it.
"""
from __future__ import annotations

import datetime as dt
import io
import json
import re
import struct
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from playwright.sync_api import expect

from conftest import PASSWORD
from org.models import User
from projects import services
from projects.models import AnnualPlan, Milestone, ProgressReport, Project
from projects.tests import browser as browser_fixtures
from projects.tests.browser import MISSING_CHROMIUM, Tab

pytestmark = pytest.mark.browser

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# Fill colours of the map's circle markers (static/js/map.js), by light.
MARKER_RGB = {"red": (0xD9, 0x30, 0x25), "yellow": (0xE6, 0xA7, 0x00), "green": (0x1E, 0x8E, 0x3E)}


def _today() -> dt.date:
    return timezone.localdate()


def _rows(tab: Tab) -> Any:
    return tab.page.locator("#ledger table.ledger tbody tr")


def _reporter_projects(make_project: Any, units: dict[str, Any]) -> dict[str, Project]:
    """Three projects of the reporter's town and one of another town."""
    return {
        "factory": make_project(name="东城智能制造产业园", project_type="industry", stage="building"),
        "sewage": make_project(
            name="东城污水处理厂扩建", project_type="infrastructure", stage="preparing",
            actual_start=None, planned_start=_today() + dt.timedelta(days=90),
        ),
        "elderly": make_project(name="东城社区养老中心", project_type="livelihood", stage="building"),
        "other": make_project(name="西山农产品冷链物流", town=units["town_b"]),
    }


# --- 1. login, scoped ledger, HTMX filters, open a project ----------------------------------

def test_reporter_logs_in_filters_the_ledger_and_opens_a_project(
    tab: Tab, personas: dict[str, User], units: dict[str, Any], make_project: Any
) -> None:
    projects = _reporter_projects(make_project, units)
    services.lights_refresh_all()
    page = tab.page

    tab.goto("/projects/")
    expect(page).to_have_url(re.compile(r"/login/\?next=/projects/"))
    page.get_by_label("用户名").fill("reporter")
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()

    expect(page.get_by_role("heading", name="重点项目库")).to_be_visible()
    expect(page.locator(".who")).to_contain_text("单位填报员")
    expect(_rows(tab)).to_have_count(3)
    expect(page.locator("#ledger .counts")).to_contain_text("共 3 个项目")
    for key in ("factory", "sewage", "elderly"):
        expect(page.locator("#ledger")).to_contain_text(projects[key].name)
    expect(page.locator("#ledger")).not_to_contain_text(projects["other"].name)

    # Choosing a stage swaps #ledger through HTMX and keeps the filter in the address.
    page.get_by_label("阶段").select_option(label="前期")
    expect(_rows(tab)).to_have_count(1)
    expect(_rows(tab).first).to_contain_text("东城污水处理厂扩建")
    expect(page.locator("#ledger .counts")).to_contain_text("共 1 个项目")
    expect(page).to_have_url(re.compile(r"stage=preparing"))

    page.get_by_label("阶段").select_option(label="全部")
    expect(_rows(tab)).to_have_count(3)
    page.get_by_label("搜索").fill("养老")
    expect(_rows(tab)).to_have_count(1)
    expect(_rows(tab).first).to_contain_text("东城社区养老中心")
    expect(page).to_have_url(re.compile(r"q=%E5%85%BB%E8%80%81"))

    # Pinyin initials find the project too (东城污水处理厂扩建 → dcwsclcjk).
    page.get_by_label("搜索").fill("wscl")
    expect(_rows(tab)).to_have_count(1)
    expect(_rows(tab).first).to_contain_text("东城污水处理厂扩建")

    page.get_by_label("搜索").fill("冷链")
    expect(_rows(tab)).to_have_count(1)
    expect(_rows(tab).first).to_contain_text("没有符合条件的项目")

    page.get_by_label("搜索").fill("养老")
    expect(_rows(tab).first).to_contain_text("东城社区养老中心")
    _rows(tab).first.get_by_role("link", name="东城社区养老中心").click()
    expect(page.locator("h1")).to_contain_text("东城社区养老中心")
    expect(page).to_have_url(re.compile(rf"/projects/{projects['elderly'].pk}/$"))
    expect(page.get_by_role("link", name="节点与倒排工期")).to_be_visible()
    tab.assert_no_js_errors()


# --- 2. an overdue milestone turns the light red; completing it turns it green --------------

def test_completing_an_overdue_milestone_turns_the_light_green(
    tab: Tab, personas: dict[str, User], make_project: Any
) -> None:
    today = _today()
    reporter = personas["reporter"]
    User.objects.filter(pk=reporter.pk).update(full_name="李填报")
    project = make_project(
        name="东城智能制造产业园",
        planned_start=today - dt.timedelta(days=120),
        actual_start=today - dt.timedelta(days=110),
    )
    overdue = Milestone.objects.create(
        project=project, order=1, name="施工许可", planned_date=today - dt.timedelta(days=45)
    )
    Milestone.objects.create(project=project, order=2, name="主体封顶", planned_date=today + dt.timedelta(days=60))
    services.project_light_refresh(project)
    page = tab.page
    tab.login(reporter)

    tab.goto(f"/projects/{project.pk}/")
    light = page.locator("#light")
    expect(light.locator("strong")).to_have_text("红灯")
    expect(light.locator("li.reason-red")).to_have_text("施工许可节点逾期 45 天")
    expect(page.locator("#milestones")).to_contain_text("逾期 45 天")

    page.get_by_role("link", name="节点与倒排工期").click()
    expect(page.locator("h1")).to_contain_text("节点与倒排工期")
    row = page.locator("tr", has=page.locator("input[value='施工许可']"))
    done = today - dt.timedelta(days=3)
    row.locator("input[type=date][name$='-actual_date']").fill(done.isoformat())
    page.get_by_role("button", name="保存节点").click()

    expect(page.locator(".messages")).to_contain_text("节点已保存。")
    expect(light.locator("strong")).to_have_text("绿灯")
    expect(light.locator("li.reason-red")).to_have_count(0)
    expect(light.locator(".reasons")).not_to_contain_text("逾期")
    expect(light.locator("li[data-rule='milestones_on_time']")).to_have_text("各节点均按期推进")
    expect(page.locator("#milestones tbody tr", has_text="施工许可")).to_contain_text("已完成（滞后）")
    change = page.locator("#history tbody tr", has_text="实际完成日期")
    expect(change).to_have_count(1)
    expect(change).to_contain_text("李填报")
    expect(change).to_contain_text("施工许可")
    expect(change).to_contain_text(f"（空） → {done.isoformat()}")

    overdue.refresh_from_db()
    assert overdue.actual_date == done
    project.refresh_from_db()
    assert project.light == "green"
    tab.assert_no_js_errors()


# --- 3. a bad Excel file is refused with the row and column of each problem ----------------

def _normalised(label: Any) -> str:
    return re.sub(r"[\s*＊]", "", str(label or ""))


def _fill_template(template: bytes, rows: list[dict[str, Any]]) -> tuple[bytes, list[int]]:
    """The template with ``rows`` (by column label) written below its header; returns the Excel row numbers."""
    from openpyxl import load_workbook

    workbook = load_workbook(io.BytesIO(template))
    sheet, header_row, columns = None, 0, {}
    for candidate in workbook.worksheets:  # the template may carry notes and option sheets too
        for row in candidate.iter_rows(min_row=1, max_row=10):
            labels = {_normalised(cell.value): cell.column for cell in row if cell.value}
            if "总投资(万元)" in labels:
                sheet, header_row, columns = candidate, row[0].row, labels
                break
        if sheet is not None:
            break
    assert sheet is not None, "the template has no header row with 总投资(万元)"
    first = header_row + 1
    while any(sheet.cell(first, column).value not in (None, "") for column in columns.values()):
        first += 1  # keep an example or notes row the template may carry
    numbers = []
    for offset, values in enumerate(rows):
        for label, value in values.items():
            if label in columns:
                sheet.cell(first + offset, columns[label]).value = value
        numbers.append(first + offset)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue(), numbers


def test_bad_excel_upload_lists_problems_by_row_and_column_and_imports_nothing(
    tab: Tab, personas: dict[str, User], units: dict[str, Any]
) -> None:
    try:
        import_path = reverse("projects:excel_import")
    except NoReverseMatch:
        pytest.skip("import page not built yet")
    page = tab.page
    tab.login(personas["office"])
    before = Project.objects.count()

    response = page.request.get(tab.base_url + "/projects/excel/template.xlsx")
    assert response.ok, f"template download: {response.status}"
    assert response.headers["content-type"].startswith(XLSX)
    today = _today()
    common = {
        "项目级别": "区重点",
        "项目类型": "产业",
        "项目阶段": "在建",
        "建设性质": "新开工",
        "牵头单位": units["gxj"].name,
        "属地镇街": units["town_a"].name,
        "计划开工日期": today - dt.timedelta(days=60),
        "实际开工日期": today - dt.timedelta(days=50),
        "计划竣工日期": today + dt.timedelta(days=400),
        "以前年度累计完成投资(万元)": 0,
    }
    good = {**common, "项目编号": "2026-X-001", "项目名称": "东城新材料产业园", "总投资(万元)": 12000}
    bad = {**common, "项目编号": "2026-X-002", "项目名称": "东城物流园二期", "总投资(万元)": "约3亿"}
    workbook, (good_row, bad_row) = _fill_template(response.body(), [good, bad])

    tab.goto(import_path)
    form = page.locator("form", has=page.locator("input[type=file][name=file]"))
    form.locator("input[type=file][name=file]").set_input_files(
        files=[{"name": "重点项目导入.xlsx", "mimeType": XLSX, "buffer": workbook}]
    )
    form.locator("button[type=submit], input[type=submit], button:not([type])").first.click()

    errors = page.locator("table#import-errors")
    expect(errors).to_be_visible()
    problem = errors.locator("tbody tr", has_text="总投资(万元)")
    expect(problem).to_have_count(1)
    # 行 may read "3" under its heading or "第 3 行"; either way it is the Excel row number.
    expect(problem.locator("td").nth(0)).to_have_text(re.compile(rf"^\s*(第\s*)?{bad_row}(\s*行)?\s*$"))
    expect(problem.locator("td").nth(1)).to_have_text("总投资(万元)")
    expect(problem.locator("td").nth(2)).to_contain_text("约3亿")
    # The good row has no problem of its own and is still not saved: the import is all or nothing.
    row_cells = errors.locator("tbody tr td:first-child").all_inner_texts()
    assert not [cell for cell in row_cells if re.search(rf"(^|\D){good_row}(\D|$)", cell)], (
        "the good row was refused: " + " | ".join(errors.locator("tbody tr").all_inner_texts())
    )
    assert Project.objects.count() == before
    assert not Project.objects.filter(code__in=["2026-X-001", "2026-X-002"]).exists()
    tab.assert_no_js_errors()


# --- 4. timeline, chart and map draw, with no script errors ---------------------------------

def _project_with_timeline(make_project: Any) -> Project:
    today = _today()
    project = make_project(
        name="东城智能制造产业园",
        planned_start=today - dt.timedelta(days=200),
        actual_start=today - dt.timedelta(days=190),
        latitude=Decimal("36.712000"),
        longitude=Decimal("119.150000"),
    )
    # 100 a month against 1200 a year keeps pace with the time-elapsed schedule on any day: green.
    AnnualPlan.objects.create(project=project, year=today.year, amount=Decimal("1200"))
    for month in range(1, today.month):
        ProgressReport.objects.create(
            project=project, year=today.year, month=month, invested=Decimal("100"), progress_percent=month * 5
        )
    Milestone.objects.create(
        project=project, order=1, name="立项", planned_date=today - dt.timedelta(days=150),
        actual_date=today - dt.timedelta(days=140),
    )
    Milestone.objects.create(
        project=project, order=2, name="施工许可", planned_date=today - dt.timedelta(days=90),
        actual_date=today - dt.timedelta(days=95),
    )
    Milestone.objects.create(project=project, order=3, name="主体封顶", planned_date=today + dt.timedelta(days=60))
    services.project_light_refresh(project)
    return project


def test_project_page_draws_the_timeline_and_the_chart(
    tab: Tab, personas: dict[str, User], make_project: Any
) -> None:
    project = _project_with_timeline(make_project)
    page = tab.page
    tab.login(personas["reporter"])

    tab.goto(f"/projects/{project.pk}/")
    # One planned bar per milestone and one actual bar per completed one; 立项 finished late.
    bars = page.locator("#gantt svg .bar-wrapper")
    expect(bars).to_have_count(5)
    expect(page.locator("#gantt svg .bar-wrapper.bar-late")).to_have_count(1)
    expect(page.locator("#gantt svg .bar-wrapper.bar-actual")).to_have_count(1)
    expect(page.locator("#gantt svg .bar-label", has_text="立项（计划）")).to_have_count(1)
    # The timeline opens at the first milestone, so the completed (and any overdue) ones are in view.
    view = page.locator("#gantt .gantt-container").bounding_box()
    late = page.locator("#gantt .bar-wrapper.bar-late .bar").bounding_box()
    assert view is not None and late is not None
    assert view["x"] <= late["x"] and late["x"] + late["width"] <= view["x"] + view["width"], (view, late)
    expect(page.locator("#chart canvas")).to_have_count(1)
    box = page.locator("#chart canvas").bounding_box()
    assert box is not None and box["width"] > 200 and box["height"] > 200
    series = page.evaluate("echarts.getInstanceByDom(document.getElementById('chart')).getOption().series")
    assert [s["name"] for s in series] == ["本月完成", "年度累计", "序时计划"]
    assert series[0]["data"][: _today().month - 1] == ["100.00"] * (_today().month - 1)
    tab.assert_no_js_errors()


MARKER_PIXELS_JS = """
(rgbs) => {
  // Leaflet draws the circles as SVG paths, or on a canvas with preferCanvas: report per colour
  // how much was drawn and where its centre is on the page, so a test can click a marker.
  const near = (a, b) => Math.abs(a[0] - b[0]) < 12 && Math.abs(a[1] - b[1]) < 12 && Math.abs(a[2] - b[2]) < 12;
  const result = {};
  for (const name of Object.keys(rgbs)) result[name] = { count: 0, x: 0, y: 0 };
  const paths = document.querySelectorAll("#map path.leaflet-interactive");
  if (paths.length) {
    paths.forEach((p) => {
      const fill = getComputedStyle(p).fill.match(/\\d+/g).map(Number);
      const box = p.getBoundingClientRect();
      for (const [name, rgb] of Object.entries(rgbs)) {
        if (near(fill, rgb)) {
          result[name].count += 1;
          result[name].x = box.x + box.width / 2;
          result[name].y = box.y + box.height / 2;
        }
      }
    });
    return result;
  }
  const canvas = document.querySelector("#map .leaflet-overlay-pane canvas");
  if (!canvas || !canvas.width) return result;
  const data = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
  const box = canvas.getBoundingClientRect();
  for (let i = 0; i < data.length; i += 4) {
    if (data[i + 3] < 128) continue;
    for (const [name, rgb] of Object.entries(rgbs)) {
      if (near([data[i], data[i + 1], data[i + 2]], rgb)) {
        const r = result[name];
        r.count += 1;
        r.x += ((i / 4) % canvas.width) * box.width / canvas.width;
        r.y += Math.floor(i / 4 / canvas.width) * box.height / canvas.height;
      }
    }
  }
  for (const r of Object.values(result)) {
    if (r.count) { r.x = box.x + r.x / r.count; r.y = box.y + r.y / r.count; }
  }
  // Circles are drawn as whole markers: a handful of pixels would be anti-aliasing, not a marker.
  for (const r of Object.values(result)) { r.count = r.count > 40 ? 1 : 0; }
  return result;
}
"""


def test_map_draws_a_marker_per_visible_project_without_tiles(
    tab: Tab, personas: dict[str, User], units: dict[str, Any], make_project: Any
) -> None:
    today = _today()
    green = _project_with_timeline(make_project)
    red = make_project(
        name="东城污水处理厂扩建", stage="preparing", actual_start=None,
        planned_start=today - dt.timedelta(days=150),
        latitude=Decimal("36.690000"), longitude=Decimal("119.190000"),
    )
    make_project(
        name="西山农产品冷链物流", town=units["town_b"], latitude=Decimal("36.650000"), longitude=Decimal("119.100000")
    )
    make_project(name="东城社区养老中心")  # no coordinates: not on the map
    services.lights_refresh_all()
    assert Project.objects.get(pk=red.pk).light == "red"
    assert Project.objects.get(pk=green.pk).light == "green"
    page = tab.page
    tab.login(personas["reporter"])

    tab.goto("/projects/map/")
    expect(page.locator("#map[data-points]")).to_have_attribute("data-points", "2")
    expect(page.locator("#map-count")).to_have_text("2 个项目有坐标")
    expect(page.locator(".legend")).to_contain_text("未配置底图")
    expect(page.locator("#map .leaflet-tile")).to_have_count(0)
    page.wait_for_function(
        f"() => {{ const r = ({MARKER_PIXELS_JS})({json.dumps(MARKER_RGB)}); return r.red.count && r.green.count; }}"
    )
    markers = page.evaluate(MARKER_PIXELS_JS, MARKER_RGB)
    assert markers["yellow"]["count"] == 0

    page.mouse.click(markers["red"]["x"], markers["red"]["y"])
    popup = page.locator(".leaflet-popup-content")
    expect(popup).to_contain_text("东城污水处理厂扩建")
    expect(popup).to_contain_text("未开工")
    popup.get_by_role("link").click()
    expect(page.locator("h1")).to_contain_text("东城污水处理厂扩建")
    tab.assert_no_js_errors()


# --- 5. screenshots, and Chinese rendered with a CJK font -----------------------------------

def _png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def _fonts_rendering(tab: Tab, selector: str) -> list[str]:
    """The font families Chromium actually used to draw the text of ``selector``."""
    cdp = tab.page.context.new_cdp_session(tab.page)
    cdp.send("DOM.enable")
    cdp.send("CSS.enable")
    root = cdp.send("DOM.getDocument")["root"]["nodeId"]
    node = cdp.send("DOM.querySelector", {"nodeId": root, "selector": selector})["nodeId"]
    assert node, f"{selector} not found"
    fonts = cdp.send("CSS.getPlatformFontsForNode", {"nodeId": node})["fonts"]
    cdp.detach()
    return [font["familyName"] for font in fonts if font["glyphCount"]]


def test_pages_screenshot_with_chinese_in_a_cjk_font(
    tab: Tab, personas: dict[str, User], units: dict[str, Any], make_project: Any, tmp_path: Path
) -> None:
    project = _project_with_timeline(make_project)
    _reporter_projects(make_project, units)
    services.lights_refresh_all()
    page = tab.page
    tab.login(personas["office"])

    pages = {
        "ledger": ("/projects/", "#ledger table.ledger tbody tr"),
        "project": (f"/projects/{project.pk}/", "#gantt svg .bar-wrapper"),
        "map": ("/projects/map/", "#map[data-points]"),
    }
    for name, (path, ready) in pages.items():
        tab.goto(path)
        page.locator(ready).first.wait_for()
        family = page.evaluate("getComputedStyle(document.body).fontFamily")
        assert family.startswith('"Noto Sans CJK SC"'), family
        used = _fonts_rendering(tab, "h1")
        assert any("CJK" in font for font in used), (
            f"{name}: the heading is drawn with {used}; install fonts-noto-cjk so Chinese does not show as boxes"
        )
        if name == "map":
            # The only project with coordinates: a single point must still be drawn, not zoomed out of sight.
            page.wait_for_function(f"() => ({MARKER_PIXELS_JS})({json.dumps(MARKER_RGB)}).green.count === 1")
        shot = tmp_path / f"{name}.png"
        page.screenshot(path=str(shot), full_page=True)
        width, height = _png_size(shot)
        assert width == 1400 and height >= 600, (name, width, height)
        assert shot.stat().st_size > 20_000, f"{name}: {shot.stat().st_size} bytes"
    tab.assert_no_js_errors()


# --- without Chromium: skip with a message, or fail in CI ----------------------------------

@pytest.fixture
def no_chromium(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(browser_fixtures, "CHROMIUM", str(tmp_path / "chromium"))
    monkeypatch.setattr(browser_fixtures.shutil, "which", lambda name: None)


def test_missing_chromium_skips_with_how_to_install_it(no_chromium: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DIAODU_REQUIRE_BROWSER", raising=False)
    with pytest.raises(pytest.skip.Exception, match="apt-get install chromium"):
        browser_fixtures.require_chromium()


def test_missing_chromium_fails_where_the_browser_is_required(
    no_chromium: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DIAODU_REQUIRE_BROWSER", "1")
    with pytest.raises(pytest.fail.Exception) as failure:
        browser_fixtures.require_chromium()
    assert str(failure.value) == MISSING_CHROMIUM
