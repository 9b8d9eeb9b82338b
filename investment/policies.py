"""Who may do what with leads and chains (registered in InvestmentConfig.ready).

Leads are commercial secrets: an investor's plans, amounts and contacts. Lists are scoped by
``Lead.objects.visible_to``; the rules below answer for one user and one lead and say the same.
"""
from __future__ import annotations

from typing import Any

from core.policies import rule
from investment import rules
from investment.models import Lead
from org.models import User


def _chief_of(user: User, lead: Lead) -> bool:
    node = lead.chain_node
    return node is not None and node.chain.chief_id is not None and node.chain.chief_id == user.pk


def _unit_reporter_of(user: User, lead: Lead) -> bool:
    return rules.sees_unit_leads(user.role) and user.unit_id is not None and user.unit_id == lead.source_unit_id


@rule("investment.view")
def view(user: User, lead: Lead | None = None) -> bool:
    """Leads are commercial secrets: the office and the district leaders see every lead; a unit's reporters
    see the leads the unit reported (招商单位); a chain chief (链长) the leads on the chain. Other units and
    the read-only viewers see none. Without a lead: whether the user may see any leads at all."""
    if not user.is_active:
        return False
    if rules.sees_every_lead(user.role, is_superuser=user.is_superuser):
        return True
    if lead is None:
        return (rules.sees_unit_leads(user.role) and user.unit_id is not None) or user.chains.exists()
    return _unit_reporter_of(user, lead) or _chief_of(user, lead)


@rule("investment.create")
def create(user: User, obj: Any = None) -> bool:
    """The office and a unit's reporters enter leads (the reporter's for the unit)."""
    return user.is_active and (user.is_office or (user.role == User.Role.REPORTER and user.unit_id is not None))


@rule("investment.edit")
def edit(user: User, lead: Lead | None = None) -> bool:
    """The office and the reporters of the lead's unit change a lead, record its contacts and take its steps,
    while it is open (neither dropped nor producing). Leaders and chain chiefs read."""
    if not create(user):
        return False
    if lead is None:
        return True
    if lead.stage in rules.FINAL:
        return False
    return user.is_office or _unit_reporter_of(user, lead)


@rule("investment.skip_stage")
def skip_stage(user: User, obj: Any = None) -> bool:
    """Only the office moves a lead more than one stage at once (跨阶段), and says why."""
    return user.is_active and user.is_office


@rule("investment.rule_collision")
def rule_collision(user: User, obj: Any = None) -> bool:
    """Only the office rules on two units reporting the same investor (撞单): which lead keeps it and how the
    credit is split; it is the only one told the details of both leads."""
    return user.is_active and user.is_office


@rule("investment.manage_chains")
def manage_chains(user: User, obj: Any = None) -> bool:
    """The office keeps the industry chains, their links and chiefs (产业链图谱)."""
    return user.is_active and user.is_office


@rule("investment.be_chain_chief")
def be_chain_chief(user: User, obj: Any = None) -> bool:
    """Only an active district leader can be named a chain chief (链长)."""
    return user.is_active and user.role == User.Role.LEADER
