"""From lead to key project: converting a started lead (入库), the lineage both ways, and the share of signed
amounts that started within 6 and 12 months (落在项目开工上)."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from audit.models import AuditEntry
from conftest import client_for
from investment import conversion
from investment.models import Chain, ChainNode, Lead, Position, Stage
from investment.services import stage_advance
from investment.tests.conftest import MakeLead
from org.models import Unit, User
from projects import rules as project_rules
from projects.models import AnnualPlan, LedgerState, ProgressReport, Project, ProjectChange
from projects.services import year_figures_refresh

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clock")]

TODAY = dt.date(2026, 5, 15)


def advance(office: User, lead: Lead, to: str = Stage.STARTED, *, signed_on: dt.date = dt.date(2026, 1, 10),
            amount: str = "50000", started_on: dt.date | None = dt.date(2026, 3, 1),
            producing_on: dt.date | None = None) -> Lead:
    """The office takes ``lead`` up to ``to`` in one decided skip, with the facts it needs."""
    facts: dict[str, Any] = {"signed_on": signed_on, "signed_amount": Decimal(amount),
                             "counterpart": "签约主体有限公司"}
    if to in {Stage.STARTED, Stage.PRODUCING}:
        facts["started_on"] = started_on
    if to == Stage.PRODUCING:
        facts["producing_on"] = producing_on
    return stage_advance(by=office, lead=lead, to=to, skip_decision="测试：跨阶段", **facts)


@pytest.fixture
def started(personas: dict[str, User], make_lead: MakeLead) -> Lead:
    lead = make_lead("潍坊新材料科技有限公司", content="年产 5 万吨高性能复合材料项目\n分两期建设",
                     industry="新材料", contact_person="王经理")
    return advance(personas["office"], lead)


def project_data(lead: Lead, **overrides: Any) -> dict[str, Any]:
    """What the convert form posts: its prefilled values, completed with a code."""
    initial = conversion.project_initial(lead)
    data = {name: ("" if value is None else value) for name, value in initial.items()}
    for name in ("planned_start", "actual_start"):
        if isinstance(data[name], dt.date):
            data[name] = data[name].isoformat()
    data.update({"code": "2026-ZS-001", "invested_before": "0"})
    data.update(overrides)
    return data


def convert(user: User, lead: Lead, **fields: Any) -> Project:
    reason = fields.pop("reason", "")
    values: dict[str, Any] = {
        "code": fields.pop("code", "2026-ZS-001"), "name": conversion.project_name(lead), "level": "district",
        "project_type": "industry", "stage": "building", "construction": "new",
        "total_investment": lead.signed_amount, "actual_start": lead.started_on, "planned_start": lead.started_on,
        "lead_unit_id": lead.source_unit_id,
    }
    values.update(fields)
    return conversion.lead_convert(by=user, lead=lead, project=Project(**values), reason=reason)


# --- the form -------------------------------------------------------------------------------------

def test_the_form_is_filled_from_the_lead(personas: dict[str, User], started: Lead, units: dict[str, Unit]) -> None:
    chain = Chain.objects.create(name="新材料产业链", chief=personas["leader"])
    started.chain_node = ChainNode.objects.create(chain=chain, name="复合材料", position=Position.MIDSTREAM)
    started.save()
    response = client_for(personas["reporter"]).get(reverse("investment:lead_convert", args=[started.pk]))
    assert response.status_code == 200
    initial = response.context["form"].initial
    assert initial["name"] == "潍坊新材料科技有限公司年产 5 万吨高性能复合材料项目"
    assert initial["lead_unit"] == units["town_a"].pk and initial["town"] == units["town_a"].pk
    assert initial["total_investment"] == Decimal("50000")
    assert initial["actual_start"] == initial["planned_start"] == dt.date(2026, 3, 1)
    assert initial["stage"] == "building" and initial["owner"] == "签约主体有限公司"
    assert initial["industry"] == "新材料" and initial["owner_contact"] == "王经理"
    assert initial["responsible_leader"] == personas["leader"].pk
    assert "2026-01-10 签约" in initial["reason"] and "50,000.00" in initial["reason"]
    # A reporter's project is a proposal: the form asks why.
    assert "reason" in response.context["form"].fields
    assert "提交入库申请" in response.content.decode()


def test_without_a_signing_the_intended_investment_is_the_total(personas: dict[str, User],
                                                                make_lead: MakeLead) -> None:
    lead = make_lead("无签约企业有限公司", amount_original=Decimal("3000"))
    assert conversion.project_initial(lead)["total_investment"] == Decimal("3000")
    assert conversion.project_name(lead) == "无签约企业有限公司项目"


# --- the office and a unit ------------------------------------------------------------------------

def test_the_office_converts_straight_into_the_ledger(personas: dict[str, User], started: Lead) -> None:
    client = client_for(personas["office"])
    version = started.version
    response = client.post(reverse("investment:lead_convert", args=[started.pk]), project_data(started))
    assert response.status_code == 302, response.context["form"].errors
    started.refresh_from_db()
    project = started.project
    assert project is not None and project.ledger_state == LedgerState.ACTIVE
    assert project.name == "潍坊新材料科技有限公司年产 5 万吨高性能复合材料项目"
    assert project.lead_unit_id == started.source_unit_id and project.total_investment == Decimal("50000")
    assert not ProjectChange.objects.filter(project=project).exists()
    # Both writes are audited: the project created, the lead linked.
    assert AuditEntry.objects.filter(model="projects.project", object_id=str(project.pk), action="create").exists()
    link = AuditEntry.objects.filter(model="investment.lead", object_id=str(started.pk), action="update").first()
    assert link is not None and any("转入重点项目" in name for name in link.changes)
    assert started.version == version + 1


def test_a_unit_proposes_and_the_office_approves_on_the_ledger_pages(personas: dict[str, User],
                                                                    started: Lead) -> None:
    reporter = client_for(personas["reporter"])
    response = reporter.post(reverse("investment:lead_convert", args=[started.pk]),
                             project_data(started, reason="招商引资重点项目，申请入库"))
    assert response.status_code == 302, response.context["form"].errors
    started.refresh_from_db()
    project = started.project
    assert project is not None and project.ledger_state == LedgerState.PROPOSED
    change = ProjectChange.objects.get(project=project)
    assert change.kind == ProjectChange.Kind.ENTER and change.state == ProjectChange.State.PENDING
    assert change.reason == "招商引资重点项目，申请入库"
    page = reporter.get(reverse("investment:lead_detail", args=[started.pk]))
    assert page.context["lineage"].state == LedgerState.PROPOSED
    assert "待审核入库" in page.content.decode()
    # Converted once: the button is gone and the page says why.
    assert not page.context["can_convert"]
    assert "不能重复转入" in page.content.decode()
    # The office approves on the ledger's own page; the project is in the ledger list.
    office = client_for(personas["office"])
    decided = office.post(reverse("projects:change_decide", args=[change.pk]),
                          {"decision": "approve", "version": change.version, "note": ""})
    assert decided.status_code == 302
    project.refresh_from_db()
    assert project.ledger_state == LedgerState.ACTIVE
    ledger = office.get(reverse("projects:ledger"))
    assert project.code in ledger.content.decode()
    page = reporter.get(reverse("investment:lead_detail", args=[started.pk]))
    lineage = page.context["lineage"]
    assert lineage.state == LedgerState.ACTIVE and lineage.light == project.light
    assert lineage.reasons == project.light_reasons and lineage.reasons


def test_a_rejected_project_may_be_converted_again(personas: dict[str, User], started: Lead) -> None:
    first = convert(personas["reporter"], started)
    change = ProjectChange.objects.get(project=first)
    client_for(personas["office"]).post(reverse("projects:change_decide", args=[change.pk]),
                                        {"decision": "reject", "version": change.version, "note": "总投资有误"})
    started.refresh_from_db()
    page = client_for(personas["reporter"]).get(reverse("investment:lead_detail", args=[started.pk]))
    assert page.context["lineage"].state == LedgerState.REJECTED
    assert "总投资有误" in page.content.decode() and page.context["can_convert"]
    second = convert(personas["reporter"], started, code="2026-ZS-002")
    started.refresh_from_db()
    assert started.project == second and second.ledger_state == LedgerState.PROPOSED


def test_refusals_are_given_in_words(personas: dict[str, User], make_lead: MakeLead, started: Lead) -> None:
    signed = advance(personas["office"], make_lead("仅签约企业有限公司"), Stage.SIGNED)
    with pytest.raises(ValidationError, match="只有已开工或已投产的线索"):
        convert(personas["office"], signed)
    response = client_for(personas["office"]).get(reverse("investment:lead_convert", args=[signed.pk]))
    assert response.status_code == 200 and response.context["form"] is None
    assert "处于“签约”阶段" in response.content.decode()
    convert(personas["office"], started)
    started.refresh_from_db()
    with pytest.raises(ValidationError, match="不能重复转入"):
        convert(personas["office"], started, code="2026-ZS-009")
    assert Project.objects.count() == 1


def test_only_who_follows_the_lead_converts_it(personas: dict[str, User], started: Lead) -> None:
    for role in ("other_reporter", "leader", "viewer"):
        with pytest.raises(PermissionDenied):
            convert(personas[role], started)
    url = reverse("investment:lead_convert", args=[started.pk])
    assert client_for(personas["other_reporter"]).get(url).status_code == 404
    assert client_for(personas["viewer"]).get(url).status_code == 404
    assert client_for(personas["leader"]).get(url).status_code == 403
    assert not Project.objects.exists()


def test_a_producing_lead_is_converted_though_it_is_no_longer_edited(personas: dict[str, User],
                                                                     make_lead: MakeLead) -> None:
    lead = advance(personas["office"], make_lead("投产企业有限公司"), Stage.PRODUCING,
                   producing_on=dt.date(2026, 5, 1))
    assert conversion.project_initial(lead)["stage"] == "producing"
    project = convert(personas["reporter"], lead, stage="producing")
    assert project.ledger_state == LedgerState.PROPOSED


def test_a_failed_project_save_leaves_the_lead_unlinked(personas: dict[str, User], started: Lead,
                                                       make_project: Any) -> None:
    make_project(code="2026-ZS-001")
    response = client_for(personas["office"]).post(reverse("investment:lead_convert", args=[started.pk]),
                                                   project_data(started))
    assert response.status_code == 200 and "code" in response.context["form"].errors
    with pytest.raises(ValidationError):
        convert(personas["office"], started)
    started.refresh_from_db()
    assert started.project is None


# --- lineage --------------------------------------------------------------------------------------

def test_the_lead_shows_the_year_progress_as_the_ledger_does(personas: dict[str, User], started: Lead) -> None:
    project = convert(personas["office"], started)
    AnnualPlan.objects.create(project=project, year=2026, amount=Decimal("8000"))
    ProgressReport.objects.create(project=project, year=2026, month=3, invested=Decimal("1500"))
    ProgressReport.objects.create(project=project, year=2026, month=4, invested=Decimal("1433"))
    year_figures_refresh(project_ids=[project.pk], years=[2026])
    started.refresh_from_db()
    lineage = conversion.lineage(started, personas["reporter"])
    assert lineage is not None
    assert lineage.plan == Decimal("8000") and lineage.invested_ytd == Decimal("2933")
    assert lineage.rate == project_rules.investment_rate(Decimal("2933"), Decimal("8000")) == Decimal("36.7")
    assert "完成率 36.7%" in lineage.explanation and lineage.visible


def test_the_project_page_names_the_lead_only_to_who_may_see_it(personas: dict[str, User], started: Lead) -> None:
    project = convert(personas["office"], started)
    url = reverse("projects:detail", args=[project.pk])
    for role in ("office", "reporter", "leader"):
        page = client_for(personas[role]).get(url).content.decode()
        assert "来自招商线索" in page and "潍坊新材料科技有限公司" in page
        assert reverse("investment:lead_detail", args=[started.pk]) in page
        assert "50000.00 万元" in page and "2026-01-10" in page
    page = client_for(personas["viewer"]).get(url).content.decode()
    assert "招商引资项目" in page and "来自招商线索" not in page
    assert reverse("investment:lead_detail", args=[started.pk]) not in page
    assert "签约主体有限公司" not in page


def test_a_project_no_lead_became_has_no_origin(personas: dict[str, User], make_project: Any) -> None:
    from core import hooks
    from investment.hooks import project_origin

    assert project_origin in hooks.project_sections._answers
    page = client_for(personas["office"]).get(reverse("projects:detail", args=[make_project().pk]))
    assert "investment-origin" not in page.content.decode()


# --- 落在项目开工上 ----------------------------------------------------------------------------------

@pytest.fixture
def signings(personas: dict[str, User], make_lead: MakeLead) -> dict[str, Lead]:
    """Leads signed over 2025 and 2026 (today 2026-05-15), of town_a unless said."""
    office = personas["office"]
    made = {
        # started 3 months after signing: within 6 and 12
        "fast": advance(office, make_lead("快开工企业有限公司"), signed_on=dt.date(2025, 3, 1), amount="10000",
                        started_on=dt.date(2025, 6, 1)),
        # started 9 months after: within 12 only
        "slow": advance(office, make_lead("慢开工企业有限公司"), signed_on=dt.date(2025, 2, 1), amount="30000",
                        started_on=dt.date(2025, 11, 1)),
        # signed, never started
        "waiting": advance(office, make_lead("未开工企业有限公司"), Stage.SIGNED, signed_on=dt.date(2025, 4, 1),
                           amount="20000"),
        # signed and dropped: counted, not started
        "dropped": advance(office, make_lead("终止企业有限公司"), Stage.SIGNED, signed_on=dt.date(2025, 1, 5),
                           amount="40000"),
        # signed 2025-09-30: 6 months passed, 12 not
        "recent": advance(office, make_lead("近期签约企业有限公司"), signed_on=dt.date(2025, 9, 30), amount="5000",
                          started_on=dt.date(2026, 1, 15)),
        # signed in 2026: too recent for either window
        "new": advance(office, make_lead("今年签约企业有限公司"), signed_on=dt.date(2026, 2, 1), amount="7000",
                       started_on=dt.date(2026, 4, 1)),
        # another unit's
        "other": advance(office, make_lead("西山签约企业有限公司", by="other_reporter"), signed_on=dt.date(2025, 3, 1),
                         amount="90000", started_on=dt.date(2025, 4, 1)),
    }
    stage_advance(by=office, lead=made["dropped"], to=Stage.DROPPED, dropped_reason="企业战略调整")
    return made


def test_the_shares_of_signed_amounts_that_started(personas: dict[str, User], signings: dict[str, Lead]) -> None:
    six, twelve = conversion.signed_to_started(personas["reporter"], as_of=TODAY, year_from=2025, year_to=2026)
    names = {lead.pk: key for key, lead in signings.items()}
    # Six months: every 2025 signing is in (the latest, 2025-09-30, reached its six months on 2026-03-30).
    assert {names[i.lead.pk] for i in six.counted} == {"fast", "slow", "waiting", "dropped", "recent"}
    assert {names[i.lead.pk] for i in six.not_counted} == {"new"}
    assert {names[i.lead.pk] for i in six.counted if i.reached} == {"fast", "recent"}
    assert six.signed_amount == Decimal("105000") and six.started_amount == Decimal("15000")
    assert six.share == project_rules.rate_percent(Decimal("15000"), Decimal("105000")) == Decimal("14.3")
    # Twelve months: 2025-09-30 has not reached 2026-09-30; the slow start counts now.
    assert {names[i.lead.pk] for i in twelve.counted} == {"fast", "slow", "waiting", "dropped"}
    assert {names[i.lead.pk] for i in twelve.counted if i.reached} == {"fast", "slow"}
    assert twelve.share == Decimal("40.0")
    reasons = {names[i.lead.pk]: i.reason for i in six.counted + six.not_counted}
    assert "晚于签约后 6 个月（2025-08-01）" in reasons["slow"]
    assert reasons["dropped"] == "签约后终止，未开工。"
    assert "截至 2026-05-15 尚未开工" in reasons["waiting"]
    assert "未满 6 个月（2026-08-01 满期）" in reasons["new"]
    # The office sees the other unit's too.
    office_six, _ = conversion.signed_to_started(personas["office"], as_of=TODAY, year_from=2025, year_to=2025)
    assert office_six.signed_amount == Decimal("195000") and office_six.started_amount == Decimal("105000")


def test_as_of_an_earlier_day_later_starts_are_unknown(personas: dict[str, User], signings: dict[str, Lead]) -> None:
    six, twelve = conversion.signed_to_started(personas["reporter"], as_of=dt.date(2025, 10, 31), year_from=2025,
                                                year_to=2025)
    names = {lead.pk: key for key, lead in signings.items()}
    assert {names[i.lead.pk] for i in six.counted} == {"fast", "slow", "waiting", "dropped"}
    assert {names[i.lead.pk] for i in six.counted if i.reached} == {"fast"}
    assert not twelve.counted and twelve.share is None
    assert "不计算比例" in twelve.explanation
    # The month-end rule: signed 31 August, its six months end on the last day of February.
    assert project_rules.add_months(dt.date(2025, 8, 31), 6) == dt.date(2026, 2, 28)


def test_the_page_shows_both_shares_with_their_rule(personas: dict[str, User], signings: dict[str, Lead]) -> None:
    client = client_for(personas["reporter"])
    url = reverse("investment:signed_to_started")
    response = client.get(url, {"year_from": 2025, "year_to": 2026, "as_of": "2026-05-15"})
    page = response.content.decode()
    assert response.status_code == 200
    assert "14.3%" in page and "40.0%" in page and "口径" in page
    assert "西山签约企业有限公司" not in page
    assert client.get(url, {"as_of": "2026-06-01"}).context["form"].errors["as_of"]
    assert client_for(personas["viewer"]).get(url).status_code == 403
    # The default window: last year and this, as of today.
    assert client.get(url).context["year_from"] == 2025


def test_the_page_costs_the_same_queries_for_more_leads(personas: dict[str, User], make_lead: MakeLead) -> None:
    client = client_for(personas["office"])
    url = reverse("investment:signed_to_started")

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        return len(captured)

    advance(personas["office"], make_lead("甲企业有限公司"), signed_on=dt.date(2025, 3, 1))
    few = queries()
    for n in range(5):
        advance(personas["office"], make_lead(f"第{n}号不同企业集团", by="other_reporter"),
                signed_on=dt.date(2025, 4, n + 1))
    assert queries() == few

