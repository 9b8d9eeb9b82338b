"""Who may do what: every URL of every app, every role, GET and (for write views) POST.

The table below is the specification. It lives here, in the project's cross-app tests, because
``test_every_url_has_an_entry`` walks the whole URL resolver: a view added later, in any app (a new
module's included too), without an entry here fails the suite instead of shipping with whatever access
it happens to have.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
from django.contrib import admin
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from core.models import Job, Period
from dispatch.models import CorrectionRequest, ExtensionRequest, Problem, ReturnRequest, UnitReport
from investment.models import Attachment, Collision, Lead
from org.models import Unit, User
from projects.forms import ProjectForm
from projects.models import OpeningBalance, ProgressReport, Project, ProjectChange

# --- outcomes -------------------------------------------------------------------------------

SHOWN = "200"  # the page (a POST without data shows the form with its errors)
MOVED_ON = "302"  # a redirect somewhere other than the login page
LOGIN = "login"  # a redirect to the login page
FORBIDDEN = "403"
NOT_FOUND = "404"
NOT_ALLOWED = "405"

ROLES = ("anonymous", "admin", "office", "leader", "viewer", "reporter_in", "reporter_out")


def rule(allowed: str = SHOWN, *, anonymous: str = LOGIN, **denied: str) -> dict[str, str]:
    """``allowed`` for every logged-in role except those named in ``denied``."""
    assert set(denied) <= set(ROLES), denied
    return {role: anonymous if role == "anonymous" else denied.get(role, allowed) for role in ROLES}


READ_ALL = rule()
READ_IN_SCOPE = rule(reporter_out=NOT_FOUND)
WRITE_IN_SCOPE = rule(leader=FORBIDDEN, viewer=FORBIDDEN, reporter_out=NOT_FOUND)
DELETE = rule(MOVED_ON, leader=FORBIDDEN, viewer=FORBIDDEN, reporter_in=FORBIDDEN, reporter_out=NOT_FOUND)
CREATE = rule(leader=FORBIDDEN, viewer=FORBIDDEN)
POST_ONLY = rule(NOT_ALLOWED)
OFFICE_ONLY = rule(leader=FORBIDDEN, viewer=FORBIDDEN, reporter_in=FORBIDDEN, reporter_out=FORBIDDEN)
OFFICE_IN_SCOPE = rule(leader=FORBIDDEN, viewer=FORBIDDEN, reporter_in=FORBIDDEN, reporter_out=NOT_FOUND)
UNIT_IN_SCOPE = rule(admin=FORBIDDEN, office=FORBIDDEN, leader=FORBIDDEN, viewer=FORBIDDEN, reporter_out=NOT_FOUND)
UPLOADER_ONLY = rule(NOT_FOUND, leader=FORBIDDEN, viewer=FORBIDDEN, reporter_in=FORBIDDEN, reporter_out=FORBIDDEN)
OFFICE_ACTS = rule(MOVED_ON, leader=FORBIDDEN, viewer=FORBIDDEN, reporter_in=FORBIDDEN, reporter_out=FORBIDDEN)
OFFICE_ACTS_IN_SCOPE = rule(MOVED_ON, leader=FORBIDDEN, viewer=FORBIDDEN, reporter_in=FORBIDDEN, reporter_out=NOT_FOUND)

# URL name (or route, for unnamed patterns) -> method -> role -> outcome.
# ``reporter_in`` is a town_a reporter on a project located in town_a; ``reporter_out`` is
# the same reporter on a project of another unit. Other roles act on the in-scope project.
MATRIX: dict[str, dict[str, dict[str, str]]] = {
    "/": {"GET": rule(MOVED_ON)},
    # A logged-in user is sent on to the ledger.
    "login": {"GET": rule(MOVED_ON, anonymous=SHOWN), "POST": rule(MOVED_ON, anonymous=SHOWN)},
    "logout": {"GET": POST_ONLY, "POST": rule(LOGIN)},
    # The language can be chosen on the login page too.
    "set_language": {"GET": rule(MOVED_ON, anonymous=MOVED_ON), "POST": rule(MOVED_ON, anonymous=MOVED_ON)},
    # The admin's own login form (no lockout) sends everyone to ours.
    "/admin/login/": {"GET": rule(LOGIN), "POST": rule(LOGIN)},
    "projects:ledger": {"GET": READ_ALL},
    "projects:create": {"GET": CREATE, "POST": CREATE},
    "projects:map": {"GET": READ_ALL},
    "projects:map_points": {"GET": READ_ALL},
    "projects:detail": {"GET": READ_IN_SCOPE},
    "projects:edit": {"GET": WRITE_IN_SCOPE, "POST": WRITE_IN_SCOPE},
    "projects:delete": {"GET": POST_ONLY, "POST": DELETE},
    "projects:milestones": {"GET": WRITE_IN_SCOPE, "POST": WRITE_IN_SCOPE},
    "projects:schedule": {"GET": POST_ONLY, "POST": WRITE_IN_SCOPE},
    "projects:progress_new": {"GET": WRITE_IN_SCOPE, "POST": WRITE_IN_SCOPE},
    "projects:progress_edit": {"GET": WRITE_IN_SCOPE, "POST": WRITE_IN_SCOPE},
    # The year's opening balance (开账) is the office's: a unit sees it on the project page only.
    "projects:opening_new": {"GET": OFFICE_IN_SCOPE, "POST": OFFICE_IN_SCOPE},
    "projects:opening_edit": {"GET": OFFICE_IN_SCOPE, "POST": OFFICE_IN_SCOPE},
    "projects:opening_delete": {"GET": POST_ONLY, "POST": OFFICE_ACTS_IN_SCOPE},
    "projects:excel_template": {"GET": READ_ALL},
    "projects:excel_export": {"GET": READ_ALL},
    "projects:excel_import": {"GET": CREATE, "POST": CREATE},
    # An import's error report is its uploader's (by session): whoever may import finds nothing under another's token.
    "projects:excel_import_errors": {"GET": rule(NOT_FOUND, leader=FORBIDDEN, viewer=FORBIDDEN)},
    # A district's own lists: the office only. An upload's pages are its uploader's (by session): anyone else,
    # the office included, finds nothing under another's token.
    "projects:list_upload": {"GET": OFFICE_ONLY, "POST": OFFICE_ONLY},
    "projects:list_map": {"GET": UPLOADER_ONLY, "POST": UPLOADER_ONLY},
    "projects:list_errors": {"GET": UPLOADER_ONLY},
    # Requests to the office (入库, 调整, 退库): the office decides every one; a unit follows its own.
    # A decision POST without data comes back to the list with a message.
    "projects:changes": {"GET": CREATE},
    "projects:change_decide": {"GET": POST_ONLY, "POST": OFFICE_ACTS},
    # A unit asks for a 调整; the office, who changes those fields directly, is sent to the edit form.
    "projects:adjust": {"GET": rule(admin=MOVED_ON, office=MOVED_ON, leader=FORBIDDEN, viewer=FORBIDDEN,
                                    reporter_out=NOT_FOUND),
                        "POST": rule(admin=MOVED_ON, office=MOVED_ON, leader=FORBIDDEN, viewer=FORBIDDEN,
                                     reporter_out=NOT_FOUND)},
    # The office withdraws (退库); a unit asks to. A POST without a reason shows the form again.
    "projects:withdraw": {"GET": WRITE_IN_SCOPE, "POST": WRITE_IN_SCOPE},
    "dispatch:problems": {"GET": READ_ALL},
    "dispatch:problem_new": {"GET": OFFICE_ONLY, "POST": OFFICE_ONLY},
    # The new-problem form's project search: for whoever may raise a problem, the office.
    "dispatch:problem_projects": {"GET": OFFICE_ONLY},
    "dispatch:problem_detail": {"GET": READ_IN_SCOPE},
    # The office and the responsible unit act; a POST without data shows the page with the errors.
    "dispatch:problem_act": {"GET": POST_ONLY, "POST": WRITE_IN_SCOPE},
    "dispatch:problem_extension": {"GET": POST_ONLY, "POST": UNIT_IN_SCOPE},
    "dispatch:problem_extension_decide": {"GET": POST_ONLY, "POST": OFFICE_IN_SCOPE},
    # A return request (退回申请) is filed by the responsible unit and decided by the office, which
    # then assigns the problem again.
    "dispatch:problem_return": {"GET": POST_ONLY, "POST": UNIT_IN_SCOPE},
    "dispatch:problem_return_decide": {"GET": POST_ONLY, "POST": OFFICE_IN_SCOPE},
    "dispatch:problem_reassign": {"GET": POST_ONLY, "POST": OFFICE_IN_SCOPE},
    "dispatch:problem_slip": {"GET": READ_IN_SCOPE},
    # Leaders (dispatch.leaders): a leader's home page is a leader's; an instruction (批示) on a problem or a
    # project is written by a leader only (a POST without data goes back to the item's page with the error).
    "dispatch:leader_home": {"GET": rule(FORBIDDEN, leader=SHOWN)},
    "dispatch:problem_instructions": {"GET": POST_ONLY, "POST": rule(FORBIDDEN, leader=MOVED_ON,
                                                                      reporter_out=NOT_FOUND)},
    "dispatch:project_instructions": {"GET": POST_ONLY, "POST": rule(FORBIDDEN, leader=MOVED_ON,
                                                                      reporter_out=NOT_FOUND)},
    # Periods: everybody reads (a reporter sees the unit's own row); the office acts. A POST
    # without data, or a step the period's state forbids, comes back with a message.
    "dispatch:periods": {"GET": READ_ALL},
    "dispatch:period_open": {"GET": POST_ONLY, "POST": OFFICE_ACTS},
    "dispatch:period_board": {"GET": READ_ALL},
    "dispatch:period_close": {"GET": POST_ONLY, "POST": OFFICE_ACTS},
    "dispatch:period_reopen": {"GET": POST_ONLY, "POST": OFFICE_ACTS},
    "dispatch:period_publish": {"GET": POST_ONLY, "POST": OFFICE_ACTS},
    # 催报: the office reminds the units that have not reported (back to the board with a message).
    "dispatch:period_remind": {"GET": POST_ONLY, "POST": OFFICE_ACTS},
    # Who has reported (.xlsx): the office and the leaders download it.
    "dispatch:period_reporting_xlsx": {"GET": rule(viewer=FORBIDDEN, reporter_in=FORBIDDEN, reporter_out=FORBIDDEN)},
    "dispatch:review": {"GET": READ_IN_SCOPE},
    "dispatch:review_approve": {"GET": POST_ONLY, "POST": OFFICE_ACTS_IN_SCOPE},
    "dispatch:review_return": {"GET": POST_ONLY, "POST": OFFICE_ACTS_IN_SCOPE},
    "dispatch:corrections": {"GET": READ_ALL},
    "dispatch:correction_new": {"GET": WRITE_IN_SCOPE, "POST": WRITE_IN_SCOPE},
    "dispatch:correction_decide": {"GET": POST_ONLY, "POST": OFFICE_ACTS},
    "dispatch:notifications": {"GET": READ_ALL},
    "dispatch:notification_read": {"GET": POST_ONLY, "POST": rule(MOVED_ON)},
    # Unit reporting: a reporter is sent on to the unit's open report; the office and the unit's
    # reporter write. A row POST without data is a blank row (shown back); save all and submit
    # without data come back to the grid with a message; an upload without a file shows the error.
    "dispatch:report_home": {"GET": rule(reporter_in=MOVED_ON, reporter_out=MOVED_ON)},
    "dispatch:report_grid": {"GET": READ_IN_SCOPE},
    "dispatch:report_row": {"GET": POST_ONLY, "POST": WRITE_IN_SCOPE},
    "dispatch:report_save_all": {"GET": POST_ONLY, "POST": rule(MOVED_ON, leader=FORBIDDEN, viewer=FORBIDDEN,
                                                                reporter_out=NOT_FOUND)},
    "dispatch:report_submit": {"GET": POST_ONLY, "POST": rule(MOVED_ON, leader=FORBIDDEN, viewer=FORBIDDEN,
                                                              reporter_out=NOT_FOUND)},
    "dispatch:report_excel": {"GET": READ_IN_SCOPE},
    "dispatch:report_excel_upload": {"GET": POST_ONLY, "POST": WRITE_IN_SCOPE},
    # An uploaded sheet's error report is its uploader's (by session): those who may upload to the report find
    # nothing under another's token; a report out of scope is not found either.
    "dispatch:report_excel_errors": {"GET": rule(NOT_FOUND, leader=FORBIDDEN, viewer=FORBIDDEN)},
    # Bulletins: everybody logged in reads a published one, reporters too; the office generates. The
    # fixture's January is still open: the page says so, generating comes back with a message, there is
    # no file to download and the meeting view sends back to the page (test_bulletin_views.py covers
    # a published period).
    "dispatch:bulletin": {"GET": READ_ALL},
    "dispatch:bulletin_generate": {"GET": POST_ONLY, "POST": OFFICE_ACTS},
    "dispatch:bulletin_status": {"GET": READ_ALL},
    "dispatch:bulletin_docx": {"GET": rule(NOT_FOUND)},
    "dispatch:bulletin_xlsx": {"GET": rule(NOT_FOUND)},
    "dispatch:bulletin_pdf": {"GET": rule(NOT_FOUND)},
    "dispatch:meeting": {"GET": rule(MOVED_ON)},
    # The bulletin's own words: the office writes them before publishing (a POST without data shows the form).
    "dispatch:bulletin_narrative": {"GET": OFFICE_ONLY, "POST": OFFICE_ONLY},
    # The bulletin template (通报模板): the office and the administrators shape the bulletin (a POST without data
    # shows the form with its errors). Its sample (样张) is the latest published period's bulletin: the fixture
    # has none, so the office is sent back to the page with a message; a POST without data shows the errors.
    "dispatch:bulletin_template": {"GET": OFFICE_ONLY, "POST": OFFICE_ONLY},
    "dispatch:bulletin_template_sample": {"GET": OFFICE_ACTS, "POST": OFFICE_ONLY},
    # A background job is seen by whoever asked for it and by the office (the job outside was the office's).
    "core:job_status": {"GET": rule(leader=FORBIDDEN, viewer=FORBIDDEN, reporter_out=FORBIDDEN)},
    "core:job_retry": {"GET": POST_ONLY, "POST": rule(MOVED_ON, leader=FORBIDDEN, viewer=FORBIDDEN,
                                                      reporter_out=FORBIDDEN)},
    # The health check: open to the load balancer, nothing but "ok" and a time in it.
    "core:healthz": {"GET": rule(anonymous=SHOWN), "POST": rule(NOT_ALLOWED, anonymous=NOT_ALLOWED)},
    # The district's settings (core.district): the administrators and the office read them; only an
    # administrator saves (a POST without data shows the form with its errors).
    # Leads (招商线索) are commercial secrets: the office, the administrators and the leaders see all; a unit's
    # reporters its own (another unit's lead is not found); a viewer none. The office and the lead's unit
    # write (a POST without data shows the page with its errors); the office alone rules collisions (撞单),
    # and a dismissal without a note closes one.
    "investment:leads": {"GET": rule(viewer=FORBIDDEN)},
    "investment:lead_create": {"GET": CREATE, "POST": CREATE},
    "investment:lead_detail": {"GET": rule(viewer=NOT_FOUND, reporter_out=NOT_FOUND)},
    "investment:lead_edit": {"GET": rule(leader=FORBIDDEN, viewer=NOT_FOUND, reporter_out=NOT_FOUND),
                             "POST": rule(leader=FORBIDDEN, viewer=NOT_FOUND, reporter_out=NOT_FOUND)},
    "investment:contact_add": {"GET": POST_ONLY,
                               "POST": rule(leader=FORBIDDEN, viewer=NOT_FOUND, reporter_out=NOT_FOUND)},
    "investment:stage_advance": {"GET": POST_ONLY,
                                 "POST": rule(leader=FORBIDDEN, viewer=NOT_FOUND, reporter_out=NOT_FOUND)},
    "investment:collisions": {"GET": OFFICE_ONLY},
    "investment:collision_rule": {"GET": POST_ONLY, "POST": OFFICE_ONLY},
    "investment:collision_dismiss": {"GET": POST_ONLY, "POST": OFFICE_ACTS},
    # -- investment chains --
    # Chains (产业链) are for whoever may see leads (not viewers), their counts scoped to the reader; the office
    # keeps them (a POST without data shows the form with its errors; deleting an unused link moves on); the
    # chief's desk is for the chain's chief, the office, the administrators and the leaders.
    "investment:chains": {"GET": rule(viewer=FORBIDDEN)},
    "investment:chain_detail": {"GET": rule(viewer=FORBIDDEN)},
    "investment:chain_desk": {"GET": rule(viewer=FORBIDDEN, reporter_in=FORBIDDEN, reporter_out=FORBIDDEN)},
    "investment:chain_create": {"GET": OFFICE_ONLY, "POST": OFFICE_ONLY},
    "investment:chain_edit": {"GET": OFFICE_ONLY, "POST": OFFICE_ONLY},
    "investment:chain_node_create": {"GET": OFFICE_ONLY, "POST": OFFICE_ONLY},
    "investment:chain_node_edit": {"GET": OFFICE_ONLY, "POST": OFFICE_ONLY},
    "investment:chain_node_delete": {"GET": POST_ONLY, "POST": OFFICE_ACTS},
    # -- investment conversion --
    # Converting a started lead (入库) and its money (到位资金): the office and the lead's unit; leaders read the
    # lead but act on neither; a POST without data shows the form (convert) or goes back to the lead (funds).
    "investment:lead_convert": {"GET": rule(leader=FORBIDDEN, viewer=NOT_FOUND, reporter_out=NOT_FOUND),
                                "POST": rule(leader=FORBIDDEN, viewer=NOT_FOUND, reporter_out=NOT_FOUND)},
    "investment:funds_add": {"GET": POST_ONLY,
                             "POST": rule(MOVED_ON, leader=FORBIDDEN, viewer=NOT_FOUND, reporter_out=NOT_FOUND)},
    "investment:signed_to_started": {"GET": rule(viewer=FORBIDDEN)},
    # -- investment targets --
    # The units' targets and the monthly ranking: read by all but the viewers (the ranking is in the bulletin);
    # the office sets the targets (a POST without data shows the grid with its errors).
    "investment:targets": {"GET": rule(viewer=FORBIDDEN), "POST": OFFICE_ONLY},
    "investment:ranking": {"GET": rule(viewer=FORBIDDEN)},
    # -- investment maps --
    # The heat map (招商合作热力图) and where projects land, by town: built from leads, each user's own; the
    # viewers (public screens) are refused; read-only pages (a POST is not allowed).
    "investment:heatmap": {"GET": rule(viewer=FORBIDDEN), "POST": POST_ONLY},
    "investment:heatmap_towns": {"GET": rule(viewer=FORBIDDEN), "POST": POST_ONLY},
    # -- investment excel --
    # Leads in Excel: whoever sees leads exports them (only those he or she sees, watermarked); whoever enters
    # leads imports the lead sheet (an upload without a file shows the page with the error); the office alone
    # imports the signed list. An upload's error report is its uploader's (by session).
    "investment:excel_template": {"GET": CREATE},
    "investment:excel_export": {"GET": rule(viewer=FORBIDDEN)},
    "investment:excel_import": {"GET": CREATE, "POST": CREATE},
    "investment:excel_import_errors": {"GET": rule(NOT_FOUND, leader=FORBIDDEN, viewer=FORBIDDEN)},
    "investment:signed_template": {"GET": OFFICE_ONLY},
    "investment:signed_export": {"GET": rule(viewer=FORBIDDEN)},
    "investment:signed_import": {"GET": OFFICE_ONLY, "POST": OFFICE_ONLY},
    "investment:signed_import_errors": {"GET": UPLOADER_ONLY},
    # -- investment attachments --
    # A lead's files: read by whoever sees the lead (another unit's is not found), added by those who may
    # change it, removed by the office or the uploader.
    "investment:attachment_add": {"GET": POST_ONLY,
                                  "POST": rule(MOVED_ON, leader=FORBIDDEN, viewer=NOT_FOUND, reporter_out=NOT_FOUND)},
    "investment:attachment_download": {"GET": rule(viewer=NOT_FOUND, reporter_out=NOT_FOUND)},
    "investment:attachment_delete": {
        "GET": POST_ONLY, "POST": rule(MOVED_ON, leader=FORBIDDEN, viewer=NOT_FOUND, reporter_out=NOT_FOUND),
    },
    "core:district_settings": {
        "GET": OFFICE_ONLY,
        "POST": rule(office=FORBIDDEN, leader=FORBIDDEN, viewer=FORBIDDEN, reporter_in=FORBIDDEN,
                     reporter_out=FORBIDDEN),
    },
}
# Routes whose ``pk`` is not a project's: route key -> the scope entry ({project pk: object}) that gives it.
PK_FROM: dict[str, str] = {
    "dispatch:problem_detail": "problems",
    "dispatch:problem_act": "problems",
    "dispatch:problem_extension": "problems",
    "dispatch:problem_extension_decide": "extensions",
    "dispatch:problem_return": "problems",
    "dispatch:problem_return_decide": "returns",
    "dispatch:problem_reassign": "problems",
    "dispatch:problem_slip": "problems",
    "dispatch:problem_instructions": "problems",
    "dispatch:period_board": "periods",
    "dispatch:period_close": "periods",
    "dispatch:period_reopen": "periods",
    "dispatch:period_publish": "periods",
    "dispatch:period_remind": "periods",
    "dispatch:period_reporting_xlsx": "periods",
    "dispatch:review": "unit_reports",
    "dispatch:review_approve": "unit_reports",
    "dispatch:review_return": "unit_reports",
    "dispatch:correction_decide": "corrections",
    "projects:change_decide": "changes",
    "dispatch:report_grid": "unit_reports",
    "dispatch:report_row": "unit_reports",
    "dispatch:report_save_all": "unit_reports",
    "dispatch:report_submit": "unit_reports",
    "dispatch:report_excel": "unit_reports",
    "dispatch:report_excel_upload": "unit_reports",
    "dispatch:report_excel_errors": "unit_reports",
    "dispatch:bulletin": "periods",
    "dispatch:bulletin_generate": "periods",
    "dispatch:bulletin_status": "periods",
    "dispatch:bulletin_docx": "periods",
    "dispatch:bulletin_xlsx": "periods",
    "dispatch:bulletin_pdf": "periods",
    "dispatch:meeting": "periods",
    "dispatch:bulletin_narrative": "periods",
    "core:job_status": "jobs",
    "core:job_retry": "jobs",
    "investment:lead_detail": "leads",
    "investment:lead_edit": "leads",
    "investment:contact_add": "leads",
    "investment:stage_advance": "leads",
    "investment:collision_rule": "collisions",
    "investment:collision_dismiss": "collisions",
    # -- investment chains --
    "investment:chain_detail": "chains",
    "investment:chain_edit": "chains",
    "investment:chain_desk": "chains",
    "investment:chain_node_create": "chains",
    "investment:chain_node_edit": "chain_nodes",
    "investment:chain_node_delete": "chain_nodes",
    # -- investment conversion --
    "investment:lead_convert": "started_leads",
    "investment:funds_add": "started_leads",
    # -- investment targets --
    # -- investment maps --
    # -- investment excel --
    # -- investment attachments --
    "investment:attachment_add": "leads",
    "investment:attachment_download": "leads",
    "investment:attachment_delete": "leads",
}

POST_DATA: dict[str, dict[str, str]] = {
    "set_language": {"language": "zh-hans", "next": "/projects/"},
}


# --- walking the URL configuration ----------------------------------------------------------

@dataclass(frozen=True)
class Route:
    key: str  # "namespace:name"; for an unnamed pattern "namespace:/route" or "/route"
    name: str | None
    route: str
    kwargs: tuple[str, ...]


def _walk(patterns: list[Any], prefix: str = "", namespace: str = "") -> Iterator[Route]:
    for pattern in patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            ns = namespace
            if pattern.namespace:
                ns = f"{namespace}:{pattern.namespace}" if namespace else pattern.namespace
            yield from _walk(pattern.url_patterns, route, ns)
        elif isinstance(pattern, URLPattern):
            name = f"{namespace}:{pattern.name}" if namespace and pattern.name else pattern.name
            converters = tuple(getattr(pattern.pattern, "converters", {}))
            unnamed = (f"{namespace}:" if namespace else "") + "/" + route
            yield Route(key=name or unnamed, name=name, route=route, kwargs=converters)


def all_routes() -> dict[str, Route]:
    return {r.key: r for r in _walk(get_resolver().url_patterns)}


def app_routes() -> dict[str, Route]:
    """Every route except the Django admin's, which is checked on its own below."""
    return {key: r for key, r in all_routes().items() if not key.startswith("admin:")}


