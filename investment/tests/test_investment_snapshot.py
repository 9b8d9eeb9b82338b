"""The month frozen at publication (investment.snapshot) and the bulletin's 招商引资 section (investment.bulletin):
every sentence is checked against the data it states, and a published month never moves again."""
from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal as D
from typing import Any

import pytest
import time_machine
from django.urls import reverse

from conftest import client_for, district_time
from core import hooks, publication
from core.models import Period
from dispatch.periods import services as periods
from investment import bulletin, services
from investment import snapshot as snap
from investment import targets as tg
from investment.models import Collision, Contact, Funds, Lead, Target
from investment.tests.test_targets import district  # noqa: F401 - the shared fixture
from org.models import Unit, User

pytestmark = pytest.mark.django_db


def _at(day: dt.date, **fields: Any) -> Lead:
    """A lead entered on ``day``."""
    with time_machine.travel(district_time(day.year, day.month, day.day), tick=False):
        return Lead.objects.create(**fields)


@pytest.fixture
def april(units: dict[str, Unit], personas: dict[str, User]) -> dict[str, Any]:
    a, b = units["town_a"], units["town_b"]
    big = _at(dt.date(2026, 4, 3), enterprise="甲新能源有限公司", source_unit=a, stage="signed",
              signed_on=dt.date(2026, 4, 10), signed_amount=D(12000), counterpart="甲")
    Funds.objects.create(lead=big, on=dt.date(2026, 4, 25), amount=D(300))
    _at(dt.date(2026, 2, 1), enterprise="乙化工有限公司", source_unit=b, stage="negotiating")  # red on 30 April
    talked = _at(dt.date(2026, 3, 20), enterprise="丙食品有限公司", source_unit=a)
    Contact.objects.create(lead=talked, date=dt.date(2026, 3, 25), form="visit", result="有意向")  # yellow
    Lead.objects.filter(pk=talked.pk).update(last_contact_on=dt.date(2026, 3, 25))
    _at(dt.date(2026, 4, 20), enterprise="丁机械有限公司", source_unit=b, stage="started",
        signed_on=dt.date(2026, 4, 21), signed_amount=D(500), counterpart="丁", started_on=dt.date(2026, 4, 28))
    first = _at(dt.date(2026, 1, 5), enterprise="戊电子有限公司", source_unit=a, stage="negotiating")  # red
    later = _at(dt.date(2026, 4, 5), enterprise="戊电子股份有限公司", source_unit=b, stage="negotiating")
    with time_machine.travel(district_time(2026, 4, 15), tick=False):
        collision = Collision.objects.create(lead=later, existing=first, score=D("0.9"), reason="名称相似")
        services.collision_rule(by=personas["office"], collision=collision, keeper=first, lead_share=D(50),
                                existing_share=D(50), note="分割证明")
    Target.objects.create(year=2026, unit=a, signed_amount=D(50000), signed_count=4)
    Target.objects.create(year=2026, unit=b, signed_amount=D(2000))
    period = Period.objects.create(year=2026, month=4, opens_on=dt.date(2026, 4, 1), deadline=dt.date(2026, 4, 23),
                                   state=Period.State.CLOSED)
    return {"period": period, "a": a, "b": b, "big": big}


def _without_tokens(page: str) -> str:
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", page)


def _publish(period: Period, office: User) -> None:
    periods.period_publish(period=period, by=office, now=district_time(2026, 5, 10))
    period.refresh_from_db()


def test_the_builder_is_registered_with_its_schema() -> None:
    names = {b.name: b for b in publication.builders()}
    assert names["investment.attraction"].schema is snap.Attraction
    assert publication.schemas()["investment.attraction"] is snap.Attraction


def test_the_month_s_figures_are_those_of_the_data(april: dict[str, Any]) -> None:
    a = snap.attraction_live(year=2026, month=4, as_of=dt.date(2026, 4, 30))
    f = a.figures
    assert (f.new_leads, f.signed_count, f.big_count, f.signed_amount) == (3, 2, 1, D(12500))
    assert (f.started_count, f.started_amount, f.funds_amount) == (1, D(500), D(300))
    assert (f.collisions_resolved, f.collisions_open, f.stale_yellow, f.stale_red) == (1, 0, 1, 2)
    assert bulletin.month_sentences(a) == [
        "2026年4月（截至4月30日），新增招商线索 3 条；签约项目 2 个，签约额 1.25 亿元，其中亿元以上项目 1 个；"
        "开工项目 1 个，开工额 500 万元；到位资金 300 万元。"]
    assert bulletin.follow_up_sentences(a) == [
        "本月裁定撞单 1 起；截至4月30日，没有待裁定的撞单。",
        "截至4月30日，满 30 天未洽谈的黄灯线索 1 条，满 60 天未洽谈的红灯线索 2 条，请相关单位加快跟进。",
    ]
    year = bulletin.year_sentences(a)[0]
    assert year.startswith("1—4月累计（年度目标为各单位目标之和）：签约项目数 2 个，完成年度目标 4 个的 50.0%，")
    assert "签约额 1.25 亿元，完成年度目标 5.2 亿元的 24.0%，序时进度 33.3%，落后 9.3 个百分点" in year


def test_an_empty_month_says_so_and_nothing_else(april: dict[str, Any]) -> None:
    a = snap.attraction_live(year=2026, month=1, as_of=dt.date(2026, 1, 31))
    assert bulletin.month_sentences(a) == [
        "2026年1月（截至1月31日），新增招商线索 1 条；无新签约项目；无新开工项目；无到位资金。"]
    assert bulletin.follow_up_sentences(a) == [
        "本月没有裁定撞单，截至1月31日也没有待裁定的撞单。", "截至1月31日，没有满 30 天未洽谈的线索。"]


