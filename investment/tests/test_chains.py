"""Industry chains (产业链): the status of a link, the office's writes (audited), the 产业招商图谱 page with counts
only of the leads the reader may see, the chain chief's desk (链长工作台) and who may see which page."""
from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st

from audit.models import AuditEntry
from conftest import client_for, make_user
from investment import chains, services
from investment.models import Chain, ChainNode, Lead, Position, Stage, TargetKind
from investment.tests.conftest import MakeLead
from org.models import Unit, User

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clock")]

TODAY = dt.date(2026, 5, 15)
SCRIPT = "<script>alert('x')</script>"


@pytest.fixture
def chain(personas: dict[str, User]) -> Chain:
    return chains.chain_save(by=personas["office"], chain=Chain(name="新能源汽车", chief=personas["leader"]))


def node(chain: Chain, name: str, position: str = Position.MIDSTREAM, *, enterprises: list[str] | None = None,
         target: str = "", by: User | None = None) -> ChainNode:
    office = by or User.objects.get(username="office")
    return chains.chain_node_save(by=office, node=ChainNode(
        chain=chain, name=name, position=position, local_enterprises=enterprises or [], target_kind=target))


# --- the status of a link (pure) -------------------------------------------------------------------

@pytest.mark.parametrize(("enterprises", "target", "stages", "status", "text"), [
    (0, "", {}, chains.BLANK, "未填本地企业，未定招商目标，也没有未终止的线索"),
    (2, "", {}, chains.PRESENT, "本地企业 2 家"),
    (2, TargetKind.STRENGTHEN, {}, chains.GAP, "强链目标；本地企业 2 家；尚无未终止的线索"),
    (0, TargetKind.FILL, {Stage.DROPPED: 2}, chains.GAP, "补链目标；尚无未终止的线索；已终止 2 条"),
    (0, TargetKind.FILL, {Stage.LEAD: 1, Stage.NEGOTIATING: 2, Stage.DROPPED: 1}, chains.PROGRESS,
     "补链目标；3 条线索跟进中（线索 1 条、在谈 2 条）；已终止 1 条"),
    (1, "", {Stage.STARTED: 1}, chains.PROGRESS, "本地企业 1 家；1 条线索跟进中（开工 1 条）"),
])
def test_the_status_of_a_link_and_its_words(
    enterprises: int, target: str, stages: dict[str, int], status: str, text: str
) -> None:
    result = chains.node_status(enterprises=enterprises, target_kind=target, stage_counts=stages)
    assert (result.status, result.text) == (status, text)


def test_enterprises_are_typed_one_a_line() -> None:
    assert chains.enterprise_lines(" 潍柴动力 \n\n比亚迪  潍坊\n潍柴动力\r\n") == ["潍柴动力", "比亚迪 潍坊"]


@given(st.lists(st.text(alphabet=st.sampled_from("潍柴动力有限公司 \t\u3000ab"), max_size=12), max_size=8))
def test_every_typed_name_is_kept_once_trimmed(lines: list[str]) -> None:
    names = chains.enterprise_lines("\n".join(lines))
    assert len(names) == len(set(names))
    assert all(name and name == " ".join(name.split()) for name in names)
    assert set(names) == {" ".join(line.split()) for line in lines if line.split()}


# --- writes ------------------------------------------------------------------------------------------

def test_the_office_keeps_chains_and_each_change_is_audited(personas: dict[str, User], chain: Chain) -> None:
    office = personas["office"]
    entry = AuditEntry.objects.get(model="investment.chain", object_id=str(chain.pk))
    assert entry.action == AuditEntry.Action.CREATE and entry.user == office
    chain.description = "整车及零部件"
    chains.chain_save(by=office, chain=chain)
    assert AuditEntry.objects.filter(model="investment.chain", action=AuditEntry.Action.UPDATE).count() == 1
    # Saving the same values again records nothing.
    chains.chain_save(by=office, chain=Chain.objects.get(pk=chain.pk))
    assert AuditEntry.objects.filter(model="investment.chain").count() == 2

    link = node(chain, "电池", enterprises=["潍柴动力", "潍柴动力", " "], target=TargetKind.FILL)
    assert link.local_enterprises == ["潍柴动力"]
    created = AuditEntry.objects.get(model="investment.chainnode")
    assert (created.subject_model, created.subject_id) == ("investment.chain", str(chain.pk))


