"""Writes to leads: saving with the credit code and collisions (撞单), rulings, stages, contacts, lights."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from audit.models import AuditEntry
from core.models import Notification
from investment import rules, services
from investment.models import Chain, ChainNode, Collision, Contact, Lead, Position, Stage, StageChange
from investment.services import collision_candidates, contact_add, lead_save, stage_advance
from investment.tests.conftest import MakeLead, make_code
from org.models import Unit, User

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clock")]

TODAY = dt.date(2026, 5, 15)


def notices(user: User) -> list[str]:
    return list(Notification.objects.filter(user=user).values_list("text", flat=True))


# --- saving -------------------------------------------------------------------------------------

def test_a_reporter_enters_a_lead_for_the_unit(personas: dict[str, User], units: dict[str, Unit]) -> None:
    lead = Lead(enterprise=" 江苏恒瑞医药股份有限公司 ", source_unit=units["town_b"], credit_code=" ",
                amount_original=Decimal("5"), amount_unit=rules.YI)
    saved = lead_save(by=personas["reporter"], lead=lead)
    lead.refresh_from_db()
    assert saved.collisions == []
    assert lead.source_unit == units["town_a"]  # the reporter's unit, whatever the form said
    assert (lead.enterprise, lead.name_normalised, lead.name_key) == (
        "江苏恒瑞医药股份有限公司", "江苏/恒瑞医药", "恒瑞医药")
    assert lead.intended_investment == Decimal("50000.00") and lead.created_by == personas["reporter"]
    assert (lead.light, lead.light_reasons) == (
        rules.GREEN, [[rules.GREEN, "录入已 0 天，尚无洽谈记录（黄灯阈值 30 天，红灯 60 天）"]])
    entry = AuditEntry.objects.get(model="investment.lead", object_id=str(lead.pk))
    assert entry.action == AuditEntry.Action.CREATE and entry.user == personas["reporter"]
    assert entry.changes["企业名称"] == ["", "江苏恒瑞医药股份有限公司"]


def test_a_foreign_amount_keeps_the_original_and_needs_a_rate(personas: dict[str, User], make_lead: MakeLead) -> None:
    with pytest.raises(ValidationError) as refused:
        make_lead("Tesla, Inc.", amount_original=Decimal("2"), amount_unit=rules.YI, currency="usd")
    assert "汇率" in str(refused.value)
    lead = make_lead("Tesla, Inc.", amount_original=Decimal("2"), amount_unit=rules.YI, currency="usd",
                     exchange_rate=Decimal("7.1"))
    lead.refresh_from_db()
    assert (lead.intended_investment, lead.amount_original, lead.currency) == (
        Decimal("142000.00"), Decimal("2.0000"), "USD")


def test_a_wrong_credit_code_is_refused_in_words(personas: dict[str, User], make_lead: MakeLead) -> None:
    good = make_code("12345678")
    wrong = good[:-1] + ("0" if good[-1] != "0" else "1")
    with pytest.raises(ValidationError) as refused:
        make_lead("潍坊测试机械有限公司", credit_code=wrong)
    assert "校验" in " ".join(refused.value.messages)
    assert not Lead.objects.exists() and not AuditEntry.objects.exists()
    lead = make_lead("潍坊测试机械有限公司", credit_code=" " + good.lower() + " ")
    assert lead.credit_code == good


def test_others_may_not_enter_or_change_leads(personas: dict[str, User], units: dict[str, Unit],
                                              make_lead: MakeLead) -> None:
    for who in ("leader", "viewer"):
        with pytest.raises(PermissionDenied):
            lead_save(by=personas[who], lead=Lead(enterprise="某某有限公司", source_unit=units["town_a"]))
    lead = make_lead("东方测试有限公司")
    lead.content = "改"
    with pytest.raises(PermissionDenied):
        lead_save(by=personas["other_reporter"], lead=lead)


def test_a_stale_page_and_stage_fields_are_refused(personas: dict[str, User], make_lead: MakeLead) -> None:
    lead = make_lead("东方测试有限公司")
    first, second = Lead.objects.get(pk=lead.pk), Lead.objects.get(pk=lead.pk)
    first.content = "第一次"
    lead_save(by=personas["reporter"], lead=first, version=1)
    second.content = "第二次"
    with pytest.raises(ValidationError, match="刚被他人修改"):
        lead_save(by=personas["reporter"], lead=second, version=1)
    current = Lead.objects.get(pk=lead.pk)
    assert (current.content, current.version) == ("第一次", 2)
    current.stage = Stage.SIGNED
    with pytest.raises(ValidationError, match="推进阶段"):
        lead_save(by=personas["reporter"], lead=current)


def test_a_save_that_changes_nothing_writes_nothing(personas: dict[str, User], make_lead: MakeLead) -> None:
    lead = make_lead("东方测试有限公司")
    lead_save(by=personas["reporter"], lead=Lead.objects.get(pk=lead.pk))
    assert AuditEntry.objects.filter(model="investment.lead").count() == 1
    assert Lead.objects.get(pk=lead.pk).version == 1


# --- collisions ---------------------------------------------------------------------------------

def test_the_same_credit_code_collides_and_the_second_unit_is_told_who_holds_it(
    personas: dict[str, User], make_lead: MakeLead,
) -> None:
    code = make_code("MA3C0K7X")
    first = make_lead("潍坊恒力精密机械有限公司", credit_code=code, content="拟投资 5 亿元建设精密轴承项目")
    second = lead_save(by=personas["other_reporter"], lead=Lead(
        enterprise="山东某某轴承股份有限公司", credit_code=code, source_unit_id=personas["other_reporter"].unit_id))
    [collision] = second.collisions
    assert (collision.lead, collision.existing, collision.certain, collision.score) == (
        second.lead, first, True, Decimal("1.000"))
    assert collision.reason == "统一社会信用代码相同" and collision.state == Collision.State.OPEN
    [to_office] = notices(personas["office"])
    assert "撞单待裁定" in to_office and "潍坊恒力精密机械有限公司" in to_office and "东城街道" in to_office
    [to_second] = notices(personas["other_reporter"])
    assert "东城街道" in to_second and "2026-05-15" in to_second and "首报首谈" in to_second
    # The unit that came second learns who holds the investor, not the other unit's lead.
    assert "潍坊恒力" not in to_second and "轴承项目" not in to_second
    assert notices(personas["reporter"]) == [] and notices(personas["viewer"]) == []
    assert AuditEntry.objects.filter(model="investment.collision", object_id=str(collision.pk)).exists()


def test_a_name_variant_collides(personas: dict[str, User], make_lead: MakeLead) -> None:
    first = make_lead("江苏恒瑞医药股份有限公司")
    second = make_lead("恒瑞医药(南京)有限公司", by="other_reporter")
    [collision] = Collision.objects.all()
    assert (collision.lead, collision.existing, collision.certain) == (second, first, False)
    assert collision.score >= Decimal("0.85") and "名称" in collision.reason


def test_a_near_miss_below_the_threshold_does_not_collide(personas: dict[str, User], make_lead: MakeLead) -> None:
    make_lead("一汽大众汽车有限公司")
    make_lead("上汽大众汽车有限公司", by="other_reporter")
    assert not Collision.objects.exists()
    assert notices(personas["office"]) == []


def test_the_threshold_comes_from_the_settings(settings: Any, personas: dict[str, User], make_lead: MakeLead) -> None:
    settings.DIAODU_LEAD_COLLISION_THRESHOLD = 0.8
    make_lead("一汽大众汽车有限公司")
    make_lead("上汽大众汽车有限公司", by="other_reporter")
    assert Collision.objects.count() == 1


def test_a_rename_collides_an_unrelated_change_does_not(personas: dict[str, User], make_lead: MakeLead) -> None:
    make_lead("宁德时代新能源科技股份有限公司")
    lead = make_lead("星河光电有限公司", by="other_reporter")
    lead.content = "新的内容"
    assert lead_save(by=personas["other_reporter"], lead=lead).collisions == []
    lead.enterprise = "宁德时代新能源科技(福建)有限公司"
    [collision] = lead_save(by=personas["other_reporter"], lead=lead).collisions
    assert collision.lead == lead
    # Another variant of the name is looked up again but opens no second collision for the pair.
    lead.enterprise = "宁德时代(福建)有限公司"
    assert [m.lead for m in collision_candidates(lead.enterprise, exclude_id=lead.pk)] == [collision.existing]
    assert lead_save(by=personas["other_reporter"], lead=lead).collisions == []
    assert Collision.objects.count() == 1


def test_a_duplicate_within_one_unit_is_a_collision_too(personas: dict[str, User], make_lead: MakeLead) -> None:
    make_lead("华为技术有限公司")
    make_lead("华为有限公司")
    assert Collision.objects.count() == 1
    [text] = notices(personas["reporter"])
    assert "本单位录入的“华为有限公司”与本单位于 2026-05-15 录入的“华为技术有限公司”" in text and "只计一次" in text


def test_the_lead_entered_first_is_the_existing_one_whichever_was_renamed(personas: dict[str, User],
                                                                          make_lead: MakeLead) -> None:
    first = make_lead("星河光电有限公司")
    second = make_lead("比亚迪股份有限公司", by="other_reporter")
    first.enterprise = "比亚迪有限公司"
    [collision] = lead_save(by=personas["reporter"], lead=first).collisions
    assert (collision.lead, collision.existing) == (second, first)
    assert "东城街道" in notices(personas["other_reporter"])[0]


def test_dropped_leads_are_not_matched(personas: dict[str, User], make_lead: MakeLead) -> None:
    first = make_lead("比亚迪股份有限公司")
    stage_advance(by=personas["reporter"], lead=first, to=Stage.DROPPED, dropped_reason="企业已落户他地")
    make_lead("比亚迪汽车工业有限公司", by="other_reporter")
    assert not Collision.objects.exists()


def test_the_name_index_follows_later_leads_and_forgets_removed_ones(personas: dict[str, User],
                                                                      make_lead: MakeLead) -> None:
    assert collision_candidates("华为技术有限公司") == []  # builds the (empty) index
    lead = make_lead("华为技术有限公司")
    [found] = collision_candidates("华为有限公司")
    assert found.lead == lead and not found.match.certain
    # A lead renamed is found under its new name only (the index is brought up to date, not rebuilt).
    lead.enterprise = "星辰光电有限公司"
    lead_save(by=personas["reporter"], lead=lead)
    assert collision_candidates("华为有限公司") == []
    assert [m.lead for m in collision_candidates("星辰光电股份有限公司")] == [lead]
    assert collision_candidates("星辰光电股份有限公司", exclude_id=lead.pk) == []


def test_a_lead_deleted_outside_the_services_is_not_matched(personas: dict[str, User], make_lead: MakeLead) -> None:
    lead = make_lead("华为技术有限公司")
    assert collision_candidates("华为有限公司")
    Lead.objects.filter(pk=lead.pk).delete()
    assert collision_candidates("华为有限公司") == []


# --- rulings ------------------------------------------------------------------------------------

@pytest.fixture
def collision(personas: dict[str, User], make_lead: MakeLead) -> Collision:
    make_lead("江苏恒瑞医药股份有限公司")
    make_lead("恒瑞医药(南京)有限公司", by="other_reporter")
    Notification.objects.all().delete()
    return Collision.objects.get()


def test_only_the_office_rules(personas: dict[str, User], collision: Collision) -> None:
    for who in ("reporter", "leader", "viewer"):
        with pytest.raises(PermissionDenied):
            services.collision_rule(by=personas[who], collision=collision, keeper=collision.existing,
                                    lead_share=Decimal(0), existing_share=Decimal(100))


def test_the_split_must_sum_to_100_and_a_shared_credit_needs_its_proof(personas: dict[str, User],
                                                                       collision: Collision) -> None:
    office = personas["office"]
    with pytest.raises(ValidationError, match="之和须为 100"):
        services.collision_rule(by=office, collision=collision, keeper=collision.existing,
                                lead_share=Decimal(30), existing_share=Decimal(60))
    with pytest.raises(ValidationError, match="到位资金分割证明"):
        services.collision_rule(by=office, collision=collision, keeper=collision.existing,
                                lead_share=Decimal(40), existing_share=Decimal(60))
    with pytest.raises(ValidationError, match="两条线索之一"):
        services.collision_rule(by=office, collision=collision, keeper=Lead(pk=999999),
                                lead_share=Decimal(0), existing_share=Decimal(100))
    collision.refresh_from_db()
    assert collision.state == Collision.State.OPEN


def test_a_ruling_keeps_one_lead_drops_the_other_and_tells_both_units(personas: dict[str, User],
                                                                       collision: Collision) -> None:
    office = personas["office"]
    ruled = services.collision_rule(by=office, collision=collision, keeper=collision.existing,
                                    lead_share=Decimal(40), existing_share=Decimal(60), note="双方协议，附资金分割证明")
    assert (ruled.state, ruled.keeper, ruled.lead_share, ruled.existing_share, ruled.decided_by) == (
        Collision.State.RESOLVED, collision.existing, Decimal(40), Decimal(60), office)
    later = Lead.objects.get(pk=collision.lead_id)
    assert later.stage == Stage.DROPPED and "由东城街道跟进" in later.dropped_reason
    assert "西山镇 40%" in later.dropped_reason and "东城街道 60%" in later.dropped_reason
    change = StageChange.objects.get(lead=later)
    assert (change.from_stage, change.to_stage, change.by, change.skipped) == (Stage.LEAD, Stage.DROPPED, office, False)
    assert Lead.objects.get(pk=collision.existing_id).stage == Stage.LEAD
    for who in ("reporter", "other_reporter"):
        [text] = notices(personas[who])
        assert "项目办已裁定撞单" in text and "西山镇 40%、东城街道 60%" in text
    entry = AuditEntry.objects.get(model="investment.collision", action=AuditEntry.Action.UPDATE)
    assert entry.changes["状态"] == ["待裁定", "已裁定"] and entry.user == office
    with pytest.raises(ValidationError, match="已经处理"):
        services.collision_dismiss(by=office, collision=collision)


def test_a_dismissal_leaves_both_leads(personas: dict[str, User], collision: Collision) -> None:
    services.collision_dismiss(by=personas["office"], collision=collision, note="母公司与子公司，分别招引")
    collision.refresh_from_db()
    assert collision.state == Collision.State.DISMISSED
    assert set(Lead.objects.values_list("stage", flat=True)) == {Stage.LEAD}


# --- stages -------------------------------------------------------------------------------------

def test_stages_one_by_one_with_their_evidence(personas: dict[str, User], make_lead: MakeLead) -> None:
    reporter = personas["reporter"]
    lead = make_lead("潍坊测试机械有限公司")
    lead = stage_advance(by=reporter, lead=lead, to=Stage.NEGOTIATING, note="首次洽谈")
    with pytest.raises(ValidationError) as refused:
        stage_advance(by=reporter, lead=lead, to=Stage.SIGNED, signed_amount=Decimal(0))
    assert refused.value.messages == [
        "签约须填写签约日期。", "签约须填写大于 0 的签约金额（万元）。", "签约须填写签约主体。"]
    lead = stage_advance(by=reporter, lead=lead, to=Stage.SIGNED, signed_on=dt.date(2026, 5, 1),
                         signed_amount=Decimal("30000"), counterpart="潍坊测试机械有限公司")
    with pytest.raises(ValidationError, match="不能早于签约日期"):
        stage_advance(by=reporter, lead=lead, to=Stage.STARTED, started_on=dt.date(2026, 4, 30))
    lead = stage_advance(by=reporter, lead=lead, to=Stage.STARTED, started_on=dt.date(2026, 5, 10))
    lead = stage_advance(by=reporter, lead=lead, to=Stage.PRODUCING, producing_on=dt.date(2026, 5, 15))
    assert (lead.stage, lead.version, lead.light) == (Stage.PRODUCING, 5, rules.GREEN)
    assert list(StageChange.objects.filter(lead=lead).values_list("from_stage", "to_stage")) == [
        (Stage.LEAD, Stage.NEGOTIATING), (Stage.NEGOTIATING, Stage.SIGNED), (Stage.SIGNED, Stage.STARTED),
        (Stage.STARTED, Stage.PRODUCING)]
    updates = AuditEntry.objects.filter(model="investment.lead", object_id=str(lead.pk), action="update")
    assert updates.count() == 4
    assert updates.filter(changes__阶段=["签约", "开工"]).exists()
    assert AuditEntry.objects.filter(model="investment.stagechange", subject_id=str(lead.pk)).count() == 4
    # Producing is the end: no more steps, no more changes by the unit.
    with pytest.raises(PermissionDenied):
        stage_advance(by=reporter, lead=lead, to=Stage.DROPPED, dropped_reason="x")


def test_a_skip_only_by_the_office_with_its_decision(personas: dict[str, User], make_lead: MakeLead) -> None:
    lead = make_lead("潍坊测试机械有限公司")
    evidence = {"signed_on": dt.date(2026, 5, 8), "signed_amount": Decimal("20000"), "counterpart": "测试"}
    with pytest.raises(ValidationError, match="只能逐级推进"):
        stage_advance(by=personas["reporter"], lead=lead, to=Stage.SIGNED, skip_decision="展会现场签约", **evidence)
    with pytest.raises(ValidationError, match="只能逐级推进"):
        stage_advance(by=personas["office"], lead=lead, to=Stage.SIGNED, **evidence)
    lead = stage_advance(by=personas["office"], lead=lead, to=Stage.SIGNED, skip_decision="展会现场签约", **evidence)
    change = StageChange.objects.get(lead=lead)
    assert (change.skipped, change.decided_by, change.note) == (True, personas["office"], "展会现场签约")
    assert lead.stage == Stage.SIGNED and lead.signed_amount == Decimal("20000")


def test_no_step_back_and_dropping_needs_a_reason(personas: dict[str, User], make_lead: MakeLead) -> None:
    lead = make_lead("潍坊测试机械有限公司", stage=Stage.NEGOTIATING)
    with pytest.raises(ValidationError, match="不能回退"):
        stage_advance(by=personas["office"], lead=lead, to=Stage.LEAD, skip_decision="x")
    with pytest.raises(ValidationError, match="终止原因"):
        stage_advance(by=personas["reporter"], lead=lead, to=Stage.DROPPED)
    lead = stage_advance(by=personas["reporter"], lead=lead, to=Stage.DROPPED, dropped_reason="企业取消投资计划")
    assert (lead.stage, lead.light, lead.dropped_reason) == (Stage.DROPPED, rules.GREY, "企业取消投资计划")


def test_a_new_lead_starts_at_the_beginning(personas: dict[str, User], make_lead: MakeLead) -> None:
    with pytest.raises(ValidationError, match="逐级推进"):
        make_lead("潍坊测试机械有限公司", stage=Stage.SIGNED)
    with pytest.raises(ValidationError, match="推进阶段时填写"):
        make_lead("潍坊测试机械有限公司", signed_amount=Decimal(1))


# --- contacts and lights ------------------------------------------------------------------------

def test_contacts_keep_the_last_date_and_the_light(personas: dict[str, User], make_lead: MakeLead) -> None:
    lead = make_lead("潍坊测试机械有限公司")
    Lead.objects.filter(pk=lead.pk).update(created_at=timezone.now() - dt.timedelta(days=70))
    assert services.lights_refresh_all() == {rules.RED: 1}
    lead.refresh_from_db()
    assert lead.light_reasons == [[rules.RED, "录入已 70 天，尚无洽谈记录（黄灯阈值 30 天，红灯 60 天）"]]
    contact = contact_add(by=personas["reporter"], lead=lead, date=TODAY - dt.timedelta(days=40),
                          form=Contact.Form.VISIT, result="企业有意向", next_step="报送项目方案",
                          next_step_due=dt.date(2026, 6, 1))
    lead.refresh_from_db()
    assert (lead.last_contact_on, lead.light, lead.next_step, lead.next_step_due) == (
        dt.date(2026, 4, 5), rules.YELLOW, "报送项目方案", dt.date(2026, 6, 1))
    assert lead.light_reasons == [[rules.YELLOW, "已 40 天没有洽谈记录（黄灯阈值 30 天，红灯 60 天）"]]
    # An older contact entered later does not move the last date back.
    contact_add(by=personas["reporter"], lead=lead, date=TODAY - dt.timedelta(days=50), form=Contact.Form.PHONE,
                result="电话沟通")
    lead.refresh_from_db()
    assert lead.last_contact_on == dt.date(2026, 4, 5) and lead.next_step == "报送项目方案"
    contact_add(by=personas["office"], lead=lead, date=TODAY, form=Contact.Form.VIDEO, result="视频会商")
    lead.refresh_from_db()
    assert lead.light == rules.GREEN
    assert AuditEntry.objects.filter(model="investment.contact", object_id=str(contact.pk),
                                     subject_id=str(lead.pk)).exists()
    with pytest.raises(ValidationError, match="不能晚于今天"):
        contact_add(by=personas["reporter"], lead=lead, date=TODAY + dt.timedelta(days=1), form="visit", result="x")
    with pytest.raises(PermissionDenied):
        contact_add(by=personas["other_reporter"], lead=lead, date=TODAY, form="visit", result="x")


def test_the_stale_days_come_from_the_settings(settings: Any, personas: dict[str, User], make_lead: MakeLead) -> None:
    settings.DIAODU_LEAD_STALE_DAYS = (5, 10)
    lead = make_lead("潍坊测试机械有限公司")
    contact_add(by=personas["reporter"], lead=lead, date=TODAY - dt.timedelta(days=6), form="visit", result="x")
    lead.refresh_from_db()
    assert lead.light == rules.YELLOW and "黄灯阈值 5 天，红灯 10 天" in lead.light_reasons[0][1]


def test_lights_refresh_all_writes_only_what_changed(personas: dict[str, User], make_lead: MakeLead,
                                                     django_assert_max_num_queries: Any) -> None:
    for number in range(5):
        make_lead(f"测试企业{number}号有限公司")
    Lead.objects.update(created_at=timezone.now() - dt.timedelta(days=35))
    with django_assert_max_num_queries(4):
        assert services.lights_refresh_all(batch=10) == {rules.YELLOW: 5}
    with django_assert_max_num_queries(2):  # nothing changed: nothing written
        assert services.lights_refresh_all(batch=10) == {rules.YELLOW: 5}


def test_chains_and_nodes(personas: dict[str, User], make_lead: MakeLead) -> None:
    chain = Chain.objects.create(name="高端装备", chief=personas["leader"])
    node = ChainNode.objects.create(chain=chain, name="精密轴承", position=Position.MIDSTREAM,
                                    local_enterprises=["潍坊轴承厂"], target_kind="fill")
    lead = make_lead("潍坊测试机械有限公司", chain_node=node)
    assert str(node) == "高端装备·精密轴承" and list(chain.nodes.get().leads.all()) == [lead]


def test_the_web_process_builds_the_name_index_before_the_first_entry(make_lead: MakeLead) -> None:
    make_lead("潍坊预热机械有限公司")
    make_lead("潍坊预热材料有限公司")
    services.name_index_forget()
    assert services.name_index_warm() == 2
    # The next check reads only what changed since (nothing): the index is not built again.
    built = services._cache.index
    assert services.collision_candidates("潍坊预热机械股份有限公司")[0].lead.enterprise == "潍坊预热机械有限公司"
    assert services._cache.index is built
