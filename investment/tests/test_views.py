"""The lead pages: who sees which leads, entering and changing them, contacts, stages, collisions (撞单)."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from conftest import client_for
from investment.models import Chain, ChainNode, Collision, Contact, Lead, Position, Stage, StageChange
from investment.tests.conftest import MakeLead, make_code
from org.models import Unit, User

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clock")]

TODAY = dt.date(2026, 5, 15)
SCRIPT = "<script>alert('x')</script>"
ESCAPED = "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;"


def listed(client: Client, **params: Any) -> list[str]:
    response = client.get(reverse("investment:leads"), params)
    assert response.status_code == 200
    return [row["lead"].enterprise for row in response.context["rows"]]


def lead_data(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "enterprise": "潍坊测试机械有限公司", "credit_code": "", "origin": "domestic", "origin_province": "",
        "origin_city": "", "industry": "", "chain_node": "", "amount_original": "", "amount_unit": "wan",
        "currency": "CNY", "exchange_rate": "", "content": "", "contact_person": "", "next_step": "",
        "next_step_due": "",
    }
    data.update(overrides)
    return data


# --- the list -------------------------------------------------------------------------------------

def test_the_list_is_scoped_to_the_user(personas: dict[str, User], make_lead: MakeLead) -> None:
    make_lead("东城甲企业有限公司")
    make_lead("西山乙企业有限公司", by="other_reporter")
    assert listed(client_for(personas["reporter"])) == ["东城甲企业有限公司"]
    assert listed(client_for(personas["other_reporter"])) == ["西山乙企业有限公司"]
    assert set(listed(client_for(personas["leader"]))) == {"东城甲企业有限公司", "西山乙企业有限公司"}
    assert set(listed(client_for(personas["office"]))) == {"东城甲企业有限公司", "西山乙企业有限公司"}
    assert client_for(personas["viewer"]).get(reverse("investment:leads")).status_code == 403
    # A reporter has no unit filter, and a hand-made one cannot widen the scope.
    reporter = client_for(personas["reporter"])
    response = reporter.get(reverse("investment:leads"))
    assert "source_unit" not in response.context["form"].fields
    assert listed(reporter, source_unit=personas["other_reporter"].unit_id) == ["东城甲企业有限公司"]
    assert "西山乙企业有限公司" not in response.content.decode()


def test_the_list_filters_and_sorts(personas: dict[str, User], units: dict[str, Unit], make_lead: MakeLead) -> None:
    make_lead("甲精密机械有限公司", amount_original=Decimal("300"))
    negotiating = make_lead("乙新材料有限公司", stage=Stage.NEGOTIATING, amount_original=Decimal("900"))
    make_lead("丙生物医药有限公司", by="other_reporter", amount_original=Decimal("500"))
    office = client_for(personas["office"])
    assert listed(office, q="新材料") == ["乙新材料有限公司"]
    assert listed(office, stage=Stage.NEGOTIATING) == ["乙新材料有限公司"]
    assert listed(office, source_unit=units["town_b"].pk) == ["丙生物医药有限公司"]
    assert listed(office, light="red") == []
    assert len(listed(office, light="green")) == 3
    assert listed(office, sort="investment") == ["乙新材料有限公司", "丙生物医药有限公司", "甲精密机械有限公司"]
    assert listed(office, sort="-investment") == ["甲精密机械有限公司", "丙生物医药有限公司", "乙新材料有限公司"]
    assert listed(office, sort="-stage")[0] == negotiating.enterprise
    assert len(listed(office, sort="nonsense")) == 3
    # The light sorts red first, then yellow; the chain filters by the lead's link.
    Lead.objects.filter(enterprise="丙生物医药有限公司").update(light="red")
    Lead.objects.filter(enterprise="甲精密机械有限公司").update(light="yellow")
    assert listed(office, sort="light") == ["丙生物医药有限公司", "甲精密机械有限公司", "乙新材料有限公司"]
    assert listed(office, sort="-light")[0] == "乙新材料有限公司"
    chain = Chain.objects.create(name="生物医药")
    node = ChainNode.objects.create(chain=chain, name="原料药", position=Position.UPSTREAM)
    Lead.objects.filter(enterprise="丙生物医药有限公司").update(chain_node=node)
    assert listed(office, chain=chain.pk) == ["丙生物医药有限公司"]
    assert listed(office, node=node.pk) == ["丙生物医药有限公司"]
    # A place matches whichever form was typed: "广东省" finds "广东", "深圳" finds "深圳市"; a node of
    # another chain or a place of no lead finds nothing.
    Lead.objects.filter(enterprise="甲精密机械有限公司").update(origin_province="广东", origin_city="深圳市")
    Lead.objects.filter(enterprise="乙新材料有限公司").update(origin_province="广西壮族自治区")
    assert listed(office, province="广东省") == ["甲精密机械有限公司"]
    assert listed(office, province="广东", city="深圳") == ["甲精密机械有限公司"]
    assert listed(office, province="广西") == ["乙新材料有限公司"]
    assert listed(office, province="广西壮族自治区") == ["乙新材料有限公司"]
    assert listed(office, province="浙江") == []
    other = ChainNode.objects.create(chain=chain, name="制剂", position=Position.MIDSTREAM)
    assert listed(office, node=other.pk) == []
    # The row says the stage, the amount, the unit and the light's reason.
    page = office.get(reverse("investment:leads"), {"q": "新材料"}).content.decode()
    assert "在谈" in page and "900.00" in page and "东城街道" in page
    assert "录入已 0 天，尚无洽谈记录" in page


def test_the_list_takes_the_same_queries_for_more_leads(personas: dict[str, User], units: dict[str, Unit]) -> None:
    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client_for(personas["office"]).get(reverse("investment:leads")).status_code == 200
        return len(queries)

    Lead.objects.bulk_create([Lead(enterprise=f"企业{i}", source_unit=units["town_a"]) for i in range(3)])
    few = count()
    Lead.objects.bulk_create([Lead(enterprise=f"企业{i}", source_unit=units["town_b"]) for i in range(3, 80)])
    assert count() == few
    response = client_for(personas["office"]).get(reverse("investment:leads"), {"page": 2})
    assert len(response.context["rows"]) == 30


# --- one lead -------------------------------------------------------------------------------------

def test_another_units_lead_is_not_found(personas: dict[str, User], make_lead: MakeLead) -> None:
    theirs = make_lead("西山乙企业有限公司", by="other_reporter")
    reporter = client_for(personas["reporter"])
    for name in ("lead_detail", "lead_edit"):
        assert reporter.get(reverse(f"investment:{name}", args=[theirs.pk])).status_code == 404
    for name in ("contact_add", "stage_advance"):
        assert reporter.post(reverse(f"investment:{name}", args=[theirs.pk]), {"to": "negotiating"}).status_code == 404
    assert not StageChange.objects.exists() and not Contact.objects.exists()
    # A leader reads it without the forms to change it.
    response = client_for(personas["leader"]).get(reverse("investment:lead_detail", args=[theirs.pk]))
    assert response.status_code == 200 and "contact_form" not in response.context


def test_script_in_every_free_text_field_is_escaped(
    personas: dict[str, User], make_lead: MakeLead
) -> None:
    first = make_lead(SCRIPT + "有限公司")
    text_fields = {name: SCRIPT for name in ("origin_province", "origin_city", "industry", "content",
                                              "contact_person", "next_step")}
    lead = make_lead(SCRIPT + "有限公司", by="other_reporter", **text_fields)
    reporter = client_for(personas["other_reporter"])
    response = reporter.post(reverse("investment:contact_add", args=[lead.pk]), {
        "date": "2026-05-10", "form": "visit", "participants": SCRIPT, "result": SCRIPT, "next_step": SCRIPT})
    assert response.status_code == 302
    response = reporter.post(reverse("investment:stage_advance", args=[lead.pk]), {
        "to": "negotiating", "note": SCRIPT, "version": Lead.objects.get(pk=lead.pk).version})
    assert response.status_code == 302
    office = client_for(personas["office"])
    collision = Collision.objects.get()
    assert office.post(reverse("investment:collision_rule", args=[collision.pk]), {
        f"c{collision.pk}-keeper": first.pk, f"c{collision.pk}-lead_share": "40",
        f"c{collision.pk}-existing_share": "60", f"c{collision.pk}-note": SCRIPT}).status_code == 302
    pages = [
        (reporter, reverse("investment:leads")),
        (reporter, reverse("investment:lead_detail", args=[lead.pk])),
        (office, reverse("investment:lead_detail", args=[lead.pk])),
        (office, reverse("investment:lead_detail", args=[first.pk])),
        (office, reverse("investment:collisions")),
        (office, reverse("investment:lead_edit", args=[first.pk])),
    ]
    for client, url in pages:
        page = client.get(url).content.decode()
        assert SCRIPT not in page, url
        assert ESCAPED in page, url
    # The lead dropped by the ruling says why; the reason and the note are escaped too.
    page = office.get(reverse("investment:lead_detail", args=[lead.pk])).content.decode()
    assert "撞单裁定" in page and "终止" in page


def test_a_step_without_its_evidence_says_why_and_saves_nothing(
    personas: dict[str, User], make_lead: MakeLead
) -> None:
    lead = make_lead("潍坊测试机械有限公司", stage=Stage.NEGOTIATING)
    reporter = client_for(personas["reporter"])
    page = reporter.get(reverse("investment:lead_detail", args=[lead.pk])).content.decode()
    # The next stage's evidence fields are on the form, and only those.
    assert 'name="signed_on"' in page and 'name="counterpart"' in page and 'name="started_on"' not in page
    assert 'name="skip_decision"' not in page
    response = reporter.post(reverse("investment:stage_advance", args=[lead.pk]),
                             {"to": "signed", "version": lead.version, "signed_amount": "0"})
    assert response.status_code == 200
    page = response.content.decode()
    for reason in ("签约须填写签约日期。", "签约须填写大于 0 的签约金额（万元）。", "签约须填写签约主体。"):
        assert reason in page
    lead.refresh_from_db()
    assert lead.stage == Stage.NEGOTIATING and not StageChange.objects.exists()
    # A skip is the office's: a reporter's is refused in words.
    response = reporter.post(reverse("investment:stage_advance", args=[lead.pk]), {
        "to": "started", "signed_on": "2026-05-01", "signed_amount": "100", "counterpart": "某公司",
        "started_on": "2026-05-02", "version": lead.version})
    assert response.status_code == 200 and "选择一个有效的选项" in response.content.decode()
    # Dropping needs a reason.
    response = reporter.post(reverse("investment:stage_advance", args=[lead.pk]),
                             {"to": "dropped", "version": lead.version})
    assert "终止线索须写明终止原因。" in response.content.decode()
    lead.refresh_from_db()
    assert lead.stage == Stage.NEGOTIATING and not StageChange.objects.exists()
    # With the evidence the step is taken.
    response = reporter.post(reverse("investment:stage_advance", args=[lead.pk]), {
        "to": "signed", "signed_on": "2026-05-01", "signed_amount": "1200", "counterpart": "潍坊测试机械有限公司",
        "version": lead.version})
    assert response.status_code == 302
    lead.refresh_from_db()
    assert (lead.stage, lead.signed_amount) == (Stage.SIGNED, Decimal("1200"))
    assert StageChange.objects.get().by == personas["reporter"]


def test_the_office_skips_with_its_decision(personas: dict[str, User], make_lead: MakeLead) -> None:
    lead = make_lead("潍坊测试机械有限公司")
    office = client_for(personas["office"])
    assert 'name="skip_decision"' in office.get(reverse("investment:lead_detail", args=[lead.pk])).content.decode()
    evidence = {"to": "signed", "signed_on": "2026-05-01", "signed_amount": "100", "counterpart": "某公司",
                "version": lead.version}
    response = office.post(reverse("investment:stage_advance", args=[lead.pk]), evidence)
    assert "跨阶段" in response.content.decode()
    response = office.post(reverse("investment:stage_advance", args=[lead.pk]),
                           {**evidence, "skip_decision": "展会现场签约"})
    assert response.status_code == 302
    change = StageChange.objects.get()
    assert change.skipped and "展会现场签约" in change.note and change.decided_by == personas["office"]


def test_a_contact_is_recorded(personas: dict[str, User], make_lead: MakeLead) -> None:
    lead = make_lead("潍坊测试机械有限公司")
    reporter = client_for(personas["reporter"])
    url = reverse("investment:contact_add", args=[lead.pk])
    response = reporter.post(url, {"date": "2026-05-20", "form": "visit", "result": "有意向"})
    assert response.status_code == 200 and "洽谈日期不能晚于今天。" in response.content.decode()
    response = reporter.post(url, {"date": "2026-05-12", "form": "visit", "result": "有意向", "next_step": "再访"})
    assert response.status_code == 302
    lead.refresh_from_db()
    assert (lead.last_contact_on, lead.next_step) == (dt.date(2026, 5, 12), "再访")
    page = reporter.get(reverse("investment:lead_detail", args=[lead.pk])).content.decode()
    assert "有意向" in page and "已 3 天没有洽谈记录" in page


# --- entering and changing -------------------------------------------------------------------------

def test_a_reporter_enters_a_lead_for_the_unit(personas: dict[str, User], units: dict[str, Unit]) -> None:
    reporter = client_for(personas["reporter"])
    page = reporter.get(reverse("investment:lead_create")).content.decode()
    assert 'name="source_unit"' not in page and 'name="stage"' not in page
    response = reporter.post(reverse("investment:lead_create"),
                             lead_data(amount_original="2", amount_unit="yi", source_unit=units["town_b"].pk))
    assert response.status_code == 302
    lead = Lead.objects.get()
    assert (lead.source_unit, lead.intended_investment, lead.created_by) == (
        units["town_a"], Decimal("20000.00"), personas["reporter"])
    assert response["Location"] == reverse("investment:lead_detail", args=[lead.pk])


def test_a_wrong_credit_code_is_shown_with_the_field(personas: dict[str, User]) -> None:
    good = make_code("12345678")
    wrong = good[:-1] + ("0" if good[-1] != "0" else "1")
    reporter = client_for(personas["reporter"])
    response = reporter.post(reverse("investment:lead_create"), lead_data(credit_code=wrong))
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert "credit_code" in errors and "校验" in " ".join(errors["credit_code"])
    assert 'data-field="credit_code"' in response.content.decode()
    assert not Lead.objects.exists()
    # A foreign amount without a rate: with its field too.
    response = reporter.post(reverse("investment:lead_create"), lead_data(amount_original="5", currency="USD"))
    assert "exchange_rate" in response.context["form"].errors
    assert reporter.post(reverse("investment:lead_create"), lead_data(credit_code=good)).status_code == 302


def test_an_edit_over_a_newer_change_is_refused(personas: dict[str, User], make_lead: MakeLead) -> None:
    lead = make_lead("潍坊测试机械有限公司")
    reporter = client_for(personas["reporter"])
    url = reverse("investment:lead_edit", args=[lead.pk])
    assert f'name="version" value="{lead.version}"' in reporter.get(url).content.decode()
    assert reporter.post(url, lead_data(industry="装备制造", version=lead.version)).status_code == 302
    response = reporter.post(url, lead_data(industry="新材料", version=lead.version))
    assert response.status_code == 200 and "该线索刚被他人修改" in response.content.decode()
    lead.refresh_from_db()
    assert lead.industry == "装备制造"
    # The leader reads, not writes.
    assert client_for(personas["leader"]).post(url, lead_data(industry="x")).status_code == 403


# --- collisions -----------------------------------------------------------------------------------

def test_a_collision_on_entry_warns_the_second_unit_and_reaches_the_office(
    personas: dict[str, User], make_lead: MakeLead
) -> None:
    first = make_lead("江苏恒瑞医药股份有限公司", content="拟投资 5 亿元建设创新药基地")
    other = client_for(personas["other_reporter"])
    response = other.post(reverse("investment:lead_create"), lead_data(enterprise="恒瑞医药(南京)有限公司"),
                          follow=True)
    page = response.content.decode()
    assert "该企业可能已由东城街道于 2026-05-15 首报（撞单）" in page
    # The second unit learns the unit and the day, not the first lead's details.
    assert "江苏恒瑞医药股份有限公司" not in page and "创新药基地" not in page
    assert f'href="{reverse("investment:lead_detail", args=[first.pk])}"' not in page
    collision = Collision.objects.get()
    office = client_for(personas["office"])
    page = office.get(reverse("investment:collisions")).content.decode()
    assert "江苏恒瑞医药股份有限公司" in page and "恒瑞医药(南京)有限公司" in page and "西山镇" in page
    assert f'id="collision-{collision.pk}"' in page
    # The office's list page counts the open collision.
    assert 'class="badge">1<' in office.get(reverse("investment:leads")).content.decode()


def test_only_the_office_rules_and_the_ruling_drops_the_other_lead(
    personas: dict[str, User], make_lead: MakeLead
) -> None:
    first = make_lead("江苏恒瑞医药股份有限公司")
    second = make_lead("恒瑞医药(南京)有限公司", by="other_reporter")
    collision = Collision.objects.get()
    url = reverse("investment:collision_rule", args=[collision.pk])
    p = f"c{collision.pk}-"
    ruling = {p + "keeper": first.pk, p + "lead_share": "0", p + "existing_share": "100"}
    for role in ("reporter", "other_reporter", "leader", "viewer"):
        assert client_for(personas[role]).post(url, ruling).status_code == 403
        assert client_for(personas[role]).get(reverse("investment:collisions")).status_code == 403
    office = client_for(personas["office"])
    # A split that does not add up is refused in words and changes nothing.
    response = office.post(url, {**ruling, p + "lead_share": "30"})
    assert response.status_code == 200 and "两个单位的分成比例之和须为 100" in response.content.decode()
    collision.refresh_from_db()
    assert collision.state == Collision.State.OPEN
    response = office.post(url, ruling)
    assert response.status_code == 302
    collision.refresh_from_db()
    second.refresh_from_db()
    assert (collision.state, collision.keeper, collision.decided_by) == (
        Collision.State.RESOLVED, first, personas["office"])
    assert second.stage == Stage.DROPPED
    page = office.get(reverse("investment:collisions")).content.decode()
    assert "没有待裁定的撞单。" in page and "已裁定" in page
    # The second unit sees the outcome on its lead, still without the first lead's name.
    page = client_for(personas["other_reporter"]).get(
        reverse("investment:lead_detail", args=[second.pk])).content.decode()
    assert "由东城街道跟进" in page and "江苏恒瑞医药股份有限公司" not in page
    # Ruled once: a second ruling is refused.
    response = office.post(url, {**ruling, p + "keeper": second.pk}, follow=True)
    assert "该撞单已经处理" in response.content.decode()
    collision.refresh_from_db()
    assert collision.keeper == first


def test_the_office_dismisses_a_collision(personas: dict[str, User], make_lead: MakeLead) -> None:
    make_lead("江苏恒瑞医药股份有限公司")
    make_lead("恒瑞医药(南京)有限公司", by="other_reporter")
    collision = Collision.objects.get()
    url = reverse("investment:collision_dismiss", args=[collision.pk])
    assert client_for(personas["reporter"]).post(url).status_code == 403
    response = client_for(personas["office"]).post(url, {f"d{collision.pk}-note": "南京子公司，另行招引"})
    assert response.status_code == 302
    collision.refresh_from_db()
    assert (collision.state, collision.note) == (Collision.State.DISMISSED, "南京子公司，另行招引")
    assert Lead.objects.filter(stage=Stage.DROPPED).count() == 0