@pytest.mark.parametrize("persona", ["leader", "reporter", "viewer"])
def test_only_the_office_keeps_chains(personas: dict[str, User], chain: Chain, persona: str) -> None:
    with pytest.raises(PermissionDenied):
        chains.chain_save(by=personas[persona], chain=Chain(name="高端装备"))
    with pytest.raises(PermissionDenied):
        chains.chain_node_save(by=personas[persona], node=ChainNode(chain=chain, name="电机", position="upstream"))


def test_the_chief_is_an_active_leader(personas: dict[str, User]) -> None:
    office = personas["office"]
    retired = make_user("retired", User.Role.LEADER, is_active=False)
    for chief in (personas["reporter"], retired):
        with pytest.raises(ValidationError) as caught:
            chains.chain_save(by=office, chain=Chain(name="高端装备", chief=chief))
        assert caught.value.message_dict == {"chief": ["链长须是在职的区领导。"]}
    assert not Chain.objects.exists()


def test_a_link_name_is_used_once_per_chain(personas: dict[str, User], chain: Chain) -> None:
    node(chain, "电池")
    with pytest.raises(ValidationError) as caught:
        node(chain, " 电池 ")
    assert caught.value.message_dict == {"name": ["本产业链已有名为“电池”的环节。"]}
    other = chains.chain_save(by=personas["office"], chain=Chain(name="储能"))
    node(other, "电池")


def test_a_link_with_leads_is_not_deleted(personas: dict[str, User], chain: Chain, make_lead: MakeLead) -> None:
    office = personas["office"]
    link = node(chain, "电池")
    lead = make_lead("潍坊电池有限公司", chain_node=link)
    services.stage_advance(by=personas["reporter"], lead=lead, to=Stage.DROPPED, dropped_reason="企业放弃")
    with pytest.raises(ValidationError) as caught:
        chains.chain_node_delete(by=office, node=link)
    assert caught.value.messages == ["环节“电池”上有 1 条线索（含已终止的），不能删除；请先把这些线索改到其他环节。"]
    assert ChainNode.objects.filter(pk=link.pk).exists()

    empty = node(chain, "电机")
    with pytest.raises(PermissionDenied):
        chains.chain_node_delete(by=personas["leader"], node=empty)
    chains.chain_node_delete(by=office, node=empty)
    assert not ChainNode.objects.filter(pk=empty.pk).exists()
    entry = AuditEntry.objects.get(model="investment.chainnode", action=AuditEntry.Action.DELETE)
    assert (entry.object_id, entry.subject_id, entry.user) == (str(empty.pk), str(chain.pk), office)


# --- the office's pages ----------------------------------------------------------------------------

