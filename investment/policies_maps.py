"""Who may do what: rules of the investment module's maps pages (registered in InvestmentConfig.ready).

The heat map (招商合作热力图) and the towns' view are built from leads, which are commercial secrets: only
people who may see leads open them, and each sees the numbers of the leads he or she may see. They are not
for a public screen (大屏): the read-only viewers, the accounts such screens use, are refused.
"""
from __future__ import annotations

from typing import Any

from core.policies import rule
from investment import policies
from org.models import User


@rule("investment.view_maps")
def view_maps(user: User, obj: Any = None) -> bool:
    """The heat map and the towns' view: whoever may see any leads (the office, the district leaders, a
    unit's reporters, a chain chief); never a viewer, never a public screen."""
    return user.is_active and user.role != User.Role.VIEWER and policies.view(user)
