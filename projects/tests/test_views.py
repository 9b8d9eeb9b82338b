"""The ledger pages as a user meets them: filters, search, sorting, forms, milestones, progress, map."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from audit.models import AuditEntry
from conftest import client_for
from org.models import Unit, User
from org.workdays import WorkCalendar
from projects import services
from projects.models import AnnualPlan, Milestone, MilestoneTemplate, MilestoneTemplateStep, ProgressReport, Project
from projects.views import PAGE_SIZE

TODAY = dt.date(2026, 5, 15)


# Every test runs with the district clock stopped at 15 May 2026, 10:00 (conftest's clock_at).
pytestmark = pytest.mark.usefixtures("clock")


def written_around_services() -> None:
    """Rows made with ``objects.create`` bypass the services, which keep the ledger's year figures:
    rebuild them, as ``manage.py rebuild_year_figures`` would (test_year_figures.py covers the services)."""
    services.year_figures_rebuild()


def codes(response: Any) -> list[str]:
    return [p.code for p in response.context["page"]]


# --- the ledger -----------------------------------------------------------------------------

class TestLedgerFilters:
    @pytest.fixture
    def three(self, personas: dict[str, User], units: dict[str, Unit], make_project: Any) -> dict[str, Project]:
        return {
            "a": make_project(level="province", project_type="industry", stage="building", lead_unit=units["gxj"],
                              town=units["town_a"], responsible_leader=personas["leader"], light="red"),
            "b": make_project(level="city", project_type="infrastructure", stage="preparing", actual_start=None,
                              lead_unit=units["fgj"], town=units["town_b"], light="yellow"),
            "c": make_project(level="district", project_type="livelihood", stage="planning", actual_start=None,
                              lead_unit=units["town_a"], town=None, light="green"),
        }

    @pytest.mark.parametrize(
        ("param", "value", "expected"),
        [
            ("level", "province", "a"),
            ("level", "city", "b"),
            ("project_type", "infrastructure", "b"),
            ("project_type", "livelihood", "c"),
            ("stage", "building", "a"),
            ("stage", "planning", "c"),
            ("light", "red", "a"),
            ("light", "yellow", "b"),
            ("light", "green", "c"),
        ],
    )
    def test_it_filters_by_choice(
        self, param: str, value: str, expected: str, personas: dict[str, User], three: dict[str, Project]
    ) -> None:
        response = client_for(personas["office"]).get(reverse("projects:ledger"), {param: value})
        assert codes(response) == [three[expected].code]
        assert response.context["count"] == 1

    def test_it_filters_by_unit_town_and_leader(
        self, personas: dict[str, User], units: dict[str, Unit], three: dict[str, Project]
    ) -> None:
        client = client_for(personas["office"])
        url = reverse("projects:ledger")
        assert codes(client.get(url, {"lead_unit": units["fgj"].pk})) == [three["b"].code]
        assert codes(client.get(url, {"lead_unit": units["town_a"].pk})) == [three["c"].code]
        assert codes(client.get(url, {"town": units["town_a"].pk})) == [three["a"].code]
        assert codes(client.get(url, {"leader": personas["leader"].pk})) == [three["a"].code]
        both = client.get(url, {"town": units["town_b"].pk, "level": "province"})
        assert codes(both) == []
        assert "没有符合条件的项目。" in both.content.decode()

    def test_it_filters_by_year(self, personas: dict[str, User], three: dict[str, Project]) -> None:
        project = three["a"]
        AnnualPlan.objects.create(project=project, year=2025, amount=Decimal("800"))
        AnnualPlan.objects.create(project=project, year=2026, amount=Decimal("1200"))
        ProgressReport.objects.create(project=project, year=2025, month=12, invested=Decimal("700"))
        ProgressReport.objects.create(project=project, year=2026, month=3, invested=Decimal("300"))
        written_around_services()
        client = client_for(personas["office"])
        url = reverse("projects:ledger")
        rows = {p.code: p for p in client.get(url).context["page"]}
        assert (rows[project.code].plan_amount, rows[project.code].invested_ytd) == (Decimal("1200"), Decimal("300"))
        response = client.get(url, {"year": 2025})
        assert response.context["year"] == 2025
        rows = {p.code: p for p in response.context["page"]}
        assert (rows[project.code].plan_amount, rows[project.code].invested_ytd) == (Decimal("800"), Decimal("700"))
        assert "2025年计划(万元)" in response.content.decode()
        assert response.context["totals"]["plan"] == Decimal("800")

    def test_a_bad_value_drops_only_its_own_filter(
        self, personas: dict[str, User], units: dict[str, Unit], three: dict[str, Project]
    ) -> None:
        units["fgj"].is_active = False
        units["fgj"].save()
        client = client_for(personas["office"])
        for params in ({"level": "province", "year": "abc"}, {"level": "province", "lead_unit": units["fgj"].pk}):
            response = client.get(reverse("projects:ledger"), params)
            assert codes(response) == [three["a"].code], params
            assert response.context["year"] == 2026
            assert '<span class="errors">' in response.content.decode()

    def test_the_leader_sees_a_shortcut_to_own_projects(
        self, personas: dict[str, User], three: dict[str, Project]
    ) -> None:
        response = client_for(personas["leader"]).get(reverse("projects:ledger"))
        assert f'href="?leader={personas["leader"].pk}"' in response.content.decode()
        assert "我包靠" in response.content.decode()


class TestLedgerSearch:
    @pytest.fixture
    def named(self, make_project: Any) -> dict[str, Project]:
        return {
            "gxq": make_project(code="2026-GX-001", name="高新区污水处理厂"),
            "road": make_project(code="2026-JT-002", name="东城大道改造工程"),
            "hospital": make_project(code="RL-29-01", name="縣人民醫院門診樓"),  # as a traditional list types it
        }

    @pytest.mark.parametrize(
        ("query", "expected"),
        [("污水处理", "gxq"), ("2026-GX", "gxq"), ("gx-001", "gxq"), ("gxq", "gxq"), ("GXQ", "gxq"),
         ("dcdd", "road"), ("大道", "road"), ("人民医院", "hospital"), ("醫院", "hospital"),
         ("门诊楼", "hospital"), ("xrmyy", "hospital")],
    )
    def test_it_finds_by_name_code_and_initials(
        self, query: str, expected: str, personas: dict[str, User], named: dict[str, Project]
    ) -> None:
        response = client_for(personas["viewer"]).get(reverse("projects:ledger"), {"q": query})
        assert codes(response) == [named[expected].code]

    def test_it_finds_nothing_for_unknown_words(self, personas: dict[str, User], named: dict[str, Project]) -> None:
        response = client_for(personas["viewer"]).get(reverse("projects:ledger"), {"q": "不存在的项目"})
        assert response.context["count"] == 0


class TestLedgerSorting:
    @pytest.fixture
    def rows(self, make_project: Any) -> list[dict[str, Any]]:
        """Four projects whose values differ in every sortable column, one without a plan or start date."""
        specs = [
            # name (initials), total, plan, ytd, planned start, light, stage
            ("丙项目", "300", "90", "10", dt.date(2026, 2, 1), "green", "producing"),
            ("甲项目", "100", "50", "40", dt.date(2026, 4, 1), "red", "planning"),
            ("乙项目", "400", None, "0", None, "yellow", "building"),
            ("丁项目", "200", "70", "20", dt.date(2026, 1, 1), "green", "preparing"),
        ]
        made = []
        for name, total, plan, ytd, start, light, stage in specs:
            project = make_project(name=name, total_investment=Decimal(total), planned_start=start, light=light,
                                   stage=stage)
            if plan is not None:
                AnnualPlan.objects.create(project=project, year=2026, amount=Decimal(plan))
            if ytd != "0":
                ProgressReport.objects.create(project=project, year=2026, month=2, invested=Decimal(ytd))
            made.append({"code": project.code, "name": project.initials, "total": Decimal(total),
                         "plan": None if plan is None else Decimal(plan), "ytd": Decimal(ytd), "start": start,
                         "light": {"green": 0, "yellow": 1, "red": 2}[light],
                         "stage": ["planning", "preparing", "building", "completed", "producing"].index(stage)})
        written_around_services()
        return made

    @pytest.mark.parametrize("column", ["code", "name", "total", "plan", "ytd", "start", "light", "stage"])
    @pytest.mark.parametrize("descending", [False, True])
    def test_it_sorts_by_each_column(
        self, column: str, descending: bool, personas: dict[str, User], rows: list[dict[str, Any]]
    ) -> None:
        present = sorted((r for r in rows if r[column] is not None), key=lambda r: r["code"])
        present.sort(key=lambda r: r[column], reverse=descending)  # stable: ties stay in code order
        # Empty values go last in both directions.
        expected = [r["code"] for r in present] + sorted(r["code"] for r in rows if r[column] is None)
        sort = f"-{column}" if descending else column
        response = client_for(personas["office"]).get(reverse("projects:ledger"), {"sort": sort})
        assert codes(response) == expected
        assert response.context["sort"] == sort

    @pytest.mark.parametrize("sort", ["-plan", "-ytd", "plan", "ytd", "rate", "-rate"])
    @pytest.mark.parametrize(("page_size", "walk"), [(3, 1000), (4, 1000), (3, 3), (2, 2), (4, 1), (1, 1)])
    def test_pages_read_from_the_figure_index_match_a_full_sort(
        self, sort: str, page_size: int, walk: int, personas: dict[str, User], make_project: Any,
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        from projects import selectors

        # Ties, zeros, a negative (a correction) and projects with no figures at all. Six are above zero: pages
        # of 3 end on that boundary, pages of 4 straddle it, short walks send middle pages the general way and
        # read the last pages of the block backwards from its far end.
        figures = ["5", "5", "3", None, "0", "7", "1", None, "-2", "5"]
        for amount in figures:
            project = make_project()
            if amount is not None:
                AnnualPlan.objects.create(project=project, year=2026, amount=Decimal(amount))
                ProgressReport.objects.create(project=project, year=2026, month=2, invested=Decimal(amount))
        written_around_services()
        monkeypatch.setattr(selectors, "PAGE_SIZE", page_size)
        monkeypatch.setattr(selectors, "INDEX_WALK_ROWS", walk)
        client = client_for(personas["office"])
        pages = range(1, -(-len(figures) // page_size) + 1)
        url = reverse("projects:ledger")
        listed = [code for n in pages for code in codes(client.get(url, {"sort": sort, "page": n}))]
        # The ledger's order, worked out here: ties by code; no plan is empty (last either way), no
        # year-to-date is zero.
        rows = [(f"2026-T-{n:03d}", None if f is None else Decimal(f)) for n, f in enumerate(figures, start=1)]
        if sort.lstrip("-") == "ytd":
            rows = [(code, figure or Decimal(0)) for code, figure in rows]
        if sort.lstrip("-") == "rate":  # year-to-date equals the plan here: 100% wherever the plan is above zero
            rows = [(code, Decimal(100) if figure and figure > 0 else None) for code, figure in rows]
        present = sorted((row for row in rows if row[1] is not None), key=lambda row: row[0])
        present.sort(key=lambda row: row[1], reverse=sort.startswith("-"))
        expected = [code for code, _figure in present] + [code for code, figure in rows if figure is None]
        assert listed == expected

    def test_an_unknown_sort_falls_back_to_code(self, personas: dict[str, User], rows: list[dict[str, Any]]) -> None:
        response = client_for(personas["office"]).get(reverse("projects:ledger"), {"sort": "password"})
        assert codes(response) == sorted(r["code"] for r in rows)


def populate(make_project: Any, units: dict[str, Unit], leader: User, count: int) -> list[Project]:
    """Projects with everything the ledger shows: plans, reports, a leader, lead unit and town."""
    made = []
    for i in range(count):
        project = make_project(
            total_investment=Decimal(1000 + i),
            lead_unit=units["gxj"] if i % 2 else units["fgj"],
            town=units["town_a"] if i % 3 else units["town_b"],
            responsible_leader=leader,
            light=["green", "yellow", "red"][i % 3],
            light_reasons=[["red", f"原因{i}"]],
            level="province" if i % 4 == 0 else "district",
        )
        AnnualPlan.objects.create(project=project, year=2026, amount=Decimal(500 + i))
        AnnualPlan.objects.create(project=project, year=2027, amount=Decimal(1))
        ProgressReport.objects.create(project=project, year=2026, month=1, invested=Decimal(10 + i))
        ProgressReport.objects.create(project=project, year=2026, month=2, invested=Decimal("0.5"))
        ProgressReport.objects.create(project=project, year=2025, month=12, invested=Decimal(99))
        made.append(project)
    written_around_services()
    return made


class TestLedgerPagesAndTotals:
    def test_it_paginates(self, personas: dict[str, User], units: dict[str, Unit], make_project: Any) -> None:
        projects = populate(make_project, units, personas["leader"], PAGE_SIZE + 10)
        client = client_for(personas["office"])
        first = client.get(reverse("projects:ledger"))
        assert codes(first) == [p.code for p in projects[:PAGE_SIZE]]
        assert "第 1 / 2 页" in first.content.decode()
        second = client.get(reverse("projects:ledger"), {"page": 2})
        assert codes(second) == [p.code for p in projects[PAGE_SIZE:]]
        assert second.context["count"] == PAGE_SIZE + 10
        assert codes(client.get(reverse("projects:ledger"), {"page": "abc"})) == codes(first)

    def test_the_totals_cover_every_filtered_project(
        self, personas: dict[str, User], units: dict[str, Unit], make_project: Any
    ) -> None:
        projects = populate(make_project, units, personas["leader"], PAGE_SIZE + 10)
        client = client_for(personas["office"])
        for params, chosen in [
            ({}, projects),
            ({"level": "district"}, [p for i, p in enumerate(projects) if i % 4]),
        ]:
            response = client.get(reverse("projects:ledger"), {**params, "page": 2})
            totals = response.context["totals"]
            assert response.context["count"] == len(chosen)
            assert totals["total"] == sum(p.total_investment for p in chosen)
            assert totals["plan"] == sum(Decimal(500 + projects.index(p)) for p in chosen)
            assert totals["ytd"] == sum(Decimal(10 + projects.index(p)) + Decimal("0.5") for p in chosen)
            assert sum(response.context["light_counts"].values()) == len(chosen)
            assert f'<td class="num">{totals["total"]:.2f}</td>' in response.content.decode()

    def test_an_htmx_request_gets_the_table_only(self, personas: dict[str, User], make_project: Any) -> None:
        project = make_project()
        response = client_for(personas["office"]).get(reverse("projects:ledger"), HTTP_HX_REQUEST="true")
        names = [t.name for t in response.templates]
        assert "projects/_ledger_table.html" in names
        assert "projects/ledger.html" not in names and "base.html" not in names
        body = response.content.decode()
        assert "<html" not in body and project.code in body
        full = client_for(personas["office"]).get(reverse("projects:ledger"))
        assert "<html" in full.content.decode()

    def test_the_htmx_table_reads_neither_the_filter_lists_nor_the_pending_requests(
        self, personas: dict[str, User], make_project: Any
    ) -> None:
        make_project()
        client = client_for(personas["office"])
        client.get(reverse("projects:ledger"), HTTP_HX_REQUEST="true")  # warm up per-process caches
        with CaptureQueriesContext(connection) as partial:
            client.get(reverse("projects:ledger"), HTTP_HX_REQUEST="true")
        sql = " ".join(q["sql"] for q in partial.captured_queries)
        assert "projects_projectchange" not in sql  # the toolbar's badge is not in the table
        assert 'FROM "org_unit"' not in sql and '"role" = ' not in sql  # nor are the filter's lists

    def test_the_rows_show_labels_links_and_the_leaders_own_badge(
        self, personas: dict[str, User], units: dict[str, Unit], make_project: Any
    ) -> None:
        mine = make_project(level="province", project_type="industry", stage="building", lead_unit=units["gxj"],
                            town=units["town_a"], responsible_leader=personas["leader"], light="red",
                            light_reasons=[["red", "<b>逾期</b>"], ["green", "正常"]])
        body = client_for(personas["leader"]).get(reverse("projects:ledger")).content.decode()
        row = body[body.index(f'<a href="{reverse("projects:detail", args=[mine.pk])}">{mine.code}</a>'):]
        row = row[: row.index("</tr>")]
        for text in ("省重点", "在建", str(units["gxj"]), str(units["town_a"]), str(personas["leader"]), "我包靠"):
            assert text in row, text
        assert '<span class="reason-red">&lt;b&gt;逾期&lt;/b&gt;</span>' in row and "正常" not in row
        other = client_for(personas["office"]).get(reverse("projects:ledger")).content.decode()
        assert "我包靠" not in other

    def test_the_filter_lists_active_units_towns_and_leaders_by_their_names(
        self, personas: dict[str, User], units: dict[str, Unit]
    ) -> None:
        units["fgj"].is_active = False
        units["fgj"].save()
        body = client_for(personas["office"]).get(reverse("projects:ledger"), {"lead_unit": units["gxj"].pk})
        html = body.content.decode()
        lead = html[html.index('<select name="lead_unit"'):]
        lead = lead[: lead.index("</select>")]
        assert f'<option value="{units["gxj"].pk}" selected>{units["gxj"]}</option>' in lead
        assert f'value="{units["fgj"].pk}"' not in lead and '<option value="">全部</option>' in lead
        town = html[html.index('<select name="town"'):]
        town = town[: town.index("</select>")]
        assert f'value="{units["town_a"].pk}"' in town and f'value="{units["gxj"].pk}"' not in town
        assert f'<option value="{personas["leader"].pk}">{personas["leader"]}</option>' in html

    def test_the_query_count_does_not_grow_with_the_rows(
        self, personas: dict[str, User], units: dict[str, Unit], make_project: Any
    ) -> None:
        client = client_for(personas["leader"])
        populate(make_project, units, personas["leader"], 5)
        client.get(reverse("projects:ledger"))  # warm up per-process caches
        with CaptureQueriesContext(connection) as few:
            assert client.get(reverse("projects:ledger"), {"sort": "-ytd"}).status_code == 200
        populate(make_project, units, personas["leader"], 55)
        with CaptureQueriesContext(connection) as many:
            response = client.get(reverse("projects:ledger"), {"sort": "-ytd"})
        assert len(response.context["page"]) == PAGE_SIZE
        assert len(many) == len(few), [q["sql"] for q in many.captured_queries]


# --- one project ----------------------------------------------------------------------------

class TestProjectPage:
    @pytest.fixture
    def project(self, personas: dict[str, User], make_project: Any) -> Project:
        project = make_project(name="高新区污水处理厂", invested_before=Decimal("1000"),
                               responsible_leader=personas["leader"])
        AnnualPlan.objects.create(project=project, year=2026, amount=Decimal("1200"))
        for year, month, invested in [(2025, 12, "200"), (2026, 1, "100"), (2026, 2, "50")]:
            ProgressReport.objects.create(project=project, year=year, month=month, invested=Decimal(invested))
        Milestone.objects.create(project=project, order=1, name="立项", planned_date=dt.date(2026, 1, 10),
                                 actual_date=dt.date(2026, 1, 8))
        Milestone.objects.create(project=project, order=2, name="施工许可", planned_date=dt.date(2026, 5, 5))
        Milestone.objects.create(project=project, order=3, name="主体封顶", planned_date=dt.date(2026, 9, 30))
        services.project_save(by=personas["office"], project=Project.objects.get(pk=project.pk),
                              plans={2026: Decimal("1300")})
        return project

    def test_it_shows_the_light_and_its_reasons(self, personas: dict[str, User], project: Project) -> None:
        response = client_for(personas["viewer"]).get(reverse("projects:detail", args=[project.pk]))
        body = response.content.decode()
        # 15 May: 4 months passed, schedule 33.3%; 150 / 1300 = 11.5%; gap 21.8 → yellow; 施工许可 10 days late.
        assert response.context["result"].light == "yellow"
        assert "施工许可节点逾期 10 天" in body
        assert "年度投资完成 11.5%，序时进度 33.3%，落后 21.8 个百分点" in body
        assert "灯色规则" in body

    def test_it_shows_milestones_with_their_state(self, personas: dict[str, User], project: Project) -> None:
        response = client_for(personas["viewer"]).get(reverse("projects:detail", args=[project.pk]))
        body = response.content.decode()
        assert [(m.name, overdue) for m, overdue in response.context["milestones"]] == [
            ("立项", 0), ("施工许可", 10), ("主体封顶", 0)
        ]
        assert "逾期 10 天" in body and "已完成" in body and "未到期" in body
        assert [g["name"] for g in response.context["gantt"]] == ["立项", "施工许可", "主体封顶"]

    def test_it_derives_year_to_date_and_since_start(self, personas: dict[str, User], project: Project) -> None:
        response = client_for(personas["viewer"]).get(reverse("projects:detail", args=[project.pk]))
        context = response.context
        assert context["ytd"] == Decimal("150")
        assert context["since_start"] == Decimal("1350")  # 1000 before + 200 in 2025 + 150 in 2026
        assert context["plan"] == Decimal("1300")
        assert context["rate"] == Decimal("11.5")
        rows = {row["month"]: row for row in context["progress_rows"]}
        assert (rows[1]["ytd"], rows[1]["since_start"]) == (Decimal("100"), Decimal("1300"))
        assert (rows[2]["ytd"], rows[2]["since_start"]) == (Decimal("150"), Decimal("1350"))
        assert rows[3]["report"] is None and rows[3]["ytd"] is None
        previous = client_for(personas["viewer"]).get(reverse("projects:detail", args=[project.pk]), {"year": 2025})
        assert previous.context["ytd"] == Decimal("200")
        assert previous.context["plan"] is None
        assert "未安排" in previous.content.decode()

    def test_the_rate_is_the_one_the_light_gives(self, personas: dict[str, User], make_project: Any) -> None:
        project = make_project()
        services.project_save(by=personas["office"], project=project, plans={2026: Decimal("800")})
        ProgressReport.objects.create(project=project, year=2026, month=3, invested=Decimal("90"))
        written_around_services()
        response = client_for(personas["viewer"]).get(reverse("projects:detail", args=[project.pk]))
        assert response.context["rate"] == Decimal("11.3")  # 11.25 rounded half up
        assert "年度投资完成 11.3%" in response.content.decode()
        assert "（11.3%）" in response.content.decode()
        ledger = client_for(personas["viewer"]).get(reverse("projects:ledger"))
        assert [row.rate for row in ledger.context["page"]] == [Decimal("11.3")]
        assert ledger.context["totals"]["rate"] == Decimal("11.3")
        assert ledger.content.decode().count('<td class="num">11.3%</td>') == 2  # the row and the total

    def test_a_bad_year_in_the_link_shows_this_year(self, personas: dict[str, User], project: Project) -> None:
        for year in ("abc", "-1", "99999"):
            response = client_for(personas["viewer"]).get(reverse("projects:detail", args=[project.pk]), {"year": year})
            assert response.status_code == 200
            assert response.context["year"] == 2026

    def test_it_shows_the_history(self, personas: dict[str, User], project: Project) -> None:
        response = client_for(personas["viewer"]).get(reverse("projects:detail", args=[project.pk]))
        body = response.content.decode()
        history = list(response.context["history"])
        assert history[0].model == "projects.annualplan"
        assert history[0].changes == {"年度计划投资(万元)": ["1200", "1300"]}
        assert "1200 → 1300" in body

    def test_edit_links_follow_the_permissions(self, personas: dict[str, User], project: Project) -> None:
        edit = reverse("projects:edit", args=[project.pk])
        delete = reverse("projects:delete", args=[project.pk])
        withdraw = reverse("projects:withdraw", args=[project.pk])
        adjust = reverse("projects:adjust", args=[project.pk])
        # The project has reported months: it can be withdrawn (退库), never deleted.
        for role, can_edit, can_withdraw, can_adjust in [
            ("viewer", False, False, False), ("reporter", True, True, True), ("office", True, True, False)
        ]:
            body = client_for(personas[role]).get(reverse("projects:detail", args=[project.pk])).content.decode()
            assert (edit in body) is can_edit, role
            assert delete not in body, role
            assert (withdraw in body) is can_withdraw, role
            assert (adjust in body) is can_adjust, role
        project.reports.all().delete()
        for role, can_delete in [("viewer", False), ("reporter", False), ("office", True)]:
            body = client_for(personas[role]).get(reverse("projects:detail", args=[project.pk])).content.decode()
            assert (delete in body) is can_delete, role

    def test_the_query_count_stays_bounded(
        self, personas: dict[str, User], project: Project, make_project: Any
    ) -> None:
        small = make_project()
        Milestone.objects.create(project=small, name="立项", planned_date=dt.date(2026, 4, 1))
        ProgressReport.objects.create(project=small, year=2026, month=1, invested=Decimal(1))
        big = make_project()
        for month in range(1, 13):
            Milestone.objects.create(project=big, order=month, name=f"节点{month}",
                                     planned_date=dt.date(2026, month, 1))
            ProgressReport.objects.create(project=big, year=2026, month=month, invested=Decimal(month))
            AnnualPlan.objects.create(project=big, year=2014 + month, amount=Decimal(month))
        for month in range(1, 13):
            report = big.reports.get(month=month)
            report.invested += 1
            services.progress_save(by=personas["office"], report=report)
        client = client_for(personas["reporter"])
        client.get(reverse("projects:detail", args=[small.pk]))
        with CaptureQueriesContext(connection) as few:
            client.get(reverse("projects:detail", args=[small.pk]))
        with CaptureQueriesContext(connection) as many:
            response = client.get(reverse("projects:detail", args=[big.pk]))
        assert len(response.context["history"]) == 12
        assert len(many) == len(few), [q["sql"] for q in many.captured_queries]
        assert len(many) <= 25


    def test_it_reads_milestones_plans_and_reports_once(
        self, personas: dict[str, User], project: Project, django_assert_max_num_queries: Any
    ) -> None:
        """The light, the progress table, the year's figures and the plans all come from one read of each."""
        client = client_for(personas["office"])
        url = reverse("projects:detail", args=[project.pk])
        client.get(url)  # warm up per-process caches
        # session, user, project, scope, changes, co-units, milestones, plans, reports, openings (开账), problems,
        # the leaders' instructions, the lead it came from (招商引资), the district's settings, notifications, units of
        # the problems section, history, session save (3 with its savepoint); it was 22 without the lead, with
        # milestones read twice and the plan three times
        with django_assert_max_num_queries(20) as captured:
            response = client.get(url)
        assert response.context["plan"] == Decimal("1300")
        sql = [query["sql"] for query in captured.captured_queries]
        tables = ("projects_milestone", "projects_annualplan", "projects_progressreport", "projects_openingbalance")
        for table in tables:
            assert sum(f'FROM "{table}"' in text for text in sql) == 1, table


