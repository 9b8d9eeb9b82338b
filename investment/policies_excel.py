"""Who may do what: rules of the investment module's excel pages (registered in InvestmentConfig.ready).

An export holds leads, which are commercial secrets: it holds only the leads the user may see
(``Lead.objects.visible_to``) and is watermarked with who exported it and when (investment.excel).
"""
from __future__ import annotations

from typing import Any

from core.policies import can, rule
from org.models import User


@rule("investment.excel_export")
def excel_export(user: User, obj: Any = None) -> bool:
    """Whoever sees leads exports them to Excel (the office, the district leaders, a unit's reporters and a
    chain chief), each only the leads he or she may see, watermarked with his or her name and the time."""
    return can(user, "investment.view")


@rule("investment.excel_import")
def excel_import(user: User, obj: Any = None) -> bool:
    """Whoever enters leads imports the lead sheet (线索台账): the office for every unit, a unit's reporters
    for their unit only."""
    return can(user, "investment.create")


@rule("investment.excel_import_signed")
def excel_import_signed(user: User, obj: Any = None) -> bool:
    """Only the office imports the list of signed projects (签约项目清单): a row may create a lead already
    signed, a skip over stages that only the office decides."""
    return user.is_active and user.is_office
