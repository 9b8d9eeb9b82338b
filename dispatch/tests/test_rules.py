"""The pure rules of the dispatch cycle: deadline rules at their boundaries, problem escalation thresholds.

Dates are checked against the 2026 State Council schedule as org.workdays.WorkCalendar knows it:
25 April and 25 July 2026 are Saturdays, 25 September is the Mid-Autumn holiday, 1–7 October
the National Day holiday with Saturday 10 October worked, and 31 October is a Saturday.
"""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from dispatch import rules
from dispatch.rules import BLUE, NONE, RED, YELLOW, DeadlineRule, period_bounds, period_deadline, problem_escalation
from org.workdays import WorkCalendar

CAL = WorkCalendar()
D = dt.date


def test_the_calendar_agrees_with_the_dates_these_tests_assume() -> None:
    assert D(2026, 4, 25).weekday() == 5 and not CAL.is_workday(D(2026, 4, 25))
    assert D(2026, 10, 31).weekday() == 5 and not CAL.is_workday(D(2026, 10, 31))
    assert not any(CAL.is_workday(D(2026, 10, day)) for day in range(1, 8))
    assert CAL.is_workday(D(2026, 10, 10))  # a Saturday worked for the holiday (调休)
    assert CAL.is_workday(D(2026, 2, 28))  # likewise for the Spring Festival
    assert not CAL.is_workday(D(2026, 9, 25))  # Mid-Autumn, a Friday


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("day:25", DeadlineRule("day", 25)), (" workdays:5 ", DeadlineRule("workdays", 5)),
        ("day:1", DeadlineRule("day", 1)), ("day:31", DeadlineRule("day", 31)),
        ("workdays:0", DeadlineRule("workdays", 0)),
    ],
)
def test_rules_parse(text: str, expected: DeadlineRule) -> None:
    assert DeadlineRule.parse(text) == expected


@pytest.mark.parametrize("text", ["", "day", "day:", "day:0", "day:32", "workdays:31", "week:2", "day:-1", "day:x"])
def test_bad_rules_are_refused_with_the_text(text: str) -> None:
    with pytest.raises(ValueError, match="截止规则"):
        DeadlineRule.parse(text)


def test_rules_in_words() -> None:
    assert "25" in DeadlineRule("day", 25).in_words()
    assert "第 5 个工作日" in DeadlineRule("workdays", 5).in_words()


def test_period_bounds() -> None:
    assert period_bounds(2026, 2, 0) == (D(2026, 2, 1), D(2026, 2, 28))
    assert period_bounds(2028, 2, 0) == (D(2028, 2, 1), D(2028, 2, 29))
    assert period_bounds(2026, 12, 0) == (D(2026, 12, 1), D(2026, 12, 31))
    assert period_bounds(2026, 10, 1) == (D(2026, 10, 1), D(2026, 10, 15))
    assert period_bounds(2026, 10, 2) == (D(2026, 10, 16), D(2026, 10, 31))


DAY_25 = DeadlineRule("day", 25)
WORKDAYS_5 = DeadlineRule("workdays", 5)


@pytest.mark.parametrize(
    ("year", "month", "half", "rule", "expected"),
    [
        # A working day stays.
        (2026, 3, 0, DAY_25, D(2026, 3, 25)),
        # Saturday the 25th moves back to Friday.
        (2026, 4, 0, DAY_25, D(2026, 4, 24)),
        (2026, 7, 0, DAY_25, D(2026, 7, 24)),
        # Sunday the 25th moves back over Saturday to Friday.
        (2026, 10, 0, DAY_25, D(2026, 10, 23)),
        # A holiday Friday moves back to Thursday.
        (2026, 9, 0, DAY_25, D(2026, 9, 24)),
        # day:31 in a 30-day month is the last day (30 November 2026 is a Monday).
        (2026, 11, 0, DeadlineRule("day", 31), D(2026, 11, 30)),
        # February: the 31st becomes the 28th, a Saturday but worked for the Spring Festival (调休).
        (2026, 2, 0, DeadlineRule("day", 31), D(2026, 2, 28)),
        # February 2027 (no official schedule yet: Monday to Friday): Sunday the 28th → Friday the 26th.
        (2027, 2, 0, DeadlineRule("day", 31), D(2027, 2, 26)),
        # The first half is due at its end, the 15th (15 August 2026 is a Saturday → Friday 14th).
        (2026, 8, 1, DAY_25, D(2026, 8, 14)),
        (2026, 10, 2, DAY_25, D(2026, 10, 23)),
        # A day before the second half starts means the second half's last working day (the 31st is a Saturday).
        (2026, 10, 2, DeadlineRule("day", 10), D(2026, 10, 30)),
        (2026, 9, 2, DeadlineRule("day", 10), D(2026, 9, 30)),
        # September ends on Wednesday 30th; the five working days skip 1–7 October and count Saturday the 10th.
        (2026, 9, 0, WORKDAYS_5, D(2026, 10, 13)),
        # October ends on Saturday 31st; counting starts on Monday 2 November.
        (2026, 10, 0, WORKDAYS_5, D(2026, 11, 6)),
        (2026, 10, 0, DeadlineRule("workdays", 1), D(2026, 11, 2)),
        # workdays:0 is the period's last working day.
        (2026, 10, 0, DeadlineRule("workdays", 0), D(2026, 10, 30)),
        # The second half of September with workdays:3: 8, 9, 10 October.
        (2026, 9, 2, DeadlineRule("workdays", 3), D(2026, 10, 10)),
    ],
)
def test_period_deadline(year: int, month: int, half: int, rule: DeadlineRule, expected: dt.date) -> None:
    assert period_deadline(year, month, half, rule, CAL) == expected