# --- create and edit ------------------------------------------------------------------------

def project_data(units: dict[str, Unit], **overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "code": "2026-N-001", "name": "新能源电池项目", "level": "city", "project_type": "industry",
        "stage": "building", "construction": "new", "total_investment": "5000", "invested_before": "0",
        "planned_start": "2026-03-01", "actual_start": "2026-03-15", "planned_completion": "2027-12-31",
        "lead_unit": str(units["gxj"].pk), "town": str(units["town_a"].pk), "plan_this_year": "1200",
        "plan_next_year": "",
    }
    data.update(overrides)
    return data


class TestProjectCreateAndEdit:
    def test_it_creates(self, personas: dict[str, User], units: dict[str, Unit]) -> None:
        # The office's new project goes straight into the ledger (a unit's is a proposal:
        # test_ledger_changes.py).
        client = client_for(personas["office"])
        response = client.post(reverse("projects:create"), project_data(units))
        project = Project.objects.get(code="2026-N-001")
        assert response.status_code == 302
        assert response["Location"] == reverse("projects:detail", args=[project.pk])
        assert project.initials == "xnydcxm"
        assert project.in_ledger
        assert list(project.plans.values_list("year", "amount")) == [(2026, Decimal("1200"))]
        entries = AuditEntry.objects.filter(subject_id=str(project.pk), subject_model="projects.project")
        assert {(e.model, e.action, e.user_id) for e in entries} == {
            ("projects.project", "create", personas["office"].pk),
            ("projects.annualplan", "create", personas["office"].pk),
        }
        assert "已新增项目 新能源电池项目。" in client.get(response["Location"]).content.decode()

    @pytest.mark.parametrize(
        ("overrides", "field", "message"),
        [
            ({"planned_completion": "2026-02-01"}, "planned_completion", "计划竣工日期不能早于计划开工日期。"),
            ({"actual_start": ""}, "actual_start", "项目阶段为在建、竣工或投产时，必须填写实际开工日期。"),
            ({"actual_start": "2026-06-01"}, "actual_start", "实际开工日期不能晚于今天。"),
            ({"latitude": "36.7"}, "longitude", "经度和纬度须同时填写或同时留空。"),
            ({"plan_this_year": "6000"}, "plan_this_year", "年度计划投资不能超过总投资。"),
            ({"plan_next_year": "5000.01"}, "plan_next_year", "年度计划投资不能超过总投资。"),
            ({"name": ""}, "name", "这个字段是必填项。"),
        ],
    )
    def test_it_explains_what_is_wrong_in_chinese(
        self, overrides: dict[str, str], field: str, message: str, personas: dict[str, User], units: dict[str, Unit]
    ) -> None:
        response = client_for(personas["office"]).post(reverse("projects:create"), project_data(units, **overrides))
        assert response.status_code == 200
        assert response.context["form"].errors[field] == [message]
        body = response.content.decode()
        assert f'<span class="errors" data-field="{field}">{message}</span>' in body
        assert "请修改下面标红的内容后再保存。" in body
        assert not Project.objects.exists()

    def test_a_duplicate_code_is_refused(self, personas: dict[str, User], units: dict[str, Unit],
                                         make_project: Any) -> None:
        make_project(code="2026-N-001")
        response = client_for(personas["office"]).post(reverse("projects:create"), project_data(units))
        assert response.status_code == 200
        assert "code" in response.context["form"].errors
        assert Project.objects.count() == 1

    def test_it_edits_and_records_only_the_changes(
        self, personas: dict[str, User], units: dict[str, Unit], make_project: Any
    ) -> None:
        client = client_for(personas["office"])
        client.post(reverse("projects:create"), project_data(units))
        project = Project.objects.get(code="2026-N-001")
        form = client.get(reverse("projects:edit", args=[project.pk])).context["form"]
        assert form["plan_this_year"].value() == Decimal("1200")
        assert form["plan_next_year"].value() is None
        response = client.post(
            reverse("projects:edit", args=[project.pk]),
            project_data(units, name="新能源电池二期", stage="building", plan_this_year="1200", plan_next_year="900"),
        )
        assert response.status_code == 302
        project.refresh_from_db()
        assert project.name == "新能源电池二期"
        update = AuditEntry.objects.get(model="projects.project", action="update")
        assert update.changes == {"项目名称": ["新能源电池项目", "新能源电池二期"]}
        assert AuditEntry.objects.filter(model="projects.annualplan", action="create").count() == 2
        # Saving the same values again writes nothing.
        before = AuditEntry.objects.count()
        response = client.post(
            reverse("projects:edit", args=[project.pk]),
            project_data(units, name="新能源电池二期", plan_this_year="1200.00", plan_next_year="900",
                         total_investment="5000.0"),
        )
        assert response.status_code == 302
        assert AuditEntry.objects.count() == before

    def test_clearing_a_plan_deletes_it_with_a_record(self, personas: dict[str, User], units: dict[str, Unit]) -> None:
        client = client_for(personas["office"])
        client.post(reverse("projects:create"), project_data(units))
        project = Project.objects.get(code="2026-N-001")
        client.post(reverse("projects:edit", args=[project.pk]), project_data(units, plan_this_year=""))
        assert not project.plans.exists()
        entry = AuditEntry.objects.get(model="projects.annualplan", action="delete")
        assert entry.changes["年度计划投资(万元)"] == ["1200", ""]


