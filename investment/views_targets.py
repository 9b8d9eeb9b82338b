"""The units' investment targets (one grid for the year) and the monthly ranking of units.

Both are read by everyone but the viewers (``investment.targets_view``); the office sets the targets. The
ranking of a published month is read from its snapshot (investment.snapshot), never from the live data; the
leads behind a figure are listed only to those who may open them (``investment.ranking_leads`` and each lead's
own rule through ``Lead.objects.visible_to``).
"""
from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from core import clock
from core.models import Period
from core.policies import can, require
from investment import bulletin
from investment import snapshot as snap
from investment import targets as tg
from investment.forms_targets import MonthForm, TargetForm, YearForm
from investment.models import Lead
from org.access import current_user
from org.models import Unit, User


def _year(request: HttpRequest) -> int:
    form = YearForm(request.GET)
    return form.cleaned_data["year"] if form.is_valid() else clock.today().year


def _target_units() -> list[Unit]:
    """The units that may be given targets: the departments and towns in service."""
    return list(Unit.objects.filter(is_active=True).exclude(kind=Unit.Kind.DISTRICT).order_by("kind", "order", "name"))


class _Refused(Exception):
    """Raised inside the saving transaction to undo every row when one is refused."""


@require_http_methods(["GET", "POST"])
def targets(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    require(user, "investment.targets_view")
    year = _year(request)
    units = _target_units()
    stored = tg.targets_of(year)
    editable = can(user, "investment.targets_edit")
    if request.method == "POST":
        require(user, "investment.targets_edit")
    bound = request.POST if request.method == "POST" else None
    forms = {unit.pk: TargetForm(bound, target=stored.get(unit.pk), prefix=f"u{unit.pk}") for unit in units}
    if bound is not None and all(form.is_valid() for form in forms.values()):
        saved = 0
        try:
            with transaction.atomic():
                for unit in units:
                    form = forms[unit.pk]
                    try:
                        if tg.target_save(by=user, unit=unit, year=year, values=form.values(),
                                          version=form.cleaned_data["version"]) is not None:
                            saved += 1
                    except ValidationError as error:
                        form.add_error(None, error)
                if any(form.errors for form in forms.values()):
                    raise _Refused
        except _Refused:
            messages.error(request, _("有单位的目标未能保存，全部修改均未保存，请看下方说明。"))
        else:
            messages.success(request, _("已保存 %(n)s 个单位的%(year)s年招商引资目标。") % {"n": saved, "year": year})
            return redirect(reverse("investment:targets") + f"?year={year}")
    rows = [{"unit": unit, "form": forms[unit.pk], "target": stored.get(unit.pk)} for unit in units]
    return render(request, "investment/targets.html", {
        "year": year, "rows": rows, "editable": editable, "metrics": [tg.label(m) for m in tg.METRICS],
        "years": [year - 1, year + 1], "rules": tg.rules_in_words(),
    })


# --- the ranking ----------------------------------------------------------------------------------------

def _month(request: HttpRequest) -> tuple[int, int]:
    """The month asked for; else the latest published month; else this month."""
    form = MonthForm(request.GET)
    if form.is_valid():
        return form.cleaned_data["year"], form.cleaned_data["month"]
    latest = (Period.objects.filter(kind=Period.Kind.MONTH, half=0, state=Period.State.PUBLISHED)
              .order_by("-year", "-month").first())
    if latest is not None:
        return latest.year, latest.month
    today = clock.today()
    return today.year, today.month


def _month_end(year: int, month: int) -> dt.date:
    return dt.date(year + month // 12, month % 12 + 1, 1) - dt.timedelta(days=1)


def _lead_lines(user: User, rows: tuple[tg.RankRow, ...]) -> dict[int, dict[str, Any]]:
    """For each row the user may open into leads: the leads counted, those he or she may see, and how many
    others (another unit's lead credited here by a collision share) are not shown. One query."""
    allowed = [row for row in rows if can(user, "investment.ranking_leads", row.unit_id)]
    ids = {c.lead_id for row in allowed for c in row.contributions}
    visible = set(Lead.objects.visible_to(user).filter(pk__in=ids).values_list("pk", flat=True)) if ids else set()
    result: dict[int, dict[str, Any]] = {}
    for row in allowed:
        lines = []
        for c in row.contributions:
            if c.lead_id not in visible:
                continue
            parts = [_("%(label)s %(amount)s") % {"label": tg.label(m), "amount": tg.amount_words(m, v)}
                     for m in tg.METRICS if (v := c.figures.get(m))]
            lines.append({"lead_id": c.lead_id, "enterprise": c.enterprise, "share": tg.number_words(c.share),
                          "whole": c.share == tg.HUNDRED, "pending": c.pending, "figures": "、".join(parts)})
        result[row.unit_id] = {"lines": lines, "hidden": len(row.contributions) - len(lines)}
    return result


def ranking(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    require(user, "investment.targets_view")
    year, month = _month(request)
    period = Period.objects.filter(kind=Period.Kind.MONTH, half=0, year=year, month=month).first()
    published = period is not None and period.is_frozen
    attraction: snap.Attraction | None
    if published:
        assert period is not None
        stored = snap.read_attraction(period)
        attraction = stored[0] if stored else None
    else:
        as_of = min(clock.today(), _month_end(year, month))
        attraction = snap.attraction_live(year=year, month=month, as_of=as_of)
    context: dict[str, Any] = {
        "form": MonthForm(initial={"year": year, "month": month}), "year": year, "month": month,
        "published": published, "period": period, "attraction": attraction, "rules": tg.rules_in_words(),
    }
    if attraction is not None:
        count = sum(1 for r in attraction.rows if r.ranked)
        leads = _lead_lines(user, attraction.rows)
        headers = bulletin.page_headers()
        context["rows"] = [
            {"row": row, "words": tg.row_words(row, attraction.schedule, count=count),
             "cells": list(zip(headers[3:], [bulletin.cell(f) for f in row.figures], strict=True)),
             "leads": leads.get(row.unit_id)}
            for row in attraction.rows
        ]
        context["headers"] = headers
        context["sentences"] = (bulletin.month_sentences(attraction) + bulletin.year_sentences(attraction)
                                + bulletin.follow_up_sentences(attraction))
    return render(request, "investment/ranking.html", context)
