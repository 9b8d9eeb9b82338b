"""Corrections to a published period: filed by the unit or the office, decided by the office, snapshot untouched."""
from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.urls import reverse

from audit.models import AuditEntry
from conftest import client_for
from core.models import Notification, Period
from dispatch.models import CorrectionRequest, ProjectSnapshot
from dispatch.periods import services
from dispatch.periods.services import ConcurrentChange, DispatchError
from dispatch.review import corrections
from org.models import Unit, User
from projects import services as project_services
from projects.models import AnnualPlan, ProgressReport, Project

PENDING, APPROVED, REJECTED = (
    CorrectionRequest.State.PENDING, CorrectionRequest.State.APPROVED, CorrectionRequest.State.REJECTED
)


def first_message(response: Any) -> str:
    return str(next(iter(response.context["messages"])))


@pytest.fixture
def published(personas: dict[str, User], units: dict[str, Unit], make_project: Any) -> dict[str, Any]:
    """February 2026 published, with a report of a project led and located in 东城街道 (town_a)."""
    project = make_project(lead_unit=units["town_a"], town=units["town_a"])
    AnnualPlan.objects.create(project=project, year=2026, amount=Decimal("1200"))
    office = personas["office"]
    period = services.period_open(year=2026, month=2, by=office)
    report = project_services.progress_save(
        by=personas["reporter"],
        report=ProgressReport(project=project, year=2026, month=2, invested=Decimal("70"), progress_percent=20,
                              physical_progress="基础施工", problems=""),
    )
    period = services.period_close(period=period, by=office)
    period = services.period_publish(period=period, by=office, reason="东城街道月报未审核，先行发布")
    report.refresh_from_db()
    return {"project": project, "period": period, "report": report}


def _file(published: dict[str, Any], by: User, **changes: Any) -> CorrectionRequest:
    return corrections.correction_request(report=published["report"], changes=changes, reason="统计口径有误", by=by)


# --- filing ---------------------------------------------------------------------------------------

def test_the_unit_files_a_correction_through_the_page(published: dict[str, Any], personas: dict[str, User]) -> None:
    report = published["report"]
    client = client_for(personas["reporter"])
    url = reverse("dispatch:correction_new", args=[report.pk])
    response = client.get(url)
    assert response.status_code == 200
    assert response.context["published"] is True
    assert response.context["form"].initial["invested"] == "70.00"
    assert "快照" in response.content.decode()
    response = client.post(url, {"invested": "75.5", "progress_percent": "20", "physical_progress": "基础施工",
                                 "problems": "", "reason": "漏报一笔设备款"})
    assert response.status_code == 302
    item = CorrectionRequest.objects.get()
    assert (item.state, item.changes, item.reason, item.requested_by) == (
        PENDING, {"invested": "75.50"}, "漏报一笔设备款", personas["reporter"]
    )
    # Nothing changes until the office decides.
    report.refresh_from_db()
    assert report.invested == Decimal("70.00")
    # The request is in the project's history and the office is told.
    entry = AuditEntry.objects.get(model="dispatch.correctionrequest")
    assert (entry.subject_model, entry.subject_id, entry.source) == (
        "projects.project", str(published["project"].pk), "correction"
    )
    assert Notification.objects.filter(user=personas["office"], text__contains="更正申请").exists()


def test_filing_needs_a_change_and_a_reason(published: dict[str, Any], personas: dict[str, User]) -> None:
    url = reverse("dispatch:correction_new", args=[published["report"].pk])
    client = client_for(personas["reporter"])
    same = {"invested": "70", "progress_percent": "20", "physical_progress": "基础施工", "problems": "", "reason": "x"}
    response = client.post(url, same)
    assert response.status_code == 200
    assert "没有需要更正" in str(response.context["form"].non_field_errors())
    response = client.post(url, {**same, "invested": "80", "reason": ""})
    assert "reason" in response.context["form"].errors
    response = client.post(url, {**same, "progress_percent": "120"})
    assert "progress_percent" in response.context["form"].errors
    assert not CorrectionRequest.objects.exists()


def test_who_may_file(published: dict[str, Any], personas: dict[str, User]) -> None:
    url = reverse("dispatch:correction_new", args=[published["report"].pk])
    assert client_for(personas["other_reporter"]).get(url).status_code == 404
    for role in ("leader", "viewer"):
        assert client_for(personas[role]).get(url).status_code == 403
    assert client_for(personas["office"]).get(url).status_code == 200
    assert client_for(personas["office"]).get(reverse("dispatch:correction_new", args=[999999])).status_code == 404