# --- milestones and reverse scheduling ------------------------------------------------------

def formset_data(milestones: list[Milestone], extra: dict[str, str] | None = None,
                 changes: dict[int, dict[str, str]] | None = None) -> dict[str, str]:
    """The milestone formset as the page posts it, with ``changes`` per form index."""
    data = {
        "m-TOTAL_FORMS": str(len(milestones) + 1), "m-INITIAL_FORMS": str(len(milestones)),
        "m-MIN_NUM_FORMS": "0", "m-MAX_NUM_FORMS": "1000",
    }
    for i, m in enumerate(milestones):
        data.update({
            f"m-{i}-id": str(m.pk), f"m-{i}-order": str(m.order), f"m-{i}-name": m.name,
            f"m-{i}-planned_date": m.planned_date.isoformat() if m.planned_date else "",
            f"m-{i}-actual_date": m.actual_date.isoformat() if m.actual_date else "", f"m-{i}-note": m.note,
        })
        for key, value in (changes or {}).get(i, {}).items():
            data[f"m-{i}-{key}"] = value
    n = len(milestones)
    # The page renders the empty row's order as 0; a browser posts it back unchanged.
    data.update({f"m-{n}-order": "0", f"m-{n}-name": "", f"m-{n}-planned_date": "", f"m-{n}-actual_date": "",
                 f"m-{n}-note": ""})
    for key, value in (extra or {}).items():
        data[f"m-{n}-{key}"] = value
    return data