def test_the_office_creates_a_chain_and_its_links_through_the_pages(personas: dict[str, User]) -> None:
    office = client_for(personas["office"])
    response = office.post(reverse("investment:chain_create"),
                           {"name": "高端装备", "chief": personas["leader"].pk, "description": "", "order": "2"})
    chain = Chain.objects.get(name="高端装备")
    assert response.status_code == 302 and response["Location"] == reverse("investment:chain_edit", args=[chain.pk])
    # The chief must be chosen, and among the active leaders.
    response = office.post(reverse("investment:chain_edit", args=[chain.pk]),
                           {"name": "高端装备", "chief": personas["reporter"].pk, "order": "2"})
    assert response.status_code == 200 and "chief" in response.context["form"].errors

    response = office.post(reverse("investment:chain_node_create", args=[chain.pk]), {
        "name": "数控机床", "position": "midstream", "order": "1", "enterprises": "潍坊机床厂\n\n 山东精工 \n",
        "target_kind": "strengthen"})
    assert response.status_code == 302
    link = ChainNode.objects.get(chain=chain)
    assert (link.local_enterprises, link.target_kind) == (["潍坊机床厂", "山东精工"], "strengthen")
    page = office.get(reverse("investment:chain_node_edit", args=[link.pk])).content.decode()
    assert "潍坊机床厂\n山东精工" in page
    response = office.post(reverse("investment:chain_node_create", args=[chain.pk]), {
        "name": "数控机床", "position": "upstream", "order": "1", "enterprises": "", "target_kind": ""})
    assert response.status_code == 200
    assert response.context["form"].errors == {"name": ["本产业链已有名为“数控机床”的环节。"]}

    page = office.get(reverse("investment:chain_edit", args=[chain.pk])).content.decode()
    assert "数控机床" in page and reverse("investment:chain_node_delete", args=[link.pk]) in page


def test_deleting_a_link_with_leads_says_why(personas: dict[str, User], chain: Chain, make_lead: MakeLead) -> None:
    link = node(chain, "电池")
    make_lead("潍坊电池有限公司", chain_node=link)
    office = client_for(personas["office"])
    response = office.post(reverse("investment:chain_node_delete", args=[link.pk]), follow=True)
    assert "上有 1 条线索（含已终止的），不能删除" in response.content.decode()
    assert ChainNode.objects.filter(pk=link.pk).exists()
    empty = node(chain, "电机")
    response = office.post(reverse("investment:chain_node_delete", args=[empty.pk]), follow=True)
    assert "已删除环节“电机”" in response.content.decode()


# --- the chain's page and its graph ------------------------------------------------------------------

@pytest.fixture
def mapped(chain: Chain, make_lead: MakeLead) -> dict[str, Any]:
    """A chain with a link of each status for the office: the battery link has a lead of each town."""
    links = {
        "battery": node(chain, "动力电池", Position.UPSTREAM, target=TargetKind.FILL),
        "motor": node(chain, "驱动电机", Position.UPSTREAM, target=TargetKind.STRENGTHEN),
        "vehicle": node(chain, "整车制造", Position.MIDSTREAM, enterprises=["潍柴新能源"]),
        "charging": node(chain, "充电桩", Position.DOWNSTREAM),
    }
    leads = {
        "own": make_lead("东城电池有限公司", chain_node=links["battery"], stage=Stage.NEGOTIATING),
        "other": make_lead("西山电池有限公司", by="other_reporter", chain_node=links["battery"]),
    }
    return {"chain": chain, "links": links, "leads": leads}


