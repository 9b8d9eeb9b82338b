"""Industry chains (产业链): the status of each link (环节) on the 产业招商图谱, the chain chief's desk (链长工作台)
and the office's writes to chains and links.

The status of a link, from what is known of it (:func:`node_status`, pure):

- 招商中 (in progress): at least one lead on the link that is not dropped;
- 缺口 (gap): a target is set (补链/强链/延链) and no lead on it is open;
- 已有企业 (present): local enterprises are there and no target is set;
- 未标注 (blank): neither local enterprises, nor a target, nor an open lead.

Leads are commercial secrets: every count here comes from ``Lead.objects.visible_to(user)``. A unit's reporter
sees the chain's structure, its local enterprises and targets, but counts (and so the status "in progress")
of the unit's own leads only; the pages say so.
"""
from __future__ import annotations

import calendar
import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any, Final

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, ProtectedError, QuerySet
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from audit.services import audit_delete, audit_record, audit_snapshot
from core import clock
from core.policies import can
from investment import rules
from investment.models import Chain, ChainNode, Contact, Lead, Position, TargetKind
from org.models import User

PRESENT: Final = "present"
GAP: Final = "gap"
PROGRESS: Final = "progress"
BLANK: Final = "blank"
# In the order the legend lists them.
STATUSES: Final = (PROGRESS, GAP, PRESENT, BLANK)
_STATUS_NAMES: Final = {
    PROGRESS: gettext_noop("招商中"), GAP: gettext_noop("缺口"), PRESENT: gettext_noop("已有企业"),
    BLANK: gettext_noop("未标注"),
}
_STATUS_RULES: Final = {
    PROGRESS: gettext_noop("环节上有未终止的线索"),
    GAP: gettext_noop("定了补链、强链或延链目标，尚无未终止的线索"),
    PRESENT: gettext_noop("已有本地企业，未定招商目标"),
    BLANK: gettext_noop("未填本地企业，未定招商目标，也没有未终止的线索"),
}
# The colours of the graph and of the dots in the table (static/investment/chains.css says the same).
COLOURS: Final = {PROGRESS: "#1a73e8", GAP: "#d93025", PRESENT: "#1e8e3e", BLANK: "#9aa0a6"}
_TARGET_NAMES: Final = dict(TargetKind.choices)
_POSITION_NAMES: Final = dict(Position.choices)
_STAGE_ORDER: Final = (*rules.ORDER, rules.DROPPED)


def status_name(status: str) -> str:
    return _(_STATUS_NAMES[status])


def status_legend() -> list[dict[str, str]]:
    """The statuses with their colours and rules in words, for the legend."""
    return [{"status": s, "name": status_name(s), "colour": COLOURS[s], "rule": _(_STATUS_RULES[s])}
            for s in STATUSES]


# --- the status of a link (pure) ------------------------------------------------------------------

@dataclass(frozen=True)
class NodeStatus:
    status: str
    text: str  # the status in words, with what it rests on


def node_status(*, enterprises: int, target_kind: str, stage_counts: dict[str, int]) -> NodeStatus:
    """The status of a link with ``enterprises`` local enterprises, target ``target_kind`` ("" for none) and
    ``stage_counts`` leads by stage (those the reader may see), said in words: e.g. "补链目标；3 条线索跟进中
    （在谈 2 条、签约 1 条）"."""
    open_counts = {stage: n for stage, n in stage_counts.items() if stage != rules.DROPPED and n}
    open_total = sum(open_counts.values())
    dropped = stage_counts.get(rules.DROPPED, 0)
    parts: list[str] = []
    if target_kind:
        parts.append(_("%(kind)s目标") % {"kind": _TARGET_NAMES.get(target_kind, target_kind)})
    if enterprises:
        parts.append(_("本地企业 %(n)s 家") % {"n": enterprises})
    if open_total:
        by_stage = "、".join(_("%(stage)s %(n)s 条") % {"stage": rules.stage_name(stage), "n": open_counts[stage]}
                             for stage in rules.ORDER if stage in open_counts)
        parts.append(_("%(n)s 条线索跟进中（%(stages)s）") % {"n": open_total, "stages": by_stage})
    elif target_kind:
        parts.append(_("尚无未终止的线索"))
    if dropped:
        parts.append(_("已终止 %(n)s 条") % {"n": dropped})
    if open_total:
        status = PROGRESS
    elif target_kind:
        status = GAP
    elif enterprises:
        status = PRESENT
    else:
        status = BLANK
        parts.append(_(_STATUS_RULES[BLANK]))
    return NodeStatus(status, "；".join(parts))


# --- reads ------------------------------------------------------------------------------------------

def sees_every_lead(user: User) -> bool:
    return rules.sees_every_lead(user.role, is_superuser=user.is_superuser)