def test_every_url_has_an_entry() -> None:
    routes = app_routes()
    missing = sorted(set(routes) - set(MATRIX))
    assert not missing, f"URL 没有权限矩阵条目 / no permission matrix entry: {missing}"
    stale = sorted(set(MATRIX) - set(routes))
    assert not stale, f"权限矩阵中的 URL 已不存在 / matrix entries without a URL: {stale}"
    for key, methods in MATRIX.items():
        assert "GET" in methods, key
        for method, outcomes in methods.items():
            assert set(outcomes) == set(ROLES), (key, method)


def test_the_walk_finds_nested_and_unnamed_routes() -> None:
    routes = all_routes()
    assert "/" in routes and routes["/"].name is None
    assert routes["projects:progress_edit"].kwargs == ("pk", "report_pk")
    assert any(key.startswith("admin:") for key in routes)


# --- the matrix -----------------------------------------------------------------------------

@pytest.fixture
def scope(personas: dict[str, User], units: dict[str, Unit], make_project: Any) -> dict[str, Any]:
    inside = make_project(name="东城街道项目", lead_unit=units["gxj"], town=units["town_a"])
    outside = make_project(name="西山镇项目", lead_unit=units["fgj"], town=units["town_b"])
    reports = {
        project.pk: ProgressReport.objects.create(project=project, year=2026, month=1, invested=Decimal("100"))
        for project in (inside, outside)
    }
    # A problem of each side's unit (town_a inside, town_b outside), each with a pending extension. Not
    # attached to the projects: Problem.project is PROTECT and the delete cases delete the project.
    deadline = dt.date.today() + dt.timedelta(days=30)
    problems = {
        project.pk: Problem.objects.create(description="问题", responsible_unit=unit, deadline=deadline)
        for project, unit in ((inside, units["town_a"]), (outside, units["town_b"]))
    }
    extensions = {
        pk: ExtensionRequest.objects.create(problem=problem, new_deadline=deadline + dt.timedelta(days=10),
                                            reason="理由", requested_by=personas["reporter"])
        for pk, problem in problems.items()
    }
    # January's period with a report of each project's town (town_a inside, town_b outside) and a correction.
    period = Period.objects.create(year=2026, month=1, opens_on=dt.date(2026, 1, 1), deadline=dt.date(2026, 1, 23))
    unit_reports = {
        project.pk: UnitReport.objects.create(period=period, unit=unit)
        for project, unit in ((inside, units["town_a"]), (outside, units["town_b"]))
    }
    corrections = {
        pk: CorrectionRequest.objects.create(report=report, changes={"invested": "1"}, reason="理由",
                                             requested_by=personas["office"])
        for pk, report in reports.items()
    }
    changes = {
        project.pk: ProjectChange.objects.create(project=project, kind=ProjectChange.Kind.WITHDRAW, reason="理由",
                                                 requested_by=personas["reporter"])
        for project in (inside, outside)
    }
    # A background job of each side: the inside one asked for by the reporter, the outside one by the office.
    jobs = {
        project.pk: Job.objects.create(kind="test", key="k", task_path="x", requested_by=requester)
        for project, requester in ((inside, personas["reporter"]), (outside, personas["office"]))
    }
    # A 2025 opening balance (开账) of each project.
    openings = {
        project.pk: OpeningBalance.objects.create(project=project, year=2025, through_month=12,
                                                  invested=Decimal("10"), note="来源")
        for project in (inside, outside)
    }
    # A lead of each side's unit (town_a inside, town_b outside), the outside one colliding with the inside one.
    leads = {
        project.pk: Lead.objects.create(enterprise=name, source_unit=unit)
        for project, unit, name in ((inside, units["town_a"], "东城招商企业有限公司"),
                                    (outside, units["town_b"], "东城招商企业股份有限公司"))
    }
    collision = Collision.objects.create(lead=leads[outside.pk], existing=leads[inside.pk], score=Decimal("0.9"),
                                         reason="名称相似")
    result: dict[str, Any] = {
        "leads": leads,
        "collisions": {inside.pk: collision, outside.pk: collision},
        "openings": openings,
        "jobs": jobs,
        "changes": changes,
        "inside": inside, "outside": outside, "reports": reports, "problems": problems, "extensions": extensions,
        "returns": {
            pk: ReturnRequest.objects.create(problem=problem, reason="理由", requested_by=personas["reporter"])
            for pk, problem in problems.items()
        },
        "periods": {inside.pk: period, outside.pk: period}, "unit_reports": unit_reports, "corrections": corrections,
        # A project each unit report's unit leads: a row of that unit's report.
        "led": {
            project.pk: make_project(name="单位牵头项目", lead_unit=unit, town=unit)
            for project, unit in ((inside, units["town_a"]), (outside, units["town_b"]))
        },
    }
    # -- investment chains --
    # A chain with the leader as its chief and a link without leads (the same for both sides: chains are shared).
    from investment.models import Chain, ChainNode

    chain = Chain.objects.create(name="新能源汽车", chief=personas["leader"])
    chain_node = ChainNode.objects.create(chain=chain, name="动力电池", position="upstream")
    result["chains"] = {inside.pk: chain, outside.pk: chain}
    result["chain_nodes"] = {inside.pk: chain_node, outside.pk: chain_node}
    # -- investment conversion --
    # A started lead of each side's unit (town_a inside, town_b outside), to convert and to receive money.
    result["started_leads"] = {
        project.pk: Lead.objects.create(enterprise=name, source_unit=unit, stage="started",
                                        signed_on=dt.date(2026, 1, 5), signed_amount=Decimal("1000"),
                                        counterpart="签约主体", started_on=dt.date(2026, 2, 1))
        for project, unit, name in ((inside, units["town_a"], "东城开工企业有限公司"),
                                    (outside, units["town_b"], "西山开工企业有限公司"))
    }
    # -- investment targets --
    # -- investment maps --
    # -- investment excel --
    # -- investment attachments --
    # A file on each lead, uploaded by the inside unit's reporter (so he may remove it).
    result["attachments"] = {
        pk: Attachment.objects.create(lead=lead, name="意向书.pdf", content_type="application/pdf", size=9,
                                      sha256="0" * 64, data=b"%PDF-1.4\n", uploaded_by=personas["reporter"])
        for pk, lead in leads.items()
    }
    return result


