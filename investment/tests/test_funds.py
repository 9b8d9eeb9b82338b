"""Money that arrived (到位资金): entered for a signed lead, on or after signing and not in the future, audited."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from audit.models import AuditEntry
from conftest import client_for
from investment import funds
from investment.models import Funds, Lead, Stage
from investment.tests.conftest import MakeLead
from investment.tests.test_conversion import advance
from org.models import User

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clock")]

TODAY = dt.date(2026, 5, 15)


@pytest.fixture
def signed(personas: dict[str, User], make_lead: MakeLead) -> Lead:
    return advance(personas["office"], make_lead("到位资金企业有限公司"), Stage.SIGNED, signed_on=dt.date(2026, 2, 1))


def test_the_rules_in_words() -> None:
    ok = {"stage": Stage.SIGNED, "signed_on": dt.date(2026, 2, 1), "on": dt.date(2026, 3, 1),
          "amount": Decimal("100"), "today": TODAY}
    assert funds.funds_refusals(**ok) == []
    assert funds.funds_refusals(**{**ok, "stage": Stage.PRODUCING}) == []
    assert funds.funds_refusals(**{**ok, "stage": Stage.NEGOTIATING, "signed_on": None}) == [
        "线索签约后才能录入到位资金；该线索处于“在谈”阶段。"]
    assert funds.funds_refusals(**{**ok, "stage": Stage.DROPPED}) == ["线索已终止，不能录入到位资金。"]
    assert funds.funds_refusals(**{**ok, "on": dt.date(2026, 1, 31)}) == [
        "到位日期（2026-01-31）不能早于签约日期（2026-02-01）。"]
    assert funds.funds_refusals(**{**ok, "on": dt.date(2026, 5, 16)}) == ["到位日期（2026-05-16）不能晚于今天。"]
    assert funds.funds_refusals(**{**ok, "amount": Decimal(0)}) == ["到位资金须大于 0 万元。"]
    # The signing day and today are both allowed.
    assert funds.funds_refusals(**{**ok, "on": dt.date(2026, 2, 1)}) == []
    assert funds.funds_refusals(**{**ok, "on": TODAY}) == []


def test_a_reporter_adds_money_and_it_is_audited(personas: dict[str, User], signed: Lead) -> None:
    arrival = funds.funds_add(by=personas["reporter"], lead=signed, on=dt.date(2026, 3, 1), amount=Decimal("1200"),
                              note="首期注资")
    assert arrival.entered_by == personas["reporter"]
    entry = AuditEntry.objects.get(model="investment.funds", object_id=str(arrival.pk))
    assert entry.subject_model == "investment.lead" and entry.subject_id == str(signed.pk)
    assert entry.action == "create" and entry.user == personas["reporter"]


def test_refusals_and_who_may_add(personas: dict[str, User], make_lead: MakeLead, signed: Lead) -> None:
    talks = make_lead("洽谈中企业有限公司")
    with pytest.raises(ValidationError, match="签约后才能录入"):
        funds.funds_add(by=personas["office"], lead=talks, on=TODAY, amount=Decimal("1"))
    with pytest.raises(ValidationError, match="不能早于签约日期"):
        funds.funds_add(by=personas["office"], lead=signed, on=dt.date(2026, 1, 1), amount=Decimal("1"))
    with pytest.raises(ValidationError, match="不能晚于今天"):
        funds.funds_add(by=personas["office"], lead=signed, on=TODAY + dt.timedelta(days=1), amount=Decimal("1"))
    for role in ("other_reporter", "leader", "viewer"):
        with pytest.raises(PermissionDenied):
            funds.funds_add(by=personas[role], lead=signed, on=TODAY, amount=Decimal("1"))
    assert not Funds.objects.exists()


def test_a_producing_lead_still_receives_money(personas: dict[str, User], make_lead: MakeLead) -> None:
    lead = advance(personas["office"], make_lead("投产企业有限公司"), Stage.PRODUCING,
                   producing_on=dt.date(2026, 4, 1))
    funds.funds_add(by=personas["reporter"], lead=lead, on=dt.date(2026, 4, 20), amount=Decimal("300"))
    assert lead.funds.count() == 1


def test_the_lead_page_lists_the_money_with_its_total(personas: dict[str, User], signed: Lead) -> None:
    client = client_for(personas["reporter"])
    url = reverse("investment:funds_add", args=[signed.pk])
    for on, amount in (("2026-03-01", "1200.50"), ("2026-04-10", "800")):
        response = client.post(url, {"on": on, "amount": amount, "note": "<b>注资</b>"})
        assert response.status_code == 302 and response["Location"].endswith("#funds")
    page = client.get(reverse("investment:lead_detail", args=[signed.pk]))
    assert page.context["funds"]["total"] == Decimal("2000.50")
    html = page.content.decode()
    assert 'id="funds-total">2000.50<' in html and "&lt;b&gt;注资&lt;/b&gt;" in html
    assert 'id="funds-form"' in html
    # A refusal is told on the lead's page.
    response = client.post(url, {"on": "2026-01-01", "amount": "5"}, follow=True)
    assert "不能早于签约日期" in response.content.decode()
    response = client.post(url, {"on": "", "amount": ""}, follow=True)
    assert "到位日期" in response.content.decode()
    assert signed.funds.count() == 2
    # The leader reads the money, without the form; another unit finds nothing.
    leader_page = client_for(personas["leader"]).get(reverse("investment:lead_detail", args=[signed.pk]))
    assert leader_page.context["funds"]["form"] is None and 'id="funds-list"' in leader_page.content.decode()
    assert client_for(personas["other_reporter"]).post(url, {"on": "2026-03-01", "amount": "1"}).status_code == 404
    assert client_for(personas["leader"]).post(url, {"on": "2026-03-01", "amount": "1"}).status_code == 403


def test_a_lead_in_talks_has_no_funds_section(personas: dict[str, User], make_lead: MakeLead) -> None:
    lead = make_lead("洽谈中企业有限公司")
    page = client_for(personas["reporter"]).get(reverse("investment:lead_detail", args=[lead.pk]))
    assert page.context["funds"] is None and 'id="funds"' not in page.content.decode()
