"""Writes to the ledger: what they store, what they record, and the figures derived from them."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from audit.models import AuditEntry
from org.models import Unit, User
from org.workdays import WorkCalendar
from projects import services
from projects.models import (
    AnnualPlan,
    Milestone,
    MilestoneTemplate,
    MilestoneTemplateStep,
    ProgressReport,
    Project,
)

TODAY = dt.date(2026, 5, 15)


# Every test runs with the district clock stopped at 15 May 2026, 10:00 (conftest's clock_at).
pytestmark = pytest.mark.usefixtures("clock")


def entries(**filters: Any) -> list[AuditEntry]:
    return list(AuditEntry.objects.filter(**filters).order_by("id"))


class TestProjectSave:
    def new_project(self, units: dict[str, Unit], **fields: Any) -> Project:
        values: dict[str, Any] = {
            "code": "2026-S-001", "name": "高新区污水处理厂", "level": "province", "project_type": "infrastructure",
            "stage": "preparing", "total_investment": Decimal("12.5"), "planned_start": dt.date(2026, 6, 1),
            "lead_unit": units["gxj"], "town": units["town_a"],
        }
        values.update(fields)
        return Project(**values)

    def test_it_creates_with_a_record(self, personas: dict[str, User], units: dict[str, Unit]) -> None:
        project = services.project_save(by=personas["office"], project=self.new_project(units), source="excel")
        project.refresh_from_db()
        assert project.initials == "gxqwsclc"
        assert (project.light, project.light_as_of) == ("green", TODAY)
        [entry] = entries()
        assert (entry.action, entry.user, entry.source, entry.model) == ("create", personas["office"], "excel",
                                                                         "projects.project")
        assert (entry.subject_model, entry.subject_id) == ("projects.project", str(project.pk))
        assert entry.changes["项目名称"] == ["", "高新区污水处理厂"]
        assert entry.changes["项目级别"] == ["", "省重点"]
        assert entry.changes["牵头单位"] == ["", "工信局"]
        assert entry.changes["总投资(万元)"] == ["", "12.50"]
        assert all(old == "" for old, _new in entry.changes.values())
        assert "initials" not in str(entry.changes) and "红黄绿灯" not in entry.changes

    def test_it_records_only_what_changed(self, personas: dict[str, User], units: dict[str, Unit]) -> None:
        services.project_save(by=personas["office"], project=self.new_project(units))
        project = Project.objects.get(code="2026-S-001")
        project.stage = "building"
        project.actual_start = dt.date(2026, 5, 10)
        project.town = units["town_b"]
        services.project_save(by=personas["reporter"], project=project)
        update = entries(action="update")[0]
        assert update.user == personas["reporter"]
        assert update.changes == {
            "项目阶段": ["前期", "在建"],
            "实际开工日期": ["", "2026-05-10"],
            "属地镇街": ["东城街道", "西山镇"],
        }

    def test_saving_unchanged_values_records_nothing(self, personas: dict[str, User], units: dict[str, Unit]) -> None:
        services.project_save(by=personas["office"], project=self.new_project(units), plans={2026: Decimal("5")})
        before = AuditEntry.objects.count()
        updated_at = Project.objects.get().updated_at
        # As a form or an upload delivers it: the same money written differently.
        again = self.new_project(units, total_investment=Decimal("12.50"))
        again.pk = Project.objects.get().pk
        again.created_at = Project.objects.get().created_at
        services.project_save(by=personas["office"], project=again, plans={2026: Decimal("5.00")})
        assert AuditEntry.objects.count() == before
        assert Project.objects.get().updated_at == updated_at
        loaded = Project.objects.get()
        loaded.total_investment = Decimal("12.5")
        services.project_save(by=personas["office"], project=loaded, plans={2026: Decimal("5")})
        assert AuditEntry.objects.count() == before

    def test_it_adds_changes_and_deletes_plans_with_records(
        self, personas: dict[str, User], units: dict[str, Unit]
    ) -> None:
        by = personas["office"]
        project = services.project_save(by=by, project=self.new_project(units),
                                        plans={2026: Decimal("8"), 2027: None})
        assert list(project.plans.values_list("year", "amount")) == [(2026, Decimal("8"))]
        services.project_save(by=by, project=project, plans={2026: Decimal("9.5"), 2027: Decimal("3")})
        services.project_save(by=by, project=project, plans={2026: None, 2027: Decimal("3")})
        assert list(project.plans.values_list("year", "amount")) == [(2027, Decimal("3"))]
        plan_entries = [(e.action, e.object_repr, e.changes) for e in entries(model="projects.annualplan")]
        assert plan_entries == [
            ("create", "2026-S-001 2026", {"项目": ["", "2026-S-001 高新区污水处理厂"], "年度": ["", "2026"],
                                           "年度计划投资(万元)": ["", "8"]}),
            ("update", "2026-S-001 2026", {"年度计划投资(万元)": ["8", "9.50"]}),
            ("create", "2026-S-001 2027", {"项目": ["", "2026-S-001 高新区污水处理厂"], "年度": ["", "2027"],
                                           "年度计划投资(万元)": ["", "3"]}),
            ("delete", "2026-S-001 2026", {"项目": ["2026-S-001 高新区污水处理厂", ""], "年度": ["2026", ""],
                                           "年度计划投资(万元)": ["9.50", ""]}),
        ]
        # Each plan entry belongs to the project's history.
        assert {e.subject_id for e in entries(model="projects.annualplan")} == {str(project.pk)}

    def test_a_plan_changes_the_light(self, personas: dict[str, User], units: dict[str, Unit]) -> None:
        project = services.project_save(
            by=personas["office"], project=self.new_project(units, stage="building", actual_start=TODAY,
                                                            planned_start=TODAY)
        )
        assert project.light == "green"
        # Schedule on 15 May is 33.3%; nothing invested against a plan is red.
        services.project_save(by=personas["office"], project=project, plans={2026: Decimal("10")})
        project.refresh_from_db()
        assert project.light == "red"
        assert project.light_reasons[0] == ["red", "年度投资完成 0.0%，序时进度 33.3%，落后 33.3 个百分点"]

    def test_delete_keeps_the_last_values(self, personas: dict[str, User], units: dict[str, Unit]) -> None:
        project = services.project_save(by=personas["office"], project=self.new_project(units))
        pk = project.pk
        services.project_delete(by=personas["admin"], project=project)
        assert not Project.objects.filter(pk=pk).exists()
        entry = entries(action="delete")[0]
        assert (entry.user, entry.object_id, entry.subject_id) == (personas["admin"], str(pk), str(pk))
        assert entry.changes["项目名称"] == ["高新区污水处理厂", ""]


class TestNameInitials:
    @pytest.mark.parametrize(
        ("name", "initials"),
        [
            ("高新区污水处理厂", "gxqwsclc"),
            ("5G基站建设项目", "5gjzjsxm"),
            ("ABC 产业园（一期）", "abccyyyq"),
            ("", ""),
        ],
    )
    def test_it_works(self, name: str, initials: str) -> None:
        assert services.name_initials(name) == initials

    def test_it_fits_the_column(self) -> None:
        assert len(services.name_initials("项" * 150)) == 100


class TestLights:
    def test_refresh_all_agrees_with_one_by_one(self, personas: dict[str, User], make_project: Any) -> None:
        green = make_project(stage="building")
        late_start = make_project(stage="preparing", actual_start=None, planned_start=dt.date(2026, 1, 10))
        due = make_project(stage="planning", actual_start=None, planned_start=dt.date(2026, 5, 28))
        behind = make_project()
        AnnualPlan.objects.create(project=behind, year=2026, amount=Decimal("1000"))
        AnnualPlan.objects.create(project=behind, year=2025, amount=Decimal("1"))
        ProgressReport.objects.create(project=behind, year=2026, month=3, invested=Decimal("150"))
        ProgressReport.objects.create(project=behind, year=2025, month=3, invested=Decimal("900"))
        overdue = make_project()
        Milestone.objects.create(project=overdue, name="施工许可", planned_date=dt.date(2026, 5, 1))
        Milestone.objects.create(project=overdue, name="环评", planned_date=dt.date(2026, 3, 1))
        Milestone.objects.create(project=overdue, name="立项", planned_date=dt.date(2026, 1, 1),
                                 actual_date=dt.date(2026, 2, 1))
        projects = [green, late_start, due, behind, overdue]

        counts = services.lights_refresh_all(batch=2)
        assert counts == {"green": 1, "yellow": 2, "red": 2}
        for project in projects:
            project.refresh_from_db()
            expected = services.project_light(project)
            assert project.light == expected.light, project
            assert project.light_reasons == [[r.light, r.text] for r in expected.reasons], project
            assert project.light_as_of == TODAY
        assert late_start.light_reasons[0] == ["red", "计划 2026-01-10 开工，已逾期 4 个月未开工"]
        assert due.light_reasons[0] == ["yellow", "计划 2026-05-28 开工，本月应开工尚未开工"]
        assert behind.light_reasons[0] == ["yellow", "年度投资完成 15.0%，序时进度 33.3%，落后 18.3 个百分点"]
        assert [r[1] for r in overdue.light_reasons[:2]] == ["环评节点逾期 75 天", "施工许可节点逾期 14 天"]

    def test_refresh_all_uses_the_given_date(self, make_project: Any) -> None:
        project = make_project(stage="preparing", actual_start=None, planned_start=dt.date(2026, 5, 28))
        services.lights_refresh_all(as_of=dt.date(2026, 4, 1))
        project.refresh_from_db()
        assert (project.light, project.light_as_of) == ("green", dt.date(2026, 4, 1))


class TestProgressTable:
    def test_it_derives_year_to_date_and_since_start(self, make_project: Any) -> None:
        project = make_project(invested_before=Decimal("1000"))
        AnnualPlan.objects.create(project=project, year=2026, amount=Decimal("1200"))
        for year, month, invested in [(2024, 6, "300"), (2025, 12, "200"), (2026, 1, "100"), (2026, 3, "50.5"),
                                      (2027, 1, "999")]:
            ProgressReport.objects.create(project=project, year=year, month=month, invested=Decimal(invested))
        rows = services.progress_table(project, 2026)
        assert [row["month"] for row in rows] == list(range(1, 13))
        by_month = {row["month"]: row for row in rows}
        assert by_month[1]["ytd"] == Decimal("100")
        assert by_month[1]["since_start"] == Decimal("1600")  # 1000 before + 300 + 200 + 100
        assert by_month[2]["report"] is None
        assert by_month[2]["ytd"] == Decimal("100")  # carried to the last reported month
        assert by_month[2]["since_start"] is None
        assert by_month[3]["ytd"] == Decimal("150.5")
        assert by_month[3]["since_start"] == Decimal("1650.5")
        assert all(by_month[m]["ytd"] is None for m in range(4, 13))
        assert by_month[3]["plan_share"] == Decimal("300.00")
        assert by_month[12]["plan_share"] == Decimal("1200.00")
        # The year-to-date column is the running sum of the month column.
        running = Decimal(0)
        for row in rows[:3]:
            running += row["report"].invested if row["report"] else 0
            assert row["ytd"] == running
        assert project.invested_since_start() == Decimal("2649.5")
        assert project.invested_in_year(2026) == Decimal("150.5")

    def test_a_year_without_plan_or_reports(self, make_project: Any) -> None:
        rows = services.progress_table(make_project(), 2026)
        assert all(row["ytd"] is None and row["plan_share"] is None and row["report"] is None for row in rows)


class TestMilestonesAndProgress:
    @pytest.fixture
    def template(self) -> MilestoneTemplate:
        template = MilestoneTemplate.objects.create(name="标准流程", project_type="industry")
        for order, (name, days) in enumerate([("立项", 0), ("规划许可", 10), ("施工许可", 15), ("开工", 5)], 1):
            MilestoneTemplateStep.objects.create(template=template, order=order, name=name, duration_workdays=days)
        return template

    def test_schedule_apply_keeps_actual_dates_and_records(
        self, personas: dict[str, User], make_project: Any, template: MilestoneTemplate
    ) -> None:
        project = make_project()
        done = Milestone.objects.create(project=project, order=5, name="立项", planned_date=dt.date(2026, 1, 1),
                                        actual_date=dt.date(2026, 1, 20))
        own = Milestone.objects.create(project=project, order=9, name="专家论证", planned_date=dt.date(2026, 2, 2))
        saved = services.schedule_apply(by=personas["office"], project=project, template=template,
                                        target=dt.date(2026, 10, 1))
        assert [m.name for m in saved] == ["立项", "规划许可", "施工许可", "开工"]
        assert saved[-1].planned_date == dt.date(2026, 9, 30)
        calendar = WorkCalendar()
        assert all(calendar.is_workday(m.planned_date) for m in saved)
        done.refresh_from_db()
        assert done.actual_date == dt.date(2026, 1, 20)
        assert (done.order, done.planned_date) == (1, saved[0].planned_date)
        own.refresh_from_db()
        assert (own.order, own.planned_date) == (9, dt.date(2026, 2, 2))
        records = entries(model="projects.milestone")
        assert [e.action for e in records] == ["update", "create", "create", "create"]
        assert records[0].changes == {
            "顺序": ["5", "1"], "计划完成日期": ["2026-01-01", saved[0].planned_date.isoformat()]
        }
        assert {(e.source, e.subject_id, e.user_id) for e in records} == {
            ("schedule", str(project.pk), personas["office"].pk)
        }
        # The same schedule again changes nothing and records nothing.
        services.schedule_apply(by=personas["office"], project=project, template=template,
                                target=dt.date(2026, 10, 1))
        assert len(entries(model="projects.milestone")) == 4

    def test_milestone_save_and_delete(self, personas: dict[str, User], make_project: Any) -> None:
        project = make_project()
        milestone = services.milestone_save(
            by=personas["reporter"], milestone=Milestone(project=project, name="环评", planned_date=dt.date(2026, 4, 1))
        )
        project.refresh_from_db()
        assert project.light == "red"  # 44 days overdue
        same = Milestone.objects.get(pk=milestone.pk)
        services.milestone_save(by=personas["reporter"], milestone=same)
        assert len(entries(model="projects.milestone")) == 1
        same.actual_date = dt.date(2026, 5, 2)
        services.milestone_save(by=personas["reporter"], milestone=same)
        project.refresh_from_db()
        assert project.light == "green"
        services.milestone_delete(by=personas["office"], milestone=same)
        assert [e.action for e in entries(model="projects.milestone")] == ["create", "update", "delete"]
        assert entries(action="delete")[0].changes["节点名称"] == ["环评", ""]

    def test_progress_save(self, personas: dict[str, User], make_project: Any) -> None:
        project = make_project()
        AnnualPlan.objects.create(project=project, year=2026, amount=Decimal("100"))
        services.project_light_refresh(project)
        assert project.light == "red"
        report = services.progress_save(
            by=personas["reporter"],
            report=ProgressReport(project=project, year=2026, month=4, invested=Decimal("30.10")),
        )
        assert report.reported_by == personas["reporter"]
        project.refresh_from_db()
        assert project.light == "green"  # 30.1% against 33.3%
        again = ProgressReport.objects.get(pk=report.pk)
        again.invested = Decimal("30.1")
        services.progress_save(by=personas["office"], report=again)
        assert len(entries(model="projects.progressreport")) == 1
        assert ProgressReport.objects.get().reported_by == personas["reporter"]