def _actor(role: str, personas: dict[str, User], scope: dict[str, Any]) -> tuple[User | None, Project]:
    if role == "anonymous":
        return None, scope["inside"]
    if role == "reporter_in":
        return personas["reporter"], scope["inside"]
    if role == "reporter_out":
        return personas["reporter"], scope["outside"]
    return personas[role], scope["inside"]


def _url(route: Route, project: Project, report: ProgressReport, scope: dict[str, Any] | None = None) -> str:
    values: dict[str, Any] = {"pk": project.pk, "report_pk": report.pk, "token": "0" * 32}
    if scope is not None and route.key in PK_FROM:
        values["pk"] = scope[PK_FROM[route.key]][project.pk].pk
    if scope is not None:
        values["project_pk"] = scope["led"][project.pk].pk
        values["opening_pk"] = scope["openings"][project.pk].pk
        values["attachment_pk"] = scope["attachments"][project.pk].pk
    unknown = set(route.kwargs) - set(values)
    assert not unknown, f"{route.key}: no fixture value for URL arguments {unknown}"
    if route.name is None:
        assert not route.kwargs
        return "/" + route.route
    return reverse(route.name, kwargs={name: values[name] for name in route.kwargs})


CASES = [
    pytest.param(key, method, role, outcome, id=f"{key}-{method}-{role}")
    for key, methods in MATRIX.items()
    for method, outcomes in methods.items()
    for role, outcome in outcomes.items()
]


