"""Targets: the pure rules (credit, figures, progress in words, score and rank), the live ranking from the data,
the one write (target_save) and the targets grid."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal as D
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st

from audit.models import AuditEntry
from conftest import client_for, district_time
from investment import services
from investment import targets as tg
from investment.models import Collision, Funds, Lead, StageChange, Target
from org.models import Unit, User

# --- pure: credit ----------------------------------------------------------------------------------------


def _lead(pk: int, unit: int, **fields: Any) -> tg.LeadFacts:
    return tg.LeadFacts(id=pk, enterprise=f"企业{pk}", unit_id=unit, stage=fields.pop("stage", "signed"), **fields)


def test_a_lead_counts_whole_for_its_own_unit() -> None:
    assert tg.lead_credits([_lead(1, 10)], []) == {1: [tg.Credit(1, 10, D(100))]}


def test_a_dropped_lead_counts_nothing() -> None:
    assert tg.lead_credits([_lead(1, 10, stage="dropped")], []) == {}


def test_a_ruling_splits_the_keeper_and_closes_the_other_lead() -> None:
    later, first = _lead(2, 20), _lead(1, 10, stage="dropped")
    ruled = tg.CollisionFacts(lead_id=2, existing_id=1, lead_unit_id=20, existing_unit_id=10, ruled=True,
                              keeper_id=2, lead_share=D(60), existing_share=D(40))
    credits = tg.lead_credits([later, first], [ruled])
    assert credits == {2: [tg.Credit(2, 20, D(60)), tg.Credit(2, 10, D(40))]}
    # The shares of every lead add up to 100: nothing is counted twice.
    assert sum(c.share for cs in credits.values() for c in cs) == D(100)


def test_the_other_lead_counts_nothing_even_when_not_yet_dropped() -> None:
    ruled = tg.CollisionFacts(lead_id=2, existing_id=1, lead_unit_id=20, existing_unit_id=10, ruled=True,
                              keeper_id=1, lead_share=D(0), existing_share=D(100))
    assert tg.lead_credits([_lead(1, 10), _lead(2, 20)], [ruled]) == {1: [tg.Credit(1, 10, D(100))]}


def test_an_open_collision_counts_each_lead_for_its_unit_and_says_so() -> None:
    open_ = tg.CollisionFacts(lead_id=2, existing_id=1, lead_unit_id=20, existing_unit_id=10, ruled=False)
    credits = tg.lead_credits([_lead(1, 10), _lead(2, 20)], [open_])
    assert credits == {1: [tg.Credit(1, 10, D(100), pending=True)], 2: [tg.Credit(2, 20, D(100), pending=True)]}


def test_a_ruling_within_one_unit_keeps_the_whole_lead_there() -> None:
    ruled = tg.CollisionFacts(lead_id=2, existing_id=1, lead_unit_id=10, existing_unit_id=10, ruled=True,
                              keeper_id=1, lead_share=D(30), existing_share=D(70))
    assert tg.lead_credits([_lead(1, 10), _lead(2, 10)], [ruled]) == {1: [tg.Credit(1, 10, D(100))]}


_PAIR = st.tuples(st.integers(1, 3), st.integers(1, 3), st.sampled_from(("open", "later", "first")),
                  st.integers(0, 100))


@given(st.lists(_PAIR, max_size=6))
def test_credit_is_never_counted_twice(pairs: list[tuple[int, int, str, int]]) -> None:
    """Any set of collisions, each between two leads: a ruled pair counts once in all (its shares sum to 100 and
    the other lead is absent); an unruled pair counts each lead once, for its own unit, marked pending."""
    leads, collisions = [], []
    for index, (first_unit, later_unit, state, share) in enumerate(pairs):
        first, later = 2 * index + 1, 2 * index + 2
        leads += [_lead(first, first_unit), _lead(later, later_unit)]
        keeper = {"open": None, "later": later, "first": first}[state]
        collisions.append(tg.CollisionFacts(
            lead_id=later, existing_id=first, lead_unit_id=later_unit, existing_unit_id=first_unit,
            ruled=keeper is not None, keeper_id=keeper, lead_share=D(share), existing_share=D(100 - share)))
    credits = tg.lead_credits(leads, collisions)
    for index, (_first_unit, _later_unit, state, _share) in enumerate(pairs):
        first, later = 2 * index + 1, 2 * index + 2
        if state == "open":
            assert all(sum(c.share for c in credits[pk]) == 100 and all(c.pending for c in credits[pk])
                       for pk in (first, later))
        else:
            kept, closed = (later, first) if state == "later" else (first, later)
            assert closed not in credits and sum(c.share for c in credits[kept]) == 100


# --- pure: figures ---------------------------------------------------------------------------------------

START, END = dt.date(2026, 1, 1), dt.date(2026, 4, 30)


def test_the_figures_of_a_lead_in_the_window() -> None:
    big = _lead(1, 10, signed_on=dt.date(2026, 2, 1), signed_amount=D(12000), started_on=dt.date(2026, 3, 1),
                funds=D(500))
    assert tg.lead_figures(big, start=START, end=END) == {
        tg.SIGNED_COUNT: 1, tg.BIG_COUNT: 1, tg.SIGNED_AMOUNT: D(12000), tg.STARTED_AMOUNT: D(12000),
        tg.FUNDS_AMOUNT: D(500),
    }
    # Signed last year, started this year without a signed amount: the start counts its intended investment.
    old = _lead(2, 10, signed_on=dt.date(2025, 12, 1), intended_investment=D(800), started_on=dt.date(2026, 1, 5))
    figures = tg.lead_figures(old, start=START, end=END)
    assert figures[tg.SIGNED_COUNT] == 0 and figures[tg.STARTED_AMOUNT] == D(800)
    # Just under 1 亿元 is not 亿元以上.
    small = _lead(3, 10, signed_on=dt.date(2026, 4, 30), signed_amount=D("9999.99"))
    assert tg.lead_figures(small, start=START, end=END)[tg.BIG_COUNT] == 0
    assert tg.lead_figures(small, start=START, end=dt.date(2026, 4, 29))[tg.SIGNED_COUNT] == 0


def test_unit_actuals_apply_the_shares() -> None:
    leads = [_lead(1, 10, signed_on=dt.date(2026, 2, 1), signed_amount=D(20000)), _lead(2, 20, stage="dropped")]
    ruled = tg.CollisionFacts(lead_id=2, existing_id=1, lead_unit_id=20, existing_unit_id=10, ruled=True,
                              keeper_id=1, lead_share=D(30), existing_share=D(70))
    actuals = tg.unit_actuals(leads, [ruled], start=START, end=END)
    assert actuals[10].values[tg.SIGNED_AMOUNT] == D(14000) and actuals[10].values[tg.SIGNED_COUNT] == D("0.7")
    assert actuals[20].values[tg.SIGNED_AMOUNT] == D(6000) and actuals[20].values[tg.BIG_COUNT] == D("0.3")
    assert actuals[20].contributions[0].lead_id == 1 and actuals[20].contributions[0].share == D(30)


# --- pure: progress, score, rank -------------------------------------------------------------------------

def test_progress_in_words() -> None:
    behind = tg.metric_figure(tg.SIGNED_AMOUNT, D(50000), D(32000))
    assert behind.rate == D("64.0")
    assert tg.progress_words(behind, D("83.3")) == (
        "签约额 3.2 亿元，完成年度目标 5 亿元的 64.0%，序时进度 83.3%，落后 19.3 个百分点")
    ahead = tg.metric_figure(tg.SIGNED_COUNT, D(4), D(2))
    assert tg.progress_words(ahead, D("33.3")) == (
        "签约项目数 2 个，完成年度目标 4 个的 50.0%，序时进度 33.3%，超前 16.7 个百分点")
    level = tg.metric_figure(tg.FUNDS_AMOUNT, D(1200), D(400))
    assert tg.progress_words(level, D("33.3")).endswith("与序时进度 33.3% 持平")
    assert tg.progress_words(tg.metric_figure(tg.BIG_COUNT, None, D(1)), D(50)) == "亿元以上项目数 1 个，未下达年度目标"
    assert tg.progress_words(tg.metric_figure(tg.BIG_COUNT, D(0), D(1)), D(50)) == (
        "亿元以上项目数 1 个，年度目标为 0 个，不计完成率")
    assert tg.money_words(D(800)) == "800 万元"


def test_the_score_caps_each_rate_and_ignores_targets_not_set() -> None:
    figures = [tg.metric_figure(tg.SIGNED_COUNT, D(1), D(4)),  # 400% → 150
               tg.metric_figure(tg.SIGNED_AMOUNT, D(100), D(50)),  # 50
               tg.metric_figure(tg.FUNDS_AMOUNT, None, D(999))]
    assert tg.score(figures) == D("100.0")
    assert tg.score([tg.metric_figure(tg.FUNDS_AMOUNT, None, D(1))]) is None


def _unit(pk: int, name: str, **targets: D) -> tg.UnitInput:
    return tg.UnitInput(pk, name, {tg.SIGNED_AMOUNT: targets.get("target")},
                        {tg.SIGNED_AMOUNT: targets.get("actual", D(0))})


def test_ranking_orders_by_score_ties_share_a_rank_by_name_and_lists_units_without_targets_last() -> None:
    rows = tg.rank_units([
        _unit(1, "乙镇", target=D(100), actual=D(50)),
        _unit(2, "甲镇", target=D(100), actual=D(50)),
        _unit(3, "丙镇", target=D(100), actual=D(90)),
        _unit(4, "丁局", actual=D(500)),
    ])
    assert [(r.unit_name, r.rank, r.score) for r in rows] == [
        ("丙镇", 1, D("90.0")), ("乙镇", 2, D("50.0")), ("甲镇", 2, D("50.0")), ("丁局", None, None)]
    words = tg.row_words(rows[3], D("33.3"), count=3)
    assert words[0] == "未下达目标（或目标均为 0），不参与排名。"
    first = tg.row_words(rows[0], D("33.3"), count=3)
    assert first[0].startswith("第 1 名（共 3 个单位参与排名），得分 90.0：1 项已下达目标完成率的平均值")
    assert "签约额 90 万元，完成年度目标 100 万元的 90.0%，序时进度 33.3%，超前 56.7 个百分点。" in first


# --- the data ------------------------------------------------------------------------------------------



@pytest.fixture
def district(units: dict[str, Unit], personas: dict[str, User]) -> dict[str, Any]:
    """Two towns' leads in 2026: town_a signed a big one and started it, town_b signed one that collided with
    town_a's and was ruled 40/60, and a lead dropped after signing."""
    a, b = units["town_a"], units["town_b"]
    big = Lead.objects.create(enterprise="甲新能源有限公司", source_unit=a, stage="started",
                              signed_on=dt.date(2026, 2, 10), signed_amount=D(30000), counterpart="甲",
                              started_on=dt.date(2026, 4, 2))
    Funds.objects.create(lead=big, on=dt.date(2026, 4, 20), amount=D(5000))
    Funds.objects.create(lead=big, on=dt.date(2025, 12, 20), amount=D(7000))  # last year: not counted
    shared = Lead.objects.create(enterprise="乙材料有限公司", source_unit=a, stage="signed",
                                 signed_on=dt.date(2026, 3, 5), signed_amount=D(2000), counterpart="乙")
    copy = Lead.objects.create(enterprise="乙材料股份有限公司", source_unit=b, stage="signed",
                               signed_on=dt.date(2026, 3, 6), signed_amount=D(2000), counterpart="乙")
    collision = Collision.objects.create(lead=copy, existing=shared, score=D("0.95"), reason="名称相似")
    Collision.objects.filter(pk=collision.pk).update(created_at=district_time(2026, 3, 6))  # found on entry
    services.collision_rule(by=personas["office"], collision=collision, keeper=shared, lead_share=D(60),
                            existing_share=D(40), note="到位资金分割证明")
    gone = Lead.objects.create(enterprise="丙科技有限公司", source_unit=b, stage="dropped",
                               signed_on=dt.date(2026, 1, 8), signed_amount=D(9000), counterpart="丙")
    StageChange.objects.create(lead=gone, from_stage="signed", to_stage="dropped", on=dt.date(2026, 3, 1))
    StageChange.objects.create(lead=gone, from_stage="negotiating", to_stage="signed", on=dt.date(2026, 1, 8))
    Target.objects.create(year=2026, unit=a, signed_count=4, signed_amount=D(50000))
    Target.objects.create(year=2026, unit=b, signed_amount=D(10000), funds_amount=D(0))
    return {"big": big, "shared": shared, "copy": copy, "gone": gone, "a": a, "b": b}