def test_an_unpublished_report_is_edited_directly(
    personas: dict[str, User], units: dict[str, Unit], make_project: Any
) -> None:
    project = make_project(lead_unit=units["town_a"])
    report = ProgressReport.objects.create(project=project, year=2026, month=5, invested=Decimal("1"))
    client = client_for(personas["reporter"])
    url = reverse("dispatch:correction_new", args=[report.pk])
    response = client.get(url)
    assert response.context["published"] is False
    assert reverse("projects:progress_edit", args=[project.pk, report.pk]) in response.content.decode()
    client.post(url, {"invested": "5", "progress_percent": "0", "reason": "x"})
    assert not CorrectionRequest.objects.exists()
    with pytest.raises(DispatchError, match="尚未发布"):
        corrections.correction_request(report=report, changes={"invested": "5"}, reason="x", by=personas["office"])


def test_the_service_refuses_what_is_not_a_correction(published: dict[str, Any], personas: dict[str, User]) -> None:
    with pytest.raises(DispatchError, match="不能更正"):
        _file(published, personas["office"], project_id=3)
    with pytest.raises(DispatchError, match="不是数字"):
        _file(published, personas["office"], invested="七十")
    with pytest.raises(DispatchError, match="负数"):
        _file(published, personas["office"], invested="-1")
    with pytest.raises(DispatchError, match="应在 0 至 100 之间"):  # the shared rule's words (projects.rules)
        _file(published, personas["office"], progress_percent="101")
    with pytest.raises(DispatchError, match="理由"):
        corrections.correction_request(report=published["report"], changes={"invested": "1"}, reason=" ",
                                       by=personas["office"])
    assert not CorrectionRequest.objects.exists()


# --- deciding ---------------------------------------------------------------------------------------

def test_approval_changes_the_live_report_not_the_snapshot(
    published: dict[str, Any], personas: dict[str, User]
) -> None:
    project, report, period = published["project"], published["report"], published["period"]
    snapshot_before = ProjectSnapshot.objects.get(period=period, project=project).data
    item = _file(published, personas["reporter"], invested="90", progress_percent="25", problems="设备未到")
    Project.objects.filter(pk=project.pk).update(light="green", light_reasons=[], light_as_of=None)
    client = client_for(personas["office"])
    response = client.post(reverse("dispatch:correction_decide", args=[item.pk]),
                           {"decision": "approve", "note": "同意"}, follow=True)
    assert [m.level_tag for m in response.context["messages"]] == ["success"]
    item.refresh_from_db()
    assert (item.state, item.decided_by, item.decision_note) == (APPROVED, personas["office"], "同意")
    report.refresh_from_db()
    assert (report.invested, report.progress_percent, report.problems, report.physical_progress) == (
        Decimal("90.00"), 25, "设备未到", "基础施工"
    )
    # The published snapshot is as it was: February's bulletin stays reproducible.
    assert ProjectSnapshot.objects.get(period=period, project=project).data == snapshot_before
    assert snapshot_before["invested_period"] == "70.00"
    # Recorded in the project's history, with the old and new values.
    entry = AuditEntry.objects.get(model="projects.progressreport", source="correction")
    assert entry.subject_id == str(project.pk) and entry.user == personas["office"]
    assert entry.changes["本月完成投资(万元)"] == ["70", "90"]
    decision = AuditEntry.objects.filter(model="dispatch.correctionrequest", action="update").get()
    assert decision.changes["状态"] == ["待审批", "已批准"]
    # The live light follows the corrected figures.
    project.refresh_from_db()
    assert project.light_as_of is not None
    assert project.light == project_services.project_light(project).light
    # The one who asked is told.
    assert Notification.objects.filter(user=personas["reporter"], text__contains="已批准").exists()
    # The project page lists the request and the decision.
    html = client.get(reverse("projects:detail", args=[project.pk])).content.decode()
    assert '<span class="muted">更正</span>' in html and "统计口径有误" in html  # the source by its label