@pytest.mark.parametrize(("key", "method", "role", "expected"), CASES)
def test_access(
    key: str, method: str, role: str, expected: str, personas: dict[str, User], scope: dict[str, Any]
) -> None:
    routes = app_routes()
    assert key in routes, f"{key} is in the matrix but not routed"
    user, project = _actor(role, personas, scope)
    client = Client()
    if user is not None:
        client.force_login(user)
    url = _url(routes[key], project, scope["reports"][project.pk], scope)
    response = client.get(url) if method == "GET" else client.post(url, POST_DATA.get(key, {}))
    status, location = response.status_code, response.get("Location", "")
    login_url = reverse("login")
    described = f"{method} {url} as {role}: {status} {location}"
    if expected == MOVED_ON:
        assert status == 302 and not location.startswith(login_url), described
    elif expected == LOGIN:
        assert status == 302 and location.startswith(login_url), described
    else:
        assert status == int(expected), described


def test_forbidden_writes_change_nothing(personas: dict[str, User], scope: dict[str, Any]) -> None:
    project = scope["inside"]
    for role in ("leader", "viewer"):
        client = Client()
        client.force_login(personas[role])
        data = {"code": project.code, "name": "改名", "level": "district", "project_type": "industry",
                "stage": "planning", "construction": "new", "total_investment": "1", "invested_before": "0",
                "lead_unit": str(project.lead_unit_id)}
        assert client.post(reverse("projects:edit", args=[project.pk]), data).status_code == 403
        assert client.post(reverse("projects:delete", args=[project.pk])).status_code == 403
    client = Client()
    client.force_login(personas["reporter"])
    assert client.post(reverse("projects:delete", args=[project.pk])).status_code == 403
    outside = scope["outside"]
    assert client.post(reverse("projects:delete", args=[outside.pk])).status_code == 404
    project.refresh_from_db()
    assert project.name == "东城街道项目"
    assert Project.objects.filter(pk=outside.pk).exists()


