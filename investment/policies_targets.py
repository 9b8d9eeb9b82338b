"""Who may do what: rules of the investment module's targets pages (registered in InvestmentConfig.ready)."""
from __future__ import annotations

from typing import Any

from core.policies import rule
from investment import rules
from org.models import User


@rule("investment.targets_view")
def targets_view(user: User, obj: Any = None) -> bool:
    """The units' investment targets and the monthly ranking are read by everyone working in the system: the
    office, the administrators, the district leaders and the units' reporters (the ranking is published in
    the bulletin). The read-only viewers, the public side, do not open investment pages."""
    return user.is_active and (user.is_superuser or user.role != User.Role.VIEWER)


@rule("investment.targets_edit")
def targets_edit(user: User, obj: Any = None) -> bool:
    """Only the office (and the administrators) set the units' annual investment targets."""
    return user.is_active and user.is_office


@rule("investment.ranking_leads")
def ranking_leads(user: User, unit_id: Any = None) -> bool:
    """Which leads a ranking's figures may be opened into: the office and the district leaders those of every
    unit; a unit's reporter those of the unit only (each lead still behind the rule on leads)."""
    if not user.is_active:
        return False
    if rules.sees_every_lead(user.role, is_superuser=user.is_superuser):
        return True
    return rules.sees_unit_leads(user.role) and user.unit_id is not None and unit_id == user.unit_id
