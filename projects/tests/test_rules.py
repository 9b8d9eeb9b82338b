from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.utils import translation
from hypothesis import given
from hypothesis import strategies as st

from org.workdays import WorkCalendar
from projects.rules import (
    GREEN,
    RED,
    SEVERITY,
    STARTED_STAGES,
    YELLOW,
    LightResult,
    LightThresholds,
    MilestoneFact,
    ProjectFacts,
    Reason,
    add_months,
    compute_light,
    reverse_schedule,
    rules_in_words,
    schedule_percent,
)

AS_OF = date(2026, 11, 23)  # schedule 83.3%
CAL = WorkCalendar()


@pytest.fixture(autouse=True, scope="module")
def chinese() -> Iterator[None]:
    # Module scope so hypothesis tests do not trip the function-scoped
    # fixture health check.
    with translation.override("zh-hans"):
        yield


def facts(
    *,
    stage: str = "building",
    planned_start: date | None = None,
    actual_start: date | None = None,
    milestones: Sequence[MilestoneFact] = (),
    annual_plan: Decimal | None = None,
    invested_ytd: Decimal = Decimal(0),
) -> ProjectFacts:
    return ProjectFacts(
        stage=stage,
        planned_start=planned_start,
        actual_start=actual_start,
        milestones=milestones,
        annual_plan=annual_plan,
        invested_ytd=invested_ytd,
    )


def reasons_of(result: LightResult, rule: str) -> list[Reason]:
    return [reason for reason in result.reasons if reason.rule == rule]


class TestSchedulePercent:
    @pytest.mark.parametrize(
        ("as_of", "expected"),
        [
            (date(2026, 1, 1), "0.0"),
            (date(2026, 1, 15), "0.0"),
            (date(2026, 1, 30), "0.0"),
            (date(2026, 1, 31), "8.3"),
            (date(2026, 2, 28), "16.7"),
            (date(2024, 2, 28), "8.3"),  # leap year: not yet the month end
            (date(2024, 2, 29), "16.7"),
            (date(2026, 6, 30), "50.0"),
            (date(2026, 9, 30), "75.0"),
            (date(2026, 10, 31), "83.3"),
            (date(2026, 11, 23), "83.3"),
            (date(2026, 11, 30), "91.7"),
            (date(2026, 12, 1), "91.7"),
            (date(2026, 12, 30), "91.7"),
            (date(2026, 12, 31), "100.0"),
        ],
    )
    def test_values(self, as_of: date, expected: str) -> None:
        result = schedule_percent(as_of)
        assert isinstance(result, Decimal)
        assert str(result) == expected


