"""Publishing tells the truth: an early or incomplete publication is the office's decision with a
reason, units not reported are named, and every figure is as of the snapshot's moment.

The district: December 2026 (deadline 25 December, rule day:25) published on 2 December 2026.
工信局 approved, 发改局 submitted but not reviewed, 东城街道 returned, 西山镇 never submitted.
"""
from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import docx
import pytest
import time_machine
from django.db.models import ProtectedError
from django.test import Client, override_settings
from django.urls import reverse

from audit.models import AuditEntry
from core.models import Period
from dispatch.bulletins.docx import bulletin_docx
from dispatch.bulletins.figures import bulletin_figures
from dispatch.models import PeriodSnapshot, ProjectSnapshot, UnitReport
from dispatch.periods import services
from dispatch.periods.services import DispatchError
from org.models import Unit, User
from projects import rules as light_rules
from projects.models import AnnualPlan, Milestone, ProgressReport, Project
from projects.services import lights_refresh_all, progress_save

TZ = ZoneInfo("Asia/Shanghai")
REASON = "区委要求12月初召开调度会，先行发布"


def at(*args: int) -> Any:
    return time_machine.travel(dt.datetime(*args, tzinfo=TZ), tick=False)


def _client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def december(units: dict[str, Unit], personas: dict[str, User], make_project: Any) -> dict[str, Any]:
    """December opened on 1 December with the four units in the states of the module's docstring."""
    office, reporter = personas["office"], personas["reporter"]
    gxj, fgj, town_a, town_b = units["gxj"], units["fgj"], units["town_a"], units["town_b"]
    p = {
        # Investment: 85% done. Schedule 91.7% on 2 December (gap 6.7, green), 100% on the 31st (yellow).
        "invest": make_project(name="投资项目", lead_unit=gxj, town=town_a),
        # Milestone due 10 December: not overdue on the 2nd, 21 days overdue (yellow) on the 31st.
        "milestone": make_project(name="节点项目", lead_unit=fgj, town=town_b),
        # Planned start 15 September, not started: yellow on 2 December, red from 15 December.
        "start": make_project(name="开工项目", lead_unit=town_a, town=town_a, stage="preparing",
                              planned_start=dt.date(2026, 9, 15), actual_start=None),
        "quiet": make_project(name="平稳项目", lead_unit=town_b, town=town_b),
    }
    AnnualPlan.objects.create(project=p["invest"], year=2026, amount=Decimal("1000"))
    Milestone.objects.create(project=p["milestone"], order=1, name="主体封顶", planned_date=dt.date(2026, 12, 10))
    with at(2026, 11, 20, 9):
        progress_save(
            by=office, report=ProgressReport(project=p["invest"], year=2026, month=11, invested=Decimal("850"))
        )
    with override_settings(DIAODU_REPORT_DEADLINE="day:25"), at(2026, 12, 1, 9):
        period = services.period_open(year=2026, month=12, by=office)
        reports = {r.unit_id: r for r in period.unit_reports.all()}
        approved = services.unit_report_submit(unit_report=reports[gxj.pk], version=1, by=office)
        services.unit_report_approve(unit_report=approved, version=approved.version, by=office)
        # 发改局's progress entered by its reporter and submitted, never reviewed.
        fgj_reporter = User.objects.create_user(username="fgj", password="x-123456789", role="reporter", unit=fgj)
        progress_save(by=fgj_reporter, report=ProgressReport(project=p["milestone"], year=2026, month=12,
                                                             invested=Decimal("10")))
        services.unit_report_submit(unit_report=reports[fgj.pk], version=1, by=fgj_reporter)
        returned = services.unit_report_submit(unit_report=reports[town_a.pk], version=1, by=reporter)
        services.unit_report_return(unit_report=returned, version=returned.version, by=office, reason="数据有误")
        services.period_close(period=period, by=office)
    assert period.deadline == dt.date(2026, 12, 25)
    return {"period": period, "projects": p, "units": units, "office": office}


