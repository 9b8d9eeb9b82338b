"""The demo district's investment attraction, checked against its own rows: three chains with their chiefs,
about 120 leads at every stage over ten months with the evidence each step needs, the three collisions (one
ruled, one open, one near miss rightly not opened), ten started leads in the ledger, every unit's targets."""
from __future__ import annotations

import datetime as dt
from collections import Counter

import pytest
import time_machine
from django.utils import timezone

from conftest import district_time
from investment import names, rules, services
from investment.demo import COLLISION_PAIRS, CONVERTED, DEMO_PROJECT_PREFIX
from investment.models import Chain, ChainNode, Collision, Contact, Funds, Lead, Position, StageChange, Target
from org.models import Unit, User
from projects.models import LedgerState

TODAY = dt.date(2026, 11, 23)


@pytest.fixture
def clock_at() -> dt.datetime:
    return district_time(2026, 11, 23)


@pytest.fixture
def demo(demo_district: str, clock: time_machine.Traveller) -> str:
    """The district of 23 November (built once for the session, see conftest.py) and what load_demo printed."""
    return demo_district


def test_three_chains_each_with_a_leader_as_chief_and_links_at_every_position(demo: str) -> None:
    chains = list(Chain.objects.select_related("chief").prefetch_related("nodes"))
    assert len(chains) == 3
    for chain in chains:
        assert chain.chief is not None and chain.chief.role == User.Role.LEADER
        assert {node.position for node in chain.nodes.all()} >= {Position.UPSTREAM, Position.MIDSTREAM,
                                                                  Position.DOWNSTREAM}
        assert any(node.local_enterprises for node in chain.nodes.all())
        assert any(not node.local_enterprises and node.target_kind for node in chain.nodes.all())
    # Links with a target and no lead yet: the map shows gaps.
    assert ChainNode.objects.filter(target_kind__gt="", leads__isnull=True).exists()
    # The demo's leader login chairs a chain, so that the chief's page can be seen with it.
    assert Chain.objects.filter(chief__username="leader").exists()
    assert "招商引资 / investment: 3 chains" in demo


def test_about_120_leads_at_every_stage_over_ten_months_with_their_evidence(demo: str) -> None:
    leads = list(Lead.objects.all())
    assert 110 <= len(leads) <= 130
    stages = Counter(lead.stage for lead in leads)
    assert set(stages) == {*rules.ORDER, rules.DROPPED}
    assert all(count >= 5 for count in stages.values()), stages
    first = min(lead.created_at.date() for lead in leads)
    assert TODAY - dt.timedelta(days=310) <= first and max(lead.created_at.date() for lead in leads) <= TODAY
    assert len({lead.created_at.strftime("%Y-%m") for lead in leads}) >= 9
    for lead in leads:
        passed = rules.ORDER.index(lead.stage) if lead.stage in rules.ORDER else 0
        if passed >= rules.ORDER.index(rules.SIGNED):
            assert lead.signed_on and lead.signed_amount and lead.counterpart, lead
        if passed >= rules.ORDER.index(rules.STARTED):
            assert lead.started_on and lead.signed_on <= lead.started_on <= TODAY, lead
        if lead.stage == rules.DROPPED:
            assert lead.dropped_reason
        # The steps are one at a time, in order, on days from entering to today.
        steps = list(StageChange.objects.filter(lead=lead).order_by("on", "pk"))
        previous, day = rules.LEAD, lead.created_at.date()
        for step in steps:
            assert step.from_stage == previous and not step.skipped
            assert day <= step.on <= TODAY
            previous, day = step.to_stage, step.on
        assert previous == lead.stage
        # The latest contact is the lead's, and a dropped lead was not contacted after it was dropped.
        contacts = list(Contact.objects.filter(lead=lead).values_list("date", flat=True))
        assert contacts, lead  # a lead is entered after someone has talked to the investor
        assert lead.last_contact_on == max(contacts, default=None)
        if lead.stage == rules.DROPPED and contacts:
            assert max(contacts) <= day