def _tree_leaves(graph: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {leaf["name"]: leaf for position in graph["tree"]["children"] for leaf in position["children"]}


def test_the_graph_colours_each_link_by_its_status(personas: dict[str, User], mapped: dict[str, Any]) -> None:
    chain, links = mapped["chain"], mapped["links"]
    response = client_for(personas["office"]).get(reverse("investment:chain_detail", args=[chain.pk]))
    assert response.status_code == 200
    graph = json.loads(json.dumps(response.context["graph"]))
    assert [p["name"] for p in graph["tree"]["children"]] == ["上游", "中游", "下游"]
    leaves = _tree_leaves(graph)
    assert {name: leaf["status"] for name, leaf in leaves.items()} == {
        "动力电池": chains.PROGRESS, "驱动电机": chains.GAP, "整车制造": chains.PRESENT, "充电桩": chains.BLANK}
    assert leaves["动力电池"]["text"] == "补链目标；2 条线索跟进中（线索 1 条、在谈 1 条）"
    assert leaves["动力电池"]["url"] == reverse("investment:leads") + f"?node={links['battery'].pk}"
    assert leaves["动力电池"]["colour"] == chains.COLOURS[chains.PROGRESS]
    page = response.content.decode()
    assert 'id="chain-graph-data"' in page and "investment/chain_graph.js" in page and "echarts.min.js" in page
    assert "补链目标；2 条线索跟进中（线索 1 条、在谈 1 条）" in page
    assert "线索数为全区全部线索" in page


def test_a_reporter_sees_the_chain_but_counts_only_the_units_leads(
    personas: dict[str, User], mapped: dict[str, Any]
) -> None:
    chain = mapped["chain"]
    response = client_for(personas["reporter"]).get(reverse("investment:chain_detail", args=[chain.pk]))
    assert response.status_code == 200
    leaves = _tree_leaves(response.context["graph"])
    assert leaves["动力电池"]["text"] == "补链目标；1 条线索跟进中（在谈 1 条）"
    page = response.content.decode()
    assert "只计本单位录入的线索（东城街道）" in page
    assert "潍柴新能源" in page  # the local enterprises are shared
    # Another town's reporter, with none of its leads in progress there, sees a gap.
    other = client_for(personas["other_reporter"]).get(reverse("investment:chain_detail", args=[chain.pk]))
    assert _tree_leaves(other.context["graph"])["动力电池"]["text"] == "补链目标；1 条线索跟进中（线索 1 条）"
    Lead.objects.filter(pk=mapped["leads"]["other"].pk).update(stage=Stage.DROPPED)
    other = client_for(personas["other_reporter"]).get(reverse("investment:chain_detail", args=[chain.pk]))
    assert _tree_leaves(other.context["graph"])["动力电池"]["status"] == chains.GAP

    rows = {row.chain.name: row for row in
            client_for(personas["reporter"]).get(reverse("investment:chains")).context["rows"]}
    assert rows["新能源汽车"].open_leads == 1
    rows = {row.chain.name: row for row in
            client_for(personas["office"]).get(reverse("investment:chains")).context["rows"]}
    assert rows["新能源汽车"].open_leads == 1  # the other town's lead was dropped
    assert rows["新能源汽车"].status_text == "招商中 1 个、缺口 1 个、已有企业 1 个、未标注 1 个"


def test_viewers_see_nothing_of_the_chains(personas: dict[str, User], mapped: dict[str, Any]) -> None:
    viewer = client_for(personas["viewer"])
    chain = mapped["chain"]
    for url in (reverse("investment:chains"), reverse("investment:chain_detail", args=[chain.pk]),
                reverse("investment:chain_desk", args=[chain.pk])):
        assert viewer.get(url).status_code == 403


def test_typed_names_are_escaped(personas: dict[str, User], chain: Chain) -> None:
    chain.name = "链" + SCRIPT
    chains.chain_save(by=personas["office"], chain=chain)
    node(chain, "环节" + SCRIPT, enterprises=["企业" + SCRIPT])
    for name in ("investment:chain_detail", "investment:chain_edit", "investment:chain_desk"):
        page = client_for(personas["office"]).get(reverse(name, args=[chain.pk])).content.decode()
        assert SCRIPT not in page
    page = client_for(personas["office"]).get(reverse("investment:chains")).content.decode()
    assert SCRIPT not in page


def test_the_chain_pages_take_the_same_queries_for_more_chains_and_links(
    personas: dict[str, User], chain: Chain, units: dict[str, Unit]
) -> None:
    def count(url: str) -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client_for(personas["reporter"]).get(url).status_code == 200
        return len(queries)

    link = node(chain, "电池", target=TargetKind.FILL)
    Lead.objects.create(enterprise="甲", source_unit=units["town_a"], chain_node=link)
    urls = (reverse("investment:chains"), reverse("investment:chain_detail", args=[chain.pk]))
    few = [count(url) for url in urls]
    for i in range(6):
        other = chains.chain_save(by=personas["office"], chain=Chain(name=f"产业链{i}"))
        extra = node(other, f"环节{i}", target=TargetKind.EXTEND)
        node(chain, f"新环节{i}", enterprises=[f"企业{i}"])
        Lead.objects.create(enterprise=f"乙{i}", source_unit=units["town_a"], chain_node=extra)
        Lead.objects.create(enterprise=f"丙{i}", source_unit=units["town_a"], chain_node=link)
    assert [count(url) for url in urls] == few


# --- the chain chief's desk --------------------------------------------------------------------------

def test_the_desk_is_for_the_chief_the_office_and_the_leaders(personas: dict[str, User], chain: Chain) -> None:
    url = reverse("investment:chain_desk", args=[chain.pk])
    for persona in ("leader", "office", "admin"):
        assert client_for(personas[persona]).get(url).status_code == 200, persona
    for persona in ("reporter", "other_reporter", "viewer"):
        assert client_for(personas[persona]).get(url).status_code == 403, persona
    other_leader = make_user("leader2", User.Role.LEADER)
    assert client_for(other_leader).get(url).status_code == 200
    assert client_for(personas["leader"]).get(reverse("investment:chains")).context["desks"] == {chain.pk}


def test_the_desk_shows_stages_stale_leads_contacts_and_steps_due(
    personas: dict[str, User], chain: Chain, make_lead: MakeLead
) -> None:
    link = node(chain, "电池", target=TargetKind.FILL)
    talking = make_lead("甲电池有限公司", chain_node=link, stage=Stage.NEGOTIATING, next_step="再次拜访",
                        next_step_due=dt.date(2026, 5, 10))
    stale = make_lead("乙电池有限公司", by="other_reporter", chain_node=link, next_step="寄送资料",
                      next_step_due=dt.date(2026, 5, 31))
    later = make_lead("丙电池有限公司", chain_node=link, next_step="签约", next_step_due=dt.date(2026, 6, 10))
    make_lead("丁电池有限公司")  # not on the chain
    reporter = personas["reporter"]
    services.contact_add(by=reporter, lead=talking, date=dt.date(2026, 5, 3), form="visit", result="五月洽谈")
    services.contact_add(by=reporter, lead=later, date=dt.date(2026, 4, 28), form="phone", result="四月洽谈")
    services.lead_light_refresh(stale, as_of=TODAY + dt.timedelta(days=40))

    response = client_for(personas["leader"]).get(reverse("investment:chain_desk", args=[chain.pk]))
    desk = response.context["desk"]
    counts = {group["stage"]: len(group["leads"]) for group in desk.by_stage}
    assert counts == {"lead": 2, "negotiating": 1, "signed": 0, "started": 0, "producing": 0, "dropped": 0}
    assert [lead.enterprise for lead in desk.stale] == ["乙电池有限公司"]
    assert [c.result for c in desk.contacts] == ["五月洽谈"]
    assert [lead.enterprise for lead in desk.due] == ["甲电池有限公司", "乙电池有限公司"]
    page = response.content.decode()
    assert "已 40 天没有洽谈记录" in page or "录入已 40 天，尚无洽谈记录" in page
    assert "逾期（时限 2026-05-10）" in page and "时限 2026-05-31" in page
    assert "本月洽谈（2026-05-01 至 2026-05-31）" in page
    assert reverse("investment:leads") + f"?chain={chain.pk}&amp;stage=negotiating" in page
    assert "丁电池有限公司" not in page


def test_the_desk_takes_the_same_queries_for_more_leads(
    personas: dict[str, User], chain: Chain, units: dict[str, Unit]
) -> None:
    url = reverse("investment:chain_desk", args=[chain.pk])

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client_for(personas["leader"]).get(url).status_code == 200
        return len(queries)

    link = node(chain, "电池", target=TargetKind.FILL)
    Lead.objects.create(enterprise="甲", source_unit=units["town_a"], chain_node=link, light="red",
                        next_step_due=TODAY)
    few = count()
    for i in range(8):
        lead = Lead.objects.create(enterprise=f"乙{i}", source_unit=units["town_b"], chain_node=link, light="yellow",
                                   next_step_due=TODAY, stage=Stage.NEGOTIATING)
        lead.contacts.create(date=TODAY, form="phone", result="电话")
    assert count() == few