class TestInvestment:
    @pytest.mark.parametrize(
        ("invested", "light", "gap"),
        [
            ("734", GREEN, "9.9"),
            ("733", YELLOW, "10.0"),
            ("533", YELLOW, "30.0"),
            ("532", RED, "30.1"),
        ],
    )
    def test_gap_boundaries(self, invested: str, light: str, gap: str) -> None:
        result = compute_light(facts(annual_plan=Decimal(1000), invested_ytd=Decimal(invested)), as_of=AS_OF)
        assert result.light == light
        (reason,) = result.reasons
        assert reason.light == light
        assert f"落后 {gap} 个百分点" in reason.text
        expected_rule = "investment_on_track" if light == GREEN else "investment_behind"
        assert reason.rule == expected_rule

    def test_behind_text_exact(self) -> None:
        result = compute_light(
            facts(annual_plan=Decimal(1000), invested_ytd=Decimal(310)),
            as_of=date(2026, 9, 30),
        )
        assert result.light == RED
        assert result.reasons[0].text == "年度投资完成 31.0%，序时进度 75.0%，落后 44.0 个百分点"

    def test_yellow_text_exact(self) -> None:
        result = compute_light(facts(annual_plan=Decimal(1000), invested_ytd=Decimal(733)), as_of=AS_OF)
        assert result.reasons[0].text == "年度投资完成 73.3%，序时进度 83.3%，落后 10.0 个百分点"

    def test_on_track_text_exact(self) -> None:
        result = compute_light(facts(annual_plan=Decimal(1000), invested_ytd=Decimal(850)), as_of=AS_OF)
        assert result.light == GREEN
        assert result.reasons[0].text == "年度投资完成 85.0%，序时进度 83.3%，未落后"

    def test_slightly_behind_green_says_by_how_much(self) -> None:
        result = compute_light(facts(annual_plan=Decimal(1000), invested_ytd=Decimal(734)), as_of=AS_OF)
        assert result.reasons[0].text == "年度投资完成 73.4%，序时进度 83.3%，落后 9.9 个百分点，未超过 10 个百分点"

    def test_rate_rounds_half_up_before_comparing(self) -> None:
        # 73.25% rounds to 73.3 (half up, not half even), so the gap is 10.0.
        result = compute_light(facts(annual_plan=Decimal(1000), invested_ytd=Decimal("732.5")), as_of=AS_OF)
        assert result.light == YELLOW
        assert "年度投资完成 73.3%" in result.reasons[0].text

    def test_rate_just_below_rounding_edge(self) -> None:
        # 73.349% -> 73.3, gap 10.0; 73.35% -> 73.4, gap 9.9.
        low = compute_light(facts(annual_plan=Decimal(1000), invested_ytd=Decimal("733.49")), as_of=AS_OF)
        high = compute_light(facts(annual_plan=Decimal(1000), invested_ytd=Decimal("733.5")), as_of=AS_OF)
        assert (low.light, high.light) == (YELLOW, GREEN)

    def test_december_31_full_schedule(self) -> None:
        result = compute_light(facts(annual_plan=Decimal(500), invested_ytd=Decimal(500)), as_of=date(2026, 12, 31))
        assert result.reasons[0].text == "年度投资完成 100.0%，序时进度 100.0%，未落后"

    @pytest.mark.parametrize("plan", [None, Decimal(0), Decimal(-5)])
    def test_no_plan(self, plan: Decimal | None) -> None:
        result = compute_light(facts(annual_plan=plan, invested_ytd=Decimal(10)), as_of=AS_OF)
        assert result.light == GREEN
        assert result.reasons == (Reason("no_plan", GREEN, "未安排年度计划投资，不考核投资进度"),)

    def test_january_not_assessed(self) -> None:
        result = compute_light(facts(annual_plan=Decimal(1000), invested_ytd=Decimal(0)), as_of=date(2026, 1, 15))
        assert result.light == GREEN
        (reason,) = result.reasons
        assert reason.rule == "investment_not_due"
        assert reason.light == GREEN

    def test_custom_thresholds(self) -> None:
        thresholds = LightThresholds(yellow_gap=Decimal(5), red_gap=Decimal(8))
        project = facts(annual_plan=Decimal(1000), invested_ytd=Decimal(760))  # gap 7.3
        assert compute_light(project, as_of=AS_OF, thresholds=thresholds).light == YELLOW
        assert compute_light(project, as_of=AS_OF).light == GREEN