class TestMilestones:
    @pytest.fixture
    def project(self, make_project: Any) -> Project:
        project = make_project()
        Milestone.objects.create(project=project, order=1, name="立项", planned_date=dt.date(2026, 1, 10))
        Milestone.objects.create(project=project, order=2, name="环评", planned_date=dt.date(2026, 6, 10))
        return project

    def test_it_adds_changes_and_deletes(self, personas: dict[str, User], project: Project) -> None:
        milestones = list(project.milestones.all())
        data = formset_data(
            milestones,
            extra={"order": "3", "name": "开工", "planned_date": "2026-08-01"},
            changes={0: {"actual_date": "2026-01-09"}, 1: {"DELETE": "on"}},
        )
        response = client_for(personas["reporter"]).post(reverse("projects:milestones", args=[project.pk]), data)
        assert response.status_code == 302
        assert [(m.name, m.actual_date) for m in project.milestones.all()] == [
            ("立项", dt.date(2026, 1, 9)), ("开工", None)
        ]
        actions = sorted(AuditEntry.objects.filter(model="projects.milestone").values_list("action", flat=True))
        assert actions == ["create", "delete", "update"]

    def test_unchanged_forms_write_nothing(self, personas: dict[str, User], project: Project) -> None:
        data = formset_data(list(project.milestones.all()))
        response = client_for(personas["office"]).post(reverse("projects:milestones", args=[project.pk]), data)
        assert response.status_code == 302
        assert not AuditEntry.objects.exists()

    def test_a_future_actual_date_is_refused(self, personas: dict[str, User], project: Project) -> None:
        data = formset_data(list(project.milestones.all()), changes={0: {"actual_date": "2026-06-01"}})
        response = client_for(personas["office"]).post(reverse("projects:milestones", args=[project.pk]), data)
        assert response.status_code == 200
        assert "实际完成日期不能晚于今天。" in response.content.decode()
        assert project.milestones.get(name="立项").actual_date is None

    def test_a_milestone_of_another_project_cannot_be_edited(
        self, personas: dict[str, User], project: Project, make_project: Any
    ) -> None:
        other = make_project()
        foreign = Milestone.objects.create(project=other, order=1, name="外部节点")
        data = formset_data([foreign], changes={0: {"name": "改掉"}})
        response = client_for(personas["office"]).post(reverse("projects:milestones", args=[project.pk]), data)
        foreign.refresh_from_db()
        assert foreign.name == "外部节点"
        assert response.status_code == 200
        assert "有节点已被他人删除或不属于本项目，请刷新页面后重新填写。" in response.content.decode()
        assert not project.milestones.filter(name="改掉").exists()

    def test_a_row_deleted_meanwhile_is_not_recreated(self, personas: dict[str, User], project: Project) -> None:
        milestones = list(project.milestones.all())
        data = formset_data(milestones, changes={1: {"note": "补充说明"}})
        milestones[1].delete()  # someone else deleted it while this page was open
        response = client_for(personas["office"]).post(reverse("projects:milestones", args=[project.pk]), data)
        assert response.status_code == 200
        assert list(project.milestones.values_list("name", flat=True)) == ["立项"]
        # Deleting a row that is already gone is what the user wanted: no complaint.
        data = formset_data(milestones, changes={1: {"DELETE": "on"}})
        response = client_for(personas["office"]).post(reverse("projects:milestones", args=[project.pk]), data)
        assert response.status_code == 302