def test_rejection_needs_a_note_and_changes_nothing(published: dict[str, Any], personas: dict[str, User]) -> None:
    item = _file(published, personas["reporter"], invested="90")
    client = client_for(personas["office"])
    url = reverse("dispatch:correction_decide", args=[item.pk])
    response = client.post(url, {"decision": "reject", "note": ""}, follow=True)
    assert "意见" in first_message(response)
    item.refresh_from_db()
    assert item.state == PENDING
    client.post(url, {"decision": "reject", "note": "附件不全"}, follow=True)
    item.refresh_from_db()
    assert (item.state, item.decision_note) == (REJECTED, "附件不全")
    published["report"].refresh_from_db()
    assert published["report"].invested == Decimal("70.00")
    assert Notification.objects.filter(user=personas["reporter"], text__contains="附件不全").exists()
    response = client.post(url, {"decision": "maybe"}, follow=True)
    assert "批准或驳回" in first_message(response)


def test_a_request_is_decided_once(published: dict[str, Any], personas: dict[str, User]) -> None:
    item = _file(published, personas["reporter"], invested="90")
    stale = CorrectionRequest.objects.get(pk=item.pk)
    corrections.correction_reject(request=item, by=personas["office"], note="不同意")
    with pytest.raises(ConcurrentChange, match="已驳回"):
        corrections.correction_approve(request=stale, by=personas["admin"])
    published["report"].refresh_from_db()
    assert published["report"].invested == Decimal("70.00")
    response = client_for(personas["admin"]).post(
        reverse("dispatch:correction_decide", args=[item.pk]), {"decision": "approve"}, follow=True
    )
    assert "已驳回" in first_message(response)


def test_only_the_office_decides(published: dict[str, Any], personas: dict[str, User]) -> None:
    item = _file(published, personas["reporter"], invested="90")
    for role in ("leader", "viewer", "reporter", "other_reporter"):
        response = client_for(personas[role]).post(
            reverse("dispatch:correction_decide", args=[item.pk]), {"decision": "approve"}
        )
        assert response.status_code == 403, role
    item.refresh_from_db()
    assert item.state == PENDING


def test_the_corrections_page(
    published: dict[str, Any], personas: dict[str, User], units: dict[str, Unit], make_project: Any
) -> None:
    mine = _file(published, personas["reporter"], invested="90")
    elsewhere = make_project(lead_unit=units["town_b"], town=units["town_b"])
    other_report = ProgressReport.objects.create(project=elsewhere, year=2026, month=2, invested=Decimal("3"),
                                                 period=published["period"])
    theirs = corrections.correction_request(report=other_report, changes={"problems": "新问题"}, reason="补报",
                                            by=personas["other_reporter"])
    office_page = client_for(personas["office"]).get(reverse("dispatch:corrections"))
    assert {i["request"].pk for i in office_page.context["items"]} == {mine.pk, theirs.pk}
    html = office_page.content.decode()
    assert "70.00 → 90.00" in html
    assert reverse("dispatch:correction_decide", args=[mine.pk]) in html
    reporter_page = client_for(personas["reporter"]).get(reverse("dispatch:corrections"))
    assert [i["request"].pk for i in reporter_page.context["items"]] == [mine.pk]
    assert reverse("dispatch:correction_decide", args=[mine.pk]) not in reporter_page.content.decode()
    corrections.correction_approve(request=mine, by=personas["office"])
    pending = client_for(personas["office"]).get(reverse("dispatch:corrections"), {"state": "pending"})
    assert [i["request"].pk for i in pending.context["items"]] == [theirs.pk]


def test_approving_refuses_a_report_whose_period_is_not_published(
    published: dict[str, Any], personas: dict[str, User]
) -> None:
    item = _file(published, personas["reporter"], invested="90")
    # Should a period ever be unpublished by hand, the request cannot bypass the normal path.
    Period.objects.filter(pk=published["period"].pk).update(state=Period.State.CLOSED)
    with pytest.raises(DispatchError, match="尚未发布"):
        corrections.correction_approve(request=item, by=personas["office"])
    item.refresh_from_db()
    assert item.state == PENDING


def test_an_approved_correction_counts_as_reviewed(published: dict[str, Any], personas: dict[str, User]) -> None:
    """The unit's own figures were unreviewed; once the office approves a correction, they are the office's."""
    report = published["report"]
    assert report.approved is False
    item = _file(published, personas["reporter"], invested="80")
    corrections.correction_approve(request=item, by=personas["office"])
    report.refresh_from_db()
    assert (report.invested, report.approved) == (Decimal("80.00"), True)
