"""End-to-end in Chromium: text a user typed never runs as script, on any page, for any role.

Every free-text field holds script-bearing text. Then office, leader, viewer and reporter open every
page that shows it, with the gantt bars and the chart hovered and the map popup opened, so each
front-end library renders the text its own way. A page fails when a dialog opens, when an element the
payload would create (an ``<img src=x>``, an ``<svg onload>``, a ``<script>alert``) is in the page,
or when Chromium reports a Content-Security-Policy violation: every page must run clean under the CSP
that forbids inline script, so a forgotten inline handler fails here too.

The data is built once and the four roles walk the pages in one test: the walk is the slow part.
"""
from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from core.models import Period
from dispatch.models import Problem, UnitReport
from dispatch.periods import services
from dispatch.reporting import grid as reporting
from dispatch.review import corrections
from dispatch.supervision import services as problems
from org.models import Unit, User
from projects.models import AnnualPlan, Milestone, ProgressReport
from projects.services import project_light_refresh
from projects.tests.browser import Tab
from projects.tests.browser import browser as browser
from projects.tests.browser import tab as tab

pytestmark = pytest.mark.browser


def payload(n: int) -> str:
    """The three ways in: an element with a handler, a script element, and breaking out of an attribute."""
    return f'<img src=x onerror=alert({n})><script>alert({n})</script>"><svg onload=alert({n})>'


# Elements the payload would create if any page or library took it as HTML.
INJECTED_JS = """
() => Array.from(document.querySelectorAll("img[src='x'], svg[onload], [onerror], [onload], script"))
  .filter((el) => el.tagName.toLowerCase() !== "script"
    || (el.type !== "application/json" && /alert\\(/.test(el.textContent)))
  .map((el) => el.outerHTML.slice(0, 120))
"""


