"""The tracked item's pure parts: the escalation rule, its SQL twin, the transitions table, the decisions.

The database side (versions, transitions, requests on a real item) is tested on dispatch's Problem
(dispatch/tests/test_problems_*.py), so core needs no test-only model and no migration for one.
"""
from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db.models import Q
from hypothesis import given
from hypothesis import strategies as st

from core.tracking import escalation as esc
from core.tracking.decisions import Decision
from core.tracking.transitions import Transition, TransitionTable

CLOSED = Q(state="closed")
DAYS = st.dates(min_value=dt.date(2000, 1, 1), max_value=dt.date(2100, 12, 31))


def matches(q: Q, row: dict[str, Any]) -> bool:
    """Whether ``row`` passes the filter ``q``: the few lookups the escalation filter uses, as SQL would."""
    results = []
    for child in q.children:
        if isinstance(child, Q):
            results.append(matches(child, row))
            continue
        lookup, value = child
        field, _sep, op = lookup.partition("__")
        actual = row[field]
        results.append({"": actual == value, "gte": actual >= value, "lte": actual <= value}[op])
    result = all(results) if q.connector == Q.AND else any(results)
    return not result if q.negated else result


# --- escalation ----------------------------------------------------------------------------------

@given(
    deadline=DAYS, on=DAYS, closed=st.booleans(),
    remind=st.integers(min_value=0, max_value=30), red=st.integers(min_value=0, max_value=60),
)
def test_the_sql_filter_is_the_rule(deadline: dt.date, on: dt.date, closed: bool, remind: int, red: int) -> None:
    """Each level's filter takes exactly the rows the rule puts at that level, for any day and thresholds."""
    row = {"deadline": deadline, "state": "closed" if closed else "handling"}
    level = esc.escalation(deadline=deadline, today=on, closed=closed, remind_days=remind, red_days=red).level
    taken = [
        name for name in esc.LEVELS
        if matches(esc.level_q(name, on=on, closed=CLOSED, remind_days=remind, red_days=red), row)
    ]
    assert taken == [level]


@given(days_left=st.integers(min_value=-400, max_value=400), remind=st.integers(0, 30), red=st.integers(0, 60))
def test_the_bands_cover_every_day_once(days_left: int, remind: int, red: int) -> None:
    bands = esc.bands(remind_days=remind, red_days=red)
    inside = [
        name for name, (low, high) in bands.items()
        if (low is None or days_left >= low) and (high is None or days_left <= high)
    ]
    assert len(inside) == 1


DEADLINE = dt.date(2026, 6, 30)


@pytest.mark.parametrize(
    ("today", "level", "text"),
    [
        (dt.date(2026, 6, 26), esc.NONE, "距办结时限还有 4 天"),
        (dt.date(2026, 6, 27), esc.BLUE, "距办结时限还有 3 天，请抓紧办结"),
        (DEADLINE, esc.BLUE, "今天到期，请抓紧办结"),
        (dt.date(2026, 7, 1), esc.YELLOW, "已逾期 1 天，预警"),
        (dt.date(2026, 7, 15), esc.YELLOW, "已逾期 15 天，预警"),
        (dt.date(2026, 7, 16), esc.RED, "已逾期 16 天，红牌督办并约谈责任领导"),
    ],
)
def test_the_rule_at_its_boundaries(today: dt.date, level: str, text: str) -> None:
    result = esc.escalation(deadline=DEADLINE, today=today, closed=False, remind_days=3, red_days=15)
    assert (result.level, result.text) == (level, text)


def test_a_closed_item_does_not_escalate() -> None:
    assert esc.escalation(deadline=DEADLINE, today=dt.date(2027, 1, 1), closed=True) == esc.Escalation(
        esc.NONE, "已办结"
    )


def test_the_rule_in_words_has_the_numbers() -> None:
    words = esc.escalation_in_words(remind_days=5, red_days=10)
    assert words[0].startswith("距办结时限 5 天以内") and words[1] == "逾期 1 至 10 天：黄色预警。"


@given(due=DAYS, on=DAYS)
def test_days_overdue(due: dt.date, on: dt.date) -> None:
    assert esc.days_overdue(due, on) == max(0, (on - due).days)
    assert esc.days_overdue(None, on) == 0


# --- the transitions table -----------------------------------------------------------------------

TABLE = TransitionTable(
    Transition("accept", frozenset({"assigned"}), "handling", rule="t.unit", step="accept"),
    Transition("answer", frozenset({"handling"}), "answered", rule="t.unit", step="answer", needs_text=True),
    Transition("send_back", frozenset({"answered", "closed"}), "handling", rule="t.office", step="send_back"),
)


def test_the_table_answers_state_and_action() -> None:
    assert TABLE.moves == {
        ("assigned", "accept"): TABLE["accept"],
        ("handling", "answer"): TABLE["answer"],
        ("answered", "send_back"): TABLE["send_back"],
        ("closed", "send_back"): TABLE["send_back"],
    }
    assert TABLE.get("assigned", "accept") is not None and TABLE.get("assigned", "accept").target == "handling"
    assert TABLE.get("handling", "accept") is None  # not from there
    assert list(TABLE) == ["accept", "answer", "send_back"] and "answer" in TABLE and "close" not in TABLE


def test_an_action_listed_twice_is_refused() -> None:
    with pytest.raises(ValueError, match="twice"):
        TransitionTable(TABLE["accept"], TABLE["accept"])


# --- decisions -----------------------------------------------------------------------------------

def test_decision_keeps_its_values_and_words() -> None:
    """Stored values and labels of every request table; changing them would change stored data."""
    assert Decision.choices == [("pending", "待审批"), ("approved", "已批准"), ("rejected", "已驳回")]