def test_office_and_admin_may_delete(personas: dict[str, User], make_project: Any) -> None:
    for role in ("office", "admin"):
        project = make_project()
        client = Client()
        client.force_login(personas[role])
        response = client.post(reverse("projects:delete", args=[project.pk]))
        assert response.status_code == 302
        assert not Project.objects.filter(pk=project.pk).exists()


def test_a_report_of_another_project_is_not_found(personas: dict[str, User], scope: dict[str, Any]) -> None:
    # A report id that belongs to another project must not open through this project's URL.
    client = Client()
    client.force_login(personas["office"])
    other_report = scope["reports"][scope["outside"].pk]
    url = reverse("projects:progress_edit", args=[scope["inside"].pk, other_report.pk])
    assert client.get(url).status_code == 404


def test_a_reporter_without_unit_sees_nothing_and_cannot_create(
    personas: dict[str, User], scope: dict[str, Any]
) -> None:
    loose = User.objects.create_user(username="loose", password="x-long-password-1", role=User.Role.REPORTER)
    client = Client()
    client.force_login(loose)
    response = client.get(reverse("projects:ledger"))
    assert response.status_code == 200
    assert response.context["count"] == 0
    assert client.get(reverse("projects:create")).status_code == 403
    assert client.get(reverse("projects:detail", args=[scope["inside"].pk])).status_code == 404