def _publish(december: dict[str, Any], reason: str = REASON) -> Period:
    with at(2026, 12, 2, 10):
        return services.period_publish(period=december["period"], by=december["office"], reason=reason)


# --- the decision ---------------------------------------------------------------------------------

def test_publishing_early_and_incomplete_is_refused_without_a_reason_naming_the_units(
    december: dict[str, Any],
) -> None:
    with pytest.raises(DispatchError) as refused, at(2026, 12, 2, 10):
        services.period_publish(period=december["period"], by=december["office"])
    message = str(refused.value)
    assert "2026-12-25" in message
    for text in ("发改局（已报送）", "东城街道（已退回）", "西山镇（草稿）"):
        assert text in message
    assert "工信局" not in message
    period = Period.objects.get(pk=december["period"].pk)
    assert period.state == Period.State.CLOSED
    assert not ProjectSnapshot.objects.filter(period=period).exists()


def test_the_reason_is_recorded_and_audited(december: dict[str, Any]) -> None:
    period = _publish(december)
    assert (period.state, period.publish_reason) == (Period.State.PUBLISHED, REASON)
    assert period.published_at == dt.datetime(2026, 12, 2, 10, tzinfo=TZ)
    entry = AuditEntry.objects.filter(model="core.period", object_id=str(period.pk)).latest("pk")
    assert REASON in str(entry.changes)


def test_publish_uses_the_given_moment(december: dict[str, Any]) -> None:
    moment = dt.datetime(2026, 12, 3, 15, 30, tzinfo=TZ)
    period = services.period_publish(period=december["period"], by=december["office"], reason=REASON, now=moment)
    assert period.published_at == moment
    assert PeriodSnapshot.objects.get(period=period).data["as_of"] == "2026-12-03"


@override_settings(DIAODU_REPORT_DEADLINE="day:25")
def test_after_the_deadline_with_every_unit_approved_no_reason_is_needed(
    personas: dict[str, User], make_project: Any, units: dict[str, Unit]
) -> None:
    office = personas["office"]
    make_project(lead_unit=units["gxj"])
    with at(2026, 11, 1, 9):
        period = services.period_open(year=2026, month=11, by=office)
        report = period.unit_reports.get()
        report = services.unit_report_submit(unit_report=report, version=report.version, by=office)
        services.unit_report_approve(unit_report=report, version=report.version, by=office)
        services.period_close(period=period, by=office)
    # The deadline day itself is still "before the deadline": units may report until it ends.
    with at(2026, 11, 25, 18), pytest.raises(DispatchError, match="截止日期"):
        services.period_publish(period=period, by=office)
    with at(2026, 11, 26, 9):
        period = services.period_publish(period=period, by=office)
    assert period.state == Period.State.PUBLISHED and period.publish_reason == ""
    f = bulletin_figures(period)
    assert f.reporting == ("本期应报送单位 1 个，均按时报送。",)
    assert f.publication_note == ""


# --- what the bulletin says -----------------------------------------------------------------------

def _outputs(period: Period, user: User) -> dict[str, str]:
    client = _client(user)
    f = bulletin_figures(period)
    document = docx.Document(io.BytesIO(bulletin_docx(f, published_at=period.published_at)))
    return {
        # The sentences every output prints (getattr: the test must also run, and fail, before they existed).
        "figures": "\n".join(
            (*getattr(f, "reporting", ()), getattr(f, "publication_note", ""), *f.definitions)
        ),
        "web": client.get(reverse("dispatch:bulletin", args=[period.pk])).content.decode(),
        "docx": "\n".join(p.text for p in document.paragraphs),
        "meeting": client.get(reverse("dispatch:meeting", args=[period.pk])).content.decode(),
    }