class TestReverseScheduling:
    @pytest.fixture
    def template(self) -> MilestoneTemplate:
        template = MilestoneTemplate.objects.create(name="产业项目标准流程", project_type="industry")
        for order, (name, days) in enumerate([("立项", 0), ("规划许可", 10), ("施工许可", 15), ("开工", 5)], 1):
            MilestoneTemplateStep.objects.create(template=template, order=order, name=name, duration_workdays=days)
        return template

    def test_it_previews_then_applies(
        self, personas: dict[str, User], template: MilestoneTemplate, make_project: Any
    ) -> None:
        project = make_project()
        kept = Milestone.objects.create(project=project, order=9, name="规划许可", actual_date=dt.date(2026, 5, 6),
                                        note="已取得")
        other = Milestone.objects.create(project=project, order=10, name="自定义节点", planned_date=dt.date(2026, 7, 1))
        client = client_for(personas["reporter"])
        url = reverse("projects:schedule", args=[project.pk])
        # 1 October 2026 is National Day: the last step moves back to the working day before.
        params = {"template": template.pk, "target": "2026-10-01"}
        response = client.post(url, {**params, "preview": "1"})
        assert response.status_code == 200
        preview = response.context["preview"]
        assert [name for name, _day, _known in preview] == ["立项", "规划许可", "施工许可", "开工"]
        assert preview[-1][1] == dt.date(2026, 9, 30)
        calendar = WorkCalendar()
        assert all(calendar.is_workday(day) and known for _name, day, known in preview)
        assert 'id="preview"' in response.content.decode() and 'name="confirm"' in response.content.decode()
        assert project.milestones.count() == 2  # a preview writes nothing
        assert not AuditEntry.objects.exists()

        response = client.post(url, {**params, "confirm": "1"})
        assert response.status_code == 302
        assert response["Location"] == reverse("projects:milestones", args=[project.pk])
        planned = {m.name: m for m in project.milestones.all()}
        assert [(name, planned[name].planned_date) for name, _day, _known in preview] == [
            (name, day) for name, day, _known in preview
        ]
        for step in range(1, 4):  # each gap is the next step's duration in working days
            earlier, later = preview[step - 1][1], preview[step][1]
            assert calendar.add_workdays(earlier, [10, 15, 5][step - 1]) == later
        kept.refresh_from_db()
        assert kept.actual_date == dt.date(2026, 5, 6) and kept.note == "已取得" and kept.order == 2
        other.refresh_from_db()
        assert other.planned_date == dt.date(2026, 7, 1)
        assert AuditEntry.objects.filter(model="projects.milestone", source="schedule").count() == 4

    def test_an_invalid_request_shows_the_errors(self, personas: dict[str, User], make_project: Any) -> None:
        project = make_project()
        response = client_for(personas["office"]).post(reverse("projects:schedule", args=[project.pk]),
                                                       {"target": "not a date", "confirm": "1"})
        assert response.status_code == 200
        assert response.context["preview"] is None
        assert response.context["schedule_form"].errors.keys() == {"template", "target"}
        assert not project.milestones.exists()