class TestStart:
    def test_same_month_not_yet_passed(self) -> None:
        result = compute_light(facts(stage="preparing", planned_start=date(2026, 11, 28)), as_of=AS_OF)
        assert result.light == YELLOW
        (reason,) = reasons_of(result, "start_due")
        assert reason == Reason("start_due", YELLOW, "计划 2026-11-28 开工，本月应开工尚未开工")

    def test_planned_today_is_due(self) -> None:
        result = compute_light(facts(stage="planning", planned_start=AS_OF), as_of=AS_OF)
        (reason,) = reasons_of(result, "start_due")
        assert reason.light == YELLOW

    def test_passed(self) -> None:
        result = compute_light(facts(stage="preparing", planned_start=date(2026, 10, 15)), as_of=AS_OF)
        assert result.light == YELLOW
        (reason,) = reasons_of(result, "start_late")
        assert reason == Reason("start_late", YELLOW, "计划 2026-10-15 开工，逾期 39 天未开工")

    def test_red_at_exactly_three_months(self) -> None:
        result = compute_light(facts(stage="preparing", planned_start=date(2026, 3, 15)), as_of=date(2026, 6, 15))
        assert result.light == RED
        (reason,) = reasons_of(result, "start_late")
        assert reason == Reason("start_late", RED, "计划 2026-03-15 开工，已逾期 3 个月未开工")

    def test_yellow_one_day_before_three_months(self) -> None:
        result = compute_light(facts(stage="preparing", planned_start=date(2026, 3, 15)), as_of=date(2026, 6, 14))
        assert result.light == YELLOW
        (reason,) = reasons_of(result, "start_late")
        assert reason.text == "计划 2026-03-15 开工，逾期 91 天未开工"

    def test_red_counts_whole_months(self) -> None:
        result = compute_light(facts(stage="planning", planned_start=date(2026, 3, 15)), as_of=AS_OF)
        (reason,) = reasons_of(result, "start_late")
        assert reason.text == "计划 2026-03-15 开工，已逾期 8 个月未开工"

    def test_month_end_clamps(self) -> None:
        # 30 Nov + 3 months = 28 Feb 2027 (no 30 Feb).
        project = facts(stage="preparing", planned_start=date(2026, 11, 30))
        assert compute_light(project, as_of=date(2027, 2, 27)).light == YELLOW
        assert compute_light(project, as_of=date(2027, 2, 28)).light == RED

    def test_future_month_no_reason(self) -> None:
        result = compute_light(facts(stage="preparing", planned_start=date(2026, 12, 1)), as_of=AS_OF)
        assert result.light == GREEN
        assert not reasons_of(result, "start_due")

    @pytest.mark.parametrize("stage", sorted(STARTED_STAGES))
    def test_started_stage_without_date_is_started(self, stage: str) -> None:
        result = compute_light(facts(stage=stage, planned_start=date(2026, 1, 1)), as_of=AS_OF)
        assert result.light == GREEN

    def test_actual_start_counts_as_started(self) -> None:
        result = compute_light(
            facts(
                stage="preparing",
                planned_start=date(2026, 1, 1),
                actual_start=date(2026, 5, 1),
            ),
            as_of=AS_OF,
        )
        assert result.light == GREEN

    def test_no_planned_start_no_reason(self) -> None:
        result = compute_light(facts(stage="planning"), as_of=AS_OF)
        assert [reason.rule for reason in result.reasons] == ["no_plan"]


class TestMilestones:
    @pytest.mark.parametrize(
        ("days_overdue", "light"),
        [(0, GREEN), (1, YELLOW), (30, YELLOW), (31, RED)],
    )
    def test_overdue_boundaries(self, days_overdue: int, light: str) -> None:
        planned = AS_OF - timedelta(days=days_overdue)
        result = compute_light(facts(milestones=[MilestoneFact("用地预审", planned, None)]), as_of=AS_OF)
        assert result.light == light
        if light == GREEN:
            assert reasons_of(result, "milestones_on_time")
            assert not reasons_of(result, "milestone_overdue")
        else:
            (reason,) = reasons_of(result, "milestone_overdue")
            assert reason.light == light
            assert reason.text == f"用地预审节点逾期 {days_overdue} 天"

    def test_text_exact(self) -> None:
        result = compute_light(
            facts(milestones=[MilestoneFact("施工许可", date(2026, 10, 12), None)]),
            as_of=AS_OF,
        )
        assert result.reasons[0] == Reason("milestone_overdue", RED, "施工许可节点逾期 42 天")

    def test_done_late_gives_no_light(self) -> None:
        result = compute_light(
            facts(milestones=[MilestoneFact("施工许可", date(2026, 9, 1), date(2026, 11, 1))]),
            as_of=AS_OF,
        )
        assert result.light == GREEN
        assert not reasons_of(result, "milestone_overdue")
        assert reasons_of(result, "milestones_on_time") == [Reason("milestones_on_time", GREEN, "各节点均按期推进")]

    def test_without_planned_date_ignored(self) -> None:
        result = compute_light(facts(milestones=[MilestoneFact("竣工验收", None, None)]), as_of=AS_OF)
        assert not reasons_of(result, "milestone_overdue")
        assert not reasons_of(result, "milestones_on_time")

    def test_no_milestones_no_milestone_reason(self) -> None:
        result = compute_light(facts(), as_of=AS_OF)
        assert not reasons_of(result, "milestones_on_time")

    def test_custom_red_days(self) -> None:
        thresholds = LightThresholds(milestone_red_days=10)
        project = facts(milestones=[MilestoneFact("环评", AS_OF - timedelta(days=11), None)])
        assert compute_light(project, as_of=AS_OF, thresholds=thresholds).light == RED


