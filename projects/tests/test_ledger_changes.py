"""Who changes the ledger (issue 6: scope escape, hard delete of frozen history).

Only the office moves a project to another lead unit, changes its level, total investment or
planned dates, and puts it in or takes it out of the ledger. Units propose (入库), ask for
changes (调整) and withdrawals (退库); the office decides. A project with reported months is
withdrawn, never deleted, and everything it reported keeps pointing to it.
"""
from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from audit.models import AuditEntry
from conftest import client_for
from core.models import Period
from dispatch.models import ProjectSnapshot, UnitReport
from dispatch.periods.services import reportable_projects
from org.models import Unit, User
from projects import services
from projects.forms import ProjectForm
from projects.models import AnnualPlan, LedgerState, Milestone, ProgressReport, Project, ProjectChange

# Every test runs with the district clock stopped at 15 May 2026, 10:00 (conftest's clock_at).
pytestmark = pytest.mark.usefixtures("clock")


def edit_data(project: Project, **overrides: Any) -> dict[str, Any]:
    """The edit form's data for ``project`` as it stands, with ``overrides``."""
    data: dict[str, Any] = {
        "code": project.code, "name": project.name, "level": project.level, "project_type": project.project_type,
        "stage": project.stage, "construction": project.construction, "total_investment": str(project.total_investment),
        "invested_before": str(project.invested_before), "lead_unit": str(project.lead_unit_id),
        "town": str(project.town_id or ""), "planned_start": project.planned_start or "",
        "planned_completion": project.planned_completion or "", "actual_start": project.actual_start or "",
    }
    data.update(overrides)
    return data


def new_project_data(units: dict[str, Unit], **overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "code": "2026-P-001", "name": "省重点储能项目", "level": "province", "project_type": "industry",
        "stage": "planning", "construction": "new", "total_investment": "900000", "invested_before": "0",
        "lead_unit": str(units["town_a"].pk), "town": str(units["town_a"].pk), "reason": "招商引资新签约项目",
    }
    data.update(overrides)
    return data


def open_period(year: int = 2026, month: int = 4, **fields: Any) -> Period:
    return Period.objects.create(year=year, month=month, opens_on=dt.date(year, month, 1),
                                 deadline=dt.date(year, month, 25), **fields)


# --- scope escape ---------------------------------------------------------------------------