# --- the Django admin -----------------------------------------------------------------------

def test_admin_is_for_staff_only(personas: dict[str, User]) -> None:
    admin_index = reverse("admin:index")
    anonymous = Client().get(admin_index)
    assert anonymous.status_code == 302
    assert anonymous["Location"].startswith(reverse("admin:login"))
    for role in ("office", "leader", "viewer", "reporter"):
        client = Client()
        client.force_login(personas[role])
        response = client.get(admin_index)
        assert response.status_code == 302, role
        assert response["Location"].startswith(reverse("admin:login")), role
    client = Client()
    client.force_login(personas["admin"])
    assert client.get(admin_index).status_code == 200
    for model in admin.site._registry:
        url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
        assert client.get(url).status_code == 200, url


# --- queryset scoping -----------------------------------------------------------------------

@pytest.fixture
def spread(units: dict[str, Unit], make_project: Any) -> dict[str, Project]:
    """Projects in, partly in and out of the town_a reporter's scope, all with coordinates."""
    where = {"latitude": Decimal("36.7"), "longitude": Decimal("119.1")}
    return {
        "located": make_project(lead_unit=units["gxj"], town=units["town_a"], **where),
        "led": make_project(lead_unit=units["town_a"], town=units["town_b"], **where),
        "elsewhere": make_project(lead_unit=units["fgj"], town=units["town_b"], **where),
        "nowhere": make_project(lead_unit=units["gxj"], town=None, **where),
    }