# --- monthly progress -----------------------------------------------------------------------

class TestProgress:
    def test_it_adds_last_month_by_default(self, personas: dict[str, User], make_project: Any) -> None:
        project = make_project()
        client = client_for(personas["reporter"])
        url = reverse("projects:progress_new", args=[project.pk])
        form = client.get(url).context["form"]
        assert (form.initial["year"], form.initial["month"]) == (2026, 4)
        response = client.post(url, {"year": "2026", "month": "4", "invested": "321.5", "progress_percent": "40",
                                     "physical_progress": "主体施工", "problems": ""})
        assert response.status_code == 302
        assert response["Location"] == reverse("projects:detail", args=[project.pk]) + "?year=2026#progress"
        report = project.reports.get()
        assert (report.invested, report.reported_by) == (Decimal("321.5"), personas["reporter"])
        assert AuditEntry.objects.filter(model="projects.progressreport", action="create").exists()

    def test_it_edits(self, personas: dict[str, User], make_project: Any) -> None:
        project = make_project()
        report = ProgressReport.objects.create(project=project, year=2026, month=3, invested=Decimal("100"))
        url = reverse("projects:progress_edit", args=[project.pk, report.pk])
        response = client_for(personas["office"]).post(
            url, {"year": "2026", "month": "3", "invested": "150", "progress_percent": "10"}
        )
        assert response.status_code == 302
        report.refresh_from_db()
        assert report.invested == Decimal("150")
        entry = AuditEntry.objects.get(model="projects.progressreport")
        assert entry.changes["本月完成投资(万元)"] == ["100", "150"]
        assert entry.changes["形象进度(%)"] == ["0", "10"]

    def test_a_future_month_is_refused(self, personas: dict[str, User], make_project: Any) -> None:
        project = make_project()
        response = client_for(personas["reporter"]).post(
            reverse("projects:progress_new", args=[project.pk]),
            {"year": "2026", "month": "6", "invested": "1", "progress_percent": "0"},
        )
        assert response.status_code == 200
        assert response.context["form"].errors["month"] == ["不能填报未来月份的进度。"]
        assert not project.reports.exists()

    def test_the_current_month_is_accepted(self, personas: dict[str, User], make_project: Any) -> None:
        project = make_project()
        response = client_for(personas["reporter"]).post(
            reverse("projects:progress_new", args=[project.pk]),
            {"year": "2026", "month": "5", "invested": "1", "progress_percent": "0"},
        )
        assert response.status_code == 302

    def test_a_second_report_for_a_month_is_refused(self, personas: dict[str, User], make_project: Any) -> None:
        project = make_project()
        ProgressReport.objects.create(project=project, year=2026, month=4, invested=Decimal("100"))
        response = client_for(personas["reporter"]).post(
            reverse("projects:progress_new", args=[project.pk]),
            {"year": "2026", "month": "4", "invested": "5", "progress_percent": "0"},
        )
        assert response.status_code == 200
        assert response.context["form"].errors["month"] == ["2026年4月的进度已填报，请修改该月记录。"]
        assert project.reports.get().invested == Decimal("100")

    def test_an_edit_may_keep_its_own_month_but_not_take_another(
        self, personas: dict[str, User], make_project: Any
    ) -> None:
        project = make_project()
        march = ProgressReport.objects.create(project=project, year=2026, month=3, invested=Decimal("100"))
        ProgressReport.objects.create(project=project, year=2026, month=4, invested=Decimal("100"))
        url = reverse("projects:progress_edit", args=[project.pk, march.pk])
        client = client_for(personas["office"])
        response = client.post(url, {"year": "2026", "month": "4", "invested": "1", "progress_percent": "0"})
        assert response.status_code == 200
        assert "2026年4月的进度已填报" in response.content.decode()