class TestOnlyTheOfficeMovesAProject:
    def test_the_reporters_form_does_not_take_the_office_fields(
        self, personas: dict[str, User], units: dict[str, Unit], make_project: Any
    ) -> None:
        project = make_project(lead_unit=units["town_a"], town=units["town_a"])
        data = edit_data(project, lead_unit=str(units["gxj"].pk), level="province", total_investment="900000",
                         planned_start="2027-01-01", planned_completion="2028-01-01")
        form = ProjectForm(data, instance=project, user=personas["reporter"], year=2026)
        for name in ("lead_unit", "level", "total_investment", "planned_start", "planned_completion"):
            assert form.fields[name].disabled, name
        assert form.is_valid(), form.errors
        saved = form.save(commit=False)
        assert saved.lead_unit_id == units["town_a"].pk
        assert saved.level == "district"
        assert saved.total_investment == Decimal("10000")
        assert saved.planned_start == dt.date(2026, 3, 1)
        # The office's form takes them.
        office_form = ProjectForm(data, instance=Project.objects.get(pk=project.pk), user=personas["office"],
                                  year=2026)
        assert not office_form.fields["lead_unit"].disabled
        assert office_form.is_valid(), office_form.errors
        assert office_form.save(commit=False).lead_unit_id == units["gxj"].pk

    def test_a_crafted_post_cannot_move_a_project_out_of_a_submitted_report(
        self, personas: dict[str, User], units: dict[str, Unit], make_project: Any
    ) -> None:
        # The attack from the issue: move the project to another unit, then write its progress.
        project = make_project(lead_unit=units["town_a"], town=units["town_a"])
        period = open_period()
        UnitReport.objects.create(period=period, unit=units["town_a"], state=UnitReport.State.SUBMITTED)
        client = client_for(personas["reporter"])
        response = client.post(reverse("projects:edit", args=[project.pk]),
                               edit_data(project, lead_unit=str(units["gxj"].pk), name="改名"))
        assert response.status_code == 302
        project.refresh_from_db()
        assert project.lead_unit_id == units["town_a"].pk
        assert project.name == "改名"  # the rest of the form is saved as before
        report = ProgressReport(project=project, year=2026, month=4, invested=Decimal("1"))
        with pytest.raises(ValidationError, match="已报送"):
            services.progress_save(by=personas["reporter"], report=report)
        assert not ProgressReport.objects.filter(project=project).exists()

    def test_the_service_refuses_a_unit_changing_office_fields(
        self, personas: dict[str, User], units: dict[str, Unit], make_project: Any
    ) -> None:
        project = make_project(lead_unit=units["town_a"], town=units["town_a"])
        for name, value in [("lead_unit", units["gxj"]), ("level", "province"),
                            ("total_investment", Decimal("900000")), ("planned_completion", dt.date(2030, 1, 1))]:
            changed = Project.objects.get(pk=project.pk)
            setattr(changed, name, value)
            with pytest.raises(ValidationError, match="只有项目办可以修改"):
                services.project_save(by=personas["reporter"], project=changed)
        changed = Project.objects.get(pk=project.pk)
        changed.ledger_state = LedgerState.WITHDRAWN
        with pytest.raises(ValidationError, match="纳入或移出项目库"):
            services.project_save(by=personas["reporter"], project=changed)
        assert Project.objects.get(pk=project.pk).lead_unit_id == units["town_a"].pk

    def test_the_office_cannot_move_a_project_in_a_submitted_report_until_it_is_returned(
        self, personas: dict[str, User], units: dict[str, Unit], make_project: Any
    ) -> None:
        project = make_project(lead_unit=units["town_a"], town=units["town_a"])
        period = open_period()
        unit_report = UnitReport.objects.create(period=period, unit=units["town_a"],
                                                state=UnitReport.State.APPROVED)
        client = client_for(personas["office"])
        url = reverse("projects:edit", args=[project.pk])
        response = client.post(url, edit_data(project, lead_unit=str(units["gxj"].pk)))
        assert response.status_code == 200
        body = response.content.decode()
        assert "东城街道2026年4月的月报已审核，不能调入或调出项目；请先由项目办退回该月报，再调整牵头单位。" in body
        project.refresh_from_db()
        assert project.lead_unit_id == units["town_a"].pk
        # Nor into a unit whose report is handed in.
        other = make_project(lead_unit=units["gxj"], town=units["town_a"])
        moved = Project.objects.get(pk=other.pk)
        moved.lead_unit = units["town_a"]
        with pytest.raises(ValidationError, match="不能调入或调出"):
            services.project_save(by=personas["office"], project=moved)
        # Once returned, the office moves it.
        UnitReport.objects.filter(pk=unit_report.pk).update(state=UnitReport.State.RETURNED)
        response = client.post(url, edit_data(project, lead_unit=str(units["gxj"].pk)))
        assert response.status_code == 302
        project.refresh_from_db()
        assert project.lead_unit_id == units["gxj"].pk

    def test_a_published_period_does_not_block_a_move(
        self, personas: dict[str, User], units: dict[str, Unit], make_project: Any
    ) -> None:
        project = make_project(lead_unit=units["town_a"], town=units["town_a"])
        period = open_period(state=Period.State.PUBLISHED)
        UnitReport.objects.create(period=period, unit=units["town_a"], state=UnitReport.State.APPROVED)
        project.lead_unit = units["gxj"]
        services.project_save(by=personas["office"], project=project)
        assert Project.objects.get(pk=project.pk).lead_unit_id == units["gxj"].pk


# --- 入库 ------------------------------------------------------------------------------------

