"""Who sees and changes leads: the rules for one lead and ``Lead.objects.visible_to`` say the same."""
from __future__ import annotations

from typing import Any

import pytest

from core.policies import can, registered
from investment.models import Chain, ChainNode, Lead, Position, Stage
from org.models import Unit, User

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(personas: dict[str, User], units: dict[str, Unit]) -> dict[str, Any]:
    chief = User.objects.create_user(username="chief", password="x-123456789", role=User.Role.LEADER)
    chain = Chain.objects.create(name="新能源汽车", chief=chief)
    node = ChainNode.objects.create(chain=chain, name="动力电池", position=Position.KEY)
    other_node = ChainNode.objects.create(chain=Chain.objects.create(name="食品"), name="乳业",
                                          position=Position.DOWNSTREAM)
    leads = {
        "town_a": Lead.objects.create(enterprise="甲公司", source_unit=units["town_a"], chain_node=node),
        "town_b": Lead.objects.create(enterprise="乙公司", source_unit=units["town_b"], chain_node=other_node),
        "gxj": Lead.objects.create(enterprise="丙公司", source_unit=units["gxj"]),
    }
    # A reporter of the unit and a viewer who works in it too: the viewer must still see nothing.
    unit_viewer = User.objects.create_user(username="unitviewer", password="x-123456789", role=User.Role.VIEWER,
                                           unit=units["town_a"])
    inactive = User.objects.create_user(username="gone", password="x-123456789", role=User.Role.OFFICE,
                                        is_active=False)
    people = {**personas, "chief": chief, "unit_viewer": unit_viewer, "inactive": inactive}
    return {"people": people, "leads": leads}


EXPECTED = {
    "admin": {"town_a", "town_b", "gxj"},
    "office": {"town_a", "town_b", "gxj"},
    "leader": {"town_a", "town_b", "gxj"},
    "chief": {"town_a", "town_b", "gxj"},  # a district leader: every lead
    "reporter": {"town_a"},
    "other_reporter": {"town_b"},
    "viewer": set(),
    "unit_viewer": set(),
    "inactive": set(),
}


@pytest.mark.parametrize("who", sorted(EXPECTED))
def test_visibility_per_role(world: dict[str, Any], who: str) -> None:
    user = world["people"][who]
    leads = world["leads"]
    visible = set(Lead.objects.visible_to(user).values_list("pk", flat=True))
    assert visible == {leads[key].pk for key in EXPECTED[who]}
    for key, lead in leads.items():
        assert can(user, "investment.view", lead) == (key in EXPECTED[who]), (who, key)
    assert can(user, "investment.view") == bool(EXPECTED[who])


def test_a_chain_chief_who_is_no_longer_a_leader_sees_the_chain_only(world: dict[str, Any]) -> None:
    chief = world["people"]["chief"]
    chief.role = User.Role.VIEWER
    chief.save()
    leads = world["leads"]
    assert set(Lead.objects.visible_to(chief)) == {leads["town_a"]}
    assert can(chief, "investment.view", leads["town_a"]) and not can(chief, "investment.view", leads["town_b"])
    assert can(chief, "investment.view")


def test_anonymous_sees_nothing(world: dict[str, Any]) -> None:
    from django.contrib.auth.models import AnonymousUser

    assert not Lead.objects.visible_to(AnonymousUser()).exists()  # type: ignore[arg-type]
    assert not can(AnonymousUser(), "investment.view", world["leads"]["town_a"])


def test_who_changes_a_lead(world: dict[str, Any]) -> None:
    people, lead = world["people"], world["leads"]["town_a"]
    assert can(people["office"], "investment.edit", lead) and can(people["reporter"], "investment.edit", lead)
    for who in ("other_reporter", "leader", "chief", "viewer", "unit_viewer"):
        assert not can(people[who], "investment.edit", lead), who
    lead.stage = Stage.DROPPED
    assert not can(people["office"], "investment.edit", lead) and not can(people["reporter"], "investment.edit", lead)


def test_office_only_rules(world: dict[str, Any]) -> None:
    people = world["people"]
    for name in ("investment.skip_stage", "investment.rule_collision", "investment.manage_chains"):
        assert {who for who, user in people.items() if can(user, name)} == {"admin", "office"}, name
    assert {who for who, user in people.items() if can(user, "investment.create")} == {
        "admin", "office", "reporter", "other_reporter"}
    assert {who for who, user in people.items() if can(user, "investment.be_chain_chief")} == {"leader", "chief"}


def test_every_rule_says_itself_in_words() -> None:
    rules = {name: words for name, words in registered().items() if name.startswith("investment.")}
    assert set(rules) == {
        "investment.view", "investment.create", "investment.edit", "investment.skip_stage",
        "investment.rule_collision", "investment.manage_chains", "investment.be_chain_chief",
        "investment.attach", "investment.remove_attachment", "investment.view_chains", "investment.chain_desk",
        "investment.convert", "investment.add_funds", "investment.excel_export", "investment.excel_import",
        "investment.excel_import_signed", "investment.view_maps", "investment.targets_view",
        "investment.targets_edit", "investment.ranking_leads",
    }
    assert "commercial secrets" in rules["investment.view"]
