"""dispatch.bulletins.figures: the figures of a bulletin, against values computed by hand, from snapshots only.

The district built by ``april`` (published 5 May 2026; April's last day is 30 April, the
schedule 4/12 = 33.3%):

  code  level     stage      lead  town    plan   ytd   start                   completion
  P1    province  building   gxj   town_a  1000   300   planned 3-01, actual 3-10
  P2    city      preparing  gxj   town_b   500     0   planned 4-30 (last day: due), not started
  P3    district  preparing  fgj   town_a     —     0   planned 5-01 (day after: not due)
  P4    district  producing  fgj   town_b  2000   400   actual 2025-01-01         planned 3-31 (building in March)
  P5    city      building   town_a town_a 1000   300   actual 4-05 (started in April)  planned 4-15
  P6    district  preparing  gxj   —          —     0   planned 1-05, not started; milestone due 3-01 open

Start rate 3 ÷ 5 = 60.0% (P1, P4, P5 of P1, P2, P4, P5, P6); production rate 1 ÷ 2 = 50.0%
(P4 of P4, P5); investment 1000 ÷ 4500 = 22.2%. Departments tie on investment at 20.0%
(gxj 300 ÷ 1500, fgj 400 ÷ 2000), so both rank 1.
"""
from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine

from core import publication
from core.models import Period
from dispatch.bulletins.figures import NotPublished, _competition_ranks, bulletin_figures, percent, yi
from dispatch.models import Problem, ProjectSnapshot, UnitReport
from dispatch.periods import services
from dispatch.periods.snapshots import Letterhead
from org.models import Unit, User
from projects.models import AnnualPlan, Milestone, ProgressReport, Project
from projects.services import progress_save

TZ = ZoneInfo("Asia/Shanghai")


def at(*args: int) -> Any:
    return time_machine.travel(dt.datetime(*args, tzinfo=TZ), tick=False)


def _report(office: User, project: Project, month: int, amount: str) -> None:
    progress_save(by=office, report=ProgressReport(project=project, year=2026, month=month, invested=Decimal(amount)))


