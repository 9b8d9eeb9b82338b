"""One count of days overdue, one escalation rule, and its SQL twin held to it.

``projects.rules.days_overdue`` is the only count of "逾期 N 天"; ``dispatch.rules.problem_escalation``
the only escalation rule; ``dispatch.supervision.services.level_q`` filters in the database and must pick
exactly the problems the rule puts at each level, for any day and any thresholds.
"""
from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import override_settings
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core import district
from dispatch import rules
from dispatch.models import Problem
from dispatch.supervision import services as problems
from org.models import Unit
from projects import rules as light_rules
from projects.models import Milestone

BASE = dt.date(2026, 6, 15)
SPAN = 40  # deadlines from BASE − SPAN to BASE + SPAN


@given(due=st.dates(), on=st.dates())
def test_days_overdue(due: dt.date, on: dt.date) -> None:
    days = light_rules.days_overdue(due, on)
    assert days == max(0, (on - due).days)
    assert light_rules.days_overdue(None, on) == 0


def test_every_count_of_days_overdue_is_the_rule(make_project: Any) -> None:
    on = dt.date(2026, 5, 20)
    milestone = Milestone(project=make_project(), order=1, name="施工许可", planned_date=dt.date(2026, 5, 1))
    assert milestone.overdue_days(on) == light_rules.days_overdue(milestone.planned_date, on) == 19
    milestone.actual_date = dt.date(2026, 5, 10)
    assert milestone.overdue_days(on) == 0
    escalation = rules.problem_escalation(deadline=dt.date(2026, 5, 1), today=on, closed=False, red_days=30)
    assert escalation.level == rules.YELLOW and "已逾期 19 天" in escalation.text
    assert rules.problem_escalation(deadline=on, today=on, closed=False).text == "今天到期，请抓紧办结"


@pytest.fixture
def spread(units: dict[str, Unit]) -> list[Problem]:
    made = []
    for offset in range(-SPAN, SPAN + 1):
        for state in (Problem.State.ASSIGNED, Problem.State.ANSWERED, Problem.State.CLOSED):
            made.append(Problem.objects.create(
                description=f"问题{offset}{state}", responsible_unit=units["town_a"],
                deadline=BASE + dt.timedelta(days=offset), state=state,
            ))
    return made


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    shift=st.integers(min_value=-SPAN // 2, max_value=SPAN // 2),
    remind=st.integers(min_value=0, max_value=10),
    red=st.integers(min_value=0, max_value=20),
)
def test_the_sql_filter_is_the_rule(spread: list[Problem], shift: int, remind: int, red: int) -> None:
    on = BASE + dt.timedelta(days=shift)
    # One reading of the district's settings for the example, as a request or a task has.
    with override_settings(DIAODU_PROBLEM_REMIND_DAYS=remind, DIAODU_PROBLEM_RED_DAYS=red), district.scope():
        for level in problems.LEVELS:
            in_sql = set(Problem.objects.filter(problems.level_q(level, on)).values_list("pk", flat=True))
            by_rule = {p.pk for p in spread if problems.escalation(p, on).level == level}
            assert in_sql == by_rule, (level, on, remind, red)


@pytest.mark.django_db
def test_the_rule_in_words_uses_the_districts_numbers() -> None:
    # No district settings saved: the deployment's environment values are the district's.
    with override_settings(DIAODU_PROBLEM_REMIND_DAYS=5, DIAODU_PROBLEM_RED_DAYS=10):
        words = problems.escalation_rule_in_words()
    assert words == rules.escalation_in_words(remind_days=5, red_days=10)
    assert words[1] == "逾期 1 至 10 天：黄色预警。"