def scope_note(user: User) -> str:
    """What the lead counts on a chain page cover, for ``user``."""
    if sees_every_lead(user):
        return _("线索数为全区全部线索。")
    if rules.sees_unit_leads(user.role) and user.unit_id is not None:
        text = _("线索属商业秘密：产业链结构、本地企业和招商目标全区共享，线索数和“招商中”状态只计本单位录入的线索"
                 "（%(unit)s）") % {"unit": user.unit}
        if user.chains.exists():
            text += _("及您任链长的产业链上的线索")
        return text + _("，其他单位的线索不计入。")
    return _("线索属商业秘密：线索数和“招商中”状态只计您任链长的产业链上的线索。")


def _stage_counts(user: User, **filters: Any) -> dict[int, dict[str, int]]:
    """Visible leads by link and stage: {node pk: {stage: count}} (one query)."""
    counts: dict[int, dict[str, int]] = defaultdict(dict)
    rows = (Lead.objects.visible_to(user).filter(chain_node__isnull=False, **filters)
            .values_list("chain_node_id", "stage").annotate(n=Count("pk")).order_by())
    for node_id, stage, n in rows:
        counts[node_id][stage] = n
    return counts


def _enterprise_count(node: ChainNode) -> int:
    return len([name for name in node.local_enterprises if str(name).strip()])


@dataclass
class ChainRow:
    chain: Chain
    nodes: int = 0
    statuses: dict[str, int] = field(default_factory=dict)
    open_leads: int = 0

    @property
    def status_text(self) -> str:
        return "、".join(_("%(status)s %(n)s 个") % {"status": status_name(s), "n": self.statuses[s]}
                        for s in STATUSES if self.statuses.get(s))


def chain_rows(user: User) -> list[ChainRow]:
    """Every chain with its links counted by status and its open leads ``user`` may see (three queries)."""
    rows = {chain.pk: ChainRow(chain) for chain in Chain.objects.select_related("chief")}
    counts = _stage_counts(user)
    for node in ChainNode.objects.only("pk", "chain_id", "local_enterprises", "target_kind"):
        row = rows[node.chain_id]
        stages = counts.get(node.pk, {})
        status = node_status(enterprises=_enterprise_count(node), target_kind=node.target_kind,
                             stage_counts=stages).status
        row.nodes += 1
        row.statuses[status] = row.statuses.get(status, 0) + 1
        row.open_leads += sum(n for stage, n in stages.items() if stage != rules.DROPPED)
    return list(rows.values())


def lead_list_url(node_pk: int) -> str:
    """The lead list filtered by a link."""
    return reverse("investment:leads") + f"?node={node_pk}"


def nodes_in_order(chain: Chain) -> list[ChainNode]:
    """The links of ``chain`` upstream first, then midstream, downstream and the key links; each position's by
    its order and name."""
    position_order = {value: i for i, value in enumerate(Position.values)}
    return sorted(chain.nodes.all(), key=lambda n: (position_order.get(n.position, 99), n.order, n.name))


@dataclass
class NodeRow:
    node: ChainNode
    status: str
    status_name: str
    colour: str
    text: str
    open_leads: int
    url: str
    enterprises: list[str]


def chain_map(chain: Chain, user: User) -> tuple[list[NodeRow], dict[str, Any]]:
    """The links of ``chain`` with their status for ``user`` (table rows, in position order), and the tree the
    产业招商图谱 draws: the chain → its positions → their links (two queries)."""
    counts = _stage_counts(user, chain_node__chain=chain)
    nodes = nodes_in_order(chain)
    rows: list[NodeRow] = []
    for node in nodes:
        stages = counts.get(node.pk, {})
        result = node_status(enterprises=_enterprise_count(node), target_kind=node.target_kind, stage_counts=stages)
        rows.append(NodeRow(
            node=node, status=result.status, status_name=status_name(result.status), colour=COLOURS[result.status],
            text=result.text, open_leads=sum(n for s, n in stages.items() if s != rules.DROPPED),
            url=lead_list_url(node.pk), enterprises=[str(name) for name in node.local_enterprises],
        ))
    children = []
    for position in Position.values:
        leaves = [row for row in rows if row.node.position == position]
        if not leaves:
            continue
        children.append({
            "name": str(_POSITION_NAMES[position]), "kind": "position",
            "children": [{
                "name": row.node.name, "kind": "node", "status": row.status, "statusName": row.status_name,
                "colour": row.colour, "text": row.text, "url": row.url,
            } for row in leaves],
        })
    tree = {"name": chain.name, "kind": "chain", "children": children}
    return rows, {"tree": tree, "leaves": len(rows), "colours": COLOURS}


# --- the chain chief's desk ------------------------------------------------------------------------

@dataclass
class Desk:
    total: int
    by_stage: list[dict[str, Any]]
    stale: list[Lead]
    contacts: list[Contact]
    due: list[Lead]
    month_start: dt.date
    month_end: dt.date
    today: dt.date


def month_bounds(today: dt.date) -> tuple[dt.date, dt.date]:
    return today.replace(day=1), today.replace(day=calendar.monthrange(today.year, today.month)[1])