@pytest.fixture
def april(units: dict[str, Unit], personas: dict[str, User], make_project: Any) -> dict[str, Any]:
    office, leader = personas["office"], personas["leader"]
    gxj, fgj, town_a, town_b = units["gxj"], units["fgj"], units["town_a"], units["town_b"]
    p = {
        "P1": make_project(name="一号项目", level="province", stage="building", lead_unit=gxj, town=town_a,
                           planned_start=dt.date(2026, 3, 1), actual_start=dt.date(2026, 3, 10)),
        "P2": make_project(name="二号项目", level="city", stage="preparing", lead_unit=gxj, town=town_b,
                           planned_start=dt.date(2026, 4, 30), actual_start=None),
        "P3": make_project(name="三号项目", level="district", stage="preparing", lead_unit=fgj, town=town_a,
                           planned_start=dt.date(2026, 5, 1), actual_start=None),
        "P4": make_project(name="四号项目", level="district", stage="building", lead_unit=fgj, town=town_b,
                           planned_start=dt.date(2025, 1, 1), actual_start=dt.date(2025, 1, 1),
                           planned_completion=dt.date(2026, 3, 31)),
        "P5": make_project(name="五号项目", level="city", stage="building", lead_unit=town_a, town=town_a,
                           planned_start=dt.date(2026, 4, 1), actual_start=dt.date(2026, 4, 5),
                           planned_completion=dt.date(2026, 4, 15)),
        "P6": make_project(name="六号项目", level="district", stage="preparing", lead_unit=gxj, town=None,
                           planned_start=dt.date(2026, 1, 5), actual_start=None, responsible_leader=leader),
    }
    for code, amount in (("P1", "1000"), ("P2", "500"), ("P4", "2000"), ("P5", "1000")):
        AnnualPlan.objects.create(project=p[code], year=2026, amount=Decimal(amount))
    Milestone.objects.create(project=p["P6"], order=1, name="施工许可", planned_date=dt.date(2026, 3, 1))

    with at(2026, 4, 2, 9):
        march = services.period_open(year=2026, month=3, by=office)
        _report(office, p["P1"], 1, "100")
        services.period_close(period=march, by=office)
        # Nobody reported March: publishing it anyway is the office's decision.
        services.period_publish(period=march, by=office, reason="三月各单位未报送，按已有数据发布")
    # P4 went into production during April: the April bulletin counts it as newly completed.
    Project.objects.filter(pk=p["P4"].pk).update(stage="producing")

    with at(2026, 4, 10, 9):
        period = services.period_open(year=2026, month=4, by=office)
        _report(office, p["P1"], 4, "200")
        _report(office, p["P4"], 4, "400")
        _report(office, p["P5"], 4, "300")
        reports = {r.unit_id: r for r in period.unit_reports.all()}
    with at(2026, 4, 20, 9):
        on_time = services.unit_report_submit(unit_report=reports[gxj.pk], version=1, by=office)
        services.unit_report_approve(unit_report=on_time, version=on_time.version, by=office)
    with at(2026, 4, 28, 9):
        late = services.unit_report_submit(unit_report=reports[fgj.pk], version=1, by=office)
        services.unit_report_approve(unit_report=late, version=late.version, by=office)
    # town_a never submits.

    problems = {
        "overdue_long": Problem.objects.create(description="征地未完成", responsible_unit=town_a,
                                               responsible_leader=leader, deadline=dt.date(2026, 4, 10)),
        "not_due": Problem.objects.create(description="电力接入", responsible_unit=gxj,
                                          deadline=dt.date(2026, 5, 20)),
        "overdue_short": Problem.objects.create(description="环评批复", responsible_unit=fgj,
                                                deadline=dt.date(2026, 5, 1)),
        "closed": Problem.objects.create(description="施工用水", responsible_unit=gxj, deadline=dt.date(2026, 4, 25),
                                         state=Problem.State.CLOSED,
                                         closed_at=dt.datetime(2026, 4, 20, 15, tzinfo=TZ)),
        "closed_before": Problem.objects.create(description="旧问题", responsible_unit=gxj,
                                                deadline=dt.date(2026, 3, 5), state=Problem.State.CLOSED,
                                                closed_at=dt.datetime(2026, 3, 10, 15, tzinfo=TZ)),
    }
    with at(2026, 5, 1, 9):
        services.period_close(period=period, by=office)
    with at(2026, 5, 5, 9):
        # town_a never submitted: the office publishes with a reason.
        period = services.period_publish(period=period, by=office, reason="东城街道逾期未报，按时发布")
    return {"period": period, "march": march, "projects": p, "problems": problems, "units": units}


# --- the numbers ------------------------------------------------------------------------------

def test_counts_by_level_stage_and_type(april: dict[str, Any]) -> None:
    f = bulletin_figures(april["period"])
    assert f.projects == 6
    assert [(r.code, r.count) for r in f.by_level] == [("province", 1), ("city", 2), ("district", 3)]
    assert [(r.code, r.count) for r in f.by_stage] == [
        ("planning", 0), ("preparing", 3), ("building", 2), ("completed", 0), ("producing", 1)
    ]
    assert [(r.code, r.count) for r in f.by_type] == [("industry", 6)]
    district = f.stage_level[2]
    assert (district.label, district.by_stage, district.total) == ("区重点", (0, 2, 0, 0, 1), 3)
    assert f.stage_level[-1].by_stage == (0, 3, 2, 0, 1) and f.stage_level[-1].total == 6


def test_start_rate_counts_the_last_day_and_not_the_day_after(april: dict[str, Any]) -> None:
    f = bulletin_figures(april["period"])
    assert (f.start_rate.numerator, f.start_rate.denominator, f.start_rate.rate) == (3, 5, Decimal("60.0"))
    assert f.start_rate.explain == "开工率 = 已开工 3 个 ÷ 应开工 5 个 = 60.0%"
    # P2 (planned on 30 April) is in the denominator of gxj; P3 (1 May) is not in fgj's.
    departments = {r.unit: r for r in f.departments.by_start}
    assert (departments["工信局"].started, departments["工信局"].due) == (1, 3)
    assert (departments["发改局"].started, departments["发改局"].due) == (1, 1)