# --- the map --------------------------------------------------------------------------------

class TestMap:
    def test_the_page_renders_without_a_tile_url(self, personas: dict[str, User], settings: Any) -> None:
        settings.DIAODU_MAP_TILE_URL = ""
        response = client_for(personas["viewer"]).get(reverse("projects:map"))
        body = response.content.decode()
        assert response.status_code == 200
        assert "未配置底图（DIAODU_MAP_TILE_URL），项目点显示在空白底图上。" in body
        assert '"tiles": ""' in body
        assert "http://" not in body.split('id="map-config"')[1].split("</script>")[0]

    def test_a_configured_tile_url_reaches_the_page(self, personas: dict[str, User], settings: Any) -> None:
        settings.DIAODU_MAP_TILE_URL = "https://tiles.example/{z}/{x}/{y}.png"
        body = client_for(personas["viewer"]).get(reverse("projects:map")).content.decode()
        assert "未配置底图" not in body
        assert "tiles.example" in body

    def test_the_points_have_coordinates_and_colours(
        self, personas: dict[str, User], make_project: Any
    ) -> None:
        reasons = [["red", "施工许可节点逾期 42 天"], ["green", "未安排年度计划投资，不考核投资进度"]]
        red = make_project(latitude=Decimal("36.712345"), longitude=Decimal("119.101"), light="red",
                           light_reasons=reasons)
        make_project(latitude=None, longitude=None)
        points = client_for(personas["viewer"]).get(reverse("projects:map_points")).json()["points"]
        assert points == [{
            "url": reverse("projects:detail", args=[red.pk]), "code": red.code, "name": red.name, "light": "red",
            "reasons": ["施工许可节点逾期 42 天", "未安排年度计划投资，不考核投资进度"],
            "lat": 36.712345, "lng": 119.101,
        }]