class TestAUnitsNewProjectIsAProposal:
    def test_it_stays_out_of_the_ledger_until_the_office_approves(
        self, personas: dict[str, User], units: dict[str, Unit]
    ) -> None:
        reporter = client_for(personas["reporter"])
        response = reporter.post(reverse("projects:create"),
                                 new_project_data(units, latitude="36.7", longitude="119.1"))
        project = Project.objects.get(code="2026-P-001")
        assert response.status_code == 302
        assert project.ledger_state == LedgerState.PROPOSED
        assert "已提交项目 省重点储能项目 的入库申请" in reporter.get(response["Location"]).content.decode()
        change = ProjectChange.objects.get(project=project)
        assert (change.kind, change.state, change.reason, change.requested_by) == (
            "enter", "pending", "招商引资新签约项目", personas["reporter"]
        )
        # Not listed, not mapped, not reported, not counted.
        for role in ("reporter", "office", "viewer"):
            client = client_for(personas[role])
            ledger = client.get(reverse("projects:ledger"))
            assert ledger.context["count"] == 0, role
            assert ledger.context["totals"]["total"] is None, role
            assert client.get(reverse("projects:map_points")).json()["points"] == [], role
        assert not reportable_projects().filter(pk=project.pk).exists()
        # The unit sees its request and its state.
        assert "省重点储能项目" in reporter.get(reverse("projects:changes")).content.decode()
        # The office approves: in the ledger, audited.
        office = client_for(personas["office"])
        assert "省重点储能项目" in office.get(reverse("projects:changes")).content.decode()
        response = office.post(reverse("projects:change_decide", args=[change.pk]),
                               {"decision": "approve", "version": change.version, "note": "同意"})
        assert response.status_code == 302
        project.refresh_from_db()
        change.refresh_from_db()
        assert project.ledger_state == LedgerState.ACTIVE
        assert (change.state, change.decided_by, change.decision_note) == ("approved", personas["office"], "同意")
        assert reportable_projects().filter(pk=project.pk).exists()
        assert client_for(personas["viewer"]).get(reverse("projects:ledger")).context["count"] == 1
        entry = AuditEntry.objects.filter(model="projects.project", object_id=str(project.pk),
                                          action="update").get()
        assert entry.user == personas["office"]
        assert entry.changes["入库状态"] == ["待审核入库", "在库"]
        assert AuditEntry.objects.filter(model="projects.projectchange", object_id=str(change.pk)).count() == 2

    def test_a_reason_is_required(self, personas: dict[str, User], units: dict[str, Unit]) -> None:
        response = client_for(personas["reporter"]).post(reverse("projects:create"),
                                                         new_project_data(units, reason=""))
        assert response.status_code == 200
        assert "reason" in response.context["form"].errors
        assert not Project.objects.exists()

    def test_a_rejected_proposal_stays_out_with_the_reasons(
        self, personas: dict[str, User], units: dict[str, Unit]
    ) -> None:
        client_for(personas["reporter"]).post(reverse("projects:create"), new_project_data(units))
        change = ProjectChange.objects.get()
        office = client_for(personas["office"])
        url = reverse("projects:change_decide", args=[change.pk])
        office.post(url, {"decision": "reject", "version": change.version, "note": ""})
        change.refresh_from_db()
        assert change.state == "pending"  # a rejection needs the office's reasons
        office.post(url, {"decision": "reject", "version": change.version, "note": "投资额与立项批复不符"})
        change.refresh_from_db()
        assert (change.state, change.decision_note) == ("rejected", "投资额与立项批复不符")
        assert Project.objects.get().ledger_state == LedgerState.REJECTED
        assert client_for(personas["office"]).get(reverse("projects:ledger")).context["count"] == 0
        # A proposal never reported may be deleted by the office (a refused entry, a mistake).
        services.project_delete(by=personas["office"], project=Project.objects.get())
        assert not Project.objects.exists()

    def test_a_stale_decision_is_refused(self, personas: dict[str, User], units: dict[str, Unit]) -> None:
        client_for(personas["reporter"]).post(reverse("projects:create"), new_project_data(units))
        change = ProjectChange.objects.get()
        stale = change.version
        services.project_change_reject(by=personas["admin"], change=change, version=stale, note="重复申报")
        response = client_for(personas["office"]).post(
            reverse("projects:change_decide", args=[change.pk]), {"decision": "approve", "version": stale}, follow=True
        )
        assert "该申请刚刚已被他人处理，请刷新页面查看最新状态。" in response.content.decode()
        assert Project.objects.get().ledger_state == LedgerState.REJECTED
        assert ProjectChange.objects.get().decided_by == personas["admin"]

    def test_a_unit_sees_only_its_own_requests(
        self, personas: dict[str, User], units: dict[str, Unit], make_project: Any
    ) -> None:
        elsewhere = make_project(name="西山镇的项目", lead_unit=units["town_b"], town=units["town_b"])
        services.project_change_request(by=personas["other_reporter"], project=elsewhere,
                                        kind=ProjectChange.Kind.WITHDRAW, reason="不再实施")
        body = client_for(personas["reporter"]).get(reverse("projects:changes")).content.decode()
        assert "西山镇的项目" not in body
        assert "西山镇的项目" in client_for(personas["office"]).get(reverse("projects:changes")).content.decode()

    def test_the_office_creates_directly(self, personas: dict[str, User], units: dict[str, Unit]) -> None:
        response = client_for(personas["office"]).post(reverse("projects:create"), new_project_data(units))
        assert response.status_code == 302
        assert Project.objects.get().ledger_state == LedgerState.ACTIVE
        assert not ProjectChange.objects.exists()