@pytest.fixture(autouse=True)
def media(settings: Any, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def _previous_month(today: dt.date) -> tuple[int, int]:
    first = today.replace(day=1) - dt.timedelta(days=1)
    return first.year, first.month


def _fill_and_submit(by: User, unit_report: UnitReport, rows: dict[int, dict[str, str]]) -> UnitReport:
    saved = reporting.unit_report_rows_save(by=by, unit_report=unit_report, inputs=rows)
    assert saved.saved, saved.errors
    result = reporting.unit_report_submit_checked(unit_report=unit_report, version=unit_report.version, by=by)
    assert result.submitted, result.blocking
    unit_report.refresh_from_db()
    return unit_report


@pytest.fixture
def planted(units: dict[str, Unit], personas: dict[str, User], make_project: Any) -> dict[str, Any]:
    """A district where every free-text field holds a payload: last month published, this month returned."""
    today = timezone.localdate()
    town_a, gxj = units["town_a"], units["gxj"]
    # A unit is shown by its short name where it has one, by its name elsewhere: both carry a payload.
    # The short name has room for 20 characters only.
    Unit.objects.filter(pk=town_a.pk).update(name="东城街道" + payload(21)[:50], short_name="<svg onload=alert()>")
    Unit.objects.filter(pk=gxj.pk).update(name='工信局"><svg onload=alert(22)>', short_name="")
    for key, n in (("leader", 23), ("reporter", 24), ("office", 25)):
        User.objects.filter(pk=personas[key].pk).update(full_name=f"<img src=x onerror=alert({n})>")
    office, reporter, leader = (User.objects.get(pk=personas[key].pk) for key in ("office", "reporter", "leader"))
    gxj_reporter = User.objects.create_user(username="gxj_reporter", password="x", role=User.Role.REPORTER, unit=gxj)

    project = make_project(
        name="东城" + payload(1), content=payload(2), location=payload(3), owner=payload(4), remarks=payload(5),
        lead_unit=town_a, town=town_a, stage="building", actual_start=today - dt.timedelta(days=190),
        planned_start=today - dt.timedelta(days=200), responsible_leader=leader,
        latitude=Decimal("36.690000"), longitude=Decimal("119.190000"),
    )
    other = make_project(name="工业园区智能电网", lead_unit=gxj, town=units["town_b"])
    for p in (project, other):
        AnnualPlan.objects.create(project=p, year=today.year, amount=Decimal("4000"))
    # Overdue milestones make the project red with their names in the light's reasons (map popup,
    # meeting view); a completed one adds an "actual" bar to the gantt. Names hold 40 characters.
    for order, name, days in ((1, "MS<img src=x onerror=alert(6)>", 150), (2, "MS<script>alert(7)</script>", 100),
                              (3, 'MS"><svg onload=alert(8)>', 60)):
        Milestone.objects.create(project=project, order=order, name=name,
                                 planned_date=today - dt.timedelta(days=days),
                                 actual_date=today - dt.timedelta(days=days - 10) if order == 1 else None)
    project_light_refresh(project)

    year, month = _previous_month(today)
    last = services.period_open(year=year, month=month, by=office)
    reports = {r.unit_id: r for r in last.unit_reports.all()}
    text = {"invested": "100", "progress_percent": "10", "physical_progress": payload(9), "problems": payload(10)}
    _fill_and_submit(reporter, reports[town_a.pk], {project.pk: text})
    _fill_and_submit(gxj_reporter, reports[gxj.pk], {other.pk: {**text, "physical_progress": "主体施工"}})
    for unit_report in reports.values():
        unit_report.refresh_from_db()
        services.unit_report_approve(unit_report=unit_report, version=unit_report.version, by=office)
    problem = problems.problem_create(
        by=office, project=project, description=payload(11), responsible_unit=town_a, responsible_leader=leader,
        deadline=today + dt.timedelta(days=10), source=Problem.Source.MEETING, period=last,
    )
    problem = problems.problem_accept(problem=problem, version=problem.version, by=reporter)
    problems.problem_answer(problem=problem, version=problem.version, by=reporter, text=payload(12))
    Period.objects.filter(pk=last.pk).update(deadline=min(last.deadline, today - dt.timedelta(days=1)))
    last.refresh_from_db()
    services.period_close(period=last, by=office)
    last = services.period_publish(period=last, by=office)
    report = ProgressReport.objects.get(project=project, year=year, month=month)
    correction = corrections.correction_request(
        report=report, changes={"physical_progress": "主体结构施工"}, reason=payload(13), by=reporter
    )

    current = services.period_open(year=today.year, month=today.month, by=office)
    returned = current.unit_reports.get(unit=town_a)
    returned = _fill_and_submit(reporter, returned, {project.pk: {**text, "physical_progress": payload(14)}})
    services.unit_report_return(unit_report=returned, version=returned.version, by=office, reason=payload(15))
    return {
        "project": project, "problem": problem, "last": last, "current": current, "returned": returned,
        "correction": correction,
    }


def _pages(planted: dict[str, Any]) -> dict[str, str]:
    last, current = planted["last"], planted["current"]
    return {
        "ledger": reverse("projects:ledger"),
        "ledger search": reverse("projects:ledger") + "?q=%E4%B8%9C%E5%9F%8E",
        "project": reverse("projects:detail", args=[planted["project"].pk]),
        "map": reverse("projects:map"),
        "periods": reverse("dispatch:periods"),
        "board (published)": reverse("dispatch:period_board", args=[last.pk]),
        "board (open)": reverse("dispatch:period_board", args=[current.pk]),
        "review": reverse("dispatch:review", args=[planted["returned"].pk]),
        "grid": reverse("dispatch:report_grid", args=[planted["returned"].pk]),
        "problems": reverse("dispatch:problems"),
        "problem": reverse("dispatch:problem_detail", args=[planted["problem"].pk]),
        "bulletin": reverse("dispatch:bulletin", args=[last.pk]),
        "meeting": reverse("dispatch:meeting", args=[last.pk]),
        "notifications": reverse("dispatch:notifications"),
        "corrections": reverse("dispatch:corrections"),
    }


# Pages a role may be refused (403 by design); every other page must open for it.
FORBIDDEN: dict[str, set[str]] = {
    "office": set(),
    "leader": {"review", "grid"},
    "viewer": {"review", "grid"},
    "reporter": {"review", "board (published)", "board (open)"},
}


def _hover_everything(tab: Tab, name: str) -> None:
    """Make each library render what it renders only on demand: gantt popups, chart tooltips, map popups."""
    page = tab.page
    if name == "project":
        bars = page.locator("#gantt .bar-wrapper")
        assert bars.count() == 4, "expected 3 planned bars and 1 actual bar"
        for i in range(bars.count()):
            bars.nth(i).locator(".bar").hover(force=True)
            page.locator("#gantt .popup-wrapper .title").wait_for(state="attached")
        # Escaped, not mangled: the bar and its popup show what the user typed, as text.
        assert "MS<img src=x onerror=alert(6)>（计划）" in page.locator("#gantt .bar-label").all_text_contents()
        assert page.locator("#gantt .popup-wrapper .title").text_content() in {
            "MS<img src=x onerror=alert(6)>（计划）", "MS<img src=x onerror=alert(6)>（实际）",
            "MS<script>alert(7)</script>（计划）", 'MS"><svg onload=alert(8)>（计划）',
        }
        box = page.locator("#chart canvas").bounding_box()
        assert box is not None
        for step in range(1, 12):
            page.mouse.move(box["x"] + box["width"] * step / 12, box["y"] + box["height"] / 2)
            page.wait_for_timeout(30)
    elif name == "map":
        page.locator("#map[data-points='1']").wait_for()
        box = page.locator("#map").bounding_box()
        assert box is not None
        # The only project with coordinates sits at the centre once the map is fitted to it.
        page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
        page.locator(".leaflet-popup-content a").wait_for()
        assert "东城" + payload(1) in (page.locator(".leaflet-popup-content a").text_content() or "")
        assert "MS<script>alert(7)</script>节点逾期" in (page.locator(".leaflet-popup-content").text_content() or "")
    elif name == "meeting":
        slides = page.locator("section.slide").count()
        for _ in range(slides):
            page.keyboard.press("ArrowRight")


def _walk(tab: Tab, role: str, pages: dict[str, str], problems_seen: list[str]) -> None:
    page = tab.page
    for name, path in pages.items():
        response = page.goto(tab.base_url + path)
        assert response is not None
        if response.status == 403:
            assert name in FORBIDDEN[role], f"{role} may not open {name}"
            continue
        assert response.ok, f"{role} {name}: HTTP {response.status}"
        page.wait_for_load_state("load")
        _hover_everything(tab, name)
        injected = page.evaluate(INJECTED_JS)
        if injected:
            problems_seen.append(f"{role} {name}: payload became HTML: {injected}")
    # The 403s above are the point of FORBIDDEN, not errors of the page.
    tab.errors[:] = [e for e in tab.errors if not e.startswith("HTTP 403") and "403 (Forbidden)" not in e]


def test_stored_payloads_never_run_on_any_page_for_any_role(
    tab: Tab, planted: dict[str, Any], personas: dict[str, User]
) -> None:
    page = tab.page
    seen: list[str] = []
    page.on("dialog", lambda dialog: (seen.append(f"dialog on {page.url}: {dialog.message!r}"), dialog.dismiss()))

    def on_console(message: Any) -> None:
        if "Content Security Policy" in message.text or "Refused to" in message.text:
            seen.append(f"CSP on {page.url}: {message.text}")

    page.on("console", on_console)
    pages = _pages(planted)
    for role in ("office", "leader", "viewer", "reporter"):
        page.context.clear_cookies()
        tab.login(User.objects.get(pk=personas[role].pk))
        _walk(tab, role, pages, seen)
    assert not seen, "stored text ran or was rendered as HTML:\n" + "\n".join(seen)
    tab.assert_no_js_errors()


def test_the_behaviours_moved_out_of_inline_handlers_still_work(
    tab: Tab, personas: dict[str, User], make_project: Any
) -> None:
    """static/js/ui.js: confirm before a form is sent, submit a select on change, export with the filters."""
    make_project(name="东城污水处理厂扩建", stage="preparing", actual_start=None)
    today = timezone.localdate()
    period = services.period_open(year=today.year, month=today.month, by=personas["office"])
    page = tab.page
    tab.login(personas["office"])
    answers: list[bool] = [False, True]
    asked: list[str] = []

    def answer(dialog: Any) -> None:
        asked.append(dialog.message)
        dialog.accept() if answers.pop(0) else dialog.dismiss()

    page.on("dialog", answer)
    tab.goto(reverse("dispatch:period_board", args=[period.pk]))
    close = page.get_by_role("button", name="截止填报")
    close.click()  # answered "cancel": nothing is sent
    page.wait_for_timeout(300)
    period.refresh_from_db()
    assert period.state == Period.State.OPEN
    close.click()  # answered "OK"
    page.locator("h1", has_text="已截止").wait_for()
    assert asked == ["确定截止填报？截止后仍可重新开放。"] * 2

    tab.goto(reverse("projects:ledger"))
    page.get_by_label("阶段").select_option(label="前期")
    page.wait_for_url("**stage=preparing**")
    # Not followed (a download): only where the link points once clicked.
    page.evaluate("document.getElementById('excel-export').addEventListener('click', (e) => e.preventDefault())")
    page.locator("#excel-export").click()
    assert "stage=preparing" in (page.locator("#excel-export").get_attribute("href") or "")

    page.locator("select[name=language]").select_option("en")
    page.wait_for_function("document.documentElement.lang === 'en'")
    tab.assert_no_js_errors()


def test_the_probe_detects_a_payload_rendered_as_html(tab: Tab, personas: dict[str, User], live_server: Any) -> None:
    """The detector itself: a page that does render the payload as HTML is caught (so a clean walk means clean)."""
    tab.login(personas["office"])
    tab.goto(reverse("projects:ledger"))
    tab.page.evaluate("(html) => { document.querySelector('main').insertAdjacentHTML('beforeend', html); }",
                      payload(99))
    assert len(tab.page.evaluate(INJECTED_JS)) == 3


def test_every_page_sends_a_policy_without_inline_script(personas: dict[str, User]) -> None:
    client = Client()
    client.force_login(personas["office"])
    policy = client.get(reverse("projects:ledger")).headers["Content-Security-Policy"]
    script_src = next(part for part in policy.split(";") if part.strip().startswith("script-src"))
    assert "'unsafe-inline'" not in script_src and "'unsafe-eval'" not in script_src