def test_lights_from_the_contacts_with_their_reasons(demo: str) -> None:
    lights = Counter(Lead.objects.values_list("light", flat=True))
    assert lights[rules.YELLOW] and lights[rules.RED] and lights[rules.GREEN]
    assert lights[rules.GREY] == Lead.objects.filter(stage=rules.DROPPED).count()
    # As the daily task would compute them today: nothing changes.
    assert services.lights_refresh_all(as_of=TODAY) == dict(lights)
    for lead in Lead.objects.filter(light__in=[rules.YELLOW, rules.RED]):
        assert lead.light_reasons and "天" in lead.light_reasons[0][1]


def test_one_collision_ruled_one_open_and_a_near_miss_not_opened(demo: str) -> None:
    ruled = Collision.objects.get(state=Collision.State.RESOLVED)
    assert ruled.existing.enterprise == COLLISION_PAIRS[0][0][0] and ruled.keeper == ruled.existing
    assert ruled.lead_share + ruled.existing_share == 100 and ruled.note
    # Opened when the second unit entered its lead and ruled days later, both before today; the later lead was
    # dropped on the day of the ruling.
    assert ruled.created_at < ruled.decided_at and ruled.decided_at.date() <= TODAY
    dropped = StageChange.objects.get(lead=ruled.lead, to_stage=rules.DROPPED)
    assert dropped.on == timezone.localdate(ruled.decided_at)
    assert Lead.objects.get(pk=ruled.lead_id).stage == rules.DROPPED
    opened = Collision.objects.get(state=Collision.State.OPEN)
    assert {opened.lead.enterprise, opened.existing.enterprise} == {COLLISION_PAIRS[1][0][0], COLLISION_PAIRS[1][1][0]}
    assert opened.lead.source_unit != opened.existing.source_unit
    assert Collision.objects.count() == 2
    (first, _unit), (second, _other), _kind = COLLISION_PAIRS[2]
    assert Lead.objects.filter(enterprise__in=[first, second]).count() == 2
    score = names.similarity(names.normalise_name(first), names.normalise_name(second))
    assert 0.75 <= score < services.collision_threshold()
    assert not services.collision_candidates(second, exclude_id=Lead.objects.get(enterprise=second).pk)


def test_ten_started_leads_are_key_projects_with_their_lineage(demo: str) -> None:
    converted = list(Lead.objects.filter(project__isnull=False).select_related("project"))
    assert len(converted) == CONVERTED
    for lead in converted:
        assert lead.stage == rules.STARTED
        project = lead.project
        assert project is not None and project.code.startswith(DEMO_PROJECT_PREFIX)
        assert project.ledger_state == LedgerState.ACTIVE
        assert project.lead_unit_id == lead.source_unit_id and project.actual_start == lead.started_on
        assert project.total_investment == lead.signed_amount


def test_money_arrived_for_started_leads_only_after_signing(demo: str) -> None:
    funds = list(Funds.objects.select_related("lead"))
    assert funds
    for row in funds:
        assert row.lead.stage in (rules.STARTED, rules.PRODUCING)
        assert row.lead.signed_on <= row.on <= TODAY


def test_every_unit_has_its_targets_for_the_year(demo: str) -> None:
    units = Unit.objects.exclude(kind=Unit.Kind.DISTRICT)
    targets = Target.objects.filter(year=TODAY.year)
    assert set(targets.values_list("unit_id", flat=True)) == set(units.values_list("pk", flat=True))
    towns = targets.filter(unit__kind=Unit.Kind.TOWN)
    assert all(t.signed_count and t.big_count and t.signed_amount and t.started_amount and t.funds_amount
               for t in towns)


def test_the_home_province_is_set_and_most_investors_come_from_it(demo: str) -> None:
    from core.district import district
    from investment.demo import HOME_PROVINCE

    assert district().province == HOME_PROVINCE
    provinces = Counter(Lead.objects.values_list("origin_province", flat=True))
    assert provinces.most_common(1)[0][0] == HOME_PROVINCE
    assert Lead.objects.filter(origin="foreign").exists()