def test_a_holiday_table_entry_moves_the_deadline() -> None:
    # An administrator marks Wednesday 25 March 2026 a holiday: the deadline moves back to the 24th.
    calendar = WorkCalendar({D(2026, 3, 25): False})
    assert period_deadline(2026, 3, 0, DAY_25, calendar) == D(2026, 3, 24)
    # ...and a worked Saturday keeps the 25 April deadline on the day.
    calendar = WorkCalendar({D(2026, 4, 25): True})
    assert period_deadline(2026, 4, 0, DAY_25, calendar) == D(2026, 4, 25)


# --- escalation ---------------------------------------------------------------------------------

DEADLINE = D(2026, 6, 30)


@pytest.mark.parametrize(
    ("today", "level"),
    [
        (D(2026, 6, 26), NONE),  # 4 days left, remind_days 3
        (D(2026, 6, 27), BLUE),  # exactly remind_days left
        (D(2026, 6, 30), BLUE),  # the deadline day itself
        (D(2026, 7, 1), YELLOW),  # one day overdue
        (D(2026, 7, 15), YELLOW),  # exactly red_days overdue
        (D(2026, 7, 16), RED),  # red_days + 1
    ],
)
def test_escalation_boundaries(today: dt.date, level: str) -> None:
    result = problem_escalation(deadline=DEADLINE, today=today, closed=False, remind_days=3, red_days=15)
    assert result.level == level
    assert result.text


def test_escalation_texts_quote_the_days() -> None:
    assert "4" in problem_escalation(deadline=DEADLINE, today=D(2026, 6, 26), closed=False).text
    assert "今天到期" in problem_escalation(deadline=DEADLINE, today=DEADLINE, closed=False).text
    assert "逾期 1 天" in problem_escalation(deadline=DEADLINE, today=D(2026, 7, 1), closed=False).text
    assert "红牌" in problem_escalation(deadline=DEADLINE, today=D(2026, 8, 1), closed=False).text


def test_escalation_thresholds_are_parameters() -> None:
    assert problem_escalation(deadline=DEADLINE, today=D(2026, 6, 20), closed=False, remind_days=10).level == BLUE
    assert problem_escalation(deadline=DEADLINE, today=D(2026, 6, 19), closed=False, remind_days=10).level == NONE
    assert problem_escalation(deadline=DEADLINE, today=D(2026, 7, 3), closed=False, red_days=2).level == RED
    assert problem_escalation(deadline=DEADLINE, today=D(2026, 7, 2), closed=False, red_days=2).level == YELLOW


def test_a_closed_problem_never_escalates() -> None:
    assert problem_escalation(deadline=DEADLINE, today=D(2027, 1, 1), closed=True).level == NONE


def test_severity_order() -> None:
    levels = sorted([RED, NONE, YELLOW, BLUE], key=rules.ESCALATION_SEVERITY.__getitem__)
    assert levels == [NONE, BLUE, YELLOW, RED]


def test_there_is_one_escalation_rule() -> None:
    """dispatch keeps no copy: its names are the tracked item's rule (core.tracking.escalation)."""
    from core.tracking import escalation

    assert problem_escalation is escalation.escalation
    assert rules.escalation_in_words is escalation.escalation_in_words
    assert rules.ESCALATION_SEVERITY is escalation.SEVERITY
    source = Path(rules.__file__).read_text(encoding="utf-8")
    assert "def problem_escalation" not in source and "ngettext" not in source