@pytest.mark.django_db
@pytest.mark.usefixtures("clock")
def test_the_live_ranking_counts_each_project_once(district: dict[str, Any], units: dict[str, Unit]) -> None:
    ranking = tg.ranking_live(as_of=dt.date(2026, 5, 15))  # today: the collision was ruled this morning
    assert ranking.schedule == D("33.3")
    rows = {row.unit_id: row for row in ranking.rows}
    a = {f.metric: f for f in rows[district["a"].pk].figures}
    b = {f.metric: f for f in rows[district["b"].pk].figures}
    # town_a: the big lead whole and 40% of the shared one; town_b: 60% of it, the copy closed, the dropped none.
    assert a[tg.SIGNED_COUNT].actual == D("1.4") and a[tg.SIGNED_AMOUNT].actual == D(30800)
    assert a[tg.BIG_COUNT].actual == D(1) and a[tg.STARTED_AMOUNT].actual == D(30000)
    assert a[tg.FUNDS_AMOUNT].actual == D(5000)
    assert b[tg.SIGNED_COUNT].actual == D("0.6") and b[tg.SIGNED_AMOUNT].actual == D(1200)
    total = sum((row.figures[2].actual for row in ranking.rows), D(0))
    assert total == D(32000)  # 30000 + 2000: the copy and the dropped lead count nothing
    assert a[tg.SIGNED_AMOUNT].rate == D("61.6") and b[tg.SIGNED_AMOUNT].rate == D("12.0")
    assert [row.unit_id for row in ranking.rows] == [district["a"].pk, district["b"].pk]
    assert not any(c.pending for row in ranking.rows for c in row.contributions)