# --- the acceptance scenario ----------------------------------------------------------------

def test_an_overdue_milestone_turns_the_light_red_until_it_is_done(
    personas: dict[str, User], make_project: Any, clock: time_machine.Traveller
) -> None:
    """A reporter leaves 施工许可 42 days overdue, sees red with the reason, records it done late: green again."""
    project = make_project(name="东城智能制造产业园", stage="building", actual_start=dt.date(2026, 3, 10))
    Milestone.objects.create(project=project, order=1, name="立项", planned_date=dt.date(2026, 1, 5),
                             actual_date=dt.date(2026, 1, 5))
    Milestone.objects.create(project=project, order=2, name="施工许可", planned_date=dt.date(2026, 4, 3))
    services.lights_refresh_all()  # the nightly refresh
    client = client_for(personas["reporter"])
    detail = reverse("projects:detail", args=[project.pk])

    response = client.get(detail)
    assert response.context["result"].light == "red"
    assert response.context["result"].reasons[0].text == "施工许可节点逾期 42 天"
    assert "施工许可节点逾期 42 天" in response.content.decode()
    ledger = client.get(reverse("projects:ledger"), {"light": "red"})
    assert codes(ledger) == [project.code]
    assert '<span class="reason-red">施工许可节点逾期 42 天</span>' in ledger.content.decode()

    # Four weeks earlier it was only 14 days overdue: yellow. (Another session: going back in
    # time and forth again would expire this one.)
    clock.move_to(dt.datetime(2026, 4, 17, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai")))
    earlier = client_for(personas["reporter"]).get(detail).context["result"]
    assert (earlier.light, earlier.reasons[0].text) == ("yellow", "施工许可节点逾期 14 天")
    clock.move_to(dt.datetime(2026, 5, 15, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai")))

    milestones = list(project.milestones.all())
    data = formset_data(milestones, changes={1: {"actual_date": "2026-05-12"}})
    response = client.post(reverse("projects:milestones", args=[project.pk]), data)
    assert (response.status_code, response["Location"]) == (302, detail)

    project.refresh_from_db()
    assert project.light == "green"
    response = client.get(detail)
    body = response.content.decode()
    assert response.context["result"].light == "green"
    assert "各节点均按期推进" in body
    assert "节点逾期" not in body
    assert "已完成（滞后）" in body
    entry = AuditEntry.objects.get(model="projects.milestone")
    assert (entry.user, entry.changes) == (personas["reporter"], {"实际完成日期": ["", "2026-05-12"]})
    assert codes(client.get(reverse("projects:ledger"), {"light": "red"})) == []


def test_a_project_with_a_supervised_problem_is_not_deleted(personas: dict[str, Any], make_project: Any) -> None:
    import datetime as dt

    from dispatch.models import Problem

    project = make_project()
    Problem.objects.create(
        project=project, description="用地未落实", responsible_unit=project.lead_unit, deadline=dt.date(2026, 12, 1)
    )
    client = Client()
    client.force_login(personas["office"])
    response = client.post(f"/projects/{project.pk}/delete/", follow=True)
    assert response.status_code == 200
    assert "不能删除" in response.content.decode()
    assert Project.objects.filter(pk=project.pk).exists()
