"""dispatch.periods.services: the period state machine, snapshots on publish, freezing, review, locking."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.test import Client, override_settings
from django.urls import reverse

from audit.models import AuditEntry
from core.models import Period
from dispatch.models import PeriodSnapshot, ProjectSnapshot, UnitReport, UnitReportEvent
from dispatch.periods import services
from dispatch.periods.services import ConcurrentChange, DispatchError
from org.models import Unit, User
from projects import services as project_services
from projects.models import AnnualPlan, ProgressReport, Project

OPEN, CLOSED, PUBLISHED = Period.State.OPEN, Period.State.CLOSED, Period.State.PUBLISHED
DRAFT, SUBMITTED, APPROVED, RETURNED = (
    UnitReport.State.DRAFT, UnitReport.State.SUBMITTED, UnitReport.State.APPROVED, UnitReport.State.RETURNED
)


@pytest.fixture
def ledger(units: dict[str, Unit], make_project: Any) -> dict[str, Project]:
    return {
        "a": make_project(lead_unit=units["gxj"], town=units["town_a"], invested_before=Decimal("500")),
        "b": make_project(lead_unit=units["town_a"], town=units["town_a"]),
        "c": make_project(lead_unit=units["town_a"], town=units["town_a"], stage="planning", actual_start=None,
                          planned_start=dt.date(2026, 9, 1)),
    }


EARLY = "领导要求提前召开调度会"


def _publish_early(*, period: Period, by: Any) -> Period:
    return services.period_publish(period=period, by=by, reason=EARLY)


def _period(personas: dict[str, User], *, month: int = 2, state: str = OPEN) -> Period:
    period = services.period_open(year=2026, month=month, by=personas["office"])
    if state in (CLOSED, PUBLISHED):
        period = services.period_close(period=period, by=personas["office"])
    if state == PUBLISHED:
        # Drafts are still owed (and the deadline may be ahead): publishing now is the office's decision.
        period = services.period_publish(period=period, by=personas["office"], reason=EARLY)
    return period


# --- opening ------------------------------------------------------------------------------------

@override_settings(DIAODU_REPORT_DEADLINE="day:25")
def test_open_creates_a_draft_report_for_every_lead_unit(personas: dict[str, User], ledger: dict[str, Project],
                                                         units: dict[str, Unit]) -> None:
    period = services.period_open(year=2026, month=4, by=personas["office"])
    assert (period.state, period.opens_on, period.deadline) == (OPEN, dt.date(2026, 4, 1), dt.date(2026, 4, 24))
    reports = {r.unit_id: r.state for r in period.unit_reports.all()}
    assert reports == {units["gxj"].pk: DRAFT, units["town_a"].pk: DRAFT}
    assert AuditEntry.objects.filter(model="core.period", object_id=str(period.pk), action="create").exists()


@override_settings(DIAODU_REPORT_DEADLINE="workdays:5")
def test_open_uses_the_working_day_rule(personas: dict[str, User], ledger: dict[str, Project]) -> None:
    assert services.period_open(year=2026, month=9, by=personas["office"]).deadline == dt.date(2026, 10, 13)
    assert services.period_open(year=2026, month=10, by=personas["office"]).deadline == dt.date(2026, 11, 6)


def test_a_period_opens_once(personas: dict[str, User], ledger: dict[str, Project]) -> None:
    services.period_open(year=2026, month=2, by=personas["office"])
    with pytest.raises(DispatchError, match="已存在"):
        services.period_open(year=2026, month=2, by=personas["office"])
    # A half of a month already reported whole clashes too.
    with pytest.raises(DispatchError, match="已存在"):
        services.period_open(year=2026, month=2, half=1, by=personas["office"])
    with pytest.raises(DispatchError, match="半月"):
        services.period_open(year=2026, month=3, half=3, by=personas["office"])
    assert Period.objects.count() == 1


def test_the_two_halves_of_a_month(personas: dict[str, User], ledger: dict[str, Project]) -> None:
    first = services.period_open(year=2026, month=3, half=1, by=personas["office"])
    second = services.period_open(year=2026, month=3, half=2, by=personas["office"])
    assert (first.opens_on, first.deadline) == (dt.date(2026, 3, 1), dt.date(2026, 3, 13))  # the 15th is a Sunday
    assert (second.opens_on, second.deadline) == (dt.date(2026, 3, 16), dt.date(2026, 3, 25))
    with pytest.raises(DispatchError):
        services.period_open(year=2026, month=3, half=0, by=personas["office"])


# --- the state machine --------------------------------------------------------------------------

STEPS = {"close": services.period_close, "reopen": services.period_reopen, "publish": _publish_early}
ALLOWED = {(OPEN, "close"): CLOSED, (CLOSED, "reopen"): OPEN, (CLOSED, "publish"): PUBLISHED}


@pytest.mark.parametrize("start", [OPEN, CLOSED, PUBLISHED])
@pytest.mark.parametrize("step", list(STEPS))
def test_every_step_from_every_state(
    start: str, step: str, personas: dict[str, User], ledger: dict[str, Project]
) -> None:
    period = _period(personas, state=start)
    expected = ALLOWED.get((start, step))
    if expected is None:
        with pytest.raises(DispatchError):
            STEPS[step](period=period, by=personas["office"])
        period.refresh_from_db()
        assert period.state == start
    else:
        assert STEPS[step](period=period, by=personas["office"]).state == expected
        period.refresh_from_db()
        assert period.state == expected


def test_a_stale_period_object_cannot_step_twice(personas: dict[str, User], ledger: dict[str, Project]) -> None:
    period = _period(personas)
    stale = Period.objects.get(pk=period.pk)
    services.period_close(period=period, by=personas["office"])
    with pytest.raises(ConcurrentChange, match="已截止"):
        services.period_close(period=stale, by=personas["office"])


def test_close_and_reopen_set_and_clear_the_closing_time(personas: dict[str, User], ledger: dict[str, Project]) -> None:
    period = services.period_close(period=_period(personas), by=personas["office"])
    assert period.closed_at is not None
    assert services.period_reopen(period=period, by=personas["office"]).closed_at is None


def test_publish_waits_for_reports_under_review(
    personas: dict[str, User], ledger: dict[str, Project], units: dict[str, Unit]
) -> None:
    period = _period(personas)
    report = period.unit_reports.get(unit=units["town_a"])
    services.unit_report_submit(unit_report=report, version=report.version, by=personas["reporter"])
    services.period_close(period=period, by=personas["office"])
    # Unreviewed and unsubmitted reports need the office's decision with a reason, named in the refusal.
    with pytest.raises(DispatchError, match="东城街道（已报送）") as refused:
        services.period_publish(period=period, by=personas["office"])
    assert "工信局（草稿）" in str(refused.value)
    with pytest.raises(DispatchError, match="东城街道"):
        services.period_publish(period=period, by=personas["office"], reason="   ")
    assert not ProjectSnapshot.objects.exists()
    report.refresh_from_db()
    services.unit_report_approve(unit_report=report, version=report.version, by=personas["office"])
    with pytest.raises(DispatchError, match="工信局（草稿）"):
        services.period_publish(period=period, by=personas["office"])
    period = services.period_publish(period=period, by=personas["office"], reason=EARLY)
    assert period.state == PUBLISHED and period.published_by == personas["office"] and period.published_at
    assert period.publish_reason == EARLY


ROLE_OUTCOME = {"office": 302, "admin": 302, "leader": 403, "viewer": 403, "reporter": 403, "other_reporter": 403}


@pytest.mark.parametrize("role", list(ROLE_OUTCOME))
@pytest.mark.parametrize(("start", "step"), [(OPEN, "close"), (CLOSED, "reopen"), (CLOSED, "publish")])
def test_only_the_office_steps_through_the_pages(
    role: str, start: str, step: str, personas: dict[str, User], ledger: dict[str, Project]
) -> None:
    period = _period(personas, state=start)
    client = Client()
    client.force_login(personas[role])
    response = client.post(reverse(f"dispatch:period_{step}", args=[period.pk]), {"reason": EARLY})
    assert response.status_code == ROLE_OUTCOME[role]
    period.refresh_from_db()
    assert period.state == (ALLOWED[(start, step)] if ROLE_OUTCOME[role] == 302 else start)


@pytest.mark.parametrize(("start", "step"), [(OPEN, "reopen"), (OPEN, "publish"), (PUBLISHED, "close"),
                                             (PUBLISHED, "reopen"), (CLOSED, "close")])
def test_a_forbidden_step_through_the_page_says_why(
    start: str, step: str, personas: dict[str, User], ledger: dict[str, Project]
) -> None:
    period = _period(personas, state=start)
    client = Client()
    client.force_login(personas["office"])
    response = client.post(reverse(f"dispatch:period_{step}", args=[period.pk]), follow=True)
    assert [m.level_tag for m in response.context["messages"]] == ["error"]
    period.refresh_from_db()
    assert period.state == start


# --- snapshots ------------------------------------------------------------------------------------

def test_the_snapshot_holds_the_database_figures(
    personas: dict[str, User], ledger: dict[str, Project], units: dict[str, Unit]
) -> None:
    a, b, c = ledger["a"], ledger["b"], ledger["c"]
    AnnualPlan.objects.create(project=a, year=2026, amount=Decimal("1200"))
    AnnualPlan.objects.create(project=b, year=2026, amount=Decimal("600"))
    for project, year, month, amount in [
        (a, 2025, 12, "100"), (a, 2026, 1, "50"), (a, 2026, 2, "70.5"), (b, 2026, 1, "10"), (b, 2026, 2, "0"),
    ]:
        ProgressReport.objects.create(project=project, year=year, month=month, invested=Decimal(amount),
                                      progress_percent=40, physical_progress="主体施工", problems="用地")
    period = _period(personas, month=2, state=CLOSED)
    # Reported after the period was closed: the month after is never part of February's figures.
    ProgressReport.objects.create(project=a, year=2026, month=3, invested=Decimal("999"))
    services.period_publish(period=period, by=personas["office"], reason=EARLY)

    snaps = {s.code: s.data for s in ProjectSnapshot.objects.filter(period=period)}
    assert set(snaps) == {a.code, b.code, c.code}
    table = {row["month"]: row for row in project_services.progress_table(a, 2026)}
    data = snaps[a.code]
    assert data["invested_period"] == "70.50" == str(table[2]["report"].invested)
    assert Decimal(data["invested_ytd"]) == table[2]["ytd"] == Decimal("120.50")
    assert Decimal(data["invested_since_start"]) == table[2]["since_start"] == Decimal("720.50")
    assert data["annual_plan"] == "1200.00"
    assert data["total_investment"] == "10000.00"
    assert (data["progress_percent"], data["physical_progress"], data["problems"]) == (40, "主体施工", "用地")
    assert data["lead_unit_id"] == units["gxj"].pk and data["town"] == "东城街道"
    assert data["reported"] is True and data["unit_report_state"] == DRAFT
    # The light is the one the figures give on the period's last day.
    expected = project_services.project_light(b, as_of=dt.date(2026, 2, 28))
    assert snaps[b.code]["light"] == expected.light
    assert snaps[b.code]["reasons"] == [[r.light, r.text] for r in expected.reasons]
    assert snaps[b.code]["invested_ytd"] == "10.00"
    # A project with no report this period is in the snapshot, marked unreported.
    assert snaps[c.code]["reported"] is False and snaps[c.code]["invested_period"] is None
    assert snaps[c.code]["annual_plan"] is None and snaps[c.code]["started"] is False

    units_data = {u["unit_id"]: u for u in PeriodSnapshot.objects.get(period=period).data["units"]}
    assert set(units_data) == {units["gxj"].pk, units["town_a"].pk}
    assert units_data[units["town_a"].pk]["state"] == DRAFT


def test_the_snapshot_does_not_follow_later_changes(
    personas: dict[str, User], ledger: dict[str, Project]
) -> None:
    a = ledger["a"]
    ProgressReport.objects.create(project=a, year=2026, month=2, invested=Decimal("70"))
    period = _period(personas, month=2, state=PUBLISHED)
    Project.objects.filter(pk=a.pk).update(name="改过的名字")
    ProgressReport.objects.filter(project=a).update(invested=Decimal("1"))
    data = ProjectSnapshot.objects.get(period=period, code=a.code).data
    assert (data["name"], data["invested_period"]) != ("改过的名字", "1.00")
    assert data["invested_period"] == "70.00"


# --- freezing ---------------------------------------------------------------------------------------

def test_progress_save_attaches_the_open_period(personas: dict[str, User], ledger: dict[str, Project]) -> None:
    period = _period(personas, month=2)
    report = ProgressReport(project=ledger["b"], year=2026, month=2, invested=Decimal("5"))
    project_services.progress_save(by=personas["reporter"], report=report)
    report.refresh_from_db()
    assert report.period == period


@pytest.mark.parametrize("role", ["office", "admin", "reporter"])
def test_a_published_period_refuses_changes_for_everybody(
    role: str, personas: dict[str, User], ledger: dict[str, Project]
) -> None:
    report = ProgressReport.objects.create(project=ledger["b"], year=2026, month=2, invested=Decimal("5"))
    _period(personas, month=2, state=PUBLISHED)
    report.invested = Decimal("6")
    with pytest.raises(ValidationError, match="已冻结"):
        project_services.progress_save(by=personas[role], report=report)
    new = ProgressReport(project=ledger["a"], year=2026, month=2, invested=Decimal("1"))
    with pytest.raises(ValidationError, match="更正申请"):
        project_services.progress_save(by=personas[role], report=new)
    report.refresh_from_db()
    assert report.invested == Decimal("5.00")
    assert not ProgressReport.objects.filter(project=ledger["a"]).exists()
    with pytest.raises(DispatchError, match="已冻结"):
        services.ensure_not_frozen(Period.objects.get())


def test_a_submitted_report_is_closed_to_reporters_not_to_the_office(
    personas: dict[str, User], ledger: dict[str, Project], units: dict[str, Unit]
) -> None:
    period = _period(personas, month=2)
    unit_report = period.unit_reports.get(unit=units["town_a"])
    services.unit_report_submit(unit_report=unit_report, version=unit_report.version, by=personas["reporter"])
    report = ProgressReport(project=ledger["b"], year=2026, month=2, invested=Decimal("5"))
    with pytest.raises(ValidationError, match="已报送"):
        project_services.progress_save(by=personas["reporter"], report=report)
    project_services.progress_save(by=personas["office"], report=report)
    assert ProgressReport.objects.filter(project=ledger["b"], month=2).exists()
    assert services.unit_report_editable(unit_report) is False


# --- unit reports -----------------------------------------------------------------------------------

@pytest.fixture
def unit_report(personas: dict[str, User], ledger: dict[str, Project], units: dict[str, Unit]) -> UnitReport:
    return _period(personas).unit_reports.get(unit=units["town_a"])


def _submit(report: UnitReport, by: User) -> UnitReport:
    return services.unit_report_submit(unit_report=report, version=report.version, by=by)


def test_submit_approve(unit_report: UnitReport, personas: dict[str, User]) -> None:
    assert services.unit_report_editable(unit_report)
    report = _submit(unit_report, personas["reporter"])
    assert (report.state, report.version, report.submitted_by) == (SUBMITTED, 2, personas["reporter"])
    report = services.unit_report_approve(unit_report=report, version=2, by=personas["office"], note="好")
    assert (report.state, report.version, report.reviewed_by) == (APPROVED, 3, personas["office"])
    assert [(e.action, e.note) for e in report.events.all()] == [("submit", ""), ("approve", "好")]


def test_return_and_resubmit_keep_the_history(unit_report: UnitReport, personas: dict[str, User]) -> None:
    report = _submit(unit_report, personas["reporter"])
    report = services.unit_report_return(unit_report=report, version=report.version, by=personas["office"],
                                         reason="  第3行投资偏大  ")
    assert (report.state, report.return_reason) == (RETURNED, "第3行投资偏大")
    assert services.unit_report_editable(report)
    report = _submit(report, personas["reporter"])
    report = services.unit_report_approve(unit_report=report, version=report.version, by=personas["office"])
    assert report.return_reason == ""
    assert [e.action for e in report.events.all()] == ["submit", "return", "submit", "approve"]
    assert report.events.get(action="return").note == "第3行投资偏大"


def test_an_approved_report_can_be_returned_before_publication(
    unit_report: UnitReport, personas: dict[str, User]
) -> None:
    report = _submit(unit_report, personas["reporter"])
    report = services.unit_report_approve(unit_report=report, version=report.version, by=personas["office"])
    report = services.unit_report_return(unit_report=report, version=report.version, by=personas["office"],
                                         reason="补充说明")
    assert report.state == RETURNED


@pytest.mark.parametrize(
    ("state", "action"),
    [(DRAFT, "approve"), (DRAFT, "return"), (SUBMITTED, "submit"), (APPROVED, "submit"), (APPROVED, "approve"),
     (RETURNED, "approve"), (RETURNED, "return")],
)
def test_forbidden_transitions(state: str, action: str, unit_report: UnitReport, personas: dict[str, User]) -> None:
    UnitReport.objects.filter(pk=unit_report.pk).update(state=state)
    unit_report.refresh_from_db()
    call = {
        "submit": lambda: services.unit_report_submit(unit_report=unit_report, version=1, by=personas["reporter"]),
        "approve": lambda: services.unit_report_approve(unit_report=unit_report, version=1, by=personas["office"]),
        "return": lambda: services.unit_report_return(unit_report=unit_report, version=1, by=personas["office"],
                                                      reason="x"),
    }[action]
    with pytest.raises(ConcurrentChange):
        call()
    unit_report.refresh_from_db()
    assert (unit_report.state, unit_report.version) == (state, 1)
    assert not UnitReportEvent.objects.exists()


def test_return_needs_a_reason(unit_report: UnitReport, personas: dict[str, User]) -> None:
    report = _submit(unit_report, personas["reporter"])
    with pytest.raises(DispatchError, match="原因"):
        services.unit_report_return(unit_report=report, version=report.version, by=personas["office"], reason="  ")
    report.refresh_from_db()
    assert report.state == SUBMITTED


def test_nothing_moves_once_published(
    personas: dict[str, User], ledger: dict[str, Project], units: dict[str, Unit]
) -> None:
    period = _period(personas, state=PUBLISHED)
    report = period.unit_reports.get(unit=units["town_a"])
    with pytest.raises(DispatchError, match="已冻结"):
        _submit(report, personas["reporter"])
    assert services.unit_report_editable(report) is False


def test_two_reviewers_at_once(unit_report: UnitReport, personas: dict[str, User]) -> None:
    report = _submit(unit_report, personas["reporter"])
    seen_by_first = UnitReport.objects.get(pk=report.pk)
    seen_by_second = UnitReport.objects.get(pk=report.pk)
    other_office = User.objects.create_user(username="office2", role=User.Role.OFFICE, full_name="李科长")
    services.unit_report_approve(unit_report=seen_by_first, version=seen_by_first.version, by=personas["office"])
    with pytest.raises(ConcurrentChange) as caught:
        services.unit_report_return(unit_report=seen_by_second, version=seen_by_second.version, by=other_office,
                                    reason="我觉得不行")
    assert "office" in str(caught.value) and "已审核" in str(caught.value)
    report.refresh_from_db()
    assert (report.state, report.version, report.reviewed_by, report.return_reason) == (
        APPROVED, 3, personas["office"], ""
    )
    assert [e.action for e in report.events.all()] == ["submit", "approve"]


def test_unit_counts(personas: dict[str, User], ledger: dict[str, Project], units: dict[str, Unit]) -> None:
    period = _period(personas)
    _submit(period.unit_reports.get(unit=units["town_a"]), personas["reporter"])
    assert services.unit_counts(period) == {DRAFT: 1, SUBMITTED: 1}
    assert set(services.reporting_units()) == {units["gxj"], units["town_a"]}


def test_lateness_and_the_snapshot_of_a_returned_report(
    personas: dict[str, User], ledger: dict[str, Project], units: dict[str, Unit]
) -> None:
    period = _period(personas, month=2)  # due Wednesday 25 February
    report = period.unit_reports.get(unit=units["town_a"])
    with time_machine.travel(dt.datetime(2026, 2, 24, 9, 0, tzinfo=dt.UTC), tick=False):
        report = _submit(report, personas["reporter"])
    assert services.unit_report_late_days(report, dt.date(2026, 3, 10)) == 0
    report = services.unit_report_return(unit_report=report, version=report.version, by=personas["office"],
                                         reason="重填")
    # Submitted on time once, but owed again after being returned.
    assert services.unit_report_late_days(report, dt.date(2026, 2, 25)) == 0
    assert services.unit_report_late_days(report, dt.date(2026, 3, 2)) == 5
    with time_machine.travel(dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC), tick=False):
        services.period_close(period=period, by=personas["office"])
        services.period_publish(period=period, by=personas["office"], reason=EARLY)
    units_data = {u["unit_id"]: u for u in PeriodSnapshot.objects.get(period=period).data["units"]}
    assert (units_data[units["town_a"].pk]["late"], units_data[units["town_a"].pk]["late_days"]) == (True, 5)
    assert units_data[units["gxj"].pk]["late_days"] == 5