@pytest.mark.django_db
@pytest.mark.usefixtures("clock")
def test_before_the_ruling_each_lead_counts_for_its_unit_and_the_row_says_so(district: dict[str, Any]) -> None:
    ranking = tg.ranking_live(as_of=dt.date(2026, 4, 30))
    rows = {row.unit_id: row for row in ranking.rows}
    a, b = rows[district["a"].pk], rows[district["b"].pk]
    assert a.figures[0].actual == D(2) and b.figures[0].actual == D(1)
    assert a.pending == 1 and b.pending == 1
    words = tg.row_words(b, ranking.schedule, count=ranking.ranked_count)
    assert "其中 1 条线索涉及待裁定的撞单，暂计入本单位，裁定后按分成比例计算。" in words


@pytest.mark.django_db
@pytest.mark.usefixtures("clock")
def test_a_lead_dropped_after_the_day_still_counts_on_that_day(district: dict[str, Any]) -> None:
    ranking = tg.ranking_live(as_of=dt.date(2026, 2, 28))
    rows = {row.unit_id: row for row in ranking.rows}
    b = {f.metric: f for f in rows[district["b"].pk].figures}
    assert b[tg.SIGNED_AMOUNT].actual == D(9000)  # the lead dropped on 1 March was signed then
    assert b[tg.FUNDS_AMOUNT].actual == D(0)


