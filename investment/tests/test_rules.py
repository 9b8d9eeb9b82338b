"""The pure rules of leads: stages, evidence, the stale light, amounts, credit splits."""
from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from investment import rules
from investment.rules import (
    DROPPED,
    LEAD,
    NEGOTIATING,
    ORDER,
    PRODUCING,
    SIGNED,
    STARTED,
    Evidence,
    StaleThresholds,
    evidence_refusals,
    lead_light,
    step_refusals,
)

TODAY = dt.date(2026, 5, 15)
SIGNED_EVIDENCE = Evidence(
    signed_on=dt.date(2026, 3, 1), signed_amount=Decimal("50000"), counterpart="某某投资有限公司",
)


# --- stages -------------------------------------------------------------------------------------

@pytest.mark.parametrize(("current", "target"), list(itertools.pairwise(ORDER)))
def test_one_step_up_is_allowed(current: str, target: str) -> None:
    assert step_refusals(current, target) == []


@pytest.mark.parametrize("current", [LEAD, NEGOTIATING, SIGNED, STARTED])
def test_an_open_lead_may_be_dropped(current: str) -> None:
    assert step_refusals(current, DROPPED) == []


@pytest.mark.parametrize("current", [PRODUCING, DROPPED])
def test_a_producing_or_dropped_lead_moves_no_more(current: str) -> None:
    for target in (*ORDER, DROPPED):
        assert step_refusals(current, target, skip_decided=True)


def test_no_step_back() -> None:
    [reason] = step_refusals(SIGNED, NEGOTIATING, skip_decided=True)
    assert "不能回退" in reason and "签约 → 在谈" in reason


def test_a_skip_needs_the_office_decision() -> None:
    [reason] = step_refusals(LEAD, SIGNED)
    assert "只能逐级推进（线索 → 在谈）" in reason and "项目办" in reason
    assert step_refusals(LEAD, SIGNED, skip_decided=True) == []
    assert rules.is_skip(LEAD, SIGNED) and not rules.is_skip(LEAD, NEGOTIATING) and not rules.is_skip(LEAD, DROPPED)


def test_the_same_stage_is_no_step() -> None:
    assert "已处于“在谈”阶段" in step_refusals(NEGOTIATING, NEGOTIATING)[0]


# --- evidence -----------------------------------------------------------------------------------

def test_signing_needs_its_three_facts() -> None:
    reasons = evidence_refusals(NEGOTIATING, SIGNED, Evidence(signed_amount=Decimal(0)), today=TODAY)
    assert reasons == ["签约须填写签约日期。", "签约须填写大于 0 的签约金额（万元）。", "签约须填写签约主体。"]
    assert evidence_refusals(NEGOTIATING, SIGNED, SIGNED_EVIDENCE, today=TODAY) == []


def test_start_not_before_signing() -> None:
    early = Evidence(**{**SIGNED_EVIDENCE.__dict__, "started_on": dt.date(2026, 2, 1)})
    assert evidence_refusals(SIGNED, STARTED, early, today=TODAY) == [
        "开工日期（2026-02-01）不能早于签约日期（2026-03-01）。"]
    same_day = Evidence(**{**SIGNED_EVIDENCE.__dict__, "started_on": dt.date(2026, 3, 1)})
    assert evidence_refusals(SIGNED, STARTED, same_day, today=TODAY) == []
    assert evidence_refusals(SIGNED, STARTED, SIGNED_EVIDENCE, today=TODAY) == ["开工须填写开工日期。"]


def test_production_not_before_start_nor_in_the_future() -> None:
    started = {**SIGNED_EVIDENCE.__dict__, "started_on": dt.date(2026, 4, 1)}
    assert evidence_refusals(STARTED, PRODUCING, Evidence(**{**started, "producing_on": dt.date(2026, 3, 31)}),
                             today=TODAY) == ["投产日期（2026-03-31）不能早于开工日期（2026-04-01）。"]
    assert evidence_refusals(STARTED, PRODUCING, Evidence(**{**started, "producing_on": dt.date(2026, 5, 16)}),
                             today=TODAY) == ["投产日期（2026-05-16）不能晚于今天。"]


def test_a_skip_needs_the_evidence_of_every_stage_it_passes() -> None:
    reasons = evidence_refusals(LEAD, STARTED, Evidence(started_on=dt.date(2026, 4, 1)), today=TODAY)
    assert reasons == ["签约须填写签约日期。", "签约须填写大于 0 的签约金额（万元）。", "签约须填写签约主体。"]


def test_dropping_needs_a_reason() -> None:
    refused = evidence_refusals(SIGNED, DROPPED, Evidence(dropped_reason="  "), today=TODAY)
    assert refused == ["终止线索须写明终止原因。"]
    assert evidence_refusals(SIGNED, DROPPED, Evidence(dropped_reason="企业转投他地"), today=TODAY) == []


# --- the light ----------------------------------------------------------------------------------