def test_the_bulletin_section_has_headings_sentences_and_the_ranking(april: dict[str, Any]) -> None:
    part = bulletin.bulletin_part(period=april["period"])
    assert part is not None and part.key == "attraction"
    assert [b.text for b in part.blocks if b.kind == "heading"] == ["招引进展", "撞单裁定和线索跟进", "单位排名"]
    (table,) = [b for b in part.blocks if b.kind == "table"]
    assert table.headers == ("排名", "单位", "得分", "签约项目数完成率", "亿元以上项目数完成率", "签约额完成率",
                             "开工额完成率", "到位资金完成率")
    # town_a: 1 of 4 signings (25.0%), 12000 of 50000 万元 (24.0%); town_b: 500 of 2000 万元 (25.0%).
    assert table.rows == (("1", "西山镇", "25.0", "—", "—", "25.0%", "—", "—"),
                          ("2", "东城街道", "24.5", "25.0%", "—", "24.0%", "—", "—"))
    texts = " ".join(b.text for b in part.blocks if b.kind == "text")
    assert "无新增" not in texts and "西山镇居首，得分 25.0。" in texts
    # No lead of the table is named: leads are secrets, the bulletin is read widely.
    assert "甲新能源" not in texts + repr(table.rows)
    assert part in hooks.bulletin_parts.all(period=april["period"])


def test_nothing_for_a_district_without_leads_or_targets_or_for_a_period_not_a_month(
    april: dict[str, Any], personas: dict[str, User]
) -> None:
    quarter = Period.objects.create(kind=Period.Kind.QUARTER, year=2026, month=3, opens_on=dt.date(2026, 3, 1),
                                    deadline=dt.date(2026, 4, 10))
    assert bulletin.bulletin_part(period=quarter) is None
    assert snap.attraction_take(period=quarter, as_of=dt.date(2026, 3, 31), now=district_time(2026, 4, 11)) == 0
    Collision.objects.all().delete()
    Lead.objects.all().delete()
    Target.objects.all().delete()
    assert bulletin.bulletin_part(period=april["period"]) is None
    _publish(april["period"], personas["office"])
    assert snap.read_attraction(april["period"]) == []
    assert bulletin.bulletin_part(period=april["period"]) is None


def test_a_published_month_reads_its_snapshot_and_never_the_live_data(
    april: dict[str, Any], personas: dict[str, User]
) -> None:
    period = april["period"]
    _publish(period, personas["office"])
    (stored,) = snap.read_attraction(period)
    assert stored.as_of == dt.date(2026, 4, 30)
    assert snap.Attraction.from_data(stored.to_data(), version=1) == stored
    assert publication.verify(period)["investment.attraction"] == 1
    part = bulletin.bulletin_part(period=period)
    url = reverse("investment:ranking") + "?year=2026&month=4"
    page = client_for(personas["office"]).get(url).content.decode()
    assert "发布时冻结的数据" in page
    # Afterwards: a late signing dated in April, a changed target, another unit's lead.
    Lead.objects.create(enterprise="己汽车有限公司", source_unit=april["b"], stage="signed",
                        signed_on=dt.date(2026, 4, 29), signed_amount=D(99999), counterpart="己")
    Target.objects.filter(unit=april["a"]).update(signed_amount=D(1))
    Funds.objects.create(lead=april["big"], on=dt.date(2026, 4, 26), amount=D(7777))
    assert bulletin.bulletin_part(period=period) == part
    assert _without_tokens(client_for(personas["office"]).get(url).content.decode()) == _without_tokens(page)
    live = snap.attraction_live(year=2026, month=4, as_of=dt.date(2026, 4, 30))
    assert live.figures.signed_count == 3 != stored.figures.signed_count


def test_snapshot_round_trip_keeps_every_field(april: dict[str, Any]) -> None:
    a = snap.attraction_live(year=2026, month=4, as_of=dt.date(2026, 4, 30))
    again = snap.Attraction.from_data(a.to_data(), version=1)
    assert again == a
    assert again.rows[0].figures[2].metric == tg.SIGNED_AMOUNT


def test_the_stale_count_of_today_is_the_one_rebuilt_from_history(april: dict[str, Any]) -> None:
    today = dt.date(2026, 4, 30)
    with time_machine.travel(district_time(2026, 4, 30), tick=False):
        fast = snap._stale(today)
    slow = snap._stale(today)  # the real today is later: rebuilt from the steps and the contacts
    assert fast == slow and fast[:2] == (1, 2)


@pytest.mark.usefixtures("clock")
def test_signings_in_a_collision_not_yet_ruled_are_said_to_be(district: dict[str, Any]) -> None:  # noqa: F811
    march = snap.attraction_live(year=2026, month=3, as_of=dt.date(2026, 3, 31))
    # Both leads of the collision signed in March; it was ruled only on 15 May. The leads were entered in May.
    assert bulletin.month_sentences(march) == [
        "2026年3月（截至3月31日），无新增招商线索；签约项目 2 个，签约额 4000 万元，无亿元以上项目"
        "（其中 2 个涉及待裁定撞单，暂按录入单位计）；无新开工项目；无到位资金。"]
    assert bulletin.follow_up_sentences(march)[0] == "本月没有裁定撞单；截至3月31日，尚有 1 起撞单待项目办裁定。"
    may = snap.attraction_live(year=2026, month=5, as_of=dt.date(2026, 5, 15))
    assert may.figures.collisions_resolved == 1 and may.figures.collisions_open == 0
