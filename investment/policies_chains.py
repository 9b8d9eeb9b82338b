"""Who may do what: rules of the investment module's chains pages (registered in InvestmentConfig.ready).

Keeping chains is ``investment.manage_chains`` (investment.policies). The chains themselves (links, local
enterprises, targets) are not secret, but they belong to the investment module, which the read-only viewers
do not see; the lead counts on them are scoped by ``Lead.objects.visible_to``.
"""
from __future__ import annotations

from typing import Any

from core.policies import rule
from investment import policies
from investment.models import Chain
from org.models import User


@rule("investment.view_chains")
def view_chains(user: User, obj: Any = None) -> bool:
    """The industry chains and their 产业招商图谱 are shown to whoever may see leads at all: the office, the
    administrators, the district leaders, a unit's reporters and the chain chiefs; not to the read-only viewers.
    The lead counts on them are only of the leads the user may see."""
    return policies.view(user)


@rule("investment.chain_desk")
def chain_desk(user: User, chain: Chain | None = None) -> bool:
    """A chain chief's desk (链长工作台: the chain's leads by stage, stale leads, this month's contacts, next steps
    due) is for the chain's chief, the office, the administrators and the district leaders."""
    if not user.is_active:
        return False
    if user.is_office or user.role == User.Role.LEADER:
        return True
    return chain is not None and chain.chief_id is not None and chain.chief_id == user.pk