def test_the_ledger_lists_only_projects_in_scope(personas: dict[str, User], spread: dict[str, Project]) -> None:
    client = Client()
    client.force_login(personas["reporter"])
    response = client.get(reverse("projects:ledger"))
    shown = {p.code for p in response.context["page"]}
    assert shown == {spread["located"].code, spread["led"].code}
    assert spread["elsewhere"].code not in response.content.decode()
    # Filters cannot widen the scope.
    response = client.get(reverse("projects:ledger"), {"town": spread["elsewhere"].town_id})
    assert {p.code for p in response.context["page"]} == {spread["led"].code}
    response = client.get(reverse("projects:ledger"), {"lead_unit": spread["elsewhere"].lead_unit_id})
    assert response.context["count"] == 0
    client.force_login(personas["leader"])
    assert client.get(reverse("projects:ledger")).context["count"] == 4


def test_map_points_contain_only_projects_in_scope(personas: dict[str, User], spread: dict[str, Project]) -> None:
    client = Client()
    client.force_login(personas["reporter"])
    points = client.get(reverse("projects:map_points")).json()["points"]
    assert {p["code"] for p in points} == {spread["located"].code, spread["led"].code}
    client.force_login(personas["viewer"])
    assert len(client.get(reverse("projects:map_points")).json()["points"]) == 4