# --- the write -----------------------------------------------------------------------------------------

@pytest.mark.django_db
def test_target_save_is_audited_versioned_and_the_office_s(personas: dict[str, User], units: dict[str, Unit]) -> None:
    office, unit = personas["office"], units["town_a"]
    target = tg.target_save(by=office, unit=unit, year=2026, values={tg.SIGNED_COUNT: 3}, version=0)
    assert target is not None and target.version == 1 and target.signed_count == 3 and target.updated_by == office
    assert AuditEntry.objects.filter(object_id=str(target.pk)).count() == 1
    assert tg.target_save(by=office, unit=unit, year=2026, values={tg.SIGNED_COUNT: 3}, version=1) is None
    with pytest.raises(ValidationError, match="刚被他人修改"):
        tg.target_save(by=office, unit=unit, year=2026, values={tg.SIGNED_COUNT: 5}, version=0)
    changed = tg.target_save(by=office, unit=unit, year=2026, values={tg.SIGNED_AMOUNT: D(100)}, version=1)
    assert changed is not None and changed.version == 2 and changed.signed_count is None
    assert AuditEntry.objects.filter(object_id=str(target.pk)).count() == 2
    for role in ("leader", "reporter", "viewer"):
        with pytest.raises(PermissionDenied):
            tg.target_save(by=personas[role], unit=unit, year=2026, values={}, version=2)


