"""End-to-end in Chromium: one monthly cycle as the people who run it see it.

A reporter fills the grid row by row (HTMX) and submits; the office returns that unit with a
reason and approves the others; the reporter reads the reason, corrects and resubmits; the
office approves, closes and publishes, generates the bulletin (on PostgreSQL in the background,
as in production, with the page polling its progress) and downloads the Word file; then a
problem goes from assigned to closed between the office and the unit.

Every user signs in through the login page. The period is the current month (reports may not
be for a future month) with its deadline moved after today, so nothing here depends on the
date the suite runs.
"""
from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone
from docx import Document
from playwright.sync_api import expect

from conftest import PASSWORD, make_user
from core.models import Period
from dispatch.models import Bulletin, Problem, UnitReport
from dispatch.periods import services
from dispatch.reporting import grid as reporting
from org.models import Unit, User
from projects.models import AnnualPlan, Project
from projects.tests.browser import Tab
from projects.tests.browser import browser as browser
from projects.tests.browser import tab as tab

pytestmark = pytest.mark.browser

RETURN_REASON = "东城智造园本期投资与合同支付凭证不符，请核实后重新报送"


@pytest.fixture(autouse=True)
def media(settings: Any, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path / "media"
    return tmp_path


def _sign_in(tab: Tab, username: str) -> None:
    """Leave any session behind and sign in through the login page, as a person would."""
    page = tab.page
    page.context.clear_cookies()
    tab.goto(reverse("login"))
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    expect(page.locator(".who")).to_contain_text(username)


def _fill_row(tab: Tab, project: Project, *, invested: str, percent: str, text: str, start: str = "") -> None:
    """Type one row of the grid and save it alone; the row comes back from the server saved."""
    page = tab.page
    row = page.locator(f"#row-{project.pk}")
    row.locator(f"[name='p{project.pk}-invested']").fill(invested)
    row.locator(f"[name='p{project.pk}-progress_percent']").fill(percent)
    row.locator(f"[name='p{project.pk}-physical_progress']").fill(text)
    if start:
        row.locator(f"[name='p{project.pk}-actual_start']").fill(start)
    row.get_by_role("button", name="保存").click()
    expect(page.locator(f"#row-{project.pk} [data-status='saved']")).to_contain_text("已保存")


def _report_by_orm(reporter: User, unit_report: UnitReport, projects: list[Project]) -> None:
    """Another unit's reporter fills and submits through the same services the grid calls."""
    inputs = {
        p.pk: {"invested": "300", "progress_percent": "40", "physical_progress": "主体结构施工"} for p in projects
    }
    saved = reporting.unit_report_rows_save(by=reporter, unit_report=unit_report, inputs=inputs)
    assert saved.saved, saved.errors
    result = reporting.unit_report_submit_checked(unit_report=unit_report, version=unit_report.version, by=reporter)
    assert result.submitted, result.blocking


def _review(tab: Tab, period: Period, unit: Unit) -> None:
    page = tab.page
    tab.goto(reverse("dispatch:period_board", args=[period.pk]))
    page.locator("tbody tr", has_text=str(unit)).get_by_role("link", name="审核").click()
    expect(page.locator("h1")).to_contain_text(str(unit))


@pytest.fixture
def cycle(units: dict[str, Unit], personas: dict[str, User], make_project: Any) -> dict[str, Any]:
    """Three units leading two projects each, a reporter per unit, and the current month's period open."""
    town_a, town_b, gxj = units["town_a"], units["town_b"], units["gxj"]
    today = timezone.localdate()
    projects = {
        "factory": make_project(name="东城智能制造产业园", lead_unit=town_a, town=town_a),
        # Not started yet: its row asks for the start date once it reports progress.
        "school": make_project(name="东城实验学校", project_type="livelihood", stage="preparing", lead_unit=town_a,
                               town=town_a, planned_start=today, actual_start=None),
        "farm": make_project(name="西山智慧农业园", lead_unit=town_b, town=town_b),
        "cold": make_project(name="西山冷链物流中心", lead_unit=town_b, town=town_b),
        "chip": make_project(name="芯片封装测试基地", lead_unit=gxj, town=town_a),
        "grid": make_project(name="工业园区智能电网", project_type="infrastructure", lead_unit=gxj, town=town_b),
    }
    for project in projects.values():
        AnnualPlan.objects.create(project=project, year=today.year, amount=Decimal("4000"))
    office = personas["office"]
    period = services.period_open(year=today.year, month=today.month, by=office)
    if period.deadline <= today:
        # Late in the month the rule's deadline may have passed; the cycle is about an on-time one.
        Period.objects.filter(pk=period.pk).update(deadline=today + dt.timedelta(days=5))
        period.refresh_from_db()
    reports = {r.unit_id: r for r in period.unit_reports.all()}
    return {
        "period": period,
        "projects": projects,
        "reports": {"town_a": reports[town_a.pk], "town_b": reports[town_b.pk], "gxj": reports[gxj.pk]},
        "office": office,
        "reporter": personas["reporter"],
        "other_reporter": personas["other_reporter"],
        "gxj_reporter": make_user("gxj_reporter", User.Role.REPORTER, gxj),
        "units": units,
        "today": today,
    }


def test_monthly_cycle_from_grid_to_bulletin_and_a_closed_problem(
    tab: Tab, cycle: dict[str, Any], settings: Any, tmp_path: Path
) -> None:
    # Tasks run inline here (the immediate backend of the test settings); the worker process has its own tests.
    page = tab.page
    page.on("dialog", lambda dialog: dialog.accept())  # the confirm() before return, close and publish
    period, projects, units, today = cycle["period"], cycle["projects"], cycle["units"], cycle["today"]
    town_a_report = cycle["reports"]["town_a"]
    factory, school = projects["factory"], projects["school"]

    # --- the reporter fills the grid and submits -------------------------------------------
    _sign_in(tab, "reporter")
    page.get_by_role("navigation").get_by_role("link", name="月度填报").click()
    expect(page).to_have_url(re.compile(reverse("dispatch:report_grid", args=[town_a_report.pk]) + "$"))
    expect(page.locator("#report-state")).to_have_text("草稿")
    expect(page.locator("#row-counts")).to_contain_text("共 2 个项目，已填报 0 个，未填报 2 个")
    # Year-to-date follows what is typed before anything is saved.
    page.locator(f"[name='p{factory.pk}-invested']").fill("1234.5")
    expect(page.locator(f"#row-{factory.pk} [data-ytd]")).to_have_text("1,234.50")
    _fill_row(tab, factory, invested="1234.5", percent="35", text="厂房主体封顶，设备基础施工")
    _fill_row(tab, school, invested="200", percent="5", text="完成场地平整，开始基础施工", start=today.isoformat())
    # The start date is now the project's, and the project counts as under construction.
    expect(page.locator(f"#row-{school.pk} [name='p{school.pk}-actual_start']")).to_have_count(0)
    expect(page.locator(f"#row-{school.pk}")).to_contain_text(today.isoformat())
    school.refresh_from_db()
    assert (school.actual_start, school.stage) == (today, "building")
    page.get_by_role("button", name="报送月报").click()
    expect(page.locator("#report-state")).to_have_text("已报送")
    expect(page.locator("#row-counts")).to_contain_text("已填报 2 个，未填报 0 个")
    expect(page.locator("#read-only")).to_contain_text("已报送")

    # The two other units report through the same services.
    _report_by_orm(cycle["other_reporter"], cycle["reports"]["town_b"], [projects["farm"], projects["cold"]])
    _report_by_orm(cycle["gxj_reporter"], cycle["reports"]["gxj"], [projects["chip"], projects["grid"]])

    # --- the office returns one unit and approves the others --------------------------------
    _sign_in(tab, "office")
    page.get_by_role("navigation").get_by_role("link", name="月度调度").click()
    page.get_by_role("link", name=period.label).click()
    expect(page.locator("p.counts")).to_contain_text("已报送 3")
    _review(tab, period, units["town_a"])
    page.locator("#id_reason").fill(RETURN_REASON)
    page.get_by_role("button", name="退回", exact=True).click()
    expect(page.locator("p.card.errors")).to_contain_text(RETURN_REASON)
    for key in ("town_b", "gxj"):
        _review(tab, period, units[key])
        page.get_by_role("button", name="审核通过").click()
        expect(page.locator("ul.messages")).to_contain_text("已审核通过")
    tab.goto(reverse("dispatch:period_board", args=[period.pk]))
    expect(page.locator("p.counts")).to_contain_text("已审核 2")
    expect(page.locator("p.counts")).to_contain_text("已退回 1")

    # --- the reporter reads the reason, corrects and resubmits --------------------------------
    _sign_in(tab, "reporter")
    expect(page.locator("#unread-count")).to_be_visible()
    page.get_by_role("navigation").get_by_role("link", name="月度填报").click()
    expect(page.locator("#report-state")).to_have_text("已退回")
    expect(page.locator("#return-reason")).to_contain_text(RETURN_REASON)
    _fill_row(tab, factory, invested="1034.5", percent="35", text="厂房主体封顶，设备基础施工（按支付凭证核减）")
    page.get_by_role("button", name="重新报送").click()
    expect(page.locator("#report-state")).to_have_text("已报送")
    expect(page.locator("#history")).to_contain_text(RETURN_REASON)

    # --- the office approves, closes and publishes --------------------------------------------
    _sign_in(tab, "office")
    _review(tab, period, units["town_a"])
    expect(page.locator("table").first).to_contain_text("1034.50")
    page.get_by_role("button", name="审核通过").click()
    tab.goto(reverse("dispatch:period_board", args=[period.pk]))
    expect(page.locator("p.counts")).to_contain_text("已审核 3")
    page.get_by_role("button", name="截止填报").click()
    expect(page.locator("h1")).to_contain_text("已截止")
    # Before the deadline, publishing is the office's decision: the dialog asks why.
    expect(page.locator("#publish")).to_contain_text("尚未到，现在发布属于提前发布")
    page.get_by_label("发布说明（必填，将记录在案并印在通报中）").fill("各单位均已报送并审核，提前发布")
    page.get_by_role("button", name="确认发布").click()
    expect(page.locator("ul.messages")).to_contain_text("已发布，数据已冻结")
    expect(page.locator("h1")).to_contain_text("已发布")

    # --- the bulletin: generated in the background, then downloaded ---------------------------
    tab.goto(reverse("dispatch:bulletin", args=[period.pk]))
    title = f"关于{period.label}全区重点项目建设情况的通报"
    expect(page.locator("h1")).to_have_text(title)
    page.get_by_role("button", name="生成通报").click()
    link = page.get_by_role("link", name="下载 Word 通报")
    try:
        expect(link).to_be_visible(timeout=20_000)
    except AssertionError as error:
        bulletin = Bulletin.objects.filter(period=period).first()
        shown = page.locator("#bulletin-status").inner_text()
        raise AssertionError(
            f"bulletin not done: {bulletin and (bulletin.state, bulletin.step, bulletin.error)}; page: {shown}"
        ) from error
    assert Bulletin.objects.get(period=period).state == Bulletin.State.DONE
    with page.expect_download() as download_info:
        link.click()
    download = download_info.value
    assert download.suggested_filename == f"{period.label}调度通报.docx"
    saved = tmp_path / "bulletin.docx"
    download.save_as(saved)
    document = Document(str(saved))
    assert document.core_properties.title == title
    assert any(paragraph.text == title for paragraph in document.paragraphs)
    # The three units' reports, all on time, as the snapshot froze them.
    assert "本期应报送单位 3 个，均按时报送。" in [paragraph.text for paragraph in document.paragraphs]

    # --- a problem from assigned to closed ----------------------------------------------------
    page.get_by_role("navigation").get_by_role("link", name="问题督办").click()
    page.get_by_role("link", name="新增督办问题").click()
    # The project by its exact code, read on saving (the picker's list is tested in test_problem_picker_browser).
    page.locator("#id_project_text").fill(factory.code)
    page.locator("#id_description").fill("二期用地指标未落实，影响设备进场")
    page.locator("#id_responsible_unit").select_option(str(units["town_a"].pk))
    page.locator("#id_deadline").fill((today + dt.timedelta(days=10)).isoformat())
    page.get_by_role("button", name="交办").click()
    state = page.locator("[data-state]")
    expect(state).to_have_text("已交办")
    problem = Problem.objects.get(description="二期用地指标未落实，影响设备进场")
    detail = reverse("dispatch:problem_detail", args=[problem.pk])

    _sign_in(tab, "reporter")
    page.get_by_role("navigation").get_by_role("link", name="问题督办").click()
    page.get_by_role("link", name="二期用地指标未落实，影响设备进场").click()
    expect(page).to_have_url(re.compile(detail + "$"))
    page.get_by_role("button", name="签收办理").click()
    expect(state).to_have_text("办理中")
    page.locator("#text-answer").fill("已与自然资源局对接，指标已于本周调剂到位")
    page.get_by_role("button", name="提交反馈").click()
    expect(state).to_have_text("已反馈")
    expect(page.locator("#actions")).to_contain_text("您当前没有可办理的操作")

    _sign_in(tab, "office")
    tab.goto(detail)
    page.get_by_role("button", name="办结").click()
    expect(state).to_have_text("已办结")
    steps = page.locator("#steps tbody tr")
    expect(steps).to_have_count(4)
    for index, (action, label, after) in enumerate(
        [("assign", "交办", "已交办"), ("accept", "签收办理", "办理中"), ("answer", "反馈", "已反馈"),
         ("close", "办结", "已办结")]
    ):
        expect(steps.nth(index)).to_have_attribute("data-step", action)
        expect(steps.nth(index)).to_contain_text(label)
        expect(steps.nth(index)).to_contain_text(after)
    expect(steps.nth(2)).to_contain_text("指标已于本周调剂到位")
    expect(page.locator("#actions")).to_contain_text("该问题已办结")
    tab.assert_no_js_errors()