def chain_desk(chain: Chain, user: User) -> Desk:
    """What the chief of ``chain`` follows (链长工作台), from the leads ``user`` may see on it: the leads by stage,
    the stale ones (yellow or red light), this month's contacts (district clock) and the next steps due by the
    end of the month (overdue ones first). A fixed number of queries."""
    today = clock.today()
    start, end = month_bounds(today)
    leads = list(Lead.objects.visible_to(user).filter(chain_node__chain=chain)
                 .select_related("source_unit", "chain_node").order_by("enterprise", "pk"))
    grouped: dict[str, list[Lead]] = {stage: [] for stage in _STAGE_ORDER}
    for lead in leads:
        grouped.setdefault(lead.stage, []).append(lead)
    by_stage = [{"stage": stage, "name": rules.stage_name(stage), "leads": grouped[stage],
                 "url": reverse("investment:leads") + f"?chain={chain.pk}&stage={stage}"}
                for stage in _STAGE_ORDER]
    stale = sorted((lead for lead in leads if lead.light in (rules.RED, rules.YELLOW)),
                   key=lambda lead: (-rules.SEVERITY[lead.light], lead.last_contact_on or dt.date.min, lead.pk))
    ids = [lead.pk for lead in leads]
    contacts = list(Contact.objects.filter(lead_id__in=ids, date__gte=start, date__lte=end)
                    .select_related("lead__source_unit").order_by("-date", "-pk")) if ids else []
    due = sorted((lead for lead in leads
                  if lead.stage not in rules.FINAL and lead.next_step_due is not None and lead.next_step_due <= end),
                 key=lambda lead: (lead.next_step_due, lead.pk))
    return Desk(total=len(leads), by_stage=by_stage, stale=stale, contacts=contacts, due=due, month_start=start,
                month_end=end, today=today)


# --- writes (the office) ---------------------------------------------------------------------------

def enterprise_lines(text: str) -> list[str]:
    """Local enterprises typed one a line: trimmed, blank lines dropped, each name once, in the order typed."""
    names: list[str] = []
    for line in text.splitlines():
        name = " ".join(line.split())
        if name and name not in names:
            names.append(name)
    return names


def _check_manager(by: Any) -> None:
    if not can(by, "investment.manage_chains"):
        raise PermissionDenied


@transaction.atomic
def chain_save(*, by: Any, chain: Chain, source: str = "form") -> Chain:
    """Create or change a chain (name, chief, description, order). The chief must be an active district leader."""
    _check_manager(by)
    stored = Chain.objects.select_for_update().get(pk=chain.pk) if chain.pk else None
    chain.name = " ".join(chain.name.split())
    if chain.chief_id is not None:
        chief = User.objects.filter(pk=chain.chief_id).first()
        if chief is None or not can(chief, "investment.be_chain_chief"):
            raise ValidationError({"chief": _("链长须是在职的区领导。")})
    chain.full_clean()
    before = audit_snapshot(stored)
    if stored is not None and before == audit_snapshot(chain):
        return stored
    chain.save()
    audit_record(by=by, instance=chain, before=before, source=source)
    return chain


def _clean_node(node: ChainNode) -> None:
    node.name = " ".join(node.name.split())
    node.local_enterprises = enterprise_lines("\n".join(str(name) for name in node.local_enterprises))
    taken = ChainNode.objects.filter(chain_id=node.chain_id, name=node.name).exclude(pk=node.pk)
    if node.name and taken.exists():
        raise ValidationError({"name": _("本产业链已有名为“%(name)s”的环节。") % {"name": node.name}})
    node.full_clean()


@transaction.atomic
def chain_node_save(*, by: Any, node: ChainNode, source: str = "form") -> ChainNode:
    """Create or change a link of a chain: its name, position, order, local enterprises and target."""
    _check_manager(by)
    stored = ChainNode.objects.select_for_update().get(pk=node.pk) if node.pk else None
    if stored is not None and stored.chain_id != node.chain_id:
        raise ValidationError(_("环节不能移到另一条产业链。"))
    _clean_node(node)
    before = audit_snapshot(stored)
    if stored is not None and before == audit_snapshot(node):
        return stored
    node.save()
    audit_record(by=by, instance=node, before=before, subject=node.chain, source=source)
    return node


@transaction.atomic
def chain_node_delete(*, by: Any, node: ChainNode, source: str = "form") -> None:
    """Delete a link that no lead is on (any unit's, dropped ones too: their history names the link)."""
    _check_manager(by)
    node = ChainNode.objects.select_for_update().select_related("chain").get(pk=node.pk)
    count = Lead.objects.filter(chain_node=node).count()
    if count:
        raise ValidationError(
            _("环节“%(name)s”上有 %(n)s 条线索（含已终止的），不能删除；请先把这些线索改到其他环节。")
            % {"name": node.name, "n": count}, code="has_leads")
    try:
        audit_delete(by=by, instance=node, subject=node.chain, source=source)
    except ProtectedError as error:  # a lead put on it meanwhile
        raise ValidationError(_("环节“%(name)s”上有线索，不能删除。") % {"name": node.name},
                              code="has_leads") from error


def chief_choices() -> QuerySet[User]:
    """Who may be named a chain chief: the active district leaders."""
    return User.objects.filter(is_active=True, role=User.Role.LEADER).order_by("full_name", "username")
