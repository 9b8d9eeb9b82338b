"""Who may do what: rules of the investment module's conversion pages (registered in InvestmentConfig.ready).

Turning a started lead into a key project (入库) and entering the money that arrived (到位资金) are the work of
whoever follows the lead: the office and the reporters of the lead's unit (招商单位). Unlike ``investment.edit``
they stay open once the lead is producing (投产): a producing investor is the one most worth a place in the
ledger, and its money keeps arriving. Whether the lead is at a stage that allows it is the services' question,
answered with reasons (``investment.conversion``, ``investment.funds``).
"""
from __future__ import annotations

from core.policies import can, rule
from investment import rules
from investment.models import Lead
from org.models import User


def _follows(user: User, lead: Lead) -> bool:
    """The office, or a reporter of the lead's own unit."""
    if user.is_office:
        return True
    return rules.sees_unit_leads(user.role) and user.unit_id is not None and user.unit_id == lead.source_unit_id


@rule("investment.convert")
def convert(user: User, lead: Lead | None = None) -> bool:
    """The office and the reporters of the lead's unit turn a started or producing lead into a key project: the
    office straight into the ledger, a unit as an 入库 proposal the office decides (projects.create). Leaders and
    chain chiefs read the lead; other units never see it."""
    if not user.is_active or not can(user, "projects.create"):
        return False
    return lead is None or _follows(user, lead)


@rule("investment.add_funds")
def add_funds(user: User, lead: Lead | None = None) -> bool:
    """The office and the reporters of the lead's unit enter the money that arrived (到位资金) of a signed lead;
    leaders and chain chiefs read it."""
    if not user.is_active or not (user.is_office or (rules.sees_unit_leads(user.role) and user.unit_id)):
        return False
    return lead is None or _follows(user, lead)