def test_production_rate(april: dict[str, Any]) -> None:
    f = bulletin_figures(april["period"])
    assert (f.production_rate.numerator, f.production_rate.denominator, f.production_rate.rate) == (
        1, 2, Decimal("50.0")
    )


def test_investment_overall_and_by_level(april: dict[str, Any]) -> None:
    f = bulletin_figures(april["period"])
    assert f.schedule == Decimal("33.3")
    total = f.investment
    assert (total.projects, total.plan, total.done, total.rate) == (6, Decimal("4500.00"), Decimal("1000.00"),
                                                                     Decimal("22.2"))
    assert (total.plan_yi, total.done_yi, total.gap) == (Decimal("0.45"), Decimal("0.10"), Decimal("11.1"))
    by_level = {row.label: (row.projects, row.plan, row.done, row.rate) for row in f.investment_by_level}
    assert by_level == {
        "省重点": (1, Decimal("1000.00"), Decimal("300.00"), Decimal("30.0")),
        "市重点": (2, Decimal("1500.00"), Decimal("300.00"), Decimal("20.0")),
        "区重点": (3, Decimal("2000.00"), Decimal("400.00"), Decimal("20.0")),
    }
    assert "1,000.00 万元 ÷ 年度计划 4,500.00 万元 = 22.2%" in total.explain


def test_rankings_share_tied_ranks_and_carry_their_numbers(april: dict[str, Any]) -> None:
    f = bulletin_figures(april["period"])
    towns = [(r.rank, r.unit, r.plan, r.done, r.rate) for r in f.towns.by_investment]
    assert towns == [
        (1, "东城街道", Decimal("2000.00"), Decimal("600.00"), Decimal("30.0")),
        (2, "西山镇", Decimal("2500.00"), Decimal("400.00"), Decimal("16.0")),
    ]
    assert [(r.rank, r.unit, r.started, r.due, r.rate) for r in f.towns.by_start] == [
        (1, "东城街道", 2, 2, Decimal("100.0")), (2, "西山镇", 1, 2, Decimal("50.0")),
    ]
    # Both departments at 20.0%: both first. The town leading P5 is not a department.
    assert [(r.rank, r.unit, r.rate) for r in f.departments.by_investment] == [
        (1, "发改局", Decimal("20.0")), (1, "工信局", Decimal("20.0")),
    ]
    assert [(r.rank, r.unit) for r in f.departments.by_start] == [(1, "发改局"), (2, "工信局")]
    assert f.departments.by_start[1].explain == "开工率 = 已开工 1 个 ÷ 应开工 3 个 = 33.3%"


def test_competition_ranks() -> None:
    rates = [Decimal("90"), Decimal("80"), Decimal("80"), Decimal("70"), None]
    assert _competition_ranks(rates) == [1, 2, 2, 4, None]
    assert _competition_ranks([]) == []
    assert _competition_ranks([Decimal("5"), Decimal("5")]) == [1, 1]


def test_red_and_yellow_projects_with_reasons_and_leaders(april: dict[str, Any]) -> None:
    f = bulletin_figures(april["period"])
    # P2: nothing of its 500 invested at a 33.3% schedule, a gap over 30 points; P6: start and milestone late.
    assert [p.name for p in f.red] == ["二号项目", "六号项目"]
    red = f.red[1]
    assert red.leader == "张区长"
    assert any("施工许可" in reason for reason in red.reasons)
    assert [(m.name, m.planned, m.days) for m in red.milestones_behind] == [("施工许可", dt.date(2026, 3, 1), 60)]
    # P5: planned to complete on 15 April, still building on the 30th (15 days overdue); P4: behind on investment.
    assert [p.name for p in f.yellow] == ["五号项目", "四号项目"]
    assert any("计划 2026-04-15 竣工，已逾期 15 天仍未竣工" in reason for reason in f.yellow[0].reasons)
    assert all(p.reasons for p in f.yellow)


