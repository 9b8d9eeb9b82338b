"""core.models.Period: every kind's dates and label, one freeze message; core.hooks answer across layers."""
from __future__ import annotations

import datetime as dt

import pytest

from core.hooks import Hook
from core.models import Period


@pytest.mark.parametrize(
    ("kind", "month", "half", "first", "last", "label"),
    [
        ("month", 2, 0, dt.date(2028, 2, 1), dt.date(2028, 2, 29), "2028年2月"),
        ("half", 2, 1, dt.date(2028, 2, 1), dt.date(2028, 2, 15), "2028年2月上半月"),
        ("half", 2, 2, dt.date(2028, 2, 16), dt.date(2028, 2, 29), "2028年2月下半月"),
        ("quarter", 3, 0, dt.date(2028, 1, 1), dt.date(2028, 3, 31), "2028年第1季度"),
        ("quarter", 12, 0, dt.date(2028, 10, 1), dt.date(2028, 12, 31), "2028年第4季度"),
        ("year", 12, 0, dt.date(2028, 1, 1), dt.date(2028, 12, 31), "2028年度"),
    ],
)
def test_every_kind_has_its_dates_and_label(
    kind: str, month: int, half: int, first: dt.date, last: dt.date, label: str
) -> None:
    period = Period(kind=kind, year=2028, month=month, half=half)
    assert (period.first_day, period.last_day, period.label) == (first, last, label)


def test_a_half_month_is_its_own_kind_and_kinds_do_not_clash(db: None) -> None:
    day = dt.date(2026, 12, 1)
    half = Period.objects.create(year=2026, month=12, half=1, opens_on=day, deadline=day)
    assert half.kind == Period.Kind.HALF
    # December, the fourth quarter and the year all end on 31 December: three periods, no clash.
    for kind in (Period.Kind.MONTH, Period.Kind.QUARTER, Period.Kind.YEAR):
        Period.objects.create(kind=kind, year=2026, month=12, opens_on=day, deadline=day)
    assert Period.objects.filter(year=2026, month=12).count() == 4


def test_one_freeze_message() -> None:
    period = Period(kind="quarter", year=2026, month=6, state=Period.State.PUBLISHED)
    assert period.is_frozen
    assert period.frozen_message() == "2026年第2季度已发布，数据已冻结；如需更正，请提交更正申请，由项目办审批。"


def test_a_hook_takes_the_first_answer_and_all_of_them() -> None:
    hook: Hook[str] = Hook("question")
    assert hook.first(x=1) is None and hook.all(x=1) == []
    hook.register(lambda x: None)
    hook.register(lambda x: f"a{x}")
    hook.register(lambda x: f"b{x}")
    assert hook.first(x=1) == "a1" and hook.all(x=2) == ["a2", "b2"]


def test_dispatch_answers_the_questions_projects_asks(db: None) -> None:
    from core import hooks
    from dispatch import hooks as answers

    assert answers.handed_in in hooks.handed_in._answers
    assert answers.project_problems in hooks.project_sections._answers