class TestCombined:
    def test_worst_first_rule_order_within_colour(self) -> None:
        result = compute_light(
            facts(
                stage="preparing",
                planned_start=date(2026, 10, 15),  # start yellow
                milestones=[
                    MilestoneFact("用地预审", AS_OF - timedelta(days=1), None),  # yellow
                    MilestoneFact("施工许可", AS_OF - timedelta(days=40), None),  # red
                ],
                annual_plan=Decimal(1000),
                invested_ytd=Decimal(100),  # investment red
            ),
            as_of=AS_OF,
        )
        assert result.light == RED
        assert [(r.rule, r.light) for r in result.reasons] == [
            ("milestone_overdue", RED),
            ("investment_behind", RED),
            ("milestone_overdue", YELLOW),
            ("start_late", YELLOW),
        ]
        assert result.reasons[0].text == "施工许可节点逾期 40 天"

    def test_light_is_worst_reason(self) -> None:
        result = compute_light(
            facts(
                milestones=[MilestoneFact("用地预审", AS_OF - timedelta(days=1), None)],
                annual_plan=Decimal(1000),
                invested_ytd=Decimal(900),
            ),
            as_of=AS_OF,
        )
        assert result.light == YELLOW
        assert [r.light for r in result.reasons] == [YELLOW, GREEN]

    def test_all_fine_green_with_reasons(self) -> None:
        result = compute_light(
            facts(
                stage="building",
                planned_start=date(2026, 3, 1),
                actual_start=date(2026, 3, 5),
                milestones=[
                    MilestoneFact("施工许可", date(2026, 2, 1), date(2026, 2, 1)),
                    MilestoneFact("主体封顶", date(2026, 12, 20), None),
                ],
                annual_plan=Decimal(1000),
                invested_ytd=Decimal(850),
            ),
            as_of=AS_OF,
        )
        assert result.light == GREEN
        assert result.reasons == (
            Reason("milestones_on_time", GREEN, "各节点均按期推进"),
            Reason("investment_on_track", GREEN, "年度投资完成 85.0%，序时进度 83.3%，未落后"),
        )

    def test_reasons_never_empty(self) -> None:
        result = compute_light(facts(stage="planning"), as_of=date(2026, 1, 15))
        assert result.reasons

    @given(
        as_of=st.dates(date(2025, 1, 1), date(2027, 12, 31)),
        stage=st.sampled_from(["planning", "preparing", "building", "completed", "producing"]),
        planned_start=st.none() | st.dates(date(2024, 1, 1), date(2027, 12, 31)),
        milestone_dates=st.lists(
            st.tuples(
                st.none() | st.dates(date(2025, 1, 1), date(2027, 12, 31)),
                st.none() | st.dates(date(2025, 1, 1), date(2027, 12, 31)),
            ),
            max_size=4,
        ),
        annual_plan=st.none() | st.decimals(-10, 100000, places=2),
        invested=st.decimals(0, 100000, places=2),
    )
    def test_light_is_max_severity_and_sorted(
        self,
        as_of: date,
        stage: str,
        planned_start: date | None,
        milestone_dates: list[tuple[date | None, date | None]],
        annual_plan: Decimal | None,
        invested: Decimal,
    ) -> None:
        result = compute_light(
            facts(
                stage=stage,
                planned_start=planned_start,
                milestones=[MilestoneFact(f"m{i}", p, a) for i, (p, a) in enumerate(milestone_dates)],
                annual_plan=annual_plan,
                invested_ytd=invested,
            ),
            as_of=as_of,
        )
        severities = [SEVERITY[r.light] for r in result.reasons]
        assert severities
        assert severities == sorted(severities, reverse=True)
        assert SEVERITY[result.light] == severities[0]
        assert all(r.text for r in result.reasons)


