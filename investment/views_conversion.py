"""Pages of the way from lead to key project: converting a started lead (入库), entering the money that arrived
(到位资金), and the share of signed amounts that started (落在项目开工上). Leads are scoped to the user before
use (``Lead.objects.visible_to``: another unit's lead is not found) and every write goes through the services,
which check the rule again and audit it."""
from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from core import clock
from core.policies import require
from investment import conversion, funds
from investment.models import Lead
from org.access import current_user
from projects.forms import ProjectForm


def _lead(request: HttpRequest, pk: int, rule: str) -> Lead:
    """The lead if the user may see it (else 404: a unit learns nothing of other units' leads), and may act on
    it by ``rule`` (else 403)."""
    user = current_user(request)
    lead = (Lead.objects.visible_to(user)
            .select_related("source_unit", "chain_node__chain__chief", "project").filter(pk=pk).first())
    if lead is None:
        raise Http404
    require(user, rule, lead)
    return lead


@require_http_methods(["GET", "POST"])
def lead_convert(request: HttpRequest, pk: int) -> HttpResponse:
    """The ledger's project form filled from the lead; saved, the lead becomes a key project (the office's) or an
    入库 proposal (a unit's)."""
    lead = _lead(request, pk, "investment.convert")
    user = current_user(request)
    refusals = conversion.conversion_refusals(lead)
    form = None
    if not refusals:
        year = clock.today().year
        if request.method == "POST":
            form = ProjectForm(request.POST, user=user, year=year, ask_reason=True)
        else:
            form = ProjectForm(initial=conversion.project_initial(lead), user=user, year=year, ask_reason=True)
        if request.method == "POST" and form.is_valid():
            extra: dict[str, Any] = {}
            if "co_units" in form.fields:
                extra["co_units"] = form.cleaned_data["co_units"]
            try:
                project = conversion.lead_convert(
                    by=user, lead=lead, project=form.save(commit=False), plans=form.plans(),
                    reason=form.cleaned_data.get("reason", ""), **extra,
                )
            except ValidationError as error:
                for message in error.messages:
                    form.add_error(None, message)
            else:
                if project.in_ledger:
                    text = _("“%(lead)s”已转为重点项目 %(project)s，纳入项目库。")
                else:
                    text = _("“%(lead)s”已提交入库申请（项目 %(project)s），项目办审核通过后纳入项目库。")
                messages.success(request, text % {"lead": lead.enterprise, "project": project})
                return redirect("investment:lead_detail", pk=lead.pk)
    return render(request, "investment/convert.html", {"lead": lead, "form": form, "refusals": refusals})


@require_POST
def funds_add(request: HttpRequest, pk: int) -> HttpResponse:
    """Add an arrival of money; a refusal is told on the lead's page, where the form is."""
    lead = _lead(request, pk, "investment.add_funds")
    form = funds.FundsForm(request.POST)
    if form.is_valid():
        try:
            funds.funds_add(by=current_user(request), lead=lead, **form.cleaned_data)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, _("已录入到位资金 %(amount)s 万元。") % {"amount": form.cleaned_data["amount"]})
    else:
        for name, errors in form.errors.items():
            text = " ".join(str(error) for error in errors)
            label = form.fields[name].label if name in form.fields else ""
            messages.error(request, _("%(label)s：%(text)s") % {"label": label, "text": text} if label else text)
    return redirect(reverse("investment:lead_detail", args=[lead.pk]) + "#funds")


class SignedToStartedForm(forms.Form):
    as_of = forms.DateField(label=gettext_lazy("统计截至"), required=False,
                            widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    year_from = forms.IntegerField(label=gettext_lazy("签约年度自"), min_value=2000, max_value=2100, required=False)
    year_to = forms.IntegerField(label=gettext_lazy("至"), min_value=2000, max_value=2100, required=False)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        today = clock.today()
        as_of = data.get("as_of") or today
        if as_of > today:
            self.add_error("as_of", _("统计截至日期不能晚于今天。"))
            as_of = today
        data["as_of"] = as_of
        data["year_to"] = data.get("year_to") or as_of.year
        data["year_from"] = data.get("year_from") or data["year_to"] - 1
        if data["year_from"] > data["year_to"]:
            self.add_error("year_from", _("起始年度不能晚于截止年度。"))
        return data


def signed_to_started(request: HttpRequest) -> HttpResponse:
    """落在项目开工上: of the signed amounts, the share that started within 6 and 12 months, over the leads the
    user may see."""
    user = current_user(request)
    require(user, "investment.view")
    today = clock.today()
    as_of: dt.date = today
    year_from, year_to = today.year - 1, today.year
    form = SignedToStartedForm(request.GET or None,
                               initial={"as_of": as_of, "year_from": year_from, "year_to": year_to})
    if form.is_bound and form.is_valid():
        as_of, year_from, year_to = (form.cleaned_data["as_of"], form.cleaned_data["year_from"],
                                     form.cleaned_data["year_to"])
    shares = conversion.signed_to_started(user, as_of=as_of, year_from=year_from, year_to=year_to)
    rows = [{"share": share, "rule": conversion.start_share_rule(share.months, as_of=as_of, year_from=year_from,
                                                                  year_to=year_to)} for share in shares]
    return render(request, "investment/signed_to_started.html", {
        "form": form, "rows": rows, "as_of": as_of, "year_from": year_from, "year_to": year_to,
    })