def test_new_starts_completions_problems_and_late_units(april: dict[str, Any]) -> None:
    f = bulletin_figures(april["period"])
    assert [(p.name, p.date) for p in f.started] == [("五号项目", dt.date(2026, 4, 5))]
    assert [p.name for p in f.completed] == ["四号项目"]
    # Published 5 May, but the figures are as of 30 April (the period's end came first): 环评批复,
    # due 1 May, was not overdue yet.
    assert [(p.description, p.overdue_days) for p in f.problems_open] == [
        ("征地未完成", 20), ("环评批复", 0), ("电力接入", 0)
    ]
    assert f.problems_open[0].escalation == "red"
    assert [(p.description, p.closed_on) for p in f.problems_closed] == [("施工用水", dt.date(2026, 4, 20))]
    assert f.units == 3
    # 发改局 submitted after the deadline (迟报); 东城街道 never did (未报送).
    assert [u.unit for u in f.late_units] == ["发改局"]
    assert [u.unit for u in f.unreported_units] == ["东城街道"]
    header = f.header
    assert (header.number, header.published_on, header.period_label) == (
        "示调度〔2026〕4号", dt.date(2026, 5, 5), "2026年4月"
    )


def test_figures_do_not_change_when_the_live_data_does(april: dict[str, Any]) -> None:
    period, p = april["period"], april["projects"]
    before = bulletin_figures(period)
    # After publication: a report corrected behind the freeze, a start recorded, a problem closed, a unit renamed.
    ProgressReport.objects.filter(project=p["P1"], month=4).update(invested=Decimal("900"))
    AnnualPlan.objects.filter(project=p["P2"]).update(amount=Decimal("1"))
    Project.objects.filter(pk=p["P2"].pk).update(stage="building", actual_start=dt.date(2026, 4, 29), light="green")
    Problem.objects.filter(pk=april["problems"]["overdue_long"].pk).update(state=Problem.State.CLOSED)
    Unit.objects.filter(pk=april["units"]["gxj"].pk).update(short_name="改名局")
    UnitReport.objects.filter(period=period).update(state=UnitReport.State.APPROVED)
    after = bulletin_figures(period)
    assert after == before
    assert after.investment.done == Decimal("1000.00")
    # And the figures are the snapshot's.
    snap = ProjectSnapshot.objects.get(period=period, code=p["P1"].code).data
    assert Decimal(snap["invested_ytd"]) == Decimal("300.00")


def test_the_figures_take_a_fixed_number_of_queries(april: dict[str, Any], django_assert_num_queries: Any,
                                                    make_project: Any) -> None:
    period = Period.objects.get(pk=april["period"].pk)
    # The projects' snapshots, the period's, the letterhead frozen with them, and the investment module's
    # snapshot for its 招商引资 section (core.hooks.bulletin_parts).
    with django_assert_num_queries(4):
        bulletin_figures(period)


def test_an_unpublished_period_has_no_bulletin(personas: dict[str, User], units: dict[str, Unit],
                                               make_project: Any) -> None:
    make_project()
    period = services.period_open(year=2026, month=6, by=personas["office"])
    with pytest.raises(NotPublished):
        bulletin_figures(period)


def test_number_helpers() -> None:
    assert yi(Decimal("12345.00")) == Decimal("1.23") and yi(Decimal("15000")) == Decimal("1.50")
    assert yi(Decimal("12350")) == Decimal("1.24")  # half-up
    assert percent(1, 3) == Decimal("33.3") and percent(2, 3) == Decimal("66.7")
    assert percent(Decimal("1"), Decimal("0")) is None
    assert percent(Decimal("0.25"), Decimal("2")) == Decimal("12.5")


def test_document_number_uses_the_configured_prefix(april: dict[str, Any]) -> None:
    # The names are the ones stored with the period when it was published (core.district then).
    publication.record_write(
        period=april["period"], snapshot=Letterhead(district_name="寒亭区", document_prefix="寒重项办")
    )
    f = bulletin_figures(april["period"])
    assert f.header.number == "寒重项办〔2026〕4号"
    assert f.header.office == "寒亭区重点项目建设指挥部办公室"