def test_the_stale_light_in_words() -> None:
    result = lead_light(NEGOTIATING, last_contact_on=TODAY - dt.timedelta(days=45), entered_on=dt.date(2026, 1, 1),
                        as_of=TODAY)
    assert result.light == rules.YELLOW
    assert result.reasons == ((rules.YELLOW, "已 45 天没有洽谈记录（黄灯阈值 30 天，红灯 60 天）"),)


@pytest.mark.parametrize(("days", "light"), [(0, rules.GREEN), (29, rules.GREEN), (30, rules.YELLOW),
                                             (59, rules.YELLOW), (60, rules.RED), (400, rules.RED)])
def test_the_thresholds_count_whole_days(days: int, light: str) -> None:
    result = lead_light(LEAD, last_contact_on=TODAY - dt.timedelta(days=days), entered_on=dt.date(2025, 1, 1),
                        as_of=TODAY)
    assert result.light == light


def test_without_contacts_the_days_count_from_entry() -> None:
    result = lead_light(LEAD, last_contact_on=None, entered_on=TODAY - dt.timedelta(days=61), as_of=TODAY)
    assert result.light == rules.RED
    assert result.reasons[0][1] == "录入已 61 天，尚无洽谈记录（黄灯阈值 30 天，红灯 60 天）"


def test_configured_thresholds_are_used_and_said() -> None:
    result = lead_light(SIGNED, last_contact_on=TODAY - dt.timedelta(days=15), entered_on=TODAY,
                        as_of=TODAY, thresholds=StaleThresholds(10, 20))
    assert result.light == rules.YELLOW and "黄灯阈值 10 天，红灯 20 天" in result.reasons[0][1]
    with pytest.raises(ValueError):
        StaleThresholds(30, 30)


def test_started_and_producing_are_green_dropped_grey() -> None:
    old = TODAY - dt.timedelta(days=500)
    for stage in (STARTED, PRODUCING):
        result = lead_light(stage, last_contact_on=None, entered_on=old, as_of=TODAY)
        assert result.light == rules.GREEN and "不再按洽谈记录评灯" in result.reasons[0][1]
    assert lead_light(DROPPED, last_contact_on=None, entered_on=old, as_of=TODAY).light == rules.GREY


@given(st.integers(min_value=0, max_value=1000), st.integers(min_value=1, max_value=200),
       st.integers(min_value=1, max_value=200))
def test_the_light_never_improves_with_more_days(days: int, yellow: int, extra: int) -> None:
    thresholds = StaleThresholds(yellow, yellow + extra)
    before = lead_light(LEAD, last_contact_on=TODAY, entered_on=TODAY, as_of=TODAY + dt.timedelta(days=days),
                        thresholds=thresholds)
    after = lead_light(LEAD, last_contact_on=TODAY, entered_on=TODAY, as_of=TODAY + dt.timedelta(days=days + 1),
                       thresholds=thresholds)
    assert rules.SEVERITY[after.light] >= rules.SEVERITY[before.light]


# --- money and credit ---------------------------------------------------------------------------

def test_amounts_in_wan() -> None:
    assert rules.amount_in_wan(Decimal("5"), rules.YI, "CNY", None) == Decimal("50000.00")
    assert rules.amount_in_wan(Decimal("2"), rules.YI, "usd", Decimal("7.1")) == Decimal("142000.00")
    assert rules.amount_in_wan(Decimal("800"), rules.WAN, "CNY", None) == Decimal("800.00")
    with pytest.raises(ValueError):
        rules.amount_in_wan(Decimal("1"), rules.YI, "USD", None)


def test_the_split_sums_to_100_and_a_shared_credit_says_why() -> None:
    assert rules.split_refusals(Decimal(100), Decimal(0), "") == []
    assert rules.split_refusals(Decimal(60), Decimal(40), "按到位资金分割证明") == []
    assert rules.split_refusals(Decimal(60), Decimal(40), " ") == [
        "共享业绩须在裁定说明中写明依据（如到位资金分割证明）。"]
    assert rules.split_refusals(Decimal(60), Decimal(30), "x") == ["两个单位的分成比例之和须为 100，现为 90。"]
    assert "0 到 100" in rules.split_refusals(Decimal(120), Decimal(-20), "x")[0]
    assert rules.split_refusals(None, Decimal(100), "") == ["须填写两个单位各自的分成比例。"]


def test_the_rules_in_words_carry_the_thresholds() -> None:
    words = "".join(rules.rules_in_words(StaleThresholds(20, 45)))
    assert "满 20 天为黄灯" in words and "满 45 天为红灯" in words


def test_who_sees_every_lead() -> None:
    assert rules.sees_every_lead("office") and rules.sees_every_lead("leader") and rules.sees_every_lead("admin")
    assert not rules.sees_every_lead("reporter") and not rules.sees_every_lead("viewer")
    assert rules.sees_every_lead("viewer", is_superuser=True)
    assert rules.sees_unit_leads("reporter") and not rules.sees_unit_leads("viewer")