# --- the grid ------------------------------------------------------------------------------------------

def _grid_data(units: dict[str, Unit], **rows: dict[str, str]) -> dict[str, str]:
    data: dict[str, str] = {}
    for key, unit in units.items():
        values = {"version": "0", **rows.get(key, {})}
        data.update({f"u{unit.pk}-{name}": value for name, value in values.items()})
    return data


@pytest.mark.django_db
def test_the_office_sets_every_unit_s_targets_in_one_grid(personas: dict[str, User], units: dict[str, Unit]) -> None:
    client = client_for(personas["office"])
    url = reverse("investment:targets") + "?year=2026"
    page = client.get(url)
    assert page.status_code == 200 and f'name="u{units["town_a"].pk}-signed_count"' in page.content.decode()
    response = client.post(url, _grid_data(units, town_a={"signed_count": "3", "signed_amount": "50000"},
                                           town_b={"funds_amount": "800"}))
    assert response.status_code == 302
    assert Target.objects.get(unit=units["town_a"], year=2026).signed_amount == D(50000)
    assert Target.objects.get(unit=units["town_b"], year=2026).funds_amount == D(800)
    assert not Target.objects.filter(unit=units["fgj"]).exists()  # nothing entered: no row


@pytest.mark.django_db
def test_a_stale_row_refuses_the_whole_grid(personas: dict[str, User], units: dict[str, Unit]) -> None:
    Target.objects.create(year=2026, unit=units["town_a"], signed_count=2, version=3)
    client = client_for(personas["office"])
    url = reverse("investment:targets") + "?year=2026"
    response = client.post(url, _grid_data(units, town_a={"signed_count": "9", "version": "2"},
                                           town_b={"signed_count": "1"}))
    assert response.status_code == 200
    assert "东城街道的目标刚被他人修改" in response.content.decode()
    assert Target.objects.get(unit=units["town_a"]).signed_count == 2
    assert not Target.objects.filter(unit=units["town_b"]).exists()


@pytest.mark.django_db
def test_others_read_the_targets_and_viewers_are_refused(personas: dict[str, User], units: dict[str, Unit]) -> None:
    Target.objects.create(year=2026, unit=units["town_a"], signed_amount=D(1234))
    url = reverse("investment:targets") + "?year=2026"
    for role in ("leader", "reporter"):
        page = client_for(personas[role]).get(url).content.decode()
        assert "1234.00" in page and 'name="u' not in page
        assert client_for(personas[role]).post(url, _grid_data(units)).status_code == 403
    assert client_for(personas["viewer"]).get(url).status_code == 403


@pytest.mark.django_db
def test_the_grid_s_queries_do_not_grow_with_the_units(personas: dict[str, User], units: dict[str, Unit]) -> None:
    client = client_for(personas["office"])
    url = reverse("investment:targets") + "?year=2026"
    Target.objects.create(year=2026, unit=units["town_a"], signed_count=1, updated_by=personas["office"])
    client.get(url)
    with CaptureQueriesContext(connection) as before:
        client.get(url)
    for n in range(8):
        unit = Unit.objects.create(name=f"新镇{n}", kind=Unit.Kind.TOWN)
        Target.objects.create(year=2026, unit=unit, signed_count=n, updated_by=personas["office"])
    with CaptureQueriesContext(connection) as after:
        assert "新镇7" in client.get(url).content.decode()
    assert len(after.captured_queries) == len(before.captured_queries)
