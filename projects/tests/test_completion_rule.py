"""The planned completion lights a project (projects.rules rule 4, second part; docs/rules.md).

A project whose planned completion date has passed while it is neither completed nor producing is
overdue, with the milestones' thresholds: yellow up to ``milestone_red_days`` days, red beyond.
The real case: RL-29-01 was due at the end of 2016 and was still green in 2026.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from django.utils import translation

from org.models import User
from projects import rules, services
from projects.rules import GREEN, RED, RULE_COMPLETION_OVERDUE, YELLOW, LightThresholds, ProjectFacts

DUE = dt.date(2026, 10, 24)


@pytest.fixture(autouse=True)
def chinese() -> Iterator[None]:
    with translation.override("zh-hans"):
        yield


def facts(
    *, stage: str = "building", planned_completion: dt.date | None = DUE, annual_plan: Decimal | None = None,
    invested_ytd: Decimal = Decimal(0), milestones: tuple[rules.MilestoneFact, ...] = (),
) -> ProjectFacts:
    return ProjectFacts(
        stage=stage, planned_start=dt.date(2025, 3, 1), actual_start=dt.date(2025, 3, 10), milestones=milestones,
        annual_plan=annual_plan, invested_ytd=invested_ytd, planned_completion=planned_completion,
    )


def completion_reasons(result: rules.LightResult) -> list[rules.Reason]:
    return [reason for reason in result.reasons if reason.rule == RULE_COMPLETION_OVERDUE]


# --- the rule ---------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("as_of", "light", "days"),
    [
        (DUE - dt.timedelta(days=1), GREEN, 0),
        (DUE, GREEN, 0),  # due today is not late
        (DUE + dt.timedelta(days=1), YELLOW, 1),
        (DUE + dt.timedelta(days=30), YELLOW, 30),  # up to the milestones' red days: yellow
        (DUE + dt.timedelta(days=31), RED, 31),
    ],
)
def test_the_boundary_days(as_of: dt.date, light: str, days: int) -> None:
    result = rules.compute_light(facts(), as_of=as_of)
    assert result.light == light
    if days:
        assert completion_reasons(result) == [
            rules.Reason(RULE_COMPLETION_OVERDUE, light, f"计划 2026-10-24 竣工，已逾期 {days} 天仍未竣工")
        ]
    else:
        assert completion_reasons(result) == []


def test_the_threshold_is_the_milestones_red_days() -> None:
    thresholds = LightThresholds(milestone_red_days=5)
    assert rules.compute_light(facts(), as_of=DUE + dt.timedelta(days=5), thresholds=thresholds).light == YELLOW
    assert rules.compute_light(facts(), as_of=DUE + dt.timedelta(days=6), thresholds=thresholds).light == RED
    # And zero days: red from the first day late, as for a milestone.
    zero = LightThresholds(milestone_red_days=0)
    assert rules.compute_light(facts(), as_of=DUE + dt.timedelta(days=1), thresholds=zero).light == RED


def test_a_project_due_in_2016_is_red_with_its_days_in_words() -> None:
    as_of = dt.date(2026, 11, 23)
    result = rules.compute_light(facts(planned_completion=dt.date(2016, 12, 31)), as_of=as_of)
    days = (as_of - dt.date(2016, 12, 31)).days
    assert result.light == RED
    assert result.reasons[0] == rules.Reason(
        RULE_COMPLETION_OVERDUE, RED, f"计划 2016-12-31 竣工，已逾期 {days} 天仍未竣工"
    )


@pytest.mark.parametrize("stage", sorted(rules.COMPLETED_STAGES))
def test_completed_and_producing_projects_are_not_overdue(stage: str) -> None:
    result = rules.compute_light(facts(stage=stage, planned_completion=dt.date(2016, 12, 31)),
                                 as_of=dt.date(2026, 11, 23))
    assert result.light == GREEN
    assert completion_reasons(result) == []


@pytest.mark.parametrize("stage", [s for s in rules.STAGES if s not in rules.COMPLETED_STAGES])
def test_every_unfinished_stage_is_overdue(stage: str) -> None:
    result = rules.compute_light(facts(stage=stage), as_of=DUE + dt.timedelta(days=2))
    assert [reason.light for reason in completion_reasons(result)] == [YELLOW]


def test_without_a_planned_completion_nothing_changes() -> None:
    result = rules.compute_light(facts(planned_completion=None), as_of=dt.date(2030, 1, 1))
    assert completion_reasons(result) == []
    # Facts built without the field at all (published snapshots' lights) do not assess it either.
    legacy = ProjectFacts(stage="building", planned_start=None, actual_start=None, milestones=(), annual_plan=None,
                          invested_ytd=Decimal(0))
    assert completion_reasons(rules.compute_light(legacy, as_of=dt.date(2030, 1, 1))) == []


def test_it_comes_first_within_its_colour_and_the_light_is_the_worst() -> None:
    late_milestone = rules.MilestoneFact("竣工验收", DUE - dt.timedelta(days=10), None)
    # Investment on track (green), a milestone 50 days late (red), completion 40 days late (red).
    result = rules.compute_light(
        facts(annual_plan=Decimal(1000), invested_ytd=Decimal(900), milestones=(late_milestone,)),
        as_of=DUE + dt.timedelta(days=40),
    )
    assert result.light == RED
    assert [reason.rule for reason in result.reasons] == [
        RULE_COMPLETION_OVERDUE, rules.RULE_MILESTONE_OVERDUE, rules.RULE_INVESTMENT_ON_TRACK
    ]
    # A yellow completion under a red investment gap: red, the completion listed after it.
    behind = rules.compute_light(
        facts(annual_plan=Decimal(1000), invested_ytd=Decimal(100)), as_of=DUE + dt.timedelta(days=3)
    )
    assert behind.light == RED
    assert [(r.rule, r.light) for r in behind.reasons] == [
        (rules.RULE_INVESTMENT_BEHIND, RED), (RULE_COMPLETION_OVERDUE, YELLOW)
    ]


def test_the_rules_in_words_say_it_with_the_threshold() -> None:
    sentences = rules.rules_in_words(LightThresholds(milestone_red_days=15))
    completion = [s for s in sentences if s.startswith("竣工：")]
    assert completion == [
        "竣工：计划竣工日期已过、项目阶段仍未到竣工或投产的，逾期 1 至 15 天为黄灯，逾期超过 15 天为红灯。"
    ]
    # Stated before the sentence that takes the worst of "all the above".
    assert sentences.index(completion[0]) < next(i for i, s in enumerate(sentences) if s.startswith("项目灯色取"))


# --- from the database ------------------------------------------------------------------------

@pytest.mark.usefixtures("clock")  # 15 May 2026
def test_every_way_a_light_is_computed_reads_the_planned_completion(
    personas: dict[str, User], make_project: Any
) -> None:
    overdue = make_project(planned_completion=dt.date(2016, 12, 31))
    finished = make_project(planned_completion=dt.date(2016, 12, 31), stage="completed")
    on_time = make_project(planned_completion=dt.date(2026, 5, 15))
    text = f"计划 2016-12-31 竣工，已逾期 {(dt.date(2026, 5, 15) - dt.date(2016, 12, 31)).days} 天仍未竣工"

    assert services.project_light(overdue).reasons[0] == rules.Reason(RULE_COMPLETION_OVERDUE, RED, text)
    assert completion_reasons(services.project_light(finished)) == []
    assert completion_reasons(services.project_light(on_time)) == []

    # The project page's path, from rows already read.
    page = services.project_light_of(
        overdue, milestones=[], plans=[], reports=[],
        as_of=dt.date(2026, 5, 15),
    )
    assert page == services.project_light(overdue)

    # The daily refresh of every light stores it, in words.
    services.lights_refresh_all()
    for project in (overdue, finished, on_time):
        project.refresh_from_db()
    assert (overdue.light, overdue.light_reasons[0]) == (RED, [RED, text])
    assert finished.light == on_time.light == GREEN


@pytest.mark.usefixtures("clock")  # 15 May 2026
def test_moving_the_planned_completion_relights_the_project(personas: dict[str, User], make_project: Any) -> None:
    project = make_project(planned_completion=dt.date(2027, 6, 30))
    services.project_light_refresh(project)
    assert project.light == GREEN
    project.planned_completion = dt.date(2026, 5, 1)
    services.project_save(by=personas["office"], project=project)
    project.refresh_from_db()
    assert project.light == YELLOW
    assert [YELLOW, "计划 2026-05-01 竣工，已逾期 14 天仍未竣工"] in project.light_reasons