class TestThresholds:
    def test_defaults(self) -> None:
        t = LightThresholds()
        assert (t.yellow_gap, t.red_gap, t.start_red_months, t.milestone_red_days) == (
            Decimal(10),
            Decimal(30),
            3,
            30,
        )

    def test_from_mapping_coerces_and_ignores_unknown(self) -> None:
        t = LightThresholds.from_mapping(
            {
                "yellow_gap": 12.5,
                "RED_GAP": "40",
                "start_red_months": "2",
                "milestone_red_days": 45.0,
                "colour": "blue",
            }
        )
        assert t == LightThresholds(
            yellow_gap=Decimal("12.5"),
            red_gap=Decimal(40),
            start_red_months=2,
            milestone_red_days=45,
        )
        assert isinstance(t.yellow_gap, Decimal)
        assert isinstance(t.start_red_months, int)

    def test_from_mapping_empty_gives_defaults(self) -> None:
        assert LightThresholds.from_mapping({}) == LightThresholds()

    @pytest.mark.parametrize(
        "data",
        [
            {"yellow_gap": "abc"},
            {"yellow_gap": None},
            {"red_gap": float("nan")},
            {"start_red_months": 2.5},
            {"milestone_red_days": True},
            {"yellow_gap": 40},  # above red_gap
            {"start_red_months": -1},
        ],
    )
    def test_from_mapping_rejects_bad_values(self, data: dict[str, object]) -> None:
        with pytest.raises(ValueError):
            LightThresholds.from_mapping(data)


class TestRulesInWords:
    def test_defaults_filled_in(self) -> None:
        sentences = rules_in_words(LightThresholds())
        assert len(sentences) == 7  # the planned completion has its own sentence (test_completion_rule.py)
        text = "\n".join(sentences)
        assert "不足 10 个百分点为绿灯" in text
        assert "落后 10 至 30 个百分点（含）为黄灯" in text
        assert "满 3 个月仍未开工的为红灯" in text
        assert "逾期 1 至 30 天为黄灯" in text

    def test_custom_thresholds_filled_in(self) -> None:
        text = "\n".join(
            rules_in_words(
                LightThresholds(
                    yellow_gap=Decimal("12.50"),
                    red_gap=Decimal(40),
                    start_red_months=2,
                    milestone_red_days=15,
                )
            )
        )
        assert "落后 12.5 至 40 个百分点（含）为黄灯" in text
        assert "满 2 个月" in text
        assert "逾期超过 15 天为红灯" in text


class TestAddMonths:
    @pytest.mark.parametrize(
        ("day", "months", "expected"),
        [
            (date(2026, 1, 31), 1, date(2026, 2, 28)),
            (date(2024, 1, 31), 1, date(2024, 2, 29)),
            (date(2026, 11, 30), 3, date(2027, 2, 28)),
            (date(2026, 3, 15), 3, date(2026, 6, 15)),
            (date(2026, 12, 31), 12, date(2027, 12, 31)),
            (date(2026, 3, 31), -1, date(2026, 2, 28)),
        ],
    )
    def test_values(self, day: date, months: int, expected: date) -> None:
        assert add_months(day, months) == expected