def test_no_output_says_all_reported_on_time_and_each_unreported_unit_is_named(
    december: dict[str, Any], personas: dict[str, User]
) -> None:
    period = _publish(december)
    for name, text in _outputs(period, personas["leader"]).items():
        assert "均按时报送" not in text, name
        assert "截至发布时未报送 2 个" in text, name
        assert "东城街道（已退回）" in text and "西山镇（草稿）" in text, name
        # The office's decision, with its reason, is printed with the figures.
        assert "早于报送截止日期（2026年12月25日）" in text and REASON in text, name
    f = bulletin_figures(period)
    assert [u.unit for u in f.unreported_units] == ["东城街道", "西山镇"]
    assert f.late_units == ()


def test_every_date_and_the_schedule_are_those_of_the_snapshot(
    december: dict[str, Any], personas: dict[str, User]
) -> None:
    period = _publish(december)
    for name, text in _outputs(period, personas["leader"]).items():
        assert "12月31日" not in text, name
        assert "截至2026年12月2日" in text, name
    f = bulletin_figures(period)
    # 11 whole months of 12, not the 100% of 31 December.
    assert f.schedule == light_rules.schedule_percent(dt.date(2026, 12, 2)) == Decimal("91.7")
    assert f.header.as_of == dt.date(2026, 12, 2)


def test_an_old_snapshot_without_its_date_reads_as_of_the_period_end(december: dict[str, Any]) -> None:
    period = _publish(december)
    snapshot = PeriodSnapshot.objects.get(period=period)
    del snapshot.data["as_of"]
    # Rows written before typed snapshots are version 1 (migration dispatch 0006).
    snapshot.schema_version = 1
    snapshot.save()
    f = bulletin_figures(period)
    assert f.header.as_of == dt.date(2026, 12, 31) and f.schedule == Decimal("100.0")


def test_a_period_published_after_its_end_is_as_of_its_last_day(
    personas: dict[str, User], make_project: Any, units: dict[str, Unit]
) -> None:
    office = personas["office"]
    make_project(lead_unit=units["gxj"])
    with at(2026, 10, 5, 9):
        period = services.period_open(year=2026, month=9, by=office)
        services.period_close(period=period, by=office)
    with at(2026, 10, 20, 9):
        period = services.period_publish(period=period, by=office, reason="工信局未报")
    assert bulletin_figures(period).header.as_of == dt.date(2026, 9, 30)


def test_the_bulletin_lights_are_the_ledger_lights_of_the_same_day(december: dict[str, Any]) -> None:
    period = _publish(december)
    f = bulletin_figures(period)
    with at(2026, 12, 2, 10):
        ledger = lights_refresh_all(as_of=dt.date(2026, 12, 2))
    assert (len(f.red), len(f.yellow)) == (ledger.get("red", 0), ledger.get("yellow", 0))
    assert f.projects - len(f.red) - len(f.yellow) == ledger.get("green", 0)
    snapshot = {s.project_id: s.data["light"] for s in ProjectSnapshot.objects.filter(period=period)}
    assert snapshot == dict(Project.objects.values_list("pk", "light"))
    # The three projects whose light changes later in December are as of the 2nd.
    p = december["projects"]
    assert (snapshot[p["invest"].pk], snapshot[p["milestone"].pk], snapshot[p["start"].pk]) == (
        "green", "green", "yellow"
    )


# --- unreviewed figures ---------------------------------------------------------------------------

def test_the_bulletin_says_how_many_projects_had_unreviewed_figures(
    december: dict[str, Any], personas: dict[str, User]
) -> None:
    period = _publish(december)
    p = december["projects"]
    data = ProjectSnapshot.objects.get(period=period, project=p["milestone"]).data
    assert data["unreviewed"] == ["2026年12月"]
    assert any("含未审核数据：2026年12月进度由单位填报，项目办尚未审核" in text for _l, text in data["reasons"])
    assert ProjectSnapshot.objects.get(period=period, project=p["invest"]).data["unreviewed"] == []
    f = bulletin_figures(period)
    assert f.unreviewed_projects == 1
    for name, text in _outputs(period, personas["leader"]).items():
        assert "发布时有 1 个项目的数据含单位填报、项目办尚未审核的月度进度" in text, name


