"""investment's answers to the questions lower layers ask (core.hooks), registered in InvestmentConfig.ready."""
from __future__ import annotations

from typing import Any

from core.hooks import Section
from core.policies import can
from investment.models import Lead


def project_origin(*, project: Any, user: Any) -> Section | None:
    """Where a key project came from, on its page: the lead it was converted from (来自招商线索) with the
    enterprise, the source unit, the signing and a link, for whoever may see that lead; for anyone else only
    that it is an investment-attraction project (招商引资项目), since a lead is a commercial secret. None for a
    project no lead became."""
    leads = list(Lead.objects.filter(project_id=project.pk)
                 .select_related("source_unit", "chain_node__chain").order_by("pk"))
    if not leads:
        return None
    rows = [{"lead": lead, "visible": can(user, "investment.view", lead)} for lead in leads]
    return Section("investment/convert_origin.html", {"origin_rows": rows,
                                                      "origin_hidden": not any(row["visible"] for row in rows)})