# --- 调整 ------------------------------------------------------------------------------------

def test_an_adjustment_applies_when_the_office_approves(
    personas: dict[str, User], units: dict[str, Unit], make_project: Any
) -> None:
    project = make_project(lead_unit=units["town_a"], town=units["town_a"])
    reporter = client_for(personas["reporter"])
    url = reverse("projects:adjust", args=[project.pk])
    same = {"level": "district", "total_investment": "10000", "planned_start": "2026-03-01",
            "planned_completion": "", "reason": "无变化"}
    response = reporter.post(url, same)
    assert "申请的数值与现有数值相同" in response.content.decode()
    response = reporter.post(url, {**same, "level": "city", "total_investment": "12000.5", "reason": "列入市重点"})
    assert response.status_code == 302
    change = ProjectChange.objects.get()
    assert change.proposed == {"level": "city", "total_investment": "12000.50"}
    assert change.current == {"level": "district", "total_investment": "10000.00"}
    project.refresh_from_db()
    assert (project.level, project.total_investment) == ("district", Decimal("10000"))
    body = client_for(personas["office"]).get(reverse("projects:changes")).content.decode()
    assert "区重点 → 市重点" in body and "列入市重点" in body
    services.project_change_approve(by=personas["office"], change=change, version=change.version)
    project.refresh_from_db()
    assert (project.level, project.total_investment) == ("city", Decimal("12000.50"))
    entry = AuditEntry.objects.filter(model="projects.project", object_id=str(project.pk)).latest("id")
    assert entry.user == personas["office"] and entry.source == "change"
    assert set(entry.changes) == {"项目级别", "总投资(万元)"}
    assert entry.changes["项目级别"] == ["区重点", "市重点"]
    assert entry.changes["总投资(万元)"][1] == "12000.50"


# --- 退库 and delete -------------------------------------------------------------------------

@pytest.fixture
def history(personas: dict[str, User], units: dict[str, Unit], make_project: Any) -> dict[str, Any]:
    """A project with published months, milestones, a plan and snapshots."""
    project = make_project(lead_unit=units["town_a"], town=units["town_a"])
    AnnualPlan.objects.create(project=project, year=2026, amount=Decimal("5000"))
    Milestone.objects.create(project=project, order=1, name="立项", planned_date=dt.date(2026, 1, 10))
    for month in (1, 2, 3):
        period = open_period(month=month, state=Period.State.PUBLISHED)
        ProgressReport.objects.create(project=project, year=2026, month=month, invested=Decimal("100"), period=period)
        ProjectSnapshot.objects.create(period=period, project=project, code=project.code, data={"name": project.name})
    return {"project": project}