# --- history stays attached -----------------------------------------------------------------------

def test_a_project_with_published_history_cannot_be_deleted(december: dict[str, Any]) -> None:
    _publish(december)
    project = december["projects"]["quiet"]
    with pytest.raises(ProtectedError):
        project.delete()
    assert ProjectSnapshot.objects.filter(project=project).count() == 1


# --- the publish dialog ---------------------------------------------------------------------------

def test_the_dialog_lists_the_units_and_asks_for_a_reason(december: dict[str, Any]) -> None:
    url = reverse("dispatch:period_board", args=[december["period"].pk])
    with at(2026, 12, 2, 10):
        client = _client(december["office"])
        html = client.get(url).content.decode()
    dialog = html[html.index('id="publish"'):html.index("</section>")]
    assert "报送截止日期 2026-12-25 尚未到" in dialog
    for unit, state in (("发改局", "已报送"), ("东城街道", "已退回"), ("西山镇", "草稿")):
        assert f"<td>{unit}</td><td>{state}</td>" in dialog
    assert "<td>工信局</td>" not in dialog
    assert 'name="reason"' in dialog and "required" in dialog

    publish = reverse("dispatch:period_publish", args=[december["period"].pk])
    with at(2026, 12, 2, 10):
        refused = client.post(publish, {"reason": ""}, follow=True)
    assert [m.level_tag for m in refused.context["messages"]] == ["error"]
    assert "西山镇（草稿）" in str(next(iter(refused.context["messages"])))
    assert Period.objects.get(pk=december["period"].pk).state == Period.State.CLOSED
    with at(2026, 12, 2, 10):
        client.post(publish, {"reason": REASON})
        page = client.get(url).content.decode()
    period = Period.objects.get(pk=december["period"].pk)
    assert (period.state, period.publish_reason) == (Period.State.PUBLISHED, REASON)
    assert REASON in page


def test_the_dialog_is_for_the_office_only(december: dict[str, Any], personas: dict[str, User]) -> None:
    html = _client(personas["leader"]).get(
        reverse("dispatch:period_board", args=[december["period"].pk])
    ).content.decode()
    assert 'id="publish"' not in html


def test_unit_report_states_feed_the_check(december: dict[str, Any]) -> None:
    check = services.period_publish_check(period=december["period"], now=dt.datetime(2026, 12, 26, 9, tzinfo=TZ))
    assert not check.early
    assert [(str(r.unit), r.state) for r in check.units] == [
        ("发改局", UnitReport.State.SUBMITTED), ("东城街道", UnitReport.State.RETURNED),
        ("西山镇", UnitReport.State.DRAFT),
    ]


def test_approval_marks_the_units_rows_reviewed_and_return_clears_them(december: dict[str, Any]) -> None:
    office, fgj = december["office"], december["units"]["fgj"]
    project = december["projects"]["milestone"]
    note = "含未审核数据：2026年12月进度由单位填报，项目办尚未审核"
    report = UnitReport.objects.get(period=december["period"], unit=fgj)
    row = ProgressReport.objects.get(project=project, month=12)
    with at(2026, 12, 2, 9):
        project.refresh_from_db()
        assert not row.approved and [text for _l, text in project.light_reasons][-1] == note
        report = services.unit_report_approve(unit_report=report, version=report.version, by=office)
        row.refresh_from_db()
        project.refresh_from_db()
        assert row.approved and note not in [text for _l, text in project.light_reasons]
        services.unit_report_return(unit_report=report, version=report.version, by=office, reason="重新核对")
        row.refresh_from_db()
        project.refresh_from_db()
        assert not row.approved and [text for _l, text in project.light_reasons][-1] == note