def _form_data(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "code": "2026-R-001", "name": "填报员项目", "level": "district", "project_type": "industry",
        "stage": "planning", "construction": "new", "total_investment": "500", "invested_before": "0",
    }
    data.update(overrides)
    return data


def test_a_reporter_cannot_file_a_project_outside_the_unit(personas: dict[str, User], units: dict[str, Unit]) -> None:
    reporter = personas["reporter"]
    form = ProjectForm(
        _form_data(lead_unit=units["fgj"].pk, town=units["town_b"].pk), user=reporter, year=2026
    )
    assert not form.is_valid()
    assert "lead_unit" in form.errors
    # The lead unit alone outside the unit is fine when the project is located in the town.
    form = ProjectForm(_form_data(lead_unit=units["gxj"].pk, town=units["town_a"].pk), user=reporter, year=2026)
    assert form.is_valid(), form.errors
    form = ProjectForm(_form_data(lead_unit=units["town_a"].pk, town=units["town_b"].pk), user=reporter, year=2026)
    assert form.is_valid(), form.errors
    # The office is not limited.
    form = ProjectForm(_form_data(lead_unit=units["fgj"].pk, town=units["town_b"].pk), user=personas["office"],
                       year=2026)
    assert form.is_valid(), form.errors


def test_a_reporter_cannot_move_a_project_out_of_scope_through_the_view(
    personas: dict[str, User], units: dict[str, Unit], make_project: Any
) -> None:
    project = make_project(lead_unit=units["gxj"], town=units["town_a"], stage="planning", actual_start=None)
    client = Client()
    client.force_login(personas["reporter"])
    data = _form_data(code=project.code, lead_unit=units["fgj"].pk, town=units["town_b"].pk)
    response = client.post(reverse("projects:edit", args=[project.pk]), data)
    assert response.status_code == 200
    project.refresh_from_db()
    assert project.town_id == units["town_a"].pk
    # Creating one outside the unit is refused in the same way.
    response = client.post(reverse("projects:create"), _form_data(lead_unit=units["fgj"].pk, town=units["town_b"].pk))
    assert response.status_code == 200
    assert not Project.objects.filter(code="2026-R-001").exists()


def test_a_town_reporter_can_edit_a_department_led_project_in_the_town(
    personas: dict[str, User], units: dict[str, Unit], make_project: Any
) -> None:
    # 东城街道's reporter keeps 工信局 as lead unit when updating a project located in the town.
    project = make_project(lead_unit=units["gxj"], town=units["town_a"], stage="planning", actual_start=None,
                           planned_start=dt.date(2026, 3, 1))
    client = Client()
    client.force_login(personas["reporter"])
    data = _form_data(code=project.code, name="新名称", lead_unit=units["gxj"].pk, town=units["town_a"].pk)
    response = client.post(reverse("projects:edit", args=[project.pk]), data)
    assert response.status_code == 302, response.context["form"].errors if response.context else response
    project.refresh_from_db()
    assert project.name == "新名称"
    assert project.lead_unit_id == units["gxj"].pk