class TestPublishedHistoryIsNeverDestroyed:
    def test_deleting_a_project_with_reported_months_is_refused(
        self, personas: dict[str, User], history: dict[str, Any]
    ) -> None:
        project = history["project"]
        response = client_for(personas["office"]).post(reverse("projects:delete", args=[project.pk]), follow=True)
        assert "已有月度进度记录，历史数据不能删除；如项目不再调度，请办理退库。" in response.content.decode()
        assert Project.objects.filter(pk=project.pk).exists()
        assert ProgressReport.objects.filter(project=project).count() == 3
        assert Milestone.objects.filter(project=project).count() == 1

    def test_a_withdrawn_project_keeps_everything_it_reported(
        self, personas: dict[str, User], history: dict[str, Any]
    ) -> None:
        project = history["project"]
        office = client_for(personas["office"])
        url = reverse("projects:withdraw", args=[project.pk])
        assert "reason" in office.post(url, {"reason": ""}).context["form"].errors
        response = office.post(url, {"reason": "项目业主放弃建设"})
        assert response.status_code == 302
        project.refresh_from_db()
        assert project.ledger_state == LedgerState.WITHDRAWN
        assert (project.withdrawn_on, project.withdrawn_by, project.withdrawal_reason) == (
            dt.date(2026, 5, 15), personas["office"], "项目业主放弃建设"
        )
        assert ProgressReport.objects.filter(project=project).count() == 3
        assert Milestone.objects.filter(project=project).count() == 1
        assert AnnualPlan.objects.filter(project=project).count() == 1
        assert list(ProjectSnapshot.objects.values_list("project_id", flat=True)) == [project.pk] * 3
        entry = AuditEntry.objects.filter(model="projects.project", object_id=str(project.pk)).latest("id")
        assert entry.user == personas["office"]
        assert entry.changes["入库状态"] == ["在库", "已退库"]
        assert entry.changes["退库原因"] == ["", "项目业主放弃建设"]
        # Out of the default ledger, the map and new periods; a filter shows it, marked.
        assert office.get(reverse("projects:ledger")).context["count"] == 0
        response = office.get(reverse("projects:ledger"), {"ledger_state": "withdrawn"})
        assert [p.pk for p in response.context["page"]] == [project.pk]
        assert "已退库" in response.content.decode()
        assert office.get(reverse("projects:ledger"), {"ledger_state": "all"}).context["count"] == 1
        assert not reportable_projects().filter(pk=project.pk).exists()
        detail = office.get(reverse("projects:detail", args=[project.pk])).content.decode()
        assert "2026-05-15 由 office 办理退库，原因：项目业主放弃建设" in detail
        # The unit can no longer write to it.
        reporter = client_for(personas["reporter"])
        assert reporter.get(reverse("projects:edit", args=[project.pk])).status_code == 403
        assert reporter.get(reverse("projects:progress_new", args=[project.pk])).status_code == 403

    def test_a_unit_asks_and_the_office_withdraws(self, personas: dict[str, User], history: dict[str, Any]) -> None:
        project = history["project"]
        response = client_for(personas["reporter"]).post(reverse("projects:withdraw", args=[project.pk]),
                                                         {"reason": "规划调整，不再建设"})
        assert response.status_code == 302
        assert Project.objects.get(pk=project.pk).ledger_state == LedgerState.ACTIVE
        change = ProjectChange.objects.get()
        assert (change.kind, change.state) == ("withdraw", "pending")
        services.project_change_approve(by=personas["office"], change=change, version=change.version)
        project.refresh_from_db()
        assert project.ledger_state == LedgerState.WITHDRAWN
        assert project.withdrawal_reason == "规划调整，不再建设"

    def test_a_project_in_a_submitted_report_is_not_withdrawn(
        self, personas: dict[str, User], units: dict[str, Unit], history: dict[str, Any]
    ) -> None:
        project = history["project"]
        UnitReport.objects.create(period=open_period(month=4), unit=units["town_a"], state=UnitReport.State.SUBMITTED)
        response = client_for(personas["office"]).post(reverse("projects:withdraw", args=[project.pk]),
                                                       {"reason": "放弃"})
        assert response.status_code == 200
        assert "其中包含本项目，暂不能退库" in response.content.decode()
        assert Project.objects.get(pk=project.pk).ledger_state == LedgerState.ACTIVE

    def test_only_the_office_deletes_a_project_never_reported(
        self, personas: dict[str, User], make_project: Any
    ) -> None:
        project = make_project()
        with pytest.raises(PermissionDenied):
            services.project_delete(by=personas["reporter"], project=project)
        services.project_delete(by=personas["office"], project=project)
        assert not Project.objects.filter(pk=project.pk).exists()
        assert AuditEntry.objects.filter(model="projects.project", object_id=str(project.pk), action="delete").exists()


# --- import buttons -------------------------------------------------------------------------

def test_only_those_who_may_import_see_the_import_buttons(personas: dict[str, User]) -> None:
    template = reverse("projects:excel_template")
    upload = reverse("projects:excel_import")
    for role, shown in [("viewer", False), ("leader", False), ("reporter", True), ("office", True)]:
        body = client_for(personas[role]).get(reverse("projects:ledger")).content.decode()
        assert (template in body) is shown, role
        assert (upload in body) is shown, role