STEPS = [("立项", 0), ("可研批复", 5), ("施工许可", 3), ("开工", 2)]


class TestReverseSchedule:
    def test_across_mid_autumn_and_national_day_2026(self) -> None:
        # Hand-checked against the 2026 schedule: 25-27 Sep and 1-7 Oct off,
        # Sat 10 Oct a working day, Sun 11 Oct off.
        #   开工 Mon 12 Oct
        #   施工许可: 2 back from 12 Oct -> 10 Oct (Sat, 调休), 9 Oct
        #   可研批复: 3 back from 9 Oct -> 8 Oct, 30 Sep, 29 Sep
        #   立项: 5 back from 29 Sep -> 28, 24, 23, 22, 21 Sep
        assert reverse_schedule(STEPS, date(2026, 10, 12), CAL) == [
            ("立项", date(2026, 9, 21)),
            ("可研批复", date(2026, 9, 29)),
            ("施工许可", date(2026, 10, 9)),
            ("开工", date(2026, 10, 12)),
        ]

    def test_target_on_holiday_sunday_rolls_back_to_adjusted_saturday(self) -> None:
        # 立项: 5 back from 28 Sep -> 24, 23, 22, 21 Sep and Sun 20 Sep, which
        # is itself a 调休 working day.
        result = reverse_schedule(STEPS, date(2026, 10, 11), CAL)
        assert result == [
            ("立项", date(2026, 9, 20)),
            ("可研批复", date(2026, 9, 28)),
            ("施工许可", date(2026, 10, 8)),
            ("开工", date(2026, 10, 10)),
        ]

    def test_target_on_ordinary_sunday(self) -> None:
        result = reverse_schedule([("准备", 0), ("交付", 1)], date(2026, 11, 22), CAL)
        assert result == [("准备", date(2026, 11, 19)), ("交付", date(2026, 11, 20))]

    def test_single_step_first_duration_ignored(self) -> None:
        assert reverse_schedule([("开工", 99)], date(2026, 11, 23), CAL) == [("开工", date(2026, 11, 23))]

    def test_zero_durations_share_a_date(self) -> None:
        result = reverse_schedule([("a", 0), ("b", 0), ("c", 0)], date(2026, 10, 4), CAL)
        assert [day for _, day in result] == [date(2026, 9, 30)] * 3

    def test_uses_calendar_overrides(self) -> None:
        cal = WorkCalendar({date(2026, 11, 20): False})
        result = reverse_schedule([("a", 0), ("b", 1)], date(2026, 11, 23), cal)
        assert result == [("a", date(2026, 11, 19)), ("b", date(2026, 11, 23))]

    def test_empty_steps(self) -> None:
        with pytest.raises(ValueError, match="至少需要一个步骤"):
            reverse_schedule([], date(2026, 11, 23), CAL)

    def test_negative_duration(self) -> None:
        with pytest.raises(ValueError, match="施工许可"):
            reverse_schedule([("立项", 0), ("施工许可", -1)], date(2026, 11, 23), CAL)

    @given(
        durations=st.lists(st.integers(min_value=0, max_value=60), min_size=1, max_size=8),
        target=st.dates(date(2025, 1, 1), date(2027, 12, 31)),
        holidays=st.sets(st.dates(date(2026, 12, 1), date(2027, 2, 28)), max_size=10),
    )
    def test_property(self, durations: list[int], target: date, holidays: set[date]) -> None:
        cal = WorkCalendar({day: False for day in holidays})
        steps = [(f"step{i}", d) for i, d in enumerate(durations)]
        result = reverse_schedule(steps, target, cal)
        assert [name for name, _ in result] == [name for name, _ in steps]
        dates = [day for _, day in result]
        assert dates[-1] == cal.previous_or_same_workday(target)
        assert all(cal.is_workday(day) for day in dates)
        assert dates == sorted(dates)
        for i in range(1, len(dates)):
            assert cal.workdays_between(dates[i - 1], dates[i]) == durations[i]
