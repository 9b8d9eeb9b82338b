"""Money that arrived (到位资金) of a signed lead, entered as it arrives; the targets count it by its date.

Rules. Money arrives only for a signed investment: a lead that is signed, started or producing (not one still
in talks, nor a dropped one). It arrives on or after the signing date and not after today, and is more than 0
万元. Each refusal is one reason, in words (:func:`funds_refusals`).
"""
from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django import forms
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from audit.services import audit_record
from core import clock
from core.policies import can
from investment import rules
from investment.models import Funds, Lead
from org.models import User

# The stages whose money may arrive: signed, and on from there.
FUNDED: frozenset[str] = frozenset({rules.SIGNED, rules.STARTED, rules.PRODUCING})


def funds_refusals(
    *, stage: str, signed_on: dt.date | None, on: dt.date, amount: Decimal | None, today: dt.date,
) -> list[str]:
    """Why money of ``amount`` 万元 arriving ``on`` cannot be entered for a lead at ``stage`` signed ``signed_on``
    (empty: it can)."""
    if stage == rules.DROPPED:
        return [_("线索已终止，不能录入到位资金。")]
    if stage not in FUNDED or signed_on is None:
        return [_("线索签约后才能录入到位资金；该线索处于“%(stage)s”阶段。") % {"stage": rules.stage_name(stage)}]
    reasons = []
    if on < signed_on:
        reasons.append(_("到位日期（%(on)s）不能早于签约日期（%(signed)s）。")
                       % {"on": on.isoformat(), "signed": signed_on.isoformat()})
    if on > today:
        reasons.append(_("到位日期（%(on)s）不能晚于今天。") % {"on": on.isoformat()})
    if amount is None or amount <= 0:
        reasons.append(_("到位资金须大于 0 万元。"))
    return reasons


@transaction.atomic
def funds_add(
    *, by: User, lead: Lead, on: dt.date, amount: Decimal, note: str = "", source: str = "form",
) -> Funds:
    """Record ``amount`` 万元 of ``lead``'s investment that arrived ``on``; audited with the lead as subject."""
    stored = Lead.objects.select_for_update().get(pk=lead.pk)
    if not can(by, "investment.add_funds", stored):
        raise PermissionDenied
    refusals = funds_refusals(stage=stored.stage, signed_on=stored.signed_on, on=on, amount=amount,
                              today=clock.today())
    if refusals:
        raise ValidationError(refusals)
    arrival = Funds(lead=stored, on=on, amount=Decimal(amount), note=note.strip(),
                    entered_by=by if getattr(by, "pk", None) else None)
    arrival.full_clean(exclude=["entered_by"])
    arrival.save()
    audit_record(by=by, instance=arrival, before={}, subject=stored, source=source)
    return arrival


class FundsForm(forms.Form):
    on = forms.DateField(label=gettext_lazy("到位日期"), widget=forms.DateInput(attrs={"type": "date"},
                                                                           format="%Y-%m-%d"))
    amount = forms.DecimalField(label=gettext_lazy("到位资金(万元)"), max_digits=14, decimal_places=2,
                                min_value=Decimal("0.01"))
    note = forms.CharField(label=gettext_lazy("说明"), max_length=200, required=False,
                           help_text=gettext_lazy("如资金来源、凭证。"))


def funds_context(lead: Lead, user: User, *, form: FundsForm | None = None) -> dict[str, Any]:
    """The lead page's 到位资金 section: the arrivals with their total, and the form for who may add one to a
    signed lead. Nothing before the lead is signed unless money was entered."""
    arrivals = list(lead.funds.select_related("entered_by"))
    may_add = lead.stage in FUNDED and can(user, "investment.add_funds", lead)
    if not arrivals and not may_add and lead.stage not in FUNDED:
        return {"funds": None}
    total = sum((arrival.amount for arrival in arrivals), Decimal("0.00"))
    return {"funds": {
        "arrivals": arrivals,
        "total": total,
        "form": (form or FundsForm(initial={"on": clock.today()})) if may_add else None,
    }}
